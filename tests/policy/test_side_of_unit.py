"""A side of a street or river inside a named community or village (杨家墩社区西江塘以北区域,
马路村以环湖北路为界南侧区域), a walk written A至B至C beside a list, a list of compounds named
as such after the area (其中包含小区：…), and who a whole list is for (…有意愿一表、二表生源).
Before: a street named 杨家墩社区西江塘, the villages beside a walk dropped or a street named
东营头桥头至金桥北路至沪瑞线, the compound list reported, and a compound named 二表."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy
from geo_enroll.policy.coverage import account
from geo_enroll.policy.document import ParseContext
from geo_enroll.policy.grammar import walked_edge_reason
from geo_enroll.policy.scopes import scope_pieces
from geo_enroll.policy.spec import read_policy

from ..conftest import SHARED, need_shared

ZONING = SHARED / "reference" / "zoning-dev"


def _pieces(text):
    return scope_pieces(text, ParseContext(county=None))


def _sides(pieces):
    return [
        (p.get("within"), [(b["street"], b["side"]) for b in p["bounds"]])
        for p in pieces
        if p["type"] == "bounds"
    ]


@pytest.mark.parametrize(
    "text,within,street,side",
    [
        ("杨家墩社区西江塘以北区域", "杨家墩社区", "西江塘", "north_of"),
        ("浦沿街道杨家墩社区西江塘以南区域", "杨家墩社区", "西江塘", "south_of"),
        ("东关村人民路以东", "东关村", "人民路", "east_of"),
        ("河湾村清水河以西区域", "河湾村", "清水河", "west_of"),
        ("马路村以环湖北路为界南侧区域", "马路村", "环湖北路", "south_of"),
        ("东关村以人民路为界东面区域", "东关村", "人民路", "east_of"),
        ("幸福社区以幸福渠为界的北侧区域", "幸福社区", "幸福渠", "north_of"),
    ],
)
def test_that_side_within_the_unit(text, within, street, side):
    pieces, left = _pieces(text)
    assert left == []
    assert _sides(pieces) == [(within, [(street, side)])]


@pytest.mark.parametrize(
    "text,street",
    [
        ("王家村东路以北区域", "王家村东路"),  # a street named after the village
        ("新村路以南", "新村路"),
        ("李村河以东", "李村河"),
    ],
)
def test_a_street_named_after_a_village_stays_the_street(text, street):
    pieces, left = _pieces(text)
    assert left == []
    assert _sides(pieces)[0][1][0][0] == street
    assert _sides(pieces)[0][0] is None


def test_the_side_as_written_is_kept_in_the_fragment():
    spec = parse_policy("# 招生范围\n\n第一小学：马路村以环湖北路为界南侧区域（含青塘坞小区）")
    [zone] = spec["schools"][0]["zones"]
    assert zone["fragment"] == "马路村以环湖北路为界南侧区域（含青塘坞小区）"
    assert zone["includes"] == ["青塘坞小区"]
    assert spec["unparsed"] == []


def test_a_chain_of_streets_as_the_border_is_still_reported():
    """A——B——C为界西南区域: one side of a chain, diagonal: reported, never a wrong box."""
    pieces, left = _pieces("东塘社区，东起滨江四弄——富春路——小岭路为界西南区域")
    assert left == ["东起滨江四弄——富春路——小岭路为界西南区域"]
    assert [p["name"] for p in pieces] == ["东塘社区"]


@pytest.mark.parametrize(
    "walk",
    [
        "东营头桥头至金桥北路至沪瑞线（320国道）以西以北区域",
        "东南旅游码头至珍珠半岛至东方海岸小区",
        "水稻所路→金桥北路→沪瑞线（320国道）以东区域",
    ],
)
def test_a_walk_beside_a_list_is_reported_and_the_list_read(walk):
    pieces, left = _pieces(f"观前村、泗洲村、勤丰村，{walk}")
    assert left == [walk]
    assert [p["name"] for p in pieces] == ["观前村", "泗洲村", "勤丰村"]
    assert walked_edge_reason(walk)


@pytest.mark.parametrize(
    "text",
    ["东至人民路、南至胜利路、西至和平路、北至建设路", "1.东至绕城高速三墩段、南至西湖余杭交界处"],
)
def test_limits_are_no_walk(text):
    assert walked_edge_reason(text) is None


def test_a_walk_beside_a_side_with_no_place_of_its_own_is_reported_whole():
    """东起A沿B至C，D路以南区域: the side may belong to the walk's box: nothing is read alone."""
    text = "东起滨江路沿江堤至富春路，小岭路以南区域"
    pieces, left = _pieces(text)
    assert pieces == [] and left == [text]


@pytest.mark.parametrize("label", ["其中包含小区:", "其中包括小区：", "包含楼盘：", "含小区："])
def test_compounds_named_as_such_after_the_area(label):
    text = f"# 招生范围\n\n第一小学：东塘社区。{label}东方海岸、光明府、千岛湖雅苑、柳岸晓风等。"
    spec = parse_policy(text)
    zones = spec["schools"][0]["zones"]
    names = [z["name"] for z in zones if z["kind"] == "compound"]
    assert names == ["东方海岸", "光明府", "千岛湖雅苑", "柳岸晓风"]
    assert spec["unparsed"] == []
    assert account(text, spec)["silent"] == []


def test_a_later_sentence_of_guessed_names_is_still_not_a_continuation():
    """Without the label, bare names after the area are a guess: not read as compounds."""
    spec = parse_policy(
        "# 招生范围\n\n第一小学：东塘社区。东方海岸、光明府、千岛湖雅苑、柳岸晓风等。"
    )
    kinds = [z["kind"] for z in spec["schools"][0]["zones"]]
    assert "compound" not in kinds


@pytest.mark.parametrize(
    "tail", ["有意愿一表、二表生源", "一表生、二表生", "有意愿的一表、二表、三表学生"]
)
def test_who_of_a_whole_list_is_no_place(tail):
    pieces, left = _pieces(f"青城社区、坪山村、宕里社区其他区域（东方海岸、光明府以外区域）{tail}")
    assert left == []
    assert [p["name"] for p in pieces] == ["青城社区", "坪山村", "宕里社区"]
    assert pieces[-1]["exclude"] == ["东方海岸", "光明府"]


def test_on_the_real_hangzhou_notices():
    """The 杭州 notices in ../shared/reference (not shipped with the project; skipped without)."""
    urban, _ = read_policy(need_shared(ZONING / "hangzhou_urban-districts_2026.md"))
    spec = parse_policy(urban)
    zones = {s["name"]: s["zones"] for s in spec["schools"]}
    for school, side in (("杭州市钱江湾小学", "north_of"), ("杭州市浦沿小学", "south_of")):
        [z] = [z for z in zones[school] if z["kind"] == "directional_bounds"]
        assert (z["within"], z["bounds"]) == ("杨家墩社区", [{"street": "西江塘", "side": side}])
    names = {u["name"] for z in zones["杭州市富阳区阳陂湖小学"] for u in z.get("units", [])}
    assert {"观前村", "泗洲村", "沈家坞村"} <= names
    assert not any(z["kind"] == "directional_bounds" for z in zones["杭州市富阳区阳陂湖小学"])

    counties, _ = read_policy(need_shared(ZONING / "hangzhou_xiaoshan-and-counties_2026.md"))
    spec = parse_policy(counties)
    zones = next(s["zones"] for s in spec["schools"] if s["name"] == "淳安县千岛珍珠学校")
    compounds = {z["name"] for z in zones if z["kind"] == "compound"}
    assert {"东方海岸", "光明府", "柳岸晓风", "青塘坞小区"} <= compounds
    assert "二表" not in compounds
    [z] = [z for z in zones if z["kind"] == "directional_bounds"]
    assert (z["within"], z["bounds"]) == ("马路村", [{"street": "环湖北路", "side": "south_of"}])
