"""PostgreSQL backend: psycopg 3, one connection per store guarded by a lock."""

from __future__ import annotations

import contextlib
import functools
import threading

from .sql import OUT_OF_RANGE, SqlStore, Tx
from .validate import RecordError

try:
    import psycopg
    from psycopg import errors as pg_errors
except ImportError:  # pragma: no cover - depends on the installation
    psycopg = None

#: pg_advisory_xact_lock key serialising schema migrations ("dotscien" in ASCII)
MIGRATION_LOCK = 0x646F74736369656E


@functools.lru_cache(maxsize=512)
def _translate(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


class _PgTx(Tx):
    """A transaction whose bulk inserts go through ``COPY ... FROM STDIN``: one
    stream instead of a statement per row."""

    def bulk(self, table: str, columns: str, sql: str, rows: list[tuple]) -> None:
        if not rows:
            return
        if len(rows) < 1000:
            self.many(sql, rows)
            return
        try:
            with self._cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        except OverflowError:
            raise RecordError(OUT_OF_RANGE) from None


class PostgresStore(SqlStore):
    """A store in a PostgreSQL database (``postgresql://user@host:port/db``)."""

    dialect = "postgres"
    ilike = "ILIKE"

    def __init__(self, url: str):
        if psycopg is None:
            raise RuntimeError(
                "a postgresql:// store needs psycopg 3: pip install 'jupyterlab_dotscience[postgres]'"
            )
        self.url = url
        self._lock = threading.RLock()
        self._conn = None
        self._connect()
        self._migrate()

    def _connect(self):
        self._conn = psycopg.connect(self.url, autocommit=True)

    @staticmethod
    def _retryable(exc: BaseException) -> bool:
        return isinstance(
            exc,
            pg_errors.UniqueViolation | pg_errors.DeadlockDetected | pg_errors.SerializationFailure,
        )

    def _migrate_lock(self, tx: Tx) -> None:
        tx.one("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))

    @contextlib.contextmanager
    def _tx(self, write: bool = False):
        with self._lock:
            if self._conn is None:
                raise RuntimeError("store is closed")
            if self._conn.broken:
                self._connect()  # the server restarted or the connection dropped
            try:
                with self._conn.transaction(), self._conn.cursor() as cur:
                    yield _PgTx(cur, _translate)
            except pg_errors.NumericValueOutOfRange:
                raise RecordError(OUT_OF_RANGE) from None

    def clock(self) -> float:
        with self._tx() as tx:
            return float(tx.one("SELECT EXTRACT(EPOCH FROM clock_timestamp())")[0])

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
