"""Teams (issue 15): one server, several hub users, projects with owners and members.

The server runs as a team server (``--DotscienceApp.teams=True``) behind an identity provider
that, like JupyterHub's, gives each request its own user (here the ``X-Test-User`` header
names it) and an authorizer that, like JupyterHub's, only knows users with a hub model. The
real hub is started in tests/hub; these are the attacks a team member could make.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid

import pytest

from ..server.live import LiveServer
from ..store.records import record
from .conftest import basic_auth, create_key, http, start_live, token_auth

TEAM_ARGS = (
    "--DotscienceApp.teams=True",
    "--ServerApp.identity_provider_class=tests.security.identity.TeamIdentity",
    "--ServerApp.authorizer_class=tests.security.identity.HubLikeAuthorizer",
)


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    """A team server: every user is a hub user; alice is the Jupyter user of the token."""
    server = start_live(tmp_path_factory.mktemp("team-root"), *TEAM_ARGS)
    yield server
    server.stop()


def as_user(server, user: str) -> dict:
    return {**token_auth(server), "X-Test-User": user}


def api(server, method, path, user, body=None, headers=None):
    return http(
        method, server.url + "dotscience/api/" + path, body, headers or as_user(server, user)
    )


def run_record(project: str, description: str = "trained") -> dict:
    return record(project=project, description=description)


def project_name() -> str:
    return "p-" + uuid.uuid4().hex[:10]


def run_ids(server, user, query="") -> set[str]:
    status, body = api(server, "GET", "runs?limit=1000" + query, user)
    assert status == 200, body
    return {r["id"] for r in body["runs"]}


def test_a_project_nobody_shared_is_invisible_to_another_member(team):
    # Given alice's run in her project "secret"
    secret = project_name()
    run = run_record(secret)
    status, stored = api(team, "POST", "runs", "alice", run)
    assert status == 201, stored
    assert stored["author"] == "alice"
    # When bob looks for it every way he can
    listed = run_ids(team, "bob")
    filtered = run_ids(team, "bob", f"&project={secret}")
    one = api(team, "GET", f"runs/{run['id']}", "bob")
    metric = api(team, "GET", f"runs/{run['id']}/metrics/accuracy", "bob")
    projects = api(team, "GET", "projects", "bob")[1]["projects"]
    project = api(team, "GET", f"projects/{secret}", "bob")
    # Then it is answered exactly like a run and project that do not exist
    assert run["id"] not in listed and not filtered
    assert one[0] == 404 and one[1]["error"] == f"There is no run {run['id']}."
    assert metric[0] == 404
    assert secret not in {p["name"] for p in projects}
    assert project[0] == 404 and project[1]["error"] == f"There is no project {secret!r}."
    # while alice sees her run and owns her project
    assert run["id"] in run_ids(team, "alice")
    mine = {p["name"]: p for p in api(team, "GET", "projects", "alice")[1]["projects"]}
    assert mine[secret]["role"] == "owner" and mine[secret]["runs"] == 1


def test_an_outsider_cannot_publish_into_or_manage_a_project(team):
    # Given alice's project
    secret = project_name()
    assert api(team, "POST", "runs", "alice", run_record(secret))[0] == 201
    # When bob publishes into it and adds himself (or carol) as a member
    published = api(team, "POST", "runs", "bob", run_record(secret, "planted"))
    joined = api(team, "PUT", f"projects/{secret}/members/bob", "bob", {"role": "owner"})
    removed = api(team, "DELETE", f"projects/{secret}/members/alice", "bob")
    # Then each is refused, and nothing of his is in alice's project
    assert published[0] == 403 and "not a member of project" in published[1]["error"]
    assert joined[0] == 404 and removed[0] == 404
    status, body = api(team, "GET", f"runs?project={secret}", "alice")
    assert [r["author"] for r in body["runs"]] == ["alice"]
    members = api(team, "GET", f"projects/{secret}", "alice")[1]["members"]
    assert [(m["username"], m["role"]) for m in members] == [("alice", "owner")]


def test_members_see_and_publish_owners_manage(team):
    # Given alice's project with one run, shared with bob as a member
    shared = project_name()
    run = run_record(shared)
    assert api(team, "POST", "runs", "alice", run)[0] == 201
    status, member = api(team, "PUT", f"projects/{shared}/members/bob", "alice", {})
    assert status == 200 and member["role"] == "member" and member["added_by"] == "alice"
    # When bob reads and publishes there, and tries to manage the membership
    seen = api(team, "GET", f"runs/{run['id']}", "bob")
    published = api(team, "POST", "runs", "bob", run_record(shared, "bob's"))
    invite = api(team, "PUT", f"projects/{shared}/members/carol", "bob", {"role": "member"})
    promote = api(team, "PUT", f"projects/{shared}/members/bob", "bob", {"role": "owner"})
    # Then he sees alice's run (author alice) and publishes his own; managing is refused
    assert seen[0] == 200 and seen[1]["author"] == "alice"
    assert published[0] == 201 and published[1]["author"] == "bob"
    assert invite[0] == 403 and "Only an owner" in invite[1]["error"]
    assert promote[0] == 403
    authors = {r["author"] for r in api(team, "GET", f"runs?project={shared}", "bob")[1]["runs"]}
    assert authors == {"alice", "bob"}
    # and once removed he sees nothing of it again
    assert api(team, "DELETE", f"projects/{shared}/members/bob", "alice")[0] == 200
    assert api(team, "GET", f"runs/{run['id']}", "bob")[0] == 404


def test_nobody_changes_another_users_run_or_key(team):
    # Given alice's run in a project bob is a member of, and alice's API key
    shared = project_name()
    run = run_record(shared)
    assert api(team, "POST", "runs", "alice", run)[0] == 201
    assert api(team, "PUT", f"projects/{shared}/members/bob", "alice", {})[0] == 200
    status, key = api(team, "POST", "keys", "alice", {"name": "alice's"})
    assert status == 201, key
    # When bob replaces its notebook, revokes alice's key, and uses it as bob or as alice
    snapshot = {"path": "x.ipynb", "content": {"cells": [], "metadata": {}}}
    changed = api(team, "PUT", f"runs/{run['id']}/notebook", "bob", snapshot)
    revoked = api(team, "DELETE", f"keys/{key['id']}", "bob")
    as_bob = api(team, "GET", "runs", None, headers=basic_auth("bob", key["key"]))
    # Then each is refused and alice's key still works for alice only
    assert changed[0] == 403 and "(alice)" in changed[1]["error"]
    assert revoked[0] == 403 and "belongs to alice" in revoked[1]["error"]
    assert as_bob[0] == 401 and "does not belong to user 'bob'" in as_bob[1]["error"]
    assert api(team, "GET", f"keys/{key['id']}", "alice")[1]["revoked"] is None


def test_api_keys_and_the_kernel_token_work_under_a_hub_authorizer(team):
    # Given alice's API key on a server whose authorizer, like JupyterHub's, only knows
    # users with a hub model
    project = project_name()
    key = create_key(team, "ci")
    # When the key publishes and reads runs
    status, stored = api(team, "POST", "runs", None, run_record(project),
                         headers=basic_auth("alice", key["key"]))  # fmt: skip
    listed = api(team, "GET", "runs", None, headers=basic_auth("alice", key["key"]))
    # Then it is answered (not a server error), as alice, in a project she now owns
    assert status == 201, stored
    assert stored["author"] == "alice"
    assert listed[0] == 200 and stored["id"] in {r["id"] for r in listed[1]["runs"]}
    roles = {p["name"]: p["role"] for p in api(team, "GET", "projects", "alice")[1]["projects"]}
    assert roles[project] == "owner"


def test_a_project_limited_key_stays_in_its_project_even_as_a_member_of_others(team):
    # Given alice in two projects and a key of hers limited to the first
    first, second = project_name(), project_name()
    for name in (first, second):
        assert api(team, "POST", "runs", "alice", run_record(name))[0] == 201
    key = create_key(team, "limited", project=first)
    auth = basic_auth("alice", key["key"])
    # When it lists projects and runs
    projects = api(team, "GET", "projects", None, headers=auth)[1]["projects"]
    runs = api(team, "GET", "runs?limit=1000", None, headers=auth)[1]["runs"]
    # Then it sees its project only
    assert [p["name"] for p in projects] == [first]
    assert {r["project"] for r in runs} == {first}


@pytest.mark.parametrize(
    "body, status, says",
    [
        ({"name": "../etc"}, 400, "A project name is"),
        ({"name": ""}, 400, "A project name is"),
        ({"name": 7}, 400, "A project name is"),
        ({"name": "x" * 101}, 400, "A project name is"),
        ({"name": "ok", "owner": "bob"}, 400, "Unknown field"),
        (["ok"], 400, "must be a JSON object"),
    ],
)
def test_bad_project_bodies_are_refused_with_a_sentence(team, body, status, says):
    # Given a team server
    # When alice creates a project with a bad body
    answer = api(team, "POST", "projects", "alice", body)
    # Then a 4xx with one sentence, and no project appeared
    assert answer[0] == status and says in answer[1]["error"]
    names = {p["name"] for p in api(team, "GET", "projects", "alice")[1]["projects"]}
    assert "ok" not in names and "../etc" not in names


def test_creating_a_taken_name_and_bad_roles_are_refused(team):
    # Given alice's new project
    name = project_name()
    status, created = api(team, "POST", "projects", "alice", {"name": name})
    assert status == 201 and created["members"][0]["username"] == "alice"
    # When bob creates the same name, and alice gives bob a bad role or steps down alone
    taken = api(team, "POST", "projects", "bob", {"name": name})
    bad_role = api(team, "PUT", f"projects/{name}/members/bob", "alice", {"role": "admin"})
    list_role = api(team, "PUT", f"projects/{name}/members/bob", "alice", {"role": ["owner"]})
    bad_user = api(team, "PUT", f"projects/{name}/members/a%20b", "alice", {})
    last = api(team, "DELETE", f"projects/{name}/members/alice", "alice")
    # Then 409/400/409, and alice is still its only owner
    assert taken[0] == 409 and "already exists" in taken[1]["error"]
    assert bad_role[0] == 400 and list_role[0] == 400 and bad_user[0] == 400
    assert list_role[1]["error"] == "role must be owner or member."
    assert last[0] == 409 and "last owner" in last[1]["error"]
    members = api(team, "GET", f"projects/{name}", "alice")[1]["members"]
    assert [(m["username"], m["role"]) for m in members] == [("alice", "owner")]


def test_the_default_project_is_the_whole_teams(team):
    # Given alice's run published without a project (as every notebook's is)
    run = run_record(None)
    del run["project"]
    status, stored = api(team, "POST", "runs", "alice", run)
    assert status == 201 and stored["project"] == "default"
    # When bob reads it, publishes there too, and changes its membership
    seen = api(team, "GET", f"runs/{run['id']}", "bob")
    published = api(team, "POST", "runs", "bob", run_record("default", "bob's"))
    join = api(team, "PUT", "projects/default/members/carol", "bob", {})
    # Then he sees alice's run as hers and publishes his own; default has no members to change
    assert seen[0] == 200 and seen[1]["author"] == "alice"
    assert published[0] == 201 and published[1]["author"] == "bob"
    assert join[0] == 409 and "shared by the whole team" in join[1]["error"]
    roles = {p["name"]: p["role"] for p in api(team, "GET", "projects", "bob")[1]["projects"]}
    assert roles["default"] == "member"


def test_a_spooled_run_cannot_join_a_project_its_user_is_not_a_member_of(team, tmp_path):
    # Given alice's project, and bob's workspace whose spool holds a run for it and one
    # for a project of his own (as his kernels leave them when his server is away)
    secret = project_name()
    assert api(team, "POST", "runs", "alice", run_record(secret))[0] == 201
    root = tmp_path / "bob"
    spool = root / ".dotscience" / "spool"
    spool.mkdir(parents=True)
    planted, own = run_record(secret, "planted"), run_record(project_name(), "his")
    for rec in (planted, own):
        (spool / f"{rec['id']}.json").write_text(json.dumps(rec))
    # When bob's team server, on the same store, imports its spool
    db = team.root / ".dotscience" / "dotscience.db"
    bobs = LiveServer(root, store_url=f"sqlite:///{db}")
    bobs.extra_args = [*TEAM_ARGS, "--DotscienceApp.spool_interval=0.2",
                       "--DotscienceApp.kernel_user=bob"]  # fmt: skip
    bobs.start()
    try:
        reason = spool / "rejected" / f"{planted['id']}.json.reason"
        deadline = time.monotonic() + 60
        while not (reason.exists() and api(team, "GET", f"runs/{own['id']}", "bob")[0] == 200):
            assert time.monotonic() < deadline, "bob's server did not import its spool"
            time.sleep(0.2)
    finally:
        bobs.stop()
    # Then his own run is stored, the one for alice's project is set aside saying why,
    # and alice's project holds her run only
    assert "not a member of project" in reason.read_text()
    assert api(team, "GET", f"runs/{planted['id']}", "alice")[0] == 404
    authors = [r["author"] for r in api(team, "GET", f"runs?project={secret}", "alice")[1]["runs"]]
    assert authors == ["alice"]


def test_a_file_of_an_unshared_project_cannot_be_downloaded_by_its_hash(team):
    # Given alice's run in her own project, whose output was captured from the workspace
    secret = project_name()
    content = f"weights of {secret}\n".encode()
    (team.root / f"{secret}.txt").write_bytes(content)
    sha = hashlib.sha256(content).hexdigest()
    rec = run_record(secret)
    rec["outputs"] = [{"path": f"{secret}.txt", "sha256": sha, "size": len(content)}]
    assert api(team, "POST", "runs", "alice", rec)[0] == 201
    # When bob, logged in to the same server, downloads it by its hash
    refused = api(team, "GET", f"artifacts/{sha}", "bob")
    # Then it is answered as if it were not stored, while alice downloads it
    assert refused[0] == 404 and refused[1]["error"] == f"No stored artifact has the hash {sha}."
    assert api(team, "GET", f"artifacts/{sha}", "alice") == (200, content)
    # and once he is a member of her project, so does he
    assert api(team, "PUT", f"projects/{secret}/members/bob", "alice", {})[0] == 200
    assert api(team, "GET", f"artifacts/{sha}", "bob") == (200, content)
