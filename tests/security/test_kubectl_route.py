"""Kubernetes deployments through the REST routes of a live server, with ``kubectl`` taken
from the server's configuration (``DotscienceApp.kubectl_path``), never from the request.

A fake kubectl written by the test records its arguments and what it read on stdin, and
succeeds or fails as the test says. A decoy ``kubectl`` on the server's PATH leaves a marker
if it is ever run. The model's name is hostile (shell characters, a leading dash): it may
reach kubectl only inside the manifests on stdin, never as an argument.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import sys
import time
import urllib.parse
import uuid

from jupyterlab_dotscience.models import kubernetes as k8s
from jupyterlab_dotscience.models.build import slug

from ..server.openapi import validate_response
from .conftest import basic_auth, create_key, http, start_live, token_auth

#: A model name an attacker would choose: option-like, with shell metacharacters (no "/":
#: a route's path segment cannot hold one)
HOSTILE = "--kubeconfig=evil; touch pwned $(id) `id` | -n kube-system & --as=admin"
CONTEXT = "team-cluster"
NAMESPACE = "models"
REGISTRY = "registry.example.com/ml"

FAKE = """\
#!{python} -I
import json, os, pathlib, sys, time
here = pathlib.Path({here!r})
data = sys.stdin.read()
(here / "calls").mkdir(exist_ok=True)
call = {{"argv": sys.argv[1:], "stdin": data}}
(here / "calls" / f"{{time.time_ns():020d}}-{{os.getpid()}}.json").write_text(json.dumps(call))
code = int((here / "exit").read_text()) if (here / "exit").exists() else 0
if code:
    sys.stderr.write((here / "message").read_text())
else:
    print("applied")
sys.exit(code)
"""


class FakeKubectl:
    """A kubectl that records each call (argv and stdin) in ``<directory>/calls``."""

    def __init__(self, directory):
        self.dir = directory
        directory.mkdir()
        self.path = directory / "kubectl"
        self.path.write_text(FAKE.format(python=sys.executable, here=str(directory)))
        self.path.chmod(0o755)

    def fail(self, message: str) -> None:
        """Every later call exits 1 saying ``message`` on stderr."""
        (self.dir / "message").write_text(message)
        (self.dir / "exit").write_text("1")

    def succeed(self) -> None:
        (self.dir / "exit").write_text("0")

    def calls(self) -> list[dict]:
        """Every call so far, in order: ``{"argv": [...], "stdin": str}``."""
        folder = self.dir / "calls"
        if not folder.exists():
            return []
        return [json.loads(p.read_text()) for p in sorted(folder.iterdir())]


def fixtures(tmp_path, monkeypatch):
    """The fake kubectl, and a decoy kubectl first on the PATH the server inherits (its
    marker file); the workspace ``tmp_path/root`` is made."""
    fake = FakeKubectl(tmp_path / "fake")
    decoy_dir = tmp_path / "path-bin"
    decoy_dir.mkdir()
    marker = tmp_path / "decoy-ran"
    (decoy_dir / "kubectl").write_text(
        f"#!/bin/sh\ntouch {shlex.quote(str(marker))}\ncat > /dev/null\necho applied\n"
    )
    (decoy_dir / "kubectl").chmod(0o755)
    monkeypatch.setenv("PATH", f"{decoy_dir}{os.pathsep}{os.environ['PATH']}")
    (tmp_path / "root").mkdir()
    return fake, marker


def server_args(fake: FakeKubectl, context: str | None = CONTEXT, *extra: str) -> list[str]:
    args = [
        "--DotscienceApp.container_builder=none",
        f"--DotscienceApp.kube_namespace={NAMESPACE}",
        f"--DotscienceApp.image_registry={REGISTRY}",
        f"--DotscienceApp.kubectl_path={fake.path}",
        *extra,
    ]
    if context is not None:
        args.append(f"--DotscienceApp.kube_context={context}")
    return args


def api(server, method: str, path: str, body=None, expect: int | None = None):
    """A request with the Jupyter token, its answer checked against openapi.yaml."""
    status, answer = http(method, server.url + "dotscience/api/" + path, body, token_auth(server))
    if expect is not None:
        assert status == expect, (method, path, status, answer)
    validate_response("/" + path.split("?")[0], method, status, answer)
    return status, answer


def publish_model(server, name: str, content: bytes) -> int:
    """Publish a run registering a scikit-learn model ``name`` (its file in the workspace);
    its version."""
    rel = f"models/{hashlib.sha256(name.encode()).hexdigest()[:8]}/model.joblib"
    path = server.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    described = [{"path": rel, "sha256": hashlib.sha256(content).hexdigest(),
                  "size": len(content)}]  # fmt: skip
    record = {
        "schema": "dotscience.run/2", "id": str(uuid.uuid4()),
        "project": "cluster", "mode": "script", "outputs": described,
        "models": [{"name": name, "framework": "sklearn", "framework_version": "1",
                    "path": rel.rsplit("/", 1)[0], "classes": None, "files": described}],
    }  # fmt: skip
    _, run = api(server, "POST", "runs", record, expect=201)
    return run["models"][0]["version"]


def deploy(server, name: str, version: int, expect: int = 202):
    quoted = urllib.parse.quote(name, safe="")
    return api(server, "POST", f"models/{quoted}/versions/{version}/deploy",
               {"target": "kubernetes"}, expect=expect)[1]  # fmt: skip


def settled(server, dep_id: str, timeout: float = 90) -> dict:
    """The deployment once it is running, failed or stopped (polled; generous deadline)."""
    deadline = time.monotonic() + timeout
    dep: dict = {}
    while time.monotonic() < deadline:
        _, dep = api(server, "GET", f"deployments/{dep_id}", expect=200)
        if dep["state"] in ("running", "failed", "stopped"):
            return dep
        time.sleep(0.2)
    raise AssertionError(f"deployment {dep_id} did not settle within {timeout} s: {dep}")


def listed(server) -> dict[str, str]:
    """Every deployment's state, by id."""
    _, body = api(server, "GET", "deployments", expect=200)
    return {d["id"]: d["state"] for d in body["deployments"]}


def items(call: dict) -> list[dict]:
    doc = json.loads(call["stdin"])
    assert doc["apiVersion"] == "v1" and doc["kind"] == "List"
    return doc["items"]


def assert_argv_is_configuration_only(call: dict, verb: list[str]) -> None:
    """kubectl's arguments are the configured context, the verb and ``-f -``: nothing of
    the model's name."""
    assert call["argv"] == ["--context", CONTEXT, *verb, "-f", "-"]
    for arg in call["argv"]:
        for part in ("kubeconfig", "evil", "pwned", "kube-system", "admin", slug(HOSTILE)):
            assert part not in arg


def test_deploy_and_stop_on_kubernetes_run_the_configured_kubectl(tmp_path, monkeypatch):
    # Given a server configured with a cluster and a fake kubectl, a decoy kubectl on its
    # PATH, and a model version whose name is hostile
    fake, decoy = fixtures(tmp_path, monkeypatch)
    server = start_live(tmp_path / "root", *server_args(fake))
    try:
        version = publish_model(server, HOSTILE, b"weights")
        name = k8s.resource_name(HOSTILE, version)
        # When it is deployed to Kubernetes through the route
        dep = deploy(server, HOSTILE, version)
        assert dep["target"] == "kubernetes"
        done = settled(server, dep["id"])
        # Then it runs at its in-cluster URL
        assert done["state"] == "running", done
        assert done["url"] == f"http://{name}.{NAMESPACE}.svc.cluster.local/"
        # And the configured kubectl, not the PATH's, applied the manifests from stdin
        assert not decoy.exists()
        (applied,) = fake.calls()
        assert_argv_is_configuration_only(applied, ["apply"])
        manifests = items(applied)
        # And they are what the README says: a Deployment and a ClusterIP Service in the
        # namespace, named <model>-v<version>, the model server as user 65534 with
        # --allow-unauthenticated, health probes, the image tagged <registry>/<model>:<v>
        assert [(m["kind"], m["metadata"]["name"], m["metadata"]["namespace"])
                for m in manifests] == [("Deployment", name, NAMESPACE),
                                        ("Service", name, NAMESPACE)]  # fmt: skip
        deployment, service = manifests
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["image"] == f"{REGISTRY}/{slug(HOSTILE)}:{version}"
        assert container["securityContext"]["runAsUser"] == 65534
        assert container["securityContext"]["runAsNonRoot"] is True
        assert "--allow-unauthenticated" in container["args"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready"
        assert container["livenessProbe"]["httpGet"]["path"] == "/v2/health/live"
        assert service["spec"]["type"] == "ClusterIP"
        assert deployment["metadata"]["labels"][k8s.LABEL] == slug(HOSTILE)
        # And they are the manifests the kubernetes route shows
        quoted = urllib.parse.quote(HOSTILE, safe="")
        _, shown = api(server, "GET", f"models/{quoted}/versions/{version}/kubernetes",
                       expect=200)  # fmt: skip
        assert shown == {"manifests": manifests, "configured": True}

        # When kubectl fails and the deployment is stopped
        fake.fail("error: You must be logged in to the server (Unauthorized)\n")
        status, refused = api(server, "DELETE", f"deployments/{dep['id']}", expect=502)
        # Then 502 with kubectl's message, and the deployment is as it was: listed, running
        assert refused["error"] == (
            "kubectl delete failed: error: You must be logged in to the server (Unauthorized)"
        )
        assert listed(server)[dep["id"]] == "running"
        _, still = api(server, "GET", f"deployments/{dep['id']}", expect=200)
        assert still["state"] == "running" and still["url"] == done["url"]
        _, failed_delete = fake.calls()
        assert_argv_is_configuration_only(failed_delete, ["delete", "--ignore-not-found"])

        # When kubectl works again and it is stopped
        fake.succeed()
        _, stopped = api(server, "DELETE", f"deployments/{dep['id']}", expect=200)
        # Then it is stopped, and kubectl deleted exactly what it had applied
        assert stopped["state"] == "stopped"
        assert listed(server)[dep["id"]] == "stopped"
        deleted = fake.calls()[-1]
        assert_argv_is_configuration_only(deleted, ["delete", "--ignore-not-found"])
        assert items(deleted) == manifests
        # And stopping it again asks nothing of kubectl
        api(server, "DELETE", f"deployments/{dep['id']}", expect=200)
        assert len(fake.calls()) == 3
        assert not decoy.exists()
    finally:
        server.stop()


def test_without_a_cluster_configured_kubernetes_is_a_400_that_changes_nothing(
    tmp_path, monkeypatch
):
    # Given a model deployed to Kubernetes by a server with a cluster
    fake, decoy = fixtures(tmp_path, monkeypatch)
    root = tmp_path / "root"
    server = start_live(root, *server_args(fake))
    try:
        version = publish_model(server, HOSTILE, b"weights v1")
        dep = deploy(server, HOSTILE, version)
        assert settled(server, dep["id"])["state"] == "running"
        other = publish_model(server, "other-model", b"other weights")
    finally:
        server.stop()
    calls = len(fake.calls())
    # And the same workspace served again without a cluster (kubectl_path still set)
    server = start_live(root, *server_args(fake, context=None))
    try:
        before = listed(server)
        assert before[dep["id"]] == "running"
        # When a version is deployed to Kubernetes, Then 400 saying no cluster is configured
        for name, v in ((HOSTILE, version), ("other-model", other)):
            refused = deploy(server, name, v, expect=400)
            assert "no Kubernetes cluster is configured" in refused["error"]
        # When the running Kubernetes deployment is stopped, Then 400 saying why
        _, refused = api(server, "DELETE", f"deployments/{dep['id']}", expect=400)
        assert "has none configured" in refused["error"]
        # And nothing changed: the same deployments in the same states, kubectl never run
        assert listed(server) == before
        _, still = api(server, "GET", f"deployments/{dep['id']}", expect=200)
        assert still["state"] == "running"
        assert len(fake.calls()) == calls and not decoy.exists()
        # And the kubernetes route says no cluster is configured
        _, shown = api(server, "GET", f"models/other-model/versions/{other}/kubernetes",
                       expect=200)  # fmt: skip
        assert shown["configured"] is False
    finally:
        server.stop()


def test_with_kserve_only_an_inference_service_is_applied_and_deleted(tmp_path, monkeypatch):
    # Given a server with a cluster running KServe, and a kubectl that refuses at first
    fake, decoy = fixtures(tmp_path, monkeypatch)
    server = start_live(
        tmp_path / "root", *server_args(fake, CONTEXT, "--DotscienceApp.kserve=True")
    )
    try:
        version = publish_model(server, HOSTILE, b"kserve weights")
        name = k8s.resource_name(HOSTILE, version)
        fake.fail('Error from server (Forbidden): cannot create "inferenceservices"\n')
        # When the version is deployed, Then the deployment fails with kubectl's reason
        first = settled(server, deploy(server, HOSTILE, version)["id"])
        assert first["state"] == "failed"
        assert 'cannot create "inferenceservices"' in first["reason"]
        # When kubectl works and it is deployed again
        fake.succeed()
        dep = deploy(server, HOSTILE, version)
        assert dep["id"] != first["id"]
        assert settled(server, dep["id"])["state"] == "running"
        # Then an InferenceService alone was applied (KServe makes the pods and service)
        applied = fake.calls()[-1]
        assert_argv_is_configuration_only(applied, ["apply"])
        assert [(m["apiVersion"], m["kind"], m["metadata"]["name"]) for m in items(applied)] == [
            ("serving.kserve.io/v1beta1", "InferenceService", name)]  # fmt: skip
        # When it is stopped, Then the same InferenceService alone is deleted
        api(server, "DELETE", f"deployments/{dep['id']}", expect=200)
        deleted = fake.calls()[-1]
        assert_argv_is_configuration_only(deleted, ["delete", "--ignore-not-found"])
        assert items(deleted) == items(applied)
        assert not decoy.exists()
    finally:
        server.stop()


def test_a_deploy_key_is_told_why_kubectl_failed_without_the_servers_paths(tmp_path, monkeypatch):
    # Given a Kubernetes deployment, and a key of its project with the deploy scope
    fake, decoy = fixtures(tmp_path, monkeypatch)
    server = start_live(tmp_path / "root", *server_args(fake))
    try:
        version = publish_model(server, "paths-model", b"paths weights")
        dep = deploy(server, "paths-model", version)
        assert settled(server, dep["id"])["state"] == "running"
        key = basic_auth("alice", create_key(server, project="cluster", scopes=["deploy"])["key"])
        kubeconfig = tmp_path / "home" / "alice" / ".kube" / "config"

        def stop(headers):
            status, answer = http("DELETE", server.url + f"dotscience/api/deployments/{dep['id']}",
                                  None, headers)  # fmt: skip
            validate_response("/deployments/{dep_id}", "DELETE", status, answer)
            return status, answer

        # When kubectl fails naming a file of the server, and the key stops the deployment
        fake.fail(f"error: open {kubeconfig}: permission denied\n")
        status, told = stop(key)
        # Then 502 with kubectl's reason, the server's path left out
        assert status == 502, told
        assert told["error"].startswith("kubectl delete failed: error: open <path>")
        assert told["error"].endswith("permission denied")
        assert str(tmp_path) not in told["error"] and ".kube" not in told["error"]
        # (the Jupyter user is told the whole message)
        status, whole = stop(token_auth(server))
        assert status == 502 and str(kubeconfig) in whole["error"]
        # When the configured kubectl cannot be run at all
        fake.path.unlink()
        status, told = stop(key)
        # Then 502 saying so, naming the setting, not where the server looked for it
        assert status == 502, told
        assert "kubectl delete could not run" in told["error"]
        assert "kubectl_path" in told["error"]
        assert str(tmp_path) not in told["error"]
        # And the deployment is still running, and no kubectl on the PATH was run instead
        assert listed(server)[dep["id"]] == "running"
        assert not decoy.exists()
    finally:
        server.stop()
