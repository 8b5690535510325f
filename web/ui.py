"""Rendering helpers: every page has a JSON twin, and a tiny zh/en switch.

:func:`page` renders a template, or — for ``?format=json``, ``Accept: application/json`` or
``/api/…`` — the same data as ``{"ok": true, …}``.  :func:`T` picks the Chinese or English
text for the session's language (Chinese by default).
"""

from __future__ import annotations

from flask import g, jsonify, render_template, session

from .errors import wants_json

__all__ = ["page", "T", "lang"]


def lang() -> str:
    return "en" if session.get("lang") == "en" else "zh"


def T(zh: str, en: str) -> str:  # noqa: N802 - template helper reads like a tag
    """Chinese text, or English when the user switched to English."""
    return en if lang() == "en" else zh


def page(template: str, data: dict, *, status: int = 200, json_keys: tuple[str, ...] | None = None):
    """Render ``template`` with ``data``, or the JSON twin of the same data."""
    if wants_json():
        keys = json_keys or tuple(k for k in data if not k.startswith("_"))
        return jsonify({"ok": status < 400} | {k: data[k] for k in keys}), status
    return render_template(template, **data, user=g.get("user")), status
