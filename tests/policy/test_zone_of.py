"""A school that may also admit another school's zone (城区学校间可交叉招收: 西街小学可招收北街小学
片区学生) is an option (``alternative`` with ``zone_of``) wherever that school's zone claims the
address.  Before, the sentence was not read and those children were told of no option.  A part
of a zone left unsaid (…可招收南街小学部分片区学生) is reported."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy
from geo_enroll.policy.spec import read_policy

from ..conftest import SHARED, need_shared
from .conftest import offered, zone_of_options

ZONING = SHARED / "reference" / "zoning-dev"

SCHOOLS = "西街小学：东关村\n北街小学：西关村\n南街小学：南关村\n东街小学：北关村\n"


def _spec(sentence: str) -> dict:
    return parse_policy(f"# 大邑县招生范围\n\n{SCHOOLS}{sentence}\n")


@pytest.mark.parametrize(
    "sentence,options",
    [
        ("西街小学可招收北街小学片区学生", {("西街小学", "北街小学")}),
        ("西街小学可以招收北街小学学区内的适龄学生", {("西街小学", "北街小学")}),
        (
            "城区学校间可交叉招收：西街小学可招收北街小学片区学生；东街小学可招收南街小学片区学生",
            {("西街小学", "北街小学"), ("东街小学", "南街小学")},
        ),
        (
            "北街小学和东街小学可招收南街小学片区学生",
            {("北街小学", "南街小学"), ("东街小学", "南街小学")},
        ),
        ("西街小学也可招收北街小学施教区生源", {("西街小学", "北街小学")}),
    ],
)
def test_the_option_over_another_schools_zone(sentence, options):
    spec = _spec(sentence)
    assert zone_of_options(spec) == options
    assert not spec.get("unparsed")


def test_a_part_of_the_zone_left_unsaid_is_reported():
    spec = _spec("北街小学和东街小学可招收南街小学部分片区学生")
    assert zone_of_options(spec) == set()
    assert [u["text"] for u in spec["unparsed"]] == ["北街小学和东街小学可招收南街小学部分片区学生"]


def test_an_unknown_school_is_reported():
    spec = _spec("西街小学可招收中心小学片区学生")
    assert zone_of_options(spec) == set()
    assert any("中心小学" in u["reason"] for u in spec["unparsed"])


def test_the_option_is_offered_in_that_zone_only(tmp_path):
    spec = _spec("西街小学可招收北街小学片区学生")  # saved and loaded: the schema takes zone_of
    addresses = ("某镇西关村3号", "某镇东关村3号", "某镇南关村3号")
    got, ids = offered(spec, addresses, tmp_path, lonlat=(103.5, 30.6))
    assert got["某镇西关村3号"] == ([ids["北街小学"]], [(ids["西街小学"], "alternative")])
    assert got["某镇东关村3号"] == ([ids["西街小学"]], [])  # its own zone: no option on itself
    assert got["某镇南关村3号"] == ([ids["南街小学"]], [])


def test_on_the_real_notice():
    """大邑县 2025 in ../shared/reference (not shipped; skipped without): line 66."""
    text, _ = read_policy(need_shared(ZONING / "chengdu_dayi-county_2025.md"))
    spec = parse_policy(text)
    assert zone_of_options(spec) == {
        ("大邑县西街小学", "大邑县北街小学"),
        ("大邑县子龙街小学", "大邑县潘家街小学"),
        ("大邑县银都小学", "大邑县南街小学"),
    }
    reported = [u["text"] for u in spec["unparsed"]]
    assert "北街小学和东街小学可招收南街小学部分片区学生" in reported


@pytest.mark.parametrize(
    "text,jurisdiction",
    [
        ("# 招生范围\n\n西街小学：东关村\n交叉招收：西街小学可招收北街小学片区学生\n", None),
        ("# 招生范围\n\n西街小学：东关村\n本学区内的适龄儿童\n", None),
        ("# 大邑县招生范围\n\n西街小学：东关村\n西街小学可招收北街小学片区学生\n", "大邑县"),
        ("# 招生工作\n\n东城区义务教育\n\n西街小学：东关村\n", "东城区"),
    ],
)
def test_a_school_area_in_the_prose_is_no_jurisdiction(text, jurisdiction):
    """A notice without its county in the title: 北街小学片区 (read from 可招收北街小学片区) was
    taken for the jurisdiction, and every school id was made from it."""
    spec = parse_policy(text)
    assert spec["policy"]["jurisdiction"] == jurisdiction
    assert "xiaoxue" not in spec["schools"][0]["id"]
