"""CLI: ``impact`` — what an edited zone set changes for the current cohort.

Example (shell)::

    geo-enroll impact --policy data/boundaries/taipusi_2024.toml \\
        --zones data/boundaries/taipusi_2024_zones.gpkg --new-zones edited.geojson \\
        --students students.csv --seed 7 [-o impact/] [--json]

The cohort is placed under both zone sets (same seed, seat table and base map as
``geo-enroll place``); the command prints who changes school (``student_id`` only), the seat
balance per school before → after, the changed areas (m², local UTM) and the gaps/overlaps the
edit creates (:func:`geo_enroll.impact.compare`).  ``-o`` writes ``impact.json``,
``changes.csv``, ``seats.csv`` and ``changed_zones.geojson`` (EPSG:4326).  A policy of the toy
town (county code 999999, :mod:`geo_enroll.datasets`) uses the toy gazetteer, school points and
seat table.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import CRSError, GeoEnrollError, InputError

__all__ = ["register"]

_REQUIRED = ("school", "school_id", "level", "rule_id")


def _read_zones(path: Path, label: str):
    """A zone layer (GeoPackage layer ``zones`` or GeoJSON) in EPSG:4326, checked."""
    import geopandas as gpd

    from ..basemap.layers import check_coordinates

    if path.suffix.lower() in (".geojson", ".json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            raise InputError(f"{label} {path}: 不是 UTF-8 文本 (not UTF-8 GeoJSON)") from None
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{label} {path}: GeoJSON 无效 (invalid JSON at line {exc.lineno} column "
                f"{exc.colno}: {exc.msg}; export the layer again as GeoJSON)"
            ) from None
        if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
            got = data.get("type") if isinstance(data, dict) else type(data).__name__
            raise InputError(
                f"{label} {path}: 应为 GeoJSON FeatureCollection, 收到 {got} "
                "(expected a FeatureCollection of zone polygons)"
            )
        bad = [
            f"feature {i}: no geometry"
            for i, f in enumerate(data.get("features") or [])
            if not isinstance(f, dict) or not f.get("geometry")
        ]
        if bad:
            raise InputError(f"{label} {path}: GeoJSON 要素无几何 (invalid features)", problems=bad)
    elif path.suffix.lower() != ".gpkg":
        raise InputError(
            f"{label} {path}: 应为 .gpkg 或 .geojson, 收到 {path.suffix or '无扩展名'} "
            "(expected a GeoPackage or GeoJSON)"
        )
    try:
        if path.suffix.lower() == ".gpkg":
            import pyogrio

            layers = [str(r[0]) for r in pyogrio.list_layers(path)]
            if "zones" not in layers:
                raise InputError(
                    f"{label} {path}: 没有 zones 图层 (no layer 'zones'; layers: "
                    f"{', '.join(layers) or 'none'}; build it with `geo-enroll digitise`)"
                )
            gdf = gpd.read_file(path, layer="zones")
        else:
            gdf = gpd.read_file(path)
    except GeoEnrollError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file
        raise InputError(f"{label} {path}: 无法读取 (cannot read: {exc})") from None
    problems = check_coordinates(gdf, where=f"{label} {path}")
    if problems:
        raise CRSError(f"{label} {path}: 坐标系有误 (CRS mix-up)", problems=problems)
    missing = [c for c in _REQUIRED if c not in gdf.columns]
    if missing:
        raise InputError(
            f"{label} {path}: 缺少字段 {', '.join(missing)} (missing columns of the zones "
            "layer; see docs/ARCHITECTURE.md § Zones)"
        )
    return gdf.to_crs(4326) if gdf.crs.to_epsg() != 4326 else gdf


def _context(policy: Path, spec: dict, schools_arg: str | None):
    """(gazetteer, seat table, school points) as ``geo-enroll place`` picks them."""
    import geopandas as gpd

    from ..datasets import TOY_COUNTY_CODE

    if str((spec.get("policy") or {}).get("county_code") or "") == TOY_COUNTY_CODE:
        from ..datasets import toy_gazetteer, toy_school_points, toy_schools

        seats = Path(schools_arg) if schools_arg else toy_schools()
        return toy_gazetteer(), seats, toy_school_points()
    from ..geocode import Gazetteer, load_default_gazetteer
    from .place import _default_basemap, _default_schools

    seats = Path(schools_arg) if schools_arg else _default_schools(policy)
    basemap = _default_basemap(policy, spec)
    points = None
    if basemap is not None and basemap.exists():
        import pyogrio

        if "schools" in {str(r[0]) for r in pyogrio.list_layers(basemap)}:
            points = gpd.read_file(basemap, layer="schools")
    if basemap is not None and basemap.exists() and basemap.name != "baochang_schematic.gpkg":
        return Gazetteer.from_data(basemap=basemap), seats, points
    return load_default_gazetteer(), seats, points


def _records(df) -> list[dict]:
    return [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
        for r in df.fillna("").to_dict("records")
    ]


def _impact(args) -> int:
    import geopandas as gpd
    import pandas as pd

    from .. import impact
    from ..placement.run import place
    from ..policy.spec import load_spec

    paths = {
        "--policy": args.policy,
        "--zones": args.zones,
        "--new-zones": args.new_zones,
        "--students": args.students,
    } | ({"--schools": args.schools} if args.schools else {})
    missing = [
        f"{k} {v}: 文件不存在 (file not found)" for k, v in paths.items() if not Path(v).exists()
    ]
    if missing:
        raise InputError("找不到输入文件 (input files not found)", problems=missing)
    policy = Path(args.policy)
    spec = load_spec(policy)
    old = _read_zones(Path(args.zones), "--zones")
    new = _read_zones(Path(args.new_zones), "--new-zones")
    if len(old) and len(new):
        a, b = old.total_bounds, new.total_bounds
        if a[0] > b[2] or b[0] > a[2] or a[1] > b[3] or b[1] > a[3]:
            raise CRSError(
                f"--zones 与 --new-zones 不重叠 (the two zone sets do not overlap: "
                f"{a.round(4).tolist()} vs {b.round(4).tolist()}; is one of them in another "
                "CRS or for another county?)"
            )
    gazetteer, seats, points = _context(policy, spec, args.schools)
    seat_table = (
        seats
        if isinstance(seats, pd.DataFrame)
        else pd.read_csv(seats, dtype=str, keep_default_na=False, comment="#")
        if Path(seats).exists()
        else None
    )

    def run(zones: gpd.GeoDataFrame) -> dict:
        res = place(
            args.students,
            spec=spec,
            zones=zones,
            gazetteer=gazetteer,
            schools=seats,
            seed=args.seed,
            school_points=points,
        )
        for w in res.warnings:
            warnings.add(w)
        return {"placements": _records(res.placements), "schools": _records(res.schools)}

    warnings: set[str] = set()
    before, after = run(old), run(new)
    res = impact.compare(
        spec_before=spec,
        zones_before=old,
        placement_before=before,
        spec_after=spec,
        zones_after=new,
        placement_after=after,
        seats_before=seat_table if seat_table is not None else before["schools"],
    )
    res = {"seed": int(args.seed)} | {k: v for k, v in res.items() if k != "spec_changed"}
    for w in sorted(warnings):
        print(f"警告 warning: {w}", file=sys.stderr)
    if args.output:
        _write(Path(args.output), res)
    if args.json:
        print(json.dumps(res, ensure_ascii=False, indent=1, default=str))
    else:
        _print(res, spec)
    return 0


def _write(out: Path, res: dict) -> None:
    import pandas as pd

    out.mkdir(parents=True, exist_ok=True)
    (out / "impact.json").write_text(
        json.dumps(res, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8"
    )
    pd.DataFrame(res["changes"], columns=["student_id", "level", "from", "to", "status"]).to_csv(
        out / "changes.csv", index=False, lineterminator="\n"
    )
    after = {r["school_id"]: r for r in res["seats_after"]}
    rows = [
        {
            "school_id": r["school_id"],
            "level": r["level"],
            "seats": r["seats"],
            "placed_before": r["placed"],
            "placed_after": after.get(r["school_id"], {}).get("placed", 0),
            "balance_before": r["balance"],
            "balance_after": after.get(r["school_id"], {}).get("balance", r["seats"]),
        }
        for r in res["seats_before"]
    ]
    pd.DataFrame(rows).to_csv(out / "seats.csv", index=False, lineterminator="\n")
    (out / "changed_zones.geojson").write_text(
        json.dumps(res["changed_zones"], ensure_ascii=False) + "\n", encoding="utf-8"
    )


def _print(res: dict, spec: dict) -> None:
    names = {s.get("id"): s.get("name") for s in spec.get("schools") or []}

    def name(sid: str) -> str:
        return names.get(sid, sid) if sid else "—(无学校 none)"

    print(f"改变学校的儿童 children who change school: {res['n_changes']} (seed {res['seed']})")
    for c in res["changes"]:
        print(f"  {c['student_id']}  {c['level'] or ''}  {name(c['from'])} → {name(c['to'])}")
    print(
        "学位余量 seat balance per school (seats; placed before → after; balance before → after):"
    )
    after = {r["school_id"]: r for r in res["seats_after"]}
    for r in res["seats_before"]:
        a = after.get(r["school_id"], r)
        print(
            f"  {r['school']} ({r['school_id']}): {r['seats']}; {r['placed']} → {a['placed']}; "
            f"{r['balance']} → {a['balance']}"
        )
    feats = res["changed_zones"]["features"]
    print(f"变化区域 changed areas: {len(feats)} rules, {res['changed_area_m2']:.1f} m² in all")
    for f in feats:
        p = f["properties"]
        print(f"  {p['rule_id']} {p['change']}: {p['area_m2']:.1f} m²")
    created = [
        (lv, k, p) for lv, v in res["created"].items() for k in ("gaps", "overlaps") for p in v[k]
    ]
    print(f"新增空白/重叠 gaps/overlaps created: {len(created)}")
    for lv, k, p in created:
        print(f"  {lv} {k[:-1]}: {p['area_m2']:.1f} m² at {p.get('point')} rules {p.get('rules')}")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "impact", help="改划片影响评估 impact of an edited zone set on the current cohort"
    )
    p.add_argument("--policy", required=True, help="zone spec (TOML/JSON)")
    p.add_argument("--zones", required=True, help="current zones (GeoPackage layer zones/GeoJSON)")
    p.add_argument(
        "--new-zones", dest="new_zones", required=True, help="edited zones (.gpkg/.geojson)"
    )
    p.add_argument("--students", required=True, help="applicant table (CSV/XLSX)")
    p.add_argument("--schools", help="seat table CSV (default: as for `geo-enroll place`)")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("-o", "--output", help="folder for impact.json, changes.csv, seats.csv, ...")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=_impact)
    y = subparsers.add_parser(
        "impact-years",
        help="两个学年的划片对比 two school years of zones side by side (who changes school)",
        description="Compare two school years of the same level (e.g. two imported layers: "
        "`geo-enroll zones import` writes SPEC.json + SPEC_zones.gpkg): who changes school, "
        "the seat balance per school, the land whose school changed.",
    )
    y.add_argument("before", help="zone spec of the earlier year (its _zones.gpkg beside it)")
    y.add_argument("after", help="zone spec of the later year")
    y.add_argument("--level", default=None, help="level to compare (default: the specs' first)")
    y.add_argument("--homes", default=None, help="CSV of id,lon,lat (WGS 84) of the children")
    y.add_argument(
        "--synthetic",
        type=int,
        default=None,
        metavar="N",
        help="without --homes: N synthetic homes spread evenly over the zoned land (labelled)",
    )
    y.add_argument("--seed", type=int, default=7, help="seed of --synthetic (default 7)")
    y.add_argument("--seats", default=None, help="CSV of school_id,seats for the later year")
    y.add_argument("-o", "--output", default=None, help="folder for impact_years.json + CSVs")
    y.add_argument("--json", action="store_true", help="print the result as JSON")
    y.set_defaults(func=_impact_years)


def _spec_and_zones(path: Path):
    from ..policy.spec import companion_file, load_spec

    if not path.exists():
        raise InputError(f"{path}: 文件不存在 (file not found)")
    spec = load_spec(path)
    zpath = companion_file(path, "zones.gpkg") or companion_file(path, "zones.geojson")
    if zpath is None:
        raise InputError(
            f"{path}: 旁边没有划片图层 {path.stem}_zones.gpkg (no zones beside the spec: "
            "import the layer with `geo-enroll zones import FILE --out STEM`)"
        )
    return spec, _read_zones(zpath, str(zpath.name)), companion_file(path, "basemap.gpkg")


def _impact_years(args) -> int:
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    from .. import impact

    spec_a, za, bm = _spec_and_zones(Path(args.before))
    spec_b, zb, _bm = _spec_and_zones(Path(args.after))
    level = args.level or next(
        (s["level"] for s in spec_a.get("schools") or [] if s.get("level")), "primary"
    )
    if args.homes:
        homes = pd.read_csv(args.homes, dtype={"id": str})
        missing = [c for c in ("id", "lon", "lat") if c not in homes.columns]
        if missing:
            raise InputError(f"--homes {args.homes}: 缺少列 {', '.join(missing)} (need id,lon,lat)")
        synthetic = False
    else:
        n = args.synthetic or 2000
        land = pd.concat([za.geometry, zb.geometry]).union_all()
        minx, miny, maxx, maxy = land.bounds
        rng = np.random.default_rng(args.seed)
        pts = []
        while len(pts) < n:
            x, y = rng.uniform(minx, maxx, 4 * n), rng.uniform(miny, maxy, 4 * n)
            inside = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=4326).within(land).to_numpy()
            pts += list(zip(x[inside], y[inside], strict=True))
        pts = pts[:n]
        homes = pd.DataFrame(
            {"id": [f"h{i:05d}" for i in range(n)], "lon": [p[0] for p in pts]}
            | {"lat": [p[1] for p in pts]}
        )
        synthetic = True
    seats = None
    if args.seats:
        t = pd.read_csv(args.seats, dtype={"school_id": str})
        seats = dict(zip(t["school_id"], t["seats"], strict=True))
    points = None
    if bm is not None:
        points = gpd.read_file(bm, layer="schools")
    res = impact.compare_years(
        (spec_a, za), (spec_b, zb), homes, level=level, seats=seats, school_points=points
    )
    res["synthetic_homes"] = synthetic
    if args.output:
        out = Path(args.output)
        out.mkdir(parents=True, exist_ok=True)
        (out / "impact_years.json").write_text(
            json.dumps(res, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8"
        )
        pd.DataFrame(res["changes"], columns=["id", "from", "to"]).to_csv(
            out / "changes.csv", index=False, lineterminator="\n"
        )
        pd.DataFrame(res["schools"]).to_csv(out / "seats.csv", index=False, lineterminator="\n")
        (out / "changed_areas.geojson").write_text(
            json.dumps(res["changed_areas"], ensure_ascii=False) + "\n", encoding="utf-8"
        )
    if args.json:
        print(json.dumps(res, ensure_ascii=False, indent=1, default=str))
        return 0
    a, b = res["years"]
    print(
        f"学年 {a} → {b}，学段 {level}：{res['n_homes']} 个"
        + ("合成住址 synthetic homes" if synthetic else "住址 homes")
        + f"，改变学校 change school: {res['n_changes']}"
    )
    for f in res["flows"]:
        print(f"  {f['from'] or '—'} → {f['to'] or '—'}: {f['children']}")
    print("学校 school: before → after (seats, balance)")
    for r in res["schools"]:
        print(
            f"  {r['school']} [{r['status']}]: {r['before']} → {r['after']}"
            + (f" (seats {r['seats']}, balance {r['balance']})" if r["seats"] is not None else "")
        )
    print(
        f"变化区域 changed areas: {len(res['changed_areas']['features'])}, "
        f"{res['changed_area_m2']:.0f} m²"
    )
    return 0
