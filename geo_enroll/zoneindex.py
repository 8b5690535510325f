"""The spatial index of a zone spec: polygon zones prepared for point → zone matching.

One rule decides every point (described in :mod:`geo_enroll.placement.candidates`, the
engine's single source for it):

1. zones are closed: a zone *covers* a point on its edge;
2. a zone whose interior holds the point wins (several overlapping interiors: all of them);
3. a point on edges only (a shared edge) goes to the zone whose school is nearest in a
   straight line, ties broken by the smaller ``rule_id``;
4. a point outside every zone but within :data:`EDGE_TOLERANCE_M` of **two or more** zones is
   between zones (a sliver left by rounded coordinates) and is decided as in 3; within the
   tolerance of a single zone only it is *outside* (the tolerance applies between zones, never
   at the outer boundary of the zoned area).

Zones of kind ``multi_school`` (``schools``: several ids) give every school of the zone; the
spec's ``areas`` (kind ``unzoned``: a drawn area without a school, e.g. a choice area) take
part in the edge rule but give no school; :meth:`ZoneIndex.areas_at` names them.

Batch assignment (:meth:`ZoneIndex.assign_points`) answers the same question for millions of
points: a grid in lon/lat whose cells lie farther than the tolerance (plus a safety margin)
from every zone edge is labelled once with the zones covering it (connected regions of such
cells share one answer); only points in the other cells are tested exactly, and the edge rule
runs only on the few points on or within the tolerance of an edge.

>>> from geo_enroll.datasets import toy_spec, toy_zones, toy_school_points, toy_xy_to_lonlat
>>> idx = ZoneIndex(toy_spec(), toy_zones(), school_points=toy_school_points())
>>> sorted(idx.schools)[:2]
['toy-m1', 'toy-p1']
>>> lon, lat = zip(toy_xy_to_lonlat(250, 500), toy_xy_to_lonlat(500, 300))
>>> a = idx.assign_points(lon, lat, "primary")
>>> a.rule_ids(), a.on_edge.tolist()
([('toy-p2-r01',), ('toy-p1-r01',)], [False, True])
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

__all__ = ["ZoneIndex", "Assignment", "EDGE_TOLERANCE_M", "ZONE_LABELS"]

EDGE_TOLERANCE_M = 0.5
"""Between two zones, a point this close to a zone it is not inside (coordinates rounded to
~1 cm, house numbers interpolated on a boundary street's centre line) lies on that zone's edge."""

ZONE_LABELS = {"polygon": "户籍划片", "multi_school": "多校划片", "unzoned": "未划片区域"}
"""Labels of the zone kinds a published zone layer brings (:mod:`geo_enroll.zonelayer`)."""

GRID_MAX_CELLS = 1 << 26
"""Largest batch-assignment grid (cells; 4 bytes each)."""
NEAR_MEMO_MAX = 50_000
"""Points whose :meth:`ZoneIndex.near_zones` answer an index keeps (under 1 KB each)."""
SCAN_MAX_ZONES = 64
"""Up to this many zones, :meth:`ZoneIndex.near_zones` scans their boxes instead of the STRtree."""
_SAFETY_M = 1.0  # grid cells this much beyond the tolerance from every edge are answered by lookup
_EARTH_R = 6.371e6


@dataclass(frozen=True)
class Assignment:
    """Zones of a batch of points for one level (:meth:`ZoneIndex.assign_points`).

    Attributes
    ----------
    zone : numpy.ndarray of int
        Per point, the position (in ``index.zones``) of its zone after the edge rule; -1 for
        none.  Points in several zones (overlaps, a school's two rules on an edge) have the
        first here and all of them in ``multi``.
    multi : dict
        ``{point: tuple of zone positions}`` for the points in more than one zone.
    on_edge : numpy.ndarray of bool
        The edge rule chose one zone among several (the point is on a shared edge).
    near_edge : numpy.ndarray of bool
        The point is on, or within the tolerance of, a zone edge.
    """

    index: ZoneIndex
    zone: np.ndarray
    multi: dict
    on_edge: np.ndarray
    near_edge: np.ndarray

    @property
    def zones(self) -> list[tuple[int, ...]]:
        """Per point, the positions of all its zones (a Python list: for small batches)."""
        out = [() if z < 0 else (int(z),) for z in self.zone.tolist()]
        for k, zs in self.multi.items():
            out[k] = zs
        return out

    def rule_ids(self) -> list[tuple[str, ...]]:
        """Per point, the ``rule_id`` of each zone it belongs to."""
        rid = self.index._rid
        return [tuple(rid[i] for i in z) for z in self.zones]

    def school_ids(self) -> list[tuple[str, ...]]:
        """Per point, its zone schools (a multi-school zone gives all of its schools)."""
        zs = self.index._zschools
        return [tuple(s for i in z for s in zs[i]) for z in self.zones]


def _missing(value) -> bool:
    """A layer attribute left empty (None, or NaN where another row has the column)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _text(value) -> str:
    """A layer attribute as text, '' when missing."""
    return "" if _missing(value) else str(value)


def _serves(level_of_school, level: str) -> bool:
    return level_of_school in (level, "nine_year")


class ZoneIndex:
    """Spec + zone polygons prepared for fast repeated matching (projected to local UTM).

    Parameters
    ----------
    spec : dict
    zones : GeoDataFrame or None
        The ``zones`` layer (any CRS; converted to EPSG:4326).  None when the spec has only
        admin-unit zones.  Every row needs a ``rule_id`` naming a rule (or area) of the spec.
    school_points : GeoDataFrame, optional
        School locations (``school_id`` + Point geometry) for distances and edge ties.
    """

    def __init__(self, spec: dict, zones=None, *, school_points=None):
        import geopandas as gpd

        from .placement.candidates import school_table_from_spec

        self.spec = spec
        self.schools = school_table_from_spec(spec)
        self.rules = {}
        for s in spec.get("schools") or []:
            for z in s.get("zones") or []:
                self.rules[z["rule_id"]] = (s["id"], z)
        self.areas = {a["rule_id"]: a for a in spec.get("areas") or [] if a.get("rule_id")}
        self.property_schools = {
            sid for sid, z in self.rules.values() if z.get("kind") == "property_rule"
        }
        # admin units indexed by official code (units without a code are tried by name)
        self.units_by_code: dict[str, list[tuple[str, dict]]] = {}
        self.units_nocode: list[tuple[str, dict]] = []
        for rid, (_sid, z) in sorted(self.rules.items()):
            for u in z.get("units") or []:
                code = str(u.get("code") or "")
                if code:
                    self.units_by_code.setdefault(code, []).append((rid, u))
                else:
                    self.units_nocode.append((rid, u))
        if zones is not None and len(zones):
            from .errors import CRSError, ZoneSpecError

            if zones.crs is None:
                raise CRSError("划片图层没有坐标系 (zones layer has no CRS; expected EPSG:4326)")
            if "rule_id" not in zones.columns:
                raise ZoneSpecError(
                    "划片图层缺少 rule_id 列：这不是 geo_enroll 的划片图层；请先用 "
                    "`geo-enroll zones import 文件` 导入 (the zones layer has no rule_id column: "
                    "import a published layer with `geo-enroll zones import FILE`)"
                )
            z = zones.to_crs("EPSG:4326")
            z = z[z.geometry.notna() & ~z.geometry.is_empty].copy()
            self.crs = z.estimate_utm_crs()
            self.zones = z.reset_index(drop=True)
            self.zones_m = self.zones.to_crs(self.crs)
        else:
            self.zones = gpd.GeoDataFrame({"rule_id": []}, geometry=[], crs="EPSG:4326")
            self.crs = None
            self.zones_m = self.zones
        self.school_xy = {}
        if school_points is not None and len(school_points):
            pts = school_points.to_crs("EPSG:4326")
            if self.crs is None:
                self.crs = pts.estimate_utm_crs()
            pm = pts.to_crs(self.crs)
            for sid, g in zip(pm["school_id"], pm.geometry, strict=True):
                if g is not None and not g.is_empty:
                    self.school_xy[str(sid)] = (g.x, g.y)
        if self.crs is not None:
            from pyproj import Transformer

            self._to_m = Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)
        else:
            self._to_m = None
        self._prepare_zones()
        self._grid = None
        self._memo: dict = {}

    # ---------------------------------------------------------------- preparation
    def _prepare_zones(self) -> None:
        import shapely

        rows = self.zones.drop(columns="geometry").to_dict("records")
        self._rows = rows
        self._rid, self._zone, self._zschools, self._zlevels = [], [], [], []
        for row in rows:
            rid = str(row["rule_id"])
            if rid in self.areas:
                area = self.areas[rid]
                zone, schools = area, ()
                levels = (area.get("level"),) if area.get("level") else None
            else:
                sid, zone = self.rules.get(
                    rid, (str(row.get("school_id")), {"kind": row.get("kind")})
                )
                if zone.get("kind") == "multi_school" and zone.get("schools"):
                    schools = tuple(s for s in zone["schools"] if s in self.schools)
                else:
                    schools = (sid,) if sid in self.schools else ()
                levels = tuple(self.schools[s].get("level") for s in schools)
            self._rid.append(rid)
            self._zone.append(zone)
            self._zschools.append(schools)
            self._zlevels.append(levels)
        self._geoms_ll = np.asarray(self.zones.geometry.values, dtype=object)
        self._geoms_m = np.asarray(self.zones_m.geometry.values, dtype=object)
        shapely.prepare(self._geoms_ll)
        self._bounds_m = shapely.boundary(self._geoms_m)
        self._tree_m = shapely.STRtree(self._geoms_m)
        self._tree_ll = shapely.STRtree(self._geoms_ll)
        self._near_memo: dict = {}  # point -> near_zones (see there)
        self._scan_boxes = (
            [tuple(b) for b in shapely.bounds(self._geoms_m).tolist()]
            if len(self._geoms_m) <= SCAN_MAX_ZONES
            else None
        )
        self._level_mask: dict[str, np.ndarray] = {}
        self._with_school: dict[str, np.ndarray] = {}  # per level: zones with a school

    def _serving(self, level: str) -> np.ndarray:
        """Boolean mask of zones taking part in matching for ``level``."""
        m = self._level_mask.get(level)
        if m is None:
            m = np.array(
                [
                    (lv is None or any(x in (None, "") or _serves(x, level) for x in lv))
                    if self._rid[i] in self.areas
                    else any(_serves(x, level) for x in lv)
                    for i, lv in enumerate(self._zlevels)
                ],
                dtype=bool,
            )
            self._level_mask[level] = m
        return m

    def project(self, lon, lat):
        """(x, y) metres in the index's projected CRS (None when it has none)."""
        if self._to_m is None or lon is None or lat is None:
            return None
        return self._to_m.transform(float(lon), float(lat))

    def school_distance(self, xy, school_id: str) -> float:
        """Straight-line distance in metres from projected ``xy`` to a school (inf if unknown)."""
        if xy is None or school_id not in self.school_xy:
            return float("inf")
        sx, sy = self.school_xy[school_id]
        return float(np.hypot(xy[0] - sx, xy[1] - sy))

    # ---------------------------------------------------------------- the edge rule
    def _decide(self, covers, near, xy) -> tuple[list[int], bool]:
        """Zones a point belongs to: ``covers`` = [(zone, interior)], ``near`` = [zone].

        Returns the chosen zones (sorted) and whether the edge rule picked one of several.
        """
        if covers:
            inside = [i for i, interior in covers if interior]
            if inside:
                return sorted(inside), False
            cand = sorted(i for i, _ in covers)
        elif len(near) >= 2:  # between zones (a sliver); near one zone only: outside
            cand = sorted(near)
        else:
            return [], False
        if len({self._zschools[i] for i in cand}) > 1:
            best = min(
                cand,
                key=lambda i: (
                    min((self.school_distance(xy, s) for s in self._zschools[i]), default=math.inf),
                    self._rid[i],
                ),
            )
            return [best], True
        return cand, False

    def near_zones(self, xy, lonlat=None) -> tuple | None:
        """What every level's :meth:`polygon_matches` needs of one point, computed once.

        The zones within 1 km of projected ``xy`` (sorted positions), each one's distance to
        the point in metres, and whether it covers the point and holds it in its interior
        (tested on the stored EPSG:4326 geometry when ``lonlat`` is given, as
        :meth:`polygon_matches` does).  None without a point or without polygon zones.

        The answer depends on the point alone, so it is kept per point (the arrays read-only,
        at most :data:`NEAR_MEMO_MAX` points): addresses located to the same village or
        street point, asked again or not, share it.  A layer of at most :data:`SCAN_MAX_ZONES`
        zones finds the zones near a new point by a scan of their boxes instead of the STRtree
        (whose per-call cost dominates on a few zones); the same exact ``dwithin`` test
        decides either way (:meth:`_near_zones`).

        >>> from geo_enroll.datasets import toy_spec, toy_zones, toy_xy_to_lonlat
        >>> idx = ZoneIndex(toy_spec(), toy_zones())
        >>> lonlat = toy_xy_to_lonlat(500, 300)  # on the 中街 edge
        >>> near = idx.near_zones(idx.project(*lonlat), lonlat)
        >>> idx.polygon_matches(idx.project(*lonlat), "primary", lonlat, near=near) == (
        ...     idx.polygon_matches(idx.project(*lonlat), "primary", lonlat))
        True
        >>> idx.near_zones(idx.project(*lonlat), lonlat) is near   # kept
        True
        """
        if xy is None or not len(self._rid):
            return None
        key = (float(xy[0]), float(xy[1])) + (
            () if lonlat is None else (float(lonlat[0]), float(lonlat[1]))
        )
        memo = self._near_memo
        got = memo.get(key)
        if got is None:
            got = self._near_zones(xy, lonlat, scan=self._scan_boxes)
            for a in got:
                a.flags.writeable = False  # shared by every lookup of this point
            if len(memo) >= NEAR_MEMO_MAX:
                memo = self._near_memo = {}  # a long-lived index: keep memory bounded
            memo[key] = got
        return got

    def _near_zones(self, xy, lonlat=None, *, scan=None) -> tuple:
        """:meth:`near_zones` computed: with ``scan`` (the zones' boxes in metres) the zones
        whose box lies within 1 km (+ 1 m) of the point are tested with ``dwithin``; without,
        the STRtree query with the same predicate finds them."""
        import shapely

        if lonlat is not None:  # both points made in one call (each call has a cost)
            p, p_ll = shapely.points(np.array([xy, lonlat], dtype=float))
        else:
            p = shapely.points(np.array(xy, dtype=float))
        if scan is None:
            pos = np.sort(self._tree_m.query(p, predicate="dwithin", distance=1e3))
        else:
            x, y = float(xy[0]), float(xy[1])
            reach = 1e3 + 1.0  # a box within it holds every zone within 1 km, rounding aside
            cand = [
                i
                for i, (x0, y0, x1, y1) in enumerate(scan)
                if x0 - reach <= x <= x1 + reach and y0 - reach <= y <= y1 + reach
            ]
            pos = np.array(cand, dtype=np.intp)
            if len(pos):
                pos = pos[shapely.dwithin(self._geoms_m[pos], p, 1e3)]
        dist = shapely.distance(self._bounds_m[pos], p)
        if lonlat is not None:
            cov = shapely.covers(self._geoms_ll[pos], p_ll)
            inside = shapely.contains(self._geoms_ll[pos], p_ll)
        else:
            cov = shapely.covers(self._geoms_m[pos], p)
            inside = shapely.contains(self._geoms_m[pos], p)
        return pos, dist, cov, inside

    def polygon_matches(
        self, xy, level: str, lonlat=None, *, near: tuple | None = None
    ) -> tuple[list[dict], float | None]:
        """Polygon zones of the point (edge rule applied) + distance to the nearest edge.

        Containment is tested on the stored EPSG:4326 geometry (``lonlat``), so that a point
        exactly on a stored shared edge stays exactly on it; distances use projected ``xy``.
        Each hit has ``interior`` and, when the edge rule chose it, ``on_edge``.  ``near``:
        :meth:`near_zones` of the same point, when the caller asks for several levels.
        """
        if xy is None or not len(self._rid):
            return [], None
        if lonlat is not None and self._memo:
            got = self._memo.get((level, float(lonlat[0]), float(lonlat[1])))
            if got is not None:  # answered by the batch path (prime): no edge distance
                chosen, on_edge, near_ = got
                return self._hits(chosen, level, set() if near_ else set(chosen), on_edge), None
        pos, dist, cov, inside = near if near is not None else self.near_zones(xy, lonlat)
        serving = self._serving(level)[pos]
        covers, close, edge = [], [], None
        for i, d, c, it in zip(
            pos[serving].tolist(),
            dist[serving].tolist(),
            cov[serving].tolist(),
            inside[serving].tolist(),
            strict=True,
        ):
            if c:
                covers.append((i, it))
            elif d <= EDGE_TOLERANCE_M:
                close.append(i)
            if d < 1e3:
                edge = d if edge is None else min(edge, d)
        chosen, on_edge = self._decide(covers, close, xy)
        interior = {i for i, it in covers if it}
        return self._hits(chosen, level, interior, on_edge), edge

    def _hits(self, chosen, level, interior, on_edge) -> list[dict]:
        from .placement.candidates import _hit

        hits = []
        for i in chosen:
            zone, row = self._zone[i], self._rows[i]
            for sid in self._zschools[i]:
                if not _serves(self.schools[sid].get("level"), level):
                    continue
                h = _hit(sid, self._rid[i], zone, row, i in interior)
                if h["kind"] in ZONE_LABELS:
                    h["label"] = ZONE_LABELS[h["kind"]]
                if on_edge:
                    h["on_edge"] = True
                hits.append(h)
        return hits

    def areas_at(self, lon, lat, level: str | None = None) -> list[dict]:
        """The spec's ``areas`` (unzoned / choice areas) covering a WGS 84 point."""
        if lon is None or lat is None or not self.areas or not len(self._rid):
            return []
        from shapely.geometry import Point

        p = Point(float(lon), float(lat))
        out = []
        for i in sorted(int(k) for k in self._tree_ll.query(p, predicate="intersects")):
            if self._rid[i] in self.areas and (level is None or self._serving(level)[i]):
                out.append(self.areas[self._rid[i]])
        return out

    def nearest_zone(self, xy, level: str) -> tuple[str | None, float | None]:
        """(school id, distance in metres) of the nearest zone with a school for ``level``."""
        if xy is None or not len(self._rid):
            return None, None
        import shapely

        ok = self._with_school.get(level)
        if ok is None:
            serving = self._serving(level)
            ok = self._with_school[level] = np.array(
                [i for i in range(len(self._rid)) if serving[i] and self._zschools[i]], dtype=int
            )
        if not len(ok):
            return None, None
        d = shapely.distance(self._geoms_m[ok], shapely.points(np.array(xy, dtype=float)))
        k = int(np.argmin(d))
        return self._zschools[ok[k]][0], float(d[k])

    def zones_across(
        self, near: tuple | None, serving: dict[str, set], *, within_m: float
    ) -> list[dict]:
        """The schools across a nearby zone edge: zones of another school within ``within_m``.

        ``near`` is :meth:`near_zones` of the point (so the lookup answers it from the same
        pass); ``serving`` maps a level to the school ids serving the point (a level not in it
        is not asked).  A zone counts at its layer row's ``level`` (``nine_year``: both) for
        its row's ``school_id`` (else ``school``); its distance is 0 when it covers the point,
        else the distance to its edge.

        Returns ``[{"level", "school", "school_id", "distance_m"}]`` (metres to 0.1 m), one
        per level and school at its nearest zone, nearest first, ties in zone order.

        >>> from geo_enroll.datasets import toy_spec, toy_zones, toy_xy_to_lonlat
        >>> idx = ZoneIndex(toy_spec(), toy_zones())
        >>> lonlat = toy_xy_to_lonlat(510, 300)   # 10 m east of 中街, in 东区
        >>> near = idx.near_zones(idx.project(*lonlat), lonlat)
        >>> idx.zones_across(near, {"primary": {"toy-p1"}}, within_m=15)
        [{'level': 'primary', 'school': '西小学', 'school_id': 'toy-p2', 'distance_m': 10.0}]
        """
        if near is None:
            return []
        pos, dist, cov, _inside = near
        best: dict[tuple[str, str], dict] = {}
        for i, d, c in zip(pos.tolist(), dist.tolist(), cov.tolist(), strict=True):
            d = 0.0 if c else d
            if d > within_m:
                continue
            row = self._rows[i]
            level = _text(row.get("level"))
            sid = _text(row.get("school_id")) or _text(row.get("school"))
            for lv in ("primary", "middle") if level == "nine_year" else (level,):
                if lv not in serving or sid in serving[lv]:
                    continue
                if d < best.get((lv, sid), {}).get("distance_m", math.inf):
                    school = row.get("school")
                    best[(lv, sid)] = {
                        "level": lv,
                        "school": None if _missing(school) else school,
                        "school_id": sid,
                        "distance_m": round(float(d), 1),
                    }
        return sorted(best.values(), key=lambda r: r["distance_m"])

    # ---------------------------------------------------------------- batch
    def assign_points(self, lon, lat, level: str) -> Assignment:
        """Zones of many WGS 84 points for one level — the answers of :meth:`polygon_matches`.

        Parameters
        ----------
        lon, lat : array-like of float
        level : str

        Returns
        -------
        Assignment
        """

        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        n = len(lon)
        zone = np.full(n, -1, dtype=np.int64)
        multi: dict[int, tuple[int, ...]] = {}
        on_edge = np.zeros(n, dtype=bool)
        near_edge = np.zeros(n, dtype=bool)
        if not len(self._rid) or n == 0:
            return Assignment(self, zone, multi, on_edge, near_edge)
        grid = self._grid or self._build_grid()
        serving = self._serving(level)
        first, count, answers = grid.answers(level, serving)
        cell = grid.cell_of(lon, lat)  # -1: outside the grid (no zone near)
        val = grid.cells[cell]  # zone-set id, or -(edge cell rank + 1); outside: below
        outside = np.flatnonzero(cell < 0)
        val[outside] = len(first)  # one more set: no zone
        first = np.append(first, -1)
        count = np.append(count, 0)
        set_of = np.maximum(val, 0)
        known = val >= 0
        zone = np.where(known, first[set_of], -1)
        for k in np.flatnonzero(known & (count[set_of] > 1)):
            multi[int(k)] = answers[val[k]]
        exact = np.flatnonzero(~known)
        if not len(exact):
            return Assignment(self, zone, multi, on_edge, near_edge)
        ex_lon, ex_lat = lon[exact], lat[exact]
        m = len(exact)
        ranks = -val[exact] - 1
        p_idx, z_idx, known_in = grid.candidates(ranks, ex_lon, ex_lat, self._tree_ll)
        keep = serving[z_idx]
        p_idx, z_idx, known_in = p_idx[keep], z_idx[keep], known_in[keep]
        interior = self._interior(p_idx, z_idx, known_in, ex_lon, ex_lat, m, grid)
        # a zone whose interior holds the point wins, with every other such zone; only the
        # points in no zone's interior (on an edge, or outside) go through the edge rule
        p_in, z_in = p_idx[interior], z_idx[interior]
        n_in = np.bincount(p_in, minlength=m)
        one = n_in == 1
        first_in = np.full(m, -1, dtype=np.int64)
        first_in[p_in] = z_in  # the zone of a point with one interior (the others: below)
        zone[exact[one]] = first_in[one]
        for j in np.flatnonzero(n_in > 1):
            zs = tuple(sorted(int(z) for z in z_in[p_in == j]))
            zone[exact[j]], multi[int(exact[j])] = zs[0], zs
        rest = np.flatnonzero(n_in == 0)
        if len(rest):
            self._edge_rule(exact[rest], lon, lat, serving, zone, multi, on_edge, near_edge)
        return Assignment(self, zone, multi, on_edge, near_edge)

    def _interior(self, p_idx, z_idx, known_in, lon, lat, m, grid) -> np.ndarray:
        """Which (point, zone) pairs hold the point in the zone's interior.  A zone that
        overlaps no other zone excludes every other interior: once a point is found inside
        one, its other candidates need no test."""
        import shapely

        interior = known_in.copy()
        solo = ~grid.overlapping[z_idx]
        order = np.argsort(p_idx, kind="stable")
        p_s = p_idx[order]
        start = np.searchsorted(p_s, np.arange(m))
        rank = np.empty(len(p_idx), dtype=np.int64)
        rank[order] = np.arange(len(p_idx)) - start[p_s]
        # a point may stop early only when none of its candidates overlaps another zone
        free = np.bincount(p_idx, weights=~solo, minlength=m) == 0
        done = free & (np.bincount(p_idx, weights=known_in, minlength=m) > 0)
        for j in range(int(rank.max(initial=-1)) + 1):
            act = (rank == j) & ~known_in & ~done[p_idx]
            if not act.any():
                continue
            hit = shapely.contains_xy(self._geoms_ll[z_idx[act]], lon[p_idx[act]], lat[p_idx[act]])
            interior[act] = hit
            done[p_idx[act][hit]] |= free[p_idx[act][hit]]
        return interior

    def _edge_rule(self, pts, lon, lat, serving, zone, multi, on_edge, near_edge) -> None:
        """The engine's rule for points in no zone's interior (on an edge, or outside)."""
        import shapely

        x_ll, y_ll = lon[pts], lat[pts]
        p_idx, z_idx = self._tree_ll.query(shapely.points(x_ll, y_ll), predicate="intersects")
        keep = serving[z_idx]
        p_idx, z_idx = p_idx[keep], z_idx[keep]
        covers: dict[int, list[int]] = {}
        for a_, b_ in zip(p_idx.tolist(), z_idx.tolist(), strict=True):
            covers.setdefault(a_, []).append(b_)
        x, y = self._to_m.transform(x_ll, y_ll)
        pts_m = shapely.points(x, y)
        q, zn = self._tree_m.query(pts_m, predicate="dwithin", distance=EDGE_TOLERANCE_M)
        ok = serving[zn]
        q, zn = q[ok], zn[ok]
        close = shapely.dwithin(self._bounds_m[zn], pts_m[q], EDGE_TOLERANCE_M)
        near_of: dict[int, list[int]] = {}
        for a_, b_ in zip(q[close].tolist(), zn[close].tolist(), strict=True):
            near_of.setdefault(a_, []).append(b_)
        for r, k in enumerate(pts.tolist()):
            cov = sorted(covers.get(r, []))
            near = [z for z in near_of.get(r, []) if z not in cov]
            chosen, edge_rule = self._decide([(z, False) for z in cov], near, (x[r], y[r]))
            if chosen:
                zone[k] = chosen[0]
                if len(chosen) > 1:
                    multi[k] = tuple(chosen)
            on_edge[k] = edge_rule
            near_edge[k] = bool(cov) or len(near) > 0

    def prime(self, geos, levels=None) -> int:
        """Answer the polygon zones of many geocoded points at once (the batch path), so that
        the per-applicant :meth:`polygon_matches` calls of a placement run only look them up.

        Parameters
        ----------
        geos : iterable of dict
            Geocode results (``lon``, ``lat``); those without a point are skipped.
        levels : iterable of str, optional
            Default: every level of the spec's schools.

        Returns
        -------
        int
            The number of distinct points answered.
        """
        pts = {
            (float(g["lon"]), float(g["lat"]))
            for g in geos
            if g and g.get("lon") is not None and g.get("lat") is not None
        }
        if not pts or not len(self._rid):
            return 0
        if len(self._memo) + len(pts) > 4_000_000:  # a long-lived index: keep memory bounded
            self._memo.clear()
        lon, lat = (np.array(v, dtype=float) for v in zip(*sorted(pts), strict=True))
        levels = levels or sorted({str(s.get("level")) for s in self.schools.values()})
        for lv in levels:
            lvs = [lv] if lv != "nine_year" else []
            for level in lvs or ["primary", "middle"]:
                a = self.assign_points(lon, lat, level)
                for k, z in enumerate(a.zones):
                    self._memo[(level, lon[k], lat[k])] = (
                        list(z),
                        bool(a.on_edge[k]),
                        bool(a.near_edge[k]),
                    )
        return len(pts)

    def _build_grid(self) -> _Grid:
        self._grid = _Grid.build(self)
        return self._grid

    def unit_match(self, unit: dict, geo: dict) -> int:
        """Specificity of an admin unit matching the geocoded address (0 = no match).

        A unit's exclusions hold: 东关村（3组除外） does not match an address of its 3组, nor
        建兴社区（不含昌盛园小区） one that names 昌盛园小区."""
        sp = self._unit_match(unit, geo)
        if sp and unit.get("exclude"):
            _, norm_group = _unit_helpers()
            if _excluded(unit["exclude"], geo, str(geo.get("input") or ""), norm_group):
                return 0
        return sp

    def _unit_match(self, unit: dict, geo: dict) -> int:
        spec_, norm_group = _unit_helpers()
        code, name, town, sub = self._unit_keys(unit)
        text = str(geo.get("input") or "")
        group = unit.get("group")
        if not group and sub and _GROUP_RANGE.match(sub):  # 东关村一组至五组: groups, no part
            group, sub = sub, ""
        if not code:  # matched by name; a part (sub-area) only where the address names it
            if name and _names_unit(name, text) and (not town or town[:2] in text):
                if sub:
                    return self._sub_match(unit, geo, text, sub)
                if group:  # 杨柳村1-6组: the address's group among them (none: any group)
                    ggrp = _address_group(geo, text, norm_group)
                    if not ggrp:
                        return spec_["village_any_group"]
                    return spec_["name"] if ggrp in _group_names(group, norm_group) else 0
                return spec_["name"]
            return 0
        vcode = str(geo.get("village_code") or "")
        gcode = str(geo.get("code") or "")
        if len(code) == 9:
            tcode = str(geo.get("township_code") or "")
            if tcode == code or vcode.startswith(code) or gcode.startswith(code):
                return spec_["township"]
            return 0
        if code not in (vcode, gcode[:12]):
            return 0
        if sub:
            return self._sub_match(unit, geo, text, sub)
        if group:  # only for a unit of this village (few)
            ggrp = _address_group(geo, text, norm_group)
            if not ggrp:
                return spec_["village_any_group"]
            return spec_["group"] if ggrp in _group_names(group, norm_group) else 0
        return spec_["village"]

    def _sub_match(self, unit: dict, geo: dict, text: str, sub: str) -> int:
        """A part of a unit (sub-area) matches where the address names it; a group of that
        part (靖港村：原胜联村4组) only where the address's group is that group too (an address
        without a group: the part's groups are listed alike)."""
        spec_, norm_group = _unit_helpers()
        if sub not in text:
            return 0
        if not unit.get("group"):
            return spec_["sub_area"]
        ggrp = _address_group(geo, text, norm_group)
        if not ggrp:
            return spec_["village_any_group"]
        return spec_["sub_area"] if ggrp in _group_names(unit["group"], norm_group) else 0

    def _unit_keys(self, unit: dict) -> tuple[str, str, str, str]:
        """(code, name without its 村/社区 suffix, township, sub_area) of an admin unit,
        derived once per unit (the parent lookup matches every unit per address)."""
        memo = self.__dict__.setdefault("_unit_memo", {})
        hit = memo.get(id(unit))
        if hit is not None and hit[0] is unit:
            return hit[1]
        keys = (
            str(unit.get("code") or ""),
            re.sub(r"(村委会|居委会|嘎查|社区|村)$", "", str(unit.get("name") or "")),
            str(unit.get("township") or ""),
            str(unit.get("sub_area") or ""),
        )
        memo[id(unit)] = (unit, keys)  # the unit is kept: its id is not reused meanwhile
        return keys


_GROUP_RANGE = re.compile(
    r"^第?(?P<a>\d{1,3}|[一二三四五六七八九十]{1,3})(?:组|社|队)?\s*[-—–~～至到－]\s*"
    r"第?(?P<b>\d{1,3}|[一二三四五六七八九十]{1,3})(?P<word>村民小组|组|社|队)$"
)
"""Groups written as a range: 1-6组, 1至5组, 一组至五组, 第1-5村民小组."""
_GROUP_NAMES: dict[str, frozenset] = {}


def _group_names(group: str, norm_group) -> frozenset:
    """The groups a unit's group names, normalised as an address's is: one (三社), or every
    group of a range (1-6组, 一至五组: 一社 … 六社).

    >>> from geo_enroll.placement.candidates import _norm_group
    >>> sorted(_group_names("2-4组", _norm_group)), sorted(_group_names("3社", _norm_group))
    (['三社', '二社', '四社'], ['三社'])
    >>> "十社" in _group_names("八至十一组", _norm_group), "七社" in _group_names("8-11组", _norm_group)
    (True, False)
    """
    got = _GROUP_NAMES.get(group)
    if got is None:
        m = _GROUP_RANGE.match(str(group).strip())
        a, b = (_group_number(m["a"]), _group_number(m["b"])) if m else (0, 0)
        if m and 0 < a < b <= a + 200:
            got = frozenset(norm_group(f"{n}{m['word']}") for n in range(a, b + 1))
        else:
            got = frozenset([norm_group(group)])
        if len(_GROUP_NAMES) > 10_000:
            _GROUP_NAMES.clear()
        _GROUP_NAMES[group] = got
    return got


def _group_number(text: str) -> int:
    """3 / 三 / 十一 / 二十 → the number (0 when not one)."""
    if text.isdigit():
        return int(text)
    digits = "零一二三四五六七八九"
    if "十" not in text:
        return digits.index(text) if len(text) == 1 and text in digits else 0
    tens, _, ones = text.partition("十")
    return (digits.index(tens) if tens else 1) * 10 + (digits.index(ones) if ones else 0)


_NOT_A_UNIT_AFTER = re.compile(
    r"(?:大道|大街|路|街|巷|道|桥|弄|胡同|小区|花园|苑|广场|大厦|公寓|商场|市场|公园|医院|学校|小学|中学)"
)


def _names_unit(name: str, text: str) -> bool:
    """Whether an address names a unit known by name (its 村/社区 dropped): somewhere the name
    is not the start of a street's or a building's name (光明社区 is not named by 光明路3号).

    >>> _names_unit("光明", "某镇光明社区5号"), _names_unit("光明", "某镇建兴社区光明路3号")
    (True, False)
    >>> _names_unit("沙浦围", "松岗街道沙浦围18号"), _names_unit("光明", "光明路光明村2组")
    (True, True)
    """
    start = text.find(name)
    while start >= 0:
        if not _NOT_A_UNIT_AFTER.match(text, start + len(name)):
            return True
        start = text.find(name, start + 1)
    return False


_GROUP_WORD = re.compile(r"^第?[\d一二三四五六七八九十]{1,3}(?:村民小组|组|社|队)$")


def _excluded(names, geo: dict, text: str, norm_group) -> bool:
    """Whether an address falls in one of a unit's exclusions: a group (3组, 1-3组) that is the
    address's group, or a place (昌盛园小区) the address names."""
    for name in names:
        name = str(name or "").strip()
        if not name:
            continue
        if _GROUP_WORD.match(name) or _GROUP_RANGE.match(name):
            ggrp = _address_group(geo, text, norm_group)
            if ggrp and ggrp in _group_names(name, norm_group):
                return True
        elif len(name) >= 2 and name in text:
            return True
    return False


def _address_group(geo: dict, text: str, norm_group) -> str:
    """The address's 社/组: the geocoder's, else the first one written in the text."""
    ggrp = norm_group(geo.get("group"))
    if not ggrp:
        found = re.findall(r"[一二三四五六七八九十\d]+(?:村民小组|小组|[社组队](?!区))", text)
        ggrp = norm_group(next(iter(found), ""))
    return ggrp


_UNIT_HELPERS: tuple = ()


def _unit_helpers() -> tuple:
    """(specificity table, group normaliser) of :mod:`geo_enroll.placement.candidates`, bound
    on first use (that module imports this one) instead of an import on every match."""
    global _UNIT_HELPERS
    if not _UNIT_HELPERS:
        from .placement.candidates import _SPEC, _norm_group

        _UNIT_HELPERS = (_SPEC, _norm_group)
    return _UNIT_HELPERS


class _Grid:
    """A lon/lat grid over the zones: each cell is either *clear* (farther than the tolerance
    plus :data:`_SAFETY_M` from every zone edge: its zone set is known) or *edge* (-1: test the
    point exactly).  Clear cells are labelled by connected region, one exact query per region."""

    def __init__(self, x0, y0, dx, dy, nx, ny, cells, sets):
        self.x0, self.y0, self.dx, self.dy, self.nx, self.ny = x0, y0, dx, dy, nx, ny
        self.cells = cells  # flat int: zone-set id, or -(rank + 1) of an edge cell
        self.sets = sets  # zone-set id -> sorted tuple of zone positions
        self._answers: dict = {}

    def cell_of(self, lon, lat) -> np.ndarray:
        """The flat cell of each point, -1 outside the grid (or not a number)."""
        ix = np.floor((lon - self.x0) / self.dx)
        iy = np.floor((lat - self.y0) / self.dy)
        ok = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
        return np.where(ok, iy * self.nx + ix, -1).astype(np.int64)  # exact below 2**53

    def candidates(self, ranks, lon, lat, tree):
        """(point, zone, known interior) pairs to decide points in the edge cells ``ranks``:
        the zones whose edge passes the cell (to test) and those wholly around it (interior)."""
        import shapely

        def expand(ptr, vals, rk):
            lo = ptr[rk]
            cnt = ptr[rk + 1] - lo
            p = np.repeat(np.arange(len(rk)), cnt)
            return p, vals[np.repeat(lo - np.cumsum(cnt) + cnt, cnt) + np.arange(cnt.sum())]

        lost = self.lost[ranks]
        p1, z1 = expand(self.cross_ptr, self.cross_zone, ranks)
        p2, z2 = expand(self.base_ptr, self.base_zone, ranks)
        if lost.any():  # no clear neighbour: every zone whose box holds the point, tested
            keep1, keep2 = ~lost[p1], ~lost[p2]
            p1, z1, p2, z2 = p1[keep1], z1[keep1], p2[keep2], z2[keep2]
            idx = np.flatnonzero(lost)
            p3, z3 = tree.query(shapely.points(lon[idx], lat[idx]))
            p1, z1 = np.concatenate([p1, idx[p3]]), np.concatenate([z1, z3])
        p = np.concatenate([p1, p2])
        z = np.concatenate([z1, z2]).astype(np.int64)
        known = np.r_[np.zeros(len(p1), bool), np.ones(len(p2), bool)]
        return p, z, known

    def answers(self, level: str, serving: np.ndarray):
        """Per zone set, for ``level``: (first zone or -1, number of zones, all zones)."""
        a = self._answers.get(level)
        if a is None:
            sets = [tuple(i for i in s if serving[i]) for s in self.sets]
            first = np.array([s[0] if s else -1 for s in sets], dtype=np.int64)
            count = np.array([len(s) for s in sets], dtype=np.int64)
            a = self._answers[level] = (first, count, sets)
        return a

    @classmethod
    def build(cls, index: ZoneIndex, *, max_cells: int | None = None) -> _Grid:
        import shapely
        from scipy import ndimage

        geoms = index._geoms_ll
        n = len(geoms)
        minx, miny, maxx, maxy = shapely.total_bounds(geoms)
        lat_c = math.radians(max(abs(miny), abs(maxy)))
        m_per_deg_y = 110_574.0
        m_per_deg_x = max(111_320.0 * math.cos(lat_c), 1.0)
        max_cells = max_cells or int(min(max(4_000 * n, 1 << 16), GRID_MAX_CELLS))
        # cells as square as possible in metres, at least 4 m
        w_m, h_m = (maxx - minx) * m_per_deg_x, (maxy - miny) * m_per_deg_y
        size_m = max(math.sqrt(max(w_m * h_m, 1.0) / max_cells), 4.0)
        dx, dy = size_m / m_per_deg_x, size_m / m_per_deg_y
        x0, y0 = minx - 2 * dx, miny - 2 * dy
        nx = int((maxx - x0) / dx) + 3
        ny = int((maxy - y0) / dy) + 3
        edge = np.zeros(ny * nx, dtype=bool)
        # every ring as segments; samples every quarter cell mark the cells within the margin
        parts, part_of = shapely.get_parts(geoms, return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        coords, ring_of = shapely.get_coordinates(rings, return_index=True)
        same = ring_of[1:] == ring_of[:-1]
        a, b = coords[:-1][same], coords[1:][same]
        seg_zone = part_of[ring_part[ring_of[:-1][same]]].astype(np.int64)
        cx, cy = (a[:, 0] - x0) / dx, (a[:, 1] - y0) / dy
        ex, ey = (b[:, 0] - x0) / dx - cx, (b[:, 1] - y0) / dy - cy
        seg_cells = np.hypot(ex, ey)
        seg_m = seg_cells * size_m
        # straight in lon/lat vs straight in UTM differ by up to ~L²/(8R) on a segment of L m
        margin_m = (EDGE_TOLERANCE_M + _SAFETY_M + seg_m**2 / (4 * _EARTH_R)) * 1.1
        k = np.ceil(seg_cells * 4).astype(np.int64) + 2  # both ends, ≥ 2 samples
        seg = np.repeat(np.arange(len(k)), k)
        t = (np.arange(len(seg)) - np.repeat(np.cumsum(k) - k, k)) / np.repeat(k - 1, k)
        sx = cx[seg] + t * ex[seg]
        sy = cy[seg] + t * ey[seg]
        r = 0.125 + margin_m[seg] / size_m
        fx, fy = np.floor(sx), np.floor(sy)
        small = r < 1.0
        groups = [(small, 1)]
        if not small.all():  # long segments on a coarse grid: a wider band around them
            groups.append((~small, int(np.ceil(r[~small].max()))))
        keys = []  # (edge cell, zone whose edge passes it) as cell * n + zone
        for sel, reach in groups:
            gx, gy, gr, gfx, gfy = sx[sel], sy[sel], r[sel], fx[sel], fy[sel]
            gz = seg_zone[seg[sel]]
            for ox in range(-reach, reach + 1):
                ix = gfx + ox
                okx = (ix <= gx + gr) & (ix + 1 >= gx - gr) & (ix >= 0) & (ix < nx)
                for oy in range(-reach, reach + 1):
                    iy = gfy + oy
                    ok = okx & (iy <= gy + gr) & (iy + 1 >= gy - gr) & (iy >= 0) & (iy < ny)
                    c = iy[ok].astype(np.int64) * nx + ix[ok].astype(np.int64)
                    edge[c] = True
                    kz = c * n + gz[ok]
                    if len(kz):
                        keys.append(kz[np.r_[True, kz[1:] != kz[:-1]]])
        pairs = np.sort(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.int64)
        pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if len(pairs) else pairs
        labels, nlab = ndimage.label(~edge.reshape(ny, nx))
        flat = labels.ravel()
        first = np.zeros(nlab + 1, dtype=np.int64)
        uniq, idx = np.unique(flat, return_index=True)
        first[uniq] = idx
        reps = first[1:]
        rx = x0 + (reps % nx + 0.5) * dx
        ry = y0 + (reps // nx + 0.5) * dy
        q, z = index._tree_ll.query(shapely.points(rx, ry), predicate="intersects")
        order = np.lexsort((z, q))
        q, z = q[order], z[order]
        starts = np.searchsorted(q, np.arange(nlab))
        ends = np.searchsorted(q, np.arange(nlab), side="right")
        set_ids: dict[tuple, int] = {}
        lab_set = np.empty(nlab + 1, dtype=np.int32)
        lab_set[0] = -1
        for j in range(nlab):
            key = tuple(int(v) for v in z[starts[j] : ends[j]])
            lab_set[j + 1] = set_ids.setdefault(key, len(set_ids))
        sets = [None] * len(set_ids)
        for key, v in set_ids.items():
            sets[v] = key
        cells = lab_set[flat]
        # each edge cell's zones wholly around it: those of a clear 4-neighbour minus the ones
        # whose edge passes it (-1: no clear neighbour, its points get a full exact query)
        edge_cells = np.flatnonzero(cells < 0)
        nb = np.full(len(edge_cells), -1, dtype=np.int64)
        col = edge_cells % nx
        for step, valid in (
            (-1, col > 0),
            (1, col < nx - 1),
            (-nx, edge_cells >= nx),
            (nx, edge_cells < len(cells) - nx),
        ):
            j = np.where(valid, edge_cells + step, 0)
            v = np.where(valid, cells[j], -1)
            nb = np.where((nb < 0) & (v >= 0), v, nb)
        n_edge = len(edge_cells)
        pair_rank = np.searchsorted(edge_cells, pairs // n)
        pair_zone = pairs % n
        sizes = np.array([len(s_) for s_ in sets], dtype=np.int64)
        set_ptr = np.r_[0, np.cumsum(sizes)]
        set_mem = np.array([z_ for s_ in sets for z_ in s_], dtype=np.int64)
        # zones wholly around an edge cell: a clear neighbour's, less those crossing the cell
        has = np.flatnonzero(nb >= 0)
        k = sizes[nb[has]]
        b_rank = np.repeat(has, k)
        b_zone = set_mem[np.repeat(set_ptr[nb[has]] - np.cumsum(k) + k, k) + np.arange(k.sum())]
        cross_keys = pair_rank * n + pair_zone  # sorted: pairs are sorted by cell, then zone
        b_keys = b_rank * n + b_zone
        pos = np.minimum(np.searchsorted(cross_keys, b_keys), max(len(cross_keys) - 1, 0))
        extra = (
            np.ones(len(b_keys), dtype=bool) if not len(cross_keys) else cross_keys[pos] != b_keys
        )
        b_rank, b_zone = b_rank[extra], b_zone[extra]
        cells[edge_cells] = -(np.arange(n_edge, dtype=np.int64) + 1)  # -(rank + 1)
        grid = cls(x0, y0, dx, dy, nx, ny, cells, sets)
        grid.cross_ptr = np.r_[0, np.cumsum(np.bincount(pair_rank, minlength=n_edge))]
        grid.cross_zone = pair_zone
        grid.base_ptr = np.r_[0, np.cumsum(np.bincount(b_rank, minlength=n_edge))]
        grid.base_zone = b_zone
        grid.lost = nb < 0
        # zones whose interior meets another's (overlaps, nesting): tested with every candidate
        a_, b_ = index._tree_ll.query(geoms, predicate="intersects")
        a_, b_ = a_[a_ != b_], b_[a_ != b_]
        meet = shapely.relate_pattern(geoms[a_], geoms[b_], "T********")
        grid.overlapping = np.zeros(n, dtype=bool)
        grid.overlapping[a_[meet]] = True
        return grid
