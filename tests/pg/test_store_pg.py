"""The service's store: the same behaviour on SQLite (embedded) and on PostgreSQL + PostGIS.

Every test here runs against both backends (``backend`` parameter); the PostgreSQL runs use a
throwaway cluster started by ``conftest.py`` and a new database per test.
"""

from __future__ import annotations

import subprocess
import threading

import pytest

from geo_enroll.datasets import toy_zones
from geo_enroll.errors import NotFoundError, StorageError
from web.storage import Store
from web.store_pg import PgStore, open_store

FC = {"type": "FeatureCollection", "features": []}


@pytest.fixture(params=["sqlite", "postgis"])
def backend(request, tmp_path):
    if request.param == "sqlite":
        return ("sqlite", str(tmp_path / "s.sqlite"))
    return ("postgis", request.getfixturevalue("fresh_pg_dsn"))


@pytest.fixture
def store(backend):
    s = open_store(backend[1])
    assert isinstance(s, PgStore) == (backend[0] == "postgis")
    yield s
    if isinstance(s, PgStore):
        s.close()


def _zones_fc():
    return __import__("json").loads(toy_zones().to_json(drop_id=True))


def test_versions_publications_and_payloads(store):
    v1 = store.save_version(spec={"schools": []}, zones=_zones_fc(), author="p", message="一")
    v2 = store.save_version(spec={"schools": [1]}, zones=FC, author="p", message="二", parent_id=v1)
    assert [v["id"] for v in store.versions()] == [v2, v1]
    assert store.current_version_id() is None
    store.publish(v2, author="p")
    assert store.current_version_id() == v2
    got = store.version(v1)
    assert got["message"] == "一" and got["spec"] == {"schools": []}
    assert len(got["zones"]["features"]) == len(toy_zones())
    assert got["current"] is False and store.version(v2)["current"] is True
    assert [p["version_id"] for p in store.publications()] == [v2]


def test_bad_inputs_same_errors(store):
    with pytest.raises(StorageError, match="message"):
        store.save_version(spec={}, zones=FC, author="p", message="  ")
    with pytest.raises(NotFoundError):
        store.save_version(spec={}, zones=FC, author="p", message="x", parent_id=42)
    with pytest.raises(NotFoundError):
        store.version(10**19)
    with pytest.raises(NotFoundError):
        store.version("٣")
    store.add_user("u", "h", "staff")
    with pytest.raises(StorageError, match="exists"):
        store.add_user("u", "h", "staff")
    with pytest.raises(NotFoundError):
        store.set_role("nobody", "staff")
    # the store still works after the failed transactions
    assert store.count_users() == 1


def test_runs_appeals_decisions_audit(store):
    v = store.save_version(spec={}, zones=FC, author="p", message="v")
    c = store.save_cohort([{"a": 1}], label="c", synthetic=True, author="p")
    r = store.create_run(kind="placement", version_id=v, cohort_id=c, params={}, author="s")
    store.update_run(r, status="done", progress=1.0, result={"n": 1})
    assert store.run(r)["status"] == "done"
    a = store.file_appeal(run_id=r, student_id="S1", reason="r", deadline="2024-08-09", author="s")
    store.decide(a, outcome="upheld", reason="ok", author="s")
    got = store.appeal(a)
    assert got["outcome"] == "upheld" and len(got["decisions"]) == 1
    store.audit("x.y", username="s", role="staff", obj="run:1")
    assert any(e["action"] == "x.y" for e in store.audit_log())


def test_sessions_and_idempotency(store):
    sid = store.open_session("u", lifetime=60)
    assert store.session_user(sid) == "u"
    store.close_session(sid)
    assert store.session_user(sid) is None
    assert store.idempotency_begin("u:k1", "req", ttl=60) == ("new", None)
    assert store.idempotency_begin("u:k1", "req", ttl=60) == ("busy", None)
    store.idempotency_finish("u:k1", status=201, answer={"id": 5})
    assert store.idempotency_begin("u:k1", "req", ttl=60) == ("replay", {"status": 201, "id": 5})
    assert store.idempotency_begin("u:k1", "other", ttl=60) == ("mismatch", None)


def test_history_is_append_only_in_the_database(store, backend):
    v = store.save_version(spec={}, zones=_zones_fc(), author="p", message="v")
    store.publish(v, author="p")
    store.audit("a", username="p", role="planner")
    statements = (
        "UPDATE versions SET message='x'",
        "DELETE FROM versions",
        "UPDATE audit SET action='x'",
        "DELETE FROM publications",
    )
    for sql in statements:
        with pytest.raises(Exception, match="append-only"):
            with store._tx() as conn:
                conn.execute(sql)
    assert store.version(v)["message"] == "v"


def test_concurrent_writers_lose_nothing(store):
    v = store.save_version(spec={}, zones=FC, author="p", message="base")
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i in range(5):
                store.save_version(
                    spec={"k": k, "i": i}, zones=FC, author=f"p{k}", message=f"{k}-{i}", parent_id=v
                )
                store.audit("w", username=f"p{k}", role="planner")
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.versions()) == 1 + 8 * 5


def test_postgis_zones_are_real_geometries(fresh_pg_dsn):
    store = PgStore(fresh_pg_dsn)

    v = store.save_version(spec={}, zones=_zones_fc(), author="p", message="v", jurisdiction="toy")
    store.publish(v, author="p")
    rows = store._all(
        "SELECT count(*), min(GeometryType(geom)), min(ST_SRID(geom)) FROM published_zones"
    )
    assert tuple(rows[0]) == (len(toy_zones()), "MULTIPOLYGON", 4326)
    host = fresh_pg_dsn.split("host=")[1]
    db = fresh_pg_dsn.split("/")[3].split("?")[0]
    out = subprocess.run(
        ["ogrinfo", "-ro", "-so", f"PG:dbname={db} host={host} user=postgres", "published_zones"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    store.close()
    assert "Multi Polygon" in out and f"Feature Count: {len(toy_zones())}" in out


def test_sqlite_path_still_selected_for_files(tmp_path):
    assert type(open_store(str(tmp_path / "x.sqlite"))) is Store
    with pytest.raises(StorageError, match="cannot connect"):
        PgStore("postgresql://nobody@/nowhere?host=/nonexistent")


def test_kill_9_mid_saves_loses_nothing_acknowledged(backend, tmp_path):
    """A writer killed with SIGKILL while saving: every save it acknowledged is there."""
    import os
    import signal
    import sys
    import time

    script = tmp_path / "writer.py"
    script.write_text(
        "import sys\n"
        "from web.store_pg import open_store\n"
        "s = open_store(sys.argv[1])\n"
        "fc = {'type': 'FeatureCollection', 'features': []}\n"
        "for i in range(10000):\n"
        "    v = s.save_version(spec={'i': i}, zones=fc, author='p', message=f'm{i}')\n"
        "    print(v, flush=True)\n",
        encoding="utf-8",
    )
    root = str(__import__("pathlib").Path(__file__).resolve().parents[2])
    proc = subprocess.Popen(
        [sys.executable, str(script), backend[1]],
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": root},
    )
    acked = []
    deadline = time.monotonic() + 60
    while len(acked) < 25 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        acked.append(int(line))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    assert len(acked) >= 25, "the writer did not get going"
    store = open_store(backend[1])
    try:
        have = {v["id"] for v in store.versions()}
        assert set(acked) <= have
        for v in acked[-3:]:
            assert store.version(v)["spec"]["i"] == acked.index(v)
    finally:
        if isinstance(store, PgStore):
            store.close()


def test_a_publish_is_seen_at_once_by_another_store_on_the_same_database(fresh_pg_dsn):
    """Several service processes share one PostgreSQL: none may serve a replaced version."""
    a, b = PgStore(fresh_pg_dsn), PgStore(fresh_pg_dsn)
    try:
        v1 = a.save_version(spec={}, zones=FC, author="p", message="一", jurisdiction="toy")
        v2 = a.save_version(spec={}, zones=FC, author="p", message="二", jurisdiction="toy")
        a.publish(v1, author="p")
        assert b.current_version_id("toy") == v1
        a.publish(v2, author="p")
        assert b.current_version_id("toy") == v2  # no caching window on PostGIS
    finally:
        a.close()
        b.close()
