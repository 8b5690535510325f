"""The service's store on PostgreSQL + PostGIS (``geo-enroll serve --db postgresql://…``).

Same interface and same SQL as the embedded SQLite :class:`~web.storage.Store` — this class
only swaps the connection: placeholders, row access, ``lastrowid`` and errors are translated,
and ``BEGIN IMMEDIATE`` (SQLite's one-writer lock) becomes a transaction holding one
transaction-scoped advisory lock, so check-then-write sequences (a planner saving on a parent
version, an idempotency key) are serialised exactly as on SQLite.  The schema is applied by
the numbered SQL migrations of :mod:`geo_enroll.postgis` (``002_service_store.sql``); each
saved version's zones are also written, by a trigger in the same transaction, as
``geometry(MultiPolygon, 4326)`` rows of ``version_zones`` (GiST-indexed; view
``published_zones``), so a GIS user opens them in QGIS directly.

Every acknowledged write is committed before the call returns (PostgreSQL's default
``synchronous_commit``), so a kill -9 of the service loses nothing acknowledged.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import threading
from typing import Any

from geo_enroll.errors import StorageError

from .storage import Store

__all__ = ["PgStore", "open_store"]

_WRITE_LOCK = 0x6765_6F65  # one advisory lock for all writers ("geoe")


class _Row(tuple):
    """A row readable by position and by column name, like :class:`sqlite3.Row`."""

    _names: tuple[str, ...] = ()

    def __getitem__(self, key):
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self._names.index(key))
            except ValueError:
                raise IndexError(f"no such column: {key}") from None
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def _row_factory(cursor):
    names = tuple(d.name for d in cursor.description or ())
    cls = type("Row", (_Row,), {"_names": names})
    return lambda values: cls(values)


def _translate(sql: str) -> str:
    # The store's SQL uses '?' placeholders and no literal '%' or '?' (checked by the tests).
    return sql.replace("%", "%%").replace("?", "%s")


# Tables whose rows have a serial ``id``: an INSERT into them returns it (sqlite's lastrowid).
_ID_TABLES = frozenset(
    {"versions", "publications", "cohorts", "runs", "appeals", "decisions", "users", "audit"}
)
_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)", re.IGNORECASE)


class _Cursor:
    def __init__(self, cur, lastrowid=None):
        self._cur, self._lastrowid = cur, lastrowid

    def fetchone(self):
        if self._lastrowid is not None:
            return None
        return self._cur.fetchone() if self._cur.description else None

    def fetchall(self):
        if self._lastrowid is not None:
            return []
        return self._cur.fetchall() if self._cur.description else []

    def __iter__(self):
        return iter(self.fetchall())

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._lastrowid


class _Connection:
    """A psycopg connection speaking the sqlite3 dialect the store is written in."""

    def __init__(self, raw):
        self.raw = raw

    def execute(self, sql: str, args: tuple = ()):
        import psycopg

        m = _INSERT.match(sql)
        returning = bool(m and m.group(1).lower() in _ID_TABLES and "RETURNING" not in sql.upper())
        if returning:
            sql = sql.rstrip().rstrip(";") + " RETURNING id"
        try:
            cur = self.raw.execute(_translate(sql), tuple(args))
        except psycopg.errors.IntegrityError as exc:
            raise sqlite3.IntegrityError(str(exc).splitlines()[0]) from exc
        except psycopg.errors.RaiseException as exc:  # the append-only triggers
            raise sqlite3.IntegrityError(str(exc).splitlines()[0]) from exc
        except psycopg.errors.DataError as exc:  # e.g. a value out of range for its column
            raise sqlite3.DataError(str(exc).splitlines()[0]) from exc
        return _Cursor(cur, cur.fetchone()[0] if returning else None)


class PgStore(Store):
    """:class:`~web.storage.Store` on PostgreSQL + PostGIS.

    Parameters
    ----------
    dsn : str
        ``postgresql://user@host/db`` (or ``?host=/socket/dir``).  The password, if any, is
        never printed.
    """

    def __init__(self, dsn: str):
        from geo_enroll.postgis import connect, migrate

        self.path = "postgresql"  # no file: nothing to chmod; messages never show the DSN
        self._dsn = dsn
        self._local = threading.local()
        self._memory_conn = None
        self._opened: list[_Connection] = []
        self._opened_lock = threading.Lock()
        conn = connect(dsn)
        try:
            migrate(conn)
        except Exception as exc:
            raise StorageError(
                f"无法初始化 PostgreSQL 存储 cannot set up the store ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0] if str(exc) else ''}); the database needs the PostGIS "
                "extension (Debian: postgresql-15-postgis-3) and a user allowed to create tables"
            ) from exc
        finally:
            conn.close()

    def _conn(self) -> _Connection:
        held = getattr(self._local, "conn", None)
        conn = held[1] if held is not None and held[0] == os.getpid() else None  # not forked
        if conn is None or conn.raw.closed:
            from geo_enroll.postgis import connect

            raw = connect(self._dsn)
            raw.autocommit = True
            raw.row_factory = _row_factory
            conn = _Connection(raw)
            self._local.conn = (os.getpid(), conn)
            with self._opened_lock:
                self._opened = [c for c in self._opened if not c.raw.closed] + [conn]
        return conn

    @contextlib.contextmanager
    def _tx(self):
        """One atomic transaction, serialised with every other writer (like BEGIN IMMEDIATE)."""
        conn = self._conn()
        conn.raw.execute("BEGIN")
        try:
            conn.raw.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
            yield conn
        except BaseException:
            conn.raw.execute("ROLLBACK")
            raise
        else:
            conn.raw.execute("COMMIT")

    def current_version_id(self, jurisdiction: str | None = None) -> int | None:
        """The published version of ``jurisdiction``, asked of the database each time.

        The SQLite store keeps this answer until its file changes; here several service
        processes (and hosts) share one database, so the query — one index lookup — is simply
        run: no process serves a version another one has replaced.
        """
        where, args = self._where(jurisdiction)
        row = self._one(
            f"SELECT version_id FROM publications WHERE {where} ORDER BY id DESC LIMIT 1", args
        )
        return None if row is None else int(row["version_id"])

    def pragma(self, name: str) -> Any:
        """SQLite PRAGMAs do not exist here; report PostgreSQL's equivalent where there is one."""
        if name == "synchronous":
            return self._conn().raw.execute("SHOW synchronous_commit").fetchone()[0]
        return None

    def _one(self, sql: str, args: tuple = ()):
        return self._conn().execute(sql, args).fetchone()

    def _all(self, sql: str, args: tuple = ()):
        return self._conn().execute(sql, args).fetchall()

    def close(self) -> None:
        """Close every connection this store opened (one per thread that used it)."""
        with self._opened_lock:
            for conn in self._opened:
                conn.raw.close()
            self._opened = []


def open_store(target: str):
    """A store for ``target``: a ``postgresql://`` URL → :class:`PgStore`, else a SQLite path."""
    if isinstance(target, str) and target.startswith(("postgresql://", "postgres://")):
        return PgStore(target)
    return Store(target)
