"""A real JupyterHub for the team tests: jupyterhub from PyPI, configurable-http-proxy from
npm (tests/hub/package.json, installed by the Makefile), the dummy authenticator and
JupyterHub's ``SimpleLocalProcessSpawner``.

Why that spawner: it is JupyterHub's ``LocalProcessSpawner`` without the switch to a system
account: every single-user server runs as the hub's own OS user, with its own home directory
(its Jupyter root) under the test's temporary directory. ``LocalProcessSpawner`` proper needs
root and system users alice and bob; the test must run in ``make test`` on any machine and
account without adding users to it. What the team features rely on is the same either way:
each server learns its user from the hub (``JUPYTERHUB_USER``, OAuth tokens checked by the
hub), not from the OS.

Both single-user servers run this extension against one PostgreSQL database (the
session's test server) and one artifact store.
"""

from __future__ import annotations

import json
import os
import pathlib
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.fixtures_pg import pg_server, pg_url  # noqa: F401  (fixtures)
from tests.server.live import without_iri  # the hub and its servers: no rfc3987_syntax

SINGLEUSER = without_iri("jupyterhub.singleuser")

HERE = pathlib.Path(__file__).resolve().parent
CHP = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
#: The ports this test may use (hub, proxy API, hub API, the users' servers).
PORTS = range(18000, 18100)
DEADLINE = 90.0

HUB_CONFIG = """\
import sys
c = get_config()  # noqa: F821
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{chp!r}]
c.ConfigurableHTTPProxy.should_start = True
c.JupyterHub.db_url = "sqlite:///{state}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{state}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = "{state}/jupyterhub.pid"
c.JupyterHub.cleanup_servers = True
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{homes}/{{username}}"
c.Spawner.cmd = {singleuser!r}
c.Spawner.args = {args!r}
c.Spawner.environment = {environment!r}
c.Spawner.start_timeout = 90
c.Spawner.http_timeout = 90
_ports = {user_ports!r}

def _port(spawner):
    spawner.port = _ports[spawner.user.name]

c.Spawner.pre_spawn_hook = _port
c.JupyterHub.services = [{{"name": "team-test", "api_token": {service_token!r}}}]
c.JupyterHub.load_roles = [
    {{
        "name": "team-test",
        "scopes": ["admin:users", "admin:servers", "tokens", "access:servers", "read:hub"],
        "services": ["team-test"],
    }}
]
"""


def _free_ports(count: int) -> list[int]:
    found = []
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    raise RuntimeError(f"fewer than {count} free ports in {PORTS.start}-{PORTS.stop - 1}")


def request(method: str, url: str, token: str | None = None, body=None, headers=None):
    """``(status, decoded JSON or text)`` of one request; HTTP errors are answers too."""
    data = None if body is None else json.dumps(body).encode()
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"token {token}"
    if data is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


class Hub:
    """A JupyterHub subprocess driven through its REST API with an admin service token."""

    def __init__(self, tmp: pathlib.Path, store_url: str, artifact_args: list[str], env: dict):
        self.tmp = tmp
        self.state = tmp / "hub"
        self.homes = tmp / "homes"
        self.state.mkdir()
        self.homes.mkdir()
        ports = _free_ports(5)
        self.port, hub_port, proxy_api_port = ports[:3]
        self.user_ports = {"alice": ports[3], "bob": ports[4]}
        self.token = secrets.token_hex(32)
        args = [
            "--ServerApp.allow_root=True",
            # JupyterHub's own authorizer (hub scopes of a JupyterHubUser), as a deployment
            # refining permissions sets it: API keys and the kernel token must pass it too
            "--ServerApp.authorizer_class=jupyterhub.singleuser.extension.JupyterHubAuthorizer",
            f"--DotscienceApp.store_url={store_url}",
            "--DotscienceApp.spool_interval=0",
            "--DotscienceApp.model_ready_timeout=60",
            *artifact_args,
        ]
        environment = {"PYTHONPATH": str(HERE.parents[1]), **env}
        (self.state / "jupyterhub_config.py").write_text(
            HUB_CONFIG.format(
                port=self.port,
                hub_port=hub_port,
                proxy_api_port=proxy_api_port,
                chp=str(CHP),
                state=self.state,
                homes=self.homes,
                singleuser=SINGLEUSER,
                args=args,
                environment=environment,
                user_ports=self.user_ports,
                service_token=self.token,
            )  # fmt: skip
        )
        self.proc: subprocess.Popen | None = None
        self.log_path = self.state / "jupyterhub.log"
        #: each user's hub API token (:meth:`add_user`)
        self.tokens: dict[str, str] = {}
        #: deployments a test started, stopped before the hub stops
        self.deployments: list[tuple[str, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def start(self) -> Hub:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DOTSCIENCE_", "JPY_"))}
        env["CONFIGPROXY_AUTH_TOKEN"] = secrets.token_hex(16)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [*without_iri("jupyterhub.app"), "-f", str(self.state / "jupyterhub_config.py")],
            cwd=self.state, stdout=self._log, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterHub exited:\n{self.log_tail()}")
            try:
                status, body = self.api("GET", "info")
                if status == 200:
                    return self
                if status in (401, 403):  # the hub answers, but not to our service token
                    raise RuntimeError(f"JupyterHub refused the test's service: {body}")
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"JupyterHub did not start in time:\n{self.log_tail()}")

    def stop(self) -> None:
        for user, dep_id in self.deployments:  # model servers outlive their Jupyter server
            request("DELETE", f"{self.user_url(user)}dotscience/api/deployments/{dep_id}",
                    self.tokens[user])  # fmt: skip
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # the hub stops the servers it spawned (cleanup_servers)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if getattr(self, "_log", None):
            self._log.close()

    def api(self, method: str, path: str, body=None):
        """A request to the hub's REST API as the admin service."""
        return request(method, f"{self.url}hub/api/{path}", self.token, body)

    def add_user(self, name: str) -> str:
        """Create hub user ``name``; an API token of theirs (as a user would make one)."""
        status, body = self.api("POST", f"users/{name}")
        assert status in (201, 409), body
        status, token = self.api("POST", f"users/{name}/tokens", {"note": "team test"})
        assert status == 201, token
        self.tokens[name] = token["token"]
        return token["token"]

    def server_ready(self, name: str) -> bool:
        status, user = self.api("GET", f"users/{name}")
        assert status == 200, user
        server = (user.get("servers") or {}).get("")
        return bool(server and server.get("ready"))

    def start_server(self, name: str) -> None:
        """Spawn ``name``'s single-user server and wait until the hub says it is ready."""
        status, body = self.api("POST", f"users/{name}/server")
        assert status in (201, 202), body
        self._wait(lambda: self.server_ready(name), f"{name}'s server to start")

    def stop_server(self, name: str) -> None:
        """Stop ``name``'s single-user server and wait until it is gone."""
        status, body = self.api("DELETE", f"users/{name}/server")
        assert status in (202, 204), body
        self._wait(lambda: not self.server_ready(name) and self._server_gone(name),
                   f"{name}'s server to stop")  # fmt: skip

    def _server_gone(self, name: str) -> bool:
        status, user = self.api("GET", f"users/{name}")
        return not (user.get("servers") or {}).get("")

    def _wait(self, done, what: str) -> None:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            if done():
                return
            time.sleep(0.3)
        raise AssertionError(f"timed out waiting for {what}:\n{self.log_tail()}")

    def user_url(self, name: str) -> str:
        """The URL of ``name``'s single-user server, through the hub's proxy."""
        return f"{self.url}user/{name}/"


def _chp_installed() -> None:
    if not os.access(CHP, os.X_OK):
        pytest.fail(
            f"configurable-http-proxy is not installed at {CHP}: run `make setup` or "
            "`cd tests/hub && npm install` (the Makefile's tests/hub/node_modules/.stamp).",
            pytrace=False,
        )
