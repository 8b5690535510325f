"""Bring your own zones: import a published zone layer (划片图层) into a zone spec + zones.

Most districts already publish their zones as a GIS layer (GeoJSON, GeoPackage, Shapefile,
KML or any vector format GDAL reads).  :func:`import_zones` turns one layer into what the
rest of geo_enroll reads — a zone spec (schools, levels, one rule per feature whose
``source`` names the file and feature) and the ``zones`` layer contract (EPSG:4326) — and a
report of everything it did:

- the CRS is read from the file (or taken from ``crs=``) and converted to EPSG:4326; a layer
  without CRS in projected coordinates is refused with how to fix it;
- invalid polygons are repaired with :func:`shapely.make_valid`, each repair reported with its
  reason, area before/after and parts before/after; points and lines are skipped, reported;
- a feature naming several schools (``A, B``) becomes **one** ``multi_school`` zone, and the
  same polygon published once per school is merged into one ``multi_school`` zone (never
  copies).  A cell is split only when every part is itself a school of the layer (a whole
  cell of another feature, a name-field value, or a name in ``school_points``): ``Smith &
  Jones Elementary`` stays one school, listed under ``ambiguous_names`` in the report;
- a feature without a school becomes an **unzoned / choice area** (spec ``areas``, kind
  ``unzoned``), shown to parents as such;
- levels: ``primary`` (elementary, 小学), ``middle`` (初中), ``nine_year`` (K-8, 九年一贯制),
  and any other level as a free label (``high``).

>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> layer = gpd.GeoDataFrame({"SCHOOL": ["Oak Elementary", "Oak Elementary, Elm Elementary",
...     None, "Elm Elementary", "Smith & Jones Elementary"]},
...     geometry=[box(i, 0, i + 1, 1) for i in range(5)], crs=3857)
>>> r = import_zones(layer, level="primary", year="2025-2026", name="demo")
>>> [(z["kind"], z.get("schools")) for s in r.spec["schools"] for z in s["zones"]]
[('polygon', None), ('multi_school', ['oak-elementary', 'elm-elementary']), ('polygon', None), ('polygon', None)]
>>> [s["name"] for s in r.spec["schools"]][-1], r.report["ambiguous_names"][0]["unknown"]
('Smith & Jones Elementary', ['Smith', 'Jones Elementary'])
>>> [a["kind"] for a in r.spec["areas"]], r.spec["policy"]["year"], str(r.zones.crs)
(['unzoned'], 2025, 'EPSG:4326')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import CRSError, InputError, ZoneSpecError

__all__ = [
    "ZoneLayer",
    "read_layer",
    "import_zones",
    "check_zones",
    "zones_for_serving",
    "write_import",
    "level_of",
    "filled_domain",
]

_SCHOOL_FIELDS = (
    "school_id",
    "school",
    "school_name",
    "schoolname",
    "sch_name",
    "学校",
    "学校名称",
)
_NAME_FIELDS = ("school_name", "schoolname", "name", "学校名称", "名称", "label")
_LEVEL_FIELDS = ("level", "grade", "grades", "type", "学段")
_NONE_VALUES = {"", "none", "null", "nan", "n/a", "na", "unzoned", "no school", "无", "未划片"}
_CHOICE_VALUES = {"choice", "open", "open enrollment", "自主选择", "选择"}
_SEPARATORS = r"\s*[,;，；、/|+&]\s*"
_LEVELS = [
    ("nine_year", r"nine[_ -]?year|k-?8|tk-?8|九年|一贯"),
    ("primary", r"elementary|primary|\belem\b|\bes\b|k-?[56]\b|小学"),
    ("middle", r"middle|junior|intermediate|\bms\b|\b[67]-8\b|初中|初级中学"),
    ("high", r"high|\bhs\b|9-12|高中|高级中学"),
]


@dataclass(frozen=True)
class ZoneLayer:
    """An imported zone layer: ``spec`` (zone spec dict), ``zones`` (the zones layer,
    EPSG:4326), ``school_points`` (``school_id`` + Point, or None) and ``report``."""

    spec: dict
    zones: object
    school_points: object = None
    report: dict = field(default_factory=dict)


def level_of(value) -> str | None:
    """The level a layer's text names: primary / middle / nine_year, or a free label.

    >>> [level_of(v) for v in ("Elementary", "初中", "K-8", "High School", "Secondary", "")]
    ['primary', 'middle', 'nine_year', 'high', 'secondary', None]
    """
    t = str(value or "").strip().lower()
    if not t:
        return None
    for level, pattern in _LEVELS:
        if re.search(pattern, t):
            return level
    slug = re.sub(r"[^a-z0-9]+", "_", t).strip("_")
    if not slug or not slug[0].isalpha():
        slug = "level_" + (slug or _slug(t).replace("-", "_"))
    return slug


def _slug(text: str) -> str:
    t = str(text).strip()
    if re.search(r"[\u4e00-\u9fff]", t):
        from pypinyin import lazy_pinyin

        t = "-".join(lazy_pinyin(t))
    s = re.sub(r"[^a-z0-9]+", "-", t.lower()).strip("-")
    return s or "school"


def read_layer(path, *, layer: str | None = None, crs=None):
    """Read a vector layer (any GDAL format) as a GeoDataFrame in EPSG:4326.

    The feature ids of the file are the index.  ``crs`` overrides the file's CRS (a wrong or
    missing ``.prj``); a layer without CRS whose coordinates are not longitude/latitude is
    refused.  Returns ``(gdf, notes)``.
    """
    import geopandas as gpd
    import pyogrio

    path = Path(path)
    if not path.exists():
        raise InputError(f"找不到划片图层文件 {path} (no such file)")
    notes: list[str] = []
    try:
        layers = [str(r[0]) for r in pyogrio.list_layers(path)]
    except Exception as exc:  # noqa: BLE001 - GDAL's own message says what it is
        raise InputError(
            f"无法读取划片图层 {path.name}：{exc} (cannot read the file as a vector layer; "
            "expected GeoJSON, GeoPackage, Shapefile, KML or another GDAL vector format)"
        ) from None
    if layer is None:
        if len(layers) > 1 and "zones" not in layers:
            raise InputError(
                f"{path.name} 有多个图层，请用 --layer 指明导入哪一个 (the file has several layers; "
                f"choose one with --layer): {', '.join(layers)}"
            )
        layer = "zones" if "zones" in layers else layers[0]
    elif layer not in layers:
        raise InputError(f"{path.name} 没有图层 {layer} (layers: {', '.join(layers)})")
    try:
        gdf = gpd.read_file(path, layer=layer, fid_as_index=True)
    except Exception as exc:  # noqa: BLE001
        raise InputError(f"无法读取划片图层 {path.name} 的 {layer}：{exc}") from None
    return _to_wgs84(gdf, crs, notes, path.name), notes


def _to_wgs84(gdf, crs, notes: list[str], label: str):
    from pyproj import CRS

    if crs is not None:
        try:
            want = CRS.from_user_input(crs)
        except Exception:  # noqa: BLE001
            raise CRSError(f"--crs {crs} 不是可识别的坐标系 (not a CRS: try EPSG:3857)") from None
        if gdf.crs is not None and CRS(gdf.crs) != want:
            notes.append(f"文件声明的坐标系 {gdf.crs.to_string()} 被 --crs {crs} 取代")
        gdf = gdf.set_crs(want, allow_override=True)
    if gdf.crs is None:
        minx, miny, maxx, maxy = gdf.total_bounds if len(gdf) else (0, 0, 0, 0)
        if -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90:
            gdf = gdf.set_crs(4326)
            notes.append("图层没有坐标系，坐标在经纬度范围内，按 EPSG:4326 读取")
        else:
            raise CRSError(
                f"{label} 没有坐标系且坐标不是经纬度 (no CRS and the coordinates are not lon/lat): "
                "用 --crs 指明，例如 --crs EPSG:3857 或 --crs EPSG:2226"
            )
    if gdf.crs.to_epsg() != 4326:
        notes.append(f"坐标系 {gdf.crs.to_string()} 已转换为 EPSG:4326")
        gdf = gdf.to_crs(4326)
    if len(gdf):
        minx, miny, maxx, maxy = gdf.total_bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise CRSError(
                f"{label} 转换后坐标超出经纬度范围 (coordinates out of range after conversion: "
                "the declared CRS is probably wrong; give the right one with --crs)"
            )
    return gdf


def _pick(columns, wanted, what: str, given):
    if given is not None:
        if given not in columns:
            raise InputError(
                f"图层没有字段 {given} (no field {given!r} for {what}; fields: {', '.join(columns)})"
            )
        return given
    low = {str(c).lower(): c for c in columns}
    for w in wanted:
        if w in low:
            return low[w]
    return None


def _clean(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return re.sub(r"\s+", " ", str(value)).strip()


def _repair(fid, geom, to_m, report: dict):
    """A polygonal, valid, 2D geometry (or None), every change reported."""
    import shapely

    if geom is None or geom.is_empty:
        report["skipped"].append({"feature": fid, "reason": "空几何 empty geometry"})
        return None
    geom = shapely.force_2d(geom)
    if geom.geom_type not in ("Polygon", "MultiPolygon", "GeometryCollection"):
        report["skipped"].append(
            {"feature": fid, "reason": f"不是面 not a polygon ({geom.geom_type})"}
        )
        return None
    if geom.is_valid and geom.geom_type != "GeometryCollection":
        return geom
    reason = shapely.is_valid_reason(geom)
    fixed = shapely.make_valid(geom) if not geom.is_valid else geom
    polys = [p for p in shapely.get_parts(fixed) if p.geom_type in ("Polygon", "MultiPolygon")]
    polys = [q for p in polys for q in shapely.get_parts(p)]
    if not polys:
        report["skipped"].append({"feature": fid, "reason": f"无法修复 cannot repair: {reason}"})
        return None
    out = polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)
    report["repairs"].append(
        {
            "feature": fid,
            "reason": reason,
            "area_before_m2": round(float(shapely.area(to_m(geom))), 1),
            "area_after_m2": round(float(shapely.area(to_m(out))), 1),
            "parts_before": int(shapely.get_num_geometries(geom)),
            "parts_after": len(polys),
        }
    )
    return out


def import_zones(
    source,
    *,
    school_field: str | None = None,
    school_name_field: str | None = None,
    level: str | None = None,
    level_field: str | None = None,
    year=None,
    crs=None,
    layer: str | None = None,
    name: str | None = None,
    jurisdiction: str | None = None,
    school_points=None,
    points_name_field: str | None = None,
    separator: str = _SEPARATORS,
) -> ZoneLayer:
    """Import a published zone layer (a path or a GeoDataFrame) — see the module doc.

    Parameters
    ----------
    source : path or GeoDataFrame
    school_field : str, optional
        The field naming each feature's school(s) (name or id); found by name when omitted.
    school_name_field : str, optional
        A field with the school's display name when ``school_field`` holds ids or codes.
    level, level_field : str, optional
        One level for the whole layer, or the field holding each feature's level; else
        guessed from the file name (``elementary_2025.geojson`` → primary).
    year : int or str, optional
        ``2025`` or a school year ``2025-2026``; else taken from the file name.
    crs : optional
        Override the layer's CRS.
    school_points : path or GeoDataFrame, optional
        School locations, matched to the zones' schools by name.
    """
    import geopandas as gpd
    import shapely

    notes: list[str] = []
    if isinstance(source, gpd.GeoDataFrame):
        label = name or "layer"
        gdf = _to_wgs84(source.copy(), crs, notes, label)
        file_name = label
    else:
        path = Path(source)
        gdf, notes = read_layer(path, layer=layer, crs=crs)
        file_name = path.name
        name = name or path.stem
    if not len(gdf):
        raise InputError(f"划片图层 {file_name} 没有要素 (the layer has no features)")
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    sfield = _pick(columns, _SCHOOL_FIELDS, "the school", school_field)
    if sfield is None:  # KML and many exports keep the label in a Name field
        sfield = next(
            (c for c in columns if str(c).lower() == "name" and gdf[c].map(_clean).any()), None
        )
        if sfield is not None:
            notes.append(f"学校取自字段 {sfield} (the school from the {sfield} field)")
    if sfield is None:
        raise InputError(
            f"找不到学校字段 (no school field found in {file_name}; fields: "
            f"{', '.join(map(str, columns)) or '无 none'}): 用 --school-field 指明"
        )
    nfield = _pick(columns, (), "the school name", school_name_field)
    lfield = _pick(columns, (), "the level", level_field) if level_field else None
    layer_level = level_of(level) if level else None
    if layer_level is None and lfield is None:
        layer_level = level_of(re.sub(r"[_\d-]+", " ", str(name or file_name)))
        if layer_level is None or layer_level.startswith("level_") or " " in str(name or ""):
            layer_level = level_of(str(name or file_name).replace("_", " "))
        if layer_level is None or layer_level not in {lv for lv, _ in _LEVELS}:
            raise InputError(
                f"不知道 {file_name} 是哪个学段 (which level? give --level primary|middle|"
                "nine_year|<label> or --level-field FIELD)"
            )
        notes.append(f"学段按文件名取 {layer_level} (level from the file name)")
    school_year, year_int = _year(year, str(name or file_name))
    to_m_crs = gdf.estimate_utm_crs()

    def to_m(g):
        return gpd.GeoSeries([g], crs=4326).to_crs(to_m_crs).iloc[0]

    points_gdf, known = _known_names(
        gdf, sfield, nfield, school_points, points_name_field, separator
    )
    report: dict = {
        "source": file_name,
        "features": int(len(gdf)),
        "school_field": str(sfield),
        "level": layer_level,
        "school_year": school_year,
        "notes": notes,
        "repairs": [],
        "skipped": [],
        "merged_copies": [],
        "multi_school": [],
        "unzoned": [],
        "level_labels": {},
        "school_keys": {},
        "ambiguous_names": [],
    }
    features = []  # (fid, row_no, geom, [school names], level, raw value, area name)
    by_shape: dict[bytes, int] = {}
    for row_no, (fid, row) in enumerate(gdf.iterrows(), start=1):
        fid = int(fid) if isinstance(fid, (int, np.integer)) else str(fid)
        geom = _repair(fid, row.geometry, to_m, report)
        if geom is None:
            continue
        raw = _clean(row[sfield])
        names = [] if raw.lower() in _NONE_VALUES | _CHOICE_VALUES else _split(raw, separator)
        if len(names) > 1 and not all(_name_key(n) in known for n in names):
            # "Smith & Jones Elementary": one school, unless every part is a school itself
            unknown = [n for n in names if _name_key(n) not in known]
            report["ambiguous_names"].append(
                {"feature": fid, "value": raw, "parts": names, "unknown": unknown}
            )
            names = [raw]
        if nfield is not None and len(names) == 1 and _clean(row[nfield]) and sfield != nfield:
            # the school field holds an id or code: the name field names the school
            report["school_keys"].setdefault(_clean(row[nfield]), set()).add(names[0])
            names = [_clean(row[nfield])]
        lv = level_of(row[lfield]) if lfield is not None else layer_level
        if lv is not None and lv not in ("primary", "middle", "nine_year"):
            text = _clean(row[lfield]) if lfield is not None else (level or lv)
            report["level_labels"].setdefault(lv, text)
        if lv is None:
            raise InputError(f"要素 {fid} 的学段字段 {lfield} 为空 (feature {fid} has no level)")
        key = shapely.to_wkb(shapely.normalize(geom)) + lv.encode()
        if key in by_shape and names:  # the same polygon published once per school: merge
            prev = features[by_shape[key]]
            prev[3].extend(n for n in names if n not in prev[3])
            report["merged_copies"].append({"feature": fid, "into": prev[0]})
            continue
        area_name = _clean(row[nfield]) if nfield is not None and not names else ""
        features.append([fid, row_no, geom, names, lv, raw, area_name])
        if names:
            by_shape[key] = len(features) - 1
    if not features:
        raise InputError(f"{file_name} 没有可用的面要素 (no usable polygon feature)")
    spec, rows = _build_spec(features, file_name, name, jurisdiction, year_int, school_year, report)
    zones = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    points = None
    if report["ambiguous_names"]:
        notes.append(
            f"{len(report['ambiguous_names'])} 个要素的学校名含分隔符但各部分不都是本图层的学校，"
            "按一所学校保留，请核对 (names with a separator kept whole: not every part is a "
            "school of the layer; see ambiguous_names)"
        )
    if school_points is not None:
        points = _match_points(points_gdf, spec, points_name_field, report)
        _inside_own_zone(points, zones, report)
    from .policy.spec import validate_spec

    problems = validate_spec(spec)
    if problems:  # pragma: no cover - a bug in the builder, never the user's input
        raise ZoneSpecError("imported spec does not follow the schema", problems=problems)
    report["school_keys"] = {k: sorted(v) for k, v in report["school_keys"].items()}
    report["zones"] = int(len(zones))
    report["schools"] = len(spec["schools"])
    return ZoneLayer(spec=spec, zones=zones, school_points=points, report=report)


def _name_key(text) -> str:
    """A school name compared as written, ignoring case and spaces (never by similarity)."""
    return re.sub(r"\s+", " ", _clean(text)).strip().lower()


def _known_names(gdf, sfield, nfield, school_points, points_name_field, separator):
    """The school points (read once, or None) and the names that are schools on their own:
    whole cells of the school field without a separator, the name field, and the points.

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"s": ["Oak", "Oak, Elm", "Elm "]}, geometry=[box(0, 0, 1, 1)] * 3)
    >>> sorted(_known_names(g, "s", None, None, None, _SEPARATORS)[1])
    ['elm', 'oak']
    """
    import geopandas as gpd

    known = set()
    for v in gdf[sfield]:
        raw = _clean(v)
        if raw and len(_split(raw, separator)) == 1:
            known.add(_name_key(raw))
    if nfield is not None:
        known |= {_name_key(v) for v in gdf[nfield] if _clean(v)}
    points = school_points
    if points is not None and not isinstance(points, gpd.GeoDataFrame):
        points, _notes = read_layer(points)
    if points is not None:
        cols = [c for c in points.columns if c != points.geometry.name]
        nf = _pick(cols, ("name", "school", "school_name", "学校", "名称"), "names", None)
        nf = points_name_field or nf
        if nf is not None and nf in points.columns:
            known |= {_name_key(v) for v in points[nf] if _clean(v)}
    return points, known


def _split(raw: str, separator: str) -> list[str]:
    out = []
    for part in re.split(separator, raw):
        part = part.strip()
        if part and part not in out:
            out.append(part)
    return out


def _year(year, name: str) -> tuple[str | None, int | None]:
    text = str(year) if year is not None else name
    m = re.search(r"((?:19|20)\d\d)\s*[-–_/]\s*((?:19|20)?\d\d)", text)
    if m:
        end = m[2] if len(m[2]) == 4 else m[1][:2] + m[2]
        return f"{m[1]}-{end}", int(m[1])
    m = re.search(r"(?:19|20)\d\d", text)
    if m:
        return None, int(m[0])
    if year is not None:
        raise InputError(f"--year {year} 不是年份 (expected 2025 or 2025-2026)")
    return None, None


def _build_spec(features, file_name, name, jurisdiction, year, school_year, report):
    ids: dict[str, str] = {}
    levels: dict[str, list[str]] = {}
    for _fid, _no, _g, names, lv, _raw, _an in features:
        for n in names:
            if n not in ids:
                base, k = _slug(n), 2
                sid = base
                while sid in ids.values():
                    sid, k = f"{base}-{k}", k + 1
                ids[n] = sid
            levels.setdefault(n, [])
            if lv not in levels[n]:
                levels[n].append(lv)
    schools = {}
    for n, sid in ids.items():
        lvs = levels[n]
        lv = "nine_year" if {"primary", "middle"} <= set(lvs) else lvs[0]
        if len(lvs) > 1 and lv != "nine_year":
            report["notes"].append(f"{n} 在多个学段 {lvs}，按 {lv}")
        keys = sorted(report["school_keys"].get(n, ()))
        code = next((k for k in [n, *keys] if re.fullmatch(r"\d{10}", k)), None)
        schools[sid] = {
            "id": sid,
            "name": n,
            "aliases": [k for k in keys if k != code],
            "level": lv,
            "code": code,
            "zones": [],
        }
        if lv not in ("primary", "middle", "nine_year"):
            schools[sid]["level_label"] = report["level_labels"].get(lv, lv)
    rows, areas = [], []
    for fid, row_no, geom, names, lv, raw, area_name in features:
        src = {
            "text": f"{file_name} 要素 feature {fid}: {raw or '（无学校 no school）'}",
            "line": row_no,
            "file": file_name,
            "feature": fid,
        }
        base = {"level": lv, "source": src["text"], "line": row_no, "within": None}
        base |= {"schematic": False, "feature": str(fid), "year": school_year or year}
        if not names:
            rid = f"area-r{len(areas) + 1:02d}"
            label = area_name or ("自主选择区域" if raw.lower() in _CHOICE_VALUES else "未划片区域")
            areas.append(
                {"rule_id": rid, "kind": "unzoned", "name": f"{label} {fid}", "level": lv}
                | {"source": src}
            )
            report["unzoned"].append({"feature": fid, "rule_id": rid, "name": areas[-1]["name"]})
            rows.append(base | {"school": None, "school_id": None, "rule_id": rid})
            rows[-1] |= {"kind": "unzoned", "schools": "", "geometry": geom}
            continue
        sids = [ids[n] for n in names]
        owner = schools[sids[0]]
        rid = f"{owner['id']}-r{len(owner['zones']) + 1:02d}"
        zone = {"rule_id": rid, "kind": "polygon", "source": src}
        if len(sids) > 1:
            zone = {"rule_id": rid, "kind": "multi_school", "source": src, "schools": sids}
            zone["area"] = f"{file_name} #{fid}"
            report["multi_school"].append(
                {"feature": fid, "rule_id": rid, "schools": sids, "names": list(names)}
            )
        owner["zones"].append(zone)
        rows.append(
            base
            | {"school": owner["name"], "school_id": owner["id"], "rule_id": rid}
            | {"kind": zone["kind"], "schools": "|".join(sids), "geometry": geom}
        )
    from .policy.facts import blank_policy

    policy = blank_policy(jurisdiction or name, None, year) | {"eligibility": None}
    if school_year:
        policy["school_year"] = school_year
    spec = {
        "spec_version": 1,
        "policy": policy,
        "schools": list(schools.values()),
        "unparsed": [],
        "conflicts": [],
        "source_file": file_name,
    }
    if areas:
        spec["areas"] = areas
    return spec, rows


def _norm_name(text) -> str:
    t = _clean(text).lower()
    t = re.sub(r"\b(school|elementary|middle|high|academy|charter)\b|学校|小学|中学", " ", t)
    return re.sub(r"[^a-z0-9\u4e00-\u9fff]+", "", t)


def _match_points(points, spec, name_field, report):
    """School points (``school_id`` + Point) matched to the spec's schools by name."""
    import difflib

    import geopandas as gpd

    if not isinstance(points, gpd.GeoDataFrame):
        points, _notes = read_layer(points)
    else:
        points = _to_wgs84(points, None, [], "school points")
    cols = [c for c in points.columns if c != points.geometry.name]
    nf = _pick(cols, ("name", "school", "school_name", "学校", "名称"), "school names", name_field)
    if nf is None:
        raise InputError(f"学校点图层没有名称字段 (no name field in school points: {cols})")
    names = {_norm_name(v): i for i, v in zip(points.index, points[nf], strict=True)}
    rows, fuzzy, missing = [], [], []
    for s in spec["schools"]:
        key = _norm_name(s["name"])
        hit = names.get(key)
        if hit is None:
            close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.85)
            if close:
                hit = names[close[0]]
                fuzzy.append({"school": s["name"], "point": str(points.loc[hit, nf])})
        if hit is None:
            missing.append(s["name"])
            continue
        g = points.loc[hit].geometry
        if g is None or g.is_empty:
            missing.append(s["name"])
            continue
        g = g if g.geom_type == "Point" else g.representative_point()
        rows.append(
            {"school_id": s["id"], "name": s["name"], "level": s["level"]} | {"geometry": g}
        )
        rows[-1] |= {"code": s["code"], "schematic": False}
    report["points"] = {"matched": len(rows), "fuzzy": fuzzy, "missing": missing}
    if not rows:
        return None
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)


def _inside_own_zone(points, zones, report) -> None:
    if points is None:
        return
    outside = []
    for sid, g in zip(points["school_id"], points.geometry, strict=True):
        own = zones[zones["schools"].str.split("|").apply(lambda s, sid=sid: sid in s)]
        if len(own) and not own.geometry.covers(g).any():
            outside.append(sid)
    report["points"]["outside_own_zone"] = outside


def check_zones(zones, spec) -> list[str]:
    """Problems that make a zones layer unusable with ``spec`` (empty when it is fine).

    >>> from geo_enroll.datasets import toy_spec, toy_zones
    >>> check_zones(toy_zones(), toy_spec())
    []
    >>> check_zones(toy_zones().drop(columns="rule_id"), toy_spec())[0].split("：")[0]
    '划片图层缺少 rule_id 列'
    """
    problems = []
    if zones.crs is None:
        return ["划片图层没有坐标系 (the zones layer has no CRS)"]
    if "rule_id" not in zones.columns:
        return [
            "划片图层缺少 rule_id 列：这不是 geo_enroll 的划片图层，用 `geo-enroll zones import "
            "文件` 导入 (not a geo_enroll zones layer: import it with `geo-enroll zones import`)"
        ]
    rules = {z["rule_id"] for s in spec.get("schools") or [] for z in s.get("zones") or []}
    rules |= {a["rule_id"] for a in spec.get("areas") or []}
    unknown = sorted({str(r) for r in zones["rule_id"]} - rules)
    if unknown:
        problems.append(
            f"划片图层的 rule_id 不在划片规则中 (rule ids not in the spec): {', '.join(unknown[:10])}"
            + (f" …（共 {len(unknown)} 个）" if len(unknown) > 10 else "")
        )
    geoms = zones.geometry
    bad = [str(r) for r, g in zip(zones["rule_id"], geoms, strict=True) if g is None]
    bad += [
        str(r)
        for r, g in zip(zones["rule_id"], geoms, strict=True)
        if g is not None and g.geom_type not in ("Polygon", "MultiPolygon")
    ]
    if bad:
        problems.append(f"这些划片不是面 (not polygons): {', '.join(bad[:10])}")
    invalid = [
        str(r)
        for r, g in zip(zones["rule_id"], geoms, strict=True)
        if g is not None and not g.is_valid
    ]
    if invalid:
        problems.append(
            f"这些划片的面无效 (invalid polygons): {', '.join(invalid[:10])}；"
            "用 `geo-enroll zones import` 修复 (repair them by importing the layer)"
        )
    return problems


def zones_for_serving(path, spec: dict | None = None, **options):
    """(spec, zones, school_points, report) to serve from a zones file.

    A geo_enroll zones layer (``rule_id`` column) is checked against ``spec``; any other
    layer is imported with :func:`import_zones` (its spec generated from the layer; giving a
    ``spec`` too is refused).  Raises :class:`~geo_enroll.errors.InputError` with every problem.
    """
    gdf, notes = read_layer(path, crs=options.pop("crs", None))
    if "rule_id" in gdf.columns:
        if spec is None:
            raise InputError(
                f"{Path(path).name} 是 geo_enroll 划片图层，需要与之对应的划片规则 --spec "
                "(a zones layer needs its zone spec: give --spec)"
            )
        problems = check_zones(gdf, spec)
        if problems:
            raise InputError(
                f"不能使用划片图层 {Path(path).name} (cannot serve these zones)", problems=problems
            )
        return spec, gdf, None, {"source": Path(path).name, "notes": notes}
    if spec is not None:
        raise InputError(
            f"{Path(path).name} 不是 geo_enroll 划片图层（没有 rule_id）：不带 --spec 直接提供它，"
            "由导入器生成划片规则；或先 `geo-enroll zones import` (a published layer brings its "
            "own spec: drop --spec, or import it first)"
        )
    r = import_zones(path, **options)
    return r.spec, r.zones, r.school_points, r.report


def write_import(result: ZoneLayer, out: str | Path) -> dict[str, Path]:
    """Write ``OUT.json`` (spec), ``OUT_zones.gpkg``, ``OUT_basemap.gpkg`` (school points, when
    any) and ``OUT_import.json`` (the report); returns the paths."""
    import json

    from .policy.spec import save_spec

    out = Path(out)
    if out.suffix.lower() in (".json", ".toml"):
        out = out.with_suffix("")
    out.parent.mkdir(parents=True, exist_ok=True)
    paths = {"spec": save_spec(result.spec, out.with_name(out.name + ".json"))}
    zpath = out.with_name(out.name + "_zones.gpkg")
    if zpath.exists():
        zpath.unlink()
    result.zones.to_file(zpath, layer="zones", driver="GPKG")
    paths["zones"] = zpath
    if result.school_points is not None:
        bpath = out.with_name(out.name + "_basemap.gpkg")
        if bpath.exists():
            bpath.unlink()
        result.school_points.to_file(bpath, layer="schools", driver="GPKG")
        paths["basemap"] = bpath
    rpath = out.with_name(out.name + "_import.json")
    rpath.write_text(json.dumps(result.report, ensure_ascii=False, indent=2) + "\n", "utf-8")
    paths["report"] = rpath
    return paths


def filled_domain(zones):
    """Per level, the land a layer claims to cover: the union of its zones with the holes
    filled — the ``domain`` for :func:`geo_enroll.impact.gaps_overlaps`, so that a pocket
    no zone covers inside the district (a repaired bow-tie, a missing feature) is a gap.

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> ring = box(0, 0, 3, 3).difference(box(1, 1, 2, 2))
    >>> z = gpd.GeoDataFrame({"level": ["primary"]}, geometry=[ring], crs=4326)
    >>> float(filled_domain(z).geometry.iloc[0].area)
    9.0
    """
    import geopandas as gpd
    import shapely

    rows = []
    for level, part in zones.groupby("level"):
        union = shapely.union_all(part.geometry.values)
        shells = [
            shapely.Polygon(p.exterior)
            for p in shapely.get_parts(union)
            if p.geom_type == "Polygon"
        ]
        rows.append({"level": level, "rule_id": None, "geometry": shapely.union_all(shells)})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=zones.crs)
