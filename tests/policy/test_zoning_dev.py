"""Real zoning texts the parser was not written for (../shared/reference/zoning-dev)."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy
from geo_enroll.policy.spec import validate_spec
from tests.conftest import SHARED, need_shared

DEV = SHARED / "reference" / "zoning-dev"
DOCS = {
    "chengdu_xinjin_2025.md": "street_limits",  # 东至/南至/西至/北至 with chained roads
    "chengdu_chenghua_2025.md": "street_list",  # house numbers with 单号/双号
    "chengdu_dayi-county_2025.md": "admin_units",  # 多校划片 table
    "hangzhou_gongshu_c2019.md": "directional_bounds",  # 以东/以西 boxes
}


@pytest.fixture(scope="module", params=sorted(DOCS))
def parsed(request):
    path = need_shared(DEV / request.param)
    return request.param, parse_policy(path.read_text(encoding="utf-8"))


def test_parses_to_schools_with_rules(parsed):
    name, spec = parsed
    assert validate_spec(spec) == []
    with_rules = [s for s in spec["schools"] if s["zones"]]
    assert with_rules
    kinds = {z["kind"] for s in spec["schools"] for z in s["zones"]}
    assert DOCS[name] in kinds
    n_rules = sum(len(s["zones"]) for s in spec["schools"])
    # fewer fragments left over than rules made: the grammar covers most of the text
    assert len(spec["unparsed"]) < n_rules
    print(
        f"{name}: {len(spec['schools'])} schools, {n_rules} rules, {len(spec['unparsed'])} unparsed"
    )


def test_no_codes_invented_for_unknown_counties(parsed):
    _, spec = parsed
    assert spec["policy"]["county_code"] is None
    for s in spec["schools"]:
        for z in s["zones"]:
            assert all(u["code"] is None for u in z.get("units", []))


def _doc(name: str) -> dict:
    return parse_policy(need_shared(DEV / name).read_text(encoding="utf-8"))


def test_dayi_multi_school_zoning():
    spec = _doc("chengdu_dayi-county_2025.md")
    assert spec["policy"]["eligibility"]["multi_school_zoning"] is True
    assert any(z.get("multi_school") for s in spec["schools"] for z in s["zones"])
    # 䢺江镇太平社区、三元场村、大鹏村: shared by 鹤鸣镇小学 and 䢺江镇学校 (the doc's own note)
    names = {s["id"]: s["name"] for s in spec["schools"]}
    shared = {
        tuple(sorted(names[i] for i in z["schools"]))
        for s in spec["schools"]
        for z in s["zones"]
        if z.get("schools") and any(u["name"] == "三元场村" for u in z.get("units", []))
    }
    assert shared == {tuple(sorted(("大邑县鹤鸣镇小学", "大邑县䢺江镇学校")))}


def test_chenghua_parity():
    spec = _doc("chengdu_chenghua_2025.md")
    parities = {
        z["numbers"]["parity"]
        for s in spec["schools"]
        for z in s["zones"]
        if z["kind"] == "street_list" and z["numbers"]
    }
    assert {"odd", "even"} <= parities


def test_gongshu_exclusion_and_negated_box():
    spec = _doc("hangzhou_gongshu_c2019.md")
    assert any(
        z["kind"] == "directional_bounds" and len(z["bounds"]) >= 4
        for s in spec["schools"]
        for z in s["zones"]
    )
    xinjin = _doc("chengdu_xinjin_2025.md")
    assert any(z.get("negate") for s in xinjin["schools"] for z in s["zones"])
