"""Monte-Carlo of a multi-school lottery (多校划片电脑派位): batched draws vs one draw at a time.

    .venv/bin/python benchmarks/bench_lottery.py                        # 100 000 applicants, 1 000 draws
    .venv/bin/python benchmarks/bench_lottery.py --applicants 10000 --draws 200   # quicker

A synthetic district (seeded): ``--groups`` multi-school zones of 3–7 schools each, applicants
with 0–3 ordered choices inside their zone (0 = any school), tiers 0–2, seats 0.97 × applicants
per zone split unevenly, so schools fill and pass 2 (调剂) matters.

Baseline: the previous ``simulate`` loop — one draw at a time through
``lottery._serial_dictatorship`` (Python loop over applicants, per draw).  New:
``lottery.simulate`` (setup once; each draw ``_serial_dictatorship_fast``: no loop over
applicants — a fixed-point iteration on the position at which each school fills, with a
16-bit radix sort per iteration; tallies vectorised over batches of draws).  Before the ratio is printed, the baseline's draws are replayed through the new
loop with the same orders and the same random numbers and must agree applicant by applicant;
then the full ``simulate`` runs ``--draws`` draws (its time includes the setup).
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo_enroll.placement import lottery as L  # noqa: E402


def district(applicants: int, groups: int, seed: int):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(3, 8, groups)
    schools = [f"G{g:03d}S{s}" for g in range(groups) for s in range(sizes[g])]
    school_group = [f"G{g:03d}" for g in range(groups) for _ in range(sizes[g])]
    grp = rng.integers(0, groups, applicants)
    rows = []
    for i, g in enumerate(grp):
        own = [f"G{g:03d}S{s}" for s in range(sizes[g])]
        k = int(rng.integers(0, 4))
        pick = [own[int(j)] for j in rng.permutation(len(own))[:k]]
        rows.append(
            (f"A{i:07d}", f"G{g:03d}", int(rng.choice(3, p=[0.6, 0.3, 0.1])), "|".join(pick))
        )
    app = pd.DataFrame(rows, columns=["student_id", "group", "tier", "choices"])
    app["unit"] = app["group"] + "-u" + (np.arange(applicants) % 7).astype(str)
    per_group = np.bincount(grp, minlength=groups)
    seats = []
    for g in range(groups):
        share = rng.gamma(2.0, size=sizes[g])
        seats += list(np.floor(share / share.sum() * per_group[g] * 0.97).astype(int))
    st = pd.DataFrame({"school": schools, "group": school_group, "seats": seats})
    return app, st


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=40)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--baseline-draws", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    print(
        f"machine: {platform.node()} {platform.machine()}, python {platform.python_version()}, "
        f"numpy {np.__version__}"
    )
    app, st = district(args.applicants, args.groups, args.seed)
    print(
        f"district: {len(app)} applicants, {len(st)} schools in {args.groups} zones, "
        f"{st['seats'].sum()} seats"
    )

    # the setup simulate does (once)
    a = L._clean_applicants(app).sort_values("student_id").reset_index(drop=True)
    s = L._clean_seats(st).sort_values("school").reset_index(drop=True)
    schools, choices, group_idx, group_schools = L._prepare(a, s)
    seats = s["seats"].to_numpy(dtype=np.int64)
    tiers = a["tier"].to_numpy().astype(np.int64)
    n = len(a)

    # baseline: one draw at a time (the previous simulate loop), timed per draw
    rng = np.random.default_rng(args.seed)
    orders = np.array([np.lexsort((rng.random(n), tiers)) for _ in range(args.baseline_draws)])
    gpad = L._pad(group_schools)
    keys = rng.random((args.baseline_draws, n, gpad.shape[1]))
    where = [{j: c for c, j in enumerate(g)} for g in group_schools]
    base = []
    t0 = time.perf_counter()
    for d in range(args.baseline_draws):

        def fallback(i, open_cols, d=d):  # the first open school in the applicant's order
            w = where[group_idx[i]]
            return min(open_cols, key=lambda j: keys[d, i, w[j]]) if open_cols else None

        got, _ = L._serial_dictatorship(
            orders[d], choices, group_idx, group_schools, seats.copy(), fallback
        )
        base.append(got)
    t_base = (time.perf_counter() - t0) / args.baseline_draws

    # agreement: the simulation's draw on the same orders and random numbers
    for d in range(args.baseline_draws):
        again = L._serial_dictatorship_fast(
            orders[d], L._pad(choices), gpad[group_idx], seats, keys[d]
        )
        if not np.array_equal(again, base[d]):
            print("DISAGREE: the simulation's draw differs from the reference", file=sys.stderr)
            return 1
    print(f"agreement: {args.baseline_draws} draws identical applicant by applicant")

    t0 = time.perf_counter()
    probs, fill = L.simulate(app, st, draws=args.draws, seed=args.seed)
    t_new = (time.perf_counter() - t0) / args.draws
    if not np.allclose(probs.groupby("unit")["probability"].sum(), 1.0):
        print("DISAGREE: unit probabilities do not sum to 1", file=sys.stderr)
        return 1
    if (fill["mean_placed"] > fill["seats"] + 1e-9).any():
        print("DISAGREE: a school over its seats", file=sys.stderr)
        return 1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'method':<24} {'s per draw':>11} {'1 000 draws':>12}")
    print(f"{'one draw at a time':<24} {t_base:>11.3f} {t_base * 1000 / 60:>10.1f} min")
    print(f"{'simulate (new)':<24} {t_new:>11.4f} {t_new * 1000 / 60:>10.1f} min")
    print(f"peak memory {peak:.0f} MB; {args.draws} draws in {t_new * args.draws:.1f} s")
    print(f"ratio: simulate is {t_base / t_new:.1f}× faster per draw")
    return 0


if __name__ == "__main__":
    sys.exit(main())
