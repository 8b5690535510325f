"""Impact of a zone edit: changed areas, who changes school, seats, gaps and overlaps.

A planner who moves a zone edge wants to know, before the change is published, which land
changed hands, which children of the current cohort change school, how the seat balance of
each school moves and whether the edit opened a gap (land no school serves) or an overlap
(land two schools claim).  The functions here answer that on plain values: zone layers
(a GeoJSON FeatureCollection dict or a GeoDataFrame, EPSG:4326), placement rows (dicts with
``student_id``, ``level``, ``school``, ``status``) and seat tables.  Running the placements
is the caller's job (the CLI ``geo-enroll impact``, the web service's preview), so this module
reads no file and never imports ``web``.

Areas and overlaps are computed in the local UTM zone
(:func:`geo_enroll.basemap.layers.utm_crs`); every geometry returned is GeoJSON in EPSG:4326.

>>> from shapely.geometry import box
>>> from geo_enroll.datasets import toy_zones
>>> old = toy_zones()
>>> new = old.copy()
>>> new.loc[new["rule_id"] == "toy-p1-r01", "geometry"] = box(114.99, 40.99, 115.01, 41.01)
>>> fc = changed_zones(old, new)
>>> [f["properties"]["rule_id"] for f in fc["features"]]
['toy-p1-r01']
>>> changed_area_m2(old, old)
0.0
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping

import geopandas as gpd
import shapely
from pyproj import Transformer
from shapely.geometry import Point, mapping, shape
from shapely.ops import unary_union

from .basemap.layers import utm_crs
from .errors import CRSError

__all__ = [
    "zones_frame",
    "changed_zones",
    "changed_area_m2",
    "school_changes",
    "seat_balance",
    "gaps_overlaps",
    "count_problems",
    "new_problems",
    "zone_gaps",
    "explain_no_zone",
    "compare",
    "compare_years",
]

_EMPTY_COLUMNS = {"school": [], "school_id": [], "level": [], "rule_id": [], "kind": []}


def zones_frame(zones) -> gpd.GeoDataFrame:
    """Zones as a GeoDataFrame in EPSG:4326.

    Parameters
    ----------
    zones : dict, GeoDataFrame or None
        A GeoJSON FeatureCollection (taken as EPSG:4326, as GeoJSON is) or a GeoDataFrame with
        a CRS (reprojected to EPSG:4326).

    Returns
    -------
    GeoDataFrame
        The ``zones`` layer contract; an empty frame with its columns when there is no zone.

    Raises
    ------
    CRSError
        A GeoDataFrame without CRS, or coordinates that are not degrees.

    Examples
    --------
    >>> zones_frame({"type": "FeatureCollection", "features": []}).crs.to_epsg()
    4326
    """
    if zones is None or (isinstance(zones, Mapping) and not zones.get("features")):
        return gpd.GeoDataFrame(_EMPTY_COLUMNS, geometry=[], crs=4326)
    if isinstance(zones, Mapping):
        gdf = gpd.GeoDataFrame.from_features(zones["features"], crs=4326)
    else:
        if zones.crs is None:
            raise CRSError(
                "划片图层没有坐标系 (zones have no CRS; expected EPSG:4326 — set it with "
                "gdf.set_crs(4326) if the coordinates are degrees)"
            )
        gdf = zones.to_crs(4326) if zones.crs.to_epsg() != 4326 else zones
    if len(gdf) and gdf.geometry.notna().any():
        minx, miny, maxx, maxy = gdf.total_bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise CRSError(
                f"划片坐标不是经纬度 (zone coordinates {minx:.0f}..{maxx:.0f}, {miny:.0f}.."
                f"{maxy:.0f} are not WGS 84 degrees: the layer is projected but tagged or "
                "taken as EPSG:4326; re-export it in EPSG:4326)"
            )
    return gdf


def _projector(*frames: gpd.GeoDataFrame):
    """(to_utm, to_lonlat, utm) for the local UTM zone at the centre of ``frames``."""
    bounds = [f.total_bounds for f in frames if len(f) and f.geometry.notna().any()]
    if not bounds:
        raise CRSError("没有几何图形，无法选择投影 (no geometry: cannot choose a UTM zone)")
    lon = (min(b[0] for b in bounds) + max(b[2] for b in bounds)) / 2
    lat = (min(b[1] for b in bounds) + max(b[3] for b in bounds)) / 2
    utm = utm_crs((lon, lat))
    fwd = Transformer.from_crs(4326, utm, always_xy=True).transform
    back = Transformer.from_crs(utm, 4326, always_xy=True).transform
    return (
        lambda g: shapely.transform(g, lambda xy: _xy(fwd, xy)),
        lambda g: shapely.transform(g, lambda xy: _xy(back, xy)),
        utm,
    )


def _xy(func, xy):
    import numpy as np

    x, y = func(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def _by_rule(gdf: gpd.GeoDataFrame) -> dict:
    out = {}
    for row in gdf.to_dict("records"):
        out.setdefault(row.get("rule_id"), row)
    return out


def changed_zones(old, new) -> dict:
    """Land that changed between two zone layers, one feature per changed rule.

    Parameters
    ----------
    old, new : dict or GeoDataFrame
        Zone layers (see :func:`zones_frame`); rules are matched by ``rule_id``.

    Returns
    -------
    dict
        A GeoJSON FeatureCollection (EPSG:4326).  Each feature's geometry is the symmetric
        difference of the rule's old and new polygon (the whole polygon for a rule ``added``
        or ``removed``), computed in the local UTM zone; properties ``rule_id``, ``change``
        (``changed``/``added``/``removed``), ``area_m2``, ``school_before``,
        ``school_after``.  A rule whose polygon and school are unchanged is left out.

    Examples
    --------
    >>> from geo_enroll.datasets import toy_zones
    >>> changed_zones(toy_zones(), toy_zones())["features"]
    []
    """
    a, b = zones_frame(old), zones_frame(new)
    fa, fb = _by_rule(a), _by_rule(b)
    features: list[dict] = []
    if not fa and not fb:
        return {"type": "FeatureCollection", "features": features}
    to_utm, to_lonlat, _ = _projector(a, b)
    for rid in sorted(set(fa) | set(fb), key=str):
        ra, rb = fa.get(rid) or {}, fb.get(rid) or {}
        ga, gb = ra.get("geometry"), rb.get("geometry")
        if (
            ga is not None
            and gb is not None
            and ga.equals(gb)
            and ra.get("school") == rb.get("school")
        ):
            continue
        if ga is None or gb is None:
            geom = to_utm(ga if ga is not None else gb) if (ga or gb) is not None else None
            change = "removed" if gb is None else "added"
        else:
            geom = to_utm(ga).symmetric_difference(to_utm(gb))
            change = "changed"
        empty = geom is None or geom.is_empty
        features.append(
            {
                "type": "Feature",
                "geometry": None if empty else mapping(to_lonlat(geom)),
                "properties": {
                    "rule_id": rid,
                    "change": change,
                    "area_m2": 0.0 if empty else round(float(geom.area), 1),
                    "school_before": ra.get("school"),
                    "school_after": rb.get("school"),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def changed_area_m2(old, new) -> float:
    """Area (m², local UTM) of the land whose zone changed: the union of :func:`changed_zones`.

    Land counted by two rules (given by one school, taken by another) counts once.

    >>> from geo_enroll.datasets import toy_zones
    >>> changed_area_m2(toy_zones(), toy_zones())
    0.0
    """
    fc = changed_zones(old, new)
    geoms = [shape(f["geometry"]) for f in fc["features"] if f.get("geometry")]
    if not geoms:
        return 0.0
    frame = gpd.GeoDataFrame(geometry=geoms, crs=4326)
    to_utm, _, _ = _projector(frame)
    return round(float(unary_union([to_utm(g) for g in geoms]).area), 1)


def school_changes(before: Iterable[Mapping], after: Iterable[Mapping]) -> list[dict]:
    """Children whose school differs between two placements of the same cohort.

    Parameters
    ----------
    before, after : iterables of dict
        Placement rows with ``student_id``, ``school`` (``""``/None: no school), and
        optionally ``level`` and ``status``.

    Returns
    -------
    list of dict
        ``{"student_id", "level", "from", "to", "status"}`` per child of ``after`` whose school
        changed (``status`` of ``after``), in the order of ``after``.  Only the pseudonymous
        ``student_id`` is kept: no name, no ID number.

    Examples
    --------
    >>> school_changes([{"student_id": "a", "school": "x"}, {"student_id": "b", "school": "x"}],
    ...                [{"student_id": "a", "school": "y", "level": "primary"},
    ...                 {"student_id": "b", "school": "x"}])
    [{'student_id': 'a', 'level': 'primary', 'from': 'x', 'to': 'y', 'status': None}]
    """
    old = {str(p["student_id"]): p.get("school") or "" for p in before}
    out = []
    for p in after:
        sid = str(p["student_id"])
        was, now = old.get(sid, ""), p.get("school") or ""
        if was != now:
            out.append(
                {
                    "student_id": sid,
                    "level": p.get("level"),
                    "from": was,
                    "to": now,
                    "status": p.get("status"),
                }
            )
    return out


def _school_key(spec: dict):
    by_id = {s.get("id"): s for s in spec.get("schools") or []}
    by_name = {s.get("name"): s for s in spec.get("schools") or []}

    def key(row: Mapping):
        for k in (row.get("school_id"), row.get("school"), row.get("name")):
            if k in by_id:
                return k
        for k in (row.get("school"), row.get("name")):
            if k in by_name:
                return by_name[k].get("id")
        return None

    return key


def seat_balance(spec: dict, seats, schools: Iterable[Mapping] | None = None) -> list[dict]:
    """Seats, placed children and balance per school of ``spec`` (spec order).

    Parameters
    ----------
    spec : dict
        Zone spec (its ``schools``).
    seats : DataFrame or iterable of dict
        Seat table rows (``school_id`` or ``name``, ``seats``); a nine-year school may have a
        row per level.
    schools : iterable of dict, optional
        A placement's school rows (``school`` as id or name, or ``school_id``; ``seats``,
        ``placed``); None means no placement (placed 0).

    Returns
    -------
    list of dict
        ``{"school" (name), "school_id", "level", "seats", "placed", "balance", "fill"}``.

    Examples
    --------
    >>> from geo_enroll.datasets import toy_schools, toy_spec
    >>> rows = seat_balance(toy_spec(), toy_schools(), [{"school": "toy-p1", "seats": 6, "placed": 7}])
    >>> [(r["school_id"], r["seats"], r["placed"], r["balance"]) for r in rows]
    [('toy-p1', 6, 7, -1), ('toy-p2', 12, 0, 12), ('toy-m1', 8, 0, 8)]
    """
    key = _school_key(spec)
    records = seats.to_dict("records") if hasattr(seats, "to_dict") else list(seats or [])
    table: dict = {}
    for row in records:
        k = key(row)
        table[k] = table.get(k, 0) + int(row.get("seats") or 0)
    placed: dict = {}
    for row in schools or []:
        acc = placed.setdefault(key(row), {"seats": 0, "placed": 0})
        acc["seats"] += int(row.get("seats") or 0)
        acc["placed"] += int(row.get("placed") or 0)
    out = []
    for s in spec.get("schools") or []:
        row = placed.get(s.get("id"), {})
        n_seats = int(row.get("seats") or table.get(s.get("id"), 0) or 0)
        n_placed = int(row.get("placed") or 0)
        out.append(
            {
                "school": s.get("name"),
                "school_id": s.get("id"),
                "level": s.get("level"),
                "seats": n_seats,
                "placed": n_placed,
                "balance": n_seats - n_placed,
                "fill": round(n_placed / n_seats, 3) if n_seats else None,
            }
        )
    return out


def _coverage(part: gpd.GeoDataFrame) -> list[dict]:
    return [
        {"rule_id": r.rule_id, "school_id": r.school_id, "geometry": r.geometry}
        for r in part.itertuples()
        if r.geometry is not None and not r.geometry.is_empty
    ]


def gaps_overlaps(spec: dict, zones, *, domain=None) -> dict:
    """Gaps and overlaps per level of a zone layer.

    Parameters
    ----------
    spec : dict
        Zone spec (its ``multi_school`` rules declare land shared on purpose).
    zones : dict or GeoDataFrame
        The zones to check.
    domain : dict or GeoDataFrame, optional
        Zones whose union per level is the land that must be served (for an edit: the version
        being edited, so land it served and the edit leaves unserved is a gap); None means
        ``zones`` itself (then only overlaps can show).

    Returns
    -------
    dict
        ``{level: {"gaps": [...], "overlaps": [...]}}`` as
        :func:`geo_enroll.diagnostics.find_gaps_overlaps` reports them (``area_m2`` from the
        local UTM zone, ``point`` and ``geometry`` in EPSG:4326).

    Examples
    --------
    >>> from geo_enroll.datasets import toy_spec, toy_zones
    >>> d = gaps_overlaps(toy_spec(), toy_zones())
    >>> sorted(d), len(d["middle"]["gaps"])
    (['middle', 'primary'], 0)
    """
    from .diagnostics import find_gaps_overlaps

    g = zones_frame(zones)
    d = zones_frame(domain) if domain is not None else g
    if g.empty and d.empty:
        return {}
    to_utm, _, utm = _projector(g, d)
    back = Transformer.from_crs(utm, 4326, always_xy=True)
    g, d = g.to_crs(utm), d.to_crs(utm)
    declared = [
        {"schools": z.get("schools") or [], "geometry": None}
        for sch in spec.get("schools") or []
        for z in sch.get("zones") or []
        if z.get("kind") == "multi_school"
    ]
    out = {}
    for level in sorted(set(g["level"].dropna()) | set(d["level"].dropna())):
        dpart = d[d["level"] == level]
        land = (
            {"原覆盖范围 previous coverage": unary_union(list(dpart.geometry))}
            if len(dpart)
            else {}
        )
        res = find_gaps_overlaps(
            _coverage(g[g["level"] == level]),
            land,
            declared=declared,
            to_lonlat=lambda x, y: back.transform(x, y),
        )
        out[str(level)] = {"gaps": res["gaps"], "overlaps": res["overlaps"]}
    return out


def count_problems(diag: dict) -> dict[str, int]:
    """Number of gaps and overlaps per level, keyed ``"<level>.gaps"``/``"<level>.overlaps"``.

    >>> count_problems({"primary": {"gaps": [{}], "overlaps": []}})
    {'primary.gaps': 1, 'primary.overlaps': 0}
    """
    return {
        f"{lv}.{k}": len(v.get(k) or [])
        for lv, v in diag.items()
        if isinstance(v, dict)
        for k in ("gaps", "overlaps")
    }


def new_problems(before: dict, after: dict, *, tolerance_m2: float = 1.0) -> dict:
    """Gaps and overlaps of ``after`` that ``before`` did not have (created by an edit).

    A problem of ``after`` is new unless it shares more than ``tolerance_m2`` (local UTM) with
    a problem of the same level and kind in ``before``.  Both are
    :func:`gaps_overlaps` results; returns the same shape.

    >>> p = {"area_m2": 5.0, "geometry": {"type": "Point", "coordinates": [115.0, 41.0]}}
    >>> new_problems({}, {"primary": {"gaps": [], "overlaps": []}})
    {'primary': {'gaps': [], 'overlaps': []}}
    """
    out: dict = {}
    geoms = [
        shape(p["geometry"])
        for diag in (before, after)
        for v in diag.values()
        for k in ("gaps", "overlaps")
        for p in v.get(k) or []
        if p.get("geometry")
    ]
    to_utm = _projector(gpd.GeoDataFrame(geometry=geoms, crs=4326))[0] if geoms else (lambda g: g)
    for level, v in after.items():
        out[level] = {}
        for k in ("gaps", "overlaps"):
            old = [
                to_utm(shape(p["geometry"]))
                for p in (before.get(level) or {}).get(k) or []
                if p.get("geometry")
            ]
            out[level][k] = [
                p
                for p in v.get(k) or []
                if not p.get("geometry")
                or not any(
                    to_utm(shape(p["geometry"])).intersection(o).area > tolerance_m2 for o in old
                )
            ]
    return out


def zone_gaps(zones, *, areas=None) -> dict:
    """Gaps per level of a zone layer, as the digitiser's report finds them.

    The land that must be served is the zoned land with its holes filled plus ``areas`` (the
    base map's town and communities); a gap is land there that no polygon zone of the level
    (or a nine-year school's) covers, reported under the most specific area holding it.

    Parameters
    ----------
    zones : dict or GeoDataFrame
        The zones.
    areas : GeoDataFrame, optional
        The base map's ``areas`` layer (``name``, ``kind``); rows of kind ``town`` and
        ``community`` are used.

    Returns
    -------
    dict
        ``{level: [{"area_m2", "where", "rules", "point", "geometry", ...}]}``.

    Examples
    --------
    >>> from geo_enroll.datasets import toy_zones
    >>> {lv: len(g) for lv, g in zone_gaps(toy_zones()).items()}
    {'middle': 0, 'primary': 0}
    """
    from .diagnostics import find_gaps_overlaps

    gdf = zones_frame(zones)
    if gdf.empty:
        return {}
    _, _, utm = _projector(gdf)
    g = gdf.to_crs(utm)
    back = Transformer.from_crs(utm, 4326, always_xy=True)
    out = {}
    for level in sorted(set(g["level"].dropna())):
        coverage = _coverage(g[g["level"].isin([level, "nine_year"])])
        zoned = unary_union([c["geometry"] for c in coverage])
        filled = unary_union(
            [shapely.Polygon(p.exterior) for p in getattr(zoned, "geoms", [zoned])]
        )
        land = {"划片范围 zoned land": filled}
        if areas is not None and len(areas):
            sub = areas[areas["kind"].isin(["town", "community"])].to_crs(utm)
            land |= {str(n): geom for n, geom in zip(sub["name"], sub.geometry, strict=True)}
        res = find_gaps_overlaps(coverage, land, to_lonlat=lambda x, y: back.transform(x, y))
        out[str(level)] = res["gaps"]
    return out


def explain_no_zone(
    spec: dict,
    zones,
    gaps: dict,
    lon: float,
    lat: float,
    *,
    lang: str = "zh",
    level: str | None = None,
) -> dict:
    """Why a located point has no school: it lies in a gap of the zoning, or outside every zone.

    Parameters
    ----------
    spec : dict
        Zone spec (rule sources for the gap's neighbouring rules).
    zones : dict or GeoDataFrame
        The zones.
    gaps : dict
        :func:`zone_gaps` of ``zones``.
    lon, lat : float
        The point (EPSG:4326).
    lang : {"zh", "en"}
        Language of ``text``.
    level : str, optional
        Only this level's gaps and zones (default any).

    Returns
    -------
    dict
        ``{"in_gap", "text", "gap" (level, area_m2, where, rules: rule_id, school, source,
        line) or None, "nearest" (school, school_id, rule_id, distance_m) or None,
        "geometry"}``; distances in metres (local UTM).

    Examples
    --------
    >>> from geo_enroll.datasets import toy_spec, toy_xy_to_lonlat, toy_zones
    >>> lon, lat = toy_xy_to_lonlat(1100, 500)
    >>> why = explain_no_zone(toy_spec(), toy_zones(), {}, lon, lat, level="primary")
    >>> why["in_gap"], why["nearest"]["school_id"], why["nearest"]["distance_m"]
    (False, 'toy-p1', 100)
    """
    by_id = {s.get("id"): s for s in spec.get("schools") or []}
    rules = {
        z.get("rule_id"): (s, z) for s in spec.get("schools") or [] for z in s.get("zones") or []
    }
    en = lang == "en"
    to_utm, utm, ukey = _point_projector(lon, lat)
    p = to_utm(Point(lon, lat))
    hit = None
    for lv, gap, geom in _projected_gaps(gaps, to_utm, ukey):
        if level is not None and lv != level:
            continue
        if geom.distance(p) <= 1.0:
            hit = (lv, gap)
            break
    frame = _checked_frame(zones)
    gdf, zoned, projected = _no_zone_layers(frame, level, utm, ukey, remember=frame is zones)
    area = _unzoned_area(spec, gdf, lon, lat)
    if area is not None:
        text = (
            f"This place lies in “{area['name']}”, an area the zone layer leaves without a school "
            "(unzoned / choice area). Ask the education bureau how children here are placed."
            if en
            else f"该位置位于「{area['name']}」，划片图层中这是未划给任何学校的区域（未划片/自主"
            "选择区域）。该处儿童的入学安排请向教育局咨询。"
        )
        return {"in_gap": False, "text": text, "gap": None, "nearest": None, "geometry": None}
    nearest = None
    if not zoned.empty:
        d = projected.distance(p)
        k = int(d.values.argmin())
        row = zoned.iloc[k]
        nearest = {
            "school": row.get("school"),
            "school_id": row.get("school_id"),
            "rule_id": row.get("rule_id"),
            "distance_m": round(float(d.iloc[k])),
        }
    if hit:
        gap_level, gap = hit
        near = []
        for rid in gap.get("rules") or []:
            sch, z = rules.get(rid, ({}, {}))
            src = z.get("source") or {}
            near.append(
                {
                    "rule_id": rid,
                    "school": sch.get("name") or (by_id.get(rid) or {}).get("name") or rid,
                    "source": z.get("fragment") or src.get("text"),
                    "line": src.get("line"),
                }
            )
        names = "、".join(dict.fromkeys(n["school"] for n in near)) or "—"
        where = str(gap.get("where") or "").split(" ")[0]
        text = (
            f"This place lies in a gap of the zoning (about {gap['area_m2']:.0f} m² in {where}): "
            f"no rule of the policy assigns it to a school. Zones around it: {names}. "
            "Ask the education bureau which school serves it."
            if en
            else f"该位置位于划片空白区（{where}内约{gap['area_m2']:.0f}平方米）：政策文本的划片规则"
            f"没有把这里划给任何学校。周边的划片学校：{names}。请向教育局咨询该处的对口学校。"
        )
        return {
            "in_gap": True,
            "text": text,
            "gap": {"level": gap_level, "area_m2": gap["area_m2"], "where": where, "rules": near},
            "nearest": nearest,
            "geometry": gap.get("geometry"),
        }
    if nearest and nearest["distance_m"] < 1:
        text = (
            f"This place is just outside the outer edge of the drawn zones (less than 1 m from "
            f"the zone of {nearest['school']}); outside the edge no school's zone applies. "
            "Ask the education bureau to confirm."
            if en
            else f"该位置在已划定片区的外边界以外（距{nearest['school']}的划片边界不足1米）："
            "边界以外不属于任何学校的划片，请向教育局核实。"
        )
    elif nearest:
        text = (
            f"This place is outside every drawn zone; the nearest zone ({nearest['school']}, "
            f"rule {nearest['rule_id']}) is about {nearest['distance_m']} m away. Children "
            "living outside the zones are placed by relative proximity (相对就近) by the bureau."
            if en
            else f"该位置不在任何已划定的片区内；最近的片区是{nearest['school']}"
            f"（规则 {nearest['rule_id']}），相距约{nearest['distance_m']}米。"
            "不在划片范围内的儿童由教育局按相对就近原则统筹安排。"
        )
    else:
        what = {"primary": ("小学", "primary"), "middle": ("初中", "middle-school")}.get(
            level or "", ("", "")
        )
        text = (
            f"The policy's {what[1]} zones follow villages and communities, and none of them "
            "lists the village or community of this address. Check that the address names its "
            "village or community; otherwise ask the education bureau."
            if en
            else f"本政策的{what[0]}划片按村（社区）确定，该地址所在的村（社区）没有列入任何学校的"
            "招生范围。请核对地址是否写明村（社区）；如无误，请向教育局咨询。"
        )
    return {"in_gap": False, "text": text, "gap": None, "nearest": nearest, "geometry": None}


def compare(
    *,
    spec_before: dict,
    zones_before,
    placement_before: Mapping,
    spec_after: dict,
    zones_after,
    placement_after: Mapping,
    seats_before,
    seats_after=None,
) -> dict:
    """The impact of an edited zone set on a cohort placed under both versions.

    Parameters
    ----------
    spec_before, spec_after : dict
        Zone specs of the current and the edited version (often the same spec).
    zones_before, zones_after : dict or GeoDataFrame
        Their zone layers.
    placement_before, placement_after : dict
        The same cohort placed under each version: ``{"placements": [rows], "schools":
        [rows]}`` (rows as in ``placements.csv`` and ``schools.csv``).
    seats_before : DataFrame or iterable of dict
        Seat table of the current version; ``seats_after`` defaults to it.

    Returns
    -------
    dict
        ``changes`` (:func:`school_changes`), ``n_changes``, ``seats_before`` and
        ``seats_after`` (:func:`seat_balance`), ``changed_zones`` (:func:`changed_zones`),
        ``changed_area_m2``, ``diagnostics`` (gaps and overlaps of the edited zones against
        the land the current ones serve), ``created`` (those the edit introduced:
        :func:`new_problems`), ``problems_before`` and ``problems_after``
        (:func:`count_problems`), ``spec_changed``.

    Examples
    --------
    >>> from geo_enroll.datasets import toy_schools, toy_spec, toy_zones
    >>> placed = {"placements": [{"student_id": "s1", "school": "toy-p1"}], "schools": []}
    >>> r = compare(spec_before=toy_spec(), zones_before=toy_zones(), placement_before=placed,
    ...             spec_after=toy_spec(), zones_after=toy_zones(), placement_after=placed,
    ...             seats_before=toy_schools())
    >>> r["n_changes"], r["changed_area_m2"], r["problems_after"]["primary.gaps"]
    (0, 0.0, 0)
    """
    seats_after = seats_before if seats_after is None else seats_after
    changes = school_changes(
        placement_before.get("placements") or [], placement_after.get("placements") or []
    )
    d_before = gaps_overlaps(spec_before, zones_before, domain=zones_before)
    d_after = gaps_overlaps(spec_after, zones_after, domain=zones_before)
    return {
        "changes": changes,
        "n_changes": len(changes),
        "seats_before": seat_balance(spec_before, seats_before, placement_before.get("schools")),
        "seats_after": seat_balance(spec_after, seats_after, placement_after.get("schools")),
        "changed_zones": changed_zones(zones_before, zones_after),
        "changed_area_m2": changed_area_m2(zones_before, zones_after),
        "diagnostics": d_after,
        "created": new_problems(d_before, d_after),
        "problems_before": count_problems(d_before),
        "problems_after": count_problems(d_after),
        "spec_changed": json.dumps(spec_before, sort_keys=True, default=str)
        != json.dumps(spec_after, sort_keys=True, default=str),
    }


# Per-call work of :func:`explain_no_zone` kept between calls (the parent lookup asks it for
# every located address without a zone school): UTM transformers per thread (pyproj objects
# are not shared between threads), and per zones frame / gaps report (held by reference, so
# an ``id`` is never reused while its entry lives) the level's zones and their UTM projection.
_POINT_UTM = threading.local()
_NO_ZONE_LAYERS: dict = {}  # (id(frame), level, utm) -> (frame, gdf, zoned, projected)
_CHECKED_FRAMES: dict = {}  # id(GeoDataFrame) -> (frame, zones_frame(frame))
_GAP_GEOMS: dict = {}  # (id(gap geometry), utm) -> (GeoJSON geometry, projected)
_CACHE_MAX = {"layers": 32, "gaps": 1024}


def _point_projector(lon: float, lat: float):
    """(to_utm, utm, key) for the local UTM zone at a point, as :func:`_projector` of that
    point; ``key`` names the zone (:func:`utm_crs` depends on nothing else)."""
    key = ((lon + 180) // 6, lat >= 0)  # NaN never equals itself: utm_crs raises below
    cache = _POINT_UTM.__dict__.setdefault("by_zone", {})
    if key not in cache:
        utm = utm_crs((lon, lat))
        fwd = Transformer.from_crs(4326, utm, always_xy=True).transform
        cache[key] = (lambda g: shapely.transform(g, lambda xy: _xy(fwd, xy)), utm, key)
    return cache[key]


def _checked_frame(zones):
    """:func:`zones_frame` of ``zones``, kept per GeoDataFrame object: a caller's frame that
    is asked about again (the parent lookup's shared zones of a version, which nobody
    modifies) is checked and converted once; a GeoJSON dict is read on every call."""
    if zones is None or isinstance(zones, Mapping):
        return zones_frame(zones)
    hit = _CHECKED_FRAMES.get(id(zones))
    if hit is not None and hit[0] is zones:
        return hit[1]
    return _remember(_CHECKED_FRAMES, id(zones), (zones, zones_frame(zones)))[1]


def _remember(cache: dict, key, value):
    if len(cache) > _CACHE_MAX["gaps" if cache is _GAP_GEOMS else "layers"]:
        cache.clear()
    cache[key] = value
    return value


def _no_zone_layers(frame: gpd.GeoDataFrame, level: str | None, utm, ukey, *, remember: bool):
    """(zones of ``level``, those with a school, the latter in ``utm``); kept for the next
    call when ``remember`` (the caller's own frame: a GeoJSON dict or a reprojected frame is
    a new object on every call, not worth keeping)."""
    key = (id(frame), level, ukey)
    hit = _NO_ZONE_LAYERS.get(key)
    if hit is not None and hit[0] is frame:
        return hit[1:]
    gdf = frame
    if level is not None and not gdf.empty:
        gdf = gdf[gdf["level"].isin([level, "nine_year"])]
    zoned = gdf
    if not zoned.empty and "school_id" in zoned.columns:
        zoned = zoned[zoned["school_id"].notna() & (zoned["school_id"].astype(str) != "")]
    projected = zoned.to_crs(utm).geometry if not zoned.empty else None
    if not remember:
        return gdf, zoned, projected
    return _remember(_NO_ZONE_LAYERS, key, (frame, gdf, zoned, projected))[1:]


def _projected_gaps(gaps: dict, to_utm, ukey):
    """``(level, gap, gap geometry in UTM)`` of a gap report, in its order; each GeoJSON
    geometry projected once per UTM zone (``ukey``) while the report keeps it."""
    for lv, items in gaps.items():
        for gap in items:
            geom = gap.get("geometry")
            if not geom:
                continue
            key = (id(geom), ukey)
            hit = _GAP_GEOMS.get(key)
            if hit is None or hit[0] is not geom:
                hit = _remember(_GAP_GEOMS, key, (geom, to_utm(shape(geom))))
            yield lv, gap, hit[1]


def _unzoned_area(spec: dict, gdf: gpd.GeoDataFrame, lon: float, lat: float) -> dict | None:
    """The spec's unzoned / choice area (``areas``) drawn around the point, if any."""
    areas = {a.get("rule_id"): a for a in spec.get("areas") or []}
    if not areas or gdf.empty or "rule_id" not in gdf.columns:
        return None
    sub = gdf[gdf["rule_id"].isin(list(areas))]
    p = Point(lon, lat)
    for rid, geom in zip(sub["rule_id"], sub.geometry, strict=True):
        if geom is not None and geom.covers(p):
            return areas[rid]
    return None


def _school_key_of(spec: dict):
    """School id → a key stable across years: the id (imported ids come from the names)."""
    return {s["id"]: s.get("name") or s["id"] for s in spec.get("schools") or []}


def compare_years(
    before: tuple[dict, object],
    after: tuple[dict, object],
    homes,
    *,
    level: str,
    seats: Mapping | None = None,
    school_points=None,
) -> dict:
    """Two school years of the same level side by side: who changes school, seat balance,
    changed areas.

    Parameters
    ----------
    before, after : (spec, zones)
        The zone spec and zones layer of each school year (e.g. two imported layers).
    homes : DataFrame
        ``id``, ``lon``, ``lat`` (WGS 84): the children (or households) to compare; only ids
        are reported.
    level : str
    seats : dict, optional
        ``{school_id: seats}`` for the balance of the later year.
    school_points : GeoDataFrame, optional
        For the edge rule's nearest-school ties.

    Returns
    -------
    dict
        ``changes`` (``id``, ``from``, ``to``: school ids, ``""`` for none), ``n_changes``,
        ``flows`` (``from``, ``to``, ``children``), ``schools`` (per school: ``before``,
        ``after``, ``seats``, ``balance``, ``status`` open/closed/new), ``changed_areas``
        (GeoJSON: land whose school changed, with ``from``, ``to``, ``area_m2``),
        ``changed_area_m2``, ``years``.

    Examples
    --------
    >>> import pandas as pd
    >>> from geo_enroll.datasets import toy_spec, toy_zones, toy_xy_to_lonlat
    >>> new = toy_zones()
    >>> east = new["rule_id"] == "toy-p1-r01"
    >>> new.loc[east, "geometry"] = new.loc[east, "geometry"].translate(xoff=0.002)
    >>> pts = [toy_xy_to_lonlat(x, 500) for x in (250, 540, 800)]
    >>> homes = pd.DataFrame({"id": ["a", "b", "c"], "lon": [p[0] for p in pts],
    ...                       "lat": [p[1] for p in pts]})
    >>> r = compare_years((toy_spec(), toy_zones()), (toy_spec(), new), homes, level="primary")
    >>> [(c["id"], c["from"], c["to"]) for c in r["changes"]]
    [('b', 'toy-p1', '')]
    """
    import numpy as np
    import pandas as pd

    from .zoneindex import ZoneIndex

    (spec_a, zones_a), (spec_b, zones_b) = before, after
    za, zb = zones_frame(zones_a), zones_frame(zones_b)
    ia = ZoneIndex(spec_a, za, school_points=school_points)
    ib = ZoneIndex(spec_b, zb, school_points=school_points)
    homes = pd.DataFrame(homes)
    lon = homes["lon"].to_numpy(dtype=float)
    lat = homes["lat"].to_numpy(dtype=float)
    sa = ia.assign_points(lon, lat, level).school_ids()
    sb = ib.assign_points(lon, lat, level).school_ids()
    ids = homes["id"].astype(str).tolist()
    changes, flows = [], {}
    for k, (x, y) in enumerate(zip(sa, sb, strict=True)):
        if set(x) != set(y):
            f, t = "|".join(sorted(x)), "|".join(sorted(y))
            changes.append({"id": ids[k], "from": f, "to": t})
            flows[(f, t)] = flows.get((f, t), 0) + 1
    names = _school_key_of(spec_a) | _school_key_of(spec_b)
    count_a = pd.Series([s for x in sa for s in x], dtype=object).value_counts()
    count_b = pd.Series([s for x in sb for s in x], dtype=object).value_counts()
    in_a = {s["id"] for s in spec_a.get("schools") or [] if _lv_ok(s, level)}
    in_b = {s["id"] for s in spec_b.get("schools") or [] if _lv_ok(s, level)}
    schools = []
    for sid in sorted(in_a | in_b, key=lambda s: names.get(s, s)):
        n_a, n_b = int(count_a.get(sid, 0)), int(count_b.get(sid, 0))
        seat = None if seats is None or sid not in seats else int(seats[sid])
        status = "closed" if sid not in in_b else "new" if sid not in in_a else "open"
        schools.append(
            {"school_id": sid, "school": names.get(sid, sid), "status": status}
            | {"before": n_a, "after": n_b, "change": n_b - n_a, "seats": seat}
            | {"balance": None if seat is None else seat - n_b}
        )
    areas = _changed_areas(za, zb, level, spec_a, spec_b)
    years = [
        (sp.get("policy") or {}).get("school_year") or (sp.get("policy") or {}).get("year")
        for sp in (spec_a, spec_b)
    ]
    return {
        "years": years,
        "level": level,
        "n_homes": len(ids),
        "changes": changes,
        "n_changes": len(changes),
        "flows": [
            {"from": f, "to": t, "children": n}
            for (f, t), n in sorted(flows.items(), key=lambda kv: -kv[1])
        ],
        "schools": schools,
        "changed_areas": areas,
        "changed_area_m2": float(
            np.round(sum(f["properties"]["area_m2"] for f in areas["features"]), 1)
        ),
    }


def _lv_ok(school: dict, level: str) -> bool:
    return school.get("level") in (level, "nine_year")


def _changed_areas(za, zb, level, spec_a, spec_b) -> dict:
    """Land whose zone school(s) differ between the two years (GeoJSON, EPSG:4326)."""
    lv_a = {s["id"] for s in spec_a.get("schools") or [] if _lv_ok(s, level)}
    lv_b = {s["id"] for s in spec_b.get("schools") or [] if _lv_ok(s, level)}

    def by_school(z, ok):
        z = z[z["school_id"].isin(ok)] if "school_id" in z.columns else z.iloc[0:0]
        key = z["schools"] if "schools" in z.columns else z["school_id"]
        key = [str(k) if k else str(s) for k, s in zip(key, z["school_id"], strict=True)]
        out = {}
        for k, g in zip(key, z.geometry, strict=True):
            out[k] = g if k not in out else out[k].union(g)
        return out

    a, b = by_school(za, lv_a), by_school(zb, lv_b)
    if not a and not b:
        return {"type": "FeatureCollection", "features": []}
    to_utm, to_ll, _ = _projector(za, zb)
    a = {k: to_utm(g) for k, g in a.items()}
    b = {k: to_utm(g) for k, g in b.items()}
    all_a = unary_union(list(a.values())) if a else None
    all_b = unary_union(list(b.values())) if b else None
    feats = []
    pairs = [(ka, kb) for ka in a for kb in b if ka != kb]
    pairs += [(ka, "") for ka in a] + [("", kb) for kb in b]
    for ka, kb in pairs:
        ga = a[ka] if ka else (all_b.difference(all_a) if all_a is not None else all_b)
        gb = b[kb] if kb else (all_a.difference(all_b) if all_b is not None else all_a)
        if ga is None or gb is None or not ga.intersects(gb):
            continue
        g = ga.intersection(gb)
        if g.area < 1.0:
            continue
        feats.append(
            {
                "type": "Feature",
                "properties": {"from": ka, "to": kb, "area_m2": round(float(g.area), 1)},
                "geometry": mapping(to_ll(g)),
            }
        )
    feats.sort(key=lambda f: -f["properties"]["area_m2"])
    return {"type": "FeatureCollection", "features": feats}
