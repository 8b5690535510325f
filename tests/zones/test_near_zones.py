"""`ZoneIndex.near_zones` (the lookup's one pass over the zones near a point): the box scan of a
small layer gives exactly the STRtree's answer, and the answer kept per point is the fresh one."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

import geo_enroll.zoneindex as zoneindex
from geo_enroll.datasets import toy_school_points, toy_spec, toy_zones
from geo_enroll.zoneindex import ZoneIndex

from .shapes import jagged_tiling
from .test_edges import _probe_points


def _tiling_index(n: int, seed: int) -> ZoneIndex:
    spec = {"policy": {}, "schools": []}
    rows = []
    for k, g in enumerate(jagged_tiling(n, seed=seed)):
        sid = f"s{k:03d}"
        spec["schools"].append(
            {
                "id": sid,
                "name": sid,
                "level": "primary",
                "zones": [{"rule_id": f"{sid}-r01", "kind": "polygon", "source": {"text": sid}}],
            }
        )
        rows.append({"rule_id": f"{sid}-r01", "school_id": sid, "geometry": g})
    return ZoneIndex(spec, gpd.GeoDataFrame(rows, crs=4326))


def _points(index: ZoneIndex, seed: int):
    """Vertices, edge midpoints (shared edges), points centimetres off them, random points,
    and points around 1 km beyond the layer's edge (where the 1 km reach decides)."""
    rng = np.random.default_rng(seed)
    lon, lat = _probe_points(index, rng, 800)
    minx, miny, maxx, maxy = shapely.total_bounds(index._geoms_ll)
    ring = shapely.get_coordinates(
        shapely.segmentize(
            shapely.box(minx - 0.0125, miny - 0.009, maxx + 0.0125, maxy + 0.009), 1e-3
        )
    )  # ≈ 1 km east/west and north/south of the box
    ring = ring + rng.normal(0, 5e-5, ring.shape)
    step = max(1, len(lon) // 2500)  # every vertex of a small layer, a sample of a large one
    return np.r_[lon[::step], ring[:, 0]], np.r_[lat[::step], ring[:, 1]]


def _same(a: tuple, b: tuple) -> bool:
    return all(
        x.dtype.kind == y.dtype.kind and np.array_equal(x, y) for x, y in zip(a, b, strict=True)
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: ZoneIndex(toy_spec(), toy_zones(), school_points=toy_school_points()),
        lambda: _tiling_index(40, seed=3),
        lambda: _tiling_index(150, seed=4),  # more zones than SCAN_MAX_ZONES: the STRtree
    ],
    ids=["toy", "tiling40", "tiling150"],
)
def test_box_scan_equals_the_strtree_query(make):
    index = make()
    boxes = [tuple(b) for b in shapely.bounds(index._geoms_m).tolist()]
    assert (index._scan_boxes is not None) == (len(boxes) <= zoneindex.SCAN_MAX_ZONES)
    lon, lat = _points(index, 1)
    found = near = 0
    for x, y in zip(lon.tolist(), lat.tolist(), strict=True):
        xy = index.project(x, y)
        for ll in ((x, y), None):
            tree = index._near_zones(xy, ll)
            scan = index._near_zones(xy, ll, scan=boxes)
            assert _same(scan, tree), (x, y, ll)
            assert _same(index.near_zones(xy, ll), tree)  # the kept answer, scan or tree
        found += bool(tree[2].any())
        near += bool(len(tree[0]))
    assert found > len(lon) // 3 and near < len(lon)  # inside zones, and beyond the reach too


def test_the_answer_kept_per_point_is_read_only_and_bounded(monkeypatch):
    index = ZoneIndex(toy_spec(), toy_zones(), school_points=toy_school_points())
    lon, lat = _points(index, 2)
    ll = (float(lon[0]), float(lat[0]))
    xy = index.project(*ll)
    first = index.near_zones(xy, ll)
    assert index.near_zones(xy, ll) is first
    assert index.near_zones(xy, None) is not first  # another question (projected geometry)
    with pytest.raises(ValueError):
        first[1][...] = 0.0  # shared by every lookup of the point: nobody may change it
    monkeypatch.setattr(zoneindex, "NEAR_MEMO_MAX", 5)
    for x, y in zip(lon[:50].tolist(), lat[:50].tolist(), strict=True):
        got = index.near_zones(index.project(x, y), (x, y))
        assert _same(got, index._near_zones(index.project(x, y), (x, y)))
        assert len(index._near_memo) <= 5
