"""docs/clauses.md: every operative clause of both seeds, the engine's answer and its test.

Each row must quote its seed line exactly, carry a known status, and name tests that exist;
no row is ``done`` or ``partial`` without a test (issue 10, "Must show").
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "clauses.md"
STATUSES = {"done", "partial", "missing", "informational"}


def _rows() -> list[dict]:
    rows, policy = [], None
    for raw in DOC.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^## .*\(`(\w+)`\)", raw)
        if m:
            policy = m[1]
            continue
        cells = [c.strip() for c in raw.strip().strip("|").split("|")]
        if policy and len(cells) == 5 and cells[0].isdigit():
            tests = re.findall(r"`([^`]+::\w+)`", cells[4])
            rows.append(
                {
                    "policy": policy,
                    "line": int(cells[0]),
                    "quote": cells[1],
                    "engine": cells[2],
                    "status": cells[3],
                    "tests": tests,
                    "raw": cells[4],
                }
            )
    return rows


ROWS = _rows()


def _defined(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


def test_the_table_covers_both_seeds():
    counts = {p: sum(r["policy"] == p for r in ROWS) for p in ("taipusi_2024", "yanqing_2023")}
    assert counts["taipusi_2024"] >= 45 and counts["yanqing_2023"] >= 33, counts


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r['policy']}-L{r['line']}")
def test_row(row):
    seed = (ROOT / "data" / "policies" / f"{row['policy']}.txt").read_text(encoding="utf-8")
    line = seed.splitlines()[row["line"] - 1]
    assert row["quote"] in line, f"line {row['line']} does not say {row['quote']!r}"
    assert row["status"] in STATUSES and row["engine"]
    if row["status"] in ("done", "partial"):
        assert row["tests"], "a done/partial row names the test that shows it"
    if row["status"] == "missing":
        assert not row["tests"] and row["raw"] == "—", "a missing row claims no test"
    for ref in row["tests"]:
        path, name = ref.split("::")
        assert (ROOT / path).exists(), ref
        assert name in _defined(ROOT / path), f"{ref} is not defined"


def test_totals_match_the_rows():
    text = DOC.read_text(encoding="utf-8")
    found = re.findall(r"\(`(\w+)`\)\n(?:.*\n)*?Totals: (.*)\.", text)
    assert [p for p, _ in found] == ["taipusi_2024", "yanqing_2023"]
    for policy, totals in found:
        got = dict(re.findall(r"(\w+) (\d+)", totals))
        for status, n in got.items():
            assert int(n) == sum(r["policy"] == policy and r["status"] == status for r in ROWS)
