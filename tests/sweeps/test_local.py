"""Sweeps on the local backend: real kernels (nbclient) in scratch workspaces, runs stored."""

from __future__ import annotations

import os
import time
import uuid

from .conftest import SKLEARN_CELLS, alive, write_notebook


def _value(run: dict, name: str):
    return run["parameters"][name]["value"] if isinstance(run["parameters"][name], dict) else (
        run["parameters"][name])  # fmt: skip


def test_grid_sweep_runs_every_combination_as_a_labelled_run(workspace):
    # Given a scikit-learn notebook and a 2 x 2 grid over a parameters-cell value (C) and a
    # ds.parameter value (solver)
    nb = write_notebook(workspace.root / "models" / "train.ipynb", SKLEARN_CELLS)
    before = nb.read_bytes()
    spec = {"method": "grid", "metric": {"name": "accuracy", "goal": "maximize"},
            "parameters": {"C": {"values": [0.05, 5.0]},
                           "solver": {"values": ["lbfgs", "newton-cg"]}},
            "parallelism": 2}  # fmt: skip
    # When the sweep runs to its end
    sweep = workspace.engine.start("models/train.ipynb", spec, "local", owner="alice")
    done = workspace.wait(sweep["id"])
    # Then it is done with four finished trials, one per combination
    assert done["state"] == "done", done
    assert done["counts"]["done"] == 4 and done["counts"]["failed"] == 0, [
        t.get("error") for t in done["trials"]]  # fmt: skip
    combos = {(t["values"]["C"], t["values"]["solver"]) for t in done["trials"]}
    assert combos == {(0.05, "lbfgs"), (0.05, "newton-cg"), (5.0, "lbfgs"), (5.0, "newton-cg")}
    # And each trial published a run labelled with the sweep and its number, whose recorded
    # values are the trial's (C through the injected cell, solver through ds.parameter)
    runs = workspace.runs_of(sweep["id"])
    assert [r["labels"]["sweep_trial"] for r in runs] == ["0", "1", "2", "3"]
    for trial, run in zip(done["trials"], runs, strict=True):
        assert run["id"] == trial["run_id"]
        assert _value(run, "C") == trial["values"]["C"]
        assert _value(run, "solver") == trial["values"]["solver"]
        assert run["notebook"] == "models/train.ipynb" and run["author"] == "alice"
        assert run["metrics"]["accuracy"][-1]["value"] == trial["objective"]
    # And the best trial is the one with the highest accuracy, marked once
    best = [t for t in done["trials"] if t["best"]]
    assert len(best) == 1 and best[0]["objective"] == max(t["objective"] for t in done["trials"])
    assert done["best"]["run_id"] == best[0]["run_id"]
    # And the notebook file was never modified, and no scratch workspace is left
    assert nb.read_bytes() == before
    assert not any((workspace.root / ".dotscience" / "sweeps").glob("*/trial-*"))


#: A trial recording the size of its kernel's OpenBLAS thread pool (numpy's and scipy's, as
#: threadpoolctl finds them) and its OMP_NUM_THREADS
THREADS_CELLS = [
    "import os, dotscience as ds\nimport numpy, scipy.linalg\n"
    "from threadpoolctl import threadpool_info\nds.start()\nn = ds.parameter('n', 1)\n"
    "pools = [p['num_threads'] for p in threadpool_info() if p['internal_api'] == 'openblas']\n"
    "ds.label('blas_threads', ','.join(map(str, sorted(set(pools)))))\n"
    "ds.label('omp', os.environ.get('OMP_NUM_THREADS', 'unset'))\nds.metric('m', n)\n"
    "ds.publish()",
]


def _share() -> str:
    """The thread count each of two trials at once gets: half the machine's cores."""
    return str(max(1, len(os.sched_getaffinity(0)) // 2))


def _two_trials_at_once(workspace) -> list[dict]:
    """Sweep the notebook recording its thread counts, two trials at once; their labels."""
    write_notebook(workspace.root / "threads.ipynb", THREADS_CELLS)
    spec = {"method": "grid", "metric": {"name": "m", "goal": "maximize"},
            "parameters": {"n": {"values": [1, 2]}}, "parallelism": 2}  # fmt: skip
    sweep = workspace.engine.start("threads.ipynb", spec, "local", owner="alice")
    done = workspace.wait(sweep["id"])
    assert done["counts"]["done"] == 2, done
    return [run["labels"] for run in workspace.runs_of(sweep["id"])]


def test_parallel_trials_share_the_cores_between_their_math_thread_pools(workspace):
    # Given a notebook that records its kernel's BLAS and OpenMP thread counts
    # When two trials run at once
    labels = _two_trials_at_once(workspace)
    # Then each trial's math libraries got half of the machine's cores (at least one), not
    # a thread per core each (idle pool threads spin on the core the other trial needs)
    assert [(x["blas_threads"], x["omp"]) for x in labels] == [(_share(), _share())] * 2


def test_a_thread_count_the_server_sets_reaches_every_trial_unchanged(workspace, monkeypatch):
    # Given a server whose environment sets the BLAS threads itself, to another count than
    # a trial's share
    mine = "2" if _share() == "1" else "1"
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", mine)
    # When two trials run at once
    labels = _two_trials_at_once(workspace)
    # Then the server's setting is kept, and what it does not set is still shared out
    assert [(x["blas_threads"], x["omp"]) for x in labels] == [(mine, _share())] * 2


def test_a_trial_that_raises_is_a_failed_run_and_the_sweep_goes_on(workspace):
    # Given a notebook that raises for one value of its parameter
    write_notebook(workspace.root / "flaky.ipynb", [
        "import dotscience as ds\nds.start()\nn = ds.parameter('n', 1)",
        "if n == 2:\n    raise RuntimeError('bad trial')\nds.metric('loss', n)\nds.publish()",
    ])  # fmt: skip
    spec = {"method": "grid", "metric": {"name": "loss", "goal": "minimize"},
            "parameters": {"n": {"values": [1, 2, 3]}}}  # fmt: skip
    # When it is swept one trial at a time
    sweep = workspace.engine.start("flaky.ipynb", spec, "local", owner="alice")
    done = workspace.wait(sweep["id"])
    # Then the sweep finished every trial: the middle one failed, the others did not
    assert done["state"] == "done"
    assert [t["state"] for t in done["trials"]] == ["done", "failed", "done"]
    failed = done["trials"][1]
    assert "RuntimeError: bad trial" in failed["error"]
    # And the failed trial is a failed run carrying its error and the trial's labels
    runs = workspace.runs_of(sweep["id"])
    assert len(runs) == 3
    assert runs[1]["id"] == failed["run_id"]
    assert runs[1]["status"] == "failed" and "RuntimeError: bad trial" in runs[1]["error"]
    assert [r["status"] for r in runs] == ["succeeded", "failed", "succeeded"]


def test_cancel_stops_the_running_trials_and_keeps_the_finished_ones(workspace, tmp_path):
    # Given a sweep whose first trial is quick and whose later trials sleep for ten minutes,
    # each kernel writing its process id
    pids = tmp_path / "pids.txt"
    write_notebook(workspace.root / "slow.ipynb", [
        "import os, time, dotscience as ds\nds.start()\nwait = ds.parameter('wait', 0)\n"
        f"with open({str(pids)!r}, 'a') as f:\n    f.write(f'{{os.getpid()}}\\n')",
        "time.sleep(wait)\nds.metric('waited', wait)\nds.publish()",
    ])  # fmt: skip
    spec = {"method": "grid", "parameters": {"wait": {"values": [0, 600, 601]}}}
    sweep = workspace.engine.start("slow.ipynb", spec, "local", owner="alice")
    # When the first trial has finished and the second one's kernel is sleeping
    workspace.wait(sweep["id"], lambda s: s["counts"]["done"] == 1)
    deadline = time.monotonic() + 120
    while len(pids.read_text().split()) < 2 if pids.exists() else True:
        assert time.monotonic() < deadline, "the second trial's kernel never started"
        time.sleep(0.2)
    sleeping = int(pids.read_text().split()[1])
    cancelled = workspace.engine.cancel(sweep["id"])
    # Then the sweep is cancelled: the finished trial and its run are kept, the running one
    # is cancelled without a run, and the third was never started
    assert cancelled["state"] == "cancelled"
    assert [t["state"] for t in cancelled["trials"]] == ["done", "cancelled"]
    assert cancelled["trials"][1]["run_id"] is None
    runs = workspace.runs_of(sweep["id"])
    assert [r["id"] for r in runs] == [cancelled["trials"][0]["run_id"]]
    # And the sleeping kernel is gone
    deadline = time.monotonic() + 30
    while alive(sleeping):
        assert time.monotonic() < deadline, "the cancelled trial's kernel is still running"
        time.sleep(0.2)


def test_pruning_stops_a_clearly_worse_trial(workspace):
    # Given a notebook reporting a loss at 60 steps, and a sweep with a median pruner whose
    # second trial's loss is a hundred times the first's
    write_notebook(workspace.root / "curve.ipynb", [
        "import time, dotscience as ds\nds.start()\nscale = ds.parameter('scale', 1.0)\n"
        "for step in range(60):\n    ds.metric('loss', scale / (step + 1), step=step)\n"
        "    time.sleep(0.05)\nds.publish()",
    ])  # fmt: skip
    spec = {"method": "grid", "metric": {"name": "loss", "goal": "minimize"},
            "parameters": {"scale": {"values": [1.0, 100.0]}},
            "early_terminate": {"type": "median", "min_iter": 1}}  # fmt: skip
    # When the sweep runs (one trial at a time, so the second is judged against the first)
    sweep = workspace.engine.start("curve.ipynb", spec, "local", owner="alice")
    done = workspace.wait(sweep["id"])
    # Then the first trial ran all its steps and the second was stopped early, marked pruned
    assert [t["state"] for t in done["trials"]] == ["done", "pruned"]
    assert done["counts"]["pruned"] == 1
    first, second = workspace.runs_of(sweep["id"])
    assert len(first["metrics"]["loss"]) == 60
    assert 1 <= len(second["metrics"]["loss"]) < 60
    # And its run is published, labelled pruned, not failed; the best trial is the first
    assert second["labels"]["sweep_pruned"] == "true" and second["status"] == "succeeded"
    assert "sweep_pruned" not in first["labels"]
    assert done["best"]["trial"] == 0


def test_a_sweep_read_between_a_trials_change_and_its_counts_agrees_with_its_trials(workspace):
    # Given a sweep whose stored counts were written before its trials last changed (the
    # engine writes a trial, then the counts: a read can fall between the two)
    store = workspace.store
    sweep = store.put_sweep({
        "id": str(uuid.uuid4()), "notebook": "slow.ipynb", "project": "default",
        "owner": "alice", "state": "cancelled", "backend": "local", "server": None,
        "spec": {"method": "grid"}, "best": None, "message": None, "finished": None,
        "counts": {"trials": 2, "done": 1, "running": 1, "pruned": 0, "failed": 0,
                   "cancelled": 0},
    })  # fmt: skip
    store.put_trial(sweep["id"], {"number": 0, "state": "done", "values": {"wait": 0}})
    store.put_trial(sweep["id"], {"number": 1, "state": "running", "values": {"wait": 600}})
    store.update_trial(sweep["id"], 1, state="cancelled")
    # When it is read
    seen = workspace.engine.get(sweep["id"])
    # Then its counts are those of the trials it shows
    assert [t["state"] for t in seen["trials"]] == ["done", "cancelled"]
    assert seen["counts"] == {"trials": 2, "done": 1, "running": 0, "pruned": 0, "failed": 0,
                              "cancelled": 1}  # fmt: skip
