"""Addresses from places the parser was not written for (成都, 杭州, 上海, every admin form).

The fixtures in ``tests/address/data`` (see its SOURCES.md) hold real road names, house numbers,
compound and village names from published zoning lists and OpenStreetMap; the official unit names
come from ``data/divisions``.  A representative set is checked part by part (expectations written
by hand); the bulk is checked for invariants: the county resolved and consistent with what was
written, the road kept whole (never split into a place), the house number numeric.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geo_enroll.address import load_divisions, normalize_address, parse_address

DIV = load_divisions()
DATA = Path(__file__).parent / "data"
# county as written in the fixtures → (province, city) as parents write them
WRITTEN = {
    "成华区": ("四川省", "成都市"),
    "新津区": ("四川省", "成都市"),
    "大邑县": ("四川省", "成都市"),
    "拱墅区": ("浙江省", "杭州市"),
}


def _county_code(city: str, county: str) -> str:
    """The official code of ``county`` under ``city`` (looked up in the table, not hard-coded)."""
    (city_code,) = [c for c in DIV.full["city"][city]]
    (code,) = [c for c in DIV.full["county"][county] if c.startswith(city_code)]
    return code


def _tsv(name):
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t")) for line in lines[1:]]


ZONING_ROADS = _tsv("zoning_roads.tsv")
ZONING_NUMBERS = _tsv("zoning_house_numbers.tsv")
ZONING_PLACES = _tsv("zoning_places.tsv")
HUANGPU = (DATA / "shanghai_huangpu_streets.txt").read_text(encoding="utf-8").split()
_COMPOUND_RE = re.compile(r"(?:小区|花园|家园|公寓|大厦|新村|苑)$")


def test_fixtures_are_present_and_sizeable():
    assert len(ZONING_ROADS) > 300 and len(ZONING_NUMBERS) > 500
    assert len(ZONING_PLACES) > 150 and len(HUANGPU) > 100
    assert {c for c, *_ in ZONING_ROADS} == set(WRITTEN)


# -- representative addresses, expectations by hand ------------------------------------------
# (text, county code, township name or None, road, house number, compound)
HAND = [
    # 成都 成华区 (zoning list), as parents write them
    ("成都市成华区双林路22号", "510108", None, "双林路", "22", None),
    ("成华区双林中横路6号北新苑3栋2单元501室", "510108", None, "双林中横路", "6", "北新苑"),
    ("四川成都成华区经华北路19号双华苑", "510108", None, "经华北路", "19", "双华苑"),
    ("成华区经华北路１９号", "510108", None, "经华北路", "19", None),
    ("成都成华区 双桥路 199号 聚乐苑", "510108", None, "双桥路", "199", "聚乐苑"),
    ("成华区双桥路南一街5号", "510108", None, "双桥路南一街", "5", None),
    ("成华区府青路东五街12号附近", "510108", None, "府青路东五街", "12", None),
    ("成华区长天路东一巷3号", "510108", None, "长天路东一巷", "3", None),
    ("成华区龙潭寺东路8号", "510108", None, "龙潭寺东路", "8", None),
    ("成华区猛追湾横街10号", "510108", None, "猛追湾横街", "10", None),
    ("成华区白莲池支路2号", "510108", None, "白莲池支路", "2", None),
    ("成华区新鸿南二巷7号之一", "510108", None, "新鸿南二巷", "7之1", None),
    ("成都市成华区双林南支路二十号", "510108", None, "双林南支路", "20", None),
    ("成华区水碾河路25号（蜀都惠园）", "510108", None, "水碾河路", "25", "蜀都惠园"),
    ("成都市成华区猛追湾街道双林路44号", "510108", "猛追湾街道", "双林路", "44", None),
    (
        "四川省成都市成华区龙潭街道成华大道新鸿路8号",
        "510108",
        "龙潭街道",
        "成华大道新鸿路",
        "8",
        None,
    ),
    ("成华区建设路街道建设北路一段9号", "510108", "建设路街道", "建设北路一段", "9", None),
    ("成都成华区双林路22", "510108", None, "双林路", "22", None),
    ("成华区保和街道东虹路8号", "510108", "保和街道", "东虹路", "8", None),
    # 成都 新津区, 大邑县
    ("成都市新津区五津东路12号", "510118", None, "五津东路", "12", None),
    ("新津区武阳中路3-5号", "510118", None, "武阳中路", "3-5", None),
    ("新津区花源街道青瓷路1号", "510118", "花源街道", "青瓷路", "1", None),
    ("成都市新津区迎宾大道100号对面", "510118", None, "迎宾大道", "100", None),
    ("大邑县晋原街道鹤翔大道9号", "510129", "晋原街道", "鹤翔大道", "9", None),
    ("大邑县安仁镇赵善村3组", "510129", "安仁镇", None, None, None),
    ("成都大邑县内蒙古大道8号", "510129", None, "内蒙古大道", "8", None),
    ("大邑县子龙街5号", "510129", None, "子龙街", "5", None),
    # 杭州 拱墅区
    ("杭州市拱墅区莫干山路350号", "330105", None, "莫干山路", "350", None),
    ("浙江杭州拱墅区湖墅北路88号2幢1单元302室", "330105", None, "湖墅北路", "88", None),
    ("拱墅区湖州街5号", "330105", None, "湖州街", "5", None),
    ("杭州拱墅区大关路100号浪琴翠苑", "330105", None, "大关路", "100", "浪琴翠苑"),
    ("拱墅区和睦路12号和新南苑", "330105", None, "和睦路", "12", "和新南苑"),
    # 上海 黄浦区: streets named after provinces and cities
    ("上海市黄浦区南京东路100号", "310101", None, "南京东路", "100", None),
    ("上海黄浦区西藏中路268号", "310101", None, "西藏中路", "268", None),
    ("黄浦区延安东路1号", "310101", None, "延安东路", "1", None),
    ("上海市黄浦区北京东路2号3号楼", "310101", None, "北京东路", "2", None),
    ("上海市黄浦区河南中路88号", "310101", None, "河南中路", "88", None),
    ("上海市黄浦区山西南路5号", "310101", None, "山西南路", "5", None),
    ("上海市黄浦区四川中路200号", "310101", None, "四川中路", "200", None),
    ("上海市黄浦区长沙路7号", "310101", None, "长沙路", "7", None),
    ("上海市黄浦区天津路100号", "310101", None, "天津路", "100", None),
    ("上海市黄浦区成都北路1号", "310101", None, "成都北路", "1", None),
    ("上海市黄浦区内蒙古路3号", "310101", None, "内蒙古路", "3", None),
    ("上海市黄浦区福州路30号", "310101", None, "福州路", "30", None),
    ("上海市黄浦区中山东一路1号", "310101", None, "中山东一路", "1", None),
    # other cities: roads that contain place names
    ("北京市朝阳区环河北路12号", "110105", None, "环河北路", "12", None),
    ("石家庄市长安区河北大街5号", "130102", None, "河北大街", "5", None),
    ("青岛市市南区山西路1号", "370202", None, "山西路", "1", None),
    ("南京市鼓楼区北京西路3号", "320106", None, "北京西路", "3", None),
    ("上海市静安区南京西路1266号", "310106", None, "南京西路", "1266", None),
    ("大连市中山区上海路5号", "210202", None, "上海路", "5", None),
    ("青岛市市北区长沙路10号", "370203", None, "长沙路", "10", None),
    ("成都市武侯区人民南路四段9号", "510107", None, "人民南路四段", "9", None),
    ("天津市和平区南京路219号", "120101", None, "南京路", "219", None),
    ("北京市海淀区中关村大街27号", "110108", None, "中关村大街", "27", None),
    # every admin form: 盟/旗/苏木/嘎查, 自治州/自治县, 林区, 特区, 直辖市
    ("太仆寺旗贡宝拉格苏木道海嘎查", "152527", "贡宝拉格苏木", None, None, None),
    ("内蒙古阿拉善盟阿拉善左旗巴彦浩特镇", "152921", "巴彦浩特镇", None, None, None),
    ("呼伦贝尔市鄂温克族自治旗巴彦托海镇", "150724", "巴彦托海镇", None, None, None),
    ("湖北省恩施土家族苗族自治州恩施市舞阳坝街道", "422801", "舞阳坝街道", None, None, None),
    ("湖北神农架林区松柏镇", "429021", "松柏镇", None, None, None),
    ("贵州省六盘水市六枝特区岩脚镇", "520203", "岩脚镇", None, None, None),
    ("河北省青龙满族自治县青龙镇", "130321", "青龙镇", None, None, None),
    ("重庆市渝中区解放碑街道民族路5号", "500103", "解放碑街道", "民族路", "5", None),
]


@pytest.mark.parametrize("text, county, township, road, number, compound", HAND)
def test_representative_addresses(text, county, township, road, number, compound):
    r = parse_address(text)
    assert r["codes"].get("county") == county, (r["county"], r["unplaced"])
    assert DIV.units[county].name == r["county"]
    assert r["township"] == township
    official = [c for c in DIV.full["township"].get(township, ()) if c.startswith(county)]
    if official:  # a township the table lists under this county: its code is resolved
        assert r["codes"]["township"] in official
    assert r["road"] == road
    assert r["house_number"] == number
    assert r["compound"] == compound
    # no road name leaked into the admin chain
    for level in ("province", "city", "county", "township"):
        if r[level] and road:
            assert r[level] not in road


def test_room_without_its_word_after_building_and_unit():
    r = parse_address("成华区北新苑小区3栋2单元501")
    assert r["compound"] == "北新苑小区" and (r["building"], r["unit"], r["room"]) == (
        "3",
        "2",
        "501",
    )
    assert r["unplaced"] == ""


def test_township_missing_from_the_table_is_kept_with_a_note():
    # 建设路街道 (成华区) is newer than the 2023 official list: kept as written, without a code
    r = parse_address("成华区建设路街道建设北路一段9号")
    assert "township" not in r["codes"] and any("建设路街道" in n for n in r["notes"])


def test_shanghai_lane_number_is_its_own_part():
    r = parse_address("上海市黄浦区南京东路123弄4号")
    assert r["unplaced"] == "" and (r["road"], r["lane"], r["house_number"]) == (
        "南京东路",
        "123",
        "4",
    )


def test_village_and_group_in_a_county_without_village_table():
    r = parse_address("大邑县安仁镇赵善村3组")
    assert r["village"] == "赵善村" and r["group"] == "3组" and r["group_number"] == 3
    assert "village" not in r["codes"]  # no official village table for 大邑县: no code invented


def test_house_building_unit_room():
    r = parse_address("浙江杭州拱墅区湖墅北路88号2幢1单元302室")
    assert (r["building"], r["unit"], r["room"]) == ("2", "1", "302")


# -- bulk invariants ---------------------------------------------------------------------------
def _check_road(text, road, county_code, number):
    r = parse_address(text)
    assert r["codes"].get("county") == county_code, (text, r["codes"], r["unplaced"])
    assert r["road"] == normalize_address(road), (text, r["road"], r["township"], r["unplaced"])
    assert r["house_number"] == number and number.replace("之", "").isdigit(), text
    return r


def test_zoning_roads_kept_whole_every_spelling():
    for county, road in ZONING_ROADS:
        province, city = WRITTEN[county]
        code = _county_code(city, county)
        _check_road(f"{city}{county}{road}12号", road, code, "12")
        _check_road(f"{county}{road}１２号", road, code, "12")
        _check_road(f"{province}{city}{county}，{road}3号之一", road, code, "3之1")
        _check_road(f"{province[:2]}{city[:2]}{county} {road}5号附近", road, code, "5")


def test_zoning_house_numbers_and_compounds():
    for county, road, number, compound in ZONING_NUMBERS:
        province, city = WRITTEN[county]
        code = _county_code(city, county)
        r = _check_road(
            f"{city}{county}{road}{number}号{compound}2栋1单元301室", road, code, number
        )
        assert (r["building"], r["unit"], r["room"]) == ("2", "1", "301")
        if _COMPOUND_RE.search(compound):
            assert r["compound"] == normalize_address(compound)


def test_huangpu_streets_never_become_places():
    (code,) = [c for c in DIV.full["county"]["黄浦区"] if c.startswith("31")]
    for i, road in enumerate(HUANGPU):
        n = str(i + 1)
        for text in (f"上海市黄浦区{road}{n}号", f"黄浦区{road}{n}号", f"上海黄浦区{road}{n}号"):
            r = _check_road(text, road, code, n)
            assert r["province"] == "上海市" and r["city"] is None


def test_zoning_places_resolve_under_their_county():
    for county, name in ZONING_PLACES:
        province, city = WRITTEN[county]
        code = _county_code(city, county)
        r = parse_address(f"{city}{county}{name}")
        assert r["codes"].get("county") == code, (name, r["codes"])
        assert r["road"] is None and r["house_number"] is None
        if r["codes"].get("township"):
            assert r["codes"]["township"].startswith(code)


# roads named after places, written after every county of the country (every admin form)
PLACE_ROADS = ("环河北路", "河北大街", "山西路", "北京东路", "南京西路", "上海路", "长沙路",
               "人民南路四段", "内蒙古大道", "西藏中路")  # fmt: skip


def _unique_county(code):
    """True when the county's written chain names one county only (no same-named sibling)."""
    unit = DIV.units[code]
    parent = code[:4]
    return len([c for c in DIV.full["county"].get(unit.name, ()) if c[:4] == parent]) == 1


COUNTIES = sorted(c for c, u in DIV.units.items() if u.level == "county" and _unique_county(c))


def test_place_named_roads_after_every_county():
    assert len(COUNTIES) > 2800
    for i, code in enumerate(COUNTIES):
        chain = [DIV.units[c].name for c in DIV.ancestors(code)]
        road = PLACE_ROADS[i % len(PLACE_ROADS)]
        number = str(i % 300 + 1)
        r = _check_road("".join(chain) + f"{road}{number}号", road, code, number)
        # the province and city written are the ones resolved
        assert r["province"] == chain[0]
        if len(chain) == 3:
            assert r["city"] == chain[1]


def test_townships_of_every_form_with_omitted_province_and_city():
    townships = sorted(c for c, u in DIV.units.items() if u.level == "township")
    for i, code in enumerate(townships[::7]):
        county, name = DIV.units[code[:6]], DIV.units[code].name
        if county.name not in DIV.full["county"] or len(DIV.full["county"][county.name]) > 1:
            continue  # a county name shared across the country needs its city: not this test
        if len(DIV.full["township"][normalize_address(name)]) > 1 and any(
            c != code and c[:6] == code[:6] for c in DIV.full["township"][normalize_address(name)]
        ):
            continue
        road = PLACE_ROADS[i % len(PLACE_ROADS)]
        r = parse_address(f"{county.name}{name}{road}{i + 1}号")
        assert r["codes"].get("county") == county.code, (county.name, name, r["codes"])
        assert r["codes"].get("township") == code, (county.name, name, r["unplaced"])
        assert r["road"] == road and r["house_number"] == str(i + 1)
