"""The parents' JSON answers kept per published version: a repeated lookup encodes nothing.

A public lookup's answer (``POST /api/lookup``, anonymous) is a pure function of the published
version of its jurisdiction, the checked request body and the page language: versions never
change once stored, the jurisdiction is picked from the body alone (its key, the address's
county code, the served gazetteers), and every engine and web cache on the way is keyed by the
version.  So the answer's bytes are kept, keyed by

- the **published version of every served jurisdiction** (read per request, as the lookup
  itself does: a publication — by this process at once, by another within the store's
  ``EXTERNAL_CHECK_S`` — changes the key, and the kept answers of the old key are dropped);
- the **checked body** (each field with its type and ``repr``: ``116`` and ``116.0``, ``0.0``
  and ``-0.0`` are different requests, as their answers echo them);
- the **language**.

An answer is kept only when the version it names is the one read before it was computed (a
publication racing with the lookup is not kept under the older key).  Signed-in users
(whose answers carry the bureau's diagnostics) and errors are never kept.  The cache lives in
memory only (like the gazetteer's own per-address cache), is bounded, and is never logged.

>>> c = AnswerCache(max_entries=2)
>>> k = c.key({"address": "甲"}, "zh")
>>> c.get((1,), k) is None
True
>>> c.put((1,), k, b"{}", version_ok=True); c.get((1,), k)
b'{}'
>>> c.get((2,), k) is None   # another publication: nothing kept is served
True
"""

from __future__ import annotations

import threading

__all__ = ["AnswerCache", "MAX_ENTRIES"]

MAX_ENTRIES = 20_000
"""Answers kept per process (≈ 3 KB each: ≈ 60 MB at most)."""


class AnswerCache:
    """Encoded answers of one set of published versions (see the module docstring)."""

    def __init__(self, max_entries: int = MAX_ENTRIES):
        self.max_entries = max_entries
        self._kept: tuple = (None, {})  # (versions, {key: bytes}), replaced as one
        self._lock = threading.Lock()

    @staticmethod
    def key(data: dict, lang: str) -> tuple:
        """The request's key: its checked fields, each with its type and ``repr``."""
        return (lang,) + tuple(
            (k, type(v).__name__, v if type(v) is str else repr(v)) for k, v in sorted(data.items())
        )

    def get(self, versions: tuple, key: tuple) -> bytes | None:
        """The kept answer of ``key`` under the published ``versions``, or None."""
        kept_versions, answers = self._kept  # one read: never another version's answers
        if versions != kept_versions:
            return None
        return answers.get(key)

    def put(self, versions: tuple, key: tuple, data: bytes, *, version_ok: bool) -> None:
        """Keep ``data`` as the answer of ``key`` under ``versions`` (read before the answer
        was computed); ``version_ok``: the answer names the version read for its
        jurisdiction (else nothing is kept)."""
        if not version_ok:
            return
        with self._lock:
            kept_versions, answers = self._kept
            if versions != kept_versions or len(answers) >= self.max_entries:
                answers = {}  # a new publication (or full): the old answers go
                self._kept = (versions, answers)
            answers[key] = data
