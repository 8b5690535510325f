"""Batch point → zone assignment (the placement path) against ``geopandas.sjoin``, one run.

Run::

    .venv/bin/python benchmarks/bench_spatial_join.py [--points 1000000 5000000]
        [--zones 10000] [--seed 1] [--check 20000]

Zones: ``--zones`` real-shaped zones tiling about 85 km x 90 km at 41.9°N: the Voronoi edges of
random seeds, each edge densified every ~1/14 of a zone's width and jittered once (so
neighbours share every vertex, as a topologically clean published layer does), then
polygonised — ~60-100 vertices per zone.  One school per zone, its point inside the zone.

Points: uniform over the zones' box grown by 5 %, plus 0.1 % placed exactly on zone vertices
and edge midpoints, and as many again a few centimetres off them (the edge rule's cases).

Methods:

``sjoin``    ``geopandas.sjoin(points, zones, predicate="within")`` — the baseline; the point
             frame is built inside the timed call (a caller has lon/lat arrays);
``engine``   the single-point engine (:meth:`ZoneIndex.polygon_matches`, the edge rule
             applied), timed on ``--engine-n`` points and scaled per point;
``batch``    :meth:`ZoneIndex.assign_points` (grid of edge-free cells answered by lookup, exact
             tests only in edge cells, the edge rule only within the tolerance of an edge); its
             one-off grid build is timed separately.

Before any ratio is printed the answers are checked: ``batch`` must equal ``sjoin`` on every
point not flagged ``near_edge`` (``within`` gives no zone on an edge, the engine exactly one),
and equal the ``engine`` on ``--check`` random points plus every near-edge point among them
and 2,000 on-edge points; any difference stops the run (exit 1).  Times are best of
``--repeat``.  Findings: ``benchmarks/README.md`` ("Batch assignment").
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo_enroll.zoneindex import ZoneIndex  # noqa: E402

LON0, LAT0, WIDTH, HEIGHT = 114.9, 41.5, 1.0, 0.8


def real_shaped_zones(n: int, seed: int) -> list:
    """``n`` polygons tiling the box, shared edges jagged and identical on both sides."""
    rng = np.random.default_rng(seed)
    pts = np.c_[LON0 + rng.uniform(0, WIDTH, n), LAT0 + rng.uniform(0, HEIGHT, n)]
    box = shapely.box(LON0, LAT0, LON0 + WIDTH, LAT0 + HEIGHT)
    edges = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=box, only_edges=True)
    )
    edges = shapely.intersection(edges, box)
    edges = edges[~shapely.is_empty(edges)]
    edges = shapely.get_parts(shapely.line_merge(edges))
    step = np.sqrt(WIDTH * HEIGHT / n) / 14
    dense = shapely.segmentize(edges, step)
    coords, idx = shapely.get_coordinates(dense, return_index=True)
    first = np.r_[True, idx[1:] != idx[:-1]]
    last = np.r_[idx[1:] != idx[:-1], True]
    jitter = rng.normal(0, step / 5, coords.shape)
    jitter[first | last] = 0
    lines = shapely.linestrings(coords + jitter, indices=idx)
    net = shapely.union_all(np.r_[lines, [shapely.boundary(box)]])
    polys = shapely.get_parts(shapely.polygonize(shapely.get_parts(net)))
    keep = shapely.within(shapely.point_on_surface(polys), box)
    return list(polys[keep])


def layer(polys: list):
    spec = {"policy": {"jurisdiction": "bench"}, "schools": []}
    rows, points = [], []
    for k, g in enumerate(polys):
        sid = f"s{k:05d}"
        spec["schools"].append(
            {"id": sid, "name": sid, "aliases": [], "level": "primary", "code": None}
            | {
                "zones": [
                    {"rule_id": f"{sid}-r01", "kind": "polygon"}
                    | {"source": {"text": sid, "line": 1}}
                ]
            }
        )
        rows.append({"rule_id": f"{sid}-r01", "school_id": sid, "geometry": g})
        points.append({"school_id": sid, "geometry": shapely.point_on_surface(g)})
    return spec, gpd.GeoDataFrame(rows, crs=4326), gpd.GeoDataFrame(points, crs=4326)


def probe_points(zones, n: int, seed: int):
    rng = np.random.default_rng(seed + 1)
    minx, miny, maxx, maxy = zones.total_bounds
    dx, dy = (maxx - minx) * 0.05, (maxy - miny) * 0.05
    k = max(n // 1000, 10)
    verts = shapely.get_coordinates(zones.boundary.values)
    mids = (verts[:-1] + verts[1:]) / 2
    pool = np.vstack([verts, mids])
    on = pool[rng.integers(0, len(pool), k)]
    off = pool[rng.integers(0, len(pool), k)] + rng.normal(0, 3e-7, (k, 2))  # ~3 cm
    m = n - 2 * k
    lon = np.r_[rng.uniform(minx - dx, maxx + dx, m), on[:, 0], off[:, 0]]
    lat = np.r_[rng.uniform(miny - dy, maxy + dy, m), on[:, 1], off[:, 1]]
    perm = rng.permutation(n)
    return lon[perm], lat[perm]


def t_sjoin(zones, lon, lat):
    t0 = time.perf_counter()
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    j = gpd.sjoin(pts, zones[["geometry"]], predicate="within", how="inner")
    dt = time.perf_counter() - t0
    return dt, j.index.to_numpy(), j["index_right"].to_numpy()


def check_vs_sjoin(a, p_idx, z_idx, n: int) -> tuple[int, int]:
    """Points where batch != sjoin, among those not near an edge; and near-edge count."""
    cnt = np.bincount(p_idx, minlength=n)
    sj = np.full(n, -1, dtype=np.int64)
    single = cnt[p_idx] == 1
    sj[p_idx[single]] = z_idx[single]
    bad = (a.zone != sj) & ~a.near_edge & (cnt <= 1)
    several = set(np.flatnonzero(cnt > 1).tolist()) | set(a.multi)
    for k in several:
        if not a.near_edge[k] and set(a.multi.get(k, ())) != set(z_idx[p_idx == k].tolist()):
            bad[k] = True
    return int(bad.sum()), int(a.near_edge.sum())


def engine_answer(idx, lon, lat):
    hits, _ = idx.polygon_matches(idx.project(lon, lat), "primary", (lon, lat))
    return tuple(dict.fromkeys(h["rule_id"] for h in hits))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--points", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--zones", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--check", type=int, default=20_000)
    ap.add_argument("--engine-n", type=int, default=2_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--grid-cells", type=int, default=None, help="GRID_MAX_CELLS (default 2**24)")
    args = ap.parse_args(argv)
    if args.grid_cells:
        import geo_enroll.zoneindex as zi

        zi.GRID_MAX_CELLS = args.grid_cells
    print(
        f"machine: {platform.machine()} {platform.processor() or ''}, python "
        f"{platform.python_version()}, shapely {shapely.__version__} / GEOS "
        f"{shapely.geos_version_string}, geopandas {gpd.__version__}"
    )
    t0 = time.perf_counter()
    polys = real_shaped_zones(args.zones, args.seed)
    spec, zones, schools = layer(polys)
    verts = shapely.get_num_coordinates(zones.geometry.values)
    print(
        f"zones: {len(zones):,} real-shaped (median {int(np.median(verts))} vertices), "
        f"made in {time.perf_counter() - t0:.1f} s"
    )
    t0 = time.perf_counter()
    idx = ZoneIndex(spec, zones, school_points=schools)
    t_index = time.perf_counter() - t0
    t0 = time.perf_counter()
    grid = idx._build_grid()
    t_grid = time.perf_counter() - t0
    edge_share = float((grid.cells < 0).mean())
    print(
        f"batch index: ZoneIndex {t_index:.1f} s + grid {t_grid:.1f} s "
        f"({grid.nx}x{grid.ny} cells, {edge_share:.1%} of them edge cells), once per zones version"
    )
    # the single-point engine, for scale
    lon_e, lat_e = probe_points(zones, args.engine_n, args.seed + 7)
    t0 = time.perf_counter()
    for x, y in zip(lon_e, lat_e, strict=True):
        engine_answer(idx, x, y)
    engine_pps = args.engine_n / (time.perf_counter() - t0)
    rows = []
    for n in args.points:
        lon, lat = probe_points(zones, n, args.seed)
        best_s = best_b = float("inf")
        for _ in range(args.repeat):
            dt, p_idx, z_idx = t_sjoin(zones, lon, lat)
            best_s = min(best_s, dt)
            t0 = time.perf_counter()
            a = idx.assign_points(lon, lat, "primary")
            best_b = min(best_b, time.perf_counter() - t0)
        bad, near = check_vs_sjoin(a, p_idx, z_idx, n)
        if bad:
            print(f"FAIL {n:,} points: batch differs from sjoin on {bad} points off the edges")
            return 1
        rng = np.random.default_rng(args.seed + 3)
        sample = rng.choice(n, min(args.check, n), replace=False)
        sample = np.union1d(sample, np.flatnonzero(a.near_edge)[:2000])
        zs = a.zones if n <= 200_000 else None
        diff = 0
        rid = idx._rid
        for k in sample.tolist():
            mine = (
                zs[k] if zs is not None else a.multi.get(k, () if a.zone[k] < 0 else (a.zone[k],))
            )
            if tuple(rid[i] for i in mine) != engine_answer(idx, lon[k], lat[k]):
                diff += 1
        if diff:
            print(f"FAIL {n:,} points: batch differs from the engine on {diff} of {len(sample)}")
            return 1
        rows.append((n, best_s, best_b, near, len(sample), int(a.on_edge.sum())))
        print(
            f"checked {n:,} points: = sjoin off the edges ({near:,} near an edge), "
            f"= engine on {len(sample):,} (incl. near-edge), {int(a.on_edge.sum()):,} decided "
            "by the edge rule"
        )
    print(f"\nengine, one point at a time: {engine_pps:,.0f} points/s")
    print(
        f"{'points':>10}{'sjoin s':>10}{'batch s':>10}{'sjoin pts/s':>14}{'batch pts/s':>14}"
        f"{'x sjoin':>9}{'x sjoin incl. build':>21}"
    )
    for n, s, b, _near, _chk, _oe in rows:
        print(
            f"{n:>10,}{s:>10.2f}{b:>10.2f}{n / s:>14,.0f}{n / b:>14,.0f}{s / b:>9.1f}"
            f"{s / (b + t_grid + t_index):>21.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
