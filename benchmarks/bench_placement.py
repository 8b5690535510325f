"""Placement end to end at county scale: time and memory of each step, and how they grow.

    .venv/bin/python benchmarks/bench_placement.py                       # 1 400 → 14 000
    .venv/bin/python benchmarks/bench_placement.py --sizes 1400 14000 140000   # the issue's run

Each size runs in a fresh process (so its peak memory is its own): ``cohort synth`` for the
太仆寺旗 2024 policy and its schematic base map (primary : middle as the seat plan, 650 : 750), then ``place`` with
the committed zones and a seat table scaled to the cohort (seats and classes × n / 1 400).  The
steps of ``place`` are timed by wrapping the functions ``geo_enroll.placement.run`` calls.

Checks before anything is printed: one row per applicant, no school over its seats, every
placed child has a school.  Then one table per size and, between consecutive sizes, the fitted
exponent of each step (time ∝ n^k: 1 = linear).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STEPS = [
    "read_applicants",
    "assess_eligibility",
    "geocode_all",
    "resolve_applicant",
    "distance_costs",
    "allocate_level",
    "placement_tables",
    "homes_layer",
    "write_outputs",
]


def one(n: int) -> dict:
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    from geo_enroll.geocode import load_default_gazetteer
    from geo_enroll.placement import run
    from geo_enroll.placement.cohort import synth_cohort

    spec = tomllib.loads((ROOT / "data/boundaries/taipusi_2024.toml").read_text("utf-8"))
    basemap = ROOT / "data/boundaries/baochang_schematic.gpkg"
    out = {"n": n}
    t0 = time.perf_counter()
    primary = n * 650 // 1400  # the policy's seat plan: 650 primary, 750 middle
    cohort = synth_cohort(spec, seed=7, basemap=basemap, primary=primary, middle=n - primary)
    out["cohort synth"] = time.perf_counter() - t0
    schools = pd.read_csv(ROOT / "data/boundaries/taipusi_2024_schools.csv", comment="#", dtype=str)
    scale = n / 1400
    for col in ("seats", "classes"):
        schools[col] = np.ceil(schools[col].astype(int) * scale).astype(int).astype(str)
    zones = gpd.read_file(ROOT / "data/boundaries/taipusi_2024_zones.gpkg", layer="zones")
    points = gpd.read_file(basemap, layer="schools")
    gaz = load_default_gazetteer()
    spent = dict.fromkeys(STEPS, 0.0)
    originals = {}
    for name in STEPS:
        fn = getattr(run, name)
        originals[name] = fn

        def timed(*a, _fn=fn, _name=name, **k):
            t = time.perf_counter()
            try:
                return _fn(*a, **k)
            finally:
                spent[_name] += time.perf_counter() - t

        setattr(run, name, timed)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = run.place(
            cohort,
            spec=spec,
            zones=zones,
            gazetteer=gaz,
            schools=schools,
            seed=7,
            school_points=points,
            out_dir=Path(tmp) / "run",
        )
        out["place (total)"] = time.perf_counter() - t0
    for name, fn in originals.items():
        setattr(run, name, fn)
    out.update({f"  {k}": v for k, v in spent.items()})
    p, s = res.placements, res.schools
    problems = []
    if len(p) != len(cohort) or not p["student_id"].is_unique:
        problems.append("not one row per applicant")
    if (s["placed"] > s["seats"]).any():
        problems.append("a school over its seats")
    if (p.loc[p["status"] == "placed", "school"].astype(str) == "").any():
        problems.append("a placed child without a school")
    out["problems"] = problems
    out["status"] = {k: int(v) for k, v in p["status"].value_counts().items()}
    out["peak MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1400, 14000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one)))
        return 0
    print(f"machine: {platform.node()} {platform.machine()}, python {platform.python_version()}")
    runs = []
    for n in args.sizes:
        proc = subprocess.run(
            [sys.executable, __file__, "--one", str(n)], capture_output=True, text=True
        )
        if proc.returncode:
            print(proc.stderr, file=sys.stderr)
            return 1
        rec = json.loads(proc.stdout.strip().splitlines()[-1])
        if rec["problems"]:
            print(f"FAILED at {n}: {rec['problems']}", file=sys.stderr)
            return 1
        runs.append(rec)
        print(f"n={n}: invariants hold; status {rec['status']}", flush=True)
    keys = [k for k in runs[0] if k not in ("n", "problems", "status")]
    head = f"{'step':<22}" + "".join(f"{r['n']:>12,}" for r in runs)
    head += "".join(f"   k {a['n']}→{b['n']}" for a, b in zip(runs, runs[1:], strict=False))
    print(head)
    for k in keys:
        line = f"{k:<22}" + "".join(f"{r[k]:>12.2f}" for r in runs)
        for a, b in zip(runs, runs[1:], strict=False):
            if k != "peak MB" and a[k] > 0.05 and b[k] > 0:
                line += f"   {math.log(b[k] / a[k]) / math.log(b['n'] / a['n']):>{len(str(a['n'])) + len(str(b['n'])) + 4}.2f}"
            else:
                line += " " * (len(str(a["n"])) + len(str(b["n"])) + 7)
        print(line)
    print("(seconds; peak MB = resident set of the run's process; k = fitted exponent, 1 = linear)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
