"""Fixtures of the web tests: an app on the toy town (玩具镇) with one user per role.

The toy town (``geo_enroll.datasets.toy``) has three schools and thirty synthetic children; the
app serves it as the jurisdiction ``toy`` (version 1, published, and cohort 1) and runs
placements inline.  :func:`toy_streets` draws the town's six streets for the maps.

:func:`yanqing_jurisdiction` is the HYPOTHETICAL 延庆 multi-school scenario
(``data/scenarios/yanqing_2023_multischool.toml``), served beside the toy town by the
multi-policy tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from web.app import create_app
from web.context import Context
from web.jurisdictions import Jurisdiction

ROLES = ("planner", "analyst", "staff", "admin")
PASSWORD = "correct horse battery"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def toy_context() -> Context:
    from geo_enroll.datasets import toy_gazetteer, toy_school_points, toy_schools

    return Context(
        gazetteer=toy_gazetteer(), school_points=toy_school_points(), seat_table=toy_schools()
    )


def toy_streets():
    """The toy town's streets (WGS 84 lines with ``name`` and ``kind``)."""
    import geopandas as gpd
    from shapely.geometry import LineString

    from geo_enroll.datasets import toy_xy_to_lonlat as ll

    lines = {
        "北街": [(0, 1000), (1000, 1000)],
        "横街": [(0, 500), (1000, 500)],
        "南街": [(0, 0), (1000, 0)],
        "西街": [(0, 0), (0, 1000)],
        "中街": [(500, 0), (500, 1000)],
        "东街": [(1000, 0), (1000, 1000)],
    }
    return gpd.GeoDataFrame(
        {"name": list(lines), "kind": ["road"] * len(lines)},
        geometry=[LineString([ll(*p) for p in pts]) for pts in lines.values()],
        crs=4326,
    )


def toy_jurisdiction(streets=None) -> Jurisdiction:
    ctx = toy_context()
    ctx.streets = toy_streets() if streets is None else streets
    return Jurisdiction(key="toy", name="玩具镇", year=2024, county_code="999999", ctx=ctx)


def yanqing_jurisdiction() -> Jurisdiction:
    from web.jurisdictions import from_policy

    path = Path(__file__).resolve().parents[2] / "data/scenarios/yanqing_2023_multischool.toml"
    if not path.exists():
        pytest.skip("the 延庆 scenario (data/scenarios/yanqing_2023_multischool.toml) is missing")
    return from_policy(path)


def toy_version() -> tuple[dict, dict]:
    from geo_enroll.datasets import toy_spec, toy_zones

    return toy_spec(), json.loads(toy_zones().to_json(drop_id=True))


def toy_cohort() -> list[dict]:
    from geo_enroll.datasets import toy_students
    from web.context import rows_from_frame

    return rows_from_frame(toy_students())


def make_app(tmp_path: Path | None = None, **config):
    cfg = {
        "TESTING": True,
        "SEED_DEFAULT": False,
        "RUNS_SYNC": True,
        "STORE_PATH": str(tmp_path / "store.sqlite") if tmp_path else ":memory:",
        "DATA_DIR": str(tmp_path) if tmp_path else "instance",
        "JURISDICTIONS": [toy_jurisdiction()],
        "SECRET_KEY": "test-secret",
    } | config
    app = create_app(cfg)
    store = app.extensions["geo_store"]
    spec, zones = toy_version()
    vid = store.save_version(
        spec=spec, zones=zones, author="system", message="玩具镇 toy town", jurisdiction="toy"
    )
    store.publish(vid, author="system")
    store.save_cohort(
        toy_cohort(), label="toy cohort", synthetic=True, author="system", jurisdiction="toy"
    )
    # users: cheap hashes keep the tests fast (the app itself uses werkzeug's default scrypt)
    for role in ROLES:
        store.add_user(role, generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"), role)
    return app


def make_default_app(data_dir: Path, *roles: str, **config):
    """The service on the embedded 太仆寺旗 2024 default (skipped when its data is not built),
    with a user of each of ``roles``."""
    from web.context import default_spec_path, default_zones_path

    basemap = default_spec_path().parent / "baochang_schematic.gpkg"
    for path in (default_spec_path(), default_zones_path(), basemap):
        if not path.exists():
            pytest.skip(f"default data {path.name} not built yet (geo-enroll digitise)")
    app = create_app({"DATA_DIR": str(data_dir), "SEED_COHORT": None, "TESTING": True} | config)
    hashed = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    for role in roles:
        app.extensions["geo_store"].add_user(role, hashed, role)
    return app


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


def csrf(client) -> str:
    return client.get("/api/session").get_json()["csrf_token"]


def login(client, role: str) -> str:
    """Log ``client`` in as the user of ``role``; returns the CSRF token of the session."""
    token = csrf(client)
    r = client.post(
        "/login", json={"username": role, "password": PASSWORD}, headers={"X-CSRF-Token": token}
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()["csrf_token"]


@pytest.fixture
def as_role(app):
    """``as_role("staff")`` → (client, csrf token) logged in as that role."""

    def make(role: str):
        c = app.test_client()
        return c, login(c, role)

    return make
