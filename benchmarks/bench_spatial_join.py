"""Point-in-zone lookup (which zone is each home in?) of many points: four ways, one run.

Run::

    .venv/bin/python benchmarks/bench_spatial_join.py [--n 100000] [--zones 2000] [--seed 1]

Two zone sets, both in the local UTM zone (metres):

* ``taipusi``: the committed ``data/boundaries/taipusi_2024_zones.gpkg`` (the 宝昌镇 zones);
* ``synthetic``: ``--zones`` Voronoi cells of random seeds over a 20 km x 20 km square,
  segmentized every 25 m so that each has ~ 100-200 vertices, like zones cut along real streets.

The points are uniform over the zones' bounding box grown by 10 % (some fall in no zone).
Methods, all answering "(point, zone) pairs with the point strictly inside the zone":

``naive``          for each point, ``zone.contains(point)`` for every zone (the baseline one
                   writes first); timed on ``--naive-n`` points and scaled per point;
``rtree``          an ``rtree.index.Index`` of the zone boxes (bulk-loaded), then per point
                   ``shapely.contains_xy`` on the prepared candidate zones;
``strtree-loop``   shapely 2 ``STRtree.query(point, predicate="within")`` one point at a time
                   (what a per-request lookup does);
``strtree-bulk``   one ``STRtree.query(points, predicate="within")`` call for all points;
``strtree-inv``    the inverse: one ``STRtree`` of the points (built per batch, counted as query
                   time) queried once with the prepared zones, ``predicate="contains"``;
``sjoin``          ``geopandas.sjoin(points, zones, predicate="within")``.

Every method's pairs are checked equal to ``strtree-bulk``'s (``naive`` on its subsample).
Times are the best of ``--repeat`` runs (build and query separately); ratios are per point
against ``naive`` and against the fastest.  Findings: ``benchmarks/README.md`` ("Spatial join").
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import rtree
import shapely
from shapely.strtree import STRtree

ROOT = Path(__file__).resolve().parents[1]
ZONES = ROOT / "data" / "boundaries" / "taipusi_2024_zones.gpkg"


def taipusi_zones() -> np.ndarray:
    z = gpd.read_file(ZONES, layer="zones")
    return np.asarray(z.to_crs(z.estimate_utm_crs()).geometry.values)


def synthetic_zones(n: int, seed: int) -> np.ndarray:
    """``n`` Voronoi cells over a 20 km square, segmentized every 25 m."""
    rng = np.random.default_rng(seed)
    side = 20_000.0
    seeds = shapely.multipoints(rng.uniform(0, side, size=(n, 2)))
    square = shapely.box(0, 0, side, side)
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=square))
    cells = shapely.intersection(cells, square)
    return shapely.segmentize(cells, 25.0)


def random_points(zones: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed + 1)
    minx, miny, maxx, maxy = shapely.total_bounds(zones)
    dx, dy = (maxx - minx) * 0.05, (maxy - miny) * 0.05
    x = rng.uniform(minx - dx, maxx + dx, n)
    y = rng.uniform(miny - dy, maxy + dy, n)
    return x, y


def _pairs(points_idx, zones_idx) -> np.ndarray:
    pairs = np.column_stack([np.asarray(points_idx, int), np.asarray(zones_idx, int)])
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))] if len(pairs) else pairs.reshape(0, 2)


# --------------------------------------------------------------------------- the methods
# each returns (build seconds, query seconds, sorted (point, zone) pairs)


def m_naive(zones, x, y):
    t0 = time.perf_counter()
    pts = shapely.points(x, y)
    out_p, out_z = [], []
    for i, p in enumerate(pts):
        for j, z in enumerate(zones):
            if z.contains(p):
                out_p.append(i)
                out_z.append(j)
    return 0.0, time.perf_counter() - t0, _pairs(out_p, out_z)


def m_rtree(zones, x, y):
    t0 = time.perf_counter()
    bounds = shapely.bounds(zones)
    idx = rtree.index.Index(((i, tuple(b), None) for i, b in enumerate(bounds)))
    prepared = zones.copy()
    shapely.prepare(prepared)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    out_p, out_z = [], []
    for i, (px, py) in enumerate(zip(x.tolist(), y.tolist(), strict=True)):
        cand = list(idx.intersection((px, py, px, py)))
        if not cand:
            continue
        cand = np.asarray(cand)
        hit = cand[shapely.contains_xy(prepared[cand], px, py)]
        out_p.extend([i] * len(hit))
        out_z.extend(hit.tolist())
    return build, time.perf_counter() - t0, _pairs(out_p, out_z)


def m_strtree_loop(zones, x, y):
    t0 = time.perf_counter()
    tree = STRtree(zones)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    pts = shapely.points(x, y)
    out_p, out_z = [], []
    for i, p in enumerate(pts):
        hit = tree.query(p, predicate="within")
        if len(hit):
            out_p.extend([i] * len(hit))
            out_z.extend(hit.tolist())
    return build, time.perf_counter() - t0, _pairs(out_p, out_z)


def m_strtree_bulk(zones, x, y):
    t0 = time.perf_counter()
    tree = STRtree(zones)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    pts = shapely.points(x, y)
    p_idx, z_idx = tree.query(pts, predicate="within")
    return build, time.perf_counter() - t0, _pairs(p_idx, z_idx)


def m_strtree_inverse(zones, x, y):
    """The tree on the points, queried once with the zones (``contains``): each zone is
    prepared once and tested against its candidate points.  The point tree is built per batch,
    so its build time counts as query time."""
    t0 = time.perf_counter()
    prepared = zones.copy()
    shapely.prepare(prepared)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    tree = STRtree(shapely.points(x, y))
    z_idx, p_idx = tree.query(prepared, predicate="contains")
    return build, time.perf_counter() - t0, _pairs(p_idx, z_idx)


def m_sjoin(zones, x, y):
    t0 = time.perf_counter()
    zg = gpd.GeoDataFrame({"zone": np.arange(len(zones))}, geometry=zones, crs=None)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    pg = gpd.GeoDataFrame({"point": np.arange(len(x))}, geometry=gpd.points_from_xy(x, y))
    joined = gpd.sjoin(pg, zg, predicate="within", how="inner")
    return build, time.perf_counter() - t0, _pairs(joined["point"], joined["zone"])


METHODS = {
    "naive": m_naive,
    "rtree": m_rtree,
    "strtree-loop": m_strtree_loop,
    "strtree-bulk": m_strtree_bulk,
    "strtree-inv": m_strtree_inverse,
    "sjoin": m_sjoin,
}


def run(name: str, zones: np.ndarray, n: int, naive_n: int, seed: int, repeat: int) -> None:
    x, y = random_points(zones, n, seed)
    verts = shapely.get_num_coordinates(zones)
    print(
        f"\n== {name}: {len(zones)} zones ({int(np.median(verts))} vertices median), "
        f"{n:,} points (naive on {min(naive_n, n):,}) =="
    )
    reference = None
    rows = []
    for method, fn in METHODS.items():
        m = min(naive_n, n) if method == "naive" else n
        best_b, best_q, pairs = float("inf"), float("inf"), None
        for _ in range(1 if method == "naive" else repeat):
            b, q, pairs = fn(zones, x[:m], y[:m])
            best_b, best_q = min(best_b, b), min(best_q, q)
        if reference is None and method != "naive":
            reference = pairs
        rows.append((method, m, best_b, best_q, pairs))
    ref = next(r[4] for r in rows if r[0] == "strtree-bulk")
    for method, m, _b, _q, pairs in rows:
        expect = ref[ref[:, 0] < m] if method == "naive" else ref
        if not np.array_equal(pairs, expect):
            raise SystemExit(f"{name}: {method} disagrees with strtree-bulk ({len(pairs)} pairs)")
    per_point = {method: q / m for method, m, _b, q, _p in rows}
    fastest = min(per_point.values())
    print(
        f"{'method':<14}{'build s':>9}{'query s':>10}{'points/s':>13}{'x naive':>10}{'x fastest':>11}"
    )
    for method, _m, b, q, _p in rows:
        pp = per_point[method]
        print(
            f"{method:<14}{b:>9.3f}{q:>10.3f}{1 / pp:>13,.0f}"
            f"{per_point['naive'] / pp:>10.1f}{pp / fastest:>11.1f}"
        )
    inside = len(np.unique(ref[:, 0])) if len(ref) else 0
    print(f"all methods agree: {len(ref):,} pairs, {inside:,} of {n:,} points in a zone")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="points (default 100,000)")
    ap.add_argument("--zones", type=int, default=2000, help="synthetic zones (default 2,000)")
    ap.add_argument("--naive-n", type=int, default=2000, help="points for the naive loop")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = ap.parse_args(argv)
    print(
        f"python {platform.python_version()}, shapely {shapely.__version__} "
        f"(GEOS {shapely.geos_version_string}), geopandas {gpd.__version__}, "
        f"rtree {rtree.__version__} (libspatialindex {rtree.core.rt.SIDX_Version().decode()})"
    )
    run("taipusi", taipusi_zones(), args.n, args.naive_n, args.seed, args.repeat)
    run(
        "synthetic",
        synthetic_zones(args.zones, args.seed),
        args.n,
        args.naive_n,
        args.seed,
        args.repeat,
    )


if __name__ == "__main__":
    main()
