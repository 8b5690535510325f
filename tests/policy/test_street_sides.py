"""One side of a street written 东侧 / 北面 / 西边 (or 以东侧), and a shared-zone sentence right
under a school's list.

Before: 解放路东侧 was a *compound* named 解放路东侧 (a child east of 解放路 matched nothing),
and 东关村为第一小学、第二小学共同学区 on the line after 第二小学's list was read as more of that
list (a unit 东关村 with a sub-area 为第一小学, and 第二小学共同学区 reported unread)."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy


def _spec(text: str) -> dict:
    return parse_policy(f"# 某县招生范围\n\n{text}\n")


def _bounds(text: str) -> list[tuple[str, str]]:
    spec = _spec(text)
    zones = [z for s in spec["schools"] for z in s["zones"]]
    assert [z["kind"] for z in zones] == ["directional_bounds"], zones
    assert not spec.get("unparsed")
    return [(b["street"], b["side"]) for b in zones[0]["bounds"]]


@pytest.mark.parametrize(
    "text, want",
    [
        ("第二小学：解放路东侧，人民路以北。", [("解放路", "east_of"), ("人民路", "north_of")]),
        (
            "第二小学：解放路以东侧、人民路北面的区域。",
            [("解放路", "east_of"), ("人民路", "north_of")],
        ),
        ("第二小学：建设大街西边、团结路南侧。", [("建设大街", "west_of"), ("团结路", "south_of")]),
        ("第二小学：京藏高速西侧。", [("京藏高速", "west_of")]),
        ("第二小学：解放路东侧区域。", [("解放路", "east_of")]),
    ],
)
def test_a_side_word_is_a_bound(text, want):
    assert _bounds(text) == want


def test_the_same_as_written_with_yi():
    assert _bounds("第二小学：解放路东侧，人民路以北。") == _bounds(
        "第二小学：解放路以东，人民路以北。"
    )


@pytest.mark.parametrize(
    "text",
    [
        "第二小学：解放路两侧。",  # both sides: a street list, not a bound
        "第二小学：东侧社区、西侧村。",  # places whose names start with a side word
        "第二小学：城关街道东侧社区。",  # 街道 is a township, not a street
    ],
)
def test_not_a_side_of_a_street(text):
    spec = _spec(text)
    assert all(z["kind"] != "directional_bounds" for s in spec["schools"] for z in s["zones"])


def test_a_bracketed_side_says_which_stretch():
    """建设南路(圣灯路西侧)：8号 (成都) — the stretch of a street list, left as it was read."""
    spec = _spec("成都市建设路小学：建设南路(圣灯路西侧)：8号、20号。")
    zone = spec["schools"][0]["zones"][0]
    assert (zone["kind"], zone["street"], zone.get("side")) == ("street_list", "建设南路", "west")


def _units(spec: dict) -> dict[str, list[tuple[str, str | None]]]:
    return {
        s["name"]: sorted(
            (u["name"], u.get("sub_area")) for z in s["zones"] for u in z.get("units") or []
        )
        for s in spec["schools"]
    }


@pytest.mark.parametrize("stop", ["。", "", "；"])
def test_a_shared_zone_line_is_not_the_list_above(stop):
    spec = _spec(
        f"第一小学：东关村、西关村。\n第二小学：南关村。\n东关村为第一小学、第二小学共同学区{stop}"
    )
    got = _units(spec)
    assert ("东关村", "为第一小学") not in got["第二小学"]
    assert ("东关村", None) in got["第二小学"] and ("南关村", None) in got["第二小学"]
    shared = [z for s in spec["schools"] for z in s["zones"] if z["kind"] == "multi_school"]
    assert shared and all(len(z["schools"]) == 2 for z in shared)
    assert not spec.get("unparsed")


def test_the_same_with_a_blank_line():
    """What the blank line always gave: the two texts read alike now."""
    a = _spec(
        "第一小学：东关村、西关村。\n第二小学：南关村。\n东关村为第一小学、第二小学共同学区。"
    )
    b = _spec(
        "第一小学：东关村、西关村。\n第二小学：南关村。\n\n东关村为第一小学、第二小学共同学区。"
    )
    assert _units(a) == _units(b)


@pytest.mark.parametrize("part", ["东部", "东侧", "北片", "西半部", "南片区"])
@pytest.mark.parametrize("sep", ["，", "、"])
def test_a_side_of_a_township_is_reported_not_a_unit(part, sep):
    """城关镇东部 was a unit named 东部 in 城关镇 (no such unit): which part is unsaid; before
    、南关村 it took the list's 村 (北片村)."""
    spec = _spec(f"第二小学：城关镇{part}{sep}南关村。")
    units = [u["name"] for s in spec["schools"] for z in s["zones"] for u in z.get("units") or []]
    assert units == ["南关村"]
    assert [u["text"] for u in spec["unparsed"]] == [f"城关镇{part}"]


@pytest.mark.parametrize("name", ["东侧社区", "东南村", "西北社区", "东关村"])
def test_places_named_with_a_side_are_units(name):
    spec = _spec(f"第二小学：城关镇{name}。")
    units = [u["name"] for s in spec["schools"] for z in s["zones"] for u in z.get("units") or []]
    assert units == [name] and not spec.get("unparsed")
