"""Thin adapters between the web service and the engine (``geo_enroll``).

The views reach the engine only through this module (via :mod:`web.services`), so swapping an
engine piece is a change in one place.  The adapters turn the engine's DataFrames into the
JSON-ready dicts the service stores and renders, and bring in what the engine needs besides a
version (:class:`Context`: gazetteer, school points, seat table).  ``engine_status()`` (shown on
/healthz) says which engine pieces are importable.

No personal data is logged here.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo_enroll.errors import AddressError, InputError
from geo_enroll.settings import DEFAULT_SETTINGS, data_dir

__all__ = [
    "Context",
    "DEFAULT_CONTEXT",
    "engine_status",
    "seat_table",
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
    basemap : path or None
        Base map GeoPackage used to re-digitise zones when a planner edits a limit in the spec;
        None means ``data/boundaries/baochang_schematic.gpkg`` when present.
    streets : GeoDataFrame or None
        The base map's ``streets`` (``name``, ``kind``, LineString) drawn under the zones on
        every map; None means none are drawn.
    """

    gazetteer: Any = None
    school_points: Any = None
    seat_table: Any = None
    basemap: Any = None
    streets: Any = None


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
        "policy.load_spec": (
            _try("geo_enroll.policy", "load_spec") or _try("geo_enroll.policy.spec", "load_spec")
        )
        is not None,
        "placement.candidates": _try("geo_enroll.placement.candidates") is not None,
        "lookup": _try("geo_enroll.lookup", "lookup_address") is not None,
        "geocode": _try("geo_enroll.geocode", "load_default_gazetteer") is not None,
        "placement.run": _try("geo_enroll.placement.run", "place") is not None,
        "placement.cohort": _try("geo_enroll.placement.cohort") is not None,
        "placement.lottery": _try("geo_enroll.placement.lottery") is not None,
        "diagnostics": _try("geo_enroll.diagnostics") is not None,
        "mapview.offline_map": _try("geo_enroll.mapview", "offline_map") is not None,
    }


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
    """Read and validate a zone spec (TOML or JSON) with the engine's loader."""
    from geo_enroll.policy.spec import load_spec as engine_load_spec

    return engine_load_spec(Path(path))


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
            geometry=[],
            crs=4326,
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
    from geo_enroll.lookup import lookup_address, lookup_point

    zones_gdf = _zones_gdf(zones)
    index = _zone_index(spec, zones, ctx, key)
    if address is not None:
        raw = lookup_address(
            address,
            spec=spec,
            zones=zones_gdf,
            gazetteer=_gazetteer(ctx),
            school_points=_school_points(ctx),
            index=index,
        )
    else:
        raw = lookup_point(
            lon, lat, spec=spec, zones=zones_gdf, school_points=_school_points(ctx), index=index
        )
    return _normalise_lookup(raw, address, lon, lat, spec) | {"engine": "geo_enroll.lookup"}


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
        "schools": schools,
        "warnings": [str(w) for w in warnings],
        "raw": raw,
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
    rows = [
        {str(k): (v if isinstance(v, (int, float, str, bool)) else str(v)) for k, v in r.items()}
        for r in df.to_dict(orient="records")
    ]
    for r in rows:
        if not r.get("student_id"):
            r["student_id"] = _student_id(r)
        if not r.get("level") and r.get("学段"):
            r["level"] = {"小学": "primary", "初中": "middle"}.get(str(r["学段"]), "")
    return rows


def synth_cohort(
    spec: dict,
    *,
    seed: int,
    zones: dict | None = None,
    basemap=None,
    counts: tuple | None = None,
) -> list[dict]:
    """A synthetic applicant table (clearly labelled) for ``spec``, as a list of row dicts.

    ``counts`` = (primary, middle) applicants (None: the engine's default from the seat plan).
    """
    from geo_enroll.placement.cohort import synth_cohort as synth

    kw: dict = {"basemap": basemap} if basemap else {}
    if counts:
        kw |= {"primary": counts[0], "middle": counts[1]}
    return _rows_from_frame(synth(spec, seed=int(seed), **kw))


def read_applicants(data: bytes, filename: str) -> list[dict]:
    """Read an uploaded applicant table (CSV or XLSX, Chinese headers) into row dicts.

    The engine's reader validates it (every missing column listed at once); the raw rows are
    kept, so a later placement reads exactly what was uploaded.
    """
    import tempfile

    from geo_enroll.placement.applicants import read_applicants as validate
    from geo_enroll.placement.applicants import read_table

    suffix = Path(filename or "").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputError(
            f"名单须为 CSV 或 XLSX 文件, 收到 {suffix or '无扩展名'} (expected .csv or .xlsx)"
        )
    with tempfile.NamedTemporaryFile(suffix=suffix) as fh:
        fh.write(data)
        fh.flush()
        raw = read_table(fh.name)
    validate(raw)
    return _rows_from_frame(raw.astype(str))


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
        return (
            ctx.seat_table
            if isinstance(ctx.seat_table, pd.DataFrame)
            else pd.read_csv(ctx.seat_table, dtype=str, keep_default_na=False, comment="#")
        )
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


def place(
    *,
    spec: dict,
    zones: dict,
    cohort: list[dict],
    seed: int = 7,
    progress: Progress | None = None,
    ctx: Context = DEFAULT_CONTEXT,
) -> dict:
    """Place every applicant; ``{"placements": [...], "schools": [...], "engine": ...}``."""
    import pandas as pd

    from geo_enroll.placement.run import place as run_place

    progress = progress or (lambda f: None)
    table = pd.DataFrame([{k: v for k, v in r.items() if k not in _ROW_EXTRA} for r in cohort])
    progress(0.05)
    out = run_place(
        table,
        spec=spec,
        zones=_zones_gdf(zones),
        gazetteer=_gazetteer(ctx),
        schools=seat_table(spec, ctx),
        school_points=_school_points(ctx),
        seed=int(seed),
    )
    progress(1.0)
    homes = {}
    if out.homes is not None and len(out.homes):
        homes = {
            str(sid): [round(g.x, 7), round(g.y, 7)]
            for sid, g in zip(out.homes["student_id"], out.homes.geometry, strict=True)
        }
    by_id = _school_by_id(spec)
    lonlat = {
        (by_id.get(k) or {}).get("name", k): [float(v[0]), float(v[1])]
        for k, v in (getattr(out.homes, "attrs", {}).get("school_lonlat") or {}).items()
    }
    res = {
        "placements": _records(out.placements),
        "schools": _records(out.schools),
        "warnings": list(out.warnings),
        "homes": homes,
        "school_lonlat": lonlat,
        "engine": "geo_enroll.placement.run",
    }
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


def simulate(
    *,
    spec: dict,
    zones: dict,
    cohort: list[dict],
    draws: int = 20,
    seed: int = 7,
    progress: Progress | None = None,
    ctx: Context = DEFAULT_CONTEXT,
) -> dict:
    """Monte-Carlo: ``draws`` placements with seeds ``seed*1000 + d`` (the allocator's seeded
    tie-breaks decide multi-school zones and equal-priority overflow); per child the share of
    draws that gave each school, per school its mean fill.

    TODO(lead): switch to ``geo_enroll.placement.lottery``'s simulation once it lands.
    """
    progress = progress or (lambda f: None)
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
    probabilities = [
        {"student_id": sid, "school": school, "p": round(c / draws, 4)}
        for sid, cnt in sorted(counts.items())
        for school, c in sorted(cnt.items())
    ]
    schools = [
        {"school": s, "mean_fill": round(sum(v) / len(v), 4), "draws": len(v)}
        for s, v in fill.items()
    ]
    return {
        "probabilities": probabilities,
        "schools": schools,
        "draws": draws,
        "homes": homes,
        "engine": "repeated placements (seeded tie-breaks)",
    }


# ---------------------------------------------------------------------------- planning


def seat_use(spec: dict, placement: dict | None, ctx: Context = DEFAULT_CONTEXT) -> list[dict]:
    """Seats and placed children per school (placed 0 without a placement run)."""
    seats: dict[str, int] = {}
    by_id = _school_by_id(spec)
    for row in seat_table(spec, ctx).to_dict("records"):
        name = (by_id.get(row.get("school_id")) or {}).get("name") or row.get("name")
        seats[name] = seats.get(name, 0) + int(row.get("seats") or 0)
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
        out.append(
            {
                "school": s["name"],
                "school_id": s.get("id"),
                "level": s.get("level"),
                "seats": n_seats,
                "placed": n_placed,
                "balance": n_seats - n_placed,
                "fill": round(n_placed / n_seats, 3) if n_seats else None,
            }
        )
    return out


def diagnostics(*, spec: dict, zones: dict, domain_zones: dict | None = None) -> dict:
    """Gaps and overlaps per level: ``{"primary": {"gaps": [...], "overlaps": [...]}, ...}``.

    Uses ``geo_enroll.diagnostics.find_gaps_overlaps``; the land that must be served is the
    union of ``domain_zones`` per level (the version being edited: an edit must not leave land
    it served unserved), else of ``zones`` itself (then only overlaps can show).
    """
    from shapely.ops import unary_union

    from geo_enroll.diagnostics import find_gaps_overlaps as find

    gdf = _zones_gdf(zones)
    dom = _zones_gdf(domain_zones) if domain_zones else gdf
    if gdf.empty and dom.empty:
        return {}
    utm = (gdf if not gdf.empty else dom).estimate_utm_crs()
    g, d = gdf.to_crs(utm), dom.to_crs(utm)
    from pyproj import Transformer

    back = Transformer.from_crs(utm, 4326, always_xy=True)
    declared = [
        {"schools": z.get("schools") or [], "geometry": None}
        for sch in spec.get("schools") or []
        for z in sch.get("zones") or []
        if z.get("kind") == "multi_school"
    ]
    out = {}
    for level in sorted(set(g["level"].dropna()) | set(d["level"].dropna())):
        part = g[g["level"] == level]
        coverage = [
            {"rule_id": r.rule_id, "school_id": r.school_id, "geometry": r.geometry}
            for r in part.itertuples()
            if r.geometry is not None and not r.geometry.is_empty
        ]
        dpart = d[d["level"] == level]
        domain = (
            {"原覆盖范围 previous coverage": unary_union(list(dpart.geometry))}
            if len(dpart)
            else {}
        )
        res = find(coverage, domain, declared=declared, to_lonlat=lambda x, y: back.transform(x, y))
        out[str(level)] = {"gaps": res["gaps"], "overlaps": res["overlaps"]}
    return out


def _count_problems(diag: dict) -> dict[str, int]:
    return {
        f"{lv}.{k}": len(v.get(k) or [])
        for lv, v in diag.items()
        if isinstance(v, dict)
        for k in ("gaps", "overlaps")
    }


def preview(
    *,
    base_spec: dict,
    base_zones: dict,
    spec: dict,
    zones: dict,
    cohort: list[dict],
    ctx: Context = DEFAULT_CONTEXT,
    before: dict | None = None,
) -> dict:
    """Impact of a proposed edit before it is saved: who changes school, seats, gaps/overlaps."""
    before = before or place(spec=base_spec, zones=base_zones, cohort=cohort, ctx=ctx)
    after = place(spec=spec, zones=zones, cohort=cohort, ctx=ctx)
    b = {p["student_id"]: p for p in before["placements"]}
    changes = [
        {
            "student_id": p["student_id"],
            "level": p["level"],
            "from": b.get(p["student_id"], {}).get("school") or "",
            "to": p["school"] or "",
            "status": p["status"],
        }
        for p in after["placements"]
        if (b.get(p["student_id"], {}).get("school") or "") != (p["school"] or "")
    ]
    d_before = diagnostics(spec=base_spec, zones=base_zones, domain_zones=base_zones)
    d_after = diagnostics(spec=spec, zones=zones, domain_zones=base_zones)
    return {
        "changes": changes,
        "n_changes": len(changes),
        "seats_before": seat_use(base_spec, before, ctx),
        "seats_after": seat_use(spec, after, ctx),
        "diagnostics": d_after,
        "problems_before": _count_problems(d_before),
        "problems_after": _count_problems(d_after),
    }


def diff_versions(
    a: dict, b: dict, *, cohort: list[dict] | None = None, ctx: Context = DEFAULT_CONTEXT
) -> dict:
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
        if (
            ga is not None
            and gb is not None
            and ga.equals(gb)
            and pa.get("school") == pb.get("school")
        ):
            continue
        if ga is None or gb is None:
            geom = ga or gb
            change = "removed" if gb is None else "added"
        else:
            geom = ga.symmetric_difference(gb)
            change = "changed"
        area = (
            float(
                gpd.GeoSeries([geom], crs=4326)
                .to_crs(gpd.GeoSeries([geom], crs=4326).estimate_utm_crs())
                .area.iloc[0]
            )
            if not geom.is_empty
            else 0.0
        )
        changed.append(
            {
                "type": "Feature",
                "geometry": mapping(geom) if not geom.is_empty else None,
                "properties": {
                    "rule_id": rid,
                    "change": change,
                    "area_m2": round(area, 1),
                    "school_before": pa.get("school"),
                    "school_after": pb.get("school"),
                },
            }
        )
    spec_changed = json.dumps(a["spec"], sort_keys=True) != json.dumps(b["spec"], sort_keys=True)
    moves: list[dict] = []
    if cohort:
        pa_ = {
            p["student_id"]: p
            for p in place(spec=a["spec"], zones=a["zones"], cohort=cohort, ctx=ctx)["placements"]
        }
        for p in place(spec=b["spec"], zones=b["zones"], cohort=cohort, ctx=ctx)["placements"]:
            old = pa_.get(p["student_id"], {}).get("school") or ""
            if old != (p["school"] or ""):
                moves.append({"student_id": p["student_id"], "from": old, "to": p["school"] or ""})
    return {
        "a": a["id"],
        "b": b["id"],
        "spec_changed": spec_changed,
        "changed_zones": {"type": "FeatureCollection", "features": changed},
        "moves": moves,
    }


_POLYGON_KINDS = ("street_limits", "compound", "street_list", "directional_bounds")


def has_polygon_rules(spec: dict) -> bool:
    """Whether any rule of ``spec`` is drawn as a polygon (else zones are matched by code).

    >>> has_polygon_rules({"schools": [{"zones": [{"kind": "admin_units"}]}]})
    False
    """
    return any(
        z.get("kind") in _POLYGON_KINDS
        for s in spec.get("schools") or []
        for z in s.get("zones") or []
    )


def polygon_rules(spec: dict) -> dict[str, str]:
    """The polygon rules of a spec as ``rule_id -> canonical JSON`` (to see which changed)."""
    return {
        z["rule_id"]: json.dumps(z, sort_keys=True, ensure_ascii=False)
        for s in spec.get("schools") or []
        for z in s.get("zones") or []
        if z.get("kind") in _POLYGON_KINDS
    } | {
        f"{s.get('id')}:school": json.dumps([s.get("name"), s.get("level")], ensure_ascii=False)
        for s in spec.get("schools") or []
    }


def redigitise(spec: dict, ctx: Context = DEFAULT_CONTEXT) -> tuple[dict, list[str]]:
    """Zones of ``spec`` digitised again on the base map: (FeatureCollection, problems).

    Used when a planner changes a limit in the spec instead of redrawing on the map.
    """
    from geo_enroll.basemap import read_basemap
    from geo_enroll.digitise import digitise

    path = ctx.basemap or (data_dir() / "boundaries" / "baochang_schematic.gpkg")
    if not Path(path).exists():
        raise InputError(
            "没有底图，无法按修改后的四至重新生成划片 (no base map to re-digitise the "
            "zones; redraw the zone on the map instead)"
        )
    res = digitise(spec, read_basemap(path))
    problems = [
        f"{r['rule_id']}: {r['status']}" + (f" — {r['issues'][0]}" if r.get("issues") else "")
        for r in res.rules
        if r.get("status") not in ("ok", "not_digitised")
    ]
    problems += [f"未能识别的名称 unresolved name: {u.get('name')}" for u in res.unresolved]
    zones = (
        json.loads(res.zones.to_json(drop_id=True))
        if len(res.zones)
        else {"type": "FeatureCollection", "features": []}
    )
    return zones, problems


def export_geopackage(zones: dict) -> bytes:
    """A version's zones as GeoPackage bytes (layer ``zones``, EPSG:4326)."""
    import tempfile

    gdf = _zones_gdf(zones)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "zones.gpkg"
        gdf.to_file(path, layer="zones", driver="GPKG")
        return path.read_bytes()
