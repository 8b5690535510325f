"""Fixtures of the web tests: an app on the toy town (玩具镇) with one user per role.

The toy town (``geo_enroll.datasets.toy``) has three schools and thirty synthetic children; the
app gets it as version 1 (published) and as cohort 1, and runs placements inline.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from werkzeug.security import generate_password_hash

from web.app import create_app
from web.engine import Context

ROLES = ("planner", "analyst", "staff", "admin")
PASSWORD = "correct horse battery"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def toy_context() -> Context:
    from geo_enroll.datasets import toy_gazetteer, toy_school_points, toy_schools

    return Context(
        gazetteer=toy_gazetteer(), school_points=toy_school_points(), seat_table=toy_schools()
    )


def toy_version() -> tuple[dict, dict]:
    from geo_enroll.datasets import toy_spec, toy_zones

    return toy_spec(), json.loads(toy_zones().to_json(drop_id=True))


def toy_cohort() -> list[dict]:
    from geo_enroll.datasets import toy_students
    from web.engine import _rows_from_frame

    return _rows_from_frame(toy_students())


def make_app(tmp_path: Path | None = None, **config):
    cfg = {
        "TESTING": True,
        "SEED_DEFAULT": False,
        "RUNS_SYNC": True,
        "STORE_PATH": str(tmp_path / "store.sqlite") if tmp_path else ":memory:",
        "DATA_DIR": str(tmp_path) if tmp_path else "instance",
        "ENGINE_CONTEXT": toy_context(),
        "SECRET_KEY": "test-secret",
    } | config
    app = create_app(cfg)
    store = app.extensions["geo_store"]
    spec, zones = toy_version()
    vid = store.save_version(spec=spec, zones=zones, author="system", message="玩具镇 toy town")
    store.publish(vid, author="system")
    store.save_cohort(toy_cohort(), label="toy cohort", synthetic=True, author="system")
    # users: cheap hashes keep the tests fast (the app itself uses werkzeug's default scrypt)
    for role in ROLES:
        store.add_user(role, generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"), role)
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
