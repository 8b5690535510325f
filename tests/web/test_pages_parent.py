"""The parents' page in Debian chromium, on the committed 太仆寺旗 2024 spec and zones (real
policy, schematic base map with areas and streets), and on the toy town.

* the answer's map is fitted to the serving zones and the home, not to 贡宝拉格学校 (a
  free-choice school of the whole county, tens of km away);
* a phone (390 × 844): the address box fits, nothing overflows sideways, the legend starts
  folded and unfolds;
* an address in another county keeps the page, the form (with the address) and the map, with
  the reason inline, what to try and the bureau's consultation phone (``policy.contacts``);
* a township-only match says what to try and shows the phone;
* a click on the map is answered with the place in words (township, community, street), no
  raw coordinates and no internal rule ids;
* near a zone edge the warning names the school across the line.
"""

from __future__ import annotations

import math
import re

import pytest

from .conftest import ARTIFACTS, make_app
from .test_browser import CHROMIUM, launch_chromium, open_page, serve

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) missing"),
]

HOME = "太仆寺旗宝昌镇南郊社区察哈尔街1号"
ELSEWHERE = "北京市延庆区香水园街道东外社区1号"
PHONE = re.compile(r"\d{3,4}-\d{7,8}")
BOUNDS_JS = """() => {
    const m = window[document.getElementById('map-var').dataset.name];
    const b = m.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
}"""


@pytest.fixture(scope="module")
def taipusi(tmp_path_factory):
    from web.jurisdictions import from_policy, seed_defaults

    j = from_policy("taipusi_2024")
    app = make_app(tmp_path_factory.mktemp("parent_pages"), JURISDICTIONS=[j])
    seed_defaults(app.extensions["geo_store"], j, logger=app.logger, cohort_seed=None)
    with serve(app) as base:
        yield base, app


@pytest.fixture(scope="module")
def chromium():
    with launch_chromium() as b:
        yield b


def _spec(app):
    store = app.extensions["geo_store"]
    return store.version(store.current_version_id("taipusi_2024"))["spec"]


def _consultation_phones(app) -> list[str]:
    contacts = (_spec(app).get("policy") or {}).get("contacts") or []
    return [c["phone"] for c in contacts if c.get("kind") == "consultation" and c.get("phone")]


def _km(lon0, lat0, lon1, lat1) -> float:
    return math.hypot((lon1 - lon0) * 111.32 * math.cos(math.radians(lat0)), (lat1 - lat0) * 110.6)


def _look_up(pg, address):
    pg.fill("#address", address)
    pg.click("#lookup-btn")
    pg.wait_for_load_state("networkidle")


def test_the_answer_map_fits_the_zones_and_the_home(chromium, taipusi):
    base, app = taipusi
    from web.context import school_locations

    far = {
        s["name"]: s
        for s in school_locations(
            _spec(app), app.extensions["geo_jurisdictions"]["taipusi_2024"].ctx
        )
    }["贡宝拉格学校"]
    with open_page(chromium, base) as pg:
        pg.goto(base + "/")
        _look_up(pg, HOME)
        pg.wait_for_selector("#answer")
        assert "贡宝拉格学校" in pg.inner_text("#answer")  # the free-choice school is listed
        home = pg.evaluate(
            """() => { const m = window[document.getElementById('map-var').dataset.name];
            let h = null; m.eachLayer(l => { if (l.getTooltip && l.getTooltip() &&
              l.getTooltip().options.className === 'ge-home-label') { h = l.getLatLng(); } });
            return h && [h.lng, h.lat]; }"""
        )
        w, s, e, n = pg.evaluate(BOUNDS_JS)
        assert w < home[0] < e and s < home[1] < n  # the home is on the map
        assert _km(w, s, e, s) < 8  # town scale, not county scale
        if far.get("lon") is not None:  # and the far school is off the map
            assert not (w < far["lon"] < e and s < far["lat"] < n)
        text = pg.inner_text("#answer")
        assert "taipusi-" not in text  # no internal rule ids
        pg.screenshot(path=str(ARTIFACTS / "parent_taipusi_fit.png"), full_page=True)


def test_phone_layout_390x844(chromium, taipusi):
    base, _ = taipusi
    with open_page(
        chromium,
        base,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    ) as pg:
        pg.goto(base + "/")
        _look_up(pg, HOME)
        pg.wait_for_selector("#answer")
        assert pg.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
        box = pg.locator("#address").bounding_box()
        btn = pg.locator("#lookup-btn").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert btn["x"] + btn["width"] <= 390
        assert box["width"] >= 200  # still a usable box
        legend = pg.locator(".ge-legend")
        toggle = legend.locator(".ge-legend-toggle")
        frame = pg.locator(".map-frame").bounding_box()
        folded = legend.bounding_box()
        assert toggle.get_attribute("aria-expanded") == "false"
        assert folded["width"] * folded["height"] < 0.1 * frame["width"] * frame["height"]
        pg.locator(".map-frame").scroll_into_view_if_needed()
        pg.screenshot(path=str(ARTIFACTS / "parent_mobile_folded.png"))
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true"
        unfolded = legend.bounding_box()
        assert unfolded["height"] > 3 * folded["height"]
        assert "第一小学" in legend.inner_text()
        assert unfolded["height"] <= 0.5 * frame["height"] + 2  # never more than half the map
        pg.screenshot(path=str(ARTIFACTS / "parent_mobile_legend.png"))
        pg.screenshot(path=str(ARTIFACTS / "parent_mobile_full.png"), full_page=True)


def test_an_address_elsewhere_is_answered_inline(chromium, taipusi):
    base, app = taipusi
    with open_page(chromium, base, viewport={"width": 390, "height": 844}) as pg:
        pg.goto(base + "/")
        _look_up(pg, ELSEWHERE)
        err = pg.locator("#lookup-error")
        assert err.count() == 1
        text = err.inner_text()
        assert "不在本服务的辖区内" in text and "延庆" in text
        assert "可以这样试试" in text
        for phone in _consultation_phones(app):
            assert phone in pg.inner_text("#consultation-phone")
        # the page, its form (with what was typed) and the map are all still there
        assert pg.input_value("#address") == ELSEWHERE
        assert pg.locator("#lookup-btn").is_visible()
        assert pg.locator(".leaflet-container").count() == 1
        assert pg.locator("#answer").count() == 0
        w, s, e, _n = pg.evaluate(BOUNDS_JS)  # the town's zones, not the county
        assert _km(w, s, e, s) < 10
        assert pg.evaluate("document.documentElement.scrollWidth") <= 390
        pg.screenshot(path=str(ARTIFACTS / "parent_elsewhere_inline.png"), full_page=True)
        # and the form works again from there
        _look_up(pg, HOME)
        pg.wait_for_selector("#answer")
        assert pg.locator("#lookup-error").count() == 0


def test_a_coarse_match_says_what_to_try_and_whom_to_call(chromium, taipusi):
    base, app = taipusi
    phones = _consultation_phones(app)
    assert phones, "the 太仆寺旗 spec names its consultation phone (policy.contacts)"
    with open_page(chromium, base) as pg:
        pg.goto(base + "/")
        _look_up(pg, "太仆寺旗宝昌镇幸福路999号")  # no such street: township only
        pg.wait_for_selector("#answer")
        help_ = pg.inner_text("#lookup-help")
        assert "门牌号" in help_ and "地图上点击" in help_
        assert all(p in help_ for p in phones)
        assert pg.get_attribute("#consultation-phone a", "href").startswith("tel:")
        pg.screenshot(path=str(ARTIFACTS / "parent_coarse_help.png"), full_page=True)


def test_a_map_click_is_described_in_words(chromium, taipusi):
    base, _ = taipusi
    with open_page(chromium, base) as pg:
        pg.goto(base + "/")
        _look_up(pg, HOME)  # zooms to the town
        pg.wait_for_selector("#answer")
        pg.locator(".leaflet-container").scroll_into_view_if_needed()
        box = pg.locator(".leaflet-container").bounding_box()
        with pg.expect_navigation():
            pg.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.45)
        pg.wait_for_selector("#answer")
        assert pg.get_attribute("#match-level", "data-code") == "poi"
        place = pg.inner_text("#answer .addr")
        assert not re.search(r"\d+\.\d{3,}", place), place  # no raw coordinates
        assert "宝昌镇" in place and "附近" in place, place
        assert "taipusi-" not in pg.inner_text("#answer")
        tips = pg.evaluate("""() => {
            const seen = [];
            for (const el of document.querySelectorAll('path.leaflet-interactive')) {
                el.dispatchEvent(new MouseEvent('mouseover', {bubbles: true, clientX: 5, clientY: 5}));
                document.querySelectorAll('.leaflet-tooltip').forEach(t => seen.push(t.textContent));
                el.dispatchEvent(new MouseEvent('mouseout', {bubbles: true}));
            }
            return seen;
        }""")
        assert tips and not any("taipusi-" in t for t in tips)
        pg.screenshot(path=str(ARTIFACTS / "parent_click_place.png"), full_page=True)


def test_the_near_edge_warning_names_the_school_across(tmp_path):
    """玩具镇中街3号 is 10 m east of 中街, the line between 东区 and 西区."""
    c = make_app(tmp_path).test_client()
    d = c.post("/api/lookup", data={"address": "玩具镇中街3号"}).get_json()
    assert [s["school"] for s in d["groups"]["primary"]] == ["东小学"]
    assert [(a["school"], a["level"]) for a in d["across"]] == [("西小学", "primary")]
    near = [w for w in d["warnings"] if w.startswith("距离划片边界")]
    assert len(near) == 1 and "边界另一侧是 西小学" in near[0]
    html = c.post("/", data={"address": "玩具镇中街3号"}).get_data(as_text=True)
    assert "边界另一侧是 西小学" in html
    # far from every edge: no such warning and nothing across
    d = c.post("/api/lookup", data={"address": "玩具镇横街61号"}).get_json()
    assert d["across"] == [] and not any("边界另一侧" in w for w in d["warnings"])
