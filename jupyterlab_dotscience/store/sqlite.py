"""SQLite backend: stdlib ``sqlite3``, WAL journal, one connection guarded by a lock."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time

from .sql import SqlStore, Tx


class SQLiteStore(SqlStore):
    """A store in one SQLite file (``sqlite:///abs/path.db``).

    Writes take the database lock up front (``BEGIN IMMEDIATE``), so concurrent writers in
    other processes wait (``busy_timeout``) instead of failing half-way.

    Commits are durable: the journal is a WAL with ``synchronous=FULL``, so every commit is
    synced to disk before the call that made it returns (a publish is acknowledged only
    then). ``synchronous="NORMAL"`` trades that for speed: still consistent, but the last
    commits may be lost on power failure (the benchmark measures the difference).
    """

    SYNCHRONOUS = ("FULL", "NORMAL", "EXTRA")

    dialect = "sqlite"
    ilike = "LIKE"  # case-insensitive for ASCII in SQLite

    @staticmethod
    def _retryable(exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc)

    def __init__(self, path: str, timeout: float = 60.0, synchronous: str = "FULL"):
        if synchronous not in self.SYNCHRONOUS:
            raise ValueError(
                f"synchronous: expected one of {self.SYNCHRONOUS}, got {synchronous!r}"
            )
        self.url = f"sqlite:///{path}"
        self.path = path
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            path, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        self._set_wal(timeout)
        self._conn.execute(f"PRAGMA synchronous = {synchronous}")
        # Listing and bulk publishing touch index pages all over the file: cache plenty.
        self._conn.execute("PRAGMA cache_size = -65536")  # KiB
        self._conn.execute("PRAGMA mmap_size = 268435456")
        self._conn.execute("PRAGMA temp_store = MEMORY")
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._migrate()

    def _set_wal(self, timeout: float) -> None:
        """Switch to the WAL journal, waiting for other processes that open the file too.

        Changing the journal mode of a new database needs an exclusive lock, and SQLite
        answers "database is locked" at once (without its busy handler) while another
        process holds one, e.g. when several servers open a new store together.
        """
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            try:
                self._conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as e:
                if not self._retryable(e) or time.monotonic() >= deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.2)

    @staticmethod
    def _translate(sql: str) -> str:
        return sql

    @contextlib.contextmanager
    def _tx(self, write: bool = False):
        with self._lock:
            if self._conn is None:
                raise RuntimeError("store is closed")
            cur = self._conn.cursor()
            cur.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield Tx(cur, self._translate)
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    cur.execute("ROLLBACK")
                raise
            else:
                cur.execute("COMMIT")
            finally:
                cur.close()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("PRAGMA optimize")
                self._conn.close()
                self._conn = None
