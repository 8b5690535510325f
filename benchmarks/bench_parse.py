"""Policy parsing at 2 MB: one big document against the same text parsed block by block.

    .venv/bin/python benchmarks/bench_parse.py               # ~2 MB, every layout
    .venv/bin/python benchmarks/bench_parse.py --mb 0.5

The document is made of blocks, one per school, in the layouts ``geo-enroll parse`` reads
(a sentence with 招收, ``学校：范围`` lines, headed sections with bare lists, a feeder line,
a CSV table of 里/鄰 rows, a 学区 area), each school with its own name, so that nothing merges
across blocks.  The baseline is the obvious one for a linear parser: the sum of the times of
parsing each block alone.  Before the ratio is printed, the answers are checked to agree:
the big document gives every block's schools with the same number of rules and pieces.
A ratio near 1 means the parser stays linear in the size of the document.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo_enroll.policy import parse_policy  # noqa: E402

_CHARS = "东南西北中青红白金银山河湖海星月松柏竹梅兰菊桃李春夏秋冬晨晖育英"


def _name(i: int) -> str:
    """A distinct two-to-four character stem for block ``i``."""
    out = ""
    while True:
        out += _CHARS[i % len(_CHARS)]
        i //= len(_CHARS)
        if i == 0:
            break
    return out if len(out) > 1 else out + "安"


def block(i: int) -> str:
    """One school's text, in one of seven layouts (by ``i``)."""
    n = _name(i)
    layout = i % 7
    if layout == 0:
        return f"{n}小学招收{n}镇{n}村第1、2、5组、{n}社区、{n}花园（{n}路99号）户籍适龄儿童。\n"
    if layout == 1:
        return f"{n}第一小学：{n}路1-99号单号，{n}街双号2—88号，{n}大道北段，{n}小区。\n"
    if layout == 2:
        return f"\n## {n}实验小学\n{n}东路\n{n}家园\n{n}村、{n}新村\n\n"
    if layout == 3:
        return f"{n}中学：{n}东路以东，{n}西路以西，{n}南路以南，{n}北路以北。\n"
    if layout == 4:
        return f"{n}育才小学毕业生对口升入{n}初级中学，也可按户籍地址就近入学。\n"
    if layout == 5:
        return (
            f"\n```csv\n行政區,里別,鄰別,基本學區\n{n}區,{n}里,1-5 鄰,{n}國小\n"
            f"{n}區,{n}東里,全,{n}國小\n{n}區,{n}西里,6 鄰,共同學區：{n}國小、{n}北國小\n```\n\n"
        )
    return (
        f"\n### {n}学区\n范围：{n}东社区、{n}西社区\n学校：{n}东小学、{n}西小学\n\n"
        f"{n}东小学：{n}东路\n{n}西小学：{n}西路\n"
    )


HEAD = "某区2026年义务教育学校招生范围\n一、招生范围\n"


def _summary(spec: dict) -> dict:
    """school name → (rules, pieces): what must agree between the big and the small parses."""
    return {
        s["name"]: (
            len(s["zones"]),
            sum(len(z["units"]) if z.get("units") else 1 for z in s["zones"]),
        )
        for s in spec["schools"]
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=2.0, help="document size in MB (default 2)")
    ap.add_argument(
        "--repeat",
        metavar="DOC",
        help="also time a real document repeated to the same size (e.g. a zoning-dev table)",
    )
    args = ap.parse_args(argv)
    blocks, size, i = [], len(HEAD.encode()), 0
    while size < args.mb * 1e6:
        blocks.append(block(i))
        size += len(blocks[-1].encode())
        i += 1
    text = HEAD + "".join(blocks)
    print(f"{platform.python_implementation()} {platform.python_version()}, {platform.machine()}")
    print(
        f"document: {len(text.encode()) / 1e6:.2f} MB, {len(text.splitlines())} lines, "
        f"{len(blocks)} blocks"
    )

    start = time.perf_counter()
    whole = parse_policy(text)
    t_whole = time.perf_counter() - start

    t_parts, parts = 0.0, {}
    for b in blocks:
        start = time.perf_counter()
        spec = parse_policy(HEAD + b)
        t_parts += time.perf_counter() - start
        parts.update(_summary(spec))

    got = _summary(whole)
    if got != parts:  # answers must agree before any ratio is printed
        bad = sorted(k for k in set(got) | set(parts) if got.get(k) != parts.get(k))[:10]
        print(
            f"DISAGREE on {len(bad)}+ schools, e.g. {[(k, got.get(k), parts.get(k)) for k in bad]}"
        )
        return 1
    rules = sum(r for r, _ in got.values())
    print(f"agree: {len(got)} schools, {rules} rules, {len(whole['unparsed'])} unparsed")
    print(f"whole document : {t_whole:7.2f} s  ({len(text.encode()) / 1e6 / t_whole:.2f} MB/s)")
    print(f"block by block : {t_parts:7.2f} s  (baseline: the sum over {len(blocks)} blocks)")
    print(f"ratio whole/baseline: {t_whole / t_parts:.2f} (1.0 = linear)")
    if args.repeat:
        one = Path(args.repeat).read_text(encoding="utf-8")
        copies = max(1, round(args.mb * 1e6 / len(one.encode())))
        start = time.perf_counter()
        spec = parse_policy(one * copies)
        took = time.perf_counter() - start
        print(
            f"{Path(args.repeat).name} x{copies} ({len(one.encode()) * copies / 1e6:.2f} MB): "
            f"{took:.2f} s, {len(spec['schools'])} schools"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
