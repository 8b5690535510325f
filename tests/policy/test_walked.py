"""Numbered areas (73和74区), places joined by 和/及, rings of streets walked in order
(A→B→C以内区域, 东起A——B——C区域) and walked edges (东起…沿…至…): each parsed, or reported
in ``unparsed`` with its reason — never a street named 东至X or an area named 24."""

from __future__ import annotations

import re

import pytest

from geo_enroll.policy import parse_policy
from geo_enroll.policy.document import ParseContext
from geo_enroll.policy.scopes import scope_pieces
from tests.conftest import SHARED, need_shared

DEV = SHARED / "reference" / "zoning-dev"
HEAD = "某市2024年义务教育学校招生工作方案\n一、招生范围\n"
WALKED = "沿路描述的边界"


def _pieces(text: str) -> tuple[list[dict], list[str]]:
    return scope_pieces(text, ParseContext(county=None))


def _names(pieces: list[dict]) -> list[str]:
    return [p["name"] for p in pieces if "name" in p]


@pytest.mark.parametrize(
    "text,want",
    [
        ("73和74区", ["73区", "74区"]),
        ("73及74区中的区域", ["73区", "74区"]),
        ("24、25、29、30区", ["24区", "25区", "29区", "30区"]),
        ("7-10、12区", ["7区", "8区", "9区", "10区", "12区"]),
        ("73区", ["73区"]),
    ],
)
def test_numbered_areas(text, want):
    pieces, left = _pieces(text)
    assert _names(pieces) == want and left == []


def test_numbered_areas_in_an_inclusion_and_not_elsewhere():
    pieces, _ = _pieces(
        "107国道以东，新圳路以北，前进路以西，创业二路以南区域（包括7、8、9、10区等）"
    )
    assert pieces[0]["includes"] == ["7区", "8区", "9区", "10区"]
    pieces, _ = _pieces("青石路75、77号")  # house numbers keep their 号
    assert pieces[0]["type"] == "street_list" and pieces[0]["numbers"]["list"] == [75, 77]
    pieces, _ = _pieces("1-200区")  # a range too long to be areas: left as one name
    assert _names(pieces) != [f"{n}区" for n in range(1, 201)]


@pytest.mark.parametrize(
    "text,want",
    [
        ("秋丰村和春华村", ["秋丰村", "春华村"]),
        ("东关社区及西关社区", ["东关社区", "西关社区"]),
        ("泥山湾村和市坞村的常住户口", ["泥山湾村", "市坞村"]),
        ("林语和鸣", ["林语和鸣"]),  # one name: no place word before 和
    ],
)
def test_places_joined_by_he_ji(text, want):
    pieces, left = _pieces(text)
    assert _names(pieces) == want and left == []


@pytest.mark.parametrize(
    "text,streets",
    [
        (
            "富春湾大道→经纬路→亭山西路→望波南街以内区域",
            ["富春湾大道", "经纬路", "亭山西路", "望波南街"],
        ),
        (
            "恩波大道->公望街->金桥北路范围内的社区及股份经济合作社",
            ["恩波大道", "公望街", "金桥北路"],
        ),
        (
            "东起迎春南路——城南路——大奇山路——富春江堤区域",
            ["迎春南路", "城南路", "大奇山路", "富春江堤"],
        ),
        ("西环北路→青云浦（四号渠）→305 省道以内区域", ["西环北路", "青云浦", "305省道"]),
    ],
)
def test_rings_walked_in_order(text, streets):
    pieces, left = _pieces(text)
    assert left == []
    assert [(p["type"], p["bounded_by"], p["surrounded"]) for p in pieces] == [
        ("bounds", streets, True)
    ]


def test_ring_then_villages():
    pieces, left = _pieces("甲路→乙路→丙路以内区域，秋丰村和春华村")
    assert [p["type"] for p in pieces] == ["bounds", "unit", "unit"] and left == []


def test_arrow_steps_each_with_a_side_are_a_box():
    pieces, left = _pieces("苕溪以南→农林大路以东→石镜街以北→天目路以西")
    assert left == []
    assert [(b["street"], b["side"]) for b in pieces[0]["bounds"]] == [
        ("苕溪", "south_of"),
        ("农林大路", "east_of"),
        ("石镜街", "north_of"),
        ("天目路", "west_of"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "东起滨江四弄——富春路——小岭路为界西南区域",  # one side of a chain: no ring
        "东起桑园路——白云源路——梅林路——富春江堤",  # no closing word
        "西从浦沿路与东冠路交叉点沿浦沿路往北延伸至东信大道和浙赣铁路交叉点",
        "甲路→乙路以内区域",  # two streets enclose nothing
    ],
)
def test_walked_edges_are_reported_with_their_reason(text):
    pieces, left = _pieces(text)
    assert pieces == [] and left == [text]
    spec = parse_policy(HEAD + f"城东小学：{text}；东关村。")
    assert any(WALKED in u["reason"] for u in spec["unparsed"]), spec["unparsed"]
    assert [u["name"] for s in spec["schools"] for z in s["zones"] for u in z["units"]] == [
        "东关村"
    ]


def test_north_bounded_by_is_a_limit():
    pieces, left = _pieces("东至沙井路，南至沙福路，西至海边，北以沙中路-万乐路为界的围合片区")
    assert left == [] and pieces[0]["type"] == "limits"
    assert pieces[0]["limits"]["north"] == "沙中路-万乐路"


def test_a_lone_limit_clause_is_no_street():
    spec = parse_policy(
        HEAD + "高教园小学：西至甲路;东至火炬大道。\n第一小学招收东关村适龄儿童。\n"
    )
    assert not [
        z for s in spec["schools"] for z in s["zones"] if z.get("street", "").startswith("东至")
    ]
    assert any("东至火炬大道" in u["text"] for u in spec["unparsed"])


_DIRECTION_NAME = re.compile(r"^[东南西北](?:至|起|从|自)")


@pytest.mark.parametrize(
    "doc",
    [
        "shenzhen_baoan_2024.md",
        "hangzhou_urban-districts_2026.md",
        "hangzhou_xiaoshan-and-counties_2026.md",
        "xian_chanba-xincheng-lintong_2025.md",
    ],
)
def test_real_documents_name_no_limit_as_a_place(doc):
    spec = parse_policy(need_shared(DEV / doc).read_text(encoding="utf-8"))
    names = [
        n
        for s in spec["schools"]
        for z in s["zones"]
        for n in [z.get("street"), z.get("name"), *(u["name"] for u in z.get("units", []))]
        + [b["street"] for b in z.get("bounds", [])]
        if n
    ]
    assert not [n for n in names if _DIRECTION_NAME.match(n) or "→" in n]
    assert not [n for n in names if re.fullmatch(r"\d+|\d+区等", n)]


def test_real_shenzhen_and_hangzhou_rings():
    baoan = parse_policy(need_shared(DEV / "shenzhen_baoan_2024.md").read_text(encoding="utf-8"))
    shanghe = next(s for s in baoan["schools"] if s["name"] == "上合小学")
    assert {"73区", "74区"} <= {z.get("name") for z in shanghe["zones"]}
    text = need_shared(DEV / "hangzhou_xiaoshan-and-counties_2026.md").read_text(encoding="utf-8")
    spec = parse_policy(text)
    chunjiang = next(s for s in spec["schools"] if s["name"] == "桐庐县春江小学")
    assert chunjiang["zones"][0]["bounded_by"][0] == "迎春南路"
    walked = [u for u in spec["unparsed"] if WALKED in u["reason"]]
    assert any("为界西南区域" in u["text"] for u in walked)


def test_a_staircase_is_a_walk_in_order():
    """A walk that turns the same way more than once is no box: the steps are kept in order
    for the digitiser to draw the ring they make (tests/basemap/test_walked.py)."""
    text = "农林大路以西→衣锦街以北→江桥路以西→城中街以北锦城街道区域内的常住户口"
    pieces, left = _pieces(text)
    assert left == []
    [p] = pieces
    assert p["walked"] is True and p["within"] == "锦城街道"
    assert [(b["street"], b["side"]) for b in p["bounds"]] == [
        ("农林大路", "west_of"),
        ("衣锦街", "north_of"),
        ("江桥路", "west_of"),
        ("城中街", "north_of"),
    ]


@pytest.mark.parametrize(
    "text,streets,side,within",
    [
        (
            "320国道→上林南路→九龙大道以北区域",
            ["320国道", "上林南路", "九龙大道"],
            "north_of",
            None,
        ),
        (
            "320国道→上林南路（原科创西路）→九龙大道以北区域",
            ["320国道", "上林南路", "九龙大道"],
            "north_of",
            None,
        ),
        (
            "江滨西大道——秦望路——文教路以南的富春街道区域",
            ["江滨西大道", "秦望路", "文教路"],
            "south_of",
            "富春街道",
        ),
    ],
)
def test_one_side_of_a_whole_chain_is_a_box_side(text, streets, side, within):
    """A→B→C以北: the streets together are one limit (as 余杭塘路与草营巷以北), the parent
    closes the rest."""
    pieces, left = _pieces(text)
    assert left == []
    [p] = pieces
    assert [b["street"] for b in p["bounds"]] == streets
    assert {b["side"] for b in p["bounds"]} == {side}
    assert p["within"] == within and not p.get("walked")
    assert p["text"] == text


@pytest.mark.parametrize(
    "text",
    [
        "东起长安街，沿长安街向南至建设路，沿建设路向西至民生路，沿民生路向北至光明大街，沿光明大街向东至长安街",
        "从长安街与光明大街交叉口起，沿长安街往南至建设路，沿建设路往西至民生路，沿民生路往北至光明大街，"
        "沿光明大街往东至起点所围区域",
        "东起长安街，沿长安街向南至建设路，再沿建设路向西至民生路，然后顺着民生路向北至光明大街，"
        "沿光明大街向东延伸至长安街，回到起点",
        "自长安街与光明大街交叉口起，沿长安街往南至建设路与长安街交叉口，沿建设路往西至民生路，"
        "沿民生路往北至光明大街，沿光明大街往东至起点为止",
    ],
)
def test_a_walk_back_to_its_start_is_a_ring(text):
    pieces, left = _pieces(text)
    assert left == []
    assert [(p["type"], p.get("bounded_by"), p.get("surrounded")) for p in pieces] == [
        ("bounds", ["长安街", "建设路", "民生路", "光明大街"], True)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "东起长安街，沿长安街向南至建设路，沿建设路向西至民生路",  # does not come back
        "东起长安街，沿长安街向南至建设路，沿建设路向西至民生路，沿民生路向北至光明大街",
        "西从浦沿路与东冠路交叉点沿浦沿路往北延伸至东信大道和浙赣铁路交叉点",  # one side (杭州)
    ],
)
def test_an_open_walk_is_still_reported(text):
    pieces, left = _pieces(text)
    assert not any(p.get("bounded_by") for p in pieces)
    assert left
