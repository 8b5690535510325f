"""Parents: look up the serving schools of an address or a point (no login, rate-limited).

The address travels in the POST body, so it never appears in a URL or a log line.
"""

from __future__ import annotations

from flask import Blueprint, request

from .. import services
from ..auth import csrf_exempt, roles
from ..ui import lang, page
from ._util import as_float, body, limit_lookup, nonce

bp = Blueprint("public", __name__)


@bp.route("/", methods=["GET"])
@roles()
def index():
    return page(
        "public.html",
        services.public_map(nonce=nonce()) | {"answer": None, "address": ""},
        json_keys=("answer",),
    )


@bp.route("/", methods=["POST"])
@roles()
@csrf_exempt
def lookup():
    limit_lookup()
    data = body()
    address = (data.get("address") or "").strip() or None
    lon, lat = as_float(data.get("lon"), "lon"), as_float(data.get("lat"), "lat")
    if address is not None:
        lon = lat = None
    out = services.lookup_page(address=address, lon=lon, lat=lat, nonce=nonce(), lang=lang())
    if "answer" not in out:
        out = {"answer": out}
    return page("public.html", out | {"address": address or ""}, json_keys=("answer",))


@bp.route("/about")
@roles()
def about():
    return page("about.html", {"schematic": True, "path": request.path})
