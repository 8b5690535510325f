"""CLI: ``cohort synth``, ``place``, ``lottery draw|verify|simulate`` and ``classes``.

Examples (shell)::

    geo-enroll cohort synth --policy data/boundaries/taipusi_2024.toml --seed 7 -o students.csv
    geo-enroll place --policy data/boundaries/taipusi_2024.toml \\
        --zones data/boundaries/taipusi_2024_zones.gpkg --students students.csv --seed 7 -o out/
    geo-enroll lottery draw --applicants draw.csv --seats seats.csv --numbers 12 7 33 -o draw/
    geo-enroll lottery verify draw/
    geo-enroll classes --placements out/placements.csv --students students.csv --seed 7 -o classes.csv

    # the HYPOTHETICAL 延庆 multi-school scenario (data/scenarios/README.md)
    geo-enroll cohort synth --policy data/scenarios/yanqing_2023_multischool.toml --seed 7 -o yq.csv
    geo-enroll place --policy data/scenarios/yanqing_2023_multischool.toml --students yq.csv \\
        --seed 7 -o out/ [--distance network] [--lottery-numbers 12 34 56]
    geo-enroll lottery verify out/lottery/<group>/
    geo-enroll lottery simulate --applicants out/lottery/<group>/applicants.csv \\
        --seats out/lottery/<group>/seats.csv --draws 200 --seed 7 -o sim/

**Companion files of a policy** (used when the option is not given): for ``DIR/NAME.toml`` the
seat table is the first of ``DIR/NAME_schools.csv``, ``DIR/<shorter NAME>_schools.csv`` (the
name cut at its last ``_``, repeatedly: ``yanqing_2023_multischool`` → ``yanqing_2023``); the
base map likewise ``*_basemap.gpkg``, else ``data/boundaries/baochang_schematic.gpkg`` for
太仆寺旗 (county 152527), else none (the default gazetteer: official units, county outlines).
The lottery and class handlers live in :mod:`geo_enroll.placement.lottery` and
:mod:`geo_enroll.placement.classes` and are imported only when their command runs.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from ..errors import GeoEnrollError, InputError

__all__ = ["register"]


def _data(*parts: str) -> Path:
    from ..settings import data_dir

    return data_dir().joinpath(*parts)


def _load_spec(path):
    from ..policy.spec import load_spec

    return load_spec(path)


def _companion(policy: Path, suffix: str) -> Path | None:
    from ..policy.spec import companion_file

    return companion_file(policy, suffix)


def _default_schools(policy: Path) -> Path:
    return _companion(policy, "schools.csv") or policy.with_name(policy.stem + "_schools.csv")


def _default_basemap(policy: Path, spec: dict) -> Path | None:
    found = _companion(policy, "basemap.gpkg")
    if found is not None:
        return found
    if str((spec.get("policy") or {}).get("county_code") or "") == "152527":
        return _data("boundaries", "baochang_schematic.gpkg")
    return None


def _cohort_synth(args) -> int:
    from ..placement.cohort import default_counts, synth_cohort

    policy = Path(args.policy)
    spec = _load_spec(policy)
    basemap = Path(args.basemap) if args.basemap else _default_basemap(policy, spec)
    primary, middle = default_counts(
        spec, _companion(policy, "schools.csv"), primary=args.primary, middle=args.middle
    )
    df = synth_cohort(
        spec,
        seed=args.seed,
        basemap=basemap if basemap is not None and basemap.exists() else None,
        primary=primary,
        middle=middle,
    )
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(out, index=False, lineterminator="\n", encoding="utf-8")
    counts = df["学段"].value_counts().to_dict()
    print(
        f"合成申请人表 synthetic cohort: {len(df)} 行 → {out} "
        f"(小学 {counts.get('小学', 0)}, 初中 {counts.get('初中', 0)}; 全部为虚构数据)"
    )
    return 0


def _place(args) -> int:
    import geopandas as gpd

    from ..placement.run import place

    policy = Path(args.policy)
    spec = _load_spec(policy)
    zones = None
    if args.zones:
        zp = Path(args.zones)
        if not zp.exists():
            raise InputError(
                f"找不到划片图层 {zp} (zones file not found; run `geo-enroll digitise`)"
            )
        zones = gpd.read_file(zp, layer="zones") if zp.suffix == ".gpkg" else gpd.read_file(zp)
    schools = Path(args.schools) if args.schools else _default_schools(policy)
    basemap = Path(args.basemap) if args.basemap else _default_basemap(policy, spec)
    if basemap is not None and not basemap.exists():
        raise InputError(f"找不到底图 {basemap} (base map not found)")
    points = streets = None
    if basemap is not None:
        import pyogrio

        layers = {str(row[0]) for row in pyogrio.list_layers(basemap)}
        if "schools" in layers:
            points = gpd.read_file(basemap, layer="schools")
        else:  # a base map without a schools layer: schools are geocoded by name
            print(f"警告 warning: {basemap.name} 没有 schools 图层", file=sys.stderr)
        if "streets" in layers:
            streets = gpd.read_file(basemap, layer="streets")
    from dataclasses import replace

    from ..geocode import Gazetteer, load_default_gazetteer
    from ..settings import DEFAULT_SETTINGS

    if args.basemap or (
        basemap is not None and basemap != _data("boundaries", "baochang_schematic.gpkg")
    ):
        gaz = Gazetteer.from_data(basemap=basemap)
    else:
        gaz = load_default_gazetteer()
    settings = DEFAULT_SETTINGS
    if args.distance:
        settings = replace(settings, distance=args.distance)
    res = place(
        args.students,
        spec=spec,
        zones=zones,
        gazetteer=gaz,
        schools=schools,
        seed=args.seed,
        school_points=points,
        out_dir=args.output,
        strict=args.strict,
        salt=args.salt,
        streets=streets,
        lottery_numbers=args.lottery_numbers,
        settings=settings,
    )
    for line in res.row_problems:
        print(f"标记 marked: {line}", file=sys.stderr)
    for w in res.warnings:
        print(f"警告 warning: {w}", file=sys.stderr)
    counts = res.placements["status"].value_counts().to_dict()
    print(
        f"派位完成 placed: {len(res.placements)} 名申请人 → {args.output}  "
        + "  ".join(f"{k}={v}" for k, v in sorted(counts.items()))
    )
    for d in res.lotteries:
        print(
            f"多校划片电脑派位 lottery {d['group']}: {d['applicants']} 名, 公示哈希 {d['inputs_sha256']}"
            f" → {Path(args.output) / 'lottery' / d['group']} (geo-enroll lottery verify …)"
        )
    return 0


def _delegate(module: str, func: str):
    """A handler that imports ``geo_enroll.placement.<module>.<func>`` only when it runs."""

    def handler(args) -> int:
        try:
            mod = importlib.import_module(f"geo_enroll.placement.{module}")
        except ModuleNotFoundError as exc:
            if exc.name == f"geo_enroll.placement.{module}":
                raise GeoEnrollError(
                    f"geo_enroll.placement.{module} 尚未安装 (not available yet)"
                ) from None
            raise
        fn = getattr(mod, func, None)
        if fn is None:
            raise GeoEnrollError(f"geo_enroll.placement.{module}.{func} 尚未实现 (not available)")
        return int(fn(args) or 0)

    handler.__name__ = f"{module}_{func}"
    return handler


def register(subparsers) -> None:
    # cohort synth
    cohort = subparsers.add_parser("cohort", help="合成申请人表 synthetic applicant cohorts")
    csub = cohort.add_subparsers(dest="cohort_command", metavar="SUBCOMMAND")
    synth = csub.add_parser("synth", help="合成一个虚构的申请人表 (clearly labelled synthetic)")
    synth.add_argument("--policy", required=True, help="zone spec (TOML/JSON)")
    synth.add_argument("--seed", type=int, required=True)
    synth.add_argument("-o", "--output", required=True, help="students.csv to write")
    synth.add_argument("--basemap", help="base map GeoPackage (streets, landmarks)")
    synth.add_argument(
        "--primary",
        type=int,
        default=None,
        help="number of 小学 applicants (default: the policy's seat plan, else the seats of "
        "the policy's seat table, else 30)",
    )
    synth.add_argument("--middle", type=int, default=None, help="number of 初中 applicants")
    synth.set_defaults(func=_cohort_synth)
    cohort.set_defaults(func=lambda a: (cohort.print_help(), 2)[1])

    # place
    p = subparsers.add_parser("place", help="派位：资格 → 划片 → 学位 → 说明 (placements.csv)")
    p.add_argument("--policy", required=True, help="zone spec (TOML/JSON)")
    p.add_argument("--zones", help="zone polygons (GeoPackage layer zones or GeoJSON)")
    p.add_argument("--students", required=True, help="applicant table (CSV/XLSX)")
    p.add_argument("--schools", help="seat table CSV (default: <policy>_schools.csv)")
    p.add_argument("--basemap", help="base map GeoPackage (schools layer, gazetteer)")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("-o", "--output", required=True, help="output folder (replaced atomically)")
    p.add_argument(
        "--strict", action="store_true", help="stop on any bad row instead of marking it"
    )
    p.add_argument("--salt", help="student_id salt (default $GEO_ENROLL_ID_SALT)")
    p.add_argument(
        "--distance",
        choices=("euclidean", "network"),
        help="relative proximity: straight line (default, Settings.distance) or along the "
        "base map's streets (homes and schools join the street graph at its nearest node)",
    )
    p.add_argument(
        "--lottery-numbers",
        nargs="+",
        dest="lottery_numbers",
        help="numbers drawn in public for the multi-school lotteries (电脑派位); "
        "without them the draw is a rehearsal seeded by --seed (recorded as such)",
    )
    p.set_defaults(func=_place)

    # lottery (handlers by geo_enroll.placement.lottery)
    lot = subparsers.add_parser(
        "lottery", help="电脑派位：公开可复核的抽签 (publish / draw / verify / simulate)"
    )
    lsub = lot.add_subparsers(dest="lottery_command", metavar="SUBCOMMAND")

    def inputs(sp, required=True):
        sp.add_argument(
            "--applicants",
            "--placements",
            dest="applicants",
            required=required,
            help="applicants of the draw (CSV)",
        )
        sp.add_argument(
            "--seats",
            "--schools",
            dest="seats",
            required=required,
            help="seat plan of the draw (CSV)",
        )

    pub = lsub.add_parser("publish", help="公示 print the SHA-256 of the sorted inputs")
    inputs(pub)
    pub.set_defaults(func=_delegate("lottery", "publish_command"))
    draw = lsub.add_parser("draw", help="抽签 draw from numbers drawn in public")
    inputs(draw)
    draw.add_argument("--numbers", nargs="+", required=True, help="numbers drawn in public")
    draw.add_argument(
        "--expect-hash",
        "--published",
        dest="expect_hash",
        help="the SHA-256 published before the draw (checked)",
    )
    draw.add_argument("-o", "--output", required=True, help="folder of the draw")
    draw.set_defaults(func=_delegate("lottery", "draw_command"))
    ver = lsub.add_parser("verify", help="复核 re-run a published draw, byte for byte")
    ver.add_argument("draw", nargs="?", help="folder of the published draw")
    ver.add_argument("--result", help="result.csv of the draw")
    inputs(ver, required=False)
    ver.add_argument("--numbers", nargs="+", help="numbers drawn in public")
    ver.set_defaults(func=_delegate("lottery", "verify_command"))
    sim = lsub.add_parser("simulate", help="蒙特卡洛模拟 Monte-Carlo of N draws")
    inputs(sim)
    sim.add_argument("--draws", type=int, default=100)
    sim.add_argument("--seed", type=int, required=True)
    sim.add_argument("-o", "--output", required=True, help="output folder")
    sim.set_defaults(func=_delegate("lottery", "simulate_command"))
    lot.set_defaults(func=lambda a: (lot.print_help(), 2)[1])

    # classes (handler by geo_enroll.placement.classes)
    cl = subparsers.add_parser("classes", help="随机均衡编班 balanced random classes")
    cl.add_argument("--placements", required=True, help="placements.csv")
    cl.add_argument("--students", help="applicant table (sex, twins)")
    cl.add_argument("--late", help="late arrivals (student_id [, school]) for a second round")
    cl.add_argument("--previous", help="classes.csv of an earlier round (late arrivals)")
    cl.add_argument(
        "--twins-apart",
        nargs="*",
        dest="twins_apart",
        default=None,
        help="twin groups to place apart (their parents asked)",
    )
    cl.add_argument("--salt", help="student_id salt (as for place)")
    cl.add_argument("--seed", type=int, required=True)
    cl.add_argument("-o", "--output", required=True, help="classes.csv")
    cl.set_defaults(func=_delegate("classes", "classes_command"))
