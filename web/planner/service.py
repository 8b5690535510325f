"""What the planners' pages do: versions, edit → preview → save, diff, publish.

One function per view; the views render the dicts (HTML or the JSON twin).
"""

from __future__ import annotations

from geo_enroll.errors import InputError, NotFoundError, ZoneSpecError
from geo_enroll.policy.spec import validate_spec
from geo_enroll.settings import DEFAULT_SETTINGS

from ..common import (
    app_cache,
    cached_placement,
    cohort_of,
    ctx_of,
    jurisdiction,
    jurisdiction_of,
    map_parts,
    on_page,
    store,
    version_by_id,
)
from ..context import basemap_layer, school_locations, schools_of
from ..jurisdictions import Jurisdiction
from ..labels import both, problem_label, word
from ..placement import seat_use
from .edits import (
    diff_versions,
    keep_untouched,
    new_gaps_overlaps,
    polygon_rules,
    preview,
    redigitise,
    same_version,
)

__all__ = [
    "versions_page",
    "version_page",
    "preview_edit",
    "save_version",
    "publish_version",
    "diff_page",
]


def versions_page(*, key: str | None = None, nonce: str | None = None, lang: str = "zh") -> dict:
    """The versions of a jurisdiction; for HTML also the published version's map and seats."""
    j = on_page(jurisdiction(key))
    s = store()
    out = {
        "jurisdiction": j.public(lang),
        "versions": s.versions(j.key),
        "current": s.current_version_id(j.key),
        "cohorts": s.cohorts(j.key),
    }
    if out["current"] is not None:
        v = version_by_id(out["current"])
        placement = cached_placement(v, s.latest_cohort_id(j.key))
        out["seat_use"] = seat_use(v["spec"], placement, j.ctx)
        if nonce is not None:
            out["_map"] = map_parts(v, nonce, seat_use=out["seat_use"], lang=lang)
    return out


def version_page(
    version_id: int, *, nonce: str | None, with_zones: bool = False, lang: str = "zh"
) -> dict:
    v = version_by_id(version_id)
    j = on_page(jurisdiction_of(v["jurisdiction"]))
    placement = cached_placement(v, store().latest_cohort_id(j.key))
    use = seat_use(v["spec"], placement, j.ctx)
    out = {
        "version": {
            k: v[k]
            for k in (
                "id",
                "parent_id",
                "author",
                "created_at",
                "message",
                "sha256",
                "current",
                "jurisdiction",
            )
        },
        "jurisdiction": j.public(lang),
        "schools": schools_of(v["spec"]),
        "seat_use": use,
    }
    if with_zones:
        out["seen"] = store().latest_version_id()  # sent back on save: conflicts since then
        out["spec"] = v["spec"]
        out["zones"] = v["zones"]
        out["school_locations"] = school_locations(v["spec"], j.ctx)
        out["basemap"] = _basemap_json(j)
    if nonce is not None:
        out["_map"] = map_parts(v, nonce, seat_use=use, lang=lang)
    return out


def _basemap_json(j: Jurisdiction) -> dict:
    """The base map's streets and areas as GeoJSON (``name``, ``kind``; geometry simplified to
    about 2 m) for the editor's background; cached per jurisdiction."""
    import json

    key = ("basemap_json", j.key)
    cache = app_cache()
    if key not in cache:
        out = {}
        for name, gdf in (
            ("streets", j.ctx.streets),
            ("areas", basemap_layer(j.ctx, "areas")),
        ):
            if gdf is None or not len(gdf):
                out[name] = {"type": "FeatureCollection", "features": []}
                continue
            cols = [c for c in ("name", "kind") if c in gdf.columns]
            g = gdf[[*cols, "geometry"]].copy()
            g["geometry"] = g.geometry.simplify(0.00002, preserve_topology=True)
            out[name] = json.loads(g.to_json(drop_id=True))
        cache[key] = out
    return cache[key]


def _validate_zones(zones) -> dict:
    from shapely.geometry import shape

    if not isinstance(zones, dict) or zones.get("type") != "FeatureCollection":
        raise ZoneSpecError("zones must be a GeoJSON FeatureCollection (招生范围须为 GeoJSON)")
    problems = []
    total = 0
    for i, f in enumerate(zones.get("features") or []):
        props = f.get("properties") or {}
        rid = props.get("rule_id") or f"#{i}"
        for key in ("school", "school_id", "rule_id", "level"):
            if not props.get(key):
                problems.append(f"zone {rid}: property {key!r} is missing")
        geom = f.get("geometry")
        if geom is None:
            problems.append(f"zone {rid}: no geometry (每个片区须有多边形)")
            continue
        if geom.get("type") not in ("Polygon", "MultiPolygon"):
            problems.append(f"zone {rid}: expected a Polygon, got {geom.get('type')}")
            continue
        try:
            g = shape(geom)
        except Exception:  # noqa: BLE001 - malformed coordinates
            problems.append(f"zone {rid}: coordinates cannot be read")
            continue
        import shapely

        total += int(shapely.get_num_coordinates(g))
        if total > DEFAULT_SETTINGS.max_vertices:
            raise ZoneSpecError(
                f"zones have more than {DEFAULT_SETTINGS.max_vertices} vertices; "
                "simplify the drawing"
            )
        minx, miny, maxx, maxy = g.bounds  # NaN for an empty zone: refused below
        if g.is_empty or not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            problems.append(f"zone {rid}: coordinates are not WGS 84 degrees (lon, lat)")
            continue  # (validity of out-of-range coordinates overflows in GEOS)
        if not g.is_valid:
            problems.append(
                f"zone {rid}: {shapely.is_valid_reason(g)} (redraw without crossing edges)"
            )
    if problems:
        raise ZoneSpecError("招生范围有误 (the zones have problems)", problems=problems)
    return zones


def _validate_spec(spec) -> dict:
    if not isinstance(spec, dict) or not isinstance(spec.get("schools"), list):
        raise ZoneSpecError("spec must be a zone spec object with a 'schools' list")
    problems = validate_spec(spec)
    if problems:
        raise ZoneSpecError(
            "规则不符合格式 (the spec does not follow the schema)",
            problems=[str(p) for p in problems][:50],
        )
    return spec


def _proposal(base: dict, body: dict) -> tuple[dict, dict, list[str]]:
    """(spec, zones, notes) of an edit.  A spec whose polygon rules changed (a limit edited)
    with no redrawn zones gets its zones digitised again on the base map.  Redrawn zones that
    equal the base's within a tolerance are kept byte-identical (:func:`keep_untouched`)."""
    spec = _validate_spec(body["spec"]) if body.get("spec") is not None else base["spec"]
    notes: list[str] = []
    if body.get("zones") is not None:
        zones, _changed = keep_untouched(base["zones"], _validate_zones(body["zones"]))
    elif polygon_rules(spec) != polygon_rules(base["spec"]):
        zones, notes = redigitise(spec, ctx_of(base))
        notes.insert(
            0, "按修改后的规则重新生成了划片图层 (zones re-digitised from the edited spec)"
        )
    else:
        zones = base["zones"]
    return spec, zones, notes


def preview_edit(version_id: int, body: dict) -> dict:
    """Impact of an edit of ``version_id`` on the latest cohort, before saving."""
    base = version_by_id(version_id)
    spec, zones, notes = _proposal(base, body)
    cohort_id = body.get("cohort_id") or store().latest_cohort_id(base["jurisdiction"])
    if cohort_id is None:
        raise NotFoundError("没有学生名单可用于预览 (no cohort to preview against; add one first)")
    cohort = cohort_of(int(cohort_id), base)["rows"]
    out = preview(
        base_spec=base["spec"],
        base_zones=base["zones"],
        spec=spec,
        zones=zones,
        cohort=cohort,
        ctx=ctx_of(base),
        before=cached_placement(base, int(cohort_id)),
    )

    for c in out.get("changes") or []:
        c["level_label"] = both("level", c.get("level"))
        c["status_label"] = both("status", c.get("status"))
    out["problem_labels"] = {
        k: problem_label(k)
        for k in {**out.get("problems_before", {}), **out.get("problems_after", {})}
    }
    _kept, changed = keep_untouched(base["zones"], zones)
    unchanged = same_version(base["spec"], base["zones"], spec, zones)
    if unchanged:
        notes.insert(0, _NOTHING_CHANGED)
    return out | {
        "base": base["id"],
        "cohort_id": int(cohort_id),
        "notes": notes,
        "changed_rules": changed,
        "spec_changed": same_version(base["spec"], {}, spec, {}) is False,
        "unchanged": unchanged,
    }


_NOTHING_CHANGED = (
    "没有修改：与所基于的版本完全相同，无需保存 (nothing changed: identical to the version "
    "it is based on; drag a vertex or edit the spec first)"
)


def save_version(body: dict, *, author: str) -> dict:
    parent_id = body.get("parent_id")
    if parent_id is None:
        raise InputError("parent_id is required (基于哪个版本修改)")
    if not str(body.get("message") or "").strip():
        raise InputError("请填写修改说明 (a version needs a message saying what changed)")
    base = version_by_id(int(parent_id))
    spec, zones, _notes = _proposal(base, body)
    if same_version(base["spec"], base["zones"], spec, zones):
        raise InputError(_NOTHING_CHANGED)
    vid = store().save_version(
        spec=spec,
        zones=zones,
        author=author,
        message=str(body.get("message") or "")[:500],
        parent_id=base["id"],
        seen=None if body.get("branch") else body.get("seen"),
    )
    return {"id": vid, "parent_id": base["id"]}


def publish_version(
    version_id: int,
    *,
    author: str,
    confirm: bool = False,
    nonce: str | None = None,
    lang: str = "zh",
) -> dict:
    """Publish a version as its jurisdiction's current zoning.

    A version that would introduce a gap or an overlap over the published one is published
    only with ``confirm``; otherwise the answer is ``{"published": False, "new_problems":
    [...], ...}`` with the problem areas (and, for HTML, a map of them) for the planner to
    confirm or go back.
    """
    v = version_by_id(version_id)
    j = on_page(jurisdiction_of(v["jurisdiction"]))
    cur_id = store().current_version_id(v["jurisdiction"])
    out = {
        "version": {k: v[k] for k in ("id", "parent_id", "author", "created_at", "message")},
        "current": cur_id,
        "jurisdiction": j.public(lang),
        "new_problems": [],
        "published": False,
    }
    if cur_id is not None and cur_id != v["id"]:
        cur = version_by_id(cur_id)
        created = new_gaps_overlaps(cur, v)
        school_of = {
            f["properties"].get("rule_id"): f["properties"].get("school")
            for z in (cur["zones"], v["zones"])
            for f in z.get("features") or []
        }
        en = lang == "en"
        kinds = {"gaps": "gap" if en else "空白", "overlaps": "overlap" if en else "重叠"}
        for level, d in sorted(created.items()):
            for kind in ("gaps", "overlaps"):
                for p in d.get(kind) or []:
                    out["new_problems"].append(
                        {
                            "level": level,
                            "kind": kind,
                            "area_m2": round(float(p.get("area_m2") or 0), 1),
                            "schools": sorted(
                                {str(school_of.get(r) or r) for r in p.get("rules") or []}
                            ),
                            "geometry": p.get("geometry"),
                        }
                    )
    if out["new_problems"] and not confirm:
        if nonce is not None:
            highlight = {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": p["geometry"],
                        "properties": {
                            ("problem" if lang == "en" else "问题"): (
                                f"{word('level', p['level'], lang)} · {kinds[p['kind']]} · "
                                f"{p['area_m2']} m²"
                            )
                        },
                    }
                    for p in out["new_problems"]
                    if p.get("geometry")
                ],
            }
            out["_map"] = map_parts(v, nonce, highlight=highlight, lang=lang)
        return out
    store().publish(v["id"], author=author)
    out["published"] = True
    out["current"] = v["id"]
    return out


def diff_page(a: int, b: int, *, nonce: str | None, lang: str = "zh") -> dict:
    va, vb = version_by_id(a), version_by_id(b)
    if va["jurisdiction"] != vb["jurisdiction"]:
        raise InputError(
            f"版本 {a} 与 {b} 属于不同辖区，无法比较 (versions of different jurisdictions)"
        )
    on_page(jurisdiction_of(va["jurisdiction"]))
    cid = store().latest_cohort_id(va["jurisdiction"])
    cohort = store().cohort(cid)["rows"] if cid else None
    d = diff_versions(va, vb, cohort=cohort, ctx=ctx_of(va))
    if nonce is not None:
        d["_map"] = map_parts(vb, nonce, highlight=d["changed_zones"], lang=lang)
    return d
