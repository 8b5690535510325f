"""A school the policy names but whose area could not be read stays in the spec with no
zones (a planner must draw it; the line is in ``unparsed``) instead of vanishing; a school
only mentioned in passing is not made up; digitise and its report list such schools."""

from __future__ import annotations

import pytest

from geo_enroll.basemap import read_basemap
from geo_enroll.diagnostics import build_report
from geo_enroll.digitise import digitise
from geo_enroll.policy import parse_policy
from tests.conftest import ROOT, SHARED, need_shared

HEAD = (
    "某市2024年义务教育学校招生工作方案\n一、招生范围\n第一小学招收东关村、西关村户籍适龄儿童。\n"
)


@pytest.mark.parametrize(
    "line",
    [
        "高教园小学：西从浦沿路与东冠路交叉点沿浦沿路往北延伸至东信大道和浙赣铁路交叉点。",
        "高教园小学：东起滨江四弄——富春路——小岭路为界西南区域。",
        "高教园小学：东起桑园路——白云源路——梅林路——富春江堤。",
    ],
)
def test_a_school_whose_area_is_unread_stays_with_no_zones(line):
    spec = parse_policy(HEAD + line + "\n")
    by_name = {s["name"]: s for s in spec["schools"]}
    assert by_name["高教园小学"]["zones"] == []
    assert by_name["第一小学"]["zones"]
    unread = [u for u in spec["unparsed"] if u["line"] == 4]
    assert unread and "沿路描述的边界" in unread[0]["reason"]


def test_a_school_mentioned_in_passing_is_not_made_up():
    spec = parse_policy(HEAD + "学位不足时，由教育局统筹安排到第九小学等学校就读。\n")
    names = [s["name"] for s in spec["schools"]]
    assert "第九小学" not in names and names == ["第一小学"]


def test_digitise_reports_the_school_with_no_area():
    spec = parse_policy(HEAD + "高教园小学：东起滨江四弄——富春路——小岭路为界西南区域。\n")
    basemap = read_basemap(ROOT / "data" / "boundaries" / "baochang_schematic.gpkg")
    report = build_report(digitise(spec, basemap))
    assert [s["school"] for s in report["no_area"]] == ["高教园小学"]
    assert "高教园小学" in report["summary"] and "需在地图上划定" in report["summary"]


def test_real_documents_keep_schools_whose_only_text_is_a_walked_edge():
    # why ../shared: the Hangzhou notice is real text not shipped with the product
    path = SHARED / "reference" / "zoning-dev" / "hangzhou_urban-districts_2026.md"
    spec = parse_policy(need_shared(path).read_text(encoding="utf-8"))
    gaojiao = [s for s in spec["schools"] if s["name"] == "杭州市高教园小学"]
    assert len(gaojiao) == 1 and gaojiao[0]["zones"] == []
    # each zone-less school is named on a line the parser reported as not read
    lines = path.read_text(encoding="utf-8").replace("\r\n", "\n").split("\n")
    bare = [s for s in spec["schools"] if not s["zones"] and not s["code"]]
    unread_lines = {u["line"] for u in spec["unparsed"]}
    for s in bare:
        assert any(s["name"] in lines[n - 1] for n in unread_lines), s["name"]
