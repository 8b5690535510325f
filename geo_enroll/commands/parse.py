"""``geo-enroll parse`` (policy text → zone spec) and ``geo-enroll units resolve``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import InputError, UnitResolutionError
from ..policy import parse_policy, resolve_unit
from ..policy.review import review_html
from ..policy.spec import load_spec, read_policy, save_spec, to_toml, validate_spec
from ..policy.units import COUNTIES

__all__ = ["register"]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "parse",
        help="policy text → zone spec (划片招生方案解析)",
        description="Read a policy text (UTF-8 text or Markdown) and write its zone spec.",
    )
    p.add_argument("policy", metavar="POLICY", help="policy text file (.txt/.md)")
    p.add_argument("--json", action="store_true", help="print the spec as JSON on stdout")
    p.add_argument("-o", "--output", metavar="SPEC", help="write the spec (.toml or .json)")
    p.add_argument(
        "--review",
        metavar="HTML",
        help="write a review page: the text coloured by the rule each span produced",
    )
    p.add_argument("--county", metavar="CODE", help="6-digit county code (default: from the text)")
    p.add_argument(
        "--previous", metavar="SPEC", help="earlier spec of this document: keep its school ids"
    )
    p.set_defaults(func=_parse)

    u = subparsers.add_parser("units", help="official admin units (行政区划)")
    usub = u.add_subparsers(dest="units_command", metavar="ACTION")
    r = usub.add_parser("resolve", help="resolve a unit name to its official code")
    r.add_argument("name", metavar="NAME")
    r.add_argument("--township", metavar="T", help="township the name lies in")
    r.add_argument("--county", metavar="CODE", help=f"county code ({', '.join(COUNTIES)})")
    r.add_argument("--json", action="store_true", help="print JSON")
    r.set_defaults(func=_resolve)
    u.set_defaults(func=lambda args: (u.print_help(), 2)[1])


def _parse(args) -> int:
    text, notices = read_policy(args.policy)
    for notice in notices:
        print(f"注意 notice: {notice}", file=sys.stderr)
    if args.county and args.county not in COUNTIES:
        print(
            f"注意 notice: no official unit list for county {args.county}; "
            "admin units stay unresolved",
            file=sys.stderr,
        )
    previous = load_spec(args.previous) if args.previous else None
    spec = parse_policy(text, county=args.county, previous=previous)
    problems = validate_spec(spec)
    if problems:  # a parser bug, not a user error: say so plainly
        raise InputError(
            "生成的规范未通过校验 generated spec failed its schema (please report)",
            problems=problems,
        )
    if args.output:
        out = Path(args.output)
        if out.suffix.lower() not in (".toml", ".json"):
            raise InputError(
                f"输出文件须为 .toml 或 .json output must end in .toml or .json: {out}"
            )
        save_spec(spec, out)
    if args.review:
        out = Path(args.review)
        if out.suffix.lower() not in (".html", ".htm"):
            raise InputError(f"核对页须为 .html review page must end in .html: {out}")
        try:
            out.write_text(
                review_html(text, spec, title=f"{Path(args.policy).name} 解析核对"),
                encoding="utf-8",
            )
        except OSError as exc:
            raise InputError(
                f"无法写入核对页 cannot write review page {out}: {exc.strerror}"
            ) from None
    if args.json:
        print(json.dumps(spec, ensure_ascii=False, indent=2))
    elif not args.output:
        print(to_toml(spec))
    n_rules = sum(len(s["zones"]) for s in spec["schools"])
    print(
        f"{spec['policy']['jurisdiction'] or '?'}: {len(spec['schools'])} schools, {n_rules} rules, "
        f"{len(spec['unparsed'])} unparsed, {len(spec['conflicts'])} conflicts",
        file=sys.stderr,
    )
    bare = [s["name"] for s in spec["schools"] if not s["zones"]]
    if bare:
        print(
            f"  {len(bare)} 所学校没有可读的范围，需在地图上划定 schools with no readable area "
            f"(draw them on the planner map; their lines are in unparsed): {'、'.join(bare[:10])}"
            + ("…" if len(bare) > 10 else ""),
            file=sys.stderr,
        )
    return 0


def _resolve(args) -> int:
    if args.county and args.county not in COUNTIES:
        raise UnitResolutionError(
            f"没有该县区的官方名单 no official unit list for county {args.county}; "
            f"available: {', '.join(f'{c} {n}' for c, n in COUNTIES.items())}"
        )
    res = resolve_unit(args.name, township=args.township, county=args.county)
    if args.json:
        print(json.dumps(res, ensure_ascii=False, indent=2))
    else:
        if res["code"]:
            print(f"{res['name']} → {res['official_name']} {res['code']} ({res['match']})")
        else:
            print(f"{res['name']} → 未解析 unresolved: {res['note']}")
            for c in res["candidates"]:
                print(f"  候选 candidate: {c['township']} {c['name']} {c['code']} {c['score']}")
    return 0 if res["code"] else 1
