"""Accounts, roles, sessions and CSRF.

* Passwords are hashed with :func:`werkzeug.security.generate_password_hash` (scrypt).
* The session cookie is HttpOnly, SameSite=Lax, and Secure whenever the request came over
  HTTPS (or ``SESSION_COOKIE_SECURE`` is set); the user's role is re-read from the store on
  every request, so a changed role takes effect at once.
* Every POST/PUT/PATCH/DELETE must carry the session's CSRF token (form field ``csrf_token`` or
  header ``X-CSRF-Token``), except endpoints marked :func:`csrf_exempt` (the public lookup, which
  changes nothing).
* A login opens a **server-side session** (``Store.open_session``: the cookie carries a random
  session id, the store its SHA-256); logout deletes it, so a cookie saved before the logout is
  worthless afterwards.  A changed password also ends the session.
* Login attempts are throttled per (client, account) and per client, and each account backs off
  exponentially after repeated failures (:mod:`web.ratelimit`); the client address comes from
  ``X-Forwarded-For`` only behind a configured proxy.
* ``next=`` is followed only to a path on this site (:func:`web.validation.safe_next`).
* :func:`roles` declares who may use a view; it is checked on the server for every request.
  ``admin`` may do everything.  Without a session: 401 (JSON) or a redirect to the login page
  (HTML); with the wrong role: 403.
"""

from __future__ import annotations

import hmac
import secrets
from functools import wraps

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from werkzeug.security import check_password_hash, generate_password_hash

from geo_enroll.errors import AuthError

from .errors import wants_json
from .storage import ROLES
from .ui import page
from .validation import NEXT, body, query, safe_next, text, validate

__all__ = [
    "roles",
    "csrf_exempt",
    "csrf_token",
    "check_csrf",
    "load_user",
    "bootstrap_admin",
    "hash_password",
    "bp",
    "SessionInterface",
]

bp = Blueprint("auth", __name__)

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MIN_PASSWORD = 10


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, Secure whenever the request itself is HTTPS.

    The same cookies as Flask's, with less work on the many requests that carry none (a
    parent's lookup): the signing serializer is made once per secret key (Flask makes it on
    every request), a request without the cookie gets an empty session without it, and an
    empty session nobody changed is not saved."""

    def __init__(self):
        self._signer = None  # (keys, serializer)

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        held = self._signer
        if held is None or held[0] != keys:  # a key rotated: a new serializer
            held = self._signer = (keys, super().get_signing_serializer(app))
        return held[1]

    def open_session(self, app, request):
        if app.secret_key and "HTTP_COOKIE" not in request.environ:  # no cookie at all
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response) -> None:
        if not session and not session.modified:  # nothing to set or delete
            if session.accessed:
                if "Vary" in response.headers:
                    response.vary.add("Cookie")
                else:
                    response.headers["Vary"] = "Cookie"
            return
        super().save_session(app, session, response)


def hash_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise AuthError(
            f"密码至少 {MIN_PASSWORD} 位 (password needs at least {MIN_PASSWORD} characters)"
        )
    return generate_password_hash(password)


def roles(*allowed: str):
    """Declare the roles allowed to use a view (none = public).  ``admin`` always may."""
    unknown = set(allowed) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def deco(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if allowed:
                user = g.get("user")
                if user is None:
                    if wants_json() or request.method != "GET":
                        abort(401)
                    return redirect(url_for("auth.login", next=safe_next(request.path) or "/"))
                if user["role"] != "admin" and user["role"] not in allowed:
                    abort(403)
            return view(*args, **kwargs)

        wrapper.allowed_roles = tuple(allowed)
        return wrapper

    return deco


def csrf_exempt(view):
    """Mark a view that changes nothing as not needing a CSRF token."""
    view.csrf_exempt = True
    return view


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def check_csrf() -> None:
    """before_request: refuse a state-changing request without the session's CSRF token."""
    if request.method not in STATE_CHANGING:
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and getattr(view, "csrf_exempt", False):
        return
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    expected = session.get("csrf") or ""
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        exc = _bad_request("CSRF 令牌缺失或无效, 请刷新页面后重试 (CSRF token missing or wrong)")
        raise exc


def _bad_request(message: str):
    from werkzeug.exceptions import BadRequest

    exc = BadRequest()
    exc.geo_message = message
    return exc


def load_user() -> None:
    """before_request: ``g.user`` from the session, re-read from the store (or None)."""
    g.user = None
    sid = session.get("sid")
    if sid:
        store = current_app.extensions["geo_store"]
        name = store.session_user(sid)
        user = store.user(name) if name else None
        if user is None or session.get("pw") != user["password_hash"][-12:]:
            session.pop("sid", None)  # ended (logout), expired, or the password changed
            session.pop("pw", None)
        else:
            g.user = {"username": user["username"], "role": user["role"]}


def bootstrap_admin(store, password: str | None) -> str | None:
    """Create the first admin if there is no user yet.

    Returns the generated one-time password when ``password`` was None (to be printed on the
    console once, never logged), else None.
    """
    if store.count_users() > 0:
        return None
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(12)
    store.add_user("admin", hash_password(password), "admin")
    return generated


# ---------------------------------------------------------------------------- views


def _next(value: str | None) -> str:
    return safe_next(value) or "/"


_LOGIN = {"username": text(64), "password": text(1024), "next": NEXT}


@bp.route("/login", methods=["GET"])
@roles()
@validate(query={"next": NEXT})
def login_page():
    return page("login.html", {"error": None, "next": _next(query().get("next"))})


@bp.route("/login", methods=["POST"])
@roles()
@validate(query={"next": NEXT}, body=_LOGIN, required=("username", "password"))
def login():
    store = current_app.extensions["geo_store"]
    data = body()
    nxt = _next(data.get("next") or query().get("next"))
    username, password = data["username"], data["password"]
    client = request.remote_addr or "-"
    limiter = current_app.extensions["geo_limiter"]
    cfg = current_app.config
    limiter.hit("login-client", limit=cfg["LOGIN_ATTEMPTS_PER_MINUTE_PER_CLIENT"], client=client)
    limiter.hit("login", limit=cfg["LOGIN_ATTEMPTS_PER_MINUTE"], client=f"{client} {username}")
    backoff = current_app.extensions["geo_backoff"]
    wait = backoff.wait(username)
    if wait:
        from .ratelimit import too_many

        raise too_many(
            wait,
            f"该账号多次登录失败, 请 {wait} 秒后再试 (too many failed logins for this account: "
            f"wait {wait} s)",
        )
    user = store.user(username)
    if user and check_password_hash(user["password_hash"], password):
        backoff.succeeded(username)
        keep = {k: session[k] for k in ("lang", "jurisdiction") if k in session}
        old = session.get("sid")
        if old:
            store.close_session(old)
        session.clear()  # a new session on login (no fixation); the UI choices stay
        session.update(keep)
        session["sid"] = store.open_session(
            user["username"], lifetime=cfg["PERMANENT_SESSION_LIFETIME"]
        )
        session["pw"] = user["password_hash"][-12:]
        csrf_token()
        store.audit("login", username=user["username"], role=user["role"])
        if wants_json():
            return {
                "ok": True,
                "user": user["username"],
                "role": user["role"],
                "csrf_token": session["csrf"],
            }
        return redirect(nxt)
    backoff.failed(username)
    store.audit("login.failed", username=None, role=None)
    error = "用户名或密码错误 (wrong user name or password)"
    if wants_json():
        abort(401)
    return page("login.html", {"error": error, "next": nxt}, status=401)


@bp.route("/logout", methods=["POST"])
@roles()
@validate(body={})
def logout():
    sid = session.get("sid")
    if sid:
        current_app.extensions["geo_store"].close_session(sid)
    session.clear()
    if wants_json():
        return {"ok": True}
    return redirect("/")


@bp.route("/lang", methods=["POST"])
@roles()
@validate(body={"lang": {"enum": ["zh", "en"]}, "next": NEXT}, required=("lang",))
def set_language():
    data = body()
    session["lang"] = data["lang"]
    if wants_json():
        return {"ok": True, "lang": session["lang"]}
    return redirect(_next(data.get("next")))


@bp.route("/api/session")
@roles()
@validate()
def session_info():
    """Who am I, and the CSRF token for scripts."""
    user = g.get("user")
    return {
        "ok": True,
        "user": user and user["username"],
        "role": user and user["role"],
        "csrf_token": csrf_token(),
        "lang": session.get("lang", "zh"),
    }


@bp.route("/admin/users", methods=["GET"])
@roles("admin")
@validate()
def users():
    store = current_app.extensions["geo_store"]
    store.audit("users.view", username=g.user["username"], role=g.user["role"])
    return page("users.html", {"users": store.users(), "roles": list(ROLES)})


@bp.route("/admin/users", methods=["POST"])
@roles("admin")
@validate(
    body={
        "username": text(64, min_length=1),
        "password": text(1024),
        "role": {"enum": list(ROLES)},
    },
    required=("username", "password", "role"),
)
def add_user():
    store = current_app.extensions["geo_store"]
    data = body()
    username, role = data["username"].strip(), data["role"]
    if not username or not username.isprintable():
        raise AuthError("用户名无效 (user name must be 1-64 printable characters)")
    store.add_user(username, hash_password(data["password"]), role)
    store.audit(
        "user.create",
        username=g.user["username"],
        role=g.user["role"],
        obj=f"user:{username}",
        detail=role,
    )
    if not wants_json():
        return redirect(url_for("auth.users"))
    return {"ok": True, "username": username, "role": role}, 201


@bp.route("/admin/audit")
@roles("admin")
@validate()
def audit():
    store = current_app.extensions["geo_store"]
    return page("audit.html", {"entries": store.audit_log()})
