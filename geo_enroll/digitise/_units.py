"""Admin-unit rules (``admin_units``, ``alternative``, ``multi_school``, ``free_choice``).

These are matched by official code, not drawn; the digitiser records the base-map areas their
units name and the land they cover, for :mod:`geo_enroll.diagnostics`.
"""

from __future__ import annotations

from shapely.ops import unary_union

from ._lookup import _Context

__all__ = [
    "_unit_areas",
    "_units_coverage",
]


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
