"""Directional bounds (X路以东，Y路以南…) on real 黄浦区 streets, parsed from policy-style text.

The policy text below is written for these tests in the style of the 杭州拱墅区 zoning
(``../shared/reference/zoning-dev/hangzhou_gongshu_c2019.md``): four-sided 以东/以西/以南/以北
boxes, a union of numbered boxes, a (除…小区) exclusion, two streets forming one side
(西藏中路与西藏南路以东) and a 所围成的区域.  It goes through the real parser
(``geo_enroll.policy.parse_policy``) and then the digitiser, so the parser→digitiser contract
is tested on real streets.  Each block is checked against an answer computed without the
digitiser: the quadrilateral whose corners are where the raw OSM ways of neighbouring bounds
meet (``test_real_streets._corner_quad``).
"""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point, box
from shapely.ops import unary_union

from geo_enroll.basemap.layers import BaseMap
from geo_enroll.digitise import digitise
from geo_enroll.policy import parse_policy, validate_spec
from tests.conftest import SHARED, need_shared

from .test_real_streets import _corner_quad

POLICY = """黄浦区（示例）2025年义务教育阶段小学招生划片范围

## 示例第一小学
划片范围：西藏中路以东，河南中路以西，福州路以南，延安东路以北区域。

## 示例第二小学
划片范围：1.浙江中路以东，福建中路以西，九江路以南，汉口路以北；2.福建中路以东，河南中路以西，九江路以南，汉口路以北。

## 示例第三小学
划片范围：西藏南路以东，河南南路以西，延安东路以南，复兴东路以北区域(除示例花园小区)。

## 示例第四小学
划片范围：西藏中路与西藏南路以东，河南中路与河南南路以西，福州路以南，复兴东路以北。

## 示例第五小学
划片范围：由福州路以南、河南中路以西、延安东路以北、西藏中路以东所围成的区域。
"""

BOX_SIDES = {"east_of": "west", "west_of": "east", "north_of": "south", "south_of": "north"}


@pytest.fixture(scope="module")
def spec():
    return parse_policy(POLICY)


@pytest.fixture(scope="module")
def rules(spec):
    """school name -> its directional_bounds rules, in order."""
    return {
        s["name"]: [z for z in s["zones"] if z["kind"] == "directional_bounds"]
        for s in spec["schools"]
    }


def _compound(extract, crs, rule_zone):
    """A made-up 示例花园小区 (150 m x 100 m) in the middle of a block of the extract."""
    c = rule_zone.representative_point()
    poly = box(c.x - 75, c.y - 50, c.x + 75, c.y + 50)
    landmarks = gpd.GeoDataFrame(
        {"name": ["示例花园小区"], "kind": ["compound"]}, geometry=[poly], crs=crs
    )
    return (
        BaseMap.from_layers(streets=extract.streets, landmarks=landmarks, meta=extract.meta),
        poly,
    )


@pytest.fixture(scope="module")
def result(extract, spec, crs):
    first = digitise(spec, extract)
    block3 = first.zones.to_crs(crs).set_index("rule_id").geometry
    rule3 = next(r["rule_id"] for r in first.rules if r["school"] == "示例第三小学")
    basemap, compound = _compound(extract, crs, block3[rule3])
    return digitise(spec, basemap), compound


def _zones(result, crs):
    return result.zones.to_crs(crs).set_index("rule_id").geometry


def _quad_of(rule, streets):
    # the parser leaves the preposition of "由福州路以南…所围成的区域" on the street name
    limits = {BOX_SIDES[b["side"]]: b["street"].removeprefix("由") for b in rule["bounds"]}
    return _corner_quad(streets, limits)


def test_the_parser_emits_directional_bounds_the_schema_accepts(spec, rules):
    assert validate_spec(spec) == []
    assert {n: len(r) for n, r in rules.items()} == {
        "示例第一小学": 1,
        "示例第二小学": 2,  # 1.… ；2.… : a union of two boxes
        "示例第三小学": 1,
        "示例第四小学": 1,
        "示例第五小学": 1,
    }
    for rs in rules.values():
        for r in rs:
            assert {b["side"] for b in r["bounds"]} == set(BOX_SIDES)  # four sides each
    assert rules["示例第五小学"][0]["surrounded"] is True


def test_four_sided_boxes_digitise_to_the_right_blocks(result, rules, extract, crs):
    res, _ = result
    zones = _zones(res, crs)
    status = {r["rule_id"]: r["status"] for r in res.rules}
    streets = extract.streets.to_crs(crs)
    checked = 0
    for name in ("示例第一小学", "示例第二小学", "示例第五小学"):
        for rule in rules[name]:
            rid = rule["rule_id"]
            assert status[rid] in ("ok", "closed_with_issues"), (rid, status[rid])
            zone = zones[rid]
            assert zone.is_valid and zone.geom_type == "Polygon"
            quad = _quad_of(rule, streets)
            iou = zone.intersection(quad).area / zone.union(quad).area
            assert iou > 0.8, (rid, iou)
            for x, y in quad.exterior.coords[:4]:
                assert zone.boundary.distance(Point(x, y)) < 25, (rid, x, y)
            checked += 1
    assert checked == 4
    rows = res.zones.set_index("rule_id")
    for name in ("示例第一小学", "示例第二小学"):
        for rule in rules[name]:
            assert rows.loc[rule["rule_id"], "school"] == name
            assert rows.loc[rule["rule_id"], "source"] == rule["source"]["text"]


def test_directional_box_equals_the_same_street_limits_box(result, rules, crs, extract):
    """西藏中路以东，河南中路以西… and 东至河南中路，西至西藏中路… are one block."""
    res, _ = result
    rule = rules["示例第一小学"][0]
    limits = {BOX_SIDES[b["side"]]: b["street"] for b in rule["bounds"]}
    twin = {
        "schools": [
            {
                "id": "t",
                "name": "t",
                "level": "primary",
                "zones": [
                    {
                        "rule_id": "t-r01",
                        "kind": "street_limits",
                        "within": None,
                        "limits": limits,
                        "source": {"text": "t", "line": 1},
                    }
                ],
            }
        ]
    }
    a = _zones(res, crs)[rule["rule_id"]]
    b = digitise(twin, extract).zones.to_crs(crs).geometry.iloc[0]
    assert a.intersection(b).area / a.union(b).area > 0.99


def test_surrounded_area_is_the_same_block(result, rules, crs):
    """…所围成的区域, sides in another order, is 示例第一小学's block."""
    zones = _zones(result[0], crs)
    a = zones[rules["示例第一小学"][0]["rule_id"]]
    b = zones[rules["示例第五小学"][0]["rule_id"]]
    assert a.intersection(b).area / a.union(b).area > 0.999


def test_numbered_boxes_are_a_union_without_overlap(result, rules, crs):
    res, _ = result
    zones = _zones(res, crs)
    a, b = (zones[r["rule_id"]] for r in rules["示例第二小学"])
    assert a.intersection(b).area < 0.005 * min(a.area, b.area)  # they share 福建中路
    union = unary_union([a, b])
    assert union.geom_type == "Polygon"  # side by side: one piece of land
    assert abs(union.area - a.area - b.area) < 0.005 * union.area


def test_exclusion_note_is_cut_out(result, rules, crs, extract):
    res, compound = result
    rid = rules["示例第三小学"][0]["rule_id"]
    rule = next(r for r in res.rules if r["rule_id"] == rid)
    assert rule["status"] == "ok", rule["issues"]
    zone = _zones(res, crs)[rid]
    assert not zone.contains(compound.centroid)
    quad = _quad_of(rules["示例第三小学"][0], extract.streets.to_crs(crs))
    assert zone.area == pytest.approx(zone.union(compound).area - compound.area, rel=1e-6)
    assert (
        zone.union(compound).intersection(quad).area / zone.union(compound).union(quad).area > 0.8
    )


def test_two_streets_on_one_side_are_one_limit(result, rules, crs):
    """西藏中路与西藏南路以东: the west edge follows both streets (they meet at 延安东路)."""
    res, compound = result
    zones = _zones(res, crs)
    rid = rules["示例第四小学"][0]["rule_id"]
    rule = next(r for r in res.rules if r["rule_id"] == rid)
    assert rule["status"] in ("ok", "closed_with_issues")
    assert sum(i["type"] == "chain" for i in rule["issues"]) == 2  # west and east sides
    chained = zones[rid]
    # the same land as the two boxes split at 延安东路: 福州路-延安东路 (示例第一小学) and
    # 延安东路-复兴东路 (示例第三小学, whose excluded compound 示例第四小学 keeps)
    north = zones[rules["示例第一小学"][0]["rule_id"]]
    south = zones[rules["示例第三小学"][0]["rule_id"]]
    parts = unary_union([north, south, compound])
    iou = chained.intersection(parts).area / chained.union(parts).area
    assert iou > 0.97, iou
    # a single-street reading of either side would lose one of the boxes
    assert chained.area > 0.97 * (north.area + south.area + compound.area)


def test_open_bounds_without_a_parent_do_not_close_and_say_why(extract):
    spec = _one_rule(
        {"kind": "directional_bounds", "within": None, "bounds": _b("浙江中路", "east_of")}
    )
    rule = digitise(spec, extract).rules[0]
    assert rule["status"] == "not_closed"
    assert "西" in rule["issues"][-1]["message"] and "parent" in rule["issues"][-1]["message"]


def _b(street, side):
    return [{"street": street, "side": side}]


def _one_rule(zone):
    zone = {"rule_id": "x-r01", "source": {"text": "test", "line": 1}, **zone}
    return {"schools": [{"id": "x", "name": "x", "level": "primary", "zones": [zone]}]}


@pytest.fixture(scope="module")
def with_parent(extract, crs):
    """The extract with a made-up community (示例社区) around 人民广场 as a parent area."""
    streets = extract.streets.to_crs(crs)
    minx, miny, maxx, maxy = streets.total_bounds
    parent = box(minx + 300, miny + 300, maxx - 300, maxy - 300)
    areas = gpd.GeoDataFrame(
        {"name": ["示例社区"], "kind": ["community"]}, geometry=[parent], crs=crs
    )
    bm = BaseMap.from_layers(streets=extract.streets, areas=areas, meta=extract.meta)
    return bm, parent


def test_open_bounds_close_inside_their_parent(with_parent, crs, extract):
    bm, parent = with_parent
    bounds = _b("西藏中路", "east_of") + _b("延安东路", "north_of")
    res = digitise(
        _one_rule({"kind": "directional_bounds", "within": "示例社区", "bounds": bounds}), bm
    )
    assert res.rules[0]["status"] in ("ok", "closed_with_issues"), res.rules[0]["issues"]
    zone = res.zones.to_crs(crs).geometry.iloc[0]
    streets = extract.streets.to_crs(crs)
    east = unary_union(list(streets[streets["name"] == "河南中路"].geometry))
    west = unary_union(list(streets[streets["name"] == "黄陂北路"].geometry))
    inside = parent.intersection(east.buffer(5))
    outside = parent.intersection(west.buffer(5))
    assert zone.intersection(inside).area > 0.5 * inside.area  # east of 西藏中路: in
    assert zone.intersection(outside).area < 0.01 * outside.area  # west of it: out
    assert zone.within(parent.buffer(0.01))


def test_negated_bounds_keep_the_rest_of_the_parent(with_parent, crs):
    """除西藏中路以东以外的区域: the parent minus the land east of 西藏中路."""
    bm, parent = with_parent
    plain = _one_rule(
        {"kind": "directional_bounds", "within": "示例社区", "bounds": _b("西藏中路", "east_of")}
    )
    negated = _one_rule(
        {
            "kind": "directional_bounds",
            "within": "示例社区",
            "bounds": _b("西藏中路", "east_of"),
            "negate": True,
        }
    )
    a = digitise(plain, bm).zones.to_crs(crs).geometry.iloc[0]
    b = digitise(negated, bm).zones.to_crs(crs).geometry.iloc[0]
    assert a.intersection(b).area < 1.0
    assert a.union(b).area == pytest.approx(parent.area, rel=1e-4)


def test_swapped_bounds_are_reported_not_drawn(extract):
    bounds = (
        _b("河南中路", "east_of")
        + _b("西藏中路", "west_of")
        + _b("福州路", "south_of")
        + _b("延安东路", "north_of")
    )
    res = digitise(_one_rule({"kind": "directional_bounds", "bounds": bounds}), extract)
    assert res.rules[0]["status"] == "not_closed" and len(res.zones) == 0


def test_unknown_street_in_bounds_is_unresolved_with_candidates(extract):
    bounds = _b("西藏路", "east_of") + _b("河南中路", "west_of")
    bounds += _b("福州路", "south_of") + _b("延按东路", "north_of")
    res = digitise(_one_rule({"kind": "directional_bounds", "bounds": bounds}), extract)
    assert res.rules[0]["status"] == "unresolved" and len(res.zones) == 0
    missing = {u["name"]: u["candidates"] for u in res.unresolved}
    assert "延按东路" in missing and "延安东路" in missing["延按东路"]


def test_gongshu_exclusions_and_chains_reach_the_digitiser():
    """On the real 拱墅区 text the parser keeps (除昆仑公馆小区) and 古运路—小河路—登云路 in
    the rule; the digitiser reads them (notes and chains) — checked without a Hangzhou map."""
    from geo_enroll.digitise import _EXCLUDE_NOTE, _chain_parts, _notes

    path = need_shared(SHARED / "reference" / "zoning-dev" / "hangzhou_gongshu_c2019.md")
    spec = parse_policy(path.read_text(encoding="utf-8"))
    rules = [z for s in spec["schools"] for z in s["zones"] if z["kind"] == "directional_bounds"]
    assert len(rules) >= 10
    excluded = {n for r in rules for n in _notes(r.get("fragment", ""), _EXCLUDE_NOTE)}
    assert "昆仑公馆小区" in excluded
    chains = {b["street"]: _chain_parts(b["street"]) for r in rules for b in r["bounds"]}
    assert chains["古运路—小河路—登云路"] == ["古运路", "小河路", "登云路"]
    assert all(len(p) >= 2 for parts in chains.values() for p in parts)
