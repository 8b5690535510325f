"""Browser tests: Debian's chromium driven by Playwright against the service under waitress.

Flows: a parent lookup; a planner edit → preview → save → reload showing the new version; a
staff notice download; a stored-XSS attempt through a school name rendered inert.  Screenshots
go to ``tests/artifacts/`` (gitignored).  Every request the page makes must stay on the app's
own origin, and the browser must report no CSP violation.

Never ``playwright install``: the browser is /usr/bin/chromium from Debian.
"""

from __future__ import annotations

import shutil
import socket
import threading
from pathlib import Path

import pytest

from .conftest import ARTIFACTS, PASSWORD, make_app, toy_version

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
    waitress = pytest.importorskip("waitress")
    app = make_app(tmp_path_factory.mktemp("browser"))
    store = app.extensions["geo_store"]
    spec, zones = toy_version()
    for s in spec["schools"]:
        if s["id"] == "toy-p1":
            s["name"] = XSS_NAME
    for f in zones["features"]:
        if f["properties"]["school_id"] == "toy-p1":
            f["properties"]["school"] = XSS_NAME
    store.save_version(spec=spec, zones=zones, author="attacker", message=XSS_NAME, parent_id=1)
    port = _free_port()
    srv = waitress.create_server(app, host="127.0.0.1", port=port, threads=4)
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{port}", app
    srv.close()
    t.join(timeout=5)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    base, _ = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    ctx = browser.new_context(
        accept_downloads=True, viewport={"width": 1280, "height": 900}, locale="zh-CN"
    )
    pg = ctx.new_page()
    pg.set_default_timeout(15_000)
    pg.foreign, pg.problems = [], []
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
        "response", lambda r: pg.problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    yield pg
    ctx.close()
    assert not pg.foreign, f"requests outside the app: {pg.foreign}"
    assert not pg.problems, f"browser errors / CSP violations: {pg.problems}"


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
    assert "东小学" in page.inner_text("#schools-primary")
    assert "第一中学" in page.inner_text("#schools-middle")
    assert page.inner_text("#match-level") == "house_number"
    assert page.locator(".leaflet-interactive").count() >= 1  # the zone drawn on the map
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
    assert page.inner_text("#match-level") == "poi"  # a clicked point


def test_planner_edit_preview_save_reload(page, server):
    base, app = server
    _login(page, base, "planner")
    page.goto(f"{base}/planner/versions/1/edit")
    page.wait_for_selector("#editor[data-ready='1']")
    page.select_option("#zone-select", "toy-p1-r01")
    page.click("#btn-edit-zone")
    handles = page.locator(".leaflet-editing-icon")
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
    before = len(app.extensions["geo_store"].versions())
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
