"""Relative proximity at scale: exact min-cost assignment vs the greedy baseline, side by side.

    .venv/bin/python benchmarks/bench_allocate.py                       # 10 000 × 500 (+ reference)
    .venv/bin/python benchmarks/bench_allocate.py --children 100000     # the issue's size
    .venv/bin/python benchmarks/bench_allocate.py --children 1000000 --points   # no n × m matrix
    .venv/bin/python benchmarks/bench_allocate.py --children 100000 --points --addresses 10000

A synthetic county (seeded): children clustered around 12 towns on a 60 km square, schools
spread more evenly, seats = 1.03 × children split unevenly between schools, so that near
schools run out and the order of placement matters.  Both methods get the same whole-metre
distances and the same priority order (a random permutation).

Checks before any ratio is printed: no school over its seats; both place the same children;
the exact total is never above greedy's; and, up to ``--reference-max`` children, the exact
total equals that of a reference min-cost flow (OR-Tools) on the *full* children × schools graph.
``--points`` gives both methods the coordinates (:class:`EuclideanCosts`, rows computed a block
at a time) instead of a dense matrix.  ``--addresses N`` puts the children on N shared address
points (villages and buildings, :func:`synthetic_addresses`) instead of one point each.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo_enroll.placement.allocate import (  # noqa: E402
    EuclideanCosts,
    assign_greedy,
    assign_min_cost,
)


def synthetic_points(children: int, schools: int, seed: int):
    """(child xy, school xy, seats, priority order) of the synthetic county."""
    rng = np.random.default_rng(seed)
    side = 60_000.0
    towns = rng.uniform(0.1 * side, 0.9 * side, size=(12, 2))
    weight = rng.dirichlet(np.full(12, 0.7))
    which = rng.choice(12, size=children, p=weight)
    spread = rng.uniform(800, 4000, size=12)[which]
    kids = towns[which] + rng.normal(size=(children, 2)) * spread[:, None]
    kids = np.clip(kids, 0, side)
    # half the schools in towns (uniform over towns, not by population), half anywhere
    near = towns[rng.integers(0, 12, schools // 2)] + rng.normal(size=(schools // 2, 2)) * 2500
    far = rng.uniform(0, side, size=(schools - schools // 2, 2))
    sch = np.clip(np.vstack([near, far]), 0, side)
    share = rng.gamma(2.0, size=schools)
    seats = np.floor(share / share.sum() * children * 1.03).astype(int) + 1
    order = rng.permutation(children)
    return kids, sch, seats, order


def synthetic_addresses(children: int, schools: int, seed: int, points: int):
    """The same county with the children on ``points`` address points (shared by many).

    A real cohort is located by the geocoder to address points — a village, a building, a
    house number — so children share points (the demo cohort: about 88 % locate to a village).
    Here 30 % of the points are villages, scattered around the towns twice as wide as the
    children of the unique-point county (rural), and 70 % are buildings in the town centres
    (half as wide); 88 % of the children live in a village, 12 % in a building, each point
    weighted by a gamma(2) draw within its kind.  At 100 000 children on 10 000 points that is
    about 29 children a village and 1.7 a building; on 2 000 points 147 and 9; on 30 000
    points 10 and 0.6.  Schools, seats and the priority order are those of
    :func:`synthetic_points` with the same seed.
    """
    _, sch, seats, order = synthetic_points(children, schools, seed)
    rng = np.random.default_rng([seed, points])
    side = 60_000.0
    towns = np.random.default_rng(seed).uniform(0.1 * side, 0.9 * side, size=(12, 2))
    villages = max(1, int(round(0.3 * points)))
    kind_spread = np.r_[np.full(villages, 2.0), np.full(points - villages, 0.5)]
    town = rng.integers(0, 12, points)
    spread = rng.uniform(800, 4000, size=12)[town] * kind_spread
    xy = np.clip(towns[town] + rng.normal(size=(points, 2)) * spread[:, None], 0, side)
    weight = rng.gamma(2.0, size=points)
    weight[:villages] *= 0.88 / weight[:villages].sum()
    if points > villages:
        weight[villages:] *= 0.12 / weight[villages:].sum()
    kids = xy[rng.choice(points, size=children, p=weight / weight.sum())]
    return kids, sch, seats, order


def synthetic_county(children: int, schools: int, seed: int):
    """The same county as a dense distance matrix (cost, seats, order)."""
    kids, sch, seats, order = synthetic_points(children, schools, seed)
    return EuclideanCosts(kids, sch).rows(np.arange(children)), seats, order


def reference_total(cost: np.ndarray, seats: np.ndarray) -> int:
    """Least total whole metres seating everyone, by one min-cost flow on the full graph."""
    from ortools.graph.python import min_cost_flow

    n, m = cost.shape
    ii, jj = np.nonzero(np.isfinite(cost))
    solver = min_cost_flow.SimpleMinCostFlow()
    sink = n + m
    tails = np.concatenate([ii, n + np.arange(m)])
    heads = np.concatenate([n + jj, np.full(m, sink)])
    caps = np.concatenate([np.ones(len(ii)), seats]).astype(np.int64)
    costs = np.concatenate([np.rint(cost[ii, jj]), np.zeros(m)]).astype(np.int64)
    solver.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32), heads.astype(np.int32), caps, costs
    )
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[:n], supplies[sink] = 1, -n
    solver.set_nodes_supplies(np.arange(sink + 1, dtype=np.int32), supplies)
    if solver.solve() != solver.OPTIMAL:
        raise SystemExit("reference min-cost flow failed")
    return int(solver.optimal_cost())


def rounded_total(costs, assignment: np.ndarray) -> tuple[int, int]:
    """(total, worst) whole metres of the placed children."""
    rows = np.flatnonzero(assignment >= 0)
    total, worst = 0, 0
    for start in range(0, len(rows), 8192):
        r = rows[start : start + 8192]
        d = np.rint(costs.rows(r)[np.arange(len(r)), assignment[r]]).astype(np.int64)
        total += int(d.sum())
        worst = max(worst, int(d.max()))
    return total, worst


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--schools", type=int, default=500)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--k", type=int, default=8, help="first sparse width of the exact solver")
    parser.add_argument("--points", action="store_true", help="coordinates, no dense matrix")
    parser.add_argument("--reference-max", type=int, default=10_000)
    parser.add_argument(
        "--addresses",
        type=int,
        default=0,
        help="children on this many shared address points (villages, buildings); 0: each its own",
    )
    parser.add_argument(
        "--no-aggregate",
        action="store_true",
        help="exact solver finds identical rows by reading every child's row (same answer)",
    )
    args = parser.parse_args(argv)
    print(
        f"machine: {platform.node()} {platform.machine()}, python {platform.python_version()}, "
        f"numpy {np.__version__}"
    )

    t0 = time.perf_counter()
    if args.addresses:
        kids, sch, seats, order = synthetic_addresses(
            args.children, args.schools, args.seed, args.addresses
        )
    else:
        kids, sch, seats, order = synthetic_points(args.children, args.schools, args.seed)
    points = EuclideanCosts(kids, sch)
    cost = points if args.points else points.rows(np.arange(args.children))
    t_build = time.perf_counter() - t0
    print(
        f"county: {args.children} children, {args.schools} schools, {seats.sum()} seats "
        f"(seed {args.seed}); {'points' if args.points else 'dense matrix'} in {t_build:.1f} s"
    )
    shared = len(np.unique(points.same_rows()))
    print(
        f"children on {shared} distinct points "
        f"({'--addresses ' + str(args.addresses) if args.addresses else 'each its own'})"
    )

    runs = {}
    for name, method in (("greedy", assign_greedy), ("exact", assign_min_cost)):
        t0, c0 = time.perf_counter(), time.process_time()
        extra = {"k": args.k, "aggregate": not args.no_aggregate} if name == "exact" else {}
        a = method(cost, seats, order=order, **extra)
        runs[name] = (a, time.perf_counter() - t0, time.process_time() - c0)

    stats = {}
    for name, (a, secs, cpu) in runs.items():
        load = np.bincount(a[a >= 0], minlength=len(seats))
        if (load > seats).any():
            print(f"DISAGREE: {name} exceeds the seats of a school", file=sys.stderr)
            return 1
        stats[name] = (*rounded_total(points, a), int((a >= 0).sum()), secs, cpu)
    if not np.array_equal(runs["greedy"][0] >= 0, runs["exact"][0] >= 0):
        print("DISAGREE: the methods placed different children", file=sys.stderr)
        return 1
    if stats["exact"][0] > stats["greedy"][0]:
        print("DISAGREE: exact total above greedy", file=sys.stderr)
        return 1
    ref = None
    if args.children <= args.reference_max and (runs["exact"][0] >= 0).all():
        t0 = time.perf_counter()
        ref = reference_total(points.rows(np.arange(args.children)), seats)
        t_ref = time.perf_counter() - t0
        if ref != stats["exact"][0]:
            print(f"DISAGREE: exact {stats['exact'][0]} m vs reference {ref} m", file=sys.stderr)
            return 1
        print(f"reference min-cost flow on the full graph: {ref} m in {t_ref:.1f} s (agrees)")
    print(f"{'method':<8} {'placed':>9} {'total km':>12} {'worst m':>9} {'wall s':>8} {'cpu s':>8}")
    for name, (total, worst, placed, secs, cpu) in stats.items():
        print(f"{name:<8} {placed:>9} {total / 1000:>12.1f} {worst:>9} {secs:>8.2f} {cpu:>8.2f}")
    g, o = stats["greedy"], stats["exact"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MB")
    print(
        f"ratio: greedy/exact total {g[0] / o[0]:.3f}, worst {g[1] / o[1]:.3f}; "
        f"time exact/greedy {o[3] / g[3]:.1f} wall, {o[4] / g[4]:.1f} cpu "
        f"(load average {os.getloadavg()[0]:.1f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
