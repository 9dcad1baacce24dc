"""Reproductions of a run: start (Jupyter login only), list, follow, cancel."""

from __future__ import annotations

import math

import tornado.web
from jupyter_server.auth.decorator import authorized

from .handler import SCOPE_JUPYTER, DotscienceHandler
from .runs import UUID, RunMixin
from .scoping import ProjectScopeMixin

RID = r"(?P<rid>[0-9a-fA-F-]{32,36})"

#: What an API key or a kernel token is told when it asks to reproduce a run
ONLY_JUPYTER = "Reproducing a run executes its code; only a Jupyter login may start one."
_KERNEL_REFUSAL = "The kernel token may only publish runs."


def _bad(message: str):
    raise tornado.web.HTTPError(400, message)


class _ReproductionBase(ProjectScopeMixin, RunMixin, DotscienceHandler):
    """Reproductions are read like runs (an API key sees those of its project, without the
    server's paths); only a Jupyter login starts or cancels one."""

    apikey_refusal = ONLY_JUPYTER

    async def prepare(self):  # noqa: D401 - tornado hook
        try:
            return await super().prepare()
        except tornado.web.HTTPError as e:
            if (
                e.status_code == 403
                and e.log_message == _KERNEL_REFUSAL
                and self.request.method == "POST"
            ):
                raise tornado.web.HTTPError(403, ONLY_JUPYTER) from None
            raise

    async def reproduction_or_404(self, run_id: str, rid: str) -> dict:
        await self.run_or_404(run_id)
        rep = await self.ds.call(self.ds.store.get_reproduction, rid.lower())
        if rep is None or rep.get("run_id") != run_id:
            raise tornado.web.HTTPError(404, f"Run {run_id} has no reproduction {rid}.")
        return rep


class ReproductionsHandler(_ReproductionBase):
    """``/dotscience/api/runs/{id}/reproductions``."""

    @tornado.web.authenticated
    @authorized
    async def post(self, run_id):
        """Start a reproduction. Body (optional): ``{"tolerance": 0.0, "confirm": false,
        "keep": false}``. 202 with the reproduction; 409 ``{"message", "author",
        "executions"}`` when the run is another user's and ``confirm`` is not true; 403 for
        API keys and kernel tokens."""
        if self.scope != SCOPE_JUPYTER:  # API keys are refused in prepare(); kept explicit
            raise tornado.web.HTTPError(403, ONLY_JUPYTER)
        body = self.json_body() if (self.request.body or b"").strip() else {}
        if not isinstance(body, dict):
            _bad('The body must be a JSON object such as {"tolerance": 0.01, "confirm": true}.')
        unknown = sorted(set(body) - {"tolerance", "confirm", "keep"})
        if unknown:
            _bad(f"Unknown field {unknown[0]!r}; expected tolerance, confirm or keep.")
        tolerance = body.get("tolerance", 0.0)
        if (
            isinstance(tolerance, bool)
            or not isinstance(tolerance, int | float)
            or not math.isfinite(tolerance)
            or tolerance < 0
        ):
            _bad("tolerance must be a finite number >= 0 (a relative difference, e.g. 0.01).")
        for name in ("confirm", "keep"):
            if not isinstance(body.get(name, False), bool):
                _bad(f"{name} must be true or false.")
        run = await self.run_or_404(run_id)
        authors = {self.username, self.ds.kernel_user}
        if run.get("author") not in authors and body.get("confirm") is not True:
            executions = await self.ds.call(self.ds.store.run_executions, run_id)
            message = (
                f"Run {run_id} is {run.get('author')}'s: reproducing it executes their code "
                f"({len(executions)} recorded executions); send confirm: true to go ahead."
            )
            self.write_json(
                {"error": message, "status": 409, "message": message,
                 "author": run.get("author"), "executions": len(executions)},
                status=409,
            )  # fmt: skip
            return
        rep = await self.ds.call(
            self.ds.reproductions.request, run, self.username, float(tolerance),
            bool(body.get("keep", False)),
        )  # fmt: skip
        self.write_json(rep, status=202)

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id):
        """Response: ``{"reproductions": [reproduction]}``, newest first."""
        await self.run_or_404(run_id)
        reps = await self.ds.call(self.ds.store.list_reproductions, run_id)
        self.write_json({"reproductions": reps})


class ReproductionHandler(_ReproductionBase):
    """``/dotscience/api/runs/{id}/reproductions/{rid}``."""

    apikey_refusal = "An API key may not cancel a reproduction; this needs a Jupyter login."

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id, rid):
        """Response: the reproduction (state, cell i of cells, verdict, result)."""
        self.write_json(await self.reproduction_or_404(run_id, rid))

    @tornado.web.authenticated
    @authorized
    async def delete(self, run_id, rid):
        """Cancel a queued or running reproduction. Response: the reproduction (state
        ``cancelled``); 409 when it has finished already."""
        rep = await self.reproduction_or_404(run_id, rid)
        if rep["state"] in ("done", "cancelled"):
            raise tornado.web.HTTPError(
                409, f"Reproduction {rid} has finished already ({rep['state']})."
            )
        rep = await self.ds.call(self.ds.reproductions.cancel, rep["id"])
        self.write_json(rep)


ROUTES = [
    (rf"/dotscience/api/runs/{UUID}/reproductions", ReproductionsHandler),
    (rf"/dotscience/api/runs/{UUID}/reproductions/{RID}", ReproductionHandler),
]
