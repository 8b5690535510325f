"""Groups written as a range (杨柳村1-6组, 一组至五组, 第1-5村民小组) and groups in other words
(3队, 第3村民小组) in the engine.

Before: a unit's group was compared as text, so 杨柳村1-6组 matched no address (a child at
杨柳村3组 matched the rule not at all where the village had a code) — and a unit matched by
name ignored its group, so 杨柳村7组 matched the 1-6组 rule too (both schools of a village
split between two schools were its zone).  成都新津 (董大桥村1-7组 / 8-11组), 成都成华 and
杭州 notices write such ranges."""

from __future__ import annotations

import pytest

from geo_enroll.placement.candidates import candidate_schools
from geo_enroll.policy import parse_policy
from geo_enroll.zoneindex import ZoneIndex


def _index(scopes: dict[str, str]) -> tuple[ZoneIndex, dict[str, str]]:
    lines = "\n".join(f"{school}：{scope}" for school, scope in scopes.items())
    spec = parse_policy(f"# 某县招生范围\n\n{lines}\n")
    return ZoneIndex(spec, None), {s["id"]: s["name"] for s in spec["schools"]}


def _zone(index, names, address: str) -> list[str]:
    c = candidate_schools({"input": address, "lon": 103.8, "lat": 30.4}, "primary", index=index)
    return sorted(names[m["school_id"]] for m in c["zone"])


@pytest.mark.parametrize(
    "first,second",
    [
        ("杨柳村1-6组", "杨柳村7-10组"),
        ("杨柳村1至6组", "杨柳村7至10组"),
        ("杨柳村一组至六组", "杨柳村七组至十组"),
        ("杨柳村第1-6村民小组", "杨柳村第7-10村民小组"),
    ],
)
def test_a_village_split_by_group_ranges(first, second):
    index, names = _index({"甲家小学": first, "乙家小学": second})
    assert _zone(index, names, "某镇杨柳村3组12号") == ["甲家小学"]
    assert _zone(index, names, "某镇杨柳村六组") == ["甲家小学"]
    assert _zone(index, names, "某镇杨柳村7组5号") == ["乙家小学"]
    assert _zone(index, names, "某镇杨柳村十组") == ["乙家小学"]
    assert _zone(index, names, "某镇杨柳村11组") == []  # no rule names group 11
    # no group in the address: either may serve it (the address must say which group)
    assert _zone(index, names, "某镇杨柳村") == ["乙家小学", "甲家小学"]


@pytest.mark.parametrize("address", ["某镇东风村3队", "某镇东风村第3村民小组", "某镇东风村三社"])
def test_a_group_in_other_words(address):
    index, names = _index({"甲家小学": "东风村2、3组", "乙家小学": "东风村4组"})
    assert _zone(index, names, address) == ["甲家小学"]


def test_single_groups_still_match_as_before():
    index, names = _index({"甲家小学": "菜园村三社、四社", "乙家小学": "菜园村五社"})
    assert _zone(index, names, "某镇菜园村四社8号") == ["甲家小学"]
    assert _zone(index, names, "某镇菜园村5组") == ["乙家小学"]


@pytest.mark.parametrize(
    "scope",
    ["东关村（3组除外）", "东关村除3组外", "东关村（不含3组）", "东关村（除1-3组外）"],
)
def test_a_group_excluded_from_its_village(scope):
    """东关村（3组除外）: the village's rule matched its 3组 too (the exclusion was in the spec
    and never read by the engine) — two zone schools for those children."""
    index, names = _index({"甲家小学": scope, "乙家小学": "东关村3组"})
    assert _zone(index, names, "某镇东关村3组8号") == ["乙家小学"]
    assert _zone(index, names, "某镇东关村5组") == ["甲家小学"]


def test_a_place_excluded_from_a_community():
    """建兴社区（不含昌盛园小区）: an address naming the compound is not the community's."""
    index, names = _index({"甲家小学": "建兴社区（不含昌盛园小区）", "乙家小学": "红星社区"})
    assert _zone(index, names, "某镇建兴社区和平路3号") == ["甲家小学"]
    assert _zone(index, names, "某镇建兴社区昌盛园小区5栋2单元") == []


def test_a_street_named_like_a_community_is_not_it():
    """光明社区 (known by name only) matched an address on 光明路 of another community: the
    name is read where it is not the start of a street's or a building's name."""
    index, names = _index({"甲家小学": "建兴社区", "乙家小学": "光明社区"})
    assert _zone(index, names, "某镇建兴社区光明路3号") == ["甲家小学"]
    assert _zone(index, names, "某镇光明社区和平路3号") == ["乙家小学"]
    assert _zone(index, names, "某镇光明路光明社区2栋") == ["乙家小学"]
