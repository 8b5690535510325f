"""Two boxes joined by 以及/和 are two zones, never one box of every side (which would be
their intersection); a note in brackets stays with its box; a township written with 的
before its community, 'every village of' a township, two compounds joined by 和/及, and a
district named before a street are read as such."""

from __future__ import annotations

import pytest

from geo_enroll.policy.document import ParseContext
from geo_enroll.policy.grammar import parse_bounds, split_joined
from geo_enroll.policy.scopes import scope_pieces


def _pieces(text):
    return scope_pieces(text, ParseContext(county=None))


@pytest.mark.parametrize(
    "text,sides",
    [
        (
            "江晖路以东、北塘河以南、江陵路以西、滨安路以北合围区域，以及江南大道以南、北塘河以北、风情大道以西区域",
            [4, 3],
        ),
        ("伟业路以东、浙赣铁路以北、信诚路以西区域以及信诚路以东、江南大道以北区域", [3, 2]),
        ("甲路以东、乙路以北区域和丙路以西、丁路以南区域", [2, 2]),
    ],
)
def test_boxes_joined_by_and_are_separate(text, sides):
    pieces, left = _pieces(text)
    assert left == []
    assert [len(p["bounds"]) for p in pieces if p["type"] == "bounds"] == sides
    for p in pieces:
        assert not any(b["street"].startswith(("及", "和")) for b in p["bounds"])


def test_an_and_inside_brackets_stays_with_its_box():
    pieces, left = _pieces(
        "新安六路以北、西乡大道以南、宝安大道以西区域（劳动路以南、宝源路以东的区域和西乡河以南、"
        "宝源路以西的区域及海语西湾除外）"
    )
    assert left == [] and len(pieces) == 1
    assert [b["street"] for b in pieces[0]["bounds"]] == ["新安六路", "西乡大道", "宝安大道"]


@pytest.mark.parametrize(
    "text,name,town",
    [
        ("望江街道的兴隆社区", "兴隆社区", "望江街道"),
        ("彭埠街道的兴隆社区", "兴隆社区", "彭埠街道"),
        ("宝昌镇东关村", "东关村", "宝昌镇"),
    ],
)
def test_a_township_before_its_community(text, name, town):
    pieces, left = _pieces(text)
    assert left == [] and [(p["name"], p["town"]) for p in pieces] == [(name, town)]


@pytest.mark.parametrize("text", ["下涯镇的自然村", "下涯镇各行政村", "下涯镇所有行政村"])
def test_every_village_of_a_township_is_the_township(text):
    pieces, left = _pieces(text)
    assert left == [] and len(pieces) == 1
    assert pieces[0]["whole_township"] and pieces[0]["name"] == "下涯镇"


@pytest.mark.parametrize(
    "text,want",
    [
        ("钱江彩虹轩和宁巢颂学轩", ["钱江彩虹轩", "宁巢颂学轩"]),
        ("新世纪花苑及美都公寓住宅区", ["新世纪花苑", "美都公寓住宅区"]),
        ("万和府及泰和城", ["万和府", "泰和城"]),
        ("林语和鸣", ["林语和鸣"]),  # one name
        ("颐和花园", ["颐和花园"]),
    ],
)
def test_compounds_joined_by_and(text, want):
    assert split_joined(text) == want


def test_a_district_named_before_a_street_is_not_part_of_it():
    got = parse_bounds("滨江区辖区内伟业路以东、浙赣铁路以北")
    assert [b["street"] for b in got] == ["伟业路", "浙赣铁路"]


@pytest.mark.parametrize(
    "text",
    ["北环路以南，沿河路以西，青年路以北，和平路以东区域", "甲路以东、乙路以北，和平路以西区域"],
)
def test_a_street_starting_with_he_is_no_joiner(text):
    pieces, left = _pieces(text)
    assert left == [] and len(pieces) == 1
    assert "和平路" in {b["street"] for b in pieces[0]["bounds"]}


def test_four_limits_then_a_description_keep_the_box_and_report_the_words():
    pieces, left = _pieces(
        "东界限:浐河西路, 南界限:浐灞边界, 西界限:长鸣路-月登阁-田马路, 北界限:咸宁东路，"
        "浐灞国际港开发建设商住楼盘"
    )
    assert [p["type"] for p in pieces] == ["limits"] and len(pieces[0]["limits"]) == 4
    assert left == ["浐灞国际港开发建设商住楼盘"]  # reported, never a compound of that name


def test_four_limits_then_a_village_are_two_pieces():
    pieces, left = _pieces("东至甲路，南至乙路，西至丙路，北至丁路，东关村")
    assert left == [] and [p["type"] for p in pieces] == ["limits", "unit"]


def test_a_side_that_cannot_be_read_keeps_the_whole_box_unread():
    # the 南至 side has more in it than a street: three sides alone would open the box
    pieces, _ = _pieces(
        "东至连霍高速公路，西至西临高速临潼收费站出入口，北至陇海线，"
        "南至曲江度假区范围内及芷阳、张铁、高沟、杨寨村拆迁区域"
    )
    assert not [p for p in pieces if p["type"] == "limits" and len(p["limits"]) == 3]


def test_only_including_a_compound_is_that_compound():
    pieces, _ = _pieces("东至甲路，南至乙路，西至丙路，北至丁路，仅含御锦城小区")
    assert "御锦城小区" in [p.get("name") for p in pieces]
    assert not [p for p in pieces if (p.get("name") or "").startswith("仅")]
