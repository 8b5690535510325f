"""The parent lookup's shared pass (:func:`candidates_by_basis` with one :func:`locate` per
address) gives exactly the candidates of separate :func:`candidate_schools` calls, on the
addresses of a synthetic cohort and on clicked points of both seed policies."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo_enroll.placement.candidates import (
    ZoneIndex,
    candidate_schools,
    candidates_by_basis,
    locate,
)
from geo_enroll.settings import data_dir

BASES = ("hukou", "property_in_zone")
SEEDS = {
    # key: (spec, zones layer, base map with the schools layer; None: the default gazetteer's)
    "taipusi_2024": (
        "boundaries/taipusi_2024.toml",
        "boundaries/taipusi_2024_zones.gpkg",
        "boundaries/baochang_schematic.gpkg",
    ),
    "yanqing_2023_multischool": (
        "scenarios/yanqing_2023_multischool.toml",
        None,
        "scenarios/yanqing_2023_basemap.gpkg",
    ),
}


def _seed(key: str):
    import geopandas as gpd

    from geo_enroll.geocode import Gazetteer, load_default_gazetteer
    from geo_enroll.placement.cohort import synth_cohort
    from geo_enroll.policy.spec import load_spec

    spec_rel, zones_rel, basemap_rel = SEEDS[key]
    paths = [data_dir() / p for p in (spec_rel, zones_rel, basemap_rel) if p]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        pytest.skip(f"needs the seed files {missing}")
    spec = load_spec(data_dir() / spec_rel)
    zones = gpd.read_file(data_dir() / zones_rel) if zones_rel else None
    basemap = data_dir() / basemap_rel
    points = gpd.read_file(basemap, layer="schools")
    index = ZoneIndex(spec, zones, school_points=points)
    if key == "taipusi_2024":
        gaz = load_default_gazetteer()
        df = synth_cohort(spec, seed=5, primary=80, middle=40)
    else:
        gaz = Gazetteer.from_data(basemap=basemap)
        df = synth_cohort(spec, seed=5, basemap=basemap, primary=80, middle=40)
    addresses = sorted(
        {str(a) for c in ("户籍地址", "房产地址", "实际居住地址") for a in df[c].dropna()}
    )
    geos = [dict(gaz.geocode(a), input=a) for a in addresses]
    # clicked points: zone vertices (on shared edges), a grid over the zones or the schools
    frame = zones if zones is not None and len(zones) else points
    minx, miny, maxx, maxy = frame.to_crs(4326).total_bounds
    clicks = [(x, y) for x in np.linspace(minx, maxx, 6) for y in np.linspace(miny, maxy, 6)]
    if zones is not None:
        verts = shapely.get_coordinates(zones.to_crs(4326).geometry.values)
        clicks += [tuple(v) for v in verts[:: max(1, len(verts) // 40)]]
    geos += [{"lon": float(x), "lat": float(y), "input": ""} for x, y in clicks]
    return index, geos


@pytest.fixture(scope="module", params=sorted(SEEDS))
def seed(request):
    return request.param, *_seed(request.param)


def test_shared_pass_gives_the_per_basis_candidates(seed):
    key, index, geos = seed
    levels = ("primary", "middle")
    seen = {"zone": 0, "property": 0, "optional": 0, "edge": 0, "warnings": 0, "several": 0}
    for geo in geos:
        located = locate(geo, index)
        for level in levels:
            both = candidates_by_basis(geo, level, index=index, located=located)
            for basis in BASES:
                one = candidate_schools(geo, level, index=index, basis=basis)
                assert both[basis] == one, (key, geo.get("input") or (geo["lon"], geo["lat"]))
            seen["zone"] += bool(both["hukou"]["zone"])
            seen["property"] += bool(both["property_in_zone"]["zone"])
            seen["optional"] += bool(both["hukou"]["optional"])
            seen["edge"] += both["hukou"]["edge_m"] is not None
            seen["warnings"] += bool(both["hukou"]["warnings"])
            seen["several"] += len(both["hukou"]["zone"]) > 1
    # the comparison covered the cases that matter (not only empty answers)
    assert seen["zone"] > len(geos) // 2, seen
    if key == "taipusi_2024":  # 购房 rules, polygon zones, alternatives, warnings
        assert min(seen["property"], seen["optional"], seen["warnings"]) > 0, seen
        assert seen["edge"] > len(geos) // 4, seen
    else:  # multi-school zones (多校划片)
        assert seen["several"] > len(geos) // 4, seen


def test_shared_answers_do_not_share_their_lists(seed):
    _key, index, geos = seed

    def size(g):
        c = candidate_schools(g, "primary", index=index)
        return len(c["optional"]), len(c["zone"])

    geo = max(geos, key=size)
    both = candidates_by_basis(geo, "primary", index=index)
    before = candidate_schools(geo, "primary", index=index, basis="property_in_zone")
    assert both["hukou"]["zone"], geo
    both["hukou"]["zone"][0]["school_id"] = "changed"
    for m in both["hukou"]["optional"]:
        m["distance_m"] = -1.0
    both["hukou"]["warnings"].append("changed")
    assert both["property_in_zone"] == before


def test_near_zones_reused_equals_a_fresh_query(seed):
    """:meth:`ZoneIndex.polygon_matches` with the point's :meth:`ZoneIndex.near_zones` (one
    query shared by the levels) equals its own query, edge distance included."""
    _key, index, geos = seed
    if not len(index.zones):
        pytest.skip("no polygon zones in this seed")
    for geo in geos:
        if geo.get("lon") is None:
            continue
        lonlat = (float(geo["lon"]), float(geo["lat"]))
        xy = index.project(*lonlat)
        near = index.near_zones(xy, lonlat)
        for level in ("primary", "middle"):
            assert index.polygon_matches(xy, level, lonlat, near=near) == (
                index.polygon_matches(xy, level, lonlat)
            )


def test_lookup_zones_agree_with_the_batch_path(seed):
    """The zones the lookup path finds (one :meth:`ZoneIndex.near_zones` query per point)
    are those of the batch path (:meth:`ZoneIndex.assign_points`: a grid, exact tests near
    edges — separate code), for every level, edge rule included."""
    _key, index, geos = seed
    if not len(index.zones):
        pytest.skip("no polygon zones in this seed")
    pts = sorted({(float(g["lon"]), float(g["lat"])) for g in geos if g.get("lon") is not None})
    lon, lat = (np.array(v) for v in zip(*pts, strict=True))
    compared = 0
    for level in ("primary", "middle"):
        batch = index.assign_points(lon, lat, level)
        for k, zs in enumerate(batch.zones):
            with_school = {
                index._rid[i]
                for i in zs
                if any(
                    index.schools[s].get("level") in (level, "nine_year")
                    for s in index._zschools[i]
                )
            }
            xy = index.project(lon[k], lat[k])
            near = index.near_zones(xy, (lon[k], lat[k]))
            hits, _edge = index.polygon_matches(xy, level, (lon[k], lat[k]), near=near)
            assert {h["rule_id"] for h in hits} == with_school, (level, lon[k], lat[k])
            compared += bool(with_school)
    assert compared > len(pts) // 2
