"""The digitiser's driver: every rule of a zone spec to a zone polygon, with diagnostics.

:func:`digitise` dispatches each rule to its reader (:mod:`~geo_enroll.digitise.limits`,
:mod:`~geo_enroll.digitise.directional`, :mod:`~geo_enroll.digitise.street_list`, compounds,
admin units), grades its status and gathers the zones (EPSG:4326) into a
:class:`DigitiseResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import shapely

from ..basemap.layers import BaseMap
from ..errors import DigitiseError, ZoneSpecError
from ..settings import DEFAULT_SETTINGS, Settings
from ._lookup import _Context
from ._units import _unit_areas, _units_coverage
from .directional import _directional
from .limits import _street_limits
from .street_list import _street_list, claim_houses, separate_crossings

__all__ = [
    "digitise",
    "DigitiseResult",
    "ZONE_COLUMNS",
]

#: Attribute columns of a zones layer (docs/ARCHITECTURE.md, "Zones"), in layer order.
ZONE_COLUMNS = (
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
    no_area : list[dict]
        Schools of the spec with no rule at all (``school_id``, ``school``, ``level``): the
        policy names them but no area of theirs could be read; a planner must draw it.
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
    no_area: list[dict] = field(default_factory=list)


_FAR_M = 500.0  # pieces of one name farther apart than this are different places


def _replace_strip(k, new, geoms, coverage, entry, kind: str, message: str) -> None:
    """Put a re-cut strip in place of zone ``k`` (and its coverage piece) and say why."""
    old = geoms[k]
    geoms[k] = new
    for c in coverage:
        if c["geometry"] is old:
            c["geometry"] = new
    entry["area_m2"] = round(float(new.area), 1)
    entry["issues"].append({"type": kind, "message": message})


def _split_corners(ctx, rows, geoms, coverage, rules) -> None:
    """Street-list strips of different schools on crossing streets: the corner is cut between
    them (:func:`~geo_enroll.digitise.street_list.separate_crossings`), in place."""
    spec_rules = {r["rule_id"]: r for r in rules}
    picked = [k for k, row in enumerate(rows) if row["kind"] == "street_list"]
    if len(picked) < 2:
        return
    strips = [
        {
            "school_id": rows[k]["school_id"],
            "street": ctx.street_rows.get(rows[k]["rule_id"], frozenset()),
            "line": ctx.street_lines.get(rows[k]["rule_id"]),
            "geometry": geoms[k],
        }
        for k in picked
    ]
    for k, strip in zip(picked, separate_crossings(strips), strict=True):
        if strip["cut"] < 1.0:
            continue
        _replace_strip(
            k,
            strip["geometry"],
            geoms,
            coverage,
            spec_rules[rows[k]["rule_id"]],
            "corner_split",
            f"{strip['cut']:.0f} m² at crossings with other schools' streets "
            "given to the nearer street's strip",
        )
    houses = _claimed_houses(ctx)
    if not houses:
        return
    strips = [
        dict(st, geometry=geoms[k], claim=ctx.claims.get(rows[k]["rule_id"]))
        for k, st in zip(picked, strips, strict=True)
    ]
    for k, strip in zip(picked, claim_houses(strips, houses), strict=True):
        if not (strip["moved"] or strip["taken"]):
            continue
        _replace_strip(
            k,
            strip["geometry"],
            geoms,
            coverage,
            spec_rules[rows[k]["rule_id"]],
            "houses_claimed",
            f"the map's house points decide: {strip['moved']} house(s) another "
            f"school's rule names given away, {strip['taken']} of this rule's taken in",
        )


def _claimed_houses(ctx) -> list[tuple]:
    """(point, normalised street, number) of the map's houses on streets the rules name."""
    from ..basemap.names import normalize_name

    if ctx.addresses is None or not ctx.claims:
        return []
    names = {normalize_name(n) for names, _, _ in ctx.claims.values() for n in names}
    streets = ctx.addresses["street"].map(normalize_name)
    hit = ctx.addresses[streets.isin(names)]
    return list(
        zip(
            hit.geometry,
            streets[streets.isin(names)],
            hit["number"].astype(int),
            strict=True,
        )
    )


def _levels(level: str) -> list[str]:
    return ["primary", "middle"] if level == "nine_year" else [level]


def digitise(
    spec: dict,
    basemap: BaseMap,
    *,
    settings: Settings = DEFAULT_SETTINGS,
    district: str | None = None,
) -> DigitiseResult:
    """Turn the polygon rules of a zone spec into zones on a base map (see :mod:`geo_enroll.digitise`).

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
                        parts = list(getattr(geom, "geoms", [geom]))
                        far = [g for g in parts[1:] if g.distance(parts[0]) > _FAR_M]
                        if far:  # two compounds of one name: which one is not ours to guess
                            issues.append(
                                {
                                    "type": "distant_pieces",
                                    "message": f"{name}: {len(far) + 1} places of this name lie "
                                    f"more than {_FAR_M:.0f} m apart; all are drawn: name the "
                                    "area (within) to choose",
                                }
                            )
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
                elif kind == "remainder":  # 其余区域: what no other school's zone takes
                    entry["status"] = "not_digitised"
                    entry["issues"].append(
                        {
                            "type": "remainder",
                            "message": "其余区域：其他学校划片以外的地址在查询时归本校，不单独画出 "
                            "(the rest of a place: matched at lookup, not drawn)",
                        }
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
                    "side_parity_conflict",
                    "numbers_not_placed",
                    "numbering_assumed",
                    "numbering_mixed",
                    "numbering_unclear",
                    "distant_pieces",
                    "sections_used",
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
    _split_corners(ctx, rows, geoms, coverage, rules)
    for k in reversed(range(len(geoms))):  # a strip with nothing left (all given away)
        if geoms[k].is_empty or geoms[k].area < 1.0:
            gone = geoms[k]
            entry = next(r for r in rules if r["rule_id"] == rows[k]["rule_id"])
            entry["status"] = "not_closed"
            entry["area_m2"] = 0.0
            entry["issues"].append(
                {
                    "type": "not_closed",
                    "message": "nothing is left of this strip: other schools' rules name the "
                    "houses it covered",
                }
            )
            del geoms[k], rows[k]
            coverage[:] = [c for c in coverage if c["geometry"] is not gone]
    zones = (
        gpd.GeoDataFrame(rows, geometry=geoms, crs=ctx.crs)
        if rows
        else gpd.GeoDataFrame(
            {c: [] for c in ZONE_COLUMNS},
            geometry=[],
            crs=ctx.crs,
        )
    )
    zones = zones.to_crs(4326)
    snapped = shapely.set_precision(shapely.make_valid(zones.geometry.values), 1e-7)
    mixed = shapely.get_type_id(snapped) == 7  # a GeometryCollection: a part collapsed
    if mixed.any():
        snapped[mixed] = [  # its polygonal parts (degrees here: no area filter)
            shapely.union_all([p for p in g.geoms if p.geom_type in ("Polygon", "MultiPolygon")])
            for g in snapped[mixed]
        ]
    zones["geometry"] = shapely.orient_polygons(snapped, exterior_cw=False)
    domain = {}
    if len(ctx.areas):
        for _, row in ctx.areas[ctx.areas["kind"].isin(["town", "community"])].iterrows():
            domain[(row["kind"], row["name"])] = row.geometry
    no_area = [
        {
            "school_id": str(s.get("id", "")),
            "school": str(s.get("name", "")),
            "level": s.get("level"),
        }
        for s in spec["schools"]
        if not s.get("zones")
    ]
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
        no_area,
    )
