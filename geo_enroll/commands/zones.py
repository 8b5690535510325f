"""``geo-enroll zones import FILE``: bring your own zones (a published zone layer).

Reads any GDAL vector layer (GeoJSON, GeoPackage, Shapefile, KML …), maps its fields to the
zones contract, repairs invalid polygons (each repair reported), turns features naming
several schools into multi-school zones and features without a school into unzoned areas,
and writes ``OUT.json`` (zone spec), ``OUT_zones.gpkg``, ``OUT_basemap.gpkg`` (school points,
with ``--schools``) and ``OUT_import.json`` (the report).  ``geo-enroll serve --policy
OUT.json`` then serves it; ``geo-enroll impact`` compares two school years.

``geo-enroll zones check SPEC ZONES`` checks a zones layer against its spec (what ``serve``
checks at start).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("zones", help="划片图层：导入已发布的划片图层 (import a zone layer)")
    sub = p.add_subparsers(dest="zones_command", metavar="ACTION")
    imp = sub.add_parser(
        "import",
        help="导入划片图层 (GeoJSON/GPKG/SHP/KML …) 生成划片规则与划片图层",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    imp.add_argument("file", help="the zone layer (any GDAL vector format)")
    imp.add_argument("--layer", default=None, help="layer name in a multi-layer file")
    imp.add_argument("--school-field", default=None, help="field naming each zone's school(s)")
    imp.add_argument(
        "--school-name-field", default=None, help="field with the school's display name"
    )
    lv = imp.add_mutually_exclusive_group()
    lv.add_argument(
        "--level", default=None, help="level of every zone: primary, middle, nine_year or a label"
    )
    lv.add_argument("--level-field", default=None, help="field holding each zone's level")
    imp.add_argument("--year", default=None, help="year or school year (2025 or 2025-2026)")
    imp.add_argument("--crs", default=None, help="the layer's CRS when missing or wrong")
    imp.add_argument("--jurisdiction", default=None, help="name of the district (default: file)")
    imp.add_argument("--schools", default=None, help="school points layer (matched by name)")
    imp.add_argument("--schools-name-field", default=None, help="name field of --schools")
    imp.add_argument(
        "--out",
        default=None,
        help="output stem (default: the file's stem in the current folder): writes OUT.json, "
        "OUT_zones.gpkg, OUT_import.json",
    )
    imp.add_argument("--json", action="store_true", help="print the report as JSON")
    imp.set_defaults(func=_import)
    chk = sub.add_parser("check", help="检查划片图层能否与划片规则一起使用 (what serve checks)")
    chk.add_argument("spec", help="zone spec (TOML/JSON)")
    chk.add_argument("zones", help="zones layer")
    chk.set_defaults(func=_check)
    p.set_defaults(func=lambda a: (p.print_help(), 2)[1])


def _import(args: argparse.Namespace) -> int:
    from ..zonelayer import import_zones, write_import

    r = import_zones(
        args.file,
        school_field=args.school_field,
        school_name_field=args.school_name_field,
        level=args.level,
        level_field=args.level_field,
        year=args.year,
        crs=args.crs,
        layer=args.layer,
        jurisdiction=args.jurisdiction,
        school_points=args.schools,
        points_name_field=args.schools_name_field,
    )
    from .. import impact
    from ..zonelayer import filled_domain

    diag = impact.gaps_overlaps(r.spec, r.zones, domain=filled_domain(r.zones))
    r.report["problems"] = impact.count_problems(diag)
    out = Path(args.out) if args.out else Path(Path(args.file).stem)
    paths = write_import(r, out)
    if args.json:
        print(json.dumps(r.report | {"written": {k: str(v) for k, v in paths.items()}}, indent=2))
        return 0
    print(summary(r.report))
    for what, path in paths.items():
        print(f"  {what}: {path}")
    return 0


def summary(report: dict) -> str:
    """The import report as lines a planner reads."""
    lines = [
        f"导入 imported {report['source']}: {report['features']} 个要素 features → "
        f"{report['zones']} 个划片 zones, {report['schools']} 所学校 schools "
        f"(学段 level {report.get('level') or '按字段 by field'}, "
        f"学年 year {report.get('school_year') or '—'})"
    ]
    lines += [f"  注意 note: {n}" for n in report.get("notes") or []]
    for r in report.get("repairs") or []:
        lines.append(
            f"  修复 repaired feature {r['feature']}: {r['reason']}; area {r['area_before_m2']} → "
            f"{r['area_after_m2']} m², parts {r['parts_before']} → {r['parts_after']}"
        )
    for s in report.get("skipped") or []:
        lines.append(f"  跳过 skipped feature {s['feature']}: {s['reason']}")
    for m in report.get("merged_copies") or []:
        lines.append(f"  合并 merged copy: feature {m['feature']} = feature {m['into']}")
    for m in report.get("multi_school") or []:
        lines.append(
            f"  多校划片 multi-school {m['rule_id']}: {', '.join(m.get('names') or m['schools'])}"
        )
    for u in report.get("unzoned") or []:
        lines.append(f"  未划片区域 unzoned area {u['rule_id']}: {u['name']}")
    if report.get("problems"):
        lines.append(
            "  空白/重叠 gaps/overlaps (inside the layer's own extent): "
            + ", ".join(f"{k} {v}" for k, v in report["problems"].items())
        )
    pts = report.get("points")
    if pts:
        lines.append(f"  学校位置 school points: {pts['matched']} matched")
        lines += [f"    近似匹配 fuzzy: {f['school']} ≈ {f['point']}" for f in pts["fuzzy"]]
        lines += [f"    缺少 missing: {m}" for m in pts["missing"]]
        lines += [f"    不在本校划片内 outside its own zone: {s}" for s in pts["outside_own_zone"]]
    return "\n".join(lines)


def _check(args: argparse.Namespace) -> int:
    from ..errors import InputError
    from ..policy.spec import load_spec
    from ..zonelayer import check_zones, read_layer

    spec = load_spec(args.spec)
    gdf, _notes = read_layer(args.zones)
    problems = check_zones(gdf, spec)
    if problems:
        raise InputError(f"划片图层 {args.zones} 不能使用 (unusable zones)", problems=problems)
    print(f"划片图层可用 zones OK: {len(gdf)} zones")
    return 0
