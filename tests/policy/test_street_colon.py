"""A street and its house numbers after a colon (平安正街全部：41号、43号（公交宿舍）…): every
listed number belongs to that street whatever note follows it, sub-addresses (8号附12号,
175号新9号, 3号院, 132号小区) are the house they hang on, named places in the same list are
read on their own (旭达新城), and two streets before one colon share it (欣然一街、二街：…).
Before, a number followed by a note became a unit named "77号", a compound "53号" or
"公交宿舍 within 43号"."""

from __future__ import annotations

import pytest

from geo_enroll.policy.document import ParseContext
from geo_enroll.policy.scopes import scope_pieces


def _pieces(text):
    return scope_pieces(text, ParseContext(county=None))


def _streets(pieces):
    return [
        (p["street"], (p["numbers"] or {}).get("list"), p["sides"])
        for p in pieces
        if p["type"] == "street_list"
    ]


@pytest.mark.parametrize(
    "text,street,numbers,sides",
    [
        (
            "平安正街全部：41号、43号（公交宿舍）、47号（鹏程苑）、53号、55号（平安馨苑）",
            "平安正街",
            [41, 43, 47, 53, 55],
            "both",
        ),
        (
            "花径路全部：4号（齐盛花园）、76号（金桂园）、78号（现代金山苑）",
            "花径路",
            [4, 76, 78],
            "both",
        ),
        ("长天路全部：3号院、4号院、6号院", "长天路", [3, 4, 6], "both"),
        ("华油路：8号（首汇观筑）、175号新9号（东风渠）、175号新13号", "华油路", [8, 175], "both"),
        ("华实路：2号（二重嘉苑）、8号附12号（集体户）", "华实路", [2, 8], "both"),
        ("东沙街全部：50号（东沙路社区）、132号小区", "东沙街", [50, 132], "both"),
        ("双林路单号：251号院(电子十一设计院)、293号院", "双林路", [251, 293], "odd"),
        ("幸福大街双号：12号（幸福苑）、14号", "幸福大街", [12, 14], "even"),
    ],
)
def test_every_listed_number_is_on_the_street(text, street, numbers, sides):
    pieces, left = _pieces(text)
    assert left == []
    assert _streets(pieces) == [(street, numbers, sides)]
    assert [p for p in pieces if p["type"] != "street_list"] == []
    assert pieces[0]["text"] == text  # what was written, notes included


def test_a_parity_stretch_with_its_listed_houses():
    text = "双林路双号(266-388号)：332号(邮政局宿舍)、348号(富临山川汽车厂宿舍)、388号(富临大厦)"
    pieces, left = _pieces(text)
    assert left == []
    [p] = pieces
    assert p["numbers"] == {"from": 266, "to": 388, "parity": "even", "list": [332, 348, 388]}
    assert p["sides"] == "even"


@pytest.mark.parametrize(
    "text,street,numbers,named",
    [
        (
            "水武街全部：39号（祥苑）、77号（东沙路社区）、旭达新城",
            "水武街",
            [39, 77],
            ["旭达新城"],
        ),
        ("站北西横街全部：都市花城、3号院、39号院", "站北西横街", [3, 39], ["都市花城"]),
        ("杉板桥南五路：199号（云景台）、华天龙湖杉峯", "杉板桥南五路", [199], ["华天龙湖杉峯"]),
    ],
)
def test_named_places_in_a_number_list_are_read_on_their_own(text, street, numbers, named):
    pieces, left = _pieces(text)
    assert left == []
    assert _streets(pieces) == [(street, numbers, "both")]
    assert [p["name"] for p in pieces if p["type"] == "compound"] == named


def test_two_streets_before_one_colon():
    text = "欣然一街、二街：1号（浅水80俊）、6号（浅水半岛1期A区、3期D区）、66号"
    pieces, left = _pieces(text)
    assert left == []
    assert _streets(pieces) == [("欣然一街", [1, 6, 66], "both"), ("欣然二街", [1, 6, 66], "both")]
    assert {p["text"] for p in pieces} == {text}


def test_more_numbers_after_a_street_keep_their_notes_out_of_the_names():
    pieces, left = _pieces("青年路1号、3号（阳光小区）、5号")
    assert left == []
    assert _streets(pieces) == [("青年路", [1, 3, 5], "both")]


@pytest.mark.parametrize(
    "text",
    [
        "水武街全部：77号（东沙路社区）、39号",
        "二街：6号（浅水半岛1期A区）、66号（欣然二段C区二期）",
    ],
)
def test_no_unit_or_compound_is_named_by_a_house_number(text):
    pieces, _ = _pieces(text)
    for p in pieces:
        assert p["type"] == "street_list", p


def test_a_list_of_places_after_a_street_word_is_not_a_number_list():
    """No house number at all: the colon heads a list of places (the normal reading)."""
    pieces, left = _pieces("幸福路社区：阳光小区、幸福花园")
    assert left == []
    assert [(p["type"], p["name"], p["sub_area"]) for p in pieces] == [
        ("unit", "幸福路社区", "阳光小区"),
        ("unit", "幸福路社区", "幸福花园"),
    ]
