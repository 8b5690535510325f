"""What the engine needs besides a version, read once per jurisdiction.

A :class:`Context` holds a jurisdiction's gazetteer, school points, seat table and base map
(:mod:`web.jurisdictions` finds them beside its spec); the functions here read them, cache what
every request reuses (the zones' GeoDataFrame, the spec's schools by id and name, base-map
layers) and turn a synthetic cohort into the row dicts the store keeps.

Nothing here logs personal data.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo_enroll import impact
from geo_enroll.address.parse import warm_up as warm_parser
from geo_enroll.errors import InputError
from geo_enroll.geocode import load_default_gazetteer
from geo_enroll.placement.applicants import student_id_for
from geo_enroll.placement.cohort import synth_cohort as engine_synth_cohort
from geo_enroll.settings import data_dir

__all__ = [
    "Context",
    "DEFAULT_CONTEXT",
    "default_spec_path",
    "default_zones_path",
    "load_zones",
    "shared_zones_frame",
    "schools_of",
    "school_maps",
    "gazetteer",
    "warm_up",
    "school_points",
    "school_locations",
    "basemap_layer",
    "seat_table",
    "POLYGON_KINDS",
    "has_polygon_rules",
    "rows_from_frame",
    "synth_cohort",
]


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


def default_spec_path() -> Path:
    """The spec served when none is given: 太仆寺旗 2024."""
    return data_dir() / "boundaries" / "taipusi_2024.toml"


def default_zones_path() -> Path:
    """The zones of :func:`default_spec_path`."""
    return data_dir() / "boundaries" / "taipusi_2024_zones.gpkg"


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


_FRAMES: dict = {}  # id(zones) -> (zones, GeoDataFrame): the lookup path's frames, per version


def shared_zones_frame(zones: dict):
    """The zones' GeoDataFrame, built once per zones object and shared by every lookup.

    A version's zones are one cached dict (:func:`web.common.version_by_id`); keeping a reference to it
    beside its frame means its ``id`` cannot be reused while the entry lives.  Callers must
    not modify the frame (the lookup path only reads it).
    """
    hit = _FRAMES.get(id(zones))
    if hit is not None and hit[0] is zones:
        return hit[1]
    frame = impact.zones_frame(zones)
    if len(_FRAMES) > 32:
        _FRAMES.clear()
    _FRAMES[id(zones)] = (zones, frame)
    return frame


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


_SCHOOL_MAPS: dict = {}  # id(spec) -> (spec, by id, by name): built once per version


def school_maps(spec: dict) -> tuple[dict, dict]:
    """:func:`_school_by_id` and :func:`_school_by_name` of ``spec``, shared between lookups."""
    hit = _SCHOOL_MAPS.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1], hit[2]
    maps = (_school_by_id(spec), _school_by_name(spec))
    if len(_SCHOOL_MAPS) > 32:
        _SCHOOL_MAPS.clear()
    _SCHOOL_MAPS[id(spec)] = (spec, *maps)
    return maps


def gazetteer(ctx: Context):
    """The context's gazetteer, else the project's default one."""
    if ctx.gazetteer is not None:
        return ctx.gazetteer
    return load_default_gazetteer()


def warm_up(ctx: Context = DEFAULT_CONTEXT) -> None:
    """Build what every parent lookup of ``ctx`` needs before the first request: the
    gazetteer, the address parser of its table (one for the default table too) and the
    school points.  Cold, each worker thread of a loaded server would otherwise wait for
    (or, before the parser cache took a lock, build its own of) these on its first lookup."""
    warm_parser()
    gaz = gazetteer(ctx)
    div = getattr(gaz, "divisions", None)
    if div is not None:
        warm_parser(div)
    school_points(ctx)


_POINTS_CACHE: dict = {}


def school_points(ctx: Context):
    """School points: the context's, else the base map's ``schools`` layer, else None."""
    if ctx.school_points is not None:
        return ctx.school_points
    key = ("school_points",)
    if key not in _POINTS_CACHE:
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
        _POINTS_CACHE[key] = pts
    return _POINTS_CACHE[key]


def school_locations(spec: dict, ctx: Context = DEFAULT_CONTEXT) -> list[dict]:
    """The spec's schools (spec order) with their location from the context's school points
    (``lon``/``lat`` None when unknown) and a note when the location is schematic."""
    pts = school_points(ctx)
    where: dict[str, tuple] = {}
    if pts is not None and len(pts):
        gdf = pts.to_crs(4326) if pts.crs is not None and pts.crs.to_epsg() != 4326 else pts
        flag = gdf["schematic"] if "schematic" in gdf.columns else [False] * len(gdf)
        for sid, geom, sch in zip(gdf["school_id"], gdf.geometry, flag, strict=True):
            if geom is not None and not geom.is_empty:
                where[str(sid)] = (round(geom.x, 7), round(geom.y, 7), bool(sch))
    out = []
    for s in schools_of(spec):
        lon, lat, sch = where.get(s["id"], (None, None, False))
        out.append(s | {"lon": lon, "lat": lat, "note": "示意位置 schematic" if sch else None})
    return out


_BASEMAP_LAYERS: dict[tuple[str, str], Any] = {}


def basemap_layer(ctx: Context, layer: str):
    """A layer of the context's base map (EPSG:4326), None when absent; read once per file."""
    if ctx.basemap is None or not Path(ctx.basemap).exists():
        return None
    key = (str(ctx.basemap), layer)
    if key not in _BASEMAP_LAYERS:
        import geopandas as gpd

        try:
            gdf = gpd.read_file(ctx.basemap, layer=layer)
            if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
                gdf = gdf.to_crs(4326)
        except Exception:  # noqa: BLE001 - a base map without that layer
            gdf = None
        _BASEMAP_LAYERS[key] = gdf
    return _BASEMAP_LAYERS[key]


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


POLYGON_KINDS = ("street_limits", "compound", "street_list", "directional_bounds")


def has_polygon_rules(spec: dict) -> bool:
    """Whether any rule of ``spec`` is drawn as a polygon (else zones are matched by code).

    >>> has_polygon_rules({"schools": [{"zones": [{"kind": "admin_units"}]}]})
    False
    """
    return any(
        z.get("kind") in POLYGON_KINDS
        for s in spec.get("schools") or []
        for z in s.get("zones") or []
    )


def _student_id(row: dict) -> str:
    """The engine's ``student_id`` for a row (a salted hash, never the ID number)."""
    key = str(row.get("身份证号") or row.get("学籍号") or json.dumps(row, sort_keys=True))
    if row.get("身份证号"):
        return student_id_for(key)
    return "S" + hashlib.sha256(("geo_enroll:" + key).encode()).hexdigest()[:12]


def rows_from_frame(df) -> list[dict]:
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
    kw: dict = {"basemap": basemap} if basemap else {}
    if counts:
        kw |= {"primary": counts[0], "middle": counts[1]}
    return rows_from_frame(engine_synth_cohort(spec, seed=int(seed), **kw))
