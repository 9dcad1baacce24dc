"""The `dotscience` command line: every subcommand's exit code, --json and human output."""

from __future__ import annotations

import json
import os
import stat
import uuid

import pytest

from dotscience import v1
from dotscience.cli import main
from dotscience.remote import Client

from .conftest import create_key, dotscience


@pytest.fixture
def cli(capsys):
    """Run ``dotscience ...`` in-process: ``(exit code, stdout, stderr)``."""

    def run(*args):
        try:
            code = main([str(a) for a in args])
        except SystemExit as e:  # argparse: --help and usage errors
            code = e.code
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def key(hub):
    return create_key(hub, "cli")


@pytest.fixture
def creds(hub, key):
    return ["--hostname", hub.url, "--username", "alice", "--apikey", key["key"]]


@pytest.fixture
def run_id(hub, key):
    rec = {"schema": "dotscience.run/2", "id": str(uuid.uuid4()), "project": "cli",
           "description": "from the CLI test", "parameters": {"alpha": {"value": 0.5, "text": "0.5"}},
           "metrics": {"acc": [{"value": 0.9, "text": "0.9", "step": 0}]}}  # fmt: skip
    stored, created = Client(hub.url, "alice", key["key"]).publish(rec)
    assert created
    return stored["id"]


def test_usage_errors_exit_2_and_help_exits_0(cli):
    # Given no command, an unknown one, and --help
    # Then usage errors exit 2 and help exits 0 listing the commands
    assert cli()[0] == 2
    assert cli("frobnicate")[0] == 2
    code, out, _ = cli("--help")
    assert code == 0
    assert all(c in out for c in ("runs", "export", "import", "sync", "keys", "login", "deploy"))


def test_console_script_is_installed(tmp_path):
    # Given the installed `dotscience` command / When asked for its version
    proc = dotscience("--version", cwd=tmp_path, home=tmp_path)
    # Then it answers
    assert proc.returncode == 0 and proc.stdout.startswith("dotscience ")


def test_login_stores_private_config_used_afterwards(cli, hub, key, run_id, tmp_path):
    # When logging in
    code, out, _ = cli(
        "login", "--hostname", hub.url, "--username", "alice", "--apikey", key["key"]
    )
    # Then the config file is private and later commands need no options
    assert code == 0 and "Logged in" in out
    path = tmp_path / ".config" / "dotscience" / "config.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert json.loads(path.read_text())["username"] == "alice"
    code, out, _ = cli("runs", "list", "--project", "cli", "--json")
    assert code == 0 and run_id in [r["id"] for r in json.loads(out)["runs"]]


def test_login_with_a_wrong_key_fails_with_one_sentence(cli, hub, key):
    code, out, err = cli("login", "--hostname", hub.url, "--username", "alice",
                         "--apikey", key["key"][:-3] + "xyz")  # fmt: skip
    assert code == 1 and out == ""
    assert err.startswith("dotscience: ") and "not valid" in err and err.count("\n") == 1


def test_runs_list_table_and_json(cli, creds, run_id):
    code, out, _ = cli("runs", "list", "--project", "cli", *creds)
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == [
        "ID",
        "STATUS",
        "PROJECT",
        "AUTHOR",
        "WORKLOAD",
        "DESCRIPTION",
        "RECEIVED",
    ]
    row = next(line for line in lines if line.startswith(run_id))
    assert "alice" in row and "from the CLI test" in row
    # columns line up: every row's STATUS starts where the header's does
    assert row.index("succeeded") == lines[0].index("STATUS")
    code, out, _ = cli("runs", "list", "--param", "alpha>0.1", "--json", *creds)
    assert code == 0 and run_id in [r["id"] for r in json.loads(out)["runs"]]
    code, out, _ = cli("runs", "list", "--param", "alpha>0.6", *creds)
    assert code == 0 and run_id not in out


def test_runs_show(cli, creds, run_id):
    code, out, _ = cli("runs", "show", run_id, *creds)
    assert code == 0 and "from the CLI test" in out and "alpha" in out and "acc" in out
    code, out, _ = cli("runs", "show", run_id, "--json", *creds)
    assert code == 0 and json.loads(out)["author"] == "alice"
    code, _, err = cli("runs", "show", str(uuid.uuid4()), *creds)
    assert code == 1 and "There is no run" in err


def test_export_in_each_format(cli, creds, run_id):
    code, out, _ = cli("export", run_id, "--format", "v1", *creds)
    assert code == 0 and [rid for rid, _ in v1.find_blocks(out)] == [run_id]
    code, out, _ = cli("export", run_id, "--format", "prov", *creds)
    assert code == 0 and "entity" in json.loads(out) or "activity" in json.loads(out)
    code, out, _ = cli("export", run_id, "--format", "openlineage", "--json", *creds)
    assert code == 0 and json.loads(out)["events"]
    assert cli("export", run_id, "--format", "pdf", *creds)[0] == 2


def test_import_locally_and_to_the_server(cli, creds, tmp_path):
    # Given a log with a legacy v1 block
    rid = str(uuid.uuid4())
    block = v1.format_block(rid, {"version": "1", "description": "legacy", "parameters": {"a": "1"},
                                  "summary": {"acc": "0.5"}, "input": [], "output": [],
                                  "labels": {}, "start": "20191016T040410.683903",
                                  "end": "20191016T040411.683903"})  # fmt: skip
    log = tmp_path / "train.log"
    log.write_text("noise\n" + block + "more noise\n")
    # When importing locally / Then it prints what it found and stores nothing
    code, out, _ = cli("import", "--local", log)
    assert code == 0 and "1 run(s) found" in out and rid in out
    code, out, _ = cli("import", "--local", "--json", log)
    assert json.loads(out)["files"][0]["runs"][0]["id"] == rid
    # When importing to the server (twice) / Then it is stored once
    code, out, _ = cli("import", log, "--json", *creds)
    assert code == 0 and json.loads(out)["files"][0]["imported"] == 1
    code, out, _ = cli("import", log, *creds)
    assert code == 0 and "1 run(s) found, 0 new" in out
    # And a missing file is one sentence
    code, _, err = cli("import", "--local", tmp_path / "nope.log")
    assert code == 1 and "Cannot read" in err


def test_sync_with_nothing_spooled(cli, creds, tmp_path):
    code, out, _ = cli("sync", "--root", tmp_path, *creds)
    assert code == 0 and out.strip() == "Nothing to sync."
    code, out, _ = cli("sync", "--root", tmp_path, "--json", *creds)
    assert json.loads(out) == {"sent": [], "already": [], "rejected": [], "uploaded": 0}


def test_sync_with_the_server_down_is_one_sentence(cli, tmp_path):
    # Given a spooled run and no server / When syncing
    spool = tmp_path / ".dotscience" / "spool"
    spool.mkdir(parents=True)
    rid = str(uuid.uuid4())
    (spool / f"{rid}.json").write_text(json.dumps({"id": rid}))
    # Then one sentence says so, exit 1, and the run stays spooled
    code, out, err = cli("sync", "--root", tmp_path, "--hostname", "http://127.0.0.1:9",
                         "--apikey", "dsk_000000000000_" + "x" * 30)  # fmt: skip
    assert code == 1 and "connection refused" in err and "Traceback" not in err
    assert (spool / f"{rid}.json").exists()


def test_keys_create_list_revoke(cli, hub):
    # When creating a key without a Jupyter token / Then it says what is needed
    code, _, err = cli("keys", "create", "--hostname", hub.url)
    assert code == 1 and "--token" in err
    # When creating one with the token / Then the secret is printed once
    code, out, _ = cli("keys", "create", "--name", "ci", "--project", "cli", "--hostname", hub.url,
                       "--token", hub.token, "--json")  # fmt: skip
    key = json.loads(out)
    assert code == 0 and key["key"].startswith("dsk_") and key["project"] == "cli"
    code, out, _ = cli("keys", "create", "--hostname", hub.url, "--token", hub.token)
    assert code == 0 and "shown only once" in out
    # When listing with the key / Then it appears, active, without its secret
    creds = ["--hostname", hub.url, "--apikey", key["key"]]
    code, out, _ = cli("keys", "list", *creds)
    assert code == 0 and out.splitlines()[0].split()[:3] == ["ID", "NAME", "PROJECT"]
    assert key["id"] in out and key["key"] not in out
    # When revoking it / Then it is revoked, and the key no longer works
    code, out, _ = cli("keys", "revoke", key["id"], "--json", "--hostname", hub.url,
                       "--token", hub.token)  # fmt: skip
    assert code == 0 and json.loads(out)["revoked"]
    code, _, err = cli("keys", "list", *creds)
    assert code == 1 and "revoked" in err
    assert cli("keys", "revoke", "not-a-key", *creds)[0] == 1


def test_keys_create_with_deploy_scope(cli, hub):
    # When creating a key with --deploy, and one without
    code, out, _ = cli("keys", "create", "--name", "cd", "--deploy", "--hostname", hub.url,
                       "--token", hub.token, "--json")  # fmt: skip
    deployer = json.loads(out)
    code_plain, out_plain, _ = cli("keys", "create", "--name", "plain", "--hostname", hub.url,
                                   "--token", hub.token, "--json")  # fmt: skip
    # Then only the first carries the deploy scope
    assert (code, code_plain) == (0, 0)
    assert deployer["scopes"] == ["deploy"] and json.loads(out_plain)["scopes"] == []
    # And the listing shows each key's scopes
    code, out, _ = cli("keys", "list", "--hostname", hub.url, "--token", hub.token)
    line = next(row for row in out.splitlines() if row.startswith(deployer["id"]))
    assert code == 0 and "SCOPES" in out.splitlines()[0] and "deploy" in line.split()


def test_models_list_and_deploy(cli, creds):
    # When listing models / Then the registry answers (empty here), as a table or JSON
    code, out, _ = cli("models", "list", "--json", *creds)
    assert code == 0 and json.loads(out) == {"models": []}
    code, out, _ = cli("models", "list", *creds)
    assert code == 0 and "No models" in out
    # When deploying a model that does not exist / Then one sentence says so
    code, _, err = cli("deploy", "iris", *creds)
    assert code == 1 and "There is no model 'iris'" in err


def test_projects_create_list_show_and_members(cli, hub):
    # Given a server and its Jupyter token
    name = "cli-" + uuid.uuid4().hex[:8]
    auth = ["--hostname", hub.url, "--token", hub.token]
    # When creating a project without a token / Then it says what is needed
    code, _, err = cli("projects", "create", name, "--hostname", hub.url)
    assert code == 1 and "Creating a project needs a Jupyter login" in err
    # When creating it, and a bad name / Then it is yours; the bad name is one sentence
    code, out, _ = cli("projects", "create", name, *auth)
    assert code == 0 and f"Created project {name}; you are its owner." in out
    code, _, err = cli("projects", "create", "../x", *auth)
    assert code == 1 and "A project name is" in err and "Traceback" not in err
    # When adding bob as a member and carol as an owner / Then show lists them by role
    code, out, _ = cli("projects", "add-member", name, "bob", *auth)
    assert code == 0 and f"bob is now member of project {name}." in out
    assert cli("projects", "add-member", name, "carol", "--owner", *auth)[0] == 0
    code, out, _ = cli("projects", "show", name, *auth, "--json")
    members = [(m["username"], m["role"]) for m in json.loads(out)["members"]]
    assert code == 0 and members == [("alice", "owner"), ("carol", "owner"), ("bob", "member")]
    # When listing projects / Then it is there with your role
    code, out, _ = cli("projects", "list", *auth)
    line = next(row for row in out.splitlines() if row.startswith(name))
    assert code == 0 and out.splitlines()[0].split() == ["NAME", "ROLE", "RUNS", "CREATED"]
    assert line.split()[1:3] == ["owner", "0"]
    # When removing bob, then someone who is not a member / Then the second says so
    code, out, _ = cli("projects", "remove-member", name, "bob", *auth)
    assert code == 0 and f"Removed bob from project {name}." in out
    code, _, err = cli("projects", "remove-member", name, "bob", *auth)
    assert code == 1 and "bob is not a member" in err
