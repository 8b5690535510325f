"""Policy-style zone descriptions on real 黄浦区 streets (OpenStreetMap) digitise to the right blocks.

The blocks are checked against an independent answer: the quadrilateral whose corners are where
the raw OSM ways of neighbouring limits meet (or come closest), computed without the digitiser.
"""

from __future__ import annotations

import pytest
from shapely.geometry import Point, Polygon
from shapely.ops import nearest_points, unary_union

from geo_enroll.basemap.importers import import_osm
from geo_enroll.basemap.layers import utm_crs
from geo_enroll.digitise import digitise, load_spec
from tests.conftest import SHARED, need_shared

from .conftest import DATA

CLEAN = ["hp-p1-r01", "hp-p2-r01", "hp-p3-r01"]  # blocks whose four streets meet


@pytest.fixture(scope="module")
def extract():
    return import_osm(DATA / "huangpu_extract.osm")


@pytest.fixture(scope="module")
def spec():
    return load_spec(DATA / "huangpu_zones.toml")


def _limits(spec):
    return {z["rule_id"]: z["limits"] for s in spec["schools"] for z in s["zones"]}


def _corner_quad(streets, limits):
    ways = {
        side: unary_union(list(streets[streets["name"] == name].geometry))
        for side, name in limits.items()
    }
    corners = []
    for a, b in (("north", "east"), ("east", "south"), ("south", "west"), ("west", "north")):
        hit = ways[a].intersection(ways[b])
        corners.append(
            hit.centroid
            if not hit.is_empty
            else unary_union(nearest_points(ways[a], ways[b])).centroid
        )
    return Polygon([(p.x, p.y) for p in corners])


def test_real_blocks_match_their_corners(extract, spec):
    result = digitise(spec, extract)
    status = {r["rule_id"]: r["status"] for r in result.rules}
    assert all(status[r] == "ok" for r in CLEAN), status
    crs = utm_crs(extract.streets)
    zones = result.zones.to_crs(crs).set_index("rule_id").geometry
    streets = extract.streets.to_crs(crs)
    for rule_id in CLEAN:
        quad = _corner_quad(streets, _limits(spec)[rule_id])
        zone = zones[rule_id]
        iou = zone.intersection(quad).area / zone.union(quad).area
        assert iou > 0.8, (rule_id, iou)  # streets curve; the quadrilateral does not
        for x, y in quad.exterior.coords[:4]:  # the block's corners are the zone's corners
            assert zone.boundary.distance(Point(x, y)) < 25, (rule_id, x, y)
        assert zone.is_valid and zone.geom_type == "Polygon"


def test_dual_carriageways_are_one_limit(extract, spec):
    result = digitise(spec, extract)
    issues = [i for r in result.rules for i in r["issues"] if r["rule_id"] in CLEAN]
    merged = {i["street"] for i in issues if i["type"] == "parallel_lines"}
    assert {"延安东路", "西藏中路"} <= merged


def test_a_limit_that_stops_short_is_reported_not_hidden(extract, spec):
    result = digitise(spec, extract)
    rule = next(r for r in result.rules if r["rule_id"] == "hp-p4-r01")
    assert rule["status"] == "closed_with_issues"
    gaps = [i for i in rule["issues"] if i["type"] == "gap_not_closed"]
    assert any("黄陂北路" in i["street"] and "南京西路" in i["street"] for i in gaps)


def test_the_full_osm_file_gives_the_same_blocks(extract, spec):
    path = need_shared(SHARED / "reference" / "streets-dev" / "shanghai_huangpu.osm")
    full = import_osm(path)
    assert len(full.streets) == 796
    a = digitise(spec, full).zones.set_index("rule_id").geometry
    b = digitise(spec, extract).zones.set_index("rule_id").geometry
    for rule_id in CLEAN:
        assert a[rule_id].intersection(b[rule_id]).area / a[rule_id].union(b[rule_id]).area > 0.99
