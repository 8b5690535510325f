"""Overlaps of units known by name only (every county without a shipped list).

Before: 第一小学：东关村、西关村 beside 第二小学：东关村 reported no conflict — the overlap check
read official codes only, so in any other district two schools given one village were not
named to the bureau (the engine lists both, nearest first)."""

from __future__ import annotations

from geo_enroll.policy import parse_policy


def _overlaps(text: str) -> list[str]:
    spec = parse_policy(f"# 某县招生范围\n\n{text}\n")
    return [c["description"] for c in spec["conflicts"] if c["kind"] == "overlap"]


def test_one_village_in_two_schools():
    got = _overlaps("第一小学：东关村、西关村。\n第二小学：东关村。")
    assert got == ["1个单位同时在第一小学和第二小学的范围内: （未写明乡镇）: 东关村"]


def test_groups_of_one_village_apart_are_no_overlap():
    assert _overlaps("第一小学：东关村1-3组。\n第二小学：东关村4-6组。") == []


def test_a_part_beside_the_whole_says_the_part_wins():
    (got,) = _overlaps("第一小学：东关村1-3组。\n第二小学：东关村。")
    assert got.startswith("1个单位同时在第一小学和第二小学的范围内") and "更具体者优先" in got


def test_same_name_under_two_district_headings_is_two_places():
    """建德 and 临安 both have a 郎家村: under two district headings they are two villages."""
    text = "## 一、建德市\n\n大同小学：郎家村。\n\n## 二、临安区\n\n横畈小学：郎家村。"
    assert _overlaps(text) == []
