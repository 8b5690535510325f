"""Forms common in county notices, written here as one notice (tests/policy/data/
common_forms_county.txt): every line is read, nothing is left unparsed, and each form gives the
rule its words mean — a middle school's feeder primaries after a colon, the whole township for
'all communities and villages of', the box (not a place named 合围区域内的住宅小区) for a bounded
area's housing, the street without 县城, the compound without 学校周边的."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo_enroll.policy import parse_policy

TEXT = (Path(__file__).parent / "data" / "common_forms_county.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def spec():
    return parse_policy(TEXT)


def _zones(spec, name):
    return next(s for s in spec["schools"] if s["name"] == name)["zones"]


def test_every_line_is_read(spec):
    assert spec["unparsed"] == []
    assert len(spec["schools"]) == 9


def test_feeder_primaries_after_a_colon(spec):
    (z,) = _zones(spec, "第三中学")
    assert z["kind"] == "feeder"
    assert [f["name"] for f in z["from_schools"]] == ["第一小学", "第二小学"]


def test_all_communities_and_villages_of_a_township(spec):
    (z,) = _zones(spec, "城南小学")
    assert [u["name"] for u in z["units"]] == ["城南街道"]


def test_housing_inside_a_bounded_area_is_the_box(spec):
    (z,) = _zones(spec, "长江路小学")
    assert z["kind"] == "directional_bounds" and z.get("within") is None
    assert [b["street"] for b in z["bounds"]] == ["长江路", "黄河路", "淮河路", "珠江路"]


def test_prefixes_that_are_no_part_of_a_name(spec):
    streets = [b["street"] for z in _zones(spec, "实验小学") for b in z.get("bounds", [])]
    assert streets == ["解放路", "人民路"]
    assert [z["name"] for z in _zones(spec, "育才小学")] == ["阳光花园", "锦绣华庭", "滨江一号小区"]


def test_sides_of_named_compounds(spec):
    got = [(z["within"], z["bounds"][0]["side"]) for z in _zones(spec, "新城小学")]
    assert got == [("紫薇苑", "west_of"), ("丁香苑", "west_of"), ("玫瑰园", "east_of")]
