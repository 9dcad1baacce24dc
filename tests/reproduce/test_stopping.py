"""A replay that hangs is stopped after the timeout, one can be cancelled, and a server
restart in the middle marks the reproduction failed without ever running it again."""

from __future__ import annotations

import time

import pytest

from .conftest import pid_alive, start, wait_for

TIMEOUT = 30  # seconds: ample for a kernel to start on a loaded machine


def hanging_cells(marker) -> list[str]:
    """A notebook whose second cell, when replayed (no server URL in the replay), appends
    its kernel's pid to ``marker`` and sleeps for ten minutes."""
    return [
        "import os\nimport time\n\nimport dotscience as ds\n\nds.start('hangs when replayed')",
        "if not os.environ.get('DOTSCIENCE_SERVER_URL'):\n"
        f"    with open({str(marker)!r}, 'a') as f:\n"
        "        f.write(f'{os.getpid()}\\n')\n"
        "    time.sleep(600)",
        "print(ds.publish('hangs when replayed')['id'])",
    ]


def pids(marker) -> list[int]:
    return [int(x) for x in marker.read_text().split()] if marker.exists() else []


@pytest.fixture(scope="module")
def short(tmp_path_factory):
    """A live server whose replays may run for TIMEOUT seconds."""
    server = start(
        tmp_path_factory.mktemp("short-root"), f"--DotscienceApp.reproduce_timeout={TIMEOUT}"
    )
    yield server
    server.server.stop()


def test_hanging_replay_is_stopped_after_the_timeout(short, tmp_path):
    # Given a run whose replay hangs in its second cell
    marker = tmp_path / "pids"
    run_id = short.execute("hangs.ipynb", hanging_cells(marker))
    # When it is reproduced on a server with a short reproduce_timeout
    rep = short.reproduce(run_id)
    assert wait_for(lambda: pids(marker), TIMEOUT * 3), "the replay never reached its cell 2"
    rep = short.wait(run_id, rep["id"])
    # Then the reproduction failed at that cell, saying it was stopped after the timeout
    assert rep["state"] == "done" and rep["verdict"] == "failed", rep
    failed = rep["result"]["failed"]
    assert failed["cell"] == 2 and f"stopped after {TIMEOUT} seconds" in failed["error"]
    # And the replay's kernel is gone, and so is the scratch workspace
    (kernel,) = pids(marker)
    assert wait_for(lambda: not pid_alive(kernel), 30), f"kernel {kernel} still runs"
    assert wait_for(lambda: not (short.root / ".dotscience" / "reproductions" / rep["id"]).exists())


def test_cancel_stops_a_running_replay(short, tmp_path):
    # Given a reproduction whose replay is running (hanging in its second cell)
    marker = tmp_path / "pids"
    run_id = short.execute("cancel.ipynb", hanging_cells(marker))
    rep = short.reproduce(run_id)
    assert wait_for(lambda: pids(marker), TIMEOUT * 3), "the replay never reached its cell 2"
    # Then its progress shows: running, cell 1 of 3 done
    running = short.wait(run_id, rep["id"], 60, until=lambda r: r["cell"] >= 1)
    assert (running["state"], running["cell"], running["cells"]) == ("running", 1, 3)
    # When it is cancelled
    status, cancelled = short.api("DELETE", f"runs/{run_id}/reproductions/{rep['id']}")
    # Then it is cancelled at once, without a verdict, and its kernel is killed
    assert status == 200 and cancelled["state"] == "cancelled", cancelled
    assert cancelled["verdict"] is None and cancelled["finished"]
    (kernel,) = pids(marker)
    assert wait_for(lambda: not pid_alive(kernel), 30), f"kernel {kernel} still runs"
    # And it stays cancelled; the run has no verdict; cancelling again is refused
    assert wait_for(lambda: not (short.root / ".dotscience" / "reproductions" / rep["id"]).exists())
    assert short.wait(run_id, rep["id"])["state"] == "cancelled"
    assert short.run(run_id)["verdict"] is None
    status, again = short.api("DELETE", f"runs/{run_id}/reproductions/{rep['id']}")
    assert status == 409 and "finished" in again["error"]


@pytest.mark.parametrize("keep", [False, True], ids=["scratch-deleted", "scratch-kept"])
def test_server_restart_mid_reproduction_marks_it_failed_and_never_restarts_it(
    tmp_path_factory, tmp_path, keep
):
    # Given a reproduction whose replay is running on a server (asked to keep its scratch
    # workspace, or not)
    live = start(tmp_path_factory.mktemp("restart-root"))
    marker = tmp_path / "pids"
    try:
        run_id = live.execute("restart.ipynb", hanging_cells(marker))
        rep = live.reproduce(run_id, keep=keep)
        assert wait_for(lambda: pids(marker), 120), "the replay never reached its cell 2"
        # When the server is killed and started again
        live.server.kill()
        (kernel,) = pids(marker)
        assert wait_for(lambda: not pid_alive(kernel), 30), "the orphaned replay kept running"
        live.server.start()
        # Then the reproduction is finished as failed, saying the server stopped
        status, after = live.api("GET", f"runs/{run_id}/reproductions/{rep['id']}")
        assert status == 200 and after["state"] == "done", after
        assert after["verdict"] == "failed"
        assert "server stopped" in after["result"]["failed"]["error"]
        assert live.run(run_id)["verdict"] == "failed"
        # And the scratch workspace the killed server left behind is deleted, unless the
        # reproduction was asked to keep it
        scratch = live.root / ".dotscience" / "reproductions" / rep["id"]
        if keep:
            assert (scratch / ".dotscience" / "reproduce").is_dir()
        else:
            assert not scratch.exists(), sorted(p.name for p in scratch.iterdir())
        # And it is never run again
        time.sleep(3)
        assert len(pids(marker)) == 1
        assert live.api("GET", f"runs/{run_id}/reproductions/{rep['id']}")[1] == after
    finally:
        live.server.stop()
