"""A real PostgreSQL server for tests (pytest plugin).

``pg_server`` (session) runs ``initdb`` and ``postgres`` from ``/usr/lib/postgresql/*/bin``
on a temporary data directory, listening on 127.0.0.1 and a free port; ``pg_url`` gives each
test a fresh database. Missing binaries fail the test with a clear message (``make`` installs
them) unless ``DOTSCIENCE_SKIP_PG=1`` is set, which skips instead.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest

from tests.server.live import free_port


def _bin_dir() -> str | None:
    found = [d for d in glob.glob("/usr/lib/postgresql/*/bin") if os.path.exists(f"{d}/initdb")]
    found.sort(key=lambda d: int(d.split("/")[-2]) if d.split("/")[-2].isdigit() else 0)
    if found:
        return found[-1]
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


class PgServer:
    """A throwaway PostgreSQL server; superuser ``postgres``, trust authentication."""

    def __init__(self, bin_dir: str):
        self.bin_dir = bin_dir
        # Not under pytest's tmp_path: the postgres user must be able to reach it.
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.tmp = tempfile.mkdtemp(prefix=f"dotscience-pg-{worker}-")
        self.data = os.path.join(self.tmp, "data")
        self.port = free_port()
        self.host = "127.0.0.1"
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        cmd = [os.path.join(self.bin_dir, args[0]), *args[1:]]
        if self.as_root:  # postgres refuses to run as root
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")

    def start(self) -> None:
        if self.as_root:
            shutil.chown(self.tmp, "postgres", "postgres")
        self._run(
            "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--no-sync", "--locale=C",
        )  # fmt: skip
        options = (
            f"-p {{port}} -c listen_addresses=127.0.0.1 -k {self.tmp} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        log = os.path.join(self.tmp, "postgres.log")
        for attempt in range(5):
            try:
                self._run(
                    "pg_ctl", "-D", self.data, "-o", options.format(port=self.port), "-l", log,
                    "-w", "-t", "60", "start",
                )  # fmt: skip
                return
            except RuntimeError:
                with open(log, errors="replace") as f:
                    taken = "could not bind" in f.read()
                if not taken or attempt == 4:
                    raise
                self.port = free_port()  # another process took the port meanwhile

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{database}"

    def create_database(self, prefix: str = "test") -> str:
        """A new empty database; returns its URL."""
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url(name)


@pytest.fixture(scope="session")
def pg_server():
    """The session's PostgreSQL server (started on first use)."""
    if os.environ.get("DOTSCIENCE_SKIP_PG") == "1":
        pytest.skip("DOTSCIENCE_SKIP_PG=1: PostgreSQL tests skipped")
    bin_dir = _bin_dir()
    if bin_dir is None:
        pytest.fail(
            "PostgreSQL server binaries not found (looked for /usr/lib/postgresql/*/bin/initdb "
            "and initdb on PATH). Install them (`make` does: apt-get install postgresql) or "
            "set DOTSCIENCE_SKIP_PG=1 to skip the PostgreSQL tests.",
            pytrace=False,
        )
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.fail("psycopg 3 is not installed: pip install 'psycopg[binary]'", pytrace=False)
    server = PgServer(bin_dir)
    started = time.monotonic()
    server.start()
    server.startup_seconds = time.monotonic() - started
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    return pg_server.create_database()
