"""Coordinate systems used by Chinese map data: WGS 84, CGCS2000, GCJ-02 and BD-09.

* **WGS 84** (EPSG:4326) is what geo_enroll stores at rest (GeoJSON, GeoPackage).
* **CGCS2000** (EPSG:4490) is the national geodetic datum (天地图, official boundaries). It
  agrees with WGS 84 to about a metre, and PROJ converts it by a null transformation.
* **GCJ-02** (国测局坐标, "Mars coordinates": 高德, 腾讯, Google China) adds a deliberate
  non-linear offset of hundreds of metres to WGS 84 inside China.
* **BD-09** (百度坐标) is a further rotation/scaling of GCJ-02 used by Baidu.

GCJ-02 and BD-09 are not in PROJ (see the house style, habit 8): tag such input explicitly and
convert it on entry with :func:`convert`.  The forward GCJ-02 formula is the published one
(the same constants as ``coordtransform`` and ``eviltransform``); its inverse has no closed
form and is solved by fixed-point iteration until the step is below ``1e-7``° (normally
~1e-10° after four or five steps).  Outside China (a coarse bounding box, as in the
published formula) GCJ-02 equals WGS 84.

Every function takes and returns ``(lon, lat)`` (x, y), scalars or numpy arrays.

Examples
--------
>>> lon, lat = wgs84_to_gcj02(116.404, 39.915)
>>> round(lon, 6), round(lat, 6)
(116.410244, 39.916404)
>>> back = gcj02_to_wgs84(lon, lat)
>>> round(back[0], 7), round(back[1], 7)
(116.404, 39.915)
>>> convert(116.404, 39.915, "gcj02", "bd09") == gcj02_to_bd09(116.404, 39.915)
True
"""

from __future__ import annotations

import numpy as np

from .errors import CRSError

__all__ = [
    "CRS_NAMES",
    "canonical_crs",
    "out_of_china",
    "wgs84_to_gcj02",
    "gcj02_to_wgs84",
    "gcj02_to_bd09",
    "bd09_to_gcj02",
    "wgs84_to_bd09",
    "bd09_to_wgs84",
    "convert",
]

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as used by the GCJ-02 formula
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0

CRS_NAMES = {
    "wgs84": "wgs84",
    "wgs-84": "wgs84",
    "epsg:4326": "wgs84",
    "4326": "wgs84",
    "cgcs2000": "cgcs2000",
    "epsg:4490": "cgcs2000",
    "4490": "cgcs2000",
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "gcj": "gcj02",
    "mars": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "bd09ll": "bd09",
    "baidu": "bd09",
}
"""Accepted spellings of the four systems (case-insensitive) → canonical name."""


def canonical_crs(name: str) -> str:
    """The canonical name (``wgs84``, ``cgcs2000``, ``gcj02``, ``bd09``) of a CRS spelling.

    Raises :class:`~geo_enroll.errors.CRSError` for anything else.

    >>> canonical_crs("EPSG:4490"), canonical_crs("GCJ-02")
    ('cgcs2000', 'gcj02')
    """
    key = str(name).strip().lower()
    if key not in CRS_NAMES:
        raise CRSError(
            f"未知坐标系 unknown coordinate system {name!r}: expected one of "
            "wgs84, cgcs2000 (EPSG:4490), gcj02, bd09"
        )
    return CRS_NAMES[key]


def _out(lon, lat):
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def out_of_china(lon, lat):
    """True where a point is outside the coarse box in which GCJ-02 applies an offset.

    >>> out_of_china(2.35, 48.85), out_of_china(115.28, 41.88)
    (True, False)
    """
    res = _out(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return bool(res) if np.ndim(res) == 0 else res


def _delta(lon, lat):
    """The GCJ-02 offset (dlon, dlat) in degrees at a WGS 84 point (published formula)."""
    x = lon - 105.0
    y = lat - 35.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return dlon, dlat


def _arrays(lon, lat):
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float), scalar


def _ret(lon, lat, scalar):
    if scalar:
        return float(lon), float(lat)
    return lon, lat


def wgs84_to_gcj02(lon, lat):
    """WGS 84 → GCJ-02 (identity outside China).

    >>> wgs84_to_gcj02(2.35, 48.85)
    (2.35, 48.85)
    """
    x, y, scalar = _arrays(lon, lat)
    dlon, dlat = _delta(x, y)
    out = _out(x, y)
    return _ret(np.where(out, x, x + dlon), np.where(out, y, y + dlat), scalar)


def gcj02_to_wgs84(lon, lat, *, tol: float = 1e-7, max_iter: int = 30):
    """GCJ-02 → WGS 84 by fixed-point iteration (step < ``tol`` degrees).

    >>> x, y = gcj02_to_wgs84(*wgs84_to_gcj02(115.27889, 41.88444))
    >>> abs(x - 115.27889) < 1e-8 and abs(y - 41.88444) < 1e-8
    True
    """
    gx, gy, scalar = _arrays(lon, lat)
    x, y = gx.copy(), gy.copy()
    out = _out(gx, gy)
    for _ in range(max_iter):
        fx, fy = wgs84_to_gcj02(x, y)
        ex, ey = np.asarray(fx) - gx, np.asarray(fy) - gy
        x = x - ex
        y = y - ey
        if np.all(np.abs(ex) < tol) and np.all(np.abs(ey) < tol):
            break
    x = np.where(out, gx, x)
    y = np.where(out, gy, y)
    return _ret(x, y, scalar)


def gcj02_to_bd09(lon, lat):
    """GCJ-02 → BD-09 (Baidu).

    >>> [round(v, 9) for v in gcj02_to_bd09(116.404, 39.915)]
    [116.410369494, 39.921336994]
    """
    x, y, scalar = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return _ret(z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006, scalar)


def _bd09_to_gcj02_approx(x, y):
    x = x - 0.0065
    y = y - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def bd09_to_gcj02(lon, lat, *, tol: float = 1e-9, max_iter: int = 10):
    """BD-09 → GCJ-02: Baidu's published approximate inverse, refined by iteration.

    The published one-step inverse is good to ~1e-6°; a few Newton-free fixed-point steps
    make the round trip exact to ``tol``.

    >>> x, y = bd09_to_gcj02(*gcj02_to_bd09(116.404, 39.915))
    >>> abs(x - 116.404) < 1e-9 and abs(y - 39.915) < 1e-9
    True
    """
    bx, by, scalar = _arrays(lon, lat)
    x, y = _bd09_to_gcj02_approx(bx, by)
    for _ in range(max_iter):
        fx, fy = gcj02_to_bd09(x, y)
        ex, ey = np.asarray(fx) - bx, np.asarray(fy) - by
        x, y = x - ex, y - ey
        if np.all(np.abs(ex) < tol) and np.all(np.abs(ey) < tol):
            break
    return _ret(x, y, scalar)


def wgs84_to_bd09(lon, lat):
    """WGS 84 → BD-09 (via GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon, lat):
    """BD-09 → WGS 84 (via GCJ-02)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


# CGCS2000 and WGS 84 differ by ~1 m: PROJ's EPSG:4490 → EPSG:4326 is a null transform,
# and so is ours.  Keeping both names lets input be tagged honestly.
_TO_WGS = {
    "wgs84": lambda x, y: (x, y),
    "cgcs2000": lambda x, y: (x, y),
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}
_FROM_WGS = {
    "wgs84": lambda x, y: (x, y),
    "cgcs2000": lambda x, y: (x, y),
    "gcj02": wgs84_to_gcj02,
    "bd09": wgs84_to_bd09,
}


def convert(lon, lat, from_crs: str, to_crs: str):
    """Convert ``(lon, lat)`` between any two of wgs84, cgcs2000, gcj02 and bd09.

    Parameters
    ----------
    lon, lat : float or array-like
        Longitude and latitude in degrees, in ``from_crs``.
    from_crs, to_crs : str
        Any spelling in :data:`CRS_NAMES`.

    Returns
    -------
    tuple
        ``(lon, lat)`` in ``to_crs`` (floats for scalar input, arrays otherwise).

    Examples
    --------
    >>> x, y = convert(116.404, 39.915, "wgs84", "bd09")
    >>> x2, y2 = convert(x, y, "bd09", "wgs84")
    >>> abs(x2 - 116.404) < 1e-7 and abs(y2 - 39.915) < 1e-7
    True
    """
    src, dst = canonical_crs(from_crs), canonical_crs(to_crs)
    x, y, scalar = _arrays(lon, lat)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise CRSError("坐标必须是有限数 coordinates must be finite numbers (got NaN or inf)")
    if np.any(np.abs(y) > 90) or np.any(np.abs(x) > 180):
        raise CRSError(
            "坐标超出范围 coordinates out of range: expected lon in [-180, 180] and lat in "
            "[-90, 90] (did you swap LON and LAT?)"
        )
    if src == dst:
        return _ret(x, y, scalar)
    direct = {("gcj02", "bd09"): gcj02_to_bd09, ("bd09", "gcj02"): bd09_to_gcj02}
    if (src, dst) in direct:  # skip the WGS 84 detour (and its iteration error)
        ox, oy = direct[(src, dst)](x, y)
        return _ret(np.asarray(ox), np.asarray(oy), scalar)
    wx, wy = _TO_WGS[src](x, y)
    ox, oy = _FROM_WGS[dst](np.asarray(wx), np.asarray(wy))
    return _ret(np.asarray(ox), np.asarray(oy), scalar)
