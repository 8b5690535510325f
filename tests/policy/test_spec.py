"""Spec files: TOML/JSON round trip, schema errors, and the committed default specs."""

from __future__ import annotations

import json

import pytest

from geo_enroll.errors import ZoneSpecError
from geo_enroll.policy import parse_policy
from geo_enroll.policy.spec import load_spec, save_spec, validate_spec
from geo_enroll.settings import data_dir


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_round_trip(taipusi, tmp_path, suffix):
    path = save_spec(taipusi, tmp_path / f"spec{suffix}")
    assert load_spec(path) == taipusi


@pytest.mark.parametrize("name", ["taipusi_2024", "yanqing_2023"])
def test_committed_spec_equals_rebuilt(name):
    """data/boundaries/<name>.toml is exactly what the parser makes of data/policies/<name>.txt."""
    text = (data_dir() / "policies" / f"{name}.txt").read_text(encoding="utf-8")
    committed_path = data_dir() / "boundaries" / f"{name}.toml"
    committed = load_spec(committed_path)
    rebuilt = parse_policy(text, previous=committed)
    assert rebuilt == committed, (
        f"{committed_path} is stale: run `geo-enroll parse data/policies/{name}.txt "
        f"--previous {committed_path} -o {committed_path}` and review the diff"
    )


def test_yanqing_facts_without_zones(yanqing):
    p = yanqing["policy"]
    assert yanqing["schools"] == []
    assert (p["jurisdiction"], p["county_code"], p["year"]) == ("延庆区", "110119", 2023)
    assert p["age_cutoff"] == "2017-08-31"
    assert p["seat_plan"] == {"primary": None, "middle": None}  # the text gives none
    e = p["eligibility"]
    assert e["address_basis"] == ["hukou_property_agree", "actual_residence"]
    assert len(e["treated_as_local"]) == 6 and "台胞子女" in e["treated_as_local"]
    assert e["multi_school_zoning"] is True
    assert "烈士子女" in e["priority_categories"]
    assert len(p["timeline"]) == 7
    assert all(t["start"] or t["end"] for t in p["timeline"])
    assert validate_spec(yanqing) == []


def test_schema_problems_are_all_reported(taipusi, tmp_path):
    bad = json.loads(json.dumps(taipusi))
    bad["schools"][0]["level"] = "kindergarten"
    bad["schools"][1]["zones"][0]["rule_id"] = bad["schools"][0]["zones"][0]["rule_id"]
    bad["policy"]["age_cutoff"] = "31/08/2018"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ZoneSpecError) as info:
        load_spec(path)
    assert len(info.value.problems) == 3
    text = str(info.value)
    assert "level" in text and "duplicate rule_id" in text and "age_cutoff" in text


def test_unreadable_spec(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text("this is = = not toml", encoding="utf-8")
    with pytest.raises(ZoneSpecError, match="cannot parse"):
        load_spec(path)
