"""Flask test-client tests of every route of the service, on the toy town."""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
import subprocess
from datetime import date

import pytest

from geo_enroll.outputs.roster import ROSTER_COLUMNS

from .conftest import PASSWORD, csrf, login, make_app

# the placement of record names its version, cohort and seed (never defaults)
RECORD = {"kind": "placement", "of_record": True, "version_id": 1, "cohort_id": 1, "seed": 7}

ADDRESS = "玩具镇横街61号"  # east district: 东小学 (primary), 第一中学 (middle)


def _json(r):
    assert r.is_json, r.get_data(as_text=True)[:300]
    return r.get_json()


# ---------------------------------------------------------------------------- public


def test_lookup_api_answers_schools_rule_and_match_level(client):
    d = _json(client.post("/api/lookup", data={"address": ADDRESS}))
    assert d["ok"] is True and d["match_level"] == "house_number"
    p = d["schools"]["primary"][0]  # the zone first; a 购房 (property) rule may follow
    (m,) = d["schools"]["middle"]
    assert (p["school"], p["kind_label"]) == ("东小学", "户籍划片")
    assert {s["school"] for s in d["schools"]["primary"]} == {"东小学"}
    src = d["sources"][p["rule_id"]]  # each rule's sentence sent once, referenced by rule_id
    assert src["text"].startswith("东小学招收东区") and src["line"] == 4
    assert "source" not in p and "line" not in p
    assert m["school"] == "第一中学"


def test_lookup_village_answers_by_village(client):
    d = _json(client.post("/api/lookup", data={"address": "玩具镇河湾村二社5号"}))
    assert d["match_level"] == "village"
    first = d["schools"]["primary"][0]
    assert (first["school"], first["kind_label"], first["optional"]) == (
        "东小学",
        "户籍划片",
        False,
    )
    assert first["rule_id"] == "toy-p1-r02"  # the 河湾村二社 unit rule


def test_lookup_by_point_and_post(client):
    d = _json(client.post("/api/lookup", json={"lon": 115.002, "lat": 41.002}))
    assert {s["school"] for s in d["schools"]["primary"]} == {"西小学"}
    d = _json(client.post("/api/lookup", json={"address": ADDRESS}))
    assert d["schools"]["primary"][0]["school"] == "东小学"


@pytest.mark.parametrize(
    "query,status",
    [
        ({"address": ""}, 400),
        ({"address": "玩" * 500}, 400),
        ({"lon": "x", "lat": "1"}, 422),
        ({"lon": "500", "lat": "1"}, 422),
        ({}, 400),
    ],
)
def test_lookup_errors_use_the_envelope(client, query, status):
    r = client.post("/api/lookup", data=query)
    d = _json(r)
    assert r.status_code == status
    assert (
        d["ok"] is False and d["status"] == status and d["error"] and isinstance(d["errors"], list)
    )


@pytest.mark.parametrize(
    "query",
    [
        {"address": ADDRESS},
        {"lon": "115.002", "lat": "41.002"},
        {"address": ADDRESS, "jurisdiction": "toy"},
        {},
    ],
)
def test_lookup_by_get_is_refused_with_how_to_post(tmp_path, caplog, query):
    """An address (or a home's lon/lat) in a URL stays in proxies, browser history and logs:
    GET /api/lookup answers 400 in the envelope, Chinese first, saying to POST it, never
    echoes the address and does not use up the client's lookups."""
    caplog.set_level(logging.DEBUG)
    app = make_app(tmp_path, RATE_LIMIT_PER_MINUTE=1)
    c = app.test_client()
    r = c.get("/api/lookup", query_string=query)
    d = _json(r)
    assert r.status_code == 400 and d["ok"] is False and d["status"] == 400
    assert d["error"].startswith("地址") and "POST" in d["error"] and "请求体" in d["error"]
    assert "横街" not in r.get_data(as_text=True) and "schools" not in d
    assert "横街" not in "\n".join(rec.getMessage() for rec in caplog.records)
    # the refusal took nothing from the rate limit: the POST still answers
    assert c.post("/api/lookup", json={"address": ADDRESS}).status_code == 200


def test_a_repeated_address_gets_the_same_answer_and_refusal(client):
    """The parse facts behind the address check are remembered per app: asking again changes
    nothing — an out-of-area address is refused both times, a served one answered alike."""
    far = "北京市海淀区中关村大街1号"
    first, again = (client.post("/api/lookup", json={"address": far}) for _ in range(2))
    assert first.status_code == again.status_code == 400
    assert (
        _json(first)["error"] == _json(again)["error"]
        and "不在本服务的辖区内" in _json(first)["error"]
    )
    one, two = (_json(client.post("/api/lookup", json={"address": ADDRESS})) for _ in range(2))
    assert one["schools"] == two["schools"] and one["schools"]["primary"]


def test_unknown_address_warns_instead_of_guessing(client):
    d = _json(client.post("/api/lookup", data={"address": "火星某处"}))
    assert d["schools"] == {"primary": [], "middle": []}
    assert d["warnings"]


def test_public_page_form_and_click(client):
    r = client.get("/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="lookup-form"' in html and "folium-map" in html
    r = client.post("/", data={"address": ADDRESS})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "东小学" in html and "house_number" in html
    # JSON twin of the same page
    d = _json(client.post("/?format=json", data={"address": ADDRESS}))
    assert d["answer"]["schools"]["primary"][0]["school"] == "东小学"
    r = client.post("/", data={"lon": "115.002", "lat": "41.002", "address": ""})
    assert "西小学" in r.get_data(as_text=True)


def test_public_lookup_is_rate_limited_per_client(tmp_path):
    app = make_app(tmp_path, RATE_LIMIT_PER_MINUTE=3)
    c = app.test_client()
    codes = [c.post("/api/lookup", data={"address": ADDRESS}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = c.post("/api/lookup", json={"address": ADDRESS})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert _json(r)["status"] == 429
    other = app.test_client()
    assert (
        other.post(
            "/api/lookup",
            data={"address": ADDRESS},
            environ_base={"REMOTE_ADDR": "10.0.0.9"},
        ).status_code
        == 200
    )


def test_address_never_reaches_the_log(client, caplog):
    caplog.set_level(logging.DEBUG)
    client.post("/api/lookup", data={"address": ADDRESS})
    client.post("/", data={"address": ADDRESS})
    client.post("/api/lookup", data={"address": "玩" * 500})
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "/api/lookup" in text  # the access log is there ...
    assert "横街" not in text and "玩玩" not in text  # ... without the address


def test_health_openapi_vendor_static(client):
    assert _json(client.get("/healthz"))["ok"] is True
    spec = _json(client.get("/api/openapi.json"))
    assert spec["openapi"].startswith("3.")
    for url in (
        "/vendor/leaflet/leaflet.js",
        "/static/vendor/leaflet-geoman/leaflet-geoman.min.js",
        "/vendor/leaflet/images/marker-icon.png",
        "/static/app.css",
        "/static/planner.js",
    ):
        with client.get(url) as r:
            assert r.status_code == 200, url
    for url in ("/vendor/../settings.py", "/vendor/SOURCES.md", "/vendor/nope.js"):
        with client.get(url) as r:
            assert r.status_code == 404, url


def test_openapi_describes_every_api_route(app):
    spec = json.loads(app.test_client().get("/api/openapi.json").get_data(as_text=True))
    paths = spec["paths"]
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        assert path in paths, f"{path} missing from openapi.json"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in paths[path], f"{method} {path} missing from openapi.json"


def test_openapi_inputs_are_the_routes_declarations(app):
    """The request schemas in openapi.json are the @validate declarations (refresh them with
    ``python -m web.validation``), so the document cannot drift from what the server checks."""
    from web.validation import openapi_inputs

    spec = json.loads(app.test_client().get("/api/openapi.json").get_data(as_text=True))
    for (path, method), op in openapi_inputs(app).items():
        doc = spec["paths"][path][method]
        params = [
            {k: v for k, v in x.items() if k != "description"}
            for x in doc["parameters"]
            if "$ref" not in x
        ]
        assert params == op["parameters"], f"{method} {path}: parameters differ"
        if "requestBody" in op:
            body = doc["requestBody"]["content"]["application/json"]["schema"]
            assert body == op["requestBody"]["content"]["application/json"]["schema"], path
        assert {"400", "413", "422"} <= set(doc["responses"]), f"{method} {path}"


def test_language_switch(client):
    token = csrf(client)
    assert "English" in client.get("/").get_data(as_text=True)
    r = client.post("/lang", data={"lang": "en", "next": "/", "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    html = client.get("/").get_data(as_text=True)
    assert "Which school serves my address?" in html
    r = client.post("/lang", data={"lang": "zh", "next": "//evil.example", "csrf_token": token})
    assert r.status_code == 422 and "Location" not in r.headers  # no open redirect


# ---------------------------------------------------------------------------- security


def test_every_response_has_a_csp_and_no_external_assets(app, as_role):
    c, _ = as_role("admin")
    c.post(
        "/api/runs",
        json=RECORD,
        headers={"X-CSRF-Token": c.get("/api/session").get_json()["csrf_token"]},
    )
    pages = [
        "/",
        "/login",
        "/about",
        "/planner/",
        "/planner/versions/1",
        "/planner/versions/1/edit",
        "/planner/diff?a=1&b=1",
        "/analyst/",
        "/analyst/runs/1",
        "/staff/",
        "/staff/appeals",
        "/admin/users",
        "/admin/audit",
        "/api/versions",
        "/nope",
    ]
    external = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)
    for url in pages:
        r = c.get(url)
        csp = r.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp and "object-src 'none'" in csp, url
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        body = r.get_data(as_text=True)
        assert not external.search(body), f"{url} references an external asset"
        assert "cdn." not in body and "unpkg" not in body and "tile.openstreetmap" not in body
        inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", body)
        found = re.search(r"'nonce-([^']+)'", csp)
        if r.mimetype == "application/json":  # a JSON answer allows no inline code at all
            assert found is None and not inline, url
        for tag in inline:
            assert found, f"{url}: an inline script but no nonce in the CSP"
            assert f'nonce="{found.group(1)}"' in tag, f"{url}: inline script without the nonce"
        assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_session_cookie_flags(app):
    c = app.test_client()
    token = csrf(c)
    r = c.post(
        "/login", json={"username": "staff", "password": PASSWORD}, headers={"X-CSRF-Token": token}
    )
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    c2 = app.test_client()
    token = c2.get("/api/session", base_url="https://localhost").get_json()["csrf_token"]
    r = c2.post(
        "/login",
        json={"username": "staff", "password": PASSWORD},
        headers={"X-CSRF-Token": token},
        base_url="https://localhost",
    )
    assert "Secure" in r.headers["Set-Cookie"]


def test_login_failures(client):
    token = csrf(client)
    r = client.post(
        "/login", json={"username": "staff", "password": "wrong"}, headers={"X-CSRF-Token": token}
    )
    assert r.status_code == 401 and _json(r)["ok"] is False
    r = client.post("/login", data={"username": "nobody", "password": "x", "csrf_token": token})
    assert r.status_code == 401 and "用户名或密码错误" in r.get_data(as_text=True)
    # no CSRF token: refused before the password is even checked
    r = client.post("/login", json={"username": "staff", "password": PASSWORD})
    assert r.status_code == 400 and "CSRF" in _json(r)["error"]


def test_login_is_rate_limited(tmp_path):
    app = make_app(tmp_path, LOGIN_ATTEMPTS_PER_MINUTE=2)
    c = app.test_client()
    token = csrf(c)
    codes = [
        c.post(
            "/login", json={"username": "x", "password": "y"}, headers={"X-CSRF-Token": token}
        ).status_code
        for _ in range(3)
    ]
    assert codes == [401, 401, 429]


def test_state_changing_requests_need_the_csrf_token(app, as_role):
    c, token = as_role("admin")
    exempt = {"public.lookup", "api.lookup_post"}
    for rule in app.url_map.iter_rules():
        for method in rule.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            if rule.endpoint in exempt:
                continue
            url = re.sub(r"<(?:\w+:)?(\w+)>", "1", rule.rule)
            r = c.open(url, method=method, json={})
            assert r.status_code == 400, f"{method} {url} accepted without CSRF token"
            r = c.open(url, method=method, json={}, headers={"X-CSRF-Token": "forged"})
            assert r.status_code == 400, f"{method} {url} accepted a forged token"


def test_request_size_limit(tmp_path):
    app = make_app(tmp_path, MAX_CONTENT_LENGTH=1000)
    c = app.test_client()
    r = c.post("/api/lookup", data=b"x" * 5000, content_type="application/json")
    assert r.status_code == 413 and _json(r)["status"] == 413


def test_logout(as_role):
    c, token = as_role("planner")
    assert c.get("/planner/").status_code == 200
    assert c.post("/logout", headers={"X-CSRF-Token": token}).status_code == 302
    assert c.get("/planner/").status_code == 302


def test_role_change_takes_effect_at_once(app, as_role):
    c, _ = as_role("planner")
    app.extensions["geo_store"].set_role("planner", "analyst")
    assert c.get("/planner/").status_code == 403


# ---------------------------------------------------------------------------- planner


def _moved_zones(client):
    zones = _json(client.get("/api/versions/1"))["zones"]
    for f in zones["features"]:
        if f["properties"]["rule_id"] == "toy-p1-r01":  # move 东区's west edge 200 m east
            ring = f["geometry"]["coordinates"][0]
            west = min(x for x, _ in ring)
            f["geometry"]["coordinates"][0] = [[x + 0.0024 if x == west else x, y] for x, y in ring]
    return zones


def test_planner_preview_save_diff_publish_export(app, as_role):
    c, token = as_role("planner")
    h = {"X-CSRF-Token": token}
    assert "版本" in c.get("/planner/").get_data(as_text=True)
    assert c.get("/planner/versions/1").status_code == 200
    assert 'id="editor"' in c.get("/planner/versions/1/edit").get_data(as_text=True)
    zones = _moved_zones(c)
    p = _json(c.post("/api/versions/1/preview", json={"zones": zones}, headers=h))
    assert p["n_changes"] == len(p["changes"]) > 0
    assert all(ch["from"] != ch["to"] for ch in p["changes"])
    # the moved edge leaves land served before unserved: a gap is reported
    assert p["problems_after"]["primary.gaps"] > p["problems_before"]["primary.gaps"]
    for row in p["seats_after"]:
        assert row["placed"] <= row["seats"]
    assert _json(c.get("/api/versions"))["current"] == 1  # preview saved nothing
    r = c.post(
        "/api/versions", json={"zones": zones, "parent_id": 1, "message": "东区西界东移"}, headers=h
    )
    assert r.status_code == 201
    v2 = _json(r)["id"]
    d = _json(c.get("/api/versions/diff", query_string={"a": 1, "b": v2}))
    assert [f["properties"]["rule_id"] for f in d["changed_zones"]["features"]] == ["toy-p1-r01"]
    assert d["changed_zones"]["features"][0]["properties"]["area_m2"] > 1000
    assert {m["student_id"] for m in d["moves"]} == {ch["student_id"] for ch in p["changes"]}
    assert c.get(f"/planner/diff?a=1&b={v2}").status_code == 200
    assert c.get("/planner/diff?a=1").status_code == 422
    # nothing overwritten: version 1 is intact
    assert _json(c.get("/api/versions/1"))["zones"] != _json(c.get(f"/api/versions/{v2}"))["zones"]
    # v2 leaves a gap: publishing asks for confirmation first (409, the new gap listed)
    r = c.post(f"/planner/versions/{v2}/publish", headers=h)
    assert r.status_code == 409 and "new-problems" in r.get_data(as_text=True)
    assert _json(c.get("/api/versions"))["current"] == 1
    r = c.post(f"/planner/versions/{v2}/publish", data={"confirm": "1"}, headers=h)
    assert r.status_code == 302
    assert _json(c.get("/api/versions"))["current"] == v2
    # back to version 1: its overlap of 东区 and 西区 (which v2 removed) comes back, so the API
    # asks too (409 with the problem), and publishes on {"confirm": true}
    r = c.post("/api/versions/1/publish", headers=h)
    assert r.status_code == 409 and _json(r)["new_problems"][0]["kind"] == "overlaps"
    assert _json(c.get("/api/versions"))["current"] == v2
    r = c.post("/api/versions/1/publish", json={"confirm": True}, headers=h)
    assert _json(r)["current"] == 1
    gj = c.get(f"/api/versions/{v2}/zones.geojson")
    assert json.loads(gj.get_data(as_text=True))["type"] == "FeatureCollection"
    gpkg = c.get(f"/api/versions/{v2}/zones.gpkg")
    assert gpkg.status_code == 200 and gpkg.data[:16] == b"SQLite format 3\x00"
    diag = _json(c.get(f"/api/versions/{v2}/diagnostics"))
    assert set(diag["diagnostics"]) == {"primary", "middle"}


def test_planner_spec_edit_and_validation(as_role):
    c, token = as_role("planner")
    h = {"X-CSRF-Token": token}
    spec = _json(c.get("/api/versions/1"))["spec"]
    spec["policy"]["appeal_window_working_days"] = 7
    r = c.post(
        "/api/versions", json={"spec": spec, "parent_id": 1, "message": "复核期7天"}, headers=h
    )
    assert r.status_code == 201
    bad = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"school": "东小学", "rule_id": "x", "level": "primary"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
                },
            }
        ],
    }
    r = c.post("/api/versions/1/preview", json={"zones": bad}, headers=h)
    d = _json(r)
    assert r.status_code == 422 and any("x" in e for e in d["errors"])
    r = c.post(
        "/api/versions", json={"zones": {"type": "nope"}, "parent_id": 1, "message": "m"}, headers=h
    )
    assert r.status_code == 422
    r = c.post("/api/versions", json={"parent_id": 1, "message": " "}, headers=h)
    assert r.status_code == 400 and "message" in _json(r)["error"]
    assert c.get("/api/versions/99").status_code == 404


# ---------------------------------------------------------------------------- analyst


def test_analyst_runs_placement_and_montecarlo(as_role):
    c, token = as_role("analyst")
    h = {"X-CSRF-Token": token}
    r = c.post("/api/runs", json={"kind": "placement", "seed": 3}, headers=h)
    assert r.status_code == 202
    rid = _json(r)["id"]
    d = _json(c.get(f"/api/runs/{rid}"))
    assert d["run"]["status"] == "done" and d["run"]["progress"] == 1.0
    assert sum(d["counts"].values()) == d["n"] == 30
    for s in d["schools"]:
        assert s["placed"] <= s["seats"]
    html = c.get(f"/analyst/runs/{rid}").get_data(as_text=True)
    assert "meter" in html and "polyline" in html.lower()  # per-school chart + overflow lines
    placements = _json(c.get(f"/api/runs/{rid}/placements"))["placements"]
    assert len(placements) == 30 and all("身份证号" not in p for p in placements)
    r = c.post("/api/runs", json={"kind": "montecarlo", "draws": 3}, headers=h)
    mc = _json(c.get(f"/api/runs/{_json(r)['id']}"))
    # the toy town has no multi-school zone: nothing is drawn, and the page says so
    assert mc["run"]["status"] == "done" and mc["groups"] == [] and mc["note"]
    assert not mc["probability_schools"]
    html = c.get(f"/analyst/runs/{_json(r)['id']}").get_data(as_text=True)
    assert "多校划片" in html and "mc-note" in html
    # the analyst may not run the placement of record
    r = c.post("/api/runs", json=RECORD, headers=h)
    assert r.status_code == 403
    assert c.post("/api/runs", json={"kind": "bogus"}, headers=h).status_code == 422
    form = {"kind": "placement", "version_id": "1", "cohort_id": "1", "seed": "1"}
    r = c.post("/analyst/runs", data=form | {"csrf_token": token})
    assert r.status_code == 302 and "/analyst/runs/" in r.headers["Location"]
    assert c.get("/analyst/").status_code == 200


def test_cohorts_synth_and_upload(as_role):
    c, token = as_role("analyst")
    h = {"X-CSRF-Token": token}
    from geo_enroll.datasets import toy_students

    buf = io.BytesIO(toy_students().to_csv(index=False).encode("utf-8"))
    r = c.post(
        "/api/cohorts",
        data={"file": (buf, "students.csv"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201 and _json(r)["n"] == 30 and not _json(r)["synthetic"]
    r = c.post(
        "/api/cohorts",
        data={"file": (io.BytesIO(b"x"), "s.exe"), "csrf_token": token},
        content_type="multipart/form-data",
    )
    assert r.status_code == 400
    r = c.post("/api/cohorts", json={"seed": 3}, headers=h)
    assert r.status_code == 201 and _json(r)["synthetic"]
    labels = [x["label"] for x in _json(c.get("/api/cohorts"))["cohorts"]]
    assert len(labels) == 3
    r = c.post("/analyst/cohorts", data={"seed": "4", "csrf_token": token})
    assert r.status_code == 302


# ---------------------------------------------------------------------------- staff


@pytest.fixture
def record(as_role):
    c, token = as_role("staff")
    form = {"version_id": "1", "cohort_id": "1", "seed": "7", "csrf_token": token}
    r = c.post("/staff/record", data=form)
    assert r.status_code == 302
    return c, token


def test_staff_page_lists_schools_with_downloads(record):
    c, _ = record
    html = c.get("/staff/").get_data(as_text=True)
    for sid in ("toy-p1", "toy-p2", "toy-m1"):
        assert (
            f"/staff/schools/{sid}/notices.pdf" in html
            and f"/staff/schools/{sid}/roster.xlsx" in html
        )


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")
def test_notice_pdf_has_the_template_fields(record, app):
    c, _ = record
    r = c.get("/staff/schools/toy-p1/notices.pdf?date=2024-08-01")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=r.data, capture_output=True, check=True
    ).stdout.decode()
    for field in (
        "义务教育入学通知书",
        "同学",
        "身份证号：",
        "学籍号：",
        "原学校标识码：",
        "户籍住址：",
        "东小学",
        "2024年8月1日",
        "中华人民共和国义务教育法",
        "特此通知",
        "玩具镇教育局",
        "存根",
    ):
        assert field in text, field
    assert re.search(r"999999\*{8}\d{3}[\dX]", text)  # masked ID as in the template
    assert not re.search(r"999999\d{11}[\dX]", text)  # never the full number
    assert c.get("/staff/schools/toy-p1/notices.pdf?date=nope").status_code == 422
    assert c.get("/staff/schools/nope/notices.pdf").status_code == 404
    actions = [e["action"] for e in app.extensions["geo_store"].audit_log()]
    assert "notices.download" in actions


def test_roster_xlsx_follows_the_template(record, app):
    from openpyxl import load_workbook

    c, _ = record
    r = c.get("/staff/schools/toy-p2/roster.xlsx")
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.data)).active
    assert "学籍导入模板" in ws["A1"].value and "单位：西小学" in ws["A2"].value
    assert "9900000002" in ws["A2"].value  # the school's identification code
    assert tuple(c.value for c in ws[3][:5]) == ROSTER_COLUMNS
    rows = [tuple(c.value for c in row[:5]) for row in ws.iter_rows(min_row=4) if row[2].value]
    n = next(s["placed"] for s in _json(c.get("/api/runs/1"))["schools"] if s["school"] == "西小学")
    assert len([r for r in rows if r[2] and re.fullmatch(r"\d{17}[\dX]", r[2])]) == n > 0
    assert all(r[0] is None for r in rows[:n])  # primary: column 1 (学籍号) left empty


def test_appeals_window_trace_and_decision(record, app):
    c, token = record
    h = {"X-CSRF-Token": token}
    placements = _json(c.get("/api/runs/1/placements"))["placements"]
    sid = next(p["student_id"] for p in placements if p["status"] == "placed")
    r = c.post("/staff/appeals", json={"student_id": sid, "reason": "户籍已迁入东区"}, headers=h)
    assert r.status_code == 201
    aid, deadline = _json(r)["id"], date.fromisoformat(_json(r)["deadline"])
    assert (deadline - date.today()).days >= 5  # 5 working days
    html = c.get("/staff/appeals").get_data(as_text=True)
    assert sid in html and "待处理" in html
    html = c.get(f"/staff/appeals/{aid}").get_data(as_text=True)
    trace = next(p["trace"] for p in placements if p["student_id"] == sid)
    assert trace.split("；")[0] in html  # the child's trace is shown
    assert re.search(r"999999\*{8}", html)  # ID masked on the page
    r = c.post(
        f"/staff/appeals/{aid}/decision", json={"outcome": "changed", "reason": ""}, headers=h
    )
    assert r.status_code == 422  # a decision needs its reason
    r = c.post(
        f"/staff/appeals/{aid}/decision",
        json={
            "outcome": "changed",
            "new_school": "西小学",
            "reason": "核实户籍",
            "override_seats": True,
        },
        headers=h,
    )
    assert r.status_code == 201
    html = c.get("/staff/appeals").get_data(as_text=True)
    assert "核实户籍" in html
    r = c.post(
        f"/staff/appeals/{aid}/decision",
        data={"outcome": "upheld", "reason": "复查维持", "csrf_token": token},
    )
    assert r.status_code == 302
    assert [d["outcome"] for d in app.extensions["geo_store"].appeal(aid)["decisions"]] == [
        "changed",
        "upheld",
    ]
    r = c.post("/staff/appeals", json={"student_id": "S-none", "reason": "x"}, headers=h)
    assert r.status_code == 404


def test_appeal_after_the_window_is_refused(record, app):
    from web.staff.service import file_appeal

    c, _ = record
    placements = _json(c.get("/api/runs/1/placements"))["placements"]
    with app.test_request_context():
        with pytest.raises(Exception, match="复核期限"):
            file_appeal(
                {"student_id": placements[0]["student_id"], "reason": "x"},
                user={"username": "staff", "role": "staff"},
                today=date(2099, 1, 1),
            )


def test_reveal_id_is_audited(record, app):
    c, token = record
    sid = _json(c.get("/api/runs/1/placements"))["placements"][0]["student_id"]
    d = _json(c.post(f"/staff/runs/1/students/{sid}/reveal", headers={"X-CSRF-Token": token}))
    assert re.fullmatch(r"\d{17}[\dX]", d["id_number"])
    log = app.extensions["geo_store"].audit_log()
    entry = next(e for e in log if e["action"] == "id.reveal")
    assert entry["username"] == "staff" and sid in entry["object"]
    assert d["id_number"] not in json.dumps(log, ensure_ascii=False)  # the number is not logged


def test_staff_without_record_run(as_role):
    c, _ = as_role("staff")
    assert "尚未运行正式录取" in c.get("/staff/").get_data(as_text=True)
    assert c.get("/staff/schools/toy-p1/notices.pdf").status_code == 404
    assert c.get("/staff/appeals").status_code == 200


# ---------------------------------------------------------------------------- admin


def test_admin_users_and_audit(as_role):
    c, token = as_role("admin")
    h = {"X-CSRF-Token": token}
    r = c.post(
        "/admin/users",
        json={"username": "p2", "password": "long enough pw", "role": "planner"},
        headers=h,
    )
    assert r.status_code == 201
    assert (
        c.post(
            "/admin/users",
            json={"username": "p3", "password": "short", "role": "planner"},
            headers=h,
        ).status_code
        == 403
    )
    assert (
        c.post(
            "/admin/users",
            json={"username": "p4", "password": "long enough pw", "role": "root"},
            headers=h,
        ).status_code
        == 422
    )
    assert "p2" in c.get("/admin/users").get_data(as_text=True)
    entries = _json(c.get("/api/audit"))["entries"]
    assert any(e["action"] == "user.create" for e in entries)
    assert c.get("/admin/audit").status_code == 200


def test_bootstrap_admin(tmp_path):
    from web.app import create_app
    from web.auth import bootstrap_admin

    app = create_app({"STORE_PATH": ":memory:", "SEED_DEFAULT": False})
    store = app.extensions["geo_store"]
    generated = bootstrap_admin(store, None)
    assert generated and len(generated) >= 12 and store.user("admin")["role"] == "admin"
    assert bootstrap_admin(store, None) is None  # only once
    app2 = create_app({"STORE_PATH": ":memory:", "SEED_DEFAULT": False})
    assert bootstrap_admin(app2.extensions["geo_store"], "from the environment") is None
    c = app2.test_client()
    login_ok = c.post(
        "/login",
        json={"username": "admin", "password": "from the environment"},
        headers={"X-CSRF-Token": csrf(c)},
    )
    assert login_ok.status_code == 200


def test_secret_key_persists(tmp_path):
    from web.app import create_app

    a = create_app({"DATA_DIR": str(tmp_path), "SEED_DEFAULT": False})
    b = create_app({"DATA_DIR": str(tmp_path), "SEED_DEFAULT": False})
    assert a.secret_key == b.secret_key and len(a.secret_key) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_login_page_and_redirect(client):
    r = client.get("/planner/versions/1")
    assert r.status_code == 302 and r.headers["Location"].startswith(
        "/login?next=/planner/versions/1"
    )
    assert client.get("/login").status_code == 200
    token = csrf(client)
    r = client.post(
        "/login",
        data={
            "username": "planner",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "/planner/",
        },
    )
    assert r.status_code == 302 and r.headers["Location"] == "/planner/"
    assert client.get("/planner/").status_code == 200
    _ = login  # imported for other modules' use


def test_runs_in_the_background_report_progress(tmp_path):
    import time

    app = make_app(tmp_path, RUNS_SYNC=False)
    c = app.test_client()
    token = login(c, "analyst")
    r = c.post(
        "/api/runs", json={"kind": "montecarlo", "draws": 2}, headers={"X-CSRF-Token": token}
    )
    rid = _json(r)["id"]
    seen = []
    for _ in range(200):
        run = _json(c.get(f"/api/runs/{rid}"))["run"]
        seen.append(run["progress"])
        if run["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert run["status"] == "done" and seen == sorted(seen) and seen[-1] == 1.0
    html = c.get(f"/analyst/runs/{rid}").get_data(as_text=True)
    assert 'id="run-progress"' in html


def test_json_answers_carry_chinese_as_utf8(client):
    """Not \\uXXXX escapes: a lookup answer is half the bytes and readable in a log or a shell."""
    r = client.post("/api/lookup", data={"address": ADDRESS})
    raw = r.get_data()
    assert r.status_code == 200 and "东小学".encode() in raw and b"\\u" not in raw
    assert r.headers["Content-Type"].startswith("application/json")
