"""Parent lookup over HTTP: ``POST /api/lookup`` against a bare route of the same server.

    .venv/bin/python benchmarks/bench_lookup.py                 # 200 addresses, concurrency 8
    .venv/bin/python benchmarks/bench_lookup.py --seconds 5 --threads 4
    .venv/bin/python benchmarks/bench_lookup.py --workers 2 --threads 1   # serve --workers 2
    .venv/bin/python benchmarks/bench_lookup.py --workers 2 --threads 1 --client wrk
    .venv/bin/python benchmarks/bench_lookup.py --dump /tmp/a.jsonl   # the answer check (below)

Starts the real service (``web.app.create_app`` under waitress, the production WSGI server, in a
separate process with ``--threads`` worker threads; the rate limit raised for the run) and a
client with ``--concurrency`` threads over keep-alive connections.  ``--workers N``: the
product's ``geo-enroll serve --workers N`` (gunicorn, N gthread processes of ``--threads``
each, limits shared through a file, its access log on; both routes get the same; every worker
warmed before the runs, the CPU of the master and workers summed).  Baseline: ``/healthz`` of the
same server, same client.  Two lookup runs:

- **repeated**: ``--addresses`` distinct addresses of a synthetic 太仆寺旗 cohort (village and
  town house-number addresses), each asked once to warm up, then round-robin (the gazetteer's
  per-address geocode cache is warm);
- **distinct**: every request a new address, asked once (house numbers of the cohort's streets
  and village groups varied: parse and geocode run on every request).

``--client wrk``: the three runs through Debian's ``wrk`` (``benchmarks/wrk_lookup.lua``, one
thread) instead of this process's client threads, which take a third of a core that the server
then lacks; the sample of distinct addresses is asked once more after the run and checked.

Checks before the ratio is printed: every lookup answered 200 with ``ok``, and the server's JSON
for each warm-up address and for a sample of the distinct ones equals, byte for byte, the JSON a
fresh in-process app gives for it (the caches change nothing).  Then requests/s, p50 and p99
latency of each, the server process's CPU time per request (``/proc``), and the ratios lookup /
bare route: by requests/s, and by server CPU per request (what the requests/s ratio tends to
when the server, not other jobs, is what limits the run).

``--dump FILE`` writes the JSON of ≥ 1,900 lookups through a fresh in-process app serving both
seed policies (太仆寺旗 2024 and the 延庆 multi-school scenario): every address of a synthetic
cohort of each, coarse and out-of-area addresses, clicked points on a grid and on zone
vertices, each asked twice (cold, then warmed).  Compare two dumps with ``cmp``: a speed change
must leave it byte-identical.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_JSON = {"Content-Type": "application/json"}
_SEEDS = ("taipusi_2024", "yanqing_2023_multischool")


def _serve(port: int, data: str, threads: int, switch: float | None = None) -> None:
    """The one-process server: the app under waitress, as ``geo-enroll serve`` runs it."""
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


def _canon(answer) -> str:
    """An answer as comparable text (key order fixed)."""
    return json.dumps(answer, sort_keys=True, ensure_ascii=False)


def _payload(address: str) -> bytes:
    return json.dumps({"address": address}, ensure_ascii=False).encode("utf-8")


def _server_cpu(pid) -> float:
    """CPU seconds (user + system) the server process(es) have used so far (Linux ``/proc``)."""
    if isinstance(pid, (list, tuple)):
        return sum(_server_cpu(p) for p in pid)
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def _start_servers(port: int, data: str, args) -> list[subprocess.Popen]:
    """The server: one waitress process made here (the app as ``geo-enroll serve`` builds it,
    without its access log), or for ``--workers N`` the product's own ``geo-enroll serve
    --workers N`` (a gunicorn master and N gthread workers, the rate limit and login backoff
    shared through a file, the access log written as in production)."""
    if args.workers <= 1:
        extra = ["--switch-interval", str(args.switch_interval)] if args.switch_interval else []
        cmd = [sys.executable, __file__, "--serve", str(port), data, str(args.threads)] + extra
        return [subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    cmd = [sys.executable, "-m", "geo_enroll.cli", "serve", "--port", str(port), "--data", data]
    cmd += ["--workers", str(args.workers), "--threads", str(args.threads)]
    cmd += ["--lookups-per-minute", str(10**9)]
    env = dict(os.environ, GEO_ENROLL_ADMIN_PASSWORD="bench-only-password")
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(900):
        if len(_children(proc.pid)) == args.workers or proc.poll() is not None:
            break
        time.sleep(0.2)
    return [proc]


def _server_pids(servers: list[subprocess.Popen]) -> list[int]:
    """Every process serving: the master and its workers (gunicorn), or the one process."""
    return [p for s in servers for p in (s.pid, *_children(s.pid))]


def _load(port, paths, seconds, concurrency, keep=None, pid=None):
    """POST/GET ``paths`` (``(path, body or None)``) round-robin from ``concurrency`` threads
    for ``seconds``; an iterator instead of a list hands out each request once (``keep``: a
    set of positions whose answers are returned, for the agreement check)."""
    lat, errors, kept, stop = [], [], {}, time.perf_counter() + seconds
    lock = threading.Lock()
    feed = iter(paths) if not isinstance(paths, list) else None
    counter = itertools.count()

    def worker(k):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad, i = [], 0, k
        while time.perf_counter() < stop:
            if feed is None:
                path, payload = paths[i % len(paths)]
                i += concurrency
                pos = None
            else:
                with lock:
                    item = next(feed, None)
                    pos = next(counter)
                if item is None:
                    break
                path, payload = item
            t0 = time.perf_counter()
            try:
                if payload is None:
                    conn.request("GET", path)
                else:
                    conn.request("POST", path, body=payload, headers=_JSON)
                r = conn.getresponse()
                data = r.read()
                if r.status != 200:
                    bad += 1
                if keep is not None and pos in keep:
                    kept[pos] = data
            except Exception:  # noqa: BLE001 - counted as an error
                bad += 1
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append(time.perf_counter() - t0)
        with lock:
            lat.extend(mine)
            errors.append(bad)

    t0 = time.perf_counter()
    cpu0 = os.times()
    server0 = _server_cpu(pid) if pid else float("nan")
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(concurrency)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.perf_counter() - t0
    server_cpu = (_server_cpu(pid) - server0) if pid else float("nan")
    lat.sort()
    return {
        "rps": len(lat) / wall,
        "p50": lat[len(lat) // 2] * 1000,
        "p99": lat[int(len(lat) * 0.99)] * 1000,
        "n": len(lat),
        "errors": sum(errors),
        "client_cpu": (os.times().user - cpu0.user + os.times().system - cpu0.system)
        / max(wall, 1e-9),
        "kept": kept,
        "cpu_ms": server_cpu / max(len(lat), 1) * 1000,
    }


def _wrk(port, seconds, concurrency, pid, bodies: list[bytes] | None = None, offset: int = 0):
    """The same run through wrk (Debian's ``wrk``, C: a lighter client than this process's
    threads, so more of the 2 cores is left to the server): ``bodies`` POSTed to
    ``/api/lookup`` in order from ``offset`` (one wrk thread, ``concurrency`` connections),
    else GET ``/healthz``.  Answers are not kept: the caller checks a sample afterwards."""
    script = Path(__file__).with_name("wrk_lookup.lua")
    cmd = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "-s", str(script)]
    url = f"http://127.0.0.1:{port}" + ("" if bodies else "/healthz")
    with tempfile.NamedTemporaryFile("wb", suffix=".jsonl") as fh:
        if bodies:
            fh.write(b"\n".join(bodies) + b"\n")
            fh.flush()
        cmd += [url] + (["--", fh.name, "1", str(offset)] if bodies else [])
        cpu0, t0 = _server_cpu(pid), time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        wall = time.perf_counter() - t0
        server_cpu = _server_cpu(pid) - cpu0
    n = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": int(re.search(r"P50US (\d+)", out).group(1)) / 1000,
        "p99": int(re.search(r"P99US (\d+)", out).group(1)) / 1000,
        "n": n,
        "errors": (int(bad.group(1)) if bad else 0) + (sum(map(int, errs.groups())) if errs else 0),
        "client_cpu": float("nan"),
        "kept": {},
        "cpu_ms": server_cpu / max(n, 1) * 1000 if wall else float("nan"),
    }


def _cohort_addresses(spec: dict, *, seed: int = 3, primary: int = 400, middle: int = 200):
    from geo_enroll.placement.cohort import synth_cohort

    df = synth_cohort(spec, seed=seed, primary=primary, middle=middle)
    county = str(spec["policy"]["jurisdiction"])  # homes in the county (not hukou elsewhere)
    return sorted(
        {a for a in set(df["户籍地址"]) | set(df["实际居住地址"]) if a.startswith(county)}
    )


def _distinct_addresses(homes: list[str], n: int, skip: set[str]) -> list[str]:
    """``n`` new addresses: the homes' house numbers varied (1号 … ), none in ``skip``.

    >>> _distinct_addresses(["X镇Y街3号", "X镇Z村一社9号"], 4, {"X镇Y街1号"})
    ['X镇Z村一社1号', 'X镇Y街2号', 'X镇Z村一社2号', 'X镇Y街3号']
    """
    stems = sorted({m[1] for a in homes if (m := re.match(r"^(.*?)(\d+)号$", a))})
    out: list[str] = []
    seen = set(skip)
    for k in itertools.count(1):
        if len(out) >= n or not stems or k > 100_000:
            break
        for stem in stems:
            a = f"{stem}{k}号"
            if a not in seen:
                seen.add(a)
                out.append(a)
                if len(out) >= n:
                    break
    return out


def _dump(out: str) -> int:
    """The answer check: JSON of many lookups of both seed policies, cold then warmed."""
    import geopandas as gpd
    import numpy as np
    import shapely

    from geo_enroll.placement.cohort import synth_cohort
    from web import common as services
    from web.app import create_app

    t0 = time.perf_counter()
    coarse = {
        "taipusi_2024": [
            "太仆寺旗",
            "太仆寺旗宝昌镇",
            "太仆寺旗千斤沟镇",
            "内蒙古锡林郭勒盟太仆寺旗骆驼山镇",
        ],
        "yanqing_2023_multischool": ["延庆区", "北京市延庆区延庆镇", "延庆区香营乡"],
    }
    far = {
        "taipusi_2024": [
            "北京市海淀区中关村大街1号",
            "河北省张家口市康保县张纪镇",
            "abc",
            "宝昌镇不存在路999号",
        ],
        "yanqing_2023_multischool": [
            "内蒙古自治区锡林郭勒盟太仆寺旗宝昌镇",
            "上海市黄浦区南京东路1号",
        ],
    }
    with tempfile.TemporaryDirectory() as d:
        app = create_app(
            {
                "DATA_DIR": d,
                "POLICIES": list(_SEEDS),
                "RATE_LIMIT_PER_MINUTE": 10**9,
                "ACCESS_LOG": False,
                "SEED_COHORT": None,
            }
        )
        client = app.test_client()
        reqs: list[dict] = []
        for key in _SEEDS:
            with app.app_context():
                j = services.jurisdiction(key)
                v = services.current_version(j)
            df = synth_cohort(v["spec"], seed=3, basemap=j.ctx.basemap, primary=240, middle=120)
            addrs: set[str] = set()
            for col in ("户籍地址", "原户籍地址", "房产地址", "实际居住地址"):
                addrs |= {str(a) for a in df[col].dropna() if str(a).strip()}
            for a in sorted(addrs) + coarse[key] + far[key]:
                reqs.append({"address": a, "jurisdiction": key})
            # clicked points: a grid over the zones (else the schools), zone vertices (edges)
            feats = v["zones"].get("features") or []
            pick = np.zeros((0, 2))
            if feats:
                z = gpd.GeoDataFrame.from_features(feats, crs=4326)
                minx, miny, maxx, maxy = z.total_bounds
                verts = shapely.get_coordinates(z.geometry.values)
                pick = verts[:: max(1, len(verts) // 25)][:25]
            elif j.ctx.school_points is not None:
                minx, miny, maxx, maxy = j.ctx.school_points.to_crs(4326).total_bounds
            else:
                minx, miny, maxx, maxy = (115.9, 40.4, 116.1, 40.5)
            for gx in np.linspace(minx, maxx, 7):
                for gy in np.linspace(miny, maxy, 7):
                    pt = {"lon": round(float(gx), 7), "lat": round(float(gy), 7)}
                    reqs.append(pt | {"jurisdiction": key})
            for x, y in pick:
                reqs.append({"lon": float(x), "lat": float(y), "jurisdiction": key})
            reqs.append({"lon": float(maxx) + 0.5, "lat": float(maxy) + 0.5, "jurisdiction": key})
        # no jurisdiction named: picked from the address, or refused
        for a in (
            "太仆寺旗宝昌镇南郊社区察哈尔街1号",
            "延庆区延庆镇",
            "上海市黄浦区南京东路1号",
            "abc",
        ):
            reqs.append({"address": a})
        lines, status = [], {}
        for _round in ("cold", "warm"):
            for r in reqs:
                resp = client.post("/api/lookup", json=r)
                status[resp.status_code] = status.get(resp.status_code, 0) + 1
                lines.append(
                    _canon({"req": r, "status": resp.status_code, "body": resp.get_json()})
                )
    Path(out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(
        f"{len(lines)} lookups ({len(reqs)} distinct requests, cold and warm) written to {out} "
        f"in {time.perf_counter() - t0:.0f} s; status {dict(sorted(status.items()))}"
    )
    return 0


def _print(name: str, r: dict) -> None:
    print(
        f"{name:<22} {r['rps']:>8.0f} {r['p50']:>8.1f} {r['p99']:>8.1f} {r['n']:>9} "
        f"{r['errors']:>7} {r['client_cpu']:>7.2f} {r['cpu_ms']:>9.2f}"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addresses", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--threads", type=int, default=8, help="server threads per process")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes: N > 1 runs `geo-enroll serve --workers N` (gunicorn); both "
        "routes get the same",
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--distinct", type=int, default=40_000, help="distinct addresses made for the run"
    )
    parser.add_argument(
        "--client",
        choices=("python", "wrk"),
        default="python",
        help="load generator: this process's threads (default), or Debian's wrk (C, one thread: "
        "less of the 2 cores taken from the server)",
    )
    parser.add_argument("--dump", metavar="FILE", help="write the answer check and stop")
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
    if args.dump:
        return _dump(args.dump)
    if args.client == "wrk" and shutil.which("wrk") is None:
        parser.error("--client wrk needs Debian's wrk on PATH (apt-get install wrk)")
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f} at start"
    )
    spec = tomllib.loads((ROOT / "data/boundaries/taipusi_2024.toml").read_text("utf-8"))
    homes = _cohort_addresses(spec)
    addresses = homes[: args.addresses]
    paths = [("/api/lookup", _payload(a)) for a in addresses]
    distinct = _distinct_addresses(homes, args.distinct, set(homes))
    sample = set(range(0, len(distinct), 97))

    port = _free_port()
    with tempfile.TemporaryDirectory() as data:
        servers = _start_servers(port, data, args)
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
                for a, (path, payload) in zip(addresses, paths, strict=True):
                    conn.request("POST", path, body=payload, headers=_JSON)
                    r = conn.getresponse()
                    got = json.loads(r.read())
                    if r.status != 200 or not got.get("ok"):
                        print(f"FAILED: {r.status} {got.get('error')}", file=sys.stderr)
                        return 1
                    want = client.post("/api/lookup", json={"address": a}).get_json()
                    if _canon(got) != _canon(want):
                        print("DISAGREE: server answer differs from a fresh app's", file=sys.stderr)
                        return 1
                print(
                    f"agreement: {len(addresses)} addresses answered alike (whole JSON) by the "
                    "server and a fresh app"
                )
                pid = _server_pids(servers)
                if args.workers > 1:  # every worker warmed (its own caches), not measured
                    _load(port, paths, 3.0, args.concurrency * 2)
                    _load(port, [("/healthz", None)], 1.0, args.concurrency * 2)
                if args.client == "wrk":
                    bare = _wrk(port, args.seconds, args.concurrency, pid)
                    look = _wrk(port, args.seconds, args.concurrency, pid, [p for _, p in paths])
                    once = _wrk(
                        port, args.seconds, args.concurrency, pid, [_payload(a) for a in distinct]
                    )
                    # the sample asked again (each once more, after wrk's run computed it)
                    asked = [i for i in sorted(sample) if i < once["n"]]
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    for i in asked:
                        conn.request(
                            "POST", "/api/lookup", body=_payload(distinct[i]), headers=_JSON
                        )
                        once["kept"][i] = conn.getresponse().read()
                else:
                    bare = _load(
                        port, [("/healthz", None)], args.seconds, args.concurrency, pid=pid
                    )
                    look = _load(port, paths, args.seconds, args.concurrency, pid=pid)
                    feed = (("/api/lookup", _payload(a)) for a in distinct)
                    once = _load(port, feed, args.seconds, args.concurrency, keep=sample, pid=pid)
                checked = 0
                for pos, data in sorted(once["kept"].items()):
                    want = client.post("/api/lookup", json={"address": distinct[pos]}).get_json()
                    if _canon(json.loads(data)) != _canon(want):
                        print("DISAGREE: a distinct address answered differently", file=sys.stderr)
                        return 1
                    checked += 1
                print(f"agreement: {checked} sampled distinct addresses answered alike")
                if once["n"] >= len(distinct):
                    print("note: the distinct run used up its addresses (raise --distinct)")
        finally:
            for s in servers:
                s.terminate()
            for s in servers:
                s.wait()
    print(
        f"{'route':<22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'requests':>9} {'errors':>7} "
        f"{'client cores':>7} {'server CPU ms/request':>9}"
    )
    _print("/healthz", bare)
    _print("/api/lookup repeated", look)
    _print("/api/lookup distinct", once)
    print(f"load average {os.getloadavg()[0]:.1f} at the end (other jobs on the machine)")
    print(
        f"ratio: lookup / bare route = {look['rps'] / bare['rps']:.2f} repeated addresses, "
        f"{once['rps'] / bare['rps']:.2f} distinct addresses asked once "
        f"(concurrency {args.concurrency}, client {args.client}, {args.workers} server "
        f"process(es) × "
        f"{args.threads} threads"
        + (f", switch interval {args.switch_interval} s" if args.switch_interval else "")
        + ")"
    )
    print(
        f"ratio by server CPU per request (robust to other load): lookup / bare route = "
        f"{bare['cpu_ms'] / look['cpu_ms']:.2f} repeated, {bare['cpu_ms'] / once['cpu_ms']:.2f} "
        "distinct"
    )
    bad = look["errors"] + bare["errors"] + once["errors"]
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
