"""Fixtures of the placement tests: the toy town (geo_enroll.datasets) and the real default."""

from __future__ import annotations

import pytest

from geo_enroll.datasets import (
    toy_gazetteer,
    toy_school_points,
    toy_schools,
    toy_spec,
    toy_students,
    toy_zones,
)
from geo_enroll.settings import data_dir


@pytest.fixture
def toy():
    """Everything `place` needs for the toy town, as keyword arguments."""
    return {
        "spec": toy_spec(),
        "zones": toy_zones(),
        "gazetteer": toy_gazetteer(),
        "schools": toy_schools(),
        "school_points": toy_school_points(),
    }


@pytest.fixture
def toy_table():
    return toy_students()


@pytest.fixture(scope="session")
def taipusi_spec():
    path = data_dir() / "boundaries" / "taipusi_2024.toml"
    if not path.exists():
        pytest.skip(f"needs the 太仆寺旗 spec {path} (built by `geo-enroll parse`)")
    from geo_enroll.policy.spec import load_spec

    return load_spec(path)
