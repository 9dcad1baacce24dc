"""Delivery of published runs: one small interface, ``deliver(run) -> dict``.

- :class:`StreamDelivery` writes the v1 block to a stream in one write.
- :class:`SpoolDelivery` writes ``<root>/.dotscience/spool/<id>.json`` atomically.
- :class:`HttpDelivery` POSTs the run record to the server, spooling when it is unreachable.
- :class:`MultiDelivery` delivers to several in turn (stream + spool when no server is known).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from typing import Protocol

from . import v1 as _v1
from .paths import spool_directory


class DeliveryError(RuntimeError):
    """The server refused a run (HTTP 4xx); the message is the server's."""


class Delivery(Protocol):
    """Something that delivers a finished run record."""

    def deliver(self, run: dict) -> dict:
        """Deliver ``run``; return the record as stored or sent."""


def _dumps(run: dict) -> str:
    return json.dumps(run, sort_keys=True, allow_nan=False)


class StreamDelivery:
    """Writes the run's v1 block (byte-compatible with 0.8.7) to a stream in a single write."""

    def __init__(self, stream=None):
        self.stream = stream

    def deliver(self, run: dict) -> dict:
        stream = self.stream if self.stream is not None else sys.stdout
        stream.write(_v1.format_block(run["id"], _v1.v1_from_record(run)))
        flush = getattr(stream, "flush", None)
        if flush is not None:
            flush()
        return run


class SpoolDelivery:
    """Writes the run record to ``<root>/.dotscience/spool/<id>.json`` (temp file + replace)."""

    def __init__(self, root: str):
        self.directory = spool_directory(root)

    def path_for(self, run_id: str) -> str:
        return os.path.join(self.directory, f"{run_id}.json")

    def deliver(self, run: dict) -> dict:
        os.makedirs(self.directory, exist_ok=True)
        data = _dumps(run).encode("utf-8")
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path_for(run["id"]))
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        return run


class MultiDelivery:
    """Delivers to the first target (must succeed), then best-effort to the others."""

    def __init__(self, first: Delivery, *others: Delivery):
        self.first, self.others = first, others

    def deliver(self, run: dict) -> dict:
        result = self.first.deliver(run)
        for other in self.others:
            try:
                other.deliver(run)
            except OSError as exc:
                sys.stderr.write(f"dotscience: could not keep a copy of run {run['id']}: {exc}\n")
        return result


def shell_quote(text: str) -> str:
    """``text`` as one word for a POSIX shell: in single quotes, each ``'`` written ``'\\''``.

    Nothing inside single quotes is special to the shell, so the word is taken literally
    whatever ``text`` holds (``;``, ``$(...)``, backquotes, newlines).
    """
    return "'" + str(text).replace("'", "'\\''") + "'"


def curl_command(deployment: dict) -> str:
    """A curl command predicting with a deployment (TF-Serving route), safe to paste.

    The model name is percent-encoded into the URL, and the URL is quoted for the shell, so a
    model named ``x; rm -rf ~`` gives a harmless command.
    """
    import urllib.parse

    url = str(deployment.get("url") or "")
    name = urllib.parse.quote(str(deployment.get("model")), safe="")
    return (
        f"curl -s -X POST {shell_quote(f'{url}v1/models/{name}:predict')} "
        """-H 'Content-Type: application/json' -d '{"instances": [[...]]}'"""
    )


class HttpDelivery:
    """POSTs the run record to ``{server}dotscience/api/runs`` with :class:`~dotscience.client.Client`.

    Parameters
    ----------
    server : str
        Base URL, e.g. ``http://127.0.0.1:8888/`` (a trailing ``/`` is added if missing).
    token : str, optional
        Sent as ``Authorization: token <token>``.
    basic : (str, str), optional
        Username and API key for HTTP Basic auth.
    fallback : Delivery, optional
        Used when the server cannot be reached or fails (5xx); a sentence saying so is
        written to ``stream``.
    stream : file, optional
        Where the fallback sentence and the "Published run" line go (default ``sys.stdout``).
    announce : bool
        Write ``Published run <id>`` after a successful POST.
    timeout : float
        Seconds to wait for the server.
    """

    def __init__(self, server, token=None, basic=None, fallback=None, stream=None,
                 announce=True, timeout=10.0):  # fmt: skip
        from .client import Client  # imported here: keeps `import dotscience` light

        username, apikey = basic if basic is not None else (None, None)
        # the kernel publishes to the server that started it: no plain-http warning
        self.client = Client(server, username, apikey, token, timeout, warn_insecure=False)
        self.server = self.client.base
        self.url = self.client.url("runs")
        self.fallback, self.stream = fallback, stream
        self.announce = announce
        #: seconds to wait for the builds/deployments of a run published with build/deploy
        self.follow_timeout = float(os.environ.get("DOTSCIENCE_FOLLOW_TIMEOUT", "180"))

    def _say(self, line: str) -> None:
        stream = self.stream if self.stream is not None else sys.stdout
        stream.write(line + "\n")

    def deliver(self, run: dict) -> dict:
        from .client import ConnectionError

        try:
            stored, _ = self.client.publish(run)
        except ConnectionError as exc:
            if exc.status is not None and exc.status < 300:  # stored; the answer was not JSON
                stored = run
            elif exc.status is None:
                return self._fall_back(run, exc.detail)
            elif exc.status < 500:
                raise DeliveryError(
                    f"The Dotscience server at {self.server} refused run {run['id']} "
                    f"(HTTP {exc.status}): {exc.detail}"
                ) from None
            else:
                return self._fall_back(run, f"HTTP {exc.status}: {exc.detail}")
        if self.announce:
            self._say(f"Published run {stored['id']}")
        if stored.get("deployments") or stored.get("builds"):
            self._follow(stored)
        return stored

    def _follow(self, stored: dict) -> None:
        """Wait for the builds/deployments the server started and say where the model is."""
        import time
        import urllib.parse

        from .client import ConnectionError

        deadline = time.monotonic() + self.follow_timeout
        for i, dep in enumerate(stored.get("deployments") or []):
            state = dep.get("state")
            while state not in ("running", "failed", "stopped") and time.monotonic() < deadline:
                time.sleep(0.2)
                try:
                    got = self.client.request("GET", f"deployments/{dep['id']}")
                except ConnectionError:
                    continue
                if isinstance(got, dict):
                    dep = got
                    state = dep.get("state")
            stored["deployments"][i] = dep
            what = f"model {dep.get('model')} v{dep.get('version')}"
            if state == "running":
                self._say(f"Deployed {what} at {dep.get('url') or ''}")
                self._say("  " + curl_command(dep))
            elif state == "failed":
                self._say(f"Deploying {what} failed: {dep.get('reason')}")
            else:
                self._say(f"Deploying {what}: still {state}; see the Models section")
        for i, build in enumerate(stored.get("builds") or []):
            name = urllib.parse.quote(str(build.get("model")), safe="")
            path = f"models/{name}/versions/{build.get('version')}/build"
            state = build.get("state")
            while state not in ("done", "failed") and time.monotonic() < deadline:
                time.sleep(0.2)
                try:
                    got = self.client.request("GET", path)
                except ConnectionError:
                    continue
                if isinstance(got, dict):
                    build = dict(build, **got)
                    state = build.get("state")
            build.pop("log", None)
            stored["builds"][i] = build
            what = f"model {build.get('model')} v{build.get('version')}"
            self._say(
                f"Build of {what}: {state}"
                + (f" ({build['message']})" if build.get("message") else "")
            )

    def _fall_back(self, run: dict, reason: str) -> dict:
        if self.fallback is None:
            raise DeliveryError(f"Could not deliver run {run['id']} to {self.server}: {reason}")
        result = self.fallback.deliver(run)
        where = getattr(self.fallback, "path_for", None)
        place = where(run["id"]) if where else "the local spool"
        self._say(
            f"Could not reach the Dotscience server at {self.server} ({reason}), so run "
            f"{run['id']} was saved to {place} and will be imported when the server is back."
        )
        return result


def default_delivery(root: str, stream=None) -> Delivery:
    """The delivery used when none was configured, read from the environment now.

    With ``DOTSCIENCE_SERVER_URL`` set: HTTP (token from ``DOTSCIENCE_TOKEN``) with the spool
    as fallback. Otherwise the v1 block to ``stream`` plus a spool copy, so the run is imported
    when a server starts later.
    """
    server = os.environ.get("DOTSCIENCE_SERVER_URL")
    spool = SpoolDelivery(root)
    if server:
        return HttpDelivery(
            server, token=os.environ.get("DOTSCIENCE_TOKEN"), fallback=spool, stream=stream
        )
    return MultiDelivery(StreamDelivery(stream), spool)
