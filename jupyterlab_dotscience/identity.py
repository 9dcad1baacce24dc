"""Who a request acts as, and what it may do to a project (teams under JupyterHub).

A single-user server (no hub) keeps one rule: its user may do everything to every project
(an API key limited to one project stays within it). A team server (JupyterHub, or
``DotscienceApp.teams = True``) gives every project owners and members, kept in the store:

- ``read`` (see the project's runs, models and deployments) and ``publish`` (add runs to
  it): its owners and members;
- ``manage`` (its membership, model aliases and deployments): its owners only;
- the project ``default`` (where runs published without a project go, e.g. every notebook's)
  is the team's shared project: every user reads, publishes and manages it, and it has no
  members to change. Create a project to keep runs to some people.

Runs and API keys are changed or deleted by their author alone (:func:`may_change`), on
either kind of server. :func:`may` is pure (no I/O): the request's :class:`Actor` carries the
roles read from the store once per request.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

#: See a project's runs, models and deployments.
READ = "read"
#: Publish runs to a project.
PUBLISH = "publish"
#: Change a project's membership, its models' aliases, start and stop its deployments.
MANAGE = "manage"
ACTIONS = frozenset({READ, PUBLISH, MANAGE})

#: Roles in a project: an owner may also manage it.
OWNER, MEMBER = "owner", "member"
ROLES = frozenset({OWNER, MEMBER})

#: The project of a run published without one.
DEFAULT_PROJECT = "default"

_PROJECT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}\Z")
_USER_NAME = re.compile(r"[^\s/\x00-\x1f\x7f]{1,200}\Z")


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who a request acts as.

    Attributes
    ----------
    name
        The user name recorded as author (the hub user under JupyterHub).
    team
        True on a team server: projects have owners and members.
    roles
        ``{project: "owner"|"member"}`` of this user (team servers only).
    project_limit
        The one project an API key limited to a project may use, else None.
    """

    name: str
    team: bool = False
    roles: Mapping[str, str] = dataclasses.field(default_factory=dict)
    project_limit: str | None = None


def may(user: Actor, action: str, project: str | None) -> bool:
    """Whether ``user`` may do ``action`` to ``project``.

    Parameters
    ----------
    user
        The request's :class:`Actor`.
    action
        One of :data:`READ`, :data:`PUBLISH`, :data:`MANAGE`.
    project
        The project's name; None means :data:`DEFAULT_PROJECT`.

    Returns
    -------
    bool
        On a single-user server, True for every project (within an API key's project
        limit); on a team server, ``read``/``publish`` for the project's owners and members,
        ``manage`` for its owners, everything for everyone in :data:`DEFAULT_PROJECT`.

    Raises
    ------
    ValueError
        When ``action`` is not one of :data:`ACTIONS`.
    """
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}; known: {', '.join(sorted(ACTIONS))}.")
    project = project or DEFAULT_PROJECT
    if user.project_limit and project != user.project_limit:
        return False
    if not user.team or project == DEFAULT_PROJECT:
        return True
    role = user.roles.get(project)
    if action == MANAGE:
        return role == OWNER
    return role in ROLES


def may_change(user: Actor, author: str | None) -> bool:
    """Whether ``user`` may change or delete a run or API key whose author is ``author``
    (only its author may, on every kind of server).

    Parameters
    ----------
    user
        The request's :class:`Actor`.
    author
        The user name recorded on the run or key.
    """
    return author is not None and author == user.name


def visible_projects(user: Actor) -> frozenset[str] | None:
    """The projects ``user`` may read, or None when that is every project.

    Parameters
    ----------
    user
        The request's :class:`Actor`.
    """
    if user.project_limit:
        return frozenset({user.project_limit} if may(user, READ, user.project_limit) else ())
    if not user.team:
        return None
    return frozenset({*user.roles, DEFAULT_PROJECT})


def check_project_name(name) -> str:
    """``name`` when it is a valid project name, else ValueError with one sentence.

    Parameters
    ----------
    name
        1 to 100 characters: letters, digits, ``.``, ``_``, ``-``, starting with a letter
        or digit.
    """
    if not isinstance(name, str) or not _PROJECT_NAME.match(name):
        shown = repr(name)[:60] if isinstance(name, str) else type(name).__name__
        raise ValueError(
            f"A project name is 1 to 100 letters, digits, '.', '_' or '-', starting with a "
            f"letter or digit; got {shown}."
        )
    return name


def check_user_name(name) -> str:
    """``name`` when it is a plausible user name (1 to 200 characters, no whitespace, '/'
    or control characters), else ValueError with one sentence.

    Parameters
    ----------
    name
        A hub user name.
    """
    if not isinstance(name, str) or not _USER_NAME.match(name):
        shown = repr(name)[:60] if isinstance(name, str) else type(name).__name__
        raise ValueError(
            "A user name is 1 to 200 characters without whitespace, '/' or control "
            f"characters; got {shown}."
        )
    return name
