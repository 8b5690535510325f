"""A school whose scope is the whole jurisdiction (第二小学：全县范围内自主招生 / 面向全旗招生 /
第一中学：全县范围内招生 / 招生范围为全区).

Before: the words were read as a compound's name (a residential area called
"全县范围内自主招生", which no address matches), so nobody had the school.  Now: beside other
schools of its level with places of their own it is a choice open to everyone (``free_choice``,
scope ``anyone``); as the only zoned school of its level it is every address's zone school (a
``remainder`` zone of the whole jurisdiction).  Nothing in the ten reference notices or the
seeds is written so (their parse is unchanged; ``tests/policy/test_reference_corpus.py``)."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy, validate_spec
from geo_enroll.policy.remainder import read_whole

from .conftest import offered

HEADS = ("# 某县招生范围", "# 太仆寺旗2024年义务教育招生划片范围")
WHOLE = (
    "全县范围内自主招生",
    "面向全县招生",
    "全县范围内招生",
    "面向全旗招收学生",
    "全区",
    "招生范围为全县",
    "本县范围内适龄儿童",
    "县域内招生",
)


def _kinds(spec: dict) -> dict[str, list]:
    return {s["name"]: [(z["kind"], z.get("scope")) for z in s["zones"]] for s in spec["schools"]}


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("scope", WHOLE)
def test_beside_zoned_schools_a_choice_for_everyone(head, scope):
    spec = parse_policy(f"{head}\n\n第一小学：东关村、西关村。\n第二小学：{scope}。\n")
    assert validate_spec(spec) == []
    assert not spec.get("unparsed")
    got = _kinds(spec)
    assert got["第二小学"] == [("free_choice", "anyone")]
    assert got["第一小学"] == [("admin_units", None)]


@pytest.mark.parametrize("scope", WHOLE)
def test_the_only_zoned_school_of_its_level_serves_every_address(scope):
    spec = parse_policy(f"# 某县招生范围\n\n第一小学：东关村。\n第一中学：{scope}。\n")
    assert validate_spec(spec) == []
    middle = next(s for s in spec["schools"] if s["name"] == "第一中学")
    assert [(z["kind"], z["units"], z["area"], z["of"]) for z in middle["zones"]] == [
        ("remainder", [], None, [])
    ]


def test_in_the_engine(tmp_path):
    choice = parse_policy("# 某县招生范围\n\n第一小学：东关村。\n第二小学：面向全县招生。\n")
    got, ids = offered(choice, ("某镇东关村8号", "某镇南关村8号"), tmp_path)
    assert got["某镇东关村8号"][0] == [ids["第一小学"]]
    assert (ids["第二小学"], "free_choice") in got["某镇东关村8号"][1]
    assert got["某镇南关村8号"][0] == []
    assert (ids["第二小学"], "free_choice") in got["某镇南关村8号"][1]
    only = parse_policy("# 某县招生范围\n\n第二小学：全县范围内招生。\n")
    got, ids = offered(only, ("某镇东关村8号", "某镇南关村8号"), tmp_path)
    assert got == {a: ([ids["第二小学"]], []) for a in ("某镇东关村8号", "某镇南关村8号")}


@pytest.mark.parametrize(
    "text",
    [
        "全县其余区域",  # the rest: a remainder of the others' zones
        "全镇",  # a township, not the county
        "全县（不含东关村）",  # the whole less a place: not read as whole (reported or a rest)
        "全县城区",
        "县城规划区",
        "全县各乡镇中心小学",
    ],
)
def test_not_the_whole_jurisdiction(text):
    assert read_whole(text) is None


@pytest.mark.parametrize("zoned", [False, True])
def test_two_whole_county_schools_read_alike_in_either_order(zoned):
    """Two middle schools both 全县范围内招生: each is every address's zone school (none has
    places of its own), or both a choice when a third is zoned — whichever line comes first
    (before this was decided school by school, the first read saw the second as zoned)."""
    lines = ["第一中学：全县范围内招生。", "第二中学：面向全县招生。"]
    third = "第三中学：东关村。\n" if zoned else ""
    want = ("free_choice", "anyone") if zoned else ("remainder", None)
    for order in (lines, lines[::-1]):
        spec = parse_policy(
            "# 某县招生范围\n\n第一小学：东关村。\n" + third + "\n".join(order) + "\n"
        )
        got = _kinds(spec)
        assert got["第一中学"] == got["第二中学"] == [want]
