"""Runs of single buildings in a list (幸福小区1、2、3栋 / 光明小区1-8栋 / …和外东山弄61、62幢).

Single buildings are not drawn (the map has compounds, not their buildings): such a run is
reported whole, for a person to draw.  Before, 幸福小区1、2、3栋 was a compound named
幸福小区1 (no place has that name) with 2 and 3栋 reported as two scraps, and in 杭州 line 347
(求是南村和外东山弄61、62幢) the village 求是南村 got a sub-area named 和外东山弄61 — a part
no address has, so its children matched no school."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy
from geo_enroll.policy.spec import read_policy

from ..conftest import SHARED, need_shared

ZONING = SHARED / "reference" / "zoning-dev"


def _read(scope: str) -> tuple[list[tuple], list[str]]:
    spec = parse_policy(f"# 某区招生范围\n\n某某小学：{scope}\n")
    got = []
    for s in spec["schools"]:
        for z in s["zones"]:
            if z["kind"] == "compound":
                got.append(("compound", z["name"]))
            for u in z.get("units") or []:
                got.append(("unit", u["name"], u.get("sub_area"), u.get("group")))
    return got, [u["text"] for u in spec.get("unparsed", [])]


@pytest.mark.parametrize(
    "scope, reported",
    [
        ("幸福小区1、2、3栋，和平小区", "幸福小区1、2、3栋"),
        ("幸福小区3栋、4栋，和平小区", "幸福小区3栋、4栋"),
        ("幸福小区1号楼、2号楼，和平小区", "幸福小区1号楼、2号楼"),
        ("翠苑二区28幢—36幢，和平小区", "翠苑二区28幢—36幢"),
        ("光明小区1-8栋、和平小区", "光明小区1-8栋"),
    ],
)
def test_a_building_run_is_reported_whole(scope, reported):
    got, left = _read(scope)
    assert got == [("compound", "和平小区")]
    assert left == [reported]


def test_a_place_joined_before_the_run_is_kept():
    got, left = _read("青石桥、求是南村和外东山弄61、62幢、光明村")
    assert ("unit", "求是南村", None, None) in got and ("unit", "光明村", None, None) in got
    assert not any(g[1].startswith("外东山弄") or (len(g) > 2 and g[2]) for g in got)
    assert left == ["求是南村和外东山弄61、62幢"]


@pytest.mark.parametrize(
    "scope, want",
    [
        ("东关村1、2组", [("unit", "东关村", None, "1组"), ("unit", "东关村", None, "2组")]),
        ("幸福小区，3号院", [("compound", "幸福小区"), ("compound", "3号院")]),
    ],
)
def test_not_a_building_run(scope, want):
    got, left = _read(scope)
    assert got == want and not left


def test_house_numbers_are_not_buildings():
    spec = parse_policy("# 某区招生范围\n\n某某小学：人民路1、3、5号\n")
    zone = spec["schools"][0]["zones"][0]
    assert zone["kind"] == "street_list" and zone["numbers"]["list"] == [1, 3, 5]


def test_on_the_real_notice():
    """杭州 2026 in ../shared/reference (not shipped; skipped without): line 347."""
    text, _ = read_policy(need_shared(ZONING / "hangzhou_urban-districts_2026.md"))
    spec = parse_policy(text)
    units = [
        u
        for s in spec["schools"]
        for z in s["zones"]
        for u in z.get("units") or []
        if z["source"]["line"] == 347
    ]
    assert [(u["name"], u["sub_area"]) for u in units] == [("求是南村", None)]
    assert [u["text"] for u in spec["unparsed"] if u["line"] == 347] == [
        "求是南村和外东山弄61、62幢"
    ]


@pytest.mark.parametrize("item", ["幸福小区（1-10栋）", "幸福小区（1、2、5号楼）"])
def test_buildings_in_a_bracket_are_reported(item):
    """幸福小区（1-10栋） was 幸福小区 with the sub-area 1-10栋, which no address writes (its
    children matched no school): reported as a run of buildings is."""
    spec = parse_policy(f"# 某县招生范围\n\n第二小学：东关村。\n第一小学：{item}、和平小区。\n")
    first = next(s for s in spec["schools"] if s["name"] == "第一小学")
    assert [z.get("name") for z in first["zones"]] == ["和平小区"]
    assert [u["text"] for u in spec["unparsed"]] == [item]
