"""`geo-enroll parse` and `geo-enroll units resolve` end to end, including bad input."""

from __future__ import annotations

import json

import pytest

from geo_enroll.cli import main
from geo_enroll.policy.spec import load_spec
from geo_enroll.settings import data_dir

SEED = data_dir() / "policies" / "taipusi_2024.txt"


def test_parse_json(capsys):
    assert main(["parse", str(SEED), "--json"]) == 0
    out, err = capsys.readouterr()
    spec = json.loads(out)
    assert len(spec["schools"]) == 11
    assert "11 schools" in err


def test_parse_writes_toml(tmp_path, capsys):
    out = tmp_path / "spec.toml"
    assert main(["parse", str(SEED), "-o", str(out)]) == 0
    assert load_spec(out)["policy"]["county_code"] == "152527"


def test_gbk_text_is_decoded_with_a_notice(tmp_path, capsys):
    path = tmp_path / "gbk.txt"
    path.write_bytes(SEED.read_text(encoding="utf-8").encode("gb18030"))
    assert main(["parse", str(path), "--json"]) == 0
    out, err = capsys.readouterr()
    assert "GBK" in err
    assert len(json.loads(out)["schools"]) == 11


def _bad(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("name", "data", "needle"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"  \n\n ", "empty"),
        ("binary.txt", bytes(range(256)) * 4, "not a text file"),
        ("doc.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not a text file"),
        ("recipe.txt", "番茄炒蛋：先把鸡蛋打散，再放番茄。".encode(), "no school zoning"),
        ("latin1.txt", "caf\xe9 \xff\xfe".encode("latin-1") * 3, "decode"),
    ],
)
def test_bad_input_clear_message_no_traceback(tmp_path, capsys, name, data, needle):
    path = _bad(tmp_path, name, data)
    assert main(["parse", str(path)]) == 2
    out, err = capsys.readouterr()
    assert needle in err and "Traceback" not in err
    assert out == ""


def test_huge_file_refused_before_reading(tmp_path, capsys):
    path = tmp_path / "huge.txt"
    with path.open("wb") as fh:  # sparse 50 MB file: cheap to make, never read
        fh.truncate(50 * 1024 * 1024)
    assert main(["parse", str(path)]) == 2
    assert "too large" in capsys.readouterr().err


def test_missing_file(tmp_path, capsys):
    assert main(["parse", str(tmp_path / "nope.txt")]) == 2
    assert "not found" in capsys.readouterr().err


def test_bad_output_suffix(tmp_path, capsys):
    assert main(["parse", str(SEED), "-o", str(tmp_path / "spec.yaml")]) == 2
    assert ".toml or .json" in capsys.readouterr().err


def test_units_resolve_json(capsys):
    assert main(["units", "resolve", "东圪良", "--township", "千斤沟镇", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["official_name"] == "东圪梁村委会" and res["match"] == "homophone"


def test_units_resolve_unresolved_exit_1(capsys):
    assert main(["units", "resolve", "六面井", "--township", "骆驼山镇", "--json"]) == 1
    res = json.loads(capsys.readouterr().out)
    assert res["code"] is None and res["candidates"]


def test_units_resolve_unknown_county(capsys):
    assert main(["units", "resolve", "城关镇", "--county", "510132", "--json"]) == 2
    assert "no official unit list" in capsys.readouterr().err


def test_same_text_same_bytes_whatever_the_hash_seed(tmp_path):
    """Sets must never leak their (seed-dependent) order into a spec."""
    import os
    import subprocess
    import sys

    outs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-m", "geo_enroll.cli", "parse", str(SEED), "--json"],
            capture_output=True,
            env=env,
            check=True,
        )
        outs.append(run.stdout)
    assert outs[0] == outs[1]
