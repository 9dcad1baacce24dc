"""Store fixtures: every store test runs against SQLite (a temp file) and a real PostgreSQL."""

from __future__ import annotations

import pytest

from jupyterlab_dotscience.store import open_store
from tests.fixtures_pg import pg_server, pg_url  # noqa: F401  (fixtures)


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request, tmp_path) -> str:
    """The URL of a new, empty store of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/dotscience.db"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(store_url):
    """A new, empty store of each kind (closed after the test)."""
    s = open_store(store_url)
    yield s
    s.close()
