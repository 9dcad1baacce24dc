"""Identity providers like JupyterHub's for live-server tests: the Jupyter token logs in a
user whose name ("alice@example.org") is not the server's OS user (``kernel_user``)."""

from __future__ import annotations

from jupyter_server.auth.authorizer import Authorizer
from jupyter_server.auth.identity import IdentityProvider, User


class HubLikeIdentity(IdentityProvider):
    """Token requests are ``alice@example.org`` (the default provider invents a name)."""

    async def get_user(self, handler):
        user = await self._get_user(handler)
        return None if user is None else User(username="alice@example.org", name="alice")


class TeamIdentity(IdentityProvider):
    """Several users behind one server, as JupyterHub's provider gives them: a token
    request acts as the user named in ``X-Test-User`` (alice when absent)."""

    async def get_user(self, handler):
        user = await self._get_user(handler)
        if user is None:
            return None
        return HubUser(handler.request.headers.get("X-Test-User", "alice"))


class HubUser(User):
    """A user with a hub model (``hub_user``), like JupyterHub's ``JupyterHubUser``."""

    def __init__(self, name: str):
        super().__init__(username=name, name=name)
        self.hub_user = {"name": name, "scopes": ["access:servers"]}


class HubLikeAuthorizer(Authorizer):
    """Allows only users that carry a hub model, as JupyterHub's authorizer checks the hub
    scopes of ``user.hub_user`` (a plain ``User`` has none)."""

    def is_authorized(self, handler, user, action, resource):
        return bool(user.hub_user)
