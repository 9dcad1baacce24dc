"""Reproducing a run executes its code: who may start one, what they are told first, and
where a replay may write."""

from __future__ import annotations

import hashlib
import json
import stat
import uuid

import pytest

from jupyterlab_dotscience.store import open_store

from ..reproduce.conftest import Live, handmade, start, wait_for
from .conftest import basic_auth, create_key, responsive_during

ONLY_JUPYTER = "Reproducing a run executes its code; only a Jupyter login may start one."


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = start(tmp_path_factory.mktemp("reproduce-security-root"))
    yield server
    server.server.stop()


def reproductions(live: Live, run_id: str) -> list:
    status, listing = live.api("GET", f"runs/{run_id}/reproductions")
    assert status == 200, listing
    return listing["reproductions"]


def test_api_keys_and_kernel_tokens_may_not_reproduce(live, tmp_path):
    # Given a run of alice's, alice's API key and the token her kernels get
    marker = tmp_path / "ran"
    record = handmade(marker)
    assert live.api("POST", "runs", record)[0] == 201
    key = create_key(live.server, "reproduce")
    path = f"runs/{record['id']}/reproductions"
    for headers in (
        basic_auth("alice", key["key"]),
        {"Authorization": f"Bearer {key['key']}"},
        {"Authorization": f"token {live.kernel_token}"},
    ):
        # When either asks to reproduce it (even confirming)
        status, answer = live.api("POST", path, {"confirm": True}, headers=headers)
        # Then it is refused with the reason, and nothing is queued or run
        assert status == 403, answer
        assert answer["error"] == ONLY_JUPYTER
    assert reproductions(live, record["id"]) == []
    assert not marker.exists()


def test_another_users_run_needs_confirmation_showing_author_and_code(live, tmp_path):
    # Given a run authored by bob (stored by another server sharing this store)
    marker = tmp_path / "ran"
    record = handmade(marker)
    store = open_store("sqlite:///" + str(live.root / ".dotscience" / "dotscience.db"))
    try:
        store.put_run(record, author="bob")
    finally:
        store.close()
    path = f"runs/{record['id']}/reproductions"
    # When alice asks to reproduce it without confirming
    status, answer = live.api("POST", path, {})
    # Then she is told whose run it is and how much code would run; nothing is queued
    assert status == 409, answer
    assert answer["author"] == "bob" and answer["executions"] == 3
    assert "bob" in answer["message"] and "confirm" in answer["message"]
    assert reproductions(live, record["id"]) == [] and not marker.exists()
    # And she can still read bob's code before deciding
    status, executions = live.api("GET", f"runs/{record['id']}/executions")
    assert status == 200 and str(marker) in json.dumps(executions)
    # When she confirms
    rep = live.reproduce(record["id"], confirm=True)
    done = live.wait(record["id"], rep["id"])
    # Then it is reproduced as hers
    assert done["state"] == "done" and done["requested_by"] == "alice"
    assert marker.exists()


@pytest.mark.parametrize(
    "body, sentence",
    [
        ({"tolerance": -0.1}, "tolerance"),
        ({"tolerance": "1%"}, "tolerance"),
        ({"tolerance": True}, "tolerance"),
        ({"confirm": "yes"}, "confirm"),
        ({"keep": 1}, "keep"),
        ({"tolerance": 0, "shell": "rm -rf ~"}, "Unknown field 'shell'"),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_bodies_are_refused_and_start_nothing(live, tmp_path, body, sentence):
    # Given one of alice's runs
    marker = tmp_path / "ran"
    record = handmade(marker)
    assert live.api("POST", "runs", record)[0] == 201
    # When she asks to reproduce it with a malformed body
    status, answer = live.api("POST", f"runs/{record['id']}/reproductions", body)
    # Then it is a 400 naming the problem, and nothing was queued
    assert status == 400 and sentence in answer["error"], answer
    assert reproductions(live, record["id"]) == [] and not marker.exists()


def test_unknown_run_or_reproduction_is_404(live):
    # Given ids that do not exist / When they are asked for / Then 404 with a sentence
    missing = str(uuid.uuid4())
    status, answer = live.api("POST", f"runs/{missing}/reproductions", {})
    assert status == 404 and missing in answer["error"]
    record = handmade("/nonexistent/never")
    assert live.api("POST", "runs", record)[0] == 201
    status, answer = live.api("GET", f"runs/{record['id']}/reproductions/{missing}")
    assert status == 404 and missing in answer["error"]


def test_input_paths_cannot_lead_a_restore_out_of_the_scratch_workspace(live, tmp_path):
    # Given content in the artifact store and a run claiming it as an input at ../ paths
    content = b"planted by a run record\n"
    sha = hashlib.sha256(content).hexdigest()
    status, _ = live.api("PUT", f"artifacts/{sha}", content)
    assert status in (200, 201)
    marker = tmp_path / "ran"
    escapes = ["../escape.txt", "../../escape.txt", "a/../../../escape.txt"]
    record = handmade(marker, inputs=[{"path": p, "sha256": sha, "size": 24} for p in escapes])
    status, stored = live.api("POST", "runs", record)
    assert status == 201, stored
    # When it is reproduced
    rep = live.reproduced(record["id"])
    # Then it is not reproducible, no file was written outside, and the code never ran
    assert rep["verdict"] == "not_reproducible", rep
    assert len(rep["result"]["missing"]) == len(escapes)
    assert all("inside the workspace" in m for m in rep["result"]["missing"])
    dot = live.root / ".dotscience"
    for base in (dot / "reproductions", dot, live.root, live.root.parent):
        assert not (base / "escape.txt").exists()
    assert not marker.exists()


def test_replay_writes_stay_in_its_scratch_workspace(live):
    # Given a run whose notebook writes result.txt ("replay" when it is replayed)
    cells = [
        "import os\nimport pathlib\n\nimport dotscience as ds\n\nds.start('writes')",
        "who = 'original' if os.environ.get('DOTSCIENCE_SERVER_URL') else 'replay'\n"
        "pathlib.Path('result.txt').write_text(who)\nds.output('result.txt')",
        "print(ds.publish('writes')['id'])",
    ]
    run_id = live.execute("writes.ipynb", cells)
    result = live.root / "result.txt"
    before = (result.read_text(), result.stat().st_mtime_ns)
    original = live.run(run_id)
    sha = original["outputs"][0]["sha256"]
    # When it is reproduced, keeping the scratch workspace
    rep = live.reproduced(run_id, keep=True)
    # Then the replay wrote its result.txt in the scratch workspace only
    scratch = live.root / ".dotscience" / "reproductions" / rep["id"]
    assert (scratch / "result.txt").read_text() == "replay"
    assert (result.read_text(), result.stat().st_mtime_ns) == before
    # And the verdict names the output that differs; the original's artifact is intact
    assert rep["verdict"] == "differs", rep
    (difference,) = rep["result"]["differences"]
    assert difference["kind"] == "output" and difference["name"] == "result.txt"
    status, raw = live.api("GET", f"artifacts/{sha}")
    assert status == 200 and raw == b"original"


def test_api_keys_read_reproductions_without_the_servers_paths(live, tmp_path):
    # Given a reproduction whose replay failed with the scratch workspace's path as its error
    marker = tmp_path / "ran"
    record = handmade(marker, author_code="; import os; raise RuntimeError(os.getcwd())")
    assert live.api("POST", "runs", record)[0] == 201
    rep = live.reproduced(record["id"])
    assert rep["verdict"] == "failed" and str(live.root) in rep["result"]["failed"]["error"]
    key = create_key(live.server, "reader")
    # When an API key reads it
    path = f"runs/{record['id']}/reproductions/{rep['id']}"
    status, seen = live.api("GET", path, headers=basic_auth("alice", key["key"]))
    # Then it sees the verdict and the error with the workspace's path replaced
    assert status == 200 and seen["verdict"] == "failed"
    assert str(live.root) not in json.dumps(seen)
    assert "<workspace>/.dotscience/reproductions/" in seen["result"]["failed"]["error"]
    # And it may not cancel one; the kernel token may not even read them
    status, answer = live.api("DELETE", path, headers=basic_auth("alice", key["key"]))
    assert status == 403 and "Jupyter login" in answer["error"]
    status, answer = live.api("GET", path, headers={"Authorization": f"token {live.kernel_token}"})
    assert status == 403 and answer["error"] == "The kernel token may only publish runs."


def test_links_planted_by_a_replay_are_not_followed_by_the_server(live, tmp_path):
    # Given a file outside the workspace, and a run whose replay plants links to it where the
    # server writes (the executed notebook) and deletes (a read-only directory)
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    precious.chmod(0o640)
    cells = [
        "import os\n\nimport dotscience as ds\n\nds.start('plants links')",
        "if not os.environ.get('DOTSCIENCE_SERVER_URL'):\n"
        f"    os.symlink({str(precious)!r}, '.dotscience/reproduce/replay.executed.ipynb')\n"
        "    os.makedirs('ro')\n"
        f"    os.symlink({str(precious)!r}, 'ro/link')\n"
        "    os.chmod('ro', 0o500)",
        "print(ds.publish('plants links')['id'])",
    ]
    run_id = live.execute("plants-links.ipynb", cells)
    # When it is reproduced (and its scratch workspace removed)
    rep = live.reproduced(run_id)
    assert rep["verdict"] == "identical", rep
    scratch = live.root / ".dotscience" / "reproductions" / rep["id"]
    assert wait_for(lambda: not scratch.exists())
    # Then the file the links pointed to is as it was: content and mode
    assert precious.read_text() == "keep me"
    assert stat.S_IMODE(precious.stat().st_mode) == 0o640


def test_a_replay_cannot_make_the_server_read_another_file_as_its_log(live, tmp_path):
    # Given a secret file, and a run whose replay swaps its log for a link to that file and
    # then kills the process that runs it
    secret = tmp_path / "secret.txt"
    secret.write_text("the secret line")
    cells = [
        "import os\n\nimport dotscience as ds\n\nds.start('swaps its log')",
        "if not os.environ.get('DOTSCIENCE_SERVER_URL'):\n"
        "    log = '.dotscience/reproduce/replay.log'\n"
        f"    os.unlink(log)\n    os.symlink({str(secret)!r}, log)\n"
        "    os.kill(os.getppid(), 9)",
        "print(ds.publish('swaps its log')['id'])",
    ]
    run_id = live.execute("swaps-log.ipynb", cells)
    # When it is reproduced
    rep = live.reproduced(run_id)
    # Then it failed, and the error shown is not the secret file's content
    assert rep["verdict"] == "failed", rep
    assert "signal 9" in rep["result"]["failed"]["error"]
    assert "the secret line" not in json.dumps(rep)


def test_other_clients_are_answered_while_a_replay_runs(live):
    # Given a run whose replay takes a few seconds
    cells = [
        "import os\nimport time\n\nimport dotscience as ds\n\nds.start('slow replay')",
        "if not os.environ.get('DOTSCIENCE_SERVER_URL'):\n    time.sleep(4)",
        "print(ds.publish('slow replay')['id'])",
    ]
    run_id = live.execute("slow-replay.ipynb", cells)

    def reproduce():
        return live.reproduced(run_id)

    # When it is reproduced, other clients list runs meanwhile (the store's executor)
    rep = responsive_during(live.server, reproduce, path="dotscience/api/runs")
    # Then they were answered promptly throughout, and the reproduction finished
    assert rep["verdict"] == "identical", rep
