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


def _groups(scope: str) -> list[tuple]:
    spec = parse_policy(f"# 某区招生范围\n\n某某小学：{scope}\n")
    return [
        (u["name"], u.get("group"))
        for s in spec["schools"]
        for z in s["zones"]
        for u in z.get("units") or []
    ]


@pytest.mark.parametrize(
    "scope,groups",
    [
        ("菜园村三、四、六社", [("菜园村", "三社"), ("菜园村", "四社"), ("菜园村", "六社")]),
        ("七号村一、二社，八号村", [("七号村", "一社"), ("七号村", "二社"), ("八号村", None)]),
        ("东风村1、2、3队", [("东风村", "1队"), ("东风村", "2队"), ("东风村", "3队")]),
        ("官厅村4、5、6组", [("官厅村", "4组"), ("官厅村", "5组"), ("官厅村", "6组")]),
    ],
)
def test_groups_with_the_word_on_the_last_only(scope, groups):
    """菜园村三、四、六社 was read as compounds 菜园村三 and 四 (zones no address has) and 六社
    reported; groups written 社 or 队 share the word as 组 did."""
    assert _groups(scope) == groups


@pytest.mark.parametrize(
    "scope,stretches",
    [
        ("解放路1-99号（单号）、2-50号（双号）", [(1, 99, "odd"), (2, 50, "even")]),
        ("解放路2-50号（双号）、1-99号（单号）", [(2, 50, "even"), (1, 99, "odd")]),
        ("解放路1-99号、2-50号（双）", [(1, 99, "all"), (2, 50, "even")]),
        ("解放路单号1-99号、双号2-50号", [(1, 99, "odd"), (2, 50, "even")]),
    ],
)
def test_each_stretch_keeps_its_own_parity(scope, stretches):
    """The parity written after the second stretch (、2-50号（双号）) was dropped: both sides of
    2-50 were in the zone, the odd numbers 1-49 twice over."""
    spec = parse_policy(f"# 某区招生范围\n\n某某小学：{scope}\n")
    got = [
        (z["numbers"]["from"], z["numbers"]["to"], z["numbers"]["parity"])
        for s in spec["schools"]
        for z in s["zones"]
        if z["kind"] == "street_list"
    ]
    assert got == stretches
    assert all(z["fragment"] in scope for s in spec["schools"] for z in s["zones"])


@pytest.mark.parametrize(
    "scope,stretches,exclude",
    [
        ("解放路1-99号（不含50号）", [(1, 49), (51, 99)], []),
        ("解放路1-99号（不含50-60号）", [(1, 49), (61, 99)], []),
        ("人民路自1号至18号（不含人民路12、13号）", [(1, 11), (14, 18)], []),
        ("解放路1-99号（不含50号、幸福小区）", [(1, 49), (51, 99)], ["幸福小区"]),
        ("解放路1-99号（不含幸福小区）", [(1, 99)], ["幸福小区"]),
    ],
)
def test_excluded_house_numbers_are_cut_out(scope, stretches, exclude):
    """1-99号（不含50号）: 50 was kept as an exclusion the street's drawing never applies — the
    child at 50号 was in the zone.  The stretch is cut around it; a name stays an exclusion."""
    spec = parse_policy(f"# 某区招生范围\n\n某某小学：{scope}\n")
    zones = [z for s in spec["schools"] for z in s["zones"] if z["kind"] == "street_list"]
    assert [(z["numbers"]["from"], z["numbers"]["to"]) for z in zones] == stretches
    assert all(z["exclude"] == exclude for z in zones)


def test_a_cut_that_cannot_be_placed_stays_written():
    spec = parse_policy("# 某区招生范围\n\n某某小学：解放路全段（不含50号）\n")
    (zone,) = [z for s in spec["schools"] for z in s["zones"]]
    assert zone["exclude"] == ["50号"]
