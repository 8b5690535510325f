"""The lookup's answers kept per zone index (``geo_enroll.lookup._answer``): every answer equals
the one computed afresh, addresses of one point with other unit matches get their own, and no
caller can change another's."""

from __future__ import annotations

import re

import pytest

import geo_enroll.lookup as lookup
from geo_enroll.datasets import toy_gazetteer, toy_school_points, toy_spec, toy_zones
from geo_enroll.lookup import lookup_address, lookup_point
from geo_enroll.placement.candidates import ZoneIndex, unit_hits
from geo_enroll.settings import DEFAULT_SETTINGS

from .test_candidates_shared import SEEDS, _seed


def _fresh_answer(geo: dict, spec: dict, index) -> dict:
    return lookup._compute_answer(
        geo, spec=spec, settings=DEFAULT_SETTINGS, index=index, across=True
    )


def _variants(geos: list[dict]) -> list[dict]:
    """Each address again with other house numbers (the same village or street point)."""
    out = []
    for g in geos:
        text = g.get("input") or ""
        m = re.match(r"^(.*?)(\d+)号$", text)
        if m:
            for k in (1, 7, 23):
                out.append(dict(g, input=f"{m[1]}{k}号"))
    return out


@pytest.mark.parametrize("key", sorted(SEEDS))
def test_kept_answers_equal_fresh_ones(key):
    index, geos = _seed(key)
    spec = index.spec
    geos = geos + _variants(geos)
    for rnd in range(2):  # the first computes (and keeps), the second is served from memory
        for geo in geos:
            got = lookup._answer(
                geo,
                spec=spec,
                zones=None,
                school_points=None,
                settings=DEFAULT_SETTINGS,
                index=index,
                across=True,
            )
            # computed afresh (_compute_answer neither reads nor keeps answers)
            assert got == _fresh_answer(geo, spec, index), (rnd, geo.get("input"), geo["lon"])
    kept = index._answer_memo[id(DEFAULT_SETTINGS)][1]
    located = [g for g in geos if g.get("lon") is not None]
    assert 0 < len(kept) < len(located)  # shared by the addresses of one point


def test_one_point_other_unit_matches_other_answers():
    """Two addresses geocoded to one point whose groups (一社, 二社) belong to different
    schools: each gets its own answer (the toy town's 也可 rule for 河湾村 left out, so that
    both are kept)."""
    spec, zones, points = toy_spec(), toy_zones(), toy_school_points()
    for school in spec["schools"]:
        school["zones"] = [z for z in school["zones"] if z.get("kind") != "alternative"]
    index = ZoneIndex(spec, zones, school_points=points)
    gaz = toy_gazetteer()
    one = gaz.geocode("玩具镇河湾村一社3号")
    two = dict(one, group=gaz.geocode("玩具镇河湾村二社3号")["group"], input="玩具镇河湾村二社3号")
    assert unit_hits(one, index) != unit_hits(two, index)
    kw = {"spec": spec, "zones": None, "school_points": None, "settings": DEFAULT_SETTINGS}
    for _ in range(2):
        r1 = lookup._answer(one, index=index, **kw)
        r2 = lookup._answer(two, index=index, **kw)
        assert r1 == lookup._compute_answer(one, spec=spec, settings=DEFAULT_SETTINGS,
                                            index=index, across=False)  # fmt: skip
        assert r2 == lookup._compute_answer(two, spec=spec, settings=DEFAULT_SETTINGS,
                                            index=index, across=False)  # fmt: skip
        zone1 = [s["school_id"] for s in r1["primary"] if s["kind"] == "户籍划片"]
        zone2 = [s["school_id"] for s in r2["primary"] if s["kind"] == "户籍划片"]
        assert zone1 != zone2
    assert len(index._answer_memo[id(DEFAULT_SETTINGS)][1]) == 2


def test_an_alternative_match_is_computed_every_time():
    """The 也可 reading (an ``alternative`` rule) looks at the address text again: never kept."""
    kw = {"spec": toy_spec(), "zones": toy_zones(), "school_points": toy_school_points()}
    index = ZoneIndex(kw["spec"], kw["zones"], school_points=kw["school_points"])
    gaz = toy_gazetteer()
    geo = gaz.geocode("玩具镇河湾村一社3号")
    assert any(index.rules[r][1].get("kind") == "alternative" for r in unit_hits(geo, index))
    lookup_address("玩具镇河湾村一社3号", gazetteer=gaz, index=index, **kw)
    assert not index.__dict__.get("_answer_memo", {}).get(id(DEFAULT_SETTINGS), (0, {}))[1]


def test_a_caller_cannot_change_the_next_answer():
    kw = {"spec": toy_spec(), "zones": toy_zones(), "school_points": toy_school_points()}
    index = ZoneIndex(kw["spec"], kw["zones"], school_points=kw["school_points"])
    gaz = toy_gazetteer()
    first = lookup_address("玩具镇横街61号", gazetteer=gaz, index=index, **kw)
    want = lookup_address("玩具镇横街61号", gazetteer=gaz, index=index, **kw)
    first["primary"][0]["source"]["text"] = "changed"
    first["primary"].clear()
    first["warnings"].append("changed")
    assert lookup_address("玩具镇横街61号", gazetteer=gaz, index=index, **kw) == want
    # a point without codes gets one more warning, on its own copy
    lon, lat = want["lon"], want["lat"]
    p = lookup_point(lon, lat, index=index, **kw)
    assert lookup_point(lon, lat, index=index, **kw) == p
    assert len(p["warnings"]) == len(lookup._answer(
        {"lon": lon, "lat": lat, "level": "poi", "confidence": 1.0, "code": None, "input": ""},
        spec=kw["spec"], zones=None, school_points=None, settings=DEFAULT_SETTINGS,
        index=index,
    )["warnings"]) + 1  # fmt: skip


def test_the_kept_answers_are_bounded(monkeypatch):
    monkeypatch.setattr(lookup, "ANSWER_MEMO_MAX", 3)
    kw = {"spec": toy_spec(), "zones": toy_zones(), "school_points": toy_school_points()}
    index = ZoneIndex(kw["spec"], kw["zones"], school_points=kw["school_points"])
    gaz = toy_gazetteer()
    for n in range(1, 40):
        lookup_address(f"玩具镇横街{n}号", gazetteer=gaz, index=index, **kw)
        assert len(index._answer_memo[id(DEFAULT_SETTINGS)][1]) <= 3
