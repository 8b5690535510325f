"""The JSON API (described by ``/api/openapi.json``); HTML pages call the same common."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, Response, current_app, g, request

from geo_enroll.errors import InputError

from . import common
from .analyst import service as analyst
from .analyst.views import RUN_BODY
from .auth import csrf_exempt, roles
from .context import synth_cohort
from .errors import RequestInvalid
from .planner import edits
from .planner import service as planner
from .public.answer_cache import AnswerCache
from .public.service import lookup_page
from .ui import lang
from .validation import ID, JKEY, LAT, LON, MAX_ID, SEED, SPEC, ZONES, query, text, validate
from .view_helpers import audit, body, jkey, limit_lookup

bp = Blueprint("api", __name__, url_prefix="/api")

OPENAPI = Path(__file__).resolve().parent / "openapi.json"


@bp.route("/openapi.json")
@roles()
@validate()
def openapi():
    return Response(OPENAPI.read_text(encoding="utf-8"), mimetype="application/json")


#: the answer to ``GET /api/lookup?address=…``: a URL keeps the address in proxies, browser
#: history and server logs, so the lookup takes it only in a POST body
LOOKUP_BY_POST = (
    "地址和住址坐标不能放在网址里（网址会留在代理、浏览器历史和服务器日志中）：请改用 POST "
    "/api/lookup，在请求体中发送 JSON，Content-Type: application/json，如 "
    '{"address": "太仆寺旗宝昌镇南郊社区察哈尔街1号"} 或 {"lon": 115.27, "lat": 41.87} '
    "(send the address or the home's lon/lat in the body of a POST, never in the URL)"
)


@bp.route("/lookup", methods=["GET"])
@roles()
@validate()
def lookup_get():
    """Refused: the address (or the home's coordinates) belongs in a POST body, not a URL."""
    raise InputError(
        LOOKUP_BY_POST,
        problems=[
            "curl -X POST -H 'Content-Type: application/json' "
            """-d '{"address": "…"}' <server>/api/lookup"""
        ],
    )


@bp.route("/lookup", methods=["POST"])
@roles()
@validate(body={"address": text(20000), "lon": LON, "lat": LAT, "jurisdiction": JKEY})
@csrf_exempt
def lookup_post():
    """The serving schools of an address or a point (nothing about any child).

    An anonymous answer is kept, encoded, per published version (:mod:`web.public.answer_cache`):
    a repeated lookup is answered from it, the rate limit counted as before."""
    limit_lookup()
    data = body()
    signed_in = g.get("user") is not None  # the bureau's conflict notes: signed-in only
    if not signed_in:
        cache = _answer_cache()
        versions = tuple((k, common.store().current_version_id(k)) for k in common.jurisdictions())
        key = cache.key(data, lang())
        kept = cache.get(versions, key)
        if kept is not None:
            return current_app.response_class(kept, mimetype=current_app.json.mimetype)
    ask = {
        "address": data.get("address"),
        "lon": data.get("lon"),
        "lat": data.get("lat"),
        "nonce": None,
        "lang": lang(),
        "jurisdiction_key": data.get("jurisdiction") or None,
    }
    if signed_in:
        return {"ok": True} | lookup_page(**ask, diagnostics=True)
    answer = lookup_page(**ask, encoded=True)
    encoded = bytes(answer)
    cache.put(versions, key, encoded, version_ok=answer.version == dict(versions).get(answer.key))
    return current_app.response_class(encoded, mimetype=current_app.json.mimetype)


def _answer_cache() -> AnswerCache:
    cache = current_app.extensions.get("geo_answers")
    if cache is None:
        cache = current_app.extensions.setdefault("geo_answers", AnswerCache())
    return cache


@bp.route("/jurisdictions", methods=["GET"])
@roles()
@validate()
def jurisdictions():
    """The jurisdictions (policies) served, each with its published version."""
    s = common.store()
    return {
        "ok": True,
        "jurisdictions": [
            j.public(lang()) | {"current_version": s.current_version_id(j.key)}
            for j in common.jurisdictions().values()
        ],
    }


# ---------------------------------------------------------------------------- versions


@bp.route("/versions", methods=["GET"])
@roles("planner", "analyst", "staff")
@validate(query={"jurisdiction": JKEY})
def versions():
    return {"ok": True} | planner.versions_page(key=jkey(), lang=lang())


@bp.route("/versions", methods=["POST"])
@roles("planner")
@validate(
    body={
        "parent_id": ID,
        "message": text(2000),
        "spec": SPEC,
        "zones": ZONES,
        "branch": {"type": "boolean"},
        "seen": {"type": "integer", "minimum": 0, "maximum": MAX_ID},
    },
    required=("parent_id", "message"),
)
def save_version():
    out = planner.save_version(body(), author=g.user["username"])
    audit("version.save", f"version:{out['id']}")
    return {"ok": True} | out, 201


@bp.route("/versions/<int:version_id>", methods=["GET"])
@roles("planner", "analyst", "staff")
@validate()
def version(version_id: int):
    return {"ok": True} | planner.version_page(version_id, nonce=None, with_zones=True, lang=lang())


@bp.route("/versions/<int:version_id>/preview", methods=["POST"])
@roles("planner")
@validate(body={"spec": SPEC, "zones": ZONES, "cohort_id": ID})
def preview(version_id: int):
    return {"ok": True} | planner.preview_edit(version_id, body())


@bp.route("/versions/<int:version_id>/publish", methods=["POST"])
@roles("planner")
@validate(body={"confirm": {"type": "boolean"}})
def publish(version_id: int):
    data = body()
    out = planner.publish_version(
        version_id, author=g.user["username"], confirm=data.get("confirm") is True
    )
    if not out["published"]:  # new gaps or overlaps: the client confirms with {"confirm": true}
        return {
            "ok": False,
            "error": "发布将产生新的划片空白或重叠，请确认 (publishing adds gaps or overlaps: "
            'repeat with {"confirm": true} to publish anyway)',
            "errors": [
                f"{p['level']} {p['kind']}: {p['area_m2']} m² ({', '.join(p['schools'])})"
                for p in out["new_problems"]
            ],
            "status": 409,
            "new_problems": out["new_problems"],
        }, 409
    audit("version.publish", f"version:{version_id}")
    return {"ok": True, "current": version_id}


@bp.route("/versions/diff", methods=["GET"])
@roles("planner", "analyst")
@validate(query={"a": ID, "b": ID}, required_query=("a", "b"))
def diff():
    a, b = query()["a"], query()["b"]
    return {"ok": True} | planner.diff_page(a, b, nonce=None, lang=lang())


@bp.route("/versions/<int:version_id>/diagnostics", methods=["GET"])
@roles("planner", "analyst")
@validate()
def diagnostics(version_id: int):
    v = common.version_by_id(version_id)
    return {"ok": True, "diagnostics": edits.diagnostics(spec=v["spec"], zones=v["zones"])}


@bp.route("/versions/<int:version_id>/zones.geojson", methods=["GET"])
@roles("planner", "analyst")
@validate()
def export_geojson(version_id: int):
    v = common.version_by_id(version_id)
    audit("version.export", f"version:{version_id}", "geojson")
    return Response(
        json.dumps(v["zones"], ensure_ascii=False),
        mimetype="application/geo+json",
        headers={"Content-Disposition": f'attachment; filename="zones_v{version_id}.geojson"'},
    )


@bp.route("/versions/<int:version_id>/zones.gpkg", methods=["GET"])
@roles("planner", "analyst")
@validate()
def export_gpkg(version_id: int):
    v = common.version_by_id(version_id)
    audit("version.export", f"version:{version_id}", "gpkg")
    return Response(
        edits.export_geopackage(v["zones"]),
        mimetype="application/geopackage+sqlite3",
        headers={"Content-Disposition": f'attachment; filename="zones_v{version_id}.gpkg"'},
    )


# ---------------------------------------------------------------------------- cohorts, runs


@bp.route("/cohorts", methods=["GET"])
@roles("planner", "analyst", "staff")
@validate(query={"jurisdiction": JKEY})
def cohorts():
    return {"ok": True, "cohorts": common.store().cohorts(common.jurisdiction(jkey()).key)}


def add_cohort() -> dict:
    """A synthetic cohort (``seed``) or an uploaded applicant table (``file``)."""
    s = common.store()
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        rows = analyst.read_cohort_upload(upload.read(), upload.filename)
        label, synthetic = (body().get("label") or "上传名单 uploaded")[:100], False
    else:
        data = body()
        if "seed" not in data:  # a new cohort never comes from a default seed
            raise RequestInvalid(
                "请上传名单文件或填写随机种子 (upload an applicant file or give a seed)",
                problems=["seed: 缺少必填项 (required without a file)"],
            )
        seed = data["seed"]
        v = (
            common.current_version(common.jurisdiction(jkey()))
            if not data.get("version_id")
            else common.version_by_id(data["version_id"])
        )
        j = common.jurisdiction_of(v["jurisdiction"])
        rows = synth_cohort(
            v["spec"], seed=seed, zones=v["zones"], basemap=j.ctx.basemap, counts=j.seat_counts
        )
        label, synthetic = f"合成学生 synthetic cohort (seed {seed})", True
    key = common.jurisdiction(jkey()).key if upload is not None and upload.filename else j.key
    cid = s.save_cohort(
        rows, label=label, synthetic=synthetic, author=g.user["username"], jurisdiction=key
    )
    audit("cohort.add", f"cohort:{cid}", f"{len(rows)} rows")
    return {"id": cid, "n": len(rows), "synthetic": synthetic, "jurisdiction": key}


@bp.route("/cohorts", methods=["POST"])
@roles("analyst", "staff")
@validate(
    body={"seed": SEED, "version_id": ID, "label": text(100), "jurisdiction": JKEY},
    query={"jurisdiction": JKEY},
)
def cohorts_add():
    return {"ok": True} | add_cohort(), 201


@bp.route("/runs", methods=["GET"])
@roles("analyst", "staff")
@validate(query={"jurisdiction": JKEY})
def runs():
    return {"ok": True, "runs": common.store().runs(common.jurisdiction(jkey()).key)}


@bp.route("/runs", methods=["POST"])
@roles("analyst", "staff")
@validate(
    body=RUN_BODY | {"of_record": {"type": "boolean"}},
    # the placement of record never runs on defaults: it names what it places
    rules=(
        {
            "if": {"required": ["of_record"], "properties": {"of_record": {"const": True}}},
            "then": {"required": ["version_id", "cohort_id", "seed"]},
        },
    ),
)
def start_run():
    return {"ok": True} | analyst.start_run(body(), user=g.user), 202


@bp.route("/runs/<int:run_id>", methods=["GET"])
@roles("analyst", "staff")
@validate(query={"school": text(200)})
def run(run_id: int):
    return {"ok": True} | analyst.run_page(
        run_id, nonce=None, school=query().get("school"), lang=lang()
    )


@bp.route("/runs/<int:run_id>/placements", methods=["GET"])
@roles("analyst", "staff")
@validate()
def placements(run_id: int):
    """Placements by ``student_id`` (no names, no ID numbers)."""
    r = common.store().run(run_id)
    audit("placements.view", f"run:{run_id}")
    return {"ok": True, "run": run_id, "placements": (r.get("result") or {}).get("placements", [])}


# ---------------------------------------------------------------------------- admin


@bp.route("/audit", methods=["GET"])
@roles("admin")
@validate()
def audit_log():
    return {"ok": True, "entries": common.store().audit_log()}
