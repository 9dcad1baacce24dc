"""The store interface: what the server (and lineage, export, spool import) may call."""

from __future__ import annotations

import abc
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: A parameter filter: a value (equality) or ``(op, value)`` with op in ``OPS``.
ParamFilter = Any
OPS = ("=", "!=", "<", "<=", ">", ">=")


#: The states a sweep's counts count (other states count in ``trials`` only).
TRIAL_STATES = ("done", "running", "pruned", "failed", "cancelled")


def sweep_counts(states: Iterable[str | None]) -> dict:
    """A sweep's counts from its trials' states: ``trials`` (all of them) and one count per
    state of ``TRIAL_STATES``."""
    counts = {"trials": 0, **dict.fromkeys(TRIAL_STATES, 0)}
    for state in states:
        counts["trials"] += 1
        if state in TRIAL_STATES:
            counts[state] += 1
    return counts


class Store(abc.ABC):
    """Runs, their files, metrics, cells, notebook snapshots and models.

    Implementations are thread-safe; every method is blocking (the server calls them on a
    thread pool). Records go in and come out as plain dicts in the v2 wire format.
    """

    url: str

    # -- runs ------------------------------------------------------------------------------

    @abc.abstractmethod
    def put_run(
        self,
        record: dict,
        author: str,
        imported: bool = False,
        publisher: str | None = None,
        credential: dict | None = None,
        captures: Mapping[tuple[str, str], tuple] | None = None,
        warnings: list[dict] | None = None,
    ) -> tuple[dict, bool]:
        """Store a run record (wire format v2) in one transaction.

        Parameters
        ----------
        record
            The run record as delivered by the kernel library.
        author
            Who published it (the server's user).
        imported
            True for runs read from legacy v1 blocks.
        publisher
            The project the publishing credential is limited to, ``""`` for a credential
            limited to none (the Jupyter user, the kernel token, an unlimited key); None: not
            recorded (then no upload ever counts as captured for this run).
        credential
            Recorded with ``publisher``: ``{"scope": "jupyter" | "publish" | "apikey",
            "key_id": str | None, "deploy": bool, "trusted_pickle": [model names]}``, the
            credential that published the run, whether it had the deploy privilege and which
            models the record opted in to full unpickling (see :meth:`run_publisher`).
        captures
            How each file got into the artifact store, as :meth:`set_captures` takes it,
            stored with the run (the run never shows without them). Files of a run with a
            ``publisher`` that its user uploaded meanwhile count as captured.
        warnings
            The run's hidden-state warnings, as :meth:`set_warnings` takes them.

        Returns
        -------
        (run, created)
            The stored run (v2 shape plus ``author``, ``imported``, ``status``,
            ``received``; models carry their ``version``) and whether this call stored it.
            Publishing an id again returns the run stored first and ``created=False``.

        Raises
        ------
        ValueError
            The record is malformed; the message names the field.
        """

    @abc.abstractmethod
    def put_runs(
        self, records: Iterable[dict], author: str, imported: bool = False
    ) -> list[tuple[str, bool]]:
        """Bulk form of :meth:`put_run` (one transaction): ``[(run_id, created), ...]``."""

    @abc.abstractmethod
    def get_run(self, run_id: str, executions: bool = True) -> dict | None:
        """The full stored run, or None when there is no such run.

        With ``executions`` False its ``executions`` and ``sources`` are left empty (not
        read): for answers that leave them out.
        """

    @abc.abstractmethod
    def list_runs(
        self,
        project: str | None = None,
        notebook: str | None = None,
        labels: Mapping[str, str] | None = None,
        projects: Sequence[str] | None = None,
        params: Mapping[str, ParamFilter] | None = None,
        metrics: Sequence[tuple] | None = None,
        status: str | None = None,
        text: str | None = None,
        author: str | None = None,
        verdict: str | None = None,
        warnings: bool | None = None,
        times: Sequence[tuple] | None = None,
        name: str | None = None,
        sort: str = "-received",
        limit: int = 50,
        cursor: str | None = None,
        stats: bool = False,
    ) -> tuple[list[dict], str | None]:
        """One page of run summaries and the cursor of the next page (None at the end).

        Parameters
        ----------
        project, notebook, status, author
            Exact matches (``notebook`` also matches a script's ``workload_file``).
        projects
            Only runs in one of these projects (an empty list: none); None: every project.
        labels
            ``{key: value}``, all must match.
        params
            ``{key: value}`` or ``{key: (op, value)}`` with op in ``= != < <= > >=``;
            numbers compare numerically, strings as text.
        metrics
            ``[(key, min, max)]`` on the last value of each series, inclusive; None = open;
            ``(key, min, max, aggregate)`` with aggregate ``last``, ``min`` or ``max`` on
            that value of the series (the smallest or largest number in it: NaN, text,
            booleans and null are left out, infinities count). ValueError for another.
        text
            Case-insensitive substring of description, notebook/script, labels or parameters.
        name
            Case-insensitive substring of the name run lists show: the description, or for
            a run without one its notebook/script; or the start of the run id.
        verdict
            The latest reproduction verdict (``identical``, ``within_tolerance``,
            ``differs``, ``failed``, ``not_reproducible``), or ``none``: never reproduced.
        warnings
            True: runs with hidden-state warnings; False: runs without.
        times
            ``[(field, from, to)]`` with field ``received`` (published), ``start`` or
            ``end``: ISO 8601 times, inclusive, None = open (a run without that time does
            not match). ValueError for another field or a time that is not one.
        sort
            ``received``, ``start``, ``end``, ``project``, ``author``, ``notebook``,
            ``description``, ``status``, ``metric:<key>`` (the last value),
            ``metric.min:<key>``, ``metric.max:<key>`` (``metric.last:<key>``: the last
            value) or ``param:<key>``; prefix ``-`` for descending. Runs without a value
            come last. Ties are broken by run id. ValueError for an unknown aggregate.
        limit
            Page size, 1..1000.
        cursor
            The opaque ``next_cursor`` of the previous page (same filters and sort).
        stats
            Also give each summary ``metric_min`` and ``metric_max``: ``{key: value}``,
            the smallest and largest number of each series as logged (None when no point
            of it is a number).
        """

    @abc.abstractmethod
    def count_runs(self, **filters) -> int:
        """How many runs the filters of :meth:`list_runs` match (issue 14: the Runs list's
        total).

        Parameters
        ----------
        **filters
            The filters of :meth:`list_runs` (project, projects, notebook, labels, params,
            metrics, status, text, name, author, verdict, warnings, times).

        Returns
        -------
        int
            The number of matching runs; ValueError for a filter :meth:`list_runs` refuses.
        """

    @abc.abstractmethod
    def run_ids(self, sort: str = "-received", limit: int = 100_000, **filters) -> list[str]:
        """The ids of the runs the filters match, in the order of :meth:`list_runs` with that
        sort (issue 14: the Runs table's "select all that match").

        Parameters
        ----------
        sort
            As in :meth:`list_runs`.
        limit
            At most this many ids, 1..100,000.
        **filters
            The filters of :meth:`list_runs`.

        Returns
        -------
        list of str
            The ids.
        """

    @abc.abstractmethod
    def run_summaries(self, run_ids: Sequence[str]) -> list[dict]:
        """Summaries (as in :meth:`list_runs`) of the given runs, in the given order."""

    @abc.abstractmethod
    def compare_runs(self, run_ids: Sequence[str], whole: bool = False) -> list[dict]:
        """What the compare view needs of each given run, read in a few queries for all.

        Returns
        -------
        list of dict
            In the given order (unknown ids left out): the summary fields of
            :meth:`list_runs` (``id, project, author, description, status, notebook,
            workload_file, start, end, received``), ``parameters`` ``{key: {value, text}}``,
            ``metrics`` ``{key: {value, text, step, count, min, max}}`` (the last point;
            ``min``/``max`` of its numeric values, None when none is a number), ``labels``,
            ``inputs`` ``[{path, sha256, size}]`` (autologged data sets have a ``memory:``
            path) and ``environment`` ``{python, implementation, platform, packages,
            packages_sha256, git_commit, git_dirty}`` (``packages`` is their number).
            With ``whole``, also ``outputs`` and the ``environment`` as recorded.
        """

    @abc.abstractmethod
    def metric_directions(self, keys: Sequence[str] | None = None) -> dict[str, str]:
        """``{metric key: "higher" | "lower"}`` of the given keys (every stored one when
        None); a key without a stored direction is left out."""

    @abc.abstractmethod
    def set_metric_direction(self, key: str, direction: str | None, username: str) -> bool:
        """Store whether a higher or lower value of metric ``key`` is better (``"higher"``,
        ``"lower"``), or forget it (None). Returns whether a direction was stored before.
        ValueError for another direction or an empty key."""

    @abc.abstractmethod
    def run_files(self, run_id: str) -> list[dict]:
        """Inputs then outputs: ``{role, path, sha256, size, outside, missing, captured,
        reason}``; ``captured`` says whether the file's content was captured into the
        artifact store for this run, ``reason`` how (or why not)."""

    # -- artifact capture and uploads ----------------------------------------------------

    @abc.abstractmethod
    def set_captures(self, run_id: str, captures: Mapping[tuple[str, str], tuple]) -> int:
        """Record how each file of a run got into the artifact store.

        Parameters
        ----------
        run_id
            The run.
        captures
            ``{(role, path): (captured, reason)}``; ``reason`` is a short phrase (``"copied
            from the workspace"``, ``"not uploaded"``, ``"changed since it was declared"``).

        Returns
        -------
        int
            How many files were updated. A file already marked captured (an upload may
            have arrived meanwhile) is left as it is.
        """

    @abc.abstractmethod
    def run_publisher(self, run_id: str) -> dict | None:
        """Who published a run, as :meth:`put_run` recorded it.

        Returns
        -------
        dict or None
            ``{"username", "project" (the credential's project limit, None for none),
            "scope", "key_id", "deploy", "trusted_pickle"}``; None when nothing was recorded
            (a spool-imported or legacy run). Runs stored before the credential was recorded
            have ``scope`` None and ``deploy`` False.
        """

    @abc.abstractmethod
    def record_upload(self, sha256: str, username: str, project: str | None, size: int) -> int:
        """Remember that ``username`` uploaded content with this hash through a credential
        limited to ``project`` (None: to no project), and mark the not yet captured files
        with this hash of the runs that user published through the same kind of credential
        (the same project limit, or none) as captured.

        Returns
        -------
        int
            How many run files were marked captured.
        """

    @abc.abstractmethod
    def uploaded_by(self, sha256: str, username: str, project: str | None = None) -> bool:
        """Whether ``username`` uploaded this content through a credential limited to
        ``project`` (None or ``""``: to no project)."""

    @abc.abstractmethod
    def captured_projects(self, sha256: str) -> list[str]:
        """Projects with a run whose file with this hash was captured (sorted)."""

    @abc.abstractmethod
    def upload_usage(self, key_id: str) -> int:
        """Bytes of new content the API key ``key_id`` has uploaded."""

    @abc.abstractmethod
    def charge_upload(self, key_id: str, size: int, quota: int) -> bool:
        """Add ``size`` bytes to the key's upload usage if the total stays within ``quota``
        (atomically); False, changing nothing, when it would not. A negative ``size``
        gives bytes back."""

    @abc.abstractmethod
    def file_users(self, sha256: str, role: str | None = None) -> list[dict]:
        """Runs that read (``input``) or wrote (``output``) a file with this hash.

        Each item: ``{run_id, role, path, size, time}`` where ``time`` is the run's start
        (or its received time when it has no start); ordered by time, then run id.
        """

    @abc.abstractmethod
    def metric_series(self, run_id: str, key: str) -> list[dict]:
        """Every point of one metric: ``{value, text, step, time}`` in logged order."""

    @abc.abstractmethod
    def metric_sample(
        self, run_id: str, key: str, points: int, start: int | None = None, end: int | None = None
    ) -> dict:
        """At most ``points`` points of one metric that keep its shape, for a chart.

        Reads only the series' numbers (steps for a window, or when some are missing), then
        the points chosen by :func:`jupyterlab_dotscience.downsample.pick` (min and max per
        bucket, the first and the last point exact), never the whole run; a long series is
        summarised in memory when first read and answered from its summary afterwards.

        Returns
        -------
        dict
            ``{"series": [{value, text, step, time}], "count": n}``: the chosen points in
            logged order with their numbered steps, and how many points the series has
            between steps ``start`` and ``end`` (inclusive; None: open). An unknown run or
            key: no points, count 0.
        """

    # -- provenance: executions, sources, warnings ----------------------------------------

    @abc.abstractmethod
    def run_executions(self, run_id: str) -> list[dict]:
        """The recorded executions of a run in ``seq`` order.

        Each: ``{seq, cell_id, execution_count, source_sha256, start, end, success, error,
        in_run, origin, session, source}`` where ``source`` is the text that ran (None when
        it is not stored). An unknown run, or one stored without executions: ``[]``.
        """

    @abc.abstractmethod
    def source(self, sha256: str) -> str | None:
        """A stored source text (an execution's code or a git patch) by its sha256."""

    @abc.abstractmethod
    def run_head(self, run_id: str) -> dict | None:
        """What a side request of a run needs, without its parameters, metrics or files.

        Returns
        -------
        dict or None
            ``{id, project, author, mode, notebook, workload_file, status, kernel,
            published_from, reproduces, git, warnings, verdict, start, end, received}``;
            None when there is no such run.
        """

    @abc.abstractmethod
    def set_warnings(self, run_id: str, warnings: list[dict]) -> bool:
        """Replace a run's hidden-state warnings (``[{kind, cell_id, execution_count,
        message}]``); False when there is no such run. ValueError for a malformed one."""

    # -- reproductions ---------------------------------------------------------------------

    @abc.abstractmethod
    def put_reproduction(self, reproduction: dict) -> dict:
        """Store a new reproduction ``{id, run_id, requested_by, ...}`` (state ``queued``,
        cell 0 of 0, tolerance 0 by default; ``created`` now). Returns the stored object.

        Raises KeyError for an unknown run, ValueError for a malformed field.
        """

    @abc.abstractmethod
    def update_reproduction(self, reproduction_id: str, **fields) -> dict:
        """Change ``state``, ``cell``, ``cells``, ``verdict``, ``result``, ``replay_run_id``,
        ``tolerance`` or ``finished`` of a reproduction; a verdict also becomes the
        ``verdict`` of the original run, in the same transaction. Returns the reproduction.

        Raises KeyError for an unknown reproduction, ValueError for a malformed field.
        """

    @abc.abstractmethod
    def get_reproduction(self, reproduction_id: str) -> dict | None:
        """A reproduction object, or None."""

    @abc.abstractmethod
    def list_reproductions(self, run_id: str | None = None, states=None) -> list[dict]:
        """Reproductions of a run (all runs when None), newest first; ``states`` keeps only
        those in the given states."""

    # -- cells and notebook snapshots ----------------------------------------------------

    @abc.abstractmethod
    def put_cells(self, run_id: str, cells: list[dict]) -> int:
        """Replace the cell executions of a run; returns how many are stored.

        Raises KeyError for an unknown run, ValueError for a malformed cell.
        """

    @abc.abstractmethod
    def run_cells(self, run_id: str) -> list[dict]:
        """Cell executions in order: ``{cell_id, index, execution_count, source_sha256,
        start, end, success}``."""

    @abc.abstractmethod
    def put_notebook_snapshot(self, run_id: str, path: str | None, content: dict | str) -> dict:
        """Store (or replace) the notebook as it was when the run was published.

        ``content`` is the notebook JSON (a dict) or text. Returns
        ``{run_id, path, format, sha256, size, created}``. KeyError for an unknown run.
        """

    @abc.abstractmethod
    def get_notebook_snapshot(self, run_id: str) -> dict | None:
        """The snapshot with its ``content`` (dict for JSON, str for text), or None."""

    # -- projects and models -------------------------------------------------------------

    @abc.abstractmethod
    def list_projects(self) -> list[dict]:
        """``[{name, created, runs}]`` ordered by name."""

    # -- project membership (issue 15: teams) --------------------------------------------

    @abc.abstractmethod
    def project_roles(self, username: str) -> dict[str, str]:
        """``{project: "owner"|"member"}`` of every project ``username`` belongs to."""

    @abc.abstractmethod
    def project_members(self, project: str) -> list[dict] | None:
        """``[{username, role, added, added_by}]`` of a project (owners first, then by
        name), or None when there is no such project."""

    @abc.abstractmethod
    def create_project(self, name: str, owner: str) -> tuple[dict, bool]:
        """Create project ``name`` with ``owner`` as its owner: ``({name, created}, True)``;
        ``(project, False)`` when it exists (nothing changes)."""

    @abc.abstractmethod
    def claim_project(self, name: str, username: str) -> str | None:
        """``username``'s role in project ``name`` for a publish, in one transaction: a
        project that does not exist yet, or has no members, is created or claimed with
        ``username`` as its owner; else their role, or None when they are not a member."""

    @abc.abstractmethod
    def set_project_member(self, project: str, username: str, role: str, added_by: str) -> dict:
        """Add ``username`` to ``project`` with ``role`` (``owner`` or ``member``), or change
        their role; returns the membership. KeyError when the project does not exist;
        ValueError when the change would leave the project without an owner."""

    @abc.abstractmethod
    def remove_project_member(self, project: str, username: str) -> bool:
        """Remove ``username`` from ``project``; False when they were not a member.
        KeyError when the project does not exist; ValueError when they are its last owner."""

    @abc.abstractmethod
    def register_model_version(
        self,
        name: str,
        run_id: str | None = None,
        framework: str | None = None,
        framework_version: str | None = None,
        path: str | None = None,
        classes: str | None = None,
        files: list[dict] | None = None,
    ) -> dict:
        """Add the next version of a model (created on first use); returns the version."""

    @abc.abstractmethod
    def list_models(self) -> list[dict]:
        """``[{name, latest_version, created, aliases: {alias: version}, versions: [...]}]``."""

    @abc.abstractmethod
    def set_alias(self, name: str, alias: str, version: int) -> dict:
        """Point ``alias`` of a model at one of its versions (moving it if it exists).

        Raises KeyError when the model or version does not exist.
        """

    # -- builds and deployments (issue 15: shared by every server of the store) -----------

    @abc.abstractmethod
    def get_build(self, name: str, version: int) -> dict | None:
        """A model version's build state (``state``, ``message``, ``bundle``, ``image``,
        ``server``, ...), or None when it was never built."""

    @abc.abstractmethod
    def list_builds(self) -> list[dict]:
        """Every build state, ordered by model name and version."""

    @abc.abstractmethod
    def put_build(self, name: str, version: int, server: str | None, **changes) -> dict:
        """Create or change a build state (``changes`` merged into it; ``server`` records
        who builds it); returns the whole state."""

    @abc.abstractmethod
    def put_deployment(self, deployment: dict) -> tuple[dict, bool]:
        """Store a new deployment (``id``, ``model``, ``version``, ``target``, ``state``, ...)
        in one transaction: ``(deployment, True)``, or ``(the active one, False)`` when a
        deployment of the same version and target is building, starting or running."""

    @abc.abstractmethod
    def get_deployment(self, dep_id: str) -> dict | None:
        """One deployment with its events, or None."""

    @abc.abstractmethod
    def list_deployments(self, server: str | None = None, states=None) -> list[dict]:
        """Deployments newest first (only those run by ``server``, in ``states``, if given)."""

    @abc.abstractmethod
    def update_deployment(
        self, dep_id: str, state: str | None = None, message: str = "", holder=None, **fields
    ) -> dict | None:
        """Change a deployment in one transaction: ``fields`` set, a new ``state`` (with
        ``message`` as its reason when failed or stopped) and an event appended. With
        ``holder``, only while that server holds its lease and the deployment is building,
        starting or running (else None, nothing changes).
        KeyError when there is no such deployment."""

    @abc.abstractmethod
    def take_deployment_lease(
        self, dep_id: str, server: str, expires: str, now: str, states=None
    ) -> dict | None:
        """Make ``server`` the one that runs a deployment until ``expires``, with one
        conditional UPDATE: only when it holds the lease already, nobody does, or the
        holder's lease expired before ``now`` (and, with ``states``, the deployment is in
        one of them). The deployment when taken, else None."""

    def clock(self) -> float:
        """The store's current time (seconds since the epoch): the one clock every server
        sharing the store reads leases by, whatever its own clock says (the database
        server's; for a file store, this machine's)."""
        return time.time()

    @abc.abstractmethod
    def renew_deployment_leases(self, server: str, expires: str) -> int:
        """Extend the lease of every building, starting or running deployment ``server``
        holds to ``expires``; the number renewed."""

    # -- API keys ------------------------------------------------------------------------

    @abc.abstractmethod
    def put_api_key(self, key: dict) -> dict:
        """Store a new API key ``{id, username, name, project, salt, hash}``; returns it
        (without ``salt``/``hash``) with ``created`` and ``revoked`` (None)."""

    @abc.abstractmethod
    def get_api_key(self, key_id: str) -> dict | None:
        """The key with ``salt`` and ``hash`` (for verification), or None."""

    @abc.abstractmethod
    def list_api_keys(self, username: str) -> list[dict]:
        """The user's keys (revoked ones too), newest first, without ``salt``/``hash``."""

    @abc.abstractmethod
    def revoke_api_key(self, key_id: str) -> dict | None:
        """Mark a key revoked (the first revocation time stays); the key, or None."""

    # -- sweeps (issue 17) ---------------------------------------------------------------

    @abc.abstractmethod
    def put_sweep(self, sweep: dict) -> dict:
        """Store a new sweep ``{id, notebook, project, owner, state, backend, server, ...}``
        (other fields are kept as they are); returns it with ``created`` and ``updated``.
        Raises ValueError when the id exists."""

    @abc.abstractmethod
    def get_sweep(self, sweep_id: str) -> dict | None:
        """A sweep, or None (also for a malformed id)."""

    @abc.abstractmethod
    def list_sweeps(self, states=None) -> list[dict]:
        """Sweeps, newest first; only those in ``states`` when given. Their ``counts`` are
        those of their trials as read with them (``sweep_counts``): the stored counts are
        written after a trial changes, and a list read between the two would disagree with
        the sweep's own trials."""

    @abc.abstractmethod
    def update_sweep(self, sweep_id: str, **fields) -> dict:
        """Change fields of a sweep; returns it. Raises KeyError for an unknown sweep."""

    @abc.abstractmethod
    def put_trial(self, sweep_id: str, trial: dict) -> dict | None:
        """Store trial ``{number, state, ...}`` of a sweep; None (nothing stored) when that
        number exists already, so a trial is never started twice."""

    @abc.abstractmethod
    def update_trial(self, sweep_id: str, number: int, **fields) -> dict:
        """Change fields of a trial; returns it. Raises KeyError for an unknown trial."""

    @abc.abstractmethod
    def list_trials(self, sweep_id: str) -> list[dict]:
        """The trials of a sweep by number."""

    # -- lifecycle -----------------------------------------------------------------------

    @abc.abstractmethod
    def schema_version(self) -> int:
        """The schema version of the database (after migrations)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connection; the store must not be used afterwards."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
