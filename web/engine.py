"""Thin adapters between the web service and the engine (``geo_enroll``).

The views reach the engine only through this module (via :mod:`web.services`), so swapping an
engine piece is a change in one place.  The adapters turn the engine's DataFrames into the
JSON-ready dicts the service stores and renders, and bring in what the engine needs besides a
version (:class:`Context`: gazetteer, school points, seat table).  ``engine_status()`` (shown on
/healthz) says which engine pieces are importable.

No personal data is logged here.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo_enroll import impact
from geo_enroll.errors import AddressError, InputError
from geo_enroll.settings import DEFAULT_SETTINGS, data_dir

__all__ = [
    "Context",
    "DEFAULT_CONTEXT",
    "engine_status",
    "warm_up",
    "seat_table",
    "default_spec_path",
    "default_zones_path",
    "load_spec",
    "load_zones",
    "lookup",
    "schools_of",
    "zone_kind_label",
    "mask_id",
    "synth_cohort",
    "read_applicants",
    "place",
    "simulate",
    "lottery_inputs",
    "geocode",
    "school_locations",
    "gap_report",
    "explain_no_zone",
    "describe_point",
    "schools_across",
    "contacts",
    "basemap_layer",
    "has_polygon_rules",
    "diagnostics",
    "preview",
    "diff_versions",
    "keep_untouched",
    "same_version",
    "new_gaps_overlaps",
    "export_geopackage",
    "seat_use",
]

# Planning logic (impact of an edit, gaps, seat balance) lives in geo_enroll.impact; the
# functions below adapt its plain values to the shapes the views render.

Progress = Callable[[float], None]


@dataclass
class Context:
    """What the engine needs besides a version's spec and zones.

    Attributes
    ----------
    gazetteer : object or None
        Anything with ``geocode(text) -> dict``; None means the project's default gazetteer.
    school_points : GeoDataFrame or None
        School locations (``school_id`` + Point); None means the base map's ``schools`` layer
        when present, else schools are geocoded by name.
    seat_table : DataFrame, path or None
        Seats per school (``school_id, level, seats``); None means the default table beside the
        spec when present, else the policy's seat plan split evenly over the schools of a level.
    basemap : path or None
        Base map GeoPackage used to re-digitise zones when a planner edits a limit in the spec;
        None means ``data/boundaries/baochang_schematic.gpkg`` when present.
    streets : GeoDataFrame or None
        The base map's ``streets`` (``name``, ``kind``, LineString) drawn under the zones on
        every map; None means none are drawn.
    """

    gazetteer: Any = None
    school_points: Any = None
    seat_table: Any = None
    basemap: Any = None
    streets: Any = None


DEFAULT_CONTEXT = Context()


def _try(module: str, attr: str | None = None):
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise
    return mod if attr is None else getattr(mod, attr, None)


def engine_status() -> dict[str, bool]:
    """Which engine pieces are importable (``True``) or replaced by the fallback here."""
    return {
        "policy.load_spec": (
            _try("geo_enroll.policy", "load_spec") or _try("geo_enroll.policy.spec", "load_spec")
        )
        is not None,
        "placement.candidates": _try("geo_enroll.placement.candidates") is not None,
        "lookup": _try("geo_enroll.lookup", "lookup_address") is not None,
        "geocode": _try("geo_enroll.geocode", "load_default_gazetteer") is not None,
        "placement.run": _try("geo_enroll.placement.run", "place") is not None,
        "placement.cohort": _try("geo_enroll.placement.cohort") is not None,
        "placement.lottery": _try("geo_enroll.placement.lottery") is not None,
        "diagnostics": _try("geo_enroll.diagnostics") is not None,
        "mapview.offline_map": _try("geo_enroll.mapview", "offline_map") is not None,
    }


# ---------------------------------------------------------------------------- spec, zones

ZONE_KIND_LABELS = {
    "street_limits": ("户籍划片", "catchment by residence"),
    "admin_units": ("户籍划片", "catchment by residence"),
    "compound": ("户籍划片", "catchment by residence"),
    "street_list": ("户籍划片", "catchment by residence"),
    "directional_bounds": ("户籍划片", "catchment by residence"),
    "property_rule": ("购房", "by property"),
    "multi_school": ("多校划片", "multi-school zone"),
    "free_choice": ("自主选择", "free choice"),
    "alternative": ("可选", "optional school"),
}


_BY_ZH = {zh: (zh, en) for zh, en in ZONE_KIND_LABELS.values()}
OPTIONAL_KINDS = ("alternative", "free_choice", "可选", "自主选择")


def zone_kind_label(kind: str | None, lang: str = "zh") -> str:
    """Parent-facing name of a zone kind (a spec kind or the engine's Chinese label).

    >>> zone_kind_label("alternative"), zone_kind_label("street_limits", "en")
    ('可选', 'catchment by residence')
    >>> zone_kind_label("购房", "en")
    'by property'
    """
    zh, en = ZONE_KIND_LABELS.get(kind or "") or _BY_ZH.get(kind or "") or (kind or "", kind or "")
    return en if lang == "en" else zh


def default_spec_path() -> Path:
    return data_dir() / "boundaries" / "taipusi_2024.toml"


def default_zones_path() -> Path:
    return data_dir() / "boundaries" / "taipusi_2024_zones.gpkg"


def load_spec(path: str | Path) -> dict:
    """Read and validate a zone spec (TOML or JSON) with the engine's loader."""
    from geo_enroll.policy.spec import load_spec as engine_load_spec

    return engine_load_spec(Path(path))


def load_zones(path: str | Path) -> dict:
    """Zones (GeoPackage layer ``zones`` or GeoJSON) as a GeoJSON FeatureCollection dict."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"zones file {path} not found; build it with `geo-enroll digitise`")
    if path.suffix in (".geojson", ".json"):
        return json.loads(path.read_text(encoding="utf-8"))
    import geopandas as gpd

    gdf = gpd.read_file(path, layer="zones")
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    return json.loads(gdf.to_json(drop_id=True))


def _zones_gdf(zones_fc: dict):
    return impact.zones_frame(zones_fc)


_FRAMES: dict = {}  # id(zones) -> (zones, GeoDataFrame): the lookup path's frames, per version


def _zones_frame_shared(zones: dict):
    """The zones' GeoDataFrame, built once per zones object and shared by every lookup.

    A version's zones are one cached dict (``services._version``); keeping a reference to it
    beside its frame means its ``id`` cannot be reused while the entry lives.  Callers must
    not modify the frame (the lookup path only reads it).
    """
    hit = _FRAMES.get(id(zones))
    if hit is not None and hit[0] is zones:
        return hit[1]
    frame = _zones_gdf(zones)
    if len(_FRAMES) > 32:
        _FRAMES.clear()
    _FRAMES[id(zones)] = (zones, frame)
    return frame


def schools_of(spec: dict) -> list[dict]:
    """The spec's schools as ``{id, name, level, code}`` in spec order."""
    return [
        {"id": s.get("id"), "name": s.get("name"), "level": s.get("level"), "code": s.get("code")}
        for s in spec.get("schools") or []
    ]


def _school_by_id(spec: dict) -> dict[str, dict]:
    return {s.get("id"): s for s in spec.get("schools") or []}


def _school_by_name(spec: dict) -> dict[str, dict]:
    return {s.get("name"): s for s in spec.get("schools") or []}


_SCHOOL_MAPS: dict = {}  # id(spec) -> (spec, by id, by name): built once per version


def _school_maps(spec: dict) -> tuple[dict, dict]:
    """:func:`_school_by_id` and :func:`_school_by_name` of ``spec``, shared between lookups."""
    hit = _SCHOOL_MAPS.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1], hit[2]
    maps = (_school_by_id(spec), _school_by_name(spec))
    if len(_SCHOOL_MAPS) > 32:
        _SCHOOL_MAPS.clear()
    _SCHOOL_MAPS[id(spec)] = (spec, *maps)
    return maps


def mask_id(id_number: str | None) -> str:
    """Mask a resident ID number as the policy's template does (152527********1234).

    >>> mask_id("152527201801011234")
    '152527********1234'
    >>> mask_id("")
    ''
    """
    s = str(id_number or "").strip()
    if len(s) <= 10:
        return "*" * len(s)
    return s[:6] + "*" * (len(s) - 10) + s[-4:]


# ---------------------------------------------------------------------------- lookup


def _gazetteer(ctx: Context):
    if ctx.gazetteer is not None:
        return ctx.gazetteer
    loader = _try("geo_enroll.geocode", "load_default_gazetteer")
    return None if loader is None else loader()


def warm_up(ctx: Context = DEFAULT_CONTEXT) -> None:
    """Build what every parent lookup of ``ctx`` needs before the first request: the
    gazetteer, the address parser of its table (one for the default table too) and the
    school points.  Cold, each worker thread of a loaded server would otherwise wait for
    (or, before the parser cache took a lock, build its own of) these on its first lookup."""
    from geo_enroll.address.parse import warm_up as warm_parser

    warm_parser()
    gaz = _gazetteer(ctx)
    div = getattr(gaz, "divisions", None)
    if div is not None:
        warm_parser(div)
    _school_points(ctx)


_INDEX_CACHE: dict = {}


def _school_points(ctx: Context):
    """School points: the context's, else the base map's ``schools`` layer, else None."""
    if ctx.school_points is not None:
        return ctx.school_points
    key = ("school_points",)
    if key not in _INDEX_CACHE:
        pts = None
        for name in ("baochang_schematic.gpkg", "taipusi_2024_basemap.gpkg"):
            path = data_dir() / "boundaries" / name
            if path.exists():
                try:
                    import geopandas as gpd

                    pts = gpd.read_file(path, layer="schools")
                    if "school_id" not in pts.columns:
                        pts = None
                except Exception:  # noqa: BLE001 - a base map without schools layer
                    pts = None
                break
        _INDEX_CACHE[key] = pts
    return _INDEX_CACHE[key]


def _zone_index(spec: dict, zones: dict, ctx: Context, key: str | None):
    from geo_enroll.placement.candidates import ZoneIndex

    ck = ("index", key, id(ctx)) if key else None
    if ck is not None and ck in _INDEX_CACHE:
        return _INDEX_CACHE[ck]
    idx = ZoneIndex(spec, _zones_frame_shared(zones), school_points=_school_points(ctx))
    if ck is not None:
        if len(_INDEX_CACHE) > 32:
            _INDEX_CACHE.clear()
        _INDEX_CACHE[ck] = idx
    return idx


def lookup(
    *,
    spec: dict,
    zones: dict,
    address: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    ctx: Context = DEFAULT_CONTEXT,
    key: str | None = None,
) -> dict:
    """Serving schools for an address or a clicked point.

    Returns the engine's answer normalised to ``{"input", "match_level", "lon", "lat",
    "schools": {"primary": [...], "middle": [...]}, "warnings", "engine"}`` where each school
    entry is ``{"school", "school_id", "kind", "rule_id", "source", "line", "optional"}``.
    ``key`` (the version's hash) lets the zone index be reused between lookups.
    """
    if address is not None:
        address = address.strip()
        if not address:
            raise AddressError("请输入地址 (an address is required)")
        if len(address) > DEFAULT_SETTINGS.max_address_chars:
            raise AddressError(
                f"地址过长 ({len(address)} 字), 最多 {DEFAULT_SETTINGS.max_address_chars} 字 "
                "(address too long)"
            )
    elif lon is None or lat is None:
        raise InputError("需要地址或地图上的点 (an address or a point is required)")
    elif not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InputError(f"坐标超出范围 lon={lon} lat={lat} (expected WGS 84 degrees)")
    from geo_enroll.lookup import lookup_address, lookup_point

    zones_gdf = _zones_frame_shared(zones)
    index = _zone_index(spec, zones, ctx, key)
    if address is not None:
        raw = lookup_address(
            address,
            spec=spec,
            zones=zones_gdf,
            gazetteer=_gazetteer(ctx),
            school_points=_school_points(ctx),
            index=index,
        )
    else:
        raw = lookup_point(
            lon, lat, spec=spec, zones=zones_gdf, school_points=_school_points(ctx), index=index
        )
    return _normalise_lookup(raw, address, lon, lat, spec) | {"engine": "geo_enroll.lookup"}


def _normalise_lookup(raw: dict, address, lon, lat, spec) -> dict:
    """Bring the engine's answer into the shape the templates use (keeping it under raw)."""
    raw = dict(raw or {})
    by_id, by_name = _school_maps(spec)
    schools: dict[str, list] = {"primary": [], "middle": []}
    src = raw.get("schools")
    entries: list[dict] = []
    if isinstance(src, dict):
        for level, items in src.items():
            for it in items if isinstance(items, list) else [items]:
                if it:
                    entries.append(
                        {"level": level} | (it if isinstance(it, dict) else {"school": it})
                    )
    elif isinstance(src, list):
        entries = [e for e in src if isinstance(e, dict)]
    for level in ("primary", "middle"):
        for key in (level, f"{level}_schools"):
            items = raw.get(key)
            if isinstance(items, dict):
                items = [items]
            for it in items or []:
                if isinstance(it, dict):
                    entries.append({"level": level} | it)
    for e in entries:
        school = (
            by_id.get(e.get("school_id")) or by_name.get(e.get("school") or e.get("name")) or {}
        )
        level = e.get("level") or school.get("level") or "primary"
        if level == "nine_year":
            levels = ["primary", "middle"]
        else:
            levels = [level]
        src_obj = e.get("source")
        text = src_obj.get("text") if isinstance(src_obj, dict) else (src_obj or e.get("rule_text"))
        line = src_obj.get("line") if isinstance(src_obj, dict) else e.get("line")
        item = {
            "school": e.get("school") or e.get("name") or school.get("name"),
            "school_id": e.get("school_id") or school.get("id"),
            "kind": e.get("kind"),
            "rule_id": e.get("rule_id") or e.get("rule"),
            "source": text,
            "line": line,
            "optional": bool(e.get("optional", e.get("kind") in OPTIONAL_KINDS)),
            "distance_m": e.get("distance_m"),
        }
        for lv in levels:
            if lv in schools and item not in schools[lv]:
                schools[lv].append(item)
    geo = raw.get("geocode") if isinstance(raw.get("geocode"), dict) else {}
    warnings = raw.get("warnings") or []
    if isinstance(warnings, str):
        warnings = [warnings]
    return {
        "input": raw.get("input", address if address is not None else f"{lon},{lat}"),
        "match_level": raw.get("match_level") or raw.get("level") or geo.get("level"),
        "lon": raw.get("lon", geo.get("lon", lon)),
        "lat": raw.get("lat", geo.get("lat", lat)),
        "code": raw.get("code", geo.get("code")),
        "schematic": bool(raw.get("schematic", geo.get("schematic", False))),
        "edge_distance_m": raw.get("edge_distance_m"),
        "schools": schools,
        "warnings": [str(w) for w in warnings],
        "raw": raw,
    }


def geocode(address: str, ctx: Context = DEFAULT_CONTEXT) -> dict:
    """The context's gazetteer's answer for ``address`` (the geocode result contract)."""
    gaz = _gazetteer(ctx)
    if gaz is None:
        return {"lon": None, "lat": None, "level": None}
    return dict(gaz.geocode(address))


def school_locations(spec: dict, ctx: Context = DEFAULT_CONTEXT) -> list[dict]:
    """The spec's schools (spec order) with their location from the context's school points
    (``lon``/``lat`` None when unknown) and a note when the location is schematic."""
    pts = _school_points(ctx)
    where: dict[str, tuple] = {}
    if pts is not None and len(pts):
        gdf = pts.to_crs(4326) if pts.crs is not None and pts.crs.to_epsg() != 4326 else pts
        flag = gdf["schematic"] if "schematic" in gdf.columns else [False] * len(gdf)
        for sid, geom, sch in zip(gdf["school_id"], gdf.geometry, flag, strict=True):
            if geom is not None and not geom.is_empty:
                where[str(sid)] = (round(geom.x, 7), round(geom.y, 7), bool(sch))
    out = []
    for s in schools_of(spec):
        lon, lat, sch = where.get(s["id"], (None, None, False))
        out.append(s | {"lon": lon, "lat": lat, "note": "示意位置 schematic" if sch else None})
    return out


def gap_report(spec: dict, zones: dict, ctx: Context = DEFAULT_CONTEXT) -> dict:
    """Gaps per level of a version's polygon zones (:func:`geo_enroll.impact.zone_gaps`),
    with the base map's town and communities (``ctx.basemap``) as the land to serve.

    Returns ``{level: [{"area_m2", "where", "rules", "point", "geometry"}]}``.
    """
    areas = None
    if ctx.basemap is not None and Path(ctx.basemap).exists():
        import geopandas as gpd

        try:
            areas = gpd.read_file(ctx.basemap, layer="areas")
        except Exception:  # noqa: BLE001 - a base map without areas
            areas = None
    return impact.zone_gaps(zones, areas=areas)


def explain_no_zone(
    spec: dict,
    zones: dict,
    gaps: dict,
    lon: float,
    lat: float,
    lang: str = "zh",
    level: str | None = None,
) -> dict:
    """Why a located point has no school (:func:`geo_enroll.impact.explain_no_zone`)."""
    frame = _zones_frame_shared(zones) if isinstance(zones, dict) else zones
    return impact.explain_no_zone(spec, frame, gaps, lon, lat, lang=lang, level=level)


# ---------------------------------------------------------------------------- parent page

_BASEMAP_LAYERS: dict[tuple[str, str], Any] = {}


def basemap_layer(ctx: Context, layer: str):
    """A layer of the context's base map (EPSG:4326), None when absent; read once per file."""
    if ctx.basemap is None or not Path(ctx.basemap).exists():
        return None
    key = (str(ctx.basemap), layer)
    if key not in _BASEMAP_LAYERS:
        import geopandas as gpd

        try:
            gdf = gpd.read_file(ctx.basemap, layer=layer)
            if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
                gdf = gdf.to_crs(4326)
        except Exception:  # noqa: BLE001 - a base map without that layer
            gdf = None
        _BASEMAP_LAYERS[key] = gdf
    return _BASEMAP_LAYERS[key]


_UTM = threading.local()  # per thread: pyproj transformers are not shared between threads


def _utm(lon: float, lat: float):
    """(WGS 84 → local UTM transformer, UTM CRS), built once per zone and thread."""
    from pyproj import CRS, Transformer

    epsg = (32600 if lat >= 0 else 32700) + int((lon + 180) // 6) + 1
    cache = _UTM.__dict__.setdefault("by_epsg", {})
    if epsg not in cache:
        crs = CRS.from_epsg(epsg)
        cache[epsg] = (Transformer.from_crs(4326, crs, always_xy=True), crs)
    return cache[epsg]


def _project(geom, fwd):
    """``geom`` through a pyproj transformer (shapely 2's vectorised transform)."""
    import numpy as np
    import shapely

    return shapely.transform(geom, lambda xy: np.column_stack(fwd.transform(xy[:, 0], xy[:, 1])))


# (id of a streets frame, EPSG) -> (the frame, kept alive so the id stays its own; projected)
_PROJECTED_STREETS: dict[tuple[int, int], tuple[Any, Any]] = {}

_AREA_ORDER = {"county": 0, "town": 1, "township": 1, "community": 2, "village": 2, "compound": 3}


def describe_point(lon: float, lat: float, ctx: Context = DEFAULT_CONTEXT, lang: str = "zh"):
    """A clicked point in words: the base map's areas that contain it (township, community,
    compound) and the nearest named street within 300 m, e.g. ``宝昌镇 南郊社区 · 察哈尔街附近
    （约 40 米）``.  Never raw coordinates; ``地图上选择的位置`` when the map knows nothing there.

    >>> describe_point(115.0, 41.0)
    '地图上选择的位置'
    """
    from shapely.geometry import Point

    pt = Point(lon, lat)
    words: list[str] = []
    areas = basemap_layer(ctx, "areas")
    if areas is not None and len(areas):
        hits = areas[areas.geometry.covers(pt)]
        hits = sorted(hits.to_dict("records"), key=lambda r: _AREA_ORDER.get(str(r.get("kind")), 2))
        words = [str(r["name"]) for r in hits if r.get("name") and r.get("kind") != "county"]
    near = ""
    streets = ctx.streets
    if streets is not None and len(streets) and "name" in streets.columns:
        fwd, crs = _utm(lon, lat)
        key = (id(streets), crs.to_epsg())
        if key not in _PROJECTED_STREETS:  # the named streets in metres, once per map
            named = streets[streets["name"].astype(str).str.len() > 0]
            named = named[named.geometry.notna() & ~named.geometry.is_empty]
            src = named.set_crs(4326) if named.crs is None else named
            _PROJECTED_STREETS[key] = (streets, src.to_crs(crs))
        named = _PROJECTED_STREETS[key][1]
        best = None
        if len(named):
            d = named.geometry.distance(_project(pt, fwd))
            i = int(d.to_numpy().argmin())
            best = (float(d.iloc[i]), str(named["name"].iloc[i]))
        if best is not None and best[0] <= 300:
            if lang == "en":
                near = f"near {best[1]} (about {best[0]:.0f} m)"
            else:
                near = f"{best[1]}附近（约 {best[0]:.0f} 米）"
    text = " ".join(words)
    if near:
        text = f"{text} · {near}" if text else near
    if not text:
        return "a place chosen on the map" if lang == "en" else "地图上选择的位置"
    return text


def schools_across(
    zones: dict, lon: float, lat: float, serving: dict[str, set], *, within_m: float
) -> list[dict]:
    """Zones of another school within ``within_m`` of a point: the schools across the nearby
    zone edge, per level.  ``serving`` maps a level to the school ids serving the point.

    Returns ``[{"level", "school", "school_id", "distance_m"}]``, nearest first; a level whose
    nearby edge has no other school behind it (the edge of the zoning) is not listed.
    """
    from shapely.geometry import Point

    fwd, crs = _utm(lon, lat)
    p = _project(Point(lon, lat), fwd)
    entries, tree = _projected_zones(zones, crs.to_epsg(), fwd)
    best: dict[tuple[str, str], dict] = {}
    near = sorted(int(i) for i in tree.query(p, predicate="dwithin", distance=within_m))
    for k in near:  # in feature order, as a scan of every zone would meet them
        levels, sid, school, geom = entries[k]
        for lv in levels:
            if lv not in serving or sid in serving[lv]:
                continue
            d = geom.distance(p)
            if d <= within_m and d < best.get((lv, sid), {}).get("distance_m", float("inf")):
                best[(lv, sid)] = {
                    "level": lv,
                    "school": school,
                    "school_id": sid,
                    "distance_m": round(float(d), 1),
                }
    return sorted(best.values(), key=lambda r: r["distance_m"])


_PROJECTED: dict = {}  # (id(zones), epsg) -> (zones, entries, STRtree)


def _projected_zones(zones: dict, epsg: int, fwd):
    """The zones projected to one UTM zone with a tree over them, built once per version.

    Entries keep feature order: ``(levels, school_id, school, geometry)``; a feature without a
    geometry or with a malformed one is left out (as :func:`schools_across` skipped it).
    """
    import shapely
    from shapely.geometry import shape

    key = (id(zones), epsg)
    hit = _PROJECTED.get(key)
    if hit is not None and hit[0] is zones:
        return hit[1], hit[2]
    entries = []
    for f in zones.get("features") or []:
        props = f.get("properties") or {}
        level = str(props.get("level") or "")
        levels = ["primary", "middle"] if level == "nine_year" else [level]
        sid = str(props.get("school_id") or props.get("school") or "")
        if not f.get("geometry"):
            continue
        try:
            geom = _project(shape(f["geometry"]), fwd)
        except Exception:  # noqa: BLE001 - a malformed stored geometry
            continue
        shapely.prepare(geom)
        entries.append((levels, sid, props.get("school"), geom))
    tree = shapely.STRtree([e[3] for e in entries])
    if len(_PROJECTED) > 32:
        _PROJECTED.clear()
    _PROJECTED[key] = (zones, entries, tree)
    return entries, tree


def contacts(spec: dict, kind: str | None = None) -> list[dict]:
    """The bureau's contacts of a policy (``policy.contacts``: ``kind``, ``name``, ``phone``),
    those of ``kind`` only when given; malformed entries are skipped.

    >>> contacts({"policy": {"contacts": [{"kind": "consultation", "name": "招生办",
    ...     "phone": "0479-5222222"}, "x"]}}, "consultation")
    [{'kind': 'consultation', 'name': '招生办', 'phone': '0479-5222222'}]
    """
    out = []
    for c in (spec.get("policy") or {}).get("contacts") or []:
        if not isinstance(c, dict) or not c.get("phone"):
            continue
        if kind is None or c.get("kind") == kind:
            out.append(
                {"kind": c.get("kind"), "name": str(c.get("name") or ""), "phone": str(c["phone"])}
            )
    return out


# ---------------------------------------------------------------------------- cohorts

APPLICANT_COLUMNS = ("姓名", "身份证号", "学籍号", "户籍地址", "毕业学校标识码")


_ROW_EXTRA = ("student_id", "lon", "lat", "level", "synthetic")


def _student_id(row: dict) -> str:
    """The engine's ``student_id`` for a row (a salted hash, never the ID number)."""
    fn = _try("geo_enroll.placement.applicants", "student_id_for")
    key = str(row.get("身份证号") or row.get("学籍号") or json.dumps(row, sort_keys=True))
    if fn is not None and row.get("身份证号"):
        return fn(key)
    return "S" + hashlib.sha256(("geo_enroll:" + key).encode()).hexdigest()[:12]


def _rows_from_frame(df) -> list[dict]:
    df = df.fillna("")
    rows = [
        {str(k): (v if isinstance(v, (int, float, str, bool)) else str(v)) for k, v in r.items()}
        for r in df.to_dict(orient="records")
    ]
    for r in rows:
        if not r.get("student_id"):
            r["student_id"] = _student_id(r)
        if not r.get("level") and r.get("学段"):
            r["level"] = {"小学": "primary", "初中": "middle"}.get(str(r["学段"]), "")
    return rows


def synth_cohort(
    spec: dict,
    *,
    seed: int,
    zones: dict | None = None,
    basemap=None,
    counts: tuple | None = None,
) -> list[dict]:
    """A synthetic applicant table (clearly labelled) for ``spec``, as a list of row dicts.

    ``counts`` = (primary, middle) applicants (None: the engine's default from the seat plan).
    """
    from geo_enroll.placement.cohort import synth_cohort as synth

    kw: dict = {"basemap": basemap} if basemap else {}
    if counts:
        kw |= {"primary": counts[0], "middle": counts[1]}
    return _rows_from_frame(synth(spec, seed=int(seed), **kw))


def read_applicants(data: bytes, filename: str) -> list[dict]:
    """Read an uploaded applicant table (CSV or XLSX, Chinese headers) into row dicts.

    The engine's reader validates it (every missing column listed at once); the raw rows are
    kept, so a later placement reads exactly what was uploaded.
    """
    import tempfile

    from geo_enroll.placement.applicants import read_applicants as validate
    from geo_enroll.placement.applicants import read_table

    suffix = Path(filename or "").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputError(
            f"名单须为 CSV 或 XLSX 文件, 收到 {suffix or '无扩展名'} (expected .csv or .xlsx)"
        )
    with tempfile.NamedTemporaryFile(suffix=suffix) as fh:
        fh.write(data)
        fh.flush()
        raw = read_table(fh.name)
    validate(raw)
    return _rows_from_frame(raw.astype(str))


def seat_table(spec: dict, ctx: Context = DEFAULT_CONTEXT):
    """The seat table (``school_id, name, level, seats``) for a spec.

    The context's table, else ``<spec stem>_schools.csv`` beside the default spec, else the
    policy's seat plan split evenly (remainder to the first schools) over the schools of a level.

    >>> t = seat_table({"policy": {"seat_plan": {"primary": 7}}, "schools": [
    ...     {"id": "a", "name": "A", "level": "primary"}, {"id": "b", "name": "B", "level": "primary"}]})
    >>> t["seats"].tolist()
    [4, 3]
    """
    import pandas as pd

    if ctx.seat_table is not None:
        return (
            ctx.seat_table
            if isinstance(ctx.seat_table, pd.DataFrame)
            else pd.read_csv(ctx.seat_table, dtype=str, keep_default_na=False, comment="#")
        )
    ids = {x.get("id") for x in spec.get("schools") or []}
    for path in sorted((data_dir() / "boundaries").glob("*_schools.csv")):
        try:
            table = pd.read_csv(path, dtype=str, keep_default_na=False, comment="#")
        except (OSError, ValueError):
            continue
        if "school_id" in table.columns and set(table["school_id"]) == ids:
            return table  # the seat table written for exactly this spec's schools
    plan = (spec.get("policy") or {}).get("seat_plan") or {}
    rows = []
    for level in ("primary", "middle"):
        serving = [x for x in spec.get("schools") or [] if x.get("level") in (level, "nine_year")]
        total = int(plan.get(level) or 0)
        for i, x in enumerate(serving):
            n = total // len(serving) + (1 if i < total % len(serving) else 0)
            rows.append({"school_id": x["id"], "name": x.get("name"), "level": level, "seats": n})
    return pd.DataFrame(rows, columns=["school_id", "name", "level", "seats"])


def _run_place(
    cohort: list[dict],
    *,
    spec: dict,
    zones: dict,
    seed: int,
    ctx: Context,
    progress: Progress | None = None,
):
    """The engine's placement of a stored cohort (rows as dicts) on a version's zones;
    ``progress`` gets the engine's fraction done after each of its steps."""
    import pandas as pd

    from geo_enroll.placement.run import place as run_place

    table = pd.DataFrame([{k: v for k, v in r.items() if k not in _ROW_EXTRA} for r in cohort])
    return run_place(
        table,
        spec=spec,
        zones=_zones_gdf(zones),
        gazetteer=_gazetteer(ctx),
        schools=seat_table(spec, ctx),
        school_points=_school_points(ctx),
        seed=int(seed),
        progress=progress,
    )


def _scaled(progress: Progress | None, lo: float, hi: float) -> Progress | None:
    """``progress`` for a part of the work that spans ``lo``..``hi`` of the whole.

    >>> seen = []
    >>> _scaled(seen.append, 0.0, 0.5)(0.5); seen
    [0.25]
    """
    if progress is None:
        return None
    return lambda f: progress(lo + (hi - lo) * min(max(float(f), 0.0), 1.0))


def place(
    *,
    spec: dict,
    zones: dict,
    cohort: list[dict],
    seed: int = 7,
    progress: Progress | None = None,
    ctx: Context = DEFAULT_CONTEXT,
) -> dict:
    """Place every applicant; ``{"placements": [...], "schools": [...], "engine": ...}``."""
    progress = progress or (lambda f: None)
    progress(0.02)
    out = _run_place(
        cohort, spec=spec, zones=zones, seed=seed, ctx=ctx, progress=_scaled(progress, 0.02, 0.97)
    )
    homes = {}
    if out.homes is not None and len(out.homes):
        homes = {
            str(sid): [round(g.x, 7), round(g.y, 7)]
            for sid, g in zip(out.homes["student_id"], out.homes.geometry, strict=True)
        }
    by_id = _school_by_id(spec)
    lonlat = {
        (by_id.get(k) or {}).get("name", k): [float(v[0]), float(v[1])]
        for k, v in (getattr(out.homes, "attrs", {}).get("school_lonlat") or {}).items()
    }
    res = {
        "placements": _records(out.placements),
        "schools": _records(out.schools),
        "warnings": list(out.warnings),
        "homes": homes,
        "school_lonlat": lonlat,
        "engine": "geo_enroll.placement.run",
    }
    progress(1.0)
    return _named(res, spec)


def _named(res: dict, spec: dict) -> dict:
    """Placements and school rows carry both ``school`` (the name) and ``school_id``."""
    by_id, by_name = _school_by_id(spec), _school_by_name(spec)

    def fix(row: dict) -> dict:
        key = row.get("school") or ""
        school = by_id.get(key) or by_name.get(key)
        if school is not None:
            row["school_id"], row["school"] = school.get("id"), school.get("name")
        else:
            row.setdefault("school_id", "")
        return row

    res["placements"] = [fix(dict(p)) for p in res.get("placements", [])]
    res["schools"] = [fix(dict(p)) for p in res.get("schools", [])]
    for row in res["schools"]:
        for k in ("seats", "placed", "overflow_in", "overflow_out"):
            if row.get(k) not in (None, ""):
                row[k] = int(row[k])
    return res


def _records(obj) -> list[dict]:
    if hasattr(obj, "to_dict"):
        obj = obj.fillna("").to_dict(orient="records") if hasattr(obj, "fillna") else obj.to_dict()
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in obj]


def _num(v):
    """A JSON-safe number (NaN → None, numpy → Python)."""
    if v is None:
        return None
    v = v.item() if hasattr(v, "item") else v
    if isinstance(v, float) and v != v:
        return None
    return v


def lottery_inputs(
    *,
    spec: dict,
    zones: dict,
    cohort: list[dict],
    seed: int = 7,
    ctx: Context = DEFAULT_CONTEXT,
    progress: Progress | None = None,
):
    """The placement's multi-school lotteries and the inputs each one draws from.

    Returns ``(PlaceResult, [(info, applicants, seats), ...])``: per group the engine's
    ``lotteries`` entry and its applicant table (``student_id, group, tier, choices, unit``:
    the children whose zone is that ``multi_school`` zone, tier from eligibility, choices = the
    preferred school if in the group, then the group's schools nearest first) and seat table
    (``school, group, seats``: the seats the group's schools have left after the single-school
    zones).

    The tables are ``PlaceResult.lottery_tables`` of ``geo_enroll.placement.run.place`` (the
    DataFrames the draw read, also written as ``lottery/<group>/applicants.csv`` and
    ``seats.csv``), so the simulation uses exactly what the placement draws; nothing is written.
    """
    out = _run_place(cohort, spec=spec, zones=zones, seed=seed, ctx=ctx, progress=progress)
    groups = []
    for info in out.lotteries:
        apps, seats = out.lottery_tables[info["group"]]
        groups.append((info, apps.copy(), seats.copy()))
    return out, groups


def simulate(
    *,
    spec: dict,
    zones: dict,
    cohort: list[dict],
    draws: int = 200,
    seed: int = 7,
    progress: Progress | None = None,
    ctx: Context = DEFAULT_CONTEXT,
) -> dict:
    """Monte-Carlo of the multi-school lotteries (多校划片电脑派位) of a placement.

    The placement is run once (seed ``seed``) to find who is in each multi-school zone, with
    which tier and 志愿 and how many seats the zone's schools have left
    (:func:`lottery_inputs`); each group is then drawn ``draws`` times with
    ``geo_enroll.placement.lottery.simulate``: per unit (village/community) the probability of
    each school (``""`` = no seat in the draw: placed later by relative proximity), per school
    its mean fill, the chance it fills up and the tier of the last child admitted.

    Returns ``{"groups", "units" (with lon/lat: the mean home of the unit's children),
    "schools", "placement", "draws", "seed", "engine", "note"}``.
    """
    from geo_enroll.placement.lottery import simulate as lottery_simulate

    progress = progress or (lambda f: None)
    progress(0.02)
    out, groups = lottery_inputs(
        spec=spec,
        zones=zones,
        cohort=cohort,
        seed=seed,
        ctx=ctx,
        progress=_scaled(progress, 0.02, 0.5),
    )
    progress(0.5)
    # the draws: each group's share of the rest in proportion to its work (applicants × draws)
    work = [max(len(apps), 1) for _info, apps, _seats in groups]
    done = 0
    by_id = _school_by_id(spec)

    def name(sid: str) -> str:
        return (by_id.get(sid) or {}).get("name") or sid

    homes: dict[str, tuple] = {}
    if out.homes is not None and len(out.homes):
        homes = {
            str(sid): (g.x, g.y)
            for sid, g in zip(out.homes["student_id"], out.homes.geometry, strict=True)
        }
    res_groups, units, schools = [], [], []
    for k, (info, apps, seats) in enumerate(groups):
        lo, hi = 0.5 + 0.49 * done / sum(work), 0.5 + 0.49 * (done + work[k]) / sum(work)
        probs, fill = lottery_simulate(
            apps, seats, draws=int(draws), seed=int(seed), progress=_scaled(progress, lo, hi)
        )
        done += work[k]
        res_groups.append(
            {
                "group": info["group"],
                "level": info.get("level"),
                "school_ids": list(info.get("schools") or []),
                "schools": [name(x) for x in info.get("schools") or []],
                "applicants": int(info.get("applicants") or len(apps)),
                "seats_left": int(info.get("seats_left") or 0),
                "inputs_sha256": info.get("inputs_sha256"),
            }
        )
        where: dict[str, list] = {}
        for sid, unit in zip(apps["student_id"], apps["unit"], strict=True):
            if sid in homes:
                where.setdefault(unit, []).append(homes[sid])
        for unit, part in probs.groupby("unit", sort=True):
            pts = where.get(unit) or []
            p = {
                name(r.school): round(float(r.probability), 4)
                for r in part.itertuples()
                if r.school
            }
            none = float(part.loc[part["school"] == "", "probability"].sum())
            units.append(
                {
                    "group": info["group"],
                    "level": info.get("level"),
                    "unit": str(unit),
                    "applicants": int(part["applicants"].iloc[0]),
                    "lon": round(sum(x for x, _ in pts) / len(pts), 7) if pts else None,
                    "lat": round(sum(y for _, y in pts) / len(pts), 7) if pts else None,
                    "p": p,
                    "p_no_seat": round(none, 4),
                }
            )
        for r in fill.to_dict("records"):
            schools.append(
                {
                    "school": name(r["school"]),
                    "school_id": r["school"],
                    "group": r["group"],
                    "level": info.get("level"),
                    "seats": int(r["seats"]),
                    "mean_placed": round(float(r["mean_placed"]), 2),
                    "fill_rate": _num(round(float(r["fill_rate"]), 4)),
                    "p_full": round(float(r["p_full"]), 4),
                    "last_tier_mode": _num(r["last_tier_mode"]),
                    "last_tier_share": round(float(r["last_tier_share"]), 4),
                    "last_tier_max": _num(r["last_tier_max"]),
                }
            )
    counts: dict[str, int] = {}
    for st in out.placements["status"]:
        counts[str(st)] = counts.get(str(st), 0) + 1
    progress(1.0)
    return {
        "groups": res_groups,
        "units": units,
        "schools": schools,
        "placement": {"status": counts, "seed": int(seed)},
        "draws": int(draws),
        "seed": int(seed),
        "engine": "geo_enroll.placement.lottery.simulate (inputs: the placement's lottery tables)",
        "note": None
        if groups
        else "本版本没有儿童落在多校划片内：派位不经电脑派位，无需模拟 (no child is in a "
        "multi-school zone: the placement draws no lottery, there is nothing to simulate)",
    }


# ---------------------------------------------------------------------------- planning


def seat_use(spec: dict, placement: dict | None, ctx: Context = DEFAULT_CONTEXT) -> list[dict]:
    """Seats and placed children per school (placed 0 without a placement run)."""
    return impact.seat_balance(spec, seat_table(spec, ctx), (placement or {}).get("schools"))


def diagnostics(*, spec: dict, zones: dict, domain_zones: dict | None = None) -> dict:
    """Gaps and overlaps per level (:func:`geo_enroll.impact.gaps_overlaps`).

    The land that must be served is the union of ``domain_zones`` per level, else of ``zones``.
    """
    return impact.gaps_overlaps(spec, zones, domain=domain_zones)


def preview(
    *,
    base_spec: dict,
    base_zones: dict,
    spec: dict,
    zones: dict,
    cohort: list[dict],
    ctx: Context = DEFAULT_CONTEXT,
    before: dict | None = None,
) -> dict:
    """Impact of a proposed edit before it is saved (:func:`geo_enroll.impact.compare`)."""
    before = before or place(spec=base_spec, zones=base_zones, cohort=cohort, ctx=ctx)
    after = place(spec=spec, zones=zones, cohort=cohort, ctx=ctx)
    res = impact.compare(
        spec_before=base_spec,
        zones_before=base_zones,
        placement_before=before,
        spec_after=spec,
        zones_after=zones,
        placement_after=after,
        seats_before=seat_table(base_spec, ctx),
        seats_after=seat_table(spec, ctx),
    )
    keys = ("changes", "n_changes", "seats_before", "seats_after", "diagnostics")
    return {k: res[k] for k in (*keys, "problems_before", "problems_after")}


#: a redrawn zone whose every vertex lies within this distance of the stored one is untouched
#: (the browser rounds coordinates to 6 decimals, about 0.1 m)
UNTOUCHED_TOLERANCE_M = 0.5


def _same_shape(a: dict | None, b: dict | None, tolerance_m: float) -> bool:
    """Whether two GeoJSON geometries are the same within ``tolerance_m`` (Hausdorff in
    degrees, a degree counted as the 111.32 km of latitude: at most ``tolerance_m`` on the
    ground in any direction)."""
    import shapely
    from shapely.geometry import shape

    if a == b:
        return True
    if not a or not b:
        return False
    try:
        ga, gb = shape(a), shape(b)
    except Exception:  # noqa: BLE001 - malformed coordinates are not "the same"
        return False
    if ga.is_empty or gb.is_empty:
        return ga.is_empty and gb.is_empty
    tol = tolerance_m / 111_320.0
    if any(abs(x - y) > tol for x, y in zip(ga.bounds, gb.bounds, strict=True)):
        return False
    if shapely.equals_exact(ga, gb, tolerance=tol):
        return True
    return bool(shapely.hausdorff_distance(ga, gb) <= tol)


def keep_untouched(
    base_zones: dict, zones: dict, *, tolerance_m: float = UNTOUCHED_TOLERANCE_M
) -> tuple[dict, list[str]]:
    """``zones`` with every zone that equals its ``base_zones`` namesake (same ``rule_id``,
    same properties, geometry within ``tolerance_m``) replaced by the stored feature itself,
    byte for byte; returns (zones, rule ids that really changed, were added or removed).

    An editor that sends back every zone (rounded by the browser) thus changes only the
    zones the planner edited.

    Examples
    --------
    >>> sq = {"type": "Polygon", "coordinates": [[[115, 41], [115.01, 41], [115.01, 41.01],
    ...        [115, 41]]]}
    >>> moved = {"type": "Polygon", "coordinates": [[[115.0000001, 41], [115.01, 41],
    ...           [115.01, 41.01], [115.0000001, 41]]]}
    >>> base = {"type": "FeatureCollection", "features": [
    ...     {"type": "Feature", "properties": {"rule_id": "r1", "school": "A"}, "geometry": sq}]}
    >>> new = {"type": "FeatureCollection", "features": [
    ...     {"type": "Feature", "properties": {"rule_id": "r1", "school": "A"},
    ...      "geometry": moved}]}
    >>> out, changed = keep_untouched(base, new)
    >>> out["features"][0]["geometry"] is sq, changed
    (True, [])
    """
    old = {(f.get("properties") or {}).get("rule_id"): f for f in base_zones.get("features") or []}
    feats, changed = [], []
    seen = set()
    for f in zones.get("features") or []:
        rid = (f.get("properties") or {}).get("rule_id")
        seen.add(rid)
        o = old.get(rid)
        if (
            o is not None
            and (o.get("properties") or {}) == (f.get("properties") or {})
            and _same_shape(o.get("geometry"), f.get("geometry"), tolerance_m)
        ):
            feats.append(o)
        else:
            feats.append(f)
            changed.append(str(rid))
    changed += [str(rid) for rid in old if rid not in seen]
    return {**zones, "features": feats}, changed


def _canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)


def same_version(a_spec: dict, a_zones: dict, b_spec: dict, b_zones: dict) -> bool:
    """Whether two (spec, zones) pairs are identical (canonical JSON; zone order ignored).

    >>> fc = {"type": "FeatureCollection", "features": []}
    >>> same_version({"schools": []}, fc, {"schools": []}, fc)
    True
    """
    if _canonical(a_spec) != _canonical(b_spec):
        return False

    def feats(z):
        return sorted(_canonical(f) for f in z.get("features") or [])

    return feats(a_zones) == feats(b_zones)


def new_gaps_overlaps(current: dict, candidate: dict) -> dict:
    """Gaps and overlaps that publishing ``candidate`` would introduce over ``current``.

    Both are stored versions (``spec``, ``zones``).  The land that must be served is the land
    ``current`` serves; a problem ``current`` already has is not new
    (:func:`geo_enroll.impact.new_problems`).  Returns ``{level: {"gaps", "overlaps"}}`` with
    only the new problems (each with ``area_m2``, ``point`` and ``geometry``).
    """
    before = impact.gaps_overlaps(current["spec"], current["zones"], domain=current["zones"])
    after = impact.gaps_overlaps(candidate["spec"], candidate["zones"], domain=current["zones"])
    return impact.new_problems(before, after)


def diff_versions(
    a: dict, b: dict, *, cohort: list[dict] | None = None, ctx: Context = DEFAULT_CONTEXT
) -> dict:
    """Difference between two versions: changed zone areas (GeoJSON) and who changes school.

    Zones equal within :data:`UNTOUCHED_TOLERANCE_M` count as unchanged (versions saved by an
    editor that rounded every coordinate differ from their parent only where edited).
    """
    b_zones, _changed = keep_untouched(a["zones"], b["zones"])
    moves: list[dict] = []
    if cohort:
        before = place(spec=a["spec"], zones=a["zones"], cohort=cohort, ctx=ctx)
        after = place(spec=b["spec"], zones=b["zones"], cohort=cohort, ctx=ctx)
        moves = [
            {"student_id": c["student_id"], "from": c["from"], "to": c["to"]}
            for c in impact.school_changes(before["placements"], after["placements"])
        ]
    return {
        "a": a["id"],
        "b": b["id"],
        "spec_changed": json.dumps(a["spec"], sort_keys=True)
        != json.dumps(b["spec"], sort_keys=True),
        "changed_zones": impact.changed_zones(a["zones"], b_zones),
        "moves": moves,
    }


_POLYGON_KINDS = ("street_limits", "compound", "street_list", "directional_bounds")


def has_polygon_rules(spec: dict) -> bool:
    """Whether any rule of ``spec`` is drawn as a polygon (else zones are matched by code).

    >>> has_polygon_rules({"schools": [{"zones": [{"kind": "admin_units"}]}]})
    False
    """
    return any(
        z.get("kind") in _POLYGON_KINDS
        for s in spec.get("schools") or []
        for z in s.get("zones") or []
    )


def polygon_rules(spec: dict) -> dict[str, str]:
    """The polygon rules of a spec as ``rule_id -> canonical JSON`` (to see which changed)."""
    return {
        z["rule_id"]: json.dumps(z, sort_keys=True, ensure_ascii=False)
        for s in spec.get("schools") or []
        for z in s.get("zones") or []
        if z.get("kind") in _POLYGON_KINDS
    } | {
        f"{s.get('id')}:school": json.dumps([s.get("name"), s.get("level")], ensure_ascii=False)
        for s in spec.get("schools") or []
    }


def redigitise(spec: dict, ctx: Context = DEFAULT_CONTEXT) -> tuple[dict, list[str]]:
    """Zones of ``spec`` digitised again on the base map: (FeatureCollection, problems).

    Used when a planner changes a limit in the spec instead of redrawing on the map.
    """
    from geo_enroll.basemap import read_basemap
    from geo_enroll.digitise import digitise

    path = ctx.basemap or (data_dir() / "boundaries" / "baochang_schematic.gpkg")
    if not Path(path).exists():
        raise InputError(
            "没有底图，无法按修改后的四至重新生成划片 (no base map to re-digitise the "
            "zones; redraw the zone on the map instead)"
        )
    res = digitise(spec, read_basemap(path))
    problems = [
        f"{r['rule_id']}: {r['status']}" + (f" — {r['issues'][0]}" if r.get("issues") else "")
        for r in res.rules
        if r.get("status") not in ("ok", "not_digitised")
    ]
    problems += [f"未能识别的名称 unresolved name: {u.get('name')}" for u in res.unresolved]
    zones = (
        json.loads(res.zones.to_json(drop_id=True))
        if len(res.zones)
        else {"type": "FeatureCollection", "features": []}
    )
    return zones, problems


def export_geopackage(zones: dict) -> bytes:
    """A version's zones as GeoPackage bytes (layer ``zones``, EPSG:4326)."""
    import tempfile

    gdf = _zones_gdf(zones)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "zones.gpkg"
        gdf.to_file(path, layer="zones", driver="GPKG")
        return path.read_bytes()
