"""``geo-enroll serve --workers 2``: two gunicorn processes on one port, one service.

A real gunicorn master with two gthread workers on the 太仆寺旗 2024 default.  Every request
goes on a new connection, so the kernel hands them to either worker; the checks are that both
workers answer, and that what must be one thing is one: a sign-in made on one worker holds on
the other, a client's lookup allowance is the configured one in all (each worker admits its
share, never a whole one), and an account's failed logins count together."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from web.context import default_spec_path

from .test_serve import _free_port, _get, _lookup, _send

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Workers-test-pass-9"
PER_MINUTE = 20


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    if not Path("/proc/self/task").exists():
        pytest.skip("needs Linux /proc to see the worker processes")
    if not default_spec_path().exists():
        pytest.skip(f"default spec {default_spec_path()} not built yet (geo-enroll parse)")
    pytest.importorskip("gunicorn", reason="gunicorn is a dependency: run `make setup`")
    data = tmp_path_factory.mktemp("workers")
    port = _free_port()
    env = dict(os.environ, GEO_ENROLL_ADMIN_PASSWORD=PASSWORD, PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "geo_enroll.cli", "serve", "--port", str(port)]
    cmd += ["--data", str(data), "--workers", "2", "--threads", "2"]
    cmd += ["--lookups-per-minute", str(PER_MINUTE)]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    workers: list[int] = []
    while time.monotonic() < deadline and proc.poll() is None:
        workers = _children(proc.pid)
        try:
            if len(workers) == 2 and _get(base + "/healthz")[0] == 200:
                break
        except OSError:
            pass
        time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail(f"serve --workers 2 did not start: {proc.communicate()[1][-2000:]}")
    # both workers have built their app (each answers /healthz only when it has)
    for _ in range(60):
        for _ in range(10):
            _get(base + "/healthz")
        time.sleep(0.5)
        if all(_cpu(w) > 0 for w in workers):
            break
    yield port, proc, workers, data
    proc.terminate()
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    assert PASSWORD not in err and "察哈尔街" not in err


def test_two_worker_processes_answer_the_same_port(served):
    port, proc, workers, data = served
    assert len(workers) == 2 and proc.pid not in workers
    before = [_cpu(w) for w in workers]
    for _ in range(300):
        assert _send(port, "GET", "/healthz")[0] == 200
    after = [_cpu(w) for w in workers]
    assert all(a > b for a, b in zip(after, before, strict=True)), (before, after)
    assert (data / "throttle.sqlite").exists()


def test_a_sign_in_on_one_worker_holds_on_the_other(served):
    port = served[0]
    status, headers, body = _send(port, "GET", "/api/session")
    cookie, token = headers["Set-Cookie"].split(";")[0], json.loads(body)["csrf_token"]
    status, headers, body = _send(
        port,
        "POST",
        "/login",
        {"username": "admin", "password": PASSWORD},
        {"Cookie": cookie, "X-CSRF-Token": token},
    )
    assert status == 200, body[:300]
    cookie = headers["Set-Cookie"].split(";")[0]
    # each on a new connection: both workers see the session (it lives in the store)
    codes = [_send(port, "GET", "/api/versions", headers={"Cookie": cookie})[0] for _ in range(20)]
    assert codes == [200] * 20
    assert _send(port, "GET", "/api/versions")[0] == 401


def test_one_lookup_allowance_across_the_workers(served):
    """20 lookups a minute per client, split between 2 workers (10 each): of 60 lookups, at
    most 20 pass in all, whichever worker answers — and at least one worker's share.  (With a
    whole allowance per worker, 60 lookups reaching both would pass more than 20.)"""
    port = served[0]
    base = f"http://127.0.0.1:{port}"
    codes = [_lookup(base, "太仆寺旗千斤沟镇东滩村")[0] for _ in range(60)]
    passed = codes.count(200)
    assert set(codes) == {200, 429}
    assert PER_MINUTE // 2 <= passed <= PER_MINUTE, codes
    status, headers, body = _lookup(base, "太仆寺旗千斤沟镇东滩村")
    assert status == 429 and int(headers["Retry-After"]) >= 1
    assert json.loads(body)["ok"] is False


def test_failed_logins_of_an_account_count_together(served):
    """After 5 failures (LOGIN_BACKOFF_AFTER), the account waits, whichever worker is asked."""
    port = served[0]
    status, headers, body = _send(port, "GET", "/api/session")
    cookie, token = headers["Set-Cookie"].split(";")[0], json.loads(body)["csrf_token"]
    auth = {"Cookie": cookie, "X-CSRF-Token": token}
    codes = [
        _send(port, "POST", "/login", {"username": "nobody", "password": "wrong"}, auth)[0]
        for _ in range(8)
    ]
    assert codes[:5] == [401] * 5 and codes[5:] == [429] * 3, codes
