"""Fixtures of the policy tests: the two seeds parsed once per session."""

from __future__ import annotations

import pytest

from geo_enroll.policy import parse_policy
from geo_enroll.settings import data_dir

POLICIES = data_dir() / "policies"


@pytest.fixture(scope="session")
def taipusi_text() -> str:
    return (POLICIES / "taipusi_2024.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def taipusi(taipusi_text) -> dict:
    return parse_policy(taipusi_text)


@pytest.fixture(scope="session")
def yanqing() -> dict:
    return parse_policy((POLICIES / "yanqing_2023.txt").read_text(encoding="utf-8"))


def offered(spec: dict, addresses, tmp_path, *, lonlat=(114.0, 22.6)) -> tuple[dict, dict]:
    """The spec saved and loaded again (the schema takes every field), then per address its
    zone schools and its options (school id, kind) on the engine; and the ids by name."""
    from geo_enroll.placement.candidates import candidate_schools
    from geo_enroll.policy.spec import load_spec, save_spec
    from geo_enroll.zoneindex import ZoneIndex

    path = tmp_path / "spec.toml"
    save_spec(spec, path)
    spec = load_spec(path)
    index = ZoneIndex(spec, None)
    got = {}
    for address in addresses:
        geo = {"input": address, "lon": lonlat[0], "lat": lonlat[1]}
        c = candidate_schools(geo, "primary", index=index)
        got[address] = (
            [m["school_id"] for m in c["zone"]],
            [(m["school_id"], m["kind"]) for m in c["optional"]],
        )
    return got, {s["name"]: s["id"] for s in spec["schools"]}


def zone_of_options(spec: dict) -> set[tuple[str, str]]:
    """(school, the school whose zone it is an option over) of every ``zone_of`` rule."""
    name = {s["id"]: s["name"] for s in spec["schools"]}
    return {
        (s["name"], name[z["zone_of"]])
        for s in spec["schools"]
        for z in s["zones"]
        if z.get("zone_of")
    }
