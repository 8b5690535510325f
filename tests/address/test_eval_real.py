"""The hand-labelled evaluation set ``benchmarks/data/eval_addresses_real.tsv`` is well-formed.

The set is labelled by hand (``benchmarks/data/eval_addresses_real.md`` says how); these tests
guard its shape and its consistency with the shipped national table, never a parser's
accuracy on it (that is ``benchmarks/eval_address.py``'s job, and the parser is moving).
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path

import pytest

from geo_enroll.address import load_divisions, normalize_address

DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "eval_addresses_real.tsv"
COLUMNS = ["id", "form", "address", "province", "city", "county", "county_code", "township",
           "village", "road", "house_number", "provenance"]  # fmt: skip
LABELS = COLUMNS[3:11]
MUNICIPAL = {"11", "12", "31", "50"}
PLACEHOLDER = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
OUTSIDE = {"香港特别行政区", "澳门特别行政区", "台湾省"}
DIV = load_divisions()


@pytest.fixture(scope="module")
def rows():
    with open(DATA, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        assert reader.fieldnames == COLUMNS
        return list(reader)


def test_size_and_spread(rows):
    assert len(rows) >= 600
    provinces = {r["province"] for r in rows if r["province"]}
    assert len(provinces) >= 25, sorted(provinces)
    assert OUTSIDE <= provinces
    assert len({r["form"] for r in rows}) >= 12
    assert [int(r["id"]) for r in rows] == list(range(1, len(rows) + 1))


def test_no_duplicate_addresses_and_no_contradicting_twins(rows):
    texts = [r["address"] for r in rows]
    assert len(set(texts)) == len(texts), [t for t in set(texts) if texts.count(t) > 1]
    # full-width digits, spaces etc. may normalise to the same text: then the labels must agree
    twins = defaultdict(list)
    for r in rows:
        twins[normalize_address(r["address"])].append(r)
    for group in twins.values():
        labels = {tuple(r[c] for c in LABELS) for r in group}
        assert len(labels) == 1, [r["id"] for r in group]


def test_every_row_has_a_province_or_a_reason_and_a_provenance(rows):
    for r in rows:
        assert r["provenance"].strip(), r["id"]
        assert r["province"] or r["provenance"].startswith("unknowable"), r["id"]
        assert any(r[c] for c in LABELS), f"row {r['id']} labels nothing"


def test_admin_labels_agree_with_the_shipped_table(rows):
    for r in rows:
        code = r["county_code"]
        if r["province"]:
            assert DIV.full["province"].get(r["province"]), (r["id"], r["province"])
        if r["province"] in OUTSIDE:
            assert not (r["city"] or r["county"] or code), r["id"]
            continue
        if not code:
            assert not r["county"], r["id"]
            continue
        assert code in DIV.units and len(code) == 6, (r["id"], code)
        assert DIV.units[code].name == r["county"], r["id"]
        assert DIV.units[code[:2]].name == r["province"], r["id"]
        city = DIV.units.get(code[:4])
        if code[:2] in MUNICIPAL:
            assert r["city"] == r["province"], r["id"]
        elif city is None or city.name in PLACEHOLDER:
            assert r["city"] == "", r["id"]
        else:
            assert r["city"] == city.name, r["id"]


def test_townships_are_in_the_table_under_their_county(rows):
    """Unless the row says why (a 北京 镇/乡 whose table name is 某某地区, labelled as written)."""
    for r in rows:
        if not (r["township"] and r["county_code"]):
            continue
        under = [
            c
            for c in DIV.full["township"].get(normalize_address(r["township"]), ())
            if c.startswith(r["county_code"])
        ]
        assert under or "label as written" in r["provenance"], (r["id"], r["township"])


def test_span_labels_are_written_in_the_address(rows):
    for r in rows:
        for field in ("road", "village"):
            assert r[field] in r["address"], (r["id"], field)
        if r["house_number"]:
            assert re.fullmatch(r"\d+", r["house_number"]), r["id"]
            assert r["house_number"] in normalize_address(r["address"]), r["id"]
        assert not re.search(r"\d|[省市区县]$", r["road"]), (r["id"], r["road"])
