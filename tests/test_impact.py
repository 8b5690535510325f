"""``geo_enroll.impact`` and ``geo-enroll impact`` on the toy town and on 太仆寺旗."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box, shape
from shapely.ops import unary_union

from geo_enroll.basemap.layers import utm_crs
from geo_enroll.cli import main
from geo_enroll.datasets import (
    toy_gazetteer,
    toy_school_points,
    toy_schools,
    toy_spec,
    toy_students,
    toy_xy_to_lonlat,
    toy_zones,
)
from geo_enroll.placement.run import place
from geo_enroll.settings import data_dir


def _ample(seats: pd.DataFrame) -> pd.DataFrame:
    """The seat table with seats to spare, so only the zones decide (no overflow cascade)."""
    out = seats.copy()
    out["seats"] = 10_000
    return out.drop(columns=[c for c in ("classes",) if c in out.columns])


@pytest.fixture
def toy_files(tmp_path):
    toy_zones().to_file(tmp_path / "zones.gpkg", layer="zones")
    (tmp_path / "toy.json").write_text(json.dumps(toy_spec(), ensure_ascii=False), "utf-8")
    toy_students().to_csv(tmp_path / "students.csv", index=False)
    _ample(toy_schools()).to_csv(tmp_path / "seats.csv", index=False)
    return tmp_path


def _run(tmp_path, new, capsys, *extra):
    args = ["impact", "--policy", str(tmp_path / "toy.json"), "--zones"]
    args += [str(tmp_path / "zones.gpkg"), "--new-zones", str(new), "--students"]
    args += [str(tmp_path / "students.csv"), "--seed", "7", "--json", *extra]
    code = main(args)
    out = capsys.readouterr()
    return code, out


def _moved_toy(x: float) -> gpd.GeoDataFrame:
    """The toy zones with the 西区/东区 edge moved from x = 500 to ``x``."""
    z = toy_zones()
    (x0, y0), (xm, y1), (x1, _) = (
        toy_xy_to_lonlat(0, 0),
        toy_xy_to_lonlat(x, 1000),
        toy_xy_to_lonlat(1000, 1000),
    )
    z.loc[z["rule_id"] == "toy-p2-r01", "geometry"] = box(x0, y0, xm, y1)
    z.loc[z["rule_id"] == "toy-p1-r01", "geometry"] = box(xm, y0, x1, y1)
    return z


def test_toy_moved_edge_moves_the_children_in_the_strip(toy_files, capsys):
    new = toy_files / "new.geojson"
    _moved_toy(450).to_file(new)
    code, out = _run(toy_files, new, capsys, "--schools", str(toy_files / "seats.csv"))
    assert code == 0, out.err
    res = json.loads(out.out)
    # expected: the primary children living in the strip 450 < x < 500 (now 东区)
    homes = place(
        toy_students(),
        spec=toy_spec(),
        zones=toy_zones(),
        gazetteer=toy_gazetteer(),
        schools=_ample(toy_schools()),
        seed=7,
        school_points=toy_school_points(),
    )
    placed = homes.placements.set_index("student_id")
    strip = box(*toy_xy_to_lonlat(450, 0), *toy_xy_to_lonlat(500, 1000))
    expected = {
        str(sid)
        for sid, g in zip(homes.homes["student_id"], homes.homes.geometry, strict=True)
        if g is not None
        and strip.buffer(1e-7).contains(g)
        and placed.loc[sid, "level"] == "primary"
        and placed.loc[sid, "school"] == "toy-p2"
    }
    assert expected, "the toy town should have a child in the moved strip"
    assert {c["student_id"] for c in res["changes"]} == expected
    assert all(c["from"] == "toy-p2" and c["to"] == "toy-p1" for c in res["changes"])
    # seats: what one school loses the other gains
    before = {r["school_id"]: r["placed"] for r in res["seats_before"]}
    after = {r["school_id"]: r["placed"] for r in res["seats_after"]}
    assert after["toy-p1"] - before["toy-p1"] == len(expected) == before["toy-p2"] - after["toy-p2"]
    # the changed area is the 50 m x 1000 m strip, counted once
    assert res["changed_area_m2"] == pytest.approx(50 * 1000, rel=0.01)
    assert {f["properties"]["rule_id"] for f in res["changed_zones"]["features"]} == {
        "toy-p1-r01",
        "toy-p2-r01",
    }
    assert not any(
        v[k] for v in res["created"].values() for k in ("gaps", "overlaps")
    )  # a clean move opens no gap and no overlap
    assert "姓名" not in out.out and "身份证" not in out.out


def test_toy_unchanged_zones_change_nothing(toy_files, capsys, tmp_path):
    new = toy_files / "same.geojson"
    toy_zones().to_file(new)
    code, out = _run(toy_files, new, capsys, "-o", str(tmp_path / "out"))
    assert code == 0, out.err
    res = json.loads(out.out)
    assert res["changes"] == [] and res["changed_area_m2"] == 0.0
    assert res["changed_zones"]["features"] == []
    assert res["seats_before"] == res["seats_after"]
    assert (tmp_path / "out" / "changes.csv").read_text().strip() == (
        "student_id,level,from,to,status"
    )


def test_toy_gap_created_is_reported(toy_files, capsys):
    z = toy_zones()
    z.loc[z["rule_id"] == "toy-p2-r01", "geometry"] = box(
        *toy_xy_to_lonlat(0, 0), *toy_xy_to_lonlat(400, 1000)
    )
    new = toy_files / "gap.geojson"
    z.to_file(new)
    code, out = _run(toy_files, new, capsys)
    assert code == 0, out.err
    gaps = json.loads(out.out)["created"]["primary"]["gaps"]
    assert sum(g["area_m2"] for g in gaps) == pytest.approx(100 * 1000, rel=0.01)


@pytest.mark.parametrize(
    "content, words",
    [
        ("{not json", "invalid JSON"),
        ('{"type": "Feature"}', "FeatureCollection"),
    ],
)
def test_bad_geojson_is_a_clear_error(toy_files, capsys, content, words):
    bad = toy_files / "bad.geojson"
    bad.write_text(content, "utf-8")
    code, out = _run(toy_files, bad, capsys)
    assert code == 2 and words in out.err and "Traceback" not in out.err


def test_missing_files_and_crs_mixups_exit_2(toy_files, capsys):
    code, out = _run(toy_files, toy_files / "nowhere.geojson", capsys)
    assert code == 2 and "nowhere.geojson" in out.err
    projected = toy_files / "metres.geojson"
    z = toy_zones()
    z.to_crs(utm_crs(z)).set_crs(4326, allow_override=True).to_file(projected)
    code, out = _run(toy_files, projected, capsys)
    assert code == 2 and "CRS" in out.err and "Traceback" not in out.err


def test_taipusi_moved_edge(tmp_path, capsys):
    """Move one zone's edge into its neighbour on the default 太仆寺旗 zones."""
    from geo_enroll.placement.cohort import synth_cohort
    from geo_enroll.policy.spec import load_spec

    bounds = data_dir() / "boundaries"
    policy = bounds / "taipusi_2024.toml"
    spec = load_spec(policy)
    zones = gpd.read_file(bounds / "taipusi_2024_zones.gpkg", layer="zones")
    utm = utm_crs(zones)
    z = zones.to_crs(utm)
    prim = z[(z["level"] == "primary") & (z["kind"] != "compound")]
    # the first pair of primary zones of different schools sharing an edge
    pair = next(
        (i, j)
        for i in prim.index
        for j in prim.index
        if prim.at[i, "school_id"] < prim.at[j, "school_id"]
        and prim.at[i, "geometry"].intersection(prim.at[j, "geometry"]).length > 100
    )
    a, b = pair
    strip = prim.at[b, "geometry"].intersection(prim.at[a, "geometry"].buffer(150))
    z.at[a, "geometry"] = z.at[a, "geometry"].union(strip)
    z.at[b, "geometry"] = z.at[b, "geometry"].difference(strip)
    new = tmp_path / "new.geojson"
    z.to_crs(4326).to_file(new)
    students = synth_cohort(spec, seed=7, primary=300, middle=0)
    students.to_csv(tmp_path / "students.csv", index=False)
    seats = pd.read_csv(bounds / "taipusi_2024_schools.csv", comment="#", dtype=str)
    _ample(seats).to_csv(tmp_path / "seats.csv", index=False)
    code = main(
        ["impact", "--policy", str(policy), "--zones", str(bounds / "taipusi_2024_zones.gpkg")]
        + ["--new-zones", str(new), "--students", str(tmp_path / "students.csv")]
        + ["--schools", str(tmp_path / "seats.csv"), "--seed", "7", "--json"]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    res = json.loads(out.out)
    assert res["changed_area_m2"] == pytest.approx(strip.area, rel=0.01)
    changed = unary_union(
        [shape(f["geometry"]) for f in res["changed_zones"]["features"] if f["geometry"]]
    )
    changed_m = gpd.GeoSeries([changed], crs=4326).to_crs(utm).iloc[0]
    assert changed_m.symmetric_difference(strip).area < 0.01 * strip.area
    # every child who changes school lives in the moved strip
    ids = {c["student_id"] for c in res["changes"]}
    assert ids, "a 150 m strip of the town should hold some of 300 children"
    from geo_enroll.geocode import load_default_gazetteer

    run = place(
        tmp_path / "students.csv",
        spec=spec,
        zones=zones,
        gazetteer=load_default_gazetteer(),
        schools=tmp_path / "seats.csv",
        seed=7,
        school_points=gpd.read_file(bounds / "baochang_schematic.gpkg", layer="schools"),
    )
    homes = run.homes.set_index("student_id").to_crs(utm).geometry
    for sid in ids:
        assert changed_m.buffer(1.0).contains(Point(homes.loc[sid].coords[0])), sid


# ------------------------------------------------------------------ two school years


def test_two_santa_rosa_school_years_who_changes_seats_and_areas(tmp_path, capsys):
    """The real two-year Santa Rosa elementary layers: Steele Lane closes in 2026-27."""
    import numpy as np
    import pandas as pd

    from geo_enroll.cli import main
    from geo_enroll.impact import compare_years
    from geo_enroll.zonelayer import import_zones, write_import

    from .conftest import SHARED, need_shared

    d = SHARED / "reference" / "zones-dev" / "santa_rosa_ca"
    pts = need_shared(d / "school_locations.geojson")
    a = import_zones(need_shared(d / "elementary_2025-2026.geojson"), school_points=pts)
    b = import_zones(need_shared(d / "elementary_2026-2027.geojson"), school_points=pts)
    minx, miny, maxx, maxy = a.zones.total_bounds
    rng = np.random.default_rng(3)
    homes = pd.DataFrame(
        {"id": [f"h{i}" for i in range(3000)]}
        | {"lon": rng.uniform(minx, maxx, 3000), "lat": rng.uniform(miny, maxy, 3000)}
    )
    r = compare_years((a.spec, a.zones), (b.spec, b.zones), homes, level="primary")
    assert r["years"] == ["2025-2026", "2026-2027"]
    steele = "steele-lane-elementary-school"
    row = {s["school_id"]: s for s in r["schools"]}
    assert row[steele]["status"] == "closed" and row[steele]["after"] == 0
    assert row[steele]["before"] > 50
    # every child of the closed school changes school, and is counted once
    moved = [c for c in r["changes"] if c["from"] == steele]
    assert len(moved) == row[steele]["before"]
    assert sum(f["children"] for f in r["flows"]) == r["n_changes"] == len(r["changes"])
    assert sum(s["after"] - s["before"] for s in r["schools"]) == sum(
        (1 if c["to"] else 0) - (1 if c["from"] else 0) for c in r["changes"]
    )
    # the closed school's whole 2025 zone is changed land
    steele_m2 = (
        a.zones[a.zones["school_id"] == steele].to_crs(a.zones.estimate_utm_crs()).area.sum()
    )
    from_steele = sum(
        f["properties"]["area_m2"]
        for f in r["changed_areas"]["features"]
        if f["properties"]["from"] == steele
    )
    assert abs(from_steele - steele_m2) / steele_m2 < 0.01
    # the CLI on the imported files
    write_import(a, tmp_path / "sr_2025")
    write_import(b, tmp_path / "sr_2026")
    rc = main(
        ["impact-years", str(tmp_path / "sr_2025.json"), str(tmp_path / "sr_2026.json")]
        + ["--synthetic", "500", "-o", str(tmp_path / "out")]
    )
    out = capsys.readouterr().out
    assert rc == 0 and "Steele Lane Elementary School [closed]" in out and "synthetic" in out
    assert (tmp_path / "out" / "changed_areas.geojson").exists()
