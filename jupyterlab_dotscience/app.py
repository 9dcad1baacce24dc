"""The Jupyter server extension application: configuration, store, kernel environment."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pathlib
import secrets
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor

from jupyter_server.extension.application import ExtensionApp
from tornado.ioloop import PeriodicCallback
from traitlets import Bool, Float, Int, Unicode, default

from . import __version__
from .csv_exports import PendingExports
from .routes import route_table

#: The schema id of the event emitted for each newly stored run (events/run_published.yaml)
RUN_PUBLISHED_EVENT = "https://events.dotscience.io/jupyterlab_dotscience/run_published/v1"


class DotscienceApp(ExtensionApp):
    """Run store, artifacts and REST API of Dotscience for JupyterLab.

    Every option can be set in ``jupyter_server_config.py`` (``c.DotscienceApp.store_url``),
    on the command line (``--DotscienceApp.store_url=...``) or through the environment
    variable named in its help.
    """

    name = "jupyterlab_dotscience"
    version = __version__
    load_other_extensions = True

    store_url = Unicode(
        config=True,
        help="Run store URL: sqlite:///abs/path.db (default: <root>/.dotscience/dotscience.db)"
        " or postgresql://user:pass@host/db for a team. Env: DOTSCIENCE_STORE_URL.",
    )
    artifact_root = Unicode(
        config=True,
        help="Where artifacts are kept, as MLflow's artifact root: a directory (default:"
        " <root>/.dotscience/artifacts) or s3://bucket/prefix (S3-compatible object storage"
        " shared by a team's servers; credentials from boto3's usual chain)."
        " Env: DOTSCIENCE_ARTIFACT_ROOT.",
    )
    # issue 15 (teams): the S3 backend's settings
    artifact_s3_endpoint_url = Unicode(
        config=True,
        help="S3 endpoint of an s3:// artifact_root (MinIO, Ceph, ...; empty: AWS or boto3's"
        " AWS_ENDPOINT_URL_S3). Env: DOTSCIENCE_ARTIFACT_S3_ENDPOINT_URL.",
    )
    artifact_multipart_threshold = Int(
        64 * 1024**2,
        config=True,
        help="Files of at least this many bytes are uploaded to S3 in parts.",
    )
    artifact_multipart_chunksize = Int(
        16 * 1024**2,
        config=True,
        help="Size of each part of a multipart upload to S3 (at least 5 MiB).",
    )
    artifact_cache_dir = Unicode(
        config=True,
        help="Local cache of verified copies of S3 artifacts, which builds and downloads read"
        " (default: <root>/.dotscience/artifact-cache).",
    )
    artifact_cache_max_bytes = Int(
        10 * 1024**3,
        config=True,
        help="Bytes the local S3 artifact cache may hold (least recently used copies go).",
    )
    max_artifact_bytes = Int(
        2 * 1024**3, config=True, help="Largest single file copied into the artifact store."
    )
    capture_max_file_bytes = Int(
        1024**3,
        config=True,
        help="Largest declared input file captured into the artifact store at publish (a"
        " larger one is recorded as 'too large').",
    )
    capture_max_run_bytes = Int(
        10 * 1024**3,
        config=True,
        help="Bytes of declared inputs captured for one run in all (the inputs beyond are"
        " recorded as 'run over the capture limit').",
    )
    max_request_bytes = Int(64 * 1024**2, config=True, help="Largest accepted JSON request body.")
    max_run_bytes = Int(
        256 * 1024**2,
        config=True,
        help="Largest accepted run record (POST runs): a 1,000,000-point metric series is about"
        " 95 MB as the kernel library sends it.",
    )
    api_key_upload_quota = Int(
        10 * 1024**3,
        config=True,
        help="Bytes of new artifact content each API key may upload in total (counted in the"
        " store, so it survives restarts).",
    )
    max_import_bytes = Int(
        16 * 1024**2,
        config=True,
        help="Largest legacy text (characters) or workspace file (bytes) POST import searches.",
    )
    export_kernel_env = Bool(
        True,
        config=True,
        help="Export DOTSCIENCE_* variables (server URL, publish token, workspace root) and the"
        " kernel library's path to kernels started by this server.",
    )
    spool_interval = Float(
        2.0, config=True, help="Seconds between scans of the workspace spool (0 disables)."
    )
    openlineage_url = Unicode(
        config=True,
        help="If set, every newly published run is also POSTed as OpenLineage RunEvents to"
        " this URL (e.g. Marquez: http://host:5000/api/v1/lineage)."
        " Env: DOTSCIENCE_OPENLINEAGE_URL.",
    )
    openlineage_queue = Int(
        100,
        config=True,
        help="Published runs that may wait to be forwarded to openlineage_url; when the"
        " endpoint falls further behind, newer runs are not forwarded (a warning is logged).",
    )
    kernel_user = Unicode(
        config=True,
        help="Author recorded for runs published by kernels (default: the JupyterHub user"
        " under a hub, else the OS user).",
    )
    teams = Bool(
        config=True,
        help="Team server: projects have owners and members who alone see and publish their"
        " runs (default: on under JupyterHub, off on a single-user server, where one user"
        " sees every project). Env: DOTSCIENCE_TEAMS=1.",
    )
    model_python = Unicode(
        config=True,
        help="Python interpreter that runs local model servers (default: the Jupyter server's"
        " own). Only this setting chooses it, never a run record.",
    )
    model_host = Unicode(
        "127.0.0.1",
        config=True,
        help="Address local model servers bind to (loopback only by"
        " default; set 0.0.0.0 to expose them).",
    )
    model_port = Int(0, config=True, help="Port of local model servers (0: a free port).")
    model_ready_timeout = Float(
        60.0, config=True, help="Seconds a model server has to become healthy before it fails."
    )
    container_builder = Unicode(
        config=True,
        help="Image builder for model bundles: '' (auto: docker with a reachable daemon, podman,"
        " buildah), 'docker', 'podman', 'buildah' or 'none'.",
    )
    kube_context = Unicode(
        config=True, help="kubectl context of the Kubernetes deployer (empty: not configured)."
    )
    kubectl_path = Unicode(
        "kubectl",
        config=True,
        help="The kubectl program the Kubernetes deployer runs to apply and delete manifests"
        " (a path, or a name looked up on the server's PATH). Only this setting chooses it,"
        " never a request.",
    )
    kube_namespace = Unicode("default", config=True, help="Namespace for Kubernetes deployments.")
    image_registry = Unicode(
        config=True, help="Registry prefix of model images (e.g. registry.example.com/ml)."
    )
    kserve = Bool(
        False,
        config=True,
        help="Serve through a KServe InferenceService instead of a Deployment and a Service.",
    )
    deployment_lease = Float(
        30.0,
        config=True,
        help="Seconds this server's lease on the local deployments it runs lasts in the store"
        " (renewed every third of it); once a server stops renewing, its deployments may be"
        " taken over (see take_over_deployments).",
    )
    take_over_deployments = Bool(
        False,
        config=True,
        help="Run the local deployments of other servers sharing the store whose lease"
        " expired (their server died): adopt the model server when it still answers, else"
        " start it here. Off: such deployments are reported, and served again when their"
        " server starts.",
    )
    reproduce_python = Unicode(
        config=True,
        help="Python interpreter that replays runs to reproduce them (it needs nbclient; "
        "default: the Jupyter server's own). Only this setting chooses it, never a run record.",
    )
    reproduce_timeout = Float(
        1800.0,
        config=True,
        help="Seconds a reproduction's replay may run before it is stopped (its processes are "
        "killed and the reproduction fails with a timeout).",
    )

    sweep_dask_address = Unicode(
        "",
        config=True,
        help="Address of the Dask distributed scheduler that runs sweeps with the dask backend"
        " (e.g. tcp://scheduler:8786); its workers need the project's environment (this"
        " package, nbclient and the notebook's libraries). Empty: only the local backend.",
    )
    sweep_trial_timeout = Float(
        3600.0,
        config=True,
        help="Seconds one sweep trial may run before it is stopped (a failed run).",
    )
    sweep_copy_max_bytes = Int(
        100 * 1024**2,
        config=True,
        help="Largest total size of the files of a notebook's directory copied into each sweep"
        " trial's scratch workspace (.dotscience, .git and checkpoints are never copied); a"
        " larger directory is refused when the sweep starts.",
    )
    sweep_local_workers = Int(
        0,
        config=True,
        help="Most trials the local sweep backend runs at a time (0: the machine's cores).",
    )

    @default("store_url")
    def _default_store_url(self):
        env = os.environ.get("DOTSCIENCE_STORE_URL")
        if env:
            return env
        return "sqlite:///" + str(self.dot_dir / "dotscience.db")

    @default("artifact_root")
    def _default_artifact_root(self):
        return os.environ.get("DOTSCIENCE_ARTIFACT_ROOT") or str(self.dot_dir / "artifacts")

    @default("artifact_s3_endpoint_url")
    def _default_artifact_s3_endpoint_url(self):
        return os.environ.get("DOTSCIENCE_ARTIFACT_S3_ENDPOINT_URL", "")

    @default("artifact_cache_dir")
    def _default_artifact_cache_dir(self):
        return str(self.dot_dir / "artifact-cache")

    @default("openlineage_url")
    def _default_openlineage_url(self):
        return os.environ.get("DOTSCIENCE_OPENLINEAGE_URL", "")

    @default("model_python")
    def _default_model_python(self):
        return sys.executable

    @default("reproduce_python")
    def _default_reproduce_python(self):
        return sys.executable

    @default("teams")
    def _default_teams(self):
        env = os.environ.get("DOTSCIENCE_TEAMS", "").strip().lower()
        if env:
            return env in ("1", "true", "yes", "on")
        return bool(os.environ.get("JUPYTERHUB_USER") and os.environ.get("JUPYTERHUB_API_TOKEN"))

    @default("kernel_user")
    def _default_kernel_user(self):
        import getpass

        if os.environ.get("JUPYTERHUB_USER"):
            return os.environ["JUPYTERHUB_USER"]

        try:
            return getpass.getuser()
        except Exception:
            return "jupyter"

    # -- derived state -------------------------------------------------------------------

    @property
    def root_dir(self) -> str:
        """The workspace root: the Jupyter server's root directory."""
        return str(pathlib.Path(self.serverapp.root_dir).resolve())

    @property
    def dot_dir(self) -> pathlib.Path:
        """``<root>/.dotscience``: store, artifacts, spool and caches."""
        return pathlib.Path(self.root_dir) / ".dotscience"

    @property
    def spool_dir(self) -> pathlib.Path:
        """Where kernels and scripts leave runs for this server (the kernel library's spool)."""
        from dotscience.paths import spool_directory

        return pathlib.Path(spool_directory(self.root_dir))

    @property
    def store_kind(self) -> str:
        return "postgresql" if self.store_url.startswith("postgres") else "sqlite"

    # -- lifecycle -----------------------------------------------------------------------

    def initialize_settings(self):
        from .artifacts import open_artifact_store
        from .store import open_store

        self.dot_dir.mkdir(parents=True, exist_ok=True)
        self.kernel_token = secrets.token_urlsafe(32)
        self.csv_exports = PendingExports()  # wide Runs table downloads, one use each
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dotscience")
        self.store = open_store(self.store_url)
        self.artifacts = open_artifact_store(
            self.artifact_root, max_bytes=self.max_artifact_bytes,
            capture_max_file_bytes=self.capture_max_file_bytes,
            capture_max_run_bytes=self.capture_max_run_bytes,
            s3_endpoint_url=self.artifact_s3_endpoint_url, cache_dir=self.artifact_cache_dir,
            cache_max_bytes=self.artifact_cache_max_bytes,
            multipart_threshold=self.artifact_multipart_threshold,
            multipart_chunksize=self.artifact_multipart_chunksize,
        )  # fmt: skip
        self._init_models()
        self._init_reproductions()
        self._init_events()
        self._init_sweeps()
        self.log.info(
            "Dotscience %s: %s store, root %s", __version__, self.store_kind, self.root_dir
        )
        if self.export_kernel_env:
            self._export_kernel_env()
        if self.spool_interval > 0:
            self._spool_timer = PeriodicCallback(self._scan_spool, self.spool_interval * 1000)
            self._spool_timer.start()
            asyncio.get_event_loop().call_soon(lambda: asyncio.ensure_future(self._scan_spool()))

    def _init_events(self):
        """Register the "run published" event with the Jupyter server's event bus (issue 14:
        every open JupyterLab hears of new runs through ``/api/events/subscribe``)."""
        logger = getattr(self.serverapp, "event_logger", None)
        if logger is not None and RUN_PUBLISHED_EVENT not in logger.schemas.schema_ids:
            logger.register_event_schema(
                pathlib.Path(__file__).parent / "events" / "run_published.yaml"
            )
        from . import publishing

        # every path that stores a run (HTTP, spool, import, replays, sweep trials) runs on a
        # worker thread: the event is emitted on the event loop
        loop = asyncio.get_event_loop()
        publishing.on_new_run(
            self.store,
            lambda run: loop.call_soon_threadsafe(self._emit_run_published, dict(run)),
        )

    def _init_models(self):
        from .models import ModelService

        self.models = ModelService(
            self.store, self.artifacts, self.dot_dir, python=self.model_python,
            host=self.model_host, port=self.model_port, ready_timeout=self.model_ready_timeout,
            builder=self.container_builder, kube_context=self.kube_context,
            kubectl=self.kubectl_path, kube_namespace=self.kube_namespace,
            image_registry=self.image_registry, kserve=self.kserve,
            lease_seconds=self.deployment_lease,
            take_over=self.take_over_deployments,
        )  # fmt: skip
        adopted = self.executor.submit(self.models.adopt)
        adopted.add_done_callback(self._adopted)

    def _adopted(self, future) -> None:
        """Log what became of the deployments this server held when it started."""
        if future.cancelled():
            return
        if future.exception() is not None:
            self.log.error("Dotscience: resuming deployments failed: %s", future.exception())
        else:
            self.log.info("Dotscience: deployments at start: %s", future.result() or "none")

    def _init_reproductions(self):
        """The reproduction engine; reproductions an earlier server process left queued or
        running are marked failed now (never started again)."""
        from .reproduce import Engine

        self.reproductions = Engine(
            self.store, self.artifacts, self.root_dir, python=self.reproduce_python,
            timeout=self.reproduce_timeout,
            kernel_path=self._kernel_library_path() if self.export_kernel_env else None,
        )  # fmt: skip
        stale = self.reproductions.recover()
        if stale:
            self.log.warning(
                "Dotscience: %d reproduction(s) stopped with the previous server marked failed",
                stale,
            )

    def _init_sweeps(self):
        """The sweep engine (issue 17); sweeps an earlier process of this server left running
        are marked stopped and their running trials failed (never started again)."""
        from .sweeps import SweepEngine

        models = getattr(self, "models", None)
        self.sweeps = SweepEngine(
            self.store, self.artifacts, self.root_dir, python=self.reproduce_python,
            timeout=self.sweep_trial_timeout,
            kernel_path=self._kernel_library_path() if self.export_kernel_env else None,
            cores=self.sweep_local_workers or None, dask_address=self.sweep_dask_address,
            copy_max_bytes=self.sweep_copy_max_bytes,
            server_id=getattr(models, "server_id", None),
        )  # fmt: skip
        stale = self.sweeps.recover()
        if stale:
            self.log.warning("Dotscience: %d sweep(s) stopped with the previous server", stale)

    def initialize_handlers(self):
        self.handlers.extend(route_table())

    async def stop_extension(self):
        timer = getattr(self, "_spool_timer", None)
        if timer:
            timer.stop()
        models = getattr(self, "models", None)
        if models is not None:
            models.shutdown()
        reproductions = getattr(self, "reproductions", None)
        if reproductions is not None:
            reproductions.shutdown()
        sweeps = getattr(self, "sweeps", None)
        if sweeps is not None:
            sweeps.shutdown()
        lineage = getattr(self, "_lineage", None)
        if lineage is not None:
            lineage.close()
        store = getattr(self, "store", None)
        if store is not None:
            store.close()
        executor = getattr(self, "executor", None)
        if executor:
            executor.shutdown(wait=False)

    # -- helpers used by handlers --------------------------------------------------------

    async def call(self, fn, *args, **kwargs):
        """Run a blocking store/artifact call on the extension's thread pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, lambda: fn(*args, **kwargs))

    async def run_published(self, run: dict, origin: dict | None = None) -> None:
        """Called once for each newly stored run (not for repeats of the same id).

        Parameters
        ----------
        run : dict
            The stored run; the jobs' first states are added to it (``builds``,
            ``deployments``), so the POST answer tells the kernel where to follow them.
        origin : dict, optional
            Who published it: ``{"scope", "key_id", "deploy", "trusted_pickle"}`` (see
            ``Store.run_publisher``, where it is recorded). A run asking for ``build``/``deploy`` starts
            them only when ``origin["deploy"]`` (the deploy privilege) is true.

        Notes
        -----
        The "run published" event was emitted when the run was stored
        (:func:`publishing.on_new_run`). Nothing here runs on the event loop: the model work
        (registry reads, file writes, starting jobs) runs on the executor, and OpenLineage
        forwarding on its own worker.
        """
        models = getattr(self, "models", None)
        if models is not None and (run.get("models") or run.get("build") or run.get("deploy")):
            try:
                run.update(await self.call(models.run_published, run, origin))
            except Exception:
                self.log.exception("Dotscience: build/deploy of run %s failed", run.get("id"))
        if self.openlineage_url:
            self._lineage_forwarder().submit(dict(run), label=f"run {run.get('id')}")

    def _emit_run_published(self, run: dict) -> None:
        """Tell every subscriber of the server's event bus that ``run`` was stored."""
        logger = getattr(self.serverapp, "event_logger", None)
        if logger is None or RUN_PUBLISHED_EVENT not in logger.schemas.schema_ids:
            return
        try:
            logger.emit(
                schema_id=RUN_PUBLISHED_EVENT,
                data={
                    "id": run["id"], "project": run.get("project") or "default",
                    "status": "failed" if run.get("status") == "failed" else "succeeded",
                    "received": run.get("received") or "",
                },
            )  # fmt: skip
        except Exception:  # the run is stored; a listener's failure must not undo that
            self.log.exception("Dotscience: the run-published event of %s failed", run.get("id"))

    def _lineage_forwarder(self):
        """The OpenLineage forwarder: one worker thread, at most ``openlineage_queue`` waiting."""
        forwarder = getattr(self, "_lineage", None)
        if forwarder is None:
            from .forwarding import Forwarder

            forwarder = self._lineage = Forwarder(
                self._post_openlineage, self.openlineage_queue, "OpenLineage", self.log
            )
        return forwarder

    def _post_openlineage(self, run: dict) -> None:
        """POST a run's OpenLineage events (on the forwarder's thread; 10 s per POST)."""
        import json
        import urllib.request

        from .export import to_openlineage

        events = to_openlineage(run)

        for event in events:
            req = urllib.request.Request(
                self.openlineage_url,
                data=json.dumps(event).encode(),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(req, timeout=10):
                    pass
            except Exception as e:  # the run is stored; lineage export is best effort
                self.log.warning(
                    "Dotscience: OpenLineage POST to %s failed: %s", self.openlineage_url, e
                )
                return

    def server_url(self) -> str:
        """The URL kernels on this machine use to reach this server (base URL included)."""
        app = self.serverapp
        if app.sock:
            return ""
        host = app.ip if app.ip not in ("", "0.0.0.0", "::") else "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        scheme = "https" if app.certfile else "http"
        base = app.base_url if app.base_url.endswith("/") else app.base_url + "/"
        return f"{scheme}://{host}:{app.port}{base}"

    def _export_kernel_env(self):
        """Kernels inherit the server's environment: give them what ``ds.publish()`` needs."""
        env = os.environ
        env["DOTSCIENCE_PROJECT_DOT_ROOT"] = self.root_dir
        env["DOTSCIENCE_TOKEN"] = self.kernel_token
        env["DOTSCIENCE_WORKLOAD_TYPE"] = "jupyter"
        env["DOTSCIENCE_SERVER_URL"] = self.server_url()
        # The port is final only once the HTTP server is bound; refresh then.
        asyncio.get_event_loop().call_soon(
            lambda: env.__setitem__("DOTSCIENCE_SERVER_URL", self.server_url())
        )
        path = self._kernel_library_path()
        if path:
            parts = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != path]
            env["PYTHONPATH"] = os.pathsep.join([path, *parts])

    def _kernel_library_path(self) -> str | None:
        """A directory holding only the ``dotscience`` package, for kernels' ``sys.path``.

        Kernels may run in another Python environment; putting this server's whole
        site-packages on their path would shadow their own packages, so only ours goes there.
        The directory goes first on every kernel's path, so it must be this user's alone: it
        lives in Jupyter's runtime directory, is created 0700, and one that is a symlink,
        belongs to someone else or is open to group or others is refused (with a warning;
        kernels then get no path from us) rather than trusted.
        """
        import stat

        from jupyter_core.paths import jupyter_runtime_dir

        import dotscience

        pkg = pathlib.Path(dotscience.__file__).resolve().parent
        target = pathlib.Path(jupyter_runtime_dir()) / f"dotscience-kernel-path-{__version__}"

        def refuse(why: str) -> None:
            self.log.warning(
                "Dotscience: refusing %s as the kernel library directory (%s); kernels will "
                "not get the dotscience package from this server. Remove it and restart.",
                target,
                why,
            )

        me = os.geteuid()
        try:
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                target.mkdir(mode=0o700)
            parent = target.parent.stat()
            shared = parent.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
            if parent.st_uid not in (me, 0) or (shared and not parent.st_mode & stat.S_ISVTX):
                return refuse("its parent directory can be changed by another user")
            info = target.lstat()
            if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
                return refuse("it is a symbolic link, not a directory")
            if info.st_uid != me:
                return refuse(f"it belongs to uid {info.st_uid}, not to this server's uid {me}")
            if stat.S_IMODE(info.st_mode) & 0o077:
                return refuse(f"its mode is {stat.S_IMODE(info.st_mode):04o}, not 0700")
        except OSError as e:
            self.log.warning("Dotscience: cannot expose the kernel library to kernels: %s", e)
            return None
        link = target / "dotscience"
        try:
            if link.is_symlink() and link.resolve() != pkg:
                link.unlink()
            if not link.exists():
                link.symlink_to(pkg, target_is_directory=True)
        except OSError:
            try:
                shutil.copytree(pkg, link, dirs_exist_ok=True)
            except OSError as e:
                self.log.warning("Dotscience: cannot expose the kernel library to kernels: %s", e)
                return None
        return str(target)

    async def _scan_spool(self):
        """Import runs that kernels or scripts left in the workspace spool.

        Each is stored the way a kernel's publish is (its outputs captured from the
        workspace); builds and deployments are not started from the spool.
        """
        if not self.spool_dir.is_dir():
            return
        from . import publishing
        from .store import import_spool

        def publish(record: dict):
            project = record.get("project") if isinstance(record, dict) else None
            if self.teams and isinstance(project, str) and project != "default":
                # on a team server a spooled run joins a project as a publish does: its user
                # must be a member (the first one to publish there becomes its owner)
                if self.store.claim_project(project, self.kernel_user) is None:
                    raise PermissionError(
                        f"{self.kernel_user} is not a member of project {project[:200]!r}; "
                        "one of its owners can add them (dotscience projects add-member)."
                    )
            return publishing.publish(
                self.store, self.artifacts, self.root_dir, record, self.kernel_user
            )

        try:
            count = await self.call(
                import_spool, self.store, self.spool_dir, self.kernel_user, publish=publish
            )
        except Exception:
            self.log.exception("Dotscience: importing the spool failed")
            return
        if count:
            self.log.info("Dotscience: imported %d run(s) from %s", count, self.spool_dir)
