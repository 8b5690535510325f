"""The review page (``geo-enroll parse DOC --review review.html``), read in a real chromium."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from geo_enroll.policy import parse_policy
from geo_enroll.policy.review import review_html
from tests.conftest import SHARED, need_shared

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "data" / "policies" / "taipusi_2024.txt"
DEV_DOC = SHARED / "reference" / "zoning-dev" / "hangzhou_urban-districts_2026.md"
CHROMIUM = Path("/usr/bin/chromium")


def _shots(tmp_path: Path) -> Path:
    """Where screenshots go: $GEO_ENROLL_SHOTS (to look at them), else the test's tmp dir."""
    out = Path(os.environ.get("GEO_ENROLL_SHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _page_facts(html_path: Path, shot: Path, hover_nth: int = 0) -> dict:
    """Open the page in Debian's chromium; count what a planner sees; screenshot it."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian chromium at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(html_path.as_uri())
            facts = {
                "rules": int(page.inner_text("#n-rules")),
                "unparsed": int(page.inner_text("#n-unparsed")),
                "schools": int(page.inner_text("#n-schools")),
                "school_rows": page.locator("tr.school").count(),
                "rule_titles": page.eval_on_selector_all(
                    "span.rule", "els => els.map(e => e.getAttribute('data-rule'))"
                ),
                "unparsed_spans": page.locator("span.unparsed").count(),
                "bg": page.eval_on_selector(
                    "span.rule", "e => getComputedStyle(e).backgroundColor"
                ),
            }
            first = page.locator(f"span.rule >> nth={hover_nth}")
            first.scroll_into_view_if_needed()
            page.mouse.wheel(0, -200)
            first.hover()
            facts["hover"] = page.evaluate(
                "() => getComputedStyle(document.querySelector('span.rule:hover'),"
                " '::after').content"
            )
            page.screenshot(path=str(shot))
        finally:
            browser.close()
    return facts


def _check(text: str, spec: dict, facts: dict) -> None:
    n_rules = sum(len(s["zones"]) for s in spec["schools"])
    assert facts["rules"] == n_rules and facts["schools"] == len(spec["schools"])
    assert facts["school_rows"] == len(spec["schools"])
    assert facts["unparsed"] == len(spec["unparsed"])
    # every rule is shown somewhere with its id in the hover text
    shown = "\n".join(t for t in facts["rule_titles"] if t)
    for s in spec["schools"]:
        for z in s["zones"]:
            assert z["rule_id"] in shown, z["rule_id"]
    assert facts["unparsed_spans"] >= min(1, len(spec["unparsed"]))  # leftovers are marked
    assert facts["bg"] not in ("rgba(0, 0, 0, 0)", "transparent")  # coloured by kind
    assert "-r0" in facts["hover"]  # hovering a span shows its rule


def test_review_page_of_a_seed_in_chromium(tmp_path):
    text = SEED.read_text(encoding="utf-8")
    out = tmp_path / "taipusi.html"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "geo_enroll.cli",
            "parse",
            str(SEED),
            "-o",
            str(tmp_path / "t.toml"),
            "--review",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    spec = parse_policy(text)
    _check(text, spec, _page_facts(out, _shots(tmp_path) / "review_taipusi.png"))


def test_review_page_of_a_dev_document_in_chromium(tmp_path):
    text = need_shared(DEV_DOC).read_text(encoding="utf-8")
    spec = parse_policy(text)
    out = tmp_path / "dev.html"
    out.write_text(review_html(text, spec), encoding="utf-8")
    facts = _page_facts(out, _shots(tmp_path) / "review_hangzhou.png")
    _check(text, spec, facts)
    assert facts["unparsed_spans"] >= 1  # this document has leftovers: they are marked


def test_review_rejects_a_wrong_suffix(tmp_path):
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "geo_enroll.cli",
            "parse",
            str(SEED),
            "-o",
            str(tmp_path / "t.toml"),
            "--review",
            str(tmp_path / "r.txt"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2 and ".html" in run.stderr and "Traceback" not in run.stderr


def test_review_escapes_the_text():
    text = "某县2024年招生方案\n一、招生范围\n1.第一小学招收城关镇户籍适龄儿童。<script>alert(1)</script>"
    page = review_html(text, parse_policy(text))
    assert "<script>alert" not in page and "&lt;script&gt;" in page
