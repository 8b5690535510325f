"""The parser's precomputed tables agree with what they stand for (speed work, issue #12).

Each table replaces a computation the parse used to do per address; these tests check the
table against that computation, directly from its definition, on real names of the national
table: the names found at a position are exactly the names that are substrings there; the
index of widely shared names gives exactly the units under a parent; emptying the memos
changes no answer.
"""

from __future__ import annotations

import random

import pytest

from geo_enroll.address import load_divisions, parse_address
from geo_enroll.address import parse as parse_mod

DIV = load_divisions()
PARSER = parse_mod._parser(DIV, frozenset())


def _names_by_definition(s: str, pos: int) -> list[str]:
    """Every name (of length >= 2) that starts at ``pos``, longest first, by brute force."""
    found = [s[pos:end] for end in range(pos + 2, len(s) + 1) if s[pos:end] in PARSER.levels_of]
    return found[::-1]


def _texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    codes = sorted(DIV.units)
    out = []
    for _ in range(n):
        chain = "".join(DIV.units[a].name for a in DIV.ancestors(rng.choice(codes)))
        out.append(chain + rng.choice(["人民路12号", "朝阳路3栋", "城关镇中心村5组", ""]))
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_names_at_each_position_are_the_substring_names(seed):
    checked = 0
    for s in _texts(150, seed):
        for pos in range(len(s)):
            want = _names_by_definition(s, pos)
            assert list(PARSER._hits(s, pos)) == want, (s, pos)
            levels = frozenset().union(*(PARSER.levels_of[k] for k in want))
            # the main loop's inline look-up: the names and the levels they name
            got = PARSER._upto.get(s[pos : pos + PARSER._longest_start(s[pos:])], (None, None))
            if want:
                assert got == (tuple(want), levels), (s, pos)
            else:
                assert got == (None, None), (s, pos)
            checked += bool(want)
    assert checked > 300  # the texts do name places


def test_shared_name_index_gives_the_units_under_a_parent():
    rng = random.Random(3)
    shared = [codes for codes, _index in PARSER._shared.values()]
    assert len(shared) > 100  # 城关镇, 新华街道, ... : the index is in use
    for codes in rng.sample(shared, 60):
        index = PARSER._shared[id(codes)][1]
        parents = {c[:n] for c in codes for n in (2, 4, 6, 9)} | {"99", "1101", codes[0]}
        for p in sorted(parents):
            assert index.get(p, ()) == parse_mod._under(codes, (p,)), p


def test_by_level_table_holds_every_name_of_the_level():
    for level in parse_mod.LEVELS:
        table = PARSER._by_level[level]
        for source, i in ((DIV.full, 0), (DIV.short, 1), (DIV.historical, 2)):
            for name, value in source[level].items():
                assert table[name][i] is value


def test_answers_do_not_depend_on_the_memos():
    texts = [*_texts(40, 4), "太仆寺旗千斤沟镇东圪良村3组", "西湖区文三路", "江干区凯旋路12号"]
    warm = [parse_address(t) for t in texts]
    parse_mod._clear_memos(DIV)
    cold = [parse_address(t) for t in texts]
    assert cold == warm
    assert parse_mod._lineage.cache_info().currsize > 0  # the cold pass did fill them again
