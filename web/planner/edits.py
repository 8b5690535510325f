"""What a planner's edit changes: zones kept byte-identical, gaps, overlaps, moves.

Planning logic lives in ``geo_enroll.impact``; these functions compare stored versions (spec +
zones as GeoJSON), re-digitise the zones of an edited spec and export a version.
"""

from __future__ import annotations

import json
from pathlib import Path

from geo_enroll import impact
from geo_enroll.basemap import read_basemap
from geo_enroll.digitise import digitise
from geo_enroll.errors import InputError
from geo_enroll.settings import data_dir

from ..context import DEFAULT_CONTEXT, POLYGON_KINDS, Context, seat_table
from ..placement import place

__all__ = [
    "diagnostics",
    "preview",
    "UNTOUCHED_TOLERANCE_M",
    "keep_untouched",
    "same_version",
    "new_gaps_overlaps",
    "diff_versions",
    "polygon_rules",
    "redigitise",
    "export_geopackage",
]


def diagnostics(*, spec: dict, zones: dict, domain_zones: dict | None = None) -> dict:
    """Gaps and overlaps per level (:func:`geo_enroll.impact.gaps_overlaps`).

    The land that must be served is the union of ``domain_zones`` per level, else of ``zones``.
    """
    return impact.gaps_overlaps(spec, zones, domain=domain_zones)


def preview(
    *,
    base_spec: dict,
    base_zones: dict,
    spec: dict,
    zones: dict,
    cohort: list[dict],
    ctx: Context = DEFAULT_CONTEXT,
    before: dict | None = None,
) -> dict:
    """Impact of a proposed edit before it is saved (:func:`geo_enroll.impact.compare`)."""
    before = before or place(spec=base_spec, zones=base_zones, cohort=cohort, ctx=ctx)
    after = place(spec=spec, zones=zones, cohort=cohort, ctx=ctx)
    res = impact.compare(
        spec_before=base_spec,
        zones_before=base_zones,
        placement_before=before,
        spec_after=spec,
        zones_after=zones,
        placement_after=after,
        seats_before=seat_table(base_spec, ctx),
        seats_after=seat_table(spec, ctx),
    )
    keys = ("changes", "n_changes", "seats_before", "seats_after", "diagnostics")
    return {k: res[k] for k in (*keys, "problems_before", "problems_after")}


#: a redrawn zone whose every vertex lies within this distance of the stored one is untouched
#: (the browser rounds coordinates to 6 decimals, about 0.1 m)
UNTOUCHED_TOLERANCE_M = 0.5


def _same_shape(a: dict | None, b: dict | None, tolerance_m: float) -> bool:
    """Whether two GeoJSON geometries are the same within ``tolerance_m`` (Hausdorff in
    degrees, a degree counted as the 111.32 km of latitude: at most ``tolerance_m`` on the
    ground in any direction)."""
    import shapely
    from shapely.geometry import shape

    if a == b:
        return True
    if not a or not b:
        return False
    try:
        ga, gb = shape(a), shape(b)
    except Exception:  # noqa: BLE001 - malformed coordinates are not "the same"
        return False
    if ga.is_empty or gb.is_empty:
        return ga.is_empty and gb.is_empty
    tol = tolerance_m / 111_320.0
    if any(abs(x - y) > tol for x, y in zip(ga.bounds, gb.bounds, strict=True)):
        return False
    if shapely.equals_exact(ga, gb, tolerance=tol):
        return True
    return bool(shapely.hausdorff_distance(ga, gb) <= tol)


def keep_untouched(
    base_zones: dict, zones: dict, *, tolerance_m: float = UNTOUCHED_TOLERANCE_M
) -> tuple[dict, list[str]]:
    """``zones`` with every zone that equals its ``base_zones`` namesake (same ``rule_id``,
    same properties, geometry within ``tolerance_m``) replaced by the stored feature itself,
    byte for byte; returns (zones, rule ids that really changed, were added or removed).

    An editor that sends back every zone (rounded by the browser) thus changes only the
    zones the planner edited.

    Examples
    --------
    >>> sq = {"type": "Polygon", "coordinates": [[[115, 41], [115.01, 41], [115.01, 41.01],
    ...        [115, 41]]]}
    >>> moved = {"type": "Polygon", "coordinates": [[[115.0000001, 41], [115.01, 41],
    ...           [115.01, 41.01], [115.0000001, 41]]]}
    >>> base = {"type": "FeatureCollection", "features": [
    ...     {"type": "Feature", "properties": {"rule_id": "r1", "school": "A"}, "geometry": sq}]}
    >>> new = {"type": "FeatureCollection", "features": [
    ...     {"type": "Feature", "properties": {"rule_id": "r1", "school": "A"},
    ...      "geometry": moved}]}
    >>> out, changed = keep_untouched(base, new)
    >>> out["features"][0]["geometry"] is sq, changed
    (True, [])
    """
    old = {(f.get("properties") or {}).get("rule_id"): f for f in base_zones.get("features") or []}
    feats, changed = [], []
    seen = set()
    for f in zones.get("features") or []:
        rid = (f.get("properties") or {}).get("rule_id")
        seen.add(rid)
        o = old.get(rid)
        if (
            o is not None
            and (o.get("properties") or {}) == (f.get("properties") or {})
            and _same_shape(o.get("geometry"), f.get("geometry"), tolerance_m)
        ):
            feats.append(o)
        else:
            feats.append(f)
            changed.append(str(rid))
    changed += [str(rid) for rid in old if rid not in seen]
    return {**zones, "features": feats}, changed


def _canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)


def same_version(a_spec: dict, a_zones: dict, b_spec: dict, b_zones: dict) -> bool:
    """Whether two (spec, zones) pairs are identical (canonical JSON; zone order ignored).

    >>> fc = {"type": "FeatureCollection", "features": []}
    >>> same_version({"schools": []}, fc, {"schools": []}, fc)
    True
    """
    if _canonical(a_spec) != _canonical(b_spec):
        return False

    def feats(z):
        return sorted(_canonical(f) for f in z.get("features") or [])

    return feats(a_zones) == feats(b_zones)


def new_gaps_overlaps(current: dict, candidate: dict) -> dict:
    """Gaps and overlaps that publishing ``candidate`` would introduce over ``current``.

    Both are stored versions (``spec``, ``zones``).  The land that must be served is the land
    ``current`` serves; a problem ``current`` already has is not new
    (:func:`geo_enroll.impact.new_problems`).  Returns ``{level: {"gaps", "overlaps"}}`` with
    only the new problems (each with ``area_m2``, ``point`` and ``geometry``).
    """
    before = impact.gaps_overlaps(current["spec"], current["zones"], domain=current["zones"])
    after = impact.gaps_overlaps(candidate["spec"], candidate["zones"], domain=current["zones"])
    return impact.new_problems(before, after)


def diff_versions(
    a: dict, b: dict, *, cohort: list[dict] | None = None, ctx: Context = DEFAULT_CONTEXT
) -> dict:
    """Difference between two versions: changed zone areas (GeoJSON) and who changes school.

    Zones equal within :data:`UNTOUCHED_TOLERANCE_M` count as unchanged (versions saved by an
    editor that rounded every coordinate differ from their parent only where edited).
    """
    b_zones, _changed = keep_untouched(a["zones"], b["zones"])
    moves: list[dict] = []
    if cohort:
        before = place(spec=a["spec"], zones=a["zones"], cohort=cohort, ctx=ctx)
        after = place(spec=b["spec"], zones=b["zones"], cohort=cohort, ctx=ctx)
        moves = [
            {"student_id": c["student_id"], "from": c["from"], "to": c["to"]}
            for c in impact.school_changes(before["placements"], after["placements"])
        ]
    return {
        "a": a["id"],
        "b": b["id"],
        "spec_changed": json.dumps(a["spec"], sort_keys=True)
        != json.dumps(b["spec"], sort_keys=True),
        "changed_zones": impact.changed_zones(a["zones"], b_zones),
        "moves": moves,
    }


def polygon_rules(spec: dict) -> dict[str, str]:
    """The polygon rules of a spec as ``rule_id -> canonical JSON`` (to see which changed)."""
    return {
        z["rule_id"]: json.dumps(z, sort_keys=True, ensure_ascii=False)
        for s in spec.get("schools") or []
        for z in s.get("zones") or []
        if z.get("kind") in POLYGON_KINDS
    } | {
        f"{s.get('id')}:school": json.dumps([s.get("name"), s.get("level")], ensure_ascii=False)
        for s in spec.get("schools") or []
    }


def redigitise(spec: dict, ctx: Context = DEFAULT_CONTEXT) -> tuple[dict, list[str]]:
    """Zones of ``spec`` digitised again on the base map: (FeatureCollection, problems).

    Used when a planner changes a limit in the spec instead of redrawing on the map.
    """
    path = ctx.basemap or (data_dir() / "boundaries" / "baochang_schematic.gpkg")
    if not Path(path).exists():
        raise InputError(
            "没有底图，无法按修改后的四至重新生成划片 (no base map to re-digitise the "
            "zones; redraw the zone on the map instead)"
        )
    res = digitise(spec, read_basemap(path))
    problems = [
        f"{r['rule_id']}: {r['status']}" + (f" — {r['issues'][0]}" if r.get("issues") else "")
        for r in res.rules
        if r.get("status") not in ("ok", "not_digitised")
    ]
    problems += [f"未能识别的名称 unresolved name: {u.get('name')}" for u in res.unresolved]
    zones = (
        json.loads(res.zones.to_json(drop_id=True))
        if len(res.zones)
        else {"type": "FeatureCollection", "features": []}
    )
    return zones, problems


def export_geopackage(zones: dict) -> bytes:
    """A version's zones as GeoPackage bytes (layer ``zones``, EPSG:4326)."""
    import tempfile

    gdf = impact.zones_frame(zones)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "zones.gpkg"
        gdf.to_file(path, layer="zones", driver="GPKG")
        return path.read_bytes()
