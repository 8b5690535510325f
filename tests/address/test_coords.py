"""Coordinate systems: published reference values, round trips, and two real county outlines."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_enroll.coords import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    convert,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from geo_enroll.errors import CRSError
from tests.conftest import SHARED, need_shared

# Published values (wandergis/coordtransform test/app.js, input 116.404, 39.915).
REF_WGS_TO_GCJ = (116.41024449916938, 39.91640428150164)
REF_GCJ_TO_BD = (116.41036949371029, 39.92133699351021)
REF_BD_TO_GCJ = (116.39762729119315, 39.90865673957631)  # their one-step inverse
REF_GCJ_TO_WGS = (116.39775550083061, 39.91359571849836)  # their one-step inverse
# Beijing railway station, GCJ-02 (39.90245, 116.42703) ↔ BD-09 (39.90851, 116.43351), 5 decimals
STATION_GCJ, STATION_BD = (116.42703, 39.90245), (116.43351, 39.90851)


def test_forward_formulas_match_published_values():
    assert wgs84_to_gcj02(116.404, 39.915) == pytest.approx(REF_WGS_TO_GCJ, abs=1e-9)
    assert gcj02_to_bd09(116.404, 39.915) == pytest.approx(REF_GCJ_TO_BD, abs=1e-9)
    assert gcj02_to_bd09(*STATION_GCJ) == pytest.approx(STATION_BD, abs=1e-5)


def test_inverses_agree_with_published_one_step_inverses():
    # the published inverses are approximations good to ~1e-6°; ours are exact to 1e-7
    assert bd09_to_gcj02(116.404, 39.915) == pytest.approx(REF_BD_TO_GCJ, abs=1e-6)
    assert gcj02_to_wgs84(116.404, 39.915) == pytest.approx(REF_GCJ_TO_WGS, abs=1e-6)
    assert bd09_to_gcj02(*STATION_BD) == pytest.approx(STATION_GCJ, abs=1e-5)


def test_gcj_inverse_is_exact():
    x, y = gcj02_to_wgs84(*REF_WGS_TO_GCJ)
    assert (x, y) == pytest.approx((116.404, 39.915), abs=1e-7)


china = st.tuples(st.floats(73.7, 134.7), st.floats(18.2, 53.5))


@settings(max_examples=200, deadline=None)
@given(china)
def test_round_trips_agree_to_1e_6(pt):
    lon, lat = pt
    for a, b in (("wgs84", "gcj02"), ("wgs84", "bd09"), ("gcj02", "bd09"), ("cgcs2000", "gcj02")):
        x, y = convert(lon, lat, a, b)
        assert convert(x, y, b, a) == pytest.approx((lon, lat), abs=1e-6)
    assert bd09_to_wgs84(*wgs84_to_bd09(lon, lat)) == pytest.approx((lon, lat), abs=1e-6)


@settings(max_examples=50, deadline=None)
@given(china)
def test_offset_is_hundreds_of_metres_in_china(pt):
    x, y = wgs84_to_gcj02(*pt)
    metres = np.hypot((x - pt[0]) * 111_000 * np.cos(np.radians(pt[1])), (y - pt[1]) * 111_000)
    assert 1 < metres < 1500


def test_outside_china_is_unchanged_and_arrays_work():
    assert out_of_china(-0.1276, 51.5072)
    assert wgs84_to_gcj02(-0.1276, 51.5072) == (-0.1276, 51.5072)
    lon = np.array([115.27889, 116.404, 2.35])
    lat = np.array([41.88444, 39.915, 48.85])
    x, y = convert(lon, lat, "gcj02", "wgs84")
    assert x.shape == (3,) and (x[2], y[2]) == (2.35, 48.85)
    gx, gy = convert(x, y, "wgs84", "gcj02")
    assert np.allclose(gx, lon, atol=1e-7) and np.allclose(gy, lat, atol=1e-7)


@pytest.mark.parametrize("bad", [(float("nan"), 40.0), (200.0, 40.0), (40.0, 116.0)])
def test_bad_coordinates_raise_crs_error(bad):
    with pytest.raises(CRSError):
        convert(*bad, "gcj02", "wgs84")
    with pytest.raises(CRSError):
        convert(116, 40, "gcj02", "web-mercator")


@pytest.mark.shared
@pytest.mark.parametrize("code", ["152527", "110119"])
def test_shared_county_outlines_differ_by_the_gcj_offset(code):
    import geopandas as gpd

    folder = SHARED / "reference" / "boundaries"
    a = gpd.read_file(need_shared(folder / "counties_152527_110119_cgcs2000.geojson"))
    b = gpd.read_file(need_shared(folder / "counties_152527_110119_gcj02_echarts.geojson"))
    wgs = a[a["gb"].astype(str).str.endswith(code)].geometry.iloc[0]
    gcj = shapely.make_valid(b[b["id"].astype(str) == code].geometry.iloc[0])

    def to_wgs(coords):
        return np.column_stack(convert(coords[:, 0], coords[:, 1], "gcj02", "wgs84"))

    fixed = shapely.transform(gcj, to_wgs)
    iou = lambda g: wgs.intersection(g).area / wgs.union(g).area  # noqa: E731
    assert iou(fixed) > iou(gcj) and iou(fixed) > 0.97
    raw_shift = np.subtract(gcj.centroid.coords[0], wgs.centroid.coords[0])
    left = np.subtract(fixed.centroid.coords[0], wgs.centroid.coords[0])
    assert np.hypot(*left) < 0.4 * np.hypot(*raw_shift)
    # the raw shift points the way of the GCJ-02 offset at that place
    offset = np.subtract(wgs84_to_gcj02(*wgs.centroid.coords[0]), wgs.centroid.coords[0])
    assert np.dot(raw_shift, offset) > 0.8 * np.hypot(*raw_shift) * np.hypot(*offset)
