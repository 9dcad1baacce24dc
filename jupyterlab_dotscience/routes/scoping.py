"""What an API key may see of the model registry and deployments.

Models are registered by runs, and a run belongs to one project; a key limited to a project
sees only the model versions (and their builds and deployments) of runs in that project, and
on a team server (JupyterHub) a user sees only those of the projects they are a member of.
What it may not see is answered exactly like what does not exist. No API key is shown the
server's own paths (its workspace, artifact store, Python installation): they are replaced
by ``<workspace>``, ``<artifacts>`` and ``<python>``.
"""

from __future__ import annotations

import pathlib
import sys
from typing import Any

import tornado.web

from .handler import SCOPE_APIKEY


def redact_paths(data: Any, paths: dict[str, str]) -> Any:
    """``data`` (JSON-like) with every occurrence of each path in ``paths`` replaced by its
    placeholder (longest path first, so nested paths keep their most specific name)."""
    if isinstance(data, str):
        for path, name in paths.items():
            data = data.replace(path, name)
        return data
    if isinstance(data, dict):
        return {k: redact_paths(v, paths) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [redact_paths(v, paths) for v in data]
    return data


class ProjectScopeMixin:
    """Filters for handlers that have ``project_limit``, ``can_see_project`` and ``ds``."""

    def server_paths(self) -> dict[str, str]:
        """``{path: placeholder}`` of the server's paths, longest first."""
        found = {
            self.ds.root_dir: "<workspace>",
            str(pathlib.Path(self.ds.artifact_root).resolve()): "<artifacts>",
            str(pathlib.Path(self.ds.artifact_cache_dir).resolve()): "<artifacts>",  # S3's
            sys.prefix: "<python>",
            sys.base_prefix: "<python>",
        }
        return {p: found[p] for p in sorted(found, key=len, reverse=True) if len(p) > 1}

    def write_json(self, data: Any, status: int = 200) -> None:
        """As the base handler's, with the server's paths hidden from API keys."""
        if self.scope == SCOPE_APIKEY:
            data = redact_paths(data, self.server_paths())
        super().write_json(data, status)

    async def visible_runs(self, run_ids) -> set[str]:
        """The ids among ``run_ids`` of runs this request may see (None ids: only when the
        request may see every project)."""
        ids = {r for r in run_ids if r}
        if self.visible_projects is None:
            return ids | {None}
        summaries = await self.ds.call(self.ds.store.run_summaries, sorted(ids))
        return {s["id"] for s in summaries if self.can_see_project(s["project"])}

    async def scoped_models(self, models: list[dict]) -> list[dict]:
        """The registry as this request may see it: only visible versions, models without
        one left out, ``latest_version`` and ``aliases`` limited to visible versions."""
        if self.visible_projects is None:
            return models
        seen = await self.visible_runs(v.get("run_id") for m in models for v in m["versions"])
        out = []
        for m in models:
            versions = [v for v in m["versions"] if v.get("run_id") in seen]
            if not versions:
                continue
            numbers = {v["version"] for v in versions}
            out.append(
                dict(
                    m,
                    versions=versions,
                    latest_version=max(numbers),
                    aliases={a: n for a, n in m["aliases"].items() if n in numbers},
                )
            )
        return out

    async def scoped_model_or_404(self, name: str) -> dict:
        """One model (``ds.models.get_model``) as this request may see it."""
        try:
            model = await self.ds.call(self.ds.models.get_model, name)
        except KeyError as e:
            raise tornado.web.HTTPError(404, str(e.args[0] if e.args else e)) from None
        scoped = await self.scoped_models([model])
        if not scoped:
            raise tornado.web.HTTPError(404, f"There is no model {name!r}.")
        return scoped[0]

    async def check_version_visible(self, name: str, version: int) -> None:
        """404, worded as for an unknown model or version, unless this request may see
        version ``version`` of model ``name``."""
        if self.visible_projects is None:
            return
        model = await self.scoped_model_or_404(name)
        if version not in {v["version"] for v in model["versions"]}:
            raise tornado.web.HTTPError(404, f"Model {name!r} has no version {version}.")

    async def scoped_deployments(self, deployments: list[dict]) -> list[dict]:
        """The deployments of model versions from runs this request may see."""
        if self.visible_projects is None:
            return deployments
        seen = await self.visible_runs(d.get("run_id") for d in deployments)
        return [d for d in deployments if d.get("run_id") in seen]

    async def check_deployment_visible(self, dep_id: str) -> None:
        """404, worded as for an unknown deployment, unless this request may see it."""
        if self.visible_projects is None:
            return
        try:
            dep = await self.ds.call(self.ds.models.get_deployment, dep_id)
        except KeyError:
            dep = None
        if dep is None or not await self.scoped_deployments([dep]):
            raise tornado.web.HTTPError(404, f"There is no deployment {dep_id}.")
