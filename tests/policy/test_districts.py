"""A school name is unique only within its district (geo_enroll.policy.districts).

Same-name schools filed under different districts (a table's district column, district
headings) are different schools, shown with their district; a repeat of one school (an annex
of the same county, two rows or blocks of one district, a township column) stays one school.
"""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy
from geo_enroll.policy.spec import validate_spec
from tests.conftest import SHARED, need_shared

HEAD = "某市2024年义务教育学校招生工作方案\n一、招生范围\n"


def _schools(spec: dict, stem: str) -> dict[str, dict]:
    return {s["name"]: s for s in spec["schools"] if s["name"].startswith(stem)}


def _units(school: dict) -> set[str]:
    return {u["name"] for z in school["zones"] for u in z.get("units", [])}


def _notes(spec: dict) -> list[str]:
    return [c["description"] for c in spec["conflicts"] if c["kind"] == "unresolved"]


# a row per place (区 | 社区 | 学校): the district is the residence's.  胜利 serves 东区 and
# 南区, so they meet; 大同 of 东区 reaches one 南区 row; 善化区 meets neither.
PLACE_TABLE = """| 行政区 | 里 | 学校 |
|---|---|---|
| 东区 | 泉南里 | 大同小学 |
| 东区 | 卫国里 | 大同小学 |
| 东区 | 新东里 | 大同小学 |
| 东区 | 东门里 | 胜利小学 |
| 南区 | 大忠里 | 大同小学 |
| 南区 | 大恩里 | 胜利小学 |
| 善化区 | 六分里 | 大同小学 |
| 善化区 | 六德里 | 大同小学 |
| 善化区 | 田寮里 | 大同小学 |
"""


@pytest.mark.parametrize("traditional", [False, True])
def test_place_table_two_districts_two_schools(traditional):
    table = PLACE_TABLE
    if traditional:
        for a, b in [
            ("行政区", "行政區"),
            ("东区", "東區"),
            ("南区", "南區"),
            ("善化区", "善化區"),
        ]:
            table = table.replace(a, b)
        table = table.replace("小学", "國小").replace("卫国", "衛國").replace("东门", "東門")
    spec = parse_policy(HEAD + table)
    assert validate_spec(spec) == []
    east, south, shanhua = ("東區", "南區", "善化區") if traditional else ("东区", "南区", "善化区")
    word = "國小" if traditional else "小学"
    got = _schools(spec, "大同")
    assert set(got) == {f"大同{word}（{east}）", f"大同{word}（{shanhua}）"}
    a, b = got[f"大同{word}（{east}）"], got[f"大同{word}（{shanhua}）"]
    assert a["id"] != b["id"]
    assert _units(b) == {"六分里", "六德里", "田寮里"}  # never the other district's rows
    assert {"大忠里", "泉南里"} <= _units(a) and not _units(a) & _units(b)
    # the school serving both neighbours stays one school, under its own name
    assert [s["name"] for s in spec["schools"] if "胜利" in s["name"]] == [f"胜利{word}"]
    assert any("大同" in n and "2" in n for n in _notes(spec))  # the inference is reported


def test_prefix_in_a_row_ties_the_row_to_that_district():
    """``南区 … 东区大同小学``: the row is the 东区 school's, even with no other school linking."""
    table = (
        "| 行政区 | 里 | 学校 |\n|---|---|---|\n"
        + "".join(f"| 东区 | {v}里 | 大同小学 |\n" for v in ("泉南", "卫国", "新东"))
        + "| 南区 | 大林里 | 东区大同小学 |\n"
        + "".join(f"| 善化区 | {v}里 | 大同小学 |\n" for v in ("六分", "六德", "田寮"))
    )
    spec = parse_policy(HEAD + table)
    got = _schools(spec, "大同")
    assert set(got) == {"大同小学（东区）", "大同小学（善化区）"}
    assert "大林里" in _units(got["大同小学（东区）"])
    assert "东区大同小学" in got["大同小学（东区）"]["aliases"]


def test_a_row_or_two_across_a_boundary_is_the_edge_of_one_school():
    """下營國中: 12 rows at home, 1 row in the next district: one school, and a note."""
    table = (
        "| 行政區 | 里別 | 基本學區 |\n|---|---|---|\n"
        + "".join(f"| 下營區 | {v}里 | 下營國中 |\n" for v in ("營前", "營後", "西連", "仁里"))
        + "| 鹽水區 | 岸內里 | 下營國中 |\n"
    )
    spec = parse_policy(HEAD + table)
    got = _schools(spec, "下營")
    assert list(got) == ["下營國中"] and "岸內里" in _units(got["下營國中"])
    assert any("一校" in n for n in _notes(spec))


def test_row_per_school_table_district_is_the_schools():
    spec = parse_policy(
        HEAD + "| 区 | 学校 | 招生范围 |\n|---|---|---|\n"
        "| 东区 | 大同小学 | 泉南社区、卫国社区 |\n"
        "| 东区 | 胜利小学 | 东门社区 |\n"
        "| 善化区 | 大同小学 | 六分社区 |\n"
        "| 东区 | 大同小学 | 新东社区 |\n"  # the 东区 school again: the same school
    )
    got = _schools(spec, "大同")
    assert set(got) == {"大同小学（东区）", "大同小学（善化区）"}
    assert _units(got["大同小学（东区）"]) >= {"泉南社区", "新东社区"}
    assert _units(got["大同小学（善化区）"]) == {"六分社区"}


def test_own_district_column_beside_the_residence_column():
    """Taipei's layout: 行政區 (the school's) and 學區所在區 (the residence's)."""
    spec = parse_policy(
        HEAD + "| 行政區 | 學校名稱 | 學區所在區 | 里／鄰 |\n|---|---|---|---|\n"
        "| 大同區 | 大同國小 | 大同區 | 星明 |\n"
        "| 大同區 | 大同國小 | 中山區 | 行仁 |\n"
        "| 北投區 | 大同國小 | 北投區 | 大同 |\n"
    )
    got = _schools(spec, "大同國小")
    assert set(got) == {"大同國小（大同區）", "大同國小（北投區）"}
    assert _units(got["大同國小（大同區）"]) == {"星明", "行仁"}


@pytest.mark.parametrize(
    "east,west",
    [("## 东区", "## 善化区"), ("（一）东区", "（二）善化区"), ("二、東區", "三、善化區")],
)
def test_headed_sections(east, west):
    text = (
        "某市2024年义务教育学校招生工作方案\n一、招生范围\n"
        f"{east}\n大同小学招收泉南社区、卫国社区适龄儿童。\n胜利小学招收东门社区适龄儿童。\n"
        "大同小学招收新东社区适龄儿童。\n"  # twice in ONE district: one school
        f"{west}\n大同小学招收六分社区、六德社区适龄儿童。\n"
    )
    spec = parse_policy(text)
    got = _schools(spec, "大同")
    assert len(got) == 2, list(got)
    by_units = {frozenset(_units(s)): s for s in got.values()}
    assert frozenset({"泉南社区", "卫国社区", "新东社区"}) in by_units
    assert frozenset({"六分社区", "六德社区"}) in by_units
    assert len({s["id"] for s in got.values()}) == 2
    assert all(n.endswith(("区）", "區）")) for n in got)


def test_prose_district_labels():
    spec = parse_policy(
        HEAD + "东区：大同小学招收泉南社区适龄儿童。\n善化区：大同小学招收六分社区适龄儿童。\n"
        "东区：大同小学招收卫国社区适龄儿童。\n"
    )
    got = _schools(spec, "大同")
    assert set(got) == {"大同小学（东区）", "大同小学（善化区）"}
    assert _units(got["大同小学（东区）"]) == {"泉南社区", "卫国社区"}


def test_prose_names_with_their_district():
    spec = parse_policy(
        HEAD + "东区大同小学招收泉南社区适龄儿童。善化区大同小学招收六分社区适龄儿童。"
    )
    got = _schools(spec, "")
    names = {n for n in got if "大同" in n}
    assert len(names) == 2 and all(n.endswith("大同小学") for n in names)


def test_annex_repeat_of_one_county_stays_one_school():
    """The body names the school, the annex table repeats it by township (乡镇 is no district
    column): one school, as in 太仆寺旗's 附件."""
    text = (
        HEAD + "1.大同小学招收宝昌镇东关村、西关村户籍适龄儿童。\n"
        "2.胜利小学招收千斤沟镇南村户籍适龄儿童。\n"
        "附件1\n\n| 学校 | 乡镇 | 招生范围 |\n|---|---|---|\n"
        "| 大同小学 | 宝昌镇 | 东关村、西关村 |\n"
        "| 大同小学 | 千斤沟镇 | 北村 |\n"
        "| 胜利小学 | 千斤沟镇 | 南村 |\n"
    )
    spec = parse_policy(text)
    assert [s["name"] for s in spec["schools"] if "大同" in s["name"]] == ["大同小学"]
    assert not [n for n in _notes(spec) if "大同" in n]


def test_annex_after_a_district_section_stays_one_school():
    text = (
        HEAD + "## 东区\n大同小学招收泉南社区适龄儿童。\n"
        "附件1\n\n| 学校 | 招生范围 |\n|---|---|\n| 大同小学 | 泉南社区 |\n"
    )
    spec = parse_policy(text)
    assert [s["name"] for s in spec["schools"]] == ["大同小学"]


def test_a_mention_naming_no_district_is_kept_apart_and_reported():
    text = (
        HEAD + "## 东区\n大同小学招收泉南社区适龄儿童。\n"
        "## 善化区\n大同小学招收六分社区适龄儿童。\n"
        "## 补充说明\n大同小学招收新建小区适龄儿童。\n"
    )
    spec = parse_policy(text)
    got = _schools(spec, "大同")
    assert set(got) == {"大同小学（东区）", "大同小学（善化区）", "大同小学"}
    assert "新建小区" not in _units(got["大同小学（东区）"]) | _units(got["大同小学（善化区）"])
    assert any("同名学校" in u["reason"] for u in spec["unparsed"])


def test_district_headings_do_not_touch_other_headings():
    """第1学区 / 港务片区 / 城区 are not districts: their schools keep their names."""
    text = (
        HEAD + "## 第1学区\n大同小学招收泉南社区适龄儿童。\n"
        "## 港务片区\n大同小学招收六分社区适龄儿童。\n"
    )
    spec = parse_policy(text)
    assert [s["name"] for s in spec["schools"]] == ["大同小学"]


@pytest.fixture(scope="module")
def tainan():
    path = need_shared(SHARED / "reference" / "zoning-dev" / "tainan_c2026.md")
    return parse_policy(path.read_text(encoding="utf-8"))


def test_tainan_two_datong_schools(tainan):
    assert validate_spec(tainan) == []
    got = _schools(tainan, "大同國小")
    assert set(got) == {"大同國小（東區）", "大同國小（善化區）"}
    east, shanhua = got["大同國小（東區）"], got["大同國小（善化區）"]
    assert east["id"] != shanhua["id"]
    assert {"六分里", "六德里", "田寮里", "昌隆里"} <= _units(shanhua)
    assert {"大忠里", "大恩里", "路東里"} <= _units(east)  # 南區 rows: the 東區 school's edge
    assert not _units(east) & _units(shanhua)
    # 南區 新生里「共同學區：志開實小、東區大同國小」is shared with the 東區 school
    shared = [z for z in east["zones"] if any(u["name"] == "新生里" for u in z.get("units", []))]
    assert shared and shared[0]["kind"] == "multi_school"
    # 新興國小 of 南區 and of 新營區 are two schools too
    assert {"新興國小（南區）", "新興國小（新營區）"} <= set(_schools(tainan, "新興國小"))


def test_tainan_cross_boundary_schools_stay_one(tainan):
    """Schools serving a row or two of the next district are not split (勝利國小 東區+永康區,
    下營國中 下營區+鹽水區); no bare name is shared by two schools."""
    names = [s["name"] for s in tainan["schools"]]
    assert len(names) == len(set(names))
    for name in ("勝利國小", "下營國中", "新化國中", "復興國中", "忠孝國中"):
        assert name in names, name
    assert "大同國小" not in names


def test_seed_annex_repeats_stay_one_school(taipusi, yanqing):
    """太仆寺旗: 四小 and others are named in the body and again in 附件5 (one county): one
    school each, no name with a district, no same-name note."""
    for spec in (taipusi, yanqing):
        names = [s["name"] for s in spec["schools"]]
        assert len(names) == len(set(names))
        assert not any(n.endswith(("区）", "县）", "镇）", "旗）")) for n in names)
        assert not [c for c in spec["conflicts"] if "同名" in c["description"]]
    lines = {
        z["source"]["line"]
        for s in taipusi["schools"]
        if s["name"] == "第四小学"
        for z in s["zones"]
    }
    assert min(lines) < 50 < max(lines)  # body and annex rows on the one school
