"""API keys: create (Jupyter login only), list, get and revoke one's own keys."""

from __future__ import annotations

import re

import tornado.web
from jupyter_server.auth.decorator import authorized

from .. import identity
from .. import keys as _keys
from .handler import DotscienceHandler

_KEY_ID = re.compile(r"[0-9a-f]{12}\Z")


def _text(body: dict, name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 200:
        raise tornado.web.HTTPError(400, f"{name} must be a string of at most 200 characters")
    return value.strip() or None


class KeysHandler(DotscienceHandler):
    """``/dotscience/api/keys``: the current user's API keys."""

    apikey_verbs = frozenset({"get"})
    apikey_refusal = (
        "An API key cannot create API keys; create one in JupyterLab's Dotscience sidebar "
        "or with `dotscience keys create --token <Jupyter token>`."
    )

    @tornado.web.authenticated
    @authorized
    async def post(self):
        """Body: ``{"name": str|null, "project": str|null, "scopes": [str]}`` (a key limited
        to a project may publish only there; ``scopes`` may hold ``"deploy"``, the right to
        build and deploy models, none by default). Response 201: the key with ``key``, the
        secret shown once."""
        body = self.json_body()
        if not isinstance(body, dict):
            raise tornado.web.HTTPError(400, "The body must be a JSON object.")
        unknown = set(body) - {"name", "project", "scopes"}
        if unknown:
            fields = ", ".join(sorted(u[:40] for u in unknown))
            raise tornado.web.HTTPError(400, f"Unknown field(s): {fields}.")
        name, project = _text(body, "name"), _text(body, "project")
        try:
            scopes = _keys.check_scopes(body.get("scopes"))
        except ValueError as e:
            raise tornado.web.HTTPError(400, str(e)) from None
        secret, row = _keys.new_key(self.username, name, project, scopes)
        stored = await self.ds.call(self.ds.store.put_api_key, row)
        self.write_json({**stored, "key": secret}, status=201)

    @tornado.web.authenticated
    @authorized
    async def get(self):
        """Response: ``{"keys": [{id, username, name, project, scopes, created, revoked}]}``,
        newest first (revoked keys included; secrets never). A project-limited key sees only
        its user's keys limited to the same project."""
        keys = await self.ds.call(self.ds.store.list_api_keys, self.username)
        if self.project_limit:
            keys = [k for k in keys if k.get("project") == self.project_limit]
        self.write_json({"keys": keys})


class KeyHandler(DotscienceHandler):
    """``/dotscience/api/keys/{id}``: one of the current user's keys."""

    apikey_verbs = frozenset({"get", "delete"})

    async def _own_key(self, key_id: str, verb: str) -> dict:
        if not _KEY_ID.match(key_id):
            raise tornado.web.HTTPError(404, f"There is no API key {key_id[:40]!r}.")
        key = await self.ds.call(self.ds.store.get_api_key, key_id, False)
        if key is None or (self.project_limit and key.get("project") != self.project_limit):
            # a project-limited key knows nothing of keys outside its project
            raise tornado.web.HTTPError(404, f"There is no API key {key_id}.")
        if not identity.may_change(self.actor, key["username"]):
            raise tornado.web.HTTPError(
                403,
                f"API key {key_id} belongs to {key['username']}; you can only {verb} "
                "your own keys.",
            )
        return key

    @tornado.web.authenticated
    @authorized
    async def get(self, key_id):
        """Response: the key (without its secret)."""
        self.write_json(await self._own_key(key_id, "see"))

    @tornado.web.authenticated
    @authorized
    async def delete(self, key_id):
        """Revoke the key (at once, on every server sharing the store). Response: the key
        with ``revoked`` set; revoking twice keeps the first time."""
        await self._own_key(key_id, "revoke")
        key = await self.ds.call(self.ds.store.revoke_api_key, key_id)
        _keys.VERIFIER.forget(key_id)
        self.write_json(key)


ROUTES = [
    (r"/dotscience/api/keys", KeysHandler),
    (r"/dotscience/api/keys/(?P<key_id>[^/]+)", KeyHandler),
]
