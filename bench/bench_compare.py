"""Compare view benchmark: 200 and 500 runs, from the click to the view drawn in Chromium.

Rows (see bench/run.py):

- The compare view of 200 and of 500 runs (each with four parameters, an input, a
  100-point loss series and an accuracy), in a real JupyterLab in Debian's Chromium: time
  from ``dotscience:compare-runs`` to a parallel-coordinates line per run, the table's rows
  and the series chart drawn (median of ROUNDS after one warm-up; target under 1 s for
  500). The browser half is ``bench/ui/compare_bench.js``; the server is started as
  ``bench_extension`` starts its own (free port, temporary root).
- Peer: MLflow's ``search_runs`` (the call its compare view and ``mlflow.search_runs``
  make) for the same runs (the same parameters and metrics logged to a SQLite tracking
  store in a temporary directory), median of ROUNDS: what MLflow takes just to answer,
  before any drawing.
- The compare view of 500 wide runs: the same, with 150 more parameters and 50 more
  metrics in each run, every one differing between runs (a sweep over many settings: 206
  fields can be axes, the view draws its default 18, and a table of 206 differing fields).
  No peer row: MLflow's answer for these runs is not what its view then draws.
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
UI_SCRIPT = HERE / "ui" / "compare_bench.js"
RUNS = int(os.environ.get("BENCH_COMPARE_RUNS", "500"))
SIZES = (200, 500)
ROUNDS = int(os.environ.get("BENCH_COMPARE_ROUNDS", "5"))
POINTS = 100
UI_TIMEOUT = 600
WIDE = {"WIDE_PARAMS": "150", "WIDE_METRICS": "50"}


def _extension_bench():
    """bench_extension's server helpers (one way to start JupyterLab for a bench)."""
    spec = importlib.util.spec_from_file_location("bench_extension", HERE / "bench_extension.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_ui(ext, base: str, work: Path, sizes=SIZES, extra: dict | None = None) -> dict:
    env = {**os.environ, "RUNS": str(RUNS), "SIZES": ",".join(map(str, sizes)),
           "ROUNDS": str(ROUNDS), "POINTS": str(POINTS), "CHROMIUM_PATH": ext.CHROMIUM,
           "PLAYWRIGHT_CORE": str(ext.PLAYWRIGHT_CORE), **(extra or {})}  # fmt: skip
    err = open(work / "node.log", "wb")
    proc = subprocess.Popen(["node", str(UI_SCRIPT), base], stdout=subprocess.PIPE, stderr=err,
                            env=env, start_new_session=True)  # fmt: skip
    err.close()
    try:
        out, _ = proc.communicate(timeout=UI_TIMEOUT)
    except subprocess.TimeoutExpired:
        ext._kill_group(proc, wait=10)
        raise RuntimeError(f"the browser script took over {UI_TIMEOUT} s") from None
    lines = out.decode(errors="replace").strip().splitlines()
    if not lines:
        tail = (work / "node.log").read_text(errors="replace")[-1500:]
        raise RuntimeError(f"the browser script printed nothing: {tail}")
    result = json.loads(lines[-1])
    if not result.get("ok"):
        raise RuntimeError(f"the browser script failed: {result.get('error', '')[:1500]}")
    return result


def _mlflow_search(work: Path) -> dict[int, float] | str:
    """Median seconds of MLflow's search_runs for the first 200 and 500 of RUNS runs."""
    try:
        import mlflow
        from mlflow.entities import Metric, Param
        from mlflow.tracking import MlflowClient
    except ImportError:
        return "mlflow not installed"
    uri = f"sqlite:///{work / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("bench-compare", artifact_location=str(work / "mlruns"))
    now = int(time.time() * 1000)
    for i in range(RUNS):
        run = client.create_run(exp)
        params = [Param("alpha", str(i / RUNS)), Param("depth", str(2 + i % 8)),
                  Param("kind", "rf" if i % 2 else "gb"), Param("seed", "42")]  # fmt: skip
        metrics = [Metric("loss", 1 / (1 + s / (5 + i % 17)), now, s) for s in range(POINTS)]
        metrics.append(Metric("accuracy", 0.5 + i / (2 * RUNS), now, 0))
        client.log_batch(run.info.run_id, metrics=metrics, params=params)
    mlflow.set_tracking_uri(uri)
    out = {}
    for size in SIZES:
        times = []
        for _ in range(ROUNDS + 1):
            started = time.perf_counter()
            frame = mlflow.search_runs(experiment_ids=[exp], max_results=size)
            times.append(time.perf_counter() - started)
            assert len(frame) == size
        out[size] = statistics.median(times[1:])
    return out


def run() -> list[dict]:
    """The compare rows (see the module docstring)."""
    ext = _extension_bench()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-compare-") as tmp:
        work = Path(tmp)
        peer = _mlflow_search(work)
        missing = ext._ui_missing()
        result = wide = None
        if missing is None:
            (work / "lab").mkdir()
            proc, base = ext._start_server(work / "lab")
            try:
                result = _run_ui(ext, base, work)
                wide = _run_ui(ext, base, work, sizes=(500,), extra=WIDE)
            finally:
                ext._stop_server(proc, base)
        for size in SIZES:
            ours = result["sizes"][str(size)]["median_ms"] / 1000 if result else None
            theirs = peer.get(size) if isinstance(peer, dict) else None
            rows.append({
                "benchmark": f"compare view of {size} runs, click to drawn (Chromium)"
                + (f" [{missing}]" if missing else ""),
                "ours": ours,
                "peer": "MLflow search_runs (answer only)"
                if isinstance(peer, dict) else f"MLflow: {peer}",
                "theirs": theirs,
                "unit": "s",
                "target": "< 1 s" if size == 500 else "",
                "ok": (ours < 1.0) if (ours is not None and size == 500) else None,
            })  # fmt: skip
        ours = wide["sizes"]["500"]["median_ms"] / 1000 if wide else None
        rows.append({
            "benchmark": "compare view of 500 wide runs (150 more parameters, 50 more metrics,"
            " all differing), click to drawn (Chromium)" + (f" [{missing}]" if missing else ""),
            "ours": ours, "peer": "", "theirs": None, "unit": "s", "target": "< 1 s",
            "ok": (ours < 1.0) if ours is not None else None,
        })  # fmt: skip
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
