"""The parent lookup: schools, kind of zone, source sentence, warnings, nothing about children."""

import inspect

import pytest

from geo_enroll.datasets import (
    toy_gazetteer,
    toy_school_points,
    toy_spec,
    toy_xy_to_lonlat,
    toy_zones,
)
from geo_enroll.lookup import lookup_address, lookup_point
from geo_enroll.settings import DEFAULT_SETTINGS


@pytest.fixture
def ctx():
    return {"spec": toy_spec(), "zones": toy_zones(), "school_points": toy_school_points()}


def test_address_in_a_street_zone(ctx):
    r = lookup_address("玩具镇横街81号", gazetteer=toy_gazetteer(), **ctx)
    kinds = {(s["school_id"], s["kind"]) for s in r["primary"]}
    assert ("toy-p1", "户籍划片") in kinds and ("toy-p1", "购房") in kinds
    own = next(s for s in r["primary"] if s["kind"] == "户籍划片")
    assert own["source"]["line"] == 4 and "东小学招收" in own["source"]["text"]
    assert [s["school_id"] for s in r["middle"]] == ["toy-m1"]
    assert (
        r["match_level"] == "house_number"
        and r["edge_distance_m"] > DEFAULT_SETTINGS.boundary_warning_m
    )
    assert not any("边界" in w for w in r["warnings"])


def test_village_with_an_alternative_school(ctx):
    r = lookup_address("玩具镇河湾村一社3号", gazetteer=toy_gazetteer(), **ctx)
    got = [(s["school_id"], s["kind"]) for s in r["primary"] if s["kind"] != "购房"]
    assert got == [("toy-p2", "户籍划片"), ("toy-p1", "可选")]


def test_near_an_edge_warns_within_the_setting(ctx):
    from dataclasses import replace

    lon, lat = toy_xy_to_lonlat(515, 400)
    r = lookup_point(lon, lat, **ctx)
    assert any("边界" in w for w in r["warnings"]) and 14 < r["edge_distance_m"] < 16
    r = lookup_point(lon, lat, settings=replace(DEFAULT_SETTINGS, boundary_warning_m=10.0), **ctx)
    assert not any("划片边界" in w for w in r["warnings"])


def test_unknown_and_coarse_addresses_warn(ctx):
    r = lookup_address("玩具镇火星路1号", gazetteer=toy_gazetteer(), **ctx)
    assert r["primary"] == [] and r["middle"] == [] and r["warnings"]

    class Coarse:
        def geocode(self, text, min_level=None):
            lon, lat = toy_xy_to_lonlat(800, 800)
            return {
                "lon": lon,
                "lat": lat,
                "level": "township",
                "township_code": "999999100",
                "code": "999999100",
                "confidence": 0.5,
            }

    r = lookup_address("玩具镇", gazetteer=Coarse(), **ctx)
    assert any("乡镇" in w for w in r["warnings"])


def test_lookup_takes_no_applicant_data():
    for fn in (lookup_address, lookup_point):
        params = set(inspect.signature(fn).parameters)
        assert not params & {"students", "applicants", "placements"}
