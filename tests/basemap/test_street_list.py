"""Street lists (福州路（单号1号-99号）, 九江路两侧, 西藏中路（东侧）) drawn on real 黄浦区 streets.

The policy text is written for these tests in the style of the 成都成华区 2025 zoning
(``../shared/reference/zoning-dev/chengdu_chenghua_2025.md``) and goes through the real parser.
OpenStreetMap has no house-number ranges, so the plain extract draws whole streets (and says
so); a copy whose 福州路 ways carry ranges (house number = metres from the street's west end,
as an address-range base map would give) checks the numbered stretch and the 单号/双号 side.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import shapely
import shapely.ops
from shapely.geometry import LineString, Point
from shapely.ops import unary_union

from geo_enroll.basemap.importers import import_osm
from geo_enroll.basemap.layers import BaseMap
from geo_enroll.diagnostics import build_report
from geo_enroll.digitise import digitise
from geo_enroll.policy import parse_policy, validate_spec
from geo_enroll.settings import DEFAULT_SETTINGS
from tests.conftest import SHARED, need_shared

from .conftest import DATA

POLICY = """黄浦区（示例）2025年小学招生划片范围

## 示例第七小学
- 福州路（单号1号-99号）：1号、3号、5号
- 福州路（双号2号-98号）：2号、4号
- 九江路两侧
- 西藏中路（东侧）：100号、120号
- 汉口路（一侧）：10号、12号
"""
DEPTH = DEFAULT_SETTINGS.street_list_depth_m


@pytest.fixture(scope="module")
def spec():
    return parse_policy(POLICY)


@pytest.fixture(scope="module")
def rule_of(spec):
    """fragment prefix -> rule id."""
    zones = [z for s in spec["schools"] for z in s["zones"]]
    return lambda prefix: next(z["rule_id"] for z in zones if z["fragment"].startswith(prefix))


def _street(basemap, crs, name):
    s = basemap.streets.to_crs(crs)
    return unary_union(list(s[s["name"] == name].geometry))


def _axis(line_geom):
    """West-to-east axis of a street (its westmost to its eastmost point)."""
    xy = np.vstack([np.asarray(g.coords) for g in getattr(line_geom, "geoms", [line_geom])])
    return LineString([xy[xy[:, 0].argmin()], xy[xy[:, 0].argmax()]])


@pytest.fixture(scope="module")
def numbered(extract, crs):
    """The extract with house-number ranges on 福州路: number = 1 + metres from its west end."""
    streets = extract.streets.to_crs(crs).copy()
    axis = _axis(_street(extract, crs, "福州路"))
    mask = streets["name"] == "福州路"
    streets.loc[mask, "from_number"] = [
        1 + int(axis.project(Point(g.coords[0]))) for g in streets.loc[mask].geometry
    ]
    streets.loc[mask, "to_number"] = [
        1 + int(axis.project(Point(g.coords[-1]))) for g in streets.loc[mask].geometry
    ]
    return BaseMap.from_layers(streets=streets, meta=extract.meta), axis


def _zone(result, crs, rule_id):
    return result.zones.to_crs(crs).set_index("rule_id").geometry[rule_id]


def _rule(result, rule_id):
    return next(r for r in result.rules if r["rule_id"] == rule_id)


def test_the_parser_emits_street_lists_the_schema_accepts(spec):
    assert validate_spec(spec) == []
    zones = spec["schools"][0]["zones"]
    assert [z["kind"] for z in zones] == ["street_list"] * 5
    assert zones[0]["numbers"] | {"list": None} == {
        "from": 1,
        "to": 99,
        "parity": "odd",
        "list": None,
    }
    assert zones[2]["numbers"] is None and zones[2]["sides"] == "both"
    assert zones[4]["sides"] == "one"


def test_whole_streets_when_the_map_has_no_house_numbers(extract, spec, crs, rule_of):
    result = digitise(spec, extract)
    both = _rule(result, rule_of("九江路"))
    # the extract maps 九江路 in pieces (its pedestrian stretch is missing): drawn as mapped,
    # and the stretches without the street are reported, never a silent ok
    assert both["status"] == "closed_with_issues"
    assert any(i["type"] == "gap_not_closed" for i in both["issues"])
    zone = _zone(result, crs, both["rule_id"])
    street = _street(extract, crs, "九江路")
    # every point of the street is in the zone, the zone reaches no farther than the depth
    assert street.difference(zone.buffer(0.5)).length < 0.01 * street.length
    assert zone.difference(street.buffer(DEPTH + 0.5)).area < 1.0
    assert zone.area > DEPTH * street.length * 0.9  # both sides, roughly 2 x depth x length
    odd_id, even_id = rule_of("福州路（单号"), rule_of("福州路（双号")
    odd, even = _rule(result, odd_id), _rule(result, even_id)
    for r in (odd, even):  # one side each by the policy's rule, said so; numbers not placed
        assert r["status"] == "closed_with_issues"
        types = {i["type"] for i in r["issues"]}
        assert {"numbering_assumed", "numbers_not_placed"} <= types, types
    note = next(i for i in odd["issues"] if i["type"] == "numbering_assumed")
    assert "福州路" in note["message"] and "左单右双" in note["message"]
    a, b = _zone(result, crs, odd_id), _zone(result, crs, even_id)
    street = _street(extract, crs, "福州路")
    assert a.intersection(b).area < 0.01 * a.area  # opposite sides, not both sides twice
    assert a.area == pytest.approx(DEPTH * _axis(street).length, rel=0.25)
    summary = build_report(result)["summary"]
    assert "福州路" in summary and "house numbers" in summary


def test_numbered_stretch_on_the_odd_and_even_sides(numbered, spec, crs, rule_of):
    basemap, axis = numbered
    result = digitise(spec, basemap)
    odd_id, even_id = rule_of("福州路（单号"), rule_of("福州路（双号")
    assert _rule(result, odd_id)["status"] == "ok", _rule(result, odd_id)["issues"]
    odd, even = _zone(result, crs, odd_id), _zone(result, crs, even_id)
    # the stretch of numbers 1-99 is the first ~100 m of the street, not the whole street
    along = [axis.project(Point(p)) for p in shapely.get_coordinates(odd)]
    assert odd.geom_type == "Polygon"
    assert min(along) > -DEPTH and max(along) < 99 + DEPTH
    assert odd.area == pytest.approx(DEPTH * 98, rel=0.25)
    # odd numbers on the left of increasing numbers (左单右双): north of an east-running street
    (x0, y0), (x1, y1) = axis.coords

    def left(g):
        c = g.centroid
        return (x1 - x0) * (c.y - y0) - (y1 - y0) * (c.x - x0) > 0

    assert left(odd) and not left(even)
    assert odd.intersection(even).area < 0.01 * odd.area
    swapped = digitise(
        spec, basemap, settings=replace(DEFAULT_SETTINGS, street_list_odd_side="right")
    )
    odd_right = _zone(swapped, crs, odd_id)
    assert odd_right.intersection(even).area / odd_right.union(even).area > 0.9


def test_depth_is_the_setting(numbered, spec, crs, rule_of):
    basemap, _ = numbered
    rid = rule_of("福州路（单号")
    a = _zone(digitise(spec, basemap), crs, rid)
    b = _zone(
        digitise(spec, basemap, settings=replace(DEFAULT_SETTINGS, street_list_depth_m=DEPTH / 2)),
        crs,
        rid,
    )
    assert b.area == pytest.approx(a.area / 2, rel=0.1)


def test_a_named_side_and_an_unnamed_one(extract, spec, crs, rule_of):
    result = digitise(spec, extract)
    east = _zone(result, crs, rule_of("西藏中路"))
    street = _street(extract, crs, "西藏中路")
    assert east.centroid.x > street.centroid.x
    # no part of the strip lies west of the street (beyond the half-width of its carriageways)
    for x, y in shapely.get_coordinates(east):
        nearest = shapely.ops.nearest_points(street, Point(x, y))[0]
        assert x - nearest.x > -20, (x, y)
    assert east.area == pytest.approx(DEPTH * _axis(street).length, rel=0.2)
    unnamed = _rule(result, rule_of("汉口路"))
    assert any(i["type"] == "side_unknown" for i in unnamed["issues"])


def test_numbers_outside_the_map_and_unknown_streets_are_reported(numbered, crs):
    basemap, _ = numbered
    zones = [
        {
            "kind": "street_list",
            "street": "福州路",
            "numbers": {"from": 5001, "to": 5099, "parity": "odd"},
            "sides": "both",
        },
        {"kind": "street_list", "street": "福洲路", "numbers": None, "sides": "both"},
    ]
    spec = {
        "schools": [
            {
                "id": "x",
                "name": "x",
                "level": "primary",
                "zones": [
                    {"rule_id": f"x-r0{i}", "source": {"text": "t", "line": 1}, **z}
                    for i, z in enumerate(zones)
                ],
            }
        ]
    }
    result = digitise(spec, basemap)
    assert [r["status"] for r in result.rules] == ["not_closed", "unresolved"]
    assert "5001-5099" in result.rules[0]["issues"][-1]["message"]
    assert "福州路" in result.unresolved[0]["candidates"]
    assert len(result.zones) == 0


def test_chenghua_street_lists_all_reach_a_decision():
    """Every street_list the parser finds in the real 成华区 text is drawn, unresolved or
    not closed — never silently skipped (here no street is on the map: all unresolved)."""
    path = need_shared(SHARED / "reference" / "zoning-dev" / "chengdu_chenghua_2025.md")
    spec = parse_policy(path.read_text(encoding="utf-8"))
    lists = [z for s in spec["schools"] for z in s["zones"] if z["kind"] == "street_list"]
    assert len(lists) > 100
    for s in spec["schools"]:
        s["zones"] = [z for z in s["zones"] if z["kind"] == "street_list"]
    result = digitise(spec, import_osm(DATA / "huangpu_extract.osm"))
    statuses = {r["status"] for r in result.rules}
    assert statuses == {"unresolved"}
    assert len(result.rules) == len(lists)


def test_a_compound_excluded_from_a_street_is_taken_out(extract, crs):
    """九江路两侧（不含示例花园）: the compound's polygon is cut out of the frontage (the
    exclusion was kept in the spec and never applied: the compound's homes were in the zone);
    an excluded name the map does not have is reported unresolved, the street still drawn."""
    import geopandas as gpd

    street = _street(extract, crs, "九江路")
    mid = street.interpolate(0.5, normalized=True)
    garden = mid.buffer(30.0)
    landmarks = gpd.GeoDataFrame(
        {"name": ["示例花园"], "kind": ["residential"]}, geometry=[garden], crs=crs
    )
    basemap = BaseMap.from_layers(
        streets=extract.streets.to_crs(crs), landmarks=landmarks, meta=extract.meta
    )
    spec = parse_policy(
        "黄浦区（示例）2025年小学招生划片范围\n\n## 示例第八小学\n"
        "- 九江路两侧（不含示例花园）\n- 汉口路两侧（不含无此小区）\n"
    )
    zones = [z for s in spec["schools"] for z in s["zones"]]
    assert [z["exclude"] for z in zones] == [["示例花园"], ["无此小区"]]
    result = digitise(spec, basemap)
    cut = _zone(result, crs, zones[0]["rule_id"])
    assert cut.intersection(garden).area < 1.0
    assert cut.area > 0
    other = _rule(result, zones[1]["rule_id"])
    assert other["status"] == "unresolved"
    assert any(u["name"] == "无此小区" for u in result.unresolved)
    assert not _zone(result, crs, zones[1]["rule_id"]).is_empty
