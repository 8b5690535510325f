"""Sentences that name the places first and the school after (东关村、西关村的适龄儿童到第一小学
就读 / …划归第一小学 / …由第一小学招收).  Before, such a notice gave "no school zoning found" and
such a line in a longer notice was reported unread; a second sentence of this form after a
school's own list was even read as more of *that* school's list."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy


def _zones(text: str) -> tuple[dict[str, list[str]], list[str]]:
    spec = parse_policy(f"# 某县招生范围\n\n{text}\n")
    got: dict[str, list[str]] = {}
    for s in spec["schools"]:
        for z in s["zones"]:
            if z["kind"] == "admin_units":  # the zone itself, not an option (alternative)
                got.setdefault(s["name"], []).extend(u["name"] for u in z["units"])
    return got, [u["text"] for u in spec.get("unparsed", [])]


@pytest.mark.parametrize(
    "text",
    [
        "东关村、西关村的适龄儿童到第一小学就读。",
        "东关村、西关村划归第一小学。",
        "东关村、西关村适龄儿童进入第一小学入学。",
        "东关村、西关村户籍的适龄儿童由第一小学招收。",
        "东关村、西关村的适龄儿童统一到第一小学就读",
    ],
)
def test_the_places_come_first(text):
    got, left = _zones(text)
    assert got == {"第一小学": ["东关村", "西关村"]}
    assert not left


def test_a_second_school_after_a_first_schools_list():
    got, left = _zones("第一小学：东关村、西关村。南关村的适龄儿童到第二小学就读。")
    assert got == {"第一小学": ["东关村", "西关村"], "第二小学": ["南关村"]}
    assert not left
    got, left = _zones("第一小学招收东关村的适龄儿童，南关村的适龄儿童到第二小学就读。")
    assert got == {"第一小学": ["东关村"], "第二小学": ["南关村"]}
    assert not left


@pytest.mark.parametrize(
    "text",
    [
        "第一小学招收东关村的适龄儿童，其他村镇学生可自主选择到第一小学就读。",
        "第一小学招收东关村的适龄儿童。西关村适龄儿童也可到第一小学入学。",
    ],
)
def test_options_are_not_zones(text):
    """也可到… / 可自主选择到…: an option, never the school's zone."""
    got, _ = _zones(text)
    assert got == {"第一小学": ["东关村"]}


def test_a_feeder_is_not_a_zone():
    """第一小学毕业生到第一中学就读: graduates of a school (a feeder), not a place."""
    spec = parse_policy("# 某县招生范围\n\n第一小学：东关村\n第一小学毕业生到第一中学就读。\n")
    assert not any(
        z["kind"] == "admin_units" and s["name"] == "第一中学"
        for s in spec["schools"]
        for z in s["zones"]
    )


def test_no_school_or_place_made_from_a_run_over_name():
    """东关村到西关村之间区域的…到第一小学就读: the school's name must not run over the first 到
    (a school named 西关村之间区域的适龄儿童到第一小学); 和平社区 after a comma is a place named
    和平, not "and 平社区"."""
    spec_text = (
        "# 某县招生范围\n\n第一小学：东关村\n东关村到西关村之间区域的适龄儿童到第二小学就读。\n"
    )
    spec = parse_policy(spec_text)
    assert all("之间" not in s["name"] for s in spec["schools"])
    got, _ = _zones("第一小学招收东关村的适龄儿童，和平社区的适龄儿童。")
    assert "平社区" not in got.get("第一小学", [])
