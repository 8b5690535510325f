"""The web service under a longer fuzz run than the suite's: every route, every role, no 5xx.

    .venv/bin/python benchmarks/fuzz_web.py                    # 10 000 requests, seeds 1…4
    .venv/bin/python benchmarks/fuzz_web.py --requests 50000 --seeds 10

Runs the suite's seeded generator (``tests/web/test_fuzz.py``: hostile values in the fields each
route declares, as JSON, urlencoded, multipart and raw bodies, anonymous and per role) against
fresh toy-town apps, one per seed, and prints the count of requests, the statuses and every
response ≥ 500 or malformed error envelope with its seed and request number (to replay it:
``run(n, seed=…)``).  Exit status 1 when any was found.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=10_000, help="total requests (default 10000)")
    p.add_argument("--seeds", type=int, default=4, help="apps/seeds to spread them over")
    args = p.parse_args(argv)
    warnings.simplefilter("error")  # as the suite: a warning inside a request is a failure

    from tests.web.test_fuzz import run

    per_seed = max(1, args.requests // args.seeds)
    total, seconds, statuses, failures = 0, 0.0, Counter(), []
    for seed in range(1, args.seeds + 1):
        with tempfile.TemporaryDirectory() as tmp:
            out = run(per_seed, seed=seed, tmp_path=Path(tmp))
        total += out["requests"]
        seconds += out["seconds"]
        statuses.update(out["status"])
        failures += [f"seed {seed} {f}" for f in out["failures"]]
        print(f"seed {seed}: {out['requests']} requests, {out['seconds']:.1f} s", flush=True)
    print(f"requests: {total} in {seconds:.1f} s ({total / max(seconds, 1e-9):.0f}/s)")
    print("statuses:", dict(sorted(statuses.items())))
    print(f"responses >= 500 or malformed envelopes: {len(failures)}")
    for line in failures[:50]:
        print("  ", line)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
