"""Idempotency keys: a retried state-changing POST replays its first answer, saving nothing twice.

A client that may retry (a lost answer, a double click) sends a key of its choosing with the
request: header ``Idempotency-Key`` (JSON clients) or form field ``idempotency_key`` (pages:
a hidden field with a fresh key per rendered form).  For 24 hours (``IDEMPOTENCY_TTL``) the same
account sending the same key gets

* the same request again: the stored first answer (JSON body and status, or the redirect), with
  ``Idempotent-Replayed: true``, and the view does not run again;
* while the first is still running: 409, try again in a moment (a claim left unanswered for
  10 minutes — its process died — is given up, and the retry runs);
* a different request (another path or body): 422, use a new key.

Only signed-in, state-changing requests take part (never the login, logout, language or
jurisdiction switches, the public lookup, or the ID reveal, whose answer is an ID number that
must not be stored again).  Server errors (5xx) release the key, so a retry runs afresh.  The
store keeps hashes of the account + key and of the request, and the small answer.
"""

from __future__ import annotations

import hashlib
import json
import re

from flask import current_app, g, jsonify, redirect, request

from .errors import envelope, http_error

__all__ = ["HEADER", "FIELD", "before_request", "after_request"]

HEADER = "Idempotency-Key"
FIELD = "idempotency_key"
_KEY = re.compile(r"[\x21-\x7e]{8,200}")
_STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_NOT_REPLAYED = frozenset(
    {
        "auth.login",
        "auth.logout",
        "auth.set_language",
        "public.set_jurisdiction",
        "public.lookup",
        "api.lookup_post",
        "staff.reveal",
    }
)


def _key() -> str | None:
    key = request.headers.get(HEADER)
    if key is None and not request.is_json:
        key = request.form.get(FIELD)
    if key is None or key == "":
        return None
    if not _KEY.fullmatch(key):
        from werkzeug.exceptions import BadRequest

        raise http_error(
            BadRequest,
            f"{HEADER} 无效 (an idempotency key is 8-200 visible ASCII characters, e.g. a UUID)",
        )
    return key


def _fingerprint() -> str:
    """What the request asks for: method, path, query and its (parsed) body."""
    h = hashlib.sha256(f"{request.method} {request.full_path}\n".encode())
    if request.is_json:
        h.update(json.dumps(request.get_json(), sort_keys=True, ensure_ascii=False).encode())
    else:
        items = sorted(
            (k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", FIELD)
        )
        h.update(json.dumps(items, ensure_ascii=False).encode())
        for name, f in sorted(request.files.items(multi=True)):
            data = f.stream.read()
            f.stream.seek(0)
            h.update(f"{name}\0{f.filename}\0".encode() + hashlib.sha256(data).digest())
    return h.hexdigest()


def before_request():
    """Replay, refuse, or let the view run (and remember to record its answer)."""
    if request.method not in _STATE_CHANGING or g.get("user") is None:
        return None
    if request.endpoint in _NOT_REPLAYED or request.endpoint is None:
        return None
    key = _key()
    if key is None:
        return None
    store = current_app.extensions["geo_store"]
    scope = f"{g.user['username']}\n{key}"
    state, answer = store.idempotency_begin(
        scope, _fingerprint(), ttl=current_app.config["IDEMPOTENCY_TTL"]
    )
    if state == "new":
        g.idempotency_scope = scope
        return None
    if state == "busy":
        return envelope(
            "同一请求仍在处理中, 请稍后刷新 (the first request with this key is still running)",
            409,
        )
    if state == "mismatch":
        return envelope(
            f"该 {HEADER} 已用于另一个请求 (this key was used for a different request: "
            "send a new key for a new request)",
            422,
        )
    if "location" in answer:
        resp = redirect(answer["location"], code=answer["status"])
    else:
        resp = jsonify(answer["body"])
        resp.status_code = answer["status"]
    resp.headers["Idempotent-Replayed"] = "true"
    return resp


def after_request(resp):
    """Record the answer of a request that claimed a key (or release the key)."""
    scope = g.pop("idempotency_scope", None)
    if scope is None:
        return resp
    answer = None
    if resp.status_code < 500:
        if 300 <= resp.status_code < 400 and resp.headers.get("Location"):
            answer = {"location": resp.headers["Location"]}
        elif resp.is_json:
            answer = {"body": resp.get_json()}
    current_app.extensions["geo_store"].idempotency_finish(
        scope, status=resp.status_code, answer=answer
    )
    return resp
