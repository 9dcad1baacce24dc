"""The sweeps REST API on a live server: start, follow, list, cancel; and a server restart."""

from __future__ import annotations

import json
import time

import pytest

from ..security.conftest import http, start_live, token_auth
from ..server.openapi import validate_response
from .conftest import DEADLINE, write_notebook, write_slow_notebook

QUICK = ["import dotscience as ds\nds.start()\nx = ds.parameter('x', 1)\n"
         "ds.metric('score', x * 2)\nds.publish()"]  # fmt: skip


def api(server, method, path, body=None):
    """``(status, body)`` of a request with the Jupyter token, checked against openapi.yaml."""
    status, answer = http(method, server.url + "dotscience/api/" + path, body, token_auth(server))
    validate_response("/" + path.split("?")[0], method, status, answer)
    return status, answer


def follow(server, sweep_id, until=lambda s: s["state"] != "running") -> dict:
    end = time.monotonic() + DEADLINE
    while True:
        status, sweep = api(server, "GET", f"sweeps/{sweep_id}")
        assert status == 200, sweep
        if until(sweep):
            return sweep
        assert time.monotonic() < end, f"the sweep did not get there in time: {sweep}"
        time.sleep(0.3)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = start_live(tmp_path_factory.mktemp("sweeps-root"))
    yield server
    server.stop()


def test_a_sweep_started_over_the_api_is_followed_to_its_end(live):
    # Given a notebook in the server's workspace
    write_notebook(live.root / "quick.ipynb", QUICK)
    # When a grid sweep of it is started with a Jupyter login (the spec as W&B YAML)
    spec = ("method: grid\nmetric: {name: score, goal: maximize}\n"
            "parameters:\n  x: {values: [1, 2, 3]}\nparallelism: 2\n")  # fmt: skip
    status, sweep = api(live, "POST", "sweeps", {"notebook": "quick.ipynb", "spec": spec})
    # Then it is accepted, running, with the spec as it was understood
    assert status == 202, sweep
    assert sweep["state"] == "running" and sweep["owner"] == "alice"
    assert sweep["spec"]["run_cap"] == 3 and "values:" in sweep["spec_yaml"]
    # And followed to its end it has three finished trials, the best (x = 3) marked
    done = follow(live, sweep["id"])
    assert done["state"] == "done" and done["counts"]["done"] == 3
    best = [t for t in done["trials"] if t["best"]]
    assert [t["values"]["x"] for t in best] == [3] and done["best"]["value"] == 6
    # And every trial's run is an ordinary run, found by the sweep's label
    status, runs = http("GET", live.url + f"dotscience/api/runs?label=sweep:{sweep['id']}",
                        headers=token_auth(live))  # fmt: skip
    assert status == 200
    assert {r["id"] for r in runs["runs"]} == {t["run_id"] for t in done["trials"]}
    # And the sweep is listed (for its notebook), and cannot be cancelled any more
    status, listed = api(live, "GET", "sweeps?notebook=quick.ipynb")
    assert [s["id"] for s in listed["sweeps"]] == [sweep["id"]]
    status, answer = api(live, "POST", f"sweeps/{sweep['id']}/cancel")
    assert status == 409 and "finished already" in answer["error"]


def test_a_server_restart_reports_the_running_trial_and_never_starts_it_again(tmp_path):
    # Given a server running a sweep whose first trial sleeps for ten minutes
    root = tmp_path / "root"
    root.mkdir()
    pids = tmp_path / "pids.txt"
    write_slow_notebook(root / "slow.ipynb", pids)
    server = start_live(root)
    try:
        spec = {"method": "grid", "parameters": {"wait": {"values": [600, 601, 602]}}}
        status, sweep = api(server, "POST", "sweeps", {"notebook": "slow.ipynb", "spec": spec})
        assert status == 202, sweep
        end = time.monotonic() + DEADLINE
        while not (pids.exists() and pids.read_text().strip()):
            assert time.monotonic() < end, "the first trial's kernel never started"
            time.sleep(0.2)
        # When the server is killed and started again on the same workspace
        server.kill()
        server.start()
        # Then the sweep is reported stopped, its running trial failed with a sentence saying
        # why, and no trial was started again or after it
        status, after = api(server, "GET", f"sweeps/{sweep['id']}")
        assert after["state"] == "stopped", after
        assert [t["state"] for t in after["trials"]] == ["failed"]
        assert "server stopped" in after["trials"][0]["error"]
        assert "none was started again" in after["message"]
        time.sleep(2)  # (a trial started again would have written its pid by now)
        status, later = api(server, "GET", f"sweeps/{sweep['id']}")
        assert len(later["trials"]) == 1 and len(pids.read_text().split()) == 1
    finally:
        server.stop()


def test_the_cli_runs_a_sweep_and_shows_and_cancels_it(live, capsys, tmp_path, monkeypatch):
    from dotscience.cli import main

    def cli(*args):
        try:
            code = main(["sweep", *args, "--hostname", live.url, "--token", live.token,
                         "--interval", "0.2"])  # fmt: skip
        except SystemExit as e:  # argparse usage errors
            code = e.code
        out, err = capsys.readouterr()
        return code, out, err

    # Given a notebook in the workspace and a W&B-style spec file beside it
    write_notebook(live.root / "cli" / "nb.ipynb", QUICK)
    spec = tmp_path / "sweep.yaml"
    spec.write_text("method: grid\nmetric: {name: score, goal: minimize}\n"
                    "parameters:\n  x: {values: [4, 5]}\n")  # fmt: skip
    # When `dotscience sweep NOTEBOOK --spec FILE --json` runs from the workspace root
    monkeypatch.chdir(live.root)
    code, out, err = cli("cli/nb.ipynb", "--spec", str(spec), "--json")
    # Then it follows the sweep to its end and prints it as JSON (exit 0)
    assert code == 0, err
    sweep = json.loads(out)
    assert sweep["state"] == "done" and sweep["notebook"] == "cli/nb.ipynb"
    assert sweep["best"]["value"] == 8 and len(sweep["trials"]) == 2
    # And `sweep status ID` shows its trials with the best one starred
    code, out, _ = cli("status", sweep["id"])
    assert code == 0 and "Best: trial 0" in out and "* 0" in out and "done" in out
    # And `sweep cancel ID` of a finished sweep fails with the server's sentence
    code, _, err = cli("cancel", sweep["id"])
    assert code == 1 and "finished already" in err
    # And a sweep without a spec file, or of a file that is not a notebook, is a clear error
    code, _, err = cli("cli/nb.ipynb")
    assert code == 1 and "--spec FILE is required" in err
    code, _, err = cli("train.py", "--spec", str(spec))
    assert code == 1 and "is not a notebook" in err
