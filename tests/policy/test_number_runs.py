"""A run of house numbers with 号 on the last only (马塍路24、26、28…35号) is every number of
that street.  Before, only the first and the last were read (24 and 35), the ones between
reported: a child at 马塍路26号 was outside the zone.  A run that ends in a group (梁家街2、3、
7、8组) is no street's numbers."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy
from geo_enroll.policy.spec import read_policy

from ..conftest import SHARED, need_shared

ZONING = SHARED / "reference" / "zoning-dev"


def _streets(scope: str) -> tuple[list[tuple], list[str]]:
    spec = parse_policy(f"# 某区招生范围\n\n某某小学：{scope}\n")
    got = [
        (z["street"], z["numbers"])
        for s in spec["schools"]
        for z in s["zones"]
        if z["kind"] == "street_list"
    ]
    return got, [u["text"] for u in spec.get("unparsed", [])]


@pytest.mark.parametrize(
    "scope,numbers",
    [
        ("青石路75、77号", [75, 77]),
        ("青石路75、77、79号", [75, 77, 79]),
        (
            "马塍路24、26、28、29、30、31、32、33、34、35号",
            [24, 26, 28, 29, 30, 31, 32, 33, 34, 35],
        ),
        ("青石路75、77、79、81号，幸福小区", [75, 77, 79, 81]),
        ("青石路75号、77号、79号", [75, 77, 79]),
    ],
)
def test_every_number_of_the_run(scope, numbers):
    got, left = _streets(scope)
    assert got == [
        ("青石路" if "青石路" in scope else "马塍路", {"list": numbers, "parity": "all"})
    ]
    assert not left


def test_a_run_ending_in_groups_is_no_street():
    got, _ = _streets("官厅村4、5组村民子女，梁家街2、3、4、7、8组村民子女")
    assert not any(street == "梁家街" and nums.get("list") == [2, 3, 4, 7] for street, nums in got)


def test_on_the_real_notice():
    """杭州 2026 in ../shared/reference (not shipped; skipped without): line 285."""
    text, _ = read_policy(need_shared(ZONING / "hangzhou_urban-districts_2026.md"))
    spec = parse_policy(text)
    lists = [
        z["numbers"]["list"]
        for s in spec["schools"]
        for z in s["zones"]
        if z["kind"] == "street_list" and z.get("street") == "马塍路" and z["source"]["line"] == 285
    ]
    assert lists == [[24, 26, 28, 29, 30, 31, 32, 33, 34, 35]]
    assert not [u for u in spec["unparsed"] if u["line"] == 285]
