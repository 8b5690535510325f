"""The web service under a longer fuzz run than the suite's: every route, every role, no 5xx.

    .venv/bin/python benchmarks/fuzz_web.py                    # 10 000 requests, seeds 1…4
    .venv/bin/python benchmarks/fuzz_web.py --requests 50000 --seeds 10
    .venv/bin/python benchmarks/fuzz_web.py --served --requests 3000   # through waitress, over TCP

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


def run_served(n: int, *, seed: int, tmp_path: Path) -> dict:
    """The same generated requests, serialised to bytes and sent over TCP to the app under
    waitress (the server ``geo-enroll serve`` runs), with each role's session cookie."""
    import http.client
    import json
    import random
    import threading
    import time
    from urllib.parse import quote

    import waitress
    from werkzeug.test import EnvironBuilder

    from tests.web.conftest import PASSWORD, ROLES, make_app
    from tests.web.test_fuzz import cases

    app = make_app(tmp_path, RATE_LIMIT_PER_MINUTE=10**9, LOGIN_BACKOFF_AFTER=10**9)
    app.config["LOGIN_ATTEMPTS_PER_MINUTE"] = 10**9
    app.config["LOGIN_ATTEMPTS_PER_MINUTE_PER_CLIENT"] = 10**9
    srv = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    port = srv.effective_port

    def loop():
        try:
            srv.run()
        except OSError:  # the listening socket closed under the loop at the end
            pass

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()

    def send(method, path, body=b"", headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            headers = dict(headers or {})
            if body and "Content-Length" not in headers:
                headers["Content-Length"] = str(len(body))
            for k, v in headers.items():
                conn.putheader(k, v)
            conn.endheaders(body or None)
            r = conn.getresponse()
            return r.status, r.getheader("Set-Cookie"), r.getheader("Content-Type") or "", r.read()
        finally:
            conn.close()

    def session(role):
        _, cookie, _, data = send("GET", "/api/session")
        cookie = cookie.split(";")[0]
        token = json.loads(data)["csrf_token"]
        if role:
            body = json.dumps({"username": role, "password": PASSWORD}).encode()
            h = {"Cookie": cookie, "X-CSRF-Token": token, "Content-Type": "application/json"}
            status, new, _, data = send("POST", "/login", body, h)
            assert status == 200, data[:200]
            cookie, token = new.split(";")[0], json.loads(data)["csrf_token"]
        return role, cookie, token

    rng = random.Random(seed)
    sessions = [session(role) for role in (None, *ROLES)]
    routes = sum(len(r.methods - {"HEAD", "OPTIONS"}) for r in app.url_map.iter_rules())
    gen = cases(app, rng)
    statuses, failures = Counter(), []
    t0 = time.monotonic()
    try:
        for i in range(n):
            _endpoint, method, url, kwargs = next(gen)
            role, cookie, token = sessions[(i // routes) % len(sessions)]
            if url.startswith("/logout"):
                continue
            b = EnvironBuilder(
                path=url,
                method=method,
                headers=kwargs["headers"],
                data=kwargs.get("data"),
                content_type=kwargs.get("content_type"),
            )
            env = b.get_environ()
            body = env["wsgi.input"].read()
            b.close()
            safe = "/%:@!$&'()*+,;=-._~?"
            path = quote(env["PATH_INFO"].encode("latin-1"), safe=safe)
            if env.get("QUERY_STRING"):
                path += "?" + quote(env["QUERY_STRING"].encode("latin-1"), safe=safe)
            headers = dict(kwargs["headers"]) | {"Cookie": cookie, "X-CSRF-Token": token}
            if env.get("CONTENT_TYPE"):
                headers["Content-Type"] = env["CONTENT_TYPE"]
            if body or method not in ("GET", "HEAD"):
                headers["Content-Length"] = str(len(body))
            status, _, ctype, data = send(method, path, body, headers)
            statuses[status] += 1
            ok = 0 < status < 500
            if ok and status >= 400 and "json" in ctype and method != "HEAD":
                d = json.loads(data)
                ok = d.get("ok") is False and d.get("status") == status
            if not ok:
                failures.append(f"#{i + 1} {role} {method} {path[:120]} → {status}")
    finally:
        srv.close()
        thread.join(timeout=5)
    return {
        "requests": sum(statuses.values()),
        "seconds": time.monotonic() - t0,
        "status": dict(sorted(statuses.items())),
        "failures": failures,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", type=int, default=10_000, help="total requests (default 10000)")
    p.add_argument("--seeds", type=int, default=4, help="apps/seeds to spread them over")
    p.add_argument("--served", action="store_true", help="over TCP through waitress")
    args = p.parse_args(argv)
    warnings.simplefilter("error")  # as the suite: a warning inside a request is a failure

    from tests.web.test_fuzz import run

    per_seed = max(1, args.requests // args.seeds)
    total, seconds, statuses, failures = 0, 0.0, Counter(), []
    for seed in range(1, args.seeds + 1):
        with tempfile.TemporaryDirectory() as tmp:
            out = (run_served if args.served else run)(per_seed, seed=seed, tmp_path=Path(tmp))
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
