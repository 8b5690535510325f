"""CLI: ``address parse``, ``address geocode``, ``geocode`` (batch) and ``coords convert``.

Examples (shell)::

    geo-enroll address parse "内蒙古锡林郭勒盟太仆寺旗宝昌镇河沿街5组14号" --json
    geo-enroll address geocode "太仆寺旗千斤沟镇东滩村" --json --min-level village
    geo-enroll geocode students.xlsx --column 户籍地址 -o geocoded.gpkg
    geo-enroll coords convert --from gcj02 --to wgs84 115.2852 41.8858 --json
"""

from __future__ import annotations

import json
import sys

from ..errors import InputError

__all__ = ["register"]

_LEVELS = ("county", "township", "village", "road", "house_number", "compound", "poi")


def _dump(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def _gazetteer(args):
    from ..geocode import Gazetteer, load_default_gazetteer

    if getattr(args, "online", None):
        from ..geocode.online import OnlineGeocoder

        return OnlineGeocoder(args.online, enabled=True, cache_path=args.cache)
    if getattr(args, "basemap", None):
        return Gazetteer.from_data(basemap=args.basemap)
    return load_default_gazetteer()


def _parse(args) -> int:
    from ..address import parse_address

    r = parse_address(args.text)
    if args.json:
        _dump(r)
    else:
        parts = [f"{k}={r[k]}" for k in
                 ("province", "city", "county", "township", "village", "group", "road",
                  "cross_road", "lane", "house_number", "compound", "building", "unit", "floor",
                  "room") if r[k]]  # fmt: skip
        print(" ".join(parts) or "-")
        if r["codes"]:
            print("codes: " + " ".join(f"{k}={v}" for k, v in r["codes"].items()))
        for h in r["historical"]:
            now = f"{h['successor_name']} ({h['successor']})" if h["successor"] else "?"
            print(f"旧名 old name: {h['written']} → {now}, {h['change']} {h['year']}")
        if r["unplaced"]:
            print(f"未解析 unplaced: {r['unplaced']}")
        if r["reason"]:
            print(f"原因 reason: {r['reason']}")
    return 0 if not r["reason_code"] or r["codes"] else 1


def _geocode_one(args) -> int:
    r = _gazetteer(args).geocode(args.text, min_level=args.min_level)
    if args.json:
        _dump(r)
    else:
        where = f"{r['lon']:.6f},{r['lat']:.6f}" if r["lon"] is not None else "无坐标 no point"
        flag = " (示意 schematic)" if r["schematic"] else ""
        print(f"{r['level'] or '-'} {r['code'] or '-'} {where}{flag} confidence={r['confidence']}")
        if r["reason"]:
            print(f"原因 reason: {r['reason']}")
    return 0 if r["lon"] is not None else 1


def _batch(args) -> int:
    from ..geocode.batch import geocode_file

    summary = geocode_file(
        args.input, args.column, args.output, gazetteer=_gazetteer(args),
        min_level=args.min_level, progress=not args.no_progress,
    )  # fmt: skip
    if args.json:
        _dump(summary)
    else:
        print(
            f"{summary['rows']} 行 rows → {summary['output']}; 有坐标 with a point: "
            f"{summary['with_point']}; levels: {summary['by_level']}; reasons: {summary['by_reason']}",
            file=sys.stderr,
        )
    # a file in which no address could be located is a failure, not a result
    return 0 if summary["with_point"] or not summary["rows"] else 1


def _convert(args) -> int:
    from ..coords import convert

    try:
        lon, lat = float(args.lon), float(args.lat)
    except ValueError:
        raise InputError(
            f"坐标须为数字 LON and LAT must be numbers, got {args.lon!r} {args.lat!r}"
        ) from None
    x, y = convert(lon, lat, args.from_crs, args.to_crs)
    if args.json:
        _dump({"lon": round(x, 9), "lat": round(y, 9)})
    else:
        print(f"{x:.9f} {y:.9f}")
    return 0


def register(subparsers) -> None:
    """Add ``address``, ``geocode`` and ``coords`` to the ``geo-enroll`` command line."""
    addr = subparsers.add_parser("address", help="地址解析与编码 parse or geocode one address")
    sub = addr.add_subparsers(dest="address_command", metavar="SUBCOMMAND", required=True)
    p = sub.add_parser("parse", help="解析地址 split an address into its parts with official codes")
    p.add_argument("text", metavar="TEXT")
    p.add_argument("--json", action="store_true", help="print the full result as JSON")
    p.set_defaults(func=_parse)

    g = sub.add_parser("geocode", help="地址→坐标 geocode one address (offline gazetteer)")
    g.add_argument("text", metavar="TEXT")
    g.add_argument("--json", action="store_true")
    g.add_argument("--min-level", choices=_LEVELS, default=None,
                   help="precision gate: no point for a coarser match")  # fmt: skip
    g.add_argument("--basemap", help="base-map GeoPackage (default data/boundaries/…)")
    g.add_argument("--online", metavar="PROVIDER",
                   help="use an online geopy geocoder instead (sends the address out)")  # fmt: skip
    g.add_argument("--cache", default="~/.cache/geo_enroll/geocode.sqlite",
                   help="on-disk cache of online answers")  # fmt: skip
    g.set_defaults(func=_geocode_one)

    b = subparsers.add_parser("geocode", help="批量编码 geocode a column of a CSV/XLSX file")
    b.add_argument("input", metavar="IN", help="input .csv or .xlsx")
    b.add_argument("--column", required=True, help="address column, e.g. 户籍地址")
    b.add_argument("-o", "--output", required=True, help="output .csv or .gpkg")
    b.add_argument("--min-level", choices=_LEVELS, default=None)
    b.add_argument("--basemap")
    b.add_argument("--online", metavar="PROVIDER")
    b.add_argument("--cache", default="~/.cache/geo_enroll/geocode.sqlite")
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    b.add_argument("--json", action="store_true", help="print the summary as JSON")
    b.set_defaults(func=_batch)

    c = subparsers.add_parser(
        "coords", help="坐标转换 coordinate systems (WGS84/CGCS2000/GCJ-02/BD-09)"
    )
    csub = c.add_subparsers(dest="coords_command", metavar="SUBCOMMAND", required=True)
    cv = csub.add_parser("convert", help="convert one point: LON LAT")
    cv.add_argument("--from", dest="from_crs", required=True, help="wgs84|cgcs2000|gcj02|bd09")
    cv.add_argument("--to", dest="to_crs", required=True, help="wgs84|cgcs2000|gcj02|bd09")
    cv.add_argument("lon", metavar="LON")
    cv.add_argument("lat", metavar="LAT")
    cv.add_argument("--json", action="store_true")
    cv.set_defaults(func=_convert)
