"""The web service's role and route tests, run again with the store on PostgreSQL + PostGIS.

The test functions are the ones of ``tests/web/test_concurrency.py``, ``test_roles.py`` and
``test_routes.py`` (imported, not copied); only the ``app`` fixture differs: its store is a new
PostGIS database of the throwaway cluster (``conftest.py``) instead of a SQLite file.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import as_role, client, make_app  # noqa: F401 - fixtures used by the imports
from tests.web.test_concurrency import *  # noqa: F403
from tests.web.test_roles import *  # noqa: F403
from tests.web.test_routes import *  # noqa: F403


@pytest.fixture
def app(tmp_path, fresh_pg_dsn):
    application = make_app(tmp_path, STORE_PATH=fresh_pg_dsn)
    yield application
    application.extensions["geo_store"].close()
