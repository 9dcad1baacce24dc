"""Model registry views, builds and deployments (plain Python, thread based, no tornado)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import pathlib
import re
import socket
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from dotscience.timestamps import iso_from_epoch, now

from . import build as builder
from . import kubernetes as k8s
from .supervisor import (
    DeploymentTable,
    Process,
    auth_headers,
    model_server_pids,
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
#: States of a deployment that is (or is about to be) served: its server holds a lease.
ACTIVE = ("building", "starting", "running")
#: States of a build that is under way.
BUILDING = ("queued", "copying", "image")
_SERVER_ID = re.compile(r"[A-Za-z0-9._-]{1,100}/[0-9a-f]{32}\Z")


class ModelService:
    """Everything the Models REST routes do.

    A build goes ``queued -> copying -> image -> done`` (``failed`` can follow any state); a
    deployment ``building -> starting -> running`` or ``failed``, and ``stopped`` after
    :meth:`stop`.

    Builds and deployments live in the store, so every server sharing it shows the same ones.
    A build's bundle and log are files of the server that built it; a local deployment's
    model server runs on the server that holds its lease (``server``, ``lease_expires`` in
    the store): that server renews the lease while it runs, stops its model server when the
    store says the deployment was stopped (from any server), and after a restart adopts or
    restarts it. A lease is taken with one conditional UPDATE, so two servers never run the
    same deployment; a lease that expired (its server died) is taken over only by a server
    configured to (``take_over``), else the deployment is reported as orphaned.

    Parameters
    ----------
    store, artifacts
        The run store and the artifact store of the server.
    dot_dir
        ``<root>/.dotscience``: builds go to ``builds/``, deployments to ``deployments/``;
        ``server-id`` names this server in the store (kept across restarts).
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
    kubectl
        The kubectl program it runs (from the server's configuration; a request never
        chooses it nor its arguments).
    restart_on_start
        After a restart, start again this server's deployments whose process ended.
    lease_seconds
        How long a server's lease on its deployments lasts without renewal (renewed every
        third of it).
    take_over
        Take over (adopt, or start again) local deployments whose server's lease expired.
    watch_interval
        Seconds between checks of this server's model servers and leases.
    """

    def __init__(self, store, artifacts, dot_dir, python="", host="127.0.0.1", port=0,
                 ready_timeout=60.0, builder="", kube_context="", kube_namespace="default",
                 image_registry="", kserve=False, restart_on_start=True, lease_seconds=30.0,
                 take_over=False, watch_interval=2.0, kubectl="kubectl"):  # fmt: skip
        self.store, self.artifacts = store, artifacts
        self.dot_dir = pathlib.Path(dot_dir)
        self.builds_dir = self.dot_dir / "builds"
        self.deploy_dir = self.dot_dir / "deployments"
        self.python, self.host, self.port = python, host, port
        self.ready_timeout = ready_timeout
        self.builder_choice = builder
        self.kube_context, self.kube_namespace = kube_context, kube_namespace
        self.kubectl = kubectl or "kubectl"
        self.image_registry, self.kserve = image_registry, kserve
        self.restart_on_start = restart_on_start
        if not lease_seconds > 0:
            raise ValueError(f"lease_seconds: expected a positive number, got {lease_seconds!r}")
        self.lease_seconds, self.take_over = float(lease_seconds), take_over
        self.watch_interval = min(float(watch_interval), self.lease_seconds / 3)
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dotscience-models")
        self.lock = threading.RLock()
        self._id_fd: int | None = None
        self.server_id = self._server_identity()
        self.procs: dict[str, Process] = {}
        self.build_jobs: dict[tuple[str, int], object] = {}
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        self._migrate_files()

    # -- who this server is, and what it kept in files before the store -------------------

    def _server_identity(self) -> str:
        """This server's name in the store: ``<host>/<32 hex>``, kept in ``server-id`` so a
        restarted server is the same one (and adopts its deployments at once). The file is
        locked while the server runs: a second server on the same workspace gets a name of
        its own."""
        self.dot_dir.mkdir(parents=True, exist_ok=True)
        host = re.sub(r"[^A-Za-z0-9._-]+", "-", socket.gethostname())[:100] or "host"
        fresh = f"{host}/{uuid.uuid4().hex}"
        try:
            fd = os.open(self.dot_dir / "server-id", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW,
                         0o600)  # fmt: skip
        except OSError as e:
            log.warning("Dotscience: cannot keep this server's id (%s); it changes on restart", e)
            return fresh
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # another server runs on this workspace
            os.close(fd)
            return fresh
        text = os.read(fd, 256).decode("ascii", errors="replace").strip()
        if not _SERVER_ID.match(text):
            text = fresh
            os.ftruncate(fd, 0)
            os.pwrite(fd, (text + "\n").encode(), 0)
            os.fsync(fd)
        self._id_fd = fd
        return text

    def _migrate_files(self) -> None:
        """Move what an earlier version kept in JSON files into the store, once: the
        deployments of ``deployments.json`` (held by this server) and each
        ``builds/<model>/<version>/build.json``; each file is renamed ``*.migrated``."""
        table = self.dot_dir / "deployments.json"
        if table.is_file():
            for d in DeploymentTable(table).load().values():
                with contextlib.suppress(Exception):
                    self._migrate_deployment(d)
            with contextlib.suppress(OSError):
                os.replace(table, table.with_name("deployments.json.migrated"))
        for path in sorted(self.builds_dir.glob("*/*/build.json")):
            try:
                state = json.loads(path.read_text())
                name, version = state.pop("model"), int(state.pop("version"))
                if not isinstance(name, str):
                    raise ValueError("no model name")
                if self.store.get_build(name, version) is None:
                    state.setdefault("state", "failed")
                    self.store.put_build(name, version, self.server_id, **state)
            except (OSError, ValueError, KeyError, TypeError) as e:
                log.warning("Dotscience: %s was not migrated to the store: %s", path, e)
                continue
            with contextlib.suppress(OSError):
                os.replace(path, path.with_name("build.json.migrated"))

    def _migrate_deployment(self, d: dict) -> None:
        if not isinstance(d.get("id"), str) or not isinstance(d.get("model"), str):
            return
        if "project" not in d:
            d["project"] = self.project_of(d.get("run_id"))
        d.update(server=self.server_id, lease_expires=None,
                 log=str(self.deploy_dir / d["id"] / "server.log"))  # fmt: skip
        d.setdefault("owner", None)
        stored, created = self.store.put_deployment(d)
        if created or stored["id"] == d["id"]:
            return
        # another server runs this version meanwhile: this one is kept as stopped
        reason = f"deployment {stored['id']} of this version runs on another server"
        if d.get("pid") and d["id"] in model_server_pids(self.deploy_dir):
            Process(d["pid"]).stop(grace=2)
        self.store.put_deployment(dict(d, state="stopped", reason=reason, pid=None))

    # -- registry ------------------------------------------------------------------------

    def list_models(self) -> list[dict]:
        """The registry with each version's build state, live deployments and whether its
        model server may unpickle its files (``allow_pickle``, see :meth:`allow_pickle`)."""
        models = self.store.list_models()
        deps = self.list_deployments()
        builds = {(b["model"], b["version"]): b for b in self.store.list_builds()}
        for m in models:
            for v in m["versions"]:
                v["allow_pickle"] = self.allow_pickle(v)
                v["build"] = _summary(builds.get((m["name"], v["version"])))
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
        return d["project"] if "project" in d else self.project_of(d.get("run_id"))

    # -- builds ----------------------------------------------------------------------------

    def _build_dir(self, name: str, version: int) -> pathlib.Path:
        return self.builds_dir / builder.slug(name) / str(int(version))

    def build_state(self, name: str, version: int, summary: bool = False) -> dict | None:
        """The state of a version's build, as the store keeps it.

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
        state = self.store.get_build(name, int(version))
        return _summary(state) if summary else state

    def _set_build(self, name, version, **changes) -> dict:
        return self.store.put_build(name, int(version), self.server_id, **changes)

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
                if self._bundle_current(name, version):
                    return current
            d = self._build_dir(name, version)
            d.mkdir(parents=True, exist_ok=True)
            (d / "build.log").write_text("")
            state = self._set_build(name, version, state="queued", started=now(), finished=None,
                                    message="", image=None, builder=None, bundle=None,
                                    digest=None, log_path=str(d / "build.log"))  # fmt: skip
            self.build_jobs[key] = self.pool.submit(self._build, name, version)
        return state

    def _bundle(self, name: str, version: int) -> pathlib.Path:
        """This server's bundle of a version (never a path read from the store)."""
        return self._build_dir(name, version) / "bundle"

    def _bundle_current(self, name: str, version: int) -> bool:
        """Whether this server's bundle of a version exists and its manifest is what the
        registry and the server's loading policy say now (a bundle from before a policy
        change, or built by another server only, is built again here)."""
        try:
            have = json.loads((self._bundle(name, version) / "model.json").read_text())
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

    def _expiry(self) -> str:
        """When a lease taken or renewed now expires, by the store's clock."""
        return iso_from_epoch(self.store.clock() + self.lease_seconds)

    def _lease_times(self) -> tuple[str, str]:
        """Now and when a lease taken now expires, from one reading of the store's clock
        (every server sharing the store compares leases with it, so a server whose own
        clock is ahead or behind neither takes a live lease nor lets its own lapse)."""
        clock = self.store.clock()
        return iso_from_epoch(clock), iso_from_epoch(clock + self.lease_seconds)

    def _update(self, dep_id: str, state: str | None = None, message: str = "",
                holder: bool = False, **changes):  # fmt: skip
        """Change a deployment in the store; with ``holder``, only while this server holds
        its lease and it is active (else None: stopped meanwhile, or taken over)."""
        return self.store.update_deployment(
            dep_id, state, message, holder=self.server_id if holder else None, **changes
        )

    def list_deployments(self) -> list[dict]:
        """Every deployment of the store, newest first.

        Returns
        -------
        list of dict
            The deployments (with ``server``, ``lease_expires``, ``owner``, ``log``).
        """
        return self.store.list_deployments()

    def get_deployment(self, dep_id: str) -> dict:
        """One deployment.

        Parameters
        ----------
        dep_id : str
            The deployment id.

        Returns
        -------
        dict
            The deployment with its events.

        Raises
        ------
        KeyError
            There is no such deployment.
        """
        d = self.store.get_deployment(dep_id)
        if d is None:
            raise KeyError(f"There is no deployment {dep_id}.")
        return d

    def deploy(self, name: str, version: int, target: str = "local", owner=None) -> dict:
        """Build if needed, then start the model server; returns the deployment at once.

        A deployment of the same version and target that is building, starting or running
        (on any server sharing the store) is returned instead of starting another.

        Parameters
        ----------
        name, version : str, int
            The model and its version number.
        target : str
            ``local`` (a process on this machine) or ``kubernetes``.
        owner : str, optional
            The user who deploys it (recorded as its ``owner``).

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
        dep_id, stamp = str(uuid.uuid4()), now()
        dep, created = self.store.put_deployment({
            "id": dep_id, "model": name, "version": version, "run_id": v.get("run_id"),
            "project": self.project_of(v.get("run_id")), "owner": owner,
            "framework": v.get("framework"), "target": target, "state": "building",
            "reason": None, "url": None, "host": self.host, "port": None, "pid": None,
            "created": stamp, "updated": stamp, "classes": bool(v.get("classes")),
            "server": self.server_id, "lease_expires": self._expiry(),
            "log": str(self.deploy_dir / dep_id / "server.log") if target == "local" else None,
            "events": [{"time": stamp, "state": "building",
                        "message": f"deployed by {owner}" if owner else ""}],
        })  # fmt: skip
        if created:
            self.pool.submit(self._deploy, dep_id)
            self._ensure_watcher()
        return dep

    def _deploy(self, dep_id: str) -> None:
        d = self.get_deployment(dep_id)
        name, version = d["model"], d["version"]
        try:
            refusal = self.pickle_refusal(name, version)
            if refusal:
                self._update(dep_id, "failed", refusal, holder=True)
                return
            state = self.build(name, version)
            if state.get("state") != "done":
                state = self.wait_build(name, version)
            if state.get("state") != "done":
                self._update(dep_id, "failed", f"build failed: {state.get('message')}",
                             holder=True)  # fmt: skip
                return
            if d["target"] == "kubernetes":
                self._deploy_kubernetes(dep_id, name, version, state)
                return
            self._start_local(dep_id)
        except Exception as e:  # noqa: BLE001 - reported on the deployment
            log.exception("Dotscience: deployment %s failed", dep_id)
            self._update(dep_id, "failed", f"{type(e).__name__}: {e}", holder=True)

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

    def _check_bundle(self, name: str, version: int) -> None:
        """This server's bundle's manifest must be the registry's (files, hashes, policy)."""
        if not self._bundle_current(name, version):
            raise builder.BuildError(
                "the bundle's manifest does not match the registry; rebuild the model version"
            )

    def _drop(self, dep_id: str) -> None:
        """Stop this server's model server of a deployment, if it runs one."""
        with self.lock:
            proc = self.procs.pop(dep_id, None)
        if proc is not None:
            proc.stop()

    def _start_local(self, dep_id: str) -> dict | None:
        d = self.get_deployment(dep_id)
        self._check_bundle(d["model"], d["version"])
        bundle = str(self._bundle(d["model"], d["version"]))
        python = self.python or sys.executable  # configuration only, never a run record
        workdir = self.deploy_dir / dep_id
        port = d.get("port") if d.get("port") and not self.port else self.port
        if self._update(dep_id, "starting", f"starting {python} -m model_server", holder=True,
                        python=python, bundle=bundle, host=self.host,
                        log=str(workdir / "server.log")) is None:  # fmt: skip
            return None  # stopped meanwhile, or another server runs it
        proc = start_server(python, bundle, workdir, dep_id, self.host, port or 0)
        with self.lock:
            self.procs[dep_id] = proc
        if self._update(dep_id, holder=True, pid=proc.pid) is None:
            self._drop(dep_id)
            return None
        ok, reason, port = wait_ready(proc, workdir, self.host, dep_id, self.ready_timeout)
        if not ok:
            self._drop(dep_id)
            return self._update(dep_id, "failed", reason, holder=True, pid=None)
        result = self._update(dep_id, "running", "healthy", holder=True, port=port,
                              url=url_for(self.host, port))  # fmt: skip
        if result is None:
            self._drop(dep_id)
            return None
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
        self._update(dep_id, "starting", f"kubectl apply to context {self.kube_context}",
                     holder=True)  # fmt: skip
        k8s.apply(manifests, self.kube_context, kubectl=self.kubectl, log=lambda s: None)
        svc = k8s.resource_name(name, version)
        url = f"http://{svc}.{self.kube_namespace}.svc.cluster.local/"
        self._update(dep_id, "running", "applied", holder=True, url=url)

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

    def _delete_from_cluster(self, d: dict) -> None:
        """``kubectl delete`` what deploying ``d`` applied (its Deployment and Service, or
        InferenceService), so that stopping it stops serving it; the deployment stays as it
        is when the cluster cannot be told."""
        if not self.kube_context:
            raise ValueError(
                f"Deployment {d['id']} runs in a Kubernetes cluster and this server has none "
                "configured (DotscienceApp.kube_context): stop it from a server that has."
            )
        manifests = self.kubernetes_manifests(d["model"], int(d["version"]))
        k8s.delete(manifests, self.kube_context, kubectl=self.kubectl)

    def _own_process(self, d: dict) -> Process | None:
        """The model server process of deployment ``d`` on this machine (checked by its
        command line, so a reused pid is never signalled), or None."""
        pid = model_server_pids().get(d["id"])
        return Process(pid) if pid else None

    def stop(self, dep_id: str, reason: str = "stopped by request") -> dict:
        """Stop a deployment (a stopped one is left as it is).

        The model server of a deployment this server runs is stopped at once; one that
        another server runs is marked stopped in the store, and that server stops its model
        server at its next check (within ``watch_interval`` seconds).

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
        ValueError
            A Kubernetes deployment and this server has no cluster configured.
        kubernetes.KubectlError
            A Kubernetes deployment that kubectl could not delete (it is left as it was).
        """
        d = self.get_deployment(dep_id)
        if d["state"] in ("stopped",):
            return d
        if d["target"] == "kubernetes" and d["state"] != "building":
            self._delete_from_cluster(d)
        mine = d.get("server") in (None, self.server_id)
        with self.lock:
            proc = self.procs.pop(dep_id, None)
        if proc is None and mine and d["target"] == "local":
            proc = self._own_process(d)
        if proc is not None:
            proc.stop()
        if mine or proc is not None:
            return self._update(dep_id, "stopped", reason, pid=None)
        return self._update(dep_id, "stopped", reason)

    def deployment_log(self, dep_id: str, offset: int = 0):
        """Part of a deployment's model server log (see :meth:`read_log`); the log is a file
        of the server that runs it (empty on the others).

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

    # -- publish hook, restart, leases, watch ---------------------------------------------

    def run_published(self, run: dict, origin: dict | None = None) -> dict:
        """Build and/or deploy a newly stored run's models when it asked for that and its
        publisher has the deploy privilege (who published it is recorded by the store).

        Parameters
        ----------
        run : dict
            The stored run (first publish of its id).
        origin : dict, optional
            Who published it (``{"scope", "key_id", "deploy", "trusted_pickle", "manage"}``;
            ``manage`` False: a team member who may not deploy the project's models); None:
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
        if run.get("deploy") and origin.get("manage") is False:
            return {}  # a team member who does not own the project: stored, not deployed
        builds, deps = [], []
        for m in run.get("models") or []:
            if m.get("version") is None:
                continue
            if run.get("deploy"):
                deps.append(self.deploy(m["name"], m["version"], owner=run.get("author")))
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
        """After a server (re)start: stop model servers of this workspace that no deployment
        wants any more, then adopt, restart or report each active local deployment this
        server held (and, with ``take_over``, those whose server's lease expired).

        Returns
        -------
        dict
            ``{deployment id: "adopted" | "restarted" | "stopped" | "orphaned"}``.
        """
        outcome: dict[str, str] = {}
        for dep_id, pid in model_server_pids(self.deploy_dir).items():
            d = self.store.get_deployment(dep_id)
            if (
                d is not None
                and d["state"] in ACTIVE
                and (d.get("server") in (None, self.server_id) or d.get("pid") == pid)
            ):
                continue  # still wanted: resumed below, or adopted by another server
            Process(pid).stop(grace=2)
            if d is not None and d.get("pid") == pid:
                self._update(dep_id, message="its model server, left running, was stopped",
                             pid=None)  # fmt: skip
            outcome[dep_id] = "stopped"
        for d in self.store.list_deployments(states=ACTIVE):
            if d["target"] != "local":
                continue
            if d.get("server") not in (None, self.server_id):
                found = self._orphan(d)
                if found:
                    outcome[d["id"]] = found
                continue
            stamp, expires = self._lease_times()
            taken = self.store.take_deployment_lease(
                d["id"], self.server_id, expires, stamp, states=ACTIVE
            )
            if taken is not None:
                outcome[d["id"]] = self._resume(taken, "after a server restart")
        self._ensure_watcher()
        return outcome

    def _resume(self, d: dict, why: str) -> str:
        """Serve a deployment whose lease this server just took: adopt its model server when
        it still answers as that deployment, else start it again (or report it stopped)."""
        dep_id = d["id"]
        if d["state"] == "running" and d.get("url") and probe(d["url"], dep_id):
            proc = self._own_process(d)
            with self.lock:
                if proc is not None:
                    self.procs[dep_id] = proc
            self._update(dep_id, message=f"re-adopted {why}", holder=True,
                         pid=proc.pid if proc else d.get("pid"))  # fmt: skip
            return "adopted"
        leftover = self._own_process(d)  # e.g. one whose start was cut short: never two
        if leftover is not None:
            leftover.stop()
        if self.restart_on_start:
            self._update(dep_id, "building", f"restarting {why}", holder=True, pid=None)
            self.pool.submit(self._deploy, dep_id)
            return "restarted"
        self._update(dep_id, "stopped", "its process ended while the server was down",
                     pid=None)  # fmt: skip
        return "stopped"

    def _orphan(self, d: dict) -> str | None:
        """An active local deployment another server holds: nothing while its lease is
        valid; once it expired, taken over (``take_over``) or reported once."""
        stamp, expires = self._lease_times()
        if d.get("lease_expires") and d["lease_expires"] >= stamp:
            return None
        holder = d.get("server")
        if self.take_over:
            taken = self.store.take_deployment_lease(
                d["id"], self.server_id, expires, stamp, states=ACTIVE
            )
            if taken is None:
                return None
            return self._resume(taken, f"from server {holder}, whose lease expired")
        note = (
            f"its server {holder} stopped renewing its lease (expired {d.get('lease_expires')});"
            " it is served again when that server starts, or by a server that takes over"
        )
        events = d.get("events") or []
        if not events or events[-1].get("message") != note:
            self._update(d["id"], message=note)
        return "orphaned"

    def _ensure_watcher(self) -> None:
        with self.lock:
            if self._stop.is_set():
                return
            if self._watcher is None or not self._watcher.is_alive():
                self._watcher = threading.Thread(
                    target=self._watch, name="dotscience-model-watch", daemon=True
                )
                self._watcher.start()

    def _watch(self) -> None:
        """Every ``watch_interval``: see :meth:`watch_once`."""
        while not self._stop.wait(self.watch_interval):
            try:
                self.watch_once()
            except Exception:  # noqa: BLE001 - the store may be briefly unreachable
                log.exception("Dotscience: checking deployments failed")

    def watch_once(self) -> None:
        """Renew this server's leases; stop its model servers of deployments stopped (from
        any server) or taken over; mark a running one failed when its process died; take
        over or report deployments whose server's lease expired."""
        self.store.renew_deployment_leases(self.server_id, self._expiry())
        with self.lock:
            procs = dict(self.procs)
        for dep_id, proc in procs.items():
            d = self.store.get_deployment(dep_id)
            if d is not None and d["state"] in ACTIVE and d.get("server") != self.server_id:
                if d.get("pid") == proc.pid:  # the server that took over adopted it
                    with self.lock:
                        self.procs.pop(dep_id, None)
                    continue
            if d is None or d["state"] not in ACTIVE or d.get("server") != self.server_id:
                self._drop(dep_id)
                if d is not None and d.get("pid") == proc.pid and d["state"] not in ACTIVE:
                    self._update(dep_id, message="its model server was stopped", pid=None)
                continue
            if d["state"] == "running" and not proc.alive():
                with self.lock:
                    self.procs.pop(dep_id, None)
                code = proc.exit_code()
                self._update(dep_id, "failed",
                             f"the model server exited unexpectedly (code {code})",
                             holder=True, pid=None)  # fmt: skip
        for d in self.store.list_deployments(states=ACTIVE):
            if d["target"] == "local" and d.get("server") not in (None, self.server_id):
                self._orphan(d)

    def shutdown(self) -> None:
        """Stop watching; model servers keep running (they survive a server restart, and
        this server's lease on them expires unless it starts again)."""
        self._stop.set()
        self.pool.shutdown(wait=False, cancel_futures=True)
        if self._id_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._id_fd)
            self._id_fd = None


def _summary(state: dict | None) -> dict | None:
    """A build state's summary (``state``, ``message``, ``image``, ``bundle``, ``finished``)."""
    if state is None:
        return None
    return {k: state.get(k) for k in ("state", "message", "image", "bundle", "finished")}


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
