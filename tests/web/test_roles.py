"""Role × endpoint matrix: every route, every role, the expected status.

The expected access is written down here, independently of the ``@roles`` declarations in the
code, and every route of the app must appear in it (a new route fails this test until its
access is decided).
"""

from __future__ import annotations

import re

import pytest

from .conftest import ROLES, csrf, login, make_app

# the placement of record names its version, cohort and seed (never defaults)
RECORD = {"kind": "placement", "of_record": True, "version_id": 1, "cohort_id": 1, "seed": 7}

PUBLIC = "public"
ANY_STAFF = {"planner", "analyst", "staff", "admin"}

EXPECTED: dict[str, set[str] | str] = {
    "static": PUBLIC,
    "vendor": PUBLIC,
    "healthz": PUBLIC,
    "auth.login_page": PUBLIC,
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,
    "auth.set_language": PUBLIC,
    "auth.session_info": PUBLIC,
    "auth.users": {"admin"},
    "auth.add_user": {"admin"},
    "auth.audit": {"admin"},
    "public.index": PUBLIC,
    "public.lookup": PUBLIC,
    "public.about": PUBLIC,
    "public.set_jurisdiction": PUBLIC,
    "api.jurisdictions": PUBLIC,
    "planner.index": {"planner", "admin"},
    "planner.version": {"planner", "admin"},
    "planner.edit": {"planner", "admin"},
    "planner.publish": {"planner", "admin"},
    "planner.diff": {"planner", "admin"},
    "planner.import_zones": {"planner", "admin"},
    "analyst.index": {"analyst", "staff", "admin"},
    "analyst.start": {"analyst", "staff", "admin"},
    "analyst.run": {"analyst", "staff", "admin"},
    "analyst.cohort": {"analyst", "staff", "admin"},
    "staff.index": {"staff", "admin"},
    "staff.record": {"staff", "admin"},
    "staff.search": {"staff", "admin"},
    "staff.appeals": {"staff", "admin"},
    "staff.file_appeal": {"staff", "admin"},
    "staff.appeal": {"staff", "admin"},
    "staff.decide": {"staff", "admin"},
    "staff.notices_pdf": {"staff", "admin"},
    "staff.roster_xlsx": {"staff", "admin"},
    "staff.reveal": {"staff", "admin"},
    "api.openapi": PUBLIC,
    "api.lookup_get": PUBLIC,
    "api.lookup_post": PUBLIC,
    "api.versions": ANY_STAFF,
    "api.save_version": {"planner", "admin"},
    "api.version": ANY_STAFF,
    "api.preview": {"planner", "admin"},
    "api.publish": {"planner", "admin"},
    "api.diff": {"planner", "analyst", "admin"},
    "api.diagnostics": {"planner", "analyst", "admin"},
    "api.export_geojson": {"planner", "analyst", "admin"},
    "api.export_gpkg": {"planner", "analyst", "admin"},
    "api.cohorts": ANY_STAFF,
    "api.cohorts_add": {"analyst", "staff", "admin"},
    "api.runs": {"analyst", "staff", "admin"},
    "api.start_run": {"analyst", "staff", "admin"},
    "api.run": {"analyst", "staff", "admin"},
    "api.placements": {"analyst", "staff", "admin"},
    "api.audit_log": {"admin"},
}

ARGS = {
    "version_id": "1",
    "run_id": "1",
    "appeal_id": "1",
    "school_id": "toy-p1",
    "filename": "app.css",
}
QUERY = {
    "planner.diff": "?a=1&b=1",
    "api.diff": "?a=1&b=1",
    "api.lookup_get": "?address=玩具镇横街61号",
}
BODY = {
    "api.save_version": {"parent_id": 1, "message": "matrix"},
    "api.start_run": {"kind": "placement"},
    "api.lookup_post": {"address": "玩具镇横街61号"},
    "public.lookup": {"address": "玩具镇横街61号"},
    "staff.decide": {"outcome": "upheld", "reason": "matrix"},
    "auth.add_user": {"username": "m", "password": "matrix password", "role": "planner"},
    "staff.record": {"version_id": 1, "cohort_id": 1, "seed": 7},
    "staff.search": {"q": "1234"},
    "public.set_jurisdiction": {"jurisdiction": "toy"},
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """An app with a placement of record and one appeal, so that every route has a target."""
    app = make_app(tmp_path_factory.mktemp("matrix"), RATE_LIMIT_PER_MINUTE=10_000)
    c = app.test_client()
    token = login(c, "staff")
    h = {"X-CSRF-Token": token}
    assert c.post("/api/runs", json=RECORD, headers=h).status_code == 202
    sid = c.get("/api/runs/1/placements").get_json()["placements"][0]["student_id"]
    assert (
        c.post("/staff/appeals", json={"student_id": sid, "reason": "m"}, headers=h).status_code
        == 201
    )
    return app, sid


def _cases(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_is_in_the_matrix(world):
    app, _ = world
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(EXPECTED), (
        f"missing: {sorted(endpoints - set(EXPECTED))}, stale: {sorted(set(EXPECTED) - endpoints)}"
    )


def test_every_route_declares_its_inputs(world):
    """One place per route validates its body and parameters (web/validation.py)."""
    app, _ = world
    undeclared = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and not hasattr(app.view_functions[rule.endpoint], "input_schema")
    ]
    assert not undeclared, f"routes without @validate: {sorted(set(undeclared))}"


@pytest.mark.parametrize("role", [None, *ROLES])
def test_role_matrix(world, role):
    app, sid = world
    client = app.test_client()
    token = login(client, role) if role else csrf(client)
    failures = []
    for rule, method in _cases(app):
        args = dict(ARGS, student_id=sid)
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m, a=args: a[m.group(1)], rule.rule)
        url += QUERY.get(rule.endpoint, "")
        allowed = EXPECTED[rule.endpoint]
        ok = allowed == PUBLIC or (role is not None and (role == "admin" or role in allowed))
        headers = {"X-CSRF-Token": token, "Accept": "text/html"}
        if rule.endpoint == "auth.logout":
            continue  # would end this client's session; tested in test_routes
        kwargs = {"json": BODY.get(rule.endpoint, {})} if method == "POST" else {}
        with client.open(url, method=method, headers=headers, **kwargs) as r:
            status = r.status_code
        if rule.endpoint == "auth.login" and method == "POST":
            continue  # a login attempt with an empty body: 401 by design, for everyone
        if ok:
            if status in (401, 403) or status >= 500:
                failures.append(f"{method} {url}: {status}, expected access")
        elif role is None:
            expected = (302,) if method == "GET" and not url.startswith("/api/") else (401,)
            if status not in expected:
                failures.append(f"{method} {url}: {status}, expected {expected}")
        elif status != 403:
            failures.append(f"{method} {url}: {status}, expected 403")
    assert not failures, "\n".join(failures)


def test_anonymous_html_redirects_to_login(world):
    app, _ = world
    c = app.test_client()
    for url in (
        "/planner/",
        "/staff/",
        "/analyst/",
        "/admin/users",
        "/staff/schools/toy-p1/notices.pdf",
    ):
        r = c.get(url)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")
        assert c.get(url, headers={"Accept": "application/json"}).status_code == 401
