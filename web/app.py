"""The Flask application factory of the geo_enroll service.

>>> app = create_app({"TESTING": True, "STORE_PATH": ":memory:", "SEED_DEFAULT": False})
>>> app.test_client().get("/healthz").get_json()["ok"]
True
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from flask import Flask, g, request, send_from_directory
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import NotFound

import geo_enroll
from geo_enroll.settings import DEFAULT_SETTINGS, PACKAGE_ROOT

from . import auth, common, idempotency, labels
from .context import default_spec_path, default_zones_path, warm_up
from .errors import register_error_handlers
from .labels import problem_label
from .ratelimit import LoginBackoff, RateLimiter
from .store_pg import open_store
from .ui import T, lang
from .validation import IdConverter, Request, validate
from .view_helpers import csp_nonce

__all__ = ["create_app", "DEFAULTS", "JSONProvider"]

access_log = logging.getLogger("geo_enroll.web.access")

DEFAULTS = {
    "DATA_DIR": "instance",  # folder of the store and the secret key
    "STORE_PATH": None,  # default DATA_DIR/geo_enroll.sqlite; or postgresql://… (PostGIS)
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
    "TILES_URL": DEFAULT_SETTINGS.tiles_url,  # None: offline; $GEO_ENROLL_TILES_URL sets one
    "VENDOR_URL": "/vendor",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,  # also Secure whenever the request is HTTPS
    "SESSION_COOKIE_NAME": "geo_enroll_session",
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    "TRUST_PROXY": False,  # True (serve --https): a proxy on this machine (loopback) is trusted
    # addresses/networks of reverse proxies whose X-Forwarded-* count ($GEO_ENROLL_TRUSTED_PROXIES)
    "TRUSTED_PROXIES": DEFAULT_SETTINGS.trusted_proxies,
    "LOGIN_ATTEMPTS_PER_MINUTE_PER_CLIENT": 60,  # all accounts together, per client address
    "LOGIN_BACKOFF_AFTER": 5,  # consecutive failures of one account before it backs off
    "LOGIN_BACKOFF_MAX": 900,  # longest wait (s) of an account's exponential backoff
    "IDEMPOTENCY_TTL": 24 * 3600,  # how long (s) a state-changing POST's answer is replayed
    "ACCESS_LOG": None,  # access log file (default DATA_DIR/access.log; False: none)
    "ADMIN_PASSWORD": None,
    "JSON_AS_ASCII": False,
    # a throttling file (web.ratelimit.create_shared) shared by the SERVER_WORKERS processes of
    # the server (serve --workers N): the login backoff kept there, each rate limit split among
    # the processes (web.ratelimit.SplitRateLimiter); None: all in this process's memory
    "SHARED_THROTTLE": None,
    "SERVER_WORKERS": 1,
    "WARM_UP": True,  # build the address parser and gazetteer at start, not on the first lookups
}

WEB_ROOT = Path(__file__).resolve().parent
VENDOR_DIR = PACKAGE_ROOT / "static" / "vendor"


try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - a dependency; the standard library does the same
    _orjson = None

_COMPACT = (",", ":")


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, the answers' bytes encoded by orjson where it gives the same text.

    A JSON answer (sorted keys, compact separators, UTF-8 — what :meth:`response` asks for)
    is encoded by orjson, ≈ 4× faster than the standard library on a parent's lookup answer
    (``benchmarks/bench_lookup.py``), with Flask's ``default`` for the types it would convert
    (dates as HTTP dates, dataclasses, decimals, ``__html__``).  Everything else (indented,
    ASCII-escaped, other separators) and any value orjson refuses (a non-string key, an
    integer beyond 64 bits) goes to the standard library, as before.  Two differences in the
    text, none in the values: a float in exponent form is written ``1e-7`` / ``1e16`` (the
    standard library: ``1e-07`` / ``1e+16``), and a float that is not finite ``null`` (the
    standard library writes ``NaN``, which is not JSON and which no browser reads).
    """

    def dumps(self, obj, **kwargs) -> str:
        if (
            _orjson is not None
            and kwargs.get("separators") == _COMPACT
            and kwargs.get("indent") is None
            and kwargs.keys() <= {"separators", "indent"}
            and self.sort_keys
            and not self.ensure_ascii
        ):
            try:
                return _orjson.dumps(obj, default=self.default, option=_ORJSON_OPTIONS).decode()
            except TypeError:  # orjson.JSONEncodeError included
                pass
        return super().dumps(obj, **kwargs)

    def response(self, *args, **kwargs):
        """Flask's JSON response, its body written as orjson's bytes (no text made and
        encoded again) where :meth:`dumps` would use orjson: the same bytes either way."""
        indent = (self.compact is None and self._app.debug) or self.compact is False
        if _orjson is None or indent or not self.sort_keys or self.ensure_ascii:
            return super().response(*args, **kwargs)
        obj = self._prepare_response_obj(args, kwargs)
        try:
            data = _orjson.dumps(obj, default=self.default, option=_ORJSON_OPTIONS)
        except TypeError:  # orjson.JSONEncodeError included: the standard library's text
            return super().response(*args, **kwargs)
        return self._app.response_class(data + b"\n", mimetype=self.mimetype)


_ORJSON_OPTIONS = (
    (_orjson.OPT_SORT_KEYS | _orjson.OPT_PASSTHROUGH_DATETIME | _orjson.OPT_PASSTHROUGH_DATACLASS)
    if _orjson is not None
    else 0
)


def _secret_key(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    if not data_dir.exists():
        data_dir.mkdir(parents=True, mode=0o700)  # the store's folder: the owner only
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


class _AccessLog:
    """One line per request appended to a file created 0600: UTC time, method, path (never the
    query string or the body: they can hold an address), status, duration.

    The file stays open (``O_APPEND``: each line one ``write``, whole even with several server
    processes appending), and is opened again when its path no longer names it — looked at
    once a second — so rotating it (move, then a new file or none) needs no signal."""

    CHECK_S = 1.0

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = None
        self._checked = 0.0
        self._open()

    def _open(self) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        old, self._fd = self._fd, fd
        if old is not None:
            os.close(old)
        self._pid = os.getpid()

    def _current(self) -> None:
        """Open the path again when it was moved or removed (rotation) or after a fork."""
        now = time.monotonic()
        if self._pid == os.getpid() and now - self._checked < self.CHECK_S:
            return
        self._checked = now
        try:
            same = os.path.samestat(os.stat(self.path), os.fstat(self._fd))
        except OSError:
            same = False
        if not same or self._pid != os.getpid():
            self._open()

    def __del__(self) -> None:  # an app dropped (tests make hundreds): its file with it
        fd, self._fd = getattr(self, "_fd", None), None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)

    def write(self, line: str) -> None:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        data = f"{stamp} {line}\n".encode()
        with self._lock:
            self._current()
            os.write(self._fd, data)


def _printable(path: str) -> str:
    """A path fit for one log line (no newlines or other control characters)."""
    out = "".join(ch if ch.isprintable() and not ch.isspace() else "?" for ch in path[:300])
    return out + ("…" if len(path) > 300 else "")


def _access_file(cfg, data_dir: Path, store_path: str) -> _AccessLog | None:
    path = cfg.get("ACCESS_LOG")
    if path is False or (path is None and store_path == ":memory:"):
        return None
    return _AccessLog(Path(path or data_dir / "access.log"))


def _jurisdictions(cfg, logger) -> list:
    """The jurisdictions to serve: ``JURISDICTIONS``, else one per ``POLICIES`` entry, else the
    single ``SPEC_PATH`` (default 太仆寺旗 2024) with ``ZONES_PATH`` and ``ENGINE_CONTEXT``."""
    from .jurisdictions import Jurisdiction, from_policy

    if cfg.get("JURISDICTIONS"):
        out = list(cfg["JURISDICTIONS"])
    elif cfg.get("POLICIES"):
        out = [from_policy(ref) for ref in cfg["POLICIES"]]
    else:
        spec = Path(cfg["SPEC_PATH"] or default_spec_path())
        zones = Path(cfg["ZONES_PATH"] or default_zones_path())
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
    app.request_class = Request  # strict JSON and form decoding (web/validation.py)
    app.json = JSONProvider(app)  # orjson where it writes the same bytes
    app.url_map.converters["int"] = IdConverter  # ids 1 … 2**53-1, ASCII digits
    app.config.update(DEFAULTS)
    app.config.update(config or {})
    # Flask ≥ 2.3 ignores JSON_AS_ASCII: answers keep their Chinese as UTF-8, not \uXXXX
    app.json.ensure_ascii = bool(app.config.get("JSON_AS_ASCII"))
    cfg = app.config
    data_dir = Path(cfg["DATA_DIR"])
    store_path = cfg["STORE_PATH"] or str(data_dir / "geo_enroll.sqlite")
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = (
            secrets.token_hex(32) if store_path == ":memory:" else _secret_key(data_dir)
        )
    app.session_interface = auth.SessionInterface()
    proxies = tuple(cfg.get("TRUSTED_PROXIES") or ())
    if cfg["TRUST_PROXY"] and not proxies:
        proxies = ("127.0.0.1", "::1")
    if proxies:
        from .ratelimit import TrustedProxies

        app.wsgi_app = TrustedProxies(app.wsgi_app, proxies)
    access_file = _access_file(cfg, data_dir, store_path)

    store = open_store(store_path)  # a postgresql:// URL selects PostGIS (web/store_pg.py)
    app.extensions["geo_store"] = store
    backoff = {"after": cfg["LOGIN_BACKOFF_AFTER"], "cap": cfg["LOGIN_BACKOFF_MAX"]}
    if cfg.get("SHARED_THROTTLE"):  # several server processes: one allowance among them
        from .ratelimit import SharedLoginBackoff, SharedRateLimiter, SplitRateLimiter

        shared = SharedRateLimiter(cfg["SHARED_THROTTLE"])
        app.extensions["geo_limiter"] = SplitRateLimiter(shared, workers=cfg["SERVER_WORKERS"])
        app.extensions["geo_backoff"] = SharedLoginBackoff(cfg["SHARED_THROTTLE"], **backoff)
    else:
        app.extensions["geo_limiter"] = RateLimiter()
        app.extensions["geo_backoff"] = LoginBackoff(**backoff)
    app.extensions["geo_cache"] = {}
    served = _jurisdictions(cfg, app.logger)
    app.extensions["geo_jurisdictions"] = {j.key: j for j in served}
    store.set_legacy_jurisdiction(served[0].key)
    if cfg["WARM_UP"]:
        for j in served:
            try:
                warm_up(j.ctx)
            except Exception as exc:  # noqa: BLE001 - the first lookup reports it to the user
                app.logger.warning("warm-up of %s failed: %s", j.key, type(exc).__name__)
    if cfg["SEED_DEFAULT"]:
        from .jurisdictions import seed_defaults

        for j in served:
            seed_defaults(store, j, logger=app.logger, cohort_seed=cfg["SEED_COHORT"])

    register_error_handlers(app)
    labels.register(app)

    @app.before_request
    def _before():
        g.t0 = time.monotonic()
        auth.load_user()
        auth.check_csrf()
        return idempotency.before_request()  # a retried POST: its first answer

    app.after_request(idempotency.after_request)

    @app.after_request
    def _after(resp):
        nonce = g.get("csp_nonce")  # made only if the response rendered a page
        allow = f" 'nonce-{nonce}'" if nonce else ""
        resp.headers["Content-Security-Policy"] = (
            "default-src 'self'; "
            f"script-src 'self'{allow}; "
            f"style-src 'self'{allow}; "
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
        ms = (time.monotonic() - g.get("t0", time.monotonic())) * 1000
        line = f"{request.method} {_printable(request.path)} {resp.status_code} {ms:.0f}ms"
        access_log.info(line)
        if access_file is not None:
            access_file.write(line)
        return resp

    @app.context_processor
    def _template_globals():
        js = app.extensions["geo_jurisdictions"]
        here = g.get("page_jurisdiction") or common.jurisdiction()
        return {
            "T": T,
            "lang": lang(),
            "csrf_token": auth.csrf_token,
            "problem_label": problem_label,
            # a fresh key per rendered form: <input type="hidden" name="idempotency_key" …>
            "idempotency_key": lambda: secrets.token_urlsafe(18),
            "csp_nonce": csp_nonce(),
            "user": g.get("user"),
            "J": here,
            "jurisdictions": list(js.values()),
        }

    @app.route("/vendor/<path:filename>")
    @auth.roles()
    @validate(path={"filename": {"type": "string", "maxLength": 300}})
    def vendor(filename):
        """The vendored Leaflet (served by the app: no CDN)."""
        if filename.endswith((".md", "LICENSE")) and "/" not in filename:
            raise NotFound()
        return send_from_directory(VENDOR_DIR, filename, max_age=86400)

    @app.route("/healthz")
    @auth.roles()
    @validate()
    def healthz():
        js = app.extensions["geo_jurisdictions"]
        return {
            "ok": True,
            "version": store.current_version_id(next(iter(js))),
            "versions": {k: store.current_version_id(k) for k in js},
            "engine": geo_enroll.__version__,
        }

    from . import api
    from .analyst import views as analyst
    from .planner import views as planner
    from .public import views as public
    from .staff import views as staff

    app.register_blueprint(auth.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(planner.bp)
    app.register_blueprint(analyst.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(api.bp)

    # the static endpoint is public
    app.view_functions["static"] = auth.roles()(app.view_functions["static"])
    return app
