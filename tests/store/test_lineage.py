"""Lineage: runs linked through the content they wrote and read."""

from __future__ import annotations

import uuid

import pytest

from jupyterlab_dotscience.lineage import lineage

from .records import record, sha


def run_ids(graph):
    return {n["id"] for n in graph["nodes"] if n["kind"] == "run"}


def edges(graph):
    return {(e["from"], e["to"], e["kind"]) for e in graph["edges"]}


def test_run_b_is_linked_to_run_a_when_b_read_what_a_wrote(store):
    # Given A wrote clean.csv and B later read it (under another name) and wrote a model
    a = record(at=10, reads=[("raw.csv", "raw")], writes=[("clean.csv", "clean")])
    b = record(at=20, reads=[("copy/clean.csv", "clean")], writes=[("model.bin", "m")])
    unrelated = record(at=30, reads=[("other.csv", "other")], writes=[])
    for r in (a, b, unrelated):
        store.put_run(r, "alice")

    # When B's lineage is asked upwards
    graph = lineage(store, run_id=b["id"], direction="up")

    # Then A is B's producer through the clean data's hash, and unrelated runs are absent
    clean = f"sha256:{sha('clean')}"
    assert run_ids(graph) == {a["id"], b["id"]}
    assert (a["id"], clean, "output") in edges(graph)
    assert (clean, b["id"], "input") in edges(graph)
    node = next(n for n in graph["nodes"] if n["id"] == clean)
    assert set(node["paths"]) == {"clean.csv", "copy/clean.csv"}

    # And A's downstream lineage reaches B
    down = lineage(store, run_id=a["id"], direction="down")
    assert run_ids(down) == {a["id"], b["id"]}


def test_producer_is_the_most_recent_earlier_writer(store):
    # Given two runs wrote the same bytes, then C read them, then D wrote them again
    old = record(at=1, reads=[], writes=[("x.csv", "x")])
    recent = record(at=2, reads=[], writes=[("x.csv", "x")])
    reader = record(at=3, reads=[("x.csv", "x")], writes=[])
    later = record(at=4, reads=[], writes=[("x.csv", "x")])
    for r in (old, recent, reader, later):
        store.put_run(r, "alice")

    graph = lineage(store, run_id=reader["id"], direction="up")

    assert run_ids(graph) == {recent["id"], reader["id"]}
    # and only the recent writer sees the reader downstream
    assert reader["id"] in run_ids(lineage(store, run_id=recent["id"], direction="down"))
    assert reader["id"] not in run_ids(lineage(store, run_id=old["id"], direction="down"))


def test_files_without_hash_never_link_runs(store):
    a = record(at=1, reads=[], writes=[("x.csv", "x")])
    b = record(at=2, reads=[("x.csv", "x")], writes=[])
    a["outputs"][0]["sha256"] = None
    b["inputs"][0]["sha256"] = None
    store.put_run(a, "alice")
    store.put_run(b, "alice")
    graph = lineage(store, run_id=b["id"])
    assert run_ids(graph) == {b["id"]}
    assert any(n["kind"] == "file" and n["path"] == "x.csv" for n in graph["nodes"])


def test_depth_and_node_cap_bound_a_long_chain(store):
    # Given a chain of 10 runs each reading what the previous one wrote
    chain = []
    for i in range(10):
        rec = record(at=i, reads=[(f"s{i}", f"s{i}")], writes=[(f"s{i + 1}", f"s{i + 1}")])
        store.put_run(rec, "alice")
        chain.append(rec["id"])

    # When walking up from the last run with depth 3
    graph = lineage(store, run_id=chain[-1], direction="up", depth=3)
    # Then exactly the last four runs appear
    assert run_ids(graph) == set(chain[-4:])
    assert not graph["truncated"]

    # And a node cap truncates the graph
    capped = lineage(store, run_id=chain[-1], direction="up", depth=50, max_nodes=5)
    assert len(capped["nodes"]) == 5 and capped["truncated"]

    # And the full chain is reachable in both directions from the middle
    assert run_ids(lineage(store, run_id=chain[5], depth=50)) == set(chain)


def test_lineage_of_a_file_shows_its_writers_and_readers(store):
    w = record(at=1, reads=[], writes=[("x.csv", "x")])
    r = record(at=2, reads=[("x.csv", "x")], writes=[])
    store.put_run(w, "alice")
    store.put_run(r, "alice")
    graph = lineage(store, sha256=sha("x"))
    assert graph["root"] == f"sha256:{sha('x')}"
    assert run_ids(graph) == {w["id"], r["id"]}
    assert run_ids(lineage(store, sha256=sha("x"), direction="up")) == {w["id"]}


def test_bad_lineage_requests_are_refused(store):
    with pytest.raises(ValueError):
        lineage(store)
    with pytest.raises(ValueError):
        lineage(store, sha256="../etc")
    with pytest.raises(ValueError):
        lineage(store, run_id=str(uuid.uuid4()), direction="sideways")
    with pytest.raises(KeyError):
        lineage(store, run_id=str(uuid.uuid4()))
