"""Hostile input: the 21 reproducers of issue 15 and the defences added for them.

Every reproducer once answered 500.  Each now answers the one error envelope
``{"ok": false, "error", "errors", "status"}`` with 400 (the request cannot be read), 413 (too
large) or 422 (readable, but its fields are not what the route declares), and the HTML twin
renders the Chinese error page with the same status.

The issue's reproducers and where they are tested:

* deep JSON (``[[[[…]]]]`` 100k deep) on ``/``, ``/api/lookup``, ``/login``, ``/lang``,
  ``/admin/users`` → 400 (``test_deep_json_…``, five cases);
* wrong JSON types ``{"address": 5}``, ``{"jurisdiction": [1]}``, ``{"username": ["admin"]}`` →
  422 (``test_wrong_json_types_are_422``); lone surrogates ``"\ud800"`` → 400;
* a 20-digit id in any route → 422 (``test_a_20_digit_id_in_any_route_is_422``, every route);
* ``parent_id``/``cohort_id``/``version_id`` = ``"x"`` → 422 (``test_non_integer_ids_are_422``);
* ``next=/%0A/x`` on ``/lang``, ``/jurisdiction``, ``/login`` → 422, and ``/%09/evil.example``
  never becomes ``Location: //evil.example`` (``test_next_must_be_a_path_on_this_site``);
* loose coercion ``"٣"``, ``true``, ``1.9`` → 422 (``test_loose_ids_and_seeds_are_refused``);
* a form body with one invalid UTF-8 byte → 400 and nothing runs on defaults
  (``test_undecodable_form_is_400_and_nothing_runs``, ``test_state_changing_routes_need_…``);
* logout ends the session server-side; per-account backoff; X-Forwarded-For only from
  configured proxies; idempotency keys; data files 0600; an access log without query strings.
"""

from __future__ import annotations

import re
import stat

import pytest

from .conftest import PASSWORD, csrf, login, make_app
from .test_browser import run_until_closed
from .test_routes import _moved_zones

DEEP = "[" * 100_000 + "]" * 100_000
RECORD = {"version_id": 1, "cohort_id": 1, "seed": 7}


def _envelope(r, *statuses):
    """The response is the JSON error envelope with one of ``statuses``."""
    assert r.status_code in statuses, (r.status_code, r.get_data(as_text=True)[:300])
    d = r.get_json()
    assert d["ok"] is False and d["status"] == r.status_code
    assert isinstance(d["error"], str) and d["error"] and isinstance(d["errors"], list)
    return d


@pytest.fixture
def admin(app):
    c = app.test_client()
    return c, {"X-CSRF-Token": login(c, "admin")}


# ---------------------------------------------------------------------------- 1-5 deep JSON


@pytest.mark.parametrize("url", ["/", "/api/lookup", "/login", "/lang", "/admin/users"])
def test_deep_json_is_refused_not_a_recursion_error(admin, url):
    c, h = admin
    r = c.post(url, data=DEEP, content_type="application/json", headers=h)
    d = _envelope(r, 400)
    assert "嵌套" in d["error"]


def test_json_nested_just_past_the_limit_is_refused_and_zones_depth_is_fine(admin):
    from web.validation import MAX_DEPTH

    c, h = admin
    body = '{"address": ' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}"
    _envelope(c.post("/api/lookup", data=body, content_type="application/json"), 400)
    zones = c.get("/api/versions/1").get_json()["zones"]  # a real zone layer: accepted
    r = c.post("/api/versions/1/preview", json={"zones": zones}, headers=h)
    assert r.status_code == 200, r.get_json()


# ---------------------------------------------------------------------------- 6-9 JSON types


@pytest.mark.parametrize(
    "url,body",
    [
        ("/api/lookup", {"address": 5}),
        ("/api/lookup", {"address": ["玩具镇"]}),
        ("/api/lookup", {"jurisdiction": [1]}),
        ("/api/lookup", {"lon": "115", "lat": True}),
        ("/", {"address": {"a": 1}}),
        ("/jurisdiction", {"jurisdiction": [1]}),
        ("/login", {"username": ["admin"], "password": PASSWORD}),
        ("/login", {"username": "admin", "password": 12345678901}),
        ("/lang", {"lang": ["en"]}),
        ("/admin/users", {"username": ["x"], "password": "long enough pw", "role": "planner"}),
        ("/api/versions", {"parent_id": 1, "message": "m", "zones": {"features": [1]}}),
        ("/api/versions", {"parent_id": 1, "message": "m", "spec": []}),
        ("/api/versions/1/preview", {"zones": {"type": "FeatureCollection", "features": [1]}}),
        ("/staff/appeals/1/decision", {"outcome": ["upheld"], "reason": "r"}),
    ],
)
def test_wrong_json_types_are_422(admin, url, body):
    c, h = admin
    d = _envelope(c.post(url, json=body, headers=h), 422)
    assert d["errors"] and all(":" in e for e in d["errors"])  # each problem names its field


@pytest.mark.parametrize(
    "url,body",
    [
        ("/api/lookup", '{"address": "\\ud800"}'),
        ("/", '{"address": "玩具镇\\udfff"}'),
        ("/login", '{"username": "\\ud800", "password": "x"}'),
        ("/api/versions", '{"parent_id": 1, "message": "\\udc00"}'),
        ("/api/versions", '{"parent_id": 1, "message": "m", "spec": {"\\ud800": 1}}'),
    ],
)
def test_lone_surrogates_are_400(admin, url, body):
    c, h = admin
    d = _envelope(c.post(url, data=body, content_type="application/json", headers=h), 400)
    assert "surrogate" in d["error"]


@pytest.mark.parametrize(
    "raw", [b"{", b"NaN", b'{"lon": NaN}', b'{"a": 1' + b"9" * 5000 + b"}", b"\xff\xfe{}", b""]
)
def test_unreadable_json_is_400(admin, raw):
    c, h = admin
    _envelope(c.post("/api/lookup", data=raw, content_type="application/json", headers=h), 400)


def test_a_json_body_must_be_an_object(admin):
    c, h = admin
    _envelope(c.post("/api/versions", json=[1, 2], headers=h), 400)


# ---------------------------------------------------------------------------- 10 huge ids


def test_a_20_digit_id_in_any_route_is_422(app, admin):
    c, h = admin
    urls = []
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = re.sub(r"<int:\w+>", "99999999999999999999", rule.rule)
            url = re.sub(r"<(?:\w+:)?\w+>", "x", url)
            r = c.open(url, method=method, json={}, headers=h | {"Accept": "application/json"})
            _envelope(r, 422)
            urls.append(url)
    assert len(urls) >= 15  # every id-taking route was tried


@pytest.mark.parametrize("path", ["/api/versions/0", "/api/versions/9007199254740992"])
def test_ids_outside_the_id_range_are_422(admin, path):
    c, _ = admin
    _envelope(c.get(path), 422)


# ---------------------------------------------------------------------------- 11-13 ids as text


@pytest.mark.parametrize(
    "url,body",
    [
        ("/api/versions", {"parent_id": "x", "message": "m"}),
        ("/api/runs", {"kind": "placement", "cohort_id": "x"}),
        ("/api/runs", {"kind": "placement", "version_id": "x"}),
        ("/api/versions/1/preview", {"cohort_id": "x"}),
        ("/api/cohorts", {"seed": 1, "version_id": "x"}),
        ("/staff/record", {"version_id": "x", "cohort_id": 1, "seed": 7}),
    ],
)
def test_non_integer_ids_are_422(admin, url, body):
    c, h = admin
    d = _envelope(c.post(url, json=body, headers=h), 422)
    assert any("整数" in e for e in d["errors"])


def test_non_integer_query_ids_are_422(admin):
    c, _ = admin
    for q in ("a=x&b=1", "a=1&b=1.5", "a=1", "a=%D9%A3&b=1"):
        _envelope(c.get(f"/api/versions/diff?{q}"), 422)


# ---------------------------------------------------------------------------- 14-16, 19 next=


@pytest.mark.parametrize(
    "nxt",
    ["/\n/x", "/\t/evil.example", "//evil.example", "/\\evil", "http://e", "/..//evil.example"],
)
def test_next_must_be_a_path_on_this_site(app, nxt):
    c = app.test_client()
    token = csrf(c)
    posts = [
        ("/lang", {"lang": "en", "next": nxt}),
        ("/jurisdiction", {"jurisdiction": "toy", "next": nxt}),
        ("/login", {"username": "planner", "password": PASSWORD, "next": nxt}),
    ]
    for url, form in posts:
        r = c.post(url, data=form | {"csrf_token": token}, headers={"Accept": "text/html"})
        assert r.status_code == 422 and "Location" not in r.headers, (url, r.status_code)
        assert "请求参数有误" in r.get_data(as_text=True)  # the Chinese error page
    r = c.get("/login", query_string={"next": nxt})
    assert r.status_code == 422 and "Location" not in r.headers


def test_a_good_next_is_followed(app):
    c = app.test_client()
    token = csrf(c)
    form = {"username": "planner", "password": PASSWORD, "next": "/planner/", "csrf_token": token}
    r = c.post("/login", data=form)
    assert r.status_code == 302 and r.headers["Location"] == "/planner/"


def test_the_login_redirect_never_carries_a_control_character(app):
    r = app.test_client().get("/planner/versions/1%0A")
    assert r.status_code in (302, 404)
    assert "\n" not in r.headers.get("Location", "")


# ---------------------------------------------------------------------------- 17 loose coercion


@pytest.mark.parametrize("bad", ["٣", True, 1.9, 1.0, "1.0", " 1", "1e3", -1, "", None, [1]])
def test_loose_ids_and_seeds_are_refused(admin, bad):
    c, h = admin
    before = len(c.get("/api/runs").get_json()["runs"])
    for field in ("version_id", "cohort_id", "seed"):
        body = {"kind": "placement", "of_record": True} | RECORD | {field: bad}
        r = c.post("/api/runs", json=body, headers=h)
        _envelope(r, 422)
    assert len(c.get("/api/runs").get_json()["runs"]) == before  # nothing ran


def test_form_ids_must_be_ascii_digits(admin):
    c, h = admin
    token = h["X-CSRF-Token"]
    for bad in ("٣", "1.9", "true", "１"):  # Arabic-Indic, decimal, word, full-width
        form = {"version_id": bad, "cohort_id": "1", "seed": "7", "csrf_token": token}
        r = c.post("/staff/record", data=form)
        assert r.status_code == 422 and "请求参数有误" in r.get_data(as_text=True)
    ok = {"version_id": "1", "cohort_id": "1", "seed": "7", "csrf_token": token}
    assert c.post("/staff/record", data=ok).status_code == 302


# ---------------------------------------------------------------------------- 18 UTF-8 forms


@pytest.mark.parametrize(
    "raw",
    [b"version_id=1&cohort_id=1&seed=7&x=\xff", b"version_id=1&cohort_id=1&seed=%FF", b"\xc3"],
)
def test_undecodable_form_is_400_and_nothing_runs(admin, raw):
    c, h = admin
    before = len(c.get("/api/runs").get_json()["runs"])
    r = c.post(
        "/staff/record",
        data=raw,
        content_type="application/x-www-form-urlencoded",
        headers=h | {"Accept": "application/json"},
    )
    d = _envelope(r, 400)
    assert "UTF-8" in d["error"]
    assert len(c.get("/api/runs").get_json()["runs"]) == before


def test_an_undecodable_form_from_a_page_gets_the_chinese_error_page(admin):
    c, h = admin
    raw = b"csrf_token=" + h["X-CSRF-Token"].encode() + b"&version_id=1&cohort_id=1&seed=7\xff"
    r = c.post(
        "/staff/record",
        data=raw,
        content_type="application/x-www-form-urlencoded",
        headers={"Accept": "text/html"},
    )
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and r.mimetype == "text/html"
    assert "<h1>400 · 表单不是 UTF-8 编码" in page and "Traceback" not in page


def test_undecodable_multipart_field_is_400(admin):
    c, h = admin
    boundary = "b0undary"
    raw = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="seed"\r\n\r\n'.encode()
        + b"\xff\xfe"
        + f"\r\n--{boundary}--\r\n".encode()
    )
    r = c.post(
        "/api/cohorts",
        data=raw,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=h,
    )
    _envelope(r, 400)


def test_state_changing_routes_need_their_fields(admin):
    c, h = admin
    token = h["X-CSRF-Token"]
    for url in ("/staff/record", "/analyst/runs"):
        r = c.post(url, data={"csrf_token": token}, headers={"Accept": "application/json"})
        d = _envelope(r, 422)
        assert {e.split(":")[0] for e in d["errors"]} >= {"version_id", "cohort_id", "seed"}
    d = _envelope(c.post("/api/runs", json={"of_record": True}, headers=h), 422)
    assert len(d["errors"]) == 3
    _envelope(c.post("/api/cohorts", json={}, headers=h), 422)
    _envelope(c.post("/jurisdiction", json={}, headers=h), 422)


# ---------------------------------------------------------------------------- 413


def test_oversized_bodies_are_413(tmp_path):
    app = make_app(tmp_path, MAX_CONTENT_LENGTH=1000)
    c = app.test_client()
    _envelope(c.post("/api/lookup", json={"address": "玩" * 2000}), 413)


# ---------------------------------------------------------------------------- 20 logout


def test_a_cookie_saved_before_logout_is_dead_after_it(app):
    c = app.test_client()
    token = login(c, "planner")
    saved = c.get_cookie("geo_enroll_session").value
    assert c.get("/planner/").status_code == 200
    assert c.post("/logout", headers={"X-CSRF-Token": token}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("geo_enroll_session", saved)
    assert thief.get("/planner/").status_code == 302  # to the login page
    assert thief.get("/api/versions").status_code == 401


def test_a_new_login_ends_the_previous_session_of_that_browser(app):
    c = app.test_client()
    login(c, "planner")
    first = c.get_cookie("geo_enroll_session").value
    login(c, "planner")
    other = app.test_client()
    other.set_cookie("geo_enroll_session", first)
    assert other.get("/api/versions").status_code == 401
    assert c.get("/api/versions").status_code == 200


def test_sessions_store_only_a_hash_of_the_id(app):
    c = app.test_client()
    login(c, "staff")
    store = app.extensions["geo_store"]
    rows = store._all("SELECT * FROM sessions")
    assert len(rows) == 1 and len(rows[0]["sid_sha256"]) == 64
    assert rows[0]["username"] == "staff"


# ---------------------------------------------------------------------------- 21 throttling


def _attempt(c, token, user, password="wrong password", addr="192.0.2.1", xff=None):
    headers = {"X-CSRF-Token": token}
    if xff:
        headers["X-Forwarded-For"] = xff
    return c.post(
        "/login",
        json={"username": user, "password": password},
        headers=headers,
        environ_base={"REMOTE_ADDR": addr},
    ).status_code


def test_an_account_backs_off_from_every_address_but_others_can_log_in(tmp_path):
    app = make_app(tmp_path, LOGIN_BACKOFF_AFTER=3, LOGIN_ATTEMPTS_PER_MINUTE=100)
    c = app.test_client()
    token = csrf(c)
    codes = [_attempt(c, token, "staff", addr=f"198.51.100.{i}") for i in range(5)]
    assert codes[:3] == [401, 401, 401] and codes[3] == 429  # rotating addresses do not help
    r = c.post(
        "/login",
        json={"username": "staff", "password": "x"},
        headers={"X-CSRF-Token": token},
        environ_base={"REMOTE_ADDR": "198.51.100.9"},
    )
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert "秒后再试" in r.get_json()["error"]
    # the real user of another account on the guesser's address still gets in
    assert _attempt(c, token, "planner", PASSWORD, addr="198.51.100.1") == 200


def test_forwarded_for_is_ignored_without_a_trusted_proxy(tmp_path):
    app = make_app(tmp_path, LOGIN_ATTEMPTS_PER_MINUTE=2, LOGIN_BACKOFF_AFTER=100)
    c = app.test_client()
    token = csrf(c)
    codes = [_attempt(c, token, "x", xff=f"203.0.113.{i}") for i in range(3)]
    assert codes == [401, 401, 429]


def test_forwarded_for_counts_from_a_trusted_proxy_only(tmp_path):
    app = make_app(
        tmp_path,
        LOGIN_ATTEMPTS_PER_MINUTE=2,
        LOGIN_BACKOFF_AFTER=100,
        TRUSTED_PROXIES=["10.0.0.0/8"],
    )
    c = app.test_client()
    token = csrf(c)
    # behind the proxy, each real client has its own window
    codes = [_attempt(c, token, "x", addr="10.0.0.1", xff=f"203.0.113.{i}") for i in range(4)]
    assert codes == [401, 401, 401, 401]
    # a client forging the header through the proxy: the right-most hop the proxy saw counts
    codes = [
        _attempt(c, token, "x", addr="10.0.0.1", xff=f"1.1.1.{i}, 203.0.113.50") for i in range(3)
    ]
    assert codes == [401, 401, 429]
    # the header from a peer that is not a proxy is ignored
    codes = [_attempt(c, token, "x", addr="192.0.2.7", xff=f"1.1.1.{i}") for i in range(3)]
    assert codes == [401, 401, 429]


def test_trusted_proxies_must_be_addresses(tmp_path):
    from geo_enroll.errors import InputError

    with pytest.raises(InputError, match="TRUSTED_PROXIES"):
        make_app(tmp_path, TRUSTED_PROXIES=["proxy.example"])


# ---------------------------------------------------------------------------- idempotency


def test_a_retried_save_with_the_same_key_saves_once(admin):
    c, h = admin
    n = len(c.get("/api/versions").get_json()["versions"])
    body = {"parent_id": 1, "message": "重试 retry", "zones": _moved_zones(c)}
    key = {"Idempotency-Key": "3f1c2a9e-retry-0001"}
    first = c.post("/api/versions", json=body, headers=h | key)
    again = c.post("/api/versions", json=body, headers=h | key)
    assert first.status_code == 201, first.get_json()
    assert again.status_code == 201 and again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(c.get("/api/versions").get_json()["versions"]) == n + 1
    # the same key for another request is refused; a new key is a new request
    other = c.post("/api/versions", json=body | {"message": "other"}, headers=h | key)
    _envelope(other, 422)
    new = c.post(
        "/api/versions",
        json=body | {"message": "other"},
        headers=h | {"Idempotency-Key": "another-key-1"},
    )
    assert new.status_code == 201 and new.get_json()["id"] != first.get_json()["id"]


def test_a_retried_run_and_form_post_replay_their_answer(admin):
    c, h = admin
    key = {"Idempotency-Key": "run-key-000001"}
    body = {"kind": "placement"} | RECORD
    a = c.post("/api/runs", json=body, headers=h | key)
    b = c.post("/api/runs", json=body, headers=h | key)
    assert a.status_code == b.status_code == 202 and a.get_json()["id"] == b.get_json()["id"]
    assert len(c.get("/api/runs").get_json()["runs"]) == 1
    form = {"csrf_token": h["X-CSRF-Token"], "idempotency_key": "form-key-000001"} | {
        k: str(v) for k, v in RECORD.items()
    }
    a, b = c.post("/staff/record", data=form), c.post("/staff/record", data=form)
    assert a.status_code == b.status_code == 302 and a.headers["Location"] == b.headers["Location"]
    assert len(c.get("/api/runs").get_json()["runs"]) == 2
    _envelope(c.post("/api/runs", json=body, headers=h | {"Idempotency-Key": "short"}), 400)


def test_keys_belong_to_one_account(app):
    a, b = app.test_client(), app.test_client()
    ha, hb = {"X-CSRF-Token": login(a, "staff")}, {"X-CSRF-Token": login(b, "admin")}
    key = {"Idempotency-Key": "shared-key-0001"}
    body = {"kind": "placement"} | RECORD
    ra = a.post("/api/runs", json=body, headers=ha | key)
    rb = b.post("/api/runs", json=body, headers=hb | key)
    assert ra.get_json()["id"] != rb.get_json()["id"]


# ---------------------------------------------------------------------------- data at rest


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_data_files_are_created_0600(tmp_path):
    data = tmp_path / "instance"
    app = make_app(tmp_path, DATA_DIR=str(data), STORE_PATH=None, SECRET_KEY=None)
    c = app.test_client()
    c.post("/api/lookup", data={"address": "玩具镇横街61号"})
    login(c, "staff")
    for name in ("geo_enroll.sqlite", "geo_enroll.sqlite-wal", "geo_enroll.sqlite-shm"):
        assert _mode(data / name) == 0o600, name
    assert _mode(data / "secret_key") == 0o600
    assert _mode(data / "access.log") == 0o600
    assert _mode(data) & 0o077 == 0


def test_an_existing_world_readable_store_is_tightened(tmp_path):
    from web.storage import Store

    path = tmp_path / "old.sqlite"
    Store(path)
    path.chmod(0o644)
    Store(path)
    assert _mode(path) == 0o600


def test_the_access_log_has_paths_but_no_query_strings_or_bodies(tmp_path):
    log = tmp_path / "access.log"
    app = make_app(tmp_path, ACCESS_LOG=str(log))
    c = app.test_client()
    c.get("/api/lookup", query_string={"address": "玩具镇横街61号"})  # refused: 400
    c.post("/api/lookup", json={"address": "玩具镇北街7号"})
    c.get("/planner/versions/1%0Aforged 200")
    lines = log.read_text(encoding="utf-8").splitlines()
    assert any(" GET /api/lookup 400 " in line for line in lines)
    assert any(" POST /api/lookup 200 " in line for line in lines)
    text = log.read_text(encoding="utf-8")
    assert "横街" not in text and "北街" not in text and "address" not in text
    assert len(lines) == 3  # a newline in the path cannot forge a line


def test_the_access_log_follows_a_rotation_without_a_signal(tmp_path):
    """The log stays open between lines; moved away (logrotate's default) or removed, the next
    lines go to a new file at the configured path, again 0600, and none is lost."""
    from web.app import _AccessLog

    log = _AccessLog(tmp_path / "access.log")
    log.CHECK_S = 0.0  # look at the path before every line (1 s in service)
    log.write("GET / 200 1ms")
    (tmp_path / "access.log").rename(tmp_path / "access.log.1")
    log.write("GET /a 200 1ms")
    log.write("GET /b 200 1ms")
    assert [ln[-14:] for ln in (tmp_path / "access.log").read_text().splitlines()] == [
        "GET /a 200 1ms",
        "GET /b 200 1ms",
    ]
    (tmp_path / "access.log").unlink()
    log.write("GET /c 200 1ms")
    assert (tmp_path / "access.log.1").read_text().count("\n") == 1
    assert (tmp_path / "access.log").read_text().splitlines()[0].endswith("GET /c 200 1ms")
    assert _mode(tmp_path / "access.log") == 0o600


# ---------------------------------------------------------------------------- zones at the door


def _layer(geometry, **props):
    base = {"school": "东小学", "school_id": "toy-p1", "rule_id": "r", "level": "primary"}
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": base | props, "geometry": geometry}],
    }


@pytest.mark.parametrize(
    "zones",
    [
        _layer(None),
        _layer({"type": "Polygon", "coordinates": []}),
        _layer(
            {"type": "Polygon", "coordinates": [[[1e308, 1e308], [1, 1], [2, 2], [1e308, 1e308]]]}
        ),
        _layer({"type": "Polygon", "coordinates": [[["a", "b"]]]}),
        _layer({"type": "Point", "coordinates": [115, 41]}),
        _layer(
            {
                "type": "Polygon",
                "coordinates": [[[115, 41], [115.1, 41], [115.1, 41.1], [115, 41]]],
            },
            school_id="",
        ),
    ],
)
def test_zones_the_engine_cannot_use_are_refused_at_the_door(admin, zones):
    """Once 500s deep in the engine (NaN bounds, a missing school_id, GEOS overflow warnings)."""
    c, h = admin
    for url, extra in (("/api/versions/1/preview", {}), ("/api/versions", {"parent_id": 1})):
        r = c.post(url, json={"zones": zones, "message": "m"} | extra, headers=h)
        d = _envelope(r, 422)
        assert d["errors"] and all(e.startswith("zone ") for e in d["errors"])


# ---------------------------------------------------------------------------- over a real server


def _raw(port: int, data: bytes) -> tuple[int, bytes]:
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            chunks.append(chunk)
    reply = b"".join(chunks)
    status = int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else 0
    return status, reply


def test_hostile_bytes_over_waitress_never_500(tmp_path):
    """Bytes no test client would send, through the production server the CLI runs."""
    import socket
    import threading

    waitress = pytest.importorskip("waitress")
    log = tmp_path / "access.log"
    app = make_app(tmp_path, ACCESS_LOG=str(log), MAX_CONTENT_LENGTH=100_000)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = waitress.create_server(app, host="127.0.0.1", port=port, threads=2)
    t = threading.Thread(target=run_until_closed(srv), daemon=True)
    t.start()
    deep = b"[" * 40_000 + b"]" * 40_000
    big = b'{"address": "' + b"x" * 200_000 + b'"}'
    form = b"username=\xff&password=x"
    requests = [
        b"GET /api/versions/%FF%FE HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /\xff\xfe/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /api/lookup?address=%FF%ED%A0%80 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /planner/versions/99999999999999999999 HTTP/1.1\r\nHost: x\r\n"
        b"Accept: application/json\r\nConnection: close\r\n\r\n",
        b"GET /login?next=/%0D%0ASet-Cookie:%20x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"POST /api/lookup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(deep) + deep,
        b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(form) + form,
        b"POST /api/lookup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(big) + big,
        b"GET /healthz HTTP/1.1\r\nHost: \xff\x00evil\r\nX-Forwarded-For: \xff, ::zz\r\n"
        b"Connection: close\r\n\r\n",
    ]
    try:
        for raw in requests:
            status, reply = _raw(port, raw)
            assert 0 < status < 500, (raw[:80], reply[:300])
            if b"Content-Type: application/json" in raw[:200] or b"/api/" in raw[:30]:
                assert b'"ok":false' in reply.replace(b" ", b""), reply[:300]
            assert b"Traceback" not in reply
            assert b"\r\nSet-Cookie: x=1" not in reply
    finally:
        srv.stopping.set()
        srv.close()
        t.join(timeout=5)
    for line in log.read_text(encoding="utf-8").splitlines():
        assert line.isprintable(), line


def test_store_refusals_are_the_clients_fault_not_500(admin):
    """A duplicate user name was a StorageError, answered 500."""
    c, h = admin
    body = {"username": "planner", "password": "long enough password", "role": "planner"}
    d = _envelope(c.post("/admin/users", json=body, headers=h), 409)
    assert "已存在" in d["error"]


def test_trusted_proxies_come_from_the_environment(monkeypatch):
    from geo_enroll.settings import Settings

    monkeypatch.setenv("GEO_ENROLL_TRUSTED_PROXIES", " 10.0.0.5, 192.168.0.0/16 ,")
    assert Settings().trusted_proxies == ("10.0.0.5", "192.168.0.0/16")
    monkeypatch.delenv("GEO_ENROLL_TRUSTED_PROXIES")
    assert Settings().trusted_proxies == ()
