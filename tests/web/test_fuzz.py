"""Fuzz the whole service: every route, every role, hostile values, never a 5xx.

A seeded generator (deterministic: a failure names its seed and request) builds requests from
each route's own declaration (``view.input_schema``: the field names it reads) filled with
hostile values — wrong JSON types, lone surrogates, 20-digit and Arabic-Indic numbers, booleans
as ids, ``NaN``, deep nesting, control characters, open-redirect paths, undecodable bytes, bodies
that are not what their content type says — sent as JSON, urlencoded or multipart, with and
without the CSRF token, anonymously and as each role.  Every answer must be below 500, and every
error answered as JSON must be the one envelope.

The suite sends :data:`SUITE_REQUESTS`; ``benchmarks/fuzz_web.py`` runs the same generator for
longer and prints its count.
"""

from __future__ import annotations

import gc
import io
import json
import random
import re
import sys
import time
from collections import Counter
from urllib.parse import quote

from .conftest import ROLES, csrf, login, make_app

SUITE_REQUESTS = 2100
SEED = 15

_INTS = [
    0,
    -1,
    1,
    2,
    99999999999999999999,
    2**63,
    2**53,
    True,
    False,
    1.9,
    1.0,
    -0.0,
    1e308,
]
_STRINGS = [
    "",
    " ",
    "x",
    "1",
    "٣",
    "１",
    "1.9",
    "1e3",
    "true",
    "null",
    "NaN",
    "-1",
    "99999999999999999999",
    "\ud800",
    "a\udfffb",
    "\x00",
    "\n\r\t",
    "玩具镇横街61号",
    "玩" * 3000,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "/\n/x",
    "/\t/evil.example",
    "//evil.example",
    "/%0A/x",
    "/\\evil",
    "http://evil.example/",
    "toy",
    "placement",
    "montecarlo",
    "upheld",
    "changed",
    "zh",
    "en",
    "json",
    "2024-02-30",
    "2024-08-01",
]
_PATH_VALUES = [
    "1",
    "2",
    "0",
    "99999999999999999999",
    "9007199254740992",
    "٣",
    "x",
    "-1",
    "1.5",
    "%00",
    "%0A",
    "%ED%A0%80",
    "%FF",
    "toy-p1",
    "a" * 300,
    "..%2F..",
]
_RAW_BODIES = [
    b"",
    b"{",
    b"[" * 5000,
    b"[" * 100_000 + b"]" * 100_000,
    b"NaN",
    b"\xff\xfe\xfd",
    b'{"a": "\\ud800"}',
    b"null",
    b"[]",
    b"1",
    b'"s"',
    b'{"a": 1' + b"0" * 5000 + b"}",
    b"a=1&b=%FF&c=\xc3",
]


_FILES = [
    (b"", "a.csv"),
    (b"\xff\xfe\x00\x01", "a.csv"),
    (b"PK\x03\x04not a zip", "a.xlsx"),
    ("姓名,身份证号,户籍地址\n张三,152527201801011234,玩具镇横街61号\n".encode(), "a.csv"),
    ("姓名,身份证号\n张三,x\n".encode("gbk"), "a.csv"),
    (b'{"type": "FeatureCollection", "features": [1]}', "zones.geojson"),
    (b"not a geopackage", "zones.gpkg"),
    (b"PK\x03\x04", "zones.zip"),
    (b"a,b", "../../etc/passwd"),
    (b"x" * 20000, "a.kml"),
]


def _deep(n: int):
    out: list = []
    for _ in range(n):
        out = [out]
    return out


_PLAUSIBLE = {
    "version_id": 1,
    "cohort_id": 1,
    "parent_id": 1,
    "seed": 7,
    "draws": 2,
    "kind": "placement",
    "of_record": True,
    "outcome": "changed",
    "new_school": "西小学",
    "override_seats": True,
    "reason": "复核",
    "message": "修改",
    "jurisdiction": "toy",
    "lang": "en",
    "next": "/planner/",
    "address": "玩具镇横街61号",
    "lon": 115.002,
    "lat": 41.002,
    "a": 1,
    "b": 1,
    "username": "planner",
    "role": "planner",
    "confirm": True,
    "school": "西小学",
    "date": "2024-08-01",
    "label": "名单",
}


def _value(rng: random.Random, name: str = ""):
    """A hostile value, or (one time in three) a plausible one, so that requests also get past
    the validation into the services with the hostile rest."""
    if name in _PLAUSIBLE and rng.random() < 0.35:
        return _PLAUSIBLE[name]
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(_STRINGS)
    if roll < 0.6:
        return rng.choice(_INTS)
    if roll < 0.7:
        return None
    if roll < 0.8:
        return rng.choice([[1], ["admin"], {"a": 1}, [], {}, _deep(40), {"type": "x"}])
    if roll < 0.9:
        return {"type": "FeatureCollection", "features": rng.choice([[1], [{}], [{"geometry": 5}]])}
    return "".join(chr(rng.randrange(0, 0x3000)) for _ in range(rng.randrange(1, 12)))


def _fields(view) -> list[str]:
    schema = getattr(view, "input_schema", None) or {}
    names = set((schema.get("body") or {}) | (schema.get("query") or {}))
    return sorted(names) + ["csrf_token", "next", "jurisdiction", "unknown"]


def _form_value(value) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value) if not isinstance(value, (int, float)) else str(value)


def _quote(value) -> str:
    """A query value as the bytes a client would send (a lone surrogate as its CESU bytes)."""
    return quote(_form_value(value).encode("utf-8", "surrogatepass"), safe="")


def cases(app, rng: random.Random):
    """Endless ``(endpoint, method, url, kwargs)`` requests, cycling over every route of
    ``app``."""
    rules = [
        (rule, method)
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]
    i = 0
    while True:  # every route in turn (each role meets each route), the values at random
        rule, method = rules[i % len(rules)]
        i += 1
        url = re.sub(
            r"<(?:\w+:)?\w+>",
            lambda _m: "1" if rng.random() < 0.4 else rng.choice(_PATH_VALUES),
            rule.rule,
        )
        names = _fields(app.view_functions[rule.endpoint])
        picked = rng.sample(names, k=rng.randrange(0, min(len(names), 5) + 1))
        fields = {n: _value(rng, n) for n in picked}
        if rng.random() < 0.5:
            q = "&".join(
                f"{n}={_quote(_value(rng, n)) if rng.random() < 0.5 else rng.choice(_PATH_VALUES)}"
                for n in picked[:3]
            )
            url += "?" + q if q else ""
        headers = {"Accept": rng.choice(["application/json", "text/html", "*/*"])}
        kwargs: dict = {"headers": headers}
        if rng.random() < 0.04:  # a method the route does not take, or HEAD/OPTIONS
            method = rng.choice(["HEAD", "OPTIONS", "PUT", "PATCH", "DELETE", "PROPFIND"])
        if method != "GET":
            style = rng.random()
            if style < 0.45:
                body = json.dumps(fields, ensure_ascii=rng.random() < 0.5)
                kwargs |= {"data": body.encode("utf-8", "surrogatepass")}
                kwargs["content_type"] = "application/json"
            elif style < 0.75:
                pairs = "&".join(
                    f"{k}={_form_value(v)}" for k, v in fields.items() if k != "csrf_token"
                )
                kwargs |= {
                    "data": pairs.encode("utf-8", "surrogatepass"),
                    "content_type": "application/x-www-form-urlencoded",
                }
            elif style < 0.85:
                data = {k: _form_value(v) for k, v in fields.items()}
                if rng.random() < 0.5:
                    blob, name = rng.choice(_FILES)
                    data["file"] = (io.BytesIO(blob), name)
                kwargs |= {"data": data, "content_type": "multipart/form-data"}
            else:
                kwargs |= {
                    "data": rng.choice(_RAW_BODIES),
                    "content_type": rng.choice(
                        ["application/json", "application/x-www-form-urlencoded", "text/plain"]
                    ),
                }
            if isinstance(kwargs.get("data"), dict):
                kwargs["data"] = {
                    k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
                    if isinstance(v, str)
                    else v
                    for k, v in kwargs["data"].items()
                }
        yield rule.endpoint, method, url, kwargs


def run(n: int, *, seed: int = SEED, tmp_path=None, app=None) -> dict:
    """Send ``n`` fuzzed requests spread over anonymous and every role; the tallies."""
    app = app or make_app(tmp_path, RATE_LIMIT_PER_MINUTE=10**9, LOGIN_BACKOFF_AFTER=10**9)
    app.config["LOGIN_ATTEMPTS_PER_MINUTE"] = 10**9
    app.config["LOGIN_ATTEMPTS_PER_MINUTE_PER_CLIENT"] = 10**9
    rng = random.Random(seed)
    clients = []
    for role in (None, *ROLES):
        c = app.test_client()
        token = login(c, role) if role else csrf(c)
        clients.append((role, c, token))
    gen = cases(app, rng)
    routes = sum(len(r.methods - {"HEAD", "OPTIONS"}) for r in app.url_map.iter_rules())
    status: Counter = Counter()
    failures: list[str] = []
    seen: set[tuple[str, str | None]] = set()
    unraisable: list = []  # a file or socket a request left open, and the like
    hook, sys.unraisablehook = sys.unraisablehook, lambda u: unraisable.append(u.exc_value)
    t0 = time.monotonic()
    try:
        for sent in range(n):
            endpoint, method, url, kwargs = next(gen)
            role, c, token = clients[(sent // routes) % len(clients)]
            seen.add((endpoint, role))
            failure = _send(c, token, rng, method, url, kwargs, status)
            if failure:
                failures.append(f"#{sent + 1} {role} {failure}")
        gc.collect()
    finally:
        sys.unraisablehook = hook
    return {
        "requests": sum(status.values()),
        "seconds": time.monotonic() - t0,
        "status": dict(sorted(status.items())),
        "failures": failures + [f"unraisable: {e!r}" for e in unraisable],
        "pairs": seen,
        "endpoints": {r.endpoint for r in app.url_map.iter_rules()},
    }


def _send(c, token, rng, method, url, kwargs, status) -> str | None:
    """Send one request; a description of what went wrong, or None."""
    if rng.random() < 0.9:
        kwargs["headers"] = kwargs["headers"] | {"X-CSRF-Token": token}
    if url.startswith("/logout"):
        url = "/logout?format=json"  # keep the session: send it without its token
        kwargs["headers"].pop("X-CSRF-Token", None)
    r = c.open(url, method=method, **kwargs)
    status[r.status_code] += 1
    ok = r.status_code < 500
    if ok and r.status_code >= 400 and r.is_json and method != "HEAD":  # (HEAD: no body)
        d = r.get_json(silent=True)
        ok = (
            isinstance(d, dict)
            and d.get("ok") is False
            and d.get("status") == r.status_code
            and isinstance(d.get("error"), str)
            and isinstance(d.get("errors"), list)
        )
    r.close()
    return None if ok else f"{method} {url[:120]} → {r.status_code}"


def test_fuzz_every_route_and_role_no_5xx(tmp_path):
    out = run(SUITE_REQUESTS, tmp_path=tmp_path)
    assert out["requests"] >= 2000
    # every route met every role (and anonymous)
    missing = {(e, r) for e in out["endpoints"] for r in (None, *ROLES)} - out["pairs"]
    assert not missing, sorted(missing, key=str)[:10]
    assert not out["failures"], "\n".join(out["failures"][:30])
    # the generator reached past the door: refusals of every kind and some real answers
    codes = set(out["status"])
    assert {400, 422}.issubset(codes) and any(200 <= c < 400 for c in codes), out["status"]
