"""Exports: PROV-JSON, OpenLineage events and the legacy v1 block."""

from __future__ import annotations

import json
import re

from jupyterlab_dotscience.export import to_openlineage, to_prov, v1_block, v1_dict

from .records import record, sha


def stored(store, **fields):
    run, _ = store.put_run(record(**fields), "alice")
    return run


def test_prov_document_links_files_run_and_author(store):
    run = stored(store, reads=[("data/iris.csv", "iris")], writes=[("model.joblib", "m")])
    doc = to_prov(run)
    activity = f"ds:run-{run['id']}"
    assert doc["prefix"]["ds"].startswith("https://")
    assert activity in doc["activity"]
    assert doc["activity"][activity]["prov:startTime"] == run["start"]
    assert f"ds:sha256-{sha('iris')}" in doc["entity"]
    assert {u["prov:entity"] for u in doc["used"].values()} == {f"ds:sha256-{sha('iris')}"}
    assert {g["prov:entity"] for g in doc["wasGeneratedBy"].values()} == {f"ds:sha256-{sha('m')}"}
    (assoc,) = doc["wasAssociatedWith"].values()
    assert assoc == {"prov:activity": activity, "prov:agent": "ds:user-alice"}
    json.dumps(doc)  # serialisable


def test_openlineage_events_start_then_complete_or_fail(store):
    ok = stored(store, project="iris", notebook="train.ipynb", params={"alpha": 0.5})
    start, complete = to_openlineage(ok)
    assert (start["eventType"], complete["eventType"]) == ("START", "COMPLETE")
    assert complete["job"] == {"namespace": "iris", "name": "train.ipynb", "facets": {}}
    assert complete["run"]["runId"] == ok["id"]
    assert complete["run"]["facets"]["dotscience_parameters"]["parameters"] == {"alpha": "0.5"}
    (inp,) = complete["inputs"]
    assert inp["facets"]["dotscience_contentHash"]["sha256"] == ok["inputs"][0]["sha256"]
    assert complete["outputs"][0]["name"] == "model.joblib"

    failed = stored(store, error="ValueError: bad")
    _, fail = to_openlineage(failed)
    assert fail["eventType"] == "FAIL"
    assert fail["run"]["facets"]["errorMessage"]["message"] == "ValueError: bad"


def test_v1_block_regenerated_from_stored_texts(store):
    # Given a script run with a metric logged twice
    rec = record(
        mode="script", workload_file="train.py", notebook=None, description="été",
        params={"alpha": 0.5}, metric={}, reads=[("b.csv", "b"), ("a.csv", "a")],
        start="2019-10-16T04:04:10.683903Z", end="2019-10-16T04:05:00.000001Z",
    )  # fmt: skip
    rec["metrics"]["acc"] = [
        {"value": 0.1, "text": "0.1", "step": 0, "time": None},
        {"value": 0.8, "text": "0.8", "step": 1, "time": None},
    ]
    run, _ = store.put_run(rec, "alice")

    # When the v1 block is regenerated
    text = v1_block(run)
    data = v1_dict(run)

    # Then it is the legacy format: markers, sorted keys, last metric text, v1 timestamps
    match = re.fullmatch(
        r"\[\[DOTSCIENCE-RUN:(.+?)\]\](.*?)\[\[/DOTSCIENCE-RUN:\1\]\]\n", text, re.S
    )
    assert match and match.group(1) == run["id"]
    assert json.loads(match.group(2)) == data
    assert match.group(2) == json.dumps(data, sort_keys=True, indent=4)
    assert "\\u00e9t\\u00e9" in text
    assert data["summary"] == {"acc": "0.8"}
    assert data["input"] == ["a.csv", "b.csv"]
    assert data["start"] == "20191016T040410.683903"
    assert data["workload-file"] == "train.py"
    assert "error" not in data


def test_v1_block_of_an_empty_run(store):
    import uuid

    run, _ = store.put_run({"id": str(uuid.uuid4())}, "alice")
    rid = run["id"]
    assert v1_block(run) == (
        f'[[DOTSCIENCE-RUN:{rid}]]{{\n    "input": [],\n    "labels": {{}},\n    "output": [],\n'
        f'    "parameters": {{}},\n    "summary": {{}},\n    "version": "1"\n}}'
        f"[[/DOTSCIENCE-RUN:{rid}]]\n"
    )
