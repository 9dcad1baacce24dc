"""Run store benchmark: publish latency, and listing/filtering/sorting 100,000 runs.

Side by side with MLflow (``MlflowClient.search_runs`` on a local SQLite tracking store,
loaded with the same runs). Both sides are bulk-loaded: ours through ``Store.put_runs`` in
batches (the same code path as ``put_run``), MLflow's by inserting rows into its own schema
(created by MLflow) exactly as its SQLAlchemy store lays them out, because creating 100,000
runs through its API would take hours.

Environment: ``DOTSCIENCE_BENCH_RUNS`` (default 100000) scales the listing benchmark.
"""

from __future__ import annotations

import json
import logging
import os
import pathlib
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from jupyterlab_dotscience.store import open_store  # noqa: E402

RUNS = int(os.environ.get("DOTSCIENCE_BENCH_RUNS", "100000"))
TEAMS = 20  # label team=teamN: each matches 1/20 of the runs
PAGE = 50
MLFLOW_TIMEOUT = 25.0  # seconds per MLflow query; a slower query is reported as a lower bound
BASE_MS = 1_795_000_000_000  # 2026-11-17


def _iso(ms: int) -> str:
    t = time.gmtime(ms // 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{(ms % 1000) * 1000:06d}Z"


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _timed(fn, reps: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


# -- data ----------------------------------------------------------------------------------


def _runs(count: int, seed: int = 7):
    """``count`` deterministic runs: 10 parameters, 3 metrics, 3 labels, 2 files each."""
    rng = random.Random(seed)
    for i in range(count):
        rid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        ms = BASE_MS + i * 1000
        params = {
            "alpha": rng.choice([0.001, 0.01, 0.1, 1.0]),
            "depth": rng.randint(1, 12),
            "optimizer": rng.choice(["adam", "sgd", "rmsprop"]),
            **{f"p{k}": rng.randint(0, 100) for k in range(7)},
        }
        metrics = {
            "accuracy": round(rng.random(), 6),
            "loss": round(rng.random() * 3, 6),
            "f1": round(rng.random(), 6),
        }
        labels = {
            "team": f"team{i % TEAMS}",
            "stage": rng.choice(["dev", "prod"]),
            "owner": "bench",
        }
        yield rid, ms, params, metrics, labels


def _record(rid, ms, params, metrics, labels) -> dict:
    t = _iso(ms)
    digest = f"{hash(rid) & (2**256 - 1):064x}"
    return {
        "schema": "dotscience.run/2",
        "id": rid,
        "project": "bench",
        "notebook": "train.ipynb",
        "mode": "interactive",
        "start": t,
        "end": t,
        "parameters": {k: {"value": v, "text": str(v)} for k, v in params.items()},
        "metrics": {
            k: [{"value": v, "text": str(v), "step": 0, "time": t}] for k, v in metrics.items()
        },
        "labels": labels,
        "inputs": [{"path": "data.csv", "sha256": "0" * 64, "size": 10}],
        "outputs": [{"path": "model.bin", "sha256": digest, "size": 10}],
    }


# -- ours ------------------------------------------------------------------------------------


def _load_ours(url: str, data: list) -> float:
    t0 = time.perf_counter()
    with open_store(url) as store:
        batch = []
        for item in data:
            batch.append(_record(*item))
            if len(batch) == 2000:
                store.put_runs(batch, "bench")
                batch = []
        if batch:
            store.put_runs(batch, "bench")
    return time.perf_counter() - t0


def _publish_record(rng: random.Random) -> dict:
    t = _iso(BASE_MS)
    return {
        "schema": "dotscience.run/2",
        "id": str(uuid.uuid4()),
        "project": "bench",
        "parameters": {f"param{i}": {"value": i * 0.5, "text": str(i * 0.5)} for i in range(100)},
        "metrics": {
            f"metric{m}": [
                {"value": v, "text": str(v), "step": s, "time": t}
                for s, v in ((s, rng.random()) for s in range(1000))
            ]
            for m in range(10)
        },
        "labels": {"team": "ml"},
    }


def bench_publish(tmp: pathlib.Path, reps: int = 30) -> tuple[list[float], list[float]]:
    rng = random.Random(1)
    records = [_publish_record(rng) for _ in range(reps + 2)]
    with open_store(f"sqlite:///{tmp}/publish.db") as store:
        it = iter(records)
        ours = _timed(lambda: store.put_run(next(it), "bench"), reps)

    mlflow_times = []
    try:
        from mlflow.entities import Metric, Param

        client = _mlflow_client(tmp / "mlflow-publish.db")
        exp = client.create_experiment("publish")
        rec = records[0]
        params = [Param(k, p["text"]) for k, p in rec["parameters"].items()]
        metrics = [
            Metric(k, p["value"], BASE_MS, p["step"])
            for k, series in rec["metrics"].items()
            for p in series
        ]

        def publish_mlflow():
            run = client.create_run(exp)
            client.log_batch(run.info.run_id, params=params)
            for i in range(0, len(metrics), 1000):  # MLflow's log_batch limit
                client.log_batch(run.info.run_id, metrics=metrics[i : i + 1000])
            client.set_terminated(run.info.run_id)

        mlflow_times = _timed(publish_mlflow, 4, warmup=1)
    except ImportError:
        pass
    return ours, mlflow_times


# -- MLflow ------------------------------------------------------------------------------------


def _mlflow_client(db: pathlib.Path):
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=f"sqlite:///{db}")


def _load_mlflow(db: pathlib.Path, data: list):
    client = _mlflow_client(db)
    exp = client.create_experiment("bench", artifact_location=str(db.parent / "mlruns"))
    t0 = time.perf_counter()
    conn = sqlite3.connect(db)
    with conn:
        runs, params, metrics, latest, tags = [], [], [], [], []
        for rid, ms, ps, ms_, labels in data:
            uid = rid.replace("-", "")
            runs.append((uid, uid[:8], "UNKNOWN", "", "", "bench", "FINISHED", ms, ms, "",
                         "active", f"{db.parent}/mlruns/{exp}/{uid}/artifacts", exp))  # fmt: skip
            params += [(k, str(v), uid) for k, v in ps.items()]
            metrics += [(k, v, ms, uid, 0, 0) for k, v in ms_.items()]
            latest += [(k, v, ms, 0, 0, uid) for k, v in ms_.items()]
            tags += [(k, v, uid) for k, v in labels.items()]
            tags.append(("mlflow.runName", uid[:8], uid))
        conn.executemany(
            "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, "
            "user_id, status, start_time, end_time, source_version, lifecycle_stage, "
            "artifact_uri, experiment_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            runs,
        )
        conn.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)", params)
        conn.executemany(
            "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            metrics,
        )
        conn.executemany(
            "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            latest,
        )
        conn.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)", tags)
    conn.close()
    return client, exp, time.perf_counter() - t0


def _mlflow_query(db: pathlib.Path, exp: str, args) -> tuple[float | None, bool]:
    """p50 of ``search_runs`` in a child process (killed after ``MLFLOW_TIMEOUT``).

    Returns ``(ms, lower_bound)``; when not even one query finished in time, the timeout
    itself is returned as a lower bound.
    """
    cmd = [sys.executable, __file__, "--mlflow-query", str(db), exp, json.dumps(args)]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=MLFLOW_TIMEOUT + 8)
        out = result.stdout
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else e.stdout or ""
    times = [float(line) for line in out.split() if line.strip()]
    if not times:
        return MLFLOW_TIMEOUT * 1000, True
    return statistics.median(times), False


def _mlflow_query_child(db: str, exp: str, args_json: str) -> None:
    """Child process: print one line per ``search_runs`` duration (ms), for up to 5 runs."""
    client = _mlflow_client(pathlib.Path(db))
    args = json.loads(args_json)
    if args == "page2":
        token = client.search_runs([exp], max_results=PAGE).token
        args = {"max_results": PAGE, "page_token": token}
    client.search_runs([exp], **args)  # warm-up (also loads SQLAlchemy's metadata)
    deadline = time.monotonic() + MLFLOW_TIMEOUT
    for _ in range(5):
        t0 = time.perf_counter()
        client.search_runs([exp], **args)
        print((time.perf_counter() - t0) * 1000, flush=True)
        if time.monotonic() > deadline:
            break


# -- benchmark -----------------------------------------------------------------------------------


def run() -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="dotscience-bench-") as d:
        tmp = pathlib.Path(d)

        ours, theirs = bench_publish(tmp)
        for q, name, limit in ((0.5, "p50", 250), (0.99, "p99", 500)):
            mine = _percentile(ours, q)
            peer = _percentile(theirs, q) if theirs else None
            rows.append({
                "benchmark": f"publish run, 100 params + 10,000 metric points ({name}, SQLite)",
                "ours": mine, "peer": "mlflow log_batch" if theirs else "",
                "theirs": peer, "unit": "ms", "target": f"< {limit} ms",
                "ok": mine < limit,
            })  # fmt: skip

        data = list(_runs(RUNS))
        url = f"sqlite:///{tmp}/list.db"
        load_ours = _load_ours(url, data)
        try:
            client, exp, load_theirs = _load_mlflow(tmp / "mlflow.db", data)
        except ImportError:
            client = None
        rows.append({
            "benchmark": f"bulk load {RUNS:,} runs (put_runs, batches of 2,000)",
            "ours": load_ours, "peer": "mlflow raw SQL inserts" if client else "",
            "theirs": load_theirs if client else None, "unit": "s", "target": "", "ok": None,
        })  # fmt: skip

        store = open_store(url)
        cursor = store.list_runs(limit=PAGE)[1]
        queries = [
            ("list newest page",
             lambda: store.list_runs(limit=PAGE),
             dict(max_results=PAGE)),
            ("list page 2 (cursor / page token)",
             lambda: store.list_runs(limit=PAGE, cursor=cursor),
             "page2"),
            ("filter by label (1 in 20 runs)",
             lambda: store.list_runs(labels={"team": "team7"}, limit=PAGE),
             dict(filter_string="tags.team = 'team7'", max_results=PAGE)),
            ("sort by metric, best first",
             lambda: store.list_runs(sort="-metric:accuracy", limit=PAGE),
             dict(order_by=["metrics.accuracy DESC"], max_results=PAGE)),
            ("filter label + param, sort by metric",
             lambda: store.list_runs(labels={"team": "team7"}, params={"optimizer": "adam"},
                                     sort="-metric:accuracy", limit=PAGE),
             dict(filter_string="tags.team = 'team7' and params.optimizer = 'adam'",
                  order_by=["metrics.accuracy DESC"], max_results=PAGE)),
            ("filter metric range, sort by metric",
             lambda: store.list_runs(metrics=[("loss", 0.5, 1.0)], sort="metric:accuracy",
                                     limit=PAGE),
             dict(filter_string="metrics.loss >= 0.5 and metrics.loss <= 1.0",
                  order_by=["metrics.accuracy ASC"], max_results=PAGE)),
        ]  # fmt: skip
        for name, ours_fn, mlflow_args in queries:
            mine = statistics.median(_timed(ours_fn, 30))
            peer, bound = None, False
            if client:
                peer, bound = _mlflow_query(tmp / "mlflow.db", exp, mlflow_args)
            ok = mine < 20 and (peer is None or peer >= 10 * mine)
            note = f" (MLflow stopped after {MLFLOW_TIMEOUT:.0f} s: lower bound)" if bound else ""
            rows.append({
                "benchmark": f"{name}, {RUNS:,} runs (p50, SQLite){note}",
                "ours": mine, "peer": "mlflow search_runs" if client else "",
                "theirs": peer, "unit": "ms", "target": "< 20 ms and >= 10x faster",
                "ok": ok,
            })  # fmt: skip
        store.close()
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["--mlflow-query"]:
        _mlflow_query_child(*sys.argv[2:5])
    else:
        for row in run():
            print(row)
