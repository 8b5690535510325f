"""The schematic 宝昌镇 base map: anchored on real facts, labelled schematic, complete."""

from __future__ import annotations

import shutil
import subprocess

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geo_enroll.basemap import read_basemap, write_basemap
from geo_enroll.basemap.layers import utm_crs
from geo_enroll.basemap.names import NameIndex
from geo_enroll.basemap.schematic import SCHOOLS, TOWN_SEAT
from geo_enroll.settings import data_dir

SEED_NAMES = [
    "东大桥",
    "察哈尔街",
    "光明大街",
    "解放大街",
    "宝昌大街",
    "民生路",
    "利民路",
    "建设南路",
    "团结街",
    "国防街",
    "和平街",
    "207国道",
]
COMPOUNDS = ["万和小区", "紫金花园小区", "昌盛园小区"]
COMMUNITIES = ["建兴", "太平", "东郊", "新华", "南郊", "宝丰", "国防", "西郊"]


def _county():
    g = gpd.read_file(data_dir() / "boundaries" / "counties_152527_110119_cgcs2000.geojson")
    return g[g["gb"].astype(str).str.endswith("152527")].geometry.iloc[0]


def test_every_layer_is_labelled_schematic(schematic):
    assert schematic.schematic and "schematic" in schematic.meta["note"]
    for layer in ("streets", "landmarks", "areas", "schools"):
        frame = schematic.layer(layer)
        assert len(frame) and "schematic" in frame.columns
    # only the real county outline and the real town seat are not schematic
    real = schematic.areas[~schematic.areas["schematic"]]
    assert list(real["kind"]) == ["county"]
    assert schematic.streets["schematic"].all() and schematic.schools["schematic"].all()


def test_anchored_on_the_town_seat_inside_the_county(schematic):
    town = schematic.areas[schematic.areas["kind"] == "town"]
    utm = utm_crs(TOWN_SEAT)
    area_km2 = town.to_crs(utm).area.iloc[0] / 1e6
    assert area_km2 == pytest.approx(7.2, rel=0.01)
    centre = town.to_crs(utm).geometry.iloc[0].centroid
    seat = gpd.GeoSeries([Point(TOWN_SEAT)], crs=4326).to_crs(utm).iloc[0]
    assert centre.distance(seat) < 1.0
    county = _county()
    for layer in ("streets", "landmarks", "schools"):
        assert schematic.layer(layer).geometry.within(county.buffer(1e-9)).all(), layer
    assert schematic.areas.geometry.within(county.buffer(1e-6)).all()


def test_communities_tile_the_town_with_official_codes(schematic):
    comm = schematic.areas[schematic.areas["kind"] == "community"]
    assert sorted(n.removesuffix("社区") for n in comm["name"]) == sorted(COMMUNITIES)
    codes = dict(zip(comm["name"], comm["code"], strict=False))
    assert codes["国防社区"] == "" and codes["西郊社区"] == ""
    assert all(len(codes[n + "社区"]) == 12 for n in COMMUNITIES[:6])
    utm = utm_crs(TOWN_SEAT)
    town = schematic.areas[schematic.areas["kind"] == "town"].to_crs(utm).geometry.iloc[0]
    parts = comm.to_crs(utm).geometry
    assert abs(parts.area.sum() - town.area) < 1.0
    assert abs(parts.union_all().area - town.area) < 1.0  # no overlap, no gap


def test_townships_cover_the_county_and_hold_their_seats(schematic):
    towns = schematic.areas[schematic.areas["kind"] == "township"]
    assert len(towns) == 8 and towns["code"].str.len().eq(9).all()
    utm = utm_crs(TOWN_SEAT)
    county = gpd.GeoSeries([_county()], crs=4326).to_crs(utm).iloc[0]
    assert towns.to_crs(utm).area.sum() == pytest.approx(county.area, rel=1e-5)
    seats = schematic.landmarks[schematic.landmarks["kind"] == "seat"]
    for _, seat in seats.iterrows():
        cell = towns[towns["name"] == seat["name"]].geometry.iloc[0]
        assert cell.contains(seat.geometry)
    town = schematic.areas[schematic.areas["kind"] == "town"].geometry.iloc[0]
    assert towns[towns["name"] == "宝昌镇"].geometry.iloc[0].contains(town)


def test_every_name_of_the_seed_is_on_the_map(schematic):
    streets = NameIndex(schematic.streets)
    for name in SEED_NAMES:
        assert streets.lookup(name).found, name
    marks = NameIndex(schematic.landmarks)
    for name in COMPOUNDS:
        hit = marks.lookup(name)
        assert hit.found and schematic.landmarks.geometry.iloc[hit.rows[0]].geom_type == "Polygon"


def test_schools_and_house_numbers(schematic):
    s = schematic.schools
    assert set(s["school_id"]) == set(SCHOOLS) and len(s) == 11
    town = schematic.areas[schematic.areas["kind"] == "town"].geometry.iloc[0]
    seats = {"taipusi-p-qjg", "taipusi-p-lts", "taipusi-gbl"}
    for _, row in s.iterrows():
        assert town.contains(row.geometry) != (row["school_id"] in seats), row["school_id"]
    roads = schematic.streets[schematic.streets["kind"].isin(["road", "bridge"])]
    assert (roads["from_number"] < roads["to_number"]).all()


def test_round_trip_and_ogrinfo(schematic, tmp_path):
    path = write_basemap(schematic, tmp_path / "m.gpkg")
    back = read_basemap(path)
    assert back.schematic
    for layer in ("streets", "landmarks", "areas", "schools"):
        assert len(back.layer(layer)) == len(schematic.layer(layer))
        assert back.layer(layer).geom_equals(schematic.layer(layer).geometry).all()
    if shutil.which("ogrinfo") is None:
        pytest.skip("ogrinfo (gdal-bin) not installed")
    out = subprocess.run(
        ["ogrinfo", "-ro", "-so", str(path)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and "streets" in out.stdout and "meta" in out.stdout
