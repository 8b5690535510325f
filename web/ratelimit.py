"""Throttling: per-client sliding windows, per-account login backoff, and trusted proxies.

* :class:`RateLimiter` — ``limit`` hits per one-minute window per (bucket, key), in memory,
  thread-safe.  The key is the client address, or (client, account) for login attempts.
* :class:`LoginBackoff` — after ``after`` consecutive failed logins of one account, each
  further attempt on it must wait ``2**(n - after)`` seconds (capped), whatever address it comes
  from; a success resets it.  So rotating addresses does not help a guesser, and the account's
  owner waits minutes, not forever.
* :class:`SharedRateLimiter`, :class:`SharedLoginBackoff` — the same two over a SQLite file
  that every process of one server shares (``geo-enroll serve --workers N``): a client or an
  account gets the same allowance however many processes answer it, never N times it.  The
  file holds keyed hashes of (bucket, client) and of account names, never the addresses or
  names themselves; it is made anew at each start (the windows use the host's monotonic clock).
* :class:`SplitRateLimiter` — what ``serve --workers N`` uses for the rate limits: each process
  admits its share ``limit // N`` of a client's hits in memory (at no cost per request), so the
  processes together never admit more than ``limit``; a limit below N (a share of 0) goes to
  the shared file instead, exactly.  A client whose requests all reach one process gets its
  share there: stricter, never looser.  (The exact shared count costs one write of the file,
  ≈ 40–120 µs, on every parent's lookup; the login backoff, rare and a matter of security,
  stays exact in the file.)
* :class:`TrustedProxies` — ``X-Forwarded-For``/``-Proto`` are believed only when the direct
  peer is a configured proxy (``TRUSTED_PROXIES``); the client is then the right-most forwarded
  address that is not itself a proxy.  A client cannot pick its own address by sending the
  header.

Addresses and account names are never logged.

>>> b = LoginBackoff(after=2, cap=60, clock=lambda: 0.0)
>>> b.failed("u"); b.wait("u")
0
>>> b.failed("u"); b.wait("u"), b.wait("someone else")
(1, 0)
>>> b.failed("u"); b.wait("u")
2
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import os
import secrets
import sqlite3
import threading
import time
from collections import defaultdict, deque

from flask import request
from werkzeug.exceptions import TooManyRequests

__all__ = [
    "RateLimiter",
    "LoginBackoff",
    "SharedRateLimiter",
    "SharedLoginBackoff",
    "SplitRateLimiter",
    "create_shared",
    "TrustedProxies",
    "too_many",
]


def too_many(retry_after: float, message: str | None = None) -> TooManyRequests:
    exc = TooManyRequests()
    exc.retry_after = max(1, int(retry_after + 0.999))
    if message:
        exc.geo_message = message
    return exc


class RateLimiter:
    """Allow ``limit`` hits per ``window`` seconds per (bucket, client)."""

    def __init__(self, window: float = 60.0, clock=time.monotonic):
        self.window = window
        self.clock = clock
        self._hits: dict[tuple[str, str], deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, bucket: str, *, limit: int, client: str | None = None) -> None:
        """Count one hit; raise 429 (with Retry-After) when over ``limit``."""
        client = client or request.remote_addr or "-"
        now = self.clock()
        with self._lock:
            q = self._hits[(bucket, client)]
            while q and now - q[0] >= self.window:
                q.popleft()
            if len(q) >= limit:
                raise too_many(self.window - (now - q[0]))
            q.append(now)
            if len(self._hits) > 100_000:  # bounded memory under a flood of clients
                for key in [k for k, v in self._hits.items() if not v][:50_000]:
                    del self._hits[key]


class LoginBackoff:
    """Exponential backoff per account after ``after`` consecutive failures (see module)."""

    def __init__(self, *, after: int = 5, cap: float = 900.0, clock=time.monotonic):
        self.after, self.cap, self.clock = after, cap, clock
        self._state: dict[str, tuple[int, float]] = {}  # account → (failures, last failure)
        self._lock = threading.Lock()

    def wait(self, account: str) -> int:
        """Seconds the account must still wait before the next attempt (0: go ahead)."""
        with self._lock:
            n, last = self._state.get(account, (0, 0.0))
        if n < self.after:
            return 0
        delay = min(self.cap, 2.0 ** (n - self.after))
        return max(0, int(last + delay - self.clock() + 0.999))

    def failed(self, account: str) -> None:
        with self._lock:
            n, _ = self._state.get(account, (0, 0.0))
            self._state[account] = (n + 1, self.clock())
            if len(self._state) > 100_000:  # bounded memory: forget the oldest half
                for key in sorted(self._state, key=lambda k: self._state[k][1])[:50_000]:
                    del self._state[key]

    def succeeded(self, account: str) -> None:
        with self._lock:
            self._state.pop(account, None)


_SHARED_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hits (
    key BLOB NOT NULL, slot INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (key, slot)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS backoff (
    key BLOB PRIMARY KEY, failures INTEGER NOT NULL, last REAL NOT NULL
) WITHOUT ROWID;
"""


def create_shared(path: str | os.PathLike) -> None:
    """Make the shared throttling file anew (0600) with a fresh hashing key: called once by
    the server's parent process before its workers start (old windows and a key of an earlier
    run are dropped; the monotonic clock they were measured on may have restarted)."""
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{os.fspath(path)}{suffix}")
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(_SHARED_SCHEMA)
        conn.execute("INSERT INTO meta VALUES ('key', ?)", (secrets.token_hex(32),))
    finally:
        conn.close()


class _SharedFile:
    """One SQLite connection per thread (and per process: a connection never crosses a fork)
    to the file made by :func:`create_shared`; every change is one statement."""

    def __init__(self, path: str | os.PathLike, clock=time.monotonic):
        self.path = os.fspath(path)
        self.clock = clock
        self._local = threading.local()
        if not os.path.exists(self.path):
            create_shared(self.path)
        with contextlib.closing(sqlite3.connect(self.path)) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'key'").fetchone()
        if row is None:
            raise RuntimeError(f"{self.path} is not a geo_enroll throttling file")
        self._key = bytes.fromhex(row[0])

    def _conn(self) -> sqlite3.Connection:
        held = getattr(self._local, "conn", None)
        if held is None or held[0] != os.getpid():
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=0.0)
            conn.execute("PRAGMA synchronous=OFF")  # windows only: nothing to keep on a crash
            held = self._local.conn = (os.getpid(), conn)
        return held[1]

    def run(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        """One statement (its own transaction).  While another process writes, retry every
        0.1–1 ms for up to 10 s (SQLite's own wait sleeps 1 ms, then longer, at the first
        clash — most of a lookup's time)."""
        conn, pause, deadline = self._conn(), 0.0001, None
        while True:
            try:
                return conn.execute(sql, args)
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                now = time.monotonic()
                deadline = deadline or now + 10.0
                if now > deadline:
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 0.001)

    def digest(self, *parts: str) -> bytes:
        text = "\x1f".join(parts).encode("utf-8", "surrogatepass")
        return hashlib.blake2b(text, key=self._key, digest_size=16).digest()


class SharedRateLimiter:
    """:class:`RateLimiter` over a file shared by the server's processes (see module).

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "limits.sqlite")
    >>> create_shared(path)
    >>> one, two = SharedRateLimiter(path), SharedRateLimiter(path)   # two processes, say
    >>> one.hit("lookup", limit=2, client="10.0.0.1"); two.hit("lookup", limit=2, client="10.0.0.1")
    >>> try:
    ...     one.hit("lookup", limit=2, client="10.0.0.1")
    ... except Exception as exc:
    ...     print(exc.code)
    429
    """

    SLOTS = 60  # a window is counted in this many slots (1 s each for the one-minute window)
    SWEEP_EVERY = 2_000  # hits of this process between sweeps of every expired row

    def __init__(self, path: str | os.PathLike, window: float = 60.0, clock=time.monotonic):
        self.window = window
        self._file = _SharedFile(path, clock)
        self._slot = window / self.SLOTS
        self._count = 0

    @property
    def clock(self):
        return self._file.clock

    def hit(self, bucket: str, *, limit: int, client: str | None = None) -> None:
        """Count one hit; raise 429 (with Retry-After) when over ``limit``.

        The hits of a key are counted per slot; a slot counts while any of it lies in the
        window, so the count is never below the exact sliding window's (never looser; at most
        one slot's hits stricter).  Counting and adding are one statement (one write of the
        file, atomic among the processes)."""
        client = client or request.remote_addr or "-"
        key = self._file.digest(bucket, client)
        now = self._file.clock()
        slot = int(now // self._slot)
        oldest = slot - self.SLOTS  # the slot the window's start falls in
        self._count += 1
        if self._count % self.SWEEP_EVERY == 0:
            self._file.run("DELETE FROM hits WHERE slot < ?", (oldest,))
        added = self._file.run(
            "INSERT INTO hits (key, slot, n) SELECT ?1, ?2, 1 "
            "WHERE (SELECT total(n) FROM hits WHERE key = ?1 AND slot >= ?3) < ?4 "
            "ON CONFLICT (key, slot) DO UPDATE SET n = n + 1",
            (key, slot, oldest, limit),
        ).rowcount
        if added:
            return
        (first,) = self._file.run(
            "SELECT min(slot) FROM hits WHERE key = ? AND slot >= ?", (key, oldest)
        ).fetchone()
        # free again when the oldest counted slot has left the window
        raise too_many(
            (first if first is not None else slot) * self._slot + self._slot + self.window - now
        )


class SplitRateLimiter:
    """Rate limits of one of ``workers`` server processes (see module).

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "limits.sqlite")
    >>> create_shared(path)
    >>> one, two = (SplitRateLimiter(SharedRateLimiter(path), workers=2) for _ in "12")
    >>> def n_allowed(lim, n, limit):
    ...     allowed = 0
    ...     for _ in range(n):
    ...         try:
    ...             lim.hit("lookup", limit=limit, client="10.0.0.1")
    ...             allowed += 1
    ...         except Exception:
    ...             pass
    ...     return allowed
    >>> n_allowed(one, 8, 6), n_allowed(two, 8, 6)   # a share of 3 each: 6 in all
    (3, 3)
    >>> n_allowed(one, 2, 1) + n_allowed(two, 2, 1)  # a limit below 2: exact, shared
    1
    """

    def __init__(self, shared: SharedRateLimiter, *, workers: int, clock=time.monotonic):
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self.shared = shared
        self.local = RateLimiter(window=shared.window, clock=clock)

    def hit(self, bucket: str, *, limit: int, client: str | None = None) -> None:
        share = limit // self.workers
        if share >= 1:
            self.local.hit(bucket, limit=share, client=client)
        else:
            self.shared.hit(bucket, limit=limit, client=client)


class SharedLoginBackoff:
    """:class:`LoginBackoff` over a file shared by the server's processes (see module)."""

    MAX_ACCOUNTS = 100_000

    def __init__(
        self, path: str | os.PathLike, *, after: int = 5, cap: float = 900.0, clock=time.monotonic
    ):
        self.after, self.cap = after, cap
        self._file = _SharedFile(path, clock)
        self._failures = 0

    def wait(self, account: str) -> int:
        row = self._file.run(
            "SELECT failures, last FROM backoff WHERE key = ?",
            (self._file.digest("account", account),),
        ).fetchone()
        n, last = row or (0, 0.0)
        if n < self.after:
            return 0
        delay = min(self.cap, 2.0 ** (n - self.after))
        return max(0, int(last + delay - self._file.clock() + 0.999))

    def failed(self, account: str) -> None:
        self._file.run(
            "INSERT INTO backoff VALUES (?, 1, ?) ON CONFLICT (key) DO UPDATE SET "
            "failures = failures + 1, last = excluded.last",
            (self._file.digest("account", account), self._file.clock()),
        )
        self._failures += 1
        if self._failures % 1_000 == 0:  # bounded, as the in-memory one: forget the oldest half
            (n,) = self._file.run("SELECT count(*) FROM backoff").fetchone()
            if n > self.MAX_ACCOUNTS:
                self._file.run(
                    "DELETE FROM backoff WHERE key IN "
                    "(SELECT key FROM backoff ORDER BY last LIMIT ?)",
                    (n // 2,),
                )

    def succeeded(self, account: str) -> None:
        self._file.run(
            "DELETE FROM backoff WHERE key = ?", (self._file.digest("account", account),)
        )


def _networks(proxies) -> tuple:
    out = []
    for p in proxies:
        try:
            out.append(ipaddress.ip_network(str(p).strip(), strict=False))
        except ValueError as exc:
            from geo_enroll.errors import InputError

            raise InputError(
                f"TRUSTED_PROXIES: {p!r} is not an IP address or network (如 10.0.0.5 或 10.0.0.0/8)"
            ) from exc
    return tuple(out)


class TrustedProxies:
    """WSGI middleware: honour ``X-Forwarded-For``/``X-Forwarded-Proto`` from trusted peers only.

    Parameters
    ----------
    app : WSGI application
    proxies : iterable of str
        IP addresses or networks (``"10.0.0.0/8"``) of the reverse proxies in front.
    """

    def __init__(self, app, proxies):
        self.app = app
        self.networks = _networks(proxies)

    def trusted(self, addr: str | None) -> bool:
        try:
            ip = ipaddress.ip_address((addr or "").strip())
        except ValueError:
            return False
        return any(ip in net for net in self.networks)

    def __call__(self, environ, start_response):
        peer = environ.get("REMOTE_ADDR")
        if self.trusted(peer):
            hops = [h.strip() for h in environ.get("HTTP_X_FORWARDED_FOR", "").split(",")]
            hops = [h for h in hops if h]
            client = peer
            for hop in reversed(hops):  # right to left: the nearest hop first
                client = hop
                if not self.trusted(hop):
                    break
            try:
                ipaddress.ip_address(client)
            except ValueError:
                client = peer  # a forged, unreadable hop: keep the proxy's own address
            environ["REMOTE_ADDR"] = client
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
        return self.app(environ, start_response)
