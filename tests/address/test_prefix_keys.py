"""The gazetteer's street/landmark names that start a piece of unread text (``_PrefixKeys``)
are exactly those the scan over every name found, in the same order (longest first, then as
the table lists them) — on random names with shared prefixes and on a real city's streets."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from geo_enroll.geocode.gazetteer import _PrefixKeys

CHARS = "民生路东大桥街北南中山一二巷"
HUANGPU = (
    (Path(__file__).parent / "data" / "shanghai_huangpu_streets.txt").read_text("utf-8").split()
)


def _scan(table, pieces):
    """What the gazetteer did before: every name, longest first, tested on every piece."""
    keys = sorted(table, key=len, reverse=True)
    return [k for k in keys if any(piece.startswith(k) for piece in pieces)]


@pytest.mark.parametrize("seed", range(40))
def test_same_names_in_the_same_order_as_the_scan(seed):
    rng = random.Random(seed)
    table = {}
    for _ in range(rng.randint(0, 60)):
        table.setdefault("".join(rng.choices(CHARS, k=rng.randint(1, 5))), len(table))
    keys = _PrefixKeys(table)
    assert list(keys) == sorted(table, key=len, reverse=True)
    for _ in range(30):
        pieces = [
            "".join(rng.choices(CHARS, k=rng.randint(0, 8))) for _ in range(rng.randint(0, 3))
        ]
        assert keys.starting(pieces) == _scan(table, pieces)


def test_on_a_real_city_street_table():
    """The street names of 黄浦区 (``data/shanghai_huangpu_streets.txt``, from OSM), each
    name and a longer text after it, against the scan."""
    names = {n: i for i, n in enumerate(HUANGPU)}
    assert len(names) > 100
    keys = _PrefixKeys(names)
    rng = random.Random(7)
    for name in names:
        pieces = [name + "12号", rng.choice(HUANGPU)[1:] + "东", name[:-1]]
        assert keys.starting(pieces) == _scan(names, pieces)
