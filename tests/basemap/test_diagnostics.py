"""Planted gaps and overlaps are found, with area, point and the rules involved."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Point, box

from geo_enroll.basemap.layers import utm_crs
from geo_enroll.basemap.schematic import TOWN_SEAT
from geo_enroll.diagnostics import build_report, find_gaps_overlaps
from geo_enroll.digitise import digitise


def _rule(spec, rule_id):
    for school in spec["schools"]:
        for zone in school["zones"]:
            if zone["rule_id"] == rule_id:
                return school, zone
    raise KeyError(rule_id)


def test_toy_coverage():
    cov = [
        {"rule_id": "a", "school_id": "s1", "geometry": box(0, 0, 60, 100)},
        {"rule_id": "b", "school_id": "s1", "geometry": box(40, 0, 70, 100)},  # same school
        {"rule_id": "c", "school_id": "s2", "geometry": box(65, 0, 90, 100)},
    ]
    found = find_gaps_overlaps(cov, {"town": box(0, 0, 100, 100)})
    assert [(g["area_m2"], g["where"]) for g in found["gaps"]] == [(1000.0, "town")]
    assert [(o["area_m2"], sorted(o["schools"])) for o in found["overlaps"]] == [
        (500.0, ["s1", "s2"])
    ]
    declared = [{"schools": ["s2"], "geometry": box(60, 0, 100, 50)}]
    half = find_gaps_overlaps(cov, {"town": box(0, 0, 100, 100)}, declared=declared)
    assert [o["area_m2"] for o in half["overlaps"]] == [250.0]


def test_planted_gap_is_found(taipusi_spec, schematic, taipusi_result):
    spec = copy.deepcopy(taipusi_spec)
    school, zone = _rule(spec, "taipusi-p3-r02")  # 新华 三小 part
    school["zones"].remove(zone)
    base = build_report(taipusi_result)["levels"]["primary"]
    planted = build_report(digitise(spec, schematic))["levels"]["primary"]
    removed = taipusi_result.zones.set_index("rule_id").geometry["taipusi-p3-r02"]
    known = {(g["where"], g["area_m2"]) for g in base["gaps"]}
    new = [g for g in planted["gaps"] if (g["where"], g["area_m2"]) not in known]
    assert len(new) == 1
    utm = utm_crs(TOWN_SEAT)
    area = taipusi_result.zones[taipusi_result.zones.rule_id == "taipusi-p3-r02"].to_crs(utm).area
    assert new[0]["area_m2"] == pytest.approx(area.iloc[0], rel=1e-4)
    assert removed.buffer(1e-6).contains(Point(new[0]["point"]))
    assert new[0]["where"] == "新华社区"


def test_planted_overlap_is_found_and_declared_one_is_not(taipusi_spec, schematic, taipusi_result):
    spec = copy.deepcopy(taipusi_spec)
    _, zone = _rule(spec, "taipusi-p2-r01")  # 太平 二小 part now reaches 东大桥
    zone["limits"]["east"] = "东大桥"
    result = digitise(spec, schematic)
    overlaps = build_report(result)["levels"]["primary"]["overlaps"]
    assert len(overlaps) == 1
    o = overlaps[0]
    assert sorted(o["rules"]) == ["taipusi-p1-r02", "taipusi-p2-r01"]
    z = result.zones.to_crs(utm_crs(TOWN_SEAT)).set_index("rule_id").geometry
    expected = z["taipusi-p1-r02"].intersection(z["taipusi-p2-r01"]).area
    assert o["area_m2"] == pytest.approx(expected, rel=1e-3) and expected > 1e5
    # the same land declared as a multi-school zone (多校划片) is not an overlap
    spec["schools"][0]["zones"].append(
        {
            "rule_id": "taipusi-p1-r99",
            "kind": "multi_school",
            "schools": ["taipusi-p1", "taipusi-p2"],
            "units": [{"name": "太平社区", "code": "152527100002"}],
            "source": {"text": "test", "line": 1},
        }
    )
    declared = build_report(digitise(spec, schematic))["levels"]["primary"]["overlaps"]
    assert declared == []


def test_admin_units_count_as_covering(taipusi_result, taipusi_spec, schematic):
    middle = build_report(taipusi_result)["levels"]["middle"]
    assert {g["where"] for g in middle["gaps"]} == {"国防社区", "西郊社区"}  # not in 二中's six
    spec = copy.deepcopy(taipusi_spec)
    spec["schools"][-1]["zones"][0]["units"].append({"name": "国防社区", "code": None})
    middle = build_report(digitise(spec, schematic))["levels"]["middle"]
    assert {g["where"] for g in middle["gaps"]} == {"西郊社区"}


def _utm_zones(result, level):
    z = result.zones.to_crs(utm_crs(TOWN_SEAT))
    return z[z["level"].isin([level, "nine_year"])].set_index("rule_id").geometry


def _sharing_edge(geom, zones):
    """Drawn zones sharing an edge with ``geom``: a 1 m strip around it overlaps them by more
    than 2 m² (a corner-to-corner touch gives < 0.8 m²).  Independent of the report's own
    boundary-length test."""
    strip = geom.buffer(1.0)
    return {rid for rid, z in zones.items() if z.intersection(strip).area > 2.0}


def _gap_shape(gap):
    from shapely.geometry import shape

    to_utm = Transformer.from_crs(4326, utm_crs(TOWN_SEAT), always_xy=True).transform
    return shapely.transform(shape(gap["geometry"]), lambda xy: np.column_stack(to_utm(*xy.T)))


def test_gap_rules_are_the_zones_that_share_its_edge(taipusi_result):
    report = build_report(taipusi_result)
    admin = {r["rule_id"] for r in report["rules"] if r["status"] == "not_digitised"}
    named = 0
    for level in ("primary", "middle"):
        zones = _utm_zones(taipusi_result, level)
        for gap in report["levels"][level]["gaps"]:
            assert set(gap["rules"]) == _sharing_edge(_gap_shape(gap), zones), gap["where"]
            assert not set(gap["rules"]) & admin  # neighbouring admin units are not named
            assert set(gap["unit_rules"]) <= admin
            named += len(gap["rules"])
    assert named > 0


def test_planted_gap_names_the_neighbours_of_the_missing_zone(
    taipusi_spec, schematic, taipusi_result
):
    spec = copy.deepcopy(taipusi_spec)
    school, zone = _rule(spec, "taipusi-p3-r02")
    school["zones"].remove(zone)
    result = digitise(spec, schematic)
    known = {g["area_m2"] for g in build_report(taipusi_result)["levels"]["primary"]["gaps"]}
    new = [
        g for g in build_report(result)["levels"]["primary"]["gaps"] if g["area_m2"] not in known
    ]
    removed = _utm_zones(taipusi_result, "primary")["taipusi-p3-r02"]
    expected = _sharing_edge(removed, _utm_zones(result, "primary"))
    assert len(new) == 1 and len(expected) >= 2
    assert set(new[0]["rules"]) == expected


def test_unit_rules_name_the_admin_rules_of_the_gaps_own_community(
    taipusi_spec, schematic, taipusi_result
):
    """A group of 西郊社区 (no polygon) leaves the gap; the rule is named apart as a unit rule."""
    base = build_report(taipusi_result)["levels"]["primary"]["gaps"]
    spec = copy.deepcopy(taipusi_spec)
    spec["schools"][0]["zones"].append(
        {
            "rule_id": "taipusi-p1-r98",
            "kind": "admin_units",
            "units": [{"name": "西郊社区", "code": None, "group": "一组"}],
            "source": {"text": "test", "line": 1},
        }
    )
    gaps = build_report(digitise(spec, schematic))["levels"]["primary"]["gaps"]
    by_where = {g["where"]: g for g in gaps}
    assert by_where["西郊社区"]["unit_rules"] == ["taipusi-p1-r98"]
    assert "taipusi-p1-r98" not in by_where["西郊社区"]["rules"]
    before = {g["where"]: g["rules"] for g in base}
    assert {w: g["rules"] for w, g in by_where.items()} == before
    assert all(g["unit_rules"] == [] for w, g in by_where.items() if w != "西郊社区")


def test_toy_gap_names_edge_neighbours_only():
    """A 3 x 3 grid whose centre cell is the gap: the cells sharing an edge with it are named,
    the diagonal cell touching it at a corner is not, nor is an admin unit sharing an edge."""
    cov = [
        {"rule_id": "left", "school_id": "s1", "geometry": box(0, 0, 30, 90)},
        {"rule_id": "top", "school_id": "s1", "geometry": box(30, 60, 60, 90)},
        {"rule_id": "right", "school_id": "s2", "geometry": box(60, 30, 90, 60)},
        {"rule_id": "corner", "school_id": "s2", "geometry": box(60, 60, 90, 90)},
        {
            "rule_id": "unit",
            "school_id": "s3",
            "kind": "admin_units",
            "geometry": box(30, 0, 90, 30),
        },
    ]
    found = find_gaps_overlaps(cov, {"town": box(0, 0, 90, 90)})
    assert [(g["area_m2"], g["rules"]) for g in found["gaps"]] == [
        (900.0, ["left", "right", "top"])
    ]
