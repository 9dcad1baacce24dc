"""Runs: publish, list, get, executions, cells, files, metric series, notebook snapshot,
lineage, export."""

from __future__ import annotations

import math
import re

import tornado.iostream
import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join

from .. import csv_exports, downsample, provenance, publishing, table_csv
from .. import export as exporter
from .. import lineage as lineage_mod
from ..store import RecordError
from ..store.query import STATS
from . import models as models_routes
from .handler import SCOPE_APIKEY, SCOPE_JUPYTER, DotscienceHandler

UUID = r"(?P<run_id>[0-9a-fA-F-]{32,36})"
_PARAM_RE = re.compile(r"^([^<>=!]+?)(==|=|!=|<=|>=|<|>)(.*)$")


def _literal(text: str):
    """A filter value: a number when it reads as one, else the text."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _bad(message: str):
    raise tornado.web.HTTPError(400, message)


#: Left out of the run answers: the source texts (up to 20 MiB) and every execution are
#: served by ``GET runs/{id}/executions``
_NOT_IN_ANSWERS = ("sources", "executions")


def answer(run: dict) -> dict:
    """A stored run as the API answers it (without its sources and executions)."""
    return {k: v for k, v in run.items() if k not in _NOT_IN_ANSWERS}


class RunQueryMixin:
    """Reads the filters of ``GET runs`` (and ``GET runs/ids``) from the query."""

    def run_filters(self) -> dict:
        """The filters of ``GET runs`` read from the query (400 for a malformed one), the
        caller's project limit and team projects applied.

        Returns
        -------
        dict
            Keyword arguments of ``Store.list_runs``/``count_runs`` other than the sort,
            limit and cursor.
        """
        labels = {}
        for item in self.get_query_arguments("label"):
            key, sep, value = item.partition(":")
            if not sep or not key:
                _bad(f"label filter {item!r}: expected key:value")
            labels[key] = value
        params = {}
        for item in self.get_query_arguments("param"):
            m = _PARAM_RE.match(item)
            if not m:
                _bad(f"param filter {item!r}: expected key=value or key<op>value")
            key, op, value = m.group(1).strip(), m.group(2), m.group(3)
            params[key] = ("=" if op == "==" else op, _literal(value))
        metrics = []
        for name in sorted(self.request.query_arguments):
            if name != "metric" and not name.startswith("metric."):
                continue
            stat = "last" if name == "metric" else name[len("metric.") :]
            if stat not in STATS:
                _bad(
                    f"{name}: unknown aggregate {stat!r} (metric, metric.min, metric.max or "
                    "metric.last)"
                )
            for item in self.get_query_arguments(name):
                parts = item.rsplit(":", 2)  # a key may hold colons; the bounds cannot
                if len(parts) != 3 or not parts[0]:
                    _bad(f"{name} filter {item!r}: expected key:min:max (a bound may be empty)")
                try:
                    lo = float(parts[1]) if parts[1] else None
                    hi = float(parts[2]) if parts[2] else None
                except ValueError:
                    _bad(f"{name} filter {item!r}: bounds must be numbers")
                if (lo is not None and math.isnan(lo)) or (hi is not None and math.isnan(hi)):
                    _bad(f"{name} filter {item!r}: a bound cannot be NaN")
                metrics.append((parts[0], lo, hi, stat))
        times = []
        for field in ("received", "start", "end"):
            for item in self.get_query_arguments(field):
                low, sep, high = item.partition("..")
                if not sep or not (low.strip() or high.strip()):
                    _bad(
                        f"{field} filter {item!r}: expected from..to, ISO 8601 times, either"
                        " may be empty (e.g. 2026-11-30T00:00:00Z..)"
                    )
                times.append((field, low.strip() or None, high.strip() or None))
        warnings = self.get_query_argument("warnings", None)
        if warnings not in (None, "true", "false"):
            _bad("warnings must be true or false")
        if self.get_query_argument("stats", "false") not in ("true", "false"):
            _bad("stats must be true or false")  # (GET runs/ids has no use for it)
        project = self.get_query_argument("project", None)
        if self.project_limit:
            if project and not self.can_see_project(project):
                raise tornado.web.HTTPError(
                    403, f"This API key is limited to project {self.project_limit!r}."
                )
            project = self.project_limit
        visible = self.visible_projects  # a team member sees the projects they belong to
        return dict(
            project=project,
            projects=None if visible is None else sorted(visible),
            notebook=self.get_query_argument("notebook", None),
            status=self.get_query_argument("status", None),
            author=self.get_query_argument("author", None),
            text=self.get_query_argument("q", None) or None,
            name=self.get_query_argument("name", None) or None,
            labels=labels or None,
            params=params or None,
            metrics=metrics or None,
            verdict=self.get_query_argument("verdict", None),
            warnings=None if warnings is None else warnings == "true",
            times=times or None,
        )


class RunsHandler(RunQueryMixin, DotscienceHandler):
    """``/dotscience/api/runs``."""

    publish_verbs = frozenset({"post"})

    @tornado.web.authenticated
    @authorized
    async def post(self):
        """Publish a run. Body: a run record (docs/design.md). 201 when new, 200 when the
        same run id was already stored (nothing is stored twice). Response: the stored run."""
        record = self.json_body(max_bytes=self.ds.max_run_bytes)  # long series are large
        if not isinstance(record, dict):
            _bad("The run record must be a JSON object.")
        await self.check_publish(record.get("project"))
        # A run published with an API key comes from another machine: its files are
        # captured only from what its user uploads, never read from this server's workspace.
        from_here = self.scope != SCOPE_APIKEY
        origin = models_routes.publisher(self, record)
        try:
            run, created = await self.ds.call(
                publishing.publish, self.ds.store, self.ds.artifacts,
                self.ds.root_dir if from_here else None, record, self.username,
                self.project_limit, origin,
            )  # fmt: skip
        except RecordError as e:
            _bad(str(e))
        if not created and not self.can_see_project(run.get("project")):
            raise tornado.web.HTTPError(
                409, "This run id is already taken; publish the run under a new id."
            )
        if created:
            await self.ds.run_published(run, origin)
        stored = answer(run)
        prefer = self.request.headers.get("Prefer", "").replace(" ", "").lower()
        if (
            created and "return=minimal" in re.split(r"[,;]", prefer)
            and publishing.series_as_sent(record, run)
        ):  # fmt: skip
            # RFC 7240: the publisher has the series it sent (a long one is 70 MB of answer)
            del stored["metrics"]
            self.set_header("Preference-Applied", "return=minimal")
        refusal = models_routes.deploy_refusal(run, origin)
        if refusal:  # stored, but not built or deployed: say so, with the stored run
            self.write_json({"error": refusal, "status": 403, "run": stored}, status=403)
            return
        self.write_json(stored, status=201 if created else 200)

    @tornado.web.authenticated
    @authorized
    async def get(self):
        """List runs. Query: project, notebook, status, author, q (text search),
        name (what run lists show as the name: description, else notebook or script,
        contains it; or the run id starts with it),
        label=key:value (repeat), param=key<op>value (op one of = != < <= > >=, repeat),
        metric=key:min:max (the last value; either bound may be empty, repeat),
        metric.min=key:min:max and metric.max=key:min:max (the smallest or largest number of
        the series), verdict (identical, within_tolerance, differs, failed, not_reproducible
        or none: never reproduced), warnings (true|false), received=from..to,
        start=from..to and end=from..to (ISO 8601 times, inclusive, either may be empty;
        received is when the run was published), sort (received, start, end,
        metric:<key>, metric.min:<key>, metric.max:<key>, param:<key>, ...; prefix - for
        descending), stats (true: each summary also has metric_min and metric_max),
        limit (1..1000), cursor.
        Response: ``{"runs": [summary], "next_cursor": str|null, "total": int}`` (``total``:
        how many runs the filter matches, on every page)."""
        filters = self.run_filters()
        stats = self.get_query_argument("stats", "false")  # checked by run_filters
        try:
            limit = int(self.get_query_argument("limit", "50"))
        except ValueError:
            _bad("limit must be a whole number")
        store = self.ds.store
        try:
            runs, cursor = await self.ds.call(
                store.list_runs, sort=self.get_query_argument("sort", "-received"), limit=limit,
                cursor=self.get_query_argument("cursor", None) or None, stats=stats == "true",
                **filters,
            )  # fmt: skip
            total = await self.ds.call(store.count_runs, **filters)
        except ValueError as e:
            _bad(str(e))
        self.write_json({"runs": runs, "next_cursor": cursor, "total": total})


class RunIdsHandler(RunQueryMixin, DotscienceHandler):
    """``/dotscience/api/runs/ids``: every run the filter matches, by id (issue 14: "select
    all that match" in the Runs table, without loading every summary)."""

    @tornado.web.authenticated
    @authorized
    async def get(self):
        """Query: the filters and sort of ``GET runs``; limit (1..100000, default 100000).
        Response: ``{"ids": [str], "total": int}`` (``total`` counts every match, also
        beyond the limit)."""
        filters = self.run_filters()
        try:
            limit = int(self.get_query_argument("limit", "100000"))
        except ValueError:
            _bad("limit must be a whole number")
        store = self.ds.store
        try:
            ids = await self.ds.call(
                store.run_ids, sort=self.get_query_argument("sort", "-received"), limit=limit,
                **filters,
            )  # fmt: skip
            total = await self.ds.call(store.count_runs, **filters)
        except ValueError as e:
            _bad(str(e))
        self.write_json({"ids": ids, "total": total})


class RunsCsvMixin(RunQueryMixin):
    """Writes the Runs table as CSV (its filters, sort and columns): every matching run, a
    page at a time."""

    #: Runs read from the store per page written
    PAGE = 1000

    def _body_columns(self) -> list[str]:
        """The column ids a POST names in its body (400 for any other body, or for columns
        also in the query)."""
        if self.get_query_arguments("column"):
            _bad("With POST the columns are in the body only, not in the query")
        body = self.json_body()
        columns = body.get("columns") if isinstance(body, dict) else None
        if (
            not isinstance(columns, list)
            or not all(isinstance(c, str) for c in columns)
            or len(body) != 1
        ):
            _bad('The body is {"columns": [column id, ...]}, each id a string, nothing else')
        return columns

    async def _plan(self, column_ids: list[str], first: bool = True) -> dict:
        """What a file of the query's runs with these columns reads, checked (400 for a
        malformed query or column): ``{filters, columns, sort, limit, stats}``, and with
        ``first`` its first page of runs as ``first``: ``(runs, cursor)`` (without it the
        query is checked on one run)."""
        filters = self.run_filters()
        try:
            columns = table_csv.parse_columns(column_ids)
        except ValueError as e:
            _bad(str(e))
        try:
            limit = int(self.get_query_argument("limit", "100000"))
        except ValueError:
            _bad("limit must be a whole number")
        if not 1 <= limit <= 100000:
            _bad("limit must be between 1 and 100000")
        plan = {
            "filters": filters, "columns": columns, "limit": limit,
            "sort": self.get_query_argument("sort", "-received"),
            "stats": table_csv.needs_stats(columns),
        }  # fmt: skip
        try:  # the first page before a byte is written: a bad sort is still a 400
            page = await self._page(plan, None, limit if first else 1)
        except ValueError as e:
            _bad(str(e))
        if first:
            plan["first"] = page
        return plan

    async def _page(self, plan: dict, cursor: str | None, left: int):
        return await self.ds.call(
            self.ds.store.list_runs, sort=plan["sort"], limit=min(self.PAGE, left),
            cursor=cursor, stats=plan["stats"], **plan["filters"],
        )  # fmt: skip

    async def _write_csv(self, column_ids: list[str]) -> None:
        """Write the file of the query's runs with these columns (400 before a byte of it
        for a malformed query or column)."""
        await self._stream(await self._plan(column_ids))

    async def _stream(self, plan: dict) -> None:
        """Write the file a plan reads, a page of runs at a time."""
        columns, left = plan["columns"], plan["limit"]
        if "first" in plan:
            runs, cursor = plan.pop("first")
        else:
            runs, cursor = await self._page(plan, None, left)
        self.set_header("Content-Type", "text/csv; charset=utf-8")
        self.set_header("Content-Disposition", 'attachment; filename="runs.csv"')
        self.write(table_csv.heading_line(columns))
        try:
            while True:
                self.write(table_csv.run_lines(columns, runs))
                left -= len(runs)
                await self.flush()
                if not cursor or left <= 0:
                    break
                runs, cursor = await self._page(plan, cursor, left)
        except tornado.iostream.StreamClosedError:
            return  # the client went away
        self.finish()

    def export_owner(self) -> tuple:
        """Who an export made by this request belongs to: the same user, signed in the
        same way (a Jupyter login, or the same API key)."""
        return (self.scope, self.username, (self.api_key or {}).get("id"))


class RunsCsvHandler(RunsCsvMixin, DotscienceHandler):
    """``/dotscience/api/runs/csv``: the Runs table as CSV."""

    apikey_verbs = frozenset({"get", "post"})  # POST is a read too: its columns in the body

    @tornado.web.authenticated
    @authorized
    async def get(self):
        """Query: the filters and sort of ``GET runs``; column (repeat; ``field:<key>``,
        ``param:<key>``, ``label:<key>`` or ``metric:<key>:<last|min|max>``, as the Runs
        table names its columns); limit (1..100000 runs, default 100000).
        Response: ``text/csv``, a heading line (``run_id`` and each column's heading) and a
        line per run, in the sort's order (see ``jupyterlab_dotscience/table_csv.py``)."""
        await self._write_csv(self.get_query_arguments("column"))

    @tornado.web.authenticated
    @authorized
    async def post(self):
        """The same file for more columns than an address holds: the query as for GET but
        its columns, which the body names: ``{"columns": [column id, ...]}``."""
        await self._write_csv(self._body_columns())


class RunsCsvExportsHandler(RunsCsvMixin, DotscienceHandler):
    """``/dotscience/api/runs/csv/exports``: a CSV export too wide for a download address,
    kept for one download by address (the browser then streams the file to disk)."""

    apikey_verbs = frozenset({"post"})

    @tornado.web.authenticated
    @authorized
    async def post(self):
        """The query and body of ``POST runs/csv``, checked as it checks them. Response
        (201): ``{"id": str, "url": str, "expires_in": seconds}``: ``GET url`` downloads the
        file once, by the same user, within that time."""
        # the runs are read at the download (runs may be published meanwhile): the query is
        # checked here on one
        plan = await self._plan(self._body_columns(), first=False)
        try:
            export_id = self.ds.csv_exports.add(self.export_owner(), plan)
        except csv_exports.TooMany as e:
            self.write_json({"error": str(e), "status": 429}, status=429)
            return
        url = url_path_join(self.base_url, "dotscience/api/runs/csv/exports", export_id)
        self.write_json(
            {"id": export_id, "url": url, "expires_in": int(csv_exports.TTL)}, status=201
        )


class RunsCsvExportHandler(RunsCsvMixin, DotscienceHandler):
    """``/dotscience/api/runs/csv/exports/{id}``: an export's file, downloaded once."""

    apikey_verbs = frozenset({"get"})

    @tornado.web.authenticated
    @authorized
    async def get(self, export_id: str):
        """Response: ``text/csv``, the file ``POST runs/csv/exports`` asked for, with the
        runs that match it now (404 when there is no such export for this user: it was
        downloaded already, expired, or never made)."""
        plan = self.ds.csv_exports.take(self.export_owner(), export_id)
        if plan is None:
            raise tornado.web.HTTPError(
                404,
                "There is no such CSV export waiting for you: each is downloaded once, within "
                f"{csv_exports.TTL:.0f} s of being made.",
            )
        # the projects the user may read now (a team's members may have changed since)
        visible = self.visible_projects
        plan["filters"]["projects"] = None if visible is None else sorted(visible)
        await self._stream(plan)


class RunMixin:
    async def run_or_404(self, run_id: str, executions: bool = True) -> dict:
        """The whole stored run (404 when there is none or this caller may not see it)."""
        run = await self.ds.call(self.ds.store.get_run, run_id, executions)
        if run is None or not self.can_see_project(run.get("project")):
            raise tornado.web.HTTPError(404, f"There is no run {run_id}.")
        return run

    async def head_or_404(self, run_id: str) -> dict:
        """What a side request needs of a run (``Store.run_head``: no parameters, metrics,
        files or executions are read), 404 as :meth:`run_or_404`."""
        head = await self.ds.call(self.ds.store.run_head, run_id)
        if head is None or not self.can_see_project(head.get("project")):
            raise tornado.web.HTTPError(404, f"There is no run {run_id}.")
        return head

    async def authored_run_or_403(self, run_id: str) -> dict:
        """The run's head, when this request's user is its author (403 otherwise). The
        Jupyter user of this server also counts as the author of the runs its kernels
        published (``kernel_user``), whatever name the identity provider gives them."""
        run = await self.head_or_404(run_id)
        authors = {self.username}
        if self.scope == SCOPE_JUPYTER and not self.team:
            authors.add(self.ds.kernel_user)
        if run.get("author") not in authors:
            raise tornado.web.HTTPError(
                403,
                f"Only the author of run {run_id} ({run['author']}) may replace its "
                "notebook snapshot.",
            )
        return run


class RunHandler(RunMixin, DotscienceHandler):
    """``/dotscience/api/runs/{id}``: the whole run."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id):
        """Response: the stored run (docs/design.md shape plus author, status, received,
        warnings, verdict; without its executions and sources: see
        ``runs/{id}/executions``)."""
        self.write_json(answer(await self.run_or_404(run_id, executions=False)))


def _as_cell(e: dict, index: int | None) -> dict:
    """An execution in the shape of the old ``cells`` answer."""
    return {
        "cell_id": e["cell_id"], "index": index, "execution_count": e["execution_count"],
        "source_sha256": e["source_sha256"], "start": e["start"], "end": e["end"],
        "success": e["success"],
    }  # fmt: skip


class RunExecutionsHandler(RunMixin, DotscienceHandler):
    """``/dotscience/api/runs/{id}/executions``: the code that produced the run."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id):
        """Response: ``{"executions": [{seq, cell_id, execution_count, source_sha256,
        source, start, end, success, error, in_run, origin, session}], "kernel": {session,
        started, name, cwd}|null}``: every execution of the kernel session in the order they
        ran (empty for a run recorded without them)."""
        head = await self.head_or_404(run_id)
        executions = await self.ds.call(self.ds.store.run_executions, run_id)
        self.write_json({"executions": executions, "kernel": head.get("kernel")})


class RunCellsHandler(RunMixin, DotscienceHandler):
    """``/dotscience/api/runs/{id}/cells``: the cells that produced the run."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id):
        """Query: ``order`` = ``notebook`` (default: by position, then time) or ``execution``
        (as they ran). Response: ``{"cells": [{cell_id, index, execution_count,
        source_sha256, start, end, success}]}``."""
        order = self.get_query_argument("order", "notebook")
        if order not in ("notebook", "execution"):
            _bad("order must be notebook or execution")
        await self.head_or_404(run_id)
        cells = await self.ds.call(self._cells, run_id)
        if order == "notebook":
            last = len(cells)  # cells not in the notebook go last
            cells.sort(
                key=lambda c: (c["index"] if c["index"] is not None else last, c["start"] or "")
            )
        self.write_json({"cells": cells})

    def _cells(self, run_id: str) -> list[dict]:
        """The in-run executions of notebook cells, placed by the notebook snapshot; the
        stored cells of a run recorded before executions were."""
        store = self.ds.store
        executions = store.run_executions(run_id)
        if not executions:
            return store.run_cells(run_id)
        snapshot = store.get_notebook_snapshot(run_id)
        cells = provenance.notebook_cells(snapshot["content"] if snapshot else None) or []
        position = {c["id"]: c["index"] for c in cells if c["id"] is not None}
        return [
            _as_cell(e, position.get(e["cell_id"]))
            for e in executions
            if e["in_run"] and e["origin"] == "cell" and e["cell_id"]
        ]


class RunNotebookHandler(RunMixin, DotscienceHandler):
    """``/dotscience/api/runs/{id}/notebook``: the notebook as it was at publish."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id):
        """Query: ``missing`` = ``error`` (default: 404 when none was recorded) or ``empty``
        (204 with no body when none was recorded: the browser logs no error for a run that
        simply has no snapshot). Response: ``{"path", "sha256", "content"}``."""
        missing = self.get_query_argument("missing", "error")
        if missing not in ("error", "empty"):
            _bad("missing must be error or empty")
        await self.head_or_404(run_id)
        snap = await self.ds.call(self.ds.store.get_notebook_snapshot, run_id)
        if snap is None and missing == "empty":
            self.set_status(204)
            self.finish()
            return
        if snap is None:
            raise tornado.web.HTTPError(404, f"Run {run_id} has no notebook snapshot.")
        self.write_json(snap)

    @tornado.web.authenticated
    @authorized
    async def put(self, run_id):
        """Body: ``{"path": str|null, "content": <nbformat JSON>}``. The run's hidden-state
        warnings are recomputed against it. Response: the snapshot without content."""
        body = self.json_body()
        if not isinstance(body, dict) or "content" not in body:
            _bad('The body must be {"path": ..., "content": {...}}.')
        await self.authored_run_or_403(run_id)
        try:
            snap = await self.ds.call(
                self.ds.store.put_notebook_snapshot, run_id, body.get("path"), body["content"]
            )
        except (RecordError, ValueError) as e:
            _bad(str(e))
        await self.ds.call(provenance.refresh_warnings, self.ds.store, run_id)
        snap = {k: v for k, v in snap.items() if k != "content"}
        self.write_json(snap)


class RunFilesHandler(RunMixin, DotscienceHandler):
    """``/dotscience/api/runs/{id}/files``."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id):
        """Response: ``{"files": [{role, path, sha256, size, outside, missing, captured,
        reason, artifact}]}``. ``captured``: the content was captured into the artifact
        store for this run (from the workspace it was published from, or uploaded by its
        user), ``reason`` says how or why not; ``artifact``: this caller can download it from
        ``artifacts/{sha256}`` (the Jupyter user: any stored content; an API key: only
        content captured for the run)."""
        await self.head_or_404(run_id)
        files = await self.ds.call(self.ds.store.run_files, run_id)
        any_content = self.scope == SCOPE_JUPYTER and not self.team  # see artifacts._readable
        hashes = [f["sha256"] for f in files if f.get("sha256")]
        stored = await self.ds.call(self.ds.artifacts.which_stored, hashes)  # S3: requests
        for f in files:
            f["artifact"] = f.get("sha256") in stored and (any_content or f["captured"])
        self.write_json({"files": files})


class RunMetricHandler(RunMixin, DotscienceHandler):
    """``/dotscience/api/runs/{id}/metrics/{key}``: a metric's series, whole or downsampled."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id, key):
        """Query: points (1..10,000: at most that many points keeping the shape, the first
        and last exact, steps numbered; see :mod:`..downsample`), from and to (inclusive
        step bounds of the window to downsample, with points). Response: ``{"key",
        "series": [{value, text, step, time}], "count"}`` (count: points of the stored
        series in the window). Reads the series alone, never the whole run."""
        try:
            points = downsample.parse_points(self.get_query_argument("points", None))
            start = downsample.parse_step(self.get_query_argument("from", None), "from")
            end = downsample.parse_step(self.get_query_argument("to", None), "to")
        except ValueError as e:
            _bad(str(e))
        if points is None and (start is not None or end is not None):
            _bad("from and to need points (the number of points to answer with).")
        await self.head_or_404(run_id)
        key = tornado.escape.url_unescape(key)
        if points is None:
            series = await self.ds.call(self.ds.store.metric_series, run_id, key)
            self.write_json({"key": key, "series": series, "count": len(series)})
            return
        sample = await self.ds.call(self.ds.store.metric_sample, run_id, key, points, start, end)
        self.write_json({"key": key, **sample})


class LineageHandler(DotscienceHandler):
    """``/dotscience/api/runs/{id}/lineage`` and ``/dotscience/api/files/{sha256}/lineage``."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id=None, sha256=None):
        """Query: direction (both|up|down), depth (1..20). Response: ``{"root", "nodes",
        "edges", "truncated"}``."""
        direction = self.get_query_argument("direction", "both")
        try:
            depth = int(self.get_query_argument("depth", "5"))
        except ValueError:
            _bad("depth must be a whole number")
        if not 1 <= depth <= 20:
            _bad("depth must be between 1 and 20")
        try:
            graph = await self.ds.call(
                lineage_mod.lineage, self.ds.store, run_id=run_id, sha256=sha256,
                direction=direction, depth=depth, visible=self.can_see_project,
            )  # fmt: skip
        except KeyError:
            raise tornado.web.HTTPError(404, f"There is no run {run_id}.") from None
        except ValueError as e:
            _bad(str(e))
        self.write_json(graph)


class ExportHandler(RunMixin, DotscienceHandler):
    """``/dotscience/api/runs/{id}/export?format=prov|openlineage|v1``."""

    FORMATS = ("prov", "openlineage", "v1")

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id):
        """Response: PROV-JSON document, ``{"events": [OpenLineage RunEvent]}`` or the v1
        block as text/plain."""
        fmt = self.get_query_argument("format", "prov")
        if fmt not in self.FORMATS:
            _bad(f"format must be one of {', '.join(self.FORMATS)}")
        run = await self.run_or_404(run_id)
        if fmt == "v1":
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(exporter.v1_block(run))
        elif fmt == "prov":
            self.write_json(exporter.to_prov(run))
        else:
            self.write_json({"events": exporter.to_openlineage(run)})


ROUTES = [
    (r"/dotscience/api/runs", RunsHandler),
    (r"/dotscience/api/runs/ids", RunIdsHandler),
    (r"/dotscience/api/runs/csv", RunsCsvHandler),
    (r"/dotscience/api/runs/csv/exports", RunsCsvExportsHandler),
    (r"/dotscience/api/runs/csv/exports/(?P<export_id>[A-Za-z0-9_-]{1,64})", RunsCsvExportHandler),
    (rf"/dotscience/api/runs/{UUID}", RunHandler),
    (rf"/dotscience/api/runs/{UUID}/executions", RunExecutionsHandler),
    (rf"/dotscience/api/runs/{UUID}/cells", RunCellsHandler),
    (rf"/dotscience/api/runs/{UUID}/notebook", RunNotebookHandler),
    (rf"/dotscience/api/runs/{UUID}/files", RunFilesHandler),
    (rf"/dotscience/api/runs/{UUID}/metrics/(?P<key>[^/]+)", RunMetricHandler),
    (rf"/dotscience/api/runs/{UUID}/lineage", LineageHandler),
    (r"/dotscience/api/files/(?P<sha256>[0-9a-f]{64})/lineage", LineageHandler),
    (rf"/dotscience/api/runs/{UUID}/export", ExportHandler),
]
