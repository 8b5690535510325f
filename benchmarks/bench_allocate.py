"""Relative proximity at scale: exact min-cost assignment vs the greedy baseline.

    .venv/bin/python benchmarks/bench_allocate.py                 # 100 000 children, 500 schools
    .venv/bin/python benchmarks/bench_allocate.py --children 20000 --schools 100   # quicker

A synthetic county (seeded): children clustered around a few towns on a 60 km square, schools
spread more evenly, seats = 1.03 × children split unevenly between schools, so that near
schools run out and the order of placement matters.  Both methods get the same whole-metre
distances and the same priority order (a random permutation: tiers and registration dates).

Prints total and worst distance, mean distance, placed count and wall time of each method, and
the ratios greedy / optimal, in one run.  See benchmarks/README.md for how the exact solver
stays feasible at this size (k nearest schools per child + an escape arc that proves optimality).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo_enroll.placement.allocate import (  # noqa: E402
    assign_greedy,
    assign_min_cost,
    total_distance,
)


def synthetic_county(children: int, schools: int, seed: int):
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
    cost = np.empty((children, schools), dtype=np.float64)
    for start in range(0, children, 10_000):
        block = kids[start : start + 10_000]
        cost[start : start + len(block)] = np.hypot(
            block[:, 0, None] - sch[None, :, 0], block[:, 1, None] - sch[None, :, 1]
        )
    order = rng.permutation(children)
    return cost, seats, order


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--schools", type=int, default=500)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--k", type=int, default=8, help="first sparse width of the exact solver")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    cost, seats, order = synthetic_county(args.children, args.schools, args.seed)
    t_build = time.perf_counter() - t0
    print(
        f"county: {args.children} children, {args.schools} schools, {seats.sum()} seats "
        f"(seed {args.seed}); distance matrix built in {t_build:.1f} s"
    )

    rows = {}
    t0 = time.perf_counter()
    greedy = assign_greedy(cost, seats, order=order)
    rows["greedy"] = (greedy, time.perf_counter() - t0)
    t0 = time.perf_counter()
    best = assign_min_cost(cost, seats, order=order, k=args.k)
    rows["optimal"] = (best, time.perf_counter() - t0)

    print(
        f"{'method':<8} {'placed':>8} {'total km':>12} {'mean m':>8} {'worst m':>9} {'time s':>8}"
    )
    stats = {}
    for name, (assignment, secs) in rows.items():
        placed = int((assignment >= 0).sum())
        total, worst = total_distance(cost, assignment)
        stats[name] = (total, worst, secs)
        print(
            f"{name:<8} {placed:>8} {total / 1000:>12.1f} {total / max(placed, 1):>8.0f} "
            f"{worst:>9.0f} {secs:>8.2f}"
        )
        load = np.bincount(assignment[assignment >= 0], minlength=len(seats))
        if (load > seats).any():
            print(f"ERROR: {name} exceeds seats", file=sys.stderr)
            return 1
    g, o = stats["greedy"], stats["optimal"]
    print(
        f"ratio greedy/optimal: total distance {g[0] / o[0]:.3f}, worst distance "
        f"{g[1] / o[1]:.3f}, time {g[2] / o[2]:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
