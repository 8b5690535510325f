"""End to end: the main job (``geo-enroll demo``) on a copy of the embedded data.

This is the README's first command minus the server: parse → base map → digitise → synthetic
cohort → place → classes, through the CLI's own subcommands.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from geo_enroll.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    data = tmp / "data"
    shutil.copytree(ROOT / "data", data)
    out = tmp / "out"
    env_backup = dict(**__import__("os").environ)
    import os

    os.environ["GEO_ENROLL_DATA"] = str(data)
    try:
        code = main(["demo", "--no-serve", "--out", str(out), "--seed", "7"])
    finally:
        os.environ.clear()
        os.environ.update(env_backup)
    return code, data, out


def test_demo_runs_the_whole_pipeline(demo_run):
    code, data, out = demo_run
    assert code == 0
    for name in ("taipusi_2024.spec.json", "students.csv", "classes.csv"):
        assert (out / name).stat().st_size > 0, name
    with open(out / "placement" / "placements.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    with open(out / "students.csv", encoding="utf-8") as f:
        n_students = sum(1 for _ in csv.DictReader(f))
    assert len(rows) == n_students and len({r["student_id"] for r in rows}) == n_students
    with open(out / "placement" / "schools.csv", encoding="utf-8") as f:
        for s in csv.DictReader(f):
            assert int(s["placed"]) <= int(s["seats"]), s
    placed = Counter(r["status"] for r in rows)["placed"]
    with open(out / "classes.csv", encoding="utf-8") as f:
        assert sum(1 for _ in csv.DictReader(f)) == placed


def test_demo_runs_the_yanqing_scenario_with_verified_draws(demo_run):
    """延庆 2023 runs end to end: parsed, and its hypothetical multi-school scenario placed."""
    _, _, out = demo_run
    spec = __import__("json").loads((out / "yanqing_2023.spec.json").read_text(encoding="utf-8"))
    assert spec["policy"]["jurisdiction"] == "延庆区" and spec["policy"]["age_cutoff"]
    draws = sorted((out / "yanqing_placement" / "lottery").glob("*/draw.json"))
    assert draws, "the multi-school zones were not drawn"
    with open(out / "yanqing_placement" / "schools.csv", encoding="utf-8") as f:
        for s in csv.DictReader(f):
            assert int(s["placed"]) <= int(s["seats"]), s


def test_demo_rebuilds_the_committed_boundaries_identically(demo_run):
    """The demo's rebuild of data/boundaries/ equals what is committed (deterministic build)."""
    _, data, _ = demo_run
    for name in (
        "taipusi_2024_zones.geojson",
        "taipusi_2024_report.json",
        "taipusi_2024_zones.gpkg",
        "baochang_schematic.gpkg",
    ):
        assert (data / "boundaries" / name).read_bytes() == (
            ROOT / "data" / "boundaries" / name
        ).read_bytes(), name


def test_console_script_reports_user_errors_without_traceback(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    exe = Path(sys.executable).with_name("geo-enroll")
    proc = subprocess.run(
        [str(exe), "parse", str(empty), "--json"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr and proc.stderr.strip()


def test_help_lists_every_pipeline_step():
    exe = Path(sys.executable).with_name("geo-enroll")
    proc = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60)
    for step in (
        "parse",
        "units",
        "basemap",
        "digitise",
        "map",
        "address",
        "geocode",
        "coords",
        "cohort",
        "place",
        "lottery",
        "classes",
        "serve",
        "demo",
    ):
        assert step in proc.stdout, step
