"""Locating addresses and schools with the gazetteer (geocoding at the run's edge).

Addresses are geocoded once per distinct text (sorted), so the run does not depend on the
order of the applicant table; a geocoder refusing an address leaves it unresolved with the
reason.  A location is *usable* for zoning when its match level is one of
:data:`USABLE_LEVELS`.

>>> usable({"lon": 116.0, "lat": 40.0, "level": "village"}), usable({"lon": None})
(True, False)
"""

from __future__ import annotations

import pandas as pd

__all__ = ["USABLE_LEVELS", "complete_school_points", "geocode_all", "usable"]

USABLE_LEVELS = ("township", "village", "road", "house_number", "compound", "poi")


def complete_school_points(points, by_id, spec, gazetteer):
    """School points from the base map; missing schools geocoded by name (recorded)."""
    import geopandas as gpd
    from shapely.geometry import Point

    rows = []
    have = set()
    if points is not None and len(points):
        pts = points.to_crs("EPSG:4326")
        for sid, g in zip(pts["school_id"], pts.geometry, strict=True):
            if str(sid) in by_id and g is not None and not g.is_empty and str(sid) not in have:
                have.add(str(sid))
                rows.append({"school_id": str(sid), "geometry": g})
    juris = str((spec.get("policy") or {}).get("jurisdiction") or "")
    for sid, s in sorted(by_id.items()):
        if sid in have:
            continue
        for q in _school_queries(s, juris):
            try:
                r = gazetteer.geocode(q)
            except Exception:  # a geocoder refusing a query is not fatal here
                continue
            if r.get("lon") is not None and r.get("level") in USABLE_LEVELS:
                rows.append({"school_id": sid, "geometry": Point(r["lon"], r["lat"])})
                break
    return gpd.GeoDataFrame(
        rows, columns=["school_id", "geometry"], geometry="geometry", crs="EPSG:4326"
    )


def _school_queries(school: dict, juris: str) -> list[str]:
    qs = [juris + str(school.get("name") or "")]
    for z in school.get("zones") or []:
        for u in z.get("units") or []:
            qs.append(juris + str(u.get("township") or "") + str(u.get("name") or ""))
    return qs


def geocode_all(el: pd.DataFrame, gazetteer) -> dict:
    texts = set()
    for opts in el["address_options"]:
        for o in opts:
            texts.add(o["address"])
            if o.get("other"):
                texts.add(o["other"])
    texts = sorted(t for t in texts if t)
    out = {}
    for t in texts:
        try:
            r = gazetteer.geocode(t)
        except Exception as exc:  # GeocodeError/AddressError: the address is unresolved
            r = {"input": t, "lon": None, "lat": None, "level": None, "reason": str(exc)}
        r = dict(r)
        r.setdefault("input", t)
        out[t] = r
    return out


def usable(g: dict) -> bool:
    return g is not None and g.get("lon") is not None and g.get("level") in USABLE_LEVELS
