"""An identity provider like JupyterHub's for live-server tests: the Jupyter token logs in a
user whose name ("alice@example.org") is not the server's OS user (``kernel_user``)."""

from __future__ import annotations

from jupyter_server.auth.identity import IdentityProvider, User


class HubLikeIdentity(IdentityProvider):
    """Token requests are ``alice@example.org`` (the default provider invents a name)."""

    async def get_user(self, handler):
        user = await self._get_user(handler)
        return None if user is None else User(username="alice@example.org", name="alice")
