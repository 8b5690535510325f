"""The maps' background: drawn offline from the base map's own layers (areas, rivers, place
names), with a tile server only when a deployment configures one (``TILES_URL`` /
``Settings.tiles_url`` / ``$GEO_ENROLL_TILES_URL``)."""

from __future__ import annotations

import re

import pytest

from .conftest import make_app

TILE_LAYER = re.compile(r"L\.tileLayer\(\s*\"([^\"]*)\"")


@pytest.fixture(scope="module")
def taipusi_app(tmp_path_factory):
    from web.jurisdictions import from_policy, seed_defaults

    def make(**config):
        j = from_policy("taipusi_2024")
        app = make_app(tmp_path_factory.mktemp("basemap"), JURISDICTIONS=[j], **config)
        seed_defaults(app.extensions["geo_store"], j, logger=app.logger, cohort_seed=None)
        return app

    return make


def test_the_background_comes_from_the_base_map_and_nothing_is_fetched(taipusi_app):
    import geopandas as gpd

    app = taipusi_app()
    html = app.test_client().get("/").get_data(as_text=True)
    assert not TILE_LAYER.search(html)  # no tile server by default
    # every area of the base map that has a name (but the county) is labelled on the map
    j = app.extensions["geo_jurisdictions"]["taipusi_2024"]
    areas = gpd.read_file(j.ctx.basemap, layer="areas")
    named = areas[(areas["name"] != "") & (areas["kind"] != "county")]
    assert html.count("ge-area-label") >= len(named) > 0
    assert "#5fa8d3" in html  # the river drawn in blue
    # and no URL outside the app anywhere in the page
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", html)
    # (the page's random CSP nonce left out: it may spell "cdn" by chance, as one CI run saw)
    for nonce in set(re.findall(r'nonce="([^"]+)"', html)):
        html = html.replace(nonce, "")
    assert "unpkg" not in html and "cdn" not in html.lower()


@pytest.mark.parametrize(
    ("configured", "shown"),
    [
        ("/tiles/{z}/{x}/{y}.png", "/tiles/{z}/{x}/{y}.png"),
        (
            "https://tiles.example.gov.cn/{z}/{x}/{y}.png",
            "https://tiles.example.gov.cn/{z}/{x}/{y}.png",
        ),
        ("http://plain.example/{z}/{x}/{y}.png", None),  # not https: refused
        ('https://x.example/{z}/{x}/{y}.png"></script><script>alert(1)//', None),
        ("javascript:alert(1)//{z}{x}{y}", None),
    ],
)
def test_a_configured_tile_server(taipusi_app, configured, shown):
    app = taipusi_app(TILES_URL=configured)
    html = app.test_client().get("/").get_data(as_text=True)
    got = TILE_LAYER.search(html)
    assert (got.group(1) if got else None) == shown
    assert "ge-area-label" in html  # the offline background stays under the tiles
    assert "alert(1)" not in html


def test_the_tile_setting_reads_the_environment(monkeypatch):
    from geo_enroll.settings import Settings

    monkeypatch.delenv("GEO_ENROLL_TILES_URL", raising=False)
    assert Settings().tiles_url is None
    monkeypatch.setenv("GEO_ENROLL_TILES_URL", "/tiles/{z}/{x}/{y}.png")
    assert Settings().tiles_url == "/tiles/{z}/{x}/{y}.png"


def test_a_real_osm_base_map_draws_and_describes(tmp_path):
    """Helsinki centre from OpenStreetMap (tests/basemap/data, ODbL): 2,800 ways with railways
    and rivers; the background draws them and a point is described by its real street."""
    import geopandas as gpd
    from shapely.geometry import box, mapping

    from geo_enroll.basemap.importers import import_osm
    from geo_enroll.basemap.layers import write_basemap
    from web.context import Context, basemap_layer
    from web.maps import render_parts, zones_map
    from web.public.nearby import describe_point

    src = pytest.importorskip("pathlib").Path(__file__).parents[1] / "basemap/data"
    bm = import_osm(src / "helsinki_centre.osm.pbf")
    path = write_basemap(bm, tmp_path / "helsinki.gpkg")
    ctx = Context(streets=bm.streets, basemap=path)
    x0, y0, x1, y1 = bm.streets.total_bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    zone = box(cx - 0.003, cy - 0.002, cx + 0.003, cy + 0.002)
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"school": "示意学校", "school_id": "s1", "rule_id": "r1"},
                "geometry": mapping(zone),
            }
        ],
    }
    parts = render_parts(
        zones_map(
            fc,
            streets=ctx.streets,
            areas=basemap_layer(ctx, "areas"),
            landmarks=basemap_layer(ctx, "landmarks"),
            rule_ids=False,
        ),
        nonce="n",
    )
    script = parts["script"]
    kinds = set(bm.streets["kind"])
    assert {"railway", "river"} <= kinds
    assert "#555555" in script and "#5fa8d3" in script  # railways and rivers drawn
    assert '"r1"' not in script  # no internal rule id on a parents' map
    legend = parts["body"]
    assert "铁路" in legend and "河流" in legend
    # the map is fitted to the zone, not to the 2,800 ways around it
    fit = re.search(r"fitBounds\(\s*\[\[([\d.]+),\s*([\d.]+)\],\s*\[([\d.]+),\s*([\d.]+)\]", script)
    s_, w_, n_, e_ = map(float, fit.groups())
    assert w_ <= cx - 0.003 and e_ >= cx + 0.003 and (e_ - w_) < 0.02
    # a point in words: a real street of the map, no coordinates
    streets = gpd.GeoDataFrame(bm.streets)
    p = streets[streets["name"] != ""].geometry.iloc[0].interpolate(0.5, normalized=True)
    text = describe_point(p.x, p.y, ctx)
    assert any(str(n) in text for n in streets["name"] if n) and not re.search(r"\d\.\d{3}", text)
