"""A server killed with SIGKILL while clients publish loses no acknowledged run."""

import sqlite3
import threading
import time
import urllib.error
import uuid

import pytest

from .live import LiveServer


@pytest.mark.parametrize(
    "kills",
    [
        pytest.param(1, id="once"),  # make test
        pytest.param(5, id="five-times", marks=pytest.mark.slow),  # make test-long: a loop
    ],
)
def test_sigkill_loses_no_acknowledged_run(tmp_path, kills):
    # Given a real server and four clients publishing runs as fast as they can
    root = tmp_path / "root"
    root.mkdir()
    server = LiveServer(root).start()
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client():
        while not stop.is_set():
            rid = str(uuid.uuid4())
            rec = {"id": rid, "parameters": {"p": {"value": 1, "text": "1"}},
                   "metrics": {"m": [{"value": i, "text": str(i), "step": i,
                                      "time": "2026-11-27T06:30:00Z"} for i in range(50)]}}  # fmt: skip
            try:
                status, _ = server.request("POST", "dotscience/api/runs", rec, timeout=5)
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                stop.wait(0.05)  # the server is down: try again shortly
                continue  # not acknowledged: may or may not be stored
            if status in (200, 201):
                with lock:
                    acknowledged.append(rid)

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for round_ in range(1, kills + 1):
            # When the server is killed mid-stream (after 100 more acknowledged runs)
            deadline = time.monotonic() + 30
            while len(acknowledged) < 100 * round_ and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(acknowledged) >= 100 * round_, "clients did not get going"
            server.kill()
            # And restarted on the same workspace
            server = LiveServer(root, port=server.port).start()
        stop.set()
        for t in threads:
            t.join(10)
        # Then every acknowledged run is there exactly once
        for rid in acknowledged:
            status, run = server.request("GET", f"dotscience/api/runs/{rid}")
            assert status == 200 and run["id"] == rid
    finally:
        stop.set()
        server.stop()
    db = sqlite3.connect(root / ".dotscience" / "dotscience.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    ids = [r[0] for r in db.execute("SELECT id FROM runs")]
    assert len(ids) == len(set(ids))
    assert set(acknowledged) <= set(ids)
