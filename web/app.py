"""The Flask application factory of the geo_enroll service.

>>> app = create_app({"TESTING": True, "STORE_PATH": ":memory:", "SEED_DEFAULT": False})
>>> app.test_client().get("/healthz").get_json()["ok"]
True
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from pathlib import Path

from flask import Flask, g, request, send_from_directory
from werkzeug.exceptions import NotFound

from geo_enroll.settings import DEFAULT_SETTINGS, PACKAGE_ROOT

from . import auth, engine, labels
from .errors import register_error_handlers
from .ratelimit import RateLimiter
from .storage import Store
from .ui import T, lang

__all__ = ["create_app", "DEFAULTS"]

access_log = logging.getLogger("geo_enroll.web.access")

DEFAULTS = {
    "DATA_DIR": "instance",  # folder of the store and the secret key
    "STORE_PATH": None,  # default DATA_DIR/geo_enroll.sqlite
    "SPEC_PATH": None,  # default data/boundaries/taipusi_2024.toml
    "ZONES_PATH": None,  # default data/boundaries/taipusi_2024_zones.gpkg
    "POLICIES": None,  # spec paths/names served, one jurisdiction each (default: SPEC_PATH)
    "JURISDICTIONS": None,  # ready web.jurisdictions.Jurisdiction objects (tests)
    "SEED_DEFAULT": True,  # first start: default spec+zones become version 1, plus a cohort
    "SEED_COHORT": 7,  # seed of the synthetic cohort made on first start (None: none)
    "RUNS_SYNC": False,  # run placements inline (tests) instead of in a thread
    "RATE_LIMIT_PER_MINUTE": DEFAULT_SETTINGS.rate_limit_per_minute,
    "LOGIN_ATTEMPTS_PER_MINUTE": 10,
    "MAX_CONTENT_LENGTH": DEFAULT_SETTINGS.max_request_bytes,
    "TILES_URL": None,  # no tiles by default (offline); a URL template turns them on
    "VENDOR_URL": "/vendor",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,  # also Secure whenever the request is HTTPS
    "SESSION_COOKIE_NAME": "geo_enroll_session",
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    "TRUST_PROXY": False,
    "ADMIN_PASSWORD": None,
    "JSON_AS_ASCII": False,
}

WEB_ROOT = Path(__file__).resolve().parent
VENDOR_DIR = PACKAGE_ROOT / "static" / "vendor"


def _secret_key(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _jurisdictions(cfg, logger) -> list:
    """The jurisdictions to serve: ``JURISDICTIONS``, else one per ``POLICIES`` entry, else the
    single ``SPEC_PATH`` (default 太仆寺旗 2024) with ``ZONES_PATH`` and ``ENGINE_CONTEXT``."""
    from .jurisdictions import Jurisdiction, from_policy

    if cfg.get("JURISDICTIONS"):
        out = list(cfg["JURISDICTIONS"])
    elif cfg.get("POLICIES"):
        out = [from_policy(ref) for ref in cfg["POLICIES"]]
    else:
        spec = Path(cfg["SPEC_PATH"] or engine.default_spec_path())
        zones = Path(cfg["ZONES_PATH"] or engine.default_zones_path())
        if not spec.exists():
            logger.warning("no default spec at %s: the service starts without a version", spec)
            out = [Jurisdiction(key=spec.stem, name=spec.stem, spec_path=None)]
        else:
            out = [from_policy(spec, zones=zones)]
        if cfg.get("ENGINE_CONTEXT") is not None:
            out[0].ctx = cfg["ENGINE_CONTEXT"]
    keys = [j.key for j in out]
    if len(set(keys)) != len(keys):
        from geo_enroll.errors import InputError

        raise InputError(f"the same policy is served twice: {keys}")
    return out


def create_app(config: dict | None = None) -> Flask:
    """Build the service.

    Parameters
    ----------
    config : dict, optional
        Overrides of :data:`DEFAULTS` (and any Flask setting).  ``STORE_PATH=":memory:"`` gives a
        throw-away store for tests.
    """
    app = Flask(
        __name__, static_folder="static", static_url_path="/static", template_folder="templates"
    )
    app.config.update(DEFAULTS)
    app.config.update(config or {})
    cfg = app.config
    data_dir = Path(cfg["DATA_DIR"])
    store_path = cfg["STORE_PATH"] or str(data_dir / "geo_enroll.sqlite")
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = (
            secrets.token_hex(32) if store_path == ":memory:" else _secret_key(data_dir)
        )
    app.session_interface = auth.SessionInterface()
    if cfg["TRUST_PROXY"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)

    store = Store(store_path)
    app.extensions["geo_store"] = store
    app.extensions["geo_limiter"] = RateLimiter()
    app.extensions["geo_cache"] = {}
    served = _jurisdictions(cfg, app.logger)
    app.extensions["geo_jurisdictions"] = {j.key: j for j in served}
    store.set_legacy_jurisdiction(served[0].key)
    if cfg["SEED_DEFAULT"]:
        from .services import seed_defaults

        for j in served:
            seed_defaults(store, j, logger=app.logger, cohort_seed=cfg["SEED_COHORT"])

    register_error_handlers(app)
    labels.register(app)

    @app.before_request
    def _before():
        g.t0 = time.monotonic()
        g.csp_nonce = secrets.token_urlsafe(16)
        auth.load_user()
        auth.check_csrf()

    @app.after_request
    def _after(resp):
        nonce = g.get("csp_nonce", "")
        resp.headers["Content-Security-Policy"] = (
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            f"style-src 'self' 'nonce-{nonce}'; "
            "img-src 'self' data: blob:" + (" https:" if cfg.get("TILES_URL") else "") + "; "
            "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'self'"
        )
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Frame-Options"] = "SAMEORIGIN"
        if g.get("user") is not None or request.path.startswith("/api/"):
            resp.headers["Cache-Control"] = "no-store"
        # the path only: query strings (an address) and bodies never reach the log
        access_log.info(
            "%s %s %s %.0fms",
            request.method,
            request.path,
            resp.status_code,
            (time.monotonic() - g.get("t0", time.monotonic())) * 1000,
        )
        return resp

    @app.context_processor
    def _template_globals():
        from .services import jurisdiction as selected

        js = app.extensions["geo_jurisdictions"]
        here = g.get("page_jurisdiction") or selected()
        return {
            "T": T,
            "lang": lang(),
            "csrf_token": auth.csrf_token,
            "csp_nonce": g.get("csp_nonce", ""),
            "user": g.get("user"),
            "J": here,
            "jurisdictions": list(js.values()),
        }

    @app.route("/vendor/<path:filename>")
    @auth.roles()
    def vendor(filename):
        """The vendored Leaflet and leaflet-draw (served by the app: no CDN)."""
        if filename.endswith((".md", "LICENSE")) and "/" not in filename:
            raise NotFound()
        return send_from_directory(VENDOR_DIR, filename, max_age=86400)

    @app.route("/healthz")
    @auth.roles()
    def healthz():
        js = app.extensions["geo_jurisdictions"]
        return {
            "ok": True,
            "version": store.current_version_id(next(iter(js))),
            "versions": {k: store.current_version_id(k) for k in js},
            "engine": engine.engine_status(),
        }

    from .views import analyst, api, planner, public, staff

    app.register_blueprint(auth.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(planner.bp)
    app.register_blueprint(analyst.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(api.bp)

    # the static endpoint is public
    app.view_functions["static"] = auth.roles()(app.view_functions["static"])
    return app
