"""Team servers share one store: a sweep cancelled on a server that is not the one running it
is stopped by the server running it (its running trial killed, no later trial started)."""

from __future__ import annotations

import time

from ..security.conftest import start_live
from .conftest import alive, write_slow_notebook
from .test_api import api

#: Seconds the running server may take to notice a cancel made on another server (it looks
#: at the sweep's row about once a second; generous for a loaded machine)
NOTICE = 90


def test_a_sweep_cancelled_on_another_server_stops_there_too(tmp_path):
    # Given two servers on one workspace (one store), the first running a sweep whose trials
    # sleep for ten minutes, each kernel writing its process id first
    root = tmp_path / "root"
    root.mkdir()
    pids = tmp_path / "pids.txt"
    write_slow_notebook(root / "slow.ipynb", pids)
    running, other = start_live(root), start_live(root)
    try:
        spec = {"method": "grid", "parameters": {"wait": {"values": [600, 601, 602]}},
                "parallelism": 1}  # fmt: skip
        status, sweep = api(running, "POST", "sweeps", {"notebook": "slow.ipynb", "spec": spec})
        assert status == 202, sweep
        end = time.monotonic() + 240
        while not (pids.exists() and pids.read_text().strip()):
            assert time.monotonic() < end, "the first trial's kernel never started"
            time.sleep(0.2)
        sleeping = int(pids.read_text().split()[0])
        # When the other server cancels the sweep
        status, marked = api(other, "POST", f"sweeps/{sweep['id']}/cancel")
        # Then it answers that the sweep is cancelled
        assert status == 200 and marked["state"] == "cancelled", marked
        # And the server running it stops its running trial (cancelled, without a run)
        end = time.monotonic() + NOTICE
        while True:
            status, seen = api(running, "GET", f"sweeps/{sweep['id']}")
            if seen["trials"] and seen["trials"][0]["state"] != "running":
                break
            assert time.monotonic() < end, f"the running server never stopped it: {seen}"
            time.sleep(0.3)
        assert seen["state"] == "cancelled", seen
        assert [t["state"] for t in seen["trials"]] == ["cancelled"], seen["trials"]
        assert seen["trials"][0]["run_id"] is None
        assert seen["counts"]["cancelled"] == 1 and seen["counts"]["running"] == 0
        # And kills that trial's kernel
        end = time.monotonic() + 30
        while alive(sleeping):
            assert time.monotonic() < end, "the cancelled trial's kernel is still running"
            time.sleep(0.2)
        # And starts no later trial
        time.sleep(2)  # (a trial started after the cancel would have written its pid by now)
        status, later = api(other, "GET", f"sweeps/{sweep['id']}")
        assert len(later["trials"]) == 1 and len(pids.read_text().split()) == 1
    finally:
        other.stop()
        running.stop()
