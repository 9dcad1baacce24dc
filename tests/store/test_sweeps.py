"""Sweeps and their trials in the store (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid

import pytest


def _sweep(**extra) -> dict:
    return {"id": str(uuid.uuid4()), "notebook": "nb/train.ipynb", "project": "default",
            "owner": "alice", "state": "running", "backend": "local", "server": "h/1",
            "spec": {"method": "grid"}, "counts": {"trials": 0}, **extra}  # fmt: skip


def test_a_sweep_and_its_trials_are_stored_and_read_back(store):
    # Given a stored sweep
    sweep = store.put_sweep(_sweep())
    assert store.get_sweep(sweep["id"])["spec"] == {"method": "grid"}
    # When two trials are stored and one is finished
    store.put_trial(sweep["id"], {"number": 1, "state": "running", "values": {"x": 2}})
    store.put_trial(sweep["id"], {"number": 0, "state": "running", "values": {"x": 1}})
    run_id = str(uuid.uuid4())
    done = store.update_trial(sweep["id"], 0, state="done", run_id=run_id, objective=0.5)
    # Then the trials are read back by number with their fields
    trials = store.list_trials(sweep["id"])
    assert [(t["number"], t["state"], t["values"]) for t in trials] == [
        (0, "done", {"x": 1}), (1, "running", {"x": 2})]  # fmt: skip
    assert done["run_id"] == run_id and done["objective"] == 0.5
    # And a sweep's change keeps its other fields
    changed = store.update_sweep(sweep["id"], state="done", best={"trial": 0})
    assert changed["state"] == "done" and changed["best"] == {"trial": 0}
    assert changed["notebook"] == "nb/train.ipynb" and changed["spec"] == {"method": "grid"}
    assert [s["id"] for s in store.list_sweeps(states=("done",))] == [sweep["id"]]
    assert store.list_sweeps(states=("running",)) == []


def test_listed_sweeps_count_the_trials_read_with_them(store):
    # Given two sweeps whose stored counts lag their trials (the engine writes a trial,
    # then the counts: a list can be read between the two), and one with no trial yet
    lagging = store.put_sweep(_sweep(counts={"trials": 1, "running": 1}))
    store.put_trial(lagging["id"], {"number": 0, "state": "done", "values": {"x": 1}})
    store.put_trial(lagging["id"], {"number": 1, "state": "running", "values": {"x": 2}})
    store.update_trial(lagging["id"], 1, state="cancelled")
    other = store.put_sweep(_sweep(counts={"trials": 0}))
    store.put_trial(other["id"], {"number": 0, "state": "failed", "values": {"x": 3}})
    store.put_trial(other["id"], {"number": 1, "state": "queued", "values": {"x": 4}})
    empty = store.put_sweep(_sweep(counts={"trials": 5, "done": 5}))
    # When they are listed
    listed = {s["id"]: s["counts"] for s in store.list_sweeps()}
    # Then each one's counts are those of its trials
    zero = {"trials": 0, "done": 0, "running": 0, "pruned": 0, "failed": 0, "cancelled": 0}
    assert listed[lagging["id"]] == {**zero, "trials": 2, "done": 1, "cancelled": 1}
    assert listed[other["id"]] == {**zero, "trials": 2, "failed": 1}
    assert listed[empty["id"]] == zero
    # And listed by state (all three are running), the same
    assert {s["id"]: s["counts"] for s in store.list_sweeps(states=("running",))} == listed


def test_a_trial_number_is_stored_once(store):
    # Given a sweep with trial 0 stored
    sweep = store.put_sweep(_sweep())
    assert store.put_trial(sweep["id"], {"number": 0, "state": "running"}) is not None
    # When trial 0 is stored again (a second server, or a restart)
    again = store.put_trial(sweep["id"], {"number": 0, "state": "running", "values": {"x": 9}})
    # Then nothing is stored: the trial is never started twice
    assert again is None
    assert [t.get("values") for t in store.list_trials(sweep["id"])] == [None]


def test_unknown_and_malformed_sweeps(store):
    assert store.get_sweep(str(uuid.uuid4())) is None
    assert store.get_sweep("not-a-uuid") is None
    assert store.list_trials("not-a-uuid") == []
    with pytest.raises(KeyError):
        store.update_sweep(str(uuid.uuid4()), state="done")
    with pytest.raises(KeyError):
        store.update_trial(str(uuid.uuid4()), 0, state="done")
    sweep = store.put_sweep(_sweep())
    with pytest.raises(ValueError):
        store.put_sweep(_sweep(id=sweep["id"]))
