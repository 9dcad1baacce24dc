"""The model server's HTTP side: tornado's HTTP/1.1 server answering the inference protocols.

Requests are parsed by tornado (``tornado.httpserver``), not by hand. A request is read into
memory only after its head passed the checks, in this order:

- the request line and headers together at most :attr:`Limits.max_header` bytes, else
  ``431``; a head beyond :data:`HARD_HEADER_BYTES` is not read at all (the connection is
  closed);
- a token when one is configured (always when the server binds beyond loopback):
  ``Authorization: Bearer <token>``, else ``401``; the health probes (``/v2/health/live``,
  ``/v2/health/ready``, ``/healthz``) need none, so orchestrators can probe;
- a body of at most :attr:`Limits.max_body` bytes (declared or, when chunked, counted), else
  ``413``;
- a head must arrive within :attr:`Limits.read_timeout` seconds (which also closes idle
  keep-alive connections) and a body within :attr:`Limits.body_timeout` seconds: a client that
  sends slowly holds one connection for that long and nothing else.

Concurrent prediction requests are batched: while the model runs on a worker thread, new
requests queue, and the next call into the model takes all of them at once (rows
concatenated, results split back). That is what gives throughput under load.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import unquote

import numpy as np
from tornado import httputil
from tornado.httpserver import HTTPServer

from .metrics import CONTENT_TYPE, Metrics

MAX_BODY = 64 * 1024 * 1024
#: Request line plus headers above this answer 431.
MAX_HEADER = 16 * 1024
#: Heads above this are not read at all: tornado closes the connection.
HARD_HEADER_BYTES = 64 * 1024
#: Seconds a connection may take to send a request head (also the keep-alive idle limit).
READ_TIMEOUT = 30.0
#: Seconds a connection may take to send a request body.
BODY_TIMEOUT = 60.0
#: Routes answered without a token (orchestrators' liveness and readiness probes).
PUBLIC_PATHS = frozenset(("/v2/health/live", "/v2/health/ready", "/healthz"))

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
            405: "Method Not Allowed", 413: "Content Too Large",
            431: "Request Header Fields Too Large", 500: "Internal Server Error",
            503: "Service Unavailable"}  # fmt: skip
_V2_TYPES = {"BOOL": "bool", "UINT8": "uint8", "UINT16": "uint16", "UINT32": "uint32",
             "UINT64": "uint64", "INT8": "int8", "INT16": "int16", "INT32": "int32",
             "INT64": "int64", "FP16": "float16", "FP32": "float32", "FP64": "float64",
             "BYTES": "object"}  # fmt: skip
_NP_V2 = {np.dtype(v).str: k for k, v in _V2_TYPES.items() if k != "BYTES"}


class HTTPError(Exception):
    """An answer other than 200: ``status`` and a one-sentence message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Limits:
    """What one request may cost the server, and the token it must carry (if any)."""

    max_body: int = MAX_BODY
    max_header: int = MAX_HEADER
    read_timeout: float = READ_TIMEOUT
    body_timeout: float = BODY_TIMEOUT
    token: str | None = None


def v2_datatype(arr) -> str:
    """The Open Inference Protocol datatype of a numpy array.

    Parameters
    ----------
    arr : numpy.ndarray
        An output.

    Returns
    -------
    str
        ``FP32``, ``INT64``, ... (``BYTES`` for anything else).
    """
    return _NP_V2.get(arr.dtype.str, "BYTES")


def tolist(arr) -> list:
    """A numpy array as JSON-ready nested lists (bytes decoded, scalars unwrapped).

    Parameters
    ----------
    arr : numpy.ndarray
        An output.

    Returns
    -------
    list
        Nested lists (text and object arrays: one flat list).
    """
    if arr.dtype.kind in "OSU":
        return [x.decode() if isinstance(x, bytes) else (x if isinstance(x, str) else
                x.item() if hasattr(x, "item") else x) for x in arr.reshape(-1)]  # fmt: skip
    return arr.tolist()


class Batcher:
    """Collects concurrent predictions and runs them through the model together.

    :meth:`submit` queues rows with a callback; one task takes everything queued, calls the
    model once per group of rows of the same dtype and width (on a worker thread, so the
    event loop keeps reading requests), and calls each callback with its own rows' outputs.
    """

    def __init__(self, model, metrics: Metrics, max_batch: int = 256):
        self.model, self.metrics, self.max_batch = model, metrics, max_batch
        self.pending: list = []
        self.wake = asyncio.Event()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="predict")
        self.task = asyncio.get_event_loop().create_task(self._run())

    def submit(self, x, done) -> None:
        """Queue rows ``x`` for the next batch.

        Parameters
        ----------
        x : numpy.ndarray
            The request's rows.
        done : callable
            Called on the event loop with ``(outputs, None)`` or ``(None, HTTPError)``.
        """
        self.pending.append((x, done))
        self.wake.set()

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
                for x, done in batch:
                    groups.setdefault((x.dtype.str, x.shape[1:]), []).append((x, done))
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
            items[0][1](None, HTTPError(400, f"the model failed to predict: {e}"))
            return
        start = 0
        for x, done in items:
            end = start + len(x)
            done([(name, np.asarray(v)[start:end]) for name, v in outputs], None)
            start = end


#: The content type of JSON answers.
JSON = "application/json"


class App:
    """Routes of one model: OIP v2, TF-Serving v1 predict, health and metrics.

    :meth:`route` answers at once through ``respond``, or (predictions) once the batcher
    has run the rows; it never leaves a request unanswered.
    """

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
        """Class names of the first output: indices (or scores, via argmax) -> names.

        Parameters
        ----------
        outputs : list of (str, numpy.ndarray)
            What the model predicted.

        Returns
        -------
        list of str or None
            One name per row; None without a classes file or for outputs that are not classes.
        """
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

    def _predict(self, x, answer, respond) -> None:
        """Run rows ``x`` through the batcher; ``respond(200, JSON, answer(outputs, names))``."""
        if x.ndim == 0:
            raise HTTPError(400, "the input must be an array of rows, not a single value")
        if x.ndim == 1:
            x = x.reshape(1, -1) if x.dtype.kind != "O" else x
        x = self.model.prepare(x)
        rows = len(x)

        def done(outputs, error):
            if error is not None:
                respond(error.status, JSON, {"error": str(error)})
                return
            try:
                names = self.class_names(outputs)
                self.metrics.predicted(rows, names)
                payload = answer(outputs, names)
            except Exception as e:  # noqa: BLE001 - answered, and counted as an error
                respond(500, JSON, {"error": f"{type(e).__name__}: {e}"})
                return
            respond(200, JSON, payload)

        self.batcher.submit(x, done)

    # -- protocol handlers -----------------------------------------------------------------

    def v2_infer(self, body: bytes, respond) -> None:
        """Answer ``POST /v2/models/<name>/infer`` (Open Inference Protocol).

        Parameters
        ----------
        body : bytes
            ``{"inputs": [{"name", "shape", "datatype", "data"}], "id"?}``.
        respond : callable
            ``respond(status, content_type, payload)``, called once with the answer.

        Raises
        ------
        HTTPError
            400 for a body that is not such a request.
        """
        req = _json_body(body)
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
        except (ValueError, TypeError, OverflowError, RecursionError) as e:
            raise HTTPError(400, f"input {first.get('name')!r}: {e}") from None

        def answer(outputs, names):
            out = [{"name": n, "shape": list(v.shape), "datatype": v2_datatype(v),
                    "data": tolist(v)} for n, v in outputs]  # fmt: skip
            if names is not None:
                out.append({"name": "class_name", "shape": [len(names)], "datatype": "BYTES",
                            "data": names})  # fmt: skip
            resp = {"model_name": self.name, "model_version": self.version, "outputs": out}
            if "id" in req:
                resp["id"] = req["id"]
            return resp

        self._predict(x, answer, respond)

    def v1_predict(self, body: bytes, respond) -> None:
        """Answer ``POST /v1/models/<name>:predict`` (TF-Serving).

        Parameters
        ----------
        body : bytes
            ``{"instances": [[...], ...]}``.
        respond : callable
            ``respond(status, content_type, payload)``, called once with the answer.

        Raises
        ------
        HTTPError
            400 for a body that is not such a request.
        """
        req = _json_body(body)
        if not isinstance(req, dict) or not isinstance(req.get("instances"), list):
            raise HTTPError(400, 'expected {"instances": [[...], ...]}')
        if req["instances"] and isinstance(req["instances"][0], dict):
            raise HTTPError(400, "named instances are not supported; send rows as lists")
        try:
            x = np.asarray(req["instances"])
        except (ValueError, TypeError, OverflowError, RecursionError) as e:
            raise HTTPError(400, f"instances: {e}") from None

        def answer(outputs, names):
            first = outputs[0][1]
            resp = {"predictions": tolist(first) if first.ndim <= 1 else first.tolist()}
            if names is not None:
                resp["class_names"] = names
            return resp

        self._predict(x, answer, respond)

    def metadata(self):
        """The model's metadata (``GET /v2/models/<name>``).

        Returns
        -------
        dict
            Name, versions, platform, inputs, outputs and parameters (framework version, classes,
            run id).
        """
        outputs = [{"name": n, "datatype": "FP32" if self.model.framework != "sklearn" else
                    "BYTES", "shape": [-1]} for n in self.model.outputs]  # fmt: skip
        if self.classes:
            outputs.append({"name": "class_name", "datatype": "BYTES", "shape": [-1]})
        return {"name": self.name, "versions": [self.version], "platform": self.model.framework,
                "inputs": self.model.inputs, "outputs": outputs,
                "parameters": {"framework_version": self.manifest.get("framework_version"),
                               "classes": self.classes or [],
                               "run_id": self.manifest.get("run_id")}}  # fmt: skip

    def route(self, method: str, path: str, body: bytes, respond) -> None:
        """Answer one request through ``respond(status, content_type, payload)``.

        Parameters
        ----------
        method : str
            The HTTP verb.
        path : str
            The request target.
        body : bytes
            The whole body.
        respond : callable
            Called once with the answer (for predictions, later, from the batcher).

        Raises
        ------
        HTTPError
            A request that cannot be answered with 200 (the caller answers it).
        """
        path = unquote(path.split("?", 1)[0])
        name = self.name
        models = ("/v2/models/" + name, "/v2/models/" + name + "/versions/" + self.version)
        if path == f"/v1/models/{name}:predict":
            if method != "POST":
                raise HTTPError(405, "use POST")
            return self.v1_predict(body, respond)
        if path in ("/v2/health/live", "/v2/health/ready", "/healthz"):
            if path.endswith("ready") and not self.ready:
                return respond(503, JSON, {"ready": False})
            return respond(200, JSON, {"live": True} if "live" in path else {"ready": True})
        if path == "/metrics":
            return respond(200, CONTENT_TYPE, self.metrics.render())
        if path == "/v2":
            return respond(200, JSON, {"name": "dotscience-model-server", "version": "1",
                                       "extensions": ["metrics"],
                                       "deployment": self.deployment})  # fmt: skip
        for prefix in models:
            if path == prefix:
                return respond(200, JSON, self.metadata())
            if path == prefix + "/ready":
                return respond(200, JSON, {"name": name, "ready": self.ready})
            if path == prefix + "/infer":
                if method != "POST":
                    raise HTTPError(405, "use POST")
                return self.v2_infer(body, respond)
        if path == f"/v1/models/{name}":
            return respond(200, JSON, {"model_version_status": [
                {"version": self.version, "state": "AVAILABLE",
                 "status": {"error_code": "OK", "error_message": ""}}]})  # fmt: skip
        raise HTTPError(404, f"no route {path}; this server serves the model {name!r}")


def _json_body(body: bytes):
    """The request's JSON; a body that is not JSON (or nests too deeply) is a 400."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as e:
        raise HTTPError(400, f"the body is not JSON: {e}") from None


def _endpoint(target: str) -> str:
    path = target.split("?", 1)[0]
    if path.endswith("/infer"):
        return "v2_infer"
    if path.endswith(":predict"):
        return "v1_predict"
    return "other"


def _encode(payload) -> bytes:
    if isinstance(payload, str):
        return payload.encode("utf-8")
    return json.dumps(payload, separators=(",", ":")).encode("utf-8")


class _Exchange(httputil.HTTPMessageDelegate):
    """One request on one connection: checks its head, collects its body, answers it."""

    __slots__ = ("front", "conn", "method", "target", "chunks", "size", "done", "started",
                 "endpoint")  # fmt: skip

    def __init__(self, front: Front, conn: httputil.HTTPConnection):
        self.front, self.conn = front, conn
        self.method = self.target = ""
        self.chunks: list[bytes] = []
        self.size = 0
        self.done = False
        self.started = 0.0
        self.endpoint = "other"

    def headers_received(self, start_line, headers):
        self.started = time.perf_counter()
        self.method, self.target = start_line.method, start_line.path
        self.endpoint = _endpoint(self.target)
        limits = self.front.limits
        head = len(start_line.method) + len(start_line.path) + len(start_line.version) + 4
        for name, value in headers.get_all():
            head += len(name) + len(value) + 4
        if head > limits.max_header:
            return self._reject(431, f"the request head is {head} bytes; this server accepts at "
                                     f"most {limits.max_header} bytes of request line and headers")  # fmt: skip
        token = limits.token
        if token is not None and unquote(self.target.split("?", 1)[0]) not in PUBLIC_PATHS:
            given = headers.get("Authorization", "")
            scheme, _, value = given.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                value.strip().encode("utf-8", "surrogateescape"), token.encode("utf-8")
            ):
                return self._reject(
                    401, "this model server needs the header 'Authorization: Bearer <token>' "
                         "with its deployment's token",
                    {"WWW-Authenticate": 'Bearer realm="model"'})  # fmt: skip
        length = headers.get("Content-Length")
        if length is not None and length.strip().isdigit() and int(length) > limits.max_body:
            return self._reject(413, f"the body is {int(length)} bytes; this server accepts at "
                                     f"most {limits.max_body} bytes")  # fmt: skip
        return None

    def data_received(self, chunk):
        if self.done:
            return None
        self.size += len(chunk)
        limit = self.front.limits.max_body
        if self.size > limit:
            self.chunks = []
            return self._reject(413, f"the body is larger than {limit} bytes, the most this "
                                     "server accepts")  # fmt: skip
        self.chunks.append(chunk)
        return None

    def finish(self):
        if self.done:
            return
        self.done = True
        body = self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)
        self.chunks = []
        try:
            self.front.app.route(self.method, self.target, body, self._respond)
        except HTTPError as e:
            self._respond(e.status, JSON, {"error": str(e)})
        except Exception as e:  # noqa: BLE001 - answered, and counted as an error
            self._respond(500, JSON, {"error": f"{type(e).__name__}: {e}"})

    def on_connection_close(self):
        self.done = True
        self.chunks = []

    def _respond(self, status: int, ctype: str, payload) -> None:
        self._write(status, ctype, _encode(payload))

    def _reject(self, status: int, message: str, extra: dict | None = None) -> None:
        """Answer now, before the body is read, and close the connection afterwards."""
        self.done = True
        headers = {"Connection": "close", **(extra or {})}
        self._write(status, JSON, _encode({"error": message}), headers)

    def _write(self, status: int, ctype: str, data: bytes, extra: dict | None = None) -> None:
        headers = httputil.HTTPHeaders()
        headers["Content-Type"] = ctype
        headers["Content-Length"] = str(len(data))
        headers["X-Dotscience-Deployment"] = self.front.app.deployment
        for k, v in (extra or {}).items():
            headers[k] = v
        start = httputil.ResponseStartLine("HTTP/1.1", status, _REASONS.get(status, "OK"))
        try:
            # a HEAD answer has the headers of the GET answer and no body
            self.conn.write_headers(start, headers, None if self.method == "HEAD" else data)
            self.conn.finish()
        except Exception:  # noqa: BLE001 - the client went away: nothing to answer
            return
        if self.endpoint != "other":
            self.front.app.metrics.observe(
                self.endpoint, status, time.perf_counter() - self.started
            )


class Front(httputil.HTTPServerConnectionDelegate):
    """Hands each request tornado parsed to an :class:`_Exchange` of :class:`App`."""

    def __init__(self, app: App, limits: Limits):
        self.app, self.limits = app, limits

    def start_request(self, server_conn, request_conn):
        """A delegate reading one request of a connection (tornado's callback).

        Parameters
        ----------
        server_conn : object
            The connection (unused).
        request_conn : tornado.httputil.HTTPConnection
            Where the answer is written.

        Returns
        -------
        tornado.httputil.HTTPMessageDelegate
            The request's reader, which enforces the limits.
        """
        return _Exchange(self, request_conn)


def http_server(app: App, limits: Limits) -> HTTPServer:
    """A tornado HTTP server answering ``app`` within ``limits`` (add sockets to it).

    Parameters
    ----------
    app : App
        The model's routes.
    limits : Limits
        Sizes and timeouts of requests.

    Returns
    -------
    tornado.httpserver.HTTPServer
        The server, not listening yet.
    """
    return HTTPServer(
        Front(app, limits),
        max_header_size=max(HARD_HEADER_BYTES, limits.max_header + 1024),
        # bodies are counted (and refused with 413 and a sentence) by _Exchange before they
        # are buffered; tornado's own check would answer a bare 400 after ours
        max_body_size=1 << 62,
        idle_connection_timeout=limits.read_timeout,
        body_timeout=limits.body_timeout,
        xheaders=False,
    )
