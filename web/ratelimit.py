"""Per-client rate limiting (sliding one-minute window, in memory, thread-safe).

The client is ``request.remote_addr``; behind a reverse proxy set ``TRUST_PROXY`` so that
werkzeug's ProxyFix supplies the real address.  Addresses are never logged.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque

from flask import request
from werkzeug.exceptions import TooManyRequests

__all__ = ["RateLimiter"]


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
                exc = TooManyRequests()
                exc.retry_after = max(1, int(self.window - (now - q[0])) + 1)
                raise exc
            q.append(now)
            if len(self._hits) > 100_000:  # bounded memory under a flood of clients
                for key in [k for k, v in self._hits.items() if not v][:50_000]:
                    del self._hits[key]
