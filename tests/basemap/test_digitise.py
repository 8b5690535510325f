"""The digitiser on the schematic 宝昌镇 and the committed outputs in data/boundaries/."""

from __future__ import annotations

import json
import shutil

import geopandas as gpd
import pyogrio
import pytest
import shapely

from geo_enroll.basemap.layers import utm_crs
from geo_enroll.basemap.schematic import TOWN_SEAT
from geo_enroll.digitise import build_default, digitise, zones_to_geojson
from geo_enroll.settings import data_dir

FOUR_SIDED = 9


def _zones_utm(result):
    return result.zones.to_crs(utm_crs(TOWN_SEAT))


def test_nine_parts_and_the_compound_become_valid_polygons(taipusi_result, taipusi_spec):
    z = taipusi_result.zones
    kinds = z["kind"].value_counts().to_dict()
    assert kinds == {"street_limits": FOUR_SIDED, "compound": 1}
    assert z.geometry.is_valid.all() and not z.geometry.is_empty.any()
    assert all(r["status"] == "ok" for r in taipusi_result.rules if r["kind"] != "admin_units")
    by_rule = {
        zone["rule_id"]: (s["id"], zone["source"]["text"])
        for s in taipusi_spec["schools"]
        for zone in s["zones"]
    }
    for _, row in z.iterrows():
        assert (row["school_id"], row["source"]) == by_rule[row["rule_id"]]
        assert row["schematic"]


def test_each_zone_lies_in_its_community_and_zones_do_not_overlap(taipusi_result, schematic):
    z = _zones_utm(taipusi_result)
    areas = schematic.areas.to_crs(z.crs).set_index("name")
    for _, row in z.iterrows():
        parent = areas.geometry[row["within"]]
        assert row.geometry.difference(parent.buffer(0.05)).area < 1.0, row["rule_id"]
    geoms = list(z.geometry)
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            assert geoms[i].intersection(geoms[j]).area < 10.0  # 1e-7° rounding along km edges


@pytest.mark.parametrize("side", ["east", "west", "north", "south"])
def test_each_named_limit_bounds_its_part_on_the_named_side(
    taipusi_result, taipusi_spec, schematic, side
):
    """东至X: X touches the zone and the zone lies west of it (and so on)."""
    z = _zones_utm(taipusi_result).set_index("rule_id")
    streets = schematic.streets.to_crs(z.crs)
    limits = {
        zone["rule_id"]: zone.get("limits", {})
        for s in taipusi_spec["schools"]
        for zone in s["zones"]
    }
    checked = 0
    for rule_id, geom in z.geometry.items():
        name = limits.get(rule_id, {}).get(side, "")
        hit = streets[streets["name"] == name]
        if hit.empty:
            continue  # edge words (城北, 社区西) and compounds
        line = hit.geometry.iloc[0]
        if hit["kind"].iloc[0] == "bridge":  # 东大桥: the river under it
            line = streets[streets["kind"] == "river"].geometry.iloc[0]
        assert geom.boundary.intersection(line.buffer(2)).length > 100, (rule_id, name)
        c = geom.centroid
        lx = line.interpolate(line.project(c))
        delta = {"east": lx.x - c.x, "west": c.x - lx.x, "north": lx.y - c.y, "south": c.y - lx.y}[
            side
        ]
        assert delta > 0, (rule_id, side, name)
        checked += 1
    assert checked >= 4


def test_geojson_is_rfc7946(taipusi_result):
    text = zones_to_geojson(taipusi_result.zones)
    doc = json.loads(text)
    assert "crs" not in doc and doc["type"] == "FeatureCollection"
    for f in doc["features"]:
        geom = shapely.geometry.shape(f["geometry"])
        polys = getattr(geom, "geoms", [geom])
        assert all(p.exterior.is_ccw for p in polys)
        assert all(not h.is_ccw for p in polys for h in p.interiors)
    assert zones_to_geojson(taipusi_result.zones) == text  # deterministic


def test_input_order_does_not_change_the_zones(taipusi_spec, schematic, taipusi_result):
    reordered = dict(taipusi_spec, schools=list(reversed(taipusi_spec["schools"])))
    again = digitise(reordered, schematic).zones.set_index("rule_id").sort_index()
    first = taipusi_result.zones.set_index("rule_id").sort_index()
    assert again.geometry.geom_equals_exact(first.geometry, 1e-9).all()


def _copy_inputs(tmp_path):
    src = data_dir()
    for rel in (
        "boundaries/taipusi_2024.toml",
        "boundaries/counties_152527_110119_cgcs2000.geojson",
        "divisions/villages_152527_110119.csv",
        "divisions/townships_152527_110119.csv",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src / rel, tmp_path / rel)
    return tmp_path


def test_rebuild_equals_committed(tmp_path):
    committed = data_dir() / "boundaries"
    names = [
        "baochang_schematic.gpkg",
        "taipusi_2024_zones.gpkg",
        "taipusi_2024_zones.geojson",
        "taipusi_2024_report.json",
    ]
    if not all((committed / n).exists() for n in names):
        pytest.fail("committed outputs missing: run geo_enroll.digitise.build_default()")
    paths = build_default(_copy_inputs(tmp_path))
    new = tmp_path / "boundaries"
    for name in ("taipusi_2024_zones.geojson", "taipusi_2024_report.json"):
        assert (new / name).read_text(encoding="utf-8") == (committed / name).read_text(
            encoding="utf-8"
        ), f"{name} differs: rebuild with build_default()"
    for name in ("baochang_schematic.gpkg", "taipusi_2024_zones.gpkg"):
        for layer, _ in pyogrio.list_layers(committed / name):
            a = pyogrio.read_dataframe(committed / name, layer=layer)
            b = pyogrio.read_dataframe(new / name, layer=layer)
            assert list(a.columns) == list(b.columns) and len(a) == len(b), (name, layer)
            if isinstance(a, gpd.GeoDataFrame) and "geometry" in a:
                assert a.geometry.geom_equals_exact(b.geometry, 1e-9).all(), (name, layer)
                a, b = a.drop(columns="geometry"), b.drop(columns="geometry")
            assert a.equals(b), (name, layer)
    assert set(paths) == {"basemap", "zones_gpkg", "zones_geojson", "report"}


def test_committed_zones_are_valid_inside_the_county_and_tagged():
    folder = data_dir() / "boundaries"
    zones = gpd.read_file(folder / "taipusi_2024_zones.gpkg", layer="zones")
    county = gpd.read_file(folder / "counties_152527_110119_cgcs2000.geojson")
    county = county[county["gb"].astype(str).str.endswith("152527")].geometry.iloc[0]
    street = zones[zones["kind"] == "street_limits"]
    assert len(street) >= FOUR_SIDED
    assert zones.geometry.is_valid.all() and zones.geometry.within(county).all()
    assert zones["school_id"].str.len().gt(0).all() and zones["source"].str.len().gt(0).all()
    assert zones["schematic"].astype(bool).all()
    gj = json.loads((folder / "taipusi_2024_zones.geojson").read_text(encoding="utf-8"))
    assert len(gj["features"]) == len(zones) and "crs" not in gj
    report = json.loads((folder / "taipusi_2024_report.json").read_text(encoding="utf-8"))
    for level in ("primary", "middle"):
        assert isinstance(report["levels"][level]["gaps"], list)
        assert isinstance(report["levels"][level]["overlaps"], list)
