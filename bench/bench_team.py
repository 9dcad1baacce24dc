"""Team benchmark: 20 concurrent publishers across two servers on one PostgreSQL.

Ours: two Jupyter servers with the extension, both on one PostgreSQL database (as a team's
single-user servers under JupyterHub share it); 20 client threads, 10 on each server, each
publishes runs with ``POST dotscience/api/runs`` (one request per run: 5 parameters, 3
metrics, 2 labels) over a kept-alive connection. MLflow: its tracking server
(``mlflow server --backend-store-uri postgresql+psycopg://...`` on another database of the
same PostgreSQL server, its defaults: 4 workers), the same 20 clients over kept-alive
connections making the calls a run with the same content needs in its REST API
(``runs/create``, ``runs/log-batch``, ``runs/update`` to finish it).

Each client publishes one run first (not counted), then ``RUNS_PER_CLIENT``; runs/s is the
counted runs over the wall time from the first counted run to the last, p99 the 99th
percentile of one run's publish time (all its requests). Environment:
``DOTSCIENCE_BENCH_TEAM_RUNS`` (runs per client, default 25).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CLIENTS = 20
RUNS_PER_CLIENT = int(os.environ.get("DOTSCIENCE_BENCH_TEAM_RUNS", "25"))


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _now() -> str:
    from dotscience.timestamps import now

    return now()


def _record(i: int) -> dict:
    when = _now()
    params = {"alpha": 0.01 * i, "depth": i % 12, "optimizer": "adam", "batch": 32, "seed": i}
    metrics = {"accuracy": 0.9 + i * 1e-6, "loss": 0.1 / (i + 1), "f1": 0.85}
    return {
        "schema": "dotscience.run/2", "id": str(uuid.uuid4()), "project": "bench",
        "mode": "script", "start": when, "end": when,
        "parameters": {k: {"value": v, "text": str(v)} for k, v in params.items()},
        "metrics": {k: [{"value": v, "text": str(v), "step": 0, "time": when}]
                    for k, v in metrics.items()},
        "labels": {"team": "ml", "client": str(i % CLIENTS)},
    }  # fmt: skip


class _Conn:
    """One kept-alive HTTP connection (reconnects once when the server closed it)."""

    def __init__(self, port: int, headers: dict):
        self.port, self.headers = port, headers
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(self, path: str, body: dict) -> dict:
        data = json.dumps(body).encode()
        headers = dict(self.headers, **{"Content-Type": "application/json"})
        for attempt in (0, 1):
            try:
                self.conn.request("POST", path, data, headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt:
                    raise
        if resp.status >= 300:
            raise RuntimeError(f"POST {path}: {resp.status} {raw[:300]!r}")
        return json.loads(raw or b"{}")


def _load(publish_one, conns: list) -> tuple[float, list[float]]:
    """Every client publishes one run (warm-up), then RUNS_PER_CLIENT, all at once;
    ``(runs per second, per-run latencies in ms)``."""
    latencies: list[float] = []
    lock = threading.Lock()
    ready = threading.Barrier(len(conns) + 1)
    errors: list[BaseException] = []

    def client(n: int, conn) -> None:
        try:
            publish_one(conn, n)
            ready.wait()
            mine = []
            for i in range(RUNS_PER_CLIENT):
                t0 = time.perf_counter()
                publish_one(conn, n * 10_000 + i)
                mine.append((time.perf_counter() - t0) * 1000)
            with lock:
                latencies.extend(mine)
        except BaseException as e:  # reported after the run
            errors.append(e)
            with contextlib.suppress(threading.BrokenBarrierError):
                ready.abort()

    threads = [threading.Thread(target=client, args=(n, c)) for n, c in enumerate(conns)]
    for t in threads:
        t.start()
    ready.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return len(latencies) / wall, latencies


def bench_ours(pg, tmp: pathlib.Path) -> tuple[float, list[float]]:
    from tests.server.live import LiveServer

    url = pg.create_database("bench_ours")
    servers = []
    try:
        for name in ("a", "b"):
            root = tmp / name
            root.mkdir()
            server = LiveServer(root, store_url=url)
            server.extra_args = ["--DotscienceApp.kernel_user=bench"]
            servers.append(server.start(timeout=120))
        conns = [
            _Conn(servers[n % 2].port, {"Authorization": f"token {servers[n % 2].token}"})
            for n in range(CLIENTS)
        ]

        def publish(conn, i):
            conn.post("/dotscience/api/runs", _record(i))

        return _load(publish, conns)
    finally:
        for server in servers:
            server.stop()


def _wait_http(port: int, path: str, proc, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mlflow server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("mlflow server did not start in time")


def bench_mlflow(pg, tmp: pathlib.Path) -> tuple[float, list[float]]:
    from tests.server.live import free_port

    url = pg.create_database("bench_mlflow").replace("postgresql://", "postgresql+psycopg://")
    port = free_port()
    exe = shutil.which("mlflow") or os.path.join(os.path.dirname(sys.executable), "mlflow")
    log = open(tmp / "mlflow.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [exe, "server", "--backend-store-uri", url, "--default-artifact-root",
         (tmp / "mlartifacts").as_uri(), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        _wait_http(port, "/health", proc)
        setup = _Conn(port, {})
        exp = setup.post("/api/2.0/mlflow/experiments/create", {"name": "bench"})
        experiment = exp["experiment_id"]
        conns = [_Conn(port, {}) for _ in range(CLIENTS)]

        def publish(conn, i):
            rec = _record(i)
            ms = int(time.time() * 1000)
            run = conn.post("/api/2.0/mlflow/runs/create", {
                "experiment_id": experiment, "start_time": ms,
                "tags": [{"key": k, "value": v} for k, v in rec["labels"].items()],
            })["run"]["info"]["run_id"]  # fmt: skip
            conn.post("/api/2.0/mlflow/runs/log-batch", {
                "run_id": run,
                "params": [{"key": k, "value": p["text"]} for k, p in rec["parameters"].items()],
                "metrics": [{"key": k, "value": s[0]["value"], "timestamp": ms, "step": 0}
                            for k, s in rec["metrics"].items()],
            })  # fmt: skip
            conn.post("/api/2.0/mlflow/runs/update",
                      {"run_id": run, "status": "FINISHED", "end_time": ms})  # fmt: skip

        return _load(publish, conns)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def run() -> list[dict]:
    from tests.fixtures_pg import PgServer, _bin_dir

    bin_dir = _bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
    pg = PgServer(bin_dir)
    pg.start()
    try:
        with tempfile.TemporaryDirectory(prefix="dotscience-bench-team-") as d:
            tmp = pathlib.Path(d)
            ours_rate, ours_lat = bench_ours(pg, tmp)
            theirs_rate, theirs_lat = bench_mlflow(pg, tmp)
    finally:
        pg.stop()
    peer = "mlflow server (PostgreSQL, 4 workers), 20 clients"
    n = CLIENTS * RUNS_PER_CLIENT
    return [
        {"benchmark": f"team publish: 20 clients on 2 servers, one PostgreSQL ({n} runs)",
         "ours": ours_rate, "peer": peer, "theirs": theirs_rate, "unit": "runs/s",
         "target": "", "ok": None, "higher_is_better": True},
        {"benchmark": "team publish: one run's publish time (p99)",
         "ours": _percentile(ours_lat, 0.99), "peer": peer,
         "theirs": _percentile(theirs_lat, 0.99), "unit": "ms", "target": "", "ok": None},
    ]  # fmt: skip


if __name__ == "__main__":
    for row in run():
        print(row)
