"""Four-sided street limits (``street_limits``: 南郊社区（东至东大桥，南至察哈尔街…）).

The parent area is cut on the inner side of each named limit (``东至X`` keeps the land west of
X); a compound named as a limit is a straight cut at its far edge unless the text names the
edge, a bridge is the river or railway it crosses.  Wrong sides, gaps between limits, limits
crossing several times and limits that do not bound the zone are reported.  Exclusions and
inclusions (:func:`_apply_notes`) are shared with the directional and enclosed readers.
"""

from __future__ import annotations

import math

import numpy as np
from shapely.geometry import Point, Polygon
from shapely.ops import unary_union

from ..errors import DigitiseError
from ._geometry import (
    _axis_cut,
    _axis_line,
    _clean,
    _edge_length,
    _half_plane,
    _lines_of,
    _points_of,
)
from ._lookup import SIDES, _Context, _Limit, _parse_limit, _resolve_limit
from ._streets import _extend, _merge_street, _simple

__all__ = [
    "_street_limits",
    "_apply_notes",
]


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
