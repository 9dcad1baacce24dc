"""The dask backend on a real ``distributed.LocalCluster`` (a scheduler and worker processes)."""

from __future__ import annotations

import math
import os
import time

import pytest

from .conftest import SKLEARN_CELLS, Workspace, alive, write_notebook

distributed = pytest.importorskip("distributed")


@pytest.fixture
def cluster():
    """A scheduler and two single-threaded worker processes on this machine."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        scheduler_port=0, silence_logs=40,
    ) as c:  # fmt: skip
        yield c


def test_random_sweep_on_dask_gives_six_labelled_runs_and_the_best(tmp_path, cluster):
    # Given a scikit-learn notebook and a server configured with the cluster's scheduler
    root = tmp_path / "root"
    ws = Workspace(root, dask_address=cluster.scheduler_address)
    try:
        # (which also labels its run with the process that started the trial: the kernel's
        # parent is the trial's runner, whose parent is the process that ran the trial)
        source, tags = SKLEARN_CELLS[1]
        runner_parent = (
            "import os\n"
            "ds.label('trial_runner', str(os.getppid()))\n"
            "with open(f'/proc/{os.getppid()}/stat') as f:\n"
            "    ds.label('trial_process', f.read().rsplit(')', 1)[1].split()[1])\n"
        )
        cells = [SKLEARN_CELLS[0], (source.replace("ds.publish()", runner_parent + "ds.publish()"),
                                    tags)]  # fmt: skip
        write_notebook(root / "train.ipynb", cells)
        spec = (
            "method: random\n"
            "metric: {name: accuracy, goal: maximize}\n"
            "parameters:\n"
            "  C: {min: 0.001, max: 10.0, distribution: log_uniform_values}\n"
            "  solver: {values: [lbfgs, newton-cg]}\n"
            "  max_iter: {value: 300}\n"
            "run_cap: 6\n"
            "parallelism: 2\n"
            "seed: 7\n"
        )
        # When a 6-trial random sweep runs on the dask backend
        sweep = ws.engine.start("train.ipynb", spec, "dask", owner="alice")
        done = ws.wait(sweep["id"])
        # Then all six trials finished and ran on the cluster's workers (not this process)
        assert done["state"] == "done", done
        assert done["backend"] == "dask" and done["counts"]["done"] == 6, done["trials"]
        # And each published one run labelled with the sweep and its trial number, whose
        # values are the trial's (drawn inside the spec's ranges)
        runs = ws.runs_of(sweep["id"])
        assert [r["labels"]["sweep_trial"] for r in runs] == [str(n) for n in range(6)]
        for trial, run in zip(done["trials"], runs, strict=True):
            assert run["id"] == trial["run_id"] and run["status"] == "succeeded"
            assert 0.001 <= trial["values"]["C"] <= 10.0
            assert trial["values"]["solver"] in ("lbfgs", "newton-cg")
            assert run["parameters"]["C"]["value"] == trial["values"]["C"]
            assert run["parameters"]["solver"]["value"] == trial["values"]["solver"]
            assert run["labels"]["sweep"] == sweep["id"]
            assert math.isclose(run["metrics"]["accuracy"][-1]["value"], trial["objective"])
        assert len({t["values"]["C"] for t in done["trials"]}) == 6
        # And the best trial (highest accuracy) is marked, once
        best = [t for t in done["trials"] if t["best"]]
        assert len(best) == 1
        assert best[0]["objective"] == max(t["objective"] for t in done["trials"])
        # And every trial ran in one of the cluster's worker processes, not in this process
        with distributed.Client(cluster) as client:
            workers = set(client.run(os.getpid).values())
        used = {int(r["labels"]["trial_process"]) for r in runs}
        assert used <= workers and os.getpid() not in used, (used, workers)
        # And each worker process started its trials' kernels from one long-lived runner
        runners = {r["labels"]["trial_runner"] for r in runs}
        assert len(runners) <= len(workers), runners
    finally:
        ws.close()


def test_dask_backend_without_a_scheduler_is_refused(workspace):
    # Given a server with no sweep_dask_address and a notebook
    write_notebook(workspace.root / "train.ipynb", SKLEARN_CELLS)
    # When a dask sweep is asked for
    from jupyterlab_dotscience.sweeps import SweepError

    with pytest.raises(SweepError) as e:
        workspace.engine.start("train.ipynb", {"method": "grid", "parameters": {
            "C": {"values": [1.0]}}}, "dask")  # fmt: skip
    # Then it is refused with one sentence naming the setting, and nothing is stored
    assert "sweep_dask_address" in str(e.value) and e.value.status == 400
    assert workspace.store.list_sweeps() == []


def test_pruning_and_cancel_reach_trials_running_on_dask_workers(tmp_path, cluster):
    # Given a server using the cluster, and a notebook reporting a loss at 60 steps whose
    # `wait` parameter then makes it sleep (each kernel writes its process id)
    root = tmp_path / "root"
    ws = Workspace(root, dask_address=cluster.scheduler_address)
    pids = tmp_path / "pids.txt"
    try:
        write_notebook(root / "curve.ipynb", [
            "import os, time, dotscience as ds\nds.start()\n"
            "scale = ds.parameter('scale', 1.0)\nwait = ds.parameter('wait', 0)\n"
            f"with open({str(pids)!r}, 'a') as f:\n    f.write(f'{{os.getpid()}}\\n')\n"
            "for step in range(60):\n    ds.metric('loss', scale / (step + 1), step=step)\n"
            "    time.sleep(0.05)\ntime.sleep(wait)\nds.publish()",
        ])  # fmt: skip
        # When a sweep with a median pruner runs one trial at a time on the workers: a good
        # trial, a hundred times worse one, then a better one
        spec = {"method": "grid", "metric": {"name": "loss", "goal": "minimize"},
                "parameters": {"scale": {"values": [1.0, 100.0, 0.5]},
                               "wait": {"value": 0}},
                "early_terminate": {"type": "median", "min_iter": 1}}  # fmt: skip
        sweep = ws.engine.start("curve.ipynb", spec, "dask", owner="alice")
        done = ws.wait(sweep["id"])
        # Then the worse trial was stopped early on its worker, published marked pruned
        assert [t["state"] for t in done["trials"]] == ["done", "pruned", "done"], done
        runs = ws.runs_of(sweep["id"])
        assert runs[1]["labels"]["sweep_pruned"] == "true"
        assert 1 <= len(runs[1]["metrics"]["loss"]) < 60 == len(runs[0]["metrics"]["loss"])
        # And the better third trial ran to its end and is the best
        assert len(runs[2]["metrics"]["loss"]) == 60 and done["best"]["trial"] == 2

        # And when a sweep whose trial sleeps for ten minutes is cancelled while it runs
        pids.unlink()
        slow = {"method": "grid", "parameters": {"scale": {"value": 1.0},
                                                 "wait": {"values": [600, 601]}}}  # fmt: skip
        sweep = ws.engine.start("curve.ipynb", slow, "dask", owner="alice")
        deadline = time.monotonic() + 120
        while not (pids.exists() and pids.read_text().strip()):
            assert time.monotonic() < deadline, "the trial's kernel never started on a worker"
            time.sleep(0.2)
        cancelled = ws.engine.cancel(sweep["id"])
        # Then the sweep is cancelled, its trial too (no run), and the kernel on the worker
        # is gone
        assert cancelled["state"] == "cancelled"
        assert [t["state"] for t in cancelled["trials"]] == ["cancelled"]
        assert ws.runs_of(sweep["id"]) == []
        kernel = int(pids.read_text().split()[0])
        deadline = time.monotonic() + 30
        while alive(kernel):
            assert time.monotonic() < deadline, "the cancelled trial's kernel is still running"
            time.sleep(0.2)
    finally:
        ws.close()


def test_a_dask_worker_leaves_no_runner_or_directory_behind_when_it_exits():
    # Given a worker process that started a long-lived runner for its trials
    def start_a_runner():
        import sys

        from jupyterlab_dotscience import headless
        from jupyterlab_dotscience.sweeps import trial

        pool = trial.process_pool(sys.executable)
        runner = pool.acquire()
        pool.release(runner)
        return str(pool.directory), headless.kernel_sockets(), runner.proc.pid

    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
        scheduler_port=0, silence_logs=40,
    ) as c, distributed.Client(c) as client:  # fmt: skip
        directory, sockets, pid = client.submit(start_a_runner).result()
        assert os.path.isdir(directory) and os.listdir(directory)
    # When the cluster closes, then the runner is gone, and so are the runners' directory
    # (with their logs) and the kernels' socket directory
    deadline = time.monotonic() + 30
    while alive(pid):
        assert time.monotonic() < deadline, "the worker's runner outlived it"
        time.sleep(0.2)
    assert not os.path.exists(directory)
    assert sockets is None or not os.path.exists(sockets)
