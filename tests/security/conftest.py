"""Security suite: attacks on a live Jupyter server with the extension, made the way an
attacker holding an API key (or a local account) would make them.

Each test asserts that the attack is refused, that nothing it planted ran (a marker file
that must not appear), that no data was lost, and, where the attack costs the server work,
that other clients were still answered meanwhile (:func:`responsive_during`).
"""

from __future__ import annotations

import statistics
import threading
import time
import urllib.request

import pytest

from ..remote.conftest import (
    _isolated,  # noqa: F401 - the same autouse isolation
    basic_auth,
    clean_env,
    create_key,
    http,
    token_auth,
)
from ..server.live import LiveServer

__all__ = [
    "basic_auth",
    "clean_env",
    "create_key",
    "http",
    "responsive_during",
    "start_live",
    "token_auth",
]


def start_live(root, *extra_args: str) -> LiveServer:
    """A started :class:`LiveServer` rooted at ``root`` whose configured user is alice."""
    server = LiveServer(root)
    server.extra_args = ["--DotscienceApp.kernel_user=alice", *extra_args]
    return server.start()


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """One live server per test module (alice is its Jupyter user)."""
    server = start_live(tmp_path_factory.mktemp("security-root"))
    yield server
    server.stop()


def _latency(server: LiveServer, path: str = "dotscience/api/version") -> float:
    req = urllib.request.Request(server.url + path, headers=token_auth(server))
    start = time.perf_counter()
    with urllib.request.urlopen(req, timeout=30) as resp:
        resp.read()
    return time.perf_counter() - start


def responsive_during(
    server: LiveServer, attack, *, limit: float = 0.1, path: str = "dotscience/api/version"
):
    """Run ``attack()`` in a thread while timing other clients' requests to ``server``.

    Asserts that other requests were answered while the attack was still in progress (so
    the server did not stall on it) and that their median latency is at most ``limit``
    seconds (the median, so one scheduling hiccup on a busy machine does not decide).
    ``path`` is the request timed (default ``dotscience/api/version``; a route that reads the
    store, e.g. ``dotscience/api/runs``, also shows a starved store executor).
    Returns ``attack()``'s result (its exception is re-raised).
    """
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = attack()
        except BaseException as e:  # re-raised in the test's thread
            outcome["error"] = e

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    during: list[float] = []
    while thread.is_alive():
        latency = _latency(server, path)
        if thread.is_alive():
            during.append(latency)
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    assert during, "the attack finished before any other request could be timed"
    assert statistics.median(during) <= limit, (
        f"other clients waited a median {statistics.median(during) * 1000:.0f} ms "
        f"(limit {limit * 1000:.0f} ms) while the attack ran: {len(during)} requests"
    )
    return outcome.get("value")
