"""Teams on a real JupyterHub (issue 15): two hub users, alice and bob, each with a
single-user server running this extension on one shared PostgreSQL store.

Every request goes through the hub's proxy with the user's own hub token, so each server
learns who is asking from the hub, as in a team's deployment.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import pathlib
import re
import subprocess
import time
import urllib.request
import uuid

import pytest

from dotscience.cli import main as cli_main
from tests.artifacts.s3server import CREDENTIALS, S3Server
from tests.models.conftest import model_server_pids
from tests.remote.conftest import put_head, read_answer

from .conftest import Hub, _chp_installed, request
from .kernel import run_in_kernel

USERS = ("alice", "bob")

#: A notebook cell that trains a model and publishes it (project default, the team's).
TRAIN_FROM_NOTEBOOK = """\
import os, joblib, sklearn
import dotscience as ds
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
X, y = load_iris(return_X_y=True)
ds.start()
os.makedirs("iris", exist_ok=True)
joblib.dump(LogisticRegression(max_iter=500).fit(X, y), "iris/model.joblib")
ds.model(sklearn, "{model}", "iris/model.joblib")
run = ds.publish("alice trains {model}")
print("RUN", run["id"])
"""

PUBLISH_FROM_NOTEBOOK = """\
import dotscience as ds
ds.start()
ds.parameter("alpha", 0.5)
ds.metric("accuracy", 0.93)
run = ds.publish("{description}")
print("RUN", run["id"])
"""


@dataclasses.dataclass
class Team:
    hub: Hub
    tokens: dict[str, str]
    bucket: str

    def api(self, user: str, method: str, path: str, body=None, server: str | None = None,
            headers=None):  # fmt: skip
        """A request to ``server``'s (default: ``user``'s own) Dotscience API with
        ``user``'s hub token, or with ``headers`` instead when given."""
        url = self.hub.user_url(server or user) + "dotscience/api/" + path
        token = None if headers else self.tokens[user]
        return request(method, url, token, body, headers)

    def check_extension(self, user: str) -> None:
        """Fail, with the hub's log, unless ``user``'s server runs this extension."""
        status, body = self.api(user, "GET", "version")
        assert status == 200, f"{user}'s server has no Dotscience API:\n{self.hub.log_tail()}"


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    """The S3-compatible test server (moto in server mode) the team's artifacts go to."""
    server = S3Server(tmp_path_factory.mktemp("moto")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def team(tmp_path_factory, pg_server, s3):
    """The hub with alice's and bob's servers running on one PostgreSQL store and one S3
    bucket for artifacts."""
    _chp_installed()
    tmp = tmp_path_factory.mktemp("team")
    store_url = pg_server.create_database("hub")
    bucket = s3.new_bucket()
    artifacts = [
        f"--DotscienceApp.artifact_root=s3://{bucket}/team",
        f"--DotscienceApp.artifact_s3_endpoint_url={s3.endpoint_url}",
        "--DotscienceApp.container_builder=none",
        # small enough to send a larger file through the proxy in a test
        "--DotscienceApp.max_artifact_bytes=8000000",
    ]
    # boto3 finds the bucket's credentials in the servers' environment, as in production
    env = {**CREDENTIALS, "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    hub = Hub(tmp, store_url, artifacts, env)
    try:
        hub.start()
        tokens = {name: hub.add_user(name) for name in USERS}
        team = Team(hub, tokens, bucket)
        for name in USERS:
            hub.start_server(name)
            team.check_extension(name)
        yield team
    finally:
        hub.stop()
        stop_model_servers(hub.homes / "alice")


def stop_model_servers(root) -> None:
    """Stop the model servers a test left behind in ``root`` (found by their command line)."""
    import pathlib

    from jupyterlab_dotscience.models.supervisor import Process, model_server_pids

    for pid in model_server_pids(pathlib.Path(str(root), ".dotscience", "deployments")).values():
        Process(pid).stop(grace=2)


def wait_for(check, what: str, timeout: float = 120.0):
    """Poll ``check`` until it returns something truthy (generous deadline); that value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def predicts(url: str, model: str) -> bool:
    """Whether the model server at ``url`` answers a prediction for one iris flower."""
    body = json.dumps({"instances": [[5.1, 3.5, 1.4, 0.2]]}).encode()
    req = urllib.request.Request(url + f"v1/models/{model}:predict", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())["predictions"] == [0]


def publish_from_notebook(team: Team, user: str, description: str) -> str:
    """Publish a run from a notebook kernel on ``user``'s server; its id."""
    code = PUBLISH_FROM_NOTEBOOK.format(description=description)
    output = run_in_kernel(team.hub.user_url(user), team.tokens[user], code)
    ids = [line.split()[1] for line in output.splitlines() if line.startswith("RUN ")]
    assert ids, output
    return ids[0]


def basic(user: str, key: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{key}".encode()).decode()}


def test_bob_sees_alices_notebook_run_as_hers_and_cannot_change_it(team):
    # Given a run alice published from a notebook kernel on her server
    run_id = publish_from_notebook(team, "alice", "alice's notebook run")
    # When bob reads it on his own server, and tries to change and delete it
    status, run = team.api("bob", "GET", f"runs/{run_id}")
    snapshot = {"path": "bob.ipynb", "content": {"cells": [], "metadata": {}}}
    changed = team.api("bob", "PUT", f"runs/{run_id}/notebook", snapshot)
    deleted = team.api("bob", "DELETE", f"runs/{run_id}")
    # Then he sees it, authored by alice (her hub name), and can do neither
    assert status == 200, run
    assert run["author"] == "alice" and run["description"] == "alice's notebook run"
    assert changed[0] == 403 and "(alice)" in changed[1]["error"]
    assert deleted[0] in (403, 405)
    status, again = team.api("alice", "GET", f"runs/{run_id}")
    assert status == 200 and again["author"] == "alice"
    assert again.get("notebook") != "bob.ipynb"


def test_bob_cannot_use_or_revoke_alices_key(team):
    # Given alice's API key, made on her server with her hub login
    status, key = team.api("alice", "POST", "keys", {"name": "laptop"})
    assert status == 201, key
    assert key["username"] == "alice"
    # When bob presents it as himself, and revokes it from his server
    as_bob = team.api("bob", "GET", "runs", headers=basic("bob", key["key"]))
    revoked = team.api("bob", "DELETE", f"keys/{key['id']}")
    # Then both are refused, and the key still works for alice on either server (it passes
    # the hub's authorizer: not a server error)
    assert as_bob[0] == 401 and "does not belong to user 'bob'" in as_bob[1]["error"]
    assert revoked[0] == 403 and "belongs to alice" in revoked[1]["error"]
    for server in USERS:
        status, body = team.api("alice", "GET", "runs", server=server,
                                headers=basic("alice", key["key"]))  # fmt: skip
        assert status == 200, body


def test_uploads_through_the_hubs_proxy_are_stored_or_refused_with_a_reason(team):
    # Given alice's API key, a file within her server's 8,000,000-byte limit and one twice it
    status, key = team.api("alice", "POST", "keys", {"name": "uploads"})
    assert status == 201, key
    auth = basic("alice", key["key"])
    small, big = os.urandom(100_000), os.urandom(16_000_000)
    path = "/user/alice/dotscience/api/artifacts/"
    sha_small, sha_big = (hashlib.sha256(d).hexdigest() for d in (small, big))
    # When each is PUT through the hub's proxy by a client that sends the body at once
    answers = []
    for data, sha in ((small, sha_small), (big, sha_big)):
        sock = put_head(team.hub.port, path + sha, len(data), auth)
        sock.sendall(data)
        answers.append(read_answer(sock))
        sock.close()
    # and the big one again by one that asks to continue first (as curl does)
    sock = put_head(team.hub.port, path + sha_big, len(big), {**auth, "Expect": "100-continue"})
    first = read_answer(sock)
    if first[0] == 100:  # the proxy (not the server) said to go on
        sock.sendall(big)
        first = read_answer(sock)
    sock.close()
    # Then the small one is stored and downloads again; the big one is refused with the
    # limit each time (not cut off)
    assert answers[0][0] == 201, answers[0]
    got = team.api("alice", "GET", f"artifacts/{sha_small}", headers=auth)
    assert got[0] == 200
    assert answers[1][0] == 413 and "8,000,000" in answers[1][1]["error"], answers[1]
    assert first[0] == 413 and "8,000,000" in first[1]["error"], first


def test_a_project_alice_did_not_share_is_invisible_to_bob(team, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(team.hub.tmp / "cli-config"))
    # Given alice's run in a project of her own
    private = "alice-" + uuid.uuid4().hex[:8]
    run_id = str(uuid.uuid4())
    record = {"id": run_id, "project": private, "description": "private",
              "start": "2026-11-30T06:00:00Z", "end": "2026-11-30T06:00:01Z"}  # fmt: skip
    status, stored = team.api("alice", "POST", "runs", record)
    assert status == 201, stored
    # When bob lists runs and projects, asks for it, and publishes into it
    listed = team.api("bob", "GET", "runs?limit=1000")[1]["runs"]
    by_project = team.api("bob", "GET", f"runs?project={private}")[1]["runs"]
    one = team.api("bob", "GET", f"runs/{run_id}")
    projects = team.api("bob", "GET", "projects")[1]
    planted = team.api("bob", "POST", "runs", {**record, "id": str(uuid.uuid4())})
    # Then nothing of it shows, as if it did not exist, and he cannot add to it
    assert run_id not in {r["id"] for r in listed} and by_project == []
    assert one[0] == 404
    assert projects["team"] is True and private not in {p["name"] for p in projects["projects"]}
    assert planted[0] == 403
    # and once alice adds him as a member with the command line (her hub token against
    # her server's URL), he sees it
    code = cli_main(["projects", "add-member", private, "bob", "--json",
                     "--hostname", team.hub.user_url("alice"), "--token", team.tokens["alice"]])  # fmt: skip
    member = json.loads(capsys.readouterr().out)
    assert code == 0 and (member["username"], member["role"]) == ("bob", "member")
    assert team.api("bob", "GET", f"runs/{run_id}")[0] == 200
    code = cli_main(["projects", "list", "--json", "--hostname", team.hub.user_url("bob"),
                     "--token", team.tokens["bob"]])  # fmt: skip
    roles = {p["name"]: p["role"] for p in json.loads(capsys.readouterr().out)["projects"]}
    assert code == 0 and roles[private] == "member"


def test_alice_deploys_bob_sees_it_and_a_restart_starts_no_second_copy(team, s3):
    # Given a model alice trained and published from a notebook kernel (its file goes to
    # the team's S3 bucket)
    model = "iris-" + uuid.uuid4().hex[:6]
    output = run_in_kernel(team.hub.user_url("alice"), team.tokens["alice"],
                           TRAIN_FROM_NOTEBOOK.format(model=model))  # fmt: skip
    run_id = next(line.split()[1] for line in output.splitlines() if line.startswith("RUN "))
    status, run = team.api("alice", "GET", f"runs/{run_id}")
    assert status == 200, run
    [registered] = run["models"]
    stored = s3.client().list_objects_v2(Bucket=team.bucket, Prefix="team/")
    model_sha = next(f["sha256"] for f in run["outputs"] if f["path"].endswith("model.joblib"))
    assert any(model_sha in o["Key"] for o in stored.get("Contents", [])), stored
    # When alice deploys it from her server
    status, dep = team.api("alice", "POST",
                           f"models/{model}/versions/{registered['version']}/deploy", {})  # fmt: skip
    assert status == 202 and dep["owner"] == "alice", dep
    team.hub.deployments.append(("alice", dep["id"]))

    def running(user):
        status, d = team.api(user, "GET", f"deployments/{dep['id']}")
        assert status == 200, d
        assert d["state"] not in ("failed", "stopped"), d
        return d if d["state"] == "running" else None

    dep = wait_for(lambda: running("alice"), "alice's deployment to run")
    # Then bob's Models section lists it (owner alice) and its endpoint answers
    status, listed = team.api("bob", "GET", "deployments")
    assert status == 200, listed
    seen = {d["id"]: d for d in listed["deployments"]}[dep["id"]]
    assert (seen["owner"], seen["state"], seen["url"]) == ("alice", "running", dep["url"])
    status, models = team.api("bob", "GET", "models")
    [mine] = [m for m in models["models"] if m["name"] == model]
    assert [d["id"] for d in mine["versions"][-1]["deployments"]] == [dep["id"]]
    assert predicts(seen["url"], model)
    [pid] = model_server_pids(dep["id"])
    # When alice's server is stopped and started again by the hub
    team.hub.stop_server("alice")
    team.hub.start_server("alice")
    team.check_extension("alice")
    # Then her server reports the same deployment running, served by the same single
    # process: no second copy was started
    again = wait_for(lambda: running("alice"), "alice's deployment after her restart")
    assert again["url"] == dep["url"]
    assert model_server_pids(dep["id"]) == [pid]
    assert predicts(again["url"], model)


def test_bobs_browser_pages_the_runs_table_through_its_worker_behind_the_hub(team):
    """The Runs table fetches its pages after the first in a Web Worker, outside
    JupyterLab's request code: behind the hub its requests must carry the page's
    credentials (the token the hub gives the page) and be answered, not refused (a refused
    page falls back to the main thread, which this test would see)."""
    # Given 210 runs of bob's (two pages of the table: 200, then 10)
    tag = f"hubtable{uuid.uuid4().hex[:8]}"
    for i in range(210):
        status, body = team.api("bob", "POST", "runs", {
            "schema": "dotscience.run/2", "id": str(uuid.uuid4()), "project": "default",
            "description": f"{tag} trial {i}", "mode": "script", "workload_file": "train.py",
            "inputs": [], "outputs": [], "labels": {}, "metrics": {},
            "parameters": {"alpha": {"value": i, "text": str(i)}},
        })  # fmt: skip
        assert status == 201, body
    # When bob logs in to the hub in Chromium, opens the Runs table, searches for them
    # and scrolls to the end
    script = pathlib.Path(__file__).with_name("runs_table.js")
    proc = subprocess.run(["node", str(script), team.hub.url, "bob", tag, "210"],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:] + team.hub.log_tail()
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    # Then the table counts 210 and draws the last one (trial 0, on the second page)
    assert seen["count"].startswith("210 runs"), seen
    assert seen["lowest"] == 0, seen
    # And a worker fetched that page: JupyterLab's own requests end in a cache-busting
    # time (`&1796...`), the worker's do not; nothing was refused
    assert [w for w in seen["workers"] if w.startswith("blob:")], seen
    second = [a for a in seen["answers"] if "cursor=" in a["query"] and tag in a["query"]]
    assert second and all(a["status"] == 200 for a in second), seen
    assert any(not re.search(r"&\d{13}$", a["query"]) for a in second), seen
    assert not [a for a in seen["answers"] if a["status"] in (401, 403)], seen
