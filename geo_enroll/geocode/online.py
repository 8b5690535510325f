"""Online geocoders for real deployments, over geopy (在线地理编码, off by default).

:class:`OnlineGeocoder` wraps any geopy geocoder (Nominatim, Baidu, ArcGIS...) with

* an **on-disk cache** (SQLite, keyed by provider and normalised address) so that a batch can be
  re-run without asking again, and results are reproducible;
* **rate limiting** (at least ``min_delay_seconds`` between requests), a **timeout** per
  request and **retries** with a growing wait on timeouts and unavailability;
* the provider's **coordinate system**: answers in GCJ-02 or BD-09 are converted to WGS 84 on
  entry (:data:`PROVIDER_CRS`; override with ``source_crs``), and ``source_crs`` is kept in
  the result.

It is never used unless asked for (``enabled=True``), never needed by the tests (pass a fake
``geocoder``) and never logs addresses.  The result has the keys of
:data:`~geo_enroll.geocode.gazetteer.RESULT_KEYS`; the level comes from the provider's
answer type where it says one (Nominatim ``addresstype``), else ``None`` (unknown precision).

Examples
--------
>>> class Fake:  # stands in for geopy.geocoders.Nominatim
...     def geocode(self, query, exactly_one=True, timeout=None):
...         from types import SimpleNamespace
...         return SimpleNamespace(longitude=115.28, latitude=41.88, address="宝昌镇",
...                                raw={"addresstype": "town"})
>>> g = OnlineGeocoder("nominatim", enabled=True, geocoder=Fake(), cache_path=None,
...                    min_delay_seconds=0)
>>> r = g.geocode("太仆寺旗宝昌镇")
>>> r["level"], r["lon"], r["source_crs"]
('township', 115.28, 'wgs84')
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

from ..address.normalize import normalize_address
from ..coords import canonical_crs, convert
from ..errors import GeocodeError
from ..settings import DEFAULT_SETTINGS, Settings
from .gazetteer import LEVEL_RANK, RESULT_KEYS

__all__ = ["OnlineGeocoder", "PROVIDER_CRS", "GeocodeCache"]

PROVIDER_CRS = {
    "nominatim": "wgs84",
    "arcgis": "wgs84",
    "photon": "wgs84",
    "pelias": "wgs84",
    "opencage": "wgs84",
    "googlev3": "gcj02",  # Google answers in GCJ-02 inside mainland China
    "baidu": "bd09",
    "baiduv3": "bd09",
}
"""Coordinate system each geopy provider answers in (inside China)."""

_TYPE_LEVEL = {
    "house": "house_number", "building": "house_number", "house_number": "house_number",
    "road": "road", "street": "road", "residential": "compound", "amenity": "poi",
    "village": "village", "hamlet": "village", "neighbourhood": "village", "suburb": "township",
    "town": "township", "township": "township", "quarter": "township",
    "county": "county", "district": "county", "city_district": "county", "city": "county",
}  # fmt: skip


class GeocodeCache:
    """A tiny SQLite key → JSON cache on disk (``path=None``: in memory)."""

    def __init__(self, path: str | Path | None):
        self.path = Path(path) if path else None
        if self.path:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path) if self.path else ":memory:",
                                   check_same_thread=False)  # fmt: skip
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, value TEXT)")
            self._db.commit()

    def get(self, key: str):
        with self._lock:
            row = self._db.execute("SELECT value FROM cache WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, value) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO cache (key, value) VALUES (?, ?)",
                (key, json.dumps(value, ensure_ascii=False)),
            )
            self._db.commit()

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM cache").fetchone()[0]

    def close(self) -> None:
        self._db.close()


class OnlineGeocoder:
    """A geopy geocoder behind the gazetteer's interface, with cache, rate limit and retries.

    Parameters
    ----------
    provider : str
        A geopy service name (``nominatim``, ``baiduv3``, ``arcgis``...).
    enabled : bool
        Must be True: online geocoding sends addresses to a third party and is off by default.
    geocoder : object, optional
        A ready geopy geocoder (or any object with ``geocode(query, exactly_one, timeout)``);
        default: built from ``provider`` with ``provider_options``.
    cache_path : path or None
        SQLite cache file (default ``~/.cache/geo_enroll/geocode.sqlite``); None: in memory.
    min_delay_seconds, timeout, max_retries, error_wait_seconds : float, float, int, float
        Rate limit, per-request timeout, retries, and the base wait before a retry.
    source_crs : str, optional
        The provider's CRS (default :data:`PROVIDER_CRS`, else ``wgs84``).
    """

    def __init__(
        self,
        provider: str = "nominatim",
        *,
        enabled: bool = False,
        geocoder=None,
        cache_path: str | Path | None = "~/.cache/geo_enroll/geocode.sqlite",
        min_delay_seconds: float = 1.0,
        timeout: float = 10.0,
        max_retries: int = 2,
        error_wait_seconds: float = 2.0,
        source_crs: str | None = None,
        user_agent: str = "geo_enroll",
        provider_options: dict | None = None,
        settings: Settings = DEFAULT_SETTINGS,
        sleep=time.sleep,
        clock=time.monotonic,
    ):
        if not enabled:
            raise GeocodeError(
                "在线地理编码默认关闭 online geocoding is off by default: it sends addresses to "
                f"{provider}; pass enabled=True (CLI: --online) only where that is allowed"
            )
        self.provider = provider.lower()
        self.source_crs = canonical_crs(source_crs or PROVIDER_CRS.get(self.provider, "wgs84"))
        if geocoder is None:
            from geopy.geocoders import get_geocoder_for_service

            try:
                cls = get_geocoder_for_service(self.provider)
            except Exception as exc:  # geopy raises ConfigurationError for unknown names
                raise GeocodeError(
                    f"未知在线服务 unknown geopy provider {provider!r}: {exc}"
                ) from None
            geocoder = cls(user_agent=user_agent, **(provider_options or {}))
        self.geocoder = geocoder
        path = Path(cache_path).expanduser() if cache_path else None
        self.cache = GeocodeCache(path)
        self.min_delay = float(min_delay_seconds)
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.error_wait = float(error_wait_seconds)
        self.settings = settings
        self._sleep, self._clock = sleep, clock
        self._last = None
        self.requests = 0

    def _throttle(self) -> None:
        if self._last is not None:
            wait = self.min_delay - (self._clock() - self._last)
            if wait > 0:
                self._sleep(wait)
        self._last = self._clock()

    def _ask(self, query: str):
        from geopy.exc import GeocoderServiceError, GeocoderTimedOut, GeocoderUnavailable

        retryable = (GeocoderTimedOut, GeocoderUnavailable, TimeoutError, ConnectionError)
        for attempt in range(self.max_retries + 1):
            self._throttle()
            self.requests += 1
            try:
                return self.geocoder.geocode(query, exactly_one=True, timeout=self.timeout), None
            except retryable as exc:
                if attempt == self.max_retries:
                    return None, f"在线服务无响应 {self.provider} unavailable: {type(exc).__name__}"
                self._sleep(self.error_wait * (attempt + 1))
            except GeocoderServiceError as exc:
                return None, f"在线服务错误 {self.provider} error: {type(exc).__name__}"
        return None, "unreachable"  # pragma: no cover

    def geocode(self, text, *, min_level: str | None = None) -> dict:
        """Geocode one address online (cached); never raises on bad input or network failure."""
        res = dict.fromkeys(RESULT_KEYS)
        res.update(input=text, matched={}, schematic=False, coarse=False, confidence=0.0,
                   source_crs=self.source_crs)  # fmt: skip
        query = normalize_address(text) if isinstance(text, str) else ""
        if not query or len(query) > self.settings.max_address_chars:
            res.update(reason_code="empty" if not query else "too_long",
                       reason="地址为空或过长 empty or too long address")  # fmt: skip
            return res
        key = f"{self.provider}\t{query}"
        hit = self.cache.get(key)
        if hit is None:
            loc, error = self._ask(query)
            if error:  # not cached: a later run may succeed
                res.update(reason_code="online_error", reason=error)
                return res
            hit = None if loc is None else {
                "lon": float(loc.longitude), "lat": float(loc.latitude),
                "address": getattr(loc, "address", None),
                "type": _answer_type(getattr(loc, "raw", None) or {}),
            }  # fmt: skip
            self.cache.put(key, hit or {})
        if not hit:
            res.update(reason_code="not_found", reason=f"{self.provider} 未找到 found nothing")
            return res
        lon, lat = convert(hit["lon"], hit["lat"], self.source_crs, "wgs84")
        level = _TYPE_LEVEL.get(hit.get("type") or "")
        res.update(lon=round(lon, 7), lat=round(lat, 7), level=level,
                   confidence=0.6 if level else 0.4, point_source=f"online {self.provider}",
                   matched={"address": hit.get("address")})  # fmt: skip
        gate = min_level or self.settings.geocode_min_level
        if gate not in LEVEL_RANK:
            raise GeocodeError(
                f"unknown min_level {gate!r}: expected one of {', '.join(LEVEL_RANK)}"
            )
        if level is None or LEVEL_RANK[level] < LEVEL_RANK[gate]:
            if level is not None or gate != "county":
                res.update(lon=None, lat=None, reason_code="below_min_level",
                           reason=f"精度不足 online match at {level or 'unknown'} level; "
                           f"at least {gate} is required")  # fmt: skip
        return res


def _answer_type(raw: dict) -> str | None:
    for key in ("addresstype", "type", "level"):
        value = raw.get(key) if isinstance(raw, dict) else None
        if isinstance(value, str):
            return value.lower()
    return None
