"""Everything shared lives in the store (issue 15): builds and deployments are the same on
every server sharing a store; a deployment is run by the one server holding its lease.

The store tests run on SQLite and on a real PostgreSQL (``tests/fixtures_pg.py``); the live
tests start two real Jupyter servers on one store and count the model server processes of a
deployment by their command lines.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
import time
import uuid

import pytest

from dotscience.timestamps import iso_from_epoch, now
from jupyterlab_dotscience.artifacts import ArtifactStore
from jupyterlab_dotscience.models import ModelService
from jupyterlab_dotscience.store import open_store

from ..remote.conftest import basic_auth, create_key, http, token_auth
from ..server.live import LiveServer
from .conftest import model_server_pids, post_json, stop_model_servers, wait_for


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request, tmp_path) -> str:
    """One empty store, on SQLite or PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/team.db"
    return request.getfixturevalue("pg_url")


def _deployment(**fields) -> dict:
    stamp = now()
    dep = {
        "id": str(uuid.uuid4()), "model": "iris", "version": 1, "target": "local",
        "state": "running", "url": "http://127.0.0.1:1/", "owner": "alice",
        "server": f"dead/{uuid.uuid4().hex}", "lease_expires": iso_from_epoch(time.time() - 5),
        "created": stamp, "updated": stamp, "events": [],
    }  # fmt: skip
    dep.update(fields)
    return dep


def _together(n: int, fn) -> list:
    """``fn(i)`` for i in 0..n-1 in n threads released at once; their results in order."""
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list = []

    def run(i):
        barrier.wait()
        try:
            results[i] = fn(i)
        except Exception as e:  # noqa: BLE001 - re-raised below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def test_an_expired_lease_is_taken_by_exactly_one_server(store_url):
    # Given a running deployment whose server stopped renewing its lease
    first = open_store(store_url)
    dep = _deployment()
    first.put_deployment(dep)
    # When eight servers (each with its own connection) try to take it over at once
    stores = [open_store(store_url) for _ in range(8)]
    names = [f"host{i}/{uuid.uuid4().hex}" for i in range(8)]
    later = iso_from_epoch(time.time() + 60)
    taken = _together(8, lambda i: stores[i].take_deployment_lease(
        dep["id"], names[i], later, now(), states=("running",)))  # fmt: skip
    # Then exactly one of them holds it, as every server reads it
    winners = [names[i] for i, d in enumerate(taken) if d is not None]
    assert len(winners) == 1, winners
    assert first.get_deployment(dep["id"])["server"] == winners[0]
    # And while that lease is valid nobody else takes it, but its holder renews it
    loser = next(n for n in names if n != winners[0])
    assert first.take_deployment_lease(dep["id"], loser, later, now()) is None
    holder = stores[names.index(winners[0])]
    renewed = iso_from_epoch(time.time() + 120)
    assert holder.renew_deployment_leases(winners[0], renewed) == 1
    assert first.get_deployment(dep["id"])["lease_expires"] == renewed
    # And a change made as holder by a server that lost the lease changes nothing
    assert first.update_deployment(dep["id"], "failed", "gone", holder=loser) is None
    assert first.get_deployment(dep["id"])["state"] == "running"
    for s in [first, *stores]:
        s.close()


class _Skewed:
    """The ``time`` module as a server whose clock is ``offset`` seconds off sees it."""

    def __init__(self, offset: float):
        self.offset = offset

    def time(self) -> float:
        return time.time() + self.offset

    def __getattr__(self, name):
        return getattr(time, name)


def _as_skewed(monkeypatch, service, offset: float):
    """Run ``service.watch_once()`` with the models code reading a clock ``offset`` seconds
    off (its ``time`` and ``now``), as a server whose clock is wrong would."""
    from jupyterlab_dotscience.models import registry

    with monkeypatch.context() as m:
        m.setattr(registry, "time", _Skewed(offset), raising=False)
        m.setattr(registry, "now", lambda: iso_from_epoch(time.time() + offset))
        service.watch_once()


def test_leases_go_by_the_stores_clock_not_a_servers_own(store_url, tmp_path, monkeypatch):
    # Given two servers on one store, the second configured to take over deployments
    # whose lease expired, and a running deployment the first holds
    stores = [open_store(store_url) for _ in range(2)]
    artifacts = ArtifactStore(tmp_path / "artifacts")
    services = []
    for i, store in enumerate(stores):
        dot = tmp_path / f"server{i}" / ".dotscience"
        dot.mkdir(parents=True)
        services.append(ModelService(store, artifacts, dot, lease_seconds=30,
                                     take_over=i == 1, restart_on_start=False))  # fmt: skip
    first, second = services
    dep = _deployment(server=first.server_id, lease_expires=first._expiry())
    stores[0].put_deployment(dep)
    try:
        # When the second server's clock is two minutes ahead as it checks the leases
        _as_skewed(monkeypatch, second, +120)
        # Then it leaves the live lease alone
        got = stores[1].get_deployment(dep["id"])
        assert got["server"] == first.server_id and got["state"] == "running", got
        # When the first server's clock is two minutes behind as it renews its lease, and
        # the second (right) checks
        _as_skewed(monkeypatch, first, -120)
        second.watch_once()
        # Then the renewed lease is still the first server's
        got = stores[1].get_deployment(dep["id"])
        assert got["server"] == first.server_id and got["state"] == "running", got
        # When the lease really expired (the first server stopped renewing it)
        assert stores[0].take_deployment_lease(
            dep["id"], first.server_id, iso_from_epoch(time.time() - 5), now()) is not None  # fmt: skip
        second.watch_once()
        # Then the second server takes the deployment over (and, as its model server does
        # not answer and this server does not restart deployments, reports it stopped)
        got = stores[1].get_deployment(dep["id"])
        assert got["server"] == second.server_id, got
        assert got["state"] == "stopped", got
    finally:
        for service in services:
            service.shutdown()
        for store in stores:
            store.close()


def test_one_active_deployment_of_a_version_whichever_server_asks(store_url):
    # Given eight servers sharing one store
    stores = [open_store(store_url) for _ in range(8)]
    # When each deploys version 1 of iris at the same moment
    answers = _together(8, lambda i: stores[i].put_deployment(
        _deployment(state="building", server=f"host{i}/{uuid.uuid4().hex}")))  # fmt: skip
    # Then one deployment was created and every server was answered with it
    assert sum(created for _, created in answers) == 1
    assert len({d["id"] for d, _ in answers}) == 1
    assert len(stores[0].list_deployments()) == 1
    # When it is stopped, the next deploy creates a new one (the stopped one stays listed)
    [(dep, _)] = {d["id"]: (d, c) for d, c in answers}.values()
    stores[1].update_deployment(dep["id"], "stopped", "stopped by bob")
    again, created = stores[2].put_deployment(_deployment(state="building"))
    assert created and again["id"] != dep["id"]
    assert [d["state"] for d in stores[0].list_deployments()] == ["building", "stopped"]
    for s in stores:
        s.close()


def test_json_files_of_an_earlier_version_move_into_the_store_once(tmp_path):
    # Given a workspace where an earlier version kept a deployment and a build in JSON files
    dot = tmp_path / ".dotscience"
    (dot / "builds" / "iris" / "2").mkdir(parents=True)
    dep_id = str(uuid.uuid4())
    legacy = {"id": dep_id, "model": "iris", "version": 2, "target": "local", "state": "stopped",
              "reason": "stopped by request", "url": "http://127.0.0.1:9/", "pid": None,
              "created": "2026-11-01T00:00:00.000000Z", "updated": "2026-11-01T00:00:01.000000Z",
              "events": [{"time": "2026-11-01T00:00:00.000000Z", "state": "building",
                          "message": ""}]}  # fmt: skip
    (dot / "deployments.json").write_text(json.dumps({"deployments": [legacy, {"no": "id"}]}))
    build = {"model": "iris", "version": 2, "state": "done", "message": "built",
             "finished": "2026-11-01T00:00:00.000000Z"}  # fmt: skip
    (dot / "builds" / "iris" / "2" / "build.json").write_text(json.dumps(build))
    store = open_store(f"sqlite:///{tmp_path}/store.db")
    artifacts = ArtifactStore(tmp_path / "artifacts")
    # When the server starts
    ModelService(store, artifacts, dot).shutdown()
    # Then the store has both, and the files are renamed so they are not read again
    dep = store.get_deployment(dep_id)
    assert (dep["state"], dep["reason"], dep["url"]) == ("stopped", "stopped by request",
                                                         "http://127.0.0.1:9/")  # fmt: skip
    assert dep["events"] == legacy["events"]
    assert store.get_build("iris", 2)["state"] == "done"
    assert (
        not (dot / "deployments.json").exists() and not (dot / "builds/iris/2/build.json").exists()
    )
    # When the build changes in the store and the server starts again
    store.put_build("iris", 2, None, state="failed", message="rebuilt elsewhere")
    service = ModelService(store, artifacts, dot)
    # Then nothing was migrated twice, and the store's state is the one shown
    assert [d["id"] for d in service.list_deployments()] == [dep_id]
    assert service.build_state("iris", 2)["state"] == "failed"
    service.shutdown()


# -- two live servers on one store ----------------------------------------------------------


def sklearn_model() -> bytes:
    """A fitted scikit-learn model as joblib writes it."""
    joblib = pytest.importorskip("joblib")
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    buf = io.BytesIO()
    joblib.dump(LogisticRegression(max_iter=500).fit(X, y), buf)
    return buf.getvalue()


def publish_model(server: LiveServer, project: str, **extra) -> int:
    """Publish a run of ``project`` registering model iris from ``server``'s workspace (its
    Jupyter user, so the file is captured); its version."""
    status, run = publish_run(server, project, **extra)
    assert status == 201, run
    return run["models"][0]["version"]


def publish_run(server: LiveServer, project: str, **extra):
    """``(status, answer)`` of publishing such a run (``extra``: e.g. ``deploy=True``)."""
    data = sklearn_model()
    (server.root / "iris").mkdir(exist_ok=True)
    (server.root / "iris" / "model.joblib").write_bytes(data)
    files = [{"path": "iris/model.joblib", "sha256": hashlib.sha256(data).hexdigest(),
              "size": len(data)}]  # fmt: skip
    record = {
        "schema": "dotscience.run/2", "id": str(uuid.uuid4()), "project": project,
        "mode": "script", "outputs": files,
        "models": [{"name": "iris", "framework": "sklearn", "framework_version": "1",
                    "path": "iris", "classes": None, "files": files}],
        "environment": {"python": "3.11.7", "executable": None, "packages": {}},
        **extra,
    }  # fmt: skip
    return http("POST", server.url + "dotscience/api/runs", record, token_auth(server))


def api(server: LiveServer, method: str, path: str, body=None):
    return http(method, server.url + "dotscience/api/" + path, body, token_auth(server))


def deployment(server: LiveServer, dep_id: str) -> dict | None:
    """The deployment as ``server`` lists it (None when it does not list it)."""
    status, body = api(server, "GET", "deployments")
    assert status == 200, body
    return {d["id"]: d for d in body["deployments"]}.get(dep_id)


def settled(server: LiveServer, dep_id: str) -> dict:
    def check():
        status, d = api(server, "GET", f"deployments/{dep_id}")
        assert status == 200, d
        return d if d["state"] in ("running", "failed", "stopped") else None

    return wait_for(check, timeout=120)


def answers(dep: dict) -> bool:
    out = post_json(dep["url"] + "v1/models/iris:predict", {"instances": [[5.1, 3.5, 1.4, 0.2]]})
    return out["predictions"] == [0]


def server_id(server: LiveServer) -> str:
    return (server.root / ".dotscience" / "server-id").read_text().strip()


def log_has(server: LiveServer, text: str, since: int) -> bool:
    with open(server.log_path, "rb") as f:
        f.seek(since)
        return text in f.read().decode(errors="replace")


def log_size(server: LiveServer) -> int:
    return os.path.getsize(server.log_path)


def start(root, store_url: str, user: str, *extra: str) -> LiveServer:
    root.mkdir(exist_ok=True)
    server = LiveServer(root, store_url=store_url)
    server.extra_args = [
        f"--DotscienceApp.kernel_user={user}", "--DotscienceApp.model_ready_timeout=60",
        "--DotscienceApp.container_builder=none", "--DotscienceApp.deployment_lease=3", *extra,
    ]  # fmt: skip
    return server.start()


@pytest.fixture
def two_servers(tmp_path, store_url):
    """Alice's and Bob's servers (team servers) on one store, each with its own workspace."""
    servers = []

    def make(*extra: str):
        for user in ("alice", "bob"):
            root = tmp_path / user
            servers.append(start(root, store_url, user, "--DotscienceApp.teams=True", *extra))
        return servers

    yield make
    for server in servers:
        server.stop()
        stop_model_servers(server.root)


def test_a_deployment_from_one_server_is_seen_stopped_and_adopted_across_servers(two_servers):
    alice, bob = two_servers()
    # Given alice deploys her model (project vision) from her server
    version = publish_model(alice, "vision")
    status, dep = api(alice, "POST", f"models/iris/versions/{version}/deploy", {})
    assert status == 202 and dep["owner"] == "alice", dep
    dep = settled(alice, dep["id"])
    assert dep["state"] == "running" and dep["server"] == server_id(alice), dep
    # Then bob, not a member of vision, neither sees nor stops it
    assert deployment(bob, dep["id"]) is None
    assert api(bob, "DELETE", f"deployments/{dep['id']}")[0] == 404
    # When alice adds bob as a member
    status, _ = api(alice, "PUT", "projects/vision/members/bob", {"role": "member"})
    assert status == 200
    # Then bob's Models section shows the deployment, and its endpoint answers
    seen = deployment(bob, dep["id"])
    assert (seen["state"], seen["url"], seen["owner"]) == ("running", dep["url"], "alice")
    status, models = api(bob, "GET", "models")
    [iris] = [m for m in models["models"] if m["name"] == "iris"]
    assert [d["id"] for d in iris["versions"][-1]["deployments"]] == [dep["id"]]
    assert iris["versions"][-1]["build"]["state"] == "done"
    assert answers(seen)
    # And bob, a member but not an owner, may neither stop it nor deploy it
    status, body = api(bob, "DELETE", f"deployments/{dep['id']}")
    assert status == 403 and "owners of project 'vision'" in body["error"], body
    assert api(bob, "POST", f"models/iris/versions/{version}/deploy", {})[0] == 403
    # And his run published to vision with deploy=True is stored, but not deployed
    status, body = publish_run(bob, "vision", deploy=True)
    assert status == 403 and "stored but not deployed" in body["error"], body
    assert body["run"]["models"][0]["version"] == version + 1
    assert [d["id"] for d in api(alice, "GET", "deployments")[1]["deployments"]] == [dep["id"]]
    # When bob becomes an owner and deploys the same version from his server
    api(alice, "PUT", "projects/vision/members/bob", {"role": "owner"})
    status, same = api(bob, "POST", f"models/iris/versions/{version}/deploy", {})
    # Then he is answered with alice's deployment: one model server runs, not two
    assert status == 202 and same["id"] == dep["id"], same
    assert model_server_pids(dep["id"]) == [dep["pid"]]
    # When bob stops it from his server
    status, stopped = api(bob, "DELETE", f"deployments/{dep['id']}")
    assert status == 200 and stopped["state"] == "stopped", stopped
    # Then alice's server stops its model server, and both list it stopped by bob
    wait_for(lambda: model_server_pids(dep["id"]) == [], timeout=60)
    mine = deployment(alice, dep["id"])
    assert mine["state"] == "stopped" and mine["reason"] == "stopped by bob", mine
    # Given alice deploys it again, and her server is killed (its model server keeps running)
    _, dep = api(alice, "POST", f"models/iris/versions/{version}/deploy", {})
    dep = settled(alice, dep["id"])
    assert dep["state"] == "running", dep
    alice.kill()
    # Then bob's server still shows it running, and reports once the lease expired
    wait_for(lambda: any("stopped renewing its lease" in e["message"]
                         for e in api(bob, "GET", f"deployments/{dep['id']}")[1]["events"]),
             timeout=60)  # fmt: skip
    assert api(bob, "GET", f"deployments/{dep['id']}")[1]["state"] == "running"
    assert model_server_pids(dep["id"]) == [dep["pid"]]
    # When alice's server starts again
    alice.start()
    # Then it adopts the model server that still answers: one copy runs, not two
    again = wait_for(lambda: (lambda d: d if any("re-adopted" in e["message"] for e in d["events"])
                              else None)(api(alice, "GET", f"deployments/{dep['id']}")[1]))  # fmt: skip
    assert again["state"] == "running" and again["pid"] == dep["pid"]
    assert again["server"] == server_id(alice)
    assert model_server_pids(dep["id"]) == [dep["pid"]] and answers(again)


def test_a_server_configured_to_take_over_adopts_a_dead_servers_deployment(tmp_path, pg_url):
    # Given alice's server and a second server configured to take over, on one PostgreSQL
    servers = [
        start(tmp_path / "a", pg_url, "alice"),
        start(tmp_path / "b", pg_url, "alice", "--DotscienceApp.take_over_deployments=True"),
    ]
    first, second = servers
    try:
        # And a deployment running from the first server
        version = publish_model(first, "default")
        _, dep = api(first, "POST", f"models/iris/versions/{version}/deploy", {})
        dep = settled(first, dep["id"])
        assert dep["state"] == "running", dep
        # When the first server is killed
        first.kill()

        # Then once its lease expired the second server holds it and says what it did (the
        # lease is taken first, the model server probed, then the event written) ...
        def taken_over():
            d = api(second, "GET", f"deployments/{dep['id']}")[1]
            said = any("whose lease expired" in e["message"] for e in d["events"])
            return d if d["server"] == server_id(second) and said else None

        taken = wait_for(taken_over, timeout=60)
        # ... adopting the model server that still answers instead of starting another
        assert taken["state"] == "running" and taken["pid"] == dep["pid"], taken
        assert any("re-adopted from server" in e["message"] for e in taken["events"]), taken
        assert model_server_pids(dep["id"]) == [dep["pid"]]
        # And an API key of the second server is shown no server's paths (neither its own
        # workspace nor the first server's, where the deployment's log and bundle are)
        key = create_key(second, "reader")
        status, listed = http("GET", second.url + "dotscience/api/deployments", None,
                              basic_auth("alice", key["key"]))  # fmt: skip
        assert status == 200 and dep["id"] in {d["id"] for d in listed["deployments"]}
        status, models = http("GET", second.url + "dotscience/api/models", None,
                              basic_auth("alice", key["key"]))  # fmt: skip
        assert status == 200 and models["models"]
        shown = json.dumps([listed, models])
        assert str(first.root) not in shown and str(second.root) not in shown, shown
        # When the first server starts again
        since = log_size(first)
        first.start()
        wait_for(lambda: log_has(first, "Dotscience: deployments at start", since))
        # Then it leaves the deployment to the server holding it: still one copy
        assert deployment(first, dep["id"])["server"] == server_id(second)
        assert model_server_pids(dep["id"]) == [dep["pid"]] and answers(taken)
        # When it is stopped from the first server, the second stops its model server
        status, stopped = api(first, "DELETE", f"deployments/{dep['id']}")
        assert status == 200 and stopped["state"] == "stopped"
        wait_for(lambda: model_server_pids(dep["id"]) == [], timeout=60)
    finally:
        for server in servers:
            server.stop()
            stop_model_servers(server.root)


def test_a_kubernetes_deployment_is_shared_by_every_server_of_the_store(
    store_url, tmp_path, monkeypatch
):
    from jupyterlab_dotscience import publishing

    from ..store.records import record

    # Given a fake kubectl on the PATH that records the manifests it is asked to apply and
    # to delete, and its arguments
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    applied, deleted, calls = (tmp_path / n for n in ("applied.json", "deleted.json", "calls"))
    (bin_dir / "kubectl").write_text(
        f'#!/bin/sh\necho "$@" >> {calls}\n'
        f'case "$3" in delete) cat > {deleted} ;; *) cat > {applied} ;; esac\necho done\n'
    )
    (bin_dir / "kubectl").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    # And a model version published by the Jupyter user of the first of two servers
    store = open_store(store_url)
    workspace = tmp_path / "a"
    workspace.mkdir()
    (workspace / "model.joblib").write_text("model")
    artifacts = ArtifactStore(tmp_path / "artifacts")
    files = [{"path": "model.joblib", "sha256": hashlib.sha256(b"model").hexdigest(), "size": 5}]
    credential = {"scope": "jupyter", "key_id": None, "deploy": True, "trusted_pickle": []}
    run, _ = publishing.publish(
        store, artifacts, str(workspace),
        record(project="vision", models=[{"name": "iris", "framework": "sklearn",
                                          "path": "model.joblib", "files": files}]),
        "alice", None, credential,
    )  # fmt: skip
    version = run["models"][0]["version"]
    first = ModelService(store, artifacts, tmp_path / "a" / ".dotscience", builder="none",
                         kube_context="team-cluster", kube_namespace="models")  # fmt: skip
    other_store = open_store(store_url)
    second = ModelService(other_store, artifacts, tmp_path / "b" / ".dotscience",
                          kube_context="team-cluster", kube_namespace="models")  # fmt: skip
    try:
        # When the first server deploys it to the cluster
        dep = first.deploy("iris", version, target="kubernetes", owner="alice")
        done = wait_for(lambda: (lambda d: d if d["state"] in ("running", "failed") else None)(
            second.get_deployment(dep["id"])))  # fmt: skip
        # Then the second server lists it running at its in-cluster URL, owned by alice
        assert done["state"] == "running", done
        assert done["url"] == f"http://iris-v{version}.models.svc.cluster.local/"
        assert done["owner"] == "alice" and done["project"] == "vision"
        assert [i["kind"] for i in json.loads(applied.read_text())["items"]] == [
            "Deployment", "Service"
        ]  # fmt: skip
        # And deploying the same version from the second server answers with it
        assert second.deploy("iris", version, target="kubernetes")["id"] == dep["id"]
        # When the second server stops it, both see it stopped
        second.stop(dep["id"], reason="stopped by bob")
        assert first.get_deployment(dep["id"])["state"] == "stopped"
        # And it was deleted from the cluster: the resources it applied, in its context
        assert calls.read_text().splitlines()[-1] == (
            "--context team-cluster delete --ignore-not-found -f -"
        )
        names = lambda doc: [(i["kind"], i["metadata"]["name"]) for i in doc["items"]]  # noqa: E731
        assert names(json.loads(deleted.read_text())) == names(json.loads(applied.read_text()))
    finally:
        first.shutdown()
        second.shutdown()
        store.close()
        other_store.close()
