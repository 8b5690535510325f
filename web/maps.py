"""folium maps for the service, fully offline and safe to embed under a strict CSP.

* Leaflet comes from the app itself (``/vendor/leaflet/…``); folium's CDN defaults (jQuery,
  Bootstrap, awesome-markers, Font Awesome) are dropped — only Leaflet is needed for what we draw
  (polygons, lines, circle markers and plain-text tooltips).
* No tile layer by default (no tile server is reachable offline); ``tiles_url`` may name one.
* Every label is HTML-escaped before it reaches folium (folium inserts tooltip text and GeoJSON
  properties unescaped; a ``</script>`` in a school name would otherwise close the script).
* :func:`render_parts` returns the head/body/script fragments with the request's CSP nonce on
  every ``<script>``/``<style>`` and refuses any external URL.

When ``geo_enroll.mapview.offline_map`` exists it is used for the base map, minus its inlined
copy of Leaflet (pages load the vendored files from ``/vendor``).
"""

from __future__ import annotations

import html
import re
from typing import Any

import folium

from geo_enroll.errors import GeoEnrollError

__all__ = ["zones_map", "render_parts", "escape_props", "label", "PALETTE"]

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

CENTRE = (41.88444, 115.27889)  # 宝昌镇 town seat (lat, lon), GeoNames


def label(text: Any) -> str:
    """Escape a label for HTML *and* for a JavaScript template literal (folium puts tooltip
    text inside backticks, where ``${…}`` would run).

    >>> label("<i>${alert(1)}</i>`")
    '&lt;i&gt;&#36;{alert(1)}&lt;/i&gt;&#96;'
    """
    s = html.escape(str(text if text is not None else ""))
    return s.replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")


def escape_props(props: dict) -> dict:
    """Escape every string property with :func:`label` (labels are text, never markup).

    >>> escape_props({"school": "<script>x</script>", "n": 3})
    {'school': '&lt;script&gt;x&lt;/script&gt;', 'n': 3}
    """
    return {k: label(v) if isinstance(v, str) else v for k, v in props.items()}


def _colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _base_map(location, zoom: int, tiles_url: str | None, vendor: str) -> folium.Map:
    m = None
    try:
        from geo_enroll.mapview import offline_map  # type: ignore[attr-defined]
    except ImportError:
        offline_map = None
    if offline_map is not None:
        try:
            m = offline_map(location=location, zoom_start=zoom, tiles=tiles_url)
        except TypeError:
            m = None
        else:
            # offline_map inlines Leaflet (~150 kB) for stand-alone files; pages of the service
            # load the same vendored files from /vendor instead (cached, one copy)
            header = m.get_root().header
            for name in ("leaflet_css_inline", "leaflet_js_inline"):
                header._children.pop(name, None)
    if m is None:
        m = folium.Map(location=list(location), zoom_start=zoom, tiles=None, control_scale=True)
        if tiles_url:
            folium.TileLayer(tiles=tiles_url, attr="configured tiles").add_to(m)
    # instance-level lists: never mutate folium's class defaults
    m.default_js = [("leaflet", f"{vendor}/leaflet/leaflet.js")]
    m.default_css = [("leaflet_css", f"{vendor}/leaflet/leaflet.css")]
    return m


def zones_map(
    zones: dict,
    *,
    seat_use: list[dict] | None = None,
    lines: list[dict] | None = None,
    points: list[dict] | None = None,
    highlight: dict | None = None,
    tiles_url: str | None = None,
    vendor: str = "/vendor",
    schematic_note: str = "示意图 schematic map",
) -> folium.Map:
    """A map of zones coloured by school, with optional overflow lines and points.

    Parameters
    ----------
    zones : dict
        GeoJSON FeatureCollection (properties ``school``, ``rule_id``, ``level``, ``kind``).
    seat_use : list of dict, optional
        ``{"school", "seats", "placed"}`` rows shown in each zone's tooltip.
    lines : list of dict, optional
        ``{"from": [lon, lat], "to": [lon, lat], "label"}`` (overflow: home → school).
    points : list of dict, optional
        ``{"lon", "lat", "label", "value" (0..1, colour intensity)}``.
    highlight : dict, optional
        A FeatureCollection drawn in red on top (changed areas, gaps, overlaps).

    Examples
    --------
    >>> fc = {"type": "FeatureCollection", "features": [{"type": "Feature",
    ...   "properties": {"school": "<b>x</b>", "rule_id": "r1", "level": "primary"},
    ...   "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}]}
    >>> parts = render_parts(zones_map(fc), nonce="n1")
    >>> "<b>x</b>" in parts["script"], "lt;b" in parts["script"]
    (False, True)
    """
    feats = [f for f in zones.get("features") or [] if f.get("geometry")]
    schools = sorted({(f.get("properties") or {}).get("school") or "" for f in feats})
    colours = {s: _colour(i) for i, s in enumerate(schools)}
    use = {u["school"]: u for u in seat_use or []}
    m = _base_map(CENTRE, 13, tiles_url, vendor)
    by_level: dict[str, list] = {}
    for f in feats:
        p = dict(f.get("properties") or {})
        u = use.get(p.get("school"))
        text = f"{p.get('school', '')} · {p.get('rule_id', '')}"
        if u:
            text += f" · 学位 {u.get('placed', 0)}/{u.get('seats', 0)}"
        p["label"] = text
        p["colour"] = colours.get(p.get("school") or "", "#888")
        clean = {
            k: p.get(k)
            for k in ("school", "school_id", "level", "rule_id", "kind", "label", "colour")
        }
        by_level.setdefault(str(p.get("level") or "zones"), []).append(
            {"type": "Feature", "properties": escape_props(clean), "geometry": f["geometry"]}
        )
    bounds = []
    for level, fs in sorted(by_level.items()):
        name = {"primary": "小学 primary", "middle": "初中 middle"}.get(level, level)
        layer = folium.GeoJson(
            {"type": "FeatureCollection", "features": fs},
            name=label(name),
            style_function=lambda f: {
                "color": f["properties"]["colour"],
                "weight": 2,
                "fillColor": f["properties"]["colour"],
                "fillOpacity": 0.35,
            },
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        )
        layer.add_to(m)
        bounds.append(layer.get_bounds())
    if highlight and highlight.get("features"):
        hl = [
            {
                "type": "Feature",
                "geometry": f["geometry"],
                "properties": escape_props(
                    {k: str(v) for k, v in (f.get("properties") or {}).items()}
                ),
            }
            for f in highlight["features"]
            if f.get("geometry")
        ]
        if hl:
            fields = sorted(hl[0]["properties"])
            folium.GeoJson(
                {"type": "FeatureCollection", "features": hl},
                name="变化 changes",
                style_function=lambda f: {
                    "color": "#d00",
                    "weight": 3,
                    "fillColor": "#f00",
                    "fillOpacity": 0.4,
                },
                tooltip=folium.GeoJsonTooltip(fields=fields) if fields else None,
            ).add_to(m)
    for ln in lines or []:
        (x1, y1), (x2, y2) = ln["from"], ln["to"]
        folium.PolyLine(
            [(y1, x1), (y2, x2)],
            color="#d00",
            weight=1.5,
            opacity=0.7,
            tooltip=label(ln.get("label", "")),
        ).add_to(m)
    for pt in points or []:
        v = float(pt.get("value", 1.0))
        folium.CircleMarker(
            (pt["lat"], pt["lon"]),
            radius=4,
            weight=0,
            fill=True,
            fill_opacity=0.3 + 0.7 * v,
            fill_color=f"rgb({int(255 * v)},{int(80 * (1 - v))},{int(255 * (1 - v))})",
            tooltip=label(pt.get("label", "")),
        ).add_to(m)
    if len(by_level) > 1 or highlight:
        folium.LayerControl(collapsed=False).add_to(m)
    b = [x for x in bounds if x and None not in x[0] + x[1]]
    if b:
        m.fit_bounds(
            [
                [min(x[0][0] for x in b), min(x[0][1] for x in b)],
                [max(x[1][0] for x in b), max(x[1][1] for x in b)],
            ]
        )
    if schematic_note:
        m.get_root().html.add_child(
            folium.Element(f'<div class="map-note">{label(schematic_note)}</div>')
        )
    return m


_EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def render_parts(m: folium.Map, *, nonce: str) -> dict[str, Any]:
    """Render a map into ``head``/``body``/``script`` fragments for a page with a CSP nonce.

    Raises
    ------
    GeoEnrollError
        If any fragment references a script, style or tile outside the app.
    """
    root = m.get_root()
    root.render()
    head = root.header.render()
    body = root.html.render()
    script = root.script.render()
    head = re.sub(r"<meta[^>]*viewport[^>]*>", "", head)
    head = re.sub(r"<style>\s*html, body \{.*?</style>", "", head, flags=re.S)
    head = re.sub(r"<style>\s*#map \{.*?</style>", "", head, flags=re.S)
    for name, frag in (("head", head), ("body", body), ("script", script)):
        if _EXTERNAL.search(frag):
            raise GeoEnrollError(f"map {name} references an external asset; refusing to serve it")
    tag = re.compile(r"<(script|style)(?=[\s>])", re.I)
    head = tag.sub(lambda mo: f'<{mo.group(1)} nonce="{nonce}"', head)
    body = tag.sub(lambda mo: f'<{mo.group(1)} nonce="{nonce}"', body)
    return {"head": head, "body": body, "script": script, "id": m.get_name()}
