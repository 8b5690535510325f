"""Diagnostics of a digitised zoning: gaps (无学校覆盖), overlaps (重复划片), unresolved names.

Every gap and overlap carries its mean ``width_m`` (2 × area / perimeter); parts thinner than
half a metre are listed apart as ``sliver_gaps``/``sliver_overlaps`` (two edges that should be
one, a house there gets no school or two), never dropped.  A ``multi_school`` declaration
hides an overlap only of its own schools *both*, inside its own area (or its own zones): the
same two schools overlapping elsewhere stay listed, with ``pair_declared_by``.

Per level (primary, middle) the zones and the admin units matched by code form a coverage of
the town.  A **gap** is land in the town or a community that no zone serves; an **overlap** is
land served by zones of two schools when the policy does not declare it (``multi_school``,
``alternative`` or ``free_choice`` rules).  Each is reported with its area in m², a
representative point (lon, lat) and the rules involved: for an overlap the two rules, for a
gap the drawn zones that share an edge with it (``rules``) and, labelled apart, the admin-unit
rules of the community or town it lies in (``unit_rules``: a unit named with a group, a
sub-area or an exclusion has no polygon and can leave such a gap).  Admin-unit rules of
neighbouring units are not named.  Overlaps are found with
``shapely.coverage_is_valid`` first (a quick yes/no) and then pairwise intersections on an
STR-tree; gaps are the difference between the domain and the union of the coverage.

    >>> from shapely.geometry import box
    >>> cov = [{"rule_id": "a", "school_id": "s1", "geometry": box(0, 0, 60, 100)},
    ...        {"rule_id": "b", "school_id": "s2", "geometry": box(50, 0, 90, 100)}]
    >>> found = find_gaps_overlaps(cov, {"town": box(0, 0, 100, 100)})
    >>> [(g["area_m2"], g["where"]) for g in found["gaps"]]
    [(1000.0, 'town')]
    >>> [(o["area_m2"], o["rules"]) for o in found["overlaps"]]
    [(1000.0, ['a', 'b'])]
"""

from __future__ import annotations

import json
from pathlib import Path

import shapely
from pyproj import Transformer
from shapely.ops import unary_union
from shapely.strtree import STRtree

from .settings import DEFAULT_SETTINGS, Settings

__all__ = ["find_gaps_overlaps", "build_report", "write_report", "summary_text"]


_GRID = 0.01  # metres
_TOUCH_M = 0.1  # a zone within this distance of a gap's edge may share it
_MIN_SHARED_M = 1.0  # ... and shares it when this much edge is common (a corner is not)
_UNIT_KINDS = ("admin_units", "alternative", "multi_school", "free_choice")
_MIN_WIDTH_M = 0.5  # thinner parts (2 x area / perimeter) are numerical slivers


def _width(poly) -> float:
    """Mean width of a polygon part in metres (2 × area / perimeter: a strip's width)."""
    return 2 * poly.area / poly.length if poly.length else 0.0


def _split_parts(geom) -> tuple[list, list]:
    """(parts, slivers) of a gap or overlap: polygon parts at least half a metre wide, and the
    thinner ones (an opening by ``_MIN_WIDTH_M`` separates them) reported apart with their
    width."""
    if geom is None or geom.is_empty:
        return [], []
    if geom.geom_type == "Polygon":
        if _width(geom) < _MIN_WIDTH_M:
            return [], [geom]
        opened = geom.buffer(-_MIN_WIDTH_M / 2, join_style="mitre").buffer(
            _MIN_WIDTH_M / 2, join_style="mitre"
        )
        wide = [
            p
            for p in getattr(opened, "geoms", [opened])
            if p.geom_type == "Polygon" and not p.is_empty
        ]
        rest = geom.difference(opened) if wide else geom
        thin = [
            p for p in getattr(rest, "geoms", [rest]) if p.geom_type == "Polygon" and not p.is_empty
        ]
        return wide, thin
    wide, thin = [], []
    for g in getattr(geom, "geoms", []):
        a, b = _split_parts(g)
        wide += a
        thin += b
    return wide, thin


def _parts(geom):
    """Polygon parts of a geometry at least half a metre wide (see :func:`_split_parts`)."""
    return _split_parts(geom)[0]


def _declared_here(d: dict, a: dict, b: dict) -> bool | None:
    """Does declaration ``d`` cover an overlap of coverage entries ``a`` and ``b``?

    True (wherever they overlap), None (only inside ``d['geometry']``) or False.  A rule
    declaring several schools (``multi_school``) covers a pair only when *both* schools are
    its own, and without a polygon only its own zones (by ``rule_id``): it never hides the
    two schools' other zones overlapping elsewhere.  A one-school declaration
    (``alternative``, ``free_choice``) covers overlaps of that school.
    """
    schools = set(d.get("schools") or [])
    pair = {a["school_id"], b["school_id"]}
    if d.get("rule_id") is not None and d.get("rule_id") in (a.get("rule_id"), b.get("rule_id")):
        return True
    if len(schools) >= 2:
        if not pair <= schools:
            return False
        return None if d.get("geometry") is not None else False
    if not pair & schools:
        return False
    return True if d.get("geometry") is None else None


def _entry(part, to_lonlat, convert) -> dict:
    p = part.representative_point()
    return {
        "area_m2": round(part.area, 1),
        "width_m": round(_width(part), 2),
        "point": [round(v, 6) for v in convert(p.x, p.y)],
    }


def _geojson(geom, to_lonlat) -> dict:
    """GeoJSON geometry (lon/lat, 6 decimals, simplified to 0.5 m) of a gap or overlap."""
    geom = geom.simplify(0.5)
    if to_lonlat is not None:
        geom = shapely.transform(geom, lambda xy: _stack(to_lonlat(xy[:, 0], xy[:, 1])))
    geom = shapely.set_precision(geom, 1e-6)
    return json.loads(shapely.to_geojson(geom))


def _stack(pair):
    import numpy as np

    return np.column_stack(pair)


def find_gaps_overlaps(
    coverage: list[dict],
    domain: dict,
    *,
    declared: list[dict] | None = None,
    min_area_m2: float = DEFAULT_SETTINGS.min_diagnostic_area_m2,
    to_lonlat=None,
) -> dict:
    """Gaps and overlaps of one level's coverage (all geometry in metres).

    Parameters
    ----------
    coverage : dicts with ``rule_id``, ``school_id``, ``geometry`` and optionally ``kind``
        (admin-unit kinds are never named as touching a gap).
    domain : ``name -> polygon`` of the land that must be served (town, communities); a gap
        is reported once, under the most specific domain polygon that contains it.
    declared : rules declaring shared land: ``schools``, ``geometry`` (None: no polygon) and
        optionally ``rule_id`` (see :func:`_declared_here`).
    to_lonlat : ``(x, y) -> (lon, lat)`` for the representative points (identity if None).
    """
    declared = declared or []
    convert = to_lonlat or (lambda x, y: (x, y))
    # a common 1 cm grid makes edges that should coincide coincide (no numerical slivers)
    geoms = [shapely.set_precision(c["geometry"], _GRID) for c in coverage]
    domain = {k: shapely.set_precision(v, _GRID) for k, v in domain.items()}
    result = {
        "gaps": [],
        "overlaps": [],
        "sliver_gaps": [],
        "sliver_overlaps": [],
        "coverage_valid": True,
    }
    if geoms:
        result["coverage_valid"] = bool(shapely.coverage_is_valid(shapely.make_valid(geoms)))
    # overlaps: pairs of different schools
    tree = STRtree(geoms)
    seen = set()
    for i, geom in enumerate(geoms):
        for j in tree.query(geom, predicate="intersects"):
            j = int(j)
            if j <= i or (i, j) in seen:
                continue
            seen.add((i, j))
            a, b = coverage[i], coverage[j]
            if a["school_id"] == b["school_id"]:
                continue
            inter = geom.intersection(geoms[j])
            pairs_declared = []
            for d in declared:
                here = _declared_here(d, a, b)
                if here is True:
                    inter = shapely.Polygon()
                elif here is None:
                    inter = inter.difference(d["geometry"])
                elif {a["school_id"], b["school_id"]} <= set(d.get("schools") or []):
                    pairs_declared.append(d.get("rule_id") or "")
            wide, thin = _split_parts(inter)
            for key, parts in (("overlaps", wide), ("sliver_overlaps", thin)):
                for part in parts:
                    if part.area < min_area_m2:
                        continue
                    entry = _entry(part, to_lonlat, convert)
                    entry.update(
                        rules=[a["rule_id"], b["rule_id"]],
                        schools=[a["school_id"], b["school_id"]],
                        geometry=_geojson(part, to_lonlat),
                    )
                    if pairs_declared:  # shared somewhere on purpose, but not shown to be here
                        entry["pair_declared_by"] = sorted(set(pairs_declared))
                    result[key].append(entry)
    # gaps: domain minus the union of the coverage, split by the most specific domain part
    covered = unary_union(geoms) if geoms else shapely.Polygon()
    claimed = shapely.Polygon()
    for name in sorted(domain, key=lambda k: (domain[k].area, k)):  # most specific first
        region = domain[name]
        gap = region.difference(covered).difference(claimed)
        claimed = claimed.union(region)
        wide, thin = _split_parts(gap)
        for key, parts in (("gaps", wide), ("sliver_gaps", thin)):
            for part in parts:
                if part.area < min_area_m2:
                    continue
                near = []
                for k in tree.query(part, predicate="dwithin", distance=_TOUCH_M):
                    entry = coverage[int(k)]
                    if entry.get("kind") in _UNIT_KINDS:
                        continue
                    shared = part.boundary.intersection(geoms[int(k)].buffer(_TOUCH_M)).length
                    if shared >= _MIN_SHARED_M:
                        near.append(entry["rule_id"])
                entry = _entry(part, to_lonlat, convert)
                entry.update(
                    where=name, rules=sorted(set(near)), geometry=_geojson(part, to_lonlat)
                )
                result[key].append(entry)
    for key in ("gaps", "sliver_gaps"):
        result[key].sort(key=lambda g: (-g["area_m2"], g["where"]))
    for key in ("overlaps", "sliver_overlaps"):
        result[key].sort(key=lambda o: (-o["area_m2"], o["rules"]))
    return result


def build_report(
    result,
    *,
    spec_name: str = "",
    basemap_name: str = "",
    settings: Settings = DEFAULT_SETTINGS,
) -> dict:
    """The diagnostics report of a :class:`~geo_enroll.digitise.DigitiseResult` (JSON-ready)."""
    to_lonlat = Transformer.from_crs(result.crs, 4326, always_xy=True).transform
    domain = {name: geom for (kind, name), geom in result.domain.items()}
    levels = {}
    for level in ("primary", "middle"):
        cov = [c for c in result.coverage if level in c["levels"]]
        found = find_gaps_overlaps(
            cov,
            domain,
            declared=result.declared,
            min_area_m2=settings.min_diagnostic_area_m2,
            to_lonlat=to_lonlat,
        )
        for gap in found["gaps"]:  # admin-unit rules of the unit the gap lies in
            gap["unit_rules"] = sorted(
                u["rule_id"]
                for u in getattr(result, "units", [])
                if level in u["levels"] and gap["where"] in u["areas"]
            )
        levels[level] = {
            "zones": len(cov),
            "coverage_valid": found["coverage_valid"],
            "gap_area_m2": round(sum(g["area_m2"] for g in found["gaps"]), 1),
            "overlap_area_m2": round(sum(o["area_m2"] for o in found["overlaps"]), 1),
            "gaps": found["gaps"],
            "overlaps": found["overlaps"],
            "sliver_gaps": found["sliver_gaps"],
            "sliver_overlaps": found["sliver_overlaps"],
        }
    not_closed = [r for r in result.rules if r["status"] in ("not_closed", "unresolved")]
    report = {
        "spec": spec_name,
        "basemap": basemap_name,
        "schematic": bool(result.schematic),
        "work_crs": result.crs.to_string(),
        "settings": {
            "snap_gap_m": settings.snap_gap_m,
            "min_diagnostic_area_m2": settings.min_diagnostic_area_m2,
        },
        "counts": {
            "rules": len(result.rules),
            "zones": len(result.zones),
            "unresolved": len(result.unresolved),
            "not_closed": len(not_closed),
        },
        "unresolved": result.unresolved,
        "no_area": list(getattr(result, "no_area", [])),
        "rules": result.rules,
        "levels": levels,
    }
    report["summary"] = summary_text(report)
    return report


def summary_text(report: dict) -> str:
    """A readable summary (Chinese first) of a report."""
    c = report["counts"]
    lines = [
        f"划片数字化 digitised: {c['zones']} 个区域 zones from {c['rules']} 条规则 rules"
        + ("（示意底图 schematic base map）" if report.get("schematic") else ""),
    ]
    if report.get("no_area"):
        lines.append(
            "没有可读范围的学校，需在地图上划定 schools with no readable area (draw them): "
            + "、".join(s["school"] for s in report["no_area"])
        )
    if c["unresolved"]:
        names = "、".join(sorted({u["name"] for u in report["unresolved"]}))
        lines.append(f"未识别名称 unresolved names: {names}")
    for r in report["rules"]:
        if r["status"] in ("not_closed", "unresolved", "closed_with_issues"):
            msgs = "; ".join(
                i["message"]
                for i in r["issues"]
                if i["type"] not in ("name_matched", "bridge", "parallel_lines", "admin")
            )
            lines.append(f"规则 rule {r['rule_id']} ({r['school']}): {r['status']} — {msgs}")
    for level, name in (("primary", "小学"), ("middle", "初中")):
        lv = report["levels"][level]
        lines.append(
            f"{name} {level}: {len(lv['gaps'])} 处空白 gaps ({lv['gap_area_m2']:.0f} m²), "
            f"{len(lv['overlaps'])} 处重叠 overlaps ({lv['overlap_area_m2']:.0f} m²)"
        )
        for g in lv["gaps"][:10]:
            lines.append(
                f"  空白 gap {g['area_m2']:.0f} m² in {g['where']} at {g['point']}"
                + (f", 相邻规则 bordered by {', '.join(g['rules'])}" if g["rules"] else "")
                + (
                    f", 本单位规则 unit rules {', '.join(g['unit_rules'])}"
                    if g.get("unit_rules")
                    else ""
                )
            )
        for o in lv["overlaps"][:10]:
            lines.append(
                f"  重叠 overlap {o['area_m2']:.0f} m² between {' & '.join(o['rules'])}"
                f" at {o['point']}"
                + (
                    f" (这两校在 {', '.join(o['pair_declared_by'])} 中共享, 但不在此处 the pair "
                    "is declared shared elsewhere)"
                    if o.get("pair_declared_by")
                    else ""
                )
            )
        slivers = lv.get("sliver_gaps", []) + lv.get("sliver_overlaps", [])
        if slivers:
            widest = max(x["width_m"] for x in slivers)
            lines.append(
                f"  细缝 slivers thinner than {_MIN_WIDTH_M} m: {len(lv.get('sliver_gaps', []))} "
                f"gaps, {len(lv.get('sliver_overlaps', []))} overlaps (widest {widest} m); "
                "a house exactly there gets no school or two: check the shared edges"
            )
    return "\n".join(lines)


def write_report(report: dict, path: str | Path) -> Path:
    """Write a report as deterministic, readable JSON."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path
