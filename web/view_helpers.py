"""Request-parsing helpers shared by the blueprints (no logic beyond parsing)."""

from __future__ import annotations

import secrets

from flask import current_app, g, request

from geo_enroll.errors import InputError

from .errors import wants_json

__all__ = ["body", "nonce", "limit_lookup", "audit", "jkey"]


def body() -> dict:
    """The request's checked body (the fields its route declares with
    :func:`web.validation.validate`); for a route without a declaration the JSON object or form
    fields as a dict (a route-coverage test makes every route declare)."""
    if "geo_body" in g:
        return g.geo_body
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise InputError("请求体须为 JSON 对象 (the body must be a JSON object)")
        return data
    return request.form.to_dict()


def nonce() -> str | None:
    """The CSP nonce when rendering HTML, None for the JSON twin (no map parts needed)."""
    return None if wants_json() else csp_nonce()


def csp_nonce() -> str:
    """This response's CSP nonce, made when a page first needs one (a JSON answer never
    does, so it pays nothing for it)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def limit_lookup() -> None:
    current_app.extensions["geo_limiter"].hit(
        "lookup", limit=current_app.config["RATE_LIMIT_PER_MINUTE"]
    )


def audit(action: str, obj: str | None = None, detail: str | None = None) -> None:
    user = g.get("user") or {}
    current_app.extensions["geo_store"].audit(
        action, username=user.get("username"), role=user.get("role"), obj=obj, detail=detail
    )


def jkey() -> str | None:
    """The jurisdiction the request names (``?jurisdiction=`` or a form/JSON field), or None."""
    if "geo_query" in g:  # checked by the route's declaration
        key = g.geo_query.get("jurisdiction") or g.get("geo_body", {}).get("jurisdiction")
        return key or None
    key = request.args.get("jurisdiction") or request.form.get("jurisdiction")
    if not key and request.is_json:
        data = request.get_json(silent=True)
        key = data.get("jurisdiction") if isinstance(data, dict) else None
    return str(key).strip() or None if key else None
