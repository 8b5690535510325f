"""The address parser gives the same answers as when the digest was stored (speed work guard).

Run::

    .venv/bin/python benchmarks/check_parse_same.py            # compare with the stored digest
    .venv/bin/python benchmarks/check_parse_same.py --store    # after an intended change
    .venv/bin/python benchmarks/check_parse_same.py --dump a.jsonl   # every answer, to diff

The corpus (≈ 45,000 distinct addresses) is

* the labelled evaluation file ``benchmarks/data/eval_addresses.tsv``;
* every Chinese string literal in ``tests/`` (frozen into ``data/parse_corpus_tests.txt.gz``
  when the digest is stored, so that new tests do not move it);
* 31,000 addresses of ``bench_geocode.make_addresses`` (villages with groups, county chains
  with roads, 宝昌镇 rooms, full-width digits);
* 12,000 more generated from the national table (seeded): chains with levels left out, short
  and doubled names, old names, noise in front, crossings, lanes, sub-numbers, compounds with
  building/unit/room, unknown units, Hong Kong/Macau/Taiwan.

Each answer of :func:`~geo_enroll.address.parse_address` is written as canonical JSON; the
digest is a SHA-256 per block of 500 addresses and one over all, stored in
``data/parse_digest.json``.  A differing block is named so that ``--dump`` before and after
finds the address.  :func:`~geo_enroll.address.parse_many` must give the same answers as one by
one parsing, and ``parse_many(..., admin_only=True)`` the admin fields of the full parse
(:func:`~geo_enroll.address.parse.admin_fields`), both checked on every run.  Run it with the
compiled parts and with ``GEO_ENROLL_NO_EXT=1`` (the Python code alone): the same digest.
"""

from __future__ import annotations

import argparse
import ast
import csv
import gzip
import hashlib
import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from bench_geocode import make_addresses  # noqa: E402

from geo_enroll.address import load_divisions, parse_address, parse_many  # noqa: E402
from geo_enroll.address.parse import admin_fields  # noqa: E402

DIGEST = HERE / "data" / "parse_digest.json"
TEST_STRINGS = HERE / "data" / "parse_corpus_tests.txt.gz"
BLOCK = 500
_ROADS = ["人民路", "解放大街", "建设南路", "中山东路", "文一路", "和平街", "府青路东五街", "成华大道"]  # fmt: skip
_CROSS = ["与沙河路交叉口", "金银街", "和解放路口", "与丰华路"]
_COMPOUNDS = ["金色花园", "幸福小区", "国贸大厦", "阳光家园", "电力设计院小区", "翠苑"]
_NOISE = ["户籍地址:", "中国", "Room 5 ", "现住", "null", "家住"]


def _test_strings() -> list[str]:
    out = set()
    for path in sorted((ROOT / "tests").rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                v = node.value
                if 2 <= len(v) <= 120 and any("\u4e00" <= c <= "\u9fff" for c in v):
                    out.add(v)
    return sorted(out)


def _more(n: int, seed: int = 7) -> list[str]:
    """Varied forms from the national table (seeded, deterministic for a table)."""
    rng = random.Random(seed)
    div = load_divisions()
    units = sorted(div.units)
    counties = [c for c in units if div.units[c].level == "county"]
    towns = [c for c in units if div.units[c].level == "township"]
    villages = sorted(div.village_keys)
    old = sorted({ch.old_name for lv in div.historical for chs in div.historical[lv].values()
                  for ch in chs})  # fmt: skip
    out = []
    for i in range(n):
        code = rng.choice(towns if i % 3 else counties)
        chain = [div.units[a].name for a in div.ancestors(code)]
        kind = i % 12
        if kind == 1 and len(chain) > 2:  # a level left out
            del chain[rng.randrange(len(chain) - 1)]
        elif kind == 2:  # short names
            chain = [x[:2] if rng.random() < 0.5 else x for x in chain]
        elif kind == 3:  # doubled
            chain.insert(1, chain[0][:2])
        elif kind == 4:  # an old name
            chain = [rng.choice(old)] + chain[-1:]
        elif kind == 5:
            chain = [rng.choice(_NOISE)] + chain
        elif kind == 6:  # only the last
            chain = chain[-1:]
        elif kind == 7:
            chain = ["某某县"] + chain[-1:]
        elif kind == 8:
            chain = [rng.choice(["香港", "澳门特别行政区", "台湾省台北市", "台北市"])]
        elif kind == 9 and villages:
            v = rng.choice(villages)
            chain = [div.units[v[:6]].name, div.units[v[:9]].name, div.village_keys[v][1]]
        head = "".join(chain)
        tail = rng.choice([
            f"{rng.choice(_ROADS)}{rng.randint(1, 3000)}号",
            f"{rng.choice(_ROADS)}{rng.choice(_CROSS)}",
            f"{rng.choice(_ROADS)}{rng.randint(1, 300)}弄{rng.randint(1, 60)}号",
            f"{rng.choice(_ROADS)}{rng.randint(100, 3000)}-{rng.randint(1, 99)}号",
            f"{rng.choice(_COMPOUNDS)}{rng.randint(1, 30)}栋{rng.randint(1, 6)}单元{rng.randint(101, 2801)}室",
            f"{rng.choice(_COMPOUNDS)}{rng.randint(1, 30)}-{rng.randint(1, 6)}-{rng.randint(101, 2801)}",
            f"{rng.choice(_ROADS)}{rng.randint(1, 99)}号{rng.choice(_COMPOUNDS)}B座{rng.randint(101, 2801)}",
            f"{rng.randint(1, 12)}组{rng.randint(1, 99)}号",
            f"{rng.choice(_ROADS)}{rng.randint(1, 20)}号院{rng.randint(1, 9)}号楼{rng.randint(1, 30)}层",
            "",
        ])  # fmt: skip
        out.append(f"{head}{tail}{i}" if kind == 11 else f"{head}{tail}")
    return out


def _homophones(n: int, seed: int = 11) -> list[str]:
    """Village names of the shipped village tables with one character swapped for another of
    the same sound (东圪良 for 东圪梁), under their township, with and without the county."""
    from geo_enroll.address.parse import pinyin_key

    rng = random.Random(seed)
    div = load_divisions()
    villages = sorted(div.village_keys)
    by_sound: dict[str, list[str]] = {}
    for code in villages:
        for c in div.village_keys[code][-1]:
            by_sound.setdefault(pinyin_key(c), []).append(c)
    by_sound = {k: sorted(set(v)) for k, v in by_sound.items()}
    out = []
    for i in range(n):
        code = rng.choice(villages)
        base = div.village_keys[code][-1]
        j = rng.randrange(len(base))
        same = by_sound[pinyin_key(base[j])]
        name = base[:j] + rng.choice(same) + base[j + 1 :]
        county = div.units[code[:6]].name if i % 2 else ""
        out.append(f"{county}{div.units[code[:9]].name}{name}村{rng.randint(1, 9)}组")
    return out


def corpus(*, refreeze: bool = False) -> list[str]:
    with open(HERE / "data" / "eval_addresses.tsv", encoding="utf-8", newline="") as fh:
        texts = [r["address"] for r in csv.DictReader(fh, delimiter="\t")]
    if refreeze or not TEST_STRINGS.exists():
        TEST_STRINGS.write_bytes(gzip.compress("\n".join(_test_strings()).encode(), mtime=0))
    texts += gzip.decompress(TEST_STRINGS.read_bytes()).decode().split("\n")
    texts += make_addresses(31_000) + _more(12_000) + _homophones(3_000)
    return list(dict.fromkeys(texts))  # distinct, first order kept


def _canon(result: dict) -> str:
    return json.dumps(result, ensure_ascii=False, sort_keys=True, default=repr)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", action="store_true", help="store the digest of today's answers")
    ap.add_argument("--dump", help="write every answer (one JSON line each) to this file")
    args = ap.parse_args(argv)
    texts = corpus(refreeze=args.store)
    answers = [_canon(parse_address(t)) for t in texts]
    batch = [_canon(r) for r in parse_many(texts)]
    if batch != answers:
        bad = next(i for i, (a, b) in enumerate(zip(answers, batch, strict=True)) if a != b)
        print(f"parse_many differs from parse_address first at #{bad}", file=sys.stderr)
        return 1
    # the admin-only mode (parse_many(admin_only=True): what the C walk may answer alone)
    # answers exactly the admin fields of the full parse
    full = parse_many(texts, cache=False)
    admin = parse_many(texts, cache=False, admin_only=True)
    wrong = [i for i, (a, b) in enumerate(zip(full, admin, strict=True)) if admin_fields(a) != b]
    if wrong:
        print(
            f"admin_only differs from the full parse's admin fields at {wrong[:10]}",
            file=sys.stderr,
        )
        return 1
    blocks = [
        hashlib.sha256("\n".join(answers[i : i + BLOCK]).encode()).hexdigest()[:16]
        for i in range(0, len(answers), BLOCK)
    ]
    total = hashlib.sha256("\n".join(answers).encode()).hexdigest()
    corpus_id = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as fh:
            fh.writelines(a + "\n" for a in answers)
    now = {"n": len(texts), "corpus": corpus_id, "digest": total, "blocks": blocks}
    if args.store:
        DIGEST.write_text(json.dumps(now, indent=0) + "\n", encoding="utf-8")
        print(f"stored: {len(texts)} addresses, digest {total[:16]}")
        return 0
    want = json.loads(DIGEST.read_text(encoding="utf-8"))
    if want["corpus"] != corpus_id:
        print("the corpus changed (table or generator): re-store on a known-good commit")
        return 2
    if want["digest"] == total:
        print(f"same answers on {len(texts)} addresses")
        return 0
    diff = [i for i, (a, b) in enumerate(zip(want["blocks"], blocks, strict=True)) if a != b]
    print(f"answers differ in blocks {diff} (addresses {diff[0] * BLOCK}..): use --dump")
    return 1


if __name__ == "__main__":
    sys.exit(main())
