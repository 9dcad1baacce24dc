"""A project-limited API key reads nothing of other projects, and a run's cells and notebook
snapshot can be replaced only by its author.

Every attack is made against a live server the way the holder of a key would make it (plain
HTTP with the key), and every answer is checked for what it must not contain: the foreign
run's id, its description or project, or the server's root directory.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid

import pytest

from ..server.live import LiveServer
from .conftest import basic_auth, create_key, http, token_auth

SECRET = "classified-result-7f3a"  # the foreign run's description: must never be shown


def project() -> str:
    """A fresh project name, so tests sharing the module's server do not see each other."""
    return f"p-{uuid.uuid4().hex[:10]}"


def record(proj: str, **kw) -> dict:
    return {"schema": "dotscience.run/2", "id": str(uuid.uuid4()), "project": proj, **kw}


def workspace_file(server, rel: str, data: bytes) -> dict:
    """Write ``data`` at ``rel`` in the server's workspace; its file reference."""
    path = server.root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {"path": rel, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def api(server, method: str, path: str, body=None, headers=None):
    return http(method, server.url + "dotscience/api/" + path, body, headers)


def text_of(answer) -> str:
    return answer if isinstance(answer, str) else json.dumps(answer, default=str)


def assert_nothing_of(foreign: dict, *answers, server=None) -> None:
    """None of ``answers`` mentions the foreign run's id, description or project (nor the
    server's root directory)."""
    for answer in answers:
        body = answer.decode(errors="replace") if isinstance(answer, bytes) else text_of(answer)
        assert foreign["id"] not in body, body
        assert SECRET not in body, body
        assert foreign["project"] not in body, body
        if server is not None:
            assert str(server.root) not in body, body


def foreign_and_key(live, **foreign_fields):
    """A run of another project (published by the Jupyter user) and a key limited to a
    project of its own: ``(foreign run, key's project, key auth headers)``."""
    foreign = record(project(), description=SECRET, **foreign_fields)
    status, _ = api(live, "POST", "runs", foreign, token_auth(live))
    assert status == 201
    mine = project()
    return foreign, mine, basic_auth("alice", create_key(live, project=mine)["key"])


def test_every_run_route_answers_a_foreign_run_like_an_unknown_one(live):
    # Given a foreign run with metrics, cells and a notebook snapshot
    cell = {"cell_id": "c1", "index": 0, "execution_count": 1, "source_sha256": "a" * 64}
    metric = {"value": 0.9, "text": "0.9", "step": 0, "time": "2026-11-27T06:30:00Z"}
    foreign, _, auth = foreign_and_key(live, metrics={"acc": [metric]}, cells=[cell])
    status, _ = api(live, "PUT", f"runs/{foreign['id']}/notebook",
                    {"path": "x.ipynb", "content": {"cells": []}}, token_auth(live))  # fmt: skip
    assert status == 200
    unknown = str(uuid.uuid4())
    subroutes = ["", "/cells", "/executions", "/reproductions", "/notebook", "/files", "/metrics/acc", "/lineage",
                 "/export?format=prov", "/export?format=openlineage", "/export?format=v1"]  # fmt: skip
    for sub in subroutes:
        # When the key asks for it through every run route
        status, answer = api(live, "GET", f"runs/{foreign['id']}{sub}", None, auth)
        unknown_status, unknown_answer = api(live, "GET", f"runs/{unknown}{sub}", None, auth)
        # Then each is the same 404 an unknown run gets, and shows nothing of the run
        assert status == unknown_status == 404, (sub, answer)
        assert text_of(answer).replace(foreign["id"], unknown) == text_of(unknown_answer)
        assert SECRET not in text_of(answer) and foreign["project"] not in text_of(answer)


def test_file_lineage_shows_only_runs_and_files_of_the_keys_project(live):
    # Given a foreign run that read a secret input and wrote a file, and a run of the key's
    # project that read that file
    secret_input = workspace_file(live, "secret/raw.csv", b"salaries of everyone")
    shared = workspace_file(live, "shared/features.csv", b"features derived from salaries")
    foreign, mine, auth = foreign_and_key(
        live, inputs=[secret_input], outputs=[shared], start="2026-11-27T06:00:00Z"
    )
    reader = record(mine, inputs=[shared], start="2026-11-27T07:00:00Z")
    assert api(live, "POST", "runs", reader, auth)[0] == 201
    # When the key asks for the shared file's lineage and its own run's upstream lineage
    status_file, by_file = api(live, "GET", f"files/{shared['sha256']}/lineage", None, auth)
    status_run, by_run = api(live, "GET", f"runs/{reader['id']}/lineage?direction=up",
                             None, auth)  # fmt: skip
    # Then only its own run and the file it read are shown: not the foreign run, not the
    # foreign run's input, not the paths the foreign run used
    assert status_file == status_run == 200
    for graph in (by_file, by_run):
        ids = {n["id"] for n in graph["nodes"]}
        assert ids == {reader["id"], f"sha256:{shared['sha256']}"}, graph
        assert secret_input["sha256"] not in text_of(graph)
        assert "secret/raw.csv" not in text_of(graph)
    assert_nothing_of(foreign, by_file, by_run, server=live)
    # And the Jupyter user still sees the whole graph
    _, full = api(live, "GET", f"files/{shared['sha256']}/lineage", None, token_auth(live))
    assert {foreign["id"], reader["id"]} <= {n["id"] for n in full["nodes"]}


def test_a_foreign_file_hash_alone_shows_no_lineage(live):
    # Given a file only a foreign run wrote
    secret = workspace_file(live, "secret/only-theirs.bin", b"their model weights")
    foreign, _, auth = foreign_and_key(live, outputs=[secret])
    unknown = hashlib.sha256(b"nobody has this").hexdigest()
    # When the key asks for the lineage of that hash and of a hash nobody used
    _, theirs = api(live, "GET", f"files/{secret['sha256']}/lineage", None, auth)
    _, nobody = api(live, "GET", f"files/{unknown}/lineage", None, auth)
    # Then both answers look the same: a file node with no path, size or runs
    assert text_of(theirs).replace(secret["sha256"], unknown) == text_of(nobody)
    assert "only-theirs" not in text_of(theirs)
    assert_nothing_of(foreign, theirs)


def test_publishing_a_foreign_run_id_is_refused_and_stores_nothing(live):
    # Given a foreign run, and a workspace file the attacker declares as its output
    foreign, mine, auth = foreign_and_key(live)
    planted = workspace_file(live, "planted.bin", b"output the attacker wants stored")
    attack = dict(foreign, project=mine, description="mine now", outputs=[planted])
    # When the key publishes a run with the foreign run's id into its own project
    status, answer = api(live, "POST", "runs", attack, auth)
    # Then it is refused with a sentence that reveals nothing of the stored run
    assert status == 409, answer
    assert "already" in answer["error"]
    assert_nothing_of(foreign, answer, server=live)
    # And nothing was stored: the run is unchanged, not listed in the key's project, and its
    # declared output was not copied into the artifact store
    _, stored = api(live, "GET", f"runs/{foreign['id']}", None, token_auth(live))
    assert stored["project"] == foreign["project"] and stored["description"] == SECRET
    _, page = api(live, "GET", f"runs?project={mine}", None, auth)
    assert page["runs"] == []
    _, projects = api(live, "GET", "projects", None, token_auth(live))
    assert mine not in {p["name"] for p in projects["projects"]}
    sha = planted["sha256"]
    assert not (live.root / ".dotscience" / "artifacts" / "sha256" / sha[:2] / sha).exists()


def test_declaring_a_foreign_hash_does_not_unlock_its_download(live):
    # Given a foreign run whose output was captured into the artifact store
    secret = workspace_file(live, "secret/weights.bin", b"their trained weights, 3 GPU-days")
    foreign, mine, auth = foreign_and_key(live, outputs=[secret])
    assert api(live, "GET", f"artifacts/{secret['sha256']}", None, token_auth(live))[0] == 200
    # When the key publishes a run of its own project declaring that hash as input and
    # output (it knows the hash, not the content)
    claim = {"path": "stolen.bin", "sha256": secret["sha256"], "size": secret["size"]}
    mine_run = record(mine, inputs=[claim], outputs=[dict(claim, path="out.bin")])
    assert api(live, "POST", "runs", mine_run, auth)[0] == 201
    status, content = api(live, "GET", f"artifacts/{secret['sha256']}", None, auth)
    _, files = api(live, "GET", f"runs/{mine_run['id']}/files", None, auth)
    # Then the download is refused like an unknown hash, and its run says the files were not
    # captured, and why
    assert status == 404 and b"3 GPU-days" not in text_of(content).encode()
    assert [(f["captured"], f["artifact"], f["reason"]) for f in files["files"]] == [
        (False, False, "not uploaded"),
        (False, False, "not uploaded"),
    ]
    assert_nothing_of(foreign, content, files, server=live)


def test_a_workspace_file_that_does_not_hash_to_the_stored_content_is_not_captured(live):
    # Given a foreign run whose output was captured, and a run of the key's project
    # (published by the Jupyter user) declaring that hash for a workspace file that holds
    # something else
    secret = workspace_file(live, "secret/model.pt", b"their model")
    foreign, mine, auth = foreign_and_key(live, outputs=[secret])
    workspace_file(live, "decoy.pt", b"something else entirely")
    decoy = {"path": "decoy.pt", "sha256": secret["sha256"], "size": secret["size"]}
    mine_run = record(mine, outputs=[decoy])
    assert api(live, "POST", "runs", mine_run, token_auth(live))[0] == 201
    # When the key lists that run's files and downloads the hash
    _, files = api(live, "GET", f"runs/{mine_run['id']}/files", None, auth)
    status, _ = api(live, "GET", f"artifacts/{secret['sha256']}", None, auth)
    # Then the file was not captured for this run (its content changed), so no download
    (f,) = files["files"]
    assert (f["captured"], f["artifact"]) == (False, False)
    assert f["reason"] == "changed since it was declared"
    assert status == 404


def test_outputs_captured_from_the_workspace_or_uploaded_are_downloadable(live):
    # Given a key's project with a run published by the Jupyter user from the workspace,
    # and a run the key published itself whose output it then uploads
    mine = project()
    key = create_key(live, project=mine)
    auth = basic_auth("alice", key["key"])
    local = workspace_file(live, "mine/model.bin", b"our weights")
    from_workspace = record(mine, outputs=[local])
    assert api(live, "POST", "runs", from_workspace, token_auth(live))[0] == 201
    remote_data = b"weights trained on another machine"
    remote_ref = {"path": "out/w.bin", "sha256": hashlib.sha256(remote_data).hexdigest(),
                  "size": len(remote_data)}  # fmt: skip
    remote = record(mine, outputs=[remote_ref])
    assert api(live, "POST", "runs", remote, auth)[0] == 201
    _, before = api(live, "GET", f"runs/{remote['id']}/files", None, auth)
    upload = {**auth, "Content-Type": "application/octet-stream"}
    assert api(live, "PUT", f"artifacts/{remote_ref['sha256']}", remote_data, upload)[0] == 201
    # When the key lists both runs' files and downloads them
    _, ws_files = api(live, "GET", f"runs/{from_workspace['id']}/files", None, auth)
    _, after = api(live, "GET", f"runs/{remote['id']}/files", None, auth)
    got_local = api(live, "GET", f"artifacts/{local['sha256']}", None, auth)
    got_remote = api(live, "GET", f"artifacts/{remote_ref['sha256']}", None, auth)
    # Then each file says how it was captured, and both download
    assert [(f["captured"], f["reason"]) for f in before["files"]] == [(False, "not uploaded")]
    (ws,) = ws_files["files"]
    assert (ws["captured"], ws["artifact"], ws["reason"]) == (
        True,
        True,
        "copied from the workspace",
    )
    (up,) = after["files"]
    assert (up["captured"], up["artifact"], up["reason"]) == (True, True, "uploaded by alice")
    assert got_local == (200, b"our weights") and got_remote == (200, remote_data)
    # And a key limited to another project cannot download them
    other = basic_auth("alice", create_key(live, project=project())["key"])
    assert api(live, "GET", f"artifacts/{local['sha256']}", None, other)[0] == 404
    assert api(live, "GET", f"artifacts/{remote_ref['sha256']}", None, other)[0] == 404


def test_projects_and_version_show_a_key_only_its_project_and_no_server_paths(live):
    # Given runs in a foreign project and in the key's project
    foreign, mine, auth = foreign_and_key(live)
    assert api(live, "POST", "runs", record(mine), auth)[0] == 201
    # When the key lists projects and asks for the version
    _, projects = api(live, "GET", "projects", None, auth)
    _, version = api(live, "GET", "version", None, auth)
    # Then it sees its own project only, and no path of the server
    assert [p["name"] for p in projects["projects"]] == [mine]
    assert "root_dir" not in version and version["version"]
    assert_nothing_of(foreign, projects, version, server=live)
    # While the Jupyter user still gets everything
    _, all_projects = api(live, "GET", "projects", None, token_auth(live))
    assert {foreign["project"], mine} <= {p["name"] for p in all_projects["projects"]}
    assert api(live, "GET", "version", None, token_auth(live))[1]["root_dir"] == str(live.root)


def model(name: str, data: bytes) -> dict:
    sha = hashlib.sha256(data).hexdigest()
    return {"name": name, "framework": "sklearn", "path": "model.joblib",
            "files": [{"path": "model.joblib", "sha256": sha, "size": len(data)}]}  # fmt: skip


def test_model_routes_show_a_key_only_models_and_deployments_of_its_project(live):
    # Given a model name used by a foreign run (v1) and then by the key's project (v2), a
    # model only the foreign project has, with an alias and a deployment of it
    shared, theirs = f"shared-{uuid.uuid4().hex[:6]}", f"theirs-{uuid.uuid4().hex[:6]}"
    foreign, mine, auth = foreign_and_key(
        live, models=[model(shared, b"their v1"), model(theirs, b"their only")]
    )
    token = token_auth(live)
    assert api(live, "POST", "runs", record(mine, models=[model(shared, b"our v2")]), auth)[0]
    assert api(live, "PUT", f"models/{shared}/aliases/production", {"version": 1}, token)[0] == 200
    status, dep = api(live, "POST", f"models/{theirs}/versions/1/deploy", None, token)
    assert status == 202, dep
    # When the key reads the registry, the foreign model and version, and the deployment
    _, models = api(live, "GET", "models", None, auth)
    _, shared_model = api(live, "GET", f"models/{shared}", None, auth)
    refused = {
        path: api(live, "GET", path, None, auth)
        for path in (
            f"models/{theirs}", f"models/{shared}/versions/1/build",
            f"models/{theirs}/versions/1/build", f"models/{theirs}/versions/1/kubernetes",
            f"deployments/{dep['id']}", f"deployments/{dep['id']}/log",
            f"deployments/{dep['id']}/metrics",
        )
    }  # fmt: skip
    _, deployments = api(live, "GET", "deployments", None, auth)
    # Then it sees only its own version of the shared model, no alias to the foreign
    # version, no foreign model and no foreign deployment
    by_name = {m["name"]: m for m in models["models"]}
    assert theirs not in by_name
    for m in (by_name[shared], shared_model):
        assert [v["version"] for v in m["versions"]] == [2]
        assert m["aliases"] == {} and m["latest_version"] == 2
    for path, (status, answer) in refused.items():
        assert status == 404, (path, answer)
    assert dep["id"] not in text_of(deployments)
    assert_nothing_of(foreign, models, shared_model, deployments, *refused.values(), server=live)
    # While the Jupyter user sees both versions and the deployment
    _, full = api(live, "GET", f"models/{shared}", None, token)
    assert [v["version"] for v in full["versions"]] == [1, 2]
    assert api(live, "GET", f"deployments/{dep['id']}", None, token)[0] == 200


@pytest.fixture(scope="module")
def bob(live, tmp_path_factory):
    """Bob's Jupyter server on the same store as alice's (a team sharing one database)."""
    db = live.root / ".dotscience" / "dotscience.db"
    server = LiveServer(tmp_path_factory.mktemp("bob-root"), store_url=f"sqlite:///{db}")
    server.extra_args = ["--DotscienceApp.kernel_user=bob"]
    server.start()
    yield server
    server.stop()


def test_only_the_author_replaces_a_runs_notebook_and_nobody_its_cells(live, bob):
    # Given a run bob published with one cell and a notebook snapshot
    cell = {"cell_id": "bobs", "index": 0, "execution_count": 1, "source_sha256": "b" * 64}
    run = record("team", cells=[cell])
    assert api(bob, "POST", "runs", run, token_auth(bob))[0] == 201
    snapshot = {"path": "bob.ipynb", "content": {"cells": [], "metadata": {"by": "bob"}}}
    assert api(bob, "PUT", f"runs/{run['id']}/notebook", snapshot, token_auth(bob))[0] == 200
    # When alice (the Jupyter user of her own server) replaces them
    forged = [dict(cell, cell_id="alices")]
    cells_answer = api(live, "PUT", f"runs/{run['id']}/cells", {"cells": forged},
                       token_auth(live))  # fmt: skip
    nb_answer = api(live, "PUT", f"runs/{run['id']}/notebook",
                    {"path": "x.ipynb", "content": {"cells": []}}, token_auth(live))  # fmt: skip
    # Then the notebook is refused with a sentence naming the author, cells cannot be
    # replaced at all any more (the kernel records them), and nothing changed
    assert nb_answer[0] == 403 and "bob" in nb_answer[1]["error"], nb_answer
    assert cells_answer[0] == 405, cells_answer
    _, cells = api(live, "GET", f"runs/{run['id']}/cells", None, token_auth(live))
    _, nb = api(live, "GET", f"runs/{run['id']}/notebook", None, token_auth(live))
    assert [c["cell_id"] for c in cells["cells"]] == ["bobs"]
    assert nb["path"] == "bob.ipynb" and nb["content"]["metadata"] == {"by": "bob"}
    # And bob, the author, can still replace the notebook, not the cells
    status, _ = api(bob, "PUT", f"runs/{run['id']}/notebook", snapshot, token_auth(bob))
    assert status == 200
    status, _ = api(bob, "PUT", f"runs/{run['id']}/cells", {"cells": forged}, token_auth(bob))
    assert status == 405


def poll(server, path: str, headers: dict, done, deadline: float = 120.0) -> dict:
    """GET ``path`` until ``done(answer)``; the answer."""
    end = time.monotonic() + deadline
    while True:
        status, answer = api(server, "GET", path, None, headers)
        assert status == 200, answer
        if done(answer):
            return answer
        assert time.monotonic() < end, f"{path} did not finish in {deadline:.0f} s: {answer}"
        time.sleep(0.2)


def test_a_key_sees_its_own_builds_and_deployments_without_server_paths(live):
    # Given a model of the key's project, built and deployed by the Jupyter user
    mine = project()
    auth = basic_auth("alice", create_key(live, project=mine)["key"])
    token = token_auth(live)
    weights = workspace_file(live, f"{mine}/model.joblib", b"not really a model")
    name = f"own-{uuid.uuid4().hex[:6]}"
    own = {"name": name, "framework": "sklearn", "path": weights["path"], "files": [weights]}
    assert api(live, "POST", "runs", record(mine, outputs=[weights], models=[own]), token)[0]
    assert api(live, "POST", f"models/{name}/versions/1/build", None, token)[0] == 202
    build = f"models/{name}/versions/1/build"
    built = poll(live, build, token, lambda b: b["state"] in ("done", "failed"))
    status, dep = api(live, "POST", f"models/{name}/versions/1/deploy", None, token)
    assert status == 202, dep
    poll(live, f"deployments/{dep['id']}", token,
         lambda d: d["state"] in ("running", "failed", "stopped"))  # fmt: skip
    # When the key reads them
    paths = [f"models/{name}", "models", build, "deployments", f"deployments/{dep['id']}",
             f"deployments/{dep['id']}/log"]  # fmt: skip
    answers = {path: api(live, "GET", path, None, auth) for path in paths}
    # Then it gets each of them, without any path of the server in it
    for path, (status, answer) in answers.items():
        assert status == 200, (path, answer)
        assert str(live.root) not in text_of(answer), (path, answer)
    assert answers[build][1]["state"] == built["state"]
    assert dep["id"] in text_of(answers["deployments"][1])
    # While the Jupyter user is shown where the bundle is
    assert str(live.root) in text_of(api(live, "GET", build, None, token)[1])


def test_a_hub_user_replaces_notebooks_of_runs_its_kernels_published(live, bob, tmp_path):
    # Given alice's server behind a hub-like login (her Jupyter name is not her OS user),
    # on the store her kernels' runs (author: the OS user "alice") and bob's runs are in
    db = live.root / ".dotscience" / "dotscience.db"
    (tmp_path / "hub").mkdir()
    hub = LiveServer(tmp_path / "hub", store_url=f"sqlite:///{db}")
    hub.extra_args = [
        "--DotscienceApp.kernel_user=alice",
        "--ServerApp.identity_provider_class=tests.security.identity.HubLikeIdentity",
    ]
    hub.start()
    try:
        snapshot = {"path": "hub.ipynb", "content": {"cells": [], "metadata": {}}}
        kernels, bobs, own = record("team"), record("team"), record("team")
        assert api(live, "POST", "runs", kernels, token_auth(live))[0] == 201
        assert api(bob, "POST", "runs", bobs, token_auth(bob))[0] == 201
        _, stored = api(hub, "POST", "runs", own, token_auth(hub))
        # When the hub user replaces the notebook snapshot of each
        answers = {
            name: api(hub, "PUT", f"runs/{run['id']}/notebook", snapshot, token_auth(hub))
            for name, run in (("kernels", kernels), ("bobs", bobs), ("own", own))
        }
        # Then her kernels' runs and her own are hers to change; bob's is not
        assert stored["author"] == "alice@example.org"
        assert answers["kernels"][0] == 200 and answers["kernels"][1]["path"] == "hub.ipynb"
        assert answers["own"][0] == 200 and answers["own"][1]["path"] == "hub.ipynb"
        assert answers["bobs"][0] == 403 and "(bob)" in answers["bobs"][1]["error"]
    finally:
        hub.stop()


def test_a_project_limited_key_sees_and_revokes_no_key_outside_its_project(live):
    # Given alice's keys for two projects and an unlimited one
    mine_project, other_project = project(), project()
    mine = create_key(live, "mine", project=mine_project)
    other = create_key(live, "other", project=other_project)
    unlimited = create_key(live, "everything")
    auth = basic_auth("alice", mine["key"])

    # When the key limited to one project lists keys and reaches for the others by id
    status, listing = api(live, "GET", "keys", headers=auth)
    seen = {k["id"] for k in listing["keys"]}
    answers = [api(live, verb, f"keys/{k['id']}", headers=auth)
               for k in (other, unlimited) for verb in ("GET", "DELETE")]  # fmt: skip

    # Then it sees only its project's keys, and the others are unknown to it and unrevoked
    assert status == 200
    assert mine["id"] in seen and not seen & {other["id"], unlimited["id"]}
    assert other_project not in text_of(listing)
    assert [s for s, _ in answers] == [404, 404, 404, 404]
    for _, body in answers:
        assert other_project not in text_of(body)
    for k in (other, unlimited):
        status, key = api(live, "GET", f"keys/{k['id']}", headers=token_auth(live))
        assert status == 200 and key["revoked"] is None
