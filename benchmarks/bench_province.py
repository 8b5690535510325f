"""Province-scale placement: one process vs a dask LocalCluster, with a projection to N machines.

A synthetic province is ``--counties`` copies of the 太仆寺旗 2024 policy, each with its own
synthetic cohort (never real children).  Both paths run the engine's own ``place`` per county;
the script checks that every county's ``placements.csv`` is byte-identical in both runs before
it prints any ratio.  Then it fits seconds = a + b·applicants over the measured counties and
projects a province of ``--project-counties`` counties × ``--project-children`` children onto
1, 4, 16 and 64 machines of 2 workers (longest-processing-time scheduling) — a simulation on
paper from measured costs, stated as such, not a run.

    .venv/bin/python benchmarks/bench_province.py [--counties 6] [--primary 300] [--middle 300]
"""

from __future__ import annotations

import argparse
import heapq
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo_enroll.scale import place_counties, province_tasks  # noqa: E402

POLICY = ROOT / "data" / "boundaries" / "taipusi_2024.toml"
ZONES = ROOT / "data" / "boundaries" / "taipusi_2024_zones.gpkg"


def _lpt(costs: list[float], machines: int) -> float:
    """Makespan of longest-processing-time-first scheduling on ``machines`` identical slots."""
    slots = [0.0] * machines
    heapq.heapify(slots)
    for c in sorted(costs, reverse=True):
        heapq.heappush(slots, heapq.heappop(slots) + c)
    return max(slots)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--counties", type=int, default=6)
    ap.add_argument("--primary", type=int, default=300)
    ap.add_argument("--middle", type=int, default=300)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--project-counties", type=int, default=100)
    ap.add_argument("--project-children", type=int, default=50_000)
    args = ap.parse_args()

    from distributed import Client, LocalCluster

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        tasks = province_tasks(
            POLICY,
            tmp / "in",
            counties=args.counties,
            primary=args.primary,
            middle=args.middle,
            zones=str(ZONES),
        )
        synth_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        single = place_counties(tasks, tmp / "single")
        single_s = time.perf_counter() - t0
        single_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with (
            LocalCluster(
                n_workers=args.workers, threads_per_worker=1, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            t0 = time.perf_counter()
            par = place_counties(tasks, tmp / "dask", client=client)
            dask_s = time.perf_counter() - t0
    same = [a.placements_sha256 == b.placements_sha256 for a, b in zip(single, par, strict=True)]
    if not all(same):
        print("DISAGREE: dask and single-process placements differ", file=sys.stderr)
        return 1
    n = sum(s.applicants for s in single)
    per_worker = {}
    for s in par:
        per_worker[s.worker] = max(per_worker.get(s.worker, 0.0), s.peak_rss_mb)
    sizes = np.array([s.applicants for s in single], dtype=float)
    secs = np.array([s.seconds for s in single])
    b, a = np.polyfit(sizes, secs, 1) if len(set(sizes)) > 1 else (secs.mean() / sizes.mean(), 0)
    a = max(float(a), 0.0)
    per_county = a + b * args.project_children
    print(f"synthetic province: {args.counties} counties, {n} applicants (synth {synth_s:.1f} s)")
    print("| path | wall s | applicants/s | peak RSS MB |")
    print("|---|---:|---:|---:|")
    print(f"| one process | {single_s:.1f} | {n / single_s:,.0f} | {single_rss:.0f} |")
    peaks = ", ".join(f"{v:.0f}" for v in per_worker.values())
    print(f"| dask LocalCluster ×{args.workers} | {dask_s:.1f} | {n / dask_s:,.0f} | {peaks} |")
    print(
        f"\nprojection (on paper, from the measured per-county cost {a:.2f} s + "
        f"{b * 1000:.3f} s per 1,000 applicants): {args.project_counties} counties × "
        f"{args.project_children:,} children"
    )
    print("| machines (2 workers each) | projected wall |")
    print("|---:|---:|")
    costs = [per_county] * args.project_counties
    for m in (1, 4, 16, 64):
        print(f"| {m} | {_lpt(costs, 2 * m) / 60:.1f} min |")
    print(f"\nagreement: {len(same)}/{len(same)} counties byte-identical")
    print(f"ratio dask/one-process wall time: {dask_s / single_s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
