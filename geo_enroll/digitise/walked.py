"""Walked boundaries (``walked``: 农林大路以西→衣锦街以北→江桥路以西→城中街以北→…→苕溪以南).

A notice may walk round an area street by street, saying on which side of each street the area
lies.  When the walk turns the same way more than once (a staircase), the sides are no box: the
area is the ring the walk draws.  Each street runs from where it meets the street before to where
it meets the street after; the ring closes from the last street back to the first.  The sides
written are then checked against the ring (a step whose side the area is not on is reported),
never used to guess.  A street that is not on the map, two consecutive streets that do not meet
within ``Settings.snap_gap_m``, or a ring that is not a simple polygon is reported and nothing is
drawn.
"""

from __future__ import annotations

import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import nearest_points, substring, unary_union

from ..errors import DigitiseError
from ._geometry import _lines_of
from ._lookup import _Context, _parse_limit, _resolve_limit
from ._streets import _merge_street, _simple

__all__ = ["_walked"]

_AXIS = {"east_of": (1, 0), "west_of": (-1, 0), "north_of": (0, 1), "south_of": (0, -1)}


def _walked(ctx: _Context, steps: list[dict], district: str | None, *, parent):
    """Polygon of a walked boundary: ``steps`` are ``{"street", "side"}`` in walking order.

    Returns (polygon or None, issues, unresolved), like the other digitisers.
    """
    issues: list[dict] = []
    unresolved: list[dict] = []
    snap = float(ctx.settings.snap_gap_m)
    names = [str(s.get("street") or "").strip() for s in steps]
    if len(names) < 3 or not all(names):
        return None, [{"type": "not_closed", "message": "a walk needs three or more streets"}], []
    lines: dict[str, LineString] = {}
    for name in dict.fromkeys(names):
        lim, _ = _parse_limit("", name)
        if lim.edge:
            if parent is None:
                issues.append(
                    {
                        "type": "not_closed",
                        "message": f"{name} is a parent's edge, and there is none",
                    }
                )
                continue
            lines[name] = _longest(unary_union(_lines_of(parent[0])))
            continue
        miss = _resolve_limit(ctx, lim, district, issues)
        if miss is not None:
            unresolved.append({"name": name, "side": "walked", "candidates": miss.candidates})
            continue
        if lim.feature in ("bridge", "point"):
            issues.append(
                {"type": "not_closed", "message": f"{name} is a bridge or a point, not a line"}
            )
            continue
        parts = [part for g in lim.geom for part in _lines_of(g)]
        if sum(len(g.coords) for g in parts) > ctx.settings.max_vertices:
            raise DigitiseError(f"street {name} has too many vertices (> max_vertices)")
        lines[name] = _simple(_merge_street(parts, snap, issues, name), name)
    if unresolved or len(lines) < len(set(names)):
        return None, _without_at(issues), unresolved
    order = _without_repeats(names)
    corners: list[Point] = []
    for i, name in enumerate(order):
        nxt = order[(i + 1) % len(order)]
        near = corners[-1] if corners else lines[order[-1]]
        corner = _meeting(lines[name], lines[nxt], snap, near)
        if corner is None:
            gap = lines[name].distance(lines[nxt])
            issues.append(
                {
                    "type": "not_closed",
                    "street": f"{name} / {nxt}",
                    "message": f"cannot close the walk: {name} and {nxt} do not meet "
                    f"({gap:.0f} m apart, more than {snap:.0f} m)",
                }
            )
            return None, _without_at(issues), unresolved
        corners.append(corner)
    ring: list[tuple[float, float]] = []
    for i, name in enumerate(order):
        line = lines[name]
        start, end = corners[i - 1], corners[i]
        piece = substring(line, line.project(start), line.project(end))
        coords = list(piece.coords) if piece.geom_type == "LineString" else [start.coords[0]]
        ring.extend(coords)
    if len(ring) < 4:
        return None, _without_at(issues) + [_not_simple(order)], unresolved
    poly = _one_polygon(Polygon(ring))
    if poly is None:
        return None, _without_at(issues) + [_not_simple(order)], unresolved
    issues += _wrong_sides(poly, steps, lines)
    zone = poly
    if parent is not None:
        zone = poly.intersection(parent[0])
        lost = poly.area - zone.area
        if lost > max(1.0, 0.01 * poly.area):
            issues.append(
                {
                    "type": "outside_parent",
                    "message": f"{lost:.0f} m² of the walked area lies outside {parent[1]} "
                    "and is left out",
                }
            )
    # a gap or a second carriageway away from the walked edge is no issue of this rule
    edge = poly.exterior
    issues = [i for i in issues if "at" not in i or edge.distance(Point(i.pop("at"))) <= snap]
    return (zone if not zone.is_empty else None), issues, unresolved


def _without_at(issues: list[dict]) -> list[dict]:
    return [{k: v for k, v in i.items() if k != "at"} for i in issues]


def _one_polygon(ring: Polygon) -> Polygon | None:
    """The ring as one valid polygon: a spike where a street overshoots a corner (a zero-area
    sliver) is dropped; a ring that crosses itself into two real lobes is None."""
    if ring.is_valid:
        return ring if ring.area > 0 else None
    fixed = shapely.make_valid(ring)
    parts = [g for g in getattr(fixed, "geoms", [fixed]) if g.geom_type == "Polygon"]
    parts = [g for g in parts if g.area > 1.0]
    if len(parts) != 1 or parts[0].area < 0.99 * ring.area:
        return None
    return parts[0]


def _longest(geom) -> LineString:
    return max(_lines_of(geom), key=lambda g: g.length)


def _without_repeats(names: list[str]) -> list[str]:
    """The walk with a street named twice in a row (or last = first) read once."""
    out = [n for i, n in enumerate(names) if i == 0 or n != names[i - 1]]
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    return out


def _meeting(a: LineString, b: LineString, snap: float, near) -> Point | None:
    """Where ``a`` meets ``b``: their crossing — when they cross more than once, the one
    nearest ``near`` (the walk's previous corner, or for the first corner the street walked
    before ``a``) — else the middle of their nearest points within ``snap`` metres."""
    hit = a.intersection(b)
    points = [g for g in getattr(hit, "geoms", [hit]) if not g.is_empty]
    points = [p if p.geom_type == "Point" else p.representative_point() for p in points]
    if points:
        return min(points, key=lambda p: p.distance(near))
    if a.distance(b) > snap:
        return None
    pa, pb = nearest_points(a, b)
    return Point((pa.x + pb.x) / 2, (pa.y + pb.y) / 2)


def _wrong_sides(poly: Polygon, steps: list[dict], lines: dict[str, LineString]) -> list[dict]:
    """Each step's written side against the ring: the area must lie on that side of the street
    where the ring runs along it."""
    out = []
    edge = poly.exterior
    for step in steps:
        name, side = str(step.get("street")), str(step.get("side"))
        if side not in _AXIS or name not in lines:
            continue
        along = lines[name].intersection(edge.buffer(1.0))
        if along.is_empty or along.length < 2.0:
            continue
        mid = (
            along.interpolate(0.5, normalized=True)
            if along.geom_type == "LineString"
            else (along.representative_point())
        )
        dx, dy = _AXIS[side]
        probe = Point(mid.x + dx * 5.0, mid.y + dy * 5.0)
        back = Point(mid.x - dx * 5.0, mid.y - dy * 5.0)
        if poly.contains(back) and not poly.contains(probe):
            out.append(
                {
                    "type": "wrong_side",
                    "street": name,
                    "message": f"{name}: the text says the area lies {_WORD[side]}, the walk "
                    f"draws it {_WORD[_OPPOSITE[side]]}: check the text or the map",
                }
            )
    return out


_WORD = {"east_of": "以东", "west_of": "以西", "north_of": "以北", "south_of": "以南"}
_OPPOSITE = {
    "east_of": "west_of",
    "west_of": "east_of",
    "north_of": "south_of",
    "south_of": "north_of",
}


def _not_simple(order: list[str]) -> dict:
    return {
        "type": "not_closed",
        "message": f"the walk {'→'.join(order)} does not draw one simple ring: check the order "
        "of the streets or draw the area by hand",
    }
