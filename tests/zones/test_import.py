"""`zones import`: published layers in any format and CRS → spec + zones, every change reported."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from geo_enroll.cli import main
from geo_enroll.errors import CRSError, InputError
from geo_enroll.lookup import lookup_point
from geo_enroll.zoneindex import ZoneIndex
from geo_enroll.zonelayer import import_zones

from ..conftest import SHARED, need_shared

SANTA_ROSA = SHARED / "reference" / "zones-dev" / "santa_rosa_ca"
FLORIDA = Path(__file__).parent / "data" / "florida_county_school_districts.geojson"


def _sr(name):
    return need_shared(SANTA_ROSA / f"{name}.geojson")


def _agrees_with_sjoin(r: gpd.GeoDataFrame, level: str, n=4000, seed=1):
    """Batch answers == geopandas.sjoin(within) for every point not flagged near an edge;
    every shared vertex gets exactly one zone."""
    idx = ZoneIndex(r.spec, r.zones, school_points=r.school_points)
    minx, miny, maxx, maxy = r.zones.total_bounds
    rng = np.random.default_rng(seed)
    lon, lat = rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)
    a = idx.assign_points(lon, lat, level)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    j = gpd.sjoin(pts, r.zones[["rule_id", "geometry"]], predicate="within", how="left")
    want = j.groupby(level=0)["rule_id"].apply(lambda s: tuple(sorted(s.dropna())))
    got = [tuple(sorted(x)) for x in a.rule_ids()]
    diff = [k for k in range(n) if got[k] != want.iloc[k] and not a.near_edge[k]]
    assert diff == []
    assert sum(1 for g in got if g) > n // 4
    verts = shapely.get_coordinates(shapely.boundary(np.asarray(r.zones.geometry.values)))
    inner = shapely.contains_xy(shapely.union_all(r.zones.geometry.values).buffer(-1e-6), verts)
    v = verts[inner]  # vertices of edges shared between zones (not on the outer boundary)
    on = idx.assign_points(v[:, 0], v[:, 1], level)
    assert all(len(z) == 1 for z in on.zones)
    return idx


def test_santa_rosa_two_school_years_import_and_agree_with_sjoin():
    pts = _sr("school_locations")
    y1 = import_zones(_sr("elementary_2025-2026"), school_points=pts)
    y2 = import_zones(_sr("elementary_2026-2027"), school_points=pts)
    assert (y1.spec["policy"]["school_year"], y2.spec["policy"]["school_year"]) == (
        "2025-2026",
        "2026-2027",
    )
    assert {s["level"] for s in y1.spec["schools"]} == {"primary"}
    names1 = {s["name"] for s in y1.spec["schools"]}
    names2 = {s["name"] for s in y2.spec["schools"]}
    assert names1 - names2 == {"Steele Lane Elementary School"}  # closed in 2026-27
    # "Hellen Lehman" in the points layer: matched, and said so
    assert any("Lehman" in f["school"] for f in y1.report["points"]["fuzzy"])
    for r in (y1, y2):
        assert r.report["points"]["missing"] == []
        assert len(r.report["points"]["outside_own_zone"]) <= 0.03 * len(r.spec["schools"])
        src = r.spec["schools"][0]["zones"][0]["source"]
        assert src["file"].startswith("elementary_") and isinstance(src["feature"], int)
        _agrees_with_sjoin(r, "primary")
    mid = import_zones(_sr("middle_2025-2026"), school_points=pts)
    assert {s["level"] for s in mid.spec["schools"]} == {"middle"}
    _agrees_with_sjoin(mid, "middle")


@pytest.mark.parametrize("crs", ["EPSG:3857", "EPSG:2226"])
def test_santa_rosa_in_web_mercator_and_state_plane_answers_the_same(tmp_path, crs):
    src = _sr("elementary_2025-2026")
    twin = tmp_path / f"elementary_2025-2026_{crs.split(':')[1]}.gpkg"
    gpd.read_file(src).to_crs(crs).to_file(twin)
    a = import_zones(src)
    b = import_zones(twin, level="primary")
    assert [s["id"] for s in a.spec["schools"]] == [s["id"] for s in b.spec["schools"]]
    ia, ib = ZoneIndex(a.spec, a.zones), ZoneIndex(b.spec, b.zones)
    minx, miny, maxx, maxy = a.zones.total_bounds
    rng = np.random.default_rng(5)
    lon, lat = rng.uniform(minx, maxx, 3000), rng.uniform(miny, maxy, 3000)
    ra, rb = ia.assign_points(lon, lat, "primary"), ib.assign_points(lon, lat, "primary")
    # a round trip through a projected CRS moves vertices by micrometres: points that close
    # to an edge may differ, nothing else
    same = [
        x == y or fa or fb
        for x, y, fa, fb in zip(
            ra.rule_ids(), rb.rule_ids(), ra.near_edge, rb.near_edge, strict=True
        )
    ]
    assert all(same)


def test_florida_county_school_districts_a_real_statewide_layer(tmp_path):
    r = import_zones(FLORIDA, school_field="name", level="K-12 district", year=2024)
    assert len(r.spec["schools"]) == 67 and len(r.zones) == 67
    assert {s["level"] for s in r.spec["schools"]} == {"k_12_district"}
    assert r.spec["schools"][0]["level_label"] == "K-12 district"
    assert r.report["repairs"] == [] and r.report["multi_school"] == []
    idx = _agrees_with_sjoin(r, "k_12_district", n=3000)
    # Gainesville is in Alachua County; Miami in Miami-Dade
    for (lon, lat), name in [((-82.3248, 29.6516), "Alachua"), ((-80.1918, 25.7617), "Miami-Dade")]:
        hits, _ = idx.polygon_matches(idx.project(lon, lat), "k_12_district", (lon, lat))
        assert [h["school_id"] for h in hits] == [name.lower()]
    # the same answers from a Florida East state-plane copy (US feet)
    fl = tmp_path / "fl_2236.shp"
    gpd.read_file(FLORIDA).to_crs("EPSG:2236").to_file(fl)
    r2 = import_zones(fl, school_field="name", level="K-12 district", year=2024)
    assert sorted(s["id"] for s in r2.spec["schools"]) == sorted(s["id"] for s in r.spec["schools"])


def test_a_self_intersection_is_repaired_and_reported():
    bowtie = Polygon([(0, 0), (100, 100), (100, 0), (0, 100)])
    layer = gpd.GeoDataFrame(
        {"school": ["A School", "B School"]}, geometry=[bowtie, box(100, 0, 200, 100)], crs=3857
    )
    r = import_zones(layer, level="primary")
    (rep,) = r.report["repairs"]
    assert rep["feature"] == 0 and "Self-intersection" in rep["reason"]
    assert rep["parts_before"] == 1 and rep["parts_after"] == 2
    assert rep["area_after_m2"] > 0 and rep["area_before_m2"] != rep["area_after_m2"]
    assert r.zones.geometry.is_valid.all()


def test_shared_features_become_one_multi_school_zone_never_copies():
    a, b, c = box(0, 0, 10, 10), box(10, 0, 20, 10), box(20, 0, 30, 10)
    layer = gpd.GeoDataFrame(
        {
            "SCHOOL_NAME": ["Oak", "Elm; Ash", "Pine", "Birch", None, "choice", "Elm", "Ash"],
        },
        geometry=[a, b, c, c, box(0, 10, 30, 20), box(0, 20, 30, 30)]
        + [box(30, 0, 40, 10), box(40, 0, 50, 10)],
        crs=3857,
    )
    r = import_zones(layer, level="primary")
    kinds = sorted(z["kind"] for s in r.spec["schools"] for z in s["zones"])
    assert kinds == ["multi_school", "multi_school", "polygon", "polygon", "polygon"]
    assert r.report["ambiguous_names"] == []
    multi = [z for s in r.spec["schools"] for z in s["zones"] if z["kind"] == "multi_school"]
    assert sorted(sorted(z["schools"]) for z in multi) == [["ash", "elm"], ["birch", "pine"]]
    assert r.report["merged_copies"] == [{"feature": 3, "into": 2}]
    assert len(r.zones) == 7  # 5 zones + 2 unzoned areas: the shared polygon only once
    assert [a["name"].split()[0] for a in r.spec["areas"]] == ["未划片区域", "自主选择区域"]
    idx = ZoneIndex(r.spec, r.zones)
    x, y = shapely.get_coordinates(gpd.GeoSeries([c.centroid], crs=3857).to_crs(4326))[0]
    hits, _ = idx.polygon_matches(idx.project(x, y), "primary", (x, y))
    assert sorted(h["school_id"] for h in hits) == ["birch", "pine"]
    res = lookup_point(x, y, spec=r.spec, zones=r.zones)
    assert sorted(s["school_id"] for s in res["primary"]) == ["birch", "pine"]
    assert {s["kind"] for s in res["primary"]} == {"多校划片"}


def test_a_name_with_a_separator_is_one_school_unless_every_part_is_one():
    """Review W3: "Smith & Jones Elementary" is one school (no invented "Smith"/"Jones"
    schools), listed as ambiguous in the report; "Oak / Elm" is split because both are schools
    of the layer on their own."""
    layer = gpd.GeoDataFrame(
        {
            "SCHOOL": [
                "Smith & Jones Elementary",
                "Oak Elementary",
                "Elm Elementary",
                "Oak Elementary / Elm Elementary",
                "Lee + Grant Academy",  # Grant Academy exists, "Lee" does not
                "Grant Academy",
            ]
        },
        geometry=[box(i * 10, 0, i * 10 + 10, 10) for i in range(6)],
        crs=3857,
    )
    r = import_zones(layer, level="primary")
    names = sorted(s["name"] for s in r.spec["schools"])
    assert names == [
        "Elm Elementary",
        "Grant Academy",
        "Lee + Grant Academy",
        "Oak Elementary",
        "Smith & Jones Elementary",
    ]
    multi = [z for s in r.spec["schools"] for z in s["zones"] if z["kind"] == "multi_school"]
    assert [sorted(z["schools"]) for z in multi] == [["elm-elementary", "oak-elementary"]]
    amb = {a["feature"]: a for a in r.report["ambiguous_names"]}
    assert sorted(amb) == [0, 4]
    assert amb[0]["unknown"] == ["Smith", "Jones Elementary"]
    assert amb[4]["unknown"] == ["Lee"] and amb[4]["value"] == "Lee + Grant Academy"
    assert any("ambiguous_names" in n for n in r.report["notes"])


def test_school_points_name_the_parts_of_a_shared_cell():
    """A shared zone whose schools have no zone of their own is split when the school points
    (--schools) name every part; without the points it stays one name, reported."""
    layer = gpd.GeoDataFrame(
        {"SCHOOL": ["North School & South School", "West School"]},
        geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)],
        crs=3857,
    )
    pts = gpd.GeoDataFrame(
        {"name": ["North School", "South School", "West School"]},
        geometry=gpd.GeoSeries(
            [box(1, 1, 2, 2).centroid, box(5, 5, 6, 6).centroid, box(15, 5, 16, 6).centroid],
            crs=3857,
        ).to_crs(4326),
        crs=4326,
    )
    with_pts = import_zones(layer, level="primary", school_points=pts)
    multi = [z for s in with_pts.spec["schools"] for z in s["zones"] if z["kind"] == "multi_school"]
    assert [sorted(z["schools"]) for z in multi] == [["north-school", "south-school"]]
    assert with_pts.report["ambiguous_names"] == []
    alone = import_zones(layer, level="primary")
    assert sorted(s["name"] for s in alone.spec["schools"]) == [
        "North School & South School",
        "West School",
    ]
    assert [a["feature"] for a in alone.report["ambiguous_names"]] == [0]


def test_levels_by_field_free_labels_and_nine_year():
    layer = gpd.GeoDataFrame(
        {"school": ["A", "B", "C", "A"], "grades": ["Elementary", "K-8", "High School", "初中"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1), box(3, 0, 4, 1)],
        crs=4326,
    )
    r = import_zones(layer, level_field="grades")
    lv = {s["name"]: s["level"] for s in r.spec["schools"]}
    assert lv == {"A": "nine_year", "B": "nine_year", "C": "high"}  # A: primary + middle
    res = lookup_point(2.5, 0.5, spec=r.spec, zones=r.zones)
    assert [s["school_id"] for s in res["high"]] == ["c"]


@pytest.mark.parametrize(
    "driver,suffix", [("KML", ".kml"), ("ESRI Shapefile", ".shp"), ("GPKG", ".gpkg")]
)
def test_other_formats(tmp_path, driver, suffix):
    layer = gpd.GeoDataFrame(
        {"school": ["Oak", "Elm"]},
        geometry=[box(0, 0, 0.01, 0.01), box(0.01, 0, 0.02, 0.01)],
        crs=4326,
    )
    path = tmp_path / f"zones_primary_2025{suffix}"
    layer.to_file(path, driver=driver)
    r = import_zones(path)
    assert sorted(s["id"] for s in r.spec["schools"]) == ["elm", "oak"]
    assert r.spec["policy"]["year"] == 2025 and r.report["level"] == "primary"
    if driver == "KML":  # the usual KML: the school is the placemark's <name>
        named = tmp_path / "primary_2025_named.kml"
        layer.rename(columns={"school": "Name"}).to_file(named, driver=driver)
        r = import_zones(named)
        assert sorted(s["id"] for s in r.spec["schools"]) == ["elm", "oak"]


def test_bad_layers_say_what_to_do(tmp_path):
    pts = gpd.GeoDataFrame({"school": ["A"]}, geometry=gpd.points_from_xy([0], [0]), crs=4326)
    with pytest.raises(InputError, match="no usable polygon"):
        import_zones(pts, level="primary")
    layer = gpd.GeoDataFrame({"x": ["A"]}, geometry=[box(0, 0, 1, 1)], crs=4326)
    with pytest.raises(InputError, match="--school-field"):
        import_zones(layer, level="primary")
    with pytest.raises(InputError, match="--level"):
        import_zones(layer, school_field="x")
    with pytest.raises(CRSError, match="--crs"):
        import_zones(layer, school_field="x", level="primary", crs="EPSG:99999")
    far = gpd.GeoDataFrame({"x": ["A"]}, geometry=[box(0, 0, 5e6, 5e6)], crs=4326)
    with pytest.raises(CRSError, match="--crs"):
        import_zones(far, school_field="x", level="primary")


def test_cli_writes_spec_zones_points_and_report(tmp_path, capsys):
    out = tmp_path / "sr" / "elem_2025"
    rc = main(
        [
            "zones",
            "import",
            str(_sr("elementary_2025-2026")),
            "--schools",
            str(_sr("school_locations")),
            "--out",
            str(out),
        ]
    )
    text = capsys.readouterr().out
    assert rc == 0 and "7 所学校 schools" in text and "Hellen Lehman" in text
    # the real 2025-26 layer leaves 5 slivers (0.6-1.6 m wide) between its zones: reported
    assert "primary.gaps 5" in text
    spec = json.loads(out.with_name("elem_2025.json").read_text())
    assert len(spec["schools"]) == 7
    assert gpd.read_file(out.with_name("elem_2025_zones.gpkg"), layer="zones").crs.to_epsg() == 4326
    rc = main(
        [
            "zones",
            "check",
            str(out.with_name("elem_2025.json")),
            str(out.with_name("elem_2025_zones.gpkg")),
        ]
    )
    assert rc == 0
    rc = main(
        ["zones", "check", str(out.with_name("elem_2025.json")), str(_sr("elementary_2025-2026"))]
    )
    assert rc == 2 and "rule_id" in capsys.readouterr().err


def test_school_codes_with_a_name_field_keep_the_code():
    layer = gpd.GeoDataFrame(
        {
            "SCH_CODE": ["2115002385", "2115002386", "2115002385"],
            "学校名称": ["第一小学", "第二小学", "第一小学"],
        },
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 1, 2)],
        crs=4326,
    )
    r = import_zones(layer, school_field="SCH_CODE", school_name_field="学校名称", level="小学")
    by_name = {s["name"]: s for s in r.spec["schools"]}
    assert sorted(by_name) == ["第一小学", "第二小学"]
    assert (
        by_name["第一小学"]["code"] == "2115002385"
        and by_name["第一小学"]["id"] == "di-yi-xiao-xue"
    )
    assert [z["rule_id"] for z in by_name["第一小学"]["zones"]] == [
        "di-yi-xiao-xue-r01",
        "di-yi-xiao-xue-r02",
    ]
    json.dumps(r.report)  # the report is plain JSON


def test_a_file_with_several_layers_asks_which(tmp_path):
    path = tmp_path / "district.gpkg"
    for name in ("elementary", "middle"):
        gpd.GeoDataFrame({"school": [name]}, geometry=[box(0, 0, 1, 1)], crs=4326).to_file(
            path, layer=name
        )
    with pytest.raises(InputError, match="--layer") as info:
        import_zones(path, level="primary")
    assert "elementary" in str(info.value) and "middle" in str(info.value)
    r = import_zones(path, layer="middle", level="middle")
    assert [s["name"] for s in r.spec["schools"]] == ["middle"]
