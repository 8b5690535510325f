"""Parts of a compound after it, and the kinds of a place written after it.

Before: 阳光花园A区、B区 gave a compound named B区 (every B区 of the county); 和平村所辖各自然村 a
unit of that name; 东关村所辖1-5组 the sub-area 所辖1-5组 (no address names it: its children
matched no school); 渌渚镇所辖各行政村（新浦片除外）及企事业单位 (杭州 line 590) a unit named
各行政村 with the sub-area 及企事业单位; 三桥片所辖各行政村、社区 (杭州 611) a unit named 社区,
which by name is in every community's address of 富春街道."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy
from geo_enroll.policy.spec import read_policy

from ..conftest import SHARED, need_shared

ZONING = SHARED / "reference" / "zoning-dev"


def _read(scope: str) -> tuple[list[tuple], list[str]]:
    spec = parse_policy(f"# 某县招生范围\n\n第一小学：{scope}。\n")
    got = []
    for s in spec["schools"]:
        for z in s["zones"]:
            if z["kind"] == "compound":
                got.append(("compound", z["name"], z["fragment"]))
            for u in z.get("units") or []:
                got.append(
                    (u["name"], u.get("group"), u.get("sub_area"), tuple(u.get("exclude") or ()))
                )
    return got, [u["text"] for u in spec["unparsed"]]


@pytest.mark.parametrize(
    "scope, names",
    [
        ("阳光花园A区、B区、C区", ["阳光花园A区", "阳光花园B区", "阳光花园C区"]),
        ("幸福小区一期、二期", ["幸福小区一期", "幸福小区二期"]),
        ("幸福家园1期、2期", ["幸福家园1期", "幸福家园2期"]),
        ("幸福小区东区、西区", ["幸福小区东区", "幸福小区西区"]),
    ],
)
def test_parts_after_a_compound_are_its_parts(scope, names):
    got, left = _read(scope)
    assert [g[1] for g in got] == names
    assert [g[2] for g in got] == [x.strip() for x in scope.split("、")]  # as written
    assert not left


@pytest.mark.parametrize("scope", ["阳光花园、B区", "阳光花园A区、2期"])
def test_a_part_of_another_kind_is_not_taken(scope):
    got, _ = _read(scope)
    assert got[-1][1] == scope.split("、")[-1]


@pytest.mark.parametrize(
    "scope, units",
    [
        ("和平村所辖各自然村、幸福村", [("和平村", None, None, ()), ("幸福村", None, None, ())]),
        ("城关乡所属各村", [("城关乡", None, None, ())]),
        ("东关村所辖1-5组", [("东关村", "1-5组", None, ())]),
        ("西关村的3组", [("西关村", "3组", None, ())]),
        ("南关村所属王家庄", [("南关村", None, "王家庄", ())]),
        ("渌渚镇所辖各行政村（新浦片除外）及企事业单位", [("渌渚镇", None, None, ("新浦片",))]),
    ],
)
def test_the_kinds_of_a_place_are_the_place(scope, units):
    got, left = _read(scope)
    assert got == units
    assert not left


def test_a_kind_alone_is_no_unit():
    got, left = _read("东关村、社区")
    assert got == [("东关村", None, None, ())]
    assert left == ["社区"]


def test_on_the_real_notice():
    """杭州 2026 in ../shared/reference (not shipped; skipped without): line 590 is 渌渚镇 less
    新浦片; line 611 keeps 三桥片 and reports the rest of the line, no unit named 社区."""
    text, _ = read_policy(need_shared(ZONING / "hangzhou_urban-districts_2026.md"))
    spec = parse_policy(text)
    units = {
        z["source"]["line"]: [(u["name"], tuple(u.get("exclude") or ())) for u in z["units"]]
        for s in spec["schools"]
        for z in s["zones"]
        if z["source"]["line"] in (590, 611) and z["kind"] == "admin_units"
    }
    assert units == {590: [("渌渚镇", ("新浦片",))], 611: [("三桥片", ())]}
    assert [u["line"] for u in spec["unparsed"] if u["line"] in (590, 611)] == [611]


@pytest.mark.parametrize(
    "scope, groups",
    [
        ("东关村第一、二村民小组", ["第一村民小组", "二村民小组"]),  # as written
        ("东关村第三村民小组", ["第三村民小组"]),
        ("东关村第一小组、第二小组", ["第一小组", "第二小组"]),
    ],
)
def test_groups_written_with_di_are_groups(scope, groups):
    """第一村民小组 was a sub-area (an address had to name 第一村民小组 itself: 东关村1组 did
    not match), and 东关村第一、二村民小组 reported 东关村第一 besides."""
    got, left = _read(scope)
    assert got == [("东关村", g, None, ()) for g in groups]
    assert not left


def test_groups_written_with_di_in_the_engine(tmp_path):
    from .conftest import offered

    spec = parse_policy(
        "# 某县招生范围\n\n第一小学：东关村第一小组、第二村民小组。\n第二小学：东关村第三小组。\n"
    )
    addresses = (
        "某镇东关村1组8号",
        "某镇东关村第二小组8号",
        "某镇东关村第3村民小组",
        "某镇东关村三组",
    )
    got, ids = offered(spec, addresses, tmp_path)
    assert [got[a][0] for a in addresses] == [
        [ids["第一小学"]],
        [ids["第一小学"]],
        [ids["第二小学"]],
        [ids["第二小学"]],
    ]


@pytest.mark.parametrize(
    "scope, units",
    [
        ("东关、西关、南关三个村", ["东关村", "西关村", "南关村"]),
        ("东关村、西关村、南关村等3个村", ["东关村", "西关村", "南关村"]),
        ("东关、西关两个村", ["东关村", "西关村"]),
        ("城关镇东关、西关、南关3个社区", ["东关社区", "西关社区", "南关社区"]),
    ],
)
def test_a_counted_list(scope, units):
    """南关三个村 was a unit of that name; the count is checked against the list."""
    got, left = _read(scope)
    assert [g[0] for g in got] == units
    assert not left


@pytest.mark.parametrize("scope", ["东关等3个村", "东关、西关四个村"])
def test_a_count_that_is_not_the_lists_is_reported(scope):
    """东关等3个村: two villages unnamed — reported whole, no unit named 东关等3个村."""
    got, left = _read(f"南关村；{scope}")  # another place, so the notice has a zone
    assert got == [("南关村", None, None, ())] and left == [scope]


@pytest.mark.parametrize(
    "scope",
    [
        "人民路与解放路交汇处东北片区",
        "建设路与光明街交叉口以东、以北区域",
        "人民路和解放路十字路口西南区域",
    ],
)
def test_a_corner_of_a_crossing_is_reported(scope):
    """Which streets bound it is not said: was a compound of that name, or the bounds 建设路以东
    and 光明街交叉口以东 (以北 dropped)."""
    got, left = _read(f"东关村、{scope}")
    assert got == [("东关村", None, None, ())]
    assert left == [scope]


@pytest.mark.parametrize(
    "scope, excluded",
    [
        ("东关村除一组外的其他组", ("一组",)),
        ("东关村一组以外的区域", ("一组",)),
        ("东关村1、2组以外的其他组", ("1组", "2组")),
        ("东关村除3组外", ("3组",)),
    ],
)
def test_a_village_without_some_groups(scope, excluded):
    """东关村除一组外的其他组 / 东关村一组以外的区域 were sub-areas of those words (no address
    names them: the village's children matched no school)."""
    got, left = _read(scope)
    assert got == [("东关村", None, None, excluded)]
    assert not left


def test_a_village_without_some_groups_in_the_engine(tmp_path):
    from .conftest import offered

    spec = parse_policy(
        "# 某县招生范围\n\n第一小学：东关村一组以外的区域。\n第二小学：东关村一组。\n"
    )
    got, ids = offered(spec, ("某镇东关村1组8号", "某镇东关村3组8号"), tmp_path)
    assert got["某镇东关村1组8号"][0] == [ids["第二小学"]]
    assert got["某镇东关村3组8号"][0] == [ids["第一小学"]]


@pytest.mark.parametrize(
    "scope, names",
    [
        ("东关村、西关村等村", ["东关村", "西关村"]),  # was 西关村村 (and reported)
        ("东关村、西关村、南关村等行政村", ["东关村", "西关村", "南关村"]),  # was 南关村村
        ("东关、西关等村", ["东关村", "西关村"]),
        ("幸福小区、和平小区等小区", ["幸福小区", "和平小区"]),
    ],
)
def test_deng_and_a_kind_close_the_list(scope, names):
    got, left = _read(scope)
    assert [g[1] if g[0] == "compound" else g[0] for g in got] == names
    assert not left


@pytest.mark.parametrize(
    "scope",
    [
        "东关村一、二、三组及西关村",  # was compounds 东关村一, 二 and 三组及西关村 reported
        "东关村1、2、3组和西关村",  # was a unit named 东关村和西关村 (its groups 1–3)
    ],
)
def test_groups_then_another_place(scope):
    got, left = _read(scope)
    assert [(g[0], g[1]) for g in got][-1] == ("西关村", None)
    assert [g[0] for g in got[:-1]] == ["东关村"] * 3 and all(g[1] for g in got[:-1])
    assert not left


@pytest.mark.parametrize("scope", ["县城北部区域", "城区东部"])
def test_a_side_of_the_town_is_reported(scope):
    """县城北部区域 was a compound named 县城北部: which part is unsaid, as 城关镇东部."""
    got, left = _read(f"东关村、{scope}")
    assert got == [("东关村", None, None, ())] and left == [scope]


@pytest.mark.parametrize(
    "note, groups",
    [
        ("3组划入第二小学", ["3组"]),  # was the sub-area 3组划入第二小学: 东关村 matched no school
        ("其中3组、4组到第二小学就读", ["3组", "4组"]),  # was silently the whole village here
        ("1-3组由第二小学招收", ["1-3组"]),
        ("3组除外，3组到第二小学", ["3组"]),  # was the sub-area 3组除外，3组到第二小学
    ],
)
def test_groups_a_note_gives_to_another_school(note, groups, tmp_path):
    from .conftest import offered

    spec = parse_policy(
        f"# 某县招生范围\n\n第一小学：东关村（{note}）、西关村。\n第二小学：南关村。\n"
    )
    zones = {
        s["name"]: [
            (u["name"], u.get("group"), u.get("exclude")) for z in s["zones"] for u in z["units"]
        ]
        for s in spec["schools"]
    }
    assert zones["第一小学"] == [("东关村", None, groups), ("西关村", None, None)]
    assert zones["第二小学"] == [("南关村", None, None)] + [("东关村", g, None) for g in groups]
    assert not spec["unparsed"]
    got, ids = offered(spec, ("某镇东关村3组8号", "某镇东关村5组8号"), tmp_path)
    assert got["某镇东关村3组8号"][0] == [ids["第二小学"]]
    assert got["某镇东关村5组8号"][0] == [ids["第一小学"]]


def test_a_part_with_a_note_after_a_compound():
    got, _ = _read("幸福小区一期、二期（不含3号楼）")
    assert [g[1] if g[0] == "compound" else g[0] for g in got] == ["幸福小区一期", "幸福小区二期"]


@pytest.mark.parametrize("scope", ["城关镇政府驻地", "城关镇集镇区域", "城关镇镇区"])
def test_a_townships_centre_is_reported(scope):
    """Were units named 政府驻地 / 集镇 / 镇区 under 城关镇 (no such unit): the built-up centre
    is not drawn anywhere — reported."""
    got, left = _read(f"东关村、{scope}")
    assert got == [("东关村", None, None, ())] and left == [scope]
