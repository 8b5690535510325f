"""Why a located point has no school (:func:`geo_enroll.impact.explain_no_zone`): the checked
zones frame is kept per frame object, so a repeated question is answered alike and an edited
copy of the layer is never answered from the old one."""

from __future__ import annotations

from geo_enroll.datasets import toy_spec, toy_xy_to_lonlat, toy_zones
from geo_enroll.impact import explain_no_zone


def test_repeated_calls_on_one_frame_agree_with_a_fresh_frame():
    zones = toy_zones()
    spec = toy_spec()
    for x, y in [(1100, 500), (-80, 300), (500, 1200), (1050, 1050)]:
        lon, lat = toy_xy_to_lonlat(x, y)
        first = explain_no_zone(spec, zones, {}, lon, lat, level="primary")
        again = explain_no_zone(spec, zones, {}, lon, lat, level="primary")
        fresh = explain_no_zone(spec, toy_zones(), {}, lon, lat, level="primary")
        assert first == again == fresh
        assert first["nearest"] is not None and first["nearest"]["distance_m"] > 0


def test_an_edited_layer_is_not_answered_from_the_old_one():
    spec = toy_spec()
    zones = toy_zones()
    lon, lat = toy_xy_to_lonlat(1100, 500)  # 100 m east of 东小学's zone
    before = explain_no_zone(spec, zones, {}, lon, lat, level="primary")
    assert before["nearest"]["school_id"] == "toy-p1" and before["nearest"]["distance_m"] == 100
    moved = zones.copy()
    moved["geometry"] = moved.geometry.translate(xoff=0.05)  # every zone moved far east
    after = explain_no_zone(spec, moved, {}, lon, lat, level="primary")
    assert after["nearest"]["distance_m"] != before["nearest"]["distance_m"]
    assert explain_no_zone(spec, zones, {}, lon, lat, level="primary") == before
