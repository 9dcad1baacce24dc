"""Sweeps: the cost of a trial beside papermill, and the throughput of 1 and 2 workers.

A small scikit-learn notebook (iris, logistic regression; ``C`` in a papermill-style
``parameters`` cell, the accuracy published with ``ds.publish()``).

1. Overhead per trial: a 6-trial grid sweep on the local backend one trial at a time (each
   trial: a scratch workspace with the notebook's directory copied, the values injected, a
   fresh kernel started by the sweep's long-lived headless runner, the run published to the
   store; the sweep's start and end included) against ``papermill.execute_notebook`` of the
   same notebook with the same values and the same ``python3`` kernel, called in a loop by
   this process as a user's script would (a fresh kernel each, parameters injected, the
   executed notebook written, the run spooled), 6 times, interleaved (who goes first
   alternates from round to round). Ratio of the medians of three rounds (each round's
   seconds per trial go to stderr); target: at most 1.2x papermill.
2. Throughput: a 20-trial random sweep (the same seed, so the same 20 values) with 1 and with
   2 local workers (parallel kernels), trials per minute, in ``BENCH_SWEEPS_THROUGHPUT_ROUNDS``
   rounds (default 3; who goes first alternates); the row's ratio is the median of the
   rounds' own ratios (2 workers' rate over 1's in the same round); target: 2 workers at
   least 1.7x the trials per minute of 1. Each round also measures what the machine allowed
   then (before and after the round, averaged): the same CPU-bound work (pure Python loops
   in fresh interpreters, each in a session of its own as each kernel is: the scheduler
   shares the CPU between sessions) one process at a time and two at a time, whose ratio
   is about the ceiling of any 2-way parallelism while others load the machine (2.0x on
   two idle cores; 1.33x when one other session keeps a core busy), and the load average
   (each round's figures go to stderr). A trial's wall time is mostly its kernel's CPU (the
   kernel's start and the notebook's imports; the engine's own work between two trials of a
   slot is about 20 ms); with 2 workers each kernel's math libraries get one thread (half the
   cores), so their idle pool threads do not spin on the other trial's core.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
ROUNDS = int(os.environ.get("BENCH_SWEEPS_ROUNDS", "3"))
THROUGHPUT_ROUNDS = int(os.environ.get("BENCH_SWEEPS_THROUGHPUT_ROUNDS", "3"))
TRIALS = 6
THROUGHPUT_TRIALS = 20
OVERHEAD_TARGET = 1.2
SPEEDUP_TARGET = 1.7

CELLS = [
    ("C = 1.0", ["parameters"]),
    (
        "import dotscience as ds\n"
        "from sklearn.datasets import load_iris\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "ds.start()\n"
        "ds.parameter('C', C)\n"
        "X, y = load_iris(return_X_y=True)\n"
        "model = LogisticRegression(C=C, max_iter=300).fit(X[::2], y[::2])\n"
        "ds.metric('accuracy', model.score(X[1::2], y[1::2]))\n"
        "ds.publish()",
        [],
    ),
]


def _notebook(path: pathlib.Path) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    for source, tags in CELLS:
        cell = nbformat.v4.new_code_cell(source)
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def _engine(root: pathlib.Path, cores: int):
    from jupyterlab_dotscience.artifacts import open_artifact_store
    from jupyterlab_dotscience.store import open_store
    from jupyterlab_dotscience.sweeps import SweepEngine

    (root / ".dotscience").mkdir(parents=True, exist_ok=True)
    store = open_store(f"sqlite:///{root}/.dotscience/dotscience.db")
    artifacts = open_artifact_store(str(root / ".dotscience" / "artifacts"))
    return SweepEngine(store, artifacts, str(root), sys.executable, 600, cores=cores), store


def _sweep(engine, spec: dict) -> tuple[float, dict]:
    """Seconds from the start of a sweep until it ends, and the sweep."""
    start = time.perf_counter()
    sweep = engine.start("bench.ipynb", spec, "local", owner="bench")
    while (got := engine.get(sweep["id"]))["state"] == "running":
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    if got["counts"]["done"] != got["spec"]["run_cap"]:
        raise RuntimeError(f"the benchmark's sweep did not finish every trial: {got}")
    return seconds, got


def _papermill(notebook: pathlib.Path, out_dir: pathlib.Path, values: list[float]) -> float:
    """Seconds for papermill to execute ``notebook`` once per value (each in a fresh kernel)."""
    import papermill

    start = time.perf_counter()
    for i, c in enumerate(values):
        papermill.execute_notebook(str(notebook), str(out_dir / f"out-{i}.ipynb"),
                                   parameters={"C": c}, kernel_name="python3",
                                   progress_bar=False, cwd=str(notebook.parent))  # fmt: skip
    return time.perf_counter() - start


#: A CPU-bound job (a fresh interpreter): about a third of a second on an idle core here
SPIN = "n = 0\nfor i in range(4_000_000):\n    n += i & 7\n"
SPIN_JOBS = 4
SPIN_PAIRS = 3


def _ceiling() -> float:
    """The machine's 2-way speedup for CPU-bound work at this moment: ``SPIN_JOBS`` jobs one
    process at a time against two at a time, the median of ``SPIN_PAIRS`` such pairs."""

    def timed(parallel: int) -> float:
        start = time.perf_counter()
        for _ in range(SPIN_JOBS // parallel):
            # each in a session of its own, as each trial's kernel is: the scheduler shares
            # the CPU between sessions (autogroups), not processes
            procs = [subprocess.Popen([sys.executable, "-c", SPIN], start_new_session=True)
                     for _ in range(parallel)]  # fmt: skip
            for p in procs:
                p.wait()
        return time.perf_counter() - start

    ratios = []
    for i in range(SPIN_PAIRS):  # who goes first alternates
        if i % 2 == 0:
            one, two = timed(1), timed(2)
        else:
            two, one = timed(2), timed(1)
        ratios.append(one / two)
    return statistics.median(ratios)


def run() -> list[dict]:
    """The benchmark's rows (see the module docstring)."""
    sys.path.insert(0, str(REPO))
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench-sweeps-"))
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("DOTSCIENCE_")}
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(REPO), *[p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]]
    )
    values = [0.01 * 3**i for i in range(TRIALS)]
    grid = {"method": "grid", "metric": {"name": "accuracy", "goal": "maximize"},
            "parameters": {"C": {"values": values}}, "parallelism": 1}  # fmt: skip
    try:
        ours, theirs = [], []

        def sweep_round(i: int) -> None:
            root = tmp / f"ours-{i}"
            _notebook(root / "bench.ipynb")
            engine, store = _engine(root, cores=1)
            try:
                seconds, _ = _sweep(engine, grid)
            finally:
                engine.shutdown()
                store.close()
            ours.append(seconds / TRIALS)
            print(f"  round {i + 1}: sweep {ours[-1]:.2f} s per trial", file=sys.stderr)

        def papermill_round(i: int) -> None:
            peer = tmp / f"papermill-{i}"
            _notebook(peer / "bench.ipynb")
            os.environ["DOTSCIENCE_PROJECT_DOT_ROOT"] = str(peer)
            try:
                theirs.append(_papermill(peer / "bench.ipynb", peer, values) / TRIALS)
            finally:
                os.environ.pop("DOTSCIENCE_PROJECT_DOT_ROOT", None)
            print(f"  round {i + 1}: papermill {theirs[-1]:.2f} s per trial", file=sys.stderr)

        for i in range(ROUNDS):  # who goes first alternates: the machine's load drifts
            first, second = (sweep_round, papermill_round) if i % 2 == 0 else (
                papermill_round, sweep_round)  # fmt: skip
            first(i)
            second(i)
        rates: dict[int, list[float]] = {1: [], 2: []}
        ratios, ceilings, loads = [], [], []

        def throughput(workers: int, i: int) -> None:
            root = tmp / f"throughput-{workers}-{i}"
            _notebook(root / "bench.ipynb")
            engine, store = _engine(root, cores=workers)
            spec = {"method": "random", "metric": {"name": "accuracy", "goal": "maximize"},
                    "parameters": {"C": {"min": 0.01, "max": 10.0,
                                         "distribution": "log_uniform_values"}},
                    "run_cap": THROUGHPUT_TRIALS, "parallelism": workers, "seed": 1}  # fmt: skip
            try:
                seconds, _ = _sweep(engine, spec)
            finally:
                engine.shutdown()
                store.close()
            rates[workers].append(THROUGHPUT_TRIALS / seconds * 60)
            print(
                f"  round {i + 1}: {workers} worker(s) {rates[workers][-1]:.1f} trials/min",
                file=sys.stderr,
            )

        for i in range(THROUGHPUT_ROUNDS):  # who goes first alternates: the load drifts
            loads.append(os.getloadavg()[0])
            before = _ceiling()
            for workers in (1, 2) if i % 2 == 0 else (2, 1):
                throughput(workers, i)
            ceilings.append((before + _ceiling()) / 2)  # measured before and after the round
            ratios.append(rates[2][-1] / rates[1][-1])
            print(
                f"  round {i + 1}: 2 workers {ratios[-1]:.2f}x 1 worker; the machine's "
                f"ceiling {ceilings[-1]:.2f}x; load average {loads[-1]:.1f}",
                file=sys.stderr,
            )
    finally:
        os.environ.update(saved)
        shutil.rmtree(tmp, ignore_errors=True)
    ours_s, theirs_s = statistics.median(ours), statistics.median(theirs)
    speedup = statistics.median(ratios)
    listed = " / ".join(f"{r:.2f}x" for r in ratios)
    return [
        {
            "benchmark": f"sweep trial of a scikit-learn notebook (local backend, {TRIALS}-trial "
            f"grid one at a time, run published), seconds per trial, median of {ROUNDS} "
            f"(ours {min(ours):.2f}-{max(ours):.2f}, papermill {min(theirs):.2f}-"
            f"{max(theirs):.2f})",
            "ours": ours_s,
            "peer": "papermill.execute_notebook",
            "theirs": theirs_s,
            "unit": "s",
            "target": f"<= {OVERHEAD_TARGET}x papermill",
            "ok": ours_s <= OVERHEAD_TARGET * theirs_s,
        },
        {
            "benchmark": f"{THROUGHPUT_TRIALS}-trial random sweep, 2 local workers vs 1 "
            f"(trials per minute, medians of {THROUGHPUT_ROUNDS} rounds; ratio per round "
            f"{listed}, median {speedup:.2f}x; the machine's 2-process ceiling per round "
            f"{' / '.join(f'{c:.2f}x' for c in ceilings)}; load average "
            f"{' / '.join(f'{x:.1f}' for x in loads)})",
            "ours": statistics.median(rates[2]),
            "peer": "the same sweep with 1 worker",
            "theirs": statistics.median(rates[1]),
            "unit": "trials/min",
            "higher_is_better": True,
            "target": f">= {SPEEDUP_TARGET}x 1 worker (median of the rounds' ratios)",
            "ok": speedup >= SPEEDUP_TARGET,
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
