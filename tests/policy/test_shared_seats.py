"""A school's note that its zone may share other schools' seats (分享学区: 可分享【A、B】学位) is
an option at A and B over that school's zone (``alternative`` with ``zone_of``), offered wherever
that zone claims the address.  Before, the note was reported as "not a rule" and the children
of that zone were told of no option.  (深圳宝安 2024: 分享学区 rows with their 备注.)"""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy
from geo_enroll.policy.body import shared_seats
from geo_enroll.policy.spec import read_policy

from ..conftest import SHARED, need_shared
from .conftest import offered, zone_of_options

ZONING = SHARED / "reference" / "zoning-dev"

SCHOOLS = """# 某区招生范围

### 小学
滨海小学：东关村
  - 学区类型：分享学区
  - 备注：{note}

海旺学校(小学部)：西关村

上合小学：南关村

和一学校小学部：北关村

### 初中
海旺学校(初中部)：西关村
"""


@pytest.mark.parametrize(
    "note,options",
    [
        ("可分享上合小学学位", {("上合小学", "滨海小学")}),
        (
            "可分享【海旺学校和上合小学】共享学区学位",  # 海旺学校: the primary part, by level
            {("海旺学校(小学部)", "滨海小学"), ("上合小学", "滨海小学")},
        ),
        (
            "分享【上合小学】或【和一学校小学部、海旺学校(小学部)】学位",
            {
                ("上合小学", "滨海小学"),
                ("和一学校小学部", "滨海小学"),
                ("海旺学校(小学部)", "滨海小学"),
            },
        ),
        (
            "共享学区（可分享上合小学或【和一学校小学部】共享学区学位）",
            {("上合小学", "滨海小学"), ("和一学校小学部", "滨海小学")},
        ),
        (
            "可分享上合小学和和一学校小学部的学位",
            {("上合小学", "滨海小学"), ("和一学校小学部", "滨海小学")},
        ),
    ],
)
def test_the_note_is_an_option_at_the_named_schools(note, options):
    spec = parse_policy(SCHOOLS.format(note=note))
    assert zone_of_options(spec) == options
    assert not [u for u in spec.get("unparsed", []) if "备注" in u["text"]]


def test_an_unknown_school_is_reported_and_the_others_kept():
    spec = parse_policy(SCHOOLS.format(note="可分享【中心小学、上合小学】学位"))
    assert zone_of_options(spec) == {("上合小学", "滨海小学")}
    assert any("中心小学" in u["reason"] for u in spec["unparsed"])


def test_notes_without_shared_seats_are_still_reported():
    spec = parse_policy(SCHOOLS.format(note="单享学区"))
    assert zone_of_options(spec) == set()
    assert any("单享学区" in u["text"] for u in spec["unparsed"])


@pytest.mark.parametrize(
    "note,names",
    [
        (
            "可分享【海旺学校和宝安中学（集团）小学部】共享学区学位",
            ["海旺学校", "宝安中学（集团）小学部"],
        ),
        ("分享学区【可分享文汇学校（小学部）学位】", ["文汇学校（小学部）"]),
        ("分享学区 （可分享西乡中学初中部学位）", ["西乡中学初中部"]),
        (
            "可分享【深圳外国语学校宝安学校（小学部）与万丰小学】学位",
            ["深圳外国语学校宝安学校（小学部）", "万丰小学"],
        ),
        ("可分享燕山学校、燕川实验学校初中部共享学区学位", ["燕山学校", "燕川实验学校初中部"]),
        ("共享学区", []),
        ("可以分享的学位有限", []),
    ],
)
def test_reading_the_names(note, names):
    assert shared_seats(note) == names


def test_the_option_is_offered_in_that_zone_only(tmp_path):
    spec = parse_policy(SCHOOLS.format(note="可分享上合小学学位"))
    got, ids = offered(spec, ("某镇东关村3号", "某镇南关村3号", "某镇西关村3号"), tmp_path)
    assert got["某镇东关村3号"] == ([ids["滨海小学"]], [(ids["上合小学"], "alternative")])
    assert got["某镇南关村3号"] == ([ids["上合小学"]], [])  # its own zone: no option on itself
    assert got["某镇西关村3号"] == ([ids["海旺学校(小学部)"]], [])


def test_a_shared_catchment_still_links_with_an_option_added():
    """Two schools marked 共享学区 with the same scope text share one catchment; an option
    added to one of them (from another school's note) does not split them."""
    text = """# 某区招生范围

### 小学
甲家小学：东关村
  - 学区类型：共享学区

乙家小学：东关村
  - 学区类型：共享学区

丙家小学：西关村
  - 备注：可分享甲家小学学位
"""
    spec = parse_policy(text)
    assert zone_of_options(spec) == {("甲家小学", "丙家小学")}
    ids = {s["name"]: s["id"] for s in spec["schools"]}
    pair = {ids["甲家小学"], ids["乙家小学"]}
    for name in ("甲家小学", "乙家小学"):
        school = next(s for s in spec["schools"] if s["name"] == name)
        assert any(
            z["kind"] == "multi_school" and pair <= set(z.get("schools") or [])
            for z in school["zones"]
        ), school["zones"]
    assert not any("共享学区" in u["reason"] for u in spec.get("unparsed", []))


def test_on_the_real_notice():
    """深圳宝安 2024 in ../shared/reference (not shipped; skipped without): every 分享 note
    gives options at the schools it names; one name fits no school alone and is reported."""
    text, _ = read_policy(need_shared(ZONING / "shenzhen_baoan_2024.md"))
    spec = parse_policy(text)
    options = zone_of_options(spec)
    entries = [z for s in spec["schools"] for z in s["zones"] if z.get("zone_of")]
    assert len(entries) == len(options) == 54
    assert ("西乡小学", "西湾小学") in options
    assert ("宝安区实验学校（集团）海旺学校(小学部)", "滨海小学") in options
    assert ("燕山学校（初中部）", "松岗中学（初中部）") in options  # the same level's part
    notes = [u for u in spec["unparsed"] if u["text"].startswith("- ") and "分享" in u["text"]]
    assert [u["reason"] for u in notes] == [
        "未识别的学校 school not recognised: 宝安中学（集团）小学部（分享学位）"
    ]


def test_a_sharing_zone_that_names_no_school_is_reported():
    """学区类型：分享学区 with no note naming the schools: the option is unknown — said so."""
    spec = parse_policy(SCHOOLS.format(note="学位紧张").replace("  - 备注：学位紧张\n", ""))
    assert zone_of_options(spec) == set()
    assert [u["reason"] for u in spec["unparsed"] if "分享学区" in u["text"]] == [
        "分享学区，但未写明可分享哪些学校的学位 sharing zone names no schools"
    ]
