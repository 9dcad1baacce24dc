"""Kubernetes deployer: a Deployment and a Service (and optionally a KServe InferenceService).

Rendering is plain Python; applying runs ``kubectl apply -f -`` only when a cluster is
configured (a kubectl context). The program (``DotscienceApp.kubectl_path``), the context and
every argument come from the server's configuration; what a request or run record names (a
model's name) reaches kubectl only inside the manifests, as JSON on its stdin.
"""

from __future__ import annotations

import json
import subprocess

from .build import slug

LABEL = "dotscience.io/model"


def resource_name(model: str, version: int) -> str:
    """A DNS-1123 name (at most 63 characters) for the model version.

    Parameters
    ----------
    model : str
        The model name.
    version : int
        The version number.

    Returns
    -------
    str
        ``<slug>-v<version>``.
    """
    base = slug(model).replace("_", "-").replace(".", "-")[:50].strip("-") or "model"
    return f"{base}-v{int(version)}"


def render(
    version: dict,
    image: str,
    namespace: str = "default",
    replicas: int = 1,
    kserve: bool = False,
    port: int = 8080,
) -> list[dict]:
    """The manifests for one model version, as dicts (``kubectl apply`` accepts them as JSON).

    Parameters
    ----------
    version : dict
        The registry's model version.
    image : str
        The container image serving it.
    namespace : str
        The Kubernetes namespace.
    replicas : int
        Pods of the Deployment.
    kserve : bool
        A KServe InferenceService instead of a Deployment and a Service.
    port : int
        The container port.

    Returns
    -------
    list of dict
        The manifests.
    """
    name = resource_name(version["name"], version["version"])
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "dotscience",
              LABEL: slug(version["name"]), "dotscience.io/version": str(version["version"])}  # fmt: skip
    probe = lambda path: {  # noqa: E731
        "httpGet": {"path": path, "port": port},
        "periodSeconds": 5,
        "timeoutSeconds": 2,
        "failureThreshold": 6,
    }
    container = {
        "name": "model",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": [
            "python",
            "-m",
            "model_server",
            "--bundle",
            "/srv",
            "--host",
            "0.0.0.0",
            "--port",
            str(port),
            # a ClusterIP Service: reachable inside the cluster only; a gateway in front of it
            # authenticates (set MODEL_TOKEN from a Secret and drop this to need a token)
            "--allow-unauthenticated",
        ],  # fmt: skip
        "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
        "readinessProbe": probe("/v2/health/ready"),
        "livenessProbe": probe("/v2/health/live"),
        "resources": {
            "requests": {"cpu": "100m", "memory": "256Mi"},
            "limits": {"memory": "1Gi"},
        },  # fmt: skip
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65534,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
        },  # fmt: skip
    }
    meta = {"name": name, "namespace": namespace, "labels": labels,
            "annotations": {"dotscience.io/run": str(version.get("run_id") or ""),
                            "prometheus.io/scrape": "true", "prometheus.io/port": str(port),
                            "prometheus.io/path": "/metrics"}}  # fmt: skip
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": int(replicas),
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {
                "metadata": {"labels": labels, "annotations": meta["annotations"]},
                "spec": {"containers": [container]},
            },  # fmt: skip
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "type": "ClusterIP",
            "selector": {"app.kubernetes.io/name": name},
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        },
    }
    if kserve:  # KServe makes (and scales) the pods and the service itself
        return [{
            "apiVersion": "serving.kserve.io/v1beta1",
            "kind": "InferenceService",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"predictor": {"containers": [dict(container, name="kserve-container")]}},
        }]  # fmt: skip
    return [deployment, service]


class KubectlError(RuntimeError):
    """kubectl failed (the message: what it said, cut to 500 characters)."""


def _kubectl(verb: list[str], manifests: list[dict], context: str, kubectl: str) -> str:
    doc = {"apiVersion": "v1", "kind": "List", "items": manifests}
    try:
        proc = subprocess.run(
            [kubectl, "--context", context, *verb, "-f", "-"],
            input=json.dumps(doc), capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    except OSError as e:  # its reason, not the path it was looked for at
        raise KubectlError(
            f"kubectl {verb[0]} could not run ({e.strerror or type(e).__name__}); check "
            "DotscienceApp.kubectl_path"
        ) from None
    except subprocess.TimeoutExpired:
        raise KubectlError(f"kubectl {verb[0]} could not run: no answer within 120 s") from None
    if proc.returncode != 0:
        said = (proc.stderr.strip() or proc.stdout.strip())[:500]
        raise KubectlError(f"kubectl {verb[0]} failed: {said}")
    return proc.stdout + proc.stderr


def delete(manifests: list[dict], context: str, kubectl: str = "kubectl") -> str:
    """``kubectl --context C delete --ignore-not-found -f -`` of the manifests :func:`apply`
    applied (deleting what is already gone succeeds).

    Parameters
    ----------
    manifests : list of dict
        What :func:`render` returned for the deployed version.
    context : str
        The kubectl context (from the server's configuration).
    kubectl : str
        The kubectl program.

    Returns
    -------
    str
        kubectl's output.

    Raises
    ------
    KubectlError
        When kubectl fails or cannot run.
    """
    return _kubectl(["delete", "--ignore-not-found"], manifests, context, kubectl)


def apply(manifests: list[dict], context: str, kubectl: str = "kubectl", log=print) -> str:
    """``kubectl --context C apply -f -`` of the manifests.

    Parameters
    ----------
    manifests : list of dict
        What :func:`render` returned.
    context : str
        The kubectl context (from the server's configuration).
    kubectl : str
        The kubectl program.
    log : callable
        Told kubectl's output.

    Returns
    -------
    str
        kubectl's output.

    Raises
    ------
    KubectlError
        When kubectl fails (its error, cut to 500 characters) or cannot run.
    """
    out = _kubectl(["apply"], manifests, context, kubectl)
    log(out)
    return out
