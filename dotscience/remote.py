"""Remote mode: talk to a Dotscience hub over HTTP (stdlib only).

:class:`Client` makes authenticated requests and turns every failure into a
:class:`ConnectionError` carrying one sentence a person can act on. :class:`RemoteDelivery`
publishes runs for ``ds.connect()`` (spooling them when the hub cannot be reached) and
uploads their output files; :func:`sync` sends what was spooled, idempotently.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import sys
import urllib.parse
import urllib.request

LOCAL_SERVER = "http://127.0.0.1:8888/"
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")
#: Request headers that carry credentials: never sent on to another origin by a redirect.
_CREDENTIAL_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")


class InsecureTransportWarning(UserWarning):
    """Credentials would travel unencrypted (plain ``http://`` to another machine)."""


_warned_plain_http: set[str] = set()


def origin(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of ``url``, the default port filled in (``http``: 80,
    ``https``: 443); two URLs are the same origin when these are equal."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (``127.0.0.0/8``, ``::1``)."""
    import ipaddress

    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def warn_if_plain_http(base: str) -> bool:
    """Warn (once per URL and process) when credentials would go to ``base`` unencrypted.

    Parameters
    ----------
    base : str
        The server's base URL.

    Returns
    -------
    bool
        True when ``base`` is plain ``http://`` to a host that is not loopback (whether or not
        the warning was shown before).
    """
    import warnings

    scheme, host, _ = origin(base)
    if scheme != "http" or is_loopback_host(host):
        return False
    if base not in _warned_plain_http:
        _warned_plain_http.add(base)
        warnings.warn(
            f"Credentials are sent to {base} over plain http, readable by anyone on the network "
            "between; use https:// for a server that is not on this machine.",
            InsecureTransportWarning,
            stacklevel=3,
        )
    return True


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follows redirects like urllib does, but carries credentials only within one origin
    (same scheme, host and port): a redirect elsewhere, including https to http, drops them."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and origin(new.full_url) != origin(req.full_url):
            for name in _CREDENTIAL_HEADERS:
                new.remove_header(name)
        return new


_opener = None


def urlopen(request, timeout: float):
    """``urllib.request.urlopen`` whose redirects never carry credentials to another origin.

    Every HTTP request of the kernel library goes through here.
    """
    global _opener
    if _opener is None:
        _opener = urllib.request.build_opener(_RedirectHandler)
    return _opener.open(request, timeout=timeout)


class ConnectionError(RuntimeError):  # noqa: A001 - ``dotscience.ConnectionError``
    """A request to the Dotscience server failed; ``str(e)`` is one clear sentence.

    Attributes
    ----------
    status : int or None
        The HTTP status, or None when the server could not be reached at all.
    """

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status

    @property
    def unreachable(self) -> bool:
        """True when the server could not be reached (or failed with a 5xx): worth retrying."""
        return self.status is None or self.status >= 500


def normalize_hostname(hostname: str) -> str:
    """A base URL with a scheme and a trailing ``/`` (``http`` for this machine, else
    ``https``)."""
    host = hostname.strip()
    if "://" not in host:
        name = host.split("/")[0].rsplit(":", 1)[0] if not host.startswith("[") else "[::1]"
        host = ("http://" if name in _LOCAL_HOSTS else "https://") + host
    return host if host.endswith("/") else host + "/"


def default_hostname() -> str:
    """``DOTSCIENCE_HOSTNAME``, else ``DOTSCIENCE_SERVER_URL``, else a local Jupyter server."""
    return (
        os.environ.get("DOTSCIENCE_HOSTNAME")
        or os.environ.get("DOTSCIENCE_SERVER_URL")
        or LOCAL_SERVER
    )


def key_id_of(key: str) -> str | None:
    """The public id of an API key ``dsk_<id>_<secret>`` (or of a bare id), else None."""
    if not isinstance(key, str):
        return None
    parts = key.strip().split("_", 2)
    if len(parts) == 3 and parts[0] == "dsk" and len(parts[1]) == 12:
        return parts[1]
    if len(parts) == 1 and len(key) == 12 and all(c in "0123456789abcdef" for c in key):
        return key
    return None


def _message(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:300] or "(no message)"
    if isinstance(data, dict):
        for key in ("error", "message", "reason", "detail"):
            if data.get(key):
                return str(data[key])
    return text[:300]


class Client:
    """Authenticated requests to ``{hostname}dotscience/api/...``.

    Parameters
    ----------
    hostname : str
        The server's base URL (scheme optional).
    username, apikey : str, optional
        HTTP Basic ``username:apikey``; with an API key but no username the key is sent as
        ``Authorization: Bearer <key>``.
    token : str, optional
        A Jupyter server token (``Authorization: token <t>``), e.g. to create API keys.
    """

    def __init__(self, hostname, username=None, apikey=None, token=None, timeout=10.0):
        self.base = normalize_hostname(hostname)
        self.username, self.apikey, self.token = username, apikey, token
        self.timeout = timeout
        if apikey or token:
            warn_if_plain_http(self.base)

    def _authorization(self) -> str | None:
        if self.apikey and self.username:
            raw = base64.b64encode(f"{self.username}:{self.apikey}".encode()).decode("ascii")
            return f"Basic {raw}"
        if self.apikey:
            return f"Bearer {self.apikey}"
        if self.token:
            return f"token {self.token}"
        return None

    def url(self, path: str, params=None) -> str:
        url = self.base + "dotscience/api/" + path.lstrip("/")
        if params:
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        return url

    def request(self, method: str, path: str, body=None, params=None, raw=False,
                content_length=None, with_status=False):  # fmt: skip
        """Send one request; returns the decoded JSON (or bytes with ``raw=True``), or
        ``(status, that)`` with ``with_status=True``.

        ``body`` is JSON-encoded unless it is bytes or a binary file (sent as is, with
        ``content_length``).

        Raises
        ------
        ConnectionError
            With one sentence: server unreachable, unknown host, refused credentials, or
            the server's own error message.
        """
        import urllib.error
        import urllib.request

        headers = {"Accept": "application/json"}
        auth = self._authorization()
        if auth:
            headers["Authorization"] = auth
        data = body
        if body is not None and not isinstance(body, bytes) and not hasattr(body, "read"):
            data = json.dumps(body, allow_nan=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        elif body is not None:
            headers["Content-Type"] = "application/octet-stream"
            if content_length is not None:
                headers["Content-Length"] = str(content_length)
        url = self.url(path, params)
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urlopen(req, timeout=self.timeout) as response:
                payload, status = response.read(), response.status
        except urllib.error.HTTPError as exc:
            raise self._http_error(exc.code, _message(exc.read() or b"")) from None
        except urllib.error.URLError as exc:
            raise self._unreachable(exc.reason) from None
        except (OSError, ValueError) as exc:  # timeouts, resets, malformed URLs
            raise self._unreachable(exc) from None
        if raw:
            return (status, payload) if with_status else payload
        try:
            data = json.loads(payload) if payload else None
            return (status, data) if with_status else data
        except ValueError:
            raise ConnectionError(
                f"{self.base} answered with something that is not JSON; is it a Dotscience "
                "(JupyterLab) server?",
                status=200,
            ) from None

    def _http_error(self, status: int, message: str) -> ConnectionError:
        if status == 401:
            text = f"The Dotscience server at {self.base} refused the credentials: {message}"
        elif status == 403 and message in ("Forbidden", "(no message)"):
            text = (
                f"The Dotscience server at {self.base} refused the request (HTTP 403); check "
                "the API key or Jupyter token."
            )
        elif status >= 500:
            text = f"The Dotscience server at {self.base} failed (HTTP {status}): {message}"
        else:
            text = message
        return ConnectionError(text, status=status)

    def _unreachable(self, reason) -> ConnectionError:
        host = urllib.parse.urlsplit(self.base).hostname or self.base
        if isinstance(reason, socket.gaierror):
            text = f"Unknown host {host!r}: check the hostname ({self.base})."
        elif isinstance(reason, ConnectionRefusedError):
            text = f"Cannot reach the Dotscience server at {self.base}: connection refused."
        elif isinstance(reason, TimeoutError | socket.timeout):
            text = (
                f"The Dotscience server at {self.base} did not answer within "
                f"{self.timeout:g} seconds."
            )
        else:
            text = f"Cannot reach the Dotscience server at {self.base}: {reason}."
        return ConnectionError(text, status=None)

    # -- operations ------------------------------------------------------------------------

    def check(self) -> dict:
        """A cheap authenticated GET that proves the credentials.

        With an API key it is the key itself (``{id, username, project, ...}``), else the
        server's version.
        """
        key_id = key_id_of(self.apikey) if self.apikey else None
        if key_id:
            return self.request("GET", f"keys/{key_id}")
        return self.request("GET", "version")

    def publish(self, run: dict) -> tuple[dict, bool]:
        """POST a run record (idempotent on its id); returns the stored run and whether
        this call stored it (False: the server had it already)."""
        status, stored = self.request("POST", "runs", run, with_status=True)
        return stored, status == 201

    def upload_file(self, path: str, sha256: str, size: int | None = None) -> dict:
        """PUT a file's bytes to ``artifacts/{sha256}`` (the server verifies the hash)."""
        with open(path, "rb") as f:
            length = size if size is not None else os.fstat(f.fileno()).st_size
            return self.request("PUT", f"artifacts/{sha256}", f, content_length=length)


# -- outputs to upload ---------------------------------------------------------------------


def _spool_dir(root: str) -> str:
    return os.path.join(root, ".dotscience", "spool")


def _uploads_dir(root: str) -> str:
    return os.path.join(_spool_dir(root), "uploads")


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
    for f in files:
        if f["sha256"] in have:
            continue
        local = os.path.join(root, *f["path"].split("/"))
        try:
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
            why = "it changed since the run was published" if changed else str(e)
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
    spool = _spool_dir(root)
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
        with open(os.path.join(rejected, name + ".error.txt"), "w", encoding="utf-8") as f:
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
