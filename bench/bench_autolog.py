"""Autologging benchmark: what ``ds.autolog()`` adds to a fit, beside ``mlflow.autolog()``;
system metrics' own CPU cost; the per-call rows beside W&B (offline ``run.log``).

Rows (see bench/run.py):
- a small scikit-learn fit (logistic regression, 500x8: the logging dominates) and a
  200-round LightGBM fit (5,000x20, a validation set evaluated every round): the median
  CPU time of the bare fit (single-threaded), and the extra CPU time with ``ds.autolog()``
  (the median of the differences within pairs of one bare and one autologged fit run back
  to back, each after an untimed fit of its mode, the order alternating, in several rounds
  whose range is shown, so that machine load affects both alike) and with
  ``mlflow.autolog()`` (local SQLite tracking store), each fit in a fresh run of its own
  and both with their defaults (models logged); and what our fit leaves for publish (the
  model pickled and written, a linear model's training score, small arrays hashed),
  measured apart;
- ``ds.system_metrics(interval=1.0)``: CPU time of the sampling thread per second of wall
  time, as a percentage of one core;
- ``add_metric``/``parameter`` per call beside W&B's ``run.log``/``run.config`` (offline).
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import tempfile
import time
import timeit
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dotscience  # noqa: E402
from dotscience import autolog as ds_autolog  # noqa: E402
from dotscience import sysmetrics  # noqa: E402

#: Pairs of one bare and one autologged fit, per round (scikit-learn, LightGBM).
SKLEARN_FITS = int(os.environ.get("BENCH_AUTOLOG_FITS", "500"))
LIGHTGBM_FITS = int(os.environ.get("BENCH_AUTOLOG_LGB_FITS", "4"))
#: Rounds of pairs: the overhead is the median over all pairs, the range that of the rounds.
ROUNDS = {"sklearn": int(os.environ.get("BENCH_AUTOLOG_ROUNDS", "3")), "lightgbm": 2}
SYSMETRICS_SECONDS = float(os.environ.get("BENCH_SYSMETRICS_SECONDS", "10"))
MLFLOW_FITS = int(os.environ.get("BENCH_AUTOLOG_MLFLOW_FITS", "20"))


def _row(benchmark, ours, unit, peer="", theirs=None, target="", ok=None) -> dict:
    return {"benchmark": benchmark, "ours": ours, "peer": peer, "theirs": theirs, "unit": unit,
            "target": target, "ok": ok}  # fmt: skip


def _median_fit(fit, n: int, before=None) -> float:
    """Median CPU seconds of ``fit()`` over ``n`` calls, ``before()`` (untimed) ahead of each.

    CPU time of the whole process (every thread, so a peer's background logging counts):
    the fits are single-threaded, and on a shared machine their wall time varies threefold.
    """
    times = []
    for _ in range(n):
        if before is not None:
            before()
        t0 = time.process_time()
        fit()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def _workloads():
    import lightgbm as lgb
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    rng = np.random.RandomState(0)
    X = rng.rand(500, 8)
    y = (X[:, 0] + X[:, 1] > 1).astype(int)
    Xl = rng.rand(6000, 20)
    yl = (Xl[:, 0] * 3 + Xl[:, 1] + rng.rand(6000) > 2.5).astype(int)
    params = {"objective": "binary", "num_leaves": 15, "verbose": -1, "metric": "binary_logloss",
              "num_threads": 1}  # fmt: skip

    def sklearn_fit():
        LogisticRegression(max_iter=200).fit(X, y)

    def lightgbm_fit():
        train = lgb.Dataset(Xl[:5000], label=yl[:5000])
        valid = lgb.Dataset(Xl[5000:], label=yl[5000:], reference=train)
        lgb.train(params, train, num_boost_round=200, valid_sets=[valid])

    return {"sklearn": (sklearn_fit, SKLEARN_FITS), "lightgbm": (lightgbm_fit, LIGHTGBM_FITS)}


def _measure(work: Path) -> dict:
    """Median fit CPU seconds per workload and mode (bare, ours, mlflow), single-threaded
    (the thread limit applies to the BLAS and OpenMP libraries loaded by then, so the
    frameworks are imported first)."""
    from threadpoolctl import threadpool_limits

    workloads = _workloads()
    with threadpool_limits(1):
        return _measure_loaded(work, workloads)


def _median_at_publish(session, fit, n: int) -> float:
    """Median CPU seconds of what a fit leaves for publish (writing its model file, hashing
    its data: the session's ``_before_publish`` hooks), each fit in a fresh run."""
    times = []
    for _ in range(n):
        session.start()
        fit()
        t0 = time.process_time()
        for hook in list(session._before_publish):
            hook(session._run)
        times.append(time.process_time() - t0)
    return statistics.median(times)


def _interleaved(session, fit, pairs: int, rounds: int) -> dict:
    """The bare fit's CPU seconds and what ``ds.autolog()`` adds to it, from ``rounds``
    rounds of ``pairs`` pairs of fits: one bare, one autologged (in a fresh run), back to
    back, the order alternating from pair to pair.

    Autolog is switched on or off (its patches applied or undone) before every fit and one
    untimed fit of that mode follows the switch, so that each timed fit, of either mode,
    follows a fit of its own mode as it would in use; the overhead of a pair is the
    difference of its two timed fits, which ran under the same load. Returns the median
    bare fit and the median difference over all pairs (``bare``, ``overhead``), and per
    round (``rounds``: a list of ``(bare, overhead)``).
    """
    bare_all, extra_all, per_round = [], [], []
    for _ in range(rounds):
        bare, extra = [], []
        for i in range(pairs):
            times = {}
            for on in (False, True) if i % 2 == 0 else (True, False):
                if on:
                    ds_autolog.autolog(session=session, silent=True)
                else:
                    ds_autolog.autolog(disable=True)
                session.start()
                fit()
                times[on] = _median_fit(fit, 1, before=session.start)
            bare.append(times[False])
            extra.append(times[True] - times[False])
        per_round.append((statistics.median(bare), statistics.median(extra)))
        bare_all += bare
        extra_all += extra
    ds_autolog.autolog(disable=True)
    return {"bare": statistics.median(bare_all), "overhead": statistics.median(extra_all),
            "rounds": per_round}  # fmt: skip


def _measure_loaded(work: Path, workloads: dict) -> dict:
    results = {name: {} for name in workloads}
    session = dotscience._reset_session(str(work))
    session.interactive()
    for name, (fit, n) in workloads.items():
        fit()  # warm both modes (imports, first-call costs)
        ds_autolog.autolog(session=session, silent=True)
        session.start()
        fit()
        results[name].update(_interleaved(session, fit, n, ROUNDS[name]))
        ds_autolog.autolog(session=session, silent=True)
        try:
            results[name]["at_publish"] = _median_at_publish(session, fit, min(n, 40))
        finally:
            ds_autolog.autolog(disable=True)
    try:
        import mlflow
    except ImportError:
        mlflow = None
    if mlflow is not None:
        logging.getLogger("mlflow").setLevel(logging.ERROR)
        logging.getLogger("alembic").setLevel(logging.ERROR)
        mlflow.set_tracking_uri(f"sqlite:///{work / 'mlflow.db'}")
        mlflow.set_experiment("autolog-bench")
        mlflow.autolog(silent=True)
        try:
            for name, (fit, n) in workloads.items():

                def fresh_run():
                    if mlflow.active_run() is not None:
                        mlflow.end_run()
                    mlflow.start_run()

                fresh_run()
                fit()
                # its overhead is a thousand times the noise: a few fits tell it
                results[name]["mlflow"] = _median_fit(fit, min(n, MLFLOW_FITS), before=fresh_run)
            mlflow.end_run()
        finally:
            mlflow.autolog(disable=True)
    return results


def _fit_rows(results: dict) -> list[dict]:
    rows = []
    labels = {"sklearn": "scikit-learn fit (500x8 logistic regression)",
              "lightgbm": "LightGBM fit (200 rounds, 5,000x20, validation set)"}  # fmt: skip
    for name, r in results.items():
        bare = r["bare"]
        ours = max(r["overhead"], 0.0)
        rows.append(_row(f"{labels[name]}: bare fit", bare * 1e3, "ms"))
        theirs = None if "mlflow" not in r else max(r["mlflow"] - bare, 0.0)
        percent = ours / bare * 100
        spread = [extra / base * 100 for base, extra in r["rounds"]]
        rounds = (f" (pairs of {len(spread)} rounds; per round "
                  f"{min(spread):.1f} to {max(spread):.1f}%)")  # fmt: skip
        rows.append(_row(f"{labels[name]}: autolog overhead", ours * 1e3, "ms",
                         "mlflow.autolog()" if theirs is not None else "mlflow not installed",
                         None if theirs is None else theirs * 1e3,
                         ">= 10x less than peer",
                         None if theirs is None else (ours == 0 or theirs / ours >= 10)))  # fmt: skip
        rows.append(_row(f"{labels[name]}: autolog overhead over the bare fit{rounds}", percent,
                         "%", "",
                         None if theirs is None else theirs / bare * 100, "<= 5%",
                         percent <= 5))  # fmt: skip
        rows.append(_row(f"{labels[name]}: autolog work left to publish (files, data hashes)",
                         r["at_publish"] * 1e3, "ms"))  # fmt: skip
    return rows


def _sysmetrics_rows(work: Path) -> list[dict]:
    session = dotscience.Dotscience(str(work))
    sampler = sysmetrics.system_metrics(1.0, session=session)
    if sampler is None:
        return [_row("system metrics: psutil not installed", None, "")]
    t0 = time.perf_counter()
    time.sleep(SYSMETRICS_SECONDS)
    elapsed = time.perf_counter() - t0
    sampler.stop(wait=True)
    percent = sampler.cpu_seconds / elapsed * 100
    return [_row(f"system metrics at 1 s ({sampler.samples} samples): CPU of one core",
                 percent, "%", "", None, "< 1%", percent < 1)]  # fmt: skip


def _per_call_us(stmt, g, number=100_000, repeat=5) -> float:
    return min(timeit.Timer(stmt, globals=g).repeat(repeat=repeat, number=number)) / number * 1e6


def _wandb_rows(work: Path) -> list[dict]:
    session = dotscience._reset_session(str(work))
    session.start()
    g = {"ds": dotscience}
    metric = _per_call_us("ds.add_metric('loss', 0.5)", g)
    session.start()
    param = _per_call_us("ds.parameter('alpha', 0.5)", g)
    try:
        import wandb
    except ImportError:
        return [_row("add_metric per call: wandb not installed (pip install -r "
                     "bench/requirements.txt)", metric, "µs")]  # fmt: skip
    os.environ.setdefault("WANDB_SILENT", "true")
    run = wandb.init(mode="offline", dir=str(work), project="bench")
    try:
        run.log({"warm": 0.0})
        n = 2000
        t0 = time.perf_counter()
        for i in range(n):
            run.log({"loss": 0.5}, step=i)
        log = (time.perf_counter() - t0) / n * 1e6
        n = 500
        t0 = time.perf_counter()
        for i in range(n):
            run.config[f"p{i}"] = 0.5
        config = (time.perf_counter() - t0) / n * 1e6
    finally:
        run.finish()
    return [
        _row("add_metric per call", metric, "µs", "wandb run.log (offline)", log,
             "faster than peer", metric < log),
        _row("parameter per call", param, "µs", "wandb run.config[k] = v (offline)", config,
             "faster than peer", param < config),
    ]  # fmt: skip


def run() -> list[dict]:
    """The autolog, system metrics and W&B rows."""
    warnings.simplefilter("ignore")
    work = Path(tempfile.mkdtemp(prefix="ds-bench-autolog-"))
    old_root = os.environ.get("DOTSCIENCE_PROJECT_DOT_ROOT")
    os.environ["DOTSCIENCE_PROJECT_DOT_ROOT"] = str(work)
    old_cwd = os.getcwd()
    os.chdir(work)
    try:
        rows = _fit_rows(_measure(work))
        rows += _sysmetrics_rows(work)
        rows += _wandb_rows(work)
    finally:
        os.chdir(old_cwd)
        if old_root is None:
            os.environ.pop("DOTSCIENCE_PROJECT_DOT_ROOT", None)
        else:
            os.environ["DOTSCIENCE_PROJECT_DOT_ROOT"] = old_root
        dotscience._reset_session()
    return rows


if __name__ == "__main__":
    for r in run():
        print(r)
