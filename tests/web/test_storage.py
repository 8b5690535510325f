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


@pytest.mark.parametrize("bad", [10**20, 2**63, 0, -1, True, 1.5, "٣", "x", None, [1]])
def test_ids_sqlite_cannot_bind_are_rows_that_do_not_exist(store, bad):
    """Never an OverflowError from SQLite or a silent ``int("٣")``."""
    for get in (store.version, store.cohort, store.run, store.appeal):
        with pytest.raises(NotFoundError):
            get(bad)
    if bad is not None:  # (None: a version without a parent)
        with pytest.raises(NotFoundError):
            store.save_version(spec={}, zones=FC, author="p", message="x", parent_id=bad)


def test_sessions_end_on_close_and_expiry(store):
    sid = store.open_session("planner", lifetime=3600)
    assert store.session_user(sid) == "planner"
    assert sid not in str(store._all("SELECT * FROM sessions")[0][:])  # only its hash
    store.close_session(sid)
    assert store.session_user(sid) is None
    old = store.open_session("planner", lifetime=-1)  # already expired
    assert store.session_user(old) is None
    a, b = store.open_session("staff", lifetime=60), store.open_session("staff", lifetime=60)
    assert store.close_sessions("staff") == 2 and store.session_user(a) is store.session_user(b)
    assert store.session_user("") is None and store.session_user(None) is None


def test_idempotency_claims_replays_and_mismatches(store):
    assert store.idempotency_begin("u\nk", "req", ttl=60) == ("new", None)
    assert store.idempotency_begin("u\nk", "req", ttl=60) == ("busy", None)
    store.idempotency_finish("u\nk", status=201, answer={"body": {"id": 3}})
    assert store.idempotency_begin("u\nk", "req", ttl=60) == (
        "replay",
        {"status": 201, "body": {"id": 3}},
    )
    assert store.idempotency_begin("u\nk", "other", ttl=60) == ("mismatch", None)
    # a released key (a server error) runs afresh; an expired one is forgotten
    assert store.idempotency_begin("u\nk2", "req", ttl=60)[0] == "new"
    store.idempotency_finish("u\nk2", status=500, answer=None)
    assert store.idempotency_begin("u\nk2", "req", ttl=60)[0] == "new"
    assert store.idempotency_begin("u\nk", "other", ttl=-1)[0] == "new"
    # a claim whose process died is given up after a while
    assert store.idempotency_begin("u\nk3", "req", ttl=60) == ("new", None)
    assert store.idempotency_begin("u\nk3", "req", ttl=60)[0] == "busy"
    assert store.idempotency_begin("u\nk3", "req", ttl=60, abandoned_after=-1)[0] == "new"
