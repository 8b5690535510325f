"""What the views do, one function per view: the store plus the engine adapters.

Views parse the request, call one function here and render its dict (HTML or the JSON twin).
No geometry and no policy logic lives in the views.  Nothing here logs personal data.
"""

from __future__ import annotations

import re
import threading
from datetime import date, datetime, timedelta

from flask import current_app, g, session

from geo_enroll.errors import AuthError, GeocodeError, InputError, NotFoundError, ZoneSpecError
from geo_enroll.settings import DEFAULT_SETTINGS

from . import engine, notices
from .jurisdictions import Jurisdiction
from .maps import render_parts, tiles_url, zones_map

__all__ = [
    "store",
    "seed_defaults",
    "current_version",
    "lookup_page",
    "version_page",
    "versions_page",
    "save_version",
    "publish_version",
    "preview_edit",
    "diff_page",
    "start_run",
    "run_page",
    "school_students",
    "file_appeal",
    "appeals_page",
    "decide_appeal",
    "reveal_id",
    "staff_search",
    "working_days_after",
    "record_notice_received",
]


def store():
    return current_app.extensions["geo_store"]


def _cache() -> dict:
    return current_app.extensions.setdefault("geo_cache", {})


# ---------------------------------------------------------------------------- jurisdictions


def jurisdictions() -> dict[str, Jurisdiction]:
    """The jurisdictions the app serves, in ``--policy`` order (the first is the default)."""
    return current_app.extensions["geo_jurisdictions"]


def jurisdiction(key: str | None = None) -> Jurisdiction:
    """The jurisdiction ``key``; without one the session's choice, else the first served."""
    js = jurisdictions()
    if key:
        if key not in js:
            raise NotFoundError(
                f"未知辖区 {key} (unknown jurisdiction)",
                problems=[f"jurisdiction={k} — {j.label()}" for k, j in js.items()],
            )
        return js[key]
    return js.get(session.get("jurisdiction") or "") or next(iter(js.values()))


def jurisdiction_of(key: str) -> Jurisdiction:
    """The jurisdiction of a stored version (one no longer served gets the default context)."""
    return jurisdictions().get(key) or Jurisdiction(key=key, name=key or "?")


def _on_page(j: Jurisdiction) -> Jurisdiction:
    """Remember the jurisdiction a page is about (its banner says when it is hypothetical)."""
    g.page_jurisdiction = j
    return j


def _ctx_of(version: dict) -> engine.Context:
    return jurisdiction_of(version.get("jurisdiction") or "").ctx


def _ctx() -> engine.Context:
    return jurisdiction().ctx


def detect_jurisdiction(address: str) -> list[Jurisdiction]:
    """The served jurisdictions an address can belong to: by the county code the address
    parser reads, else by which jurisdictions' gazetteers locate it in their county."""
    js = list(jurisdictions().values())
    if len(js) == 1:
        return js
    from geo_enroll.address import parse_address

    code = str((parse_address(address).get("codes") or {}).get("county") or "")
    if code:
        hits = [j for j in js if j.county_code == code]
        if hits:
            return hits
    hits = []
    for j in js:
        try:
            geo = engine.geocode(address, j.ctx)
        except Exception:  # noqa: BLE001 - an address one gazetteer cannot read
            continue
        if geo.get("lon") is None or geo.get("level") in (None, "county"):
            continue
        got = str(geo.get("county_code") or geo.get("code") or "")
        if not j.county_code or got.startswith(j.county_code):
            hits.append(j)
    return hits


# ---------------------------------------------------------------------------- defaults


def seed_defaults(app_store, j: Jurisdiction, *, logger, cohort_seed: int | None = 7) -> None:
    """First start of a jurisdiction: its spec + zones become its version 1 (published), and a
    synthetic cohort is added."""
    empty = {"type": "FeatureCollection", "features": []}
    spec_path, zones_path = j.spec_path, j.zones_path
    if spec_path is None:
        return
    if not app_store.versions(j.key):
        if spec_path.exists():
            spec = engine.load_spec(spec_path)
            has_zones = zones_path is not None and zones_path.exists()
            zones = engine.load_zones(zones_path) if has_zones else empty
            if not has_zones and engine.has_polygon_rules(spec):
                logger.warning(
                    "no zones for %s: street-limit zones are unavailable until "
                    "`geo-enroll digitise` builds them",
                    j.key,
                )
            vid = app_store.save_version(
                spec=spec,
                zones=zones,
                author="system",
                message=f"默认数据 default: {spec_path.name}"
                + (f" + {zones_path.name}" if has_zones else " (无划片图层 no zones)"),
                jurisdiction=j.key,
            )
            app_store.publish(vid, author="system")
        else:
            logger.warning("no default spec at %s: the service starts without a version", spec_path)
    else:
        cur = app_store.current_version_id(j.key)
        v = app_store.version(cur) if cur else None
        if (
            v
            and v["author"] == "system"
            and not v["zones"].get("features")
            and zones_path is not None
            and zones_path.exists()
            and app_store.versions(j.key)[0]["author"] == "system"
        ):
            # the default zones were built after the first start: add them as a new version
            nid = app_store.save_version(
                spec=v["spec"],
                zones=engine.load_zones(zones_path),
                author="system",
                parent_id=cur,
                message=f"默认划片图层 default zones: {zones_path.name}",
            )
            app_store.publish(nid, author="system")
    vid = app_store.current_version_id(j.key)
    if cohort_seed is not None and vid is not None and app_store.latest_cohort_id(j.key) is None:
        v = app_store.version(vid)
        rows = engine.synth_cohort(
            v["spec"],
            seed=cohort_seed,
            zones=v["zones"],
            basemap=j.ctx.basemap,
            counts=j.seat_counts,
        )
        app_store.save_cohort(
            rows,
            label=f"合成学生 synthetic cohort (seed {cohort_seed})",
            synthetic=True,
            author="system",
            jurisdiction=j.key,
        )


# ---------------------------------------------------------------------------- versions


def _version(version_id: int) -> dict:
    key = ("version", int(version_id))
    cache = _cache()
    if key not in cache:
        cache[key] = store().version(version_id)
    v = dict(cache[key])
    v["current"] = v["id"] == store().current_version_id(v["jurisdiction"])
    return v


def current_version(j: Jurisdiction | None = None) -> dict:
    j = j or jurisdiction()
    vid = store().current_version_id(j.key)
    if vid is None:
        raise NotFoundError(
            f"{j.label()}尚未发布招生范围 (no zoning version has been published yet)"
        )
    return _version(vid)


def _placement(version: dict, cohort_id: int | None) -> dict | None:
    if cohort_id is None:
        return None
    key = ("placement", version["id"], cohort_id)
    cache = _cache()
    if key not in cache:
        cohort = store().cohort(cohort_id)["rows"]
        cache[key] = engine.place(
            spec=version["spec"], zones=version["zones"], cohort=cohort, ctx=_ctx_of(version)
        )
    return cache[key]


def _map(version: dict, nonce: str, *, zones: dict | None = None, lang: str = "zh", **kw) -> dict:
    """A version's map parts: its zones (or ``zones``), the base-map streets, the schools'
    locations and a legend; ``kw`` as :func:`web.maps.zones_map`."""
    ctx = _ctx_of(version)
    vendor = current_app.config["VENDOR_URL"]
    schools = kw.pop("schools", None)
    if schools is None:
        schools = engine.school_locations(version["spec"], ctx)
    j = jurisdiction_of(version.get("jurisdiction") or "")
    note = "示意图 schematic map" if lang != "en" else "schematic map"
    if j.hypothetical:
        note = "示意情景（虚构）HYPOTHETICAL scenario" if lang != "en" else "HYPOTHETICAL scenario"
    return render_parts(
        zones_map(
            version["zones"] if zones is None else zones,
            tiles_url=tiles_url(current_app.config.get("TILES_URL") or DEFAULT_SETTINGS.tiles_url),
            vendor=vendor,
            streets=ctx.streets,
            areas=engine.basemap_layer(ctx, "areas"),
            landmarks=engine.basemap_layer(ctx, "landmarks"),
            schools=schools,
            lang=lang,
            schematic_note=note,
            colour_order=[x.get("id") for x in version["spec"].get("schools") or []],
            **kw,
        ),
        nonce=nonce,
    )


def _pick_jurisdiction(address: str | None, key: str | None, default: str | None):
    """The jurisdiction of a lookup: ``key`` when given; else the one the address names (its
    county code); else ``default`` (the page's choice); else, when several are served, ask."""
    if key:
        return jurisdiction(key)
    js = jurisdictions()
    if address is not None:  # unreadable, or in a county no served policy covers: say so
        _check_address(address, js)
    if len(js) == 1:
        return next(iter(js.values()))
    if address:
        hits = detect_jurisdiction(address)
        if len(hits) == 1:
            return hits[0]
    if default:
        return jurisdiction(default)
    raise InputError(
        "无法从地址判断所属区县，请在地址中写明区县，或用 jurisdiction 参数指定 "
        "(which jurisdiction? name the county in the address or pass ?jurisdiction=)",
        problems=[f"jurisdiction={k} — {j.label()}" for k, j in js.items()],
    )


def _check_address(address: str, js: dict) -> None:
    """Refuse, with the reason, an address that no jurisdiction could serve: unreadable (empty,
    too long, no Chinese) or in a county that none of the served policies covers."""
    from geo_enroll.address import parse_address

    parsed = parse_address(address)
    refused = ("empty", "too_long", "no_chinese", "not_text")
    if parsed.get("reason_code") == "no_chinese" and any(
        getattr(j.ctx.gazetteer, "address_index", None) is not None for j in js.values()
    ):
        refused = ("empty", "too_long", "not_text")  # a Latin-script address of an imported map
    if parsed.get("reason_code") in refused:
        raise InputError(
            f"无法识别的地址 address not usable: {parsed.get('reason')}；"
            "请输入中文地址，如 太仆寺旗宝昌镇南郊社区察哈尔街1号"
        )
    county = (parsed.get("codes") or {}).get("county")
    served = {j.county_code for j in js.values() if j.county_code}
    if county and served and county not in served:
        where = "".join(str(parsed.get(k) or "") for k in ("province", "city", "county")) or county
        raise InputError(
            f"该地址位于{where}，不在本服务的辖区内 (outside the served jurisdictions)",
            problems=[j.label() for j in js.values()],
        )


def _serves(spec: dict, level: str) -> bool:
    """Whether any school of the spec teaches ``level``."""
    return any(s.get("level") in (level, "nine_year") for s in spec.get("schools") or [])


def _group_schools(items: list[dict], lang: str) -> list[dict]:
    """One entry per school: its kinds as tags, the rules' sources beneath (in answer order)."""
    out: dict[str, dict] = {}
    for s in items:
        key = s.get("school_id") or s.get("school") or ""
        e = out.setdefault(
            key,
            {
                "school": s.get("school"),
                "school_id": s.get("school_id"),
                "kinds": [],
                "optional": True,
                "distance_m": s.get("distance_m"),
                "sources": [],
            },
        )
        label = engine.zone_kind_label(s.get("kind"), lang)
        if label not in e["kinds"]:
            e["kinds"].append(label)
        e["optional"] = e["optional"] and bool(s.get("optional"))
        src = {
            "kind": label,
            "rule_id": s.get("rule_id"),
            "text": s.get("source"),
            "line": s.get("line"),
        }
        if src not in e["sources"]:
            e["sources"].append(src)
    return list(out.values())


_TIPS = {
    "zh": [
        "写全地址：旗县（区）、乡镇（街道）、村（社区）、街道或小区、门牌号，按户口簿上的写法。",
        "检查错别字和简称，例如写全称“{county}”。",
        "只知道大概位置时，可以在地图上点击您家所在的位置。",
    ],
    "en": [
        "Write the whole address as in the household register: county, township, village or "
        "community, street or compound, house number.",
        "Check for typos and short forms: write the full name, e.g. “{county}”.",
        "If you only know where it is, click your home on the map.",
    ],
}


def _help(spec: dict, j: Jurisdiction, lang: str) -> dict:
    """What a parent can try when an address is not found, and whom to call."""
    county = (spec.get("policy") or {}).get("jurisdiction") or j.name
    return {
        "tips": [t.format(county=county) for t in _TIPS["en" if lang == "en" else "zh"]],
        "contacts": engine.contacts(spec, "consultation"),
    }


#: how the engine's note on a body/annex conflict (正文与附件不一致) begins: a diagnostic for
#: planners and staff (``geo_enroll.placement.candidates``), never shown to parents
CONFLICT_PREFIX = "正文与附件不一致"


def lookup_page(
    *,
    address: str | None,
    lon: float | None,
    lat: float | None,
    nonce: str | None,
    lang: str = "zh",
    jurisdiction_key: str | None = None,
    default_key: str | None = None,
    diagnostics: bool = False,
) -> dict:
    """A parent's lookup (:func:`_lookup`); for the HTML page an address that cannot be served
    (outside the jurisdiction, unreadable) keeps the page, its form and map, with the reason,
    what to try and the bureau's consultation phone inline (``lookup_error``).  The JSON twin
    answers the error envelope."""
    from .errors import status_for

    try:
        return _lookup(
            address=address,
            lon=lon,
            lat=lat,
            nonce=nonce,
            lang=lang,
            jurisdiction_key=jurisdiction_key,
            default_key=default_key,
            diagnostics=diagnostics,
        )
    except (InputError, NotFoundError, GeocodeError) as exc:
        if nonce is None or status_for(exc) >= 500:
            raise
        try:
            j = jurisdiction(default_key or jurisdiction_key)
        except NotFoundError:
            j = jurisdiction()
        vid = store().current_version_id(j.key)
        spec = _version(vid)["spec"] if vid is not None else {}
        return public_map(nonce=nonce, lang=lang, key=j.key) | {
            "answer": None,
            "lookup_error": {"message": exc.message, "problems": exc.problems}
            | _help(spec, j, lang),
        }


def _lookup(
    *,
    address: str | None,
    lon: float | None,
    lat: float | None,
    nonce: str | None,
    lang: str = "zh",
    jurisdiction_key: str | None = None,
    default_key: str | None = None,
    diagnostics: bool = False,
) -> dict:
    """A parent's lookup on the current version of the address's jurisdiction.

    The answer keeps the engine's list per level (``schools``) and adds ``groups`` (one entry per
    school with its kinds as tags and the rules' sources), ``match`` (the match level in words
    with how precise it is), ``no_zone`` (why a located address has no school: a gap of the
    diagnostics, or outside every zone) and ``jurisdiction``.

    The engine's body/annex conflict notes (:data:`CONFLICT_PREFIX`) are the bureau's
    diagnostics, not the parent's answer: they leave ``warnings`` and come back as
    ``diagnostics`` only with ``diagnostics=True`` (a signed-in bureau user).
    """
    from .labels import match_info

    j = _on_page(_pick_jurisdiction(address, jurisdiction_key, default_key))
    v = current_version(j)
    answer = engine.lookup(
        spec=v["spec"],
        zones=v["zones"],
        address=address,
        lon=lon,
        lat=lat,
        ctx=j.ctx,
        key=v["sha256"],
    )
    for level in ("primary", "middle"):
        for s in answer["schools"].get(level, []):
            s["kind_label"] = engine.zone_kind_label(s.get("kind"), lang)
    answer.pop("raw", None)
    internal = [w for w in answer["warnings"] if w.startswith(CONFLICT_PREFIX)]
    answer["warnings"] = [w for w in answer["warnings"] if not w.startswith(CONFLICT_PREFIX)]
    if diagnostics:
        answer["diagnostics"] = internal
    answer["version"] = v["id"]
    answer["jurisdiction"] = j.public(lang)
    answer["match"] = match_info(answer.get("match_level"), lang)
    answer["groups"] = {
        level: _group_schools(answer["schools"].get(level, []), lang)
        for level in ("primary", "middle")
    }
    located = answer.get("lon") is not None and answer.get("lat") is not None
    if address is None and located:  # a clicked point: say where it is, not its coordinates
        answer["place"] = engine.describe_point(
            float(answer["lon"]), float(answer["lat"]), j.ctx, lang
        )
        answer["input"] = answer["place"]
    if not located or answer["match"]["coarse"] or not any(answer["schools"].values()):
        answer["help"] = _help(v["spec"], j, lang)
    answer["across"] = _across(answer, v, lang) if located else []
    # per level without any school: why (a gap of the diagnostics, or outside every zone)
    answer["no_zone"] = {}
    gap_geoms = []
    if located and answer["match"]["code"] not in ("county",):
        for lv in ("primary", "middle"):
            zoned = [x for x in answer["schools"].get(lv, []) if not x.get("optional")]
            if zoned or not _serves(v["spec"], lv):
                continue  # a zone school (free-choice or optional schools alone are no zone)
            key = ("gaps", v["id"])
            cache = _cache()
            if key not in cache:
                cache[key] = engine.gap_report(v["spec"], v["zones"], j.ctx)
            why = engine.explain_no_zone(
                v["spec"],
                v["zones"],
                cache[key],
                float(answer["lon"]),
                float(answer["lat"]),
                lang,
                level=lv,
            )
            if why.get("geometry") and why["geometry"] not in gap_geoms:
                gap_geoms.append(why["geometry"])
            why.pop("geometry", None)
            answer["no_zone"][lv] = why
    if nonce is None:
        return answer
    ids = {s.get("school_id") for lv in answer["schools"].values() for s in lv}
    rule_ids = {s.get("rule_id") for lv in answer["schools"].values() for s in lv}
    across_ids = {a["school_id"] for a in answer["across"]}
    rule_ids |= {
        f["properties"].get("rule_id")
        for f in v["zones"].get("features") or []
        if str(f["properties"].get("school_id")) in across_ids
    }
    ids |= across_ids
    mine = {
        "type": "FeatureCollection",
        "features": [
            f
            for f in v["zones"].get("features") or []
            if f["properties"].get("rule_id") in rule_ids
        ],
    }
    highlight = None
    if gap_geoms:
        highlight = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": geom,
                    "properties": {"gap": "划片空白 gap" if lang != "en" else "gap"},
                }
                for geom in gap_geoms
            ],
        }
    schools = [s for s in engine.school_locations(v["spec"], j.ctx) if s["id"] in ids] or None
    home = None
    if located:
        home = {
            "lon": answer["lon"],
            "lat": answer["lat"],
            "label": ("looked-up address · " if lang == "en" else "查询的地址 · ")
            + answer["match"]["label"],
        }
    return {
        "answer": answer,
        "_map": _map(
            v,
            nonce,
            zones=mine if mine["features"] else v["zones"],
            schools=schools,
            home=home,
            highlight=highlight,
            lang=lang,
            rule_ids=False,
        ),
    }


def _across(answer: dict, v: dict, lang: str) -> list[dict]:
    """Near a zone edge: the schools across it, named in the answer's boundary warning."""
    edge = answer.get("edge_distance_m")
    limit = DEFAULT_SETTINGS.boundary_warning_m
    if edge is None or edge > limit:
        return []
    serving = {
        lv: {
            str(x.get("school_id")) for x in answer["schools"].get(lv, []) if not x.get("optional")
        }
        for lv in ("primary", "middle")
    }
    across = engine.schools_across(
        v["zones"],
        float(answer["lon"]),
        float(answer["lat"]),
        {lv: ids for lv, ids in serving.items() if _serves(v["spec"], lv)},
        within_m=float(edge) + 5.0,
    )
    from .labels import word

    if across:
        names = "、".join(
            dict.fromkeys(
                f"{a['school']} ({word('level', a['level'], lang)})"
                if lang == "en"
                else f"{a['school']}（{word('level', a['level'], lang)}）"
                for a in across
            )
        )
        note = f"; across the line: {names}" if lang == "en" else f"；边界另一侧是 {names}"
    else:
        note = (
            "; no other school's zone is drawn across the line"
            if lang == "en"
            else "；地图上边界另一侧没有其他学校的片区"
        )
    answer["warnings"] = [
        w + note if w.startswith("距离划片边界") else w for w in answer.get("warnings") or []
    ]
    return across


def public_map(*, nonce: str | None, lang: str = "zh", key: str | None = None) -> dict:
    """The current zones of the page's jurisdiction (nothing when none is published)."""
    j = _on_page(jurisdiction(key))
    vid = store().current_version_id(j.key)
    if vid is None:
        return {}
    v = _version(vid)
    # 公开: the policy's consultation / supervision phones and its timeline (parsed from the text)
    notes = notices.policy_notes(v["spec"].get("policy") or {})
    out = {"publicity": {k: notes[k] for k in ("contacts", "timeline", "issuer")}}
    if nonce is not None:
        out["_map"] = _map(v, nonce, lang=lang, rule_ids=False)
    return out


def versions_page(*, key: str | None = None, nonce: str | None = None, lang: str = "zh") -> dict:
    """The versions of a jurisdiction; for HTML also the published version's map and seats."""
    j = _on_page(jurisdiction(key))
    s = store()
    out = {
        "jurisdiction": j.public(lang),
        "versions": s.versions(j.key),
        "current": s.current_version_id(j.key),
        "cohorts": s.cohorts(j.key),
    }
    if out["current"] is not None:
        v = _version(out["current"])
        placement = _placement(v, s.latest_cohort_id(j.key))
        out["seat_use"] = engine.seat_use(v["spec"], placement, j.ctx)
        if nonce is not None:
            out["_map"] = _map(v, nonce, seat_use=out["seat_use"], lang=lang)
    return out


def version_page(
    version_id: int, *, nonce: str | None, with_zones: bool = False, lang: str = "zh"
) -> dict:
    v = _version(version_id)
    j = _on_page(jurisdiction_of(v["jurisdiction"]))
    placement = _placement(v, store().latest_cohort_id(j.key))
    use = engine.seat_use(v["spec"], placement, j.ctx)
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
        "schools": engine.schools_of(v["spec"]),
        "seat_use": use,
    }
    if with_zones:
        out["seen"] = store().latest_version_id()  # sent back on save: conflicts since then
        out["spec"] = v["spec"]
        out["zones"] = v["zones"]
        out["school_locations"] = engine.school_locations(v["spec"], j.ctx)
        out["basemap"] = _basemap_json(j)
    if nonce is not None:
        out["_map"] = _map(v, nonce, seat_use=use, lang=lang)
    return out


def _basemap_json(j: Jurisdiction) -> dict:
    """The base map's streets and areas as GeoJSON (``name``, ``kind``; geometry simplified to
    about 2 m) for the editor's background; cached per jurisdiction."""
    import json

    key = ("basemap_json", j.key)
    cache = _cache()
    if key not in cache:
        out = {}
        for name, gdf in (
            ("streets", j.ctx.streets),
            ("areas", engine.basemap_layer(j.ctx, "areas")),
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
    try:
        from geo_enroll.policy.spec import validate_spec
    except ImportError:
        return spec
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
    equal the base's within a tolerance are kept byte-identical (:func:`engine.keep_untouched`)."""
    spec = _validate_spec(body["spec"]) if body.get("spec") is not None else base["spec"]
    notes: list[str] = []
    if body.get("zones") is not None:
        zones, _changed = engine.keep_untouched(base["zones"], _validate_zones(body["zones"]))
    elif engine.polygon_rules(spec) != engine.polygon_rules(base["spec"]):
        zones, notes = engine.redigitise(spec, _ctx_of(base))
        notes.insert(
            0, "按修改后的规则重新生成了划片图层 (zones re-digitised from the edited spec)"
        )
    else:
        zones = base["zones"]
    return spec, zones, notes


def preview_edit(version_id: int, body: dict) -> dict:
    """Impact of an edit of ``version_id`` on the latest cohort, before saving."""
    base = _version(version_id)
    spec, zones, notes = _proposal(base, body)
    cohort_id = body.get("cohort_id") or store().latest_cohort_id(base["jurisdiction"])
    if cohort_id is None:
        raise NotFoundError("没有学生名单可用于预览 (no cohort to preview against; add one first)")
    cohort = _cohort_of(int(cohort_id), base)["rows"]
    out = engine.preview(
        base_spec=base["spec"],
        base_zones=base["zones"],
        spec=spec,
        zones=zones,
        cohort=cohort,
        ctx=_ctx_of(base),
        before=_placement(base, int(cohort_id)),
    )
    from .labels import both, problem_label

    for c in out.get("changes") or []:
        c["level_label"] = both("level", c.get("level"))
        c["status_label"] = both("status", c.get("status"))
    out["problem_labels"] = {
        k: problem_label(k)
        for k in {**out.get("problems_before", {}), **out.get("problems_after", {})}
    }
    _kept, changed = engine.keep_untouched(base["zones"], zones)
    unchanged = engine.same_version(base["spec"], base["zones"], spec, zones)
    if unchanged:
        notes.insert(0, _NOTHING_CHANGED)
    return out | {
        "base": base["id"],
        "cohort_id": int(cohort_id),
        "notes": notes,
        "changed_rules": changed,
        "spec_changed": engine.same_version(base["spec"], {}, spec, {}) is False,
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
    base = _version(int(parent_id))
    spec, zones, _notes = _proposal(base, body)
    if engine.same_version(base["spec"], base["zones"], spec, zones):
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
    v = _version(version_id)
    j = _on_page(jurisdiction_of(v["jurisdiction"]))
    cur_id = store().current_version_id(v["jurisdiction"])
    out = {
        "version": {k: v[k] for k in ("id", "parent_id", "author", "created_at", "message")},
        "current": cur_id,
        "jurisdiction": j.public(lang),
        "new_problems": [],
        "published": False,
    }
    if cur_id is not None and cur_id != v["id"]:
        cur = _version(cur_id)
        created = engine.new_gaps_overlaps(cur, v)
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
            from .labels import word

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
            out["_map"] = _map(v, nonce, highlight=highlight, lang=lang)
        return out
    store().publish(v["id"], author=author)
    out["published"] = True
    out["current"] = v["id"]
    return out


def read_cohort_upload(data: bytes, filename: str) -> list[dict]:
    """An uploaded applicant table (CSV or XLSX) as row dicts, or a clear refusal.

    Messages name the user's file (never a temporary file).  A CSV is read as UTF-8 (with or
    without BOM), else as GB18030 (which covers GBK/GB2312, what Excel writes on a Chinese
    system); one that is neither, or whose headers come out garbled, is refused with how to
    save it.  Every row problem (ID number, dates, level, duplicates...) is listed, one line
    per row with the ID masked, and nothing is saved: fix the file and upload it again.

    >>> read_cohort_upload(b"\\xff\\xfe", "a.pdf")
    Traceback (most recent call last):
    ...
    geo_enroll.errors.InputError: 名单 a.pdf 须为 CSV 或 XLSX 文件, 收到 .pdf (expected .csv or .xlsx)
    """
    import io
    from pathlib import Path

    import pandas as pd

    from geo_enroll.errors import ApplicantError
    from geo_enroll.placement.applicants import read_applicants, row_problems

    name = Path(str(filename or "")).name or "名单"
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputError(
            f"名单 {name} 须为 CSV 或 XLSX 文件, 收到 {suffix or '无扩展名'} "
            "(expected .csv or .xlsx)"
        )
    encoding = None
    try:
        if suffix == ".xlsx":
            raw = pd.read_excel(io.BytesIO(data), dtype=object, engine="openpyxl")
        else:
            if b"\x00" in data[:4096]:
                raise InputError(f"{name} 不是文本表格 (binary file; expected a CSV text table)")
            for encoding in ("utf-8-sig", "gb18030"):
                try:
                    text = data.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
            else:
                raise InputError(
                    f"{name} 的编码无法识别（不是 UTF-8 也不是 GBK/GB18030）：请在 Excel 中"
                    "另存为“CSV UTF-8”后上传 (encoding is neither UTF-8 nor GBK)"
                )
            raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - pandas/openpyxl say what is wrong with the table
        raise InputError(
            f"{name} 无法读取为表格 (cannot read as a table): {str(exc)[:200]}"
        ) from None
    if raw.empty:
        raise InputError(f"{name} 没有数据行 (no rows)")
    try:
        table = read_applicants(raw)
    except ApplicantError as exc:
        hint = (
            "；文件按 GBK/GB18030 读取，若列名为乱码，请另存为“CSV UTF-8”"
            if encoding == "gb18030"
            else ""
        )
        raise ApplicantError(f"{name}：{exc.message}{hint}", problems=exc.problems) from None
    problems = row_problems(table)
    if problems:
        raise ApplicantError(
            f"{name} 有{len(problems)}处错误，名单未保存：请改正后重新上传 "
            f"({len(problems)} row problems; nothing saved)",
            problems=problems[:200]
            + ([f"……另有{len(problems) - 200}处"] if len(problems) > 200 else []),
        )
    return engine._rows_from_frame(raw.astype(str))


def _cohort_of(cohort_id: int, version: dict) -> dict:
    """A cohort, refused when it belongs to another jurisdiction than ``version``."""
    c = store().cohort(cohort_id)
    if c["jurisdiction"] != version["jurisdiction"]:
        raise InputError(
            f"学生名单 {cohort_id} 属于另一个辖区 (cohort {cohort_id} belongs to "
            f"{c['jurisdiction']}, version {version['id']} to {version['jurisdiction']})"
        )
    return c


def diff_page(a: int, b: int, *, nonce: str | None, lang: str = "zh") -> dict:
    va, vb = _version(a), _version(b)
    if va["jurisdiction"] != vb["jurisdiction"]:
        raise InputError(
            f"版本 {a} 与 {b} 属于不同辖区，无法比较 (versions of different jurisdictions)"
        )
    _on_page(jurisdiction_of(va["jurisdiction"]))
    cid = store().latest_cohort_id(va["jurisdiction"])
    cohort = store().cohort(cid)["rows"] if cid else None
    d = engine.diff_versions(va, vb, cohort=cohort, ctx=_ctx_of(va))
    if nonce is not None:
        d["_map"] = _map(vb, nonce, highlight=d["changed_zones"], lang=lang)
    return d


# ---------------------------------------------------------------------------- runs

_RUN_KINDS = ("placement", "montecarlo")


def start_run(body: dict, *, user: dict) -> dict:
    kind = body.get("kind") or "placement"
    if kind not in _RUN_KINDS:
        raise InputError(f"kind must be one of {', '.join(_RUN_KINDS)}, got {kind!r}")
    of_record = bool(body.get("of_record"))
    if of_record and user["role"] not in ("staff", "admin"):
        raise AuthError("只有招生工作人员可以运行正式录取 (only staff run the placement of record)")
    if of_record and kind != "placement":
        raise InputError("the placement of record must be a placement run")
    s = store()
    j = jurisdiction(body.get("jurisdiction") or None)
    try:
        version_id = int(body.get("version_id") or s.current_version_id(j.key) or 0)
        v = _version(version_id)
        cohort_id = int(body.get("cohort_id") or s.latest_cohort_id(v["jurisdiction"]) or 0)
    except (TypeError, ValueError) as exc:
        raise InputError("version_id and cohort_id must be whole numbers") from exc
    _cohort_of(cohort_id, v)
    try:
        seed = int(body.get("seed", 7))
        draws = max(1, min(int(body.get("draws", 20)), 500))
    except (TypeError, ValueError) as exc:
        raise InputError("seed and draws must be whole numbers") from exc
    params = {"seed": seed} | ({"draws": draws} if kind == "montecarlo" else {})
    run_id = s.create_run(
        kind=kind,
        version_id=version_id,
        cohort_id=cohort_id,
        params=params,
        author=user["username"],
        of_record=of_record,
    )
    s.audit(
        "run.start",
        username=user["username"],
        role=user["role"],
        obj=f"run:{run_id}",
        detail=f"{kind} version={version_id} cohort={cohort_id} record={of_record}",
    )
    app = current_app._get_current_object()
    if app.config.get("RUNS_SYNC"):
        _execute(app, run_id)
    else:
        threading.Thread(
            target=_execute, args=(app, run_id), daemon=True, name=f"run-{run_id}"
        ).start()
    return {"id": run_id, "status": s.run(run_id)["status"]}


def _execute(app, run_id: int) -> None:
    with app.app_context():
        s = store()
        run = s.run(run_id)
        v = s.version(run["version_id"])
        cohort = s.cohort(run["cohort_id"])["rows"]
        ctx = jurisdiction_of(v["jurisdiction"]).ctx
        last = [0.0]

        def progress(frac: float) -> None:
            if frac - last[0] >= 0.05 or frac >= 1.0:
                last[0] = frac
                s.update_run(run_id, progress=round(min(frac, 1.0), 3))

        s.update_run(run_id, status="running")
        try:
            if run["kind"] == "placement":
                result = engine.place(
                    spec=v["spec"],
                    zones=v["zones"],
                    cohort=cohort,
                    seed=run["params"]["seed"],
                    progress=progress,
                    ctx=ctx,
                )
            else:
                result = engine.simulate(
                    spec=v["spec"],
                    zones=v["zones"],
                    cohort=cohort,
                    draws=run["params"]["draws"],
                    seed=run["params"]["seed"],
                    progress=progress,
                    ctx=ctx,
                )
            s.update_run(
                run_id,
                status="done",
                progress=1.0,
                result=result,
                finished_at=datetime.now().astimezone().replace(microsecond=0).isoformat(),
            )
        except Exception as exc:  # noqa: BLE001 - recorded on the run, never a traceback to users
            app.logger.error("run %s failed: %s", run_id, type(exc).__name__)
            message = getattr(exc, "message", None) or type(exc).__name__
            s.update_run(run_id, status="failed", error=str(message)[:500])


def _cohort_index(cohort_id: int) -> dict[str, dict]:
    key = ("cohort_index", cohort_id)
    cache = _cache()
    if key not in cache:
        cache[key] = {r["student_id"]: r for r in store().cohort(cohort_id)["rows"]}
    return cache[key]


def run_page(
    run_id: int, *, nonce: str | None, school: str | None = None, lang: str = "zh"
) -> dict:
    """A run's status and, when done, its results.

    A placement: status counts, per-school seats/fill/overflow and overflow lines home → school.
    A Monte-Carlo: the multi-school groups, per school fill, chance to fill up and last admitted
    tier, and the probability map of one school (``school``: its name) per unit.
    """
    from .labels import word

    run = store().run(run_id)
    result = run.pop("result") or {}
    run["status_label"] = word("status", run["status"], lang)
    out = {"run": run, "schools": result.get("schools", []), "engine": result.get("engine")}
    v = _version(run["version_id"])
    j = _on_page(jurisdiction_of(v["jurisdiction"]))
    out["jurisdiction"] = j.public(lang)
    if run["status"] != "done":
        return out
    rows = _cohort_index(run["cohort_id"])
    lines = []
    units = []
    if run["kind"] == "placement":
        centres = _school_points(v) | (result.get("school_lonlat") or {})
        homes = result.get("homes") or {}
        placements = result.get("placements", [])
        out["counts"] = _status_counts(placements)
        out["n"] = len(placements)
        for p in placements:
            r = rows.get(p["student_id"], {})
            home = _home(p, r, homes)
            if p.get("school") and p.get("rule") == "overflow" and p["school"] in centres and home:
                lines.append(
                    {
                        "from": home,
                        "to": centres[p["school"]],
                        "label": f"{p['student_id']} → {p['school']} ({p.get('distance_m')} m)",
                    }
                )
        out["overflow_lines"] = len(lines)
    else:
        out["groups"] = result.get("groups", [])
        out["note"] = result.get("note")
        out["draws"] = result.get("draws")
        out["placement_counts"] = (result.get("placement") or {}).get("status")
        out["units"] = result.get("units", [])
        names = [n for g_ in out["groups"] for n in g_.get("schools", [])]
        out["probability_schools"] = names
        school = school if school in names else (names[0] if names else None)
        out["probability_school"] = school
        out["units_shown"] = [
            {
                "unit": u["unit"],
                "applicants": u.get("applicants"),
                "p": float((u.get("p") or {}).get(school, 0.0)),
                "p_no_seat": float(u.get("p_no_seat") or 0.0),
            }
            for u in out["units"]
            if school in _group_names(out["groups"], u["group"])
        ]
        for u in out["units"]:
            if u.get("lon") is None or school not in _group_names(out["groups"], u["group"]):
                continue
            pr = float((u.get("p") or {}).get(school, 0.0))
            units.append(
                {
                    "lon": u["lon"],
                    "lat": u["lat"],
                    "value": pr,
                    "n": u.get("applicants") or 1,
                    "label": f"{u['unit']}: P({school}) = {pr:.2f} · "
                    + (
                        f"{u.get('applicants')} applicants"
                        if lang == "en"
                        else f"{u.get('applicants')} 人"
                    ),
                }
            )
    if nonce is not None:
        seat_use = engine.seat_use(v["spec"], result if run["kind"] == "placement" else None, j.ctx)
        out["_map"] = _map(
            v,
            nonce,
            lines=lines,
            units=units,
            seat_use=seat_use,
            lang=lang,
            legend_title=(
                (f"P({school})" if school else None) if run["kind"] != "placement" else None
            ),
        )
    return out


def _group_names(groups: list[dict], gid: str) -> list[str]:
    return next((g_.get("schools", []) for g_ in groups if g_.get("group") == gid), [])


def _home(p: dict, row: dict, homes: dict) -> list[float] | None:
    """A child's home point (the run's geocoded homes, else the cohort's lon/lat)."""
    if p["student_id"] in homes:
        return homes[p["student_id"]]
    if row.get("lon") not in (None, "") and row.get("lat") not in (None, ""):
        return [float(row["lon"]), float(row["lat"])]
    return None


def _status_counts(placements: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in placements:
        counts[p.get("status") or ""] = counts.get(p.get("status") or "", 0) + 1
    return counts


def _school_points(version: dict) -> dict[str, list[float]]:
    """A point per school: the spec's coordinates when given, else the middle of its zones."""
    from shapely.geometry import shape
    from shapely.ops import unary_union

    pts: dict[str, list[float]] = {}
    for s in version["spec"].get("schools") or []:
        if s.get("lon") is not None and s.get("lat") is not None:
            pts[s["name"]] = [float(s["lon"]), float(s["lat"])]
    geoms: dict[str, list] = {}
    for f in version["zones"].get("features") or []:
        if f.get("geometry"):
            geoms.setdefault(f["properties"].get("school"), []).append(shape(f["geometry"]))
    for name, gs in geoms.items():
        if name not in pts:
            c = unary_union(gs).representative_point()
            pts[name] = [c.x, c.y]
    return pts


def analyst_page(*, key: str | None = None, lang: str = "zh") -> dict:
    """Runs, versions and cohorts of a jurisdiction (the analyst's start page)."""
    j = _on_page(jurisdiction(key))
    s = store()
    return {
        "jurisdiction": j.public(lang),
        "runs": s.runs(j.key),
        "versions": s.versions(j.key),
        "cohorts": s.cohorts(j.key),
    }


def staff_page(*, key: str | None = None, lang: str = "zh") -> dict:
    """The placement of record of a jurisdiction with its schools (admitted counts summed over
    levels)."""
    s = store()
    j = _on_page(jurisdiction(key))
    rid = s.record_run_id(j.key)
    run = s.run(rid) if rid else None
    schools = []
    appeal_counts = {"open": 0, "decided": 0, "changed": 0}
    if run:
        spec = _version(run["version_id"])["spec"]
        by_key = {}
        for sc in spec.get("schools") or []:
            by_key[sc["id"]] = by_key[sc["name"]] = sc["id"]
        moved = _decided_schools(run["id"])  # 复核改派: the child counts at the new school
        placed: dict[str, int] = {}
        for p in run["result"].get("placements", []):
            if p.get("status") not in (None, "placed") and p["student_id"] not in moved:
                continue
            sid = moved.get(p["student_id"]) or by_key.get(p.get("school") or "")
            if sid:
                placed[sid] = placed.get(sid, 0) + 1
        schools = [
            {
                "id": sc["id"],
                "name": sc["name"],
                "level": sc.get("level"),
                "code": sc.get("code"),
                "placed": placed.get(sc["id"], 0),
            }
            for sc in spec.get("schools") or []
        ]
        for a in s.appeals():
            if a["run_id"] == run["id"]:
                appeal_counts["open" if a.get("outcome") is None else "decided"] += 1
                appeal_counts["changed"] += a.get("outcome") == "changed"
        run = {k: v for k, v in run.items() if k != "result"}
    runs = [r for r in s.runs(j.key) if r["of_record"]]
    notice_date = None
    if run:
        from . import notices as web_notices

        try:
            notice_date = web_notices.notice_date(spec.get("policy") or {})[0].isoformat()
        except InputError:  # the policy names no date: staff choose one
            notice_date = None
    return {
        "jurisdiction": j.public(lang),
        "record_run": run,
        "schools": schools,
        "notice_date": notice_date,
        "policy_notes": notices.policy_notes(spec.get("policy") or {}) if run else None,
        "appeal_counts": appeal_counts,
        "pending_run": next((r for r in runs if r.get("status") in ("queued", "running")), None),
        "versions": s.versions(j.key),
        "cohorts": s.cohorts(j.key),
        "runs": runs,
    }


_ID_QUERY = re.compile(r"^[0-9Xx*＊]{4,18}$")


def staff_search(query: str, *, key: str | None = None) -> dict:
    """Children of the placement of record found by name (part of 姓名), by ID number as staff
    see it (masked ``152527********1234``, the last 4–6 digits, or the whole number) or by
    student id.  Answers masked ID numbers only, with each child's school after appeals.

    Returns ``{"query", "matches": [{"student_id", "name", "id_masked", "level", "school",
    "status", "changed", "appeal_id"}], "more"}`` (at most 50 matches).
    """
    q = "".join(str(query or "").split())
    if not q:
        raise InputError("请输入姓名或证件号 (type a name or an ID number)")
    if len(q) > 40:
        raise InputError("查询过长，最多 40 字 (query too long: 40 characters at most)")
    run = record_run(key)
    spec = _version(run["version_id"])["spec"]
    names = {sc["id"]: sc["name"] for sc in spec.get("schools") or []}
    rows = _cohort_index(run["cohort_id"])
    moved = _decided_schools(run["id"])
    appeals = {a["student_id"]: a["id"] for a in store().appeals() if a["run_id"] == run["id"]}
    pattern = None
    if _ID_QUERY.match(q) and any(c.isdigit() for c in q):
        body = q.upper().replace("＊", "*")
        if "*" in body:
            pattern = re.compile("^" + body.replace("*", "[0-9X]") + "$")
        elif len(body) == 18:
            pattern = re.compile("^" + re.escape(body) + "$")
        else:
            pattern = re.compile(re.escape(body) + "$")  # the last digits
    matches = []
    for p in run["result"].get("placements", []):
        sid = p["student_id"]
        r = rows.get(sid, {})
        idn = str(r.get("身份证号") or "").upper()
        name = str(r.get("姓名") or "")
        hit = sid == q or (pattern.search(idn) if pattern else q.lower() in name.lower())
        if not hit:
            continue
        final = moved.get(sid)
        matches.append(
            {
                "student_id": sid,
                "name": name,
                "id_masked": engine.mask_id(idn) if idn else "",
                "level": p.get("level"),
                "school": names.get(final, final) if final else p.get("school"),
                "status": "placed" if final else p.get("status"),
                "changed": bool(final),
                "appeal_id": appeals.get(sid),
            }
        )
    matches.sort(key=lambda m: (m["name"], m["student_id"]))
    return {"query": q, "matches": matches[:50], "more": max(0, len(matches) - 50)}


def record_run(key: str | None = None) -> dict:
    """The placement of record of the jurisdiction ``key`` (default: the selected one)."""
    rid = store().record_run_id(jurisdiction(key).key)
    if rid is None:
        raise NotFoundError("尚未运行正式录取 (the placement of record has not been run yet)")
    return store().run(rid)


def school_students(run_id: int, school_id: str) -> tuple[dict, dict, list[dict]]:
    """(spec, school, rows) of the children a finished placement admitted to ``school_id``."""
    run = store().run(run_id)
    if run["kind"] != "placement" or run["status"] != "done":
        raise NotFoundError(f"run {run_id} is not a finished placement")
    v = _version(run["version_id"])
    school = next((s for s in v["spec"].get("schools") or [] if s.get("id") == school_id), None)
    if school is None:
        raise NotFoundError(f"school {school_id!r} is not in version {v['id']}")
    rows = _cohort_index(run["cohort_id"])
    admitted = []
    overrides = _decided_schools(run_id)
    for p in run["result"]["placements"]:
        final = overrides.get(p["student_id"], p.get("school"))
        if final in (school["name"], school["id"]):
            admitted.append(
                rows.get(p["student_id"], {})
                | {"student_id": p["student_id"], "level": p.get("level")}
            )
    admitted.sort(key=lambda r: r["student_id"])
    return v["spec"], school, admitted


def _decided_schools(run_id: int) -> dict[str, str]:
    """``{student_id: school id}`` of the 改派 decisions of a run (unknown schools skipped)."""
    run = store().run(run_id)
    spec = _version(run["version_id"])["spec"]
    return notices.decided_schools(spec, [a for a in store().appeals() if a["run_id"] == run_id])


# ---------------------------------------------------------------------------- appeals


def working_days_after(start: date, n: int) -> date:
    """The date ``n`` working days (Mon–Fri) after ``start``.

    >>> working_days_after(date(2024, 8, 2), 5)  # a Friday
    datetime.date(2024, 8, 9)
    """
    d = start
    while n > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


def _received_key(run_id: int, student_id: str) -> str:
    return f"notice_received:run:{int(run_id)}:{student_id}"


def _deadline(run: dict, spec: dict, student_id: str | None = None) -> date:
    """Last day of the 复核 window: N PRC working days (holidays and make-up days from the
    chinesecalendar package) after the family received the notice, as recorded per notice
    (:func:`record_notice_received`); unrecorded, the day the placement was made."""
    return _deadline_note(run, spec, student_id)[0]


def _deadline_note(run: dict, spec: dict, student_id: str | None = None) -> tuple[date, str]:
    days = int((spec.get("policy") or {}).get("appeal_window_working_days") or 5)
    got = store().get_meta(_received_key(run["id"], student_id)) if student_id else None
    if got:
        received, why = date.fromisoformat(got), f"通知书领取日{got}"
    else:
        received = datetime.fromisoformat(run["finished_at"]).date()
        why = "未记录通知书领取日，按录取结果生成日计算"
    end, note = notices.appeal_deadline(received, days)
    return end, "；".join(x for x in (why, note) if x)


def record_notice_received(run_id: int, student_id: str, body: dict, *, user: dict) -> dict:
    """Record the day a family received the admission notice (the 复核 window starts there)."""
    run = store().run(run_id)
    if not any(p["student_id"] == student_id for p in run["result"].get("placements", [])):
        raise NotFoundError(f"学生编号 {student_id} 不在该次录取结果中 (not in run {run_id})")
    raw = str(body.get("received") or "").strip()
    try:
        received = date.fromisoformat(raw)
    except ValueError as exc:
        raise InputError(
            f"领取日期“{raw[:20]}”格式不对，应为 YYYY-MM-DD (received must be YYYY-MM-DD)"
        ) from exc
    finished = datetime.fromisoformat(run["finished_at"]).date()
    if received > date.today():
        raise InputError(
            f"领取日期{received}晚于今天，请核对 (the notice cannot be received in the future)"
        )
    if received < finished:
        raise InputError(
            f"领取日期{received}早于录取结果生成日{finished}，请核对 (received before the placement)"
        )
    store().set_meta(_received_key(run_id, student_id), received.isoformat())
    store().audit(
        "notice.received",
        username=user["username"],
        role=user["role"],
        obj=f"run:{run_id}/student:{student_id}",
        detail=received.isoformat(),
    )
    deadline, note = _deadline_note(run, _version(run["version_id"])["spec"], student_id)
    return {"received": received.isoformat(), "deadline": deadline.isoformat(), "note": note}


def file_appeal(body: dict, *, user: dict, today: date | None = None) -> dict:
    run = record_run(body.get("jurisdiction") or None)
    student_id = str(body.get("student_id") or "").strip()
    reason = str(body.get("reason") or "").strip()
    if not student_id or not reason:
        raise InputError("复核申请需要学生编号和理由 (student_id and reason are required)")
    if not any(p["student_id"] == student_id for p in run["result"]["placements"]):
        raise NotFoundError(
            f"学生编号 {student_id} 不在正式录取结果中 (not in the placement of record)"
        )
    if body.get("notice_received"):  # the day on the family's notice stub, recorded first
        record_notice_received(
            run["id"], student_id, {"received": body["notice_received"]}, user=user
        )
    spec = _version(run["version_id"])["spec"]
    deadline, note = _deadline_note(run, spec, student_id)
    today = today or date.today()
    if today > deadline:
        days = (spec.get("policy") or {}).get("appeal_window_working_days") or 5
        raise InputError(
            f"已超过复核期限 {deadline.isoformat()}（拿到入学通知书{days}个工作日内；{note}） "
            f"(the appeal window closed on {deadline.isoformat()})"
        )
    aid = store().file_appeal(
        run_id=run["id"],
        student_id=student_id,
        reason=reason[:1000],
        deadline=deadline.isoformat(),
        author=user["username"],
    )
    store().audit("appeal.file", username=user["username"], role=user["role"], obj=f"appeal:{aid}")
    return {"id": aid, "deadline": deadline.isoformat(), "deadline_basis": note}


def appeals_page(*, user: dict, key: str | None = None) -> dict:
    j = _on_page(jurisdiction(key))
    rid = store().record_run_id(j.key)
    run = store().run(rid) if rid else None
    deadline = None
    if run:
        deadline = _deadline(run, _version(run["version_id"])["spec"]).isoformat()
    mine = {r["id"] for r in store().runs(j.key)}
    appeals = [a for a in store().appeals() if a["run_id"] in mine]
    placements = (
        {p["student_id"]: p for p in (run or {}).get("result", {}).get("placements", [])}
        if run
        else {}
    )
    for a in appeals:
        p = placements.get(a["student_id"], {}) if a["run_id"] == rid else {}
        a["school"] = p.get("school")
        a["trace"] = p.get("trace")
        a["open"] = a.get("outcome") is None
    store().audit("appeals.view", username=user["username"], role=user["role"])
    return {
        "record_run": rid,
        "deadline": deadline,
        "appeals": appeals,
        "schools": [s["name"] for s in (_version(run["version_id"])["spec"].get("schools") or [])]
        if run
        else [],
    }


def appeal_detail(appeal_id: int, *, user: dict) -> dict:
    a = store().appeal(appeal_id)
    run = store().run(a["run_id"])
    p = next((p for p in run["result"]["placements"] if p["student_id"] == a["student_id"]), {})
    r = _cohort_index(run["cohort_id"]).get(a["student_id"], {})
    store().audit(
        "appeal.view", username=user["username"], role=user["role"], obj=f"appeal:{appeal_id}"
    )
    return {
        "appeal": a,
        "placement": p,
        "child": {
            "姓名": r.get("姓名"),
            "身份证号": engine.mask_id(r.get("身份证号")),
            "户籍地址": r.get("户籍地址"),
        },
        "schools": [  # 改派 only to a school of the child's level
            s["name"]
            for s in _version(run["version_id"])["spec"].get("schools") or []
            if s.get("level") in (p.get("level") or "primary", "nine_year")
        ],
    }


def decide_appeal(appeal_id: int, body: dict, *, user: dict) -> dict:
    outcome = body.get("outcome")
    if outcome not in ("upheld", "changed"):
        raise InputError("outcome must be 'upheld' (维持) or 'changed' (改派)")
    reason = str(body.get("reason") or "").strip()
    if not reason:
        raise InputError("复核决定必须写明理由 (a decision needs its reason)")
    new_school = body.get("new_school") or None
    if outcome == "changed" and not new_school:
        raise InputError("改派须选择学校 (a changed decision names the new school)")
    detail, checked = outcome, None
    if outcome == "changed":
        # a school of the policy, at the child's level, with a free seat (or a recorded override)
        a = store().appeal(appeal_id)
        run = store().run(a["run_id"])
        others = [x for x in store().appeals() if x["run_id"] == run["id"] and x["id"] != a["id"]]
        checked = notices.check_reassignment(
            _version(run["version_id"])["spec"],
            run["result"],
            others,
            student_id=a["student_id"],
            new_school=new_school,
            override_seats=body.get("override_seats") or False,
        )
        new_school = checked["school"]["name"]
        reason = f"{checked['note']}；{reason}"
        detail = f"changed:{checked['school']['id']}" + (":override" if checked["override"] else "")
    did = store().decide(
        appeal_id,
        outcome=outcome,
        reason=reason[:1000],
        author=user["username"],
        new_school=new_school if outcome == "changed" else None,
    )
    store().audit(
        "appeal.decide",
        username=user["username"],
        role=user["role"],
        obj=f"appeal:{appeal_id}",
        detail=detail,
    )
    out = {"id": did, "appeal_id": appeal_id, "outcome": outcome}
    if checked:
        out |= {"new_school": new_school, "override_seats": checked["override"]}
    return out


def reveal_id(run_id: int, student_id: str, *, user: dict) -> dict:
    """The full ID number of one child, for staff; every reveal is audited."""
    run = store().run(run_id)
    r = _cohort_index(run["cohort_id"]).get(student_id)
    if r is None:
        raise NotFoundError(f"student {student_id} is not in run {run_id}")
    store().audit(
        "id.reveal",
        username=user["username"],
        role=user["role"],
        obj=f"run:{run_id}/student:{student_id}",
    )
    return {"student_id": student_id, "id_number": r.get("身份证号")}
