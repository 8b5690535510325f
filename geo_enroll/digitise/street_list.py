"""Street lists (``street_list``: 双林路单号1-99号, X路两侧, 圣灯路(东侧), 长青路63号以后).

The zone is the frontage land, ``Settings.street_list_depth_m`` deep, on the named side(s) of
the street, between the positions of its numbers:

* the side: 单号/双号 (``sides``/``numbers.parity``) is the odd or even side as the map's house
  numbers show it (:mod:`.numbering`), else by the policy's rule (左单右双), said so; a side
  written in the text (东侧, the spec's ``side``) is that side of the street's centre line;
* the stretch: a range (``from``/``to``), an open range (``from`` only: 63号以后) or a list of
  numbers is cut half-way between the last number left out and the first taken in, on each
  side with its own numbers; a number the map cannot place makes the rule
  ``closed_with_issues`` with that reason (the whole side is drawn), never ``ok``;
* a base map with house-number *ranges* on its streets (``from_number``/``to_number``, the
  schematic town) is interpolated along those ranges instead;
* pieces of the same name far apart (another street elsewhere) are reported; the piece inside
  the rule's ``within`` area is used, else the longest, and the rule says it guessed;
* a bare name that matches only sections (环城路 → 环城路一段、二段) uses all of them and says
  which.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import shapely
from shapely.geometry import LineString
from shapely.ops import linemerge, substring, unary_union

from ..basemap.names import normalize_name
from ..errors import DigitiseError
from ._geometry import _clean, _lines_of
from ._lookup import SIDES, _Context
from ._streets import _MAX_JOIN_M, _extend, _merge_street
from .limits import _apply_notes
from .numbering import Numbering, learn_numbering

__all__ = [
    "_street_list",
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


_PLOT_M = 30.0  # a house's plot reaches no farther than this from its point
_END_PLOT_M = 20.0  # a street's line ends mid-crossing: its end plots reach this far past it

_SECTION_END = re.compile(r"(?:[东南西北中]?[一二三四五六七八九十\d]+段)$")
_SECTION_AFTER = re.compile(r"([东南西北中]?[一二三四五六七八九十\d]+段)")


def _bounds(numbers: dict) -> list[tuple[int | None, int | None]]:
    """Number intervals of a rule: a range or an open range, plus one per listed number that
    the range does not hold (双林路（双号22号-136号）：22号…136号、196号 also takes 196).

    >>> _bounds({"from": 63}), _bounds({"list": [1, 3]}), _bounds({"from": 9, "to": 1})
    ([(63, None)], [(1, 1), (3, 3)], [(1, 9)])
    >>> _bounds({"from": 22, "to": 136, "list": [22, 44, 196]})
    [(22, 136), (196, 196)]
    """
    lo, hi = numbers.get("from"), numbers.get("to")
    lo = lo if isinstance(lo, int) else None
    hi = hi if isinstance(hi, int) else None
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    ranged = lo is not None or hi is not None
    out = [(lo, hi)] if ranged else []
    listed = sorted({n for n in numbers.get("list") or [] if isinstance(n, int)})
    for n in listed:
        if not ranged or not ((lo is None or lo <= n) and (hi is None or n <= hi)):
            out.append((n, n))
    return out


def _clusters(geoms: list, gap: float) -> list[list[int]]:
    """Groups of geometries (indices) whose pieces are within ``gap`` of each other."""
    parent = list(range(len(geoms)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    tree = shapely.STRtree(geoms)
    for i, g in enumerate(geoms):
        for j in tree.query(g, predicate="dwithin", distance=gap):
            a, b = find(i), find(int(j))
            if a != b:
                parent[a] = b
    groups: dict[int, list[int]] = {}
    for i in range(len(geoms)):
        groups.setdefault(find(i), []).append(i)
    return sorted(groups.values(), key=lambda g: min(g))


def _pick_piece(ctx: _Context, rows, rule: dict, street: str, issues: list[dict]):
    """The rows of the one stretch of ``street`` the rule means (distant namesakes reported)."""
    geoms = list(rows.geometry)
    groups = _clusters(geoms, _MAX_JOIN_M)
    if len(groups) == 1:
        return rows
    lengths = [sum(geoms[i].length for i in g) for g in groups]
    parent = ctx.area_by(rule.get("within"), rule.get("within_code"))
    if parent is not None:
        inside = [sum(geoms[i].intersection(parent[0]).length for i in g) for g in groups]
        best = int(np.argmax(inside))
        guessed = inside[best] <= 0
    else:
        best = int(np.argmax(lengths))
        guessed = True
    far = [
        f"{lengths[k]:.0f} m at {shapely.unary_union([geoms[i] for i in g]).distance(shapely.unary_union([geoms[i] for i in groups[best]])):.0f} m"
        for k, g in enumerate(groups)
        if k != best
    ]
    issues.append(
        {
            "type": "distant_pieces" if guessed else "distant_piece",
            "street": street,
            "message": f"{street}: {len(groups)} pieces of this name lie far apart; used the "
            + (f"one in {parent[1]}" if not guessed else "longest")
            + f" ({lengths[best]:.0f} m), ignored {len(far)} ({'; '.join(far)})"
            + (": name the area (within) or the district to choose" if guessed else ""),
        }
    )
    return rows.iloc[groups[best]]


def _geo_side_is_left(line: LineString, depth: float, side: str) -> bool:
    """True when the geographic ``side`` (东/南/西/北) of ``line`` is its left side."""
    left = shapely.buffer(line, depth, single_sided=True)
    return _one_side(line, depth, side).equals(left)


def _street_list(ctx: _Context, rule: dict, district: str | None):
    """Polygon of a ``street_list`` rule: the frontage land along a street (街道门牌).

    See the module docstring; returns ``(polygon or None, issues, unresolved names)``.
    """
    issues: list[dict] = []
    street = str(rule.get("street") or "").strip()
    text = str(rule.get("fragment") or (rule.get("source") or {}).get("text") or "")
    section = (
        _SECTION_AFTER.match(text[text.find(street) + len(street) :]) if street in text else None
    )
    if street and section and not _SECTION_END.search(street):
        street += section.group(1)  # 长青路三段 is its own street, not 长青路
        issues.append(
            {
                "type": "section_from_text",
                "street": street,
                "message": f"{street}: the text names this section; the rule's street had lost it",
            }
        )
    m = ctx.street_index.lookup(normalize_name(street), district=district)
    if not street or not m.found:
        return None, issues, [{"name": street, "side": "street", "candidates": m.candidates}]
    if m.how == "whole":
        issues.append(
            {
                "type": "sections_used",
                "street": street,
                "message": f"{street}: the map has only its sections or parts; used all of "
                f"them: {'、'.join(m.names)}",
            }
        )
    rows = ctx.streets.iloc[m.rows]
    ctx.street_rows[str(rule.get("rule_id"))] = frozenset(int(r) for r in m.rows)
    depth = float(ctx.settings.street_list_depth_m)
    numbers = rule.get("numbers") if isinstance(rule.get("numbers"), dict) else {}
    parity = str(numbers.get("parity") or "all")
    if parity == "all" and rule.get("sides") in ("odd", "even"):
        parity = str(rule["sides"])
    span = _number_span(numbers)
    geo_side = SIDES.get(str(rule.get("side") or ""))
    if geo_side is None:
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
        zone = _ranged(ctx, ranged, span, parity, geo_side, street, issues)
        if zone is None:
            return None, issues, []
    else:
        rows = _pick_piece(ctx, rows, rule, street, issues)
        lines = [part for g in rows.geometry for part in _lines_of(g) if part.length > 0]
        if not lines:
            issues.append(
                {
                    "type": "not_closed",
                    "street": street,
                    "message": f"{street}: the map's features of this name have no length",
                }
            )
            return None, issues, []
        if sum(len(g.coords) for g in lines) > ctx.settings.max_vertices:
            raise DigitiseError(f"street {street} has too many vertices (> max_vertices)")
        bounds = _bounds(numbers)
        if not bounds and parity == "all" and geo_side is None:
            # both sides of the street as mapped: a stretch missing from the map stays out
            zone = shapely.buffer(linemerge(lines), depth, cap_style="flat")
            ctx.street_lines[str(rule.get("rule_id"))] = linemerge(lines)
            _merge_street(lines, ctx.settings.snap_gap_m, issues, street)  # reports its gaps
            ctx.claims[str(rule.get("rule_id"))] = ([street, *m.names], ["odd", "even"], [])
        else:
            line = _merge_street(lines, ctx.settings.snap_gap_m, issues, street)
            line = _extend(line, _END_PLOT_M)  # the corner plots at the street's ends
            ctx.street_lines[str(rule.get("rule_id"))] = line
            zone, sides = _numbered_sides(
                ctx,
                line,
                _spellings(rows, m.names),
                parity,
                geo_side,
                bounds,
                street,
                issues,
                ranged=ranged,
            )
            if zone is None:
                return None, issues, []
            # a stretch missing from the map (a gap the merged line bridges) stays out
            mapped = shapely.buffer(shapely.union_all(lines), depth + 5.0)
            zone = _clean(shapely.make_valid(zone.intersection(mapped)))
            if sides:
                ctx.claims[str(rule.get("rule_id"))] = (
                    [street, *_spellings(rows, m.names)],
                    sides,
                    bounds,
                )
    parent = ctx.area_by(rule.get("within"), rule.get("within_code"))
    if parent is not None:
        zone = zone.intersection(parent[0])
    # 解放路1-99号（不含幸福小区）: taken out as the limits' exclusions are (one not on the map
    # is reported unresolved, never dropped in silence)
    unresolved: list[dict] = []
    zone = _apply_notes(ctx, zone, [str(x) for x in rule.get("exclude") or []], unresolved)
    zone = _clean(zone)
    return (None if zone.is_empty else zone), issues, unresolved


def _spellings(rows, names) -> list[str]:
    """Every name the map gives the street's rows (name and aliases): addresses may use any."""
    out = list(names)
    for alias in rows["aliases"] if "aliases" in rows.columns else []:
        out += [a for a in str(alias or "").split("|") if a]
    return list(dict.fromkeys(out))


def _range_points(ranged, odd_side: str) -> list:
    """House points a range-numbered map implies (``from_number``..``to_number`` per row):
    numbers spread along each row, odd ones on the policy's odd side, 10 m off the line."""
    pts = []
    for geom, a, b in zip(ranged.geometry, ranged["from_number"], ranged["to_number"], strict=True):
        line = linemerge(_lines_of(geom)) if geom.geom_type != "LineString" else geom
        if line.geom_type != "LineString" or line.length == 0 or int(a) == int(b):
            continue
        a, b = int(a), int(b)
        for n in range(min(a, b), max(a, b) + 1, max(1, abs(b - a) // 20)):
            s = line.length * (n - a) / (b - a)
            p, q = line.interpolate(s - 0.5), line.interpolate(s + 0.5)
            dx, dy = (q.x - p.x), (q.y - p.y)
            norm = float(np.hypot(dx, dy)) or 1.0
            toward = 1.0 if b > a else -1.0  # facing increasing numbers
            left = (n % 2 == 1) == (odd_side == "left")
            k = 10.0 * toward * (1.0 if left else -1.0) / norm
            c = line.interpolate(s)
            pts.append((shapely.Point(c.x - dy * k, c.y + dx * k), n))
    return pts


def _numbered_sides(ctx, line, names, parity, geo_side, bounds, street, issues, ranged=None):
    """The strips of one street's side(s) between the positions of its numbers."""
    depth = float(ctx.settings.street_list_depth_m)
    if geo_side is not None and not bounds:  # 圣灯路（东侧）: no numbering needed
        return _one_side(line, depth, geo_side), []
    points = ctx.address_points([street, *names])
    from_ranges = not points and ranged is not None and len(ranged) > 0
    if from_ranges:  # a map with house-number ranges (the schematic town): their direction
        points = _range_points(ranged, ctx.settings.street_list_odd_side)
    numbering, notes = learn_numbering(
        line,
        street,
        points,
        centre=ctx.centre,
        odd_side=ctx.settings.street_list_odd_side,
    )
    if from_ranges and numbering.source == "map":
        numbering = replace(
            numbering,
            source="map",
            note=f"{street}: numbering from the map's house-number ranges (direction); odd "
            f"numbers on the {numbering.odd_side} by the policy's rule (左单右双)",
        )
    if geo_side is not None:  # the side is written; numbering only places the numbers
        notes = [n for n in notes if n["type"] != "numbering_assumed"]
        left = _geo_side_is_left(numbering.line, depth, geo_side)
        side_parities = ["odd" if left == (numbering.odd_side == "left") else "even"]
        other = "even" if side_parities[0] == "odd" else "odd"
        written = {"odd" if lo % 2 else "even" for lo, hi in bounds if lo is not None and lo == hi}
        if numbering.source == "map" and written == {other}:
            issues.append(
                {
                    "type": "side_parity_conflict",
                    "street": street,
                    "message": f"{street}: the text puts these numbers on the {geo_side} side, "
                    f"but the map's numbers there are {side_parities[0]}: drawn on the "
                    f"{geo_side} side where the {other} numbers stand across the street",
                }
            )
            return _placed_on(numbering, other, bounds, left, depth, street, issues), []
    elif parity in ("odd", "even"):
        side_parities = [parity]
    else:
        side_parities = ["odd", "even"]
        notes = [n for n in notes if n["type"] != "numbering_assumed"]  # both sides: no guess
    issues += notes
    if numbering.source == "map":
        issues.append({"type": "numbering", "street": street, "message": numbering.note})
    strips = []
    for p in side_parities:
        pieces = _side_pieces(numbering, p, bounds, street, issues)
        left = numbering.is_left(p)
        for a, b in pieces:
            piece = substring(numbering.line, a, b)
            if piece.length > 0:
                strips.append(shapely.buffer(piece, depth if left else -depth, single_sided=True))
    if not strips:
        issues.append(
            {
                "type": "not_closed",
                "street": street,
                "message": f"{street}: none of the numbers could be placed on the map",
            }
        )
        return None, []
    return unary_union(strips), (side_parities if numbering.source == "map" else [])


def _placed_on(numbering, parity, bounds, left, depth, street, issues):
    """Numbers of ``parity`` placed along the street, drawn on the ``left`` (or right) side."""
    strips = []
    for a, b in _side_pieces(numbering, parity, bounds, street, issues):
        piece = substring(numbering.line, a, b)
        if piece.length > 0:
            strips.append(shapely.buffer(piece, depth if left else -depth, single_sided=True))
    return unary_union(strips) if strips else None


def _side_pieces(numbering: Numbering, parity: str, bounds, street: str, issues: list[dict]):
    """(start, end) stretches along the numbering line of ``bounds`` on the ``parity`` side."""
    length = numbering.line.length
    if not bounds:
        return [(0.0, length)]
    if numbering.source != "map":
        shown = "、".join(
            f"{lo if lo is not None else ''}-{hi if hi is not None else ''}" for lo, hi in bounds
        )
        issues.append(
            {
                "type": "numbers_not_placed",
                "street": street,
                "message": f"{street}: the map has no house numbers to place {shown}号: the "
                "whole side is drawn, not the numbered stretch",
            }
        )
        return [(0.0, length)]
    out = []
    for lo, hi in bounds:
        a, b, note = numbering.interval(parity, lo, hi)
        if a is None:
            # a number of the other parity on a one-parity side is simply not on this side
            if lo is not None and lo == hi and (lo % 2 == 1) != (parity == "odd"):
                continue
            issues.append(
                {"type": "numbers_not_placed", "street": street, "message": f"{street}: {note}"}
            )
            continue
        if note:
            issues.append(
                {"type": "numbers_not_placed", "street": street, "message": f"{street}: {note}"}
            )
        out.append((a, b))
    return out


def _ranged(ctx, ranged, span, parity, geo_side, street, issues):
    """The numbered stretch of a street whose map rows carry house-number ranges."""
    depth = float(ctx.settings.street_list_depth_m)
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
        return None
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
    return unary_union(strips)


def separate_crossings(strips: list[dict], *, grid: float = 2.0) -> list[dict]:
    """Split the land two schools' strips of *different* streets both cover (a corner).

    Where the frontage of 福州路 (one school) and of 西藏中路 (another) overlap at their
    crossing, the text gives the corner to neither twice: each point goes to the strip whose
    street is nearer (the corner is cut along the bisector of the two streets).  Strips of the
    same street are left alone: if they overlap, the text names that stretch twice, and the
    diagnostics report it with both rules.

    Parameters
    ----------
    strips : dicts with ``school_id``, ``street`` (a name, or the set of base-map rows it is
        drawn from: strips sharing a row are the same street), ``line`` and ``geometry``
        (working CRS); a new list with ``geometry`` replaced is returned, plus ``cut`` (m²
        given away) per strip.

    >>> from shapely.geometry import LineString
    >>> a = {"school_id": "a", "street": "甲路", "line": LineString([(-100, 0), (100, 0)])}
    >>> b = {"school_id": "b", "street": "乙路", "line": LineString([(0, -100), (0, 100)])}
    >>> for s in (a, b):
    ...     s["geometry"] = s["line"].buffer(20, cap_style="flat")
    >>> out = separate_crossings([a, b])
    >>> round(out[0]["geometry"].intersection(out[1]["geometry"]).area, 1)
    0.0
    >>> round(out[0]["geometry"].area + out[1]["geometry"].area) == round(a["geometry"].union(b["geometry"]).area)
    True
    """
    out = [dict(s, cut=0.0) for s in strips]
    geoms = [s["geometry"] for s in out]
    if len(geoms) < 2:
        return out
    tree = shapely.STRtree(geoms)
    for i in range(len(out)):
        for j in tree.query(out[i]["geometry"], predicate="intersects"):
            j = int(j)
            if j <= i:
                continue
            a, b = out[i], out[j]
            if a["school_id"] == b["school_id"] or _same_street(a["street"], b["street"]):
                continue
            if a.get("line") is None or b.get("line") is None:
                continue
            try:
                split = _split_pair(a, b, grid)
            except shapely.errors.GEOSException:  # left as drawn; the overlap is then reported
                a["failed"] = b["failed"] = True
                continue
            if split is None:
                continue
            (a["geometry"], b["geometry"]), (a_gave, b_gave) = split
            a["cut"] += a_gave
            b["cut"] += b_gave
    return out


def _polygonal(geom):
    """The polygonal part of ``geom`` (fast path for a polygon: returned as it is)."""
    if geom.geom_type in ("Polygon", "MultiPolygon") and geom.area >= 1.0:
        return geom
    return _clean(geom)


def _split_pair(a: dict, b: dict, grid: float):
    """((a's new geometry, b's), (area a gave, area b gave)) of two crossing strips, or None."""
    inter = _polygonal(shapely.make_valid(a["geometry"].intersection(b["geometry"])))
    if inter.area < 1.0:
        return None
    near_a = _polygonal(shapely.make_valid(_nearer_region(a["line"], b["line"], inter, grid)))
    a_keeps = _polygonal(inter.intersection(near_a))
    b_keeps = _polygonal(inter.difference(near_a))
    new_a = _polygonal(shapely.make_valid(a["geometry"].difference(b_keeps)))
    new_b = _polygonal(shapely.make_valid(b["geometry"].difference(a_keeps)))
    return (new_a, new_b), (b_keeps.area, a_keeps.area)


def _same_street(a, b) -> bool:
    """Same street: the same name, or (sets of base-map rows) a map row in common."""
    if isinstance(a, (set, frozenset)) and isinstance(b, (set, frozenset)):
        return bool(a & b)
    return a == b


def _nearer_region(line_a, line_b, area, grid: float):
    """The part of ``area`` nearer to ``line_a`` than to ``line_b`` (Voronoi of their vertices)."""
    reach = area.envelope.buffer(60.0)
    pa = shapely.segmentize(line_a.intersection(reach), grid)
    pb = shapely.segmentize(line_b.intersection(reach), grid)
    xa, xb = shapely.get_coordinates(pa), shapely.get_coordinates(pb)
    if len(xa) == 0:
        return shapely.Polygon()
    if len(xb) == 0:
        return area
    xy = np.round(np.vstack([xa, xb]), 3)
    label = np.r_[np.ones(len(xa), bool), np.zeros(len(xb), bool)]
    xy, first = np.unique(xy, axis=0, return_index=True)  # a shared vertex (the crossing): a's
    of_a = {tuple(q) for q in np.round(xa, 3)}
    label = label[first] | np.array([tuple(p) in of_a for p in xy])
    if label.all():
        return area
    cells = shapely.voronoi_polygons(
        shapely.multipoints(xy), extend_to=reach.envelope, ordered=True
    )
    cells_a = [c for c, mine in zip(cells.geoms, label, strict=True) if mine]
    return shapely.coverage_union_all(cells_a).intersection(area)


def _covers(claim, number: int) -> bool:
    """Does a rule's claim (names, sides, number bounds) take house ``number`` of its street?"""
    _names, parities, bounds = claim
    if ("odd" if number % 2 else "even") not in parities:
        return False
    return not bounds or any(
        (lo is None or lo <= number) and (hi is None or number <= hi) for lo, hi in bounds
    )


def claim_houses(strips: list[dict], houses: list[tuple]) -> list[dict]:
    """Give each known house of the map the strip of the school its street and number name.

    A strip's geometry cannot tell which street a corner plot is numbered on, nor a house
    standing on the "wrong" side; the map's house points can.  Every house point (``houses``:
    ``(point, normalised street, number)``, working CRS) that one school's rules cover but that
    lies in another school's strip takes its plot (its Voronoi cell among all house points) out
    of that strip and into its own school's strip of that street; a plot reaches at most
    ``_PLOT_M`` (30 m) from its point.

    Parameters
    ----------
    strips : dicts with ``rule_id``, ``school_id``, ``geometry`` and ``claim`` (names, sides,
        number bounds; None when the rule cannot say which numbers it covers).

    Returns a new list with ``geometry`` replaced and ``moved`` (houses given away) and
    ``taken`` (houses received) per strip.

    >>> from shapely.geometry import Point, box
    >>> a = {"rule_id": "a", "school_id": "A", "geometry": box(0, 0, 100, 50),
    ...      "claim": (["甲路"], ["odd"], [])}
    >>> b = {"rule_id": "b", "school_id": "B", "geometry": box(100, 0, 200, 50),
    ...      "claim": (["乙路"], ["odd"], [])}
    >>> houses = [(Point(95, 20), "乙路", 1), (Point(50, 20), "甲路", 3), (Point(150, 20), "乙路", 5)]
    >>> out = claim_houses([a, b], houses)
    >>> out[1]["geometry"].contains(Point(95, 20)), out[0]["geometry"].contains(Point(95, 20))
    (True, False)
    """
    out = [dict(s, moved=0, taken=0) for s in strips]
    if len(out) < 2 or not houses:
        return out
    by_street: dict[str, list[int]] = {}
    for k, s in enumerate(out):
        if s.get("claim") is not None:
            for name in {normalize_name(n) for n in s["claim"][0]}:
                by_street.setdefault(name, []).append(k)
    owner = []
    for _pt, street, number in houses:
        who = {
            (k, out[k]["school_id"])
            for k in by_street.get(street, [])
            if _covers(out[k]["claim"], number)
        }
        schools = {sid for _, sid in who}
        owner.append(min(who) if len(schools) == 1 else None)  # the text names one school
    tree = shapely.STRtree([s["geometry"] for s in out])
    hp, hk = tree.query([p for p, _, _ in houses], predicate="within")
    wrong = []
    for i, k in zip(hp.tolist(), hk.tolist(), strict=True):
        if owner[i] is not None and out[k]["school_id"] != owner[i][1]:
            wrong.append((i, k, owner[i][0]))
    if not wrong:
        return out
    xy = np.round(np.array([(p.x, p.y) for p, _, _ in houses]), 2)
    uniq, inverse = np.unique(xy, axis=0, return_inverse=True)
    extent = unary_union([s["geometry"] for s in out]).envelope.buffer(100.0)
    if len(uniq) < 2:  # one house point: its plot is everything around it
        cells = [extent]
    else:
        cells = shapely.voronoi_polygons(shapely.multipoints(uniq), extend_to=extent, ordered=True)
        cells = list(cells.geoms)
    for i, k, k_own in wrong:
        # its plot: its Voronoi cell, at most _PLOT_M around it (sparse points claim no block)
        cell = cells[int(np.ravel(inverse)[i])].intersection(houses[i][0].buffer(_PLOT_M))
        try:
            piece = _clean(shapely.make_valid(cell.intersection(out[k]["geometry"])))
            if piece.is_empty:
                continue
            given = _clean(shapely.make_valid(out[k]["geometry"].difference(cell)))
            taken = _clean(shapely.make_valid(out[k_own]["geometry"].union(piece)))
        except shapely.errors.GEOSException:  # left as drawn
            out[k]["failed"] = True
            continue
        out[k]["geometry"], out[k_own]["geometry"] = given, taken
        out[k]["moved"] += 1
        out[k_own]["taken"] += 1
    return out
