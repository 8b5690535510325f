"""Clause tests of the 太仆寺旗 2024 seed (docs/clauses.md names them by line).

Each test reads the committed spec (what the parser made of the text) and checks that the
engine does what the clause says, on official unit codes or addresses of the county.
"""

from __future__ import annotations

import pandas as pd
import pytest

from geo_enroll.placement.applicants import read_applicants
from geo_enroll.placement.candidates import ZoneIndex, candidate_schools
from geo_enroll.placement.eligibility import assess_eligibility
from geo_enroll.placement.idcard import synth_id


def _geo(code: str, text: str = "", group: str | None = None) -> dict:
    return {
        "input": text,
        "lon": None,
        "lat": None,
        "code": code,
        "village_code": code if len(code) == 12 else None,
        "township_code": code[:9],
        "group": group,
        "level": "village" if len(code) == 12 else "township",
    }


@pytest.fixture(scope="module")
def index(taipusi_spec):
    return ZoneIndex(taipusi_spec, None)


# (line, level, unit code, group, zone school, an optional school or None)
UNIT_CLAUSES = [
    (27, "primary", "152527100204", None, "taipusi-p1", None),  # 宝昌镇城北村
    (27, "primary", "152527100200", "三社", "taipusi-p1", None),  # 菜园村（三社）
    (29, "primary", "152527100203", None, "taipusi-p2", None),  # 宝昌镇宏大村
    (30, "primary", "152527100200", "一社", "taipusi-p3", None),  # 菜园村（一社）
    (31, "primary", "152527100209", None, "taipusi-p4", None),  # 宝昌镇宏胜村
    (31, "primary", "152527104200", None, "taipusi-p4", None),  # 永丰镇三永村
    (33, "primary", "152527100213", None, "taipusi-p5", None),  # 宝昌镇友谊村
    (33, "primary", "152527102200", None, "taipusi-p5", None),  # 红旗镇红旗村
    (33, "primary", "152527200200", None, "taipusi-p5", None),  # 幸福乡重光村
    (35, "primary", "152527101233", None, "taipusi-p-qjg", "taipusi-p4"),  # 千斤沟镇东滩村
    (36, "primary", "152527103210", None, "taipusi-p-lts", "taipusi-p4"),  # 骆驼山镇中河村
    (40, "middle", "152527100003", None, "taipusi-m2", None),  # 东郊社区
    (42, "middle", "152527100209", None, "taipusi-m3", None),  # 宝昌镇宏胜
    (42, "middle", "152527103210", None, "taipusi-m3", None),  # 骆驼山镇
    (42, "middle", "152527102200", None, "taipusi-m3", None),  # 红旗镇
    (44, "middle", "152527104200", None, "taipusi-m4", None),  # 永丰镇
    (44, "middle", "152527101233", None, "taipusi-m4", None),  # 千斤沟镇
    (44, "middle", "152527200200", None, "taipusi-m4", None),  # 幸福乡
    (48, "primary", "152527201200", None, "taipusi-gbl", None),  # 贡宝拉格苏木
    (48, "middle", "152527201200", None, "taipusi-gbl", None),
]


@pytest.mark.parametrize(("line", "level", "code", "group", "school", "option"), UNIT_CLAUSES)
def test_zone_clause_by_official_unit(
    index, taipusi_spec, line, level, code, group, school, option
):
    c = candidate_schools(_geo(code, group=group), level, index=index)
    assert [m["school_id"] for m in c["zone"]] == [school], (line, code)
    if option:
        assert option in {m["school_id"] for m in c["optional"]}
    # the rule applied cites a sentence of the clause's line (body) or an annex row naming it
    lines = {(m.get("source") or {}).get("line") for m in c["zone"]}
    rules = {m["rule_id"] for m in c["zone"]}
    own = [z for s in taipusi_spec["schools"] if s["id"] == school for z in s["zones"]]
    assert any(z["rule_id"] in rules for z in own) and lines


def test_l48_gongbao_children_may_choose_any_school_and_others_may_choose_gongbao(index):
    gbl = candidate_schools(_geo("152527201200"), "primary", index=index)
    assert {"taipusi-p1", "taipusi-p5"} <= {m["school_id"] for m in gbl["optional"]}
    other = candidate_schools(_geo("152527100209"), "primary", index=index)
    assert "taipusi-gbl" in {m["school_id"] for m in other["optional"]}


def test_l27_property_in_the_zone_counts_for_the_purchase_rule(index):
    c = candidate_schools(_geo("152527100204"), "primary", index=index, basis="property_in_zone")
    assert [m["school_id"] for m in c["zone"]] == ["taipusi-p1"]
    assert c["zone"][0]["kind"] == "property_rule"


def _row(i, born="2018-03-01", level="小学", **extra):
    return {
        "身份证号": synth_id("152527", born, 2 * i + 1),
        "出生日期": born,
        "学段": level,
        "户籍地址": "太仆寺旗宝昌镇城北村1号",
        **extra,
    }


def _assess(rows, spec):
    table = read_applicants(pd.DataFrame(rows))
    return assess_eligibility(table, spec=spec).loc[table["student_id"]].reset_index()


def test_l13_age_cutoff_2018_08_31(taipusi_spec):
    el = _assess([_row(1, "2018-08-31"), _row(2, "2018-09-01")], taipusi_spec)
    assert list(el["status"]) == ["", "ineligible"] and el["rule"].iloc[1] == "age_cutoff"


def test_l72_hukou_moved_on_or_before_2023_08_31_counts_at_the_new_address(taipusi_spec):
    rows = [
        _row(1, 户口迁入日期="2023-08-31", 原户籍地址="太仆寺旗永丰镇三永村1号"),
        _row(2, 户口迁入日期="2023-09-01", 原户籍地址="太仆寺旗永丰镇三永村1号"),
    ]
    el = _assess(rows, taipusi_spec)
    used = [o[0]["address"] for o in el["address_options"]]
    assert used == ["太仆寺旗宝昌镇城北村1号", "太仆寺旗永丰镇三永村1号"]


def test_l87_free_choice_and_priority_categories(taipusi_spec):
    el = _assess(
        [
            _row(1, 类别="消防救援人员子女"),
            _row(2, 类别="一线医务人员子女"),
            _row(3, 类别="烈士子女"),
        ],
        taipusi_spec,
    )
    assert list(el["free_choice"]) == [True, True, False]
    assert list(el["priority"]) == [False, False, True]  # 按照相关优待政策和程序安排入学


def test_l83_younger_sibling_asks_for_the_elder_siblings_school(taipusi_spec):
    el = _assess(
        [_row(1, 兄姐在读学校="第二小学"), _row(2, 兄姐在读学校="第二小学", 兄姐择校="是")],
        taipusi_spec,
    )
    assert list(el["preference"].fillna("-")) == ["taipusi-p2", "-"]


def test_l55_l60_timeline_with_its_kinds(taipusi_spec):
    t = taipusi_spec["policy"]["timeline"]
    assert [(x["start"], x["end"], x["kind"]) for x in t] == [
        ("2024-07-01", "2024-07-31", "review"),
        ("2024-08-01", "2024-08-15", "notice_issue"),
        ("2024-08-16", "2024-08-25", "deferral"),
        ("2024-09-01", "2024-09-30", "registration"),
    ]
    assert taipusi_spec["policy"]["appeal_window_working_days"] == 5  # line 74


def test_street_limit_and_compound_clauses_of_lines_27_29_30_and_annex_4(taipusi_spec):
    """Every drawn zone (四至 of 附件4 and the body, 昌盛园小区) gives its school at a point
    inside it (the schematic base map's digitised polygons)."""
    import geopandas as gpd

    from geo_enroll.settings import data_dir

    b = data_dir() / "boundaries"
    zones = gpd.read_file(b / "taipusi_2024_zones.gpkg", layer="zones")
    pts = gpd.read_file(b / "baochang_schematic.gpkg", layer="schools")
    idx = ZoneIndex(taipusi_spec, zones, school_points=pts)
    assert {27, 29, 30} <= set(zones["line"].astype(int))
    for r in zones.itertuples():
        pt = r.geometry.representative_point()
        c = candidate_schools({"lon": pt.x, "lat": pt.y, "input": ""}, r.level, index=idx)
        assert [m["school_id"] for m in c["zone"]] == [r.school_id], r.rule_id
