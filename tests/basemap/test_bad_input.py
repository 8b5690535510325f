"""Bad input gives a clear error or diagnostic naming the street, rule or file; never a traceback."""

from __future__ import annotations

import copy
import json
import time

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from shapely.geometry import LineString, Polygon

from geo_enroll.basemap import BaseMap, read_basemap, write_basemap
from geo_enroll.basemap.importers import import_vector
from geo_enroll.cli import main
from geo_enroll.coords import wgs84_to_gcj02
from geo_enroll.digitise import digitise
from geo_enroll.errors import BaseMapError, CRSError
from geo_enroll.settings import data_dir
from tests.conftest import SHARED, need_shared

from .conftest import DATA


def _county():
    g = gpd.read_file(data_dir() / "boundaries" / "counties_152527_110119_cgcs2000.geojson")
    return g[g["gb"].astype(str).str.endswith("152527")].set_crs(4326, allow_override=True)


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    assert "Traceback" not in out.err + out.out
    return code, out.err + out.out


def test_missing_streets_layer(tmp_path, schematic, capsys):
    path = tmp_path / "no_streets.gpkg"
    pyogrio.write_dataframe(schematic.areas, path, layer="areas")
    with pytest.raises(BaseMapError, match="no 'streets' layer"):
        read_basemap(path)
    code, text = _run(
        capsys,
        "digitise",
        DATA / "taipusi_fixture.toml",
        "--basemap",
        path,
        "-o",
        tmp_path / "z.gpkg",
    )
    assert code == 2 and "no_streets.gpkg" in text and "streets" in text


def test_unknown_street_is_named_with_candidates(taipusi_spec, schematic):
    spec = copy.deepcopy(taipusi_spec)
    spec["schools"][0]["zones"][3]["limits"]["north"] = "光明大道"
    result = digitise(spec, schematic)
    miss = [u for u in result.unresolved if u["name"] == "光明大道"]
    assert miss and miss[0]["rule_id"] == "taipusi-p1-r04" and "光明大街" in miss[0]["candidates"]
    rule = next(r for r in result.rules if r["rule_id"] == "taipusi-p1-r04")
    assert rule["status"] == "unresolved"
    assert len(result.zones) == 9  # the other rules are still digitised


def test_self_intersecting_polygon_is_refused_by_row(tmp_path):
    bowtie = Polygon([(115.27, 41.88), (115.28, 41.89), (115.28, 41.88), (115.27, 41.89)])
    ok = Polygon([(115.27, 41.88), (115.28, 41.88), (115.28, 41.89)])
    path = tmp_path / "bad.geojson"
    gpd.GeoDataFrame({"title": ["好小区", "蝴蝶小区"]}, geometry=[ok, bowtie], crs=4326).to_file(
        path
    )
    with pytest.raises(BaseMapError) as err:
        import_vector(path, name_field="title")
    assert "bad.geojson" in str(err.value) and "row 1 (蝴蝶小区)" in str(err.value)
    assert "Self-intersection" in str(err.value)
    with pytest.raises(BaseMapError, match="no field 'name'.*title"):
        import_vector(path)


def test_degrees_under_a_projected_crs_name(tmp_path):
    path = tmp_path / "mislabelled.gpkg"
    gdf = gpd.GeoDataFrame(
        {"name": ["解放大街"]}, geometry=[LineString([(115.27, 41.88), (115.29, 41.88)])], crs=32650
    )
    pyogrio.write_dataframe(gdf, path, layer="streets")
    with pytest.raises(CRSError, match="EPSG:32650.*look like degrees"):
        import_vector(path)
    with pytest.raises(CRSError, match="mislabelled.gpkg"):
        read_basemap(path)


def test_untagged_gcj02_is_detected_and_tagged_is_converted(tmp_path):
    county = _county()

    def shift(xy):
        lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    mars = county.copy()
    mars["geometry"] = shapely.transform(mars.geometry.values, shift)
    path = tmp_path / "mars.geojson"
    mars.to_file(path)
    with pytest.raises(CRSError, match="GCJ-02.*--crs gcj02"):
        import_vector(path)
    fixed = import_vector(path, crs="gcj02", kind="county")
    back = fixed.areas.geometry.iloc[0]
    assert back.hausdorff_distance(county.geometry.iloc[0]) < 1e-5  # about a metre
    assert fixed.meta["converted_from"] == "GCJ-02"


def test_real_gcj02_file_is_detected():
    path = need_shared(
        SHARED / "reference" / "boundaries" / "counties_152527_110119_gcj02_echarts.geojson"
    )
    fields = [c for c in pyogrio.read_info(path)["fields"]]
    with pytest.raises(CRSError, match="GCJ-02"):
        import_vector(path, name_field=fields[0] if "name" not in fields else "name")


def test_a_1000_vertex_scribble_is_refused_quickly(taipusi_spec, schematic):
    rng = np.random.default_rng(7)
    town = schematic.areas[schematic.areas["kind"] == "town"].geometry.iloc[0]
    minx, miny, maxx, maxy = town.bounds
    pts = np.column_stack([rng.uniform(minx, maxx, 1000), rng.uniform(miny, maxy, 1000)])
    streets = gpd.GeoDataFrame(
        [
            *schematic.streets.to_dict("records"),
            {"name": "乱线路", "aliases": "", "kind": "road", "geometry": LineString(pts)},
        ],
        crs=4326,
    )
    bm = BaseMap.from_layers(
        streets=streets,
        landmarks=schematic.landmarks,
        areas=schematic.areas,
        schools=schematic.schools,
        meta=schematic.meta,
    )
    spec = copy.deepcopy(taipusi_spec)
    spec["schools"][0]["zones"][3]["limits"]["west"] = "乱线路"
    start = time.perf_counter()
    result = digitise(spec, bm)
    assert time.perf_counter() - start < 20
    rule = next(r for r in result.rules if r["rule_id"] == "taipusi-p1-r04")
    assert rule["status"] == "not_closed"
    assert any(
        "乱线路" in i["message"] and "crosses itself" in i["message"] for i in rule["issues"]
    )


def test_invalid_polygon_in_a_base_map_is_reported(tmp_path, schematic):
    areas = schematic.areas.copy()
    areas.loc[areas["name"] == "国防社区", "geometry"] = Polygon(
        [(115.27, 41.88), (115.28, 41.89), (115.28, 41.88), (115.27, 41.89)]
    )
    bm = BaseMap(schematic.streets, schematic.landmarks, areas, schematic.schools, schematic.meta)
    path = write_basemap(bm, tmp_path / "m.gpkg")
    with pytest.raises(BaseMapError, match="国防社区.*invalid polygon"):
        read_basemap(path)


def test_cli_errors_exit_2_with_a_message(tmp_path, capsys):
    code, text = _run(
        capsys,
        "digitise",
        tmp_path / "nope.toml",
        "--basemap",
        tmp_path / "m.gpkg",
        "-o",
        tmp_path / "z.gpkg",
    )
    assert code == 2 and "nope.toml" in text
    code, text = _run(capsys, "basemap", "build-schematic", "-o", tmp_path / "m.txt")
    assert code == 2 and ".gpkg" in text
    bad = tmp_path / "spec.json"
    bad.write_text(json.dumps({"schools": "x"}), encoding="utf-8")
    code, text = _run(capsys, "basemap", "import", bad, "-o", tmp_path / "m.gpkg")
    assert code == 2 and "spec.json" in text


def test_a_limit_on_the_wrong_side_is_reported(taipusi_spec, schematic):
    spec = copy.deepcopy(taipusi_spec)
    spec["schools"][0]["zones"][0]["limits"]["east"] = "207国道"  # 东郊 lies east of it
    result = digitise(spec, schematic)
    rule = next(r for r in result.rules if r["rule_id"] == "taipusi-p1-r01")
    assert rule["status"] == "not_closed"
    wrong = [i for i in rule["issues"] if i["type"] == "wrong_side"]
    assert wrong and wrong[0]["street"] == "207国道" and "东郊社区" in wrong[0]["message"]
