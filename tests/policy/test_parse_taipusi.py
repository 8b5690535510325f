"""The 太仆寺旗 2024 seed: schools, zones, codes, facts and body/annex conflicts."""

from __future__ import annotations

import copy
import re

import pytest

from geo_enroll.policy import parse_policy
from geo_enroll.policy.spec import validate_spec

SCHOOL_IDS = {  # ids other modules code against (fixed by the lead)
    "taipusi-p1": ("第一小学", "primary"),
    "taipusi-p2": ("第二小学", "primary"),
    "taipusi-p3": ("第三小学", "primary"),
    "taipusi-p4": ("第四小学", "primary"),
    "taipusi-p5": ("第五小学", "primary"),
    "taipusi-p-qjg": ("千斤沟小学", "primary"),
    "taipusi-p-lts": ("骆驼山小学", "primary"),
    "taipusi-m2": ("第二中学", "middle"),
    "taipusi-m3": ("第三中学", "middle"),
    "taipusi-m4": ("第四中学", "middle"),
    "taipusi-gbl": ("贡宝拉格学校", "nine_year"),
}


def _school(spec, sid):
    return next(s for s in spec["schools"] if s["id"] == sid)


def _zones(spec, kind):
    return [(s["id"], z) for s in spec["schools"] for z in s["zones"] if z["kind"] == kind]


def test_valid_against_schema(taipusi):
    assert validate_spec(taipusi) == []


def test_all_eleven_schools_with_stable_ids(taipusi):
    got = {s["id"]: (s["name"], s["level"]) for s in taipusi["schools"]}
    assert got == SCHOOL_IDS
    assert all(s["zones"] for s in taipusi["schools"])


def test_school_codes_from_annex2(taipusi, taipusi_text):
    coded = {s["id"]: s["code"] for s in taipusi["schools"] if s["code"]}
    assert set(coded) == {"taipusi-p1", "taipusi-p2", "taipusi-p3", "taipusi-p4", "taipusi-p5"}
    for sid, code in coded.items():
        school = _school(taipusi, sid)
        line = taipusi_text.splitlines()[school["code_source"]["line"] - 1]
        # the code follows the school's own short name in the annex
        assert re.search(f"{school['aliases'][0]}标识码[：:]?{code}", line)


def test_nine_street_limit_parts(taipusi):
    parts = sorted((sid, z["within_code"]) for sid, z in _zones(taipusi, "street_limits"))
    by_name = {}
    for sid, z in _zones(taipusi, "street_limits"):
        by_name.setdefault(sid, set()).add(re.sub("社区$", "", z["within"]))
    assert by_name == {
        "taipusi-p1": {"东郊", "太平", "新华", "南郊"},
        "taipusi-p2": {"太平", "建兴"},
        "taipusi-p3": {"南郊", "新华", "宝丰"},
    }
    assert len(parts) == 9 and all(code for _, code in parts)
    for _, z in _zones(taipusi, "street_limits"):
        assert set(z["limits"]) == {"east", "south", "west", "north"}
        # every limit is written in the source exactly as kept
        for limit in z["limits"].values():
            assert limit in z["source"]["text"] or limit in z.get("fragment", "")


def test_limits_kept_as_written(taipusi):
    ((_, z),) = [
        (s, z)
        for s, z in _zones(taipusi, "street_limits")
        if s == "taipusi-p2" and z["within"].startswith("太平")
    ]
    assert z["limits"] == {
        "east": "利民路",
        "south": "解放大街",
        "west": "社区西",
        "north": "和平街",
    }


def test_changshengyuan_excluded_from_p2_and_compound_of_p3(taipusi):
    excl = [z for s, z in _zones(taipusi, "street_limits") if s == "taipusi-p2" and z["exclude"]]
    assert excl and excl[0]["exclude"] == ["昌盛园小区"]
    body_unit = [
        u
        for s, z in _zones(taipusi, "admin_units")
        if s == "taipusi-p2"
        for u in z["units"]
        if u.get("exclude")
    ]
    assert body_unit and body_unit[0]["exclude"] == ["昌盛园小区"]
    compounds = _zones(taipusi, "compound")
    assert [(s, z["name"]) for s, z in compounds] == [("taipusi-p3", "昌盛园小区")]
    assert compounds[0][1]["also_sources"]  # the annex row says the same


def test_every_unit_has_code_or_candidates(taipusi):
    for s in taipusi["schools"]:
        for z in s["zones"]:
            for u in z.get("units", []):
                if u["code"] is None:
                    assert u.get("note"), u
                else:
                    assert re.fullmatch(r"152527\d{3}(\d{3})?", u["code"]), u


def test_unresolved_names_are_the_doubtful_ones(taipusi):
    unresolved = {
        (u["name"], u["township"])
        for s in taipusi["schools"]
        for z in s["zones"]
        for u in z.get("units", [])
        if u["code"] is None
    }
    assert unresolved == {
        ("六面井", "骆驼山镇"),
        ("姚五沟", "永丰镇"),
        ("农场", "红旗镇"),
        ("莫日齐克", "贡宝拉格苏木"),
        ("炮台营子", "贡宝拉格苏木"),
    }


def test_groups_and_sub_areas(taipusi):
    p1 = [u for s, z in _zones(taipusi, "admin_units") if s == "taipusi-p1" for u in z["units"]]
    assert {u["group"] for u in p1 if u["name"].startswith("菜园")} == {"三社", "四社", "六社"}
    (dh,) = [u for u in p1 if u["name"].startswith("东红")]
    assert dh["sub_area"] == "禹仁围子" and dh["code"]


def test_luoxiao_row_is_under_luotuoshan(taipusi):
    rows = [
        z
        for s, z in _zones(taipusi, "admin_units")
        if s == "taipusi-p-lts" and z.get("origin") == "annex"
    ]
    assert rows and rows[0]["township_inferred"]["township"] == "骆驼山镇"
    assert {u["township"] for u in rows[0]["units"]} == {"骆驼山镇"}


def test_alternatives_free_choice_property(taipusi):
    alts = [
        (s, z.get("from_school"), z["units"][0]["code"]) for s, z in _zones(taipusi, "alternative")
    ]
    assert sorted(alts) == [
        ("taipusi-p4", "taipusi-p-lts", "152527103"),
        ("taipusi-p4", "taipusi-p-qjg", "152527101"),
    ]
    free = {(s, z["scope"]) for s, z in _zones(taipusi, "free_choice")}
    assert free == {("taipusi-gbl", "anyone"), ("taipusi-gbl", "any_school")}
    prop = _zones(taipusi, "property_rule")
    assert {s for s, _ in prop} >= {"taipusi-p1", "taipusi-p2", "taipusi-p3", "taipusi-m2"}
    assert any(z["overflow"] == "relative_proximity" for _, z in prop)


def test_policy_facts(taipusi):
    p = taipusi["policy"]
    assert (p["jurisdiction"], p["county_code"], p["year"]) == ("太仆寺旗", "152527", 2024)
    assert p["age_cutoff"] == "2018-08-31"
    assert p["seat_plan"] == {"primary": 650, "middle": 750}
    assert p["class_cap"] == {"primary": 45, "middle": 50}
    assert p["hukou_migration_cutoff"] == "2023-08-31"
    assert p["appeal_window_working_days"] == 5
    assert [t["start"] for t in p["timeline"]] == [
        "2024-07-01",
        "2024-08-01",
        "2024-08-16",
        "2024-09-01",
    ]
    for key, src in p["sources"].items():  # each fact cites a sentence that states it
        assert src["text"], key


def test_eligibility(taipusi):
    e = taipusi["policy"]["eligibility"]
    assert e["address_basis"] == ["hukou", "property_in_zone"]
    assert e["free_choice_categories"] == ["消防救援人员子女", "一线医务人员子女"]
    assert "烈士子女" in e["priority_categories"]
    assert e["sibling_rule"] is True and e["multi_school_zoning"] is False
    assert e["treated_as_local"] == []


KINDS_EXPECTED = {"limits", "coverage", "overlap", "spelling", "unresolved", "table_layout"}


def test_conflicts_between_body_and_annex(taipusi):
    kinds = {c["kind"] for c in taipusi["conflicts"]}
    assert kinds == KINDS_EXPECTED
    text = "\n".join(c["description"] for c in taipusi["conflicts"])
    for needle in ("东郊", "建兴", "宝丰", "6个社区", "四角", "渝树洼", "千斤沟", "六面井"):
        assert needle in text, needle
    # 第二中学: body "宝昌镇6个社区" (line 40) vs the annex row of 9 units (line 274)
    (m2,) = [
        c
        for c in taipusi["conflicts"]
        if c["kind"] == "coverage" and c["schools"] == ["taipusi-m2"]
    ]
    assert {40, 274} <= {s["line"] for s in m2["sources"]}
    for c in taipusi["conflicts"]:
        assert c["sources"], c


def test_sources_are_verbatim(taipusi, taipusi_text):
    lines = taipusi_text.splitlines()
    for s in taipusi["schools"]:
        for z in s["zones"]:
            for src in [z["source"], *z.get("also_sources", [])]:
                window = "\n".join(lines[max(0, src["line"] - 4) : src["line"] + 3])
                for cell in src["text"].split("\t"):
                    assert cell.strip() in window, (z["rule_id"], cell)


def test_rule_ids_unique_and_stable(taipusi, taipusi_text):
    ids = [z["rule_id"] for s in taipusi["schools"] for z in s["zones"]]
    assert len(ids) == len(set(ids))
    assert all(
        re.fullmatch(rf"{re.escape(s['id'])}-r\d\d", z["rule_id"])
        for s in taipusi["schools"]
        for z in s["zones"]
    )
    assert parse_policy(taipusi_text) == taipusi  # same text, same spec


def test_previous_spec_keeps_school_ids(taipusi, taipusi_text):
    previous = copy.deepcopy(taipusi)
    previous["schools"][0]["id"] = "taipusi-yixiao"
    again = parse_policy(taipusi_text, previous=previous)
    assert again["schools"][0]["id"] == "taipusi-yixiao"
    assert again["schools"][0]["zones"][0]["rule_id"].startswith("taipusi-yixiao-r")


@pytest.mark.parametrize("line_no", [27, 29, 30, 31, 33, 35, 36, 40, 42, 44, 48])
def test_every_school_sentence_produced_rules(taipusi, line_no):
    assert any(z["source"]["line"] == line_no for s in taipusi["schools"] for z in s["zones"])
