"""A boundary walked street by street with the side of each (A以东→B以南→C以东→…), turning the
same way more than once, on real 黄浦区 streets: the area is the ring the walk draws — here an
L of two blocks (西藏中路…福州路 and 浙江中路…九江路), checked against the same two blocks written
as street limits (``data/huangpu_zones.toml``).  A wrong side, a street not on the map and two
streets that do not meet are reported, and nothing is guessed."""

from __future__ import annotations

import pytest

from geo_enroll.digitise import digitise, load_spec
from geo_enroll.policy import parse_policy, validate_spec

from .conftest import DATA

WALK = (
    "西藏中路以东→福州路以南→浙江中路以东→九江路以南→福建中路以西→福州路以南→河南中路以西"
    "→延安东路以北黄浦区区域"
)


def _spec(walk: str) -> dict:
    return parse_policy(f"黄浦区（示例）2025年小学招生划片范围\n示例第一小学：{walk}。\n")


def _one(res):
    [rule] = res.rules
    rows = res.zones[res.zones["rule_id"] == rule["rule_id"]]
    return rule, rows


@pytest.fixture(scope="module")
def twins(extract, crs):
    res = digitise(load_spec(DATA / "huangpu_zones.toml"), extract)
    return res.zones.to_crs(crs).set_index("rule_id").geometry


def test_the_parser_keeps_the_steps_in_order():
    spec = _spec(WALK)
    assert validate_spec(spec) == []
    [zone] = spec["schools"][0]["zones"]
    assert zone["kind"] == "directional_bounds" and zone["walked"] is True
    assert [b["street"] for b in zone["bounds"]][:3] == ["西藏中路", "福州路", "浙江中路"]
    assert zone["bounds"][0]["side"] == "east_of"


def test_the_walk_draws_the_two_blocks(extract, crs, twins):
    rule, rows = _one(digitise(_spec(WALK), extract))
    assert rule["status"] == "ok", rule["issues"]
    assert len(rows) == 1
    zone = rows.to_crs(crs).geometry.iloc[0]
    want = twins["hp-p1-r01"].union(twins["hp-p3-r01"])
    assert zone.is_valid
    assert zone.symmetric_difference(want).area < 0.02 * want.area
    assert not any(i["type"] == "wrong_side" for i in rule["issues"])


def test_a_wrong_side_is_reported(extract):
    walk = WALK.replace("九江路以南", "九江路以北")
    rule, rows = _one(digitise(_spec(walk), extract))
    assert any(i["type"] == "wrong_side" and i["street"] == "九江路" for i in rule["issues"])


def test_a_street_not_on_the_map_draws_nothing(extract):
    walk = WALK.replace("浙江中路以东", "不存在路以东")
    rule, rows = _one(digitise(_spec(walk), extract))
    assert len(rows) == 0 and rule["status"] != "ok"


def test_streets_that_do_not_meet_are_reported(extract):
    # 九江路 and 延安东路 run side by side: a walk that jumps between them does not close
    walk = "西藏中路以东→九江路以南→延安东路以北→福州路以南→河南中路以西→福建中路以西黄浦区区域"
    rule, rows = _one(digitise(_spec(walk), extract))
    assert len(rows) == 0
    assert any(i["type"] == "not_closed" for i in rule["issues"])


def test_of_two_crossings_the_corner_is_the_one_nearest_the_walk():
    """A street that meets the next one twice: the corner is the crossing nearest where the walk
    comes from (the previous corner, or for the first corner the street before)."""
    from shapely.geometry import LineString, Point

    from geo_enroll.digitise.walked import _meeting

    bent = LineString([(0, 0), (100, 0), (100, 50), (0, 50)])  # a U: meets x=50 at y=0 and y=50
    cross = LineString([(50, -10), (50, 60)])
    assert _meeting(bent, cross, 5.0, Point(0, 0)).equals(Point(50, 0))
    assert _meeting(bent, cross, 5.0, Point(0, 50)).equals(Point(50, 50))
    assert _meeting(bent, LineString([(300, 0), (300, 10)]), 5.0, Point(0, 0)) is None
