"""The planner's pages in Debian chromium: vertex editing of MultiPolygon zones (Leaflet-Geoman),
a diff that lists only the zone that was edited, no-change saves refused, and publishing a
version that opens a gap asks for confirmation with the gap on the map.

The zones here are all MultiPolygons (as every zone of the real 太仆寺旗 layer is), and 东小学's
zone has two parts: 东区 and the detached 河湾村二社 east of the town (an exclave).  The test drags
a vertex of the exclave, the second part, which the old leaflet-draw editor could not edit.
"""

from __future__ import annotations

import json

import pytest

from .conftest import ARTIFACTS, make_app, toy_version
from .test_browser import CHROMIUM, _login, launch_chromium, open_page, serve

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) missing"),
]

EXCLAVE_RULE = "toy-p1-r01"


def multipolygon_version() -> tuple[dict, dict]:
    """The toy version with every zone a MultiPolygon; 东区 gets the exclave 河湾村二社."""
    from shapely.geometry import MultiPolygon, Polygon, mapping, shape

    from geo_enroll.datasets import toy_xy_to_lonlat as ll

    spec, zones = toy_version()
    exclave = Polygon([ll(1150, 150), ll(1400, 150), ll(1400, 400), ll(1150, 400)])
    for f in zones["features"]:
        g = shape(f["geometry"])
        parts = [g, exclave] if f["properties"]["rule_id"] == EXCLAVE_RULE else [g]
        f["geometry"] = mapping(MultiPolygon(parts))
    return spec, zones


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("planner_pages"))
    store = app.extensions["geo_store"]
    spec, zones = multipolygon_version()
    vid = store.save_version(
        spec=spec, zones=zones, author="planner", message="多边形集合 multipolygons", parent_id=1
    )
    store.publish(vid, author="system")
    with serve(app) as base:
        yield base, app


@pytest.fixture(scope="module")
def chromium():
    with launch_chromium() as b:
        yield b


@pytest.fixture
def page(chromium, server):
    with open_page(chromium, server[0]) as pg:
        yield pg


def _base_id(app) -> int:
    return next(v["id"] for v in app.extensions["geo_store"].versions("toy") if v["parent_id"])


def _vertices(page):
    handles = page.locator(".marker-icon:not(.marker-icon-middle)")
    return [handles.nth(i).bounding_box() for i in range(handles.count())]


def test_drag_a_vertex_of_a_multipolygon_part_preview_save_diff_publish(page, server):
    base, app = server
    store = app.extensions["geo_store"]
    parent = _base_id(app)
    _login(page, base, "planner")
    page.goto(f"{base}/planner/versions/{parent}/edit")
    page.wait_for_selector("#editor[data-ready='1']")
    page.select_option("#zone-select", EXCLAVE_RULE)
    page.click("#btn-edit-zone")
    boxes = _vertices(page)
    assert len(boxes) == 8  # 东区 (4) and the exclave (4): both parts editable
    # the exclave's north-east corner: the largest x, then the smallest y on screen
    ne = max(boxes, key=lambda b: (round(b["x"]), -b["y"]))
    x, y = ne["x"] + ne["width"] / 2, ne["y"] + ne["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 60, y + 40, steps=8)
    page.mouse.up()
    assert page.get_attribute("#editor", "data-edited") == EXCLAVE_RULE
    page.click("#btn-preview")
    page.wait_for_selector(".n-changes")
    # only the dragged zone changed; tables in words, not codes
    assert page.inner_text(".changed-rules").endswith(EXCLAVE_RULE)
    problems = page.inner_text("table.problems")
    assert "小学 primary · 空白 gaps" in problems and "primary.gaps" not in problems
    page.screenshot(path=str(ARTIFACTS / "planner_multipolygon_drag.png"), full_page=True)
    page.fill("#message", "河湾村二社东北角内收")
    page.click("#btn-save")
    page.wait_for_url(f"{base}/planner/")
    new = store.versions("toy")[0]
    assert new["parent_id"] == parent and new["message"] == "河湾村二社东北角内收"
    before = {f["properties"]["rule_id"]: f for f in store.version(parent)["zones"]["features"]}
    after = {f["properties"]["rule_id"]: f for f in store.version(new["id"])["zones"]["features"]}
    assert set(before) == set(after)
    for rid in before:  # untouched zones byte-identical; the edited one changed
        same = json.dumps(before[rid], sort_keys=True) == json.dumps(after[rid], sort_keys=True)
        assert same == (rid != EXCLAVE_RULE), rid
    moved = after[EXCLAVE_RULE]["geometry"]
    assert moved["type"] == "MultiPolygon" and len(moved["coordinates"]) == 2
    # 东区 itself (the first part) kept every coordinate
    assert moved["coordinates"][0] == before[EXCLAVE_RULE]["geometry"]["coordinates"][0]
    # the diff lists that zone alone as 修改
    page.goto(f"{base}/planner/diff?a={parent}&b={new['id']}")
    rows = page.locator("table.grid").first.locator("tr")
    assert rows.count() == 2  # header + one zone
    assert EXCLAVE_RULE in rows.nth(1).inner_text() and "修改" in rows.nth(1).inner_text()
    # publishing it opens a gap (the corner cut off): the page asks first and maps the gap
    page.goto(f"{base}/planner/")
    page.expected.append(409)
    page.click(f"#versions tr[data-version='{new['id']}'] form button")
    page.wait_for_selector("#publish-confirm")
    assert store.current_version_id("toy") == parent  # nothing published yet
    table = page.inner_text("#new-problems")
    assert "空白" in table and "东小学" in table
    red = page.locator("path.leaflet-interactive[stroke='#dd0000']")
    assert red.count() >= 1  # the gap drawn on the map
    assert "变化或空白区域" in page.inner_text(".ge-legend")
    page.screenshot(path=str(ARTIFACTS / "planner_publish_gap.png"), full_page=True)
    page.click("#btn-publish-anyway")
    page.wait_for_url(f"{base}/planner/*")
    assert store.current_version_id("toy") == new["id"]
    store.publish(parent, author="test")


def test_saving_nothing_is_refused(page, server):
    base, app = server
    parent = _base_id(app)
    _login(page, base, "planner")
    page.goto(f"{base}/planner/versions/{parent}/edit")
    page.wait_for_selector("#editor[data-ready='1']")
    page.select_option("#zone-select", EXCLAVE_RULE)
    page.click("#btn-edit-zone")  # editing switched on, nothing dragged
    page.click("#btn-preview")
    page.wait_for_selector(".n-changes")
    assert "没有修改 nothing changed" in page.inner_text("#status")
    assert not page.is_enabled("#btn-save")
    assert page.inner_text(".changed-rules").endswith("无 none")
    # and the API refuses it too, whatever the client does
    n = len(app.extensions["geo_store"].versions("toy"))
    page.expected.append(400)
    answer = page.evaluate(
        """(id) => window.GeoEnroll.api("POST", "/api/versions",
               {parent_id: id, message: "same"}).then(() => "saved", e => e.message)""",
        parent,
    )
    assert "没有修改" in answer
    assert len(app.extensions["geo_store"].versions("toy")) == n


# ---------------------------------------------------------------------------- the real layer


@pytest.fixture(scope="module")
def taipusi(tmp_path_factory):
    """The service on the committed 太仆寺旗 2024 spec and zones (all MultiPolygons)."""
    from web.jurisdictions import from_policy, seed_defaults

    j = from_policy("taipusi_2024")
    app = make_app(tmp_path_factory.mktemp("taipusi_pages"), JURISDICTIONS=[j])
    seed_defaults(app.extensions["geo_store"], j, logger=app.logger, cohort_seed=7)
    with serve(app) as base:
        yield base, app


def test_every_zone_of_the_real_layer_is_editable(chromium, taipusi):
    base, app = taipusi
    store = app.extensions["geo_store"]
    vid = store.current_version_id("taipusi_2024")
    zones = store.version(vid)["zones"]["features"]
    assert {f["geometry"]["type"] for f in zones} == {"MultiPolygon"}
    with open_page(chromium, base) as pg:
        _login(pg, base, "planner")
        pg.goto(f"{base}/planner/versions/{vid}/edit")
        pg.wait_for_selector("#editor[data-ready='1']")
        assert int(pg.get_attribute("#editor", "data-background")) > 10  # base map underneath
        for f in zones:
            rid = f["properties"]["rule_id"]
            pg.select_option("#zone-select", rid)
            pg.click("#btn-edit-zone")
            corners = sum(len(ring) - 1 for part in f["geometry"]["coordinates"] for ring in part)
            assert len(_vertices(pg)) == corners, rid  # a handle on every vertex of every part
        # drag one vertex of the last zone and preview: that zone alone changes
        rid = zones[-1]["properties"]["rule_id"]
        pg.select_option("#zone-select", rid)
        pg.click("#btn-edit-zone")
        b = _vertices(pg)[0]
        x, y = b["x"] + b["width"] / 2, b["y"] + b["height"] / 2
        pg.mouse.move(x, y)
        pg.mouse.down()
        pg.mouse.move(x + 25, y + 25, steps=6)
        pg.mouse.up()
        pg.click("#btn-preview")
        pg.wait_for_selector(".n-changes", timeout=60_000)
        assert pg.inner_text(".changed-rules").endswith(rid)
        pg.screenshot(path=str(ARTIFACTS / "planner_taipusi_edit.png"), full_page=True)


def test_redraw_a_zone_from_scratch(page, server):
    base, app = server
    parent = _base_id(app)
    _login(page, base, "planner")
    page.goto(f"{base}/planner/versions/{parent}/edit")
    page.wait_for_selector("#editor[data-ready='1']")
    rid = "toy-m1-r01"
    page.select_option("#zone-select", rid)
    page.click("#btn-redraw-zone")
    box = page.locator("#editor").bounding_box()
    corners = [(0.35, 0.3), (0.65, 0.3), (0.65, 0.7), (0.35, 0.7)]
    for fx, fy in [*corners, corners[0]]:  # click the corners, then the first one to finish
        page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    page.wait_for_function(f"document.getElementById('editor').dataset.edited === '{rid}'")
    page.click("#btn-preview")
    page.wait_for_selector(".n-changes")
    assert page.inner_text(".changed-rules").endswith(rid)
    page.screenshot(path=str(ARTIFACTS / "planner_redraw.png"), full_page=True)


def test_a_save_that_lost_the_race_keeps_the_edit_and_saves_as_a_branch(page, server):
    """Another planner saved on the same version first: 409 in words, the edit kept, a branch."""
    base, app = server
    page.expected.append(409)  # the conflict answer is the point of this test
    store = app.extensions["geo_store"]
    spec, zones = multipolygon_version()
    start = store.save_version(
        spec=spec, zones=zones, author="planner", message="起点 start", parent_id=1
    )
    _login(page, base, "planner")
    page.goto(f"{base}/planner/versions/{start}/edit")
    page.wait_for_selector("#editor[data-ready='1']")
    page.select_option("#zone-select", EXCLAVE_RULE)
    page.click("#btn-edit-zone")
    ne = max(_vertices(page), key=lambda b: (round(b["x"]), -b["y"]))
    x, y = ne["x"] + ne["width"] / 2, ne["y"] + ne["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 50, y + 30, steps=8)
    page.mouse.up()
    page.click("#btn-preview")
    page.wait_for_selector(".n-changes")
    # meanwhile another planner saves an edit of the same version
    other = store.save_version(
        spec=spec, zones=zones, author="planner_b", message="乙的修改", parent_id=start
    )
    page.fill("#message", "甲的修改")
    page.click("#btn-save")
    page.wait_for_selector("button.branch-save")
    status = page.inner_text("#status")
    assert "保存失败" in status and str(other) in status
    page.screenshot(path=str(ARTIFACTS / "planner_save_conflict.png"), full_page=True)
    assert page.get_attribute("#editor", "data-edited") == EXCLAVE_RULE  # the edit is still there
    page.click("button.branch-save")
    page.wait_for_url(f"{base}/planner/")
    children = [v for v in store.versions("toy") if v["parent_id"] == start]
    assert sorted(v["message"] for v in children) == ["乙的修改", "甲的修改"]
