"""Models: publish-with-deploy to a healthy endpoint, and deployed scikit-learn throughput.

One run: a script trains an iris LogisticRegression, saves it for Dotscience and for MLflow,
and publishes it with ``ds.publish(deploy=True)`` to a real Jupyter server; the time from the
publish call until the endpoint is healthy is measured in the script. Then the same model is
served by ``mlflow models serve --env-manager local`` (its defaults: one uvicorn worker), and
both endpoints get the same bounded loopback load: ``CLIENTS`` concurrent keep-alive clients
sending single-row ``{"instances": [[...]]}`` requests until ``REQUESTS`` are answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request

CLIENTS = 16
REQUESTS = 4000
WARMUP = 300

SCRIPT = """
    import json, os, time
    import joblib, mlflow.sklearn, sklearn
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    import dotscience as ds

    ds.script()
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=1000).fit(X, y)
    os.makedirs("iris_model", exist_ok=True)
    joblib.dump(model, "iris_model/model.joblib")
    mlflow.sklearn.save_model(model, "mlflow_model")
    ds.model(sklearn, "iris", "iris_model")
    t0 = time.perf_counter()
    run = ds.publish("bench", deploy=True)
    elapsed = time.perf_counter() - t0
    print(json.dumps({"seconds": elapsed, "deployment": run["deployments"][0],
                      "row": X[0].tolist(), "expected": int(model.predict(X[:1])[0])}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _client(host, port, path, body, counter, latencies):
    reader, writer = await asyncio.open_connection(host, port)
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    try:
        while counter[0] > 0:
            counter[0] -= 1
            t = time.perf_counter()
            writer.write(request)
            status = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            data = await reader.readexactly(length)
            if b" 200 " not in status:
                raise RuntimeError(f"{path}: {status!r} {data[:200]!r}")
            latencies.append(time.perf_counter() - t)
    finally:
        writer.close()


async def _load(port, path, body, total, clients):
    counter, latencies = [total], []
    t = time.perf_counter()
    await asyncio.gather(*[
        _client("127.0.0.1", port, path, body, counter, latencies) for _ in range(clients)])  # fmt: skip
    return total / (time.perf_counter() - t), sorted(latencies)


def load(port, path, body, total=REQUESTS, clients=CLIENTS):
    """Requests per second and sorted latencies of a bounded loopback load."""
    asyncio.run(_load(port, path, body, WARMUP, clients))
    return asyncio.run(_load(port, path, body, total, clients))


def _wait(url, timeout=120.0, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} not healthy within {timeout} s")


def _post(url, body):
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def run() -> list[dict]:
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from tests.server.live import LiveServer

    tmp = tempfile.mkdtemp(prefix="bench-models-")
    root = os.path.join(tmp, "root")
    os.makedirs(root)
    server = LiveServer(root).start()
    mlflow_proc = None
    dep = None
    try:
        with open(os.path.join(root, "train.py"), "w") as f:
            f.write(textwrap.dedent(SCRIPT))
        env = dict(os.environ, DOTSCIENCE_SERVER_URL=server.url, DOTSCIENCE_TOKEN=server.token,
                   DOTSCIENCE_PROJECT_DOT_ROOT=root)  # fmt: skip
        proc = subprocess.run([sys.executable, "train.py"], cwd=root, env=env, text=True,
                              capture_output=True, timeout=300)  # fmt: skip
        if proc.returncode:
            raise RuntimeError(proc.stdout + proc.stderr)
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        dep = out["deployment"]
        if dep["state"] != "running":
            raise RuntimeError(f"deployment {dep['state']}: {dep.get('reason')}")
        body = json.dumps({"instances": [out["row"]]}).encode()
        ours_port = int(dep["url"].rsplit(":", 1)[1].strip("/"))
        assert _post(dep["url"] + "v1/models/iris:predict", body)["predictions"] == [
            out["expected"]]  # fmt: skip

        port = _free_port()
        log = open(os.path.join(tmp, "mlflow.log"), "wb")  # noqa: SIM115 - closed with tmp
        t0 = time.perf_counter()
        mlflow_proc = subprocess.Popen(
            [shutil.which("mlflow") or os.path.join(os.path.dirname(sys.executable), "mlflow"),
             "models", "serve", "-m", os.path.join(root, "mlflow_model"), "--env-manager",
             "local", "-h", "127.0.0.1", "-p", str(port)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env=dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep
                     + os.environ.get("PATH", "")),
        )  # fmt: skip
        try:
            _wait(f"http://127.0.0.1:{port}/ping", proc=mlflow_proc)
        except RuntimeError as e:
            raise RuntimeError(f"{e}: {open(log.name).read()[-2000:]}") from None
        mlflow_start = time.perf_counter() - t0
        got = _post(f"http://127.0.0.1:{port}/invocations", body)
        assert got["predictions"] == [out["expected"]], got

        ours_rps, ours_lat = load(ours_port, "/v1/models/iris:predict", body)
        theirs_rps, theirs_lat = load(port, "/invocations", body)
        p50 = lambda lat: lat[len(lat) // 2] * 1000  # noqa: E731
        return [
            {"benchmark": "models: publish(deploy=True) -> healthy endpoint (sklearn)",
             "ours": out["seconds"], "peer": "mlflow models serve start -> /ping (no publish)",
             "theirs": mlflow_start, "unit": "s", "target": "< 15 s",
             "ok": out["seconds"] < 15},
            {"benchmark": f"models: sklearn predictions/s, {CLIENTS} clients x 1 row, loopback",
             "ours": ours_rps, "peer": "mlflow models serve --env-manager local",
             "theirs": theirs_rps, "unit": "req/s", "target": ">= 3x mlflow",
             "higher_is_better": True,
             "ok": ours_rps >= 3 * theirs_rps},
            {"benchmark": "models: median latency under that load",
             "ours": p50(ours_lat), "peer": "mlflow models serve", "theirs": p50(theirs_lat),
             "unit": "ms", "target": "", "ok": None},
        ]  # fmt: skip
    finally:
        if mlflow_proc is not None:
            try:
                os.killpg(mlflow_proc.pid, signal.SIGTERM)
                mlflow_proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                with contextlib.suppress(OSError):
                    os.killpg(mlflow_proc.pid, signal.SIGKILL)
        if dep is not None:
            try:
                server.request("DELETE", f"dotscience/api/deployments/{dep['id']}")
            except OSError:
                pass
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    for row in run():
        print(row)
