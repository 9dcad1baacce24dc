"""The kernel library's one HTTP client for the Dotscience REST API (stdlib only).

:class:`Client` is used by the JupyterLab delivery (:class:`dotscience.delivery.HttpDelivery`,
kernel token), by ``ds.connect()`` (:mod:`dotscience.remote`, API key) and by the
``dotscience`` command line (API key or Jupyter token). It sends one of three credentials
(``Authorization: token <t>``, HTTP Basic ``username:apikey`` or ``Bearer <apikey>``), reads
every error answer with one parser (:func:`server_message`) and turns every failure into a
:class:`ConnectionError` carrying one sentence a person can act on. Its redirects never carry
credentials to another origin.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import urllib.parse
import urllib.request

LOCAL_SERVER = "http://127.0.0.1:8888/"
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")
#: Request headers that carry credentials: never sent on to another origin by a redirect.
_CREDENTIAL_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")
#: How much of an error answer that is not JSON (an HTML page, a proxy's text) is kept.
_MAX_MESSAGE = 300


class InsecureTransportWarning(UserWarning):
    """Credentials would travel unencrypted (plain ``http://`` to another machine)."""


_warned_plain_http: set[str] = set()


def origin(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of ``url``, the default port filled in.

    Parameters
    ----------
    url : str
        Any URL.

    Returns
    -------
    tuple
        ``(scheme, host, port)`` in lower case (``http``: port 80, ``https``: 443); two URLs
        are the same origin when these are equal.
    """
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

    Parameters
    ----------
    request : urllib.request.Request
        The request to send.
    timeout : float
        Seconds to wait for the connection and for each read.

    Returns
    -------
    http.client.HTTPResponse
        The answer (a context manager); 4xx and 5xx raise ``urllib.error.HTTPError``.
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
    detail : str
        What the server said (its own error message), or why it could not be reached.
    """

    def __init__(self, message: str, status: int | None = None, detail: str | None = None):
        super().__init__(message)
        self.status = status
        self.detail = message if detail is None else detail

    @property
    def unreachable(self) -> bool:
        """True when the server could not be reached (or failed with a 5xx): worth retrying."""
        return self.status is None or self.status >= 500


def server_message(body: bytes) -> str:
    """The one sentence of an error answer.

    Parameters
    ----------
    body : bytes
        The answer's body: the server's ``{"error": ...}`` (or another JSON object with
        ``message``, ``reason`` or ``detail``), or any text.

    Returns
    -------
    str
        That message; text that is not JSON cut to 300 characters; ``(no message)`` for an
        empty body.
    """
    text = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return text[:_MAX_MESSAGE] or "(no message)"
    if isinstance(data, dict):
        for key in ("error", "message", "reason", "detail"):
            if data.get(key):
                return str(data[key])
    return text[:_MAX_MESSAGE]


def normalize_hostname(hostname: str) -> str:
    """A base URL with a scheme and a trailing ``/``.

    Parameters
    ----------
    hostname : str
        A URL, or a host (with a port) without a scheme: ``http`` is assumed for this machine,
        ``https`` for any other.

    Returns
    -------
    str
        The base URL, ending in ``/``.
    """
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


class Client:
    """Authenticated requests to ``{hostname}dotscience/api/...``.

    Parameters
    ----------
    hostname : str
        The server's base URL (scheme optional, see :func:`normalize_hostname`).
    username, apikey : str, optional
        HTTP Basic ``username:apikey``; with an API key but no username the key is sent as
        ``Authorization: Bearer <key>``.
    token : str, optional
        A Jupyter server token or a kernel's publish token (``Authorization: token <t>``).
    timeout : float
        Seconds to wait for the server.
    warn_insecure : bool
        Warn once when the credentials would go over plain http to another machine (the
        kernel's delivery to the server that started it does not).
    """

    def __init__(self, hostname, username=None, apikey=None, token=None, timeout=10.0,
                 warn_insecure=True):  # fmt: skip
        self.base = normalize_hostname(hostname)
        self.username, self.apikey, self.token = username, apikey, token
        self.timeout = timeout
        if warn_insecure and (apikey or token):
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
        """The URL of an API path (``runs``, ``keys/<id>``) with its query parameters."""
        url = self.base + "dotscience/api/" + path.lstrip("/")
        if params:
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        return url

    def request(self, method: str, path: str, body=None, params=None, raw=False,
                content_length=None, with_status=False, headers=None):  # fmt: skip
        """Send one request to the API.

        Parameters
        ----------
        method : str
            The HTTP verb.
        path : str
            The API path, e.g. ``runs`` or ``runs/<id>/files``.
        body : object, optional
            JSON-encoded, unless it is bytes or a binary file (sent as is, with
            ``content_length``).
        params : dict, optional
            Query parameters (a list value repeats the parameter).
        raw : bool
            Return the body's bytes instead of decoded JSON.
        content_length : int, optional
            The length of a file body.
        with_status : bool
            Return ``(status, answer)``.
        headers : dict, optional
            More request headers (e.g. ``Prefer``).

        Returns
        -------
        object
            The decoded JSON answer (or bytes with ``raw=True``), or ``(status, that)``.

        Raises
        ------
        ConnectionError
            With one sentence: server unreachable, unknown host, refused credentials, or
            the server's own error message.
        """
        import urllib.error

        headers = {**(headers or {}), "Accept": "application/json"}
        auth = self._authorization()
        if auth:
            headers["Authorization"] = auth
        data = body
        if body is not None and not isinstance(body, bytes) and not hasattr(body, "read"):
            data = json.dumps(body, allow_nan=False, sort_keys=True).encode("utf-8")
            headers["Content-Type"] = "application/json"
        elif body is not None:
            headers["Content-Type"] = "application/octet-stream"
            if content_length is not None:
                headers["Content-Length"] = str(content_length)
        url = self.url(path, params)
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        # a large body (a run with a 1,000,000-point series is about 95 MB) takes the server
        # longer to read, check and store: one more second per 2 MB
        timeout = self.timeout
        if isinstance(data, bytes):
            timeout = max(timeout, len(data) / 2_000_000)
        try:
            with urlopen(req, timeout=timeout) as response:
                payload, status = response.read(), response.status
        except urllib.error.HTTPError as exc:
            raise self._http_error(exc.code, server_message(exc.read() or b"")) from None
        except urllib.error.URLError as exc:
            raise self._unreachable(exc.reason) from None
        except (OSError, ValueError) as exc:  # timeouts, resets, malformed URLs
            raise self._unreachable(exc) from None
        if raw:
            return (status, payload) if with_status else payload
        try:
            data = json.loads(payload) if payload else None
            return (status, data) if with_status else data
        except (ValueError, RecursionError):
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
        return ConnectionError(text, status=status, detail=message)

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
        return ConnectionError(text, status=None, detail=str(reason))

    # -- operations ------------------------------------------------------------------------

    def check(self) -> dict:
        """A cheap authenticated GET that proves the credentials.

        Returns
        -------
        dict
            With an API key the key itself (``{id, username, project, ...}``), else the
            server's version.
        """
        key_id = key_id_of(self.apikey) if self.apikey else None
        if key_id:
            return self.request("GET", f"keys/{key_id}")
        return self.request("GET", "version")

    def publish(self, run: dict) -> tuple[dict, bool]:
        """POST a run record (idempotent on its id).

        Returns
        -------
        (dict, bool)
            The stored run (the record sent when the JSON answer holds none) and whether this
            call stored it (False: the server had it already).

        Raises
        ------
        ConnectionError
            As :meth:`request` does; also (with status 2xx) when the answer is not JSON.
        """
        # The series are not sent back when the server stored them exactly as sent (RFC
        # 7240; a 1,000,000-point series would be 70 MB of answer): they are filled in here.
        status, stored = self.request(
            "POST", "runs", run, with_status=True, headers={"Prefer": "return=minimal"}
        )
        if not isinstance(stored, dict) or "id" not in stored:
            stored = run
        elif "metrics" not in stored and isinstance(run.get("metrics"), dict):
            stored["metrics"] = run["metrics"]
        return stored, status == 201

    def upload_file(self, path: str, sha256: str, size: int | None = None) -> dict:
        """PUT a file's bytes to ``artifacts/{sha256}`` (the server verifies the hash)."""
        with open(path, "rb") as f:
            length = size if size is not None else os.fstat(f.fileno()).st_size
            return self.request("PUT", f"artifacts/{sha256}", f, content_length=length)
