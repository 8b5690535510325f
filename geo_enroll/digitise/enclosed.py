"""Enclosed areas (``bounded_by``: 西藏中路、延安东路、河南中路、福州路所围成的区域).

The named streets are merged as limits are, polygonized, and the area is the one face whose
boundary runs along every named street.  Zero or several such faces, or a street that does not
touch the face, are reported (:func:`_why_not_enclosed`), never guessed.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import linemerge, nearest_points, polygonize, unary_union

from ..errors import DigitiseError
from ._geometry import _clean, _lines_of
from ._lookup import _Context, _parse_limit, _resolve_limit
from ._streets import _MAX_JOIN_M, _extend, _merge_street, _simple
from .limits import _apply_notes

__all__ = [
    "_enclosed",
]

_MAX_FACES = 1000  # an enclosed area's streets cutting the land into more pieces: a bad map


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
