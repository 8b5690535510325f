"""Point-in-zone in PostGIS (``ST_Covers`` + GiST) vs in the engine (``ZoneIndex``), both ways.

The parent lookup asks for one point at a time; batch placement asks for many.  This script
starts a throwaway PostgreSQL + PostGIS cluster (Debian's binaries, a local socket; the same
helper as the tests), publishes two zone sets — the committed 太仆寺旗 zones (10 schematic
zones) and ``--zones`` synthetic Voronoi zones segmentized every 25 m — and times:

* one point per query: ``geo_enroll.postgis.covering_zones`` (one round trip each) vs
  ``ZoneIndex.polygon_matches`` (the engine's per-request path);
* one batch: ``covering_zones`` for all points in one query vs ``ZoneIndex.assign_points``.

Before printing a ratio it checks that both give the same zones for every point farther than
1 m from any zone edge (points on or near an edge are where the engine's edge rule decides,
which the database leaves to the caller), and says how many points that check covered.

    .venv/bin/python benchmarks/bench_postgis.py [--points 2000] [--zones 2000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo_enroll.postgis import connect, covering_zones, publish_zones  # noqa: E402
from geo_enroll.zoneindex import ZoneIndex  # noqa: E402
from tests.pg.cluster import throwaway_cluster  # noqa: E402


def _voronoi_zones(n: int, seed: int = 1):
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    pts = shapely.points(rng.uniform(0, 20_000, size=(n, 2)))
    box = shapely.box(0, 0, 20_000, 20_000)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(pts), extend_to=box)
    geoms = [shapely.segmentize(shapely.intersection(g, box), 25) for g in cells.geoms]
    frame = gpd.GeoDataFrame(
        {
            "school": [f"学校{i}" for i in range(len(geoms))],
            "school_id": [f"s{i:05d}" for i in range(len(geoms))],
            "level": "primary",
            "rule_id": [f"s{i:05d}-r01" for i in range(len(geoms))],
            "kind": "street_limits",
        },
        geometry=geoms,
        crs="EPSG:32650",
    ).to_crs(4326)
    spec = {
        "spec_version": 1,
        "policy": {"jurisdiction": "synthetic"},
        "schools": [
            {"id": s, "name": n, "level": "primary", "zones": []}
            for s, n in zip(frame["school_id"], frame["school"], strict=True)
        ],
    }
    return spec, frame


def _taipusi():
    import geopandas as gpd

    from geo_enroll.policy.spec import load_spec

    spec = load_spec(ROOT / "data" / "boundaries" / "taipusi_2024.toml")
    zones = gpd.read_file(ROOT / "data" / "boundaries" / "taipusi_2024_zones.gpkg")
    return spec, zones


def _points(zones, n: int, seed: int = 2):
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = zones.total_bounds
    dx, dy = (x1 - x0) * 0.05, (y1 - y0) * 0.05
    return rng.uniform(x0 - dx, x1 + dx, n), rng.uniform(y0 - dy, y1 + dy, n)


def _far_from_edges(zones, lon, lat, metres: float = 1.0) -> np.ndarray:
    import geopandas as gpd
    import shapely

    utm = zones.estimate_utm_crs()
    edges = shapely.union_all(zones.to_crs(utm).boundary.values)
    pts = gpd.GeoSeries(shapely.points(lon, lat), crs=4326).to_crs(utm)
    return shapely.distance(pts.values, edges) > metres


def _bench(label, spec, zones, conn, n_points, level):
    vid = publish_zones(conn, zones, jurisdiction=label)
    index = ZoneIndex(spec, zones)
    lon, lat = _points(zones, n_points)
    far = _far_from_edges(zones, lon, lat)
    levels = {"primary", "nine_year"} if level == "primary" else {"middle", "nine_year"}

    t0 = time.perf_counter()
    db_one = [covering_zones(conn, vid, [x], [y])[0] for x, y in zip(lon, lat, strict=True)]
    t_db_one = time.perf_counter() - t0
    xy = [index.project(x, y) for x, y in zip(lon, lat, strict=True)]
    t0 = time.perf_counter()
    eng_one = [index.polygon_matches(xy[i], level, (lon[i], lat[i]))[0] for i in range(len(lon))]
    t_eng_one = time.perf_counter() - t0
    t0 = time.perf_counter()
    db_all = covering_zones(conn, vid, lon, lat)
    t_db_all = time.perf_counter() - t0
    t0 = time.perf_counter()
    assignment = index.assign_points(lon, lat, level)
    t_eng_all = time.perf_counter() - t0

    eng_rules = assignment.rule_ids()
    checked = 0
    for i in np.flatnonzero(far):
        db = sorted(r for r, lv, interior in db_all[i] if interior and lv in levels)
        if db_one[i] != db_all[i]:
            raise SystemExit(f"DISAGREE {label}: per-point and batch database answers at {i}")
        one = sorted(h["rule_id"] for h in eng_one[i])
        if db != one or db != sorted(eng_rules[i]):
            raise SystemExit(
                f"DISAGREE {label} point {i}: db {db} engine {one} batch {eng_rules[i]}"
            )
        checked += 1
    return {
        "label": label,
        "zones": len(zones),
        "points": len(lon),
        "checked": checked,
        "db_one": len(lon) / t_db_one,
        "eng_one": len(lon) / t_eng_one,
        "db_all": len(lon) / t_db_all,
        "eng_all": len(lon) / t_eng_all,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--points", type=int, default=2000)
    ap.add_argument("--zones", type=int, default=2000)
    args = ap.parse_args()
    rows = []
    with throwaway_cluster("bench") as dsn:
        conn = connect(dsn)
        spec, zones = _taipusi()
        rows.append(_bench("太仆寺旗 (10 zones)", spec, zones, conn, args.points, "primary"))
        spec, zones = _voronoi_zones(args.zones)
        rows.append(
            _bench(f"Voronoi ({args.zones} zones)", spec, zones, conn, args.points, "primary")
        )
        conn.close()
    print(
        "| zones | points (checked) | one point: PostGIS /s | one point: engine /s |"
        " batch: PostGIS /s | batch: engine /s |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['label']} | {r['points']} ({r['checked']}) | {r['db_one']:,.0f} | "
            f"{r['eng_one']:,.0f} | {r['db_all']:,.0f} | {r['eng_all']:,.0f} |"
        )
    for r in rows:
        print(
            f"ratio engine/PostGIS {r['label']}: one point {r['eng_one'] / r['db_one']:.1f}×, "
            f"batch {r['eng_all'] / r['db_all']:.1f}×"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
