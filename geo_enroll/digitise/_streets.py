"""One line per street: merging a street's mapped pieces into the line a rule cuts along.

Parallel pieces (dual carriageways) are averaged into a centre line, pieces that stop short of
each other are joined (gaps up to ``Settings.snap_gap_m`` closed and reported, longer ones
reported as not closing), and the line is extended straight past its ends.  A line that crosses
itself is refused with a message naming the street.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, Point
from shapely.ops import linemerge, nearest_points

from ..errors import DigitiseError
from ._geometry import _lines_of, _points_of, _sample

__all__ = [
    "_PARALLEL_TOL_M",
    "_MAX_JOIN_M",
    "_centreline",
    "_binned_centreline",
    "_merge_street",
    "_extend",
    "_simple",
]

_PARALLEL_TOL_M = 60.0  # two carriageways of one road are closer than this

_MAX_JOIN_M = 500.0  # pieces of one street farther apart than this are not joined


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
