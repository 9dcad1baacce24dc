"""Durability: an acknowledged publish survives a power failure (SQLite commits are synced)."""

from __future__ import annotations

import uuid

from jupyterlab_dotscience.store import open_store
from jupyterlab_dotscience.store.sqlite import SQLiteStore

SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


def _settings(store: SQLiteStore) -> tuple[str, str]:
    with store._tx() as tx:
        journal = tx.one("PRAGMA journal_mode")[0]
        sync = SYNCHRONOUS[tx.one("PRAGMA synchronous")[0]]
    return journal, sync


def test_sqlite_syncs_every_commit_before_a_publish_is_acknowledged(tmp_path):
    # Given the store a server opens by default
    store = open_store(f"sqlite:///{tmp_path}/dotscience.db")
    try:
        # When a run is published
        run, created = store.put_run(
            {"schema": "dotscience.run/2", "id": str(uuid.uuid4())}, "alice"
        )
        # Then the commit it returned after was synced to disk: WAL with synchronous=FULL
        # (NORMAL may lose the last commits on power failure)
        assert created and _settings(store) == ("wal", "FULL")
    finally:
        store.close()


def test_the_faster_setting_can_be_chosen_explicitly_for_benchmarks(tmp_path):
    # Given a store opened with synchronous=NORMAL (what the benchmark compares against)
    store = SQLiteStore(str(tmp_path / "fast.db"), synchronous="NORMAL")
    try:
        # Then that is what it uses
        assert _settings(store) == ("wal", "NORMAL")
    finally:
        store.close()
