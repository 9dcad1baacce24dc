"""Kubernetes deployer: rendered manifests validated against the Kubernetes schemas."""

from __future__ import annotations

import json
import os
import stat

import jsonschema
import pytest

from jupyterlab_dotscience.models import kubernetes as k8s

VERSION = {
    "name": "Iris Classifier_v2",
    "version": 7,
    "run_id": "0b4c8d2e-1111-4222-8333-444455556666",
}

#: Minimal schema of the KServe InferenceService fields we emit (its CRD is not bundled
#: with kubernetes-validate): vendored here, written from the KServe v1beta1 API.
KSERVE_SCHEMA = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "serving.kserve.io/v1beta1"},
        "kind": {"const": "InferenceService"},
        "metadata": {
            "type": "object", "required": ["name"],
            "properties": {"name": {"type": "string",
                                    "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
                                    "maxLength": 63}},
        },
        "spec": {
            "type": "object", "required": ["predictor"],
            "properties": {"predictor": {
                "type": "object", "required": ["containers"],
                "properties": {"containers": {
                    "type": "array", "minItems": 1,
                    "items": {"type": "object", "required": ["name", "image"],
                              "properties": {"name": {"type": "string"},
                                             "image": {"type": "string"},
                                             "ports": {"type": "array"}}},
                }},
            }},
        },
    },
}  # fmt: skip


def test_manifests_validate_against_kubernetes_schemas():
    kv = pytest.importorskip("kubernetes_validate")
    # Given a model version rendered for a cluster, and for a cluster with KServe
    manifests = k8s.render(VERSION, "registry.example/ml/iris:7", "ml", replicas=2)
    kserve = k8s.render(VERSION, "registry.example/ml/iris:7", "ml", replicas=2, kserve=True)
    # Then the Deployment and Service are valid Kubernetes objects (strict: no unknown fields)
    assert [m["kind"] for m in manifests] == ["Deployment", "Service"]
    for m in manifests:
        kv.validate(m, kv.latest_version(), strict=True)
    # And with KServe an InferenceService alone serves it (no second Deployment beside it)
    assert [m["kind"] for m in kserve] == ["InferenceService"]
    jsonschema.validate(kserve[0], KSERVE_SCHEMA)
    assert kserve[0]["metadata"]["name"] == manifests[0]["metadata"]["name"]
    # And the names are DNS-1123, the probes hit the model server's health routes
    dep, svc = manifests
    assert dep["metadata"]["name"] == svc["metadata"]["name"]
    assert len(dep["metadata"]["name"]) <= 63 and dep["metadata"]["name"].endswith("-v7")
    container = dep["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready"
    assert dep["spec"]["replicas"] == 2 and dep["metadata"]["namespace"] == "ml"
    assert svc["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"]


def test_invalid_manifest_is_caught_by_the_validator():
    kv = pytest.importorskip("kubernetes_validate")
    # Given a manifest broken on purpose
    dep = k8s.render(VERSION, "img:1")[0]
    dep["spec"]["replicas"] = "two"
    # Then the validator refuses it (so the check above means something)
    with pytest.raises(kv.ValidationError):
        kv.validate(dep, kv.latest_version(), strict=True)


def test_apply_runs_kubectl_with_the_configured_context(tmp_path):
    # Given a fake kubectl that records what it is asked
    fake = tmp_path / "kubectl"
    record = tmp_path / "record.json"
    fake.write_text(
        f'#!/bin/sh\necho "$@" > {record}.args\ncat > {record}\necho "deployment.apps/x created"\n'
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    manifests = k8s.render(VERSION, "img:1")
    # When the manifests are applied
    out = k8s.apply(manifests, "prod-cluster", kubectl=str(fake), log=lambda s: None)
    # Then kubectl got the context and a List of the manifests on stdin
    assert "created" in out
    assert open(f"{record}.args").read().split() == [
        "--context",
        "prod-cluster",
        "apply",
        "-f",
        "-",
    ]
    doc = json.loads(record.read_text())
    assert doc["kind"] == "List" and [i["kind"] for i in doc["items"]] == ["Deployment", "Service"]
    assert os.path.exists(record)


def test_delete_asks_kubectl_to_delete_what_was_applied_and_reports_its_failure(tmp_path):
    # Given a fake kubectl that refuses to delete, saying why on stderr
    fake = tmp_path / "kubectl"
    fake.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/args\ncat > /dev/null\n'
                    'echo "error: You must be logged in to the server" >&2\nexit 1\n')  # fmt: skip
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    manifests = k8s.render(VERSION, "img:1", "ml")
    # When the manifests are deleted
    with pytest.raises(k8s.KubectlError) as failed:
        k8s.delete(manifests, "prod-cluster", kubectl=str(fake))
    # Then kubectl was asked to delete them in that context, and its reason is the error
    assert (tmp_path / "args").read_text().split() == [
        "--context", "prod-cluster", "delete", "--ignore-not-found", "-f", "-",
    ]  # fmt: skip
    assert str(failed.value) == "kubectl delete failed: error: You must be logged in to the server"
    # And a kubectl that cannot be run is a KubectlError too, not a server error
    with pytest.raises(k8s.KubectlError, match="could not run"):
        k8s.delete(manifests, "prod-cluster", kubectl=str(tmp_path / "missing"))
