"""Distance between homes and schools: straight line or along the streets (``Settings.distance``).

``euclidean``: straight line in the local UTM zone.  ``network``: shortest paths along the
base map's ``streets`` (homes and schools join the street graph at its nearest node, the lines
densified every 25 m, with a straight access leg); a pair with no path falls back to the
straight line, counted in ``run.json`` and said in the trace.  The distance decides the
allocation (overflow, the order of a multi-school child's 志愿) and ``distance_m``; the order
of several zone schools and the shared-edge rule stay straight-line (:mod:`.candidates`).

>>> from geo_enroll.settings import DEFAULT_SETTINGS
>>> distance_kind(DEFAULT_SETTINGS)
'euclidean'
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..settings import Settings

__all__ = ["DISTANCE_TEXT", "distance_kind", "distance_matrix", "euclidean_costs"]

DISTANCE_TEXT = {
    "euclidean": "euclidean (straight line, local UTM)",
    "network": (
        "network (shortest path along the base map's streets; homes and schools join the street "
        "graph at its nearest node, densified every 25 m, with a straight access leg; pairs with "
        "no path fall back to the straight line, noted in the trace)"
    ),
}


def distance_kind(settings: Settings) -> str:
    kind = str(getattr(settings, "distance", "euclidean") or "euclidean")
    if kind not in DISTANCE_TEXT:
        raise InputError(
            f"距离类型应为 euclidean 或 network，实际“{kind}” (Settings.distance / --distance)"
        )
    return kind


def _points(ids, school_ids, rows, index) -> tuple[np.ndarray, np.ndarray]:
    """Projected (x, y) of the homes and the schools; NaN where unknown."""
    home = np.full((len(ids), 2), np.nan)
    for k, i in enumerate(ids):
        xy = rows[i]["xy"]
        if xy is not None:
            home[k] = xy[0], xy[1]
    school = np.full((len(school_ids), 2), np.nan)
    for k, sid in enumerate(school_ids):
        if sid in index.school_xy:
            school[k] = index.school_xy[sid]
    return home, school


class _PointCosts:
    """Straight-line metres home × school a block of rows at a time; ``inf`` where unknown.

    Has the ``shape`` / ``rows(index)`` interface of
    :func:`geo_enroll.placement.allocate.assign_min_cost`, so the exact solver reads only the
    rows it needs and never an n × m matrix.
    """

    def __init__(self, home: np.ndarray, school: np.ndarray):
        self.home, self.school = home, school
        self.shape = (len(home), len(school))

    def rows(self, index) -> np.ndarray:
        h = self.home[index]
        d = np.hypot(
            h[:, 0, None] - self.school[None, :, 0], h[:, 1, None] - self.school[None, :, 1]
        )
        d[np.isnan(d)] = np.inf
        return d


def euclidean_costs(home: np.ndarray, school: np.ndarray) -> _PointCosts:
    """Straight-line distances from projected points, computed per block of rows.

    ``home`` (n, 2) and ``school`` (m, 2) in metres; a NaN coordinate (unknown place) gives
    ``inf`` (not reachable).

    >>> c = euclidean_costs(np.array([[0.0, 0.0], [np.nan, np.nan]]), np.array([[3.0, 4.0]]))
    >>> c.rows(np.arange(2)).tolist()
    [[5.0], [inf]]
    """
    return _PointCosts(np.asarray(home, dtype=float), np.asarray(school, dtype=float))


def distance_matrix(ids, school_ids, rows, index, kind, streets):
    """Metres child × school; ``inf`` where a location is unknown.  Also the fallback pairs.

    The straight lines are computed in one vectorised step (:func:`euclidean_costs`).

    ``network``: :func:`~geo_enroll.placement.allocate.network_distance_matrix` on the street
    layer, never shorter than the straight line (node coordinates are rounded to 1 mm); a pair
    on separate street components gets the straight line and is returned in the fallback list.
    """
    home, school = _points(ids, school_ids, rows, index)
    eu = euclidean_costs(home, school).rows(np.arange(len(ids)))
    if kind == "euclidean":
        return eu, []
    import geopandas as gpd
    from shapely.geometry import Point

    from .allocate import network_distance_matrix

    kids = [k for k, i in enumerate(ids) if rows[i]["xy"] is not None]
    cols = [j for j, s in enumerate(school_ids) if s in index.school_xy]
    dist = eu.copy()
    if not kids or not cols:
        return dist, []
    homes = gpd.GeoSeries([Point(rows[ids[k]]["xy"]) for k in kids], crs=index.crs)
    schools = gpd.GeoSeries([Point(index.school_xy[school_ids[j]]) for j in cols], crs=index.crs)
    net = network_distance_matrix(homes, schools, streets)
    sub = eu[np.ix_(kids, cols)]
    ok = np.isfinite(net)
    dist[np.ix_(kids, cols)] = np.where(ok, np.maximum(net, sub), sub)
    fallback = [
        (ids[kids[a]], school_ids[cols[b]])
        for a, b in zip(*np.nonzero(~ok & np.isfinite(sub)), strict=True)
    ]
    return dist, fallback
