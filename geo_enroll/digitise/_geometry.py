"""Geometry helpers shared by the digitiser's rule readers (all in metres, working CRS).

Splitting lines out of any geometry, cutting an extent on one side of a line or an axis, and
cleaning a result down to its polygonal part.  Nothing here knows about street names or rules.
"""

from __future__ import annotations

import numpy as np
from shapely.geometry import LineString, Point, Polygon, box
from shapely.ops import polygonize, unary_union

__all__ = [
    "_POLY_KINDS",
    "_RAY_OFFSETS",
    "_lines_of",
    "_sample",
    "_half_plane",
    "_points_of",
    "_axis_cut",
    "_axis_line",
    "_clean",
    "_edge_length",
]

_RAY_OFFSETS = (0.0, 0.37, -0.61)  # metres; three parallel rays vote on the side of a face

_LINE_KINDS = ("LineString", "MultiLineString")

_POLY_KINDS = ("Polygon", "MultiPolygon")


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


def _edge_length(zone, line, tol: float = 2.0) -> float:
    if zone.is_empty or line is None:
        return 0.0
    return zone.boundary.intersection(line.buffer(tol, cap_style="flat")).length
