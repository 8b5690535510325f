"""Planners: zones of a version with seat use, edit → preview → save, diff, publish, export."""

from __future__ import annotations

from flask import Blueprint, g, redirect, url_for

from ..auth import roles
from ..ui import lang, page
from ..validation import ID, JKEY, query, text, validate
from ..view_helpers import audit, body, jkey, nonce
from . import service

bp = Blueprint("planner", __name__, url_prefix="/planner")


@bp.route("/")
@roles("planner")
@validate(query={"jurisdiction": JKEY})
def index():
    return page("planner_index.html", service.versions_page(key=jkey(), nonce=nonce(), lang=lang()))


@bp.route("/zones/import", methods=["POST"])
@roles("planner")
@validate(
    body={
        "school_field": text(100),
        "level": text(40),
        "year": text(20),
        "crs": text(40),
        "message": text(500),
        "jurisdiction": JKEY,
    },
    query={"jurisdiction": JKEY},
)
def import_zones():
    """Upload a published zone layer (web/zone_import.py): a new draft version, not published."""
    from flask import request

    from ..zone_import import import_upload

    out = import_upload(
        request.files.get("file"),
        key=jkey(),
        author=g.user["username"],
        options=body(),
        lang=lang(),
    )
    audit("version.import", f"version:{out['version']['id']}")
    return page("planner_import.html", out, status=201)


@bp.route("/versions/<int:version_id>")
@roles("planner")
@validate()
def version(version_id: int):
    audit("version.view", f"version:{version_id}")
    return page(
        "planner_version.html", service.version_page(version_id, nonce=nonce(), lang=lang())
    )


@bp.route("/versions/<int:version_id>/edit")
@roles("planner")
@validate()
def edit(version_id: int):
    out = service.version_page(version_id, nonce=None)
    return page("planner_edit.html", out)


@bp.route("/versions/<int:version_id>/publish", methods=["POST"])
@roles("planner")
@validate(body={"confirm": {"type": "boolean"}})
def publish(version_id: int):
    out = service.publish_version(
        version_id,
        author=g.user["username"],
        confirm=body().get("confirm") is True,
        nonce=nonce(),
        lang=lang(),
    )
    if not out["published"]:  # new gaps or overlaps: show them and ask to confirm
        return page("planner_publish.html", out, status=409)
    audit("version.publish", f"version:{version_id}")
    key = out["jurisdiction"]["key"]
    return redirect(url_for("planner.index", jurisdiction=key))


@bp.route("/diff")
@roles("planner")
@validate(query={"a": ID, "b": ID}, required_query=("a", "b"))
def diff():
    a, b = query()["a"], query()["b"]
    return page("planner_diff.html", service.diff_page(a, b, nonce=nonce(), lang=lang()))
