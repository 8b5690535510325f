"""The digitiser (划片数字化): zone spec + base map -> zone polygons, with diagnostics.

Each ``street_limits`` rule ("南郊社区（东至东大桥，南至察哈尔街，西至民生路，北至光明大街）")
becomes the parent area (here 南郊社区) cut on the correct side of each named limit:

* ``东至X`` keeps the land *west* of X (X is the east edge), and so on for 南/西/北;
* edge words (城东, 社区西, 北) mean the parent's own boundary: no cut;
* a street is merged from all its pieces: parallel lines of one name (dual carriageways) are
  averaged into one centre line, pieces that stop short of each other are joined (gaps up to
  ``Settings.snap_gap_m`` closed and reported, longer ones reported as not closing), and the
  line is extended straight past its ends so that it crosses the whole parent;
* a compound (小区) named as a limit is a straight cut at its far edge (it lies inside the
  zone) unless the text names the edge (万和小区南 = its south edge); a bridge is the river
  or railway it crosses, or a straight line through it;
* exclusions (不含昌盛园小区) are subtracted, inclusions added; ``compound`` rules are the
  compound's polygon;
* ``directional_bounds`` (湖墅北路以西，教工路以东…) are the same cuts: ``X以东`` makes X the
  west limit; several streets on one side (余杭塘路与草营巷以北, 古运路—小河路—登云路) are one
  limit; the parent is ``within``, else the town, else (four sides named) the bounds close on
  themselves; ``(除X小区)`` notes are cut out and ``negate`` (除…以外) keeps the rest;
* an enclosed area named by its streets without sides (``bounded_by``: 西藏中路、延安东路、河南中路、
  福州路所围成的区域) is the one face of the merged street lines (same merging and gap closing as
  for limits) whose boundary runs along every named street; zero or several such faces, or a
  street that does not touch the face, are reported, never guessed;
* ``street_list`` (双林路单号1-99号, X路两侧, 圣灯路(东侧)) is the frontage land,
  ``Settings.street_list_depth_m`` deep, on the named side(s) of the street, limited to the
  numbered stretch when the base map has house-number ranges (and saying so when it has none).

Computation is in the local UTM zone; zones are stored in EPSG:4326.  Everything that does not
fit (an unknown street, a limit on the wrong side, a limit that does not bound its part, limits
crossing several times, a self-intersecting street) is reported per rule, never hidden.

    >>> from geo_enroll.basemap.schematic import build_schematic
    >>> spec = {"schools": [{"id": "p1", "name": "一小", "level": "primary", "zones": [
    ...     {"rule_id": "p1-r01", "kind": "street_limits", "within": "南郊社区",
    ...      "limits": {"east": "东大桥", "south": "察哈尔街", "west": "民生路", "north": "光明大街"},
    ...      "source": {"text": "南郊…", "line": 27}}]}]}
    >>> result = digitise(spec, build_schematic())
    >>> len(result.zones), result.rules[0]["status"]
    (1, 'ok')
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, Point, Polygon, box
from shapely.ops import linemerge, nearest_points, polygonize, unary_union

from .basemap.layers import BaseMap, utm_crs
from .basemap.names import NameIndex, normalize_name
from .errors import DigitiseError, ZoneSpecError
from .settings import DEFAULT_SETTINGS, Settings

__all__ = [
    "digitise",
    "DigitiseResult",
    "load_spec",
    "write_zones",
    "zones_to_geojson",
    "build_default",
    "SIDES",
]

SIDES = {"east": "东", "south": "南", "west": "西", "north": "北"}
_SIDE_OF_CHAR = {v: k for k, v in SIDES.items()}
_EDGE_WORD = re.compile(
    r"^(城区?|社区|镇区?|村|街道|辖区|片区|小区)?([东南西北])(边|侧|面|部)?(界|边界)?$"
)
_EXCLUDE_IN_TEXT = re.compile(r"不含([^，,、）)]+)")
# (除昆仑公馆小区) / （不含X、Y） written after directional bounds
_EXCLUDE_NOTE = re.compile(r"[（(](?:除|不含|不包括)([^）)]+?)(?:以外|之外|除外)?[）)]")
_INCLUDE_NOTE = re.compile(r"[（(](?:含|包括)([^）)]+)[）)]")
# several streets forming one limit: 古运路—小河路—登云路, 西藏中路、西藏南路, 湖州街至沈半路
_LEAD_WORDS = "由从自沿"  # prepositions a sentence may leave on the first street name
_CHAIN_SEP = re.compile(r"[—–－~～、]+|-+|至|与|及")
_CHAIN_SUFFIX = re.compile(r"(?<=[路街巷河桥道])(?=[^\s段])")
_PARALLEL_TOL_M = 60.0  # two carriageways of one road are closer than this
_MAX_JOIN_M = 500.0  # pieces of one street farther apart than this are not joined
_MAX_FACES = 1000  # an enclosed area's streets cutting the land into more pieces: a bad map
_RAY_OFFSETS = (0.0, 0.37, -0.61)  # metres; three parallel rays vote on the side of a face
_LINE_KINDS = ("LineString", "MultiLineString")
_POLY_KINDS = ("Polygon", "MultiPolygon")


@dataclass
class DigitiseResult:
    """Zones (EPSG:4326) and per-rule diagnostics.

    Attributes
    ----------
    zones : geopandas.GeoDataFrame
        One row per polygon zone: ``school``, ``school_id``, ``level``, ``rule_id``, ``kind``,
        ``source``, ``line``, ``within``, ``schematic``.
    rules : list[dict]
        One entry per rule: ``rule_id``, ``school_id``, ``kind``, ``status`` (``ok``,
        ``closed_with_issues``, ``not_closed``, ``unresolved``, ``not_digitised``), ``area_m2``,
        ``issues``.
    unresolved : list[dict]
        Names that matched nothing, with ``candidates``.
    coverage : list[dict]
        Polygons each rule covers in the working CRS (zones plus admin units matched by code),
        used by :mod:`geo_enroll.diagnostics`.
    declared : list[dict]
        Rules declaring shared land (``alternative``, ``multi_school``, ``free_choice``).
    units : list[dict]
        Per admin-unit rule (``admin_units``, ``alternative``, ``multi_school``,
        ``free_choice``): ``rule_id``, ``school_id``, ``kind``, ``levels`` and ``areas``, the
        base-map areas its units name (also those named only in part: a group, a sub-area).
    crs : pyproj.CRS
        The working (UTM) CRS.
    """

    zones: gpd.GeoDataFrame
    rules: list[dict]
    unresolved: list[dict]
    coverage: list[dict] = field(default_factory=list)
    declared: list[dict] = field(default_factory=list)
    units: list[dict] = field(default_factory=list)
    domain: dict = field(default_factory=dict)
    crs: object = None
    schematic: bool = False
    basemap_source: str = ""


# ---------------------------------------------------------------------------------------------
# spec loading


def load_spec(path: str | Path) -> dict:
    """Read a zone spec (TOML or JSON) with :func:`geo_enroll.policy.spec.load_spec`.

    Nulls are restored (TOML has none); the schema is not enforced here, so a hand-written
    spec with only the fields the digitiser reads (``schools[].zones[]``) is accepted.
    """
    from .policy.spec import load_spec as _policy_load

    path = Path(path)
    if not path.exists():
        raise ZoneSpecError(f"zone spec {path} does not exist")
    spec = _policy_load(path, validate=False)
    if not isinstance(spec, dict) or not isinstance(spec.get("schools"), list):
        raise ZoneSpecError(f"zone spec {path} has no [[schools]] list; see docs/ARCHITECTURE.md")
    return spec


# ---------------------------------------------------------------------------------------------
# geometry helpers (all in metres)


def _lines_of(geom) -> list[LineString]:
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "LineString":
        return [geom]
    if geom.geom_type in ("MultiLineString", "GeometryCollection"):
        return [g for part in geom.geoms for g in _lines_of(part)]
    if geom.geom_type in _POLY_KINDS:
        return (
            [LineString(geom.exterior.coords)]
            if geom.geom_type == "Polygon"
            else [LineString(p.exterior.coords) for p in geom.geoms]
        )
    return []


def _sample(line: LineString, n: int = 20) -> list[Point]:
    return [line.interpolate(t, normalized=True) for t in np.linspace(0, 1, n)]


def _centreline(spine: LineString, companions: list[LineString], step: float = 10.0) -> LineString:
    """Average a line with its parallel companions (the two carriageways of one road)."""
    if not companions:
        return spine
    other = MultiLineString(companions) if len(companions) > 1 else companions[0]
    count = int(min(2000, max(2, spine.length // step)))
    coords = []
    for t in np.linspace(0, spine.length, count + 1):
        p = spine.interpolate(t)
        d = other.distance(p)
        if d <= _PARALLEL_TOL_M:
            q = nearest_points(other, p)[0]
            coords.append(((p.x + q.x) / 2, (p.y + q.y) / 2))
        else:
            coords.append((p.x, p.y))
    return LineString(coords).simplify(0.5)


def _binned_centreline(chains: list[LineString], snap: float, issues: list[dict], name: str):
    """One monotone centre line through all pieces of a street, or None if it is not monotone.

    The points of every piece are projected on the street's principal axis and binned every
    20 m; each bin contributes the middle of its points across the axis (the middle of two
    carriageways).  Empty stretches are bridged straight and reported as gaps.
    """
    step = 20.0
    total = sum(c.length for c in chains)
    spacing = max(5.0, total / 20000)
    pts = np.vstack([shapely.get_coordinates(shapely.segmentize(c, spacing)) for c in chains])
    centre = pts.mean(axis=0)
    _, _, vt = np.linalg.svd(pts - centre, full_matrices=False)
    u, v = vt[0], vt[1]
    s_val = (pts - centre) @ u
    t_val = (pts - centre) @ v
    bins = np.floor(s_val / step).astype(int)
    order = np.argsort(bins, kind="stable")
    bins, t_sorted = bins[order], t_val[order]
    uniq, start = np.unique(bins, return_index=True)
    groups = np.split(t_sorted, start[1:])
    wide = 0
    out = []
    for b, ts in zip(uniq, groups, strict=False):
        med = float(np.median(ts))
        near = ts[np.abs(ts - med) <= _PARALLEL_TOL_M]
        if near.size == 0:  # an even count split far apart: take the value nearest the median
            near = ts[[int(np.argmin(np.abs(ts - med)))]]
        if ts.max() - ts.min() > 2 * _PARALLEL_TOL_M:
            wide += 1
        out.append(((b + 0.5) * step, (float(near.min()) + float(near.max())) / 2))
    if wide > 0.1 * len(uniq):
        return None
    # split at long empty stretches; keep the longest run, report the gaps bridged
    runs, current = [], [out[0]]
    for prev, cur in zip(out, out[1:], strict=False):
        gap = cur[0] - prev[0] - step
        if gap > _MAX_JOIN_M:
            runs.append(current)
            current = [cur]
            continue
        if gap > snap / 2:
            closed = gap <= snap
            mid_s, mid_t = (prev[0] + cur[0]) / 2, (prev[1] + cur[1]) / 2
            at = centre + mid_s * u + mid_t * v
            issues.append(
                {
                    "type": "gap_closed" if closed else "gap_not_closed",
                    "street": name,
                    "gap_m": round(gap, 1),
                    "at": (float(at[0]), float(at[1])),
                    "message": f"{name}: a stretch of {gap:.0f} m "
                    "without the street bridged"
                    + ("" if closed else f" (more than snap_gap {snap:.0f} m: check the map)"),
                }
            )
        current.append(cur)
    runs.append(current)
    run = max(runs, key=len)
    if len(runs) > 1:
        issues.append(
            {
                "type": "distant_piece",
                "street": name,
                "message": f"{name}: {len(runs) - 1} distant piece(s) ignored",
            }
        )
    if len(run) < 2:
        return None
    st = np.array(run)
    xy = centre + np.outer(st[:, 0], u) + np.outer(st[:, 1], v)
    return LineString(xy).simplify(1.0)


def _merge_street(lines: list[LineString], snap: float, issues: list[dict], name: str):
    """One line for a street from its pieces: centre of parallel lines, short gaps joined."""
    merged = linemerge(lines) if len(lines) > 1 else lines[0]
    chains = sorted(_lines_of(merged), key=lambda g: -g.length)
    if len(chains) == 1 and chains[0].is_simple:
        return chains[0]
    line = _binned_centreline(chains, snap, issues, name)
    if line is not None:
        if len(chains) > 1:
            issues.append(
                {
                    "type": "parallel_lines",
                    "street": name,
                    "message": f"{name}: {len(chains)} pieces (carriageways, sections) merged into one "
                    "centre line",
                }
            )
        return line
    # 1. group parallel chains (dual carriageways) around the longest one
    pieces = []
    while chains:
        spine = chains.pop(0)
        companions, rest = [], []
        for c in chains:
            near = sum(spine.distance(p) <= _PARALLEL_TOL_M for p in _sample(c))
            (companions if near >= 14 else rest).append(c)
        chains = rest
        if companions:
            issues.append(
                {
                    "type": "parallel_lines",
                    "street": name,
                    "message": f"{name}: {len(companions) + 1} parallel lines (dual carriageway) "
                    "treated as one limit along their centre line",
                }
            )
        pieces.append(_centreline(spine, companions))
    # 2. join pieces end to end, nearest first
    line = pieces.pop(0)
    while pieces:
        best = None
        for i, piece in enumerate(pieces):
            for a_end in (0, -1):
                for b_end in (0, -1):
                    d = Point(line.coords[a_end]).distance(Point(piece.coords[b_end]))
                    if best is None or d < best[0]:
                        best = (d, i, a_end, b_end)
        d, i, a_end, b_end = best
        piece = pieces.pop(i)
        if d > _MAX_JOIN_M:
            issues.append(
                {
                    "type": "distant_piece",
                    "street": name,
                    "message": f"{name}: ignored a piece {d:.0f} m away from the rest",
                }
            )
            continue
        a = list(line.coords) if a_end == -1 else list(line.coords)[::-1]
        b = list(piece.coords) if b_end == 0 else list(piece.coords)[::-1]
        line = LineString(a + b)
        if d > 0.01:
            closed = d <= snap
            issues.append(
                {
                    "type": "gap_closed" if closed else "gap_not_closed",
                    "street": name,
                    "gap_m": round(d, 1),
                    "message": f"{name}: two pieces {d:.0f} m apart joined"
                    + ("" if closed else f" (more than snap_gap {snap:.0f} m: check the map)"),
                }
            )
    return line


def _extend(line: LineString, length: float) -> LineString:
    """Extend a line straight past both ends by ``length`` (direction of its last ~50 m)."""
    coords = list(line.coords)

    def direction(points):
        end = np.array(points[-1])
        acc = 0.0
        for prev in reversed(points[:-1]):
            acc = np.hypot(*(end - np.array(prev)))
            if acc >= 50:
                break
        vec = end - np.array(prev)
        norm = np.hypot(*vec)
        return vec / norm if norm > 0 else None

    head = direction(coords[::-1])
    tail = direction(coords)
    if head is not None:
        coords.insert(0, tuple(np.array(coords[0]) + head * length))
    if tail is not None:
        coords.append(tuple(np.array(coords[-1]) + tail * length))
    return LineString(coords)


def _half_plane(cut: LineString, extent: Polygon, side: str):
    """The part of ``extent`` on the inner side of a limit on ``side`` (east limit -> west part).

    The extent is split by ``cut``; a face is kept when rays from it towards ``side`` cross the
    cut an odd number of times (majority of three rays).
    """
    faces = list(polygonize(unary_union([extent.exterior, cut.intersection(extent)])))
    minx, miny, maxx, maxy = extent.bounds
    keep = []
    for face in faces:
        p = face.representative_point()
        votes = 0
        for off in _RAY_OFFSETS:
            if side in ("east", "west"):
                x_to = maxx if side == "east" else minx
                ray = LineString([(p.x, p.y + off), (x_to, p.y + off)])
            else:
                y_to = maxy if side == "north" else miny
                ray = LineString([(p.x + off, p.y), (p.x + off, y_to)])
            hits = ray.intersection(cut)
            n = len(_points_of(hits))
            votes += n % 2
        if votes >= 2:
            keep.append(face)
    return unary_union(keep) if keep else Polygon()


def _points_of(geom) -> list:
    if geom.is_empty:
        return []
    if geom.geom_type == "Point":
        return [geom]
    if geom.geom_type in ("LineString",):  # collinear overlap counts once
        return [geom]
    return [g for part in getattr(geom, "geoms", []) for g in _points_of(part)]


def _axis_cut(coord: float, side: str, extent: Polygon):
    minx, miny, maxx, maxy = extent.bounds
    if side == "east":
        return box(minx, miny, min(coord, maxx), maxy) if coord > minx else Polygon()
    if side == "west":
        return box(max(coord, minx), miny, maxx, maxy) if coord < maxx else Polygon()
    if side == "north":
        return box(minx, miny, maxx, min(coord, maxy)) if coord > miny else Polygon()
    return box(minx, max(coord, miny), maxx, maxy) if coord < maxy else Polygon()


def _axis_line(point: Point, side: str, extent: Polygon) -> LineString:
    minx, miny, maxx, maxy = extent.bounds
    if side in ("east", "west"):
        return LineString([(point.x, miny), (point.x, maxy)])
    return LineString([(minx, point.y), (maxx, point.y)])


# ---------------------------------------------------------------------------------------------
# the digitiser


class _Context:
    """The base map projected to the working CRS, with name indexes."""

    def __init__(self, bm: BaseMap, settings: Settings):
        self.bm = bm
        self.settings = settings
        ref = bm.areas if len(bm.areas) else bm.streets
        if len(ref) == 0:
            raise DigitiseError(f"base map {bm.source or ''} has no streets and no areas")
        town = bm.areas[bm.areas["kind"].isin(["town", "community"])] if len(bm.areas) else ref
        self.crs = utm_crs(town if len(town) else ref)
        self.streets = bm.streets.to_crs(self.crs) if len(bm.streets) else bm.streets
        self.landmarks = bm.landmarks.to_crs(self.crs) if len(bm.landmarks) else bm.landmarks
        self.areas = bm.areas.to_crs(self.crs) if len(bm.areas) else bm.areas
        self.street_index = NameIndex(self.streets)
        self.landmark_index = NameIndex(self.landmarks)
        self.area_index = NameIndex(self.areas)

    def area_by(self, name: str | None, code: str | None):
        """(geometry, name) of an area by official code, then by name; None if absent."""
        if code and len(self.areas):
            hit = self.areas[self.areas["code"].astype(str) == str(code)]
            if len(hit):
                return hit.geometry.iloc[0], str(hit["name"].iloc[0])
        if name:
            m = self.area_index.lookup(name)
            if not m.found and not name.endswith(("社区", "村", "镇", "乡", "苏木")):
                m = self.area_index.lookup(name + "社区")
            if m.found:
                geom = unary_union(self.areas.geometry.iloc[m.rows].values)
                return geom, m.names[0]
        return None

    def polygon_feature(self, name: str):
        """(geometry, kind) of a landmark or area polygon by name, or None."""
        m = self.landmark_index.lookup(name)
        if m.found:
            geoms = [g for g in self.landmarks.geometry.iloc[m.rows] if g.geom_type in _POLY_KINDS]
            if geoms:
                return unary_union(geoms), "landmark"
        hit = self.area_by(name, None)
        if hit is not None:
            return hit[0], "area"
        return None


@dataclass
class _Limit:
    side: str
    text: str
    edge: bool = False  # an edge word: the parent's own boundary
    name: str = ""  # the feature name looked up
    edge_of_feature: str | None = None  # 东/南/西/北 named after a landmark (万和小区南)
    geom: object = None  # resolved feature geometry (working CRS)
    feature: str = ""  # street | polygon | point
    line: object = None  # merged limit line (for streets)


def _parse_limit(side: str, text: str) -> tuple[_Limit, list[str]]:
    """Split a limit text into edge word / feature name (+ exclusions written inside it)."""
    raw = str(text or "").strip()
    excludes = [x.strip() for x in _EXCLUDE_IN_TEXT.findall(raw)]
    clean = normalize_name(raw)
    if not clean or _EDGE_WORD.match(clean):
        return _Limit(side, raw, edge=True), excludes
    return _Limit(side, raw, name=clean), excludes


def _chain_parts(name: str) -> list[str]:
    """The streets of a limit written as several (``古运路—小河路—登云路``), or [] if one.

    >>> _chain_parts("古运路—小河路—登云路"), _chain_parts("莫干山路大关路教工路")
    (['古运路', '小河路', '登云路'], ['莫干山路', '大关路', '教工路'])
    >>> _chain_parts("延安东路")
    []
    """
    parts = [p for p in _CHAIN_SEP.split(name) if p]
    if len(parts) < 2:
        parts = [p for p in _CHAIN_SUFFIX.split(name) if p]
    return parts if len(parts) > 1 and all(len(p) >= 2 for p in parts) else []


def _resolve_limit(ctx: _Context, lim: _Limit, district: str | None, issues: list[dict]):
    """Find the feature of a limit; returns a NameMatch-like failure or None when found.

    A name that matches nothing but reads as several streets (``古运路—小河路—登云路``,
    ``西藏中路、西藏南路``) is one limit made of all of them, when every one is a street.
    """
    miss = _resolve_one(ctx, lim, district, issues)
    if miss is None:
        return None
    parts = _chain_parts(lim.name)
    if not parts:
        return miss
    geoms = []
    for part in parts:
        m = ctx.street_index.lookup(part, district=district)
        if not m.found:
            return miss
        geoms += list(ctx.streets.geometry.iloc[m.rows])
    lim.geom, lim.feature, lim.edge_of_feature = geoms, "street", None
    issues.append(
        {
            "type": "chain",
            "street": lim.text,
            "message": f"{lim.text}: {len(parts)} streets ({'、'.join(parts)}) form one limit",
        }
    )
    return None


def _resolve_one(ctx: _Context, lim: _Limit, district: str | None, issues: list[dict]):
    candidates = [(lim.name, None)]
    if lim.name and lim.name[-1] in _SIDE_OF_CHAR and len(lim.name) > 2:
        candidates.append((lim.name[:-1], lim.name[-1]))
    for base in ("边", "侧"):
        if lim.name.endswith(base) and len(lim.name) > 3 and lim.name[-2] in _SIDE_OF_CHAR:
            candidates.append((lim.name[:-2], lim.name[-2]))
    if len(lim.name) > 3 and lim.name[0] in _LEAD_WORDS:  # 由福州路以南…所围成的区域
        candidates.append((lim.name[1:], None))
    first_miss = None
    for name, edge in candidates:
        m = ctx.street_index.lookup(name, district=district)
        if m.found:
            lim.geom = list(ctx.streets.geometry.iloc[m.rows])
            lim.feature = "street"
            lim.edge_of_feature = edge
            kinds = set(ctx.streets["kind"].iloc[m.rows])
            if kinds == {"bridge"}:
                lim.feature = "bridge"
            if m.how != "exact" or name != lim.name:
                issues.append(
                    {
                        "type": "name_matched",
                        "street": lim.text,
                        "message": f"{lim.text} matched {'、'.join(m.names)} ({m.how})",
                    }
                )
            return None
        poly = ctx.polygon_feature(name)
        if poly is not None:
            lim.geom, lim.feature, lim.edge_of_feature = poly[0], "polygon", edge
            lim.polygon_kind = poly[1]
            return None
        lm = ctx.landmark_index.lookup(name)
        if lm.found:
            geom = unary_union(list(ctx.landmarks.geometry.iloc[lm.rows]))
            kinds = set(ctx.landmarks["kind"].iloc[lm.rows])
            lim.geom, lim.feature, lim.edge_of_feature = (
                geom,
                ("bridge" if "bridge" in kinds else "point"),
                edge,
            )
            return None
        if first_miss is None:
            first_miss = m
    return first_miss


def _bridge_line(ctx: _Context, lim: _Limit, extent: Polygon, issues: list[dict]):
    """The river/railway a bridge crosses, else a straight line through it."""
    geom = unary_union(lim.geom) if isinstance(lim.geom, list) else lim.geom
    centre = geom.centroid
    if len(ctx.streets):
        crossing = ctx.streets[ctx.streets["kind"].isin(["river", "railway"])]
        if len(crossing):
            d = crossing.distance(centre)
            near = crossing[d <= 50]
            if len(near):
                row = near.iloc[int(np.argmin(d[d <= 50].values))]
                issues.append(
                    {
                        "type": "bridge",
                        "street": lim.text,
                        "message": f"{lim.text} is a bridge: the {row['kind']} "
                        f"'{row['name'] or 'unnamed'}' it crosses is the limit",
                    }
                )
                return _merge_street(
                    _lines_of(row.geometry), ctx.settings.snap_gap_m, issues, lim.text
                )
    issues.append(
        {
            "type": "bridge",
            "street": lim.text,
            "message": f"{lim.text}: no river or railway under it; a straight "
            f"{'north-south' if lim.side in ('east', 'west') else 'east-west'} line through it is the limit",
        }
    )
    return _axis_line(centre, lim.side, extent)


def _limit_region(ctx: _Context, lim: _Limit, extent: Polygon, issues: list[dict]):
    """The region inside one limit (e.g. west of an east limit), clipped to ``extent``."""
    settings = ctx.settings
    if lim.feature == "polygon":
        minx, miny, maxx, maxy = lim.geom.bounds
        edge = lim.edge_of_feature or SIDES[lim.side]
        if getattr(lim, "polygon_kind", "") == "area" and not lim.edge_of_feature:
            edge = SIDES[
                {"east": "west", "west": "east", "north": "south", "south": "north"}[lim.side]
            ]
        coord = {"东": maxx, "西": minx, "南": miny, "北": maxy}[edge]
        cut = _axis_line(Point(coord, coord), lim.side, extent)
        lim.line = cut
        return _axis_cut(coord, lim.side, extent)
    if lim.feature in ("bridge", "point"):
        line = _bridge_line(ctx, lim, extent, issues)
    else:
        lines = [part for g in lim.geom for part in _lines_of(g)]
        n = sum(len(g.coords) for g in lines)
        if n > settings.max_vertices:
            raise DigitiseError(f"street {lim.text} has {n} vertices (> max_vertices)")
        line = _merge_street(lines, settings.snap_gap_m, issues, lim.text)
    lim.line = line = _simple(line, lim.text)
    diag = math.hypot(extent.bounds[2] - extent.bounds[0], extent.bounds[3] - extent.bounds[1])
    cut = _extend(line, 2 * diag)
    return _half_plane(cut, extent, lim.side)


def _simple(line: LineString, name: str) -> LineString:
    """``line`` if it does not cross itself, else a :class:`DigitiseError` naming the street."""
    if not line.is_simple:
        crossings = len(_points_of(shapely.node(line))) if len(line.coords) < 200 else None
        raise DigitiseError(
            f"street {name} crosses itself"
            + (f" ({crossings} nodes)" if crossings else f" ({len(line.coords)} vertices)")
            + "; a limit must be a simple line: fix the base map"
        )
    return line


def _edge_length(zone, line, tol: float = 2.0) -> float:
    if zone.is_empty or line is None:
        return 0.0
    return zone.boundary.intersection(line.buffer(tol, cap_style="flat")).length


def _street_limits(ctx: _Context, rule: dict, district: str | None, *, parent=False):
    """Polygon (working CRS) and issues of one street_limits rule.

    ``parent`` overrides the parent area looked up from ``within`` (``(geometry, name)`` or
    None for none); :func:`_directional` passes the town when the bounds name no parent.
    """
    issues: list[dict] = []
    unresolved: list[dict] = []
    limits = rule.get("limits") or {}
    if not isinstance(limits, dict) or not limits:
        return None, [{"type": "no_limits", "message": "rule has no limits"}], []
    within = rule.get("within")
    if parent is False:
        parent = ctx.area_by(within, rule.get("within_code"))
    excludes = [str(x) for x in rule.get("exclude") or []]
    includes = [str(x) for x in rule.get("include") or []]
    parsed = []
    for side, text in limits.items():
        side = str(side).lower()
        if side not in SIDES:
            issues.append({"type": "bad_side", "message": f"unknown side {side!r} ({text})"})
            continue
        lim, more = _parse_limit(side, text)
        excludes += [x for x in more if x not in excludes]
        parsed.append(lim)
    for lim in parsed:
        if lim.edge:
            continue
        miss = _resolve_limit(ctx, lim, district, issues)
        if miss is not None:
            unresolved.append({"name": lim.text, "side": lim.side, "candidates": miss.candidates})
    if unresolved:
        return None, issues, unresolved
    features = [lim for lim in parsed if not lim.edge]
    if parent is None:
        if within:
            issues.append(
                {
                    "type": "parent_missing",
                    "message": f"parent area {within} is not in the base map; the zone is bounded "
                    "by its four limits only",
                }
            )
        if any(lim.edge for lim in parsed) or len(features) < 4:
            return (
                None,
                issues
                + [
                    {
                        "type": "not_closed",
                        "message": f"cannot close: {within or 'the parent'} is not in the base map "
                        "and not all four sides are named streets",
                    }
                ],
                [],
            )
        geoms = []
        for lim in features:
            geoms += lim.geom if isinstance(lim.geom, list) else [lim.geom]
        parent_geom = unary_union(geoms).envelope.buffer(
            ctx.settings.snap_gap_m * 4, join_style="mitre"
        )
    else:
        parent_geom = parent[0]
    extent = parent_geom.envelope.buffer(1000, join_style="mitre")
    zone = parent_geom
    regions = {}
    for lim in features:
        region = _limit_region(ctx, lim, extent, issues)
        regions[lim.side] = region
        inside = parent_geom.intersection(region)
        if inside.area < 1.0:
            issues.append(
                {
                    "type": "wrong_side",
                    "street": lim.text,
                    "side": lim.side,
                    "message": f"{SIDES[lim.side]}至{lim.text}: the whole of {within or 'the parent'} "
                    f"lies {lim.side} of it"
                    " — the limit is on the wrong side",
                }
            )
        zone = zone.intersection(region)
    # gaps between adjacent limits (the limit lines as drawn, before extension)
    order = ["east", "south", "west", "north"]
    by_side = {lim.side: lim for lim in features if lim.feature in ("street",)}
    for i, side in enumerate(order):
        other = order[(i + 1) % 4]
        if side in by_side and other in by_side:
            a = unary_union(by_side[side].geom)
            b = unary_union(by_side[other].geom)
            d = a.distance(b)
            if d > 0.5:
                issues.append(
                    {
                        "type": "gap_closed" if d <= ctx.settings.snap_gap_m else "gap_not_closed",
                        "street": f"{by_side[side].text} / {by_side[other].text}",
                        "gap_m": round(d, 1),
                        "message": f"{by_side[side].text} and {by_side[other].text} stop {d:.0f} m "
                        "short of each other; closed by extending them"
                        + (
                            ""
                            if d <= ctx.settings.snap_gap_m
                            else f" (more than snap_gap {ctx.settings.snap_gap_m:.0f} m)"
                        ),
                    }
                )
            elif by_side[side].line is not None and by_side[other].line is not None:
                n = len(_points_of(by_side[side].line.intersection(by_side[other].line)))
                if n > 1:
                    issues.append(
                        {
                            "type": "multiple_crossings",
                            "street": f"{by_side[side].text} / {by_side[other].text}",
                            "message": f"{by_side[side].text} and {by_side[other].text} cross "
                            f"{n} times",
                        }
                    )
    zone = _apply_notes(ctx, zone, excludes, unresolved)
    zone = _apply_notes(ctx, zone, includes, unresolved, include=True)
    zone = _clean(zone)
    if zone.is_empty:
        issues.append({"type": "not_closed", "message": "the limits enclose no land"})
        return None, issues, unresolved
    # gaps along a street matter only where the street bounds this zone
    issues = [
        i
        for i in issues
        if "at" not in i or zone.distance(Point(i.pop("at"))) <= ctx.settings.snap_gap_m
    ]
    for lim in features:
        if lim.side in regions and parent_geom.intersection(regions[lim.side]).area >= 1.0:
            length = _edge_length(zone, lim.line)
            if length < min(20.0, 0.02 * zone.length):
                d = zone.distance(lim.line) if lim.line is not None else float("nan")
                issues.append(
                    {
                        "type": "limit_not_bounding",
                        "street": lim.text,
                        "side": lim.side,
                        "message": f"{SIDES[lim.side]}至{lim.text} does not bound the zone "
                        f"({d:.0f} m away from it): the parent's edge is nearer",
                    }
                )
    parts = len(getattr(zone, "geoms", [zone]))
    if parts > 1:
        issues.append(
            {"type": "multipart", "message": f"the zone falls into {parts} separate parts"}
        )
    return zone, issues, unresolved


def _apply_notes(ctx: _Context, zone, names: list[str], unresolved: list[dict], *, include=False):
    """``zone`` minus (or, with ``include``, plus) the polygons of ``names`` (compounds, areas).

    A name with no polygon in the base map goes to ``unresolved`` (side ``exclude``/``include``)
    with its candidates; the zone is returned without it.
    """
    for name in names:
        hit = ctx.polygon_feature(name)
        if hit is None:
            unresolved.append(
                {
                    "name": name,
                    "side": "include" if include else "exclude",
                    "candidates": ctx.landmark_index.lookup(name).candidates,
                }
            )
            continue
        zone = zone.union(hit[0]) if include else zone.difference(hit[0])
    return zone


def _clean(geom):
    """Polygonal part of a result, without slivers below 1 m²."""
    if geom.is_empty:
        return Polygon()
    polys = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type in _POLY_KINDS]
    parts = [p for g in polys for p in getattr(g, "geoms", [g]) if p.area >= 1.0]
    if not parts:
        return Polygon()
    out = unary_union(parts)
    return out


_FLIP = {"east_of": "west", "west_of": "east", "north_of": "south", "south_of": "north"}


def _notes(text: str, pattern: re.Pattern) -> list[str]:
    """Names in bracketed notes (``(除昆仑公馆小区)`` -> ``['昆仑公馆小区']``)."""
    return [
        n.strip()
        for m in pattern.findall(text or "")
        for n in re.split(r"[、，,和及]", m)
        if n.strip()
    ]


def _directional(ctx: _Context, rule: dict, district: str | None):
    """Polygon of a ``directional_bounds`` rule (湖墅北路以西，教工路以东，大关路以南…).

    ``X以东`` makes X the west limit, and so on; several streets on one side (余杭塘路与草营巷
    以北) are one limit made of all of them.  The land is cut from the parent (``within``, else
    the town of the base map); without a parent all four sides must be named (the bounds then
    close on themselves, as 所围成区域 does).  Exclusions come from ``exclude`` and from notes in
    the text (``(除昆仑公馆小区)``); ``negate`` (除…以外的区域) keeps the parent outside the
    bounds.  The same checks as street limits apply (wrong side, gaps, not bounding).  A rule
    with no sides but ``bounded_by`` streets (A、B、C、D所围成的区域) is read by
    :func:`_enclosed`.
    """
    issues: list[dict] = []
    by_side: dict[str, list[str]] = {}
    for bound in rule.get("bounds") or []:
        side = _FLIP.get(str(bound.get("side")))
        street = str(bound.get("street") or "").strip()
        if side is None or not street:
            issues.append(
                {
                    "type": "bad_side",
                    "message": f"bound {bound!r}: expected a street and a side "
                    "(east_of, west_of, north_of, south_of)",
                }
            )
            continue
        if street not in by_side.setdefault(side, []):
            by_side[side].append(street)
    enclosing = [str(x).strip() for x in rule.get("bounded_by") or [] if str(x).strip()]
    if not by_side and not enclosing:
        return (
            None,
            issues
            + [
                {
                    "type": "not_closed",
                    "message": "rule has no bounds (X以东…) and no enclosing streets "
                    "(bounded_by: A、B、C所围成的区域)",
                }
            ],
            [],
        )
    parent = ctx.area_by(rule.get("within"), rule.get("within_code"))
    if parent is None and len(ctx.areas):
        towns = ctx.areas[ctx.areas["kind"] == "town"]
        if len(towns):
            parent = (unary_union(towns.geometry.values), "town")
    text = str(rule.get("fragment") or (rule.get("source") or {}).get("text") or "")
    excludes = [str(x) for x in rule.get("exclude") or []]
    excludes += [x for x in _notes(text, _EXCLUDE_NOTE) if x not in excludes]
    for note in _notes(text, _INCLUDE_NOTE):
        issues.append(
            {
                "type": "note_not_drawn",
                "message": f"note (含{note}) is not drawn: add it as its own rule if it is land",
            }
        )
    negate = bool(rule.get("negate"))
    if not by_side:  # A、B、C、D所围成的区域: no sides written
        zone, more, unresolved = _enclosed(
            ctx, enclosing, district, parent=parent, excludes=excludes, negate=negate
        )
        return zone, issues + more, unresolved
    if parent is None and (negate or len(by_side) < 4):
        sides = "、".join(SIDES[k] for k in by_side)
        return (
            None,
            issues
            + [
                {
                    "type": "not_closed",
                    "message": f"cannot close: only the {sides} side(s) are named and no parent "
                    "area bounds the rest ("
                    + (
                        f"{rule['within']} is not in the base map"
                        if rule.get("within")
                        else "no within, and no town in the base map"
                    )
                    + ")",
                }
            ],
            [],
        )
    limits = {side: "、".join(names) for side, names in by_side.items()}
    inner = {**rule, "limits": limits, "exclude": [] if negate else excludes, "include": []}
    zone, more, unresolved = _street_limits(ctx, inner, district, parent=parent)
    issues += more
    if negate and zone is not None and parent is not None:
        zone = _clean(_apply_notes(ctx, parent[0].difference(zone), excludes, unresolved))
    if zone is not None and zone.is_empty:
        zone = None
    if unresolved and any(u["side"] in SIDES for u in unresolved):
        zone = None
    return zone, issues, unresolved


def _enclosed(
    ctx: _Context,
    names: list[str],
    district: str | None,
    *,
    parent,
    excludes: list[str],
    negate: bool = False,
):
    """Polygon of an enclosed area (``A、B、C、D所围成的区域``: streets named without sides).

    Each street is merged as a limit is (:func:`_merge_street`: carriageways averaged, gaps
    along it bridged); the merged lines are polygonized (:func:`_faces`: open ends extended
    ``Settings.snap_gap_m`` straight on, or joined to the nearest street within that reach) and
    the area is the one face whose boundary runs along every named street.  Zero or several
    such faces, or a street that does not touch the face, are reported and nothing is drawn:
    the sides are never guessed.  The face is clipped to ``parent`` (the rule's ``within`` or
    the town) when there is one; ``negate`` keeps the parent outside it; ``excludes`` are cut
    out.  An edge word among the streets (城北, 社区西) is the parent's own boundary.
    """
    issues: list[dict] = []
    unresolved: list[dict] = []
    names = list(dict.fromkeys(names))
    snap = float(ctx.settings.snap_gap_m)
    if len(names) < 3:
        return (
            None,
            [
                {
                    "type": "not_closed",
                    "message": f"{'、'.join(names) or 'no street'}: at least three streets are "
                    "needed to enclose an area",
                }
            ],
            [],
        )
    lines, raw, problems = {}, {}, []  # merged lines; the features as mapped
    for name in names:
        lim, _ = _parse_limit("", name)
        if lim.edge:
            if parent is None:
                problems.append(f"{name} is the edge of a parent area, and there is none")
            else:
                lines[name] = raw[name] = unary_union(_lines_of(parent[0]))
            continue
        miss = _resolve_limit(ctx, lim, district, issues)
        if miss is not None:
            unresolved.append({"name": name, "side": "bounded_by", "candidates": miss.candidates})
        elif lim.feature == "polygon":  # a compound or area: its outline
            lines[name] = raw[name] = unary_union(_lines_of(lim.geom))
        elif lim.feature in ("bridge", "point"):
            problems.append(
                f"{name} is a bridge or a point, not a line: name the river or street instead"
            )
        else:
            parts = [part for g in lim.geom for part in _lines_of(g)]
            if sum(len(g.coords) for g in parts) > ctx.settings.max_vertices:
                raise DigitiseError(f"street {name} has too many vertices (> max_vertices)")
            lines[name] = _simple(_merge_street(parts, snap, issues, name), name)
            raw[name] = unary_union(parts)
    if unresolved:
        return None, issues, unresolved
    if problems:
        for text in problems:
            issues.append({"type": "not_closed", "message": f"cannot close: {text}"})
        return None, issues, unresolved
    listed = "、".join(names)
    crossings = _crossings(lines)
    faces = _faces(lines, snap) if crossings <= _MAX_FACES else []
    if crossings > _MAX_FACES or len(faces) > _MAX_FACES:
        issues.append(
            {
                "type": "not_closed",
                "message": f"cannot close: {listed} cross each other "
                f"{max(crossings, len(faces))} times (more than {_MAX_FACES}): check the "
                "streets in the base map",
            }
        )
        return None, [{k: v for k, v in i.items() if k != "at"} for i in issues], unresolved
    touched = _touching(faces, lines)
    found = [f for f, t in zip(faces, touched, strict=True) if len(t) == len(lines)]
    if len(found) != 1:
        issues += _why_not_enclosed(lines, faces, touched, found, snap)
        return None, [{k: v for k, v in i.items() if k != "at"} for i in issues], unresolved
    face = found[0]
    for piece, ends in _bridged(face, lines):
        # measured between the streets as mapped: centre lines may end a few metres early
        gap = raw[ends[0]].distance(raw[ends[-1]]) if len(ends) == 2 else piece.length
        if gap > 0.5:
            issues.append(
                {
                    "type": "gap_closed",
                    "street": " / ".join(ends),
                    "gap_m": round(gap, 1),
                    "message": f"{' and '.join(ends)} stop {gap:.0f} m short of each other; "
                    "the area is closed across the gap",
                }
            )
    zone = face
    if parent is not None:
        zone = face.intersection(parent[0])
        lost = face.area - zone.area
        if lost > max(1.0, 0.01 * face.area) and not negate:
            issues.append(
                {
                    "type": "outside_parent",
                    "message": f"{lost:.0f} m² of the area {listed} enclose lies outside "
                    f"{parent[1]} and is left out",
                }
            )
        if negate:
            zone = parent[0].difference(face)
    elif negate:
        return (
            None,
            issues
            + [
                {
                    "type": "not_closed",
                    "message": "cannot close: 除…以外 needs a parent area (within, or a town in "
                    "the base map) to keep the rest of",
                }
            ],
            unresolved,
        )
    zone = _clean(_apply_notes(ctx, zone, excludes, unresolved))
    if zone.is_empty:
        issues.append({"type": "not_closed", "message": f"{listed} enclose no land here"})
        return None, issues, unresolved
    # gaps along a street matter only where the street bounds this area
    issues = [i for i in issues if "at" not in i or zone.distance(Point(i.pop("at"))) <= snap]
    parts = len(getattr(zone, "geoms", [zone]))
    if parts > 1:
        issues.append(
            {"type": "multipart", "message": f"the zone falls into {parts} separate parts"}
        )
    return zone, issues, unresolved


def _faces(lines: dict, reach: float) -> list[Polygon]:
    """Bounded faces (≥ 1 m²) of the network of ``lines`` (name -> line, working CRS).

    Each open end is extended ``reach`` metres straight on (:func:`_extend`); an end whose
    extension meets no other line, and which does not already cross one close by, is joined to
    the nearest other line within ``reach``.  Ends farther from everything stay open (dangles
    do not bound faces).

    >>> lines = {"a": LineString([(0, 0), (100, 0)]), "b": LineString([(100, -10), (100, 90)]),
    ...          "c": LineString([(110, 80), (0, 80)]), "d": LineString([(-20, 100), (-20, 30)])}
    >>> [round(f.area) for f in _faces(lines, 50.0)]
    [9600]
    >>> _faces(lines, 10.0)
    []
    """
    extended = {
        n: _extend(g, reach)
        for n, g in lines.items()
        if g.geom_type == "LineString" and not g.is_closed and g.length > 0
    }
    network = [extended.get(n, g) for n, g in lines.items()]
    for name, line in lines.items():
        if name not in extended:
            continue
        others = unary_union([extended.get(n, g) for n, g in lines.items() if n != name])
        ext = extended[name]
        for end, tip in ((line.coords[0], ext.coords[0]), (line.coords[-1], ext.coords[-1])):
            p = Point(end)
            d = others.distance(p)
            if d < 1e-6 or d > reach:
                continue
            if tip != end and LineString([end, tip]).intersects(others):
                continue  # the straight extension meets a street
            crossing = line.intersection(others)
            if not crossing.is_empty and crossing.distance(p) <= reach:
                continue  # the street runs on past a crossing: a dangle, not a gap
            network.append(LineString([end, nearest_points(others, p)[0]]))
    return [f for f in polygonize(unary_union(network)) if f.area >= 1.0]


def _crossings(lines: dict) -> int:
    """How many segments of different lines cross or touch (a cheap bound on the faces).

    >>> _crossings({"a": LineString([(0, 0), (10, 0)]), "b": LineString([(5, -1), (5, 1), (6, -1)])})
    2
    """
    segments, owner = [], []
    for k, geom in enumerate(lines.values()):
        for part in _lines_of(geom):
            xy = shapely.get_coordinates(part)
            segments.append(shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1)))
            owner.append(np.full(len(xy) - 1, k))
    if not segments:
        return 0
    segments, owner = np.concatenate(segments), np.concatenate(owner)
    i, j = shapely.STRtree(segments).query(segments, predicate="intersects")
    return int(np.sum(owner[i] < owner[j]))


def _touching(faces: list, lines: dict, tol: float = 2.0) -> list[list[str]]:
    """Per face, the names of the lines its boundary runs along (more than a corner's touch:
    at least min(20 m, 2 % of its perimeter) within ``tol`` of the line, as
    :func:`_edge_length` measures for limits)."""
    out: list[list[str]] = [[] for _ in faces]
    if not faces:
        return out
    rings = shapely.boundary(np.array(faces, dtype=object))
    need = np.minimum(20.0, 0.02 * shapely.length(rings))
    for name, line in lines.items():
        band = line.buffer(tol, cap_style="flat")
        shapely.prepare(band)
        hit = shapely.intersects(rings, band)
        length = np.zeros(len(faces))
        length[hit] = shapely.length(shapely.intersection(rings[hit], band))
        for i in np.flatnonzero(length >= need):
            out[i].append(name)
    return out


def _bridged(face, lines: dict) -> list[tuple[LineString, list[str]]]:
    """Stretches of ``face``'s boundary along no street (gaps bridged), with the streets at
    their two ends."""
    along = unary_union(list(lines.values())).buffer(0.05)
    rest = face.boundary.difference(along)
    out = []
    for piece in _lines_of(linemerge(_lines_of(rest)) if not rest.is_empty else rest):
        if piece.length <= 0.5:
            continue
        ends = []
        for xy in (piece.coords[0], piece.coords[-1]):
            p = Point(xy)
            ends.append(min(lines, key=lambda n, p=p: lines[n].distance(p)))
        out.append((piece, list(dict.fromkeys(ends))))
    return out


def _why_not_enclosed(lines, faces, touched, found, snap: float) -> list[dict]:
    """Issues saying why no single face runs along all of ``lines`` (see :func:`_enclosed`)."""
    listed = "、".join(lines)
    if len(found) > 1:
        areas = sorted(round(f.area) for f in found)
        return [
            {
                "type": "several_faces",
                "areas_m2": areas,
                "message": f"{listed} enclose {len(found)} separate areas ("
                + "、".join(f"{a} m²" for a in areas)
                + "); the text does not say which: split the rule or name more streets",
            },
            {"type": "not_closed", "message": f"cannot close: {listed} enclose several areas"},
        ]
    issues = []
    wide = _faces(lines, _MAX_JOIN_M)
    wide = wide if len(wide) <= _MAX_FACES else []
    wide_found = [
        f for f, t in zip(wide, _touching(wide, lines), strict=True) if len(t) == len(lines)
    ]
    if len(wide_found) == 1:
        gaps = [(p, ends) for p, ends in _bridged(wide_found[0], lines) if p.length > snap]
        for piece, ends in gaps:
            issues.append(
                {
                    "type": "gap_not_closed",
                    "street": " / ".join(ends),
                    "gap_m": round(piece.length, 1),
                    "message": f"{' and '.join(ends)} stop short of each other: closing the area "
                    f"needs a {piece.length:.0f} m bridge (more than snap_gap {snap:.0f} m: "
                    "check the map)",
                }
            )
        return issues + [
            {
                "type": "not_closed",
                "message": f"cannot close: {listed} would enclose an area only across gaps "
                f"longer than snap_gap {snap:.0f} m",
            }
        ]
    if not faces:
        return [
            {
                "type": "not_closed",
                "message": f"cannot close: {listed} enclose no area (they do not meet within "
                f"snap_gap {snap:.0f} m)",
            }
        ]
    best = max(range(len(faces)), key=lambda i: (len(touched[i]), -faces[i].area))
    face = faces[best]
    for name, line in lines.items():
        if name in touched[best]:
            continue
        d = face.distance(line)
        issues.append(
            {
                "type": "street_not_bounding",
                "street": name,
                "message": f"{name} does not bound the area that "
                f"{'、'.join(touched[best])} enclose"
                + (f" ({d:.0f} m away from it)" if d > 0.5 else " (it runs through it)"),
            }
        )
    return issues + [
        {
            "type": "not_closed",
            "message": f"cannot close: no area is bounded by all of {listed}",
        }
    ]


def _number_span(numbers: dict | None) -> tuple[int, int] | None:
    """(lowest, highest) house number of a street_list rule, or None for the whole street."""
    if not isinstance(numbers, dict):
        return None
    if isinstance(numbers.get("from"), int) and isinstance(numbers.get("to"), int):
        a, b = numbers["from"], numbers["to"]
        return (min(a, b), max(a, b))
    listed = [n for n in numbers.get("list") or [] if isinstance(n, int)]
    return (min(listed), max(listed)) if listed else None


def _one_side(line: LineString, depth: float, side: str):
    """The strip of ``depth`` metres on the geographic ``side`` (东/南/西/北) of a line."""
    left = shapely.buffer(line, depth, single_sided=True)
    right = shapely.buffer(line, -depth, single_sided=True)
    axis = {"东": (1, 0), "西": (-1, 0), "北": (0, 1), "南": (0, -1)}[side]
    c = line.centroid

    def score(g):
        return (g.centroid.x - c.x) * axis[0] + (g.centroid.y - c.y) * axis[1]

    return left if score(left) >= score(right) else right


def _numbered_stretch(rows, lo: int, hi: int) -> list[LineString]:
    """Pieces of the ranged rows covering house numbers lo..hi, each oriented along increasing
    numbers (numbers interpolated linearly along each row, as in TIGER address ranges)."""
    from shapely.ops import substring

    pieces = []
    for geom, a, b in zip(rows.geometry, rows["from_number"], rows["to_number"], strict=False):
        line = linemerge(_lines_of(geom)) if geom.geom_type != "LineString" else geom
        if line.geom_type != "LineString" or line.length == 0:
            continue
        a, b = int(a), int(b)
        if a > b:
            line, a, b = line.reverse(), b, a
        if b < lo or a > hi:
            continue
        if a == b:
            pieces.append(line)
            continue
        f0, f1 = (max(lo, a) - a) / (b - a), (min(hi, b) - a) / (b - a)
        piece = substring(line, f0, f1, normalized=True)
        if piece.length < 20.0:  # one house number: 10 m either side of its place
            mid = (f0 + f1) / 2 * line.length
            piece = substring(line, max(0.0, mid - 10), min(line.length, mid + 10))
        pieces.append(piece)
    return pieces


def _street_list(ctx: _Context, rule: dict, district: str | None):
    """Polygon of a ``street_list`` rule: the frontage land along a street (街道门牌).

    The land is ``Settings.street_list_depth_m`` deep on the named side(s) of the street: both
    sides (两侧, or no side given), the odd or even side (单号/双号, left of the direction of
    increasing numbers for odd when ``street_list_odd_side`` is ``left``), or a side named in
    the text (``圣灯路(东侧)``).  When the base map gives house-number ranges
    (``from_number``/``to_number``) only the numbered stretch is drawn; otherwise the whole
    street is, and the rule says so.
    """
    issues: list[dict] = []
    street = str(rule.get("street") or "").strip()
    m = ctx.street_index.lookup(normalize_name(street), district=district)
    if not street or not m.found:
        return None, issues, [{"name": street, "side": "street", "candidates": m.candidates}]
    rows = ctx.streets.iloc[m.rows]
    depth = float(ctx.settings.street_list_depth_m)
    numbers = rule.get("numbers") if isinstance(rule.get("numbers"), dict) else {}
    parity = str(numbers.get("parity") or "all")
    span = _number_span(numbers)
    text = str(rule.get("fragment") or (rule.get("source") or {}).get("text") or "")
    side_note = re.match(rf"^{re.escape(street)}\s*[（(]\s*([东南西北])侧", text)
    geo_side = side_note.group(1) if side_note else None
    if rule.get("sides") == "one" and geo_side is None and parity == "all":
        issues.append(
            {
                "type": "side_unknown",
                "street": street,
                "message": f"{street}: one side (一侧) is meant but the text does not say which "
                "(东侧/西侧…): both sides drawn",
            }
        )
    ranged = rows[rows["from_number"].notna() & rows["to_number"].notna()]
    if span is not None and len(ranged):
        pieces = _numbered_stretch(ranged, *span)
        if not pieces:
            lows = ranged[["from_number", "to_number"]].min().min()
            highs = ranged[["from_number", "to_number"]].max().max()
            issues.append(
                {
                    "type": "not_closed",
                    "street": street,
                    "message": f"{street}: numbers {span[0]}-{span[1]} are outside its ranges "
                    f"in the base map ({lows}-{highs})",
                }
            )
            return None, issues, []
        strips = []  # pieces end to end become one line: no notch at their joints
        pieces = _lines_of(linemerge(pieces, directed=True)) if len(pieces) > 1 else pieces
        for piece in pieces:
            if geo_side:
                strips.append(_one_side(piece, depth, geo_side))
            elif parity in ("odd", "even"):
                left = (parity == "odd") == (ctx.settings.street_list_odd_side == "left")
                strips.append(shapely.buffer(piece, depth if left else -depth, single_sided=True))
            else:
                strips.append(piece.buffer(depth, cap_style="flat"))
        zone = unary_union(strips)
    else:
        if span is not None:
            issues.append(
                {
                    "type": "no_house_numbers",
                    "street": street,
                    "message": f"{street}: the base map has no house-number ranges "
                    "(from_number/to_number), so the whole street is drawn instead of "
                    f"numbers {span[0]}-{span[1]}"
                    + (
                        " on both sides (the 单号/双号 side is unknown)"
                        if parity in ("odd", "even") and not geo_side
                        else ""
                    ),
                }
            )
        lines = [part for g in rows.geometry for part in _lines_of(g)]
        if sum(len(g.coords) for g in lines) > ctx.settings.max_vertices:
            raise DigitiseError(f"street {street} has too many vertices (> max_vertices)")
        if geo_side:  # one side of the street's centre line (carriageways merged)
            line = _merge_street(lines, ctx.settings.snap_gap_m, issues, street)
            zone = _one_side(line, depth, geo_side)
        else:  # both sides of the street as mapped: a stretch missing from the map stays out
            zone = shapely.buffer(linemerge(lines), depth, cap_style="flat")
    parent = ctx.area_by(rule.get("within"), rule.get("within_code"))
    if parent is not None:
        zone = zone.intersection(parent[0])
    zone = _clean(zone)
    return (None if zone.is_empty else zone), issues, []


def _levels(level: str) -> list[str]:
    return ["primary", "middle"] if level == "nine_year" else [level]


def digitise(
    spec: dict,
    basemap: BaseMap,
    *,
    settings: Settings = DEFAULT_SETTINGS,
    district: str | None = None,
) -> DigitiseResult:
    """Turn the polygon rules of a zone spec into zones on a base map (see module docstring).

    Parameters
    ----------
    spec : a zone spec (``docs/ARCHITECTURE.md``), e.g. from :func:`load_spec`.
    basemap : the base map (:func:`geo_enroll.basemap.read_basemap`).
    district : prefer street names in this district (the same name exists in several).

    Returns
    -------
    DigitiseResult
        Never raises for a bad rule: each rule's problems are in ``rules``/``unresolved``.
    """
    if not isinstance(spec, dict) or not isinstance(spec.get("schools"), list):
        raise ZoneSpecError("zone spec has no 'schools' list; see docs/ARCHITECTURE.md")
    ctx = _Context(basemap, settings)
    rows, geoms, rules, unresolved, coverage, declared, units = [], [], [], [], [], [], []
    schematic = basemap.schematic
    for school in spec["schools"]:
        sid = str(school.get("id", ""))
        sname = str(school.get("name", sid))
        level = str(school.get("level", ""))
        for zone_rule in school.get("zones") or []:
            rule_id = str(zone_rule.get("rule_id", f"{sid}-?"))
            kind = str(zone_rule.get("kind", ""))
            source = zone_rule.get("source") or {}
            entry = {
                "rule_id": rule_id,
                "school_id": sid,
                "school": sname,
                "kind": kind,
                "status": "ok",
                "area_m2": 0.0,
                "issues": [],
            }
            geom, issues, missing = None, [], []
            try:
                if kind == "street_limits":
                    geom, issues, missing = _street_limits(ctx, zone_rule, district)
                elif kind == "compound":
                    name = str(zone_rule.get("name", ""))
                    hit = ctx.polygon_feature(name)
                    if hit is None:
                        missing = [
                            {
                                "name": name,
                                "side": "compound",
                                "candidates": ctx.landmark_index.lookup(name).candidates,
                            }
                        ]
                    else:
                        geom = hit[0]
                        parent = ctx.area_by(zone_rule.get("within"), None)
                        if (
                            parent is not None
                            and parent[0].intersection(geom).area < 0.5 * geom.area
                        ):
                            issues.append(
                                {
                                    "type": "outside_parent",
                                    "message": f"{name} lies mostly outside {zone_rule.get('within')}",
                                }
                            )
                elif kind == "directional_bounds":
                    geom, issues, missing = _directional(ctx, zone_rule, district)
                elif kind == "street_list":
                    geom, issues, missing = _street_list(ctx, zone_rule, district)
                elif kind in ("admin_units", "alternative", "multi_school", "free_choice"):
                    units.append(
                        {
                            "rule_id": rule_id,
                            "school_id": sid,
                            "kind": kind,
                            "levels": _levels(level),
                            "areas": _unit_areas(ctx, zone_rule),
                        }
                    )
                    covered = _units_coverage(ctx, zone_rule)
                    if kind == "admin_units" and covered is not None:
                        coverage.append(
                            {
                                "rule_id": rule_id,
                                "school_id": sid,
                                "levels": _levels(level),
                                "geometry": covered,
                                "kind": kind,
                            }
                        )
                    if kind in ("alternative", "multi_school", "free_choice"):
                        declared.append(
                            {
                                "rule_id": rule_id,
                                "school_id": sid,
                                "kind": kind,
                                "schools": list(zone_rule.get("schools") or [sid]),
                                "geometry": covered,
                            }
                        )
                    entry["status"] = "not_digitised"
                    entry["issues"].append(
                        {"type": "admin", "message": "matched by official code, not drawn"}
                    )
                else:
                    entry["status"] = "not_digitised"
            except DigitiseError as exc:
                issues.append({"type": "error", "message": str(exc)})
            except (shapely.errors.GEOSException, ValueError) as exc:  # geometry we cannot use
                issues.append(
                    {
                        "type": "error",
                        "message": f"rule {rule_id}: geometry failed "
                        f"({type(exc).__name__}: {exc}); check the streets it names",
                    }
                )
            entry["issues"] += issues
            if missing:
                entry["status"] = "unresolved"
                for m in missing:
                    unresolved.append({"rule_id": rule_id, "school_id": sid, **m})
                    entry["issues"].append(
                        {
                            "type": "unresolved",
                            "street": m["name"],
                            "message": f"{m['name']} is not in the base map"
                            + (
                                f"; did you mean {'、'.join(m['candidates'])}?"
                                if m["candidates"]
                                else ""
                            ),
                        }
                    )
            if geom is not None and not geom.is_empty:
                bad = {
                    "gap_not_closed",
                    "wrong_side",
                    "limit_not_bounding",
                    "error",
                    "not_closed",
                    "no_house_numbers",
                    "side_unknown",
                }
                if entry["status"] == "ok" and any(i["type"] in bad for i in entry["issues"]):
                    entry["status"] = "closed_with_issues"
                entry["area_m2"] = round(float(geom.area), 1)
                geoms.append(geom)
                rows.append(
                    {
                        "school": sname,
                        "school_id": sid,
                        "level": level,
                        "rule_id": rule_id,
                        "kind": kind,
                        "source": str(source.get("text", "")),
                        "line": int(source.get("line") or 0),
                        "within": str(zone_rule.get("within") or ""),
                        "schematic": bool(schematic),
                    }
                )
                coverage.append(
                    {
                        "rule_id": rule_id,
                        "school_id": sid,
                        "levels": _levels(level),
                        "geometry": geom,
                        "kind": kind,
                    }
                )
            elif (
                kind in ("street_limits", "compound", "directional_bounds", "street_list")
                and entry["status"] == "ok"
            ):
                entry["status"] = "not_closed"
            rules.append(entry)
    zones = (
        gpd.GeoDataFrame(rows, geometry=geoms, crs=ctx.crs)
        if rows
        else gpd.GeoDataFrame(
            {
                c: []
                for c in (
                    "school",
                    "school_id",
                    "level",
                    "rule_id",
                    "kind",
                    "source",
                    "line",
                    "within",
                    "schematic",
                )
            },
            geometry=[],
            crs=ctx.crs,
        )
    )
    zones = zones.to_crs(4326)
    zones["geometry"] = shapely.orient_polygons(
        shapely.set_precision(zones.geometry.values, 1e-7), exterior_cw=False
    )
    domain = {}
    if len(ctx.areas):
        for _, row in ctx.areas[ctx.areas["kind"].isin(["town", "community"])].iterrows():
            domain[(row["kind"], row["name"])] = row.geometry
    return DigitiseResult(
        zones,
        rules,
        unresolved,
        coverage,
        declared,
        units,
        domain,
        ctx.crs,
        schematic,
        basemap.source,
    )


def _unit_areas(ctx: _Context, rule: dict) -> list[str]:
    """Names of the base-map areas that a rule's units name (by code, then name)."""
    names = []
    for unit in rule.get("units") or []:
        if not isinstance(unit, dict):
            continue
        hit = ctx.area_by(None, unit.get("code"))
        if hit is None and unit.get("name") and len(ctx.areas):
            m = ctx.area_index.lookup(str(unit["name"]))
            hit = (None, m.names[0]) if m.found else None
        if hit is not None and hit[1] not in names:
            names.append(hit[1])
    if rule.get("area"):
        hit = ctx.area_by(str(rule["area"]), None)
        if hit is not None and hit[1] not in names:
            names.append(hit[1])
    return names


def _units_coverage(ctx: _Context, rule: dict):
    """Union of the base-map areas of a rule's units (by code, then name), or None."""
    if not len(ctx.areas):
        return None
    geoms = []
    for unit in rule.get("units") or []:
        if not isinstance(unit, dict):
            continue
        if unit.get("group") or unit.get("sub_area"):
            continue  # a part of a unit has no polygon
        hit = ctx.area_by(None, unit.get("code"))
        if hit is None and unit.get("name"):
            m = ctx.area_index.lookup(str(unit["name"]))
            if m.found:
                sub = ctx.areas.iloc[m.rows]
                sub = sub[sub["kind"].isin(["community", "town", "township", "village"])]
                if len(sub):
                    hit = (unary_union(sub.geometry.values), m.names[0])
        if hit is not None:
            geom = hit[0]
            for name in unit.get("exclude") or []:  # 建兴社区（不含昌盛园小区）
                cut = ctx.polygon_feature(str(name))
                if cut is not None:
                    geom = geom.difference(cut[0])
            geoms.append(geom)
    if rule.get("area") and not geoms:
        hit = ctx.area_by(str(rule["area"]), None)
        if hit is not None:
            geoms.append(hit[0])
    if not geoms:
        return None
    covered = unary_union(geoms)
    for name in rule.get("exclude") or []:
        cut = ctx.polygon_feature(str(name))
        if cut is not None:
            covered = covered.difference(cut[0])
    return covered


# ---------------------------------------------------------------------------------------------
# output


def zones_to_geojson(zones: gpd.GeoDataFrame) -> str:
    """RFC 7946 GeoJSON text (no ``crs`` member, counter-clockwise exteriors, 7 decimals).

    Deterministic: the same zones give the same bytes.
    """
    g = zones.to_crs(4326)
    g = g.set_geometry(shapely.orient_polygons(g.geometry.values, exterior_cw=False))
    features = []
    for _, row in g.iterrows():
        props = {
            k: (v.item() if hasattr(v, "item") else v) for k, v in row.items() if k != "geometry"
        }
        geom = json.loads(shapely.to_geojson(row.geometry))
        features.append({"type": "Feature", "properties": props, "geometry": _round(geom)})
    return (
        json.dumps(
            {"type": "FeatureCollection", "features": features},
            ensure_ascii=False,
            indent=1,
            sort_keys=False,
        )
        + "\n"
    )


def _round(obj):
    if isinstance(obj, float):
        return round(obj, 7)
    if isinstance(obj, list):
        return [_round(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    return obj


def write_zones(zones: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write zones as GeoPackage (layer ``zones``) or GeoJSON, chosen by the suffix."""
    import pyogrio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        path.write_text(zones_to_geojson(zones), encoding="utf-8")
    elif suffix == ".gpkg":
        if path.exists():
            path.unlink()
        pyogrio.write_dataframe(
            zones.to_crs(4326),
            path,
            layer="zones",
            geometry_type="MultiPolygon",
            promote_to_multi=True,
            dataset_options={"VERSION": "1.2"},
        )
    else:
        raise DigitiseError(f"output {path}: expected a .gpkg or .geojson file name")
    return path


def build_default(data_dir: str | Path | None = None) -> dict[str, Path]:
    """Rebuild the committed 宝昌镇 outputs in ``data/boundaries/`` from the spec.

    Writes ``baochang_schematic.gpkg``, ``taipusi_2024_zones.gpkg``/``.geojson`` and
    ``taipusi_2024_report.json``.  Uses ``data/boundaries/taipusi_2024.toml``.
    """
    from .basemap.layers import write_basemap
    from .basemap.schematic import build_schematic
    from .diagnostics import build_report, write_report
    from .settings import data_dir as _data_dir

    folder = Path(data_dir) if data_dir is not None else _data_dir()
    out = folder / "boundaries"
    spec_path = out / "taipusi_2024.toml"
    spec = load_spec(spec_path)
    bm = build_schematic(folder)
    paths = {"basemap": write_basemap(bm, out / "baochang_schematic.gpkg")}
    result = digitise(spec, bm)
    paths["zones_gpkg"] = write_zones(result.zones, out / "taipusi_2024_zones.gpkg")
    paths["zones_geojson"] = write_zones(result.zones, out / "taipusi_2024_zones.geojson")
    report = build_report(result, spec_name=spec_path.name, basemap_name=paths["basemap"].name)
    paths["report"] = write_report(report, out / "taipusi_2024_report.json")
    return paths
