"""The test harness itself: servers that tests start in parallel (pytest-xdist workers) never
share a port, and a server whose port was taken meanwhile starts on another one."""

from __future__ import annotations

import socket

import pytest

from .live import LiveServer, free_port


def _ephemeral_low() -> int:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        return int(f.read().split()[0])


def test_parallel_workers_take_ports_from_disjoint_blocks(monkeypatch):
    # Given two pytest-xdist workers
    got = {}
    for worker in ("gw0", "gw1"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        # When each asks for 30 ports for the servers its tests start
        got[worker] = [free_port() for _ in range(30)]
    # Then no port is handed out twice, within one worker or across the two
    ports = got["gw0"] + got["gw1"]
    assert len(set(ports)) == len(ports)
    assert not set(got["gw0"]) & set(got["gw1"])
    # And none lies where the kernel picks ports for client connections, so no connection
    # a test makes can take a port before its server binds it
    assert max(ports) < _ephemeral_low()


def test_a_server_whose_chosen_port_was_taken_starts_on_another(tmp_path):
    # Given a server about to start on the port it chose, which another program takes first
    root = tmp_path / "root"
    root.mkdir()
    server = LiveServer(root)
    taken = server.port
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", taken))
        squatter.listen()
        try:
            # When it starts
            server.start()
            # Then it answers on another port
            status, version = server.request("GET", "dotscience/api/version")
            assert status == 200 and version["root_dir"] == str(root)
            assert server.port != taken
            # And its runtime files are beside its root, not in the runtime directory the
            # servers of parallel workers share
            runtime = tmp_path / f"runtime-{server.port}"
            assert (runtime / f"jpserver-{server.proc.pid}.json").is_file()
            assert (runtime / f"dotscience-kernel-path-{version['version']}").is_dir()
        finally:
            server.stop()
        # And a server told to use that port fails with a sentence naming the port
        pinned = LiveServer(root, port=taken)
        with pytest.raises(RuntimeError, match=f"port {taken} is in use"):
            pinned.start()
