"""A small asyncio HTTP/1.1 server (keep-alive) answering the inference protocols.

Concurrent prediction requests are batched: while the model runs on a worker thread, new
requests queue, and the next call into the model takes all of them at once (rows
concatenated, results split back). That is what gives throughput under load.
"""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .metrics import Metrics

MAX_BODY = 64 * 1024 * 1024
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
            411: "Length Required", 413: "Payload Too Large", 500: "Internal Server Error",
            503: "Service Unavailable"}  # fmt: skip
_V2_TYPES = {"BOOL": "bool", "UINT8": "uint8", "UINT16": "uint16", "UINT32": "uint32",
             "UINT64": "uint64", "INT8": "int8", "INT16": "int16", "INT32": "int32",
             "INT64": "int64", "FP16": "float16", "FP32": "float32", "FP64": "float64",
             "BYTES": "object"}  # fmt: skip
_NP_V2 = {np.dtype(v).str: k for k, v in _V2_TYPES.items() if k != "BYTES"}


class HTTPError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def v2_datatype(arr) -> str:
    return _NP_V2.get(arr.dtype.str, "BYTES")


def tolist(arr) -> list:
    if arr.dtype.kind in "OSU":
        return [x.decode() if isinstance(x, bytes) else (x if isinstance(x, str) else
                x.item() if hasattr(x, "item") else x) for x in arr.reshape(-1)]  # fmt: skip
    return arr.tolist()


class Batcher:
    """Collects concurrent predictions and runs them through the model together."""

    def __init__(self, model, metrics: Metrics, max_batch: int = 256):
        self.model, self.metrics, self.max_batch = model, metrics, max_batch
        self.pending: list = []
        self.wake = asyncio.Event()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="predict")
        self.task = asyncio.get_event_loop().create_task(self._run())

    async def predict(self, x):
        fut = asyncio.get_event_loop().create_future()
        self.pending.append((x, fut))
        self.wake.set()
        return await fut

    def _call(self, x):
        self.metrics.batch()
        return self.model.predict(x)

    async def _run(self):
        loop = asyncio.get_event_loop()
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.pending:
                batch, self.pending = self.pending[: self.max_batch], self.pending[self.max_batch :]
                groups: dict = {}
                for x, fut in batch:
                    groups.setdefault((x.dtype.str, x.shape[1:]), []).append((x, fut))
                for items in groups.values():
                    await self._run_group(loop, items)

    async def _run_group(self, loop, items):
        xs = [x for x, _ in items]
        try:
            joined = xs[0] if len(xs) == 1 else np.concatenate(xs)
            outputs = await loop.run_in_executor(self.pool, self._call, joined)
        except Exception as e:
            if len(items) > 1:  # one bad request must not fail the others
                for item in items:
                    await self._run_group(loop, [item])
                return
            items[0][1].set_exception(HTTPError(400, f"the model failed to predict: {e}"))
            return
        start = 0
        for x, fut in items:
            end = start + len(x)
            if not fut.done():
                fut.set_result([(name, np.asarray(v)[start:end]) for name, v in outputs])
            start = end


class App:
    """Routes of one model: OIP v2, TF-Serving v1 predict, health and metrics."""

    def __init__(self, model, manifest: dict, classes, deployment: str | None = None):
        self.model, self.manifest, self.classes = model, manifest, classes
        self.name = manifest["name"]
        self.version = str(manifest.get("version", "1"))
        self.deployment = deployment or ""
        self.metrics = Metrics(self.name, self.version)
        self.batcher: Batcher | None = None
        self.ready = False

    # -- helpers ---------------------------------------------------------------------------

    def class_names(self, outputs) -> list[str] | None:
        """Class names of the first output: indices (or scores, via argmax) -> names."""
        if not self.classes or not outputs:
            return None
        arr = outputs[0][1]
        try:
            if arr.ndim == 2 and arr.shape[1] == len(self.classes) and arr.dtype.kind == "f":
                idx = arr.argmax(axis=1)
            elif arr.ndim == 1 and arr.dtype.kind in "iu":
                idx = arr
            elif arr.ndim == 1 and arr.dtype.kind == "f" and np.all(arr == np.round(arr)):
                idx = arr.astype(np.int64)
            else:
                return None
            return [self.classes[int(i)] if 0 <= int(i) < len(self.classes) else str(int(i))
                    for i in idx]  # fmt: skip
        except (ValueError, TypeError):
            return None

    async def _predict(self, x):
        if x.ndim == 0:
            raise HTTPError(400, "the input must be an array of rows, not a single value")
        if x.ndim == 1:
            x = x.reshape(1, -1) if x.dtype.kind != "O" else x
        x = self.model.prepare(x)
        outputs = await self.batcher.predict(x)
        names = self.class_names(outputs)
        self.metrics.predicted(len(x), names)
        return outputs, names

    # -- protocol handlers -----------------------------------------------------------------

    async def v2_infer(self, body: bytes):
        try:
            req = json.loads(body)
        except ValueError as e:
            raise HTTPError(400, f"the body is not JSON: {e}") from None
        inputs = req.get("inputs") if isinstance(req, dict) else None
        if not isinstance(inputs, list) or not inputs or not isinstance(inputs[0], dict):
            raise HTTPError(400, 'expected {"inputs": [{"name", "shape", "datatype", "data"}]}')
        first = inputs[0]
        dtype = _V2_TYPES.get(str(first.get("datatype", "FP64")).upper())
        if dtype is None:
            raise HTTPError(400, f"unknown datatype {first.get('datatype')!r}")
        try:
            x = np.asarray(first.get("data"), dtype=dtype)
            shape = first.get("shape")
            if shape:
                x = x.reshape(shape)
        except (ValueError, TypeError) as e:
            raise HTTPError(400, f"input {first.get('name')!r}: {e}") from None
        outputs, names = await self._predict(x)
        out = [{"name": n, "shape": list(v.shape), "datatype": v2_datatype(v), "data": tolist(v)}
               for n, v in outputs]  # fmt: skip
        if names is not None:
            out.append({"name": "class_name", "shape": [len(names)], "datatype": "BYTES",
                        "data": names})  # fmt: skip
        resp = {"model_name": self.name, "model_version": self.version, "outputs": out}
        if "id" in req:
            resp["id"] = req["id"]
        return resp

    async def v1_predict(self, body: bytes):
        try:
            req = json.loads(body)
        except ValueError as e:
            raise HTTPError(400, f"the body is not JSON: {e}") from None
        if not isinstance(req, dict) or not isinstance(req.get("instances"), list):
            raise HTTPError(400, 'expected {"instances": [[...], ...]}')
        if req["instances"] and isinstance(req["instances"][0], dict):
            raise HTTPError(400, "named instances are not supported; send rows as lists")
        try:
            x = np.asarray(req["instances"])
        except ValueError as e:
            raise HTTPError(400, f"instances: {e}") from None
        outputs, names = await self._predict(x)
        resp = {"predictions": tolist(outputs[0][1]) if outputs[0][1].ndim <= 1
                else outputs[0][1].tolist()}  # fmt: skip
        if names is not None:
            resp["class_names"] = names
        return resp

    def metadata(self):
        outputs = [{"name": n, "datatype": "FP32" if self.model.framework != "sklearn" else
                    "BYTES", "shape": [-1]} for n in self.model.outputs]  # fmt: skip
        if self.classes:
            outputs.append({"name": "class_name", "datatype": "BYTES", "shape": [-1]})
        return {"name": self.name, "versions": [self.version], "platform": self.model.framework,
                "inputs": self.model.inputs, "outputs": outputs,
                "parameters": {"framework_version": self.manifest.get("framework_version"),
                               "classes": self.classes or [],
                               "run_id": self.manifest.get("run_id")}}  # fmt: skip

    async def route(self, method: str, path: str, body: bytes):
        """``(status, content_type, payload)`` for one request."""
        path = path.split("?", 1)[0]
        name = self.name
        models = ("/v2/models/" + name, "/v2/models/" + name + "/versions/" + self.version)
        if path in ("/v2/health/live", "/v2/health/ready", "/healthz"):
            if path.endswith("ready") and not self.ready:
                return 503, "application/json", {"ready": False}
            return 200, "application/json", {"live": True} if "live" in path else {"ready": True}
        if path == "/metrics":
            return 200, "text/plain; version=0.0.4", self.metrics.render()
        if path == "/v2":
            return 200, "application/json", {"name": "dotscience-model-server",
                                             "version": "1", "extensions": ["metrics"],
                                             "deployment": self.deployment}  # fmt: skip
        for prefix in models:
            if path == prefix:
                return 200, "application/json", self.metadata()
            if path == prefix + "/ready":
                return 200, "application/json", {"name": name, "ready": self.ready}
            if path == prefix + "/infer":
                if method != "POST":
                    raise HTTPError(405, "use POST")
                return 200, "application/json", await self.v2_infer(body)
        if path == f"/v1/models/{name}:predict":
            if method != "POST":
                raise HTTPError(405, "use POST")
            return 200, "application/json", await self.v1_predict(body)
        if path == f"/v1/models/{name}":
            return 200, "application/json", {"model_version_status": [
                {"version": self.version, "state": "AVAILABLE",
                 "status": {"error_code": "OK", "error_message": ""}}]}  # fmt: skip
        raise HTTPError(404, f"no route {path}; this server serves the model {name!r}")

    # -- the connection loop ---------------------------------------------------------------

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                try:
                    method, target, version = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
                except ValueError:
                    break
                headers = {}
                while True:
                    h = await reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                    k, _, v = h.decode("latin-1").partition(":")
                    headers[k.strip().lower()] = v.strip()
                keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
                started = time.perf_counter()
                endpoint = "other"
                try:
                    if "transfer-encoding" in headers:
                        keep = False
                        raise HTTPError(411, "send a Content-Length, not a chunked body")
                    length = int(headers.get("content-length") or 0)
                    if length > MAX_BODY:
                        keep = False
                        raise HTTPError(413, f"the body is larger than {MAX_BODY} bytes")
                    body = await reader.readexactly(length) if length else b""
                    endpoint = _endpoint(target)
                    status, ctype, payload = await self.route(method, target, body)
                except HTTPError as e:
                    status, ctype, payload = e.status, "application/json", {"error": str(e)}
                except Exception as e:  # noqa: BLE001 - answered, and counted as an error
                    status, ctype = 500, "application/json"
                    payload = {"error": f"{type(e).__name__}: {e}"}
                data = (
                    payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                )
                head = (
                    f"HTTP/1.1 {status} {_REASONS.get(status, 'OK')}\r\n"
                    f"Content-Type: {ctype}\r\nContent-Length: {len(data)}\r\n"
                    f"X-Dotscience-Deployment: {self.deployment}\r\n"
                    + ("" if keep else "Connection: close\r\n")
                    + "\r\n"
                )
                writer.write(head.encode("latin-1") + data)
                if endpoint != "other":
                    self.metrics.observe(endpoint, status, time.perf_counter() - started)
                if writer.transport.get_write_buffer_size() > 1 << 20:
                    await writer.drain()
                if not keep:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            try:
                writer.close()
            except Exception:  # noqa: BLE001
                pass


def _endpoint(target: str) -> str:
    if target.endswith("/infer"):
        return "v2_infer"
    if target.endswith(":predict"):
        return "v1_predict"
    return "other"
