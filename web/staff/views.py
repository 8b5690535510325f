"""Bureau staff: the placement of record, appeals (复核), admission notices and rosters."""

from __future__ import annotations

import io

from flask import Blueprint, g, redirect, request, send_file, url_for

from geo_enroll.outputs import notices, roster

from .. import common
from .. import notices as web_notices
from ..analyst.service import start_run
from ..auth import roles
from ..ui import lang, page
from ..validation import ID, JKEY, SEED, query, text, validate
from ..view_helpers import audit, body, jkey
from . import service

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.route("/")
@roles("staff")
@validate(query={"jurisdiction": JKEY})
def index():
    return page("staff_index.html", service.staff_page(key=jkey(), lang=lang()))


@bp.route("/search", methods=["POST"])
@roles("staff")
@validate(body={"q": text(40, min_length=1), "jurisdiction": JKEY}, required=("q",))
def search():
    """Find a child of the placement of record by name or ID number (POST: no name in URLs)."""
    out = service.staff_search(body()["q"], key=jkey())
    audit("staff.search", None, f"{len(out['matches'])} matches")  # never the query itself
    data = service.staff_page(key=jkey(), lang=lang()) | out
    return page("staff_index.html", data, json_keys=("query", "matches", "more"))


@bp.route("/record", methods=["POST"])
@roles("staff")
@validate(
    body={"version_id": ID, "cohort_id": ID, "seed": SEED, "jurisdiction": JKEY},
    required=("version_id", "cohort_id", "seed"),
)
def record():
    out = start_run(body() | {"kind": "placement", "of_record": True}, user=g.user)
    key = common.store().run(out["id"])["jurisdiction"]
    return redirect(url_for("staff.index", jurisdiction=key))


@bp.route("/appeals", methods=["GET"])
@roles("staff")
@validate(query={"jurisdiction": JKEY})
def appeals():
    return page("staff_appeals.html", service.appeals_page(user=g.user, key=jkey()))


@bp.route("/appeals", methods=["POST"])
@roles("staff")
@validate(
    body={
        "student_id": text(64, min_length=1),
        "reason": text(1000, min_length=1),
        "jurisdiction": JKEY,
        "notice_received": text(10, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
    },
    required=("student_id", "reason"),
)
def file_appeal():
    out = service.file_appeal(body(), user=g.user)
    if request.is_json:
        return {"ok": True} | out, 201
    return redirect(url_for("staff.appeal", appeal_id=out["id"]))


@bp.route("/appeals/<int:appeal_id>")
@roles("staff")
@validate()
def appeal(appeal_id: int):
    return page("staff_appeal.html", service.appeal_detail(appeal_id, user=g.user))


@bp.route("/appeals/<int:appeal_id>/decision", methods=["POST"])
@roles("staff")
@validate(
    body={
        "outcome": {"enum": ["upheld", "changed"]},
        "reason": text(1000, min_length=1),
        "new_school": text(200),
        "override_seats": {"type": "boolean"},
    },
    required=("outcome", "reason"),
)
def decide(appeal_id: int):
    out = service.decide_appeal(appeal_id, body(), user=g.user)
    if request.is_json:
        return {"ok": True} | out, 201
    return redirect(url_for("staff.appeal", appeal_id=appeal_id))


def _school_rows(school_id: str):
    rid = service.record_run(jkey())["id"]
    return rid, *service.school_students(rid, school_id)


@bp.route("/schools/<school_id>/notices.pdf")
@roles("staff")
@validate(
    path={"school_id": text(64, min_length=1)},
    query={"jurisdiction": JKEY, "date": text(10, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")},
)
def notices_pdf(school_id: str):
    rid, spec, school, rows = _school_rows(school_id)
    # the policy's 发放入学通知书 date or the staff's explicit choice; never the server clock
    when_d, _why = web_notices.notice_date(spec.get("policy") or {}, query().get("date"))
    pdf = notices.notices_pdf(rows, school=school, policy=spec.get("policy") or {}, issued=when_d)
    audit("notices.download", f"run:{rid}/school:{school_id}", f"{len(rows)} notices")
    return send_file(
        io.BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"notices_{school_id}.pdf",
    )


@bp.route("/schools/<school_id>/roster.xlsx")
@roles("staff")
@validate(path={"school_id": text(64, min_length=1)}, query={"jurisdiction": JKEY})
def roster_xlsx(school_id: str):
    rid, spec, school, rows = _school_rows(school_id)
    data = roster.roster_xlsx(
        rows, school=school, policy=spec.get("policy") or {}, schools=spec.get("schools") or []
    )
    audit("roster.download", f"run:{rid}/school:{school_id}", f"{len(rows)} rows, full ID numbers")
    return send_file(
        io.BytesIO(data),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"roster_{school_id}.xlsx",
    )


@bp.route("/runs/<int:run_id>/students/<student_id>/reveal", methods=["POST"])
@roles("staff")
@validate(path={"student_id": text(64, min_length=1)}, body={})
def reveal(run_id: int, student_id: str):
    return {"ok": True} | service.reveal_id(run_id, student_id, user=g.user)
