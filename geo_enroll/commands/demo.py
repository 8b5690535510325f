"""``geo-enroll demo``: the main job on the embedded default (太仆寺旗 2024).

It runs the pipeline's own subcommands in order, exactly as a user would type them, on the
embedded data, then serves the map:

1. ``parse`` the embedded policy text and check it against the reviewed spec;
2. ``basemap build-schematic`` + ``digitise`` (rebuilds ``data/boundaries/``);
3. ``cohort synth`` a clearly labelled synthetic cohort (seed 7);
4. ``place`` every applicant, then ``classes``;
5. the 延庆 2023 policy: ``parse`` it, then run its clearly labelled hypothetical multi-school
   scenario (``data/scenarios/``): cohort, placement with recorded lottery draws, ``lottery verify``;
6. print a summary, then ``serve`` (unless ``--no-serve``).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from pathlib import Path

from ..errors import GeoEnrollError
from ..settings import data_dir

__all__ = ["register", "run_demo"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "demo", help="主流程：在内置的太仆寺旗2024政策上运行全部步骤并启动地图服务"
    )
    p.add_argument("--out", default="out/demo", help="output folder (default out/demo)")
    p.add_argument("--seed", type=int, default=7, help="seed of the synthetic cohort and draws")
    p.add_argument("--build-only", action="store_true", help="only rebuild data/boundaries/")
    p.add_argument("--no-serve", action="store_true", help="stop after the summary")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=run_demo)


def _step(title: str) -> None:
    print(f"\n== {title} ==", flush=True)


def _run(argv: list[str]) -> None:
    from ..cli import main

    print("$ geo-enroll " + " ".join(argv), flush=True)
    code = main(argv)
    if code != 0:
        raise GeoEnrollError(f"步骤失败 step failed (exit {code}): geo-enroll {' '.join(argv)}")


def _spec_summary(spec_json: Path) -> None:
    spec = json.loads(spec_json.read_text(encoding="utf-8"))
    kinds = Counter(z["kind"] for s in spec["schools"] for z in s["zones"])
    pol = spec["policy"]
    print(
        f"政策 policy: {pol['jurisdiction']} {pol['year']}  学校 schools: {len(spec['schools'])}  "
        f"规则 rules: {sum(kinds.values())} {dict(sorted(kinds.items()))}  "
        f"未解析 unparsed: {len(spec['unparsed'])}  冲突 conflicts: {len(spec['conflicts'])}"
    )
    print(
        f"年龄截止 age cutoff: {pol['age_cutoff']}  招生计划 seat plan: {pol['seat_plan']}  "
        f"班额 class cap: {pol['class_cap']}  户口迁移截止: {pol['hukou_migration_cutoff']}"
    )


def _placement_summary(folder: Path) -> None:
    with open(folder / "placements.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    status = Counter(r["status"] for r in rows)
    print(f"申请人 applicants: {len(rows)}  状态 status: {dict(sorted(status.items()))}")
    with open(folder / "schools.csv", encoding="utf-8") as f:
        schools = list(csv.DictReader(f))
    print(f"{'学校 school':<14}{'level':<10}{'seats':>6}{'placed':>8}{'in':>5}{'out':>5}")
    for s in schools:
        print(
            f"{s['school']:<14}{s['level']:<10}{s['seats']:>6}{s['placed']:>8}"
            f"{s['overflow_in']:>5}{s['overflow_out']:>5}"
        )


def _option_school_report(spec_path: Path, students: Path, folder: Path) -> int:
    """Children of a township with a 也可 option (千斤沟镇户籍适龄儿童也可到第四小学入学) placed at
    the option school: by their own request (志愿 / 二孩同校) or because their township school
    was full.  Prints one line per township; returns the number of children sent to the option
    school while their township school had a free seat (must be 0)."""
    from ..placement.applicants import read_applicants
    from ..placement.candidates import resolve_school
    from ..policy.spec import load_spec

    spec = load_spec(spec_path)
    names = {s["id"]: s["name"] for s in spec["schools"]}
    table = read_applicants(students).set_index("student_id")
    with open(folder / "placements.csv", encoding="utf-8") as f:
        placed = {r["student_id"]: r for r in csv.DictReader(f)}
    with open(folder / "schools.csv", encoding="utf-8") as f:
        free = {
            (r["school"], r["level"]): int(r["seats"]) - int(r["placed"]) for r in csv.DictReader(f)
        }
    bad = 0
    for s in spec["schools"]:
        for z in s["zones"]:
            own = z.get("from_school")
            if z.get("kind") != "alternative" or not own:
                continue
            for unit in z.get("units") or []:
                town = unit.get("official_name") or unit["name"]
                mask = table["hukou_address"].str.contains(town, regex=False)
                kids = table.index[mask & table["level"].isin([s["level"], "nine_year"])]
                at_alt = [k for k in kids if placed.get(k, {}).get("school") == s["id"]]
                asked = [
                    k
                    for k in at_alt
                    if s["id"]
                    in {
                        resolve_school(spec, table.at[k, "preference"]),
                        resolve_school(spec, table.at[k, "sibling_school"]),
                    }
                ]
                left = free.get((own, s["level"]), 0)
                sent = len(at_alt) - len(asked) if left > 0 else 0
                bad += sent
                at_own = sum(placed.get(k, {}).get("school") == own for k in kids)
                print(
                    f"  {town}：{len(kids)}人，在{names[own]} {at_own}人，在{names[s['id']]} "
                    f"{len(at_alt)}人（本人申请 {len(asked)}）；{names[own]}余位 {left}"
                    + (f"  ✗ {sent}人在有空位时被派往{names[s['id']]}" if sent else "  ✓")
                )
    return bad


def _notice_facts(spec_path: Path) -> None:
    """The notices' signature and date as the policy gives them (never the server clock)."""
    from ..errors import InputError
    from ..outputs.notices import notice_date, notice_issuer
    from ..policy.spec import load_spec

    pol = load_spec(spec_path)["policy"]
    try:
        day, why = notice_date(pol)
        when = f"{day.isoformat()}（{why}）"
    except InputError:
        when = "政策未写明，打印时须指定"
    phones = "、".join(f"{c['name']} {c['phone']}" for c in pol.get("contacts") or [])
    print(f"  通知书落款 issuer: {notice_issuer(pol)}  日期 date: {when}")
    print(f"  公开电话 phones: {phones or '—'}")


def run_demo(args: argparse.Namespace) -> int:
    data = data_dir()
    boundaries = data / "boundaries"
    spec = boundaries / "taipusi_2024.toml"
    basemap = boundaries / "baochang_schematic.gpkg"
    zones = boundaries / "taipusi_2024_zones.gpkg"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    _step("1. 解析政策 parse the policy text")
    spec_json = out / "taipusi_2024.spec.json"
    _run(["parse", str(data / "policies" / "taipusi_2024.txt"), "-o", str(spec_json)])
    _spec_summary(spec_json)

    _step("2. 底图与划片数字化 schematic base map and zone polygons")
    from ..digitise import build_default

    paths = build_default(data)
    for name, path in paths.items():
        print(f"  {name}: {path}")
    report = json.loads(Path(paths["report"]).read_text(encoding="utf-8"))
    _print_report(report)
    if args.build_only:
        return 0

    _step("3. 合成申请人（虚构数据） synthetic cohort — NOT real children")
    students = out / "students.csv"
    _run(
        [
            "cohort",
            "synth",
            "--policy",
            str(spec),
            "--basemap",
            str(basemap),
            "--seed",
            str(args.seed),
            "-o",
            str(students),
        ]
    )

    _step("4. 入学安排 placement")
    placed = out / "placement"
    _run(
        [
            "place",
            "--policy",
            str(spec),
            "--zones",
            str(zones),
            "--basemap",
            str(basemap),
            "--students",
            str(students),
            "--seed",
            str(args.seed),
            "-o",
            str(placed),
        ]
    )
    _placement_summary(placed)
    print("乡镇学校与“也可”学校 township schools and their 也可 options:")
    if _option_school_report(spec, students, placed):
        raise GeoEnrollError("有儿童在乡镇学校仍有空位时被派往“也可”学校 (see above)")
    _notice_facts(spec)

    _step("5. 随机均衡编班 balanced classes")
    _run(
        [
            "classes",
            "--placements",
            str(placed / "placements.csv"),
            "--students",
            str(students),
            "--seed",
            str(args.seed),
            "-o",
            str(out / "classes.csv"),
        ]
    )

    _step("6. 延庆多校划片（示意情景 HYPOTHETICAL） Yanqing 2023 multi-school scenario")
    yq = data / "scenarios" / "yanqing_2023_multischool.toml"
    yq_students, yq_out = out / "yanqing_students.csv", out / "yanqing_placement"
    _run(
        [
            "parse",
            str(data / "policies" / "yanqing_2023.txt"),
            "-o",
            str(out / "yanqing_2023.spec.json"),
        ]
    )
    _spec_summary(out / "yanqing_2023.spec.json")
    _run(["cohort", "synth", "--policy", str(yq), "--seed", str(args.seed), "-o", str(yq_students)])
    _run(
        [
            "place",
            "--policy",
            str(yq),
            "--students",
            str(yq_students),
            "--seed",
            str(args.seed),
            "-o",
            str(yq_out),
        ]
    )
    _placement_summary(yq_out)
    for draw in sorted((yq_out / "lottery").glob("*/")):
        _run(["lottery", "verify", str(draw)])
    _notice_facts(yq)
    must = data / "scenarios" / "yanqing_2023_must_show.csv"
    if must.exists():  # 乡镇对口, 3+3 years: five synthetic rows
        _run(
            [
                "place",
                "--policy",
                str(yq),
                "--students",
                str(must),
                "--seed",
                str(args.seed),
                "-o",
                str(out / "yanqing_must_show"),
            ]
        )
        with open(out / "yanqing_must_show" / "placements.csv", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                why = r["trace"].split("；")[-2] if "；" in r["trace"] else r["trace"]
                print(
                    f"  {r['level']:<8}{r['school'] or '—':<10}{r['status']:<8}{r['rule']:<18}{why[:60]}"
                )

    print(f"\n结果 outputs: {out.resolve()}")
    if args.no_serve:
        return 0
    _step("7. 地图服务 map service")
    sys.stdout.flush()
    return _serve(args)


def _print_report(report: dict) -> None:
    summary = report.get("summary")
    if isinstance(summary, str) and summary:
        print("  " + summary.replace("\n", "\n  "))
        return
    for level, diag in (report.get("levels") or {}).items():
        gaps = diag.get("gaps", [])
        overlaps = diag.get("overlaps", [])
        print(f"  {level}: 空白 gaps {len(gaps)}, 重叠 overlaps {len(overlaps)}")


def _serve(args: argparse.Namespace) -> int:
    from ..cli import main

    return main(
        [
            "serve",
            "--host",
            args.host,
            "--port",
            str(args.port),
            "--policy",
            "taipusi_2024",
            "--policy",
            "yanqing_2023_multischool",
        ]
    )
