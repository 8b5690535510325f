"""What the views do, one function per view: the store plus the engine adapters.

Views parse the request, call one function here and render its dict (HTML or the JSON twin).
No geometry and no policy logic lives in the views.  Nothing here logs personal data.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import current_app, g, session

from geo_enroll.errors import AuthError, InputError, NotFoundError, ZoneSpecError
from geo_enroll.settings import DEFAULT_SETTINGS

from . import engine
from .jurisdictions import Jurisdiction
from .maps import render_parts, zones_map

__all__ = [
    "store",
    "seed_defaults",
    "current_version",
    "lookup_page",
    "version_page",
    "versions_page",
    "save_version",
    "preview_edit",
    "diff_page",
    "start_run",
    "run_page",
    "school_students",
    "file_appeal",
    "appeals_page",
    "decide_appeal",
    "reveal_id",
    "working_days_after",
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


def seed_defaults(
    app_store, j: Jurisdiction, *, logger, cohort_seed: int | None = 7
) -> None:
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
            v["spec"], seed=cohort_seed, zones=v["zones"], basemap=j.ctx.basemap,
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


def _map(zones: dict, nonce: str, **kw) -> dict:
    vendor = current_app.config["VENDOR_URL"]
    return render_parts(
        zones_map(zones, tiles_url=current_app.config.get("TILES_URL"), vendor=vendor, **kw),
        nonce=nonce,
    )


def lookup_page(
    *,
    address: str | None,
    lon: float | None,
    lat: float | None,
    nonce: str | None,
    lang: str = "zh",
) -> dict:
    """A parent's lookup on the current version (map parts only for HTML)."""
    v = current_version()
    answer = engine.lookup(
        spec=v["spec"],
        zones=v["zones"],
        address=address,
        lon=lon,
        lat=lat,
        ctx=_ctx(),
        key=v["sha256"],
    )
    for level in ("primary", "middle"):
        for s in answer["schools"].get(level, []):
            s["kind_label"] = engine.zone_kind_label(s.get("kind"), lang)
    answer.pop("raw", None)
    answer["version"] = v["id"]
    if nonce is None:
        return answer
    rule_ids = {s.get("rule_id") for lv in answer["schools"].values() for s in lv}
    mine = {
        "type": "FeatureCollection",
        "features": [
            f
            for f in v["zones"].get("features") or []
            if f["properties"].get("rule_id") in rule_ids
        ],
    }
    points = []
    if answer.get("lon") is not None and answer.get("lat") is not None:
        points = [
            {"lon": answer["lon"], "lat": answer["lat"], "label": "查询位置 location", "value": 1}
        ]
    return {
        "answer": answer,
        "_map": _map(mine if mine["features"] else v["zones"], nonce, points=points),
    }


def public_map(*, nonce: str | None) -> dict:
    """The current zones for the parents' page (nothing when no version is published)."""
    vid = store().current_version_id()
    if vid is None or nonce is None:
        return {}
    return {"_map": _map(_version(vid)["zones"], nonce)}


def versions_page() -> dict:
    s = store()
    return {"versions": s.versions(), "current": s.current_version_id(), "cohorts": s.cohorts()}


def version_page(version_id: int, *, nonce: str | None, with_zones: bool = False) -> dict:
    v = _version(version_id)
    placement = _placement(v, store().latest_cohort_id())
    use = engine.seat_use(v["spec"], placement, _ctx())
    out = {
        "version": {
            k: v[k]
            for k in ("id", "parent_id", "author", "created_at", "message", "sha256", "current")
        },
        "schools": engine.schools_of(v["spec"]),
        "seat_use": use,
    }
    if with_zones:
        out["spec"] = v["spec"]
        out["zones"] = v["zones"]
    if nonce is not None:
        out["_map"] = _map(v["zones"], nonce, seat_use=use)
    return out


def _validate_zones(zones) -> dict:
    from shapely.geometry import shape

    if not isinstance(zones, dict) or zones.get("type") != "FeatureCollection":
        raise ZoneSpecError("zones must be a GeoJSON FeatureCollection (招生范围须为 GeoJSON)")
    problems = []
    total = 0
    for i, f in enumerate(zones.get("features") or []):
        props = f.get("properties") or {}
        rid = props.get("rule_id") or f"#{i}"
        for key in ("school", "rule_id", "level"):
            if not props.get(key):
                problems.append(f"zone {rid}: property {key!r} is missing")
        geom = f.get("geometry")
        if geom is None:
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
        if not g.is_valid:
            problems.append(
                f"zone {rid}: {shapely.is_valid_reason(g)} (redraw without crossing edges)"
            )
        minx, miny, maxx, maxy = g.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            problems.append(f"zone {rid}: coordinates are not WGS 84 degrees (lon, lat)")
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
    with no redrawn zones gets its zones digitised again on the base map."""
    spec = _validate_spec(body["spec"]) if body.get("spec") is not None else base["spec"]
    notes: list[str] = []
    if body.get("zones") is not None:
        zones = _validate_zones(body["zones"])
    elif engine.polygon_rules(spec) != engine.polygon_rules(base["spec"]):
        zones, notes = engine.redigitise(spec, _ctx())
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
    cohort_id = body.get("cohort_id") or store().latest_cohort_id()
    if cohort_id is None:
        raise NotFoundError("没有学生名单可用于预览 (no cohort to preview against; add one first)")
    cohort = store().cohort(int(cohort_id))["rows"]
    out = engine.preview(
        base_spec=base["spec"],
        base_zones=base["zones"],
        spec=spec,
        zones=zones,
        cohort=cohort,
        ctx=_ctx(),
        before=_placement(base, int(cohort_id)),
    )
    return out | {"base": base["id"], "cohort_id": int(cohort_id), "notes": notes}


def save_version(body: dict, *, author: str) -> dict:
    parent_id = body.get("parent_id")
    if parent_id is None:
        raise InputError("parent_id is required (基于哪个版本修改)")
    if not str(body.get("message") or "").strip():
        raise InputError("请填写修改说明 (a version needs a message saying what changed)")
    base = _version(int(parent_id))
    spec, zones, _notes = _proposal(base, body)
    vid = store().save_version(
        spec=spec,
        zones=zones,
        author=author,
        message=str(body.get("message") or "")[:500],
        parent_id=base["id"],
    )
    return {"id": vid, "parent_id": base["id"]}


def diff_page(a: int, b: int, *, nonce: str | None) -> dict:
    va, vb = _version(a), _version(b)
    cid = store().latest_cohort_id()
    cohort = store().cohort(cid)["rows"] if cid else None
    d = engine.diff_versions(va, vb, cohort=cohort, ctx=_ctx())
    if nonce is not None:
        d["_map"] = _map(vb["zones"], nonce, highlight=d["changed_zones"])
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
    version_id = int(body.get("version_id") or s.current_version_id() or 0)
    cohort_id = int(body.get("cohort_id") or s.latest_cohort_id() or 0)
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
        ctx = app.config.get("ENGINE_CONTEXT") or engine.DEFAULT_CONTEXT
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


def run_page(run_id: int, *, nonce: str | None, school: str | None = None) -> dict:
    """A run's status and, when done, its results: schools, overflow lines, probabilities."""
    run = store().run(run_id)
    result = run.pop("result") or {}
    out = {"run": run, "schools": result.get("schools", []), "engine": result.get("engine")}
    if run["status"] != "done":
        return out
    v = _version(run["version_id"])
    rows = _cohort_index(run["cohort_id"])
    centres = _school_points(v) | (result.get("school_lonlat") or {})
    lines, points = [], []
    homes = result.get("homes") or {}
    if run["kind"] == "placement":
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
        probs = result.get("probabilities", [])
        names = sorted({p["school"] for p in probs if p.get("school")})
        out["probability_schools"] = names
        school = school if school in names else (names[0] if names else None)
        out["probability_school"] = school
        for p in probs:
            home = _home(p, rows.get(p["student_id"], {}), homes)
            if p.get("school") == school and home:
                points.append(
                    {
                        "lon": home[0],
                        "lat": home[1],
                        "value": float(p["p"]),
                        "label": f"P({school}) = {p['p']}",
                    }
                )
    if nonce is not None:
        out["_map"] = _map(
            v["zones"],
            nonce,
            lines=lines,
            points=points,
            seat_use=engine.seat_use(
                v["spec"], result if run["kind"] == "placement" else None, _ctx()
            ),
        )
    return out


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


def staff_page() -> dict:
    """The placement of record with its schools (admitted counts summed over levels)."""
    s = store()
    rid = s.record_run_id()
    run = s.run(rid) if rid else None
    schools = []
    if run:
        spec = _version(run["version_id"])["spec"]
        placed: dict[str, int] = {}
        for row in run["result"].get("schools", []):  # a nine-year school has a row per level
            placed[row["school"]] = placed.get(row["school"], 0) + int(row.get("placed") or 0)
        schools = [
            {
                "id": sc["id"],
                "name": sc["name"],
                "level": sc.get("level"),
                "code": sc.get("code"),
                "placed": placed.get(sc["name"], 0),
            }
            for sc in spec.get("schools") or []
        ]
        run = {k: v for k, v in run.items() if k != "result"}
    return {
        "record_run": run,
        "schools": schools,
        "versions": s.versions(),
        "cohorts": s.cohorts(),
        "runs": [r for r in s.runs() if r["of_record"]],
    }


def record_run() -> dict:
    rid = store().record_run_id()
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
    out = {}
    for a in store().appeals():
        if a["run_id"] == run_id and a.get("outcome") == "changed" and a.get("new_school"):
            out[a["student_id"]] = a["new_school"]
    return out


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


def _deadline(run: dict, spec: dict) -> date:
    days = int((spec.get("policy") or {}).get("appeal_window_working_days") or 5)
    notified = datetime.fromisoformat(run["finished_at"]).date()
    return working_days_after(notified, days)


def file_appeal(body: dict, *, user: dict, today: date | None = None) -> dict:
    run = record_run()
    student_id = str(body.get("student_id") or "").strip()
    reason = str(body.get("reason") or "").strip()
    if not student_id or not reason:
        raise InputError("复核申请需要学生编号和理由 (student_id and reason are required)")
    if not any(p["student_id"] == student_id for p in run["result"]["placements"]):
        raise NotFoundError(
            f"学生编号 {student_id} 不在正式录取结果中 (not in the placement of record)"
        )
    deadline = _deadline(run, _version(run["version_id"])["spec"])
    today = today or date.today()
    if today > deadline:
        raise InputError(
            f"已超过复核期限 {deadline.isoformat()} (the appeal window closed on "
            f"{deadline.isoformat()}: 拿到入学通知书 N 个工作日内)"
        )
    aid = store().file_appeal(
        run_id=run["id"],
        student_id=student_id,
        reason=reason[:1000],
        deadline=deadline.isoformat(),
        author=user["username"],
    )
    store().audit("appeal.file", username=user["username"], role=user["role"], obj=f"appeal:{aid}")
    return {"id": aid, "deadline": deadline.isoformat()}


def appeals_page(*, user: dict) -> dict:
    rid = store().record_run_id()
    run = store().run(rid) if rid else None
    deadline = None
    if run:
        deadline = _deadline(run, _version(run["version_id"])["spec"]).isoformat()
    appeals = store().appeals()
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
        "schools": [s["name"] for s in _version(run["version_id"])["spec"].get("schools") or []],
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
        detail=outcome,
    )
    return {"id": did, "appeal_id": appeal_id, "outcome": outcome}


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
