"""Planners: zones of a version with seat use, edit → preview → save, diff, publish, export."""

from __future__ import annotations

from flask import Blueprint, g, redirect, request, url_for

from geo_enroll.errors import InputError

from .. import services
from ..auth import roles
from ..ui import lang, page
from ._util import audit, jkey, nonce

bp = Blueprint("planner", __name__, url_prefix="/planner")


@bp.route("/")
@roles("planner")
def index():
    return page(
        "planner_index.html", services.versions_page(key=jkey(), nonce=nonce(), lang=lang())
    )


@bp.route("/versions/<int:version_id>")
@roles("planner")
def version(version_id: int):
    audit("version.view", f"version:{version_id}")
    return page(
        "planner_version.html", services.version_page(version_id, nonce=nonce(), lang=lang())
    )


@bp.route("/versions/<int:version_id>/edit")
@roles("planner")
def edit(version_id: int):
    out = services.version_page(version_id, nonce=None)
    return page("planner_edit.html", out)


@bp.route("/versions/<int:version_id>/publish", methods=["POST"])
@roles("planner")
def publish(version_id: int):
    out = services.publish_version(
        version_id,
        author=g.user["username"],
        confirm=request.form.get("confirm") == "1",
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
def diff():
    try:
        a, b = int(request.args["a"]), int(request.args["b"])
    except (KeyError, ValueError) as exc:
        raise InputError("diff needs two version ids: ?a=1&b=2") from exc
    return page("planner_diff.html", services.diff_page(a, b, nonce=nonce(), lang=lang()))
