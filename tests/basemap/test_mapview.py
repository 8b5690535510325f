"""The offline map: no external URL, escaped labels, renders in Debian's chromium."""

from __future__ import annotations

import shutil
import subprocess

import geopandas as gpd
import pytest
from shapely.geometry import box

from geo_enroll.cli import main
from geo_enroll.mapview import external_urls, offline_map, zones_map

from .conftest import DATA

EVIL = '</script><script>alert("x")</script><img src=x onerror=alert(1)>'


def test_map_page_holds_no_external_url(taipusi_result, schematic):
    page = zones_map(taipusi_result.zones, basemap=schematic).get_root().render()
    assert external_urls(page) == []
    assert "示意图 SCHEMATIC" in page
    assert "jquery" not in page.lower() and "bootstrap" not in page.lower()


def test_tiles_are_optional_and_configurable():
    m = offline_map((41.88, 115.28), tiles="http://localhost:8080/{z}/{x}/{y}.png")
    page = m.get_root().render()
    assert external_urls(page) == ["http://localhost:8080/{z}/{x}/{y}.png"]
    assert "L.tileLayer(" not in offline_map((41.88, 115.28)).get_root().render()
    assert "L.tileLayer(" in page


def test_labels_are_escaped(schematic):
    zones = gpd.GeoDataFrame(
        {
            "school": [EVIL],
            "school_id": ["x"],
            "level": ["primary"],
            "rule_id": [EVIL],
            "kind": ["street_limits"],
            "source": [EVIL],
            "line": [1],
            "schematic": [True],
        },
        geometry=[box(115.27, 41.88, 115.28, 41.89)],
        crs=4326,
    )
    streets = schematic.streets.copy()
    streets.loc[0, "name"] = EVIL
    bm = type(schematic)(
        streets, schematic.landmarks, schematic.areas, schematic.schools, schematic.meta
    )
    page = zones_map(zones, basemap=bm).get_root().render()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")


@pytest.mark.browser
def test_map_renders_in_chromium_without_requests(tmp_path, capsys):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed")
    gpkg, zones, html = tmp_path / "m.gpkg", tmp_path / "z.gpkg", tmp_path / "zones.html"
    report = tmp_path / "r.json"
    assert main(["basemap", "build-schematic", "-o", str(gpkg)]) == 0
    assert (
        main(
            [
                "digitise",
                str(DATA / "taipusi_fixture.toml"),
                "--basemap",
                str(gpkg),
                "-o",
                str(zones),
                "--report",
                str(report),
            ]
        )
        == 0
    )
    assert (
        main(["map", str(zones), "--basemap", str(gpkg), "--report", str(report), "-o", str(html)])
        == 0
    )
    capsys.readouterr()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is not None:
        requests = []
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(html.as_uri())
            page.wait_for_timeout(500)
            paths = page.locator("path.leaflet-interactive").count()
            page.screenshot(path=str(tmp_path / "shot.png"))
            browser.close()
        assert errors == []
        assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
        assert paths >= 10  # zones, streets, gaps drawn as SVG paths
    else:  # plain headless chromium: the picture must not be blank
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                f"--screenshot={tmp_path / 'shot.png'}",
                "--window-size=1200,900",
                html.as_uri(),
            ],
            capture_output=True,
            timeout=120,
        )
    from PIL import Image

    img = Image.open(tmp_path / "shot.png").convert("RGB").resize((120, 90))
    assert len(img.getcolors(maxcolors=120 * 90)) > 20


def test_legend_names_every_school_with_its_zone_colour(taipusi_result, schematic):
    import re

    page = zones_map(taipusi_result.zones, basemap=schematic).get_root().render()
    legend = page[page.index('class="ge-legend"') :]
    legend = legend[: legend.index("</div></div>") + 12]
    names = set(re.findall(r"</span>([^<]+)</div>", legend))
    assert names == set(taipusi_result.zones["school"])
    for colour in re.findall(r"background:(#[0-9a-fA-F]{6})", legend):
        assert f'"fillColor": "{colour}"' in page  # the swatch is a colour the zones use


def test_slivers_of_the_report_are_drawn_with_their_width(taipusi_result, schematic):
    from geo_enroll.diagnostics import build_report

    report = build_report(taipusi_result)
    sliver = {
        "area_m2": 20.0,
        "width_m": 0.2,
        "point": [115.28, 41.88],
        "rules": ["taipusi-p1-r01", "taipusi-p2-r01"],
        "schools": ["taipusi-p1", "taipusi-p2"],
    }
    report["levels"]["primary"]["sliver_overlaps"] = [sliver]
    page = zones_map(taipusi_result.zones, basemap=schematic, report=report).get_root().render()
    assert "sliver overlap: 20 m², 0.2 m wide" in page
