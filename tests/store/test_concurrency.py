"""Reliability: many processes publishing (and opening a new store) at the same time."""

from __future__ import annotations

import multiprocessing
import time
import traceback
import uuid

import pytest

from jupyterlab_dotscience.store import open_store
from jupyterlab_dotscience.store.schema import LATEST

from .records import record

SHARED = 20  # ids every worker publishes: exactly one of them may store each


def _publisher(url, shared_ids, runs_each, worker, barrier, results):
    try:
        store = open_store(url)
        barrier.wait(timeout=60)
        outcome = []
        for i in range(runs_each):
            model = [{"name": "shared-model", "files": []}] if i % 10 == 0 else []
            rec = record(models=model, labels={"worker": str(worker)})
            _, created = store.put_run(rec, f"user{worker}")
            outcome.append((rec["id"], created))
            if i < len(shared_ids):
                _, created = store.put_run(record(id=shared_ids[i]), f"user{worker}")
                outcome.append((shared_ids[i], created))
        store.close()
        results.put((worker, outcome, None))
    except BaseException:
        results.put((worker, [], traceback.format_exc()))


def _opener(url, barrier, results):
    try:
        barrier.wait(timeout=60)
        with open_store(url) as store:
            results.put((store.schema_version(), None))
    except BaseException:
        results.put((None, traceback.format_exc()))


def _run_processes(target, args_for, count):
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(count)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=target, args=(*args_for(i), barrier, results)) for i in range(count)
    ]
    for p in procs:
        p.start()
    out = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    return out


@pytest.mark.parametrize(
    "workers, runs_each",
    [
        # make test: the same race, smaller (every worker still publishes every shared id)
        pytest.param(4, 30, id="4x30"),
        # make test-long: the soak
        pytest.param(8, 200, id="8x200", marks=pytest.mark.slow),
    ],
)
def test_processes_publishing_at_once_store_every_run_exactly_once(store_url, workers, runs_each):
    # Given a new store and N processes, each about to publish its runs plus 20 shared ids
    open_store(store_url).close()
    shared = [str(uuid.uuid4()) for _ in range(SHARED)]
    started = time.monotonic()

    # When they all publish at the same moment
    out = _run_processes(_publisher, lambda w: (store_url, shared, runs_each, w), workers)
    elapsed = time.monotonic() - started

    # Then no process failed
    assert [err for _, _, err in out if err] == []
    # And every run is stored exactly once: each own id created, each shared id created once
    created = [rid for _, outcome, _ in out for rid, c in outcome if c]
    assert len(created) == len(set(created)) == workers * runs_each + SHARED
    with open_store(store_url) as store:
        listed, cursor = [], None
        while True:
            page, cursor = store.list_runs(limit=1000, cursor=cursor)
            listed += [r["id"] for r in page]
            if cursor is None:
                break
        assert len(listed) == len(set(listed)) == workers * runs_each + SHARED
        assert set(listed) == set(created)
        # And model versions (every 10th run registers one) have no gaps or duplicates
        (model,) = store.list_models()
        versions = [v["version"] for v in model["versions"]]
        assert versions == list(range(1, workers * len(range(0, runs_each, 10)) + 1))
    assert elapsed < 90


def test_processes_opening_a_new_store_at_once_migrate_it_once(store_url):
    # Given a store URL nobody has opened yet, and 6 processes opening it together
    out = _run_processes(_opener, lambda i: (store_url,), 6)
    # Then every process sees the latest schema and no error
    assert [err for _, err in out if err] == []
    assert [v for v, _ in out] == [LATEST] * 6
