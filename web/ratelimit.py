"""Throttling: per-client sliding windows, per-account login backoff, and trusted proxies.

* :class:`RateLimiter` — ``limit`` hits per one-minute window per (bucket, key), in memory,
  thread-safe.  The key is the client address, or (client, account) for login attempts.
* :class:`LoginBackoff` — after ``after`` consecutive failed logins of one account, each
  further attempt on it must wait ``2**(n - after)`` seconds (capped), whatever address it comes
  from; a success resets it.  So rotating addresses does not help a guesser, and the account's
  owner waits minutes, not forever.
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

import ipaddress
import threading
import time
from collections import defaultdict, deque

from flask import request
from werkzeug.exceptions import TooManyRequests

__all__ = ["RateLimiter", "LoginBackoff", "TrustedProxies", "too_many"]


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
