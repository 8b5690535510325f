"""Four limits in other words and other punctuation.

Before: limits one per sentence (东至东大桥；南至察哈尔街；西至民生路；北至光明大街) gave nothing at
all (each sentence alone has one side) — 杭州 lines 350 (two such boxes, numbered) and 420 were
reported sentence by sentence; 东起A，西至B，南起C，北至D, 东：A；南：B…, and a label 四至范围：
gave nothing; …北到光明大街之间的区域 gave a north limit named 光明大街之间."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy
from geo_enroll.policy.spec import read_policy

from ..conftest import ROOT, SHARED, need_shared

ZONING = SHARED / "reference" / "zoning-dev"
BOX = {"east": "东大桥", "south": "察哈尔街", "west": "民生路", "north": "光明大街"}


def _limits(scope: str) -> tuple[list[dict], list[str]]:
    spec = parse_policy(f"# 某县招生范围\n\n第二小学：东关村。\n第一小学：{scope}。\n")
    school = next(s for s in spec["schools"] if s["name"] == "第一小学")
    return [z["limits"] for z in school["zones"] if z["kind"] == "street_limits"], [
        u["text"] for u in spec["unparsed"]
    ]


@pytest.mark.parametrize(
    "scope",
    [
        "东至东大桥；南至察哈尔街；西至民生路；北至光明大街",
        "东界：东大桥；南界：察哈尔街；西界：民生路；北界：光明大街",
        "东：东大桥；南：察哈尔街；西：民生路；北：光明大街",
        "东起东大桥，南起察哈尔街，西至民生路，北至光明大街",
        "四至范围：东至东大桥，南至察哈尔街，西至民生路，北至光明大街",
        "东到东大桥、南到察哈尔街、西到民生路、北到光明大街之间的区域",
    ],
)
def test_one_box(scope):
    got, left = _limits(scope)
    assert got == [BOX]
    assert not left


def test_two_half_boxes_stay_two():
    """北至A，东至B；西至C、北至D (深圳宝安 480's shape): a side named twice — not one box."""
    got, _ = _limits("北至松明大道，东至107国道；西至松瑞路、北至东方大道")
    assert got == [
        {"north": "松明大道", "east": "107国道"},
        {"west": "松瑞路", "north": "东方大道"},
    ]


def test_two_sides_of_a_box_whose_others_are_walked_are_not_a_box():
    """杭州 449's shape: 西从…沿…; 北以…为界; 东至…; 南从…沿…: the two plain sides alone would
    be a far larger area than the walked box — reported, as before."""
    got, _ = _limits(
        "西从甲路与乙路交叉点沿甲路往北延伸至丙路;北以浙赣铁路为界;东至火炬大道;南从甲路沿乙路至丁路"
    )
    assert got == []


def test_a_walk_starting_with_qi_is_no_limit():
    """东起A——B——C / 北起…至…: a chain or a walk, not one street (建德 564, 607)."""
    got, _ = _limits("东起府西路以西——新安东路——白沙路以西，西至紫金滩，南至新安江北岸")
    assert got == []


def test_on_the_real_notice():
    """杭州 2026 in ../shared/reference (not shipped; skipped without): 留下小学 (line 350) has
    its two numbered boxes, 保俶塔申花实验学校（小和山校区） (line 420) its one."""
    text, _ = read_policy(need_shared(ZONING / "hangzhou_urban-districts_2026.md"))
    spec = parse_policy(text)
    boxes = {
        s["name"]: [z["limits"] for z in s["zones"] if z["kind"] == "street_limits"]
        for s in spec["schools"]
        if s["name"] in ("杭州市留下小学", "杭州市保俶塔申花实验学校（小和山校区）")
    }
    assert [sorted(b) for b in boxes["杭州市留下小学"]] == [["east", "north", "south", "west"]] * 2
    assert boxes["杭州市留下小学"][1]["south"] == "留下和转塘交界处"
    assert boxes["杭州市保俶塔申花实验学校（小和山校区）"] == [
        {
            "east": "绕城高速留下段",
            "south": "留下转塘交界处",
            "west": "西湖余杭交界处",
            "north": "西湖余杭交界处",
        }
    ]
    assert not [u for u in spec["unparsed"] if u["line"] in (350, 420)]


def _streets(scope: str) -> tuple[list[tuple], list[str]]:
    spec = parse_policy(f"# 某县招生范围\n\n第二小学：东关村。\n第一小学：{scope}。\n")
    school = next(s for s in spec["schools"] if s["name"] == "第一小学")
    return [
        (z["street"], z["numbers"], z["sides"])
        for z in school["zones"]
        if z["kind"] == "street_list"
    ], [u["text"] for u in spec["unparsed"]]


@pytest.mark.parametrize(
    "scope, got",
    [
        (  # the second stretch was lost (成都大邑 line 56: 小东街（1—97号，2—98号）)
            "人民路（1-99号、2-100号）",
            [
                ("人民路", {"from": 1, "to": 99, "parity": "all"}, "both"),
                ("人民路", {"from": 2, "to": 100, "parity": "all"}, "both"),
            ],
        ),
        (  # was {from 2, to 100, odd} and {even} with no numbers
            "人民路（1-99号单号、2-100号双号）",
            [
                ("人民路", {"from": 1, "to": 99, "parity": "odd"}, "odd"),
                ("人民路", {"from": 2, "to": 100, "parity": "even"}, "even"),
            ],
        ),
        (  # was the list [99, 99]
            "人民路99号以前（含99号）",
            [("人民路", {"from": 1, "to": 99, "parity": "all"}, "both")],
        ),
        ("围城南路中段", [("围城南路中段", None, "both")]),  # was a compound of that name
    ],
)
def test_house_numbers(scope, got):
    streets, left = _streets(scope)
    assert streets == got
    assert not left


def test_a_stretch_of_a_street_with_a_side_is_reported():
    """人民路北段（解放路以北） was the area north of 解放路 inside a place named 人民路北段 (not
    found, so every address north of 解放路): reported."""
    streets, left = _streets("人民路北段（解放路以北）")
    assert streets == [] and left == ["人民路北段（解放路以北）"]


@pytest.mark.parametrize(
    "scope",
    [
        "东至东大桥西侧，南至察哈尔街北侧，西至民生路东侧，北至光明大街南侧",
        "东至东大桥以西，南至察哈尔街以北，西至民生路以东，北至光明大街以南",
        "东至东大桥西面，南至察哈尔街北边，西至民生路的东侧，北至光明大街南沿",
        "东至东大桥中心线，南至察哈尔街道路中心线，西至民生路中线，北至光明大街",
    ],
)
def test_a_side_or_centre_line_of_the_limit_street(scope):
    """东至东大桥西侧: the limit is 东大桥 (before: a street named 东大桥以西, which no map has,
    so the box was not drawn); the box is the same on the map as the plain one's."""
    assert _limits(scope) == ([BOX], [])


def test_a_sided_limit_draws_the_plain_box():
    """On the shipped 宝昌镇 schematic map, the sided limits draw the same polygon."""
    from geo_enroll.basemap.layers import read_basemap
    from geo_enroll.digitise.core import digitise

    basemap = read_basemap(ROOT / "data" / "boundaries" / "baochang_schematic.gpkg")
    areas = []
    for limits in ("东至东大桥，南至察哈尔街", "东至东大桥西侧，南至察哈尔街北侧"):
        spec = parse_policy(
            "# 太仆寺旗2024年义务教育招生划片范围\n\n"
            f"第一小学招收南郊社区（{limits}，西至民生路，北至光明大街）户籍适龄儿童。\n"
        )
        got = digitise(spec, basemap)
        assert [r["status"] for r in got.rules] == ["ok"]
        areas.append(got.rules[0]["area_m2"])
    assert areas[0] > 0 and areas[0] == areas[1]
