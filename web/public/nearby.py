"""A clicked point in words, and the schools across a nearby zone edge.

Distances are measured in the point's UTM zone (pyproj, ``always_xy``); the projected zones and
streets are kept per version and thread.
"""

from __future__ import annotations

import threading
from typing import Any

from ..context import DEFAULT_CONTEXT, Context, basemap_layer

__all__ = ["describe_point", "schools_across"]


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
