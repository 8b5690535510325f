"""Villages merged into others, written by their former names: 原山前村全部 is the unit 山前村
(the words kept as its note; it was a unit named 原山前村, which no address or official list
has), and 靖港村：原胜联村4、8组 are groups of the part of 靖港村 that was 胜联村 (the line was
not read at all).  A group of a part matches only an address of that part and that group."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy
from geo_enroll.policy.document import ParseContext
from geo_enroll.policy.scopes import scope_pieces
from geo_enroll.policy.spec import read_policy
from geo_enroll.zoneindex import ZoneIndex

from ..conftest import SHARED, need_shared

ZONING = SHARED / "reference" / "zoning-dev"


def _units(text):
    pieces, left = scope_pieces(text, ParseContext(county=None))
    assert left == []
    return [(p["name"], p.get("sub_area"), p.get("group"), p.get("written_note")) for p in pieces]


@pytest.mark.parametrize(
    "text,name",
    [
        ("原山前村全部", "山前村"),
        ("原山前村", "山前村"),
        ("原红星社区", "红星社区"),
        ("原前进村全村", "前进村"),
    ],
)
def test_a_merged_village_by_its_former_name(text, name):
    assert _units(text) == [(name, None, None, text.removesuffix("全部").removesuffix("全村"))]


def test_a_one_character_name_after_yuan_stays_a_name():
    """原东村 could be the name itself (one character before 村): left as written."""
    assert _units("原东村") == [("原东村", None, None, None)]


@pytest.mark.parametrize(
    "text,part,groups",
    [
        ("靖港村：原胜联村4、8、9、10、14组", "胜联村", ["4组", "8组", "9组", "10组", "14组"]),
        ("靖港村：原胜联村6 、12 、13组", "胜联村", ["6组", "12组", "13组"]),
        ("河口社区：原河西村3组", "河西村", ["3组"]),
        ("新民村：原新华村（1组、2组）", "新华村", ["1组", "2组"]),
        ("平安社区：原平安村1、2、3社", "平安村", ["1社", "2社", "3社"]),
    ],
)
def test_groups_of_the_part_that_was_another_village(text, part, groups):
    name = text.split("：")[0]
    assert _units(text) == [(name, part, g, None) for g in groups]


def test_in_a_school_line_with_other_lists():
    spec = parse_policy(
        "# 招生范围\n\n靖江第三小学：雷东村、和顺村；黎明社区：7  9  10  11组；"
        "靖港村：原胜联村6 、12 、13组；原山前村全部\n"
    )
    assert not spec.get("unparsed")
    units = [u for z in spec["schools"][0]["zones"] for u in z["units"]]
    part = [(u["name"], u["sub_area"], u["group"]) for u in units if u.get("sub_area")]
    assert part == [("靖港村", "胜联村", g) for g in ("6组", "12组", "13组")]
    assert ("山前村", "原山前村") in [(u["name"], u.get("written_note")) for u in units]


def test_a_group_of_a_part_matches_that_part_and_group_only():
    spec = parse_policy(
        "# 招生范围\n\n第一小学：靖港村：原胜联村4、8组\n第二小学：靖港村：原胜联村6组\n"
    )
    index = ZoneIndex(spec, None)
    first, second = (s["zones"][0]["rule_id"] for s in spec["schools"])
    hits = {}
    for address in (
        "靖江街道靖港村原胜联村4组12号",
        "靖江街道靖港村胜联村6组3号",
        "靖江街道靖港村胜联村5组3号",
        "靖江街道靖港村胜联村",
        "靖江街道靖港村4组",
    ):
        geo = {"input": address}
        hits[address] = {
            rid: index.unit_match(unit, geo)
            for rid, unit in index.units_nocode
            if index.unit_match(unit, geo)
        }
    assert set(hits["靖江街道靖港村原胜联村4组12号"]) == {first}
    assert set(hits["靖江街道靖港村胜联村6组3号"]) == {second}
    assert hits["靖江街道靖港村胜联村5组3号"] == {}
    # the part without a group: both schools' groups, at the "group unknown" specificity
    assert set(hits["靖江街道靖港村胜联村"]) == {first, second}
    assert len(set(hits["靖江街道靖港村胜联村"].values())) == 1
    assert hits["靖江街道靖港村4组"] == {}  # not written as the former village's part


def test_on_the_real_notice():
    """萧山 2026 in ../shared/reference (not shipped; skipped without): 靖江第一/第三小学."""
    text, _ = read_policy(need_shared(ZONING / "hangzhou_xiaoshan-and-counties_2026.md"))
    spec = parse_policy(text)
    # the notice's two lines (the file's own header quotes the form too: not a notice line)
    lines = {n for n, line in enumerate(text.splitlines(), 1) if line.startswith("萧山区靖江第")}
    assert len(lines) >= 2
    assert not [u for u in spec.get("unparsed") or [] if u.get("line") in lines]
    by_school = {}
    for s in spec["schools"]:
        for z in s["zones"]:
            for u in z.get("units") or []:
                if u["name"] == "靖港村":
                    by_school.setdefault(s["name"], []).append((u["sub_area"], u["group"]))
                if u.get("written_note") == "原山前村":
                    by_school.setdefault(s["name"], []).append(("山前村", u["name"]))
    assert by_school["萧山区靖江第一小学"] == [
        ("胜联村", g) for g in ("4组", "8组", "9组", "10组", "14组")
    ]
    assert ("胜联村", "6组") in by_school["萧山区靖江第三小学"]
    assert ("山前村", "山前村") in by_school["萧山区靖江第三小学"]
