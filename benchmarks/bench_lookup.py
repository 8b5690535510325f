"""Parent lookup over HTTP: ``/api/lookup`` against a bare route of the same server.

    .venv/bin/python benchmarks/bench_lookup.py                 # 200 addresses, concurrency 8
    .venv/bin/python benchmarks/bench_lookup.py --seconds 5 --threads 4

Starts the real service (``web.app.create_app`` under waitress, the production WSGI server, in a
separate process with ``--threads`` worker threads; the rate limit raised for the run) and a
client with ``--concurrency`` threads over keep-alive connections.  ``--addresses`` distinct
addresses of a synthetic 太仆寺旗 cohort (village and town house-number addresses), each asked
once to warm up.  Baseline: ``/healthz`` of the same server, same client.

Checks before the ratio is printed: every lookup answered 200 with ``ok``, and each address's
answer (schools per level, match level, coordinates) equals the one a fresh in-process app gives
for it (the caches change nothing).  Then requests/s, p50 and p99 latency of both, and the
ratio lookup / bare route.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _serve(port: int, data: str, threads: int, switch: float | None = None) -> None:
    import waitress

    if switch:  # an experiment: how long a thread may hold the GIL before another runs
        sys.setswitchinterval(switch)

    from web.app import create_app

    app = create_app({"DATA_DIR": data, "RATE_LIMIT_PER_MINUTE": 10**9, "ACCESS_LOG": False})
    waitress.serve(app, host="127.0.0.1", port=port, threads=threads, ident="bench")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _summary(answer: dict) -> str:
    keep = {
        "match_level": answer.get("match_level"),
        "lon": answer.get("lon"),
        "lat": answer.get("lat"),
        "schools": {
            lv: sorted((s.get("school_id") or "", s.get("kind") or "") for s in items)
            for lv, items in (answer.get("schools") or {}).items()
        },
    }
    return json.dumps(keep, sort_keys=True, ensure_ascii=False)


def _load(port, paths, seconds, concurrency):
    """Hit ``paths`` round-robin from ``concurrency`` threads for ``seconds``."""
    lat, errors, stop = [], [], time.perf_counter() + seconds
    lock = threading.Lock()

    def worker(k):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad, i = [], 0, k
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            try:
                conn.request("GET", paths[i % len(paths)])
                r = conn.getresponse()
                r.read()
                if r.status != 200:
                    bad += 1
            except Exception:  # noqa: BLE001 - counted as an error
                bad += 1
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append(time.perf_counter() - t0)
            i += concurrency
        with lock:
            lat.extend(mine)
            errors.append(bad)

    t0 = time.perf_counter()
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(concurrency)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.perf_counter() - t0
    lat.sort()
    return {
        "rps": len(lat) / wall,
        "p50": lat[len(lat) // 2] * 1000,
        "p99": lat[int(len(lat) * 0.99)] * 1000,
        "n": len(lat),
        "errors": sum(errors),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addresses", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--switch-interval",
        type=float,
        default=None,
        help="server's sys.setswitchinterval in seconds (default Python's 0.005; an experiment)",
    )
    parser.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        _serve(int(args.serve[0]), args.serve[1], int(args.serve[2]), args.switch_interval)
        return 0
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f} at start"
    )
    from geo_enroll.placement.cohort import synth_cohort

    spec = tomllib.loads((ROOT / "data/boundaries/taipusi_2024.toml").read_text("utf-8"))
    df = synth_cohort(spec, seed=3, primary=400, middle=200)
    county = str(spec["policy"]["jurisdiction"])  # homes in the county (not hukou elsewhere)
    homes = {a for a in set(df["户籍地址"]) | set(df["实际居住地址"]) if a.startswith(county)}
    addresses = sorted(homes)[: args.addresses]
    paths = ["/api/lookup?" + urllib.parse.urlencode({"address": a}) for a in addresses]

    port = _free_port()
    with tempfile.TemporaryDirectory() as data:
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port), data, str(args.threads)]
            + (["--switch-interval", str(args.switch_interval)] if args.switch_interval else []),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(600):  # wait for the server
                try:
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    c.request("GET", "/healthz")
                    c.getresponse().read()
                    break
                except OSError:
                    time.sleep(0.1)
            # warm up + agreement with a fresh in-process app
            from web.app import create_app

            with tempfile.TemporaryDirectory() as fresh_dir:
                fresh = create_app({"DATA_DIR": fresh_dir, "RATE_LIMIT_PER_MINUTE": 10**9})
                client = fresh.test_client()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                for a, path in zip(addresses, paths, strict=True):
                    conn.request("GET", path)
                    r = conn.getresponse()
                    got = json.loads(r.read())
                    if r.status != 200 or not got.get("ok"):
                        print(f"FAILED: {r.status} {got.get('error')}", file=sys.stderr)
                        return 1
                    want = client.get("/api/lookup", query_string={"address": a}).get_json()
                    if _summary(got) != _summary(want):
                        print("DISAGREE: server answer differs from a fresh app's", file=sys.stderr)
                        return 1
            print(
                f"agreement: {len(addresses)} addresses answered alike by the server and a fresh app"
            )
            bare = _load(port, ["/healthz"], args.seconds, args.concurrency)
            look = _load(port, paths, args.seconds, args.concurrency)
        finally:
            server.terminate()
            server.wait()
    print(f"{'route':<14} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'errors':>7}")
    for name, r in (("/healthz", bare), ("/api/lookup", look)):
        print(
            f"{name:<14} {r['rps']:>8.0f} {r['p50']:>8.1f} {r['p99']:>8.1f} {r['n']:>9} {r['errors']:>7}"
        )
    print(
        f"ratio: lookup / bare route = {look['rps'] / bare['rps']:.2f} "
        f"(concurrency {args.concurrency}, {args.threads} server threads"
        + (f", switch interval {args.switch_interval} s" if args.switch_interval else "")
        + ")"
    )
    print(f"load average {os.getloadavg()[0]:.1f} at the end (other jobs on the machine)")
    return 0 if look["errors"] == 0 and bare["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
