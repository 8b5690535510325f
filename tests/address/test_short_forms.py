"""Short forms seen in real addresses (issue #12, causes 1, 12 and 15), several variants each.

Expected units are looked up in the table (``data/divisions``) by their official names, so the
tests check the mechanism, not a copied code.
"""

from __future__ import annotations

import pytest

from geo_enroll.address import load_divisions, parse_address
from geo_enroll.address.divisions import CONVENTIONAL_SHORT, Divisions, short_name

DIV = load_divisions()


def _unit(name: str, level: str) -> str:
    (code,) = DIV.full[level][name]
    return code


# -- cause 1: an autonomous prefecture written as its stem + 州, a 盟 by its abbreviation -----
@pytest.mark.parametrize(
    "text, city, county",
    [
        ("湖南省湘西州凤凰县", "湘西土家族苗族自治州", "凤凰县"),
        ("湘西州花垣县双龙镇十八洞村", "湘西土家族苗族自治州", "花垣县"),
        ("四川省凉山州昭觉县", "凉山彝族自治州", "昭觉县"),
        ("贵州省黔东南州雷山县西江镇", "黔东南苗族侗族自治州", "雷山县"),
        ("新疆伊犁州伊宁县", "伊犁哈萨克自治州", "伊宁县"),
        ("吉林省延边州延吉市", "延边朝鲜族自治州", "延吉市"),
        ("云南西双版纳州景洪市", "西双版纳傣族自治州", "景洪市"),
        ("青海省海南州共和县", "海南藏族自治州", "共和县"),
        ("内蒙古锡盟太仆寺旗宝昌镇", "锡林郭勒盟", "太仆寺旗"),
        ("锡盟太仆寺旗", "锡林郭勒盟", "太仆寺旗"),
        # an autonomous county written with its kind, its people dropped
        ("云南省怒江州贡山县独龙江乡", "怒江傈僳族自治州", "贡山独龙族怒族自治县"),
        ("湖北省宜昌市长阳县龙舟坪镇", "宜昌市", "长阳土家族自治县"),
    ],
)
def test_short_prefecture_and_the_county_after_it(text, city, county):
    r = parse_address(text)
    assert (r["city"], r["county"]) == (city, county)
    assert r["codes"]["city"] == _unit(city, "city")
    assert r["codes"]["county"].startswith(r["codes"]["city"])
    assert r["reason_code"] is None


def test_every_autonomous_prefecture_has_its_short_form():
    """Derived from the table, not listed: each 自治州 is found by stem + 州 alone."""
    names = [k for k in DIV.full["city"] if k.endswith("自治州")]
    assert len(names) >= 30
    for name in names:
        r = parse_address(short_name(name, "city") + "州")
        assert r["city"] == name, name


def test_conventional_abbreviations_name_one_unit():
    """锡盟, 阿盟 (prefectures), 内蒙 (a province): each names the one unit of its official
    name, at that unit's level only."""
    for form, name in CONVENTIONAL_SHORT.items():
        (level,) = [lv for lv in ("province", "city") if name in DIV.full[lv]]
        assert DIV.short[level][form] == DIV.full[level][name]
        assert all(form not in DIV.full[lv] and form not in DIV.short[lv]
                   for lv in DIV.full if lv != level)  # fmt: skip


def test_derived_form_is_read_like_a_full_name():
    """芷江县镇阳镇: the kind is written (县), so what follows is not part of the name."""
    r = parse_address("芷江县镇阳镇成华大道12号")
    assert r["county"] == "芷江侗族自治县" and r["road"] is not None


def test_a_short_form_shared_by_two_prefectures_abstains():
    """A toy table where two provinces each have a 某某族自治州 of the same stem."""
    div = Divisions([
        ("43", "湖南省"), ("4331", "湘西土家族苗族自治州"), ("433123", "凤凰县"),
        ("52", "贵州省"), ("5231", "湘西苗族自治州"), ("523101", "某县"),
    ])  # fmt: skip
    assert set(div.full["city"]["湘西州"]) == {"4331", "5231"}
    r = parse_address("湘西州", divisions=div)
    assert r["city"] is None and r["codes"] == {}
    assert r["reason_code"] == "ambiguous"
    assert len(r["candidates"]["city"]) == 2
    # the province written decides
    assert parse_address("湖南省湘西州", divisions=div)["codes"]["city"] == "4331"
    # and the county under it
    assert parse_address("湘西州凤凰县", divisions=div)["codes"]["county"] == "433123"


def test_a_short_form_that_is_another_units_name_is_not_added():
    """湘西州 would also be a county's full name here: it is left to that county."""
    div = Divisions([
        ("43", "湖南省"), ("4331", "湘西土家族苗族自治州"), ("433101", "吉首市"),
        ("4312", "怀化市"), ("431201", "湘西州"),
    ])  # fmt: skip
    assert "湘西州" not in div.full["city"] and "湘西州" not in div.short["city"]
    assert parse_address("湖南省湘西州", divisions=div)["codes"].get("county") == "431201"


# -- cause 12: an intersection 'A与B交叉口/交汇处/路口' is two roads, never one 'A与B' ----------
@pytest.mark.parametrize(
    "text, road, cross",
    [
        ("湖北省武汉市江汉区解放大道与新华路交叉口", "解放大道", "新华路"),
        ("长沙市芙蓉区五一大道与芙蓉中路交汇处", "五一大道", "芙蓉中路"),
        ("深圳市福田区深南大道与华强北路交叉口", "深南大道", "华强北路"),
        ("江西省南昌市东湖区八一大道与中山路交叉口", "八一大道", "中山路"),
        ("成都市成华区成华大道与新鸿路", "成华大道", "新鸿路"),
        ("成都市成华区人民大道和解放路口", "人民大道", "解放路"),
        ("成都市成华区人民大道跟解放路路口", "人民大道", "解放路"),
        ("北京市朝阳区丰华路与沙河路交叉口", "丰华路", "沙河路"),
        ("广州市天河区天河路与体育东路交汇处", "天河路", "体育东路"),
    ],
)
def test_intersection_gives_two_roads(text, road, cross):
    r = parse_address(text)
    assert (r["road"], r["cross_road"]) == (road, cross)
    assert "与" not in r["road"] and "交" not in r["unplaced"]
    assert r["county"] is not None


@pytest.mark.parametrize(
    "text, road",
    [
        ("成都市成华区成华大道新鸿路8号", "成华大道新鸿路"),  # a branch of the 大道: one name
        ("成都市成华区成华大道和平街5号", "成华大道和平街"),  # 和平街 is a name, not 和 + 平街
    ],
)
def test_a_road_after_a_boulevard_without_a_joiner_stays_one_name(text, road):
    r = parse_address(text)
    assert r["road"] == road and r["cross_road"] is None


# -- cause 15: a retired name and a live namesake elsewhere: the written parent decides ----
@pytest.mark.parametrize(
    "text, county, city",
    [
        ("新疆乌鲁木齐市东山区", "米东区", "乌鲁木齐市"),
        ("新疆维吾尔自治区乌鲁木齐市东山区卡子湾路5号", "米东区", "乌鲁木齐市"),
        ("乌鲁木齐东山区", "米东区", "乌鲁木齐市"),
        ("广东省广州市东山区农林下路5号", "越秀区", "广州市"),
        ("广东东山区", "越秀区", "广州市"),
        ("黑龙江省鹤岗市东山区", "东山区", "鹤岗市"),
    ],
)
def test_written_parent_wins_over_a_namesake(text, county, city):
    r = parse_address(text)
    assert (r["city"], r["county"]) == (city, county)
    assert r["codes"]["county"].startswith(r["codes"]["city"])


@pytest.mark.parametrize("text", ["东山区", "东山区农林下路5号", "双桥区联合街道2组69号"])
def test_a_name_also_retired_elsewhere_abstains_without_a_parent(text):
    """东山区 is 鹤岗's today, but also Guangzhou's and Urumqi's of old: nothing written
    above it, so the candidates are listed, including the successors, and no code given."""
    r = parse_address(text)
    assert r["reason_code"] == "ambiguous" and "county" not in r["codes"]
    assert len(r["candidates"]["county"]) >= 2


def test_the_township_written_decides_between_namesakes():
    r = parse_address("东山区东山街道")  # 东山街道 lies in 越秀区 (the old 东山区 of Guangzhou)
    assert r["city"] == "广州市" and r["county"] == "越秀区"


def test_written_city_without_its_retired_unit_in_the_table_abstains():
    """Without the change list, 东山区 under 乌鲁木齐 is unplaced, never 鹤岗's."""
    rows = [(c, u.name) for c, u in DIV.units.items() if len(c) <= 6]
    div = Divisions(rows)
    for text in ("新疆乌鲁木齐市东山区", "广东省广州市东山区农林下路"):
        r = parse_address(text, divisions=div)
        assert r["county"] is None and r["city"] is not None
        assert "东山区" in r["unplaced"]
