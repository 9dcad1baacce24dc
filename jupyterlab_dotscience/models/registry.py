"""Model registry views, builds and deployments (plain Python, thread based, no tornado)."""

from __future__ import annotations

import json
import logging
import pathlib
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from dotscience.timestamps import now

from . import build as builder
from . import kubernetes as k8s
from .supervisor import (
    DeploymentTable,
    Process,
    auth_headers,
    pid_alive,
    probe,
    start_server,
    url_for,
    wait_ready,
)

log = logging.getLogger(__name__)

#: Credentials whose runs may opt a PyTorch model in to full unpickling
#: (``ds.model(torch, ..., trusted_pickle=True)``): the Jupyter user and its kernels, never
#: an API key (even one with the deploy scope).
PICKLE_OPT_IN_SCOPES = ("jupyter", "publish")
#: Frameworks whose model files can carry code that loading or serving runs: scikit-learn
#: pickles; TensorFlow SavedModel graphs (file I/O ops) and Keras Lambda layers in ``.h5``.
#: They are served only from runs published with the deploy privilege.
PICKLE_FRAMEWORKS = ("sklearn", "tensorflow")
#: How :meth:`ModelService.pickle_refusal` names what such a model is.
_CODE_KIND = {
    "sklearn": "a scikit-learn pickle",
    "tensorflow": "a TensorFlow model (SavedModel graphs and Lambda layers can carry code)",
}


class ModelService:
    """Everything the Models REST routes do.

    A build goes ``queued -> copying -> image -> done`` (``failed`` can follow any state); a
    deployment ``building -> starting -> running`` or ``failed``, and ``stopped`` after
    :meth:`stop`.

    Parameters
    ----------
    store, artifacts
        The run store and the artifact store of the server.
    dot_dir
        ``<root>/.dotscience``: builds go to ``builds/``, deployments to ``deployments/``.
    python
        Interpreter for local model servers, from the server's configuration ("" = the
        server's own). A run record never chooses what is executed.
    host, port
        Where local model servers listen (port 0: a free port).
    ready_timeout
        Seconds a model server has to become healthy before it is marked failed.
    builder
        "" (auto: docker with a reachable daemon, podman, buildah), or one of those names,
        or "none" to never build images.
    kube_context, kube_namespace, image_registry, kserve
        The Kubernetes deployer's cluster (a kubectl context; empty: not configured).
    """

    def __init__(self, store, artifacts, dot_dir, python="", host="127.0.0.1", port=0,
                 ready_timeout=60.0, builder="", kube_context="", kube_namespace="default",
                 image_registry="", kserve=False, restart_on_start=True):  # fmt: skip
        self.store, self.artifacts = store, artifacts
        self.dot_dir = pathlib.Path(dot_dir)
        self.builds_dir = self.dot_dir / "builds"
        self.deploy_dir = self.dot_dir / "deployments"
        self.python, self.host, self.port = python, host, port
        self.ready_timeout = ready_timeout
        self.builder_choice = builder
        self.kube_context, self.kube_namespace = kube_context, kube_namespace
        self.image_registry, self.kserve = image_registry, kserve
        self.restart_on_start = restart_on_start
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dotscience-models")
        self.lock = threading.RLock()
        self.table = DeploymentTable(self.dot_dir / "deployments.json")
        self.deployments: dict[str, dict] = self.table.load()
        self.procs: dict[str, Process] = {}
        self.build_jobs: dict[tuple[str, int], object] = {}
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    # -- registry ------------------------------------------------------------------------

    def list_models(self) -> list[dict]:
        """The registry with each version's build state, live deployments and whether its
        model server may unpickle its files (``allow_pickle``, see :meth:`allow_pickle`)."""
        models = self.store.list_models()
        deps = self.list_deployments()
        for m in models:
            for v in m["versions"]:
                v["allow_pickle"] = self.allow_pickle(v)
                v["build"] = self.build_state(m["name"], v["version"], summary=True)
                v["deployments"] = [
                    d for d in deps if d["model"] == m["name"] and d["version"] == v["version"]
                ]
        return models

    def get_model(self, name: str) -> dict:
        """One model of the registry, as :meth:`list_models` shows it.

        Parameters
        ----------
        name : str
            The model name.

        Returns
        -------
        dict
            The model with its versions.

        Raises
        ------
        KeyError
            There is no such model (the message says so).
        """
        for m in self.list_models():
            if m["name"] == name:
                return m
        raise KeyError(f"There is no model {name!r}.")

    def get_version(self, name: str, version: int) -> dict:
        """One version of a model, as the store registered it.

        Parameters
        ----------
        name, version : str, int
            The model and its version number.

        Returns
        -------
        dict
            The version (``run_id``, ``framework``, ``files``, ...).

        Raises
        ------
        KeyError
            There is no such model or version (the message says which).
        """
        for m in self.store.list_models():
            if m["name"] == name:
                for v in m["versions"]:
                    if v["version"] == version:
                        return v
                raise KeyError(f"Model {name!r} has no version {version}.")
        raise KeyError(f"There is no model {name!r}.")

    def set_alias(self, name: str, alias: str, version: int) -> dict:
        """Point (or move) an alias such as ``production`` at a version.

        Parameters
        ----------
        name : str
            The model name.
        alias : str
            The alias.
        version : int
            The version it names.

        Returns
        -------
        dict
            ``{"name", "alias", "version"}``.

        Raises
        ------
        ValueError
            An empty or overlong alias, or a version that is not an integer.
        KeyError
            The model has no such version.
        """
        return self.store.set_alias(name, alias, version)

    # -- who published a version, and what its model server may unpickle -----------------

    def origin(self, run_id: str | None) -> dict | None:
        """Who published a run, as the store recorded it (``Store.run_publisher``).

        Parameters
        ----------
        run_id : str or None
            The run's id.

        Returns
        -------
        dict or None
            ``{"username", "project", "scope", "key_id", "deploy", "trusted_pickle"}``; None
            when nothing was recorded (a legacy import, or no such run).
        """
        if not run_id:
            return None
        return self.store.run_publisher(str(run_id))

    def allow_pickle(self, v: dict) -> bool:
        """Whether the model server may unpickle this version's files.

        scikit-learn (pickles) and TensorFlow (graphs, Lambda layers) models: allowed when their
        run was published by a credential with the deploy privilege. PyTorch: only when the
        Jupyter user (or its kernel) registered the model with ``trusted_pickle=True``; otherwise
        TorchScript or ``torch.load(weights_only=True)``. Never for versions whose publisher the
        store did not record.

        Parameters
        ----------
        v : dict
            A registry version (``run_id``, ``framework``, ``name``).

        Returns
        -------
        bool
            The decision written into the bundle's manifest.
        """
        origin = self.origin(v.get("run_id"))
        if not origin or not origin.get("deploy"):
            return False
        if v.get("framework") in PICKLE_FRAMEWORKS:
            return True
        return (
            v.get("framework") == "torch"
            and origin.get("scope") in PICKLE_OPT_IN_SCOPES
            and v.get("name") in (origin.get("trusted_pickle") or [])
        )

    def _loading_version(self, name: str, version: int) -> dict:
        """The registry's version with the server's loading policy (``allow_pickle``)."""
        v = dict(self.get_version(name, version))
        v["allow_pickle"] = self.allow_pickle(v)
        return v

    def project_of(self, run_id: str | None) -> str | None:
        """The project of a run.

        Parameters
        ----------
        run_id : str or None
            The run's id.

        Returns
        -------
        str or None
            None when there is no such run.
        """
        if not run_id:
            return None
        summaries = self.store.run_summaries([run_id])
        return summaries[0]["project"] if summaries else None

    def _deployment_project(self, d: dict) -> str | None:
        if "project" not in d:  # a deployment made before deployments had projects
            project = self.project_of(d.get("run_id"))
            with self.lock:
                if d["id"] in self.deployments:
                    self.deployments[d["id"]]["project"] = project
            d = dict(d, project=project)
        return d["project"]

    # -- builds ----------------------------------------------------------------------------

    def _build_dir(self, name: str, version: int) -> pathlib.Path:
        return self.builds_dir / builder.slug(name) / str(int(version))

    def build_state(self, name: str, version: int, summary: bool = False) -> dict | None:
        """The state of a version's build (``build.json``).

        Parameters
        ----------
        name, version : str, int
            The model and its version number.
        summary : bool
            Only ``state``, ``message``, ``image``, ``bundle`` and ``finished``.

        Returns
        -------
        dict or None
            None when it was never built.
        """
        path = self._build_dir(name, version) / "build.json"
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        if summary:
            return {k: state.get(k) for k in ("state", "message", "image", "bundle", "finished")}
        return state

    def _set_build(self, name, version, **changes) -> dict:
        d = self._build_dir(name, version)
        d.mkdir(parents=True, exist_ok=True)
        with self.lock:
            state = self.build_state(name, version) or {"model": name, "version": version}
            state.update(changes)
            tmp = d / "build.json.tmp"
            tmp.write_text(json.dumps(state, indent=1))
            tmp.replace(d / "build.json")
        return state

    def _build_log(self, name, version):
        path = self._build_dir(name, version) / "build.log"

        def write(line: str) -> None:
            with open(path, "a", encoding="utf-8") as f:
                f.write(line.rstrip("\n") + "\n")

        return write

    def build(self, name: str, version: int, rebuild: bool = False) -> dict:
        """Start (or join) the build of a model version; returns its state at once.

        Parameters
        ----------
        name, version : str, int
            The model and its version number.
        rebuild : bool
            Build again even when a current bundle exists.

        Returns
        -------
        dict
            The build's state (``queued`` for a new build).

        Raises
        ------
        KeyError
            There is no such model or version.
        """
        self.get_version(name, version)  # KeyError for unknown ones
        key = (name, version)
        with self.lock:
            job = self.build_jobs.get(key)
            if job is not None and not job.done():
                return self.build_state(name, version)
            current = self.build_state(name, version)
            if current and current.get("state") == "done" and not rebuild:
                if self._bundle_current(name, version, current.get("bundle")):
                    return current
            d = self._build_dir(name, version)
            d.mkdir(parents=True, exist_ok=True)
            (d / "build.log").write_text("")
            state = self._set_build(name, version, state="queued", started=now(), finished=None,
                                    message="", image=None, builder=None, bundle=None,
                                    digest=None)  # fmt: skip
            self.build_jobs[key] = self.pool.submit(self._build, name, version)
        return state

    def _bundle_current(self, name: str, version: int, bundle: str | None) -> bool:
        """Whether a built bundle's manifest is what the registry and the server's loading
        policy say now (a bundle from before a policy change is rebuilt)."""
        if not bundle:
            return False
        try:
            have = json.loads((pathlib.Path(bundle) / "model.json").read_text())
        except (OSError, ValueError):
            return False
        return have == builder.manifest_for(self._loading_version(name, version))

    def wait_build(self, name: str, version: int) -> dict:
        """Wait for a version's running build to end.

        Parameters
        ----------
        name, version : str, int
            The model and its version number.

        Returns
        -------
        dict or None
            The build's final state.
        """
        job = self.build_jobs.get((name, version))
        if job is not None:
            job.result()
        return self.build_state(name, version)

    def _build(self, name: str, version: int) -> dict:
        out = self._build_log(name, version)
        try:
            v = self._loading_version(name, version)
            run = self.store.get_run(v["run_id"]) if v.get("run_id") else None
            self._check_captured(v)
            self._set_build(name, version, state="copying")
            out(f"building {name} v{version} ({v.get('framework')}) from run {v.get('run_id')}")
            out("the model server may unpickle its files" if v["allow_pickle"] else
                "the model server will not unpickle its files (no pickle opt-in)")  # fmt: skip
            result = builder.write_bundle(
                v, run, self.artifacts, self._build_dir(name, version) / "bundle", out
            )
            self._set_build(name, version, bundle=result["bundle"], digest=result["digest"])
            found = None
            if self.builder_choice != "none":
                found = builder.container_builder(self.builder_choice)
            if found is None:
                message = f"no container builder found: the bundle is at {result['bundle']}"
                out(message)
                return self._set_build(name, version, state="done", message=message,
                                       finished=now())  # fmt: skip
            tag = self.image_tag(name, version)
            self._set_build(name, version, state="image", builder=found[0])
            builder.build_image(result["bundle"], tag, found, out)
            out(f"image built: {tag}")
            return self._set_build(name, version, state="done", image=tag, finished=now(),
                                   message=f"image {tag} built with {found[0]}")  # fmt: skip
        except Exception as e:  # the reason goes to the log and the state
            reason = str(e) if isinstance(e, builder.BuildError) else f"{type(e).__name__}: {e}"
            out(f"build failed: {reason}")
            log.info("Dotscience: build of %s v%s failed: %s", name, version, reason)
            return self._set_build(name, version, state="failed", message=reason, finished=now())

    def _check_captured(self, v: dict) -> None:
        """A version from a run published with an API key is built only from the files that
        were captured for that run (uploaded by its user for its project): naming another
        project's content by its hash does not make it this run's model."""
        origin = self.origin(v.get("run_id"))
        if not origin or origin.get("scope") != "apikey":
            return  # this server's own workspace (the Jupyter user and its kernels)
        captured = {
            f["path"]: f for f in self.store.run_files(v["run_id"]) if f.get("role") == "output"
        }
        for f in v.get("files") or []:
            got = captured.get(f["path"])
            if not got or not got.get("captured") or got.get("sha256") != f.get("sha256"):
                why = (got or {}).get("reason") or "not an output of the run"
                raise builder.BuildError(
                    f"{f['path']} was not captured for run {v['run_id']} ({why}); a run "
                    "published with an API key is built only from the files its user uploaded "
                    "for its project"
                )

    def image_tag(self, name: str, version: int) -> str:
        """The container image tag of a version (under ``image_registry`` when configured).

        Parameters
        ----------
        name, version : str, int
            The model and its version number.

        Returns
        -------
        str
            ``<registry>/<slug>:<version>``, by default ``dotscience/<slug>:<version>``.
        """
        prefix = self.image_registry.rstrip("/") + "/" if self.image_registry else "dotscience/"
        return f"{prefix}{builder.slug(name)}:{int(version)}"

    def read_log(self, path: pathlib.Path, offset: int = 0, limit: int = 256 * 1024):
        """Part of a log from a byte offset.

        Parameters
        ----------
        path : pathlib.Path
            The log file.
        offset : int
            Where to start reading.
        limit : int
            Bytes to read at most.

        Returns
        -------
        (str, int)
            The text (invalid UTF-8 replaced) and the offset to read from next.
        """
        try:
            with open(path, "rb") as f:
                f.seek(max(0, offset))
                data = f.read(limit)
        except OSError:
            return "", offset
        return data.decode("utf-8", errors="replace"), max(0, offset) + len(data)

    def build_log(self, name: str, version: int, offset: int = 0):
        """Part of a version's build log (see :meth:`read_log`).

        Parameters
        ----------
        name, version : str, int
            The model and its version number.
        offset : int
            Where to start reading.

        Returns
        -------
        (str, int)
            The text and the next offset.
        """
        return self.read_log(self._build_dir(name, version) / "build.log", offset)

    # -- deployments -----------------------------------------------------------------------

    def _save(self) -> None:
        with self.lock:
            self.table.save(self.deployments)

    def _update(self, dep_id: str, state: str | None = None, message: str = "", **changes):
        with self.lock:
            d = self.deployments[dep_id]
            d.update(changes, updated=now())
            if state is not None:
                d["state"] = state
                d["reason"] = message if state in ("failed", "stopped") else None
            if state is not None or message:
                d.setdefault("events", []).append(
                    {"time": now(), "state": d["state"], "message": message}
                )
            self._save()
            return dict(d)

    def list_deployments(self) -> list[dict]:
        """Every deployment, newest first.

        Returns
        -------
        list of dict
            Copies of the deployments.
        """
        with self.lock:
            return sorted((dict(d) for d in self.deployments.values()),
                          key=lambda d: d["created"], reverse=True)  # fmt: skip

    def get_deployment(self, dep_id: str) -> dict:
        """One deployment.

        Parameters
        ----------
        dep_id : str
            The deployment id.

        Returns
        -------
        dict
            A copy of the deployment.

        Raises
        ------
        KeyError
            There is no such deployment.
        """
        with self.lock:
            if dep_id not in self.deployments:
                raise KeyError(f"There is no deployment {dep_id}.")
            return dict(self.deployments[dep_id])

    def deploy(self, name: str, version: int, target: str = "local") -> dict:
        """Build if needed, then start the model server; returns the deployment at once.

        A deployment of the same version and target that is building, starting or running is
        returned instead of starting another.

        Parameters
        ----------
        name, version : str, int
            The model and its version number.
        target : str
            ``local`` (a process on this machine) or ``kubernetes``.

        Returns
        -------
        dict
            The deployment (state ``building``).

        Raises
        ------
        ValueError
            An unknown target, or Kubernetes without a configured cluster.
        KeyError
            There is no such model or version.
        """
        if target not in ("local", "kubernetes"):
            raise ValueError(f"target: expected 'local' or 'kubernetes', got {target!r}")
        v = self.get_version(name, version)
        if target == "kubernetes" and not self.kube_context:
            raise ValueError(
                "no Kubernetes cluster is configured (set DotscienceApp.kube_context); "
                "GET the kubernetes route to see the manifests"
            )
        project = self.project_of(v.get("run_id"))
        with self.lock:
            for d in self.deployments.values():
                if (d["model"], d["version"], d["target"]) == (name, version, target) and d[
                    "state"
                ] in ("building", "starting", "running"):
                    return dict(d)
            dep_id = str(uuid.uuid4())
            self.deployments[dep_id] = {
                "id": dep_id, "model": name, "version": version, "run_id": v.get("run_id"),
                "project": project,
                "framework": v.get("framework"), "target": target, "state": "building",
                "reason": None, "url": None, "host": self.host, "port": None, "pid": None,
                "created": now(), "updated": now(), "classes": bool(v.get("classes")),
                "events": [{"time": now(), "state": "building", "message": ""}],
            }  # fmt: skip
            self._save()
        self.pool.submit(self._deploy, dep_id)
        return self.get_deployment(dep_id)

    def _deploy(self, dep_id: str) -> None:
        d = self.get_deployment(dep_id)
        name, version = d["model"], d["version"]
        try:
            refusal = self.pickle_refusal(name, version)
            if refusal:
                self._update(dep_id, "failed", refusal)
                return
            state = self.build(name, version)
            if state.get("state") != "done":
                state = self.wait_build(name, version)
            if state.get("state") != "done":
                self._update(dep_id, "failed", f"build failed: {state.get('message')}")
                return
            if d["target"] == "kubernetes":
                self._deploy_kubernetes(dep_id, name, version, state)
                return
            self._start_local(dep_id, state["bundle"])
        except Exception as e:  # noqa: BLE001 - reported on the deployment
            log.exception("Dotscience: deployment %s failed", dep_id)
            self._update(dep_id, "failed", f"{type(e).__name__}: {e}")

    def pickle_refusal(self, name: str, version: int) -> str | None:
        """Why a version's model must not be served, or None.

        Parameters
        ----------
        name, version : str, int
            The model and its version number.

        Returns
        -------
        str or None
            One sentence when its files carry code and its publisher lacked the privilege to have
            them loaded.
        """
        v = self._loading_version(name, version)
        if v.get("framework") not in PICKLE_FRAMEWORKS or v["allow_pickle"]:
            return None
        origin = self.origin(v.get("run_id"))
        who = ("an API key without the 'deploy' scope" if origin and origin.get("scope") ==
               "apikey" else "an unknown credential (imported, or published before this "
               "server recorded publishers)")  # fmt: skip
        return (
            f"model {name} v{version} is {_CODE_KIND[v['framework']]}, and loading it would "
            "run its code; its run "
            f"was published by {who}, so it is not served: publish it again from JupyterLab "
            "or with a key that has the deploy scope"
        )

    def _check_bundle(self, name: str, version: int, bundle: str) -> None:
        """The bundle's manifest must be the registry's (files, hashes, loading policy)."""
        if not self._bundle_current(name, version, bundle):
            raise builder.BuildError(
                "the bundle's manifest does not match the registry; rebuild the model version"
            )

    def _start_local(self, dep_id: str, bundle: str) -> dict:
        d = self.get_deployment(dep_id)
        self._check_bundle(d["model"], d["version"], bundle)
        python = self.python or sys.executable  # configuration only, never a run record
        workdir = self.deploy_dir / dep_id
        port = d.get("port") if d.get("port") and not self.port else self.port
        self._update(dep_id, "starting", f"starting {python} -m model_server", python=python,
                     bundle=bundle, log=str(workdir / "server.log"))  # fmt: skip
        proc = start_server(python, bundle, workdir, dep_id, self.host, port or 0)
        with self.lock:
            self.procs[dep_id] = proc
        self._update(dep_id, pid=proc.pid)
        ok, reason, port = wait_ready(proc, workdir, self.host, dep_id, self.ready_timeout)
        if not ok:
            proc.stop()
            return self._update(dep_id, "failed", reason, pid=None)
        result = self._update(dep_id, "running", "healthy", port=port,
                              url=url_for(self.host, port))  # fmt: skip
        self._retire_older(dep_id)
        self._ensure_watcher()
        return result

    def _retire_older(self, dep_id: str) -> None:
        """A new healthy version replaces the older local deployments of the same model in
        the same project (another project's deployment of that name is left alone)."""
        d = self.get_deployment(dep_id)
        project = self._deployment_project(d)
        for other in self.list_deployments():
            if (other["id"] != dep_id and other["model"] == d["model"]
                    and other["target"] == "local" and other["state"] == "running"
                    and self._deployment_project(other) == project):  # fmt: skip
                self.stop(other["id"], reason=f"replaced by version {d['version']}")

    def _deploy_kubernetes(self, dep_id: str, name: str, version: int, state: dict) -> None:
        image = state.get("image") or self.image_tag(name, version)
        manifests = k8s.render(self.get_version(name, version), image, self.kube_namespace,
                               kserve=self.kserve)  # fmt: skip
        self._update(dep_id, "starting", f"kubectl apply to context {self.kube_context}")
        k8s.apply(manifests, self.kube_context, log=lambda s: None)
        svc = k8s.resource_name(name, version)
        url = f"http://{svc}.{self.kube_namespace}.svc.cluster.local/"
        self._update(dep_id, "running", "applied", url=url)

    def kubernetes_manifests(self, name: str, version: int) -> list[dict]:
        """The Kubernetes manifests that would deploy a version (see :func:`kubernetes.render`).

        Parameters
        ----------
        name, version : str, int
            The model and its version number.

        Returns
        -------
        list of dict
            The manifests, with the version's image.
        """
        v = self.get_version(name, version)
        state = self.build_state(name, version) or {}
        image = state.get("image") or self.image_tag(name, version)
        return k8s.render(v, image, self.kube_namespace, kserve=self.kserve)

    def stop(self, dep_id: str, reason: str = "stopped by request") -> dict:
        """Stop a deployment's model server (a stopped one is left as it is).

        Parameters
        ----------
        dep_id : str
            The deployment id.
        reason : str
            Recorded as the deployment's reason.

        Returns
        -------
        dict
            The deployment, ``stopped``.

        Raises
        ------
        KeyError
            There is no such deployment.
        """
        d = self.get_deployment(dep_id)
        if d["state"] in ("stopped",):
            return d
        with self.lock:
            proc = self.procs.pop(dep_id, None)
        if proc is None and d.get("pid") and d["target"] == "local":
            if probe(d.get("url") or url_for(self.host, d.get("port")), dep_id, timeout=1):
                proc = Process(d["pid"])
        if proc is not None:
            proc.stop()
        return self._update(dep_id, "stopped", reason, pid=None)

    def deployment_log(self, dep_id: str, offset: int = 0):
        """Part of a deployment's model server log (see :meth:`read_log`).

        Parameters
        ----------
        dep_id : str
            The deployment id.
        offset : int
            Where to start reading.

        Returns
        -------
        (str, int)
            The text and the next offset.
        """
        d = self.get_deployment(dep_id)
        path = self.deploy_dir / d["id"] / "server.log"
        return self.read_log(path, offset)

    def deployment_metrics(self, dep_id: str) -> str:
        """The model server's ``/metrics`` page (text), fetched over loopback.

        Parameters
        ----------
        dep_id : str
            The deployment id.

        Returns
        -------
        str
            Prometheus text format.

        Raises
        ------
        LookupError
            The deployment is not running locally.
        """
        import urllib.request

        d = self.get_deployment(dep_id)
        if d["state"] != "running" or d["target"] != "local" or not d.get("url"):
            raise LookupError(f"deployment {dep_id} is {d['state']}: no metrics to read")
        req = urllib.request.Request(
            d["url"] + "metrics", headers=auth_headers(self.deploy_dir / d["id"])
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.read().decode()

    # -- publish hook, restart, watch ------------------------------------------------------

    def run_published(self, run: dict, origin: dict | None = None) -> dict:
        """Build and/or deploy a newly stored run's models when it asked for that and its
        publisher has the deploy privilege (who published it is recorded by the store).

        Parameters
        ----------
        run : dict
            The stored run (first publish of its id).
        origin : dict, optional
            Who published it (``{"scope", "key_id", "deploy", "trusted_pickle"}``); None:
            nobody with the privilege.

        Returns
        -------
        dict
            ``{"builds": [...]}`` and/or ``{"deployments": [...]}`` for what was started.
        """
        origin = origin or {}
        if run.get("imported") or not (run.get("build") or run.get("deploy")):
            return {}
        if not origin.get("deploy"):
            return {}
        builds, deps = [], []
        for m in run.get("models") or []:
            if m.get("version") is None:
                continue
            if run.get("deploy"):
                deps.append(self.deploy(m["name"], m["version"]))
            else:
                state = self.build(m["name"], m["version"])
                builds.append({"model": m["name"], "version": m["version"],
                               "state": state.get("state")})  # fmt: skip
        out = {}
        if builds:
            out["builds"] = builds
        if deps:
            out["deployments"] = [public(d) for d in deps]
        return out

    def adopt(self) -> dict[str, str]:
        """After a server (re)start: re-adopt, restart or report each persisted deployment."""
        outcome = {}
        for d in self.list_deployments():
            if d["target"] != "local" or d["state"] in ("stopped", "failed"):
                continue
            url = d.get("url")
            if d["state"] == "running" and url and pid_alive(d.get("pid")) and probe(url, d["id"]):
                with self.lock:
                    self.procs[d["id"]] = Process(d["pid"])
                self._update(d["id"], message="re-adopted after a server restart")
                outcome[d["id"]] = "adopted"
            elif self.restart_on_start and d.get("bundle"):
                self._update(d["id"], "building", "restarting after a server restart")
                self.pool.submit(self._deploy, d["id"])
                outcome[d["id"]] = "restarted"
            else:
                self._update(d["id"], "stopped", "its process ended while the server was down",
                             pid=None)  # fmt: skip
                outcome[d["id"]] = "stopped"
        if outcome:
            self._ensure_watcher()
        return outcome

    def _ensure_watcher(self) -> None:
        with self.lock:
            if self._watcher is None or not self._watcher.is_alive():
                self._watcher = threading.Thread(
                    target=self._watch, name="dotscience-model-watch", daemon=True
                )
                self._watcher.start()

    def _watch(self, interval: float = 2.0) -> None:
        """Mark a running local deployment failed when its process dies."""
        while not self._stop.wait(interval):
            with self.lock:
                running = [(i, p) for i, p in self.procs.items()
                           if self.deployments.get(i, {}).get("state") == "running"]  # fmt: skip
            for dep_id, proc in running:
                if not proc.alive():
                    with self.lock:
                        self.procs.pop(dep_id, None)
                    code = proc.exit_code()
                    self._update(dep_id, "failed",
                                 f"the model server exited unexpectedly (code {code})",
                                 pid=None)  # fmt: skip

    def shutdown(self) -> None:
        """Stop watching; model servers keep running (they survive a server restart)."""
        self._stop.set()
        self.pool.shutdown(wait=False, cancel_futures=True)


def public(d: dict) -> dict:
    """A deployment without its event history (for compact answers).

    Parameters
    ----------
    d : dict
        A deployment.

    Returns
    -------
    dict
        A copy without ``events``.
    """
    return {k: v for k, v in d.items() if k != "events"}
