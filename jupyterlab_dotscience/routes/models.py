"""Models: registry, aliases, builds (with logs), deployments (with logs and metrics)."""

from __future__ import annotations

import re
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from .. import identity
from ..models.kubernetes import KubectlError
from ..models.registry import public
from .handler import SCOPE_APIKEY, DotscienceHandler
from .scoping import ProjectScopeMixin

#: The API key scope that grants building and deploying models.
DEPLOY_SCOPE = "deploy"

NAME = r"(?P<name>[^/]+)"
VERSION = r"(?P<version>[0-9]{1,9})"
DEP = r"(?P<dep_id>[0-9a-fA-F-]{36})"


#: Fields that hold a file path of the server that built or runs a model (any server sharing
#: the store): never shown to an API key.
PATH_FIELDS = frozenset({"bundle", "log", "log_path", "python"})
_ABSOLUTE_PATH = re.compile(r"(?<![\w:/.~-])/[^\s'\"`,;()]+")


def hide_paths(data: Any, text_fields: frozenset[str] = frozenset()) -> Any:
    """``data`` (JSON-like) as an API key may see it: every field in :data:`PATH_FIELDS`
    (but ``text_fields``, which hold text such as a log) None, and absolute paths in other
    text replaced by ``<path>`` (URLs are left alone). Builds and deployments are shared by
    every server of a store, so their paths may be another server's, which that server's
    own redaction does not know.

    Parameters
    ----------
    data
        The answer.
    text_fields
        Keys whose values are left as they are (e.g. the ``log`` text of a log route).

    Returns
    -------
    Any
        A copy with the paths hidden.
    """
    if isinstance(data, dict):
        return {
            k: v if k in text_fields
            else None if k in PATH_FIELDS and isinstance(v, str)
            else hide_paths(v)
            for k, v in data.items()
        }  # fmt: skip
    if isinstance(data, list | tuple):
        return [hide_paths(v) for v in data]
    if isinstance(data, str):
        return _ABSOLUTE_PATH.sub("<path>", data)
    return data


def _offset(handler) -> int:
    try:
        value = int(handler.get_query_argument("offset", "0"))
    except ValueError:
        raise tornado.web.HTTPError(400, "offset must be a whole number") from None
    if value < 0:
        raise tornado.web.HTTPError(400, "offset must not be negative")
    if value >= 2**63:
        raise tornado.web.HTTPError(400, "offset must be below 2**63")
    return value


def has_deploy_privilege(handler) -> bool:
    """Whether the request's credential may build and deploy models.

    The Jupyter user and the kernel token (handed only to this server's kernels) may; an API
    key only when it was created with the ``deploy`` scope.
    """
    if handler.scope != SCOPE_APIKEY:
        return True
    return DEPLOY_SCOPE in set((handler.api_key or {}).get("scopes") or [])


def publisher(handler, record: dict) -> dict:
    """Who publishes ``record`` through ``handler``, as the store records it (``credential``
    of ``Store.put_run``).

    ``trusted_pickle`` lists the models the record opted in to full unpickling; the model
    service keeps that opt-in only for the Jupyter user and its kernels. ``manage`` says
    whether the publisher may manage the record's project (on a team server only its owners
    may, so only they start deployments by publishing; it is not stored).
    """
    models = record.get("models") if isinstance(record.get("models"), list) else []
    project = record.get("project") if isinstance(record.get("project"), str) else None
    return {
        "scope": handler.scope,
        "key_id": (handler.api_key or {}).get("id"),
        "deploy": has_deploy_privilege(handler),
        "manage": handler.may(identity.MANAGE, project),
        "trusted_pickle": sorted(
            {
                m["name"]
                for m in models
                if isinstance(m, dict)
                and isinstance(m.get("name"), str)
                and m.get("trusted_pickle") is True
            }
        ),
    }


def deploy_refusal(run: dict, origin: dict) -> str | None:
    """The 403 sentence for a published run that asks for a build or deploy its publisher may
    not start, else None (the run is stored either way)."""
    if run.get("deploy") and origin.get("deploy") and origin.get("manage") is False:
        project = run.get("project") or identity.DEFAULT_PROJECT
        return (
            f"Only owners of project {project[:200]!r} deploy its models, so run {run.get('id')} "
            "was stored but not deployed; ask one of them to deploy it."
        )
    if origin.get("deploy") or not (run.get("build") or run.get("deploy")):
        return None
    asked = "deployed" if run.get("deploy") else "built"
    return (
        f"This API key lacks the '{DEPLOY_SCOPE}' scope, so run {run.get('id')} was stored but "
        f"not {asked}; create a key with the deploy scope (dotscience keys create --deploy) "
        "to build and deploy models."
    )


class ModelsMixin(ProjectScopeMixin):
    #: keys of this route's answers that hold text (a log), not a path
    text_fields: frozenset[str] = frozenset()

    def write_json(self, data: Any, status: int = 200) -> None:
        """As the base handler's; an API key is shown no server's paths (:func:`hide_paths`)."""
        if self.scope == SCOPE_APIKEY:
            data = hide_paths(data, self.text_fields)
        super().write_json(data, status)

    def require_deploy_privilege(self) -> None:
        """403 with a sentence unless this credential may build and deploy."""
        if not has_deploy_privilege(self):
            raise tornado.web.HTTPError(
                403,
                f"This API key lacks the '{DEPLOY_SCOPE}' scope; create a key with the deploy "
                "scope to build, deploy or stop models.",
            )

    async def require_manage(self, project: str | None, what: str, owner=None) -> None:
        """403 with a sentence unless this request may manage ``project`` (on a team
        server its owners; everyone on a single-user server) or is ``owner``."""
        if owner is not None and owner == self.username:
            return
        if not self.may(identity.MANAGE, project):
            name = project or identity.DEFAULT_PROJECT
            raise tornado.web.HTTPError(
                403,
                f"Only owners of project {name[:200]!r} may {what}; ask one of them "
                "(dotscience projects members).".replace("%", "%%"),
            )

    async def version_project(self, name: str, version: int) -> str | None:
        """The project of the run that registered a model version (404 when unknown)."""
        v = await self._call(self.ds.models.get_version, name, version)
        return await self._call(self.ds.models.project_of, v.get("run_id"))

    async def _call(self, fn, *args, **kwargs):
        try:
            return await self.ds.call(fn, *args, **kwargs)
        except KeyError as e:
            raise tornado.web.HTTPError(404, str(e.args[0] if e.args else e)) from None
        except ValueError as e:
            raise tornado.web.HTTPError(400, str(e)) from None
        except KubectlError as e:  # the cluster did not do it: nothing was changed here
            # kubectl's words may name the server's files (its kubeconfig): not for a key
            said = hide_paths(str(e)) if self.scope == SCOPE_APIKEY else str(e)
            raise tornado.web.HTTPError(502, said) from None


class ModelsHandler(ModelsMixin, DotscienceHandler):
    """``/dotscience/api/models``."""

    @tornado.web.authenticated
    @authorized
    async def get(self):
        """The registry. Response: ``{"models": [{name, latest_version, created, aliases,
        versions: [{version, run_id, framework, files, build, deployments, ...}]}]}``."""
        models = await self._call(self.ds.models.list_models)
        self.write_json({"models": await self.scoped_models(models)})


class ModelHandler(ModelsMixin, DotscienceHandler):
    """``/dotscience/api/models/{name}``."""

    @tornado.web.authenticated
    @authorized
    async def get(self, name):
        """One model with its versions, aliases, builds and deployments."""
        self.write_json(await self.scoped_model_or_404(name))


class AliasHandler(ModelsMixin, DotscienceHandler):
    """``/dotscience/api/models/{name}/aliases/{alias}``."""

    @tornado.web.authenticated
    @authorized
    async def put(self, name, alias):
        """Point (or move) an alias at a version. Body: ``{"version": 3}``.
        Response: ``{"name", "alias", "version"}``."""
        body = self.json_body()
        version = body.get("version") if isinstance(body, dict) else None
        if isinstance(version, bool) or not isinstance(version, int):
            raise tornado.web.HTTPError(400, 'Expected a body {"version": <integer>}.')
        if not 1 <= version < 10**9:
            raise tornado.web.HTTPError(400, "The version must be between 1 and 999999999.")
        await self.check_version_visible(name, version)
        project = await self.version_project(name, version)
        await self.require_manage(project, "move its models' aliases")
        self.write_json(await self._call(self.ds.models.set_alias, name, alias, version))


class BuildHandler(ModelsMixin, DotscienceHandler):
    """``/dotscience/api/models/{name}/versions/{version}/build``."""

    publish_verbs = frozenset({"get"})
    apikey_verbs = frozenset({"get", "post"})
    text_fields = frozenset({"log"})

    @tornado.web.authenticated
    @authorized
    async def post(self, name, version):
        """Start building the bundle (and image, when a builder exists). Body (optional):
        ``{"rebuild": true}``. Response 202: the build state. An API key needs the deploy
        scope (and a project-limited one, a version of its project)."""
        self.require_deploy_privilege()
        await self._call(self.ds.models.get_version, name, int(version))
        await self.check_version_visible(name, int(version))
        rebuild = False
        if self.request.body and self.request.body.strip():
            body = self.json_body()
            rebuild = bool(body.get("rebuild")) if isinstance(body, dict) else False
        state = await self._call(self.ds.models.build, name, int(version), rebuild)
        self.write_json(state, status=202)

    @tornado.web.authenticated
    @authorized
    async def get(self, name, version):
        """The build state and its log from ``offset`` (poll with the returned
        ``next_offset``). Response: ``{state, message, bundle, image, log, next_offset}``."""
        offset = _offset(self)
        await self._call(self.ds.models.get_version, name, int(version))
        await self.check_version_visible(name, int(version))
        state = await self._call(self.ds.models.build_state, name, int(version))
        if state is None:
            raise tornado.web.HTTPError(404, f"Model {name!r} v{version} was never built.")
        text, nxt = await self._call(self.ds.models.build_log, name, int(version), offset)
        self.write_json(dict(state, log=text, offset=offset, next_offset=nxt))


class DeployHandler(ModelsMixin, DotscienceHandler):
    """``/dotscience/api/models/{name}/versions/{version}/deploy``."""

    apikey_verbs = frozenset({"post"})

    @tornado.web.authenticated
    @authorized
    async def post(self, name, version):
        """Deploy a model version (building it first if needed). Body (optional):
        ``{"target": "local" | "kubernetes"}``. Response 202: the deployment. An API key
        needs the deploy scope (and a project-limited one, a version of its project)."""
        self.require_deploy_privilege()
        await self._call(self.ds.models.get_version, name, int(version))
        await self.check_version_visible(name, int(version))
        target = "local"
        if self.request.body and self.request.body.strip():
            body = self.json_body()
            if not isinstance(body, dict):
                raise tornado.web.HTTPError(400, "The body must be a JSON object.")
            target = body.get("target", "local")
        project = await self.version_project(name, int(version))
        await self.require_manage(project, "deploy its models")
        dep = await self._call(
            self.ds.models.deploy, name, int(version), target, owner=self.username
        )
        self.write_json(dep, status=202)


class KubernetesHandler(ModelsMixin, DotscienceHandler):
    """``/dotscience/api/models/{name}/versions/{version}/kubernetes``."""

    @tornado.web.authenticated
    @authorized
    async def get(self, name, version):
        """The Kubernetes manifests (Deployment, Service, optionally a KServe
        InferenceService). Response: ``{"manifests": [...], "configured": bool}``."""
        await self.check_version_visible(name, int(version))
        manifests = await self._call(self.ds.models.kubernetes_manifests, name, int(version))
        self.write_json({"manifests": manifests, "configured": bool(self.ds.models.kube_context)})


class DeploymentsHandler(ModelsMixin, DotscienceHandler):
    """``/dotscience/api/deployments``."""

    @tornado.web.authenticated
    @authorized
    async def get(self):
        """Every deployment, newest first. Response: ``{"deployments": [...]}``."""
        deps = await self.scoped_deployments(await self._call(self.ds.models.list_deployments))
        self.write_json({"deployments": [public(d) for d in deps]})


class DeploymentHandler(ModelsMixin, DotscienceHandler):
    """``/dotscience/api/deployments/{id}`` (the kernel token may GET it, to follow a
    publish with deploy)."""

    publish_verbs = frozenset({"get"})
    apikey_verbs = frozenset({"get", "delete"})

    @tornado.web.authenticated
    @authorized
    async def get(self, dep_id):
        """One deployment with its events (state changes)."""
        await self.check_deployment_visible(dep_id)
        self.write_json(await self._call(self.ds.models.get_deployment, dep_id))

    @tornado.web.authenticated
    @authorized
    async def delete(self, dep_id):
        """Stop a deployment. Response: the deployment (state ``stopped``). An API key needs
        the deploy scope (and a project-limited one, a deployment of its project)."""
        self.require_deploy_privilege()
        await self.check_deployment_visible(dep_id)
        dep = await self._call(self.ds.models.get_deployment, dep_id)
        await self.require_manage(dep.get("project"), "stop its deployments", dep.get("owner"))
        reason = f"stopped by {self.username}"
        self.write_json(await self._call(self.ds.models.stop, dep_id, reason))


class DeploymentLogHandler(ModelsMixin, DotscienceHandler):
    """``/dotscience/api/deployments/{id}/log``."""

    text_fields = frozenset({"log"})

    @tornado.web.authenticated
    @authorized
    async def get(self, dep_id):
        """The model server's log from ``offset``. Response: ``{log, offset, next_offset}``."""
        offset = _offset(self)
        await self.check_deployment_visible(dep_id)
        text, nxt = await self._call(self.ds.models.deployment_log, dep_id, offset)
        self.write_json({"log": text, "offset": offset, "next_offset": nxt})


class DeploymentMetricsHandler(ModelsMixin, DotscienceHandler):
    """``/dotscience/api/deployments/{id}/metrics``."""

    @tornado.web.authenticated
    @authorized
    async def get(self, dep_id):
        """The model server's Prometheus metrics, as text (``text/plain``)."""
        await self.check_deployment_visible(dep_id)
        try:
            text = await self._call(self.ds.models.deployment_metrics, dep_id)
        except LookupError as e:
            raise tornado.web.HTTPError(409, str(e)) from None
        except OSError as e:
            raise tornado.web.HTTPError(502, f"The model server did not answer: {e}") from None
        self.set_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.finish(text)


_V = f"/dotscience/api/models/{NAME}/versions/{VERSION}"
ROUTES = [
    (r"/dotscience/api/models", ModelsHandler),
    (rf"/dotscience/api/models/{NAME}", ModelHandler),
    (rf"/dotscience/api/models/{NAME}/aliases/(?P<alias>[^/]+)", AliasHandler),
    (rf"{_V}/build", BuildHandler),
    (rf"{_V}/deploy", DeployHandler),
    (rf"{_V}/kubernetes", KubernetesHandler),
    (r"/dotscience/api/deployments", DeploymentsHandler),
    (rf"/dotscience/api/deployments/{DEP}", DeploymentHandler),
    (rf"/dotscience/api/deployments/{DEP}/log", DeploymentLogHandler),
    (rf"/dotscience/api/deployments/{DEP}/metrics", DeploymentMetricsHandler),
]
