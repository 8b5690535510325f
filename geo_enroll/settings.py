"""One settings object for the whole engine (osmnx ``settings``, datasette).

:class:`Settings` is a frozen dataclass: every field is documented in the
``Attributes`` section of its docstring (a test checks that each field is listed)
and has a default.  Change settings with :func:`dataclasses.replace`::

    >>> from dataclasses import replace
    >>> s = replace(DEFAULT_SETTINGS, boundary_warning_m=50.0)
    >>> s.boundary_warning_m
    50.0
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Settings", "DEFAULT_SETTINGS", "data_dir", "PACKAGE_ROOT"]

PACKAGE_ROOT = Path(__file__).resolve().parent


def data_dir() -> Path:
    """The project's ``data/`` folder (or ``$GEO_ENROLL_DATA`` when set)."""
    env = os.environ.get("GEO_ENROLL_DATA")
    if env:
        return Path(env)
    return PACKAGE_ROOT.parent / "data"


@dataclass(frozen=True)
class Settings:
    """Engine-wide settings.

    Attributes
    ----------
    max_policy_bytes : int
        Largest policy text accepted by the parser (bytes); larger files are refused.
    max_address_chars : int
        Addresses longer than this are refused with a reason (bounded time and memory).
    snap_gap_m : float
        Street limits that stop short of each other by up to this many metres are closed
        (and reported) by the digitiser.
    max_vertices : int
        Geometries with more vertices than this are refused as user input.
    min_diagnostic_area_m2 : float
        Gaps and overlaps smaller than this (slivers) are not reported.
    street_list_depth_m : float
        Depth of the land a ``street_list`` rule (双林路单号1-99号, X路两侧) covers on each
        named side of the street centre line, in metres (the frontage plots); 50 by default.
    street_list_odd_side : str
        Side of odd house numbers when facing the direction of increasing numbers:
        ``"left"`` (左单右双, the usual Chinese 门牌 rule) or ``"right"``.
    house_offset_m : float
        A geocoded house number is placed this many metres off the street centre line, on the
        side of its number (``street_list_odd_side``), or on the side inside the community the
        address names: a house is never on the street itself, so a point never falls exactly on
        a zone edge drawn along that street.
    boundary_warning_m : float
        A parent lookup within this distance of a zone edge carries a warning.
    geocode_min_level : str
        Default precision gate of the geocoder (``county`` < ``township`` < ``village``
        < ``road`` < ``house_number``/``compound``/``poi``).
    class_cap : dict
        Default class caps when a policy gives none (45 primary / 50 middle, the national
        standard).
    distance : str
        ``"euclidean"`` (straight line in the local UTM zone) or ``"network"`` (along base-map
        streets) for relative proximity.
    rate_limit_per_minute : int
        Public lookups allowed per client per minute.
    max_request_bytes : int
        Largest HTTP request body accepted by the web service.
    student_id_salt : str
        Salt of the stable ``student_id`` (a SHA-256 of salt + ID number, never the number
        itself).  A bureau should set its own secret (``$GEO_ENROLL_ID_SALT`` or
        ``--salt``) so that ids cannot be linked back to ID numbers by brute force.
    tiles_url : str or None
        URL template (``{z}``, ``{x}``, ``{y}``) of a tile server drawn under the web
        service's maps, for a deployment that has one (e.g. an internal
        ``https://tiles.example.gov.cn/{z}/{x}/{y}.png``, or a same-origin path); read from
        ``$GEO_ENROLL_TILES_URL``.  None (the default): only the offline background drawn from
        the base map's own layers (areas, streets, rivers) — nothing external is fetched.
    trusted_proxies : tuple of str
        Addresses or networks (``10.0.0.5``, ``10.0.0.0/8``) of the reverse proxies in front
        of the web service, whose ``X-Forwarded-For``/``-Proto`` headers are believed (for
        rate limits and Secure cookies); read from ``$GEO_ENROLL_TRUSTED_PROXIES``
        (comma-separated).  Empty (the default): the headers are ignored, the client is the
        direct peer.
    """

    max_policy_bytes: int = 5_000_000
    max_address_chars: int = 200
    snap_gap_m: float = 50.0
    max_vertices: int = 100_000
    min_diagnostic_area_m2: float = 1.0
    street_list_depth_m: float = 50.0
    street_list_odd_side: str = "left"
    house_offset_m: float = 12.0
    boundary_warning_m: float = 30.0
    geocode_min_level: str = "county"
    class_cap: dict = field(default_factory=lambda: {"primary": 45, "middle": 50})
    distance: str = "euclidean"
    rate_limit_per_minute: int = 60
    max_request_bytes: int = 5_000_000
    student_id_salt: str = "geo-enroll-v1"
    tiles_url: str | None = field(
        default_factory=lambda: os.environ.get("GEO_ENROLL_TILES_URL") or None
    )
    trusted_proxies: tuple = field(
        default_factory=lambda: tuple(
            x.strip()
            for x in os.environ.get("GEO_ENROLL_TRUSTED_PROXIES", "").split(",")
            if x.strip()
        )
    )


DEFAULT_SETTINGS = Settings()
