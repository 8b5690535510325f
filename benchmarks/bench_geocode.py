"""Offline parse + geocode throughput against a straightforward baseline (one core).

Run::

    .venv/bin/python benchmarks/bench_geocode.py [--n 20000] [--seed 1]

The addresses are synthetic but realistic and all distinct (so the result cache never helps):
a mix of 太仆寺旗/延庆区 village and township addresses with groups and house numbers (some
with omitted levels, homophone spellings, full-width digits), 宝昌镇 street addresses, and
county-level addresses from every province with road names and numbers.

The baseline is what one writes first: normalise, then test every official name (44,703 units
plus villages) as a substring of the address and keep the longest hit per level — no
hierarchy, no early exit.  The target is at least 10,000 addresses per second on one core.
"""

from __future__ import annotations

import argparse
import random
import time

from geo_enroll.address import load_divisions, normalize_address
from geo_enroll.geocode import Gazetteer

_ROADS = ["人民路", "解放大街", "建设南路", "光明大街", "河沿街", "中山东路", "环河北路", "团结街"]


def make_addresses(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    div = load_divisions()
    villages = sorted(div.village_keys)
    counties = sorted(c for c, u in div.units.items() if u.level == "county")
    out = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            code = rng.choice(villages)
            county, town = div.units[code[:6]].name, div.units[code[:9]].name
            village = div.village_keys[code][1]
            prefix = county if rng.random() < 0.5 else ""
            out.append(f"{prefix}{town}{village}{rng.randint(1, 9)}组{i}号")
        elif kind == 1:
            code = rng.choice(counties)
            chain = "".join(div.units[c].name for c in div.ancestors(code))
            out.append(f"{chain}{rng.choice(_ROADS)}{i}号")
        elif kind == 2:
            out.append(f"太仆寺旗宝昌镇{rng.choice(_ROADS)}{i % 200 + 1}号{i}室")
        else:
            code = rng.choice(villages)
            town = div.units[code[:9]].name
            out.append(f"{town}{div.village_keys[code][0]}{i}号".replace("1", "１"))
    return out


def baseline(addresses: list[str]) -> list[dict]:
    """Substring test of every official name, longest hit per level."""
    div = load_divisions()
    names = [(u.name, u.level, c) for c, u in div.units.items()]
    out = []
    for text in addresses:
        s = normalize_address(text)
        best: dict = {}
        for name, level, code in names:
            if name in s and len(name) > len(best.get(level, ("",))[0]):
                best[level] = (name, code)
        out.append(best)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--baseline-n", type=int, default=200, help="the baseline is slow: fewer rows")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    addresses = make_addresses(args.n, args.seed)
    gaz = Gazetteer.from_data()
    gaz.geocode("warm up 太仆寺旗")
    t0 = time.perf_counter()
    results = [gaz.geocode(a) for a in addresses]
    fast = time.perf_counter() - t0
    rate = len(addresses) / fast
    levels = {}
    for r in results:
        levels[r["level"]] = levels.get(r["level"], 0) + 1
    sample = addresses[: args.baseline_n]
    t0 = time.perf_counter()
    baseline(sample)
    slow = time.perf_counter() - t0
    base_rate = len(sample) / slow
    print(f"gazetteer : {len(addresses):>6} addresses in {fast:6.2f} s = {rate:9.0f} addr/s "
          f"(target ≥ 10,000; {'OK' if rate >= 10_000 else 'BELOW TARGET'})")  # fmt: skip
    print(f"baseline  : {len(sample):>6} addresses in {slow:6.2f} s = {base_rate:9.0f} addr/s")
    print(f"ratio     : {rate / base_rate:.0f}x faster than the baseline")
    print(f"levels    : {dict(sorted(levels.items(), key=lambda kv: str(kv[0])))}")
    from geo_enroll.address.parse import ACCELERATED

    print(f"parser    : {'compiled twin (mypyc)' if ACCELERATED else 'Python code'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
