"""The embedded store of the service: one SQLite file (WAL, ``synchronous=FULL``).

It holds

* ``versions`` — zone-policy versions (spec JSON + zones GeoJSON), **append-only**: triggers
  refuse any UPDATE or DELETE, so nothing is ever overwritten; a new version names its parent;
* ``publications`` — append-only log of which version was published as current (the last row);
* ``cohorts`` — applicant tables (synthetic or uploaded; personal data, never logged);
* ``runs`` — placement / Monte-Carlo runs with their progress and results;
* ``appeals`` and ``decisions`` — 复核 appeals and their recorded decisions (decisions append-only);
* ``users`` — accounts with werkzeug password hashes and one role;
* ``audit`` — who saw or changed what (append-only);
* ``sessions`` — the signed-in sessions (SHA-256 of each session id, the account, the expiry):
  logging out deletes the row, so a cookie copied before the logout no longer works;
* ``idempotency`` — for 24 h, the answer to each state-changing POST sent with an
  ``Idempotency-Key`` (SHA-256 of account + key, SHA-256 of the request, status, and the small
  JSON answer or redirect; never an ID number), so that a retry replays it instead of saving twice.

The file (and SQLite's ``-wal``/``-shm`` beside it) is created mode 0600 in a 0700 folder, and
an existing store is tightened to 0600 on open: it holds children's full ID numbers.

Versions, publications and cohorts belong to a **jurisdiction** (a policy the service serves,
keyed by a short slug such as ``taipusi_2024``); runs and appeals belong to their version's.
Stores made before jurisdictions existed get the column on open (``''``): those rows belong to
the jurisdiction named by the meta key ``legacy_jurisdiction`` (set once, by the app, to the
first policy it serves).

Every save is one transaction (``BEGIN IMMEDIATE`` … ``COMMIT``): if the process dies midway,
SQLite's journal restores the previous state on the next open.

>>> s = Store(":memory:")
>>> v = s.save_version(spec={"schools": []}, zones={"type": "FeatureCollection", "features": []},
...                    author="planner1", message="first")
>>> s.version(v)["message"], s.current_version_id()
('first', None)
>>> s.publish(v, author="planner1"); s.current_version_id() == v
True
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import sqlite3
import threading
import time
import weakref
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from geo_enroll.errors import NotFoundError, StorageError

__all__ = ["Store", "ROLES", "now_iso", "StoreRefused", "StoreConflict"]

_WRITES: dict = {}  # file (real path) -> commits by this process, for current_version_id
_WRITES_LOCK = threading.Lock()


class StoreRefused(StorageError, ValueError):
    """A write the store refuses because of what was asked (answered 400, not a server fault)."""


class StoreConflict(StorageError):
    """A write that clashes with what is stored, such as an existing user name (answered 409)."""


ROLES = ("planner", "analyst", "staff", "admin")
"""Roles a user account can hold (``public`` is everyone without a session)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id INTEGER REFERENCES versions(id),
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    message TEXT NOT NULL,
    spec_json TEXT NOT NULL,
    zones_json TEXT NOT NULL,
    sha256 TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS versions_no_update BEFORE UPDATE ON versions
BEGIN SELECT RAISE(ABORT, 'versions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS versions_no_delete BEFORE DELETE ON versions
BEGIN SELECT RAISE(ABORT, 'versions are append-only'); END;

CREATE TABLE IF NOT EXISTS publications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    version_id INTEGER NOT NULL REFERENCES versions(id),
    author TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS publications_no_update BEFORE UPDATE ON publications
BEGIN SELECT RAISE(ABORT, 'publications are append-only'); END;
CREATE TRIGGER IF NOT EXISTS publications_no_delete BEFORE DELETE ON publications
BEGIN SELECT RAISE(ABORT, 'publications are append-only'); END;

CREATE TABLE IF NOT EXISTS cohorts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    label TEXT NOT NULL,
    synthetic INTEGER NOT NULL,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    rows_json TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    version_id INTEGER NOT NULL REFERENCES versions(id),
    cohort_id INTEGER NOT NULL REFERENCES cohorts(id),
    params_json TEXT NOT NULL,
    of_record INTEGER NOT NULL DEFAULT 0,
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    error TEXT,
    result_json TEXT
);

CREATE TABLE IF NOT EXISTS appeals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    student_id TEXT NOT NULL,
    filed_at TEXT NOT NULL,
    deadline TEXT NOT NULL,
    reason TEXT NOT NULL,
    author TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    appeal_id INTEGER NOT NULL REFERENCES appeals(id),
    outcome TEXT NOT NULL,
    new_school TEXT,
    reason TEXT NOT NULL,
    author TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS decisions_no_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_no_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;

CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    username TEXT,
    role TEXT,
    action TEXT NOT NULL,
    object TEXT,
    detail TEXT
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS sessions (
    sid_sha256 TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires REAL NOT NULL
);

CREATE TABLE IF NOT EXISTS idempotency (
    scope_sha256 TEXT PRIMARY KEY,
    request_sha256 TEXT NOT NULL,
    created REAL NOT NULL,
    status INTEGER,
    response_json TEXT
);
"""


def _private_file(path: Path) -> None:
    """Create ``path`` (and its folder) readable by the owner only; tighten an existing one."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
            if p.exists() and p.stat().st_mode & 0o077:
                p.chmod(0o600)
    except OSError as exc:
        raise StorageError(f"cannot create the store {path}: {exc.strerror}") from exc


def now_iso() -> str:
    """Current UTC time as ISO 8601 with seconds (``2024-07-01T08:00:00+00:00``)."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _id(value: Any, what: str) -> int:
    """A row id as SQLite can bind it; anything else is a row that does not exist (never an
    OverflowError or a silent ``int("٣")``)."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise NotFoundError(f"{what} {str(value)[:30]} does not exist (不存在)")
    return value


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class Store:
    """The service's embedded database (one SQLite file).

    Parameters
    ----------
    path : str or Path
        The database file (created with its folder if missing), or ``":memory:"``.

    Notes
    -----
    One connection per thread (SQLite connections are not shared across threads); writes are
    serialised by SQLite's own lock (``BEGIN IMMEDIATE``) with a 30 s busy timeout.
    """

    EXTERNAL_CHECK_S = 0.5
    """How stale :meth:`current_version_id` may be after another process commits (s)."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        # commits of this process per file (a memory store is its own file)
        self._key = os.path.realpath(self.path) if self.path != ":memory:" else id(self)
        if self.path != ":memory:":
            _private_file(Path(self.path))
        self._local = threading.local()
        self._opened: list[tuple] = []  # (weak ref to the thread, its connection)
        self._opened_lock = threading.Lock()
        self._closes = 0
        self._memory_conn: sqlite3.Connection | None = None
        conn = self._conn()
        try:
            conn.executescript(_SCHEMA)
            for table in ("versions", "publications", "cohorts"):
                cols = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
                if "jurisdiction" not in cols:  # adding a column is not an UPDATE of any row
                    conn.execute(
                        f"ALTER TABLE {table} ADD COLUMN jurisdiction TEXT NOT NULL DEFAULT ''"
                    )
        except sqlite3.DatabaseError as exc:
            raise StorageError(
                f"{self.path} is not a geo_enroll store ({exc}); "
                "point --data at an empty folder or at the folder of an existing store"
            ) from exc

    # -- connections and transactions -------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        if self.path == ":memory:":
            if self._memory_conn is None:
                self._memory_conn = sqlite3.connect(
                    ":memory:", check_same_thread=False, isolation_level=None
                )
                self._memory_conn.row_factory = sqlite3.Row
            return self._memory_conn
        held = getattr(self._local, "conn", None)
        # a connection never crosses a fork (SQLite forbids it): a child opens its own; nor
        # outlives close()
        conn = held[2] if held is not None and held[:2] == (os.getpid(), self._closes) else None
        if conn is None:
            try:
                conn = sqlite3.connect(
                    self.path, timeout=30, isolation_level=None, check_same_thread=False
                )  # used by its own thread only; closed by close() or once that thread ended
            except sqlite3.Error as exc:
                raise StorageError(f"cannot open the store {self.path}: {exc}") from exc
            conn.row_factory = sqlite3.Row
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute("PRAGMA foreign_keys=ON")
            except sqlite3.DatabaseError as exc:
                conn.close()
                raise StorageError(
                    f"{self.path} is not a geo_enroll store ({exc}); point --data at an empty "
                    "folder or at the folder of an existing store"
                ) from exc
            self._local.conn = (os.getpid(), self._closes, conn)
            me = threading.current_thread()
            with self._opened_lock:  # a finished thread's connection is closed here
                dead = [c for t, c in self._opened if not (t() is not None and t().is_alive())]
                self._opened = [(t, c) for t, c in self._opened if c not in dead]
                self._opened.append((weakref.ref(me), conn))
            for old in dead:
                old.close()
        return conn

    def close(self) -> None:
        """Close every connection this process opened on the store (one per thread that used
        it); a thread that asks again opens a new one."""
        with self._opened_lock:
            opened, self._opened = [c for _, c in self._opened], []
            self._closes += 1
        for conn in opened:
            conn.close()
        if self._memory_conn is not None:
            self._memory_conn.close()
            self._memory_conn = None

    @contextlib.contextmanager
    def _tx(self):
        """One atomic transaction: everything inside commits together or not at all."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")
            with _WRITES_LOCK:  # seen by every thread's current_version_id at once
                _WRITES[self._key] = _WRITES.get(self._key, 0) + 1

    def pragma(self, name: str) -> Any:
        """Read a PRAGMA (``journal_mode``, ``synchronous``) — for tests and diagnostics."""
        return self._conn().execute(f"PRAGMA {name}").fetchone()[0]

    def _one(self, sql: str, args: tuple = ()) -> sqlite3.Row | None:
        return self._conn().execute(sql, args).fetchone()

    def _all(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        return self._conn().execute(sql, args).fetchall()

    # -- meta -------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key=?", (key,))
        return None if row is None else row["value"]

    def set_meta(self, key: str, value: str) -> None:
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO meta(key, value) VALUES(?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, value),
            )

    # -- jurisdictions ----------------------------------------------------------------

    def set_legacy_jurisdiction(self, key: str) -> None:
        """Name the jurisdiction of rows stored without one (set once; later calls keep it)."""
        if self.get_meta("legacy_jurisdiction") is None:
            self.set_meta("legacy_jurisdiction", key)

    def _jkeys(self, jurisdiction: str | None) -> tuple[str, ...] | None:
        """Stored values meaning ``jurisdiction`` (None: every jurisdiction)."""
        if jurisdiction is None:
            return None
        legacy = self.get_meta("legacy_jurisdiction")
        return (jurisdiction, "") if jurisdiction == legacy or not legacy else (jurisdiction,)

    def _jname(self, stored: str) -> str:
        return stored or self.get_meta("legacy_jurisdiction") or ""

    def _where(self, jurisdiction: str | None, column: str = "jurisdiction") -> tuple[str, tuple]:
        keys = self._jkeys(jurisdiction)
        if keys is None:
            return "1=1", ()
        return f"{column} IN ({','.join('?' * len(keys))})", keys

    # -- versions ---------------------------------------------------------------------

    def save_version(
        self,
        *,
        spec: dict,
        zones: dict,
        author: str,
        message: str,
        parent_id: int | None = None,
        jurisdiction: str = "",
        seen: int | None = None,
        _hook=None,
    ) -> int:
        """Append a new version and return its id (never overwrites an existing one).

        A version with a parent belongs to its parent's jurisdiction.  With ``seen`` (the newest version id the editor
        had seen when it loaded the parent, :meth:`latest_version_id`) the save is refused
        (:class:`StoreConflict`) when another version was saved on the same parent since — two
        planners editing the same version: the first save wins, the second gets a conflict
        naming the version to re-apply the edit on (nothing is overwritten and the refused edit
        is still the caller's to resend).  Alternatives saved earlier from the same parent do
        not conflict.  The check and the write are one transaction."""
        message = (message or "").strip()
        if not message:
            raise StoreRefused("a version needs a message saying what changed (说明修改内容)")
        if parent_id is not None:
            parent_id = _id(parent_id, "parent version")
            parent = self._one("SELECT jurisdiction FROM versions WHERE id=?", (parent_id,))
            if parent is None:
                raise NotFoundError(f"parent version {parent_id} does not exist")
            jurisdiction = self._jname(parent["jurisdiction"])
        spec_json, zones_json = _dumps(spec), _dumps(zones)
        sha = hashlib.sha256((spec_json + "\n" + zones_json).encode()).hexdigest()
        with self._tx() as conn:
            if seen is not None and parent_id is not None:
                child = conn.execute(
                    "SELECT id, author, created_at FROM versions WHERE parent_id=? AND id>? "
                    "ORDER BY id LIMIT 1",
                    (parent_id, _id(seen, "seen version") if seen else 0),
                ).fetchone()
                if child is not None:
                    raise StoreConflict(
                        f"版本 {parent_id} 已由 {child['author']} 于 {child['created_at']} 修改并保存为"
                        f"版本 {child['id']}；你的修改未保存（也未丢失）：请在版本 {child['id']} 上重新"
                        f"应用，或另存为分支 (branch) — version {parent_id} was already edited into "
                        f"version {child['id']}; re-apply your edit there or save it as a branch"
                    )
            cur = conn.execute(
                "INSERT INTO versions(parent_id, author, created_at, message, spec_json, "
                "zones_json, sha256, jurisdiction) VALUES(?,?,?,?,?,?,?,?)",
                (parent_id, author, now_iso(), message, spec_json, zones_json, sha, jurisdiction),
            )
            if _hook is not None:  # tests: die between the write and the commit
                _hook()
            conn.execute(
                "INSERT INTO audit(at, username, role, action, object, detail) VALUES(?,?,?,?,?,?)",
                (
                    now_iso(),
                    author,
                    None,
                    "version.save",
                    f"version:{cur.lastrowid}",
                    message[:200],
                ),
            )
            return int(cur.lastrowid)

    def latest_version_id(self) -> int:
        """The newest version id of the store (0 when empty): what an editor has "seen"."""
        row = self._one("SELECT max(id) AS m FROM versions")
        return int(row["m"] or 0)

    def versions(self, jurisdiction: str | None = None) -> list[dict]:
        """Versions (of one jurisdiction, or all), newest first, without their payloads, with
        ``current`` marked (the published version of their jurisdiction)."""
        where, args = self._where(jurisdiction)
        rows = self._all(
            "SELECT id, parent_id, author, created_at, message, sha256, jurisdiction "
            f"FROM versions WHERE {where} ORDER BY id DESC",
            args,
        )
        current: dict[str, int | None] = {}
        out = []
        for r in rows:
            d = dict(r)
            d["jurisdiction"] = self._jname(d["jurisdiction"])
            if d["jurisdiction"] not in current:
                current[d["jurisdiction"]] = self.current_version_id(d["jurisdiction"])
            out.append(d | {"current": d["id"] == current[d["jurisdiction"]]})
        return out

    def version(self, version_id: int) -> dict:
        """One version with its ``spec`` and ``zones`` decoded."""
        row = self._one("SELECT * FROM versions WHERE id=?", (_id(version_id, "version"),))
        if row is None:
            raise NotFoundError(f"version {version_id} does not exist (版本不存在)")
        out = dict(row)
        out["spec"] = json.loads(out.pop("spec_json"))
        out["zones"] = json.loads(out.pop("zones_json"))
        out["jurisdiction"] = self._jname(out["jurisdiction"])
        out["current"] = out["id"] == self.current_version_id(out["jurisdiction"])
        return out

    def publish(self, version_id: int, *, author: str) -> None:
        """Publish ``version_id`` as the current version (appends to the publication log)."""
        row = self._one(
            "SELECT jurisdiction FROM versions WHERE id=?", (_id(version_id, "version"),)
        )
        if row is None:
            raise NotFoundError(f"version {version_id} does not exist (版本不存在)")
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO publications(version_id, author, at, jurisdiction) VALUES(?,?,?,?)",
                (_id(version_id, "version"), author, now_iso(), self._jname(row["jurisdiction"])),
            )

    def current_version_id(self, jurisdiction: str | None = None) -> int | None:
        """The published version of ``jurisdiction`` (None: the latest publication of any).

        Asked on every parent lookup, so the answer is kept (per thread) until the database
        may have changed.  A write by this process (any thread, any :class:`Store` on the
        file) is seen at once: :meth:`_tx` counts commits per file.  A commit by another
        process is seen within :attr:`EXTERNAL_CHECK_S` (``PRAGMA data_version``, read at most
        that often: each read gives up the GIL, which costs a loaded server more than the
        query).  The stamp is read before the query, so a publication racing with it only
        makes the next call ask again.
        """
        conn = self._conn()
        holder = self if self.path == ":memory:" else self._local
        now = time.monotonic()
        seen = getattr(holder, "_data_version", None)
        if seen is None or now - seen[0] >= self.EXTERNAL_CHECK_S:
            seen = (now, conn.execute("PRAGMA data_version").fetchone()[0])
            holder._data_version = seen
        stamp = (_WRITES.get(self._key, 0), conn.total_changes, seen[1])
        memo = getattr(holder, "_current", None)
        if memo is None or memo[0] != stamp:
            memo = (stamp, {})
        if jurisdiction in memo[1]:
            return memo[1][jurisdiction]
        where, args = self._where(jurisdiction)
        row = self._one(
            f"SELECT version_id FROM publications WHERE {where} ORDER BY id DESC LIMIT 1", args
        )
        vid = None if row is None else int(row["version_id"])
        memo[1][jurisdiction] = vid
        holder._current = memo
        return vid

    def publications(self) -> list[dict]:
        return [dict(r) for r in self._all("SELECT * FROM publications ORDER BY id DESC")]

    # -- cohorts ----------------------------------------------------------------------

    def save_cohort(
        self,
        rows: list[dict],
        *,
        label: str,
        synthetic: bool,
        author: str,
        jurisdiction: str = "",
    ) -> int:
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO cohorts(label, synthetic, author, created_at, rows_json, jurisdiction) "
                "VALUES(?,?,?,?,?,?)",
                (label, int(synthetic), author, now_iso(), _dumps(rows), jurisdiction),
            )
            return int(cur.lastrowid)

    def cohorts(self, jurisdiction: str | None = None) -> list[dict]:
        where, args = self._where(jurisdiction)
        rows = self._all(
            "SELECT id, label, synthetic, author, created_at, jurisdiction, "
            f"json_array_length(rows_json) AS n FROM cohorts WHERE {where} ORDER BY id DESC",
            args,
        )
        return [
            dict(r)
            | {"synthetic": bool(r["synthetic"]), "jurisdiction": self._jname(r["jurisdiction"])}
            for r in rows
        ]

    def cohort(self, cohort_id: int) -> dict:
        row = self._one("SELECT * FROM cohorts WHERE id=?", (_id(cohort_id, "cohort"),))
        if row is None:
            raise NotFoundError(f"cohort {cohort_id} does not exist (学生名单不存在)")
        out = dict(row)
        out["rows"] = json.loads(out.pop("rows_json"))
        out["synthetic"] = bool(out["synthetic"])
        out["jurisdiction"] = self._jname(out["jurisdiction"])
        return out

    def latest_cohort_id(self, jurisdiction: str | None = None) -> int | None:
        where, args = self._where(jurisdiction)
        row = self._one(f"SELECT id FROM cohorts WHERE {where} ORDER BY id DESC LIMIT 1", args)
        return None if row is None else int(row["id"])

    # -- runs -------------------------------------------------------------------------

    def create_run(
        self,
        *,
        kind: str,
        version_id: int,
        cohort_id: int,
        params: dict,
        author: str,
        of_record: bool = False,
    ) -> int:
        v, c = self.version(version_id), self.cohort(cohort_id)
        if v["jurisdiction"] != c["jurisdiction"]:
            raise StoreRefused(
                f"cohort {cohort_id} ({c['jurisdiction']}) belongs to another jurisdiction than "
                f"version {version_id} ({v['jurisdiction']}) (学生名单与版本不属于同一辖区)"
            )
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO runs(kind, version_id, cohort_id, params_json, of_record, author, "
                "created_at, status) VALUES(?,?,?,?,?,?,?,?)",
                (
                    kind,
                    version_id,
                    cohort_id,
                    _dumps(params),
                    int(of_record),
                    author,
                    now_iso(),
                    "queued",
                ),
            )
            return int(cur.lastrowid)

    def update_run(self, run_id: int, **fields: Any) -> None:
        allowed = {"status", "progress", "error", "finished_at"}
        sets, args = [], []
        for key, value in fields.items():
            if key == "result":
                sets.append("result_json=?")
                args.append(_dumps(value))
            elif key in allowed:
                sets.append(f"{key}=?")
                args.append(value)
            else:
                raise ValueError(f"unknown run field {key!r}")
        with self._tx() as conn:
            conn.execute(
                f"UPDATE runs SET {', '.join(sets)} WHERE id=?", (*args, _id(run_id, "run"))
            )

    def runs(self, jurisdiction: str | None = None) -> list[dict]:
        where, args = self._where(jurisdiction, "v.jurisdiction")
        rows = self._all(
            "SELECT r.id, r.kind, r.version_id, r.cohort_id, r.params_json, r.of_record, r.author, "
            "r.created_at, r.finished_at, r.status, r.progress, r.error, v.jurisdiction "
            f"FROM runs r JOIN versions v ON v.id = r.version_id WHERE {where} ORDER BY r.id DESC",
            args,
        )
        return [self._run_dict(r) for r in rows]

    def _run_dict(self, row: sqlite3.Row) -> dict:
        out = dict(row)
        if "jurisdiction" in out:
            out["jurisdiction"] = self._jname(out["jurisdiction"])
        out["params"] = json.loads(out.pop("params_json"))
        out["of_record"] = bool(out["of_record"])
        if "result_json" in out:
            raw = out.pop("result_json")
            out["result"] = None if raw is None else json.loads(raw)
        return out

    def run(self, run_id: int) -> dict:
        row = self._one(
            "SELECT r.*, v.jurisdiction FROM runs r JOIN versions v ON v.id = r.version_id "
            "WHERE r.id=?",
            (_id(run_id, "run"),),
        )
        if row is None:
            raise NotFoundError(f"run {run_id} does not exist (运行记录不存在)")
        return self._run_dict(row)

    def record_run_id(self, jurisdiction: str | None = None) -> int | None:
        """The latest finished placement of record (录取依据) of ``jurisdiction`` (None: any)."""
        where, args = self._where(jurisdiction, "v.jurisdiction")
        row = self._one(
            "SELECT r.id FROM runs r JOIN versions v ON v.id = r.version_id WHERE r.of_record=1 "
            f"AND r.status='done' AND {where} ORDER BY r.id DESC LIMIT 1",
            args,
        )
        return None if row is None else int(row["id"])

    # -- appeals and decisions --------------------------------------------------------

    def file_appeal(
        self, *, run_id: int, student_id: str, reason: str, deadline: str, author: str
    ) -> int:
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO appeals(run_id, student_id, filed_at, deadline, reason, author) "
                "VALUES(?,?,?,?,?,?)",
                (_id(run_id, "run"), student_id, now_iso(), deadline, reason, author),
            )
            return int(cur.lastrowid)

    def appeals(self) -> list[dict]:
        rows = self._all(
            "SELECT a.*, d.outcome, d.new_school, d.reason AS decision_reason, d.author AS decided_by, "
            "d.at AS decided_at FROM appeals a LEFT JOIN decisions d ON d.id = "
            "(SELECT max(id) FROM decisions WHERE appeal_id = a.id) ORDER BY a.id"
        )
        return [dict(r) for r in rows]

    def appeal(self, appeal_id: int) -> dict:
        for a in self.appeals():
            if a["id"] == _id(appeal_id, "appeal"):
                a["decisions"] = [
                    dict(r)
                    for r in self._all(
                        "SELECT * FROM decisions WHERE appeal_id=? ORDER BY id",
                        (_id(appeal_id, "appeal"),),
                    )
                ]
                return a
        raise NotFoundError(f"appeal {appeal_id} does not exist (复核申请不存在)")

    def decide(
        self,
        appeal_id: int,
        *,
        outcome: str,
        reason: str,
        author: str,
        new_school: str | None = None,
    ) -> int:
        self.appeal(appeal_id)
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO decisions(appeal_id, outcome, new_school, reason, author, at) "
                "VALUES(?,?,?,?,?,?)",
                (_id(appeal_id, "appeal"), outcome, new_school, reason, author, now_iso()),
            )
            return int(cur.lastrowid)

    # -- users ------------------------------------------------------------------------

    def add_user(self, username: str, password_hash: str, role: str) -> int:
        if role not in ROLES:
            raise StoreRefused(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
        try:
            with self._tx() as conn:
                cur = conn.execute(
                    "INSERT INTO users(username, password_hash, role, created_at) VALUES(?,?,?,?)",
                    (username, password_hash, role, now_iso()),
                )
                return int(cur.lastrowid)
        except sqlite3.IntegrityError as exc:
            raise StoreConflict(f"user {username!r} already exists (用户名已存在)") from exc

    def user(self, username: str) -> dict | None:
        row = self._one("SELECT * FROM users WHERE username=? AND active=1", (username,))
        return None if row is None else dict(row)

    def users(self) -> list[dict]:
        return [
            dict(r)
            for r in self._all(
                "SELECT id, username, role, created_at, active FROM users ORDER BY id"
            )
        ]

    def set_role(self, username: str, role: str) -> None:
        if role not in ROLES:
            raise StoreRefused(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
        with self._tx() as conn:
            cur = conn.execute("UPDATE users SET role=? WHERE username=?", (role, username))
            if cur.rowcount == 0:
                raise NotFoundError(f"user {username!r} does not exist")

    def count_users(self, role: str | None = None) -> int:
        if role is None:
            return int(self._one("SELECT count(*) FROM users")[0])
        return int(self._one("SELECT count(*) FROM users WHERE role=?", (role,))[0])

    # -- sessions ---------------------------------------------------------------------

    def open_session(self, username: str, *, lifetime: float) -> str:
        """A new session id for ``username`` (only its SHA-256 is stored); expired ones go."""
        sid = secrets.token_urlsafe(32)
        now = time.time()
        with self._tx() as conn:
            conn.execute("DELETE FROM sessions WHERE expires < ?", (now,))
            conn.execute(
                "INSERT INTO sessions(sid_sha256, username, created_at, expires) VALUES(?,?,?,?)",
                (_sha(sid), username, now_iso(), now + float(lifetime)),
            )
        return sid

    def session_user(self, sid: str) -> str | None:
        """The account of a live session id, or None (unknown, ended or expired)."""
        if not isinstance(sid, str) or not sid:
            return None
        row = self._one(
            "SELECT username FROM sessions WHERE sid_sha256=? AND expires >= ?",
            (_sha(sid), time.time()),
        )
        return None if row is None else row["username"]

    def close_session(self, sid: str) -> None:
        if isinstance(sid, str) and sid:
            with self._tx() as conn:
                conn.execute("DELETE FROM sessions WHERE sid_sha256=?", (_sha(sid),))

    def close_sessions(self, username: str) -> int:
        """End every session of ``username`` (a role change, a disabled account)."""
        with self._tx() as conn:
            return conn.execute("DELETE FROM sessions WHERE username=?", (username,)).rowcount

    # -- idempotency ------------------------------------------------------------------

    def idempotency_begin(
        self, scope: str, request: str, *, ttl: float, abandoned_after: float = 600.0
    ) -> tuple[str, Any]:
        """Claim an idempotency key: ``("new", None)``, ``("replay", answer)``, ``("busy",
        None)`` (the first request is still running) or ``("mismatch", None)`` (the key was
        used for another request).  ``scope`` and ``request`` are hashed before storing.  A
        claim still unanswered after ``abandoned_after`` seconds (its process died) is given
        up, so that a retry can run."""
        now = time.time()
        with self._tx() as conn:
            conn.execute("DELETE FROM idempotency WHERE created < ?", (now - ttl,))
            conn.execute(
                "DELETE FROM idempotency WHERE status IS NULL AND created < ?",
                (now - abandoned_after,),
            )
            row = conn.execute(
                "SELECT request_sha256, status, response_json FROM idempotency "
                "WHERE scope_sha256=?",
                (_sha(scope),),
            ).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO idempotency(scope_sha256, request_sha256, created) VALUES(?,?,?)",
                    (_sha(scope), _sha(request), now),
                )
                return "new", None
        if row["request_sha256"] != _sha(request):
            return "mismatch", None
        if row["status"] is None:
            return "busy", None
        return "replay", {"status": row["status"]} | json.loads(row["response_json"])

    def idempotency_finish(self, scope: str, *, status: int, answer: dict | None) -> None:
        """Record the answer of a claimed key; ``answer=None`` releases the key instead (an
        answer not worth replaying, such as a server error: the retry runs again)."""
        with self._tx() as conn:
            if answer is None:
                conn.execute("DELETE FROM idempotency WHERE scope_sha256=?", (_sha(scope),))
            else:
                conn.execute(
                    "UPDATE idempotency SET status=?, response_json=? WHERE scope_sha256=?",
                    (int(status), _dumps(answer), _sha(scope)),
                )

    # -- audit ------------------------------------------------------------------------

    def audit(
        self,
        action: str,
        *,
        username: str | None,
        role: str | None,
        obj: str | None = None,
        detail: str | None = None,
    ) -> None:
        """Record who saw or changed what.  ``detail`` must never hold personal data."""
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO audit(at, username, role, action, object, detail) VALUES(?,?,?,?,?,?)",
                (now_iso(), username, role, action, obj, detail),
            )

    def audit_log(self, limit: int = 500) -> list[dict]:
        return [
            dict(r) for r in self._all("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        ]
