"""Directional bounds (``directional_bounds``: 湖墅北路以西，教工路以东，大关路以南…).

``X以东`` makes X the west limit, and the bounds are read as street limits of the parent
(``within``, else the town); bracketed notes (除X小区) are cut out and ``negate`` (除…以外)
keeps the rest.  A rule with enclosing streets and no sides (所围成的区域) goes to
:mod:`geo_enroll.digitise.enclosed`.
"""

from __future__ import annotations

import re

from shapely.ops import unary_union

from ._geometry import _clean
from ._lookup import SIDES, _Context
from .enclosed import _enclosed
from .limits import _apply_notes, _street_limits
from .walked import _walked

__all__ = [
    "_EXCLUDE_NOTE",
    "_INCLUDE_NOTE",
    "_notes",
    "_directional",
]

# (除昆仑公馆小区) / （不含X、Y） written after directional bounds
_EXCLUDE_NOTE = re.compile(r"[（(](?:除|不含|不包括)([^）)]+?)(?:以外|之外|除外)?[）)]")

_INCLUDE_NOTE = re.compile(r"[（(](?:含|包括)([^）)]+)[）)]")

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
    if parent is None and rule.get("within"):  # 新沙路以北的万科: a compound's own polygon
        found = ctx.polygon_feature(str(rule["within"]))
        parent = (found[0], str(rule["within"])) if found else None
    if parent is None and not (rule.get("within") or rule.get("within_code")) and len(ctx.areas):
        # only a rule that names no parent falls back to the town: one whose parent is not
        # on the map is not closed (never the whole town beyond the street)
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
    if rule.get("walked"):  # A以西→B以北→C以西…: the ring the walk draws
        zone, more, unresolved = _walked(
            ctx, list(rule.get("bounds") or []), district, parent=parent
        )
        if zone is not None and excludes:
            zone = _clean(_apply_notes(ctx, zone, excludes, unresolved))
        return zone, issues + more, unresolved
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
