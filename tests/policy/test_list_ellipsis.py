"""A suffix written once at the end of a 、 list belongs to every bare name before it
(东关、西关、北关村; 千斤沟村一、二、三组), groups after a village written without 村
(关家8、9组) and after a colon (保平村：1组、2组) are that village's groups, and a walked
clause beside readable ones is reported alone (…东塘社区，沙中路→万乐路以北的沙头社区，…)."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy
from geo_enroll.policy.coverage import account
from geo_enroll.policy.document import ParseContext
from geo_enroll.policy.scopes import scope_pieces
from tests.conftest import SHARED, need_shared


def _units(text):
    pieces, left = scope_pieces(text, ParseContext(county=None))
    return [(p["type"], p.get("name"), p.get("group")) for p in pieces], left


@pytest.mark.parametrize(
    "text,want",
    [
        ("东关、西关、北关村", [("东关村", None), ("西关村", None), ("北关村", None)]),
        ("沙一、沙二、东塘社区", [("沙一社区", None), ("沙二社区", None), ("东塘社区", None)]),
        ("红旗、光明居委会", [("红旗居委会", None), ("光明居委会", None)]),
        ("宝昌镇东关、西关村", [("东关村", None), ("西关村", None)]),
        ("东关村一、二、三组", [("东关村", "一组"), ("东关村", "二组"), ("东关村", "三组")]),
        ("千斤沟村1、2、3组", [("千斤沟村", "1组"), ("千斤沟村", "2组"), ("千斤沟村", "3组")]),
        ("东关村、西关村一、二组", [("东关村", None), ("西关村", "一组"), ("西关村", "二组")]),
        ("关家8、9组", [("关家", "8组"), ("关家", "9组")]),
        ("保平村：1组、2组、6组", [("保平村", "1组"), ("保平村", "2组"), ("保平村", "6组")]),
    ],
)
def test_a_suffix_written_once_is_shared(text, want):
    got, left = _units(text)
    assert left == []
    assert [(n, g) for t, n, g in got if t == "unit"] == want
    assert len(got) == len(want)


@pytest.mark.parametrize(
    "text",
    ["幸福小区、东关村", "青年路、东关村", "阳光花园、北关村"],  # typed names keep their type
)
def test_typed_names_keep_their_own_type(text):
    got, _ = _units(text)
    first = text.split("、")[0]
    assert not any(n == first + "村" for _, n, _ in got)
    assert text.split("、")[1] in [n for _, n, _ in got]


def test_the_text_of_a_shared_suffix_item_is_what_was_written():
    text = "某县2024年招生方案\n一、招生范围\n第一小学招收新登镇双江、双塔、南津村户籍适龄儿童。\n"
    spec = parse_policy(text)
    names = [u["name"] for s in spec["schools"] for z in s["zones"] for u in z.get("units", [])]
    assert names == ["双江村", "双塔村", "南津村"]
    assert account(text, spec)["silent"] == []


def test_a_walked_clause_is_reported_alone_when_the_rest_is_readable():
    pieces, left = scope_pieces(
        "（1）沙一、沙二、东塘社区，沙中路→万乐路以北的沙头社区，新沙路以北的万科",
        ParseContext(county=None),
    )
    assert left == ["沙中路→万乐路以北的沙头社区"]
    assert [p.get("name") or p.get("within") for p in pieces] == [
        "万科",
        "沙一社区",
        "沙二社区",
        "东塘社区",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "宝安大道以西，西环路以东，新沙路以南，鞍山五路→沙中路以北围合的区域",  # a side of one box
        "沙井大街→北帝堂一路以西，西环路以东；北环路以南，新沙路以北",
        # (东南旅游码头至…，马路村以环湖北路为界南侧区域: the side names its own village, so it
        # is read alone — tests/policy/test_side_of_unit.py)
        "东起滨江路沿江堤至富春路，小岭路以南区域",
    ],
)
def test_a_walked_side_of_a_box_keeps_the_whole_box_reported(text):
    pieces, left = scope_pieces(text, ParseContext(county=None))
    assert pieces == [] and left == [text]


def test_real_chengdu_groups_are_read():
    # why ../shared: the 成华区 notice is real text not shipped with the product
    path = SHARED / "reference" / "zoning-dev" / "chengdu_chenghua_2025.md"
    spec = parse_policy(need_shared(path).read_text(encoding="utf-8"))
    school = next(s for s in spec["schools"] if s["name"] == "成都市龙潭小学校")
    groups = {
        (u["name"], u["group"])
        for z in school["zones"]
        for u in z.get("units", [])
        if u["name"] == "保平村"
    }
    assert {("保平村", f"{n}组") for n in (1, 2, 3, 6, 7, 8, 9)} <= groups
    assert not [u for u in spec["unparsed"] if u["text"].startswith("保平村")]


@pytest.mark.parametrize(
    "text,want",
    [
        ("包括永昌、长盘、昌岭各行政村", ["永昌村", "长盘村", "昌岭村"]),
        ("永昌镇（包括永昌、长盘、昌岭各行政村）", ["永昌镇"]),  # the township, including them
        ("包括东关、西关等村", ["东关村", "西关村"]),
        ("（1）73、74区中的金海华府、福安楼", ["金海华府", "福安楼"]),
    ],
)
def test_including_each_and_places_inside_numbered_areas(text, want):
    pieces, left = scope_pieces(text, ParseContext(county=None))
    assert left == [] and [p["name"] for p in pieces] == want


@pytest.mark.parametrize("text", ["鹿山街道各行政村", "高虹镇所辖各行政村"])
def test_each_village_of_one_township_is_the_township(text):
    pieces, left = scope_pieces(text, ParseContext(county=None))
    assert left == [] and len(pieces) == 1 and pieces[0].get("whole_township")


@pytest.mark.parametrize(
    "text,want",
    [
        ("龙庭公寓等", ["龙庭公寓"]),
        ("东关村户籍的常住户口", ["东关村"]),
        ("及江南大道", ["江南大道"]),
        ("常安镇所辖各行政村及企事业单位", ["常安镇"]),
        ("耀华社区[上述社区流动人口随迁子女到某小学进行信息核验]", ["耀华社区"]),
        ("和平社区", ["和平社区"]),  # 和 starts a name here
    ],
)
def test_who_words_around_a_place_leave_the_place(text, want):
    pieces, left = scope_pieces(text, ParseContext(county=None))
    assert left == [] and [p.get("name") or p.get("street") for p in pieces] == want


@pytest.mark.parametrize(
    "text",
    ["以及所辖企事业单位", "区域内的常住户口", "及符合条件的流动人口随迁子女", "临安区外流动人口"],
)
def test_who_without_a_place_is_reported_never_a_place(text):
    pieces, left = scope_pieces(text, ParseContext(county=None))
    assert pieces == [] and left == [text]
