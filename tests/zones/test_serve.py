"""`serve` checks what it serves at start: raw layers imported or refused, any CRS converted,
no 500 on lookup."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from shapely.geometry import box

from geo_enroll.cli import main


def _layer(crs="EPSG:4326"):
    """Three school zones in Santa Rosa-like coordinates + one unzoned area, as a district
    would publish them (no rule_id, one `SCHOOL` field)."""
    x0, y0, d = -122.72, 38.44, 0.01
    g = gpd.GeoDataFrame(
        {"SCHOOL": ["Oak Elementary", "Elm Elementary", "Oak Elementary, Elm Elementary", ""]},
        geometry=[
            box(x0, y0, x0 + d, y0 + d),
            box(x0 + d, y0, x0 + 2 * d, y0 + d),
            box(x0, y0 + d, x0 + 2 * d, y0 + 2 * d),
            box(x0 + 2 * d, y0, x0 + 3 * d, y0 + 2 * d),
        ],
        crs=4326,
    )
    return g.to_crs(crs)


@pytest.fixture
def started(monkeypatch):
    """Run `geo-enroll serve …` up to the point waitress would take over; return the app."""
    import waitress

    seen = {}
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: seen.setdefault("app", app))

    def run(*argv):
        rc = main(["serve", *argv])
        return rc, seen.pop("app", None)

    return run


def _lookup(app, lon, lat):
    c = app.test_client()
    r = c.post("/api/lookup", data={"lon": lon, "lat": lat})
    assert r.status_code < 500, r.get_data(as_text=True)
    return r.status_code, r.get_json()


def _answer(app, lon, lat):
    status, body = _lookup(app, lon, lat)
    assert status == 200, body
    return {lv: sorted(s["school_id"] for s in body["schools"][lv]) for lv in body["schools"]}


PROBES = [
    (-122.715, 38.445),  # Oak
    (-122.705, 38.445),  # Elm
    (-122.705, 38.455),  # the multi-school zone: both
    (-122.695, 38.45),  # the unzoned area
    (-122.73, 38.43),  # outside everything
    (-122.71, 38.4425),  # on the Oak/Elm shared edge
]


@pytest.mark.parametrize("crs", ["EPSG:3857", "EPSG:2226"])  # web mercator; CA state plane 2 (ftUS)
def test_a_published_layer_in_any_crs_answers_like_its_wgs84_twin(tmp_path, started, crs):
    base = tmp_path / "wgs84.geojson"
    _layer().to_file(base)
    other = tmp_path / "projected.gpkg"
    _layer(crs).to_file(other)
    rc, app = started("--zones", str(base), "--level", "primary", "--data", str(tmp_path / "a"))
    assert rc == 0 and app is not None
    rc, app2 = started("--zones", str(other), "--level", "primary", "--data", str(tmp_path / "b"))
    assert rc == 0 and app2 is not None
    got = [_answer(app, *p) for p in PROBES]
    assert got == [_answer(app2, *p) for p in PROBES]
    assert got[0]["primary"] == ["oak-elementary"] and got[1]["primary"] == ["elm-elementary"]
    assert got[2]["primary"] == ["elm-elementary", "oak-elementary"]  # one zone, two schools
    assert got[3]["primary"] == [] and got[4]["primary"] == []
    assert len(got[5]["primary"]) == 1  # the shared edge: exactly one school
    _s, body = _lookup(app, *PROBES[3])
    assert any("未划片" in w for w in body["warnings"])  # named as an unzoned area


def test_a_raw_layer_with_a_foreign_spec_is_refused_at_start(tmp_path, started, capsys):
    raw = tmp_path / "raw.geojson"
    _layer().to_file(raw)
    rc, app = started(
        "--spec", "data/boundaries/taipusi_2024.toml", "--zones", str(raw), "--data", str(tmp_path)
    )
    err = capsys.readouterr().err
    assert rc == 2 and app is None
    assert "rule_id" in err and "--spec" in err


def test_a_zones_layer_with_unknown_rules_is_refused_at_start(tmp_path, started, capsys):
    from geo_enroll.datasets import toy_zones

    path = tmp_path / "toy_zones.gpkg"
    toy_zones().to_file(path, layer="zones")
    rc, app = started("--zones", str(path), "--data", str(tmp_path))  # the default 太仆寺旗 spec
    err = capsys.readouterr().err
    assert rc == 2 and app is None
    assert "toy-p1-r01" in err and "rule_id" in err


def test_a_layer_without_school_field_or_crs_is_refused_with_how_to_fix(tmp_path, started, capsys):
    g = _layer("EPSG:3857").rename(columns={"SCHOOL": "FOO"})
    path = tmp_path / "nofield.geojson"
    g.to_file(path)
    rc, _app = started("--zones", str(path), "--level", "primary", "--data", str(tmp_path))
    assert rc == 2 and "--school-field" in capsys.readouterr().err
    shp = tmp_path / "nocrs.shp"
    with pytest.warns(UserWarning, match="crs"):  # written on purpose without a .prj
        _layer("EPSG:3857").set_crs(None, allow_override=True).to_file(shp)
    rc, _app = started("--zones", str(shp), "--level", "primary", "--data", str(tmp_path))
    assert rc == 2 and "--crs" in capsys.readouterr().err
    rc, app = started(
        "--zones", str(shp), "--level", "primary", "--crs", "EPSG:3857", "--data", str(tmp_path)
    )
    assert rc == 0 and _answer(app, *PROBES[0])["primary"] == ["oak-elementary"]


def test_the_imported_spec_names_file_and_feature(tmp_path, started):
    raw = tmp_path / "district.geojson"
    _layer().to_file(raw)
    rc, _app = started("--zones", str(raw), "--level", "primary", "--data", str(tmp_path))
    assert rc == 0
    spec = json.loads((tmp_path / "imported" / "district.json").read_text())
    srcs = [z["source"] for s in spec["schools"] for z in s["zones"]]
    assert {s["file"] for s in srcs} == {"district.geojson"}
    assert sorted(s["feature"] for s in srcs) == [0, 1, 2]
    assert spec["areas"][0]["source"]["feature"] == 3


def test_a_stored_version_without_rule_ids_never_answers_500(tmp_path):
    """Zones that reached the store without the contract's columns: a clear error, not a 500."""
    from ..web.conftest import make_app, toy_version

    app = make_app(tmp_path)
    store = app.extensions["geo_store"]
    spec, zones = toy_version()
    for f in zones["features"]:
        f["properties"].pop("rule_id", None)
    vid = store.save_version(
        spec=spec, zones=zones, author="system", message="raw", jurisdiction="toy", parent_id=1
    )
    store.publish(vid, author="system")
    c = app.test_client()
    from geo_enroll.datasets import toy_xy_to_lonlat

    lon, lat = toy_xy_to_lonlat(800, 700)
    r = c.post("/api/lookup", data={"lon": lon, "lat": lat, "jurisdiction": "toy"})
    assert 400 <= r.status_code < 500, r.get_data(as_text=True)
    assert "rule_id" in r.get_json()["error"]
