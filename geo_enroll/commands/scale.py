"""``geo-enroll scale``: province-scale runs on dask (counties in parallel).

``scale synth`` writes a synthetic province (copies of one policy, independent cohorts) and
its task table; ``scale place`` places every county of a task table, in this process or on
dask (``--scheduler local`` or ``tcp://…``), writing ``OUT/<county>/`` as ``place`` does.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, fields
from pathlib import Path

from ..errors import InputError
from ..scale import CountyTask

_COLUMNS = [f.name for f in fields(CountyTask)]


def _read_tasks(path: Path):
    if not path.exists():
        raise InputError(f"找不到任务表 {path} (task table not found; `geo-enroll scale synth`)")
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: 期望 UTF-8 CSV expected UTF-8 ({exc.reason})") from exc
    if not rows or not {"county", "policy", "students"} <= set(rows[0]):
        raise InputError(
            f"{path}: 期望列 expected columns {_COLUMNS} (county, policy, students required)"
        )
    tasks, problems = [], []
    for n, row in enumerate(rows, start=2):
        seed = (row.get("seed") or "7").strip()
        if not seed.isascii() or not seed.isdigit():
            problems.append(f"line {n}: seed {seed!r} is not a non-negative integer")
            continue
        tasks.append(
            CountyTask(
                county=(row["county"] or "").strip(),
                policy=row["policy"],
                students=row["students"],
                zones=row.get("zones") or None,
                schools=row.get("schools") or None,
                basemap=row.get("basemap") or None,
                seed=int(seed),
            )
        )
    if problems:
        raise InputError(f"{path}: 任务表有误 bad rows", problems=problems)
    return tasks


def _synth(args) -> int:
    from ..scale import province_tasks

    out = Path(args.output)
    tasks = province_tasks(
        args.policy,
        out,
        counties=args.counties,
        primary=args.primary,
        middle=args.middle,
        seed=args.seed,
        zones=args.zones,
    )
    table = out / "tasks.csv"
    with table.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=_COLUMNS, lineterminator="\n")
        w.writeheader()
        for t in tasks:
            w.writerow({k: ("" if v is None else v) for k, v in asdict(t).items()})
    print(f"合成省级任务 synthetic province: {len(tasks)} 县 counties → {table} (全部为虚构数据)")
    return 0


def _place(args) -> int:
    from ..scale import place_counties

    tasks = _read_tasks(Path(args.tasks))
    results = place_counties(tasks, args.output, scheduler=args.scheduler, n_workers=args.workers)
    total = sum(r.applicants for r in results)
    for r in results:
        print(f"{r.county}: {r.applicants} 名 {r.seconds:.1f}s {r.placements_sha256[:12]}")
    print(f"派位完成 placed: {total} 名申请人, {len(results)} 县 → {args.output}")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("scale", help="province-scale runs on dask (counties in parallel)")
    sub = p.add_subparsers(dest="scale_command", metavar="SUBCOMMAND")
    s = sub.add_parser("synth", help="a synthetic province: copies of one policy, own cohorts")
    s.add_argument("--policy", required=True, help="zone spec (TOML/JSON)")
    s.add_argument("--zones", help="zone polygons of that policy (GeoPackage)")
    s.add_argument("--counties", type=int, required=True)
    s.add_argument("--primary", type=int, default=100)
    s.add_argument("--middle", type=int, default=100)
    s.add_argument("--seed", type=int, default=7)
    s.add_argument("-o", "--output", required=True, help="folder for cohorts and tasks.csv")
    s.set_defaults(func=_synth)
    q = sub.add_parser("place", help="place every county of a task table")
    q.add_argument("--tasks", required=True, help="tasks.csv: " + ",".join(_COLUMNS))
    q.add_argument("-o", "--output", required=True, help="OUT/<county>/ per county")
    q.add_argument(
        "--scheduler",
        help="'local' (a LocalCluster) or a dask scheduler address tcp://host:port; "
        "default: one process, counties in order",
    )
    q.add_argument("--workers", type=int, default=2, help="LocalCluster workers (default 2)")
    q.set_defaults(func=_place)

    def _help(args) -> int:
        p.print_help()
        return 2

    p.set_defaults(func=_help)
