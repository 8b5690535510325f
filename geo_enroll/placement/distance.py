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

__all__ = [
    "DISTANCE_TEXT",
    "distance_costs",
    "distance_kind",
    "distance_matrix",
    "euclidean_costs",
]

_BLOCK = 4096  # rows per block: bounds a pass at _BLOCK × schools

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
    """Metres home × school a block of rows at a time (the costs of a ``place`` level).

    Straight lines from projected points; with ``net`` (``network_parts`` of the homes and
    schools with a known place) the street distance, never shorter than the straight line,
    the straight line where there is no path.  ``inf`` where a place is unknown, except the
    ``reach`` pairs (a zone or preferred school whose place, or the home's, is unknown: 0 m,
    it must stay reachable).  Has the ``shape`` / ``rows(index)`` interface of
    :func:`geo_enroll.placement.allocate.assign_min_cost` and ``pairs(i, j)`` for single
    arcs, so nothing ever holds an n × m matrix.
    """

    def __init__(self, home: np.ndarray, school: np.ndarray, net=None, reach=()):
        self.home, self.school = home, school
        self.shape = (len(home), len(school))
        self.net = net
        m = max(len(school), 1)
        self.reach = np.unique(np.asarray(list(reach), dtype=np.int64).reshape(-1, 2) @ [m, 1])

    def same_rows(self) -> np.ndarray:
        """A number per home, equal for homes at exactly the same known point (identical
        rows: straight lines and street distances both depend on the point only); a home
        without a place or with a ``reach`` pair is a number of its own."""
        n = self.shape[0]
        alone = np.isnan(self.home).any(axis=1)
        if len(self.reach):
            alone[np.unique(self.reach // max(self.shape[1], 1))] = True
        key = np.empty(n, dtype=np.int64)
        shared = np.flatnonzero(~alone)
        z = self.home[shared, 0] + 1j * self.home[shared, 1]
        key[shared] = np.unique(z, return_inverse=True)[1].ravel()
        key[alone] = n + np.arange(int(alone.sum()))
        return key

    def _euclid(self, i, j) -> np.ndarray:
        h, s = self.home[i], self.school[j]
        d = np.hypot(h[..., 0] - s[..., 0], h[..., 1] - s[..., 1])
        d[np.isnan(d)] = np.inf
        return d

    def _street(self, d, i, j) -> np.ndarray:
        """``d`` (straight lines of rows ``i`` × cols ``j``, broadcast) with street distances."""
        kid_of, col_of, o_acc, o_node, sp, d_acc = self.net
        k, c = kid_of[i], col_of[j]
        ok = (k >= 0) & (c >= 0)
        if not ok.any():
            return d
        kb, cb = np.broadcast_arrays(k, c)
        kk, cc = kb[ok], cb[ok]
        net = o_acc[kk] + sp[cc, o_node[kk]] + d_acc[cc]
        sub = d[ok]
        d[ok] = np.where(np.isfinite(net), np.maximum(net, sub), sub)
        return d

    def _reached(self, d, i, j) -> np.ndarray:
        if len(self.reach) and np.size(i):
            m = max(self.shape[1], 1)
            lo, hi = np.searchsorted(self.reach, [int(np.min(i)) * m, (int(np.max(i)) + 1) * m])
            if hi > lo:
                ib, jb = np.broadcast_arrays(i, j)
                hit = np.isin(ib * m + jb, self.reach[lo:hi]) & ~np.isfinite(d)
                d[hit] = 0.0
        return d

    def rows(self, index) -> np.ndarray:
        i = np.asarray(index, dtype=np.int64)[:, None]
        j = np.arange(self.shape[1])[None, :]
        d = self._euclid(i, j)
        if self.net is not None:
            d = self._street(d, i, j)
        return self._reached(d, i, j)

    def pairs(self, i, j) -> np.ndarray:
        i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
        d = self._euclid(i, j)
        if self.net is not None:
            d = self._street(d, i, j)
        return self._reached(d, i, j)


def euclidean_costs(home: np.ndarray, school: np.ndarray) -> _PointCosts:
    """Straight-line distances from projected points, computed per block of rows.

    ``home`` (n, 2) and ``school`` (m, 2) in metres; a NaN coordinate (unknown place) gives
    ``inf`` (not reachable).

    >>> c = euclidean_costs(np.array([[0.0, 0.0], [np.nan, np.nan]]), np.array([[3.0, 4.0]]))
    >>> c.rows(np.arange(2)).tolist()
    [[5.0], [inf]]
    """
    return _PointCosts(np.asarray(home, dtype=float), np.asarray(school, dtype=float))


def distance_costs(ids, school_ids, rows, index, kind, streets, reach=()):
    """Metres child × school as a block cost source (never an n × m matrix); the fallback pairs.

    ``reach``: (row, column) pairs that must stay reachable (a child's zone or preferred
    school): where the home's or the school's place is unknown they cost 0 m instead of
    ``inf``.  The straight lines are computed a block of rows (or a list of arcs) at a time.

    ``network``: :func:`~geo_enroll.placement.allocate.network_parts` on the street layer (one
    Dijkstra per school over the street graph's nodes), never shorter than the straight line
    (node coordinates are rounded to 1 mm); a pair on separate street components gets the
    straight line and is returned in the fallback list.

    >>> class Index:
    ...     school_xy, crs = {"A": (0.0, 0.0), "B": (6.0, 8.0)}, "EPSG:32650"
    >>> rows = {"c1": {"xy": (3.0, 4.0)}, "c2": {"xy": None}}
    >>> costs, fallback = distance_costs(["c1", "c2"], ["A", "B"], rows, Index, "euclidean",
    ...                                  None, reach=[(1, 0)])
    >>> costs.rows([0, 1]).tolist(), costs.pairs([1, 1], [0, 1]).tolist()
    ([[5.0, 5.0], [0.0, inf]], [0.0, inf])
    """
    home, school = _points(ids, school_ids, rows, index)
    if kind == "euclidean":
        return _PointCosts(home, school, reach=reach), []
    import geopandas as gpd

    from .allocate import network_parts

    kids = np.asarray([k for k, i in enumerate(ids) if rows[i]["xy"] is not None], dtype=np.int64)
    cols = np.asarray([j for j, s in enumerate(school_ids) if s in index.school_xy], dtype=np.int64)
    if not len(kids) or not len(cols):
        return _PointCosts(home, school, reach=reach), []
    homes = gpd.GeoSeries(gpd.points_from_xy(home[kids, 0], home[kids, 1]), crs=index.crs)
    schools = gpd.GeoSeries(gpd.points_from_xy(school[cols, 0], school[cols, 1]), crs=index.crs)
    o_acc, o_node, sp, d_acc = network_parts(homes, schools, streets)
    kid_of = np.full(len(ids), -1, dtype=np.int64)
    kid_of[kids] = np.arange(len(kids))
    col_of = np.full(len(school_ids), -1, dtype=np.int64)
    col_of[cols] = np.arange(len(cols))
    costs = _PointCosts(home, school, (kid_of, col_of, o_acc, o_node, sp, d_acc), reach)
    fallback = []
    for start in range(0, len(kids), _BLOCK):  # pairs with no street path, a block at a time
        kb = kids[start : start + _BLOCK]
        net = o_acc[kid_of[kb]][:, None] + sp[:, o_node[kid_of[kb]]].T + d_acc[None, :]
        eu = costs._euclid(kb[:, None], cols[None, :])
        for a, b in zip(*np.nonzero(~np.isfinite(net) & np.isfinite(eu)), strict=True):
            fallback.append((ids[kb[a]], school_ids[cols[b]]))
    return costs, fallback


def distance_matrix(ids, school_ids, rows, index, kind, streets):
    """The same metres as :func:`distance_costs` as one dense n × m matrix (small problems).

    For tests and small tables only: ``place`` reads :func:`distance_costs` a block at a time.
    """
    costs, fallback = distance_costs(ids, school_ids, rows, index, kind, streets)
    return costs.rows(np.arange(len(ids))), fallback
