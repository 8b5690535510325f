"""Analysts: placements and Monte-Carlo runs on a chosen version and cohort, with results."""

from __future__ import annotations

from flask import Blueprint, g, redirect, url_for

from ..auth import roles
from ..ui import lang, page
from ..validation import ID, JKEY, SEED, query, text, validate
from ..view_helpers import body, jkey, nonce
from . import service

bp = Blueprint("analyst", __name__, url_prefix="/analyst")

# what a run is started from (the page's form here; the JSON API adds ``of_record``)
RUN_BODY = {
    "kind": {"enum": ["placement", "montecarlo"]},
    "version_id": ID,
    "cohort_id": ID,
    "seed": SEED,
    "draws": {"type": "integer", "minimum": 1, "maximum": 500},
    "jurisdiction": JKEY,
}


@bp.route("/")
@roles("analyst", "staff")
@validate(query={"jurisdiction": JKEY})
def index():
    return page("analyst_index.html", service.analyst_page(key=jkey(), lang=lang()))


@bp.route("/runs", methods=["POST"])
@roles("analyst", "staff")
@validate(
    body=RUN_BODY,
    required=("kind", "version_id", "cohort_id", "seed"),
)
def start():
    out = service.start_run(body(), user=g.user)
    return redirect(url_for("analyst.run", run_id=out["id"]))


@bp.route("/runs/<int:run_id>")
@roles("analyst", "staff")
@validate(query={"school": text(200)})
def run(run_id: int):
    return page(
        "analyst_run.html",
        service.run_page(run_id, nonce=nonce(), school=query().get("school"), lang=lang()),
    )


@bp.route("/cohorts", methods=["POST"])
@roles("analyst", "staff")
@validate(
    body={"seed": SEED, "version_id": ID, "label": text(100), "jurisdiction": JKEY},
    query={"jurisdiction": JKEY},
)
def cohort():
    from ..api import add_cohort

    out = add_cohort()
    return redirect(url_for("analyst.index", jurisdiction=out["jurisdiction"]))
