"""Thin adapters between the web views and the engine (``geo_enroll``).

Every view calls exactly one function of this module, so swapping an engine piece is a change
in one place.  The engine modules are being written in parallel; each adapter uses the engine
when it is importable and otherwise a small, clearly labelled fallback that works on the toy
data of the tests (``ENGINE_STATUS`` says which is in use, shown on /healthz).

No personal data is logged here.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import math
import random
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from geo_enroll.errors import AddressError, GeoEnrollError, InputError, ZoneSpecError
from geo_enroll.settings import DEFAULT_SETTINGS, data_dir

__all__ = [
    "ENGINE_STATUS",
    "default_spec_path",
    "default_zones_path",
    "load_spec",
    "load_zones",
    "lookup",
    "schools_of",
    "zone_kind_label",
    "mask_id",
    "synth_cohort",
    "read_applicants",
    "place",
    "simulate",
    "diagnostics",
    "preview",
    "diff_versions",
    "export_geopackage",
    "seat_use",
]

Progress = Callable[[float], None]


@dataclass
class Context:
    """What the engine needs besides a version's spec and zones.

    Attributes
    ----------
    gazetteer : object or None
        Anything with ``geocode(text) -> dict``; None means the project's default gazetteer.
    school_points : GeoDataFrame or None
        School locations (``school_id`` + Point); None means the base map's ``schools`` layer
        when present, else schools are geocoded by name.
    seat_table : DataFrame, path or None
        Seats per school (``school_id, level, seats``); None means the default table beside the
        spec when present, else the policy's seat plan split evenly over the schools of a level.
    """

    gazetteer: Any = None
    school_points: Any = None
    seat_table: Any = None


DEFAULT_CONTEXT = Context()


def _try(module: str, attr: str | None = None):
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise
    return mod if attr is None else getattr(mod, attr, None)


def engine_status() -> dict[str, bool]:
    """Which engine pieces are importable (``True``) or replaced by the fallback here."""
    return {
        "policy.load_spec": (_try("geo_enroll.policy", "load_spec")
                             or _try("geo_enroll.policy.spec", "load_spec")) is not None,
        "placement.candidates": _try("geo_enroll.placement.candidates") is not None,
        "lookup": _try("geo_enroll.lookup", "lookup_address") is not None,
        "geocode": _try("geo_enroll.geocode", "load_default_gazetteer") is not None,
        "placement.run": _try("geo_enroll.placement.run", "place") is not None,
        "placement.cohort": _try("geo_enroll.placement.cohort") is not None,
        "placement.lottery": _try("geo_enroll.placement.lottery") is not None,
        "diagnostics": _try("geo_enroll.diagnostics") is not None,
        "mapview.offline_map": _try("geo_enroll.mapview", "offline_map") is not None,
    }


ENGINE_STATUS = engine_status

# ---------------------------------------------------------------------------- spec, zones

ZONE_KIND_LABELS = {
    "street_limits": ("户籍划片", "catchment by residence"),
    "admin_units": ("户籍划片", "catchment by residence"),
    "compound": ("户籍划片", "catchment by residence"),
    "street_list": ("户籍划片", "catchment by residence"),
    "directional_bounds": ("户籍划片", "catchment by residence"),
    "property_rule": ("购房", "by property"),
    "multi_school": ("多校划片", "multi-school zone"),
    "free_choice": ("自主选择", "free choice"),
    "alternative": ("可选", "optional school"),
}


_BY_ZH = {zh: (zh, en) for zh, en in ZONE_KIND_LABELS.values()}
OPTIONAL_KINDS = ("alternative", "free_choice", "可选", "自主选择")


def zone_kind_label(kind: str | None, lang: str = "zh") -> str:
    """Parent-facing name of a zone kind (a spec kind or the engine's Chinese label).

    >>> zone_kind_label("alternative"), zone_kind_label("street_limits", "en")
    ('可选', 'catchment by residence')
    >>> zone_kind_label("购房", "en")
    'by property'
    """
    zh, en = ZONE_KIND_LABELS.get(kind or "") or _BY_ZH.get(kind or "") or (kind or "", kind or "")
    return en if lang == "en" else zh


def default_spec_path() -> Path:
    return data_dir() / "boundaries" / "taipusi_2024.toml"


def default_zones_path() -> Path:
    return data_dir() / "boundaries" / "taipusi_2024_zones.gpkg"


def load_spec(path: str | Path) -> dict:
    """Read a zone spec (TOML or JSON) with the engine's loader when available."""
    path = Path(path)
    loader = _try("geo_enroll.policy", "load_spec") or _try("geo_enroll.policy.spec", "load_spec")
    if loader is not None:
        return loader(path)
    if not path.exists():
        raise ZoneSpecError(f"zone spec {path} not found; build it with `geo-enroll parse`")
    try:
        if path.suffix == ".toml":
            return tomllib.loads(path.read_text(encoding="utf-8"))
        return json.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ZoneSpecError(f"zone spec {path} cannot be read: {exc}") from exc


def load_zones(path: str | Path) -> dict:
    """Zones (GeoPackage layer ``zones`` or GeoJSON) as a GeoJSON FeatureCollection dict."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"zones file {path} not found; build it with `geo-enroll digitise`")
    if path.suffix in (".geojson", ".json"):
        return json.loads(path.read_text(encoding="utf-8"))
    import geopandas as gpd

    gdf = gpd.read_file(path, layer="zones")
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    return json.loads(gdf.to_json(drop_id=True))


def _zones_gdf(zones_fc: dict):
    import geopandas as gpd

    feats = zones_fc.get("features") or []
    if not feats:
        return gpd.GeoDataFrame(
            {"school": [], "school_id": [], "level": [], "rule_id": [], "kind": []},
            geometry=[], crs=4326,
        )
    return gpd.GeoDataFrame.from_features(feats, crs=4326)


def schools_of(spec: dict) -> list[dict]:
    """The spec's schools as ``{id, name, level, code}`` in spec order."""
    return [
        {"id": s.get("id"), "name": s.get("name"), "level": s.get("level"), "code": s.get("code")}
        for s in spec.get("schools") or []
    ]


def _school_by_id(spec: dict) -> dict[str, dict]:
    return {s.get("id"): s for s in spec.get("schools") or []}


def _school_by_name(spec: dict) -> dict[str, dict]:
    return {s.get("name"): s for s in spec.get("schools") or []}


def mask_id(id_number: str | None) -> str:
    """Mask a resident ID number as the policy's template does (152527********1234).

    >>> mask_id("152527201801011234")
    '152527********1234'
    >>> mask_id("")
    ''
    """
    s = str(id_number or "").strip()
    if len(s) <= 10:
        return "*" * len(s)
    return s[:6] + "*" * (len(s) - 10) + s[-4:]


# ---------------------------------------------------------------------------- lookup


def _gazetteer(ctx: Context):
    if ctx.gazetteer is not None:
        return ctx.gazetteer
    loader = _try("geo_enroll.geocode", "load_default_gazetteer")
    return None if loader is None else loader()


_INDEX_CACHE: dict = {}


def _school_points(ctx: Context):
    """School points: the context's, else the base map's ``schools`` layer, else None."""
    if ctx.school_points is not None:
        return ctx.school_points
    key = ("school_points",)
    if key not in _INDEX_CACHE:
        pts = None
        for name in ("baochang_schematic.gpkg", "taipusi_2024_basemap.gpkg"):
            path = data_dir() / "boundaries" / name
            if path.exists():
                try:
                    import geopandas as gpd

                    pts = gpd.read_file(path, layer="schools")
                    if "school_id" not in pts.columns:
                        pts = None
                except Exception:  # noqa: BLE001 - a base map without schools layer
                    pts = None
                break
        _INDEX_CACHE[key] = pts
    return _INDEX_CACHE[key]


def _zone_index(spec: dict, zones: dict, ctx: Context, key: str | None):
    from geo_enroll.placement.candidates import ZoneIndex

    ck = ("index", key, id(ctx)) if key else None
    if ck is not None and ck in _INDEX_CACHE:
        return _INDEX_CACHE[ck]
    idx = ZoneIndex(spec, _zones_gdf(zones), school_points=_school_points(ctx))
    if ck is not None:
        if len(_INDEX_CACHE) > 32:
            _INDEX_CACHE.clear()
        _INDEX_CACHE[ck] = idx
    return idx


def lookup(
    *,
    spec: dict,
    zones: dict,
    address: str | None = None,
    lon: float | None = None,
    lat: float | None = None,
    ctx: Context = DEFAULT_CONTEXT,
    key: str | None = None,
) -> dict:
    """Serving schools for an address or a clicked point.

    Returns the engine's answer normalised to ``{"input", "match_level", "lon", "lat",
    "schools": {"primary": [...], "middle": [...]}, "warnings", "engine"}`` where each school
    entry is ``{"school", "school_id", "kind", "rule_id", "source", "line", "optional"}``.
    ``key`` (the version's hash) lets the zone index be reused between lookups.
    """
    if address is not None:
        address = address.strip()
        if not address:
            raise AddressError("请输入地址 (an address is required)")
        if len(address) > DEFAULT_SETTINGS.max_address_chars:
            raise AddressError(
                f"地址过长 ({len(address)} 字), 最多 {DEFAULT_SETTINGS.max_address_chars} 字 "
                "(address too long)"
            )
    elif lon is None or lat is None:
        raise InputError("需要地址或地图上的点 (an address or a point is required)")
    elif not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InputError(f"坐标超出范围 lon={lon} lat={lat} (expected WGS 84 degrees)")
    mod = _try("geo_enroll.lookup")
    gaz = _gazetteer(ctx)
    if mod is not None and hasattr(mod, "lookup_address"):
        zones_gdf = _zones_gdf(zones)
        index = _zone_index(spec, zones, ctx, key)
        if address is not None:
            raw = _call(mod.lookup_address, address=address, spec=spec, zones=zones_gdf,
                        gazetteer=gaz, school_points=_school_points(ctx), index=index)
        else:
            raw = _call(mod.lookup_point, lon=lon, lat=lat, spec=spec, zones=zones_gdf,
                        school_points=_school_points(ctx), index=index)
        return _normalise_lookup(raw, address, lon, lat, spec) | {"engine": "geo_enroll.lookup"}
    if _try("geo_enroll.placement.candidates") is not None and (gaz is not None or address is None):
        return _candidates_lookup(spec, zones, address, lon, lat, gaz, ctx, key)
    return _fallback_lookup(spec, zones, address, lon, lat) | {"engine": "fallback"}


def _candidates_lookup(spec, zones, address, lon, lat, gaz, ctx, key) -> dict:
    """Geocode, then the placement engine's candidate schools for both levels."""
    from geo_enroll.placement.candidates import candidate_schools

    if address is not None:
        geo = dict(gaz.geocode(address))
    else:
        geo = {"input": f"{lon},{lat}", "lon": lon, "lat": lat, "level": "point", "code": None,
               "village_code": None, "township_code": None, "group": None, "schematic": True}
    index = _zone_index(spec, zones, ctx, key)
    by_id = _school_by_id(spec)
    schools: dict[str, list] = {"primary": [], "middle": []}
    warnings: list[str] = []
    if geo.get("lon") is None and not geo.get("village_code") and not geo.get("township_code"):
        warnings.append(geo.get("reason") or "地址无法定位 (the address could not be located)")
    elif geo.get("level") in ("county", "township"):
        warnings.append(f"地址只匹配到{ {'county': '旗县', 'township': '乡镇'}[geo['level']] }一级，"
                        "结果可能不准确，请填写到村、社区或门牌 (coarse match)")
    if geo.get("coarse") and geo.get("unmatched"):
        warnings.append(f"地址中“{geo['unmatched']}”未能匹配 (part of the address was not matched)")
    edge = None
    for level in ("primary", "middle"):
        try:
            cand = candidate_schools(geo, level, index=index)
        except GeoEnrollError as exc:
            warnings.append(exc.message)
            continue
        for w in cand.get("warnings") or []:
            if w not in warnings:
                warnings.append(w)
        if cand.get("edge_m") is not None:
            edge = cand["edge_m"] if edge is None else min(edge, cand["edge_m"])
        for optional, items in ((False, cand.get("zone") or []), (True, cand.get("optional") or [])):
            for m in items:
                src = m.get("source") or {}
                schools[level].append({
                    "school": (by_id.get(m["school_id"]) or {}).get("name") or m["school_id"],
                    "school_id": m["school_id"], "kind": m.get("kind"), "rule_id": m.get("rule_id"),
                    "source": src.get("text") if isinstance(src, dict) else src,
                    "line": src.get("line") if isinstance(src, dict) else None,
                    "optional": optional,
                    "distance_m": None if m.get("distance_m") is None or m["distance_m"] != m["distance_m"]
                    or m["distance_m"] == float("inf") else round(float(m["distance_m"])),
                })
    if edge is not None and edge < DEFAULT_SETTINGS.boundary_warning_m:
        warnings.append(f"该位置距划片边界约 {edge:.0f} 米，请以教育局核定为准 (near a zone boundary)")
    return {
        "input": geo.get("input", address), "match_level": geo.get("level"),
        "lon": geo.get("lon"), "lat": geo.get("lat"), "code": geo.get("code"),
        "schematic": bool(geo.get("schematic")), "schools": schools, "warnings": warnings,
        "raw": geo, "engine": "geo_enroll.placement.candidates",
    }


def _normalise_lookup(raw: dict, address, lon, lat, spec) -> dict:
    """Bring the engine's answer into the shape the templates use (keeping it under raw)."""
    raw = dict(raw or {})
    by_id, by_name = _school_by_id(spec), _school_by_name(spec)
    schools: dict[str, list] = {"primary": [], "middle": []}
    src = raw.get("schools")
    entries: list[dict] = []
    if isinstance(src, dict):
        for level, items in src.items():
            for it in items if isinstance(items, list) else [items]:
                if it:
                    entries.append({"level": level} | (it if isinstance(it, dict) else {"school": it}))
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
        school = by_id.get(e.get("school_id")) or by_name.get(e.get("school") or e.get("name")) or {}
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
        "schools": schools,
        "warnings": [str(w) for w in warnings],
        "raw": raw,
    }


def _fallback_lookup(spec, zones, address, lon, lat) -> dict:
    """Minimal lookup: point in zone polygons, or admin-unit / community names in the text."""
    from shapely.geometry import Point, shape

    by_id = _school_by_id(spec)
    schools: dict[str, list] = {"primary": [], "middle": []}
    warnings: list[str] = []
    level = None

    def add(school: dict, zone: dict):
        levels = ["primary", "middle"] if school.get("level") == "nine_year" else [school.get("level")]
        item = {
            "school": school.get("name"), "school_id": school.get("id"), "kind": zone.get("kind"),
            "rule_id": zone.get("rule_id"),
            "source": (zone.get("source") or {}).get("text") if isinstance(zone.get("source"), dict)
            else zone.get("source"),
            "line": (zone.get("source") or {}).get("line") if isinstance(zone.get("source"), dict)
            else zone.get("line"),
        }
        for lv in levels:
            if lv in schools and item not in schools[lv]:
                schools[lv].append(item)

    if address is None:
        pt = Point(lon, lat)
        for f in zones.get("features") or []:
            if f.get("geometry") and shape(f["geometry"]).covers(pt):
                p = f.get("properties") or {}
                school = by_id.get(p.get("school_id")) or {"name": p.get("school"), "id": p.get("school_id"), "level": p.get("level")}
                add(school, {"kind": p.get("kind"), "rule_id": p.get("rule_id"),
                             "source": {"text": p.get("source"), "line": p.get("line")}})
        level = "poi"
    else:
        text = address
        for school in spec.get("schools") or []:
            for zone in school.get("zones") or []:
                for unit in zone.get("units") or []:
                    name = unit.get("name") or ""
                    if name and name in text and (not unit.get("group") or unit["group"] in text):
                        add(school, zone)
                        level = "village"
                within = zone.get("within")
                if zone.get("kind") in ("street_limits", "compound") and within and within in text:
                    if zone.get("kind") == "compound" and zone.get("name") not in text:
                        continue
                    add(school, zone)
                    level = level or "community"
        if not any(schools.values()):
            warnings.append("未能匹配到招生范围 (no zone matched this address)")
    return {
        "input": address if address is not None else f"{lon},{lat}", "match_level": level,
        "lon": lon, "lat": lat, "code": None, "schematic": True, "schools": schools,
        "warnings": warnings, "raw": {},
    }


# ---------------------------------------------------------------------------- cohorts

APPLICANT_COLUMNS = ("姓名", "身份证号", "学籍号", "户籍地址", "毕业学校标识码")


_ROW_EXTRA = ("student_id", "lon", "lat", "level", "synthetic")


def _student_id(row: dict) -> str:
    """The engine's ``student_id`` for a row (a salted hash, never the ID number)."""
    fn = _try("geo_enroll.placement.applicants", "student_id_for")
    key = str(row.get("身份证号") or row.get("学籍号") or json.dumps(row, sort_keys=True))
    if fn is not None and row.get("身份证号"):
        return fn(key)
    return "S" + hashlib.sha256(("geo_enroll:" + key).encode()).hexdigest()[:12]


def _rows_from_frame(df) -> list[dict]:
    df = df.fillna("")
    rows = [{str(k): (v if isinstance(v, (int, float, str, bool)) else str(v)) for k, v in r.items()}
            for r in df.to_dict(orient="records")]
    for r in rows:
        if not r.get("student_id"):
            r["student_id"] = _student_id(r)
        if not r.get("level") and r.get("学段"):
            r["level"] = {"小学": "primary", "初中": "middle"}.get(str(r["学段"]), "")
    return rows


def synth_cohort(spec: dict, *, seed: int, zones: dict | None = None, basemap=None) -> list[dict]:
    """A synthetic applicant table (clearly labelled) for ``spec``, as a list of row dicts."""
    fn = _try("geo_enroll.placement.cohort", "synth_cohort")
    if fn is not None:
        return _rows_from_frame(fn(spec, seed=int(seed), **({"basemap": basemap} if basemap else {})))
    return _fallback_cohort(spec, seed, zones or {})


def _call(fn, **kwargs):
    """Call an engine function passing only the keyword arguments it accepts."""
    import inspect

    params = inspect.signature(fn).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return fn(**kwargs)
    accepted = {k: v for k, v in kwargs.items() if k in params}
    positional = [p for p in params.values() if p.default is p.empty
                  and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in accepted]
    args = []
    for p in positional:
        for k in list(kwargs):
            if k not in accepted and kwargs[k] is not None:
                args.append(kwargs.pop(k))
                break
    return fn(*args, **accepted)


def _fallback_cohort(spec, seed, zones, n: int = 200) -> list[dict]:
    """A small clearly synthetic cohort (names 合成…, IDs well-formed but never real).

    Addresses are drawn from the spec's own units and communities, so they geocode at village
    or community level; used only until ``geo_enroll.placement.cohort`` exists.
    """
    rng = random.Random(seed)
    pol = spec.get("policy") or {}
    county = pol.get("county_code") or "152527"
    juris = pol.get("jurisdiction") or ""
    year = int(pol.get("year") or 2024)
    places = []
    for school in spec.get("schools") or []:
        for z in school.get("zones") or []:
            for u in z.get("units") or []:
                if u.get("name"):
                    places.append(f"{juris}{u.get('township') or ''}{u['name']}{u.get('group') or ''}")
            if z.get("kind") == "street_limits" and z.get("within"):
                places.append(f"{juris}{z['within']}")
    places = sorted(set(places)) or [juris]
    synth_id = _try("geo_enroll.placement.idcard", "synth_id")
    codes = [s.get("code") for s in spec.get("schools") or [] if s.get("code")
             and s.get("level") == "primary"]
    rows = []
    for i in range(n):
        middle = i % 2 == 1
        born = f"{year - (12 if middle else 6)}-{rng.randint(1, 8):02d}-{rng.randint(1, 28):02d}"
        if synth_id is not None:
            idn = synth_id(county, born, i % 1000)
        else:
            body = f"{county}{born.replace('-', '')}{i % 1000:03d}"
            weights = [7, 9, 10, 5, 8, 4, 3, 6, 5, 3, 2, 2, 9, 10, 5, 8, 4]
            idn = body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
        rows.append({"姓名": f"合成{i:04d}", "身份证号": idn, "学籍号": f"G{idn}" if middle else "",
                     "出生日期": born, "性别": "男" if (i % 1000) % 2 else "女",
                     "学段": "初中" if middle else "小学",
                     "户籍地址": f"{rng.choice(places)}{rng.randint(1, 60)}号",
                     "毕业学校标识码": rng.choice(codes) if middle and codes else ""})
    import pandas as pd

    return _rows_from_frame(pd.DataFrame(rows))


def read_applicants(data: bytes, filename: str) -> list[dict]:
    """Read an uploaded applicant table (CSV or XLSX with Chinese headers) into row dicts."""
    import pandas as pd

    mod = _try("geo_enroll.placement.applicants")
    suffix = Path(filename or "").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputError(f"名单须为 CSV 或 XLSX 文件, 收到 {suffix or '无扩展名'} (expected .csv or .xlsx)")
    if mod is not None and hasattr(mod, "read_table"):
        import tempfile

        with tempfile.NamedTemporaryFile(suffix=suffix) as fh:
            fh.write(data)
            fh.flush()
            raw = mod.read_table(fh.name)
        mod.read_applicants(raw)  # validates: raises ApplicantError listing every problem
        return _rows_from_frame(raw.astype(str))
    try:
        df = pd.read_csv(io.BytesIO(data), dtype=str) if suffix == ".csv" else pd.read_excel(
            io.BytesIO(data), dtype=str)
    except Exception as exc:  # noqa: BLE001 - any parse failure is a user error here
        raise InputError(f"名单无法读取 (cannot read the applicant table): {type(exc).__name__}") from exc
    missing = [c for c in ("姓名", "身份证号") if c not in df.columns]
    if missing:
        raise InputError("名单缺少列 (missing columns): " + ", ".join(missing))
    return _rows_from_frame(df)


# ---------------------------------------------------------------------------- placement


def _seats(spec: dict) -> dict[str, int]:
    """Seats per school name: the school's own ``seats`` or the level plan split evenly."""
    plan = (spec.get("policy") or {}).get("seat_plan") or {}
    levels = Counter(s.get("level") for s in spec.get("schools") or [])
    out = {}
    for s in spec.get("schools") or []:
        if s.get("seats") is not None:
            out[s["name"]] = int(s["seats"])
        else:
            lv = "primary" if s.get("level") == "nine_year" else s.get("level")
            out[s["name"]] = int(math.ceil((plan.get(lv) or 0) / max(levels.get(s.get("level"), 1), 1)))
    return out


def seat_table(spec: dict, ctx: Context = DEFAULT_CONTEXT):
    """The seat table (``school_id, name, level, seats``) for a spec.

    The context's table, else ``<spec stem>_schools.csv`` beside the default spec, else the
    policy's seat plan split evenly (remainder to the first schools) over the schools of a level.

    >>> t = seat_table({"policy": {"seat_plan": {"primary": 7}}, "schools": [
    ...     {"id": "a", "name": "A", "level": "primary"}, {"id": "b", "name": "B", "level": "primary"}]})
    >>> t["seats"].tolist()
    [4, 3]
    """
    import pandas as pd

    if ctx.seat_table is not None:
        return ctx.seat_table if isinstance(ctx.seat_table, pd.DataFrame) else pd.read_csv(
            ctx.seat_table, dtype=str, keep_default_na=False, comment="#")
    ids = {x.get("id") for x in spec.get("schools") or []}
    for path in sorted((data_dir() / "boundaries").glob("*_schools.csv")):
        try:
            table = pd.read_csv(path, dtype=str, keep_default_na=False, comment="#")
        except (OSError, ValueError):
            continue
        if "school_id" in table.columns and set(table["school_id"]) == ids:
            return table  # the seat table written for exactly this spec's schools
    plan = (spec.get("policy") or {}).get("seat_plan") or {}
    rows = []
    for level in ("primary", "middle"):
        serving = [x for x in spec.get("schools") or [] if x.get("level") in (level, "nine_year")]
        total = int(plan.get(level) or 0)
        for i, x in enumerate(serving):
            n = total // len(serving) + (1 if i < total % len(serving) else 0)
            rows.append({"school_id": x["id"], "name": x.get("name"), "level": level, "seats": n})
    return pd.DataFrame(rows, columns=["school_id", "name", "level", "seats"])


def place(*, spec: dict, zones: dict, cohort: list[dict], seed: int = 7,
          progress: Progress | None = None, ctx: Context = DEFAULT_CONTEXT) -> dict:
    """Place every applicant; ``{"placements": [...], "schools": [...], "engine": ...}``."""
    progress = progress or (lambda f: None)
    fn = _try("geo_enroll.placement.run", "place")
    if fn is not None:
        import pandas as pd

        table = pd.DataFrame([{k: v for k, v in r.items() if k not in _ROW_EXTRA} for r in cohort])
        progress(0.05)
        out = fn(table, spec=spec, zones=_zones_gdf(zones), gazetteer=_gazetteer(ctx),
                 schools=seat_table(spec, ctx), school_points=_school_points(ctx), seed=int(seed))
        progress(1.0)
        homes = {}
        if out.homes is not None and len(out.homes):
            homes = {str(sid): [round(g.x, 7), round(g.y, 7)]
                     for sid, g in zip(out.homes["student_id"], out.homes.geometry)}
        by_id = _school_by_id(spec)
        lonlat = {(by_id.get(k) or {}).get("name", k): [float(v[0]), float(v[1])]
                  for k, v in (getattr(out.homes, "attrs", {}).get("school_lonlat") or {}).items()}
        res = {"placements": _records(out.placements), "schools": _records(out.schools),
               "warnings": list(out.warnings), "homes": homes, "school_lonlat": lonlat,
               "engine": "geo_enroll.placement"}
    else:
        res = _fallback_place(spec, zones, cohort, seed, progress) | {"engine": "fallback"}
    return _named(res, spec)


def _named(res: dict, spec: dict) -> dict:
    """Placements and school rows carry both ``school`` (the name) and ``school_id``."""
    by_id, by_name = _school_by_id(spec), _school_by_name(spec)

    def fix(row: dict) -> dict:
        key = row.get("school") or ""
        school = by_id.get(key) or by_name.get(key)
        if school is not None:
            row["school_id"], row["school"] = school.get("id"), school.get("name")
        else:
            row.setdefault("school_id", "")
        return row

    res["placements"] = [fix(dict(p)) for p in res.get("placements", [])]
    res["schools"] = [fix(dict(p)) for p in res.get("schools", [])]
    for row in res["schools"]:
        for k in ("seats", "placed", "overflow_in", "overflow_out"):
            if row.get(k) not in (None, ""):
                row[k] = int(row[k])
    return res


def _records(obj) -> list[dict]:
    if hasattr(obj, "to_dict"):
        obj = obj.fillna("").to_dict(orient="records") if hasattr(obj, "fillna") else obj.to_dict()
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in obj]


def _fallback_place(spec, zones, cohort, seed, progress) -> dict:
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    seats = _seats(spec)
    by_name = _school_by_name(spec)
    filled: Counter = Counter()
    overflow_in: Counter = Counter()
    overflow_out: Counter = Counter()
    centres = {}
    from shapely.geometry import shape

    for f in zones.get("features") or []:
        p = f.get("properties") or {}
        if f.get("geometry"):
            c = shape(f["geometry"]).centroid
            centres.setdefault(p.get("school"), (c.x, c.y))
    order = sorted(cohort, key=lambda r: r["student_id"])
    rng = random.Random(seed)
    rng.shuffle(order)
    placements = []
    n = max(len(order), 1)
    for i, row in enumerate(order):
        level = row.get("level") or "primary"
        lon, lat = row.get("lon"), row.get("lat")
        ans = None
        try:
            if lon not in (None, "") and lat not in (None, ""):
                ans = _fallback_lookup(spec, zones, None, float(lon), float(lat))
            elif row.get("户籍地址"):
                ans = _fallback_lookup(spec, zones, row["户籍地址"], None, None)
        except GeoEnrollError:
            ans = None
        cands = (ans or {}).get("schools", {}).get(level, [])
        rec = {"student_id": row["student_id"], "level": level, "school": "", "status": "",
               "rule": "", "tier": 1, "distance_m": "", "trace": ""}
        if not cands:
            rec.update(status="unresolved_address", trace="地址未能匹配到招生范围")
        else:
            first = cands[0]
            name = first["school"]
            if filled[name] < seats.get(name, 0):
                filled[name] += 1
                rec.update(status="placed", school=name, rule=first.get("rule_id") or "",
                           trace=f"按户籍地址匹配规则 {first.get('rule_id')}，划入{name}；"
                                 f"该校已录 {filled[name]}/{seats.get(name, 0)}")
            else:
                others = [s for s in seats if s != name and (by_name.get(s) or {}).get("level") in (level, "nine_year")
                          and filled[s] < seats[s] and s in centres]
                if others and lon not in (None, ""):
                    def dist(s):
                        return geod.inv(float(lon), float(lat), *centres[s])[2]
                    alt = min(others, key=lambda s: (dist(s), s))
                    filled[alt] += 1
                    overflow_out[name] += 1
                    overflow_in[alt] += 1
                    rec.update(status="placed", school=alt, rule=first.get("rule_id") or "", tier=2,
                               distance_m=round(dist(alt), 1),
                               trace=f"{name}学位已满 ({seats.get(name, 0)}/{seats.get(name, 0)})，"
                                     f"按相对就近原则安排到{alt}")
                else:
                    rec.update(status="no_seat", trace=f"{name}学位已满，附近学校亦无空余学位")
        placements.append(rec)
        if i % 50 == 0:
            progress(i / n)
    placements.sort(key=lambda r: r["student_id"])
    schools = [{"school": s, "level": (by_name.get(s) or {}).get("level"), "seats": seats[s],
                "placed": filled[s], "overflow_in": overflow_in[s], "overflow_out": overflow_out[s]}
               for s in seats]
    progress(1.0)
    return {"placements": placements, "schools": schools}


def simulate(*, spec: dict, zones: dict, cohort: list[dict], draws: int = 20, seed: int = 7,
             progress: Progress | None = None, ctx: Context = DEFAULT_CONTEXT) -> dict:
    """Monte-Carlo over ``draws`` seeded draws: per school fill, per child P(school)."""
    progress = progress or (lambda f: None)
    mod = _try("geo_enroll.placement.lottery")
    fn = None if mod is None else (getattr(mod, "simulate", None) or getattr(mod, "monte_carlo", None))
    if fn is not None:
        import pandas as pd

        out = _call(fn, spec=spec, zones=_zones_gdf(zones), students=pd.DataFrame(cohort),
                    applicants=pd.DataFrame(cohort), draws=draws, n=draws, seed=seed,
                    gazetteer=_gazetteer(ctx), schools=seat_table(spec, ctx),
                    school_points=_school_points(ctx))
        progress(1.0)
        if isinstance(out, dict):
            return {k: (_records(v) if hasattr(v, "to_dict") else v) for k, v in out.items()} | {
                "engine": "geo_enroll.placement.lottery"}
        return {"probabilities": _records(out), "engine": "geo_enroll.placement.lottery"}
    counts: dict[str, Counter] = defaultdict(Counter)
    fill: dict[str, list] = defaultdict(list)
    homes: dict = {}
    for d in range(draws):
        res = place(spec=spec, zones=zones, cohort=cohort, seed=seed * 1000 + d, ctx=ctx)
        homes = homes or res.get("homes") or {}
        for p in res["placements"]:
            counts[p["student_id"]][p["school"] or ""] += 1
        for s in res["schools"]:
            fill[s["school"]].append(s["placed"] / s["seats"] if s["seats"] else 0.0)
        progress((d + 1) / draws)
    probabilities = [{"student_id": sid, "school": school, "p": round(c / draws, 4)}
                     for sid, cnt in sorted(counts.items()) for school, c in sorted(cnt.items())]
    schools = [{"school": s, "mean_fill": round(sum(v) / len(v), 4), "draws": len(v)}
               for s, v in fill.items()]
    return {"probabilities": probabilities, "schools": schools, "draws": draws, "homes": homes,
            "engine": "repeated placements (seeded tie-breaks)"}


# ---------------------------------------------------------------------------- planning


def seat_use(spec: dict, placement: dict | None) -> list[dict]:
    """Seats and placed children per school (placed 0 without a placement run)."""
    seats = _seats(spec)
    placed: dict[str, dict] = {}
    for row in (placement or {}).get("schools", []):  # a nine-year school has a row per level
        acc = placed.setdefault(row["school"], {"seats": 0, "placed": 0})
        acc["seats"] += int(row.get("seats") or 0)
        acc["placed"] += int(row.get("placed") or 0)
    out = []
    for s in spec.get("schools") or []:
        row = placed.get(s["name"], {})
        n_seats = int(row.get("seats") or seats.get(s["name"], 0) or 0)
        n_placed = int(row.get("placed") or 0)
        out.append({"school": s["name"], "school_id": s.get("id"), "level": s.get("level"),
                    "seats": n_seats, "placed": n_placed, "balance": n_seats - n_placed,
                    "fill": round(n_placed / n_seats, 3) if n_seats else None})
    return out


def diagnostics(*, spec: dict, zones: dict, domain_zones: dict | None = None) -> dict:
    """Gaps and overlaps per level: ``{"primary": {"gaps": [...], "overlaps": [...]}, ...}``.

    Uses ``geo_enroll.diagnostics.find_gaps_overlaps``; the land that must be served is the
    union of ``domain_zones`` per level (the version being edited: an edit must not leave land
    it served unserved), else of ``zones`` itself (then only overlaps can show).
    """
    find = _try("geo_enroll.diagnostics", "find_gaps_overlaps")
    if find is None:
        return _fallback_diagnostics(zones)
    from shapely.ops import unary_union

    gdf = _zones_gdf(zones)
    dom = _zones_gdf(domain_zones) if domain_zones else gdf
    if gdf.empty and dom.empty:
        return {}
    utm = (gdf if not gdf.empty else dom).estimate_utm_crs()
    g, d = gdf.to_crs(utm), dom.to_crs(utm)
    from pyproj import Transformer

    back = Transformer.from_crs(utm, 4326, always_xy=True)
    declared = [{"schools": z.get("schools") or [], "geometry": None}
                for sch in spec.get("schools") or [] for z in sch.get("zones") or []
                if z.get("kind") == "multi_school"]
    out = {}
    for level in sorted(set(g["level"].dropna()) | set(d["level"].dropna())):
        part = g[g["level"] == level]
        coverage = [{"rule_id": r.rule_id, "school_id": r.school_id, "geometry": r.geometry}
                    for r in part.itertuples() if r.geometry is not None and not r.geometry.is_empty]
        dpart = d[d["level"] == level]
        domain = {"原覆盖范围 previous coverage": unary_union(list(dpart.geometry))} if len(dpart) else {}
        res = find(coverage, domain, declared=declared, to_lonlat=lambda x, y: back.transform(x, y))
        out[str(level)] = {"gaps": res["gaps"], "overlaps": res["overlaps"]}
    return out


def _fallback_diagnostics(zones: dict) -> dict:
    """Overlaps between zones of one level (gaps need the town outline: engine only)."""
    import geopandas as gpd

    gdf = _zones_gdf(zones)
    out: dict[str, dict] = {}
    if gdf.empty:
        return out
    utm = gdf.estimate_utm_crs()
    g = gdf.to_crs(utm)
    for level, part in g.groupby("level"):
        overlaps = []
        rows = list(part.itertuples())
        for i, a in enumerate(rows):
            for b in rows[i + 1:]:
                if a.school == b.school:
                    continue
                inter = a.geometry.intersection(b.geometry)
                if inter.area >= DEFAULT_SETTINGS.min_diagnostic_area_m2:
                    pt = gpd.GeoSeries([inter.representative_point()], crs=utm).to_crs(4326).iloc[0]
                    overlaps.append({"area_m2": round(inter.area, 1), "rules": [a.rule_id, b.rule_id],
                                     "point": [round(pt.x, 6), round(pt.y, 6)]})
        out[str(level)] = {"gaps": [], "overlaps": overlaps}
    return out


def _count_problems(diag: dict) -> dict[str, int]:
    return {f"{lv}.{k}": len(v.get(k) or []) for lv, v in diag.items() if isinstance(v, dict)
            for k in ("gaps", "overlaps")}


def preview(*, base_spec: dict, base_zones: dict, spec: dict, zones: dict,
            cohort: list[dict], ctx: Context = DEFAULT_CONTEXT, before: dict | None = None) -> dict:
    """Impact of a proposed edit before it is saved: who changes school, seats, gaps/overlaps."""
    before = before or place(spec=base_spec, zones=base_zones, cohort=cohort, ctx=ctx)
    after = place(spec=spec, zones=zones, cohort=cohort, ctx=ctx)
    b = {p["student_id"]: p for p in before["placements"]}
    changes = [{"student_id": p["student_id"], "level": p["level"], "from": b.get(p["student_id"], {}).get("school") or "",
                "to": p["school"] or "", "status": p["status"]}
               for p in after["placements"]
               if (b.get(p["student_id"], {}).get("school") or "") != (p["school"] or "")]
    d_before = diagnostics(spec=base_spec, zones=base_zones, domain_zones=base_zones)
    d_after = diagnostics(spec=spec, zones=zones, domain_zones=base_zones)
    return {
        "changes": changes,
        "n_changes": len(changes),
        "seats_before": seat_use(base_spec, before),
        "seats_after": seat_use(spec, after),
        "diagnostics": d_after,
        "problems_before": _count_problems(d_before),
        "problems_after": _count_problems(d_after),
    }


def diff_versions(a: dict, b: dict, *, cohort: list[dict] | None = None,
                  ctx: Context = DEFAULT_CONTEXT) -> dict:
    """Difference between two versions: changed zone areas (GeoJSON) and who changes school."""
    import geopandas as gpd
    from shapely.geometry import mapping, shape

    fa = {f["properties"].get("rule_id"): f for f in a["zones"].get("features") or []}
    fb = {f["properties"].get("rule_id"): f for f in b["zones"].get("features") or []}
    changed = []
    for rid in sorted(set(fa) | set(fb), key=str):
        ga = shape(fa[rid]["geometry"]) if rid in fa and fa[rid].get("geometry") else None
        gb = shape(fb[rid]["geometry"]) if rid in fb and fb[rid].get("geometry") else None
        pa = (fa.get(rid) or {}).get("properties", {})
        pb = (fb.get(rid) or {}).get("properties", {})
        if ga is not None and gb is not None and ga.equals(gb) and pa.get("school") == pb.get("school"):
            continue
        if ga is None or gb is None:
            geom = ga or gb
            change = "removed" if gb is None else "added"
        else:
            geom = ga.symmetric_difference(gb)
            change = "changed"
        area = float(gpd.GeoSeries([geom], crs=4326).to_crs(gpd.GeoSeries([geom], crs=4326).estimate_utm_crs()).area.iloc[0]) if not geom.is_empty else 0.0
        changed.append({"type": "Feature", "geometry": mapping(geom) if not geom.is_empty else None,
                        "properties": {"rule_id": rid, "change": change, "area_m2": round(area, 1),
                                       "school_before": pa.get("school"), "school_after": pb.get("school")}})
    spec_changed = json.dumps(a["spec"], sort_keys=True) != json.dumps(b["spec"], sort_keys=True)
    moves: list[dict] = []
    if cohort:
        pa_ = {p["student_id"]: p for p in place(spec=a["spec"], zones=a["zones"], cohort=cohort,
                                                 ctx=ctx)["placements"]}
        for p in place(spec=b["spec"], zones=b["zones"], cohort=cohort, ctx=ctx)["placements"]:
            old = pa_.get(p["student_id"], {}).get("school") or ""
            if old != (p["school"] or ""):
                moves.append({"student_id": p["student_id"], "from": old, "to": p["school"] or ""})
    return {"a": a["id"], "b": b["id"], "spec_changed": spec_changed,
            "changed_zones": {"type": "FeatureCollection", "features": changed},
            "moves": moves}


def export_geopackage(zones: dict) -> bytes:
    """A version's zones as GeoPackage bytes (layer ``zones``, EPSG:4326)."""
    import tempfile

    gdf = _zones_gdf(zones)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "zones.gpkg"
        gdf.to_file(path, layer="zones", driver="GPKG")
        return path.read_bytes()
