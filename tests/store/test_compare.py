"""What the compare view reads of many runs at once, and metric directions (issue 14)."""

from __future__ import annotations

import uuid

import pytest

from .records import record, sha


def test_compare_runs_reads_parameters_metric_bounds_inputs_and_environment(store):
    # Given two runs: a series whose last value is neither its smallest nor its largest, an
    # autologged data set, an environment with packages and a git commit
    series = [
        {"value": v, "text": str(v), "step": i, "time": "2026-11-27T06:00:00Z"}
        for i, v in enumerate([0.5, 0.9, 0.2, 0.7])
    ]
    a = record(params={"alpha": 0.5, "kind": "rf"}, reads=[("data/a.csv", "one")])
    a["metrics"] = {"loss": series}
    a["inputs"].append({"path": "memory:X", "sha256": sha("frame"), "size": 5,
                        "outside": False, "missing": False})  # fmt: skip
    a["environment"] = {"python": "3.11.7", "implementation": "CPython",
                        "packages": {"numpy": "2.1.0", "pandas": "2.2.0"},
                        "git": {"commit": "c0ffee", "dirty": False, "branch": "main"}}  # fmt: skip
    b = record(params={"alpha": 0.1}, reads=[("data/a.csv", "two")])
    store.put_run(a, "alice")
    store.put_run(b, "alice")
    # When both (one twice, and one unknown and one malformed id) are read for comparison
    runs = store.compare_runs([b["id"], str(uuid.uuid4()), a["id"], "nope", b["id"]])
    # Then they come in the order asked, once each, with what the view needs
    assert [r["id"] for r in runs] == [b["id"], a["id"]]
    got = runs[1]
    assert got["parameters"] == {"alpha": {"value": 0.5, "text": "0.5"},
                                 "kind": {"value": "rf", "text": "rf"}}  # fmt: skip
    assert got["metrics"]["loss"] == {"value": 0.7, "text": "0.7", "step": 3, "count": 4,
                                      "min": 0.2, "max": 0.9}  # fmt: skip
    assert {i["path"]: i["sha256"] for i in got["inputs"]} == {
        "data/a.csv": sha("one"), "memory:X": sha("frame")}  # fmt: skip
    env = got["environment"]
    assert (env["python"], env["packages"], env["git_commit"]) == ("3.11.7", 2, "c0ffee")
    assert runs[0]["inputs"][0]["sha256"] == sha("two")
    assert runs[0]["parameters"] == {"alpha": {"value": 0.1, "text": "0.1"}}


def test_compare_runs_of_nothing_known_is_empty(store):
    # Given an empty store, When unknown and malformed ids are compared, Then nothing is found
    assert store.compare_runs([str(uuid.uuid4()), "x", ""]) == []
    assert store.compare_runs([]) == []


def test_metric_directions_are_stored_replaced_and_forgotten(store):
    # Given no directions
    assert store.metric_directions() == {}
    # When loss is lower-better and accuracy higher-better, then accuracy is changed
    assert store.set_metric_direction("loss", "lower", "alice") is False
    assert store.set_metric_direction("accuracy", "lower", "alice") is False
    assert store.set_metric_direction("accuracy", "higher", "bob") is True
    # Then each key has its latest direction, and asking for some keys gives only those
    assert store.metric_directions() == {"accuracy": "higher", "loss": "lower"}
    assert store.metric_directions(["loss", "f1"]) == {"loss": "lower"}
    # When loss's direction is forgotten, Then it is gone
    assert store.set_metric_direction("loss", None, "alice") is True
    assert store.metric_directions() == {"accuracy": "higher"}


@pytest.mark.parametrize("key, direction", [("", "higher"), ("loss", "up"), (3, "lower")])
def test_a_bad_metric_direction_is_refused(store, key, direction):
    # When a bad key or direction is stored, Then ValueError, and nothing is stored
    with pytest.raises(ValueError):
        store.set_metric_direction(key, direction, "alice")
    assert store.metric_directions() == {}
