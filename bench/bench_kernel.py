"""Kernel library benchmark: declaration cost and input hashing, beside MLflow and sha256sum.

Rows (see bench/run.py): ``add_metric``/``parameter`` per call vs MLflow (local SQLite tracking
store, sync and async), ``ds.input`` over a generated 1 GiB / 10,000-file directory, first
declaration vs ``sha256sum`` (one process and ``xargs -P2``), the unchanged re-declaration
(stat cache), and environment capture. The page cache cannot be dropped here: every
hashing number is warm-cache (sha256sum runs once first to warm it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dotscience  # noqa: E402
from dotscience import environment, hashing  # noqa: E402
from dotscience.session import Session  # noqa: E402

FILES = int(os.environ.get("BENCH_KERNEL_FILES", "10000"))
TOTAL_BYTES = int(os.environ.get("BENCH_KERNEL_BYTES", str(1 << 30)))


def _row(benchmark, ours, unit, peer="", theirs=None, target="", ok=None) -> dict:
    return {"benchmark": benchmark, "ours": ours, "peer": peer, "theirs": theirs, "unit": unit,
            "target": target, "ok": ok}  # fmt: skip


def _per_call_us(stmt, setup_globals, number=100_000, repeat=5) -> float:
    timer = timeit.Timer(stmt, globals=setup_globals)
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e6


def _make_tree(top: Path) -> None:
    size = TOTAL_BYTES // FILES
    pool = os.urandom(size + 4096)
    for i in range(FILES):
        d = top / f"d{i // 500:03d}"
        if i % 500 == 0:
            d.mkdir(parents=True)
        off = (i * 131) % 4096
        with open(d / f"f{i:05d}.bin", "wb") as f:
            f.write(i.to_bytes(8, "little") + pool[off : off + size - 8])


def _time_shell(cmd: str, cwd: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, shell=True, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _declare(root: Path, pool: bool = True) -> float:
    saved = hashing.POOL_MIN_BYTES
    if not pool:
        hashing.POOL_MIN_BYTES = 1 << 62
    try:
        session = Session(root=str(root), delivery=None)
        session.start()
        t0 = time.perf_counter()
        session.add_inputs(str(root / "data"))
        return time.perf_counter() - t0
    finally:
        hashing.POOL_MIN_BYTES = saved


def _hash_rows(work: Path) -> list[dict]:
    data = work / "data"
    _make_tree(data)
    find = "find data -type f -print0 | "
    _time_shell(find + "xargs -0 cat > /dev/null", work)  # warm the page cache
    one = _time_shell(find + "xargs -0 sha256sum", work)
    two = _time_shell(find + "xargs -0 -P2 -n 500 sha256sum", work)
    cache = work / ".dotscience" / "statcache.sqlite"
    single = _declare(work, pool=False)
    cache.unlink()
    first = _declare(work)
    again = _declare(work)  # a new session: the cache is loaded from SQLite
    label = f"ds.input {TOTAL_BYTES / (1 << 30):.0f} GiB/{FILES} files"
    return [
        _row(f"{label}, first, 1 thread", single, "s", "sha256sum (1 process)", one,
             "<= peer", single <= one),
        _row(f"{label}, first, pool", first, "s", "sha256sum (1 process)", one,
             "< peer (both cores)", first < one),
        _row(f"{label}, first, pool", first, "s", "sha256sum xargs -P2", two,
             "informational (warm cache)", None),
        _row(f"{label}, unchanged again (new session)", again, "s", "", None, "< 1 s",
             again < 1.0),
    ]  # fmt: skip


def _mlflow_rows(work: Path, ours_metric: float, ours_param: float) -> list[dict]:
    try:
        import mlflow
    except ImportError:
        return [_row("mlflow.log_metric: mlflow not installed (pip install -r "
                     "bench/requirements.txt)", None, "")]  # fmt: skip
    import logging

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    mlflow.set_tracking_uri(f"sqlite:///{work / 'mlflow.db'}")
    # its own experiment: one set by an earlier benchmark in this process (the fluent
    # API keeps the active experiment's id across tracking addresses) is not in this store
    mlflow.set_experiment("kernel-bench")
    rows = []
    with mlflow.start_run():
        mlflow.log_metric("warm", 0.0)
        n = 200
        t0 = time.perf_counter()
        for i in range(n):
            mlflow.log_metric("loss", 0.5, step=i)
        sync = (time.perf_counter() - t0) / n * 1e6
        rows.append(_row("add_metric per call", ours_metric, "µs", "mlflow.log_metric sync", sync,
                         "<= 1 µs and >= 1000x faster than peer",
                         ours_metric <= 1.0 and sync / ours_metric >= 1000))  # fmt: skip
        try:
            n = 2000
            t0 = time.perf_counter()
            for i in range(n):
                mlflow.log_metric("aloss", 0.5, step=i, synchronous=False)
            asynchronous = (time.perf_counter() - t0) / n * 1e6
            mlflow.flush_async_logging()
            rows.append(_row("add_metric per call", ours_metric, "µs",
                             "mlflow.log_metric synchronous=False", asynchronous,
                             "faster than peer", ours_metric < asynchronous))  # fmt: skip
        except TypeError:
            rows.append(_row("mlflow async logging not available in this mlflow", None, ""))
        n = 100
        t0 = time.perf_counter()
        for i in range(n):
            mlflow.log_param(f"p{i}", 0.5)
        param = (time.perf_counter() - t0) / n * 1e6
        rows.append(_row("parameter per call", ours_param, "µs", "mlflow.log_param sync", param,
                         "faster than peer", ours_param < param))  # fmt: skip
    return rows


def _environment_rows(work: Path) -> list[dict]:
    environment.packages.cache_clear()
    environment._static.cache_clear()
    t0 = time.perf_counter()
    environment.capture(str(work))
    cold = (time.perf_counter() - t0) * 1e3
    t0 = time.perf_counter()
    for _ in range(5):
        environment.capture(str(work))
    warm = (time.perf_counter() - t0) / 5 * 1e3
    pkgs = len(environment.packages())
    return [
        _row(f"environment capture, first in process ({pkgs} packages)", cold, "ms", "", None,
             "< 500 ms", cold < 500),
        _row("environment capture, later publishes (git status each)", warm, "ms", "", None,
             "< 50 ms", warm < 50),
    ]  # fmt: skip


def run() -> list[dict]:
    work = Path(tempfile.mkdtemp(prefix="ds-bench-kernel-"))
    old_root = os.environ.get("DOTSCIENCE_PROJECT_DOT_ROOT")
    os.environ["DOTSCIENCE_PROJECT_DOT_ROOT"] = str(work)
    try:
        session = dotscience._reset_session(str(work))
        session.start()
        g = {"ds": dotscience}
        metric = _per_call_us("ds.add_metric('loss', 0.5)", g)
        session.start()
        param = _per_call_us("ds.parameter('alpha', 0.5)", g)
        session.start()
        rows = _mlflow_rows(work, metric, param)
        rows += _environment_rows(work)
        if shutil.which("sha256sum"):
            rows += _hash_rows(work)
        else:
            rows.append(_row("sha256sum not installed: hashing rows skipped", None, ""))
        return rows
    finally:
        dotscience._reset_session()
        if old_root is None:
            os.environ.pop("DOTSCIENCE_PROJECT_DOT_ROOT", None)
        else:
            os.environ["DOTSCIENCE_PROJECT_DOT_ROOT"] = old_root
        shutil.rmtree(work, ignore_errors=True)
