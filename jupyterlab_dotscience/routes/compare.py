"""Compare many runs in one request, diff two runs, and which way each metric is better."""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from .. import rundiff
from ..store.validate import RecordError, check_uuid
from .handler import DotscienceHandler
from .runs import UUID, RunMixin
from .scoping import ProjectScopeMixin

#: The most runs one compare request may name
MAX_COMPARE = 500
#: The longest metric key a direction is stored for
MAX_KEY = 256
DIRECTIONS = ("higher", "lower")


def _bad(message: str):
    raise tornado.web.HTTPError(400, message)


def compare_ids(body) -> list[str]:
    """The canonical run ids of a compare request's body (``{"ids": [...]}``), each once, in
    the order given; 400 with one sentence for anything else.

    Parameters
    ----------
    body
        The parsed JSON body.

    Returns
    -------
    list of str
    """
    if not isinstance(body, dict) or "ids" not in body:
        _bad('The body must be a JSON object {"ids": [run id, ...]}.')
    extra = sorted(set(body) - {"ids"})
    if extra:
        _bad(f"Unknown field {extra[0]!r}; the body has only ids.")
    ids = body["ids"]
    if not isinstance(ids, list) or not ids:
        _bad("ids must be a non-empty list of run ids.")
    if len(ids) > MAX_COMPARE:
        _bad(f"ids names {len(ids)} runs; at most {MAX_COMPARE} can be compared at once.")
    out: dict[str, None] = {}
    for i, run_id in enumerate(ids):
        try:
            out[check_uuid(run_id, f"ids[{i}]")] = None
        except RecordError as e:
            _bad(f"{e}.")
    return list(out)


class CompareHandler(ProjectScopeMixin, DotscienceHandler):
    """``/dotscience/api/runs/compare``: up to 500 runs in one answer."""

    apikey_verbs = frozenset({"post"})  # a read: the ids travel in the body

    @tornado.web.authenticated
    @authorized
    async def post(self):
        """Body: ``{"ids": [run id, ...]}`` (1..500). Response: ``{runs, missing,
        directions}``: each visible run with its parameters, last metric values (with min
        and max), inputs, labels and environment summary, in the order asked; ``missing``
        the ids that name no run this request may see; ``directions`` of their metrics."""
        ids = compare_ids(self.json_body())
        runs = await self.ds.call(self.ds.store.compare_runs, ids)
        runs = [r for r in runs if self.can_see_project(r.get("project"))]
        found = {r["id"] for r in runs}
        keys = sorted({k for r in runs for k in r["metrics"]})
        directions = await self.ds.call(self.ds.store.metric_directions, keys) if keys else {}
        self.write_json(
            {"runs": runs, "missing": [i for i in ids if i not in found], "directions": directions}
        )


class DiffHandler(RunMixin, ProjectScopeMixin, DotscienceHandler):
    """``/dotscience/api/runs/{a}/diff/{b}``: what changed from run a to run b."""

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id, other_id):
        """Response: ``{a, b, cells, parameters, data, environment, metrics, changes}``
        (``jupyterlab_dotscience.rundiff``); 404 when either run is not one this request may
        see."""
        a_head = await self.head_or_404(run_id)
        b_head = await self.head_or_404(other_id)
        runs = await self.ds.call(self.ds.store.compare_runs, [a_head["id"], b_head["id"]], True)
        by_id = {r["id"]: r for r in runs}
        if a_head["id"] not in by_id or b_head["id"] not in by_id:  # deleted meanwhile
            raise tornado.web.HTTPError(404, f"There is no run {run_id}.")
        a, b = by_id[a_head["id"]], by_id[b_head["id"]]
        a_exec = await self.ds.call(self.ds.store.run_executions, a["id"])
        b_exec = await self.ds.call(self.ds.store.run_executions, b["id"])
        keys = sorted(set(a["metrics"]) | set(b["metrics"]))
        directions = await self.ds.call(self.ds.store.metric_directions, keys) if keys else {}
        self.write_json(rundiff.diff_runs(a, b, a_exec, b_exec, directions))


class DirectionHandler(DotscienceHandler):
    """``/dotscience/api/metrics/{key}/direction``: whether higher or lower is better."""

    def _key(self, key: str) -> str:
        if not key or len(key) > MAX_KEY:
            _bad(f"A metric key is 1 to {MAX_KEY} characters.")
        return key

    @tornado.web.authenticated
    @authorized
    async def get(self, key):
        """Response: ``{key, direction}`` (``higher``, ``lower`` or null: not set)."""
        key = self._key(key)
        found = await self.ds.call(self.ds.store.metric_directions, [key])
        self.write_json({"key": key, "direction": found.get(key)})

    @tornado.web.authenticated
    @authorized
    async def put(self, key):
        """Body: ``{"direction": "higher" | "lower" | null}`` (null forgets it); a Jupyter
        login only. Response: ``{key, direction}``."""
        key = self._key(key)
        body = self.json_body()
        if not isinstance(body, dict) or set(body) != {"direction"}:
            _bad('The body must be {"direction": "higher" | "lower" | null}.')
        direction = body["direction"]
        if direction is not None and direction not in DIRECTIONS:
            _bad(f"direction must be 'higher', 'lower' or null, not {str(direction)[:40]!r}.")
        await self.ds.call(self.ds.store.set_metric_direction, key, direction, self.username)
        self.write_json({"key": key, "direction": direction})


OTHER = UUID.replace("run_id", "other_id")

ROUTES = [
    (r"/dotscience/api/runs/compare", CompareHandler),
    (rf"/dotscience/api/runs/{UUID}/diff/{OTHER}", DiffHandler),
    (r"/dotscience/api/metrics/(?P<key>[^/]+)/direction", DirectionHandler),
]
