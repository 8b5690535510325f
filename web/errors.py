"""One error envelope for the whole service, mapped once from :mod:`geo_enroll.errors`.

Every error response, HTML or JSON, is built here::

    {"ok": false, "error": "message", "errors": ["problem", ...], "status": 400}

>>> status_for(__import__("geo_enroll.errors").errors.NotFoundError("x"))
404
"""

from __future__ import annotations

import traceback

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from geo_enroll import errors as E

from .storage import StoreConflict, StoreRefused

__all__ = [
    "status_for",
    "envelope",
    "register_error_handlers",
    "wants_json",
    "RequestInvalid",
    "http_error",
]


class RequestInvalid(E.InputError):
    """A readable request whose fields break its route's schema (422, every problem listed)."""


def http_error(exc_class: type[HTTPException], message: str, problems: list[str] | None = None):
    """A werkzeug HTTP error carrying the envelope's message and problems (for the places that
    must raise an ``HTTPException``: body parsing, URL converters)."""
    exc = exc_class()
    exc.geo_message = message
    exc.geo_problems = list(problems or [])
    return exc


# most specific first: the first matching class wins
_STATUS: tuple[tuple[type[E.GeoEnrollError], int], ...] = (
    (RequestInvalid, 422),
    (StoreConflict, 409),
    (StoreRefused, 400),
    (E.AuthError, 403),
    (E.NotFoundError, 404),
    (E.StorageError, 500),
    (E.AddressError, 400),
    (E.GeocodeError, 422),
    (E.UnitResolutionError, 422),
    (E.AllocationError, 422),
    (E.LotteryError, 422),
    (E.InputError, 400),
    (E.ZoneSpecError, 422),
    (E.DigitiseError, 422),
    (E.BaseMapError, 422),
    (E.CRSError, 422),
    (E.GeoEnrollError, 400),
)


def status_for(exc: BaseException) -> int:
    """HTTP status of an engine error (400 for an unknown GeoEnrollError subclass)."""
    if isinstance(exc, HTTPException):
        return int(exc.code or 500)
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def wants_json() -> bool:
    """JSON for /api/*, ``?format=json``, a JSON body or ``Accept: application/json``; else HTML."""
    if request.path.startswith("/api/") or request.args.get("format") == "json" or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def envelope(message: str, status: int, problems: list[str] | None = None):
    """The error response (JSON envelope, or the HTML error page carrying the same fields)."""
    body = {"ok": False, "error": message, "errors": list(problems or []), "status": status}
    if wants_json():
        resp = jsonify(body)
    else:
        resp = render_template("error.html", **body)
    return resp, status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(E.GeoEnrollError)
    def _engine_error(exc: E.GeoEnrollError):
        status = status_for(exc)
        if status >= 500:
            app.logger.error("engine error %s on %s", type(exc).__name__, request.path)
            return envelope("服务器内部错误 internal error", status)
        return envelope(exc.message, status, exc.problems)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        messages = {
            400: "请求有误 bad request",
            401: "请先登录 login required",
            403: "无权访问 forbidden",
            404: "未找到 not found",
            405: "不允许的请求方法 method not allowed",
            409: "与现有数据冲突 conflict with what is stored",
            413: "请求过大 request too large",
            415: "不支持的请求格式 unsupported media type (send JSON or a form)",
            422: "请求参数有误 the request's fields are not what this page expects",
            429: "请求过于频繁, 请稍后再试 too many requests",
        }
        status = int(exc.code or 500)
        message = getattr(exc, "geo_message", None) or messages.get(status, exc.name)
        resp, status = envelope(message, status, getattr(exc, "geo_problems", None))
        if status == 429 and getattr(exc, "retry_after", None):
            resp.headers["Retry-After"] = str(exc.retry_after)
        return resp, status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        # never a traceback to the user; the log names the type and path only (no personal data)
        # the frames only: the exception's message could carry an address or a name
        app.logger.error(
            "unexpected %s on %s\n%s",
            type(exc).__name__,
            request.path,
            "".join(traceback.format_tb(exc.__traceback__)),
        )
        return envelope("服务器内部错误 internal error", 500)
