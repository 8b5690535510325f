"""Bureau staff's pages: find a child by name or (masked) ID number, the placement-of-record
page following a run until it finishes, and an appeal decision showing in the child's header and
in the counts (HTTP and Debian chromium)."""

from __future__ import annotations

import re
import threading

import pytest

from .conftest import ARTIFACTS, login, make_app
from .test_browser import CHROMIUM, _login, launch_chromium, open_page, serve

RECORD = {"kind": "placement", "of_record": True, "version_id": 1, "cohort_id": 1, "seed": 7}
FULL_ID = re.compile(r"\b\d{17}[\dX]\b")


@pytest.fixture
def staff(tmp_path):
    """(app, client, csrf headers, placements of record, cohort rows by student id)."""
    app = make_app(tmp_path)
    c = app.test_client()
    h = {"X-CSRF-Token": login(c, "staff")}
    assert c.post("/api/runs", json=RECORD, headers=h).status_code == 202
    placements = c.get("/api/runs/1/placements").get_json()["placements"]
    store = app.extensions["geo_store"]
    rows = {r["student_id"]: r for r in store.cohort(1)["rows"]}
    return app, c, h, placements, rows


def _search(c, h, q):
    r = c.post("/staff/search", json={"q": q}, headers=h)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()["matches"]


def test_find_a_child_by_name_or_id_number(staff):
    app, c, h, placements, rows = staff
    child = next(p for p in placements if p.get("status") == "placed")
    row = rows[child["student_id"]]
    name, idn = row["姓名"], row["身份证号"]
    masked = idn[:6] + "*" * 8 + idn[-4:]
    for q in (name, name[1:], masked, idn[-4:], idn, child["student_id"]):
        found = _search(c, h, q)
        assert child["student_id"] in [m["student_id"] for m in found], q
        for m in found:  # every match really matches, and shows the masked number only
            full = rows[m["student_id"]]["身份证号"]
            assert m["id_masked"] == full[:6] + "*" * 8 + full[-4:]
            assert (
                q in rows[m["student_id"]]["姓名"] or full.endswith(q[-4:]) or m["student_id"] == q
            )
    hit = _search(c, h, masked)
    assert [m["student_id"] for m in hit] == [child["student_id"]]
    assert hit[0]["school"] == child["school"] and hit[0]["name"] == name
    assert _search(c, h, "查无此人") == []
    # the HTML page: a POSTed form (no name in the URL), masked numbers only
    token = h["X-CSRF-Token"]
    html = c.post("/staff/search", data={"q": name, "csrf_token": token}).get_data(as_text=True)
    assert 'id="search-results"' in html and name in html and masked in html
    assert not FULL_ID.search(html)
    # bad queries: a clear 4xx, never a 500
    assert c.post("/staff/search", json={"q": ""}, headers=h).status_code in (400, 422)
    assert c.post("/staff/search", json={"q": "x" * 41}, headers=h).status_code in (400, 422)
    # the audit log says a search happened, never what was searched
    audit = app.extensions["geo_store"].audit_log()
    assert any(a["action"] == "staff.search" for a in audit)
    assert not any(name in str(a) for a in audit)


def test_a_decision_changes_the_header_and_the_counts(staff):
    app, c, h, placements, rows = staff
    child = next(p for p in placements if p.get("status") == "placed" and p["level"] == "primary")
    other = "西小学" if child["school"] != "西小学" else "东小学"
    before = c.get("/staff/?format=json").get_json()
    counts = {s["name"]: s["placed"] for s in before["schools"]}
    assert before["appeal_counts"] == {"open": 0, "decided": 0, "changed": 0}
    r = c.post("/staff/appeals", json={"student_id": child["student_id"], "reason": "r"}, headers=h)
    aid = r.get_json()["id"]
    assert c.get("/staff/?format=json").get_json()["appeal_counts"]["open"] == 1
    r = c.post(
        f"/staff/appeals/{aid}/decision",
        json={"outcome": "changed", "new_school": other, "reason": "r", "override_seats": True},
        headers=h,
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    html = c.get(f"/staff/appeals/{aid}").get_data(as_text=True)
    now = re.search(r'class="school-now">([^<]*)<', html).group(1)
    assert now == other and "复核改派" in html and child["school"] in html
    after = c.get("/staff/?format=json").get_json()
    assert after["appeal_counts"] == {"open": 0, "decided": 1, "changed": 1}
    moved = {s["name"]: s["placed"] for s in after["schools"]}
    assert moved[other] == counts[other] + 1
    assert moved[child["school"]] == counts[child["school"]] - 1
    assert sum(moved.values()) == sum(counts.values())
    found = _search(c, h, child["student_id"])[0]
    assert found["school"] == other and found["changed"] and found["appeal_id"] == aid


# ---------------------------------------------------------------------------- in the browser


@pytest.fixture(scope="module")
def chromium():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium (/usr/bin/chromium) missing")
    with launch_chromium() as b:
        yield b


@pytest.mark.browser
def test_the_record_page_updates_itself_when_the_run_finishes(chromium, tmp_path):
    from web.analyst.service import _execute

    app = make_app(tmp_path, RUNS_SYNC=False)
    store = app.extensions["geo_store"]
    # a run of record waiting to be executed (as one queued behind another would be)
    rid = store.create_run(
        kind="placement",
        version_id=1,
        cohort_id=1,
        params={"seed": 7},
        author="staff",
        of_record=True,
    )
    with serve(app) as base, open_page(chromium, base) as pg:
        _login(pg, base, "staff")
        pg.goto(f"{base}/staff/")
        assert pg.get_attribute("#record-pending", "data-run") == str(rid)
        assert pg.locator("#schools").count() == 0
        pg.screenshot(path=str(ARTIFACTS / "staff_record_pending.png"), full_page=True)
        worker = threading.Thread(target=_execute, args=(app, rid))
        worker.start()
        worker.join(timeout=60)
        pg.wait_for_selector("#schools", timeout=20_000)  # no reload by the test
        assert pg.locator("#record-pending").count() == 0
        assert f"/analyst/runs/{rid}" in pg.inner_html("main")
        pg.screenshot(path=str(ARTIFACTS / "staff_record_done.png"), full_page=True)


@pytest.mark.browser
def test_staff_find_a_child_and_decide_in_the_browser(chromium, tmp_path):
    app = make_app(tmp_path)
    c = app.test_client()
    h = {"X-CSRF-Token": login(c, "staff")}
    assert c.post("/api/runs", json=RECORD, headers=h).status_code == 202
    p = next(
        x
        for x in c.get("/api/runs/1/placements").get_json()["placements"]
        if x.get("status") == "placed" and x["level"] == "primary"
    )
    row = {r["student_id"]: r for r in app.extensions["geo_store"].cohort(1)["rows"]}[
        p["student_id"]
    ]
    other = "西小学" if p["school"] != "西小学" else "东小学"
    with serve(app) as base, open_page(chromium, base) as pg:
        _login(pg, base, "staff")
        pg.goto(f"{base}/staff/")
        before = int(pg.inner_text(f"#schools tr:has-text('{other}') td:nth-child(3)"))
        pg.fill("#search-q", row["身份证号"][-4:])
        pg.click("#btn-search")
        pg.wait_for_selector("#search-results")
        hit = pg.locator(f"#search-results tr[data-student='{p['student_id']}']")
        assert row["姓名"] in hit.inner_text() and row["身份证号"] not in pg.content()
        assert "/staff/search" in pg.url and row["姓名"] not in pg.url
        pg.screenshot(path=str(ARTIFACTS / "staff_search.png"), full_page=True)
        # file the appeal right from the search result
        hit.locator("input[name=reason]").fill("搬家")
        hit.locator("form.file-appeal button").click()
        pg.wait_for_url(re.compile(r".*/staff/appeals/\d+$"))
        aid = int(pg.url.rsplit("/", 1)[1])
        assert app.extensions["geo_store"].appeal(aid)["student_id"] == p["student_id"]
        assert pg.inner_text(".school-now") == p["school"]
        assert "待处理" in pg.inner_text(".appeal-state")
        pg.select_option("select[name=outcome]", "changed")
        pg.select_option("select[name=new_school]", other)
        pg.check("input[name=override_seats]")
        pg.fill("input[name=reason]", "户籍核实后改派")
        pg.click("form[action$='/decision'] button")
        pg.wait_for_load_state("networkidle")
        assert pg.inner_text(".school-now") == other
        assert "改派" in pg.inner_text(".appeal-state")
        assert pg.inner_text(".n-decisions") == "1"
        pg.screenshot(path=str(ARTIFACTS / "staff_appeal_decided.png"), full_page=True)
        pg.goto(f"{base}/staff/")
        assert pg.inner_text("#appeal-counts .n-changed") == "1"
        after = int(pg.inner_text(f"#schools tr:has-text('{other}') td:nth-child(3)"))
        assert after == before + 1
