"""Publishing and reading runs, cells, notebook snapshots and models."""

from __future__ import annotations

import copy
import uuid

import pytest

from jupyterlab_dotscience.store import open_store

from .records import record, sha, ts


def test_published_run_reads_back_exactly(store):
    # Given a complete run record with typed values of every kind
    rec = record(
        params={"alpha": 0.5, "layers": 3, "name": "net", "flag": True, "none": None},
        metric={"loss": 0.25},
        argv=["train.py", "--epochs", "3"],
        kernel_id=str(uuid.uuid4()),
    )
    rec["parameters"]["huge"] = {"value": {"$float": "inf"}, "text": "inf"}
    rec["metrics"]["loss"].append({"value": 0.125, "text": "0.125", "step": 1, "time": ts(5)})

    # When it is published and read back
    stored, created = store.put_run(copy.deepcopy(rec), author="alice")
    fetched = store.get_run(rec["id"])

    # Then the stored run is the record plus what the server adds
    assert created is True
    assert fetched == stored
    for key, value in rec.items():
        assert fetched[key] == value, key
    assert fetched["author"] == "alice"
    assert fetched["status"] == "succeeded"
    assert fetched["imported"] is False
    assert fetched["received"].endswith("Z")


def test_publishing_the_same_run_twice_shows_one_run(store):
    # Given a run already published
    rec = record()
    first, _ = store.put_run(rec, author="alice")

    # When the same id is published again (even with other content)
    again, created = store.put_run(dict(rec, description="changed"), author="bob")

    # Then the list shows one run, and the first publish is what is stored
    assert created is False
    assert again == first
    runs, _ = store.list_runs()
    assert [r["id"] for r in runs] == [rec["id"]]
    assert store.metric_series(rec["id"], "accuracy") == rec["metrics"]["accuracy"]


def test_failed_run_has_failed_status(store):
    stored, _ = store.put_run(record(error="ZeroDivisionError: division by zero"), "alice")
    assert stored["status"] == "failed"
    assert store.get_run(stored["id"])["status"] == "failed"


def test_project_is_created_on_first_run(store):
    # Given no projects
    assert store.list_projects() == []
    # When runs are published into two projects
    store.put_run(record(project="iris"), "alice")
    store.put_run(record(project="iris"), "alice")
    store.put_run(record(), "alice")
    # Then both projects exist with their run counts
    assert [(p["name"], p["runs"]) for p in store.list_projects()] == [("default", 1), ("iris", 2)]


def test_minimal_record_gets_defaults(store):
    run_id = str(uuid.uuid4())
    stored, created = store.put_run({"id": run_id}, "alice")
    assert created
    assert stored["project"] == "default"
    assert stored["inputs"] == [] and stored["metrics"] == {}
    assert store.get_run(run_id) == stored


def test_timestamps_are_normalised_to_utc(store):
    stored, _ = store.put_run(record(start="2026-11-27T08:30:00+02:00"), "alice")
    assert stored["start"] == "2026-11-27T06:30:00.000000Z"


def test_non_finite_floats_round_trip(store):
    rec = record(params={}, metric={})
    rec["metrics"]["loss"] = [
        {"value": float("nan"), "text": "nan", "step": 0, "time": None},
        {"value": {"$float": "-inf"}, "text": "-inf", "step": 1, "time": None},
    ]
    store.put_run(rec, "alice")
    series = store.metric_series(rec["id"], "loss")
    assert [p["value"] for p in series] == [{"$float": "nan"}, {"$float": "-inf"}]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": "not-a-uuid"}, "id"),
        ({"id": 42}, "id"),
        ({"schema": "dotscience.run/9"}, "schema"),
        ({"mode": "batch"}, "mode"),
        ({"project": ""}, "project"),
        ({"start": "yesterday"}, "start"),
        ({"argv": "train.py"}, "argv"),
        ({"labels": {"team": 3}}, "labels['team']"),
        ({"parameters": {"alpha": 0.5}}, "parameters['alpha']"),
        (
            {"parameters": {"alpha": {"value": [1, 2], "text": "[1, 2]"}}},
            "parameters['alpha'].value",
        ),
        ({"metrics": {"acc": {"value": 1}}}, "metrics['acc']"),
        (
            {"metrics": {"acc": [{"value": 1, "text": "1", "step": "one"}]}},
            "metrics['acc'][0].step",
        ),
        ({"inputs": [{"path": "a", "sha256": "XYZ"}]}, "inputs[0].sha256"),
        ({"outputs": [{"sha256": None}]}, "outputs[0].path"),
        ({"inputs": [{"path": "a", "size": -1}]}, "inputs[0].size"),
        ({"models": [{"framework": "sklearn"}]}, "models[0].name"),
        ({"environment": "linux"}, "environment"),
        ({"cells": [{"success": "yes"}]}, "cells[0].success"),
        ({"build": "no"}, "build"),
    ],
)
def test_malformed_records_are_refused_naming_the_field(store, change, field):
    # Given a record with one malformed field
    rec = dict(record(), **change)
    # When it is published, then the error names that field and nothing is stored
    with pytest.raises(ValueError, match=f"run record: {__import__('re').escape(field)}"):
        store.put_run(rec, "alice")
    assert store.list_runs()[0] == []


def test_record_must_be_an_object(store):
    with pytest.raises(ValueError, match="expected a JSON object"):
        store.put_run(["not", "a", "record"], "alice")


def test_author_is_required(store):
    with pytest.raises(ValueError, match="author"):
        store.put_run(record(), "")


def test_unknown_run_reads_as_nothing(store):
    assert store.get_run(str(uuid.uuid4())) is None
    assert store.get_run("../../etc/passwd") is None
    assert store.run_files("nope") == []
    assert store.run_cells(str(uuid.uuid4())) == []
    assert store.get_notebook_snapshot(str(uuid.uuid4())) is None


def test_run_files_lists_inputs_then_outputs(store):
    rec = record(reads=[("b.csv", "b"), ("a.csv", "a")], writes=[("out.bin", "o")])
    rec["inputs"][0]["missing"] = True
    store.put_run(rec, "alice")
    files = store.run_files(rec["id"])
    assert [(f["role"], f["path"]) for f in files] == [
        ("input", "b.csv"),
        ("input", "a.csv"),
        ("output", "out.bin"),
    ]
    assert files[0]["missing"] is True and files[2]["sha256"] == sha("o")


def test_cells_are_replaced_and_read_in_order(store):
    # Given a run published with one cell
    cell = {
        "cell_id": "c1", "index": 0, "execution_count": 1, "source_sha256": sha("x = 1"),
        "start": ts(1), "end": ts(2), "success": True,
    }  # fmt: skip
    rec = record(cells=[cell])
    store.put_run(rec, "alice")
    assert store.run_cells(rec["id"]) == [cell]

    # When the extension sends the full list of cells later
    later = [dict(cell, cell_id="c2", index=1, success=False), dict(cell, execution_count=3)]
    assert store.put_cells(rec["id"], later) == 2

    # Then the run's cells are exactly the new ones, in order
    assert store.run_cells(rec["id"]) == later


def test_cells_for_an_unknown_run_are_refused(store):
    with pytest.raises(KeyError):
        store.put_cells(str(uuid.uuid4()), [])
    rec = record()
    store.put_run(rec, "alice")
    with pytest.raises(ValueError, match=r"cells\[0\].index"):
        store.put_cells(rec["id"], [{"index": "first"}])


def test_notebook_snapshot_round_trips(store):
    rec = record()
    store.put_run(rec, "alice")
    notebook = {"cells": [], "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4}

    saved = store.put_notebook_snapshot(rec["id"], "analysis/train.ipynb", notebook)
    got = store.get_notebook_snapshot(rec["id"])

    assert got["content"] == notebook
    assert got["sha256"] == saved["sha256"] and len(saved["sha256"]) == 64
    assert got["path"] == "analysis/train.ipynb" and got["format"] == "json"

    store.put_notebook_snapshot(rec["id"], "script.py", "print('hi')\n")
    assert store.get_notebook_snapshot(rec["id"])["content"] == "print('hi')\n"
    with pytest.raises(KeyError):
        store.put_notebook_snapshot(str(uuid.uuid4()), None, "x")


def test_models_get_increasing_versions_and_movable_aliases(store):
    # Given two runs that each saved the model "iris"
    model = {
        "name": "iris", "framework": "sklearn", "framework_version": "1.5.0", "path": "model",
        "classes": None,
        "files": [{"path": "model/model.joblib", "sha256": sha("m"), "size": 1}],
    }  # fmt: skip
    first, _ = store.put_run(record(models=[model]), "alice")
    second, _ = store.put_run(record(models=[model]), "alice")
    # and a duplicate publish of the first
    store.put_run(record(id=first["id"], models=[model]), "alice")

    # Then the model has versions 1 and 2, linked to their runs
    assert first["models"][0]["version"] == 1 and second["models"][0]["version"] == 2
    assert store.get_run(second["id"])["models"][0]["version"] == 2
    (iris,) = store.list_models()
    assert iris["latest_version"] == 2
    assert [(v["version"], v["run_id"]) for v in iris["versions"]] == [
        (1, first["id"]),
        (2, second["id"]),
    ]

    # When an alias is set and moved
    store.set_alias("iris", "production", 1)
    store.set_alias("iris", "production", 2)
    assert store.list_models()[0]["aliases"] == {"production": 2}

    # Then an alias to a missing version is refused
    with pytest.raises(KeyError):
        store.set_alias("iris", "production", 3)

    # And versions can be registered without a run
    v3 = store.register_model_version("iris", framework="torch")
    assert v3["version"] == 3 and v3["run_id"] is None


def test_reopening_keeps_data_and_schema_version(store_url):
    # Given a store with a run
    with open_store(store_url) as s:
        rec = record()
        s.put_run(rec, "alice")
        version = s.schema_version()
    # When it is opened again (migrations run at open)
    with open_store(store_url) as s:
        # Then nothing is migrated twice and the run is there
        assert s.schema_version() == version >= 1
        assert s.get_run(rec["id"])["id"] == rec["id"]


def test_bulk_put_runs_is_equivalent_and_idempotent(store):
    recs = [record() for _ in range(5)]
    assert store.put_runs(recs[:3], "alice") == [(r["id"], True) for r in recs[:3]]
    result = store.put_runs(recs, "alice")
    assert [created for _, created in result] == [False, False, False, True, True]
    single, _ = store.put_run(record(id=recs[4]["id"]), "bob")
    assert single["author"] == "alice"
    assert store.get_run(recs[0]["id"])["parameters"] == recs[0]["parameters"]


@pytest.mark.parametrize("url", ["sqlite://relative.db", "mysql://x", "", "sqlite:///"])
def test_bad_store_urls_are_refused(url):
    with pytest.raises(ValueError, match="store url"):
        open_store(url)
