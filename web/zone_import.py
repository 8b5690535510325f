"""Planner upload of a published zone layer: the same importer as ``geo-enroll zones import``
(:mod:`geo_enroll.zonelayer`), the result saved as a new **draft** version with its
diagnostics (repairs, multi-school zones, unzoned areas, gaps and overlaps) — never published
silently: publishing stays the planner's explicit step (with its gap/overlap confirmation).

A geo_enroll zones layer (``rule_id``) keeps the current spec and is checked against it; any
other layer brings its own spec, generated from the layer.  Shapefiles come as a ``.zip``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from geo_enroll.errors import InputError

__all__ = ["import_upload", "ACCEPTED"]

ACCEPTED = (".geojson", ".json", ".gpkg", ".kml", ".kmz", ".zip", ".fgb", ".gml", ".shp")


def import_upload(upload, *, key: str | None, author: str, options: dict, lang: str = "zh"):
    """Import an uploaded file into a new draft version of the jurisdiction ``key``."""
    import json

    from geo_enroll import impact
    from geo_enroll.zonelayer import check_zones, filled_domain, import_zones, read_layer

    from . import services

    if upload is None or not upload.filename:
        raise InputError("请选择划片图层文件 (choose a zone layer file to upload)")
    name = Path(upload.filename).name
    suffix = Path(name).suffix.lower()
    if suffix not in ACCEPTED:
        raise InputError(
            f"不支持的文件类型 {suffix or '（无扩展名）'} (unsupported file type; expected "
            f"{', '.join(ACCEPTED)}; a Shapefile as a .zip of its .shp/.shx/.dbf/.prj)"
        )
    j = services.jurisdiction(key)
    current = services.current_version(j)
    with tempfile.TemporaryDirectory(prefix="geo_enroll_upload_") as tmp:
        path = Path(tmp) / name
        upload.save(path)
        src = f"/vsizip/{path}" if suffix == ".zip" else path
        gdf, notes = read_layer(src, crs=options.get("crs") or None)
        if "rule_id" in gdf.columns:  # a geo_enroll zones layer of the current spec
            spec = current["spec"]
            problems = check_zones(gdf, spec)
            if problems:
                raise InputError(
                    f"不能使用上传的划片图层 {name} (unusable zones)", problems=problems
                )
            zones = gdf.reset_index(drop=True)
            report = {"source": name, "features": len(gdf), "zones": len(gdf), "notes": notes}
            report |= {"schools": len(spec.get("schools") or []), "kept_spec": True}
        else:
            r = import_zones(
                src,
                school_field=options.get("school_field") or None,
                level=options.get("level") or None,
                year=options.get("year") or None,
                crs=options.get("crs") or None,
                name=Path(name).stem,
                jurisdiction=j.name,
            )
            spec, zones, report = r.spec, r.zones, r.report | {"kept_spec": False}
    fc = json.loads(zones.to_json(drop_id=True))
    diag = impact.gaps_overlaps(spec, zones, domain=filled_domain(zones))
    message = str(options.get("message") or "").strip() or f"导入划片图层 imported {name}"
    vid = services.store().save_version(
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
