"""The run store: plain Python (no tornado), SQLite or PostgreSQL, chosen by URL.

>>> store = open_store("sqlite:////tmp/dotscience.db")
>>> run, created = store.put_run(record, author="alice")
"""

from __future__ import annotations

from .interface import OPS, Store
from .spool import import_spool
from .validate import RecordError

__all__ = ["OPS", "RecordError", "Store", "import_spool", "open_store"]


def open_store(url: str) -> Store:
    """Open (creating and migrating if needed) the store at ``url``.

    Parameters
    ----------
    url
        ``sqlite:///abs/path.db`` (an absolute path: four slashes in total) or
        ``postgresql://user:password@host:port/database``.
    """
    if not isinstance(url, str):
        raise ValueError(f"store url: expected a string, got {type(url).__name__}")
    if url.startswith("sqlite:///"):
        from .sqlite import SQLiteStore

        path = url[len("sqlite://") :]
        if not path.startswith("/") or path == "/":
            raise ValueError(f"store url: sqlite needs an absolute path, got {url!r}")
        return SQLiteStore(path)
    if url.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore

        return PostgresStore(url)
    raise ValueError(f"store url: expected sqlite:///abs/path.db or postgresql://..., got {url!r}")
