"""Fixtures of the base-map and digitiser tests.

The toy town is the schematic 宝昌镇 (``geo_enroll.basemap.schematic``, drawn in its docstring);
``taipusi_spec`` is a hand-written zone spec with the 9 four-sided parts of the 2024 seed and the
昌盛园小区 compound (``data/taipusi_fixture.toml``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from geo_enroll.basemap.schematic import build_schematic
from geo_enroll.digitise import digitise, load_spec

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


@pytest.fixture(scope="session")
def schematic():
    return build_schematic()


@pytest.fixture(scope="session")
def taipusi_spec():
    return load_spec(DATA / "taipusi_fixture.toml")


@pytest.fixture(scope="session")
def taipusi_result(taipusi_spec, schematic):
    return digitise(taipusi_spec, schematic)


@pytest.fixture(scope="session")
def extract():
    """The real OSM extract of west 黄浦 (© OpenStreetMap contributors, ODbL), imported."""
    from geo_enroll.basemap.importers import import_osm

    return import_osm(DATA / "huangpu_extract.osm")


@pytest.fixture(scope="session")
def crs(extract):
    """The local UTM zone of the 黄浦 extract (where the digitiser measures)."""
    from geo_enroll.basemap.layers import utm_crs

    return utm_crs(extract.streets)
