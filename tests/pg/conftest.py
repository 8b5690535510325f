"""A throwaway PostgreSQL + PostGIS cluster for the test session, on a local socket.

Started once per session with Debian's binaries (``scripts/setup.sh`` installs ``postgresql``
and ``postgresql-15-postgis-3``), in a temporary folder, listening on no TCP port; stopped and
removed at the end.  As root the cluster runs as the ``postgres`` system user (``initdb``
refuses root).  Tests that need it skip, saying why, only where the packages are absent.
"""

from __future__ import annotations

import itertools

import pytest

from .cluster import Unavailable, throwaway_cluster


@pytest.fixture(scope="session")
def postgis_dsn():
    """A ``postgresql://`` URL of a fresh database with PostGIS available."""
    try:
        with throwaway_cluster() as dsn:
            yield dsn
    except Unavailable as exc:
        pytest.skip(str(exc))


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
