"""Enclosed areas (A、B、C、D所围成的区域, streets named without sides) on real 黄浦区 streets.

The policy text below is written for these tests: the streets of each area are listed in no
particular order and without 以东/以西, so the parser emits ``directional_bounds`` with
``bounded_by`` and no ``bounds``, and the digitiser has to find the block the streets enclose.
Each enclosed block is checked against the same block written as four street limits
(``data/huangpu_zones.toml``: 东至…南至…西至…北至…), whose sides are given.  Real-map problems
(a street that does not touch the block, a street that stops short) are made by naming a far
street or trimming one of the extract, and must be reported, not drawn.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box
from shapely.ops import unary_union

from geo_enroll.basemap.importers import import_osm
from geo_enroll.basemap.layers import BaseMap
from geo_enroll.digitise import digitise, load_spec
from geo_enroll.policy import parse_policy, validate_spec
from tests.conftest import SHARED, need_shared

from .conftest import DATA
from .test_real_streets import _corner_quad

POLICY = """黄浦区（示例）2025年义务教育阶段小学招生划片范围
示例第一小学：西藏中路、延安东路、河南中路、福州路所围成的区域。
示例第二小学：复兴东路、河南南路、延安东路、西藏南路所围成的区域。
示例第三小学：九江路、福建中路、福州路、浙江中路所围成的区域。
示例第四小学：西藏中路、延安东路、河南中路、福州路、复兴东路所围成的区域。
示例第五小学：福州路、河南中路、延安东路、西藏中路所围成的区域（除示例花园小区）。
"""

# enclosed area -> the same block as street limits (huangpu_zones.toml)
TWINS = {"示例第一小学": "hp-p1-r01", "示例第二小学": "hp-p2-r01", "示例第三小学": "hp-p3-r01"}


@pytest.fixture(scope="module")
def spec():
    return parse_policy(POLICY)


@pytest.fixture(scope="module")
def rule_of(spec):
    """school name -> its one zone rule."""
    return {s["name"]: s["zones"][0] for s in spec["schools"]}


@pytest.fixture(scope="module")
def compound(extract, crs):
    """A made-up 示例花园小区 (120 m x 80 m) inside the 西藏中路/福州路/河南中路/延安东路 block,
    placed from the block's corners (not from the digitiser)."""
    limits = {"east": "河南中路", "south": "延安东路", "west": "西藏中路", "north": "福州路"}
    c = _corner_quad(extract.streets.to_crs(crs), limits).representative_point()
    return box(c.x - 60, c.y - 40, c.x + 60, c.y + 40)


@pytest.fixture(scope="module")
def result(extract, spec, crs, compound):
    landmarks = gpd.GeoDataFrame(
        {"name": ["示例花园小区"], "kind": ["compound"]}, geometry=[compound], crs=crs
    )
    bm = BaseMap.from_layers(streets=extract.streets, landmarks=landmarks, meta=extract.meta)
    return digitise(spec, bm)


@pytest.fixture(scope="module")
def twins(extract, crs):
    res = digitise(load_spec(DATA / "huangpu_zones.toml"), extract)
    return res.zones.to_crs(crs).set_index("rule_id").geometry


def _rule(res, rule_id):
    return next(r for r in res.rules if r["rule_id"] == rule_id)


def _zone(res, rule_id, crs):
    rows = res.zones[res.zones["rule_id"] == rule_id]
    assert len(rows) == 1, (rule_id, len(rows))
    return rows.to_crs(crs).geometry.iloc[0]


def test_the_parser_emits_enclosing_streets_without_sides(spec, rule_of):
    assert validate_spec(spec) == []
    for rule in rule_of.values():
        assert rule["kind"] == "directional_bounds"
        assert rule["bounds"] == [] and rule["surrounded"] is True
        assert len(rule["bounded_by"]) >= 4
    assert rule_of["示例第五小学"]["exclude"] == ["示例花园小区"]


@pytest.mark.parametrize("school", sorted(TWINS))
def test_enclosed_block_equals_the_same_block_as_street_limits(result, rule_of, twins, crs, school):
    rule = rule_of[school]
    entry = _rule(result, rule["rule_id"])
    assert entry["status"] == "ok", entry["issues"]
    zone = _zone(result, rule["rule_id"], crs)
    twin = twins[TWINS[school]]
    assert zone.is_valid and zone.geom_type == "Polygon"
    assert zone.symmetric_difference(twin).area < 0.001 * twin.area
    assert zone.hausdorff_distance(twin) < 1.0
    row = result.zones.set_index("rule_id").loc[rule["rule_id"]]
    assert row["school"] == school and row["source"] == rule["source"]["text"]


def test_dual_carriageways_are_one_street(result, rule_of):
    """延安东路 (elevated road and carriageways) and 复兴东路 are mapped as several lines."""
    entry = _rule(result, rule_of["示例第二小学"]["rule_id"])
    merged = {i["street"] for i in entry["issues"] if i["type"] == "parallel_lines"}
    assert {"延安东路", "复兴东路"} <= merged


def test_a_street_that_does_not_touch_the_block_is_reported(result, rule_of):
    rid = rule_of["示例第四小学"]["rule_id"]
    entry = _rule(result, rid)
    assert entry["status"] == "not_closed"
    assert rid not in set(result.zones["rule_id"])  # nothing guessed
    away = [i for i in entry["issues"] if i["type"] == "street_not_bounding"]
    assert [i["street"] for i in away] == ["复兴东路"]  # only the far street is blamed
    assert "m away" in away[0]["message"]


def test_exclusion_is_cut_out_of_the_block(result, rule_of, twins, crs, compound):
    rid = rule_of["示例第五小学"]["rule_id"]
    entry = _rule(result, rid)
    assert entry["status"] == "ok", entry["issues"]
    zone = _zone(result, rid, crs)
    block = twins["hp-p1-r01"]
    assert compound.within(block)
    assert not zone.contains(compound.centroid)
    assert zone.area == pytest.approx(block.area - compound.area, rel=1e-4)
    assert zone.difference(block).area < 1.0


def _trimmed(extract, crs, street, at, metres):
    """The extract with ``street`` ending ``metres`` before where it crosses ``at`` (the rest
    of it beyond that crossing removed)."""
    streets = extract.streets.to_crs(crs)
    crossing = unary_union(list(streets[streets["name"] == street].geometry)).intersection(
        unary_union(list(streets[streets["name"] == at].geometry))
    )
    assert not crossing.is_empty
    x = crossing.centroid
    keep = []
    for geom in streets.geometry[streets["name"] == street]:
        rest = geom.difference(x.buffer(metres))
        parts = [g for g in getattr(rest, "geoms", [rest]) if not g.is_empty]
        keep.append(unary_union([g for g in parts if g.centroid.x < x.x]))
    streets.loc[streets["name"] == street, "geometry"] = keep
    streets = streets[~streets.geometry.is_empty]
    return BaseMap.from_layers(streets=streets, meta=extract.meta)


def _only(spec, school):
    return {"schools": [s for s in spec["schools"] if s["name"] == school]}


def test_a_short_gap_is_closed_and_reported(extract, crs, spec, rule_of, twins):
    """福州路 stopping ~35 m before 河南中路 still closes the block (snap_gap_m is 50 m)."""
    res = digitise(_only(spec, "示例第一小学"), _trimmed(extract, crs, "福州路", "河南中路", 40))
    entry = res.rules[0]
    assert entry["status"] == "ok", entry["issues"]
    gaps = [i for i in entry["issues"] if i["type"] == "gap_closed"]
    assert any("福州路" in i["street"] and "河南中路" in i["street"] for i in gaps), gaps
    assert all(0.5 < i["gap_m"] <= 50 for i in gaps)
    zone, block = _zone(res, entry["rule_id"], crs), twins["hp-p1-r01"]
    assert zone.intersection(block).area / zone.union(block).area > 0.99


def test_a_long_gap_is_reported_not_bridged(extract, crs, spec):
    res = digitise(_only(spec, "示例第一小学"), _trimmed(extract, crs, "福州路", "河南中路", 150))
    entry = res.rules[0]
    assert entry["status"] == "not_closed" and len(res.zones) == 0
    gaps = [i for i in entry["issues"] if i["type"] == "gap_not_closed"]
    assert any("福州路" in i["street"] and "河南中路" in i["street"] for i in gaps), entry
    assert all(i["gap_m"] > 50 for i in gaps)


def test_several_enclosed_areas_are_reported_not_chosen(crs, extract):
    """丙路 meanders across 甲路 and 乙路: two blocks are each bounded by all three streets.

    ::

                   +---------+
                   |         |         |
        乙路   ----+---------+---------+----
                   |    1    |    2    |
        甲路   ----+---------+---------+----
                   |         |         |
                             +---------+
                   丙路: up at 100 m, down at 500 m, up at 900 m
    """
    x0, y0 = 355000.0, 3456000.0
    lines = {
        "甲路": [(x0, y0), (x0 + 1000, y0)],
        "乙路": [(x0, y0 + 100), (x0 + 1000, y0 + 100)],
        "丙路": [
            (x0 + 100, y0 - 50),
            (x0 + 100, y0 + 150),
            (x0 + 500, y0 + 150),
            (x0 + 500, y0 - 50),
            (x0 + 900, y0 - 50),
            (x0 + 900, y0 + 150),
        ],
    }
    streets = gpd.GeoDataFrame(
        {"name": list(lines), "kind": ["road"] * 3},
        geometry=[LineString(c) for c in lines.values()],
        crs=crs,
    )
    bm = BaseMap.from_layers(streets=streets, meta=extract.meta)
    rule = {
        "rule_id": "x-r01",
        "kind": "directional_bounds",
        "bounds": [],
        "bounded_by": ["甲路", "乙路", "丙路"],
        "surrounded": True,
        "source": {"text": "甲路、乙路、丙路所围成的区域", "line": 1},
    }
    res = digitise({"schools": [{"id": "x", "name": "x", "level": "primary", "zones": [rule]}]}, bm)
    entry = res.rules[0]
    assert entry["status"] == "not_closed" and len(res.zones) == 0
    several = [i for i in entry["issues"] if i["type"] == "several_faces"]
    assert len(several) == 1 and len(several[0]["areas_m2"]) == 2
    assert several[0]["areas_m2"] == pytest.approx([40000, 40000], rel=1e-3)
    # the same streets without the meander's second block enclose one area, drawn
    lines["丙路"] = lines["丙路"][:4]
    streets.geometry = [LineString(c) for c in lines.values()]
    bm = BaseMap.from_layers(streets=streets, meta=extract.meta)
    res = digitise({"schools": [{"id": "x", "name": "x", "level": "primary", "zones": [rule]}]}, bm)
    assert res.rules[0]["status"] == "ok", res.rules[0]["issues"]
    zone = _zone(res, "x-r01", crs)
    assert zone.area == pytest.approx(40000, rel=1e-3)
    assert zone.contains(Point(x0 + 300, y0 + 50))


def test_parent_clips_and_negation_keeps_the_rest(extract, crs, twins):
    """Inside a parent area (示例社区, made up, cutting the block's west part off) the area is
    clipped to the parent and reported; 除…所围成的区域以外 (``negate``) keeps the parent minus
    the block: the two are complementary."""
    block = twins["hp-p1-r01"]
    minx, miny, maxx, maxy = block.bounds
    parent = box(minx + 0.3 * (maxx - minx), miny - 500, maxx + 500, maxy + 500)
    areas = gpd.GeoDataFrame(
        {"name": ["示例社区"], "kind": ["community"]}, geometry=[parent], crs=crs
    )
    bm = BaseMap.from_layers(streets=extract.streets, areas=areas, meta=extract.meta)
    base = {
        "kind": "directional_bounds",
        "within": "示例社区",
        "bounds": [],
        "bounded_by": ["西藏中路", "延安东路", "河南中路", "福州路"],
        "surrounded": True,
        "source": {"text": "示例社区内西藏中路、延安东路、河南中路、福州路所围成的区域", "line": 1},
    }
    rules = [{**base, "rule_id": "x-r01"}, {**base, "rule_id": "x-r02", "negate": True}]
    res = digitise({"schools": [{"id": "x", "name": "x", "level": "primary", "zones": rules}]}, bm)
    inside, outside = (_zone(res, r, crs) for r in ("x-r01", "x-r02"))
    assert inside.symmetric_difference(block.intersection(parent)).area < 0.001 * block.area
    assert any(i["type"] == "outside_parent" for i in res.rules[0]["issues"])
    assert inside.intersection(outside).area < 1.0
    assert inside.union(outside).area == pytest.approx(parent.area, rel=1e-4)


def test_the_full_osm_file_gives_the_same_blocks(result, rule_of, crs):
    """Nothing is tuned to the extract: the whole 黄浦 file (796 streets) gives the same areas."""
    path = need_shared(SHARED / "reference" / "streets-dev" / "shanghai_huangpu.osm")
    full = digitise(parse_policy(POLICY), import_osm(path))
    for school in TWINS:
        rid = rule_of[school]["rule_id"]
        a, b = _zone(full, rid, crs), _zone(result, rid, crs)
        assert a.intersection(b).area / a.union(b).area > 0.99, school
    assert _rule(full, rule_of["示例第四小学"]["rule_id"])["status"] == "not_closed"
