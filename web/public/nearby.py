"""A clicked point in words (the schools across a nearby zone edge come with the engine's
answer: ``geo_enroll.lookup``, ``across=True``).

Distances are measured in the point's UTM zone (pyproj, ``always_xy``); the projected streets
are kept per map and the transformers per thread.
"""

from __future__ import annotations

import threading
from typing import Any

from ..context import DEFAULT_CONTEXT, Context, basemap_layer

__all__ = ["describe_point"]


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
