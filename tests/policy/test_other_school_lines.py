"""A line under 第二小学：南关村 that zones places to *another* school (东关村、西关村划入第一小学学区 /
属第一小学学区 / 归第一小学招生 / 第一小学（东关村、西关村） / 第一小学施教区：…).

Before: each was read as more of 第二小学's list — 东关村 and 西关村 went to the wrong school
(the 施教区 form was reported).  Now the line is the other school's, as the same words were
at the start of a document; a bare list under the line is still the same school's.  Nothing
of the ten reference notices or the seeds changed."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy


def _zones(line: str) -> tuple[dict, list]:
    spec = parse_policy(f"# 某县招生范围\n\n第二小学：南关村。\n{line}\n")
    got = {
        s["name"]: [u["name"] for z in s["zones"] for u in z.get("units") or []]
        for s in spec["schools"]
    }
    return got, spec["unparsed"]


@pytest.mark.parametrize(
    "line",
    [
        "东关村、西关村划入第一小学学区。",
        "东关村、西关村属第一小学学区。",
        "东关村、西关村属于第一小学。",
        "东关村、西关村归第一小学招生。",
        "东关村、西关村归属第一小学。",
        "第一小学（东关村、西关村）。",
        "第一小学施教区：东关村、西关村。",
        "第一小学服务区：东关村、西关村。",
    ],
)
def test_the_line_is_the_other_schools(line):
    got, left = _zones(line)
    assert got == {"第二小学": ["南关村"], "第一小学": ["东关村", "西关村"]}
    assert left == []


@pytest.mark.parametrize(
    "line,want",
    [
        ("归德村、西关村。", {"第二小学": ["南关村", "归德村", "西关村"]}),  # more of the list
        (
            "第一小学（北校区）：东关村、西关村。",
            {"第二小学": ["南关村"], "第一小学（北校区）": ["东关村", "西关村"]},
        ),
    ],
)
def test_a_list_and_a_campus_stay_as_they_were(line, want):
    got, _ = _zones(line)
    assert got == want
