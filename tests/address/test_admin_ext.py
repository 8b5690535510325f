"""The C walk of the admin chain's start (``geo_enroll/address/_admin_ext.c``).

The walk reads only what is certain and hands the rest to the Python loop, so the parse must
answer exactly as without it: compared here on the tests' own strings, the evaluation file
and forms generated from the national table (full chains, short forms, doubled names, typos,
old names, Hong Kong/Macau/Taiwan, noise, roads and buildings after them), both in full and
``admin_only``; its two building blocks (the C readings of parse.py's patterns, and the proof
that normalisation leaves a text alone) against the Python they stand for; and the parse
without the extension.  The comparisons skip (with the reason) where the extension is not
built; the whole suite also runs with ``GEO_ENROLL_NO_EXT=1``.
"""

from __future__ import annotations

import csv
import gzip
import importlib
import random
import sys
from pathlib import Path

import pytest

from geo_enroll.address import load_divisions, normalize_address
from geo_enroll.address import parse as parse_mod
from geo_enroll.address.parse import admin_fields

ROOT = Path(__file__).resolve().parents[2]
DIV = load_divisions()


def _ext():
    try:
        return importlib.import_module("geo_enroll.address._admin_ext")
    except ImportError:
        return None


@pytest.fixture(scope="module")
def parsers(monkeypatch_module):
    """(parser with the C walk, parser without it) over the same table."""
    if _ext() is None:
        pytest.skip("the C extension is not built (setup.py build_ext --inplace)")
    with_c = parse_mod._parser(DIV, frozenset())
    if with_c._walk is None:
        pytest.skip("GEO_ENROLL_NO_EXT=1: the Python code runs by request")
    monkeypatch_module.setenv("GEO_ENROLL_NO_EXT", "1")
    without = parse_mod._Parser(DIV, frozenset())
    monkeypatch_module.delenv("GEO_ENROLL_NO_EXT")
    assert without._walk is None and without._plain is None
    return with_c, without


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def _test_strings() -> list[str]:
    path = ROOT / "benchmarks" / "data" / "parse_corpus_tests.txt.gz"
    with open(ROOT / "benchmarks" / "data" / "eval_addresses.tsv", encoding="utf-8") as fh:
        texts = [r["address"] for r in csv.DictReader(fh, delimiter="\t")]
    return texts + gzip.decompress(path.read_bytes()).decode().split("\n")


_TAILS = ("人民路12号", "文一路与沙河路交叉口", "建设南路131弄10号", "幸福小区3栋2单元501室",
          "国贸大厦1205", "5组14号", "菜园村3组", "河北路3号", "大道8号", "东一巷2499-164号",
          "", "null", "红旗镇", "城厢街道", "3号", "花园街")  # fmt: skip
_NOISE = ("", "户籍地址", "中国", "Room5", "家住")
_OUTSIDE = ("香港", "香港特别行政区", "澳门", "澳门特别行政区", "台湾", "台湾省台北市", "台北市")


def _variants(n: int, seed: int) -> list[str]:
    """Seeded forms of real chains: full, short names, a level left out, doubled names, one
    character replaced by a same-sounding one or by another, old names, HK/Macau/Taiwan, noise
    in front (户籍地址, Room5), each with a tail."""
    rng = random.Random(seed)
    towns = sorted(c for c, u in DIV.units.items() if u.level == "township")
    old = sorted({ch.old_name for lv in DIV.historical for chs in DIV.historical[lv].values()
                  for ch in chs})  # fmt: skip
    sounds: dict[str, list[str]] = {}
    for name in DIV.full["county"]:
        for c in name:
            sounds.setdefault(parse_mod._typo_sound(c), []).append(c)
    out = []
    for i in range(n):
        chain = [DIV.units[a].name for a in DIV.ancestors(rng.choice(towns))]
        kind = i % 9
        if kind == 1:  # short forms
            chain = [x[:2] if rng.random() < 0.5 else x for x in chain]
        elif kind == 2 and len(chain) > 2:  # a level left out
            del chain[rng.randrange(len(chain) - 1)]
        elif kind == 3:  # doubled
            j = rng.randrange(len(chain))
            chain.insert(j, chain[j][: rng.choice((2, len(chain[j])))])
        elif kind == 4:  # a typo in one name: same sound or not
            j = rng.randrange(len(chain))
            name = chain[j]
            k = rng.randrange(len(name))
            same = sounds.get(parse_mod._typo_sound(name[k]), [name[k]])
            chain[j] = name[:k] + rng.choice(same + ["王", "阳"]) + name[k + 1 :]
        elif kind == 5:  # an old name
            chain = [rng.choice(old)] + chain[-rng.randrange(1, 3) :]
        elif kind == 6:
            chain = [rng.choice(_OUTSIDE)] + chain[-1:] * rng.randrange(2)
        elif kind == 7:  # county first, or the township alone
            chain = chain[-rng.randrange(1, 3) :]
        noise = rng.choice(_NOISE) if kind == 8 else ""
        out.append(noise + "".join(chain) + rng.choice(_TAILS))
    return out


def _differences(parsers, texts, *, admin_only=False):
    with_c, without = parsers
    settings = parse_mod.DEFAULT_SETTINGS
    differ = []
    for t in texts:
        a = with_c.parse(t, settings, admin_only)
        b = without.parse(t, settings, admin_only)
        if admin_only:
            a, b = admin_fields(a), admin_fields(b)
        if a != b:
            differ.append(t)
    return differ


def test_same_answers_on_the_tests_strings_and_the_evaluation_file(parsers):
    texts = _test_strings()
    assert len(texts) > 2000
    assert not _differences(parsers, texts)[:5]
    assert not _differences(parsers, texts, admin_only=True)[:5]


def test_same_answers_on_generated_forms(parsers):
    texts = _variants(6000, seed=12)
    assert not _differences(parsers, texts)[:5]
    assert not _differences(parsers, texts, admin_only=True)[:5]
    # the walk is in use on these forms (the comparison is not of two Python runs)
    with_c = parsers[0]
    walked = [with_c._walk(normalize_address(t)) for t in texts]
    assert sum(w is not None for w in walked) > len(texts) // 2
    assert sum(w is not None and w[2] for w in walked) > len(texts) // 4
    assert any(w is None for w in walked)  # and it leaves what it is not sure of


@pytest.mark.parametrize(
    ("text", "end", "codes", "final"),
    [
        ("浙江省杭州市西湖区文三路90号", 9, ("33", "3301", "330106"), 2),
        ("河北沧州黄骅市羊三木回族乡王庄子村10组", 13, ("13", "1309", "130983", "130983207"), 2),
        (
            "辽宁省辽宁省阜新市彰武县四堡子镇兴隆村12组",
            16,
            ("21", "2109", "210922", "210922118"),
            2,
        ),
        ("北京市", 3, ("11",), 0),  # a province alone: recovery may read more (Python)
        ("太仆寺旗宝昌镇菜园村", 7, ("152527", "152527100"), 0),  # villages shipped there
        ("太原市万柏林区晋祠路118号", 7, ("1401", "140109"), 2),  # 晋祠: no township elsewhere
        (
            "福建省福州市鼓楼区东街街道福州市",
            16,
            ("35", "3501", "350102", "350102004"),
            2,
        ),  # repeat
    ],
)
def test_the_walk_reads_the_certain_start(parsers, text, end, codes, final):
    walked = parsers[0]._walk(text)
    assert walked is not None
    assert (walked[0], tuple(item[1] for item in walked[1]), walked[2]) == (end, codes, final)


def test_an_old_name_is_read_with_the_changes_python_notes(parsers):
    """襄樊 (today 襄阳), 大兴县 (today 大兴区): the walk names the changes by index, the
    parse notes them as the Python code does (the answers compared above)."""
    with_c, without = parsers
    for text, successor in (("襄樊市樊城区", "4206"), ("北京市大兴县大兴国际机场", "110115")):
        walked = with_c._walk(text)
        (renamed,) = [item[3] for item in walked[1] if item[3] is not None]
        assert [item[1] for item in walked[1] if item[3] is not None] == [successor]
        start, end, index = renamed
        assert all(with_c._change_list[i].successor == successor for i in index)
        r = with_c.parse(text, parse_mod.DEFAULT_SETTINGS)
        assert r["historical"] and r == without.parse(text, parse_mod.DEFAULT_SETTINGS)
        assert r["written"][parse_mod.level_of_code(successor)] == text[start:end]


@pytest.mark.parametrize(
    "text",
    # shared names, a retired county's short form at the start, an unknown unit, noise in
    # front, a short province before a road word
    ["西湖区文三路", "某某县红旗镇3组", "户籍地址宝昌镇", "河北路3号", "朝阳区建国路1号"],
)
def test_the_walk_leaves_shared_old_and_doubtful_names_to_python(parsers, text):
    assert parsers[0]._walk(normalize_address(text)) is None


def test_the_c_patterns_read_as_the_regexes():
    """``patterns_at`` is the C reading of _NOT_A_PLACE_RE and _TOWNSHIP_KIND_RE (exact) and a
    superset of where a token keeping the chain open may start (township?, village?)."""
    ext = _ext()
    if ext is None:
        pytest.skip("the C extension is not built")
    m = ext.Matcher([], [], [], [], b"")
    open_rx = [rx for part, rx in parse_mod._TOKENS if part in ("township?", "village?")]
    assert len(open_rx) == 3
    alphabet = ("东南西北中横支环一二三十村嘎查社区居委会小花园家公寓大厦新苑院宿舍山庄华庭名广场府"
                "桥门街道路巷弄胡同国省县市区旗盟州镇乡苏木号王阳09Aa")  # fmt: skip
    rng = random.Random(3)
    for _ in range(40_000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 9)))
        for i in range(len(s) + 1):
            not_a_place, township_kind, open_token = m.patterns_at(s, i)
            assert not_a_place == bool(parse_mod._NOT_A_PLACE_RE.match(s, i)), (s, i)
            assert township_kind == bool(parse_mod._TOWNSHIP_KIND_RE.match(s, i)), (s, i)
            if any(rx.match(s, i) for rx in open_rx):
                assert open_token, (s, i)


def test_plain_texts_are_left_alone_by_normalisation(parsers):
    plain = parsers[0]._plain
    rng = random.Random(5)
    alphabet = ("宝昌镇河沿街一二三十百号组社区单元室楼之至到寶鎮Nn5A-# ，\u3007\u4dc0\u9fa5\u9fff"
                "\uff11\u00a0\u200b")  # fmt: skip
    texts = _test_strings() + ["".join(rng.choice(alphabet) for _ in range(rng.randrange(8)))
                               for _ in range(30_000)]  # fmt: skip
    claimed = 0
    for t in texts:
        if plain(t):
            claimed += 1
            assert normalize_address(t) == t, t
    assert claimed > 1000
    for t in ("五组十四号", "14号之一", "1至3号", "null宝昌镇", "寶昌鎮", "宝昌镇 河沿街", ""):
        assert not plain(t), t


def test_without_the_extension_the_python_code_parses(monkeypatch):
    monkeypatch.setenv("GEO_ENROLL_NO_EXT", "1")
    parser = parse_mod._Parser(DIV, frozenset())
    assert parser._walk is None and parser._plain is None
    r = parser.parse("宝昌镇河沿街5组14号", parse_mod.DEFAULT_SETTINGS)
    assert (r["county"], r["codes"]["township"], r["road"]) == ("太仆寺旗", "152527100", "河沿街")
    monkeypatch.delenv("GEO_ENROLL_NO_EXT")
    # not built: the import fails (the package attribute would answer a relative import)
    monkeypatch.setitem(sys.modules, "geo_enroll.address._admin_ext", None)
    monkeypatch.delattr(sys.modules["geo_enroll.address"], "_admin_ext", raising=False)
    assert parse_mod._admin_matcher(parser) is None
