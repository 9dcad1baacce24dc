"""A script publishes to a real hub with a real API key; offline it spools, then syncs."""

from __future__ import annotations

import hashlib
import json
import re

from jupyterlab_dotscience import keys
from jupyterlab_dotscience.store import open_store

from ..server.live import LiveServer, free_port
from .conftest import create_key, dotscience, http, run_script, token_auth, write_script

RUN_ID = re.compile(r"Published run ([0-9a-f-]{36})")


def key_in_store(root, username: str) -> dict:
    """An API key written straight into the hub's (not yet running) SQLite store."""
    with open_store(f"sqlite:///{root / '.dotscience' / 'dotscience.db'}") as store:
        secret, row = keys.new_key(username, "offline")
        return {**store.put_api_key(row), "key": secret}


def get_run(server, run_id):
    status, run = http(
        "GET", f"{server.url}dotscience/api/runs/{run_id}", headers=token_auth(server)
    )
    assert status == 200, run
    return run


def test_script_publishes_run_argv_git_and_outputs(hub, tmp_path):
    # Given a key made in JupyterLab and a training script in its own git repository
    key = create_key(hub, "laptop")
    work = tmp_path / "project"
    commit = write_script(work)
    # When the script runs with `python train.py --epochs 3`
    proc = run_script(work, hub.url, "alice", key["key"])
    # Then it succeeds and says where the run went
    assert proc.returncode == 0, proc.stderr
    run_id = RUN_ID.search(proc.stdout).group(1)
    # And the hub's history has the run as a script run with its arguments and git commit
    run = get_run(hub, run_id)
    assert run["mode"] == "script" and run["workload_file"] == "train.py"
    assert run["argv"] == ["train.py", "--epochs", "3"]
    assert run["environment"]["git"]["commit"] == commit
    assert run["author"] == "alice" and run["project"] == "iris"
    assert run["parameters"]["epochs"]["value"] == 3
    # And the output file was uploaded: it downloads by its hash with the same bytes
    data = (work / "model.txt").read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    assert [o["sha256"] for o in run["outputs"]] == [sha]
    status, body = http("GET", f"{hub.url}dotscience/api/artifacts/{sha}", headers=token_auth(hub))
    assert status == 200 and body == data
    # And it is listed in the history like a notebook run
    status, page = http(
        "GET", f"{hub.url}dotscience/api/runs?project=iris", headers=token_auth(hub)
    )
    assert run_id in [r["id"] for r in page["runs"]]


def test_offline_script_spools_and_sync_sends_once(tmp_path):
    # Given a hub (down for now) whose store already knows a key
    root, port = tmp_path / "hub", free_port()
    key = key_in_store(root, "alice")
    server = LiveServer(root, port=port)
    work = tmp_path / "project"
    write_script(work)
    try:
        # When the script runs while the hub is down
        proc = run_script(work, server.url, key["username"], key["key"])
        # Then it still exits 0, with clear sentences and no traceback
        assert proc.returncode == 0, proc.stderr
        assert "Traceback" not in proc.stderr + proc.stdout
        assert "connection refused" in proc.stdout and "dotscience sync" in proc.stdout
        spooled = list((work / ".dotscience" / "spool").glob("*.json"))
        assert len(spooled) == 1
        run_id = spooled[0].stem
        # When the hub is back and `dotscience sync` runs
        server = LiveServer(root, port=port).start()
        creds = ["--hostname", server.url, "--username", key["username"], "--apikey", key["key"]]
        first = dotscience("sync", *creds, "--json", cwd=work, home=tmp_path)
        # Then the run is sent once, with its output uploaded
        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout) == {
            "sent": [run_id],
            "already": [],
            "rejected": [],
            "uploaded": 1,
        }
        run = get_run(server, run_id)
        assert run["argv"] == ["train.py", "--epochs", "3"]
        sha = run["outputs"][0]["sha256"]
        status, body = http("GET", f"{server.url}dotscience/api/artifacts/{sha}",
                            headers=token_auth(server))  # fmt: skip
        assert status == 200 and body == (work / "model.txt").read_bytes()
        # And a second sync sends nothing
        second = dotscience("sync", *creds, cwd=work, home=tmp_path)
        assert second.returncode == 0 and second.stdout.strip() == "Nothing to sync."
        status, page = http("GET", f"{server.url}dotscience/api/runs", headers=token_auth(server))
        assert [r["id"] for r in page["runs"]] == [run_id]
    finally:
        server.stop()


def test_spooled_run_the_hub_rejects_is_moved_aside(hub, tmp_path):
    # Given a spooled run the server cannot accept (an unknown mode)
    key = create_key(hub)
    spool = tmp_path / ".dotscience" / "spool"
    spool.mkdir(parents=True)
    bad = "0f8fad5b-d9cb-469f-a165-70867728950e"
    (spool / f"{bad}.json").write_text(json.dumps({"id": bad, "mode": "telepathy"}))
    # When syncing
    proc = dotscience("sync", "--hostname", hub.url, "--apikey", key["key"],
                      cwd=tmp_path, home=tmp_path)  # fmt: skip
    # Then it exits 1, says why, and the run is moved to spool/rejected with the reason
    assert proc.returncode == 1
    assert "rejected" in proc.stdout and "mode" in proc.stdout
    assert not (spool / f"{bad}.json").exists()
    assert "mode" in (spool / "rejected" / f"{bad}.json.reason").read_text()


def test_an_output_over_the_hubs_size_limit_is_named_and_not_retried(hub, tmp_path):
    # Given a script whose output is three times the hub's 1,000,000-byte artifact limit
    key = create_key(hub, "big output")
    work = tmp_path / "project"
    write_script(work, git=False)
    script = work / "train.py"
    small = 'f.write(f"weights after {epochs} epochs")'
    assert small in script.read_text()
    script.write_text(script.read_text().replace(small, 'f.write("w" * 3_000_000)'))
    # When it runs
    proc = run_script(work, hub.url, "alice", key["key"])
    # Then the run is published, and the script says why its output was not uploaded
    assert proc.returncode == 0, proc.stderr
    assert RUN_ID.search(proc.stdout), proc.stdout
    assert (
        "Output model.txt was not uploaded: it is 3,000,000 bytes, over the server's artifact "
        "size limit of 1,000,000.\n" in proc.stdout
    ), proc.stdout
    # And it was not sent (the hub's log has no upload of it), nor left for `dotscience sync`
    sha = hashlib.sha256(b"w" * 3_000_000).hexdigest()
    with open(hub.log_path, errors="replace") as log:
        assert f"PUT /dotscience/api/artifacts/{sha}" not in log.read()
    pending = work / ".dotscience" / "spool" / "uploads"
    assert not pending.exists() or not list(pending.iterdir())
