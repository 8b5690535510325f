"""单号/双号 on the real 黄浦区 network (OpenStreetMap, ODbL; no house numbers there).

The policy text below (成华区 style, written for this test) goes through the real parser.
Without house numbers the side comes from the policy's rule (左单右双) and every such rule says
so (``closed_with_issues``); schools the text keeps apart never overlap: opposite sides of one
street touch along it, crossing streets split their corners.
"""

from __future__ import annotations

import pytest

from geo_enroll.basemap.importers import import_osm
from geo_enroll.diagnostics import build_report
from geo_enroll.digitise import digitise
from geo_enroll.policy import parse_policy
from tests.conftest import SHARED, need_shared

from .conftest import DATA

POLICY = """黄浦区（示例）2025年小学招生划片范围

## 示例第一小学
- 福州路（单号）
- 西藏中路（东侧）

## 示例第二小学
- 福州路（双号）
- 九江路两侧

## 示例第三小学
- 汉口路（单号1号-99号）
"""


@pytest.fixture(scope="module")
def spec():
    return parse_policy(POLICY)


def _check(bm, spec):
    result = digitise(spec, bm)
    by_rule = {r["rule_id"]: r for r in result.rules}
    zones = result.zones.to_crs(result.crs)
    school = dict(zip(zones["rule_id"], zones["school_id"], strict=True))
    geoms = dict(zip(zones["rule_id"], zones.geometry, strict=True))
    rules = [z for s in spec["schools"] for z in s["zones"]]
    assert all(z["kind"] == "street_list" for z in rules)
    for z in rules:
        r = by_rule[z["rule_id"]]
        if z.get("sides") in ("odd", "even"):
            assert r["status"] == "closed_with_issues", r
            assert any(i["type"] == "numbering_assumed" for i in r["issues"])
    numbered = next(z for z in rules if (z.get("numbers") or {}).get("from") == 1)
    assert any(i["type"] == "numbers_not_placed" for i in by_rule[numbered["rule_id"]]["issues"])
    # schools the text keeps apart do not overlap anywhere
    ids = list(geoms)
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            if school[a] != school[b]:
                assert geoms[a].intersection(geoms[b]).area < 1.0, (a, b)
    report = build_report(result)
    assert report["levels"]["primary"]["overlaps"] == []
    return result


def test_sides_on_the_extract(spec):
    _check(import_osm(DATA / "huangpu_extract.osm"), spec)


def test_sides_on_the_full_huangpu_network(spec):
    path = need_shared(SHARED / "reference" / "streets-dev" / "shanghai_huangpu.osm")
    result = _check(import_osm(path), spec)
    assert len(result.zones) == 5
