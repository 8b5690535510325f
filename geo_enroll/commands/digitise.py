"""CLI: ``basemap build-schematic``, ``basemap import``, ``digitise`` and ``map``.

geo-enroll basemap build-schematic -o MAP.gpkg
geo-enroll basemap import SRC --name-field F [--layer L] [--kind K] [--crs C] -o MAP.gpkg
geo-enroll digitise SPEC --basemap MAP -o ZONES.gpkg|.geojson [--report REPORT.json]
geo-enroll map ZONES --basemap MAP -o zones.html [--report REPORT.json] [--tiles URL]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import InputError

__all__ = ["register"]


def register(subparsers) -> None:
    bm = subparsers.add_parser("basemap", help="底图 base maps: build the schematic one, import")
    bsub = bm.add_subparsers(dest="basemap_command", metavar="ACTION")
    p = bsub.add_parser("build-schematic", help="build the schematic 宝昌镇 base map")
    p.add_argument("-o", "--output", required=True, help="output GeoPackage (.gpkg)")
    p.add_argument("--data", help="data folder (default: the project's data/)")
    p.set_defaults(func=_build_schematic)
    p = bsub.add_parser("import", help="import OSM XML/PBF, GeoJSON, GeoPackage or Shapefile")
    p.add_argument("source", help="input file")
    p.add_argument("--name-field", default="name", help="attribute holding names (default name)")
    p.add_argument("--layer", help="layer of a multi-layer file")
    p.add_argument("--kind", help="kind for every feature (road, river, compound, community...)")
    p.add_argument("--crs", help="source CRS if missing or wrong (EPSG:4326, EPSG:32650, gcj02)")
    p.add_argument("--district", default="", help="district the streets belong to")
    p.add_argument("-o", "--output", required=True, help="output GeoPackage (.gpkg)")
    p.set_defaults(func=_import)
    bm.set_defaults(func=lambda args: (bm.print_help(), 2)[1])

    p = subparsers.add_parser("digitise", help="划片数字化 zone spec + base map -> zone polygons")
    p.add_argument("spec", help="zone spec (.toml or .json)")
    p.add_argument("--basemap", required=True, help="base map GeoPackage")
    p.add_argument("-o", "--output", required=True, help="zones (.gpkg or .geojson)")
    p.add_argument("--report", help="diagnostics report (.json)")
    p.add_argument("--district", help="prefer street names in this district")
    p.set_defaults(func=_digitise)

    p = subparsers.add_parser("map", help="an offline HTML map of zones, gaps and overlaps")
    p.add_argument("zones", help="zones (.gpkg or .geojson)")
    p.add_argument("--basemap", help="base map GeoPackage (streets drawn)")
    p.add_argument("--report", help="diagnostics report (.json) to highlight gaps and overlaps")
    p.add_argument("--tiles", help="optional tile URL template (none by default: offline)")
    p.add_argument("-o", "--output", required=True, help="output .html")
    p.set_defaults(func=_map)


def _build_schematic(args: argparse.Namespace) -> int:
    from ..basemap.layers import write_basemap
    from ..basemap.schematic import build_schematic

    out = _output(args.output, (".gpkg",))
    bm = build_schematic(args.data)
    write_basemap(bm, out)
    print(
        f"示意底图 schematic base map written: {out} "
        f"({len(bm.streets)} streets, {len(bm.areas)} areas, {len(bm.schools)} schools)"
    )
    return 0


def _import(args: argparse.Namespace) -> int:
    from ..basemap.importers import import_any
    from ..basemap.layers import write_basemap

    out = _output(args.output, (".gpkg",))
    bm = import_any(
        args.source,
        name_field=args.name_field,
        layer=args.layer,
        kind=args.kind,
        crs=args.crs,
        district=args.district,
    )
    write_basemap(bm, out)
    numbered = int(bm.addresses["number"].notna().sum()) if len(bm.addresses) else 0
    print(
        f"base map written: {out} ({len(bm.streets)} streets, {len(bm.landmarks)} landmarks, "
        f"{len(bm.areas)} areas, {numbered} house numbers, "
        f"{len(bm.addresses) - numbered} named places)"
    )
    return 0


def _digitise(args: argparse.Namespace) -> int:
    from ..basemap.layers import read_basemap
    from ..diagnostics import build_report, write_report
    from ..digitise import digitise, load_spec, write_zones

    out = _output(args.output, (".gpkg", ".geojson", ".json"))
    spec = load_spec(args.spec)
    bm = read_basemap(args.basemap)
    result = digitise(spec, bm, district=args.district)
    write_zones(result.zones, out)
    report = build_report(
        result, spec_name=Path(args.spec).name, basemap_name=Path(args.basemap).name
    )
    if args.report:
        write_report(report, args.report)
    print(report["summary"])
    print(f"zones written: {out}" + (f"; report: {args.report}" if args.report else ""))
    return 0


def _map(args: argparse.Namespace) -> int:
    import json

    from ..basemap.layers import read_basemap
    from ..mapview import read_zones, zones_map

    out = _output(args.output, (".html", ".htm"))
    zones = read_zones(args.zones)
    bm = read_basemap(args.basemap) if args.basemap else None
    report = None
    if args.report:
        try:
            report = json.loads(Path(args.report).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"report {args.report} cannot be read: {exc}") from None
    m = zones_map(zones, basemap=bm, report=report, tiles=args.tiles)
    m.save(str(out))
    print(f"map written: {out}", file=sys.stdout)
    return 0


def _output(path: str, suffixes: tuple[str, ...]) -> Path:
    out = Path(path)
    if out.suffix.lower() not in suffixes:
        raise InputError(f"output {path}: expected a file ending in {' or '.join(suffixes)}")
    if out.exists() and out.is_dir():
        raise InputError(f"output {path} is a folder; give a file name")
    return out
