"""Address parsing: the seed's addresses, the national table, roads that contain place names."""

from __future__ import annotations

import random
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_enroll.address import load_divisions, normalize_address, parse_address
from geo_enroll.address.divisions import village_base
from geo_enroll.settings import data_dir

DIV = load_divisions()


def _chain_names(code):
    """The written form of a unit: its real ancestors' official names, concatenated."""
    return "".join(DIV.units[c].name for c in DIV.ancestors(code))


def test_notice_template_address():
    # the address printed on the seed's 入学通知书 template (附件3), with the province prefixed
    r = parse_address("内蒙古锡林郭勒盟太仆寺旗宝昌镇河沿街5组14号")
    assert (r["county"], r["township"], r["road"], r["group"], r["house_number"]) == (
        "太仆寺旗", "宝昌镇", "河沿街", "5组", "14")  # fmt: skip
    assert r["codes"]["county"] == "152527"
    assert r["codes"]["township"].startswith(r["codes"]["county"])
    assert DIV.units[r["codes"]["township"]].name == "宝昌镇"
    assert r["unplaced"] == "" and r["reason"] is None


def test_notice_address_as_written_in_seed():
    seed = (data_dir() / "policies" / "taipusi_2024.txt").read_text(encoding="utf-8")
    written = re.search(r"户籍住址：(\S+)", seed).group(1)
    r = parse_address(written)
    assert r["codes"]["township"] == parse_address("宝昌镇")["codes"]["township"]
    assert set(r["inferred"]) == {"province", "city"}
    assert r["house_number"] == "14" and r["group_number"] == 5


def test_omitted_levels_are_inferred():
    r = parse_address("宝昌镇菜园村三社")
    assert (r["province"], r["city"], r["county"]) == ("内蒙古自治区", "锡林郭勒盟", "太仆寺旗")
    assert set(r["inferred"]) == {"province", "city", "county"}
    assert r["village"] == "菜园村" and r["group"] == "3社"
    vcode = r["codes"]["village"]
    assert vcode.startswith(r["codes"]["township"]) and len(vcode) == 12


@pytest.mark.parametrize(
    "text, road, not_place",
    [
        ("北京市朝阳区环河北路12号", "环河北路", ("city", "河北")),
        ("环河北路12号", "环河北路", ("province", None)),
        ("河北路3号", "河北路", ("province", None)),
        ("太仆寺旗宝昌镇宝昌大街8号", "宝昌大街", ("village", None)),
        ("太仆寺旗宝昌镇团结街8号", "团结街", ("village", None)),  # 团结 is also a village
        ("上海市黄浦区南京东路100号", "南京东路", ("city", None)),
        ("河北省石家庄市长安区中山东路100号", "中山东路", ("township", None)),
        ("湖南省长沙市岳麓区湖南路1号", "湖南路", ("township", None)),
    ],
)
def test_roads_containing_place_names_stay_roads(text, road, not_place):
    r = parse_address(text)
    assert r["road"] == road
    level, _ = not_place
    assert r[level] is None or road not in "".join(filter(None, [r[level]]))
    assert r["house_number"] is not None


def test_every_county_in_the_national_table_parses_to_itself():
    counties = [c for c, u in DIV.units.items() if u.level == "county"]
    assert len(counties) > 2800
    wrong = []
    for code in counties:
        r = parse_address(_chain_names(code) + "人民路1号")
        if r["codes"].get("county") != code:
            wrong.append(code)
    assert wrong == []


def test_townships_sample_parses_to_itself():
    rng = random.Random(20240701)
    townships = sorted(c for c, u in DIV.units.items() if u.level == "township")
    wrong = [c for c in rng.sample(townships, 400)
             if parse_address(_chain_names(c))["codes"].get("township") != c]  # fmt: skip
    assert len(wrong) <= 4, wrong  # a few names repeat inside one county in the NBS table


@pytest.mark.parametrize(
    "text, county",
    [
        ("广东省东莞市长安镇长安路5号", "441900"),  # a prefecture city without counties
        ("湖北省仙桃市干河街道", "429004"),  # a province-run county-level city
        ("内蒙古呼伦贝尔市鄂温克族自治旗", "150724"),
        ("西藏拉萨城关区", "540102"),  # short province and city names
        ("新疆乌鲁木齐市天山区解放南路5号", "650102"),
        ("云南省西双版纳傣族自治州勐海县勐海镇", "532822"),
        ("吉林省长春市朝阳区人民大街5号", "220104"),
    ],
)
def test_admin_forms_across_china(text, county):
    assert parse_address(text)["codes"]["county"] == county


def test_shared_name_without_context_is_ambiguous_not_guessed():
    r = parse_address("朝阳区建国路1号")
    assert r["codes"] == {} and r["reason_code"] == "ambiguous"
    assert len(r["candidates"]["county"]) >= 2


def _seed_village_rows():
    """(township, [village names]) rows of the seed's 附件5 whose township cell is filled."""
    text = (data_dir() / "policies" / "taipusi_2024.txt").read_text(encoding="utf-8")
    lines = text[text.index("附件5") :].splitlines()
    rows = []
    for i, line in enumerate(lines):
        if "、" in line and i > 0:
            township = lines[i - 1].strip().replace("\u3000", "")
            if township.endswith(("镇", "乡", "苏木")):
                rows.append((township, [v.strip() for v in line.strip().split("、")]))
    return rows


def test_seed_villages_resolve_under_their_township():
    rows = _seed_village_rows()
    assert len(rows) >= 8
    total, resolved = 0, 0
    for township, villages in rows:
        tcode = parse_address("太仆寺旗" + township)["codes"]["township"]
        for v in villages:
            total += 1
            r = parse_address(f"太仆寺旗{township}{v}")
            code = r["codes"].get("village")
            if code:
                assert code.startswith(tcode), (township, v)
                resolved += 1
    # the seed names a few units missing from the 2023 list (PROVENANCE.md)
    assert resolved / total > 0.9


@pytest.mark.parametrize(
    "written, official, township",
    [("东圪良", "东圪梁", "千斤沟镇"), ("大疙洞", "大圪洞", "千斤沟镇"), ("临潭", "临谭", "千斤沟镇"),
     ("二道穆图", "二道木图", "骆驼山镇"), ("账房山", "帐房山", "骆驼山镇"),
     ("楚伦乌苏", "楚鲁乌苏", "骆驼山镇"), ("地方子", "地房子", "宝昌镇"), ("前永", "前勇", "红旗镇"),
     ("赛汗淖尔", "赛罕淖尔", "贡宝拉格苏木")],
)  # fmt: skip
def test_seed_homophones_match_official_villages(written, official, township):
    r = parse_address(f"太仆寺旗{township}{written}村")
    code = r["codes"].get("village")
    assert code is not None, r
    assert village_base(normalize_address(DIV.units[code].name))[1] == official
    assert r["fuzzy"]["village"]["written"] == written


@pytest.mark.parametrize(
    "text, code",
    [
        ("", "empty"),
        ("   \t\n", "empty"),
        ("\x00\x07\x1b", "empty"),
        ("\u200b\ufeff", "empty"),
        ("😀🏫🚸", "empty"),
        ("Room 5, 12 Main Street", "no_chinese"),
        ("宝" * 10_000, "too_long"),
        (None, "not_text"),
        (12345, "not_text"),
    ],
)
def test_bad_input_gives_a_reason_not_an_exception(text, code):
    t0 = time.perf_counter()
    r = parse_address(text)
    assert time.perf_counter() - t0 < 0.5
    assert r["reason_code"] == code and r["reason"]
    assert r["codes"] == {}


def test_mixed_scripts_and_other_province_keep_what_they_can():
    r = parse_address("Room 5 太仆寺旗宝昌镇河沿街14号 apt")
    assert r["codes"]["township"] == parse_address("宝昌镇")["codes"]["township"]
    assert "Room5" in r["unplaced"]
    r = parse_address("江苏省南京市鼓楼区北京西路1号")
    assert r["codes"]["county"].startswith("32") and r["road"] == "北京西路"


def test_traditional_and_full_width_parse_like_simplified():
    a = parse_address("內蒙古錫林郭勒盟太僕寺旗寶昌鎮河沿街５組十四號")
    b = parse_address("内蒙古锡林郭勒盟太仆寺旗宝昌镇河沿街5组14号")
    keys = ("codes", "road", "group", "house_number")
    assert {k: a[k] for k in keys} == {k: b[k] for k in keys}


def test_compound_building_unit_room():
    r = parse_address("浙江省杭州市拱墅区湖墅南路88号阳光小区3栋2单元501室")
    assert (r["road"], r["house_number"], r["compound"], r["building"], r["unit"], r["room"]) == (
        "湖墅南路", "88", "阳光小区", "3", "2", "501")  # fmt: skip
    r = parse_address("太仆寺旗宝昌镇河沿街14-16号")
    assert r["house_number"] == "14-16"
    assert parse_address("太仆寺旗宝昌镇河沿街14号之一")["house_number"] == "14之1"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_parse_never_raises_and_codes_nest(text):
    r = parse_address(text)
    codes = [r["codes"][lv] for lv in ("province", "city", "county", "township", "village")
             if lv in r["codes"]]  # fmt: skip
    for parent, child in zip(codes, codes[1:], strict=False):
        assert child.startswith(parent)
    assert (r["reason"] is None) == (r["reason_code"] is None)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="宝昌镇河沿街路北京市区村社组号一二三十０１２ 　，\u200b", max_size=30))
def test_normalisation_is_idempotent(text):
    once = normalize_address(text)
    assert normalize_address(once) == once
