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


def test_just_outside_the_outer_edge_no_school_and_no_zero_metre_text(ctx):
    from geo_enroll.zoneindex import EDGE_TOLERANCE_M

    lon, lat = toy_xy_to_lonlat(-EDGE_TOLERANCE_M / 2, 300)
    r = lookup_point(lon, lat, **ctx)
    assert r["primary"] == [] and r["middle"] == []
    text = " ".join(r["warnings"])
    assert "不足1米" in text and "约0米" not in text and "0 m away" not in text
    lon, lat = toy_xy_to_lonlat(-120, 300)
    text = " ".join(lookup_point(lon, lat, **ctx)["warnings"])
    assert "相距约120米" in text


def test_an_unzoned_area_is_named_not_called_outside_every_zone(ctx):
    import geopandas as gpd
    from shapely.geometry import Polygon

    spec = dict(ctx["spec"])
    spec["areas"] = [
        {
            "rule_id": "area-r01",
            "kind": "unzoned",
            "name": "北山自主选择区",
            "level": None,
            "source": {"text": "layer.geojson feature 9", "line": 10},
        }
    ]
    ring = [toy_xy_to_lonlat(x, y) for x, y in ((0, 1000), (1000, 1000), (1000, 1400), (0, 1400))]
    extra = gpd.GeoDataFrame(
        [{"rule_id": "area-r01", "kind": "unzoned", "geometry": Polygon(ring)}], crs=4326
    )
    zones = gpd.GeoDataFrame(gpd.pd.concat([ctx["zones"], extra], ignore_index=True), crs=4326)
    lon, lat = toy_xy_to_lonlat(500, 1200)
    r = lookup_point(lon, lat, spec=spec, zones=zones, school_points=ctx["school_points"])
    assert r["primary"] == [] and r["area"]["name"] == "北山自主选择区"
    assert any("北山自主选择区" in w for w in r["warnings"])
    assert not any("不在" in w for w in r["warnings"])
    # on the shared edge of a school zone and the area: the school's zone (closed polygons)
    lon, lat = toy_xy_to_lonlat(700, 1000)
    r = lookup_point(lon, lat, spec=spec, zones=zones, school_points=ctx["school_points"])
    assert [s["school_id"] for s in r["primary"] if s["kind"] == "户籍划片"] == ["toy-p1"]


def test_the_index_is_cached_per_content_not_per_object(ctx):
    from geo_enroll.lookup import build_index

    a = build_index(ctx["spec"], ctx["zones"], ctx["school_points"])
    b = build_index(toy_spec(), toy_zones().copy(), toy_school_points())
    assert a is b  # same content, other objects: one index
    edited = toy_zones()
    west = edited["rule_id"] == "toy-p2-r01"
    edited.loc[west, "geometry"] = edited.loc[west, "geometry"].translate(xoff=1e-3)
    c = build_index(ctx["spec"], edited, ctx["school_points"])
    assert c is not a  # an edited layer never reuses a stale index
    assert build_index(ctx["spec"], edited, ctx["school_points"], version="v7") is not a
    assert build_index({}, None, None, version="v7") is build_index(ctx["spec"], version="v7")
