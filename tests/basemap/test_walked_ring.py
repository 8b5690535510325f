"""A boundary walked along streets back to its start (东起A，沿A向南至B，沿B向西至C，…，沿D向东
至A / 从A与D交叉口起…至起点所围区域), drawn on the real 黄浦区 streets.

Before, such a text was reported ("沿路描述的边界…未建模"): the walk closes, so it is the block
its streets enclose.  Checked against the same block written as four street limits
(``data/huangpu_zones.toml``).  An open walk (it does not come back) is still reported."""

from __future__ import annotations

import pytest

from geo_enroll.digitise import digitise, load_spec
from geo_enroll.policy import parse_policy, validate_spec

from .conftest import DATA

WALKS = {
    "示例第一小学": "东起河南中路，沿河南中路向南至延安东路，沿延安东路向西至西藏中路，"
    "沿西藏中路向北至福州路，沿福州路向东至河南中路。",
    "示例第二小学": "从河南中路与福州路交叉口起，沿河南中路往南至延安东路，再沿延安东路往西至"
    "西藏中路，沿西藏中路往北至福州路，沿福州路往东至起点所围区域。",
}
OPEN = "示例第三小学：东起河南中路，沿河南中路向南至延安东路，沿延安东路向西至西藏中路。"


@pytest.fixture(scope="module")
def spec():
    lines = "\n".join(f"{school}：{walk}" for school, walk in WALKS.items())
    return parse_policy(f"黄浦区（示例）2025年义务教育阶段小学招生划片范围\n{lines}\n{OPEN}\n")


@pytest.fixture(scope="module")
def result(extract, spec):
    return digitise(spec, extract)


def test_a_closed_walk_is_a_ring_of_its_streets(spec):
    assert validate_spec(spec) == []
    rules = {s["name"]: s["zones"] for s in spec["schools"]}
    for school in WALKS:
        (rule,) = rules[school]
        assert rule["kind"] == "directional_bounds" and rule["surrounded"] is True
        assert rule["bounded_by"] == ["河南中路", "延安东路", "西藏中路", "福州路"]
    assert "示例第三小学" not in rules or not rules["示例第三小学"]
    assert [u["text"] for u in spec["unparsed"]] == [OPEN.split("：", 1)[1].rstrip("。")]
    assert spec["unparsed"][0]["reason"].startswith("沿路描述的边界")


@pytest.mark.parametrize("school", sorted(WALKS))
def test_the_walk_is_the_block_of_the_four_limits(spec, result, extract, crs, school):
    twin = (
        digitise(load_spec(DATA / "huangpu_zones.toml"), extract)
        .zones.to_crs(crs)
        .set_index("rule_id")
        .geometry["hp-p1-r01"]
    )
    rule = next(s for s in spec["schools"] if s["name"] == school)["zones"][0]
    entry = next(r for r in result.rules if r["rule_id"] == rule["rule_id"])
    assert entry["status"] == "ok", entry["issues"]
    rows = result.zones[result.zones["rule_id"] == rule["rule_id"]]
    zone = rows.to_crs(crs).geometry.iloc[0]
    assert zone.is_valid and zone.symmetric_difference(twin).area < 0.001 * twin.area
