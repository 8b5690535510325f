"""The edge rule (tolerance only between zones) and the batch path agreeing with the engine."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import Polygon

from geo_enroll.datasets import toy_school_points, toy_spec, toy_xy_to_lonlat, toy_zones
from geo_enroll.zoneindex import EDGE_TOLERANCE_M, ZoneIndex

from .shapes import jagged_tiling


def _index(zones=None):
    return ZoneIndex(
        toy_spec(), toy_zones() if zones is None else zones, school_points=toy_school_points()
    )


def _engine(index, lon, lat, level):
    """Rule ids the single-point engine gives (hits in order, one per rule)."""
    out = []
    for h in index.polygon_matches(index.project(lon, lat), level, (lon, lat))[0]:
        if h["rule_id"] not in out:
            out.append(h["rule_id"])
    return tuple(out)


def _batch(index, lon, lat, level):
    a = index.assign_points(lon, lat, level)
    return [tuple(index._rid[i] for i in z if index._zschools[i]) for z in a.zones], a


@pytest.mark.parametrize("level", ["primary", "middle"])
def test_just_outside_the_outer_boundary_gets_no_school(level):
    idx = _index()
    for x, y in [(-EDGE_TOLERANCE_M / 2, 300), (1000 + EDGE_TOLERANCE_M / 3, 700), (400, -0.1)]:
        lon, lat = toy_xy_to_lonlat(x, y)
        assert _engine(idx, lon, lat, level) == ()
        got, a = _batch(idx, [lon], [lat], level)
        assert got == [()] and not a.on_edge[0]
    # exactly on the outer boundary the zone is closed: it covers the point
    lon, lat = toy_xy_to_lonlat(0, 300)
    assert _engine(idx, lon, lat, level) != ()


def test_a_sliver_between_two_zones_goes_to_exactly_one():
    ll = toy_xy_to_lonlat
    z = toy_zones()
    x1 = 500 - EDGE_TOLERANCE_M / 2  # a 0.25 m gap between 西区 and 东区
    z.loc[z["rule_id"] == "toy-p2-r01", "geometry"] = Polygon(
        [ll(0, 0), ll(x1, 0), ll(x1, 1000), ll(0, 1000)]
    )
    idx = _index(z)
    for y in (10.0, 300.0, 999.0):
        lon, lat = ll(500 - EDGE_TOLERANCE_M / 8, y)
        got = _engine(idx, lon, lat, "primary")
        assert len(got) == 1
        batch, a = _batch(idx, [lon], [lat], "primary")
        assert batch == [got] and a.near_edge[0] and a.on_edge[0]


def _probe_points(index, rng, n=3000):
    """Random points over the zones' box, plus points on every vertex and edge midpoint,
    and points a few centimetres off them (the hard cases)."""
    import shapely

    minx, miny, maxx, maxy = shapely.total_bounds(index._geoms_ll)
    pad = (maxx - minx) * 0.05
    lon = rng.uniform(minx - pad, maxx + pad, n)
    lat = rng.uniform(miny - pad, maxy + pad, n)
    coords = shapely.get_coordinates(shapely.boundary(index._geoms_ll))
    mids = (coords[:-1] + coords[1:]) / 2
    on = np.vstack([coords, mids])
    jitter = rng.normal(0, 3e-6, on.shape)  # ~0.3 m
    pts = np.vstack([np.c_[lon, lat], on, on + jitter])
    return pts[:, 0], pts[:, 1]


@pytest.mark.parametrize("level", ["primary", "middle"])
def test_batch_equals_engine_on_the_toy_town(level):
    idx = _index()
    lon, lat = _probe_points(idx, np.random.default_rng(7), 1500)
    got, _ = _batch(idx, lon, lat, level)
    want = [_engine(idx, x, y, level) for x, y in zip(lon, lat, strict=True)]
    assert got == want
    assert sum(1 for w in want if w) > 500  # the probe really hits zones


def test_batch_equals_engine_on_real_shaped_zones():
    """Voronoi zones with jagged (densified, jittered) edges: real-looking shared edges."""
    import geopandas as gpd

    cells = jagged_tiling(40, seed=3)
    spec = {"policy": {}, "schools": []}
    rows = []
    for k, g in enumerate(cells):
        sid = f"s{k:02d}"
        spec["schools"].append(
            {
                "id": sid,
                "name": sid,
                "level": "primary",
                "zones": [
                    {"rule_id": f"{sid}-r01", "kind": "polygon", "source": {"text": sid, "line": 1}}
                ],
            }
        )
        rows.append({"rule_id": f"{sid}-r01", "school_id": sid, "geometry": g})
    zones = gpd.GeoDataFrame(rows, crs=4326)
    idx = ZoneIndex(spec, zones)
    lon, lat = _probe_points(idx, np.random.default_rng(11), 2000)
    got, a = _batch(idx, lon, lat, "primary")
    want = [_engine(idx, x, y, "primary") for x, y in zip(lon, lat, strict=True)]
    assert got == want
    # a shared vertex or edge point is in exactly one zone; none is in two
    assert all(len(w) <= 1 for w in want)
    assert a.near_edge.sum() > 100 and a.on_edge.sum() > 50


def test_prime_gives_placement_the_same_answers():
    """`prime` (the batch path) then per-applicant candidate_schools: same zone schools."""
    from geo_enroll.placement.candidates import candidate_schools

    rng = np.random.default_rng(5)
    plain = _index()
    lon, lat = _probe_points(plain, rng, 600)
    geos = [{"lon": x, "lat": y, "input": ""} for x, y in zip(lon, lat, strict=True)]
    primed = _index()
    assert primed.prime(geos) == len(set(zip(lon, lat, strict=True)))
    for level in ("primary", "middle"):
        for g in geos:
            a = [m["school_id"] for m in candidate_schools(g, level, index=plain)["zone"]]
            b = [m["school_id"] for m in candidate_schools(g, level, index=primed)["zone"]]
            assert a == b
