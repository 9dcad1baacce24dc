"""Projects and their members (issue 15, teams on JupyterHub).

On a team server a user sees only the projects they are a member of: any other project is
answered exactly like one that does not exist. Members may read and publish; owners also
manage the membership (and the project's aliases and deployments). On a single-user server
the one user sees and manages every project, as before.
"""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from .. import identity
from .handler import DotscienceHandler


def _body(handler: DotscienceHandler, allowed: set[str]) -> dict:
    body = handler.json_body()
    if not isinstance(body, dict):
        raise tornado.web.HTTPError(400, "The body must be a JSON object.")
    unknown = set(body) - allowed
    if unknown:
        fields = ", ".join(sorted(repr(u[:40]) for u in unknown)[:5])
        raise tornado.web.HTTPError(400, f"Unknown field(s): {fields}.")
    return body


class ProjectsMixin:
    """What the project routes share: the caller's role and the 404 of an unseen project."""

    def role_in(self, name: str) -> str | None:
        """The caller's role in project ``name`` (``owner`` for every project on a
        single-user server; None when they are not a member)."""
        if not self.can_see_project(name):
            return None
        if not self.team:
            return identity.OWNER
        if name == identity.DEFAULT_PROJECT:
            return identity.MEMBER  # everyone's; nobody owns it
        return self.actor.roles.get(name)

    async def project_or_404(self, name: str) -> list[dict]:
        """The members of a project this request may see (404 otherwise, worded as for a
        project that does not exist)."""
        members = None
        # a name no run could have (too long, a NUL byte PostgreSQL cannot hold) is unknown
        if len(name) <= 200 and "\x00" not in name and self.can_see_project(name):
            members = await self.ds.call(self.ds.store.project_members, name)
        if members is None:
            raise tornado.web.HTTPError(404, f"There is no project {name[:200]!r}.")
        return members

    async def check_owner(self, name: str) -> list[dict]:
        """The project's members when this request may manage it; 404 for a project it
        may not see, 403 for a member who is not an owner."""
        members = await self.project_or_404(name)
        if self.team and name == identity.DEFAULT_PROJECT:
            raise tornado.web.HTTPError(
                409,
                "The default project is shared by the whole team and has no members to "
                "change; create a project to keep runs to some people.",
            )
        if not self.may(identity.MANAGE, name):
            raise tornado.web.HTTPError(
                403,
                f"Only an owner of project {name[:200]!r} may change its members; "
                f"{self.username} is a {self.role_in(name) or 'guest'}.",
            )
        return members


class ProjectsHandler(ProjectsMixin, DotscienceHandler):
    """``/dotscience/api/projects``: the projects the caller may see; create one."""

    apikey_refusal = (
        "An API key may not create projects; create one in JupyterLab's Dotscience sidebar "
        "or with `dotscience projects create`."
    )

    @tornado.web.authenticated
    @authorized
    async def get(self):
        """Response: ``{"team": bool, "projects": [{"name", "created", "runs", "role"}]}``:
        the projects this request may see (for a project-limited API key, its project only;
        on a team server, the caller's projects) with the caller's role in each."""
        projects = await self.ds.call(self.ds.store.list_projects)
        self.write_json(
            {
                "team": self.team,
                "projects": [
                    {**p, "role": self.role_in(p["name"])}
                    for p in projects
                    if self.can_see_project(p["name"])
                ],
            }
        )

    @tornado.web.authenticated
    @authorized
    async def post(self):
        """Body: ``{"name": str}``. Creates the project with the caller as its owner.
        Response 201: the project with its members; 409 when the name is taken."""
        body = _body(self, {"name"})
        try:
            name = identity.check_project_name(body.get("name"))
        except ValueError as e:
            raise tornado.web.HTTPError(400, str(e)) from None
        self.check_project(name)
        project, created = await self.ds.call(self.ds.store.create_project, name, self.username)
        if not created:
            raise tornado.web.HTTPError(
                409, f"A project named {name!r} already exists; choose another name."
            )
        members = await self.ds.call(self.ds.store.project_members, name)
        self.write_json(
            {**project, "runs": 0, "role": identity.OWNER, "members": members}, status=201
        )


class ProjectHandler(ProjectsMixin, DotscienceHandler):
    """``/dotscience/api/projects/{name}``: one project with its members."""

    @tornado.web.authenticated
    @authorized
    async def get(self, name):
        """Response: ``{"name", "created", "runs", "role", "members": [{"username", "role",
        "added", "added_by"}]}``; 404 for a project the caller may not see."""
        members = await self.project_or_404(name)
        found = [p for p in await self.ds.call(self.ds.store.list_projects) if p["name"] == name]
        if not found:
            raise tornado.web.HTTPError(404, f"There is no project {name[:200]!r}.")
        self.write_json({**found[0], "role": self.role_in(name), "members": members})


class MemberHandler(ProjectsMixin, DotscienceHandler):
    """``/dotscience/api/projects/{name}/members/{username}``: add, change or remove a
    member (owners only)."""

    apikey_refusal = (
        "An API key may not change a project's members; this needs a Jupyter login "
        "(the sidebar or `dotscience projects add-member`)."
    )

    @tornado.web.authenticated
    @authorized
    async def put(self, name, username):
        """Body: ``{"role": "member"|"owner"}`` (default member). Response: the membership
        ``{"project", "username", "role", "added", "added_by"}``; 409 when it would leave
        the project without an owner."""
        body = _body(self, {"role"})
        role = body.get("role", identity.MEMBER)
        if not isinstance(role, str) or role not in identity.ROLES:
            raise tornado.web.HTTPError(400, "role must be owner or member.")
        try:
            username = identity.check_user_name(username)
        except ValueError as e:
            raise tornado.web.HTTPError(400, str(e)) from None
        await self.check_owner(name)
        try:
            member = await self.ds.call(
                self.ds.store.set_project_member, name, username, role, self.username
            )
        except KeyError:
            raise tornado.web.HTTPError(404, f"There is no project {name[:200]!r}.") from None
        except ValueError as e:
            raise tornado.web.HTTPError(409, str(e)) from None
        self.write_json(member)

    @tornado.web.authenticated
    @authorized
    async def delete(self, name, username):
        """Remove a member (owners may remove anyone, a member only themselves). Response:
        ``{"project", "username", "removed": true}``; 404 when they are not a member, 409
        when they are the last owner."""
        members = await self.project_or_404(name)
        if len(username) > 200 or "\x00" in username:
            raise tornado.web.HTTPError(
                404, f"{username[:200]!r} is not a member of project {name[:200]!r}."
            )
        if username != self.username or not self.team or name == identity.DEFAULT_PROJECT:
            await self.check_owner(name)
        if username not in {m["username"] for m in members}:
            raise tornado.web.HTTPError(
                404, f"{username[:200]} is not a member of project {name[:200]!r}."
            )
        try:
            removed = await self.ds.call(self.ds.store.remove_project_member, name, username)
        except KeyError:
            raise tornado.web.HTTPError(404, f"There is no project {name[:200]!r}.") from None
        except ValueError as e:
            raise tornado.web.HTTPError(409, str(e)) from None
        if not removed:
            raise tornado.web.HTTPError(
                404, f"{username[:200]} is not a member of project {name[:200]!r}."
            )
        self.write_json({"project": name, "username": username, "removed": True})


ROUTES = [
    (r"/dotscience/api/projects", ProjectsHandler),
    (r"/dotscience/api/projects/(?P<name>[^/]+)", ProjectHandler),
    (r"/dotscience/api/projects/(?P<name>[^/]+)/members/(?P<username>[^/]+)", MemberHandler),
]
