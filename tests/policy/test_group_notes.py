"""Groups written in a note, an exclusion or after a colon are each a group of their village
(高洪社区（1、2、3、4组）, 赭东（除4、5、8组外）, 和成：2组、4组), a compound described by what it was
is that compound (红花堰住宅小区：原红花堰1、2、3组), and "X只包括Y" is Y inside X — never a unit
named after a number (4组) or after the whole phrase (南苑小区只包括官渡东路西二巷)."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy
from geo_enroll.policy.document import ParseContext
from geo_enroll.policy.grammar import parse_exclusion
from geo_enroll.policy.scopes import scope_pieces
from tests.conftest import SHARED, need_shared


def _pieces(text):
    return scope_pieces(text, ParseContext(county=None))


def _groups(text):
    pieces, left = _pieces(text)
    return [(p["name"], p.get("group")) for p in pieces if p["type"] == "unit"], left


@pytest.mark.parametrize(
    "text,village,groups",
    [
        ("高洪社区（1、2、3、4组）", "高洪社区", ["1组", "2组", "3组", "4组"]),
        ("威灵社区(6、8组)", "威灵社区", ["6组", "8组"]),
        ("远大（1、14、15组）", "远大", ["1组", "14组", "15组"]),
        ("东关村（一、二、三组）", "东关村", ["一组", "二组", "三组"]),
        ("和平村（2、3村民小组）", "和平村", ["2村民小组", "3村民小组"]),
        ("和成：2组、4组、5组", "和成", ["2组", "4组", "5组"]),
        ("王家营：1、2、3组", "王家营", ["1组", "2组", "3组"]),
        ("关家：8组", "关家", ["8组"]),
    ],
)
def test_each_numeral_of_a_group_note_is_a_group(text, village, groups):
    got, left = _groups(text)
    assert left == []
    assert got == [(village, g) for g in groups]


@pytest.mark.parametrize(
    "text,excluded",
    [
        ("除4、5、8组外", ["4组", "5组", "8组"]),
        ("不含6、7、8组", ["6组", "7组", "8组"]),
        ("不含一、二村民小组", ["一村民小组", "二村民小组"]),
        ("不含1组", ["1组"]),
        ("不含幸福小区、3号楼", ["幸福小区", "3号楼"]),  # not groups: as written
    ],
)
def test_an_excluded_group_list_shares_its_word(text, excluded):
    assert parse_exclusion(text) == excluded


@pytest.mark.parametrize(
    "text,excluded",
    [("赭东（除4、5、8组外）", ["4组", "5组", "8组"]), ("官渡社区（不含6、7组）", ["6组", "7组"])],
)
def test_a_village_with_excluded_groups(text, excluded):
    pieces, left = _pieces(text)
    assert left == []
    [unit] = pieces
    assert unit["type"] == "unit" and unit["group"] is None
    assert unit["exclude"] == excluded


def test_a_colon_before_non_groups_is_not_read_as_groups():
    got, left = _groups("和成：阳光小区、2组")
    assert ("和成", "2组") not in got  # a mixed list is no list of one village's groups
    assert all(not name.endswith("组") for name, _ in got)  # nor is 2组 a unit of its own
    assert "2组" in left


@pytest.mark.parametrize(
    "text,name,note",
    [
        ("红花堰住宅小区：原红花堰1、2、3组", "红花堰住宅小区", "原红花堰1、2、3组"),
        ("幸福家园：原东关村4组", "幸福家园", "原东关村4组"),
    ],
)
def test_a_compound_described_by_what_it_was(text, name, note):
    pieces, left = _pieces(text)
    assert left == []
    assert [(p["type"], p["name"], p.get("note")) for p in pieces] == [("compound", name, note)]


@pytest.mark.parametrize("text", ["幸福小区：1栋、2栋", "阳光花园：A座、B座"])
def test_single_buildings_of_a_compound_are_reported_not_drawn(text):
    pieces, left = _pieces(text)
    assert pieces == [] and left == [text]


@pytest.mark.parametrize(
    "text,kind,name",
    [
        ("南苑小区只包括官渡东路西二巷（单号）", "street_list", "官渡东路西二巷"),
        ("幸福村只含王家小区", "compound", "王家小区"),
        ("东城社区仅包括阳光花园", "compound", "阳光花园"),
    ],
)
def test_only_a_part_of_a_place(text, kind, name):
    pieces, left = _pieces(text)
    assert left == []
    [piece] = pieces
    place = text.split("只")[0].split("仅")[0]
    assert piece["type"] == kind
    assert piece.get("street", piece.get("name")) == name
    assert piece["within"] == place


def test_only_a_part_keeps_the_parity_and_reaches_the_spec():
    spec = parse_policy("大邑县银都小学\n- 琥珀名城、南苑小区只包括官渡东路西二巷（单号）")
    zones = spec["schools"][0]["zones"]
    [street] = [z for z in zones if z["kind"] == "street_list"]
    assert (street["street"], street["sides"], street["within"]) == (
        "官渡东路西二巷",
        "odd",
        "南苑小区",
    )
    assert not spec.get("unparsed")


def test_real_notices_have_no_unit_named_by_a_number_or_a_phrase():
    """The reference notices (../shared/reference, six cities): no unit is named after a group
    number or carries a group list as its sub-area; skipped where ../shared is absent."""
    import re

    from geo_enroll.policy.spec import read_policy

    folder = need_shared(SHARED / "reference" / "zoning-dev")
    seen = 0
    for path in sorted(folder.glob("*.md")):
        spec = parse_policy(read_policy(path)[0])
        for school in spec["schools"]:
            for zone in school["zones"]:
                for unit in zone.get("units") or []:
                    seen += 1
                    assert not re.fullmatch(r"[\d一二三四五六七八九十]+组", unit["name"]), unit
                    assert "只包括" not in unit["name"], unit
                    sub = unit.get("sub_area") or ""
                    assert not re.fullmatch(r"[\d、]+组", sub), unit
                    assert all(not re.fullmatch(r"\d+", x) for x in unit.get("exclude") or [])
    assert seen > 500


@pytest.mark.parametrize(
    "text,group",
    [("城中社区 18—20 组", "18-20组"), ("城中社区18—20组", "18-20组"), ("东关村1-7组", "1-7组")],
)
def test_a_group_range_written_with_a_long_dash_or_spaces(text, group):
    got, left = _groups(text)
    assert left == []
    assert got == [(text.split("1")[0].strip(), group)]
