"""Browser tests: Debian's chromium driven by Playwright against the service under waitress.

Flows: a parent lookup (grouped schools, match level in words, streets, school markers, home
point and legend on the map); an address in a gap of the zoning; a planner edit → preview →
save → reload showing the new version; the planner's index map; a staff notice download; a
stored-XSS attempt through a school name rendered inert; switching to the HYPOTHETICAL 延庆
scenario (banner on every page) and its multi-school Monte-Carlo probability map.  Screenshots
go to ``tests/artifacts/`` (gitignored).  Every request the page makes must stay on the app's
own origin, and the browser must report no CSP violation.

Never ``playwright install``: the browser is /usr/bin/chromium from Debian.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
from pathlib import Path

import pytest

from .conftest import (
    ARTIFACTS,
    PASSWORD,
    make_app,
    toy_jurisdiction,
    toy_version,
    yanqing_jurisdiction,
)

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) missing"),
]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
XSS_NAME = (
    '东小学<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>${window.__xss=3}`'
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The toy app under waitress in a thread, with an extra version whose school name is hostile."""
    app = make_app(
        tmp_path_factory.mktemp("browser"),
        JURISDICTIONS=[toy_jurisdiction(), yanqing_jurisdiction()],
    )
    store = app.extensions["geo_store"]
    from web.jurisdictions import seed_defaults

    seed_defaults(
        store,
        app.extensions["geo_jurisdictions"]["yanqing_2023_multischool"],
        logger=app.logger,
        cohort_seed=7,
    )
    spec, zones = toy_version()
    for s in spec["schools"]:
        if s["id"] == "toy-p1":
            s["name"] = XSS_NAME
    for f in zones["features"]:
        if f["properties"]["school_id"] == "toy-p1":
            f["properties"]["school"] = XSS_NAME
    store.save_version(spec=spec, zones=zones, author="attacker", message=XSS_NAME, parent_id=1)
    # a version with a hole in 东区 (x 700..800, y 400..600): 横街71号 falls in a gap
    spec, zones = toy_version()
    from shapely.geometry import Polygon, mapping, shape

    from geo_enroll.datasets import toy_xy_to_lonlat as ll

    hole = Polygon([ll(700, 400), ll(800, 400), ll(800, 600), ll(700, 600)])
    for f in zones["features"]:
        if f["properties"]["rule_id"] == "toy-p1-r01":
            f["geometry"] = mapping(shape(f["geometry"]).difference(hole))
    store.save_version(spec=spec, zones=zones, author="planner", message="东区有空白", parent_id=1)
    with serve(app) as base:
        yield base, app


@contextlib.contextmanager
def serve(app):
    """Serve ``app`` under waitress in a thread; yields its base URL."""
    waitress = pytest.importorskip("waitress")
    port = _free_port()
    srv = waitress.create_server(app, host="127.0.0.1", port=port, threads=4)
    t = threading.Thread(target=run_until_closed(srv), daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.stopping.set()
        srv.close()
        t.join(timeout=5)


def run_until_closed(srv):
    """``srv.run`` for a thread, stopped by ``srv.stopping.set(); srv.close()`` from another:
    the loop's ``select`` may then see the socket just closed (EBADF) — the end of the run,
    not an error of the app (it failed a CI run as an unhandled thread exception)."""
    srv.stopping = threading.Event()

    def run():
        try:
            srv.run()
        except (OSError, ValueError):
            if not srv.stopping.is_set():
                raise

    return run


@contextlib.contextmanager
def launch_chromium():
    """Debian's chromium under Playwright (never a downloaded browser)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def browser():
    with launch_chromium() as b:
        yield b


@contextlib.contextmanager
def open_page(browser, base, **context):
    """A page on ``base`` that records requests outside it and browser errors; on exit both
    must be empty (no foreign request, no console error, no CSP violation, no 4xx/5xx)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    opts = {"accept_downloads": True, "viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"}
    ctx = browser.new_context(**(opts | context))
    pg = ctx.new_page()
    pg.set_default_timeout(45_000)  # a loaded 2-core box: waits, not failures
    pg.foreign, pg.problems, pg.expected = [], [], []
    pg.on(
        "request",
        lambda req: (
            None if req.url.startswith((base, "data:", "blob:")) else pg.foreign.append(req.url)
        ),
    )
    pg.on(
        "console",
        lambda msg: (
            pg.problems.append(msg.text)
            if msg.type == "error" or "Content Security Policy" in msg.text
            else None
        ),
    )
    pg.on("pageerror", lambda exc: pg.problems.append(str(exc)))
    pg.on(
        "response",
        lambda r: (
            pg.problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and r.status not in pg.expected
            else None
        ),
    )
    try:
        yield pg
    finally:
        ctx.close()
    # a status the test expects (pg.expected) also shows as a console error: drop those
    problems = [p for p in pg.problems if not any(f"status of {code}" in p for code in pg.expected)]
    assert not pg.foreign, f"requests outside the app: {pg.foreign}"
    assert not problems, f"browser errors / CSP violations: {problems}"


@pytest.fixture
def page(browser, server):
    base, _ = server
    with open_page(browser, base) as pg:
        yield pg


def _login(page, base, role):
    page.goto(f"{base}/login")
    page.fill("input[name=username]", role)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-btn")
    page.wait_for_load_state("networkidle")


def test_parent_lookup(page, server):
    base, _ = server
    page.goto(base + "/")
    page.wait_for_selector(".leaflet-container")
    page.fill("#address", "玩具镇横街61号")
    page.click("#lookup-btn")
    page.wait_for_selector("#answer")
    primary = page.locator("#schools-primary > li")
    assert primary.count() == 1  # 东小学 once, with its kinds as tags
    assert "东小学" in primary.first.inner_text()
    kinds = primary.first.locator(".kinds .badge").all_inner_texts()
    assert kinds == ["户籍划片", "购房"]
    assert primary.first.locator(".sources li").count() >= 1  # the rules' sentences beneath
    assert "第一中学" in page.inner_text("#schools-middle")
    assert page.inner_text("#match-level") == "门牌号"
    assert page.get_attribute("#match-level", "data-code") == "house_number"
    assert "门牌号" in page.inner_text("#match")  # and how precise that is, in words
    assert page.locator(".leaflet-interactive").count() >= 1  # the zone drawn on the map
    # the map: streets named on hover, the serving schools marked and named, the home, a legend
    labels = page.locator(".ge-school-label").all_inner_texts()
    assert any("东小学" in t for t in labels) and any("第一中学" in t for t in labels)
    assert "查询的地址" in page.inner_text(".ge-home-label")
    legend = page.inner_text(".ge-legend")
    assert "东小学" in legend and "街道" in legend and "查询的地址" in legend
    streets = page.evaluate("""() => {
        const seen = [];
        for (const el of document.querySelectorAll('path.leaflet-interactive')) {
            el.dispatchEvent(new MouseEvent('mouseover', {bubbles: true, clientX: 5, clientY: 5}));
            document.querySelectorAll('.leaflet-tooltip').forEach(t => seen.push(t.textContent.trim()));
            el.dispatchEvent(new MouseEvent('mouseout', {bubbles: true}));
        }
        return seen;
    }""")
    assert "横街" in streets and "中街" in streets
    page.screenshot(path=str(ARTIFACTS / "parent_lookup.png"), full_page=True)
    # the address went in a POST body, never into the URL
    assert "横街" not in page.url


def test_parent_clicks_the_map(page, server):
    base, _ = server
    page.goto(base + "/")
    page.wait_for_selector(".leaflet-container")
    box = page.locator(".leaflet-container").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
    page.wait_for_selector("#answer")
    assert page.get_attribute("#match-level", "data-code") == "poi"  # a clicked point
    assert page.inner_text("#match-level") == "地图上的点"


def test_planner_edit_preview_save_reload(page, server):
    base, app = server
    _login(page, base, "planner")
    page.goto(f"{base}/planner/versions/1/edit")
    page.wait_for_selector("#editor[data-ready='1']")
    page.select_option("#zone-select", "toy-p1-r01")
    page.click("#btn-edit-zone")
    handles = page.locator(".marker-icon:not(.marker-icon-middle)")  # Geoman's vertices
    assert handles.count() >= 4
    # drag the west-most vertex of 东区 east by 120 px: the zone shrinks
    boxes = [handles.nth(i).bounding_box() for i in range(handles.count())]
    west = min(boxes, key=lambda b: b["x"])
    page.mouse.move(west["x"] + west["width"] / 2, west["y"] + west["height"] / 2)
    page.mouse.down()
    page.mouse.move(west["x"] + 120, west["y"] + west["height"] / 2, steps=8)
    page.mouse.up()
    page.click("#btn-preview")
    page.wait_for_selector(".n-changes")
    assert page.is_enabled("#btn-save")
    page.screenshot(path=str(ARTIFACTS / "planner_preview.png"), full_page=True)
    before = len(app.extensions["geo_store"].versions("toy"))
    page.fill("#message", "浏览器测试：东区西界东移")
    page.click("#btn-save")
    page.wait_for_url(f"{base}/planner/")
    page.reload()
    rows = page.locator("#versions tr[data-version]")
    assert rows.count() == before + 1
    assert "浏览器测试：东区西界东移" in rows.first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "planner_versions.png"), full_page=True)
    newest = app.extensions["geo_store"].versions()[0]
    assert newest["author"] == "planner" and newest["parent_id"] == 1


def test_staff_notice_download(page, server, tmp_path):
    base, _ = server
    _login(page, base, "staff")
    page.goto(f"{base}/staff/")
    page.select_option("select[name=version_id]", "1")
    page.click("#btn-record")
    page.wait_for_selector("a.dl-notices")
    # the toy policy gives no notice date: a link without one asks for it, and downloads nothing
    assert page.input_value("#notice-date") == ""
    page.click("a.dl-notices >> nth=0")
    assert "请先选择入学通知书日期" in page.inner_text("#notice-status")
    page.fill("#notice-date", "2024-08-05")
    page.dispatch_event("#notice-date", "change")
    assert "date=2024-08-05" in page.get_attribute("a.dl-notices >> nth=0", "href")
    page.screenshot(path=str(ARTIFACTS / "staff_schools.png"), full_page=True)
    with page.expect_download() as dl:
        page.click("a.dl-notices >> nth=0")
    path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(str(path))
    assert path.read_bytes()[:5] == b"%PDF-" and path.stat().st_size > 2000
    if shutil.which("pdftotext"):
        import subprocess

        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout
        assert "义务教育入学通知书" in text.decode()


def test_stored_xss_in_a_school_name_is_inert(page, server):
    base, app = server
    _login(page, base, "planner")
    xss_version = next(
        v["id"] for v in app.extensions["geo_store"].versions() if v["author"] == "attacker"
    )
    for url in (
        f"{base}/planner/",
        f"{base}/planner/versions/{xss_version}",
        f"{base}/planner/versions/{xss_version}/edit",
    ):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        if "edit" in url:
            page.wait_for_selector("#editor[data-ready='1']")
            page.select_option("#zone-select", "toy-p1-r01")
        # open the tooltip of every zone (folium's and our own JS's), one after the other
        shown = page.evaluate("""() => {
            const seen = [];
            for (const el of document.querySelectorAll('path.leaflet-interactive')) {
                el.dispatchEvent(new MouseEvent('mouseover', {bubbles: true, clientX: 5, clientY: 5}));
                document.querySelectorAll('.leaflet-tooltip').forEach(t => seen.push(t.textContent));
                el.dispatchEvent(new MouseEvent('mouseout', {bubbles: true}));
            }
            return seen;
        }""")
        if url.endswith("/planner/"):
            assert "onerror" in page.inner_text("#versions")  # the message, as text
        else:
            assert any("onerror" in t for t in shown), f"the hostile tooltip was not shown on {url}"
        assert page.evaluate("window.__xss === undefined"), f"script ran on {url}"
        assert page.locator("img[src=x]").count() == 0
    page.screenshot(path=str(ARTIFACTS / "xss_inert.png"), full_page=True)
    # the name is shown as text
    page.goto(f"{base}/planner/versions/{xss_version}")
    assert "<img src=x" in page.inner_text("table.seats")


def test_parent_address_in_a_gap_is_explained(page, server):
    base, app = server
    store = app.extensions["geo_store"]
    gap_version = next(v["id"] for v in store.versions("toy") if v["message"] == "东区有空白")
    store.publish(gap_version, author="test")
    try:
        page.goto(base + "/")
        page.fill("#address", "玩具镇横街71号")
        page.click("#lookup-btn")
        page.wait_for_selector("#answer")
        text = page.inner_text("#no-zone-primary")
        assert "划片空白" in text and "东小学" in text  # says so, and names the zones around
        assert page.locator("#schools-primary").count() == 0
        assert "第一中学" in page.inner_text("#schools-middle")  # the middle zone still serves
        page.screenshot(path=str(ARTIFACTS / "parent_gap.png"), full_page=True)
    finally:
        store.publish(1, author="test")


def test_english_ui_shows_english_words(page, server):
    base, _ = server
    page.goto(base + "/")
    page.click("header form[action='/lang'] button")
    page.fill("#address", "玩具镇横街61号")
    page.click("#lookup-btn")
    page.wait_for_selector("#answer")
    assert page.inner_text("#match-level") == "house number"
    assert "catchment by residence" in page.inner_text("#schools-primary")
    assert "Primary" in page.inner_text("#answer h3") or "primary" in page.inner_text("#answer h3")


def test_planner_index_shows_the_published_map_and_seats(page, server):
    base, _ = server
    _login(page, base, "planner")
    page.goto(f"{base}/planner/")
    page.wait_for_selector("#published .seats")
    assert page.locator(".leaflet-container").count() == 1
    assert "小学" in page.inner_text("#published .seats")  # levels in Chinese, not primary
    assert "primary" not in page.inner_text("#published .seats")
    assert "东小学" in page.inner_text(".ge-legend")
    page.screenshot(path=str(ARTIFACTS / "planner_index.png"), full_page=True)


def test_hypothetical_scenario_switch_lookup_and_montecarlo(page, server):
    base, _ = server
    page.goto(base + "/")
    assert page.locator("#scenario-banner").count() == 0  # the toy town is the default
    page.select_option("#jurisdiction-select", "yanqing_2023_multischool")
    page.wait_for_selector("#scenario-banner")
    assert "示意情景" in page.inner_text("#scenario-banner")
    page.fill("#address", "北京市延庆区香水园街道东外社区")
    page.click("#lookup-btn")
    page.wait_for_selector("#answer")
    assert "示意第二中学" in page.inner_text("#schools-middle")
    assert "多校划片" in page.inner_text("#schools-middle")
    assert page.locator("#scenario-banner").count() == 1
    page.screenshot(path=str(ARTIFACTS / "yanqing_lookup.png"), full_page=True)
    # the analyst's multi-school Monte-Carlo on the scenario
    _login(page, base, "analyst")
    page.goto(f"{base}/analyst/")
    assert page.locator("#scenario-banner").count() == 1
    page.select_option("select[name=kind]", "montecarlo")
    page.fill("input[name=draws]", "100")
    page.click("#btn-run")
    page.wait_for_selector("#prob-form")
    assert page.locator("#scenario-banner").count() == 1
    assert page.locator("#units tr").count() > 2
    page.select_option("#prob-school", "示意第三小学")
    page.click("#prob-form button")
    page.wait_for_selector("#units")
    assert "P(示意第三小学)" in page.inner_text(".ge-legend")
    assert page.locator("path.leaflet-interactive").count() > 2  # unit circles
    page.screenshot(path=str(ARTIFACTS / "yanqing_montecarlo.png"), full_page=True)
