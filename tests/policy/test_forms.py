"""The layouts real notices use (issue 9), each in variants written for these tests.

Names and numbers are invented; each text is in the style of a bureau's announcement.  Every
test also checks that nothing was lost silently (:func:`geo_enroll.policy.coverage.account`).
"""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy
from geo_enroll.policy.coverage import account
from geo_enroll.policy.parse import SILENT_REASON
from geo_enroll.policy.spec import validate_spec


def _parse(text: str) -> dict:
    spec = parse_policy(text)
    assert validate_spec(spec) == []
    assert account(text, spec)["silent"] == []
    return spec


def _by_name(spec: dict) -> dict:
    return {s["name"]: s for s in spec["schools"]}


def _kinds(school: dict) -> list[str]:
    return [z["kind"] for z in school["zones"]]


def _units(school: dict, kind: str = "admin_units") -> list[tuple]:
    return [
        (u["name"], u["group"]) for z in school["zones"] if z["kind"] == kind for u in z["units"]
    ]


def _streets(school: dict) -> dict:
    return {z["street"]: z for z in school["zones"] if z["kind"] == "street_list"}


# ------------------------------------------------------------------ 1. headed sections

HEADED = {
    "markdown": "某区2026年小学招生范围\n## 3. 城东小学\n青石路\n幸福小区\n东关村、西关村\n",
    "bracket_ordinal": "某区2026年小学招生范围\n（三）城东小学\n青石路\n幸福小区\n东关村、西关村\n",
    "number_comma": "某区2026年小学招生范围\n3、城东小学\n青石路\n幸福小区\n东关村、西关村\n",
    "bold": "某区2026年小学招生范围\n**城东小学**\n- 青石路\n- 幸福小区\n- 东关村、西关村\n",
    "announcement": "（05）2026年某区城东小学一年级新生登记范围\n青石路\n幸福小区\n东关村、西关村\n",
}


@pytest.mark.parametrize("variant", sorted(HEADED))
def test_headed_section_opens_a_school_and_its_bare_list_yields_rules(variant):
    spec = _parse(HEADED[variant])
    school = _by_name(spec)["城东小学"]
    assert sorted(_kinds(school)) == ["admin_units", "compound", "street_list"]
    assert _units(school) == [("东关村", None), ("西关村", None)]
    assert "青石路" in _streets(school)
    assert spec["unparsed"] == []


def test_a_title_with_a_school_code_and_a_heading_ending_the_block():
    spec = _parse(
        "某区2026年初中学区\n介壽國中（313501）\n- 基本學區（松山區）：介壽、東榮\n\n"
        "二、其他事项\n请家长按时报名，逾期不候，具体时间另行通知。\n"
    )
    school = _by_name(spec)["介壽國中"]
    assert school["level"] == "middle"
    assert _units(school) == [("介壽", None), ("東榮", None)]
    assert {u["township"] for z in school["zones"] for u in z["units"]} == {"松山區"}


# ------------------------------------------------------------------ 2. tables, campus names

TABLE = """某区2026年小学招生范围
| 序号 | {school} | 招生范围 |
|---|---|---|
| 1 | 实验小学（东区） | 东关社区、西关社区 |
| 2 | 城关一小 | 南关村 |
| 3 | 育才学校（小学部） | 北关村 |
| 4 | 师大附小 | 青年路（双号） |
| 5 | 二中 | 幸福村 |
"""


@pytest.mark.parametrize("header", ["学校", "学校名称", "小学", "校名"])
def test_table_school_column_by_header_keeps_cell_text(header):
    spec = _parse(TABLE.format(school=header))
    names = _by_name(spec)
    assert set(names) == {"实验小学（东区）", "城关一小", "育才学校（小学部）", "师大附小", "二中"}
    assert names["二中"]["level"] == "middle" and names["师大附小"]["level"] == "primary"
    assert _streets(names["师大附小"])["青年路"]["sides"] == "even"


def test_csv_table_in_a_fence_with_traditional_headers():
    spec = _parse(
        "## 國民小學 學區\n\n```csv\n行政區,里別,鄰別,基本學區\n"
        "東區,東門里,7-12 鄰,勝利國小\n東區,東門里,1-5 鄰,博愛國小\n"
        "東區,東門里,6 鄰,共同學區：勝利國小、博愛國小\n"
        "東區,大同里,除 4 鄰外之其餘鄰別,大同國小\n東區,泉南里,全,勝利國小\n```\n"
    )
    names = _by_name(spec)
    assert {s["level"] for s in names.values()} == {"primary"}
    assert _units(names["勝利國小"]) == [("東門里", "7-12鄰"), ("泉南里", None)]
    shared = [z for z in names["博愛國小"]["zones"] if z["kind"] == "multi_school"]
    assert [u["group"] for u in shared[0]["units"]] == ["6鄰"]
    assert sorted(shared[0]["schools"]) == sorted(
        [names["勝利國小"]["id"], names["博愛國小"]["id"]]
    )
    (unit,) = [u for z in names["大同國小"]["zones"] for u in z["units"]]
    assert unit["exclude"] == ["4鄰"] and unit["group"] is None
    assert spec["policy"]["eligibility"]["multi_school_zoning"] is True


def test_free_choice_rows_are_alternatives():
    spec = _parse(
        "```csv\n行政區,學校名稱,學區所在區,類型,里／鄰,來源頁\n"
        "松山區,松山國小,松山區,基本,慈祐,1\n松山區,松山國小,信義區,自由,四育（1、2、8鄰）,1\n```\n"
    )
    school = _by_name(spec)["松山國小"]
    assert _units(school) == [("慈祐", None)]
    assert _units(school, "alternative") == [("四育", "1鄰"), ("四育", "2鄰"), ("四育", "8鄰")]
    assert {u["township"] for u in school["zones"][1]["units"]} == {"信義區"}


# ------------------------------------------------------------------ 3. multi-school areas

AREAS = {
    "heading_lists": """某区2026年小学招生范围
### 第一学区
范围：东关社区、西关社区
学校：第一小学、第二小学
""",
    "schools_first": """某区2026年小学招生范围
（一）第一学区（多校划片）
学区学校：第一小学、第二小学
招生范围：东关社区、西关社区
""",
    "sentence_by": """某区2026年小学招生范围
第一小学：北关社区
第二小学：南关社区
共同学区：东关社区、西关社区由第一小学、第二小学共同招生。
""",
    "sentence_is": """某区2026年小学招生范围
第一小学：北关社区
第二小学：南关社区
东关社区、西关社区为第一小学、第二小学共同学区，家长可任选一校。
""",
}


@pytest.mark.parametrize("variant", sorted(AREAS))
def test_multi_school_area_members_are_the_real_schools(variant):
    spec = _parse(AREAS[variant])
    names = _by_name(spec)
    assert not any("学区" in n for n in names)  # never a school named after the area
    ids = sorted(names[n]["id"] for n in ("第一小学", "第二小学"))
    for n in ("第一小学", "第二小学"):
        (zone,) = [z for z in names[n]["zones"] if z["kind"] == "multi_school"]
        assert sorted(zone["schools"]) == ids
        assert [u["name"] for u in zone["units"]] == ["东关社区", "西关社区"]
    assert spec["policy"]["eligibility"]["multi_school_zoning"] is True


def test_an_area_heading_over_school_lines_is_only_a_grouping():
    spec = _parse("某区2026年小学招生范围\n### 港务片区\n第一小学：东关社区\n第二小学：西关社区\n")
    assert sorted(_by_name(spec)) == ["第一小学", "第二小学"]
    assert not any(z["kind"] == "multi_school" for s in spec["schools"] for z in s["zones"])


def test_an_area_without_schools_is_reported():
    spec = parse_policy(
        "某区2026年小学招生范围\n### 第三学区\n范围：北关社区\n第一小学：东关社区\n"
    )
    assert any("北关社区" in u["text"] for u in spec["unparsed"])


# ------------------------------------------------------------------ 4. feeders


def test_feeders_in_sentences_lines_and_tables():
    spec = _parse(
        """某县2026年小学划片及初中对口
1.实验小学招收东关社区。
2.城关小学招收西关社区。
  - 对口初中：第三中学
实验小学、城关小学毕业生对口升入第一中学。
第二中学对口小学：东关小学、西关小学（东校区）。
南关小学毕业生对口升入第四中学，也可按户籍地址就近入学。
| 初中 | 对口小学 |
|---|---|
| 第五中学 | 北关小学、幸福小学 |
"""
    )
    names = _by_name(spec)

    def feeders(middle):
        zones = [z for z in names[middle]["zones"] if z["kind"] == "feeder"]
        return [(f["name"], f["campus"], f["school_id"]) for z in zones for f in z["from_schools"]]

    assert names["第一中学"]["level"] == "middle"
    assert feeders("第一中学") == [
        ("实验小学", None, names["实验小学"]["id"]),
        ("城关小学", None, names["城关小学"]["id"]),
    ]
    assert feeders("第三中学") == [("城关小学", None, names["城关小学"]["id"])]
    assert feeders("第二中学") == [("东关小学", None, None), ("西关小学", "东校区", None)]
    assert feeders("第五中学") == [("北关小学", None, None), ("幸福小学", None, None)]
    fallback = {
        m: z["fallback_to_address"]
        for m in ("第一中学", "第四中学")
        for z in names[m]["zones"]
        if z["kind"] == "feeder"
    }
    assert fallback == {"第一中学": False, "第四中学": True}
    assert "对口初中" not in names  # the label is not a school


# ------------------------------------------------------------------ 5. numbers


def test_house_numbers_in_their_many_spellings():
    spec = _parse(
        "某区2026年小学招生范围\n"
        "1.城东小学招收：青石路75、77号，人民路1-99号单号，解放路单号1—135号，和平路双号一侧，"
        "建设路201–299单号，胜利街（门牌号为双号），新华路63号以后，东风路100号以内。\n"
        "2.城西小学招收：光明路35号之一，幸福路12-3号，长乐路1020弄-1316弄，"
        "文化路2至88号（双号），青年路1到9号，中山路10——20号，北京路１－９号。\n"
    )
    east, west = (_streets(_by_name(spec)[n]) for n in ("城东小学", "城西小学"))
    num = {k: v["numbers"] for k, v in {**east, **west}.items()}
    assert num["青石路"] == {"list": [75, 77], "parity": "all"}
    assert num["人民路"] == num["解放路"] | {"to": 99} == {"from": 1, "to": 99, "parity": "odd"}
    assert num["解放路"]["to"] == 135 and east["和平路"]["sides"] == "even"
    assert num["建设路"] == {"from": 201, "to": 299, "parity": "odd"}
    assert east["胜利街"]["sides"] == "even"
    assert num["新华路"] == {"from": 63, "parity": "all"}
    assert num["东风路"] == {"from": 1, "to": 100, "parity": "all"}
    assert num["光明路"]["list"] == [35] and num["幸福路"]["list"] == [12]
    assert num["长乐路"] == {"from": 1020, "to": 1316, "parity": "all"}
    assert num["文化路"] == {"from": 2, "to": 88, "parity": "even"}
    assert [num[s]["to"] for s in ("青年路", "中山路", "北京路")] == [9, 20, 9]


def test_lanes_and_li_with_their_own_ranges():
    spec = _parse(
        "某区2026年小学招生范围\n1.城南小学招收：延安路880弄、901-1299号，福安里（1－6、21－24鄰），东门巷3-15号。\n"
    )
    school = _by_name(spec)["城南小学"]
    streets = [(z["street"], z["numbers"]) for z in school["zones"] if z["kind"] == "street_list"]
    assert ("延安路880弄", None) in streets
    assert ("东门巷", {"from": 3, "to": 15, "parity": "all"}) in streets
    assert any(n == {"from": 901, "to": 1299, "parity": "all"} for _, n in streets)
    assert _units(school) == [("福安里", "1-6鄰"), ("福安里", "21-24鄰")]


# ------------------------------------------------------------------ 6. road sections


def test_road_sections_are_streets_of_their_own_and_stretches_are_cuts():
    spec = _parse(
        "某区2026年小学招生范围\n1.城东小学招收：长青路三段，环城路南二段（单号），光华大道北段，"
        "中山大道中1-99号，建设路（李家巷口至加油站），滨河路（河滨大桥头至水厂段）。\n"
    )
    streets = _streets(_by_name(spec)["城东小学"])
    assert {"长青路三段", "环城路南二段", "光华大道北段", "中山大道中"} <= set(streets)
    assert not {"长青路", "环城路", "光华大道", "中山大道"} & set(streets)
    assert streets["建设路"]["stretch"] == {"from": "李家巷口", "to": "加油站"}
    assert streets["滨河路"]["stretch"] == {"from": "河滨大桥头", "to": "水厂"}
    assert not [z for z in _by_name(spec)["城东小学"]["zones"] if z["kind"] == "admin_units"]


# ------------------------------------------------------------------ 7. groups, exclusions


def test_groups_ranges_and_exclusions():
    spec = _parse(
        "某县2026年小学招生范围\n"
        "1.城关小学招收：城关镇东关村第14、15、19、20组，西关村1-7组，南关村3-17组（5组除外），"
        "城关镇（不含原北关村1、2、8组）。\n"
        "2.城西小学招收：西城社区（不含林语和鸣、金色家园）。\n"
    )
    names = _by_name(spec)
    units = [u for z in names["城关小学"]["zones"] for u in z["units"]]
    assert [(u["name"], u["group"]) for u in units[:4]] == [
        ("东关村", f"{n}组") for n in (14, 15, 19, 20)
    ]
    assert ("西关村", "1-7组") in _units(names["城关小学"])
    assert next(u for u in units if u["name"] == "南关村")["exclude"] == ["5组"]
    whole = next(u for u in units if u["name"] == "城关镇")
    assert whole["exclude"] and whole["exclude"][0].startswith("原北关村")
    assert not any(u["name"].startswith(("不含", "含")) for u in units)
    (west,) = [u for z in names["城西小学"]["zones"] for u in z["units"]]
    assert west["exclude"] == ["林语和鸣", "金色家园"]


# ------------------------------------------------------------------ 8. estates, short names


def test_estates_with_addresses_and_short_community_names():
    spec = _parse(
        "某区2026年小学招生范围\n1.城东小学招收：阳光花园（青石路99号）、锦绣家园（人民路8号）。\n"
        "2.城西小学招收东湖街道：东湖、西园、南桥。\n"
    )
    names = _by_name(spec)
    estates = {z["name"]: z.get("address") for z in names["城东小学"]["zones"]}
    assert estates == {"阳光花园": "青石路99号", "锦绣家园": "人民路8号"}
    west = [(u["name"], u["township"]) for z in names["城西小学"]["zones"] for u in z["units"]]
    assert west == [("东湖", "东湖街道"), ("西园", "东湖街道"), ("南桥", "东湖街道")]


# ------------------------------------------------------------------ 10. other layouts, noise


def test_ocr_noise_stray_spaces_and_broken_brackets():
    spec = _parse(
        "（05）2026年某区城北小学一年级新生登记范围\n北环路1-99号\n北关 社区\n"
        "（06）2026年某区城南小学一年级新生登记范围\n南环路（单号\n南关村\n"
    )
    names = _by_name(spec)
    assert _units(names["城北小学"]) == [("北关社区", None)]
    assert _streets(names["城南小学"])["南环路"]["sides"] == "odd"
    assert spec["unparsed"] == []


# ------------------------------------------------------------------ nothing lost silently


def test_what_is_not_understood_is_listed_with_its_line():
    text = "某区2026年小学招生范围\n1.城东小学招收：青石路，按照片区规定另行通知，幸福小区。\n"
    spec = parse_policy(text)
    assert [(u["line"], "另行通知" in u["text"]) for u in spec["unparsed"]] == [(2, True)]
    assert not any(u["reason"] == SILENT_REASON for u in spec["unparsed"])


def test_numbered_parts_on_following_lines_and_community_parts():
    spec = _parse(
        "某区2026年小学招生范围\n"
        "城南小学：(1)罗租社区：罗租、龙眼山；\n(2)上屋社区：上下屋、田心；\n"
        "（3）松岗街道：所有行政区域。\n"
    )
    units = [
        (u["name"], u["sub_area"]) for z in _by_name(spec)["城南小学"]["zones"] for u in z["units"]
    ]
    assert units == [
        ("罗租社区", "罗租"),
        ("罗租社区", "龙眼山"),
        ("上屋社区", "上下屋"),
        ("上屋社区", "田心"),
        ("松岗街道", None),
    ]
    assert spec["unparsed"] == []


def test_feeders_round_trip_through_toml(tmp_path):
    from geo_enroll.policy.spec import load_spec, save_spec

    spec = _parse(
        "某县2026年初中对口\n第二中学对口小学：东关小学、西关小学（东校区）。\n"
        "南关小学毕业生对口升入第四中学，也可按户籍地址就近入学。\n"
    )
    save_spec(spec, tmp_path / "s.toml")
    back = load_spec(tmp_path / "s.toml")
    assert back == spec  # school_id / campus null survive TOML (which has no null)
    assert validate_spec(back) == []


def test_named_limits_with_inclusions_and_exclusions():
    spec = _parse(
        "某区2025年小学学区\n"
        "城东小学：东界限:浐河西路, 南界限:浐灞大道, 西界限:北辰大道-欧亚大道, 北界限:欧亚三路，"
        "含赵村、缇香郡；不含福利院。\n"
        "城东中学：南新街以东，东新街以南，解放路以西，东大街以北（含集贤巷—吉庆巷）\n"
    )
    names = _by_name(spec)
    (limits,) = names["城东小学"]["zones"]
    assert limits["kind"] == "street_limits" and limits["limits"]["west"] == "北辰大道-欧亚大道"
    assert limits["includes"] == ["赵村", "缇香郡"] and limits["exclude"] == ["福利院"]
    (box,) = names["城东中学"]["zones"]
    assert box["includes"] == ["集贤巷—吉庆巷"] and len(box["bounds"]) == 4
    assert spec["unparsed"] == []


def test_general_phrases_are_not_feeders():
    spec = parse_policy(
        "某区2026年招生方案\n一、招生范围\n1.第一小学招收东关村。\n"
        "本区小学毕业生升入本区初中，按户籍地址就近入学。\n各小学毕业生对口升入相应初中。\n"
    )
    assert [s["name"] for s in spec["schools"]] == ["第一小学"]
    assert {u["line"] for u in spec["unparsed"]} == {4, 5}  # said, not dropped


def test_schools_marked_as_sharing_one_catchment_are_linked():
    spec = _parse(
        "某区2024年小学招生范围\n"
        "城甲小学：107国道以东，创业二路以南，湖滨路以北区域。\n  - 学区类型：共享学区\n\n"
        "城乙小学：107国道以东，创业二路以南，湖滨路以北区域。\n  - 学区类型：共享学区\n\n"
        "城丙小学：新安路以西区域。\n  - 学区类型：共享学区\n\n"
        "城丁小学：新安路以东区域。\n  - 学区类型：单享学区\n"
    )
    names = _by_name(spec)
    ids = sorted(names[n]["id"] for n in ("城甲小学", "城乙小学"))
    for n in ("城甲小学", "城乙小学"):
        (shared,) = [z for z in names[n]["zones"] if z["kind"] == "multi_school"]
        assert sorted(shared["schools"]) == ids and shared["area"].startswith("107国道以东")
    assert not [z for z in names["城丙小学"]["zones"] if z["kind"] == "multi_school"]
    reasons = {u["line"]: u["reason"] for u in spec["unparsed"]}
    assert "没有与之范围相同的学校" in reasons[9] and "学校附注" in reasons[12]
    assert spec["policy"]["eligibility"]["multi_school_zoning"] is True
