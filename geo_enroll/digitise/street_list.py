"""Street lists (``street_list``: 双林路单号1-99号, X路两侧, 圣灯路(东侧)).

The zone is the frontage land, ``Settings.street_list_depth_m`` deep, on the named side(s) of
the street, limited to the numbered stretch when the base map has house-number ranges (and
saying so when it has none).
"""

from __future__ import annotations

import re

import shapely
from shapely.geometry import LineString
from shapely.ops import linemerge, unary_union

from ..basemap.names import normalize_name
from ..errors import DigitiseError
from ._geometry import _clean, _lines_of
from ._lookup import _Context
from ._streets import _merge_street

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
