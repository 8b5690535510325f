"""A school whose zone is written as another school's (第三小学：与第一小学同学区招生 / 第三小学
招生范围同第一小学 / 第三小学与第一小学学区相同).

Before: "no school zoning found" for a notice written so, and in a longer notice the line was
reported unread (杭州 line 509, 湖畔学校：与创意城小学同学区招生。学区范围：…).  Now the school
gets a copy of each of the other's own zones (``same_zone_of``), so an address there has both
as its zone schools; where the school also lists the same places itself (杭州 509) nothing is
copied and the sentence is recorded as saying the same rule."""

from __future__ import annotations

import itertools

import pytest

from geo_enroll.policy import parse_policy, validate_spec
from geo_enroll.policy.spec import read_policy

from ..conftest import SHARED, need_shared
from .conftest import offered

ZONING = SHARED / "reference" / "zoning-dev"


def _spec(text: str) -> dict:
    return parse_policy(f"# 某县招生范围\n\n{text}\n")


def _zones(spec: dict) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for s in spec["schools"]:
        for z in s["zones"]:
            names = tuple(u["name"] for u in z.get("units") or []) or (z["kind"],)
            out.setdefault(s["name"], []).append((names, z.get("same_zone_of")))
    return out


@pytest.mark.parametrize(
    "line",
    [
        "第三小学：与第一小学同学区招生。",
        "第三小学与第一小学同学区招生。",
        "第三小学招生范围同第一小学。",
        "第三小学与第一小学学区相同。",
        "第三小学：同第一小学。",
        "第三小学：与第一小学共用学区。",
    ],
)
@pytest.mark.parametrize("first", [True, False])
def test_the_other_schools_zone(line, first):
    own = "第一小学：东关村、西关村。\n第二小学：南关村。"
    spec = _spec(f"{line}\n{own}" if first else f"{own}\n{line}")
    assert validate_spec(spec) == []
    got = _zones(spec)
    p1 = next(s["id"] for s in spec["schools"] if s["name"] == "第一小学")
    assert got["第三小学"] == [(("东关村", "西关村"), p1)]
    assert got["第一小学"] == [(("东关村", "西关村"), None)]
    assert not spec.get("unparsed")


def test_a_box_is_copied_too():
    spec = _spec(
        "第一小学：东至长安街，南至建设路，西至民生路，北至光明大街。\n第三小学与第一小学同学区招生。"
    )
    zones = {s["name"]: s["zones"] for s in spec["schools"]}
    assert zones["第三小学"][0]["limits"] == zones["第一小学"][0]["limits"]
    assert zones["第三小学"][0]["rule_id"] != zones["第一小学"][0]["rule_id"]


@pytest.mark.parametrize(
    "text",
    [
        "第一小学：东关村。\n洪桥头社区仅可报第一小学和第二小学。",  # options, not a shared zone
        "第一小学：东关村。\n第三小学和第一小学。",  # no word of a shared zone
    ],
)
def test_not_a_shared_zone(text):
    try:
        spec = _spec(text)
    except Exception:  # noqa: BLE001 - nothing else to read in such a notice
        return
    assert all(not z.get("same_zone_of") for s in spec["schools"] for z in s["zones"])
    assert not any("仅可报" in s["name"] for s in spec["schools"])


def test_an_unknown_school_is_reported():
    spec = _spec("第一小学：东关村。\n第三小学：与第九小学同学区招生。")
    assert [u["reason"] for u in spec["unparsed"]] == [
        "未识别的学校 school not recognised: 第九小学"
    ]


def test_in_the_engine(tmp_path):
    """Saved, loaded (``same_zone_of`` kept) and looked up: both schools are the zone's."""
    spec = _spec("第一小学：东关村。\n第二小学：南关村。\n第三小学：与第一小学同学区招生。")
    got, ids = offered(spec, ("某镇东关村8号", "某镇南关村8号"), tmp_path)
    assert sorted(got["某镇东关村8号"][0]) == sorted([ids["第一小学"], ids["第三小学"]])
    assert got["某镇南关村8号"] == ([ids["第二小学"]], [])


def test_on_the_real_notice():
    """杭州 2026 in ../shared/reference (not shipped; skipped without): line 509 lists the same
    places as 创意城小学 itself — nothing copied, the sentence no longer reported."""
    text, _ = read_policy(need_shared(ZONING / "hangzhou_urban-districts_2026.md"))
    spec = parse_policy(text)
    school = next(s for s in spec["schools"] if s["name"] == "浙江省杭州湖畔学校")
    assert not [z for z in school["zones"] if z.get("same_zone_of")]
    said = [z for z in school["zones"] if z.get("also_sources")]
    assert len(said) == 3 and all("同学区" in z["also_sources"][0]["text"] for z in said)
    assert not [u for u in spec["unparsed"] if u["line"] == 509]


_CHAIN = [
    "第三小学：与第二小学同学区招生。",
    "第二小学：与第一小学同学区招生。",
    "第一小学：东关村、西关村。",
    "第四小学：南关村。",
]


@pytest.mark.parametrize("order", list(itertools.permutations(range(4))))
def test_a_chain_of_shared_zones_in_any_order(order):
    """第三 shares 第二's zone, which is 第一's: 第三 gets 第一's places too, whatever the order
    of the lines (before, 第三 read before 第二 had its copy was reported "no zone of its own")."""
    spec = _spec("\n".join(_CHAIN[k] for k in order))
    assert validate_spec(spec) == []
    assert not spec.get("unparsed")
    got = _zones(spec)
    p1 = next(s["id"] for s in spec["schools"] if s["name"] == "第一小学")
    assert got["第三小学"] == [(("东关村", "西关村"), p1)]
    assert got["第二小学"] == [(("东关村", "西关村"), p1)]
    assert got["第一小学"] == [(("东关村", "西关村"), None)]
    assert got["第四小学"] == [(("南关村",), None)]


@pytest.mark.parametrize("first", [True, False])
def test_a_chain_through_schools_with_their_own_zones(first):
    """Each school of a chain with places of its own: the earlier ones get every later one's;
    a loop (each says it shares the other's zone) gives each the other's, once."""
    lines = [
        "第三小学：北关村。",
        "第三小学与第二小学同学区。",
        "第二小学：南关村。",
        "第二小学与第一小学同学区。",
        "第一小学：东关村。",
    ]
    spec = _spec("\n".join(lines if first else lines[::-1]))
    got = {k: sorted(v) for k, v in _zones(spec).items()}
    ids = {s["name"]: s["id"] for s in spec["schools"]}
    assert got["第三小学"] == sorted(
        [(("北关村",), None), (("南关村",), ids["第二小学"]), (("东关村",), ids["第一小学"])]
    )
    assert got["第二小学"] == sorted([(("南关村",), None), (("东关村",), ids["第一小学"])])
    loop = _spec(
        "第一小学：东关村。\n第二小学：南关村。\n第一小学与第二小学同学区。\n第二小学与第一小学同学区。"
    )
    got = {k: sorted(v) for k, v in _zones(loop).items()}
    ids = {s["name"]: s["id"] for s in loop["schools"]}
    assert got["第一小学"] == sorted([(("东关村",), None), (("南关村",), ids["第二小学"])])
    assert got["第二小学"] == sorted([(("南关村",), None), (("东关村",), ids["第一小学"])])
    assert not loop.get("unparsed")


def test_a_chain_in_the_engine(tmp_path):
    spec = _spec("\n".join(_CHAIN))
    got, ids = offered(spec, ("某镇东关村8号", "某镇南关村8号"), tmp_path)
    want = sorted(ids[k] for k in ("第一小学", "第二小学", "第三小学"))
    assert sorted(got["某镇东关村8号"][0]) == want
    assert got["某镇南关村8号"] == ([ids["第四小学"]], [])
