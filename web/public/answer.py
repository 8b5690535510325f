"""A parent's lookup: the engine's answer in the shape the page and its JSON twin use.

:func:`lookup` calls ``geo_enroll.lookup.lookup_address`` / ``lookup_point`` with the
jurisdiction's gazetteer and a zone index kept per version, and normalises the answer (one
entry per rule per level, with the rule's source sentence).  :func:`explain_no_zone` says why a
located point has no school; :func:`contacts` lists the bureau's phones.
"""

from __future__ import annotations

from pathlib import Path

from geo_enroll import impact
from geo_enroll.errors import AddressError, InputError
from geo_enroll.lookup import (
    OPTIONAL_KINDS,
    answer_key,
    geocode_address,
    lookup_address,
    lookup_point,
)
from geo_enroll.placement.candidates import ZoneIndex
from geo_enroll.settings import DEFAULT_SETTINGS

from ..context import (
    DEFAULT_CONTEXT,
    Context,
    gazetteer,
    school_maps,
    school_points,
    shared_zones_frame,
)

__all__ = [
    "ZONE_KIND_LABELS",
    "OPTIONAL_KINDS",
    "zone_kind_label",
    "lookup",
    "prepare_address",
    "geocode",
    "gap_report",
    "explain_no_zone",
    "contacts",
]


ZONE_KIND_LABELS = {
    "street_limits": ("户籍划片", "catchment by residence"),
    "admin_units": ("户籍划片", "catchment by residence"),
    "compound": ("户籍划片", "catchment by residence"),
    "street_list": ("户籍划片", "catchment by residence"),
    "directional_bounds": ("户籍划片", "catchment by residence"),
    "remainder": ("户籍划片（其余区域）", "catchment: the rest of the area"),
    "property_rule": ("购房", "by property"),
    "multi_school": ("多校划片", "multi-school zone"),
    "free_choice": ("自主选择", "free choice"),
    "alternative": ("可选", "optional school"),
}

_BY_ZH = {zh: (zh, en) for zh, en in ZONE_KIND_LABELS.values()}


def zone_kind_label(kind: str | None, lang: str = "zh") -> str:
    """Parent-facing name of a zone kind (a spec kind or the engine's Chinese label).

    >>> zone_kind_label("alternative"), zone_kind_label("street_limits", "en")
    ('可选', 'catchment by residence')
    >>> zone_kind_label("购房", "en")
    'by property'
    """
    zh, en = ZONE_KIND_LABELS.get(kind or "") or _BY_ZH.get(kind or "") or (kind or "", kind or "")
    return en if lang == "en" else zh


_INDEX_CACHE: dict = {}  # ("index", version hash, id(ctx)) -> ZoneIndex


def _zone_index(spec: dict, zones: dict, ctx: Context, key: str | None):

    ck = ("index", key, id(ctx)) if key else None
    if ck is not None and ck in _INDEX_CACHE:
        return _INDEX_CACHE[ck]
    idx = ZoneIndex(spec, shared_zones_frame(zones), school_points=school_points(ctx))
    if ck is not None:
        if len(_INDEX_CACHE) > 32:
            _INDEX_CACHE.clear()
        _INDEX_CACHE[ck] = idx
    return idx


def _checked_address(address: str) -> str:
    """The address of a lookup without its outer spaces; empty or too long is refused."""
    address = address.strip()
    if not address:
        raise AddressError("请输入地址 (an address is required)")
    if len(address) > DEFAULT_SETTINGS.max_address_chars:
        raise AddressError(
            f"地址过长 ({len(address)} 字), 最多 {DEFAULT_SETTINGS.max_address_chars} 字 "
            "(address too long)"
        )
    return address


def prepare_address(
    *, spec: dict, zones: dict, address: str, ctx: Context = DEFAULT_CONTEXT, key: str | None
) -> dict:
    """The first half of an address's :func:`lookup`: the address checked, geocoded, and the
    engine's :func:`~geo_enroll.lookup.answer_key` on the version's zone index.

    Returns ``{"address", "geo", "keyed", "index"}``; ``keyed[0]`` (None for an address that
    was not located) tells which answers are the same, whatever else the text says (a caller
    may keep its own answers by it, per version and index), and :func:`lookup` with
    ``prepared=`` finishes the answer without doing this again.
    """
    address = _checked_address(address)
    index = _zone_index(spec, zones, ctx, key)
    geo = geocode_address(address, gazetteer(ctx))
    keyed = answer_key(geo, spec=spec, index=index, across=True)
    return {"address": address, "geo": geo, "keyed": keyed, "index": index}


def lookup(
    *,
    spec: dict,
    zones: dict,
    address: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    ctx: Context = DEFAULT_CONTEXT,
    key: str | None = None,
    prepared: dict | None = None,
) -> dict:
    """Serving schools for an address or a clicked point.

    Returns the engine's answer normalised to ``{"input", "match_level", "lon", "lat",
    "schools": {"primary": [...], "middle": [...]}, "warnings", "engine"}`` where each school
    entry is ``{"school", "school_id", "kind", "rule_id", "source", "line", "optional"}``,
    plus the engine's ``across`` (the schools across a zone edge within the boundary warning
    distance; None farther from every edge).  ``key`` (the version's hash) lets the zone index
    be reused between lookups.  ``prepared``: :func:`prepare_address` of the same address,
    version and context.
    """
    if address is not None:
        if prepared is None:
            prepared = prepare_address(spec=spec, zones=zones, address=address, ctx=ctx, key=key)
        address = prepared["address"]
    elif lon is None or lat is None:
        raise InputError("需要地址或地图上的点 (an address or a point is required)")
    elif not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InputError(f"坐标超出范围 lon={lon} lat={lat} (expected WGS 84 degrees)")

    zones_gdf = shared_zones_frame(zones)
    if address is not None:
        raw = lookup_address(
            address,
            spec=spec,
            zones=zones_gdf,
            gazetteer=gazetteer(ctx),
            school_points=school_points(ctx),
            index=prepared["index"],
            across=True,
            geo=prepared["geo"],
            keyed=prepared["keyed"],
        )
    else:
        raw = lookup_point(
            lon,
            lat,
            spec=spec,
            zones=zones_gdf,
            school_points=school_points(ctx),
            index=_zone_index(spec, zones, ctx, key),
            across=True,
        )
    return _normalise_lookup(raw, address, lon, lat, spec) | {"engine": "geo_enroll.lookup"}


def _normalise_lookup(raw: dict, address, lon, lat, spec) -> dict:
    """Bring the engine's answer into the shape the templates use (keeping it under raw)."""
    raw = dict(raw or {})
    by_id, by_name = school_maps(spec)
    schools: dict[str, list] = {"primary": [], "middle": []}
    src = raw.get("schools")
    entries: list[dict] = []
    if isinstance(src, dict):
        for level, items in src.items():
            for it in items if isinstance(items, list) else [items]:
                if it:
                    entries.append(
                        {"level": level} | (it if isinstance(it, dict) else {"school": it})
                    )
    elif isinstance(src, list):
        entries = [e for e in src if isinstance(e, dict)]
    for level in ("primary", "middle"):
        for key in (level, f"{level}_schools"):
            items = raw.get(key)
            if isinstance(items, dict):
                items = [items]
            for it in items or []:
                if isinstance(it, dict):
                    entries.append({"level": level} | it)
    for e in entries:
        school = (
            by_id.get(e.get("school_id")) or by_name.get(e.get("school") or e.get("name")) or {}
        )
        level = e.get("level") or school.get("level") or "primary"
        if level == "nine_year":
            levels = ["primary", "middle"]
        else:
            levels = [level]
        src_obj = e.get("source")
        text = src_obj.get("text") if isinstance(src_obj, dict) else (src_obj or e.get("rule_text"))
        line = src_obj.get("line") if isinstance(src_obj, dict) else e.get("line")
        item = {
            "school": e.get("school") or e.get("name") or school.get("name"),
            "school_id": e.get("school_id") or school.get("id"),
            "kind": e.get("kind"),
            "rule_id": e.get("rule_id") or e.get("rule"),
            "source": text,
            "line": line,
            "optional": bool(e.get("optional", e.get("kind") in OPTIONAL_KINDS)),
            "distance_m": e.get("distance_m"),
        }
        for lv in levels:
            if lv in schools and item not in schools[lv]:
                schools[lv].append(item)
    geo = raw.get("geocode") if isinstance(raw.get("geocode"), dict) else {}
    warnings = raw.get("warnings") or []
    if isinstance(warnings, str):
        warnings = [warnings]
    return {
        "input": raw.get("input", address if address is not None else f"{lon},{lat}"),
        "match_level": raw.get("match_level") or raw.get("level") or geo.get("level"),
        "lon": raw.get("lon", geo.get("lon", lon)),
        "lat": raw.get("lat", geo.get("lat", lat)),
        "code": raw.get("code", geo.get("code")),
        "schematic": bool(raw.get("schematic", geo.get("schematic", False))),
        "edge_distance_m": raw.get("edge_distance_m"),
        "across": raw.get("across"),
        "schools": schools,
        "warnings": [str(w) for w in warnings],
        "bureau_notes": [str(w) for w in raw.get("bureau_notes") or []],
        "raw": raw,
    }


def geocode(address: str, ctx: Context = DEFAULT_CONTEXT) -> dict:
    """The context's gazetteer's answer for ``address`` (the geocode result contract)."""
    gaz = gazetteer(ctx)
    if gaz is None:
        return {"lon": None, "lat": None, "level": None}
    return dict(gaz.geocode(address))


def gap_report(spec: dict, zones: dict, ctx: Context = DEFAULT_CONTEXT) -> dict:
    """Gaps per level of a version's polygon zones (:func:`geo_enroll.impact.zone_gaps`),
    with the base map's town and communities (``ctx.basemap``) as the land to serve.

    Returns ``{level: [{"area_m2", "where", "rules", "point", "geometry"}]}``.
    """
    areas = None
    if ctx.basemap is not None and Path(ctx.basemap).exists():
        import geopandas as gpd

        try:
            areas = gpd.read_file(ctx.basemap, layer="areas")
        except Exception:  # noqa: BLE001 - a base map without areas
            areas = None
    return impact.zone_gaps(zones, areas=areas)


def explain_no_zone(
    spec: dict,
    zones: dict,
    gaps: dict,
    lon: float,
    lat: float,
    lang: str = "zh",
    level: str | None = None,
) -> dict:
    """Why a located point has no school (:func:`geo_enroll.impact.explain_no_zone`)."""
    frame = shared_zones_frame(zones) if isinstance(zones, dict) else zones
    return impact.explain_no_zone(spec, frame, gaps, lon, lat, lang=lang, level=level)


def contacts(spec: dict, kind: str | None = None) -> list[dict]:
    """The bureau's contacts of a policy (``policy.contacts``: ``kind``, ``name``, ``phone``),
    those of ``kind`` only when given; malformed entries are skipped.

    >>> contacts({"policy": {"contacts": [{"kind": "consultation", "name": "招生办",
    ...     "phone": "0479-5222222"}, "x"]}}, "consultation")
    [{'kind': 'consultation', 'name': '招生办', 'phone': '0479-5222222'}]
    """
    out = []
    for c in (spec.get("policy") or {}).get("contacts") or []:
        if not isinstance(c, dict) or not c.get("phone"):
            continue
        if kind is None or c.get("kind") == kind:
            out.append(
                {"kind": c.get("kind"), "name": str(c.get("name") or ""), "phone": str(c["phone"])}
            )
    return out
