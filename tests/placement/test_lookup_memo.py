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


def test_an_alternative_match_is_kept_by_its_units():
    """The 也可 reading (an ``alternative`` rule) asks which units the address matched: with the
    toy town's 河湾村也可 rule in place, 一社 and 二社 of one point (二社 also claimed by a
    zone rule of its own) get their own answers, each kept and equal to a fresh one."""
    kw = {"spec": toy_spec(), "zones": toy_zones(), "school_points": toy_school_points()}
    index = ZoneIndex(kw["spec"], kw["zones"], school_points=kw["school_points"])
    gaz = toy_gazetteer()
    one = lookup.geocode_address("玩具镇河湾村一社3号", gaz)
    two = dict(one, group=gaz.geocode("玩具镇河湾村二社3号")["group"], input="玩具镇河湾村二社3号")
    for geo in (one, two):
        assert any(index.rules[r][1].get("kind") == "alternative" for r in unit_hits(geo, index))
    keys = [lookup.answer_key(g, spec=kw["spec"], index=index)[0] for g in (one, two)]
    assert keys[0] != keys[1]
    answers = []
    for _ in range(2):
        for geo in (one, two):
            got = lookup._answer(geo, index=index, settings=DEFAULT_SETTINGS, **kw)
            assert got == lookup._compute_answer(
                geo, spec=kw["spec"], settings=DEFAULT_SETTINGS, index=index, across=False
            )
            answers.append(got)
    assert answers[0] != answers[1]
    assert len(index._answer_memo[id(DEFAULT_SETTINGS)][1]) == 2


@pytest.mark.parametrize("key", sorted(SEEDS))
def test_the_unit_set_reads_the_claims_as_matching_again_does(key):
    """``_covered`` asks the address's matched units instead of matching each unit of a claim
    again: the same answer for every claim of every seed address (and its variants)."""
    from geo_enroll.placement.candidates import _covered, unit_matches

    index, geos = _seed(key)
    geos = [g for g in geos + _variants(geos) if g.get("lon") is not None]
    alternatives = [
        z.get("units") or [] for _s, z in index.rules.values() if z.get("kind") == "alternative"
    ]
    seen = {True: 0, False: 0}
    for geo in geos:
        hits, ids = unit_matches(geo, index)
        claims = [
            {"rule_id": rid, "school_id": index.rules[rid][0]}
            for rid in sorted(hits)
            if index.rules[rid][1].get("kind") == "admin_units"
        ]
        # the 也可 units of the spec, and the claims' own units (a claim covered by itself)
        alts = alternatives + [index.rules[m["rule_id"]][1].get("units") or [] for m in claims]
        alts += [  # and a rule's units this address does not match (nothing covered)
            z.get("units") or []
            for rid, (_s, z) in sorted(index.rules.items())
            if z.get("units") and rid not in hits
        ][:1]
        for m in claims:
            for units in alts:
                want = _covered(index, m, units, geo)
                assert _covered(index, m, units, geo, ids) == want, (geo["input"], m)
                seen[want] += 1
    assert seen[True] and seen[False]  # both outcomes occur on the seed's addresses


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
