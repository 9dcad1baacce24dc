"""The parts of a reproduction without a server: the verdict, the replay notebook, the restore
of inputs into a scratch workspace."""

from __future__ import annotations

import hashlib

import pytest

from jupyterlab_dotscience.artifacts import ArtifactStore
from jupyterlab_dotscience.reproduce import replay, workspace
from jupyterlab_dotscience.reproduce.verdict import NotReproducible, compare


def run(params=None, metrics=None, outputs=None, python="3.11.7", packages=None) -> dict:
    def series(values):
        return [{"value": v, "text": str(v), "step": i} for i, v in enumerate(values)]

    return {
        "parameters": {k: {"value": v, "text": str(v)} for k, v in (params or {}).items()},
        "metrics": {k: series(v) for k, v in (metrics or {}).items()},
        "outputs": [{"path": p, "sha256": s} for p, s in (outputs or {}).items()],
        "environment": {"python": python, "packages": packages or {"numpy": "2.1.0"}},
    }


def test_same_values_are_identical_and_environment_is_listed_only():
    # Given a replay with the same values but another Python and numpy
    a = run({"C": 1.0}, {"loss": [0.5, 0.25]}, {"m.pkl": "a" * 64})
    b = run({"C": 1.0}, {"loss": [0.5, 0.25]}, {"m.pkl": "a" * 64}, "3.12.1", {"numpy": "2.2.0"})
    # When compared / Then identical, with the environment differences listed
    verdict, result = compare(a, b)
    assert verdict == "identical" and result["differences"] == []
    assert result["environment"]["python"] == ["3.11.7", "3.12.1"]
    assert result["environment"]["packages"] == [
        {"name": "numpy", "original": "2.1.0", "replay": "2.2.0"}
    ]


def test_every_point_of_a_series_counts_and_tolerance_is_relative():
    # Given series that differ only in their first point, by 1e-7 relative
    a = run(metrics={"loss": [1.0, 0.5]})
    b = run(metrics={"loss": [1.0 + 1e-7, 0.5]})
    # Then exactly they differ (the largest relative difference is reported) ...
    verdict, result = compare(a, b, 0.0)
    assert verdict == "differs"
    (d,) = result["differences"]
    assert d["name"] == "loss" and d["relative_difference"] == pytest.approx(1e-7, rel=1e-3)
    # ... and within a 1e-6 tolerance they are the same, but not within 1e-8
    assert compare(a, b, 1e-6)[0] == "within_tolerance"
    assert compare(a, b, 1e-8)[0] == "differs"


def test_nan_equals_nan_but_not_a_number_and_lengths_must_match():
    nan, inf = {"$float": "nan"}, {"$float": "inf"}
    assert compare(run(metrics={"m": [nan]}), run(metrics={"m": [nan]}))[0] == "identical"
    verdict, result = compare(run(metrics={"m": [inf]}), run(metrics={"m": [1.0]}), 10.0)
    assert verdict == "differs"
    assert result["differences"][0]["relative_difference"] == {"$float": "inf"}
    verdict, result = compare(run(metrics={"m": [1, 2]}), run(metrics={"m": [1, 2, 3]}), 1.0)
    assert verdict == "differs" and result["differences"][0]["relative_difference"] is None


def test_parameters_outputs_and_missing_metrics_are_named():
    a = run({"C": 1.0, "solver": "lbfgs"}, {"acc": [0.9]}, {"a.txt": "1" * 64, "b.txt": "2" * 64})
    b = run({"C": 1.0, "solver": "saga"}, {}, {"a.txt": "3" * 64, "c.txt": "4" * 64})
    verdict, result = compare(a, b, 1.0)
    assert verdict == "differs"
    assert [(d["kind"], d["name"]) for d in result["differences"]] == [
        ("parameter", "solver"), ("metric", "acc"), ("output", "a.txt"),
        ("missing_output", "b.txt"), ("extra_output", "c.txt"),
    ]  # fmt: skip


def execution(seq, source, success=True):
    return {"seq": seq, "cell_id": f"c{seq}", "execution_count": seq + 1,
            "source": source, "success": success, "origin": "cell"}  # fmt: skip


def test_replay_notebook_keeps_order_skips_failures_and_the_publishing_cell():
    # Given executions in the order they ran, one failed, the last still running (publish)
    executions = [execution(0, "a = 1"), execution(2, "raise X", False), execution(1, "b = 2"),
                  execution(3, "ds.publish()", None)]  # fmt: skip
    # When the replay notebook is built
    nb, skipped = replay.build_notebook({"id": "r", "kernel": {"name": "python3"}}, executions)
    # Then its cells are the succeeded executions and the publish, in seq order
    assert [c["source"] for c in nb["cells"]] == ["a = 1", "b = 2", "ds.publish()"]
    assert skipped == 1 and nb["metadata"]["kernelspec"]["name"] == "python3"


def test_replay_without_code_is_not_reproducible():
    with pytest.raises(NotReproducible, match="no executions"):
        replay.build_notebook({"id": "r"}, [])
    with pytest.raises(NotReproducible, match="source text of execution 0"):
        replay.build_notebook({"id": "r"}, [execution(0, None)])


def test_a_record_whose_first_executions_were_left_out_is_not_reproducible():
    # Given a record from a session over the record's limits: its oldest 5 executions were
    # left out by the kernel library (the newest kept their seq numbers)
    executions = [execution(5, "b = a + 1"), execution(6, "ds.publish()", None)]
    # When the replay notebook is built, then it says what is missing instead of replaying
    # code that depends on state nobody recorded
    with pytest.raises(NotReproducible, match="first 5 executions"):
        replay.build_notebook({"id": "r"}, executions)


def test_inputs_are_restored_from_artifacts_else_from_an_unchanged_workspace(tmp_path):
    # Given one input in the artifact store, one only in the workspace, one changed since
    root, scratch = tmp_path / "root", tmp_path / "scratch"
    (root / "d").mkdir(parents=True)
    scratch.mkdir()
    artifacts = ArtifactStore(tmp_path / "artifacts")
    stored = artifacts.put_bytes(b"captured")
    (root / "d" / "plain.csv").write_bytes(b"in the workspace")
    (root / "changed.csv").write_bytes(b"changed since")
    inputs = [
        {"path": "d/cap.csv", "sha256": stored},
        {"path": "d/plain.csv", "sha256": hashlib.sha256(b"in the workspace").hexdigest()},
    ]
    # When restored
    restored = workspace.restore_inputs({"inputs": inputs}, scratch, artifacts, str(root))
    # Then each is in the scratch workspace at its path, from where it was found
    assert restored == [{"path": "d/cap.csv", "from": "artifacts"},
                        {"path": "d/plain.csv", "from": "workspace"}]  # fmt: skip
    assert (scratch / "d" / "cap.csv").read_bytes() == b"captured"
    # And an input whose content is nowhere any more is not reproducible, with the reason
    changed = [{"path": "changed.csv", "sha256": hashlib.sha256(b"original").hexdigest()}]
    with pytest.raises(NotReproducible) as e:
        workspace.restore_inputs({"inputs": changed}, scratch, artifacts, str(root),
                                 {"changed.csv": "too large"})  # fmt: skip
    assert e.value.missing == [
        "Input changed.csv was not captured (too large) and the workspace no longer has the "
        "content the run read."
    ]
    assert not (scratch / "changed.csv").exists()


def test_scratch_ids_must_be_uuids(tmp_path):
    with pytest.raises(ValueError):
        workspace.create_scratch(tmp_path, "../../etc")
