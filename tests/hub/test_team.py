"""Teams on a real JupyterHub (issue 15): two hub users, alice and bob, each with a
single-user server running this extension on one shared PostgreSQL store.

Every request goes through the hub's proxy with the user's own hub token, so each server
learns who is asking from the hub, as in a team's deployment.
"""

from __future__ import annotations

import base64
import dataclasses
import uuid

import pytest

from .conftest import Hub, _chp_installed, request
from .kernel import run_in_kernel

USERS = ("alice", "bob")

PUBLISH_FROM_NOTEBOOK = """\
import dotscience as ds
ds.start()
ds.parameter("alpha", 0.5)
ds.metric("accuracy", 0.93)
run = ds.publish("{description}")
print("RUN", run["id"])
"""


@dataclasses.dataclass
class Team:
    hub: Hub
    tokens: dict[str, str]

    def api(self, user: str, method: str, path: str, body=None, server: str | None = None,
            headers=None):  # fmt: skip
        """A request to ``server``'s (default: ``user``'s own) Dotscience API with
        ``user``'s hub token, or with ``headers`` instead when given."""
        url = self.hub.user_url(server or user) + "dotscience/api/" + path
        token = None if headers else self.tokens[user]
        return request(method, url, token, body, headers)

    def check_extension(self, user: str) -> None:
        """Fail, with the hub's log, unless ``user``'s server runs this extension."""
        status, body = self.api(user, "GET", "version")
        assert status == 200, f"{user}'s server has no Dotscience API:\n{self.hub.log_tail()}"


@pytest.fixture(scope="module")
def team(tmp_path_factory, pg_server):
    """The hub with alice's and bob's servers running on one PostgreSQL store."""
    _chp_installed()
    tmp = tmp_path_factory.mktemp("team")
    store_url = pg_server.create_database("hub")
    hub = Hub(tmp, store_url, [f"--DotscienceApp.artifact_root={tmp / 'artifacts'}"], {})
    hub.start()
    try:
        tokens = {name: hub.add_user(name) for name in USERS}
        team = Team(hub, tokens)
        for name in USERS:
            hub.start_server(name)
            team.check_extension(name)
        yield team
    finally:
        hub.stop()


def publish_from_notebook(team: Team, user: str, description: str) -> str:
    """Publish a run from a notebook kernel on ``user``'s server; its id."""
    code = PUBLISH_FROM_NOTEBOOK.format(description=description)
    output = run_in_kernel(team.hub.user_url(user), team.tokens[user], code)
    ids = [line.split()[1] for line in output.splitlines() if line.startswith("RUN ")]
    assert ids, output
    return ids[0]


def basic(user: str, key: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{key}".encode()).decode()}


def test_bob_sees_alices_notebook_run_as_hers_and_cannot_change_it(team):
    # Given a run alice published from a notebook kernel on her server
    run_id = publish_from_notebook(team, "alice", "alice's notebook run")
    # When bob reads it on his own server, and tries to change and delete it
    status, run = team.api("bob", "GET", f"runs/{run_id}")
    snapshot = {"path": "bob.ipynb", "content": {"cells": [], "metadata": {}}}
    changed = team.api("bob", "PUT", f"runs/{run_id}/notebook", snapshot)
    deleted = team.api("bob", "DELETE", f"runs/{run_id}")
    # Then he sees it, authored by alice (her hub name), and can do neither
    assert status == 200, run
    assert run["author"] == "alice" and run["description"] == "alice's notebook run"
    assert changed[0] == 403 and "(alice)" in changed[1]["error"]
    assert deleted[0] in (403, 405)
    status, again = team.api("alice", "GET", f"runs/{run_id}")
    assert status == 200 and again["author"] == "alice"
    assert again.get("notebook") != "bob.ipynb"


def test_bob_cannot_use_or_revoke_alices_key(team):
    # Given alice's API key, made on her server with her hub login
    status, key = team.api("alice", "POST", "keys", {"name": "laptop"})
    assert status == 201, key
    assert key["username"] == "alice"
    # When bob presents it as himself, and revokes it from his server
    as_bob = team.api("bob", "GET", "runs", headers=basic("bob", key["key"]))
    revoked = team.api("bob", "DELETE", f"keys/{key['id']}")
    # Then both are refused, and the key still works for alice on either server (it passes
    # the hub's authorizer: not a server error)
    assert as_bob[0] == 401 and "does not belong to user 'bob'" in as_bob[1]["error"]
    assert revoked[0] == 403 and "belongs to alice" in revoked[1]["error"]
    for server in USERS:
        status, body = team.api("alice", "GET", "runs", server=server,
                                headers=basic("alice", key["key"]))  # fmt: skip
        assert status == 200, body


def test_a_project_alice_did_not_share_is_invisible_to_bob(team):
    # Given alice's run in a project of her own
    private = "alice-" + uuid.uuid4().hex[:8]
    run_id = str(uuid.uuid4())
    record = {"id": run_id, "project": private, "description": "private",
              "start": "2026-11-30T06:00:00Z", "end": "2026-11-30T06:00:01Z"}  # fmt: skip
    status, stored = team.api("alice", "POST", "runs", record)
    assert status == 201, stored
    # When bob lists runs and projects, asks for it, and publishes into it
    listed = team.api("bob", "GET", "runs?limit=1000")[1]["runs"]
    by_project = team.api("bob", "GET", f"runs?project={private}")[1]["runs"]
    one = team.api("bob", "GET", f"runs/{run_id}")
    projects = team.api("bob", "GET", "projects")[1]
    planted = team.api("bob", "POST", "runs", {**record, "id": str(uuid.uuid4())})
    # Then nothing of it shows, as if it did not exist, and he cannot add to it
    assert run_id not in {r["id"] for r in listed} and by_project == []
    assert one[0] == 404
    assert projects["team"] is True and private not in {p["name"] for p in projects["projects"]}
    assert planted[0] == 403
    # and once alice adds him as a member, he sees it
    status, member = team.api("alice", "PUT", f"projects/{private}/members/bob", {})
    assert status == 200, member
    assert team.api("bob", "GET", f"runs/{run_id}")[0] == 200
