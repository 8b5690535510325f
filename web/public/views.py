"""Parents: look up the serving schools of an address or a point (no login, rate-limited).

The address travels in the POST body, so it never appears in a URL or a log line.
"""

from __future__ import annotations

from flask import Blueprint, g, redirect, request, session

from .. import common
from ..auth import csrf_exempt, roles
from ..errors import wants_json
from ..ui import lang, page
from ..validation import JKEY, LAT, LON, NEXT, safe_next, text, validate
from ..view_helpers import body, jkey, limit_lookup, nonce
from . import service

bp = Blueprint("public", __name__)


@bp.route("/", methods=["GET"])
@roles()
@validate(query={"jurisdiction": JKEY})
def index():
    return page(
        "public.html",
        service.public_map(nonce=nonce(), lang=lang(), key=jkey())
        | {"answer": None, "address": ""},
        json_keys=("answer",),
    )


@bp.route("/", methods=["POST"])
@roles()
@validate(body={"address": text(20000), "lon": LON, "lat": LAT, "jurisdiction": JKEY})
@csrf_exempt
def lookup():
    limit_lookup()
    data = body()
    address = (data.get("address") or "").strip() or None
    lon, lat = data.get("lon"), data.get("lat")
    if address is not None:
        lon = lat = None
    # the form carries the page's jurisdiction as a default: an address naming another county
    # is looked up there; a clicked point stays in the page's jurisdiction
    chosen = data.get("jurisdiction") or None
    out = service.lookup_page(
        address=address,
        lon=lon,
        lat=lat,
        nonce=nonce(),
        lang=lang(),
        jurisdiction_key=None if address else chosen,
        default_key=chosen,
        diagnostics=g.get("user") is not None,  # the bureau's conflict notes: signed-in only
    )
    if "answer" not in out:
        out = {"answer": out}
    return page("public.html", out | {"address": address or ""}, json_keys=("answer",))


@bp.route("/jurisdiction", methods=["POST"])
@roles()
@validate(body={"jurisdiction": JKEY, "next": NEXT}, required=("jurisdiction",))
def set_jurisdiction():
    """Choose the jurisdiction (policy) the pages show; kept in the session."""
    data = body()
    j = common.jurisdiction(data["jurisdiction"])
    session["jurisdiction"] = j.key
    nxt = safe_next(data.get("next")) or "/"
    for area in ("/planner/", "/analyst/", "/staff/"):
        if nxt.startswith(area) and nxt != area:
            nxt = area  # a version, run or appeal belongs to one jurisdiction: go to the index
    if wants_json():
        return {"ok": True, "jurisdiction": j.public(lang())}
    return redirect(nxt)


@bp.route("/about")
@roles()
@validate()
def about():
    return page("about.html", {"schematic": True, "path": request.path})
