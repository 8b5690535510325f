"""A unit of which only an unnamed part is zoned (宝昌镇东明村部分区域 / 城北村和东明村部分区域 /
东明村的一部分).

Before: 东明村 with a sub-area called "部分" (no address names it, so the village's children
lost the school without a word), and 城北村和东明村部分区域 gave 城北村 with a sub-area called
"和东明村部分" (东明村 dropped).  Now the part is reported for a person to read and the whole
units beside it stay; nothing of the ten reference notices or the seeds changed."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy

HEAD = "# 太仆寺旗2024年义务教育招生划片范围\n\n第二小学：宝昌镇东红村。\n"


def _read(scope: str) -> tuple[list[tuple], list[str]]:
    spec = parse_policy(f"{HEAD}第一小学：{scope}。\n")
    first = next((s for s in spec["schools"] if s["name"] == "第一小学"), {"zones": []})
    units = [
        (u["name"], u.get("code"), u.get("group"), u.get("sub_area"))
        for z in first["zones"]
        for u in z.get("units") or []
    ]
    return units, [u.get("text") for u in spec["unparsed"]]


@pytest.mark.parametrize("joiner", ["和", "及", "、", "以及"])
@pytest.mark.parametrize("part", ["部分区域", "部分", "的一部分", "部分地区"])
def test_the_part_is_reported_the_whole_unit_stays(joiner, part):
    units, left = _read(f"宝昌镇城北村{joiner}东明村{part}")
    assert units == [("城北村", "152527100204", None, None)]
    assert left == [f"东明村{part}"]


@pytest.mark.parametrize("part", ["部分区域", "部分", "的一部分"])
def test_a_part_alone_is_reported(part):
    units, left = _read(f"宝昌镇东明村{part}、城北村")
    assert units == [("城北村", "152527100204", None, None)]
    assert left == [f"宝昌镇东明村{part}"]  # as written


@pytest.mark.parametrize(
    "scope,want",
    [
        ("宝昌镇城北村和东明村", [("城北村", None), ("东明村", None)]),
        ("宝昌镇东明村1-3社", [("东明村", "1-3社")]),
        ("宝昌镇东红村禹仁围子", [("东红村", None)]),
    ],
)
def test_named_parts_and_whole_units_stay(scope, want):
    units, left = _read(scope)
    assert [(u[0], u[2]) for u in units] == want
    assert left == []
