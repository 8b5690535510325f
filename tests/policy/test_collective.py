"""Who inside a list that is no place: a block's collective household registrations
(原通济片区块集体户, 光明居民组及光明区块集体户, 城中社区（1-17组）和该区块集体户与住宅小区),
resettled households of named groups (东升村已拆迁安置的3、5、7组), and an unsaid part of a place
(部分天鹅村拆迁安置户).  Before, each was a compound or sub-area named by the phrase."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy
from geo_enroll.policy.coverage import account
from geo_enroll.policy.document import ParseContext
from geo_enroll.policy.scopes import scope_pieces
from geo_enroll.policy.spec import read_policy

from ..conftest import SHARED, need_shared

ZONING = SHARED / "reference" / "zoning-dev"


def _pieces(text):
    return scope_pieces(text, ParseContext(county=None))


def _read(pieces):
    return [(p["name"], p.get("group"), p.get("sub_area")) for p in pieces]


@pytest.mark.parametrize(
    "text,read,reported",
    [
        ("苎萝村、通一村、原通济片区块集体户", ["苎萝村", "通一村"], ["原通济片区块集体户"]),
        ("长巷村、原昭东区块集体户", ["长巷村"], ["原昭东区块集体户"]),
        (
            "梅仙村、光明居民组及光明区块集体户、三盈村",
            ["梅仙村", "光明居民组", "三盈村"],
            ["光明区块集体户"],
        ),
        ("东灵社区、城中社区（1-17组）和该区块集体户与住宅小区", ["东灵社区", "城中社区"], []),
        ("东湖村、该片区集体户", ["东湖村"], []),
    ],
)
def test_collective_households_are_reported_or_those_of_the_units_named(text, read, reported):
    pieces, left = _pieces(text)
    assert [p["name"] for p in pieces] == read
    assert all(not p.get("sub_area") for p in pieces)
    assert left == reported


def test_resettled_households_of_named_groups_are_those_groups():
    pieces, left = _pieces("东升村已拆迁安置的3、5、7组和部分天鹅村拆迁安置户")
    assert _read(pieces) == [("东升村", g, None) for g in ("3组", "5组", "7组")]
    assert left == ["部分天鹅村拆迁安置户"]


@pytest.mark.parametrize("text", ["部分胜利村拆迁安置户", "其他部分河湾村", "其余部分东关社区"])
def test_an_unsaid_part_of_a_place_is_reported(text):
    assert _pieces(text) == ([], [text])


def test_a_name_with_the_words_inside_stays_a_name():
    """集体 or 部分 inside a name is no phrase: 集体村 / 部分村 are not cut."""
    pieces, left = _pieces("东方红集体村、新部分村")
    assert left == [] and [p["name"] for p in pieces] == ["东方红集体村", "新部分村"]


def test_the_coverage_check_accounts_for_every_item():
    text = (
        "# 招生范围\n\n"
        "第一小学：城中社区（1-17组）和该区块集体户与住宅小区、原通济片区块集体户\n"
        "第二小学：东升村已拆迁安置的3、5、7组和部分天鹅村拆迁安置户\n"
    )
    spec = parse_policy(text)
    assert account(text, spec)["silent"] == []
    assert sorted(u["text"] for u in spec["unparsed"]) == [
        "原通济片区块集体户",
        "部分天鹅村拆迁安置户",
    ]


def test_on_the_real_notices():
    """萧山 and 成华 notices in ../shared/reference (not shipped; skipped without)."""
    text, _ = read_policy(need_shared(ZONING / "hangzhou_xiaoshan-and-counties_2026.md"))
    spec = parse_policy(text)
    names = {
        z.get("name") or u.get("name")
        for s in spec["schools"]
        for z in s["zones"]
        for u in (z.get("units") or [z])
    }
    assert not any("集体户" in (n or "") for n in names)
    left = {u["text"] for u in spec["unparsed"]}
    assert {"原通济片区块集体户", "原昭东区块集体户", "光明区块集体户"} <= left

    text, _ = read_policy(need_shared(ZONING / "chengdu_chenghua_2025.md"))
    spec = parse_policy(text)
    school = next(s for s in spec["schools"] if s["name"] == "成都市杨柳小学校")
    units = [u for z in school["zones"] for u in z.get("units") or []]
    assert [(u["name"], u["group"]) for u in units if u["name"] == "东升村"] == [
        ("东升村", "3组"),
        ("东升村", "5组"),
        ("东升村", "7组"),
    ]
    assert not any(u["name"].startswith("部分") for u in units)
