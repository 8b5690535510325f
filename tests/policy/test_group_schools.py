"""A school written as its education group with the campus in brackets
(杭州市文三教育集团（总校）（文宣小学）：东至…) is a school line; before, the line was not read and
the feeder line under it was given to the school above.  A side of a box is never split into
places (西至石虎山、青芝坞), and a bare building number (62幢) is reported, never a compound."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy
from geo_enroll.policy.document import ParseContext
from geo_enroll.policy.scopes import scope_pieces
from geo_enroll.policy.spec import read_policy

from ..conftest import SHARED, need_shared

ZONING = SHARED / "reference" / "zoning-dev"


@pytest.mark.parametrize(
    "name",
    [
        "杭州市育才教育集团（总校）",
        "杭州市文三教育集团（总校）（文宣小学）",
        "某县实验教育集团(东校区)",
    ],
)
def test_an_education_group_with_its_campus_is_a_school(name):
    text = (
        "# 招生范围\n\n"
        "杭州市甲小学：东关社区\n"
        "  - 对口初中：杭州市甲中学\n\n"
        f"{name}：东至蒋墩路，南至文二西路，西至上埠河，北至文一西路。\n"
        "  - 对口初中：杭州市乙中学\n"
    )
    spec = parse_policy(text)
    schools = {s["name"]: s for s in spec["schools"]}
    assert name in schools
    [zone] = schools[name]["zones"]
    assert zone["kind"] == "street_limits"
    assert zone["limits"]["east"] == "蒋墩路"
    feeder = next(z for z in schools["杭州市乙中学"]["zones"] if z["kind"] == "feeder")
    assert [f["school_id"] for f in feeder["from_schools"]] == [schools[name]["id"]]


def test_a_group_name_without_campus_is_not_a_school_line():
    """教育集团 alone (no campus, no 总校) may be a heading or prose: not read as a school."""
    spec = parse_policy("# 招生范围\n\n第一小学：东关社区\n某某教育集团：负责统筹安排\n")
    assert [s["name"] for s in spec["schools"]] == ["第一小学"]


def test_a_side_of_a_box_is_not_split_into_places():
    text = "东至玉古路，南至玉泉景区收票处至山外山主干道，西至石虎山、青芝坞，北至西溪路"
    pieces, left = scope_pieces(text, ParseContext(county=None))
    assert not any(p.get("name") == "青芝坞" for p in pieces)
    assert any("青芝坞" in x for x in left) or any("青芝坞" in str(p.get("limits")) for p in pieces)


@pytest.mark.parametrize("building", ["62幢", "3栋", "5号楼", "12-15幢"])
def test_a_bare_building_is_reported(building):
    pieces, left = scope_pieces(f"求是南村、{building}", ParseContext(county=None))
    assert [p["name"] for p in pieces] == ["求是南村"]
    assert left == [building]


def test_on_the_real_hangzhou_notice():
    """The 杭州 urban notice in ../shared/reference (not shipped; skipped without)."""
    text, _ = read_policy(need_shared(ZONING / "hangzhou_urban-districts_2026.md"))
    spec = parse_policy(text)
    schools = {s["name"]: s for s in spec["schools"]}
    for name in (
        "杭州市育才教育集团（总校）",
        "杭州市文三教育集团（总校）（文宣小学）",
        "杭州市文三教育集团（总校）（文苑小学）",
        "杭州市西湖小学教育集团（总校）（杭州市紫萱小学）",
    ):
        assert any(z["kind"] == "street_limits" for z in schools[name]["zones"]), name
    names = {z.get("name") for s in spec["schools"] for z in s["zones"]}
    assert "青芝坞" not in names and "62幢" not in names


@pytest.mark.parametrize(
    "text,name",
    [
        ("“金都·城市芯宇”住宅区", "金都·城市芯宇"),
        ("“世贸丽晶城”住宅区", "世贸丽晶城"),
        ("「阳光花园」", "阳光花园"),
    ],
)
def test_a_compound_named_in_quotes(text, name):
    pieces, left = scope_pieces(f"学院路312号，{text}", ParseContext(county=None))
    assert left == []
    assert [p["name"] for p in pieces if p["type"] == "compound"] == [name]


@pytest.mark.parametrize(
    "scope,town",
    [
        ("学校所在教育服务区范围：葛溪村、程浦村", None),
        ("本校教育服务区范围：葛溪村、程浦村", None),
        ("富阳区龙门镇所属各行政村：葛溪村、程浦村", "龙门镇"),
        ("龙门镇所辖各村：葛溪村、程浦村", "龙门镇"),
    ],
)
def test_a_label_before_the_list(scope, town):
    text = f"# 招生范围\n\n第一小学：{scope}\n"
    spec = parse_policy(text)
    units = spec["schools"][0]["zones"][0]["units"]
    assert [(u["name"], u["township"]) for u in units] == [("葛溪村", town), ("程浦村", town)]
    assert spec["unparsed"] == []


def test_a_group_range_with_a_fullwidth_dash():
    pieces, left = scope_pieces("向龙村：6－10组", ParseContext(county=None))
    assert left == []
    assert [(p["name"], p["group"]) for p in pieces] == [("向龙村", "6-10组")]


def test_a_later_sentence_of_named_compounds_continues_the_list():
    """萧山区三江小学：渔浦社区；民丰村、山后村，金域三江小区 — 金域三江小区 is named as a compound
    (小区), no guess: the sentence after ； is read.  Bare names (众力) still are not."""
    spec = parse_policy("# 招生范围\n\n第一小学：渔浦社区；民丰村、山后村，金域三江小区\n")
    zones = spec["schools"][0]["zones"]
    names = [u["name"] for z in zones for u in z.get("units") or []]
    assert names == ["渔浦社区", "民丰村", "山后村"]
    assert [z["name"] for z in zones if z["kind"] == "compound"] == ["金域三江小区"]
    spec = parse_policy("# 招生范围\n\n第一小学：渔浦社区；众力、赵家湾\n")
    assert [z["kind"] for z in spec["schools"][0]["zones"]] == ["admin_units"]


def test_the_part_of_a_village_on_one_side():
    pieces, left = scope_pieces("久联村部分（新东公路以北）", ParseContext(county=None))
    assert left == []
    [p] = pieces
    assert (p["type"], p["within"], p["bounds"]) == (
        "bounds",
        "久联村",
        [{"street": "新东公路", "side": "north_of"}],
    )


def test_a_quoted_compound_in_a_county_with_an_official_list():
    """In 太仆寺旗 (its village list ships) a quoted 住宅区 is still a compound, never a village
    name to look up."""
    spec = parse_policy(
        "# 招生范围\n\n第一小学招收宝昌镇东郊社区、“金都·城市芯宇”住宅区。", county="152527"
    )
    zones = spec["schools"][0]["zones"]
    assert [(z["kind"], z.get("name")) for z in zones] == [
        ("admin_units", None),
        ("compound", "金都·城市芯宇"),
    ]
