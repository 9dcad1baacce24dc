"""Importing runs left in the workspace spool."""

from __future__ import annotations

import json
import threading

from jupyterlab_dotscience.store import import_spool, open_store

from .records import record


def spool_with(tmp_path, *recs):
    spool = tmp_path / "spool"
    spool.mkdir()
    for rec in recs:
        (spool / f"{rec['id']}.json").write_text(json.dumps(rec))
    return spool


def test_spooled_runs_are_imported_once_and_moved_away(store, tmp_path):
    # Given two spooled runs
    a, b = record(), record()
    spool = spool_with(tmp_path, a, b)

    # When the spool is imported twice
    first = import_spool(store, spool, "alice")
    second = import_spool(store, spool, "alice")

    # Then both runs are stored once and the files moved to spool/imported
    assert (first, second) == (2, 0)
    assert {r["id"] for r in store.list_runs()[0]} == {a["id"], b["id"]}
    assert sorted(p.name for p in (spool / "imported").iterdir()) == sorted(
        f"{r['id']}.json" for r in (a, b)
    )
    assert list(spool.glob("*.json")) == []


def test_bad_files_are_rejected_with_the_reason_beside_them(store, tmp_path):
    good = record()
    spool = spool_with(tmp_path, good, record(id="nonsense"))
    (spool / "broken.json").write_text("{not json")

    assert import_spool(store, spool, "alice") == 1

    rejected = sorted(p.name for p in (spool / "rejected").iterdir())
    assert "broken.json" in rejected and "broken.json.reason" in rejected
    reasons = [p.read_text() for p in (spool / "rejected").glob("*.reason")]
    assert any("id" in r and "uuid" in r for r in reasons)
    assert [r["id"] for r in store.list_runs()[0]] == [good["id"]]


def test_already_published_run_in_the_spool_is_not_duplicated(store, tmp_path):
    rec = record()
    store.put_run(rec, "alice")
    spool = spool_with(tmp_path, rec)
    assert import_spool(store, spool, "alice") == 0
    assert len(store.list_runs()[0]) == 1
    assert (spool / "imported" / f"{rec['id']}.json").exists()


def test_two_servers_importing_at_once_store_each_run_exactly_once(store_url, tmp_path):
    # Given 40 spooled runs and two servers with their own store connections
    recs = [record() for _ in range(40)]
    spool = spool_with(tmp_path, *recs)
    stores = [open_store(store_url) for _ in range(2)]
    counts, errors = [], []

    def server(s):
        try:
            counts.append(import_spool(s, spool, "alice"))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    # When both import concurrently
    threads = [threading.Thread(target=server, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # Then there is no error, 40 runs in total, and every file ended in spool/imported
    assert errors == []
    assert sum(counts) == 40
    assert len(stores[0].list_runs(limit=100)[0]) == 40
    assert len(list((spool / "imported").iterdir())) == 40
    for s in stores:
        s.close()
