"""Words around a list item that are not its place: a township's office (斜口街办, 任留街道办事处:
the township 街道), the county or city written before a township (桐庐县旧县街道), who lives there
(颐馨湿地壹号已落户范围, 房产生、居住证类及其他类), "every unit within" a township (太阳镇辖区内
11个行政村和1个居民组: the township), notes on a whole street (滨江西路（各段）, 金巷正街（含…）) — and
what must be reported instead of read: part of a street (崔家店南路（部分）), a feeder phrase
(秦陵街办各小学).  Before, each of these was a unit or compound named by the phrase."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy
from geo_enroll.policy.coverage import account
from geo_enroll.policy.document import ParseContext
from geo_enroll.policy.scopes import scope_pieces


def _pieces(text):
    return scope_pieces(text, ParseContext(county=None))


def _whole_towns(pieces):
    return [p["town"] for p in pieces if p["type"] == "unit" and p.get("whole_township")]


@pytest.mark.parametrize(
    "text,town",
    [
        ("斜口街办", "斜口街道"),
        ("任留街道办事处", "任留街道"),
        ("新丰街道办", "新丰街道"),
        ("桐庐县旧县街道", "旧县街道"),
        ("杭州市富阳区常绿镇", "常绿镇"),
        ("太阳镇辖区内11个行政村和1个居民组", "太阳镇"),
        ("红星镇所辖8个村和2个社区", "红星镇"),
    ],
)
def test_the_township_itself(text, town):
    pieces, left = _pieces(text)
    assert left == []
    assert _whole_towns(pieces) == [town]


def test_a_count_without_within_is_those_units_not_the_township():
    """宝昌镇6个社区 is the six communities (expanded from the official list), not the town."""
    pieces, left = _pieces("宝昌镇6个社区")
    assert left == []
    assert [(p["type"], p.get("n")) for p in pieces] == [("count", 6)]


@pytest.mark.parametrize(
    "text,town,village",
    [
        ("代王街办纸李片", "代王街道", "纸李片"),
        ("杭州市富阳区东洲街道建华村", "东洲街道", "建华村"),
        ("瑶琳镇所辖的后浦村", "瑶琳镇", "后浦村"),
        ("萧山区进化镇三浦村", "进化镇", "三浦村"),
    ],
)
def test_a_place_inside_its_township(text, town, village):
    pieces, left = _pieces(text)
    assert left == []
    assert [(p["town"], p["name"]) for p in pieces] == [(town, village)]


@pytest.mark.parametrize(
    "text,name",
    [
        ("颐馨湿地壹号已落户范围", "颐馨湿地壹号"),
        ("骞柳小区已落户范围", "骞柳小区"),
        ("阳光花园已入住", "阳光花园"),
    ],
)
def test_who_lives_there_leaves_the_compound(text, name):
    pieces, left = _pieces(text)
    assert left == []
    assert [(p["type"], p["name"], p["text"]) for p in pieces] == [("compound", name, text)]


def test_categories_after_a_place_are_who_not_where():
    text = "春江街道范围内的户籍生、房产生（其中房产合同类实行分流）、务工经商类、居住证类及其他类"
    pieces, left = _pieces(text)
    assert left == []
    assert _whole_towns(pieces) == ["春江街道"]
    assert len(pieces) == 1


def test_categories_alone_are_reported():
    pieces, left = _pieces("房产生、居住证类")
    assert pieces == [] and left


@pytest.mark.parametrize(
    "text,street",
    [
        ("滨江西路（各段）", "滨江西路"),
        ("金巷正街（含实验幼儿园教师楼）", "金巷正街"),
        ("潘家街（四段除外）", "潘家街"),
    ],
)
def test_a_whole_street_with_a_note(text, street):
    pieces, left = _pieces(text)
    assert left == []
    assert [(p["type"], p["street"], p["numbers"]) for p in pieces] == [
        ("street_list", street, None)
    ]


@pytest.mark.parametrize("text", ["崔家店南路（部分）", "秦陵街办各小学", "城关镇所有小学毕业生"])
def test_reported_not_read(text):
    pieces, left = _pieces(text)
    assert pieces == [] and left == [text]


@pytest.mark.parametrize(
    "text,names", [("碧淙村和夏村", ["碧淙村", "夏村"]), ("潘堰村和元村村", ["潘堰村", "元村村"])]
)
def test_two_villages_joined_by_he(text, names):
    pieces, left = _pieces(text)
    assert left == []
    assert [p["name"] for p in pieces] == names


def test_nothing_silent_and_the_written_text_kept():
    text = (
        "某区2025年初中招生范围\n一、招生范围\n"
        "1.斜口初中：斜口街办、杭州市富阳区东洲街道建华村、颐馨湿地壹号已落户范围\n"
        "2.春江初中：春江街道范围内的户籍生、房产生、居住证类及其他类\n"
        "3.太阳初中：太阳镇辖区内11个行政村和1个居民组\n"
    )
    spec = parse_policy(text)
    assert spec["unparsed"] == []
    assert account(text, spec)["silent"] == []
    names = {
        u.get("name") for s in spec["schools"] for z in s["zones"] for u in z.get("units", [z])
    }
    assert {"斜口街道", "建华村", "颐馨湿地壹号", "春江街道", "太阳镇"} <= names
    assert not any("已落户" in n or "街办" in n or "户籍生" in n for n in names if n)


def test_every_area_within_a_township_is_the_township():
    pieces, left = _pieces("淳安县姜家镇行政区划内所有区域")
    assert left == []
    assert _whole_towns(pieces) == ["姜家镇"]


@pytest.mark.parametrize(
    "text,excluded",
    [
        (
            "宕里社区其他区域（东方海岸、光明府、千岛湖嘉苑以外区域）",
            ["东方海岸", "光明府", "千岛湖嘉苑"],
        ),
        ("东关村（幸福小区以外的区域）", ["幸福小区"]),
    ],
)
def test_all_but_the_places_outside_which(text, excluded):
    pieces, left = _pieces(text)
    assert left == []
    [unit] = pieces
    assert unit["exclude"] == excluded and unit.get("sub_area") is None


def test_a_box_outside_which_is_no_list_of_names():
    """除…以南、…以西…以外的区域 is a negated box (sides), never names to exclude."""
    from geo_enroll.policy.grammar import parse_exclusion

    assert parse_exclusion("青瓷路以南、杨柳河以西以外的区域") is None


@pytest.mark.parametrize(
    "text",
    [
        "新安西路等所属区域",
        "坪山等青溪新城所属区域",
        "南山大街与南景路红绿灯交叉口到底（加油站）",
        "与杭州市创意城小学同学区招生",
    ],
)
def test_phrases_that_name_no_place_are_reported(text):
    pieces, left = _pieces(text)
    assert pieces == [] and left == [text]


@pytest.mark.parametrize(
    "text,name",
    [
        ("原周浦乡所辖的区域范围", "原周浦乡"),
        ("大青片所辖各行政村", "大青片"),
        ("藻溪片区对应行政村", "藻溪片区"),
        ("接纳青城社区", "青城社区"),
    ],
)
def test_the_place_without_the_words_around_it(text, name):
    pieces, left = _pieces(text)
    assert left == []
    assert [p["name"] for p in pieces] == [name]


def test_a_district_word_after_a_township_is_the_township():
    pieces, left = _pieces("锦北街道区域内的常住户口（横溪小学学区除外）")
    assert left == []
    assert _whole_towns(pieces) == ["锦北街道"]
    assert pieces[0]["exclude"] == ["横溪小学学区"]


def test_a_service_label_before_street_numbers():
    pieces, left = _pieces("代招服务范围：槐树店路：6号（十里风和）、8号（原槐树苑A区）")
    assert left == []
    assert [(p["street"], p["numbers"]["list"]) for p in pieces] == [("槐树店路", [6, 8])]


@pytest.mark.parametrize(
    "text,name,note",
    [
        ("新筑新城一期安置的拆迁村（原兰家村）", "新筑新城一期", "原兰家村"),
        ("秦汉和苑安置的拆迁村（原深渡村、西王村）", "秦汉和苑", "原深渡村、西王村"),
        ("幸福家园已安置的农户", "幸福家园", None),
    ],
)
def test_resettled_households_are_the_compound_they_live_in(text, name, note):
    pieces, left = _pieces(text)
    assert left == []
    [p] = pieces
    assert (p["type"], p["name"]) == ("compound", name)
    if note:
        assert note in p["note"]


def test_a_former_township_before_todays():
    pieces, left = _pieces("青龙乡白莲池街道石岭社区")
    assert left == []
    assert [(p["town"], p["name"]) for p in pieces] == [("白莲池街道", "石岭社区")]
