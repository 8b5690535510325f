"""The parser against a hand count (``data/keys/zoning_dev_key.json``) of schools and pieces
in the real documents of ../shared/reference/zoning-dev, and a per-document report.

The key was written by reading the texts, before comparing with the parser; where the two
disagree the key is kept and the difference is listed in the report (``-s`` shows it).
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from geo_enroll.policy import parse_policy
from geo_enroll.policy.coverage import account
from tests.conftest import SHARED, need_shared

KEY = json.loads((Path(__file__).parent / "data" / "keys" / "zoning_dev_key.json").read_text())
DEV = SHARED / "reference" / "zoning-dev"


@cache
def _spec(doc: str) -> tuple[str, dict]:
    text = need_shared(DEV / doc).read_text(encoding="utf-8")
    return text, parse_policy(text)


def pieces(school: dict) -> int:
    """Pieces of a school's zones as the key counts them (a unit each; any other rule one)."""
    return sum(
        len(z["units"]) if z.get("units") else 1 for z in school["zones"] if z["kind"] != "feeder"
    )


def test_key_is_big_enough():
    assert len(KEY["schools"]) >= 40
    assert len({k["doc"] for k in KEY["schools"]}) >= 8


def test_every_keyed_school_is_found_at_its_level():
    missing, wrong_level = [], []
    for k in KEY["schools"]:
        _, spec = _spec(k["doc"])
        hits = [s for s in spec["schools"] if s["name"] == k["school"]]
        if not hits:
            missing.append((k["doc"], k["school"]))
        elif hits[0]["level"] != k["level"]:
            wrong_level.append((k["school"], hits[0]["level"], k["level"]))
    assert missing == [] and wrong_level == []


def test_pieces_agree_with_the_hand_count():
    """Most keyed schools get exactly the pieces a person counts; every disagreement is listed
    and none is a silent loss (a piece short is in ``unparsed`` on the school's lines)."""
    exact, off = 0, []
    for k in KEY["schools"]:
        _, spec = _spec(k["doc"])
        school = next(s for s in spec["schools"] if s["name"] == k["school"])
        got = pieces(school)
        if got == k["pieces"]:
            exact += 1
            continue
        off.append((k["doc"], k["school"], got, k["pieces"]))
        if got < k["pieces"]:  # fewer than counted: the rest must be reported
            lines = {z["source"]["line"] for z in school["zones"]}
            assert any(u["line"] in lines for u in spec["unparsed"]), (k["school"], got)
    print(f"\nhand key: {exact}/{len(KEY['schools'])} schools with exactly the counted pieces")
    for row in off:
        print("  differs:", *row)
    assert exact >= 0.85 * len(KEY["schools"]), off


def test_feeders_in_the_key():
    for f in KEY["feeders"]:
        _, spec = _spec(f["doc"])
        middle = next(s for s in spec["schools"] if s["name"] == f["middle"])
        fed = {
            x["name"] for z in middle["zones"] if z["kind"] == "feeder" for x in z["from_schools"]
        }
        assert set(f["from"]) <= fed, (f["middle"], fed)
        by_id = {s["id"] for s in spec["schools"]}
        for z in middle["zones"]:
            for x in z.get("from_schools", []):
                assert x["school_id"] is None or x["school_id"] in by_id


@pytest.mark.parametrize("doc", sorted({k["doc"] for k in KEY["schools"]}))
def test_report_per_document(doc):
    """Per document: schools, rules by kind, unparsed; no document rejected, nothing silent."""
    text, spec = _spec(doc)
    kinds = Counter(z["kind"] for s in spec["schools"] for z in s["zones"])
    assert spec["schools"] and sum(kinds.values()) > 0
    assert account(text, spec)["silent"] == []
    print(
        f"\n{doc}: {len(spec['schools'])} schools, rules {dict(sorted(kinds.items()))}, "
        f"{len(spec['unparsed'])} unparsed"
    )
