"""The embedded store: WAL + synchronous=FULL, append-only history, atomic saves."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import pytest

from geo_enroll.errors import NotFoundError, StorageError
from web.storage import Store

FC = {"type": "FeatureCollection", "features": []}


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "s.sqlite")


def test_pragmas(store):
    assert store.pragma("journal_mode") == "wal"
    assert store.pragma("synchronous") == 2  # FULL


def test_versions_are_append_only(store):
    v1 = store.save_version(spec={"schools": []}, zones=FC, author="p", message="one")
    v2 = store.save_version(
        spec={"schools": [1]}, zones=FC, author="p", message="two", parent_id=v1
    )
    assert [v["id"] for v in store.versions()] == [v2, v1]
    store.publish(v2, author="p")
    store.audit("x", username="p", role="planner")
    store.add_user("s", "h", "staff")
    rid = store.create_run(
        kind="placement",
        version_id=v2,
        cohort_id=store.save_cohort([], label="c", synthetic=True, author="p"),
        params={},
        author="s",
    )
    aid = store.file_appeal(
        run_id=rid, student_id="S1", reason="r", deadline="2024-08-09", author="s"
    )
    store.decide(aid, outcome="upheld", reason="ok", author="s")
    conn = sqlite3.connect(store.path)
    for sql in (
        "UPDATE versions SET message='x'",
        "DELETE FROM versions",
        "UPDATE audit SET action='x'",
        "DELETE FROM audit",
        "UPDATE publications SET version_id=1",
        "DELETE FROM publications",
        "UPDATE decisions SET outcome='changed'",
        "DELETE FROM decisions",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)
    conn.close()
    assert store.version(v1)["message"] == "one"


def test_publish_and_current(store):
    v1 = store.save_version(spec={}, zones=FC, author="p", message="one")
    v2 = store.save_version(spec={}, zones=FC, author="p", message="two", parent_id=v1)
    assert store.current_version_id() is None
    store.publish(v2, author="p")
    store.publish(v1, author="p")
    assert store.current_version_id() == v1
    assert [p["version_id"] for p in store.publications()] == [v1, v2]
    with pytest.raises(NotFoundError):
        store.publish(99, author="p")


def test_bad_inputs(store):
    with pytest.raises(StorageError, match="message"):
        store.save_version(spec={}, zones=FC, author="p", message="  ")
    with pytest.raises(NotFoundError):
        store.save_version(spec={}, zones=FC, author="p", message="x", parent_id=42)
    with pytest.raises(StorageError, match="role"):
        store.add_user("u", "h", "superuser")
    store.add_user("u", "h", "staff")
    with pytest.raises(StorageError, match="exists"):
        store.add_user("u", "h", "staff")


def test_save_killed_midway_leaves_previous_state(tmp_path):
    """A process killed between the write and the commit leaves the store as it was."""
    path = tmp_path / "s.sqlite"
    store = Store(path)
    v1 = store.save_version(spec={"a": 1}, zones=FC, author="p", message="kept")
    script = textwrap.dedent(f"""
        import os
        from web.storage import Store
        s = Store({str(path)!r})
        s.save_version(spec={{"a": 2}}, zones={FC!r}, author="p", message="lost",
                       parent_id={v1}, _hook=lambda: os._exit(9))
    """)
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=str(tmp_path.parent),
        env=None,
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 9, proc.stderr.decode()
    again = Store(path)
    assert [v["message"] for v in again.versions()] == ["kept"]
    assert again.version(v1)["spec"] == {"a": 1}
    # and the store still accepts writes afterwards
    assert again.save_version(spec={}, zones=FC, author="p", message="next") == v1 + 1


def test_not_a_store(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageError, match="not a geo_enroll store"):
        Store(bad)
