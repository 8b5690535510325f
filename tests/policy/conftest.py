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
