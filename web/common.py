"""What every role's service shares: the store, the jurisdictions, versions and maps.

``version_by_id`` caches a stored version per app (versions are immutable), ``cached_placement``
a version's placement of a cohort, ``map_parts`` draws a version's zones with its base map and
schools.  ``on_page`` remembers which jurisdiction a page is about (its banner says when it is a
hypothetical scenario).
"""

from __future__ import annotations

from flask import current_app, g, session

from geo_enroll.errors import InputError, NotFoundError
from geo_enroll.settings import DEFAULT_SETTINGS

from .context import Context, basemap_layer, school_locations
from .jurisdictions import Jurisdiction
from .maps import render_parts, tiles_url, zones_map
from .placement import place

__all__ = [
    "store",
    "app_cache",
    "jurisdictions",
    "jurisdiction",
    "jurisdiction_of",
    "on_page",
    "ctx_of",
    "version_by_id",
    "current_version",
    "cached_placement",
    "map_parts",
    "cohort_of",
    "cohort_index",
]


def store():
    """The app's store (SQLite or PostGIS: :mod:`web.storage`, :mod:`web.store_pg`)."""
    return current_app.extensions["geo_store"]


def app_cache() -> dict:
    """The app's cache of immutable things: versions, placements, cohort indexes."""
    return current_app.extensions.setdefault("geo_cache", {})


def jurisdictions() -> dict[str, Jurisdiction]:
    """The jurisdictions the app serves, in ``--policy`` order (the first is the default)."""
    return current_app.extensions["geo_jurisdictions"]


def jurisdiction(key: str | None = None) -> Jurisdiction:
    """The jurisdiction ``key``; without one the session's choice, else the first served."""
    js = jurisdictions()
    if key:
        if key not in js:
            raise NotFoundError(
                f"未知辖区 {key} (unknown jurisdiction)",
                problems=[f"jurisdiction={k} — {j.label()}" for k, j in js.items()],
            )
        return js[key]
    return js.get(session.get("jurisdiction") or "") or next(iter(js.values()))


def jurisdiction_of(key: str) -> Jurisdiction:
    """The jurisdiction of a stored version (one no longer served gets the default context)."""
    return jurisdictions().get(key) or Jurisdiction(key=key, name=key or "?")


def on_page(j: Jurisdiction) -> Jurisdiction:
    """Remember the jurisdiction a page is about (its banner says when it is hypothetical)."""
    g.page_jurisdiction = j
    return j


def ctx_of(version: dict) -> Context:
    """The engine context of a stored version's jurisdiction."""
    return jurisdiction_of(version.get("jurisdiction") or "").ctx


def version_by_id(version_id: int) -> dict:
    """A stored version (cached: versions never change) with ``current`` set now."""
    key = ("version", int(version_id))
    cache = app_cache()
    if key not in cache:
        cache[key] = store().version(version_id)
    v = dict(cache[key])
    v["current"] = v["id"] == store().current_version_id(v["jurisdiction"])
    return v


def current_version(j: Jurisdiction | None = None) -> dict:
    """The published version of ``j`` (default: the selected jurisdiction)."""
    j = j or jurisdiction()
    vid = store().current_version_id(j.key)
    if vid is None:
        raise NotFoundError(
            f"{j.label()}尚未发布招生范围 (no zoning version has been published yet)"
        )
    return version_by_id(vid)


def cached_placement(version: dict, cohort_id: int | None) -> dict | None:
    """The placement of a cohort on a version (seed 7), computed once per app."""
    if cohort_id is None:
        return None
    key = ("placement", version["id"], cohort_id)
    cache = app_cache()
    if key not in cache:
        cohort = store().cohort(cohort_id)["rows"]
        cache[key] = place(
            spec=version["spec"], zones=version["zones"], cohort=cohort, ctx=ctx_of(version)
        )
    return cache[key]


def map_parts(
    version: dict, nonce: str, *, zones: dict | None = None, lang: str = "zh", **kw
) -> dict:
    """A version's map parts: its zones (or ``zones``), the base-map streets, the schools'
    locations and a legend; ``kw`` as :func:`web.maps.zones_map`."""
    ctx = ctx_of(version)
    vendor = current_app.config["VENDOR_URL"]
    schools = kw.pop("schools", None)
    if schools is None:
        schools = school_locations(version["spec"], ctx)
    j = jurisdiction_of(version.get("jurisdiction") or "")
    note = "示意图 schematic map" if lang != "en" else "schematic map"
    if j.hypothetical:
        note = "示意情景（虚构）HYPOTHETICAL scenario" if lang != "en" else "HYPOTHETICAL scenario"
    return render_parts(
        zones_map(
            version["zones"] if zones is None else zones,
            tiles_url=tiles_url(current_app.config.get("TILES_URL") or DEFAULT_SETTINGS.tiles_url),
            vendor=vendor,
            streets=ctx.streets,
            areas=basemap_layer(ctx, "areas"),
            landmarks=basemap_layer(ctx, "landmarks"),
            schools=schools,
            lang=lang,
            schematic_note=note,
            colour_order=[x.get("id") for x in version["spec"].get("schools") or []],
            **kw,
        ),
        nonce=nonce,
    )


def cohort_of(cohort_id: int, version: dict) -> dict:
    """A cohort, refused when it belongs to another jurisdiction than ``version``."""
    c = store().cohort(cohort_id)
    if c["jurisdiction"] != version["jurisdiction"]:
        raise InputError(
            f"学生名单 {cohort_id} 属于另一个辖区 (cohort {cohort_id} belongs to "
            f"{c['jurisdiction']}, version {version['id']} to {version['jurisdiction']})"
        )
    return c


def cohort_index(cohort_id: int) -> dict[str, dict]:
    """A stored cohort's rows by ``student_id`` (cached)."""
    key = ("cohort_index", cohort_id)
    cache = app_cache()
    if key not in cache:
        cache[key] = {r["student_id"]: r for r in store().cohort(cohort_id)["rows"]}
    return cache[key]
