"""A real map's address index (门牌库): house numbers to points, for the offline geocoder.

``geo-enroll basemap import city.osm.pbf`` keeps the map's addresses in the base map's
``addresses`` layer (OSM ``addr:housenumber`` on nodes and buildings, the numbers of
``addr:interpolation`` ways, named places).  :class:`AddressIndex` answers a street and a house
number with a point and how it was found:

=================  ==============================================================  ==========
how                point                                                           confidence
=================  ==============================================================  ==========
``exact``          the map's point of that house number (``12A`` before ``12``;    0.95
                   of several points, the one nearest the others)
``interpolated``   between the two nearest numbers of the same parity on that      0.85
                   street (same side), when they are at most 300 m apart
=================  ==============================================================  ==========

It never invents: a number the street does not reach, a number found at places more than
100 m apart (two streets of one name), or a street the map has no numbers for gives ``None``
(the caller falls back to a coarser level, which the precision gate may withhold).  Named places
(``place``) match by their exact name only, and only when one place has it.

    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> pts = gpd.GeoDataFrame({"street": ["示例路"] * 3, "housenumber": ["1", "5", "2"],
    ...     "number": [1, 5, 2], "name": ["", "", ""], "kind": ["house"] * 3},
    ...     geometry=[Point(121.4700, 31.23), Point(121.4710, 31.23), Point(121.4701, 31.2298)],
    ...     crs=4326)
    >>> idx = AddressIndex(pts)
    >>> hit = idx.house("示例路", "3")
    >>> hit["how"], round(hit["point"].x, 5), hit["between"]
    ('interpolated', 121.4705, ['1', '5'])
    >>> idx.house("示例路", "7") is None, idx.house("别的路", "1") is None
    (True, True)
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from shapely.geometry import Point

from ..address.normalize import normalize_address

__all__ = ["AddressIndex", "address_index_for"]

_MAX_SPREAD_M = 100.0  # one house number found farther apart than this: two streets
_MAX_GAP_M = 300.0  # interpolate only between numbers this close
_CONFIDENCE = {"exact": 0.95, "interpolated": 0.85, "place": 0.9}
_LEAD = re.compile(r"^\s*(\d+)")


def _key(name) -> str:
    return normalize_address(str(name or "")).lower()


def _metres(a: Point, b: Point) -> float:
    kx = math.cos(math.radians((a.y + b.y) / 2))
    return math.hypot((a.x - b.x) * kx, a.y - b.y) * 111_320.0


def _number(text) -> int | None:
    m = _LEAD.match(str(text or "").translate(str.maketrans("０１２３４５６７８９", "0123456789")))
    return int(m.group(1)) if m else None


def _medoid(pts: list) -> Point | None:
    """The one of ``pts`` nearest to all the others (a real house point, not an average), or
    None when two of them are more than ``_MAX_SPREAD_M`` apart (two places, one number)."""
    if len(pts) == 1:
        return pts[0]
    xy = np.array([(p.x, p.y) for p in pts])
    kx = math.cos(math.radians(float(xy[:, 1].mean())))
    d = np.hypot((xy[:, None, 0] - xy[None, :, 0]) * kx, xy[:, None, 1] - xy[None, :, 1])
    d *= 111_320.0
    if d.max() > _MAX_SPREAD_M:
        return None
    return pts[int(np.argmin(d.sum(axis=1)))]


class AddressIndex:
    """House numbers and named places of one map (see the module docstring).

    Parameters
    ----------
    addresses : the ``addresses`` layer (EPSG:4326): ``street``, ``housenumber``, ``number``,
        ``name``, ``kind``.
    """

    def __init__(self, addresses: gpd.GeoDataFrame):
        self._houses: dict[str, dict[int, list]] = {}  # street -> number -> [(text, point)]
        self._places: dict[str, list] = {}
        if addresses is None or len(addresses) == 0:
            return
        if addresses.crs is not None and addresses.crs.to_epsg() != 4326:
            addresses = addresses.to_crs(4326)
        for row in addresses.to_dict("records"):
            geom = row.get("geometry")
            if geom is None or geom.is_empty:
                continue
            number = row.get("number")
            number = None if number is None or pd.isna(number) else int(number)
            street = _key(row.get("street"))
            if street and number is not None:
                text = _key(row.get("housenumber"))
                self._houses.setdefault(street, {}).setdefault(number, []).append((text, geom))
            name = _key(row.get("name"))
            if len(name) >= 2:
                self._places.setdefault(name, []).append((geom, str(row.get("kind") or "")))

    def __len__(self) -> int:
        return sum(len(v) for v in self._houses.values())

    def streets(self) -> set[str]:
        """The (normalised) street names that have house numbers."""
        return set(self._houses)

    def house(self, street: str, number: str) -> dict | None:
        """``{point, how, confidence, between}`` of house ``number`` on ``street``, or None."""
        table = self._houses.get(_key(street))
        n = _number(number)
        if not table or n is None:
            return None
        if n in table:
            hits = table[n]
            text = _key(number)
            same = [p for t, p in hits if t == text] or [p for _, p in hits]
            point = _medoid(same)
            if point is None:
                return None  # the number is in two places: which one is not ours to guess
            return {
                "point": point,
                "how": "exact",
                "confidence": _CONFIDENCE["exact"],
                "between": [],
            }
        same_parity = sorted(k for k in table if k % 2 == n % 2)
        lower = [k for k in same_parity if k < n]
        upper = [k for k in same_parity if k > n]
        if not lower or not upper:
            return None
        lo, hi = lower[-1], upper[0]
        a, b = self._one(table[lo]), self._one(table[hi])
        if a is None or b is None or _metres(a, b) > _MAX_GAP_M:
            return None
        t = (n - lo) / (hi - lo)
        return {
            "point": Point(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t),
            "how": "interpolated",
            "confidence": _CONFIDENCE["interpolated"],
            "between": [str(lo), str(hi)],
        }

    def place(self, name: str) -> dict | None:
        """``{point, kind, confidence}`` of the one named place called exactly ``name``."""
        hits = self._places.get(_key(name)) or []
        if not hits:
            return None
        point = _medoid([g.representative_point() for g, _ in hits])
        if point is None:
            return None
        return {"point": point, "kind": hits[0][1] or "poi", "confidence": _CONFIDENCE["place"]}

    @staticmethod
    def _one(hits):
        return _medoid([p for _, p in hits])


def address_index_for(basemap) -> AddressIndex | None:
    """The address index of a base map (path, BaseMap or dict of layers), or None without one."""
    if basemap is None or basemap is False:
        return None
    frame = None
    if isinstance(basemap, (str, Path)):
        path = Path(basemap)
        try:
            if path.exists() and "addresses" in {str(r[0]) for r in pyogrio.list_layers(path)}:
                frame = pyogrio.read_dataframe(path, layer="addresses")
        except Exception:  # an unreadable map is reported by the gazetteer's own reader
            return None
    elif isinstance(basemap, dict):
        frame = basemap.get("addresses")
    else:
        frame = getattr(basemap, "addresses", None)
    if frame is None or len(frame) == 0:
        return None
    index = AddressIndex(frame)
    return index if len(index) or index._places else None
