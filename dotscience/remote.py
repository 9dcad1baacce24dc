"""Remote mode: publish to a Dotscience hub from anywhere (stdlib only).

:class:`RemoteDelivery` publishes runs for ``ds.connect()`` through the one HTTP client,
:class:`dotscience.client.Client` (re-exported here with its helpers), spooling them when the
hub cannot be reached, and uploads their output files; :func:`sync` sends what was spooled,
idempotently.
"""

from __future__ import annotations

import json
import os
import sys

from .client import (  # noqa: F401 - the names ``dotscience.remote`` has always offered
    Client,
    ConnectionError,
    InsecureTransportWarning,
    default_hostname,
    key_id_of,
    origin,
    warn_if_plain_http,
)
from .paths import REJECTED_REASON, spool_directory

# -- outputs to upload ---------------------------------------------------------------------


def _uploads_dir(root: str) -> str:
    return os.path.join(spool_directory(root), "uploads")


def uploadable_files(run: dict) -> list[dict]:
    """Output (and model) files of a run that have content to upload, once per hash."""
    files = list(run.get("outputs") or [])
    for model in run.get("models") or []:
        files.extend(model.get("files") or [])
    out, seen = [], set()
    for f in files:
        sha = f.get("sha256")
        if not sha or f.get("outside") or f.get("missing") or sha in seen:
            continue
        seen.add(sha)
        out.append({"path": f["path"], "sha256": sha, "size": f.get("size")})
    return out


def _write_json(path: str, data: dict) -> None:
    import tempfile

    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, sort_keys=True)
    os.replace(tmp, path)


def remember_uploads(root: str, run: dict, hostname: str) -> str | None:
    """Record a run's outputs for a later ``dotscience sync``; returns the manifest path."""
    files = uploadable_files(run)
    if not files:
        return None
    path = os.path.join(_uploads_dir(root), f"{run['id']}.json")
    _write_json(path, {"run": run["id"], "hostname": hostname, "files": files})
    return path


def artifact_limit(client: Client) -> int | None:
    """The largest file the server stores (``max_artifact_bytes`` in ``GET version``), or None
    when it does not say (an older server: its 413 says so after the upload).

    Raises
    ------
    ConnectionError
        When the server cannot be reached.
    """
    try:
        info = client.request("GET", "version")
    except ConnectionError as e:
        if e.unreachable:
            raise
        return None
    limit = info.get("max_artifact_bytes") if isinstance(info, dict) else None
    if isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0:
        return limit
    return None


def upload_outputs(client: Client, root: str, run_id: str, files: list[dict]) -> tuple[int, list]:
    """Upload the files the server does not have yet.

    Returns ``(uploaded, problems)`` where ``problems`` lists ``(path, sentence, retry)``;
    ``retry`` is False when trying again cannot help (changed or deleted file).

    Raises
    ------
    ConnectionError
        When the server cannot be reached (the caller keeps the manifest).
    """
    try:
        stored = client.request("GET", f"runs/{run_id}/files")["files"]
        have = {f["sha256"] for f in stored if f.get("artifact")}
    except ConnectionError as e:
        if e.unreachable:
            raise
        have = set()
    uploaded, problems = 0, []
    limit = artifact_limit(client) if any(f["sha256"] not in have for f in files) else None
    for f in files:
        if f["sha256"] in have:
            continue
        local = os.path.join(root, *f["path"].split("/"))
        try:
            size = os.path.getsize(local)
            if limit is not None and size > limit:  # said now, not after sending it all
                why = f"it is {size:,} bytes, over the server's artifact size limit of {limit:,}"
                problems.append((f["path"], why, False))
                continue
            client.upload_file(local, f["sha256"], None)
            uploaded += 1
        except FileNotFoundError:
            problems.append((f["path"], "the file no longer exists", False))
        except OSError as e:
            problems.append((f["path"], f"cannot read it: {e}", True))
        except ConnectionError as e:
            if e.unreachable:
                raise
            changed = e.status == 400 and "sha256" in str(e)
            why = "it changed since the run was published" if changed else str(e).rstrip(".")
            problems.append((f["path"], why, not changed and e.status not in (413,)))
        have.add(f["sha256"])
    return uploaded, problems


class RemoteDelivery:
    """Publishes to a hub for ``ds.connect()``; spools when it cannot be reached.

    After a run is stored its output files are uploaded; whatever could not be uploaded is
    recorded in ``.dotscience/spool/uploads/`` for ``dotscience sync``.
    """

    def __init__(self, client: Client, root: str, stream=None):
        self.client, self.root, self.stream = client, root, stream

    def _say(self, line: str) -> None:
        stream = self.stream if self.stream is not None else sys.stdout
        stream.write(line + "\n")
        flush = getattr(stream, "flush", None)
        if flush is not None:
            flush()

    def deliver(self, run: dict) -> dict:
        from .delivery import DeliveryError, SpoolDelivery

        try:
            stored, _ = self.client.publish(run)
        except ConnectionError as e:
            if not e.unreachable:
                raise DeliveryError(
                    f"The Dotscience server at {self.client.base} refused run {run['id']}: {e}"
                ) from None
            spool = SpoolDelivery(self.root)
            spool.deliver(run)
            remember_uploads(self.root, run, self.client.base)
            self._say(
                f"{e} Run {run['id']} was saved to {spool.path_for(run['id'])}; "
                "`dotscience sync` will send it when the server is back."
            )
            return run
        if not isinstance(stored, dict) or "id" not in stored:
            stored = run
        self._say(f"Published run {stored['id']} to {self.client.base}")
        files = uploadable_files(run)
        if files:
            self._upload(run, files)
        return stored

    def _upload(self, run: dict, files: list[dict]) -> None:
        try:
            uploaded, problems = upload_outputs(self.client, self.root, run["id"], files)
        except ConnectionError as e:
            remember_uploads(self.root, run, self.client.base)
            self._say(f"{e} Output files will be uploaded by `dotscience sync`.")
            return
        retry = [p for p in problems if p[2]]
        for path, why, _ in problems:
            self._say(f"Output {path} was not uploaded: {why}.")
        if retry:
            keep = {p[0] for p in retry}
            remember_uploads(self.root, {**run, "outputs": [f for f in files if f["path"] in keep],
                                         "models": []}, self.client.base)  # fmt: skip


# -- sync ----------------------------------------------------------------------------------


def sync(client: Client, root: str, say=print) -> dict:
    """Send spooled runs and pending output uploads to the server, idempotently.

    A run the server stores (or already had) leaves the spool for ``spool/sent/``; one it
    rejects (4xx) moves to ``spool/rejected/`` with the reason beside it and printed.

    Returns
    -------
    dict
        ``{"sent": [ids], "already": [ids], "rejected": [{id, reason}], "uploaded": n}``
        (``already``: runs the server had stored before).

    Raises
    ------
    ConnectionError
        When the server cannot be reached (runs not sent yet stay in the spool).
    """
    spool = spool_directory(root)
    result = {"sent": [], "already": [], "rejected": [], "uploaded": 0}
    names = sorted(n for n in _listdir(spool) if n.endswith(".json"))
    for name in names:
        path = os.path.join(spool, name)
        try:
            with open(path, encoding="utf-8") as f:
                run = json.load(f)
            run_id = run["id"]
        except FileNotFoundError:
            continue  # a local server imported it meanwhile
        except (ValueError, KeyError, TypeError) as e:
            _reject(spool, name, f"not a run record: {e}", say, result)
            continue
        try:
            _, created = client.publish(run)
        except ConnectionError as e:
            if e.unreachable:
                raise
            _reject(spool, name, str(e), say, result, run_id)
            continue
        result["sent" if created else "already"].append(run_id)
        _move(path, os.path.join(spool, "sent"))
        if uploadable_files(run) and not os.path.exists(
            os.path.join(_uploads_dir(root), f"{run_id}.json")
        ):
            remember_uploads(root, run, client.base)
    for name in sorted(n for n in _listdir(_uploads_dir(root)) if n.endswith(".json")):
        path = os.path.join(_uploads_dir(root), name)
        try:
            with open(path, encoding="utf-8") as f:
                manifest = json.load(f)
            uploaded, problems = upload_outputs(client, root, manifest["run"], manifest["files"])
        except (OSError, ValueError, KeyError, TypeError) as e:
            say(f"Skipping upload list {name}: {e}")
            continue
        result["uploaded"] += uploaded
        for file_path, why, _ in problems:
            say(f"Output {file_path} of run {manifest['run']} was not uploaded: {why}.")
        retry = {p[0] for p in problems if p[2]}
        if retry:
            manifest["files"] = [f for f in manifest["files"] if f["path"] in retry]
            _write_json(path, manifest)
        else:
            os.unlink(path)
    return result


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except FileNotFoundError:
        return []


def _move(src: str, directory: str) -> None:
    os.makedirs(directory, exist_ok=True)
    try:
        os.replace(src, os.path.join(directory, os.path.basename(src)))
    except FileNotFoundError:
        pass


def _reject(spool, name, reason, say, result, run_id=None) -> None:
    rejected = os.path.join(spool, "rejected")
    _move(os.path.join(spool, name), rejected)
    try:
        with open(os.path.join(rejected, name + REJECTED_REASON), "w", encoding="utf-8") as f:
            f.write(reason + "\n")
    except OSError:
        pass
    run_id = run_id or name[: -len(".json")]
    result["rejected"].append({"id": run_id, "reason": reason})
    say(f"Run {run_id} was rejected by the server and moved to {rejected}: {reason}")


# ``dotscience.remote`` names this module and 0.8.7's ``remote()`` function: calling the
# module selects remote mode (see ``dotscience._RemoteModule``).
from . import _RemoteModule  # noqa: E402

sys.modules[__name__].__class__ = _RemoteModule
