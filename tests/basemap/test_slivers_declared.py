"""The gap/overlap report: thin slivers listed with their width; a multi-school declaration
hides only its own two schools' overlap in its own area (issue 16, item 4)."""

from __future__ import annotations

from shapely.geometry import box

from geo_enroll.diagnostics import find_gaps_overlaps


def _cov(rule_id, school_id, geom, kind="street_limits"):
    return {"rule_id": rule_id, "school_id": school_id, "geometry": geom, "kind": kind}


def test_a_thin_overlap_is_listed_with_its_width():
    cov = [_cov("a", "s1", box(0, 0, 50.2, 100)), _cov("b", "s2", box(50, 0, 100, 100))]
    found = find_gaps_overlaps(cov, {"town": box(0, 0, 100, 100)})
    assert found["overlaps"] == []  # 0.2 m is no overlap you can draw ...
    (sliver,) = found["sliver_overlaps"]  # ... but it is listed, never dropped
    assert sliver["rules"] == ["a", "b"]
    assert abs(sliver["width_m"] - 0.2) < 0.01
    assert abs(sliver["area_m2"] - 20.0) < 0.5


def test_a_thin_gap_is_listed_with_its_width():
    cov = [_cov("a", "s1", box(0, 0, 49.7, 100)), _cov("b", "s2", box(50, 0, 100, 100))]
    found = find_gaps_overlaps(cov, {"town": box(0, 0, 100, 100)})
    assert found["gaps"] == []
    (sliver,) = found["sliver_gaps"]
    assert abs(sliver["width_m"] - 0.3) < 0.01 and sliver["where"] == "town"
    assert sliver["rules"] == ["a", "b"]


def test_wide_parts_keep_their_width_and_a_thin_tail_is_a_sliver():
    # a 10 m wide overlap with a 0.1 m wide tail running on along the shared edge
    a = box(0, 0, 60, 100).union(box(60, 0, 80.1, 50))
    b = box(50, 0, 100, 100).difference(box(50, 50, 80, 100)).union(box(50, 50, 60, 100))
    found = find_gaps_overlaps([_cov("a", "s1", a), _cov("b", "s2", b)], {})
    assert any(o["width_m"] >= 5 for o in found["overlaps"])
    assert all(o["width_m"] < 0.5 for o in found["sliver_overlaps"])


def test_a_multi_school_area_does_not_hide_the_schools_overlaps_elsewhere():
    shared = box(0, 0, 100, 100)  # declared: s1 and s2 share this block
    cov = [
        _cov("s1-r1", "s1", box(0, 0, 100, 100)),
        _cov("s2-r1", "s2", box(0, 0, 100, 100)),
        # elsewhere, their ordinary zones overlap by mistake ...
        _cov("s1-r2", "s1", box(500, 0, 600, 100)),
        _cov("s2-r2", "s2", box(580, 0, 700, 100)),
        # ... and s1 overlaps a third school that is in no declaration
        _cov("s3-r1", "s3", box(90, 0, 200, 100)),
    ]
    declared = [
        {"rule_id": "m-r1", "kind": "multi_school", "schools": ["s1", "s2"], "geometry": shared}
    ]
    found = find_gaps_overlaps(cov, {}, declared=declared)
    pairs = sorted(tuple(o["rules"]) for o in found["overlaps"])
    assert ("s1-r1", "s2-r1") not in pairs  # declared: hidden
    assert ("s1-r2", "s2-r2") in pairs  # the same pair elsewhere: listed
    assert ("s1-r1", "s3-r1") in pairs and ("s2-r1", "s3-r1") in pairs


def test_a_multi_school_rule_without_a_polygon_hides_only_its_own_zones():
    cov = [
        _cov("m-r1", "s1", box(0, 0, 100, 100), kind="multi_school"),
        _cov("s2-r1", "s2", box(50, 0, 150, 100)),
        _cov("s1-r2", "s1", box(500, 0, 600, 100)),
        _cov("s2-r2", "s2", box(580, 0, 700, 100)),
    ]
    declared = [
        {"rule_id": "m-r1", "kind": "multi_school", "schools": ["s1", "s2"], "geometry": None}
    ]
    found = find_gaps_overlaps(cov, {}, declared=declared)
    pairs = {tuple(o["rules"]): o for o in found["overlaps"]}
    assert ("m-r1", "s2-r1") not in pairs
    other = pairs[("s1-r2", "s2-r2")]
    assert other["pair_declared_by"] == ["m-r1"]


def test_a_one_school_alternative_still_covers_its_land():
    cov = [_cov("a", "s1", box(0, 0, 100, 100)), _cov("b", "s2", box(50, 0, 150, 100))]
    declared = [
        {
            "rule_id": "alt",
            "kind": "alternative",
            "schools": ["s2"],
            "geometry": box(0, 0, 100, 100),
        }
    ]
    assert find_gaps_overlaps(cov, {}, declared=declared)["overlaps"] == []
