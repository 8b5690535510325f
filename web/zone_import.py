"""Planner upload of a published zone layer: the same importer as ``geo-enroll zones import``
(:mod:`geo_enroll.zonelayer`), the result saved as a new **draft** version with its
diagnostics (repairs, multi-school zones, unzoned areas, gaps and overlaps) — never published
silently: publishing stays the planner's explicit step (with its gap/overlap confirmation).

A geo_enroll zones layer (``rule_id``) keeps the current spec and is checked against it; any
other layer brings its own spec, generated from the layer.  Shapefiles come as a ``.zip``
(read by pyogrio directly).  Messages name the user's file, never the server's temporary path.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from geo_enroll.errors import GeoEnrollError, InputError

__all__ = ["import_upload", "ACCEPTED"]

ACCEPTED = (".geojson", ".json", ".gpkg", ".kml", ".kmz", ".zip", ".fgb", ".gml", ".shp")


def import_upload(upload, *, key: str | None, author: str, options: dict, lang: str = "zh"):
    """Import an uploaded file into a new draft version of the jurisdiction ``key``."""
    import json

    from geo_enroll import impact
    from geo_enroll.zonelayer import filled_domain

    from . import common

    if upload is None or not upload.filename:
        raise InputError("请选择划片图层文件 (choose a zone layer file to upload)")
    name = Path(upload.filename).name
    suffix = Path(name).suffix.lower()
    if suffix not in ACCEPTED:
        raise InputError(
            f"不支持的文件类型 {suffix or '（无扩展名）'} (unsupported file type; expected "
            f"{', '.join(ACCEPTED)}; a Shapefile as a .zip of its .shp/.shx/.dbf/.prj)"
        )
    j = common.jurisdiction(key)
    current = common.current_version(j)
    with tempfile.TemporaryDirectory(prefix="geo_enroll_upload_") as tmp:
        path = Path(tmp) / name  # its own name: reports and sources name the user's file
        upload.save(path)
        if suffix == ".zip":
            _check_zip(path, name)
        try:
            spec, zones, report = _read(path, name, current, j, options)
        except GeoEnrollError as exc:
            raise _without_path(exc, tmp, path, name) from None
        except Exception as exc:  # noqa: BLE001 - GDAL/pyogrio errors name the temp file
            raise InputError(
                f"无法读取划片图层 {name}：{_scrub(str(exc), tmp, path, name)} (cannot read the "
                "file as a vector layer; expected GeoJSON, GeoPackage, KML or a .zip Shapefile)"
            ) from None
    fc = json.loads(zones.to_json(drop_id=True))
    diag = impact.gaps_overlaps(spec, zones, domain=filled_domain(zones))
    message = str(options.get("message") or "").strip() or f"导入划片图层 imported {name}"
    vid = common.store().save_version(
        spec=spec,
        zones=fc,
        author=author,
        message=message[:500],
        parent_id=current["id"] if current else None,
        jurisdiction=j.key,
    )
    return {
        "version": {"id": vid, "parent_id": current["id"] if current else None},
        "current": current["id"] if current else None,
        "published": False,
        "jurisdiction": j.public(lang),
        "report": report,
        "problems": impact.count_problems(diag),
    }


def _check_zip(path: Path, name: str) -> None:
    """A .zip upload must be a zip holding a Shapefile (.shp with its .shx and .dbf) or
    another vector file; said plainly, before GDAL's own words."""
    import zipfile

    if not zipfile.is_zipfile(path):
        raise InputError(f"{name} 不是有效的 zip 文件 (not a valid zip archive): 请重新压缩后上传")
    with zipfile.ZipFile(path) as z:
        members = [Path(m).name.lower() for m in z.namelist() if not m.endswith("/")]
    stems = {m.rsplit(".", 1)[0] for m in members if m.endswith(".shp")}
    other = [m for m in members if m.endswith(tuple(x for x in ACCEPTED if x != ".zip"))]
    if not stems and not other:
        raise InputError(
            f"{name} 中没有 .shp 或其他图层文件 (the zip holds no .shp or other layer file; "
            f"found: {', '.join(members[:10]) or '空 empty'})"
        )
    missing = [
        f"{s}.{e}" for s in sorted(stems) for e in ("shx", "dbf") if f"{s}.{e}" not in members
    ]
    if missing:
        raise InputError(
            f"{name} 中的 Shapefile 不完整，缺少 {', '.join(missing)} (a Shapefile needs its "
            ".shp, .shx and .dbf, and a .prj for the CRS)"
        )


def _scrub(text: str, tmp: str, path: Path, name: str) -> str:
    """``text`` with the server's temporary path replaced by the user's file name.

    >>> _scrub("/tmp/x/学区.zip: bad; /vsizip//tmp/x/学区.zip/a.shp; /tmp/x", "/tmp/x",
    ...        Path("/tmp/x/学区.zip"), "学区.zip")
    '学区.zip: bad; 学区.zip/a.shp; （上传文件）'
    """
    text = str(text).replace("/vsizip/" + str(path), name).replace(str(path), name)
    return text.replace(str(tmp) + "/", "").replace(str(tmp), "（上传文件）")


def _without_path(exc: GeoEnrollError, tmp: str, path: Path, name: str) -> GeoEnrollError:
    exc.message = _scrub(exc.message, tmp, path, name)
    exc.problems = [_scrub(p, tmp, path, name) for p in exc.problems]
    exc.args = (exc.message,)
    return exc


def _read(path: Path, name: str, current, j, options: dict):
    """(spec, zones, report) of the saved upload ``path``; reports name the user's ``name``."""
    from geo_enroll.zonelayer import check_zones, import_zones, read_layer

    gdf, notes = read_layer(path, crs=options.get("crs") or None)
    if "rule_id" in gdf.columns:  # a geo_enroll zones layer of the current spec
        spec = current["spec"]
        problems = check_zones(gdf, spec)
        if problems:
            raise InputError(f"不能使用上传的划片图层 {name} (unusable zones)", problems=problems)
        zones = gdf.reset_index(drop=True)
        report = {"source": name, "features": len(gdf), "zones": len(gdf), "notes": notes}
        report |= {"schools": len(spec.get("schools") or []), "kept_spec": True}
        return spec, zones, report
    r = import_zones(
        path,
        school_field=options.get("school_field") or None,
        level=options.get("level") or None,
        year=options.get("year") or None,
        crs=options.get("crs") or None,
        name=Path(name).stem,
        jurisdiction=j.name,
    )
    return r.spec, r.zones, r.report | {"kept_spec": False}
