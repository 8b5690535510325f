"""Nothing lost silently: every line and item of a zoning part is a rule, a check or a
leftover with its reason — on the seeds, the fixtures and every real reference document."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from geo_enroll.errors import PolicyParseError
from geo_enroll.policy import parse_policy
from geo_enroll.policy.coverage import account
from geo_enroll.policy.parse import FORMS, SILENT_REASON
from tests.conftest import SHARED

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
DOCS = [ROOT / "data" / "policies" / n for n in ("taipusi_2024.txt", "yanqing_2023.txt")]
DOCS += sorted(p for p in DATA.iterdir() if p.suffix in (".txt", ".md"))
DEV = SHARED / "reference" / "zoning-dev"
DEV_DOCS = sorted(DEV.glob("*.md")) if DEV.is_dir() else []


def test_the_real_reference_documents_are_here():
    """Say so, rather than silently checking fewer documents, when ../shared is absent."""
    if not DEV.is_dir():
        pytest.skip(f"needs {DEV} (the ../shared reference data beside the project); absent here")
    assert len(DEV_DOCS) >= 10


def _read(path: Path) -> tuple[str, dict]:
    text = path.read_text(encoding="utf-8")
    return text, parse_policy(text)


@pytest.mark.parametrize("path", DOCS + DEV_DOCS, ids=lambda p: p.name)
def test_rules_checks_and_leftovers_add_up_to_the_zoning_part(path):
    text, spec = _read(path)
    got = account(text, spec)
    assert got["silent"] == []
    lines = text.splitlines()
    for u in spec["unparsed"]:  # every leftover points at the line that holds it
        assert u["line"] >= 1 and u["reason"]
        assert u["text"].replace(" ", "")[:4] in lines[u["line"] - 1].replace(" ", ""), u
    if any(s["zones"] for s in spec["schools"]):
        assert got["lines"]["rule"] > 0


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_the_grammar_itself_accounts_for_the_fixtures(path):
    """The coverage pass is a safety net: on texts the grammar was built for it adds nothing."""
    _, spec = _read(path)
    assert [u for u in spec["unparsed"] if u["reason"] == SILENT_REASON] == []


def test_a_dropped_rule_is_caught():
    """The check can fail: take a rule away and its line or items come back as silent."""
    text, spec = _read(DATA / "street_numbers_district.txt")
    broken = copy.deepcopy(spec)
    school = next(s for s in broken["schools"] if len(s["zones"]) > 1)
    lost = school["zones"].pop()
    silent = account(text, broken)["silent"]
    assert silent and {x["line"] for x in silent} == {lost["source"]["line"]}


def test_no_school_error_names_the_forms_and_the_first_lines():
    text = "关于做好春季防汛工作的通知\n各单位：\n请做好值班安排。\n"
    with pytest.raises(PolicyParseError) as err:
        parse_policy(text)
    message = str(err.value)
    assert "未找到任何学校划片规则" in message
    assert all(form in message for form in FORMS)
    assert "第1行 line 1: 关于做好春季防汛工作的通知" in message
