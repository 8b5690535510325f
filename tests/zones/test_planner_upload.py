"""The planner's zone-layer upload: the same importer, a new draft version, never published."""

from __future__ import annotations

import io
import json
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Polygon

from geo_enroll.datasets import toy_xy_to_lonlat as ll

from ..web.conftest import ARTIFACTS, PASSWORD, login, make_app


def _published_layer() -> bytes:
    """A district's own GeoJSON of the toy town: one school per feature, a shared zone, a
    self-intersecting (bow-tie) feature, an area without school and a pocket no zone covers."""
    hole = Polygon([ll(100, 100), ll(200, 100), ll(200, 200), ll(100, 200)])  # no zone here
    west = Polygon([ll(0, 0), ll(500, 0), ll(500, 1000), ll(0, 1000)]).difference(hole)
    bowtie = Polygon([ll(500, 0), ll(1000, 1000), ll(1000, 0), ll(500, 1000)])
    north = Polygon([ll(0, 1000), ll(1000, 1000), ll(1000, 1300), ll(0, 1300)])
    hills = Polygon([ll(0, 1300), ll(1000, 1300), ll(1000, 1500), ll(0, 1500)])
    g = gpd.GeoDataFrame(
        {"学校": ["西小学", "东小学", "东小学、西小学", None]},
        geometry=[west, bowtie, north, hills],
        crs=4326,
    )
    return g.to_crs(3857).to_json().encode()


def test_upload_makes_a_draft_with_diagnostics_and_publishes_nothing(tmp_path):
    app = make_app(tmp_path)
    c = app.test_client()
    token = login(c, "planner")
    store = app.extensions["geo_store"]
    before = store.current_version_id("toy")
    n_before = len(store.versions("toy"))
    r = c.post(
        "/planner/zones/import?jurisdiction=toy",
        data={
            "file": (io.BytesIO(_published_layer()), "district_2025.geojson"),
            "level": "primary",
        },
        headers={"X-CSRF-Token": token, "Accept": "application/json"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 201, r.get_data(as_text=True)
    out = r.get_json()
    assert out["published"] is False and out["version"]["parent_id"] == before
    assert store.current_version_id("toy") == before  # nothing published
    assert len(store.versions("toy")) == n_before + 1
    rep = out["report"]
    assert [x["feature"] for x in rep["repairs"]] == [1]  # the bow-tie, reported
    assert [m["schools"] for m in rep["multi_school"]] == [["dong-xiao-xue", "xi-xiao-xue"]]
    assert len(rep["unzoned"]) == 1 and rep["school_year"] is None
    assert out["problems"]["primary.gaps"] == 1  # the pocket inside 西小学's zone
    v = store.version(out["version"]["id"])
    assert {f["properties"]["kind"] for f in v["zones"]["features"]} == {
        "polygon",
        "multi_school",
        "unzoned",
    }
    assert v["spec"]["areas"][0]["kind"] == "unzoned"
    # a file it cannot use: a clear 400, nothing saved
    r = c.post(
        "/planner/zones/import?jurisdiction=toy",
        data={"file": (io.BytesIO(b"not a layer"), "zones.geojson")},
        headers={"X-CSRF-Token": token, "Accept": "application/json"},
        content_type="multipart/form-data",
    )
    assert r.status_code == 400 and r.get_json()["ok"] is False
    assert len(store.versions("toy")) == n_before + 1


@pytest.mark.browser
def test_planner_upload_in_chromium(tmp_path):
    """Debian's chromium: the planner page's import form → the draft page (screenshot)."""
    from ..web.test_browser import CHROMIUM, launch_chromium, serve

    if not CHROMIUM.exists():
        pytest.skip("Debian chromium (/usr/bin/chromium) missing")
    layer = tmp_path / "district_2025-2026.geojson"
    layer.write_bytes(_published_layer())
    app = make_app(tmp_path)
    with serve(app) as base, launch_chromium() as browser:
        ctx = browser.new_context(viewport={"width": 1200, "height": 1400})
        page = ctx.new_page()
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{base}/login?next=/planner/")
        page.fill("input[name=username]", "planner")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/planner/")
        form = page.locator("#zone-import form")
        form.locator("input[name=file]").set_input_files(str(layer))
        form.locator("input[name=level]").fill("primary")
        form.locator("button").click()
        page.wait_for_selector("#import-result")
        text = page.inner_text("#import-result")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "planner_zone_import.png"
        page.screenshot(path=str(shot), full_page=True)
        ctx.close()
    assert "尚未发布" in text and "2025-2026" in text
    assert "Self-intersection" in text and "东小学、西小学" in text
    assert Path(shot).stat().st_size > 10_000
    assert not [e for e in errors if "Content Security Policy" in e]
    assert app.extensions["geo_store"].current_version_id("toy") == 1
    json.dumps(text)  # the page text is plain text (no markup leaked)


def _zipped_shapefile(tmp_path: Path, *, parts=("shp", "shx", "dbf", "prj")) -> bytes:
    import zipfile

    g = gpd.read_file(io.BytesIO(_published_layer()))
    g["school"] = g["学校"]  # a Shapefile's field names are short ASCII
    g = g.drop(columns="学校").to_crs(3857)
    folder = tmp_path / "shp"
    folder.mkdir(parents=True)
    g.to_file(folder / "zones.shp", encoding="utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for ext in (*parts, "cpg"):
            if (folder / f"zones.{ext}").exists():
                z.write(folder / f"zones.{ext}", f"zones.{ext}")
    return buf.getvalue()


def test_zipped_shapefile_upload_is_imported_and_errors_name_the_users_file(tmp_path):
    """Review W4: a .zip Shapefile is read (not refused as a missing /vsizip/ path), and a
    broken upload's message names the user's file, never the server's temporary path."""
    app = make_app(tmp_path)
    c = app.test_client()
    token = login(c, "planner")

    def post(data: bytes, filename: str):
        return c.post(
            "/planner/zones/import?jurisdiction=toy",
            data={"file": (io.BytesIO(data), filename), "level": "primary"},
            headers={"X-CSRF-Token": token, "Accept": "application/json"},
            content_type="multipart/form-data",
        )

    r = post(_zipped_shapefile(tmp_path), "学区2025.zip")
    assert r.status_code == 201, r.get_data(as_text=True)
    rep = r.get_json()["report"]
    assert rep["source"] == "学区2025.zip" and rep["zones"] == 4
    assert [m["schools"] for m in rep["multi_school"]] == [["dong-xiao-xue", "xi-xiao-xue"]]
    for data, fname in (
        (b"PK\x03\x04 not really a zip", "坏文件.zip"),
        (_zipped_shapefile(tmp_path / "b", parts=("dbf",)), "只有dbf.zip"),
        (b"not a layer", "zones.geojson"),
    ):
        r = post(data, fname)
        text = json.dumps(r.get_json(), ensure_ascii=False)
        assert r.status_code == 400, text
        assert fname in text
        assert "geo_enroll_upload_" not in text and "/tmp" not in text and "vsizip" not in text
