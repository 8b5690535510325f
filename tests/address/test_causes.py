"""The causes of wrong or missing parts seen on real addresses, each with several variants.

Expectations name today's units through the table (``data/divisions``), not hard-coded codes,
wherever the point is the mechanism (an old name resolves to what the change list says).
"""

from __future__ import annotations

import csv

import pytest

from geo_enroll.address import load_divisions, parse_address
from geo_enroll.settings import data_dir

DIV = load_divisions()


def _code(county: str, city: str) -> str:
    (city_code,) = DIV.full["city"][city]
    (code,) = [c for c in DIV.full["county"][county] if c.startswith(city_code)]
    return code


def _changes() -> list[dict]:
    with open(data_dir() / "divisions" / "historical_changes.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# -- renamed and retired units ------------------------------------------------------------
@pytest.mark.parametrize(
    "text, old, today_county, today_city",
    [
        ("浙江省杭州市江干区丁兰街道", "江干区", "上城区", "杭州市"),
        ("杭州市下城区武林街道", "下城区", "拱墅区", "杭州市"),
        ("浙江省宁波市江东区中山东路5号", "江东区", "鄞州区", "宁波市"),
        ("浙江省上虞市百官街道", "上虞市", "上虞区", "绍兴市"),
        ("绍兴县柯桥街道", "绍兴县", "柯桥区", "绍兴市"),
        ("湖北省襄樊市樊城区人民路1号", "襄樊市", "樊城区", "襄阳市"),
        ("广西柳州地区忻城县城关镇", "柳州地区", "忻城县", "来宾市"),
        ("四川省成都市新津县五津镇", "新津县", "新津区", "成都市"),
        ("玉环县楚门镇", "玉环县", "玉环市", "台州市"),
        ("北京市崇文区天坛街道", "崇文区", "东城区", "北京市"),
    ],
)
def test_old_names_resolve_to_today_keeping_what_was_written(text, old, today_county, today_city):
    city = today_city if today_city != "北京市" else None
    r = parse_address(text)
    if city:
        assert r["codes"]["county"] == _code(today_county, city), (r["codes"], r["notes"])
    else:
        assert r["county"] == today_county and r["codes"]["county"].startswith("11")
    assert any(h["old_name"] == old for h in r["historical"])
    h = next(h for h in r["historical"] if h["old_name"] == old)
    assert h["year"] >= 1985 and h["successor"] and h["change"]
    assert old in r["written"].values() or any(old.startswith(w) for w in r["written"].values())


def test_every_change_with_a_successor_resolves_to_it():
    """Bulk: each old county name written under today's city gives the listed successor."""
    rows = [
        r
        for r in _changes()
        if len(r["old_code"]) == 6 and r["successor_code"] and len(r["successor_code"]) == 6
    ]
    assert len(rows) > 800
    wrong = []
    for r in rows:
        succ = r["successor_code"]
        chain = "".join(DIV.units[c].name for c in DIV.ancestors(succ[:4]) if len(c) <= 4)
        got = parse_address(chain + r["old_name"] + "人民路1号")["codes"].get("county")
        options = {x["successor_code"] for x in rows if x["old_name"] == r["old_name"]}
        if got not in options and got != r["old_code"]:
            wrong.append((r["old_name"], succ, got))
    assert len(wrong) / len(rows) < 0.02, wrong[:20]


def test_retired_without_successor_is_not_guessed():
    r = parse_address("江东区中山路5号")  # 宁波's (→ 鄞州区) or 衡阳's (retired 2001)
    assert "county" not in r["codes"] and r["reason_code"] == "retired_unit"
    assert {h["old_code"][:2] for h in r["historical"]} == {"33", "43"}


def test_a_todays_name_wins_over_an_old_one():
    r = parse_address("浙江省杭州市上城区")
    assert r["historical"] == [] and r["codes"]["county"] == _code("上城区", "杭州市")


def test_town_become_subdistrict_inside_the_named_county():
    r = parse_address("成都市新津区五津镇")
    assert r["township"] == "五津街道" and r["written"]["township"] == "五津镇"
    # never across counties: the variant is only looked up under the county written
    r = parse_address("北京市延庆区五津镇")
    assert "township" not in r["codes"]


# -- short county or city names at the start ----------------------------------------------
@pytest.mark.parametrize(
    "text, county, city, road",
    [
        ("富阳文教北路12号", "富阳区", "杭州市", "文教北路"),
        ("义乌稠州北路100号", "义乌市", "金华市", "稠州北路"),
        ("张家港杨舍镇人民路1号", "张家港市", "苏州市", "人民路"),
        ("台州路桥区银安街5号", "路桥区", "台州市", "银安街"),
        ("台州路桥银安街5号", "路桥区", "台州市", "银安街"),
        ("昆山玉山镇人民路9号", "昆山市", "苏州市", "人民路"),
    ],
)
def test_short_county_at_the_start(text, county, city, road):
    r = parse_address(text)
    assert r["codes"].get("county") == _code(county, city), (r["codes"], r["unplaced"])
    assert r["road"] == road


@pytest.mark.parametrize("text", ["西湖区文三路1号", "朝阳区建国路1号", "鼓楼区中山路5号"])
def test_ambiguous_short_or_full_name_lists_candidates(text):
    r = parse_address(text)
    assert "county" not in r["codes"] and r["reason_code"] == "ambiguous"
    assert len(r["candidates"]["county"]) >= 2


@pytest.mark.parametrize(
    "text", ["中山路5号", "长安街1号", "光明大街3号", "和平小区2号楼", "宝丰社区"]
)
def test_short_names_followed_by_road_words_stay_roads(text):
    r = parse_address(text)
    assert r["codes"] == {}


# -- repeated or doubled names, empty cells --------------------------------------------------
@pytest.mark.parametrize(
    "text, county, city",
    [
        ("北京北京市朝阳区建国路1号", "朝阳区", None),
        ("金华金华永康市城西街道", "永康市", "金华市"),
        ("浙江省浙江省杭州市杭州市西湖区文三路1号", "西湖区", "杭州市"),
        ("浙江省null杭州市西湖区", "西湖区", "杭州市"),
        ("浙江省 NULL 杭州市 None 西湖区 文三路1号", "西湖区", "杭州市"),
        ("广东省东莞市东莞市长安镇", "东莞市", "东莞市"),  # the city's own county: no repeat
    ],
)
def test_doubled_names_and_null_cells(text, county, city):
    r = parse_address(text)
    if city:
        assert r["codes"]["county"] == _code(county, city), (r["codes"], r["unplaced"])
    else:
        assert r["county"] == county and r["province"] == "北京市"
    assert "null" not in r["unplaced"].lower() and "none" not in r["unplaced"].lower()


def test_repeated_short_name_before_a_road_is_the_road():
    r = parse_address("成都市大邑县大邑大道12号")
    assert r["road"] == "大邑大道" and r["county"] == "大邑县"


# -- matches that skip characters of the input ---------------------------------------------
@pytest.mark.parametrize(
    "text, not_county",
    [
        ("玉环县楚门镇", "环县"),
        ("庙坝乡黄坪村", "坝乡"),
        ("江东区中山路5号", "东区"),
        ("新化县城关镇", "化县"),
        ("东至县尧渡镇", "至县"),
    ],
)
def test_no_match_that_skips_the_start_of_a_word(text, not_county):
    r = parse_address(text)
    got = [DIV.units[c].name for c in r["codes"].values()]
    assert not_county not in got
    assert not any(DIV.units[c].name == not_county for c in r["codes"].values())


def test_noise_words_before_an_address_may_be_skipped():
    for text in ("户籍地址太仆寺旗宝昌镇", "Room5太仆寺旗宝昌镇", "中国内蒙古太仆寺旗宝昌镇"):
        assert parse_address(text)["codes"]["township"] == "152527100", text


# -- spans ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, road, cross",
    [
        ("合肥市丰华路与沙河路交叉口", "丰华路", "沙河路"),
        ("昆明市官渡区机场路金银街", "机场路", "金银街"),
        ("北京市海淀区中关村大街和海淀路路口", "中关村大街", "海淀路"),
        ("合肥市蜀山区长江西路和平路", "长江西路", "和平路"),  # 和 starting a name
        ("合肥市蜀山区长江西路和黄山路交叉口", "长江西路", "黄山路"),
        ("上海市黄浦区西藏中路及南京东路路口", "西藏中路", "南京东路"),
        ("成都市成华区府青路东五街12号", "府青路东五街", None),  # a branch, one name
        ("成都市大邑县金巷正街12号", "金巷正街", None),
        ("成都市成华区成华大道新鸿路8号", "成华大道新鸿路", None),
    ],
)
def test_intersections_are_two_roads_branches_one(text, road, cross):
    r = parse_address(text)
    assert (r["road"], r["cross_road"]) == (road, cross)


@pytest.mark.parametrize(
    "text, road, lane, number",
    [
        ("上海市黄浦区南京东路123弄4号", "南京东路", "123", "4"),
        ("上海市静安区武定路131弄10号", "武定路", "131", "10"),
        ("上海市长宁区愚园路1088弄2支弄5号", "愚园路", "1088", "5"),
    ],
)
def test_lanes(text, road, lane, number):
    r = parse_address(text)
    assert (r["road"], r["lane"], r["house_number"]) == (road, lane, number)


@pytest.mark.parametrize(
    "text, number",
    [
        ("杭州市西湖区文三路2499-164号", "2499之164"),  # a sub-number: smaller after the dash
        ("杭州市西湖区文三路14-1号", "14之1"),
        ("成都市新津区武阳中路3-5号", "3-5"),  # a range
        ("成都市成华区双林路22号之一", "22之1"),
    ],
)
def test_sub_numbers_and_ranges(text, number):
    assert parse_address(text)["house_number"] == number


@pytest.mark.parametrize(
    "text, parts",
    [
        ("北京市朝阳区建国路88号B座1203", {"house_number": "88", "building": "B", "room": "1203"}),
        ("北京市朝阳区建国路国贸大厦1205", {"compound": "国贸大厦", "room": "1205",
                                          "house_number": None}),
        ("杭州市西湖区文三路阳光小区3-2-501", {"building": "3", "unit": "2", "room": "501"}),
        ("成都市成华区双林路22号北新苑3栋2单元501室", {"house_number": "22", "building": "3",
                                                    "unit": "2", "room": "501"}),
        ("北京市海淀区10号院3号楼2单元501室", {"building": "3", "unit": "2", "room": "501"}),
    ],
)  # fmt: skip
def test_building_unit_floor_room(text, parts):
    r = parse_address(text)
    assert {k: r[k] for k in parts} == parts


@pytest.mark.parametrize(
    "text, unplaced_has",
    [("台湾省台北市信义路五段7号", "台北市"), ("杭州市某某区文一路5号", "某某区")],
)
def test_an_unknown_place_is_not_swallowed_by_the_road(text, unplaced_has):
    r = parse_address(text)
    assert unplaced_has in r["unplaced"] and unplaced_has not in (r["road"] or "")


# -- Hong Kong, Macau, Taiwan ---------------------------------------------------------------
@pytest.mark.parametrize(
    "text, province",
    [
        ("香港九龙弥敦道100号", "香港特别行政区"),
        ("香港特别行政区湾仔区轩尼诗道5号", "香港特别行政区"),
        ("澳门氹仔", "澳门特别行政区"),
        ("台湾省台北市信义路五段7号", "台湾省"),
        ("臺灣臺北市", "台湾省"),
    ],
)
def test_hong_kong_macau_taiwan_recognised_at_their_level(text, province):
    r = parse_address(text)
    assert r["province"] == province and r["reason_code"] == "outside_table" and r["reason"]


def test_roads_named_after_them_stay_roads():
    for text in ("上海市香港路3号", "青岛市市南区台湾路5号", "珠海市香洲区澳门路1号"):
        r = parse_address(text)
        assert r["province"] not in ("香港特别行政区", "台湾省", "澳门特别行政区"), text
