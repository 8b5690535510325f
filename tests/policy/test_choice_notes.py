"""A unit's bracketed note naming the schools its children may choose (洪桥头社区（仅可报第五小学
和第六小学） / （可选择A或B就读） / （可报读A、B）).

Before: the note was the unit's *sub-area* — a part named 仅可报第五小学和第六小学, which no
address has — so a child of 洪桥头社区 matched no school at all (and the other school was never
offered).  Now the unit is in the zone it is listed in, the note kept as a written note, and an
option (``alternative``) at each other school named; a school the notice does not have is
reported."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy
from geo_enroll.policy.items import choice_schools

from .conftest import offered


def _spec(text: str) -> dict:
    return parse_policy(f"# 某县招生范围\n\n{text}\n")


def _kinds(spec: dict) -> dict[str, list[tuple[str, str, str | None]]]:
    return {
        s["name"]: sorted(
            (z["kind"], u["name"], u.get("sub_area"))
            for z in s["zones"]
            for u in z.get("units") or []
        )
        for s in spec["schools"]
    }


@pytest.mark.parametrize(
    "note",
    [
        "仅可报第五小学和第六小学",
        "只能报第五小学、第六小学",
        "可选择第五小学或第六小学就读",
        "可报读第五小学、第六小学",
        "第五小学、第六小学任选一所",
    ],
)
def test_the_unit_is_in_the_zone_and_an_option_at_the_other(note):
    spec = _spec(f"第五小学：洪桥头社区（{note}）、南关村。\n第六小学：北关村。")
    got = _kinds(spec)
    assert got["第五小学"] == [
        ("admin_units", "南关村", None),
        ("admin_units", "洪桥头社区", None),
    ]
    assert ("alternative", "洪桥头社区", None) in got["第六小学"]
    assert ("admin_units", "北关村", None) in got["第六小学"]
    unit = next(
        u for z in spec["schools"][0]["zones"] for u in z["units"] if u["name"] == "洪桥头社区"
    )
    assert unit["written_note"] == note and "choice" not in unit
    assert not spec.get("unparsed")


def test_a_school_not_in_the_notice_is_reported():
    spec = _spec("第五小学：洪桥头社区（可选择第六小学或第七小学就读）。\n第六小学：北关村。")
    assert [u["reason"] for u in spec["unparsed"]] == [
        "未识别的学校 school not recognised: 第七小学"
    ]
    assert ("alternative", "洪桥头社区", None) in _kinds(spec)["第六小学"]


@pytest.mark.parametrize(
    "note",
    ["原侯家村范围", "3组除外", "小学部", "含报恩寺小区", "东区"],
)
def test_other_notes_are_not_a_choice(note):
    assert choice_schools(note) == []


def test_in_the_engine(tmp_path):
    """Saved, loaded and looked up: the zone school, and the other as an option."""
    spec = _spec("第五小学：洪桥头社区（仅可报第五小学和第六小学）、南关村。\n第六小学：北关村。")
    got, ids = offered(spec, ("某镇洪桥头社区8号", "某镇南关村8号"), tmp_path)
    assert got["某镇洪桥头社区8号"] == ([ids["第五小学"]], [(ids["第六小学"], "alternative")])
    assert got["某镇南关村8号"] == ([ids["第五小学"]], [])


@pytest.mark.parametrize(
    "sentence",
    [
        "洪桥头社区仅可报第五小学和第六小学。",
        "(2)洪桥头社区仅可报第五小学和第六小学。",
        "洪桥头社区适龄儿童可选择第五小学或第六小学就读。",
        "洪桥头社区的学生只能报第五小学、第六小学。",
    ],
)
def test_a_choice_sentence_is_an_option_at_each_school(sentence):
    spec = _spec(f"第五小学：南关村。\n第六小学：北关村。\n{sentence}")
    got = _kinds(spec)
    assert ("alternative", "洪桥头社区", None) in got["第五小学"]
    assert ("alternative", "洪桥头社区", None) in got["第六小学"]
    assert not spec.get("unparsed")


def test_the_same_choice_said_again_is_one_option():
    spec = _spec(
        "第五小学：南关村。\n第六小学：北关村。\n" + "洪桥头社区仅可报第五小学和第六小学。\n" * 3
    )
    options = [z for s in spec["schools"] for z in s["zones"] if z["kind"] == "alternative"]
    assert len(options) == 2 and all(len(z["also_sources"]) == 2 for z in options)


def test_on_the_real_notice():
    """深圳宝安 2024 in ../shared/reference (not shipped; skipped without): lines 490-506 say
    (2)洪桥头社区仅可报沙溪小学和艺展小学 under five schools — they were reported unread."""
    from geo_enroll.policy.spec import read_policy

    from ..conftest import SHARED, need_shared

    text, _ = read_policy(
        need_shared(SHARED / "reference" / "zoning-dev" / "shenzhen_baoan_2024.md")
    )
    spec = parse_policy(text)
    options = {
        s["name"]: [u["name"] for z in s["zones"] if z["kind"] == "alternative" for u in z["units"]]
        for s in spec["schools"]
        if s["name"] in ("沙溪小学", "艺展小学")
    }
    assert options == {"沙溪小学": ["洪桥头社区"], "艺展小学": ["洪桥头社区"]}
    assert not [u for u in spec["unparsed"] if 490 <= u["line"] <= 506 and "洪桥头" in u["text"]]
