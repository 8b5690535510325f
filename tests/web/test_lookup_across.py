"""The schools across a near zone edge (``across`` of a parent's answer) come from the engine's
one pass over the zones (:meth:`ZoneIndex.zones_across` on :meth:`ZoneIndex.near_zones`); they
must equal a plain scan of every zone feature, measured in the point's own UTM zone, as the web
layer computed them before.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import Point, shape

from geo_enroll.datasets import toy_spec, toy_zones
from geo_enroll.impact import zones_frame
from geo_enroll.zoneindex import ZoneIndex

ROOT = Path(__file__).resolve().parents[2]


_PROJECTED: dict = {}


def _projected(features: list[dict], epsg: int):
    key = (id(features), epsg)
    if key not in _PROJECTED:
        fwd = Transformer.from_crs(4326, CRS.from_epsg(epsg), always_xy=True)

        def project(g):
            xy = shapely.get_coordinates(g)
            return shapely.set_coordinates(g, np.column_stack(fwd.transform(xy[:, 0], xy[:, 1])))

        _PROJECTED[key] = (features, project, [project(shape(f["geometry"])) for f in features])
    return _PROJECTED[key][1:]


def _scan(features: list[dict], lon: float, lat: float, serving: dict, within_m: float):
    """Every zone feature projected to the point's UTM zone, its distance to the point."""
    epsg = (32600 if lat >= 0 else 32700) + int((lon + 180) // 6) + 1
    project, geoms = _projected(features, epsg)
    p = project(Point(lon, lat))
    best: dict = {}
    for f, g in zip(features, geoms, strict=True):
        props = f["properties"]
        level = str(props.get("level") or "")
        sid = str(props.get("school_id") or props.get("school") or "")
        d = g.distance(p)
        for lv in ("primary", "middle") if level == "nine_year" else (level,):
            if lv not in serving or sid in serving[lv] or d > within_m:
                continue
            if d < best.get((lv, sid), {}).get("distance_m", math.inf):
                best[(lv, sid)] = {
                    "level": lv,
                    "school": props.get("school"),
                    "school_id": sid,
                    "distance_m": round(float(d), 1),
                }
    return sorted(best.values(), key=lambda r: r["distance_m"])


def _toy_features() -> dict:
    """The toy town's zones, one made a nine-year school's and one without a school id."""
    fc = toy_zones().__geo_interface__
    fc["features"][1]["properties"]["level"] = "nine_year"
    fc["features"][2]["properties"]["school_id"] = None
    return fc


def _taipusi() -> tuple[dict, dict]:
    import geopandas as gpd
    import tomllib

    spec = tomllib.loads((ROOT / "data/boundaries/taipusi_2024.toml").read_text("utf-8"))
    zones = gpd.read_file(ROOT / "data/boundaries/taipusi_2024_zones.gpkg").to_crs(4326)
    return spec, zones.__geo_interface__


@pytest.mark.parametrize("case", ["toy", "taipusi"])
def test_zones_across_equals_a_scan_of_every_zone(case):
    if case == "toy":
        spec, fc = toy_spec(), _toy_features()
    else:
        if not (ROOT / "data/boundaries/taipusi_2024_zones.gpkg").exists():
            pytest.skip("the 太仆寺旗 zones layer is missing")
        spec, fc = _taipusi()
    features = [f for f in fc["features"] if f.get("geometry")]
    index = ZoneIndex(spec, zones_frame(fc))
    verts = shapely.get_coordinates(index.zones_m.geometry.values)
    verts = verts[:: max(1, len(verts) // 40)]
    back = Transformer.from_crs(index.crs, 4326, always_xy=True)
    offsets = [(0, 0), (3, -2), (-12, 7), (26, 1), (-4, -29), (31, 30)]
    checked = found = 0
    for vx, vy in verts:
        for dx, dy in offsets:
            lon, lat = back.transform(vx + dx, vy + dy)
            xy = index.project(lon, lat)
            near = index.near_zones(xy, (lon, lat))
            own = {  # the schools of the zones covering the point (its own zone schools)
                str(index._rows[i].get("school_id"))
                for i, c in zip(near[0].tolist(), near[2].tolist(), strict=True)
                if c
            }
            covering = {"primary": own, "middle": own}
            for serving in ({"primary": set(), "middle": set()}, covering, {"primary": set()}):
                for within in (5.0, 35.0):
                    got = index.zones_across(near, serving, within_m=within)
                    assert got == _scan(features, lon, lat, serving, within), (case, lon, lat)
                    checked += 1
                    found += bool(got)
    assert checked >= 200 and found >= checked // 4  # many points do have a school across


def test_a_lookup_far_from_every_edge_has_no_across_key():
    from geo_enroll.datasets import toy_xy_to_lonlat
    from geo_enroll.lookup import lookup_point

    lon, lat = toy_xy_to_lonlat(250, 250)  # in the middle of 西区
    r = lookup_point(lon, lat, spec=toy_spec(), zones=toy_zones(), across=True)
    assert r["edge_distance_m"] > 30 and "across" not in r
    lon, lat = toy_xy_to_lonlat(500, 300)  # on 中街, the line between 东区 and 西区
    r = lookup_point(lon, lat, spec=toy_spec(), zones=toy_zones(), across=True)
    assert r["edge_distance_m"] == 0.0 and [a["school_id"] for a in r["across"]] == ["toy-p2"]
    assert "across" not in lookup_point(lon, lat, spec=toy_spec(), zones=toy_zones())
