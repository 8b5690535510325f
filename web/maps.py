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
from geo_enroll.mapview import PALETTE

__all__ = [
    "zones_map",
    "background",
    "tiles_url",
    "render_parts",
    "escape_props",
    "label",
    "school_colours",
    "PALETTE",
]

# one palette for every map of the product

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


_TILES = re.compile(r"^(https://[^\s\"'<>`\\]+|/[^/\s\"'<>`\\][^\s\"'<>`\\]*)$")


def tiles_url(url: str | None) -> str | None:
    """A tile-server URL template fit for the maps, or None (offline background only).

    Accepted: ``https://`` URLs or same-origin paths holding ``{z}``, ``{x}`` and ``{y}``; any
    other value is ignored (the maps stay offline) rather than put into a page.

    >>> tiles_url("https://tiles.example.gov.cn/{z}/{x}/{y}.png")
    'https://tiles.example.gov.cn/{z}/{x}/{y}.png'
    >>> tiles_url("/tiles/{z}/{x}/{y}.png"), tiles_url(None)
    ('/tiles/{z}/{x}/{y}.png', None)
    >>> tiles_url("http://plain.example/{z}/{x}/{y}.png"), tiles_url("https://x/{z}.png")
    (None, None)
    >>> tiles_url('https://x/{z}/{x}/{y}.png"></script>')
    """
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    if not _TILES.match(url) or not all(k in url for k in ("{z}", "{x}", "{y}")):
        return None
    return url


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
            folium.TileLayer(
                tiles=tiles_url, attr="configured tiles", name="tiles", overlay=False
            ).add_to(m)
    # instance-level lists: never mutate folium's class defaults
    m.default_js = [("leaflet", f"{vendor}/leaflet/leaflet.js")]
    m.default_css = [("leaflet_css", f"{vendor}/leaflet/leaflet.css")]
    return m


def school_colours(school_ids) -> dict[str, str]:
    """One colour per school id, in the given (spec) order: the same on every page.

    >>> school_colours(["a", "b"])
    {'a': '#1b9e77', 'b': '#d95f02'}
    """
    return {sid: _colour(i) for i, sid in enumerate(dict.fromkeys(school_ids))}


def _bounds_of(coords: list[tuple[float, float]]):
    lats = [c[1] for c in coords]
    lons = [c[0] for c in coords]
    if not lats:
        return None
    pad_lat = max((max(lats) - min(lats)) * 0.08, 0.002)
    pad_lon = max((max(lons) - min(lons)) * 0.08, 0.002)
    return [[min(lats) - pad_lat, min(lons) - pad_lon], [max(lats) + pad_lat, max(lons) + pad_lon]]


def _walk(geom: dict | None, out: list) -> None:
    """Every (lon, lat) of a GeoJSON geometry."""
    if not geom:
        return

    def rec(c):
        if c and isinstance(c[0], (int, float)):
            out.append((float(c[0]), float(c[1])))
        else:
            for x in c or []:
                rec(x)

    rec(geom.get("coordinates"))


def _prob_colour(v: float) -> str:
    """White → dark blue for a probability 0..1 (``#rrggbb``).

    >>> _prob_colour(0.0), _prob_colour(1.0)
    ('#f7fbff', '#08306b')
    """
    v = min(max(float(v), 0.0), 1.0)
    lo, hi = (0xF7, 0xFB, 0xFF), (0x08, 0x30, 0x6B)
    return "#" + "".join(f"{round(a + (b - a) * v):02x}" for a, b in zip(lo, hi, strict=True))


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
    streets=None,
    schools: list[dict] | None = None,
    home: dict | None = None,
    units: list[dict] | None = None,
    lang: str = "zh",
    legend_title: str | None = None,
    colour_order: list[str] | None = None,
    areas=None,
    landmarks=None,
    rule_ids: bool = True,
) -> folium.Map:
    """A map of zones coloured by school, with the base-map streets, the schools, a legend and
    optional overflow lines, points, a home point and probability circles.

    Parameters
    ----------
    zones : dict
        GeoJSON FeatureCollection (properties ``school``, ``school_id``, ``rule_id``, ``level``).
    seat_use : list of dict, optional
        ``{"school", "seats", "placed"}`` rows shown in each zone's tooltip.
    lines : list of dict, optional
        ``{"from": [lon, lat], "to": [lon, lat], "label"}`` (overflow: home → school).
    points : list of dict, optional
        ``{"lon", "lat", "label", "value" (0..1, colour intensity)}``.
    highlight : dict, optional
        A FeatureCollection drawn in red on top (changed areas, gaps, overlaps).
    streets : GeoDataFrame, optional
        Base-map streets (``name``, ``kind``), named on hover.
    schools : list of dict, optional
        ``{"id", "name", "level", "lon", "lat"}``: the legend lists them in this order with the
        colours their zones and markers use; those with a location get a marker and a label.
    home : dict, optional
        ``{"lon", "lat", "label"}``: the looked-up address.
    units : list of dict, optional
        ``{"lon", "lat", "value" (probability), "n", "label"}``: circles shaded by ``value``
        (a probability map), sized by ``n``.
    colour_order : list of str, optional
        School ids in the order colours are given (the spec's), so that a school keeps its
        colour on every page even when only some schools are drawn.
    areas : GeoDataFrame, optional
        The base map's ``areas`` (townships, communities, compounds, water…; ``name``,
        ``kind``) drawn as the offline background under everything (:func:`background`),
        with rivers and railways of ``streets``; ``landmarks`` adds the base map's landmark
        polygons (compounds, parks, water).
    rule_ids : bool
        Show the internal rule ids in zone tooltips (planners); False on parents' pages.

    The map is fitted to what the page is about: the zones, the highlighted areas, the home,
    lines and points; school markers only when there is nothing else (a free-choice school
    20 km away does not zoom the map out to county scale).

    Examples
    --------
    >>> fc = {"type": "FeatureCollection", "features": [{"type": "Feature",
    ...   "properties": {"school": "<b>x</b>", "school_id": "x", "rule_id": "r1",
    ...   "level": "primary"},
    ...   "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}]}
    >>> parts = render_parts(zones_map(fc, schools=[{"id": "x", "name": "<b>x</b>",
    ...     "lon": 0.5, "lat": 0.2}]), nonce="n1")
    >>> "<b>x</b>" in parts["script"] + parts["body"], "lt;b" in parts["script"]
    (False, True)
    >>> "ge-legend" in parts["body"], "style=" in parts["body"]
    (True, False)
    """
    from geo_enroll.mapview import legend, school_markers, streets_layer

    en = lang == "en"
    feats = [f for f in zones.get("features") or [] if f.get("geometry")]
    ids = [s.get("id") for s in schools or []]
    ids += [
        (f.get("properties") or {}).get("school_id") or (f.get("properties") or {}).get("school")
        for f in feats
    ]
    colours = school_colours([i for i in [*(colour_order or []), *ids] if i])
    names = {s.get("id"): s.get("name") for s in schools or []}
    use = {u["school"]: u for u in seat_use or []}
    m = _base_map(CENTRE, 13, tiles_url, vendor)
    background(m, areas=areas, streets=streets, landmarks=landmarks, lang=lang)
    coords: list[tuple[float, float]] = []
    by_level: dict[str, list] = {}
    for f in feats:
        p = dict(f.get("properties") or {})
        sid = p.get("school_id") or p.get("school") or ""
        names.setdefault(sid, p.get("school"))
        u = use.get(p.get("school"))
        text = f"{p.get('school', '')}"
        if rule_ids:
            text += f" · {p.get('rule_id', '')}"
        if u:
            text += f" · {'seats' if en else '学位'} {u.get('placed', 0)}/{u.get('seats', 0)}"
        p["label"] = text
        p["colour"] = colours.get(sid, "#888888")
        keep = ("school", "school_id", "level", "kind", "label", "colour")
        clean = {k: p.get(k) for k in (*keep, *(("rule_id",) if rule_ids else ()))}
        by_level.setdefault(str(p.get("level") or "zones"), []).append(
            {"type": "Feature", "properties": escape_props(clean), "geometry": f["geometry"]}
        )
        _walk(f["geometry"], coords)
    level_names = {
        "primary": "Primary zones" if en else "小学划片",
        "middle": "Middle-school zones" if en else "初中划片",
        "nine_year": "Nine-year school zones" if en else "九年一贯制划片",
    }
    for level, fs in sorted(by_level.items()):
        folium.GeoJson(
            {"type": "FeatureCollection", "features": fs},
            name=label(level_names.get(level, level)),
            style_function=lambda f: {
                "color": f["properties"]["colour"],
                "weight": 2,
                "fillColor": f["properties"]["colour"],
                "fillOpacity": 0.3,
            },
            tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False),
        ).add_to(m)
    if streets is not None and len(streets):  # above the zones: their edges often follow streets
        roads = streets[~streets["kind"].isin(_LINE_STYLES)] if "kind" in streets else streets
        if len(roads):
            streets_layer(roads, name="街道 streets" if not en else "streets").add_to(m)
    extra: list[tuple] = []
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
                name="changes" if en else "变化",
                style_function=lambda f: {
                    "color": "#dd0000",
                    "weight": 3,
                    "fillColor": "#ff0000",
                    "fillOpacity": 0.4,
                },
                tooltip=folium.GeoJsonTooltip(fields=fields) if fields else None,
            ).add_to(m)
            for f in hl:
                _walk(f["geometry"], coords)
            extra.append(("#ff0000", "changed / gap area" if en else "变化或空白区域"))
    for ln in lines or []:
        (x1, y1), (x2, y2) = ln["from"], ln["to"]
        folium.PolyLine(
            [(y1, x1), (y2, x2)],
            color="#dd0000",
            weight=1.5,
            opacity=0.7,
            tooltip=label(ln.get("label", "")),
        ).add_to(m)
        coords += [(x1, y1), (x2, y2)]
    if lines:
        extra.append(
            ("#dd0000", "overflow: home → school" if en else "统筹调剂：住址→学校", "line")
        )
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
        coords.append((pt["lon"], pt["lat"]))
    if units:
        group = folium.FeatureGroup(name="probability" if en else "概率")
        biggest = max(int(u.get("n") or 1) for u in units)
        for u in units:
            folium.CircleMarker(
                (u["lat"], u["lon"]),
                radius=6 + 14 * (int(u.get("n") or 1) / biggest) ** 0.5,
                color="#333333",
                weight=1,
                fill=True,
                fill_opacity=0.85,
                fill_color=_prob_colour(u.get("value", 0)),
                tooltip=label(u.get("label", "")),
            ).add_to(group)
            coords.append((u["lon"], u["lat"]))
        group.add_to(m)
        extra += [
            (_prob_colour(0.0), "P = 0", "point"),
            (_prob_colour(0.5), "P = 0.5", "point"),
            (_prob_colour(1.0), "P = 1", "point"),
        ]
    located = [s for s in schools or [] if s.get("lon") is not None and s.get("lat") is not None]
    school_coords: list[tuple[float, float]] = []
    if located:
        school_markers(
            [
                {k: v for k, v in x.items() if k != "note"} for x in located
            ],  # the map says schematic
            colors=colours,
            name="schools" if en else "学校",
        ).add_to(m)
        school_coords = [(float(s["lon"]), float(s["lat"])) for s in located]
    if home and home.get("lon") is not None:
        folium.CircleMarker(
            (home["lat"], home["lon"]),
            radius=8,
            color="#ffffff",
            weight=3,
            fill=True,
            fill_color="#d7191c",
            fill_opacity=1,
            tooltip=folium.Tooltip(
                label(home.get("label") or ("looked-up address" if en else "查询的地址")),
                permanent=True,
                direction="bottom",
                offset=(0, 6),
                class_name="ge-home-label",
            ),
        ).add_to(m)
        coords.append((home["lon"], home["lat"]))
        extra.insert(0, ("#d7191c", "looked-up address" if en else "查询的地址", "point"))
    shown = {i for i in ids if i}
    entries = [(colours[sid], names.get(sid) or sid) for sid in colours if sid in shown]
    if streets is not None and len(streets):
        extra.append(
            ("#8a8a8a", "street (name on hover)" if en else "街道（悬停显示路名）", "line")
        )
        kinds = set(streets["kind"]) if "kind" in streets else set()
        for kind, (colour, _w, zh, en_word) in _LINE_STYLES.items():
            if kind in kinds:
                extra.append((colour, en_word if en else zh, "line"))
    if areas is not None and len(areas):
        extra.append(
            (_AREA_STYLES["community"][0], "community / village" if en else "社区、村", "area")
        )
    if located:
        extra.append(("#ffffff", "school location" if en else "学校位置", "point"))
    if entries or extra:
        legend(
            m,
            entries + extra,
            title=legend_title or ("Schools and zones" if en else "学校与划片"),
        )
    if len(by_level) > 1 or highlight or (streets is not None and len(streets)):
        folium.LayerControl(collapsed=True).add_to(m)
    b = _bounds_of(coords) or _bounds_of(school_coords)  # schools only when nothing else
    if b is None and streets is not None and len(streets):
        x0, y0, x1, y1 = streets.to_crs(4326).total_bounds
        b = [[y0, x0], [y1, x1]]
    if b:
        m.fit_bounds(b)
    if schematic_note:
        m.get_root().html.add_child(
            folium.Element(f'<div class="map-note">{label(schematic_note)}</div>')
        )
    return m


# background styles: kind -> (fill, outline, fill opacity, dashed)
_AREA_STYLES: dict[str, tuple[str, str, float, bool]] = {
    "county": ("#f3f1ea", "#7d7468", 0.0, True),
    "town": ("#efe9dc", "#b3a894", 0.35, True),
    "township": ("#efe9dc", "#b3a894", 0.25, True),
    "community": ("#e9e2d2", "#c2b59b", 0.45, False),
    "village": ("#e9e2d2", "#c2b59b", 0.45, False),
    "compound": ("#e0d6c3", "#b9a886", 0.55, False),
    "water": ("#aad3df", "#7fb3c8", 0.8, False),
    "park": ("#cfe8c2", "#9cc68a", 0.6, False),
    "green": ("#cfe8c2", "#9cc68a", 0.6, False),
}
# lines of the streets layer that are not streets: kind -> (colour, weight, zh, en)
_LINE_STYLES: dict[str, tuple[str, float, str, str]] = {
    "river": ("#5fa8d3", 3.0, "河流", "river"),
    "stream": ("#5fa8d3", 2.0, "河流", "stream"),
    "canal": ("#5fa8d3", 2.0, "水渠", "canal"),
    "railway": ("#555555", 2.0, "铁路", "railway"),
}
_MAX_BACKGROUND_VERTICES = 40_000  # beyond this the background is simplified harder
_MAX_AREA_LABELS = 80


def background(
    m: folium.Map, *, areas=None, streets=None, landmarks=None, lang: str = "zh"
) -> None:
    """The offline background drawn from the base map's own layers (no tile server): areas
    filled by kind (township, community, compound, water, park), their names as faint labels,
    and the rivers and railways of ``streets`` (streets themselves are drawn above the zones).

    Nothing is fetched: every shape comes from the base map GeoPackage.

    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, box
    >>> m = folium.Map(tiles=None)
    >>> a = gpd.GeoDataFrame({"name": ["<img src=x onerror=alert(1)>"], "kind": ["community"]},
    ...     geometry=[box(115.27, 41.87, 115.28, 41.88)], crs=4326)
    >>> s = gpd.GeoDataFrame({"name": ["<b>河</b>"], "kind": ["river"]},
    ...     geometry=[LineString([(115.27, 41.87), (115.28, 41.88)])], crs=4326)
    >>> background(m, areas=a, streets=s)
    >>> html_ = m.get_root().render()
    >>> "ge-area-community" in html_, "&lt;b&gt;河" in html_, "<b>河" in html_, "<img" in html_
    (True, True, False, False)
    """
    import shapely

    en = lang == "en"
    group = folium.FeatureGroup(name="底图 background" if not en else "background", control=False)
    feats = []
    labels = []
    if landmarks is not None and len(landmarks):  # compounds, parks, water drawn as areas
        import pandas as pd

        polys = landmarks[landmarks.geom_type.isin(["Polygon", "MultiPolygon"])]
        if len(polys):
            areas = polys if areas is None or not len(areas) else pd.concat([areas, polys])
    if areas is not None and len(areas):
        a = areas.to_crs(4326) if areas.crs is not None and areas.crs.to_epsg() != 4326 else areas
        n = int(shapely.get_num_coordinates(a.geometry.values).sum())
        tol = 0.00002 if n <= _MAX_BACKGROUND_VERTICES else 0.0002
        order = {k: i for i, k in enumerate(_AREA_STYLES)}
        rows = sorted(a.to_dict("records"), key=lambda r: order.get(str(r.get("kind")), len(order)))
        for r in rows:
            g = r.get("geometry")
            if g is None or g.is_empty:
                continue
            kind = str(r.get("kind") or "community")
            fill, line, opacity, dashed = _AREA_STYLES.get(kind, _AREA_STYLES["community"])
            feats.append(
                {
                    "type": "Feature",
                    "geometry": shapely.geometry.mapping(g.simplify(tol, preserve_topology=True)),
                    "properties": {
                        "fill": fill,
                        "line": line,
                        "opacity": opacity,
                        "dash": "4 4" if dashed else None,
                    },
                }
            )
            if r.get("name") and kind not in ("county",) and len(labels) < _MAX_AREA_LABELS:
                p = g.representative_point()
                labels.append((p.y, p.x, str(r["name"]), kind))
    if feats:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": feats},
            style_function=lambda f: {
                "color": f["properties"]["line"],
                "weight": 1,
                "fillColor": f["properties"]["fill"],
                "fillOpacity": f["properties"]["opacity"],
                "dashArray": f["properties"]["dash"],
            },
            interactive=False,
        ).add_to(group)
    if streets is not None and len(streets) and "kind" in streets:
        lines = streets[streets["kind"].isin(_LINE_STYLES)]
        for r in lines.to_dict("records"):
            g = r.get("geometry")
            if g is None or g.is_empty:
                continue
            colour, weight, zh, en_word = _LINE_STYLES[str(r["kind"])]
            name = str(r.get("name") or "") or (en_word if en else zh)
            folium.GeoJson(
                shapely.geometry.mapping(g),
                style_function=lambda _f, c=colour, w=weight: {"color": c, "weight": w},
                tooltip=label(name),
            ).add_to(group)
    for lat, lon, name, kind in labels:
        folium.Marker(
            (lat, lon),
            icon=folium.DivIcon(
                html=f'<span class="ge-area-name ge-area-{label(kind)}">{label(name)}</span>',
                class_name="ge-area-label",
                icon_size=(120, 16),
                icon_anchor=(60, 8),
            ),
            interactive=False,
        ).add_to(group)
    if feats or labels or len(group._children):
        group.add_to(m)


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
