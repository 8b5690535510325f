"""The compiled twin of the address parser (mypyc, ``geo_enroll/address/_twin.py``).

The twin is used only when it was built from the sources on disk, and then answers exactly as
the Python code.  The comparisons skip (with the reason) where no current twin is built; the
whole suite also runs without it (``GEO_ENROLL_NO_EXT=1``).
"""

from __future__ import annotations

import csv
import doctest
import shutil
import sys
import types
from pathlib import Path

import pytest

from geo_enroll.address import _twin
from geo_enroll.address import parse as parse_mod

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "geo_enroll"


# -- adopt(): when a twin is used (a stand-in twin, no compiler needed) -----------------------
@pytest.fixture
def fake_package(tmp_path, monkeypatch):
    """A package folder with copies of the parser's sources and a stand-in twin module whose
    digest matches them; returns (globals of the module, the twin)."""
    for rel in _twin.TWINS["address/parse.py"]:
        dest = tmp_path / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(PACKAGE / rel, dest)
    twin = types.ModuleType("fakepkg.address._parse_compiled")
    twin.__source_digest__ = _twin.source_digest(tmp_path, "address/parse.py")
    twin.parse_address = "the twin's"
    twin._BUILT = {"shared": "state"}
    monkeypatch.setitem(sys.modules, "fakepkg", types.ModuleType("fakepkg"))
    monkeypatch.setitem(sys.modules, "fakepkg.address", types.ModuleType("fakepkg.address"))
    monkeypatch.setitem(sys.modules, twin.__name__, twin)
    monkeypatch.delenv("GEO_ENROLL_NO_EXT", raising=False)
    g = {
        "__name__": "fakepkg.address.parse",
        "__file__": str(tmp_path / "address" / "parse.py"),
        "__doc__": "the module's own",
        "parse_address": "python's",
    }
    return g, twin


def test_a_twin_built_from_these_sources_replaces_the_names(fake_package):
    g, twin = fake_package
    assert _twin.adopt(g) is True
    assert g["parse_address"] == "the twin's"
    assert g["_BUILT"] is twin._BUILT  # one set of state: the twin's
    assert g["__doc__"] == "the module's own" and g["__name__"] == "fakepkg.address.parse"


@pytest.mark.parametrize(
    "edited", ["address/parse.py", "address/divisions.py", "address/normalize.py"]
)
def test_an_edit_of_any_source_it_was_built_from_keeps_the_python_code(fake_package, edited):
    g, _ = fake_package
    path = Path(g["__file__"]).parents[1] / edited
    path.write_bytes(path.read_bytes() + b"\n# edited after the build\n")
    assert _twin.adopt(g) is False
    assert g["parse_address"] == "python's"


def test_no_twin_or_opted_out_keeps_the_python_code(fake_package, monkeypatch):
    g, twin = fake_package
    monkeypatch.setenv("GEO_ENROLL_NO_EXT", "1")
    assert _twin.adopt(g) is False
    monkeypatch.delenv("GEO_ENROLL_NO_EXT")
    monkeypatch.delitem(sys.modules, twin.__name__)  # not built: the import fails
    assert _twin.adopt(g) is False
    assert g["parse_address"] == "python's"


def test_the_twin_itself_and_other_names_adopt_nothing(fake_package):
    g, _ = fake_package
    assert _twin.adopt({**g, "__name__": "fakepkg.address._parse_compiled"}) is False
    # the Python code loaded under another name (as below) stays Python
    assert _twin.adopt({**g, "__name__": "fakepkg.address._parse_python"}) is False
    assert g["parse_address"] == "python's"


# -- the real twin, when built: same answers as the Python code ------------------------------
def _built() -> list[Path]:
    return sorted((PACKAGE / "address").glob("_parse_compiled*.so"))


@pytest.fixture(scope="module")
def python_parse():
    """parse.py loaded again as plain Python (its own parsers and memos)."""
    if not parse_mod.ACCELERATED:
        if not _built():
            pytest.skip("no compiled twin built (pip install -e . with mypy installed)")
        pytest.skip("compiled twin not used: GEO_ENROLL_NO_EXT=1, or built from older sources")
    module = _twin.load_python(parse_mod)
    name = "geo_enroll.address._parse_python"
    assert module.ACCELERATED is False and module.parse_address.__module__ == name
    return module


def test_a_built_twin_is_the_one_in_use():
    if not _built():
        pytest.skip("no compiled twin built (pip install -e . with mypy installed)")
    import os

    if os.environ.get("GEO_ENROLL_NO_EXT") == "1":
        pytest.skip("GEO_ENROLL_NO_EXT=1: the Python code runs by request")
    if not parse_mod.ACCELERATED:
        pytest.skip("the twin was built from older sources: rebuild (pip install -e .)")
    assert parse_mod.parse_address.__module__ == "geo_enroll.address._parse_compiled"
    assert type(parse_mod._parser(parse_mod.load_divisions(), frozenset())).__module__ == (
        "geo_enroll.address._parse_compiled"
    )


def _inputs() -> list:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from bench_geocode import make_addresses
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    with open(ROOT / "benchmarks" / "data" / "eval_addresses.tsv", encoding="utf-8") as fh:
        texts = [r["address"] for r in csv.DictReader(fh, delimiter="\t")]
    odd = [None, "", 5, b"\xe5\xae\x9d", "   ", "Room 5", "宝昌镇" * 200, "香港", "台北市信义路5号",
           "某某县红旗镇3组", "北京北京市朝阳区", "null宝昌镇null菜园村", "江干区", "玉环县环城路1号"]  # fmt: skip
    return texts + make_addresses(1500) + odd


def test_the_twin_answers_as_the_python_code(python_parse):
    texts = _inputs()
    twin = parse_mod.parse_many(texts, cache=False)
    python = python_parse.parse_many(texts, cache=False)
    differ = [t for t, a, b in zip(texts, twin, python, strict=True) if a != b]
    assert not differ, differ[:5]
    # one by one, with a preferred county, and the result copies of the batch cache
    for t in texts[:200:7]:
        kw = {"prefer_counties": ["152527"]}
        assert parse_mod.parse_address(t, **kw) == python_parse.parse_address(t, **kw), t
    assert parse_mod.parse_many(texts[:50] * 2) == python_parse.parse_many(texts[:50] * 2)
    assert parse_mod.pinyin_key("楚伦乌苏", loose=True) == python_parse.pinyin_key(
        "楚伦乌苏", loose=True
    )


def test_the_python_doctests_pass_on_the_twin(python_parse):
    """Doctest collects the twin's functions under the twin's module name, so it skips them
    in parse.py: run the Python functions' examples against the twin's names here."""
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = [t for t in finder.find(python_parse) if t.examples]
    assert len(tests) >= 10
    for test in tests:
        test.globs = dict(vars(parse_mod))
        runner.run(test)
    assert runner.failures == 0, runner.summarize(verbose=False)


# -- admin_only: the speed mode that answers only province/city/county ------------------------
def test_admin_only_answers_exactly_what_the_full_parse_answers_for_them():
    texts = _inputs()
    full = [parse_mod.admin_fields(r) for r in parse_mod.parse_many(texts, cache=False)]
    assert parse_mod.parse_many(texts, cache=False, admin_only=True) == full
    assert parse_mod.parse_many(texts[:40] * 2, admin_only=True) == full[:40] * 2  # cached
    some = [r for r in full if r["codes"].get("county")]
    assert len(some) > len(texts) // 2  # the inputs do name counties (the check is not empty)
    r = parse_mod.parse_many(["太仆寺旗宝昌镇河沿街5组14号"], admin_only=True)[0]
    assert (r["county"], r["codes"]["county"]) == ("太仆寺旗", "152527")
    assert "road" not in r and "township" not in r["codes"]  # not answered, not left empty
