"""Offline folium maps of zones (划片地图): every asset inline, no CDN, no tiles by default.

:func:`offline_map` is a ``folium.Map`` whose Leaflet JS and CSS are the vendored copies in
``geo_enroll/static/vendor/leaflet`` inlined into the page (jQuery, Bootstrap and the
awesome-markers font are dropped); tiles are optional (``tiles=`` a URL template and its
attribution).  :func:`zones_layer` draws zones coloured by school; :func:`zones_map` is the map
of the ``geo-enroll map`` command: primary and middle zones as layers, the base-map streets,
gaps and overlaps from a diagnostics report highlighted, and a visible schematic label.

Every label is HTML-escaped (school and street names come from user files).

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> z = gpd.GeoDataFrame({"school": ["<b>一小</b>"], "school_id": ["p1"], "level": ["primary"],
    ...     "rule_id": ["p1-r01"], "kind": ["street_limits"], "source": ["东至…"], "line": [1],
    ...     "schematic": [True]}, geometry=[box(115.27, 41.88, 115.28, 41.89)], crs=4326)
    >>> page = zones_map(z).get_root().render()
    >>> "<b>一小</b>" in page, external_urls(page)
    (False, [])
"""

from __future__ import annotations

import base64
import html
import json
import re
from functools import lru_cache
from pathlib import Path

import folium
import geopandas as gpd
import pyogrio
import shapely

from .errors import InputError
from .settings import PACKAGE_ROOT

__all__ = [
    "offline_map",
    "zones_layer",
    "zones_map",
    "read_zones",
    "external_urls",
    "legend",
    "streets_layer",
    "school_markers",
    "escape_label",
    "PALETTE",
]

_VENDOR = PACKAGE_ROOT / "static" / "vendor" / "leaflet"
PALETTE = [
    "#1b9e77",
    "#d95f02",
    "#7570b3",
    "#e7298a",
    "#66a61e",
    "#e6ab02",
    "#a6761d",
    "#1f78b4",
    "#b2df8a",
    "#fb9a99",
    "#cab2d6",
    "#ff7f00",
]


@lru_cache(maxsize=1)
def _leaflet_assets() -> tuple[str, str]:
    """(js, css) of the vendored Leaflet, images inlined as data: URIs."""
    js = (_VENDOR / "leaflet.js").read_text(encoding="utf-8")
    css = (_VENDOR / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        path = _VENDOR / match.group(1)
        if not path.exists():
            return "url()"
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\((images/[^)]+\.png)\)", inline, css)
    # Leaflet names URLs only in comments and its attribution link: drop the scheme so that the
    # page holds no external URL at all (the SVG namespace is an identifier, never fetched).
    js, css = _URL.sub("", js), _URL.sub("", css)
    return js.replace("</script", "<\\/script"), css


_URL = re.compile(r"https?://(?!www\.w3\.org/)")


def external_urls(page: str) -> list[str]:
    """Every http(s) URL in an HTML page except XML namespace identifiers.

    >>> external_urls('<script src="https://cdn.example/x.js"></script>')
    ['https://cdn.example/x.js']
    """
    return re.findall(r"https?://(?!www\.w3\.org/2000/svg)[^\s\"'<>)]+", page)


def offline_map(
    location: tuple[float, float] | None = None,
    zoom_start: int = 14,
    *,
    tiles: str | None = None,
    attribution: str | None = None,
    **kwargs,
) -> folium.Map:
    """A ``folium.Map`` that needs no network: Leaflet inlined, no tiles unless given.

    Parameters
    ----------
    location : (lat, lon) of the centre (folium's order).
    tiles : optional tile URL template (e.g. a local tile server); None = blank background.
    attribution : required by folium with a custom ``tiles`` URL.
    """
    if tiles and not attribution:
        attribution = "tiles: " + html.escape(tiles.split("/")[2] if "//" in tiles else tiles)
    m = folium.Map(
        location=location or [0, 0], zoom_start=zoom_start, tiles=None, control_scale=True, **kwargs
    )
    m.default_js = []  # instance attributes: never mutate folium's class lists
    m.default_css = []
    js, css = _leaflet_assets()
    header = m.get_root().header
    header.add_child(folium.Element(f"<style>{css}</style>"), name="leaflet_css_inline")
    header.add_child(folium.Element(f"<script>{js}</script>"), name="leaflet_js_inline")
    header.add_child(
        folium.Element(
            "<style>.leaflet-container{background:#f4f3ef;font-family:'WenQuanYi Zen Hei',"
            "'Noto Sans CJK SC',sans-serif}.ge-label{font-size:12px;color:#333;white-space:nowrap;"
            "text-shadow:0 0 3px #fff}</style>"
        ),
        name="geo_enroll_css",
    )
    if tiles:
        folium.TileLayer(tiles=tiles, attr=attribution, name="tiles").add_to(m)
    return m


def escape_label(value) -> str:
    """Escape a label for HTML *and* for the JavaScript template literals folium puts tooltip
    text in (where ``${…}`` would run and a backtick would end the string).

    >>> escape_label("<b>${alert(1)}</b>`")
    '&lt;b&gt;&#36;{alert(1)}&lt;/b&gt;&#96;'
    """
    text = html.escape(str(value if value is not None else ""), quote=True)
    return text.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


_esc = escape_label


def _color_map(ids) -> dict:
    return {sid: PALETTE[i % len(PALETTE)] for i, sid in enumerate(sorted(set(ids)))}


def zones_layer(
    zones: gpd.GeoDataFrame,
    *,
    name: str = "zones",
    colors: dict | None = None,
    show: bool = True,
) -> folium.FeatureGroup:
    """A layer of zones coloured by ``school_id`` with an escaped tooltip per zone."""
    group = folium.FeatureGroup(name=_esc(name), show=show)
    colors = colors or _color_map(zones["school_id"]) if len(zones) else {}
    for _, row in zones.to_crs(4326).iterrows():
        color = colors.get(row["school_id"], "#3388ff")
        tip = (
            f"<b>{_esc(row['school'])}</b> ({_esc(row['school_id'])})<br>"
            f"{_esc(row['rule_id'])} · {_esc(row['kind'])}"
            + (f"<br>{_esc(row['source'])[:200]}" if "source" in row and row["source"] else "")
            + ("<br><i>示意 schematic</i>" if bool(row.get("schematic", False)) else "")
        )
        folium.GeoJson(
            {
                "type": "Feature",
                "properties": {},
                "geometry": json.loads(shapely.to_geojson(row.geometry)),
            },
            style_function=lambda _f, c=color: {
                "color": c,
                "weight": 2,
                "fillColor": c,
                "fillOpacity": 0.35,
            },
            tooltip=folium.Tooltip(tip, sticky=True),
        ).add_to(group)
    return group


def _lines_layer(streets: gpd.GeoDataFrame) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name="街道 streets", show=True)
    styles = {
        "river": ("#5b9bd5", 3, None),
        "railway": ("#555", 2, "6 4"),
        "bridge": ("#000", 4, None),
    }
    for _, row in streets.to_crs(4326).iterrows():
        color, weight, dash = styles.get(row["kind"], ("#888", 2, None))
        name = str(row["name"] or "")
        folium.PolyLine(
            [(y, x) for x, y in row.geometry.coords]
            if row.geometry.geom_type == "LineString"
            else [[(y, x) for x, y in g.coords] for g in row.geometry.geoms],
            color=color,
            weight=weight,
            dash_array=dash,
            tooltip=folium.Tooltip(_esc(name)) if name else None,
        ).add_to(group)
    return group


def _problems_layer(report: dict, level: str) -> folium.FeatureGroup:
    lv = (report.get("levels") or {}).get(level) or {}
    group = folium.FeatureGroup(
        name=f"{'小学' if level == 'primary' else '初中'} 空白/重叠 gaps & overlaps ({level})",
        show=level == "primary",
    )
    for kind, color, label in (
        ("gaps", "#d7191c", "空白 gap"),
        ("overlaps", "#7b3294", "重叠 overlap"),
        ("sliver_gaps", "#d7191c", "细缝空白 sliver gap"),
        ("sliver_overlaps", "#7b3294", "细缝重叠 sliver overlap"),
    ):
        for item in lv.get(kind) or []:
            tip = (
                f"{label}: {item['area_m2']:.0f} m²"
                + (f", {item['width_m']} m wide" if "width_m" in item else "")
                + (f" · {_esc(item.get('where', ''))}")
                + f"<br>{_esc(', '.join(item.get('rules') or []))}"
            )
            if item.get("geometry"):
                folium.GeoJson(
                    {"type": "Feature", "properties": {}, "geometry": item["geometry"]},
                    style_function=lambda _f, c=color: {
                        "color": c,
                        "weight": 3,
                        "fillColor": c,
                        "fillOpacity": 0.45,
                        "dashArray": "6 4",
                    },
                    tooltip=folium.Tooltip(tip),
                ).add_to(group)
            lon, lat = item["point"]
            folium.CircleMarker(
                [lat, lon],
                radius=6,
                color=color,
                fill=True,
                fill_opacity=0.9,
                tooltip=folium.Tooltip(tip),
            ).add_to(group)
    return group


def _label(m: folium.Map, text: str) -> None:
    m.get_root().html.add_child(
        folium.Element(
            '<div style="position:fixed;top:10px;left:60px;z-index:1000;background:#fff3cd;'
            "border:1px solid #c9a227;padding:6px 10px;font-size:14px;font-weight:bold;"
            f"font-family:'WenQuanYi Zen Hei',sans-serif\">{_esc(text)}</div>"
        )
    )


_LEGEND_CSS = (
    ".ge-legend{{position:fixed;bottom:30px;right:10px;z-index:1000;background:#fff;"
    "border:1px solid #999;padding:6px 10px;font-size:13px;max-height:60%;overflow:auto;"
    "font-family:'WenQuanYi Zen Hei',sans-serif}}"
    ".ge-legend .ge-sw{{display:inline-block;width:12px;height:12px;margin-right:6px;"
    "vertical-align:middle;opacity:.7}}"
    ".ge-legend .ge-sw.point{{border-radius:50%;opacity:1;border:1px solid #000}}"
    ".ge-legend .ge-sw.line{{height:3px;opacity:1}}"
)


def legend(m: folium.Map, entries, *, title: str = "学校 schools") -> folium.Element:
    """Add a fixed legend to ``m``: one row per ``(colour, label[, shape])`` entry.

    ``shape`` is ``area`` (a square swatch, default), ``point`` (a dot) or ``line``.  Labels are
    escaped; colours must be ``#rrggbb``.  The markup carries no ``style`` attribute: the styles
    sit in one ``<style>`` element inside the legend, so a page with a strict
    Content-Security-Policy (a nonce on ``<style>``, no ``unsafe-inline``) shows it unchanged.

    >>> m = offline_map((41.88, 115.28))
    >>> el = legend(m, [("#1b9e77", "<b>一小</b>"), ("#000000", "家 home", "point")])
    >>> html_ = el.render()
    >>> "&lt;b&gt;一小" in html_, "style=" in html_, 'class="ge-sw point' in html_
    (True, False, True)
    """
    uid = m.get_name()
    css, rows = [], []
    for i, entry in enumerate(entries):
        colour, text = entry[0], entry[1]
        shape = entry[2] if len(entry) > 2 else "area"
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", str(colour)):
            colour = "#3388ff"
        css.append(f".ge-legend .ge-c-{uid}-{i}{{background:{colour}}}")
        cls = {"point": " point", "line": " line"}.get(shape, "")
        rows.append(f'<div><span class="ge-sw{cls} ge-c-{uid}-{i}"></span>{_esc(text)}</div>')
    el = folium.Element(
        f'<div class="ge-legend"><style>{_LEGEND_CSS.format()}{"".join(css)}</style>'
        f"<b>{_esc(title)}</b>{''.join(rows)}</div>"
    )
    m.get_root().html.add_child(el, name="ge_legend")
    return el


def streets_layer(streets: gpd.GeoDataFrame, *, name: str = "街道 streets", show: bool = True):
    """The base-map streets as one layer, each named on hover (names escaped).

    Roads grey, rivers blue, railways dashed, bridges black; unnamed lines have no tooltip.
    """
    feats = []
    for _, row in streets.to_crs(4326).iterrows():
        geom = row.geometry
        if geom is None or geom.is_empty:
            continue
        feats.append(
            {
                "type": "Feature",
                "properties": {
                    "name": _esc(row.get("name") or "") or "—",
                    "kind": str(row.get("kind") or "road"),
                },
                "geometry": json.loads(shapely.to_geojson(geom)),
            }
        )
    styles = {
        "river": {"color": "#5b9bd5", "weight": 3},
        "railway": {"color": "#555555", "weight": 2, "dashArray": "6 4"},
        "bridge": {"color": "#000000", "weight": 4},
    }
    group = folium.FeatureGroup(name=_esc(name), show=show)
    if feats:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": feats},
            style_function=lambda f: (
                styles.get(f["properties"]["kind"], {"color": "#8a8a8a", "weight": 2})
                | {"opacity": 0.9}
            ),
            highlight_function=lambda f: {"weight": 5, "color": "#333333"},
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False, sticky=True),
        ).add_to(group)
    return group


def school_markers(
    schools, *, colors: dict | None = None, name: str = "学校 schools", show: bool = True
):
    """School locations: a dot in the school's colour and its name as a label (escaped).

    ``schools`` is a list of dicts with ``id``, ``name``, ``lon``, ``lat`` and optionally
    ``note`` (shown on hover, e.g. 示意位置).
    """
    group = folium.FeatureGroup(name=_esc(name), show=show)
    for s in schools:
        if s.get("lon") is None or s.get("lat") is None:
            continue
        colour = (colors or {}).get(s.get("id"), "#ffffff")
        folium.CircleMarker(
            [float(s["lat"]), float(s["lon"])],
            radius=7,
            color="#000000",
            weight=2,
            fill=True,
            fill_color=colour,
            fill_opacity=1,
            tooltip=folium.Tooltip(
                _esc(s.get("name")) + (f" · {_esc(s['note'])}" if s.get("note") else ""),
                permanent=True,
                direction="right",
                class_name="ge-school-label",
            ),
        ).add_to(group)
    return group


def _legend(m: folium.Map, zones: gpd.GeoDataFrame, colors: dict) -> None:
    """A fixed legend: one colour swatch per school (names escaped), primary then middle."""
    if not len(zones):
        return
    order = {"primary": 0, "nine_year": 1, "middle": 2}
    schools = (
        zones[["school_id", "school", "level"]]
        .drop_duplicates("school_id")
        .assign(_o=lambda d: d["level"].map(order).fillna(3))
        .sort_values(["_o", "school_id"])
    )
    legend(m, [(colors.get(r.school_id, "#3388ff"), r.school) for r in schools.itertuples()])


def zones_map(
    zones: gpd.GeoDataFrame,
    *,
    basemap=None,
    report: dict | None = None,
    tiles: str | None = None,
    attribution: str | None = None,
) -> folium.Map:
    """The map of the ``geo-enroll map`` command (see the module docstring)."""
    zones = zones.to_crs(4326) if len(zones) else zones
    frames = [zones] if len(zones) else []
    if basemap is not None and len(basemap.areas):
        frames.append(basemap.areas[basemap.areas["kind"].isin(["town", "community"])])
    bounds = None
    for f in frames:
        if len(f):
            b = f.to_crs(4326).total_bounds
            bounds = (
                b
                if bounds is None
                else [
                    min(bounds[0], b[0]),
                    min(bounds[1], b[1]),
                    max(bounds[2], b[2]),
                    max(bounds[3], b[3]),
                ]
            )
    centre = (
        [(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2] if bounds is not None else [0, 0]
    )
    m = offline_map(centre, 14, tiles=tiles, attribution=attribution)
    schematic = bool(len(zones) and zones["schematic"].astype(bool).any()) or bool(
        basemap is not None and basemap.schematic
    )
    if basemap is not None and len(basemap.areas):
        areas = basemap.areas[basemap.areas["kind"].isin(["town", "community"])]
        group = folium.FeatureGroup(name="社区 communities", show=True)
        for _, row in areas.to_crs(4326).iterrows():
            folium.GeoJson(
                {
                    "type": "Feature",
                    "properties": {},
                    "geometry": json.loads(shapely.to_geojson(row.geometry)),
                },
                style_function=lambda _f: {
                    "color": "#444",
                    "weight": 1.5,
                    "fill": False,
                    "dashArray": "4 4",
                },
            ).add_to(group)
            if row["kind"] == "community":
                p = row.geometry.representative_point()
                folium.Marker(
                    [p.y, p.x],
                    icon=folium.DivIcon(
                        html=f'<div class="ge-label">{_esc(row["name"])}</div>',
                        icon_size=(80, 16),
                        icon_anchor=(30, 8),
                    ),
                ).add_to(group)
        group.add_to(m)
    colors = _color_map(zones["school_id"]) if len(zones) else {}
    for level, label in (("primary", "小学 primary"), ("middle", "初中 middle")):
        sub = zones[zones["level"].isin([level, "nine_year"])] if len(zones) else zones
        if len(sub):
            zones_layer(sub, name=f"{label} zones", colors=colors, show=level == "primary").add_to(
                m
            )
    if basemap is not None and len(basemap.streets):
        _lines_layer(basemap.streets).add_to(m)
    if basemap is not None and len(basemap.schools):
        group = folium.FeatureGroup(name="学校 schools", show=True)
        for _, row in basemap.schools.to_crs(4326).iterrows():
            folium.CircleMarker(
                [row.geometry.y, row.geometry.x],
                radius=5,
                color="#000",
                fill=True,
                fill_color="#fff",
                fill_opacity=1,
                tooltip=folium.Tooltip(
                    f"{_esc(row['name'])} ({_esc(row['school_id'])})"
                    + (" · 示意位置 schematic" if row["schematic"] else "")
                ),
            ).add_to(group)
        group.add_to(m)
    if report:
        for level in ("primary", "middle"):
            _problems_layer(report, level).add_to(m)
    if schematic:
        _label(m, "示意图 SCHEMATIC — 街道与边界为示意，非测绘 (not surveyed)")
    _legend(m, zones, colors)
    folium.LayerControl(collapsed=False).add_to(m)
    if bounds is not None:
        m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    return m


def read_zones(path: str | Path) -> gpd.GeoDataFrame:
    """Zones from a ``.gpkg`` (layer ``zones``) or ``.geojson`` written by ``digitise``."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"zones file {path} does not exist")
    try:
        layers = [str(r[0]) for r in pyogrio.list_layers(path)]
        layer = "zones" if "zones" in layers else layers[0]
        zones = pyogrio.read_dataframe(path, layer=layer)
    except Exception as exc:
        raise InputError(f"zones file {path} cannot be read: {exc}") from None
    missing = {"school", "school_id", "level", "rule_id"} - set(zones.columns)
    if missing:
        raise InputError(
            f"zones file {path} lacks column(s) {', '.join(sorted(missing))}; "
            "write it with `geo-enroll digitise`"
        )
    if "schematic" not in zones.columns:
        zones["schematic"] = False
    zones["schematic"] = zones["schematic"].fillna(False).astype(bool)
    return zones if zones.crs is not None else zones.set_crs(4326)
