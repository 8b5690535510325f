"""Lists introduced by what they list: 主要社区有：楼岗，山门社区 (communities), 主要小区有：宏发君域、
联投东方华府（1、2期） (compounds).  Before, the label stuck to the first name (主要社区有：溪头 was
not understood) and a later sentence of compounds was reported unread.  (深圳宝安 2024.)"""

from __future__ import annotations

from geo_enroll.policy import parse_policy
from geo_enroll.policy.spec import read_policy

from ..conftest import SHARED, need_shared

ZONING = SHARED / "reference" / "zoning-dev"


def _zones(text: str) -> tuple[list[tuple], list[str]]:
    spec = parse_policy(f"# 某区招生范围\n\n### 小学\n{text}\n")
    got = []
    for s in spec["schools"]:
        for z in s["zones"]:
            if z["kind"] == "compound":
                got.append(("compound", z["name"]))
            for u in z.get("units") or []:
                got.append(("unit", u["name"]))
    return got, [u["text"] for u in spec.get("unparsed", [])]


def test_a_community_list_after_its_label():
    got, left = _zones("松岗实验学校：主要社区有：溪头、沙浦围、松岗社区坑尾村。")
    assert ("unit", "溪头村") in got and ("unit", "沙浦围村") in got
    assert not left


def test_a_later_sentence_of_compounds_with_phases():
    got, left = _zones(
        "松岗第二小学：沙江路以南，107国道以东区域。主要小区有：宝利豪庭、联投东方华府（1、2期）、居乐苑。"
    )
    assert [g for g in got if g[0] == "compound"] == [
        ("compound", "宝利豪庭"),
        ("compound", "联投东方华府（1、2期）"),  # a compound and its phases, not a unit's part
        ("compound", "居乐苑"),
    ]
    assert not left


def test_a_later_sentence_of_communities_names_them_as_such():
    got, left = _zones("松岗第二小学：沙江路以南，107国道以东区域；主要社区有：楼岗，山门社区。")
    assert ("unit", "楼岗社区") in got and ("unit", "山门社区") in got
    assert not left
    got, _ = _zones("某某小学：沙江路以南，107国道以东区域；主要村有：上屋，下屋村。")
    assert ("unit", "上屋村") in got and ("unit", "下屋村") in got


def test_part_of_a_community_is_still_reported():
    """东方（部分）: which part is unsaid — the sentence is reported, nothing is claimed."""
    got, left = _zones(
        "松岗第二小学：沙江路以南，107国道以东区域；主要社区有：楼岗，东方（部分）。"
    )
    assert ("unit", "楼岗社区") not in got
    assert left == ["主要社区有：楼岗，东方（部分）"]


def test_on_the_real_notice():
    """深圳宝安 2024 in ../shared/reference (not shipped; skipped without): line 489."""
    text, _ = read_policy(need_shared(ZONING / "shenzhen_baoan_2024.md"))
    spec = parse_policy(text)
    school = next(s for s in spec["schools"] if s["name"] == "松岗实验学校（小学部）")
    compounds = {z["name"] for z in school["zones"] if z["kind"] == "compound"}
    assert {"宏发君域", "中海西岸华府", "深铁璟城"} <= compounds
    units = {u["name"] for z in school["zones"] for u in z.get("units") or []}
    assert "溪头村" in units
    assert not [u for u in spec["unparsed"] if u["line"] == 489]


def _limits(text: str) -> list[tuple]:
    spec = parse_policy(f"# 某区招生范围\n\n### 小学\n{text}\n")
    return [
        (z["within"], z["limits"])
        for s in spec["schools"]
        for z in s["zones"]
        if z["kind"] == "street_limits"
    ]


def test_the_place_a_box_lies_in_written_after_its_last_limit():
    """…南至东方大道的松岗街道行政区域范围: the street is 东方大道, the box lies in 松岗街道
    (the limit was the whole phrase, a street no map has)."""
    assert _limits(
        "松岗第二小学：北至沙江路，西至107国道，南至东方大道的松岗街道行政区域范围。"
    ) == [("松岗街道", {"north": "沙江路", "west": "107国道", "south": "东方大道"})]
    assert _limits("某某小学：东至107国道，南至河滨南路，北至沙江路以内的城关镇范围。") == [
        ("城关镇", {"east": "107国道", "south": "河滨南路", "north": "沙江路"})
    ]


def test_more_places_after_the_children_word():
    """东关村、西关村的适龄儿童，以及南关村1、2组: the clause after 适龄儿童 goes on with the
    list (it was reported as a clause that produced no rule); one that names no place stays
    reported."""
    got, left = _zones("某某小学：东关村、西关村的适龄儿童，以及南关村1、2组。")
    assert [g for g in got if g[0] == "unit"] == [
        ("unit", "东关村"),
        ("unit", "西关村"),
        ("unit", "南关村"),
        ("unit", "南关村"),
    ]
    assert not left
    got, left = _zones("某某小学：东关村的适龄儿童，还有东风村。")
    assert ("unit", "东风村") in got and not left
    got, left = _zones("某某小学：东关村的适龄儿童，以及其他符合条件的儿童。")
    assert got == [("unit", "东关村")] and left == ["以及其他符合条件的儿童"]
