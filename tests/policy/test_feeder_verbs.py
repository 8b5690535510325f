"""A middle school's feeder primaries written with a verb (第一中学招收第一小学和第二小学的毕业生 /
第一中学接收第一小学毕业生 / 录取…应届毕业生), as 第一中学：第一小学、第二小学毕业生 already was.

Before: the first was reported; 招收…、…应届毕业生 gave a compound called 第一小学; and 接收 under
a 第二小学：… line became part of *第二小学's* zone (a compound "第一中学接收第一").  A who-phrase
(第二中学招收宝昌镇6个社区户籍的小学毕业生) stays a scope, not a feeder (the 太仆寺旗 seed's line 40
reads as before; nothing of the ten reference notices changed)."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy


def _read(line: str) -> dict:
    return parse_policy(f"# 某县招生范围\n\n第一小学：东关村。\n第二小学：西关村。\n{line}\n")


@pytest.mark.parametrize(
    "line,froms",
    [
        ("第一中学招收第一小学和第二小学的毕业生。", ["第一小学", "第二小学"]),
        ("第一中学招收第一小学、第二小学应届毕业生。", ["第一小学", "第二小学"]),
        ("第一中学接收第一小学毕业生。", ["第一小学"]),
        ("第一中学录取第一小学和第二小学的毕业生。", ["第一小学", "第二小学"]),
        ("第一中学招生对象为第一小学、第二小学毕业生。", ["第一小学", "第二小学"]),
        ("第一中学：第一小学、第二小学毕业生。", ["第一小学", "第二小学"]),
    ],
)
def test_feeders_with_a_verb(line, froms):
    spec = _read(line)
    by_name = {s["name"]: s for s in spec["schools"]}
    feeders = [z for z in by_name["第一中学"]["zones"] if z["kind"] == "feeder"]
    assert [[f["name"] for f in z["from_schools"]] for z in feeders] == [froms]
    assert [z["kind"] for z in by_name["第二小学"]["zones"]] == ["admin_units"]  # nothing added
    assert not spec.get("unparsed")


def test_places_graduates_stay_a_scope():
    spec = _read("第一中学招收东关村户籍的小学毕业生。")
    middle = next(s for s in spec["schools"] if s["name"] == "第一中学")
    assert [(z["kind"], [u["name"] for u in z["units"]]) for z in middle["zones"]] == [
        ("admin_units", ["东关村"])
    ]
