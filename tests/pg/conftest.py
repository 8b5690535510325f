"""A throwaway PostgreSQL + PostGIS cluster for the test session, on a local socket.

Started once per session with Debian's binaries (``scripts/setup.sh`` installs ``postgresql``
and ``postgresql-15-postgis-3``), in a temporary folder, listening on no TCP port; stopped and
removed at the end.  As root the cluster runs as the ``postgres`` system user (``initdb``
refuses root).  Tests that need it skip, saying why, only where the packages are absent.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile

import pytest


def _bin_dir() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        return None
    bindir = os.path.dirname(found[-1])
    version = bindir.split("/")[-2]
    if not glob.glob(f"/usr/share/postgresql/{version}/extension/postgis.control"):
        return None
    return bindir


def _as(user: str | None, cmd: list[str]) -> list[str]:
    return ["runuser", "-u", user, "--", *cmd] if user else cmd


@pytest.fixture(scope="session")
def postgis_dsn():
    """A ``postgresql://`` URL of a fresh database with PostGIS available."""
    bindir = _bin_dir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL/PostGIS not installed (Debian packages postgresql and "
            "postgresql-15-postgis-3; scripts/setup.sh installs them as root)"
        )
    user = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root without a 'postgres' system user to own the cluster")
        user = "postgres"
    root = tempfile.mkdtemp(prefix="geo-enroll-pg-")
    data, sock = os.path.join(root, "data"), os.path.join(root, "sock")
    os.makedirs(sock)
    if user:
        pw = pwd.getpwnam(user)
        for path in (root, sock):
            os.chown(path, pw.pw_uid, pw.pw_gid)
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    run = dict(check=True, capture_output=True, env=env)
    subprocess.run(
        _as(user, [f"{bindir}/initdb", "-D", data, "-U", "postgres", "-E", "UTF8", "-A", "trust"]),
        **run,
    )
    opts = f"-k {sock} -c listen_addresses='' -c fsync=off"
    subprocess.run(
        _as(user, [f"{bindir}/pg_ctl", "-D", data, "-o", opts, "-w", "-l", f"{root}/log", "start"]),
        **run,
    )
    try:
        subprocess.run(
            _as(user, [f"{bindir}/createdb", "-h", sock, "-U", "postgres", "geo_enroll_test"]),
            **run,
        )
        yield f"postgresql://postgres@/geo_enroll_test?host={sock}"
    finally:
        subprocess.run(
            _as(user, [f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"]),
            capture_output=True,
            env=env,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def _migrated_template(postgis_dsn):
    """A database with every migration applied, copied for each test (fast: no re-migration)."""
    import psycopg

    from geo_enroll.postgis import connect, migrate

    admin = postgis_dsn.replace("/geo_enroll_test?", "/postgres?")
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute('CREATE DATABASE "geo_enroll_template"')
    dsn = postgis_dsn.replace("/geo_enroll_test?", "/geo_enroll_template?")
    conn = connect(dsn)
    migrate(conn)
    conn.close()
    return admin


@pytest.fixture
def fresh_pg_dsn(postgis_dsn, _migrated_template):
    """A URL of a new database for one test, migrated (a copy of the template), dropped after."""
    import psycopg

    name = f"t{next(_counter)}"
    with psycopg.connect(_migrated_template, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}" TEMPLATE "geo_enroll_template"')
    yield postgis_dsn.replace("/geo_enroll_test?", f"/{name}?")
    with psycopg.connect(_migrated_template, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_counter = itertools.count()
