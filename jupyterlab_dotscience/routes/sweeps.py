"""Sweeps (issue 17): start, list, follow and cancel. A sweep executes a notebook's code, so
every route needs a Jupyter login (API keys and the kernel token are refused)."""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..sweeps import SweepError, with_trials
from .handler import DotscienceHandler

SID = r"(?P<sweep_id>[0-9a-fA-F-]{32,36})"

#: What an API key or a kernel token is told
ONLY_JUPYTER = "A sweep executes a notebook's code; only a Jupyter login may use sweeps."
#: Fields of a sweep the API shows (not the server that drives it)
_HIDDEN = ("server",)


def _bad(message: str):
    raise tornado.web.HTTPError(400, message.replace("%", "%%"))


def _public(sweep: dict) -> dict:
    return {k: v for k, v in sweep.items() if k not in _HIDDEN}


class _SweepBase(DotscienceHandler):
    apikey_verbs = frozenset()
    apikey_refusal = ONLY_JUPYTER

    async def prepare(self):  # noqa: D401 - tornado hook
        try:
            return await super().prepare()
        except tornado.web.HTTPError as e:
            if e.status_code == 403 and e.log_message == "The kernel token may only publish runs.":
                raise tornado.web.HTTPError(403, ONLY_JUPYTER) from None
            raise

    def engine(self):
        engine = getattr(self.ds, "sweeps", None)
        if engine is None:
            raise tornado.web.HTTPError(503, "Sweeps are not available on this server.")
        return engine

    async def sweep_or_404(self, sid: str) -> dict:
        sweep = await self.ds.call(self.engine().get, sid.lower())
        if sweep is None or not self.can_see_project(sweep.get("project")):
            raise tornado.web.HTTPError(404, f"There is no sweep {sid}.")
        return sweep


class SweepsHandler(_SweepBase):
    """``/dotscience/api/sweeps``."""

    @tornado.web.authenticated
    @authorized
    async def post(self):
        """Start a sweep. Body: ``{"notebook": "dir/x.ipynb", "spec": {...} or "YAML",
        "backend": "local" | "dask", "project": "name"}``. 202 with the sweep."""
        body = self.json_body()
        if not isinstance(body, dict):
            _bad('The body must be a JSON object such as {"notebook": "x.ipynb", "spec": {}}.')
        unknown = sorted(set(body) - {"notebook", "spec", "backend", "project"})
        if unknown:
            _bad(f"Unknown field {str(unknown[0])[:50]!r}; expected notebook, spec, backend or "
                 "project.")  # fmt: skip
        if not isinstance(body.get("notebook"), str):
            _bad("notebook must be the workspace-relative path of a .ipynb file.")
        spec = body.get("spec")
        if not isinstance(spec, dict | str):
            _bad("spec must be a sweep spec: an object, or its YAML or JSON text.")
        backend = body.get("backend", "local")
        if backend not in ("local", "dask"):
            _bad("backend must be local or dask.")
        project = body.get("project")
        if project is not None and not isinstance(project, str):
            _bad("project must be a project name.")
        await self.check_publish(project or "default")
        try:
            sweep = await self.ds.call(
                self.engine().start, body["notebook"], spec, backend, self.username, project
            )
        except SweepError as e:
            raise tornado.web.HTTPError(e.status, str(e).replace("%", "%%")) from None
        self.write_json(_public(with_trials(sweep, [])), status=202)

    @tornado.web.authenticated
    @authorized
    async def get(self):
        """Response: ``{"sweeps": [sweep]}`` (without their trials), newest first;
        ``?notebook=`` keeps those of one notebook."""
        notebook = self.get_query_argument("notebook", None)
        sweeps = await self.ds.call(self.ds.store.list_sweeps)
        out = [
            _public(s)
            for s in sweeps
            if self.can_see_project(s.get("project"))
            and (notebook is None or s.get("notebook") == notebook)
        ]
        self.write_json({"sweeps": out})


class SweepHandler(_SweepBase):
    """``/dotscience/api/sweeps/{id}``."""

    @tornado.web.authenticated
    @authorized
    async def get(self, sweep_id):
        """Response: the sweep with its trials (the best one marked)."""
        self.write_json(_public(await self.sweep_or_404(sweep_id)))


class SweepCancelHandler(_SweepBase):
    """``/dotscience/api/sweeps/{id}/cancel``."""

    @tornado.web.authenticated
    @authorized
    async def post(self, sweep_id):
        """Stop a running sweep (its running trials stop; finished trials and their runs are
        kept). Response: the sweep; 409 when it has finished already."""
        sweep = await self.sweep_or_404(sweep_id)
        if sweep["state"] != "running":
            raise tornado.web.HTTPError(
                409, f"Sweep {sweep['id']} has finished already ({sweep['state']})."
            )
        sweep = await self.ds.call(self.engine().cancel, sweep["id"])
        self.write_json(_public(sweep))


ROUTES = [
    (r"/dotscience/api/sweeps", SweepsHandler),
    (rf"/dotscience/api/sweeps/{SID}", SweepHandler),
    (rf"/dotscience/api/sweeps/{SID}/cancel", SweepCancelHandler),
]
