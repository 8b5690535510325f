"""A side clause that names a place (新沙路以北的万科, A路以东，B路以南的东关村) is that side
*of the place*, never the whole land beyond the street; a place the map lacks leaves the rule
not closed (never the town); several places each get their own piece; words after the side
that name no place (以西2-172号) are reported, not dropped.  Parsed by the real parser, drawn
on the real 黄浦 streets (OSM extract in tests/basemap/data, ODbL)."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import box

from geo_enroll.basemap.layers import BaseMap
from geo_enroll.digitise import digitise
from geo_enroll.policy import parse_policy
from geo_enroll.policy.document import ParseContext
from geo_enroll.policy.scopes import scope_pieces

HEAD = "黄浦区（示例）2025年义务教育阶段小学招生划片范围\n\n"


def _pieces(text):
    return scope_pieces(text, ParseContext(county=None))


@pytest.mark.parametrize(
    "text,places",
    [
        ("新沙路以北的万科", ["万科"]),
        ("新沙路以北万科城", ["万科城"]),
        ("解放路以东，中山路以南的东关村", ["东关村"]),
        ("华海路以东、马鞍路以东的马鞍岭社区", ["马鞍岭社区"]),
        ("马塍路以东的日晖新村、建工新村住宅区", ["日晖新村", "建工新村"]),
        ("成绵高架以北海滨各村组", ["海滨"]),
        ("分水江以北桐君街道区块", ["桐君街道"]),
        ("解放路以东的东关村，中山路以南的西关村", ["东关村", "西关村"]),
    ],
)
def test_the_place_after_a_side_is_the_parent(text, places):
    pieces, left = _pieces(text)
    assert left == []
    assert [p["within"] for p in pieces] == places
    assert all(p["type"] == "bounds" and p["bounds"] for p in pieces)


@pytest.mark.parametrize(
    "text",
    [
        "解放路以南的区域",
        "解放路以南区域",
        "运河以西拱墅区域内户籍适龄儿童",  # the district the text is about
        "上塘高架以东本地户籍适龄儿童",
        "宝安大道以西至海边",  # how far, not a place
        "儒风街以南区域的小区、社区及股份经济合作社",  # every kind of place there
        "西乡大道以南的区域仅可报西乡实验学校（初中部）",  # a note, not a place
    ],
)
def test_words_that_name_no_place_leave_the_box_as_it_was(text):
    pieces, left = _pieces(text)
    assert left == [] and len(pieces) == 1
    assert pieces[0]["within"] is None and pieces[0]["bounds"]


@pytest.mark.parametrize(
    "text",
    [
        "一环路东二段以西2-172号",  # house numbers on one side: not a half-plane
        "解放路以东的东关村，中山路以南",  # sides after the last place: whose?
    ],
)
def test_unreadable_words_after_a_side_are_reported(text):
    pieces, left = _pieces(text)
    assert pieces == [] and left


def test_areas_joined_by_semicolons_are_separate():
    pieces, left = _pieces(
        "107国道以西，中心路以东，新沙路以北的新桥街道范围；中心路以西，宝安大道以东的新桥街道范围"
    )
    assert left == [] and len(pieces) == 2
    assert [len(p["bounds"]) for p in pieces] == [3, 2]


@pytest.fixture(scope="module")
def drawn(extract, crs):
    """示例花园小区 straddling 福州路 (a made-up compound, 300 m × 200 m) on the real streets."""
    streets = extract.streets.to_crs(crs)
    road = streets[streets["name"] == "福州路"].geometry.union_all()
    c = road.interpolate(0.5, normalized=True)
    poly = box(c.x - 150, c.y - 100, c.x + 150, c.y + 100)
    landmarks = gpd.GeoDataFrame(
        {"name": ["示例花园小区"], "kind": ["compound"]}, geometry=[poly], crs=crs
    )
    # a town around it all: a rule whose place is missing must not fall back to it
    town = gpd.GeoDataFrame(
        {"name": ["示例街道"], "kind": ["town"], "code": [""]},
        geometry=[box(*streets.total_bounds)],
        crs=crs,
    )
    basemap = BaseMap.from_layers(
        streets=extract.streets, landmarks=landmarks, areas=town, meta=extract.meta
    )
    spec = parse_policy(
        HEAD + "## 示例第六小学\n划片范围：福州路以南的示例花园小区。\n\n"
        "## 示例第七小学\n划片范围：福州路以南的不存在花园。\n"
    )
    return digitise(spec, basemap), poly, c, crs


def test_a_side_of_a_compound_is_cut_from_the_compound(drawn):
    result, poly, c, crs = drawn
    zones = result.zones.to_crs(crs)
    six = zones[zones["school"] == "示例第六小学"]
    assert len(six) == 1
    zone = six.geometry.iloc[0]
    assert zone.difference(poly.buffer(1.0)).area < 1.0  # inside the compound
    assert 0.2 * poly.area < zone.area < 0.8 * poly.area  # one side of 福州路 only
    assert zone.centroid.y < c.y + 5  # the south side


def test_a_place_the_map_lacks_is_not_closed_never_the_town(drawn):
    result, *_ = drawn
    assert not (result.zones["school"] == "示例第七小学").any()
    rule = next(r for r in result.rules if r["school"] == "示例第七小学")
    assert rule["status"] == "not_closed"
    assert any("不存在花园" in i["message"] for i in rule["issues"])


@pytest.mark.parametrize(
    "text,units,within",
    [
        ("壆岗社区、西荟城、新沙路以南的万科", ["壆岗社区", "西荟城"], ["万科"]),
        ("胜联社区、科技大道以北的青山社区（北）", ["胜联社区"], ["青山社区"]),
        ("蒋阳社区、朱村、科技大道以南的青山社区", ["蒋阳社区", "朱村"], ["青山社区"]),
        ("解放路、中山路以东的东关村", [], ["东关村"]),  # two streets, one side
    ],
)
def test_whole_places_listed_before_a_side_are_items_not_streets(text, units, within):
    pieces, left = _pieces(text)
    assert left == []
    assert [p["name"] for p in pieces if p["type"] != "bounds"] == units
    boxes = [p for p in pieces if p["type"] == "bounds"]
    assert [p["within"] for p in boxes] == within
    streets = {b["street"] for p in boxes for b in p["bounds"]}
    assert not streets & set(units)


@pytest.mark.parametrize(
    "text,within",
    [
        ("白石厦社区：（1）广深公路以西区域", "白石厦社区"),
        ("怀德社区：立新南路以东区域", "怀德社区"),
        ("宝昌镇：东至甲路，南至乙路，西至丙路，北至丁路", "宝昌镇"),
        ("宝昌镇东至甲路，南至乙路，西至丙路，北至丁路", "宝昌镇"),
    ],
)
def test_a_place_labelling_its_sides_is_their_parent(text, within):
    pieces, left = _pieces(text)
    assert left == [] and [p["within"] for p in pieces] == [within]


@pytest.mark.parametrize(
    "text",
    [
        "代招范围：蜀龙路以东、成绵高速以南、熊猫大道以西、湖山路以北区域",
        "招生范围：人民路以东区域",
    ],
)
def test_a_generic_label_is_no_place(text):
    pieces, left = _pieces(text)
    assert left == [] and len(pieces) == 1 and pieces[0]["within"] is None
    assert not any("范围" in b["street"] for b in pieces[0]["bounds"])
