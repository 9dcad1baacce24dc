"""The execution recorder (issue 12), with real kernels, nbconvert and scripts.

A published run carries every execution of its kernel session (cell id, count, the exact
source, times, success, error), each source once, and, for script runs, the git commit and
the uncommitted changes as a patch that ``git apply`` reproduces. The records are read from
the spool, as a server would import them, and checked with the store's ``normalize_record``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys
import time
import uuid

import jsonschema
import pytest

from jupyterlab_dotscience.store.validate import normalize_record

ROOT = pathlib.Path(__file__).resolve().parents[2]
PYTHON = sys.executable
JUPYTER = str(pathlib.Path(sys.executable).with_name("jupyter"))
SCHEMA = json.loads((ROOT / "protocol" / "kernel-comm.schema.json").read_text())
#: What JupyterLab's bridge executes silently in each kernel (src/kernel/bridge.ts).
ATTACH_CODE = "import dotscience.jupyter as _ds_bridge; _ds_bridge.attach()"
#: What src/kernel/bridge.ts's configureCode() makes for the setting "autolog" on.


def settings_code(autolog: bool, at_cell_end: bool) -> str:
    """What src/kernel/bridge.ts's configureCode() executes silently for these settings."""
    settings = {"autolog": autolog, "publishAtCellEnd": at_cell_end, "systemMetrics": False,
                "systemMetricsInterval": 1}  # fmt: skip
    text = json.dumps(settings, separators=(",", ":"))
    return ("import json as _ds_json, dotscience.autolog as _ds_autolog; "
            f"_ds_autolog.configure(_ds_json.loads({json.dumps(text)}))")  # fmt: skip


AUTOLOG_SETTING_CODE = settings_code(True, False)
DEADLINE = 60.0


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def child_env(root: pathlib.Path, **extra) -> dict:
    """The environment of a kernel or script: workspace ``root``, no server to publish to."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DOTSCIENCE_", "JPY_"))}  # fmt: skip
    env["DOTSCIENCE_PROJECT_DOT_ROOT"] = str(root)
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def spooled(root: pathlib.Path) -> list[dict]:
    """The run records spooled under ``root``, oldest first."""
    paths = sorted((root / ".dotscience" / "spool").glob("*.json"), key=os.path.getmtime)
    return [json.loads(p.read_text()) for p in paths]


def only_record(root: pathlib.Path) -> dict:
    records = spooled(root)
    assert len(records) == 1, [r["id"] for r in records]
    return records[0]


def ran(record: dict) -> list[tuple]:
    """``(origin, cell_id, source)`` of each execution, in record order."""
    return [(e["origin"], e["cell_id"], record["sources"][e["source_sha256"]])
            for e in record["executions"]]  # fmt: skip


class Kernel:
    """A real IPython kernel (jupyter_client) that can play JupyterLab: execute requests
    with a cell id, silent code, and comm messages to the dotscience bridge."""

    def __init__(self, client):
        self.kc = client
        self.iopub: list[dict] = []

    def execute(self, code: str, cell_id: str | None = None, silent: bool = False) -> dict:
        """Execute ``code`` (with ``cellId`` in the request's metadata); the reply content."""
        content = {"code": code, "silent": silent, "store_history": not silent,
                   "user_expressions": {}, "allow_stdin": False,
                   "stop_on_error": False}  # fmt: skip
        msg = self.kc.session.msg("execute_request", content)
        if cell_id is not None:
            msg["metadata"]["cellId"] = cell_id
        self.kc.shell_channel.send(msg)
        reply = self._shell_reply(msg["header"]["msg_id"])
        self._wait_idle(msg["header"]["msg_id"])
        return reply["content"]

    def _shell_reply(self, msg_id: str) -> dict:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            reply = self.kc.get_shell_msg(timeout=DEADLINE)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply
        raise AssertionError("the kernel did not answer")

    def _wait_idle(self, msg_id: str) -> None:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            msg = self.kc.get_iopub_msg(timeout=DEADLINE)
            self.iopub.append(msg)
            if (msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status"
                    and msg["content"]["execution_state"] == "idle"):  # fmt: skip
                return
        raise AssertionError("the kernel did not become idle")

    def comm_id(self) -> str:
        """The id of the comm the bridge opened to the target ``dotscience``."""
        for msg in self.iopub:
            if msg["msg_type"] == "comm_open" and msg["content"]["target_name"] == "dotscience":
                return msg["content"]["comm_id"]
        raise AssertionError("the bridge opened no comm")

    def request(self, data: dict) -> dict:
        """Send a frontend request over the comm; the kernel's ``ack`` for it."""
        comm_id = self.comm_id()
        msg = self.kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
        self.kc.shell_channel.send(msg)
        self._wait_idle(msg["header"]["msg_id"])
        for m in self.iopub:
            body = m["content"].get("data") or {}
            if (m["msg_type"] == "comm_msg" and body.get("method") == "ack"
                    and body.get("request_id") == data["request_id"]):  # fmt: skip
                return body
        raise AssertionError(f"no ack for {data['request_id']}")


@contextlib.contextmanager
def kernel(root: pathlib.Path, cwd: pathlib.Path | None = None):
    """A fresh python3 kernel in ``cwd`` (default ``root``) with workspace ``root``."""
    from jupyter_client import KernelManager

    km = KernelManager(kernel_name="python3")
    km.start_kernel(env=child_env(root), cwd=str(cwd or root))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=DEADLINE)
        yield Kernel(kc)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


# -- cells -----------------------------------------------------------------------------------


def test_a_kernel_session_is_recorded_in_the_order_it_ran(tmp_path):
    # Given a kernel where the notebook's cells run out of order, one fails, one runs twice,
    # silent code and an empty cell run too, and the recorder is installed a second time
    cells = [
        ("c-setup", "import dotscience as ds\nx = 1"),
        ("c-fail", "y = undefined_name"),
        ("c-again", "from dotscience import executions as _e\nassert not _e.install()"),
        ("c-start", "ds.start()\nds.parameter('x', x)"),
        ("c-late", "x = x + 1  # unicode: café"),
        ("c-late", "x = x + 1  # unicode: café"),
        ("c-publish", "published = ds.publish('first')"),
    ]
    with kernel(tmp_path) as k:
        replies = []
        for cell_id, code in cells[:4]:
            replies.append(k.execute(code, cell_id))
        k.execute("hidden = 1", silent=True)
        k.execute("   \n", "c-empty")
        for cell_id, code in cells[4:]:
            replies.append(k.execute(code, cell_id))

    # When the run is read from the spool
    record = only_record(tmp_path)

    # Then every execution is there with its cell id and exact source, in the order they
    # ran (the silent and the empty ones are not), numbered from 0 with their counts
    assert ran(record) == [("cell", cell_id, code) for cell_id, code in cells]
    executions = record["executions"]
    assert [e["seq"] for e in executions] == list(range(len(cells)))
    assert [e["execution_count"] for e in executions] == [r["execution_count"] for r in replies]
    # And the failed cell carries its error, the publishing cell is still running
    assert executions[1]["success"] is False
    assert executions[1]["error"] == "NameError: name 'undefined_name' is not defined"
    assert [e["success"] for e in executions] == [True, False, True, True, True, True, None]
    assert executions[-1]["end"] is None and executions[-1]["error"] is None
    assert all(e["end"] >= e["start"] for e in executions[:-1])
    # And state built before ds.start() is included, outside the run
    assert [e["in_run"] for e in executions] == [False, False, False, True, True, True, True]
    # And each source is kept once, by its sha256
    assert record["sources"] == {sha(code): code for _, code in cells}
    assert len(record["sources"]) == len(cells) - 1
    # And the kernel session and where the run was published from are recorded
    assert record["published_from"] == "cell"
    assert uuid.UUID(record["kernel"]["session"]).version == 4
    assert record["kernel"]["cwd"] == "" and record["kernel"]["name"] is None
    assert record["kernel"]["started"] <= executions[0]["start"]
    assert record["reproduces"] is None
    # And a kernel's command line (its launcher, naming its connection file) is not its argv
    assert record["argv"] == []
    # And the store accepts the record as it is
    stored = normalize_record(record)
    assert [e["source_sha256"] for e in stored["executions"]] == [sha(c) for _, c in cells]


def test_cells_that_ran_before_import_dotscience_are_recorded(tmp_path):
    # Given a kernel that ran two cells (one failing) before the one importing dotscience
    with kernel(tmp_path) as k:
        k.execute("a = 40", "c-a")
        k.execute("a.missing", "c-broken")
        k.execute("import dotscience as ds\nb = a + 2", "c-import")
        k.execute("ds.start()\nds.parameter('b', b)\nds.publish()", "c-run")

    # When the run is read
    record = only_record(tmp_path)

    # Then the earlier cells are there from IPython's history (no cell id, their outcome),
    # and the importing cell with its cell id
    assert ran(record) == [
        ("cell", None, "a = 40"),
        ("cell", None, "a.missing"),
        ("cell", "c-import", "import dotscience as ds\nb = a + 2"),
        ("cell", "c-run", "ds.start()\nds.parameter('b', b)\nds.publish()"),
    ]
    executions = record["executions"]
    assert [e["execution_count"] for e in executions] == [1, 2, 3, 4]
    assert [e["success"] for e in executions] == [True, False, True, None]
    assert executions[1]["error"].startswith("AttributeError")
    assert [e["in_run"] for e in executions] == [False, False, False, True]
    normalize_record(record)


# -- the sidebar and settings ----------------------------------------------------------------


def test_sidebar_requests_and_the_autolog_setting_are_recorded_as_replayable_code(tmp_path):
    # Given a kernel started in a subdirectory, attached to by JupyterLab's silent code, with
    # the autolog setting applied silently, a cell, and a run made from the sidebar
    (tmp_path / "nb").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "in.csv").write_text("a,b\n1,2\n")
    with kernel(tmp_path, tmp_path / "nb") as k:
        assert k.execute(ATTACH_CODE, silent=True)["status"] == "ok"
        hello = {"method": "hello", "request_id": "h", "kernel_id": None,
                 "notebook": "nb/x.ipynb", "kernel_name": "python3"}  # fmt: skip
        assert k.request(hello)["ok"] is True
        assert k.execute(AUTOLOG_SETTING_CODE, silent=True)["status"] == "ok"
        k.execute("import dotscience as ds\nlr = 0.5", "c-1")
        requests = [
            {"method": "start", "request_id": "s", "description": "from the sidebar"},
            {"method": "declare", "request_id": "p", "kind": "parameter", "key": "C",
             "value": 1.0},
            {"method": "declare", "request_id": "i", "kind": "input", "path": "data/in.csv",
             "root_relative": True},
            {"method": "declare", "request_id": "bad", "kind": "parameter", "key": "",
             "value": 1},
            {"method": "declare", "request_id": "l", "kind": "label", "key": "team",
             "value": "it's \"ml\""},
            {"method": "publish", "request_id": "pub", "description": "sidebar run",
             "build": False},
        ]  # fmt: skip
        acks = {r["request_id"]: k.request(r) for r in requests}

    # When the run is read
    assert [rid for rid, ack in acks.items() if not ack["ok"]] == ["bad"]
    record = only_record(tmp_path)

    # Then the setting and each sidebar request are executions of the equivalent code, in
    # order with the cell (the silent code itself and the refused request are not there)
    prefix = "import dotscience as ds\n"
    assert ran(record) == [
        ("setting", None, prefix + "ds.autolog()"),
        ("cell", "c-1", "import dotscience as ds\nlr = 0.5"),
        ("sidebar", None, prefix + "ds.start('from the sidebar')"),
        ("sidebar", None, prefix + "ds.add_parameter('C', 1.0)"),
        ("sidebar", None, prefix + "ds.add_input('../data/in.csv')"),
        ("sidebar", None, prefix + "ds.add_label('team', 'it\\'s \"ml\"')"),
        ("sidebar", None, prefix + "ds.publish('sidebar run')"),
    ]
    assert record["executions"][-1]["end"] is None
    assert [e["in_run"] for e in record["executions"]] == [False] * 2 + [True] * 5
    assert record["published_from"] == "sidebar"
    assert record["kernel"]["name"] == "python3" and record["kernel"]["cwd"] == "nb"
    normalize_record(record)

    # And executing that code in a fresh kernel in a copy of the workspace makes the same run
    copy = tmp_path / "copy"
    (copy / "nb").mkdir(parents=True)
    shutil.copytree(tmp_path / "data", copy / "data")
    with kernel(copy, copy / "nb") as k:
        for _, _, source in ran(record):
            assert k.execute(source)["status"] == "ok", source
    replay = only_record(copy)
    for field in ("description", "parameters", "labels", "inputs"):
        assert replay[field] == record[field], field


def test_each_change_of_the_autolog_settings_is_recorded_in_order(tmp_path):
    # Given a kernel where the settings turn autolog on, then publishing at cell end on,
    # then autolog off, around cells (each applied silently, as JupyterLab does)
    with kernel(tmp_path) as k:
        k.execute(ATTACH_CODE, silent=True)
        k.execute(settings_code(False, False), silent=True)  # the defaults: nothing to replay
        k.execute("import dotscience as ds", "c-1")
        k.execute(settings_code(True, False), silent=True)
        k.execute(settings_code(True, False), silent=True)  # applied again: no change
        k.execute(settings_code(True, True), silent=True)
        k.execute("x = 1", "c-2")
        k.execute(settings_code(False, True), silent=True)
        k.execute("ds.publish()", "c-3")

    # When the run is read; Then each change is there as the code that makes it, in order
    prefix = "import dotscience as ds\n"
    assert ran(only_record(tmp_path)) == [
        ("cell", "c-1", "import dotscience as ds"),
        ("setting", None, prefix + "ds.autolog()"),
        ("setting", None, prefix + "ds.autolog.configure({'publishAtCellEnd': True})"),
        ("cell", "c-2", "x = 1"),
        ("setting", None, prefix + "ds.autolog(disable=True)"),
        # (turning autolog off resets publishing at cell end; the setting keeps it on)
        ("setting", None, prefix + "ds.autolog.configure({'publishAtCellEnd': True})"),
        ("cell", "c-3", "ds.publish()"),
    ]


def test_hello_refuses_a_kernel_name_that_is_not_a_name(tmp_path):
    # Given a kernel attached to by the bridge
    with kernel(tmp_path) as k:
        k.execute(ATTACH_CODE, silent=True)
        # When the frontend's hello carries a number, or 201 characters, as kernel name
        bad = [k.request({"method": "hello", "request_id": f"h{i}", "kernel_id": None,
                          "notebook": "x.ipynb", "kernel_name": name})
               for i, name in enumerate([5, "k" * 201])]  # fmt: skip
        k.execute("import dotscience as ds\nds.publish()", "c")
    # Then each is refused with a sentence, and the record has no kernel name
    assert [a["ok"] for a in bad] == [False, False]
    assert all("kernel_name" in a["error"] for a in bad)
    assert only_record(tmp_path)["kernel"]["name"] is None
    # And the schema the frontend's types come from describes the same limit
    hello = jsonschema.Draft7Validator(
        {"$ref": "#/definitions/HelloRequest", "definitions": SCHEMA["definitions"]}
    )
    ok = {"method": "hello", "request_id": "h", "kernel_id": None, "notebook": "x.ipynb"}
    assert hello.is_valid({**ok, "kernel_name": "python3"})
    assert hello.is_valid(ok)  # older frontends do not send it
    assert not any(hello.is_valid({**ok, "kernel_name": name}) for name in (5, "k" * 201))


# -- no browser ------------------------------------------------------------------------------


def test_a_notebook_executed_by_nbconvert_spools_its_executions(tmp_path):
    # Given a notebook whose first cell runs before dotscience is imported
    sources = ["x = 2", "import dotscience as ds", "ds.start()\nds.parameter('x', x)",
               "ds.publish('from nbconvert')"]  # fmt: skip
    notebook = {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "cells": [{"cell_type": "code", "id": f"cell-{i}", "metadata": {}, "outputs": [],
                   "execution_count": None, "source": s} for i, s in enumerate(sources)]
        + [{"cell_type": "markdown", "id": "md", "metadata": {}, "source": "# notes"}],
    }  # fmt: skip
    (tmp_path / "analysis").mkdir()
    path = tmp_path / "analysis" / "nb.ipynb"
    path.write_text(json.dumps(notebook))

    # When it is executed headless, with no browser and no server
    proc = subprocess.run(
        [JUPYTER, "nbconvert", "--execute", "--to", "notebook", "--output", "done", str(path)],
        cwd=tmp_path, env=child_env(tmp_path), capture_output=True, text=True,
        timeout=DEADLINE * 2,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr

    # Then its run is in the spool with every cell's exact source, in order
    record = only_record(tmp_path)
    assert [source for _, _, source in ran(record)] == sources
    executions = record["executions"]
    assert [e["execution_count"] for e in executions] == [1, 2, 3, 4]
    assert [e["in_run"] for e in executions] == [False, False, True, True]
    assert executions[-1]["end"] is None and executions[-1]["success"] is None
    assert all(e["success"] for e in executions[:-1])
    assert record["published_from"] == "cell"
    assert record["kernel"]["cwd"] == "analysis"
    assert record["parameters"]["x"]["value"] == 2
    normalize_record(record)


def test_hostile_sources_still_make_a_record_the_store_accepts(tmp_path):
    # Given IPython running cells with a NUL character and a lone surrogate in their source,
    # and one with a 300-character cell id
    script = tmp_path / "shell.py"
    script.write_text(
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "sh = InteractiveShell.instance()\n"
        "sh.run_cell('import dotscience as ds', store_history=True)\n"
        "sh.run_cell('x = 1\\x00', store_history=True)\n"
        "sh.run_cell('s = \"\\ud800\"', store_history=True)\n"
        "sh.run_cell('y = 2', store_history=True, cell_id='c' * 300)\n"
        "sh.run_cell('ds.publish()', store_history=True)\n"
    )
    # When it publishes
    proc = subprocess.run([PYTHON, str(script)], cwd=tmp_path, env=child_env(tmp_path),
                          capture_output=True, text=True, timeout=DEADLINE)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    record = only_record(tmp_path)

    # Then the record is accepted, the NUL and the surrogate kept as escapes, the cell id
    # that is not one left out, every execution there
    stored = normalize_record(record)
    assert [s for _, _, s in ran(record)] == [
        "import dotscience as ds", "x = 1\\x00", 's = "\\ud800"', "y = 2",
        "ds.publish()"]  # fmt: skip
    assert record["executions"][1]["success"] is False
    assert record["executions"][3]["cell_id"] is None
    assert len(stored["executions"]) == 5


# -- scripts ---------------------------------------------------------------------------------


def git(repo: pathlib.Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return proc.stdout


@pytest.fixture
def repo(tmp_path):
    """A git repository with a committed script and binary file."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "t@example.com")
    git(repo, "config", "user.name", "t")
    (repo / "train.py").write_text(TRAIN.format(lr=0.1))
    (repo / "weights.bin").write_bytes(bytes(range(256)) * 4)
    git(repo, "add", "train.py", "weights.bin")
    git(repo, "commit", "-q", "-m", "first")
    return repo


TRAIN = """import sys
import dotscience as ds

ds.script()
ds.start()
ds.parameter("lr", {lr})
ds.parameter("args", " ".join(sys.argv[1:]))
ds.publish("script")
"""


def run_script(repo: pathlib.Path, name: str, *args: str, **env) -> dict:
    before = {r["id"] for r in spooled(repo)}
    proc = subprocess.run([PYTHON, name, *args], cwd=repo, env=child_env(repo, **env),
                          capture_output=True, text=True, timeout=DEADLINE)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (record,) = [r for r in spooled(repo) if r["id"] not in before]
    return record


def apply_to_a_checkout(repo: pathlib.Path, record: dict, where: pathlib.Path) -> pathlib.Path:
    """Clone ``repo`` at the record's commit and ``git apply`` its patch there."""
    git(repo.parent, "clone", "-q", str(repo), str(where))
    git(where, "checkout", "-q", "--detach", record["git"]["commit"])
    patch = where.parent / f"{where.name}.patch"
    patch.write_text(record["sources"][record["git"]["patch_sha256"]])
    git(where, "apply", "--whitespace=nowarn", str(patch))
    return where


def test_a_script_run_in_a_dirty_tree_records_a_patch_git_apply_reproduces(repo, tmp_path):
    # Given a committed script, changed since, and a changed binary file
    (repo / "train.py").write_text(TRAIN.format(lr=0.25) + "# tuned\n")
    weights = bytes(reversed(range(256))) * 4 + b"\x00tail"
    (repo / "weights.bin").write_bytes(weights)

    # When the script publishes a run
    record = run_script(repo, "train.py", "--epochs", "3")

    # Then it records the commit, the dirty flag and a patch of the changes, and no
    # executions (a script is not a kernel session)
    head = git(repo, "rev-parse", "HEAD").strip()
    assert record["git"]["commit"] == head and record["git"]["dirty"] is True
    assert record["git"]["branch"] == "main"
    assert record["git"]["patch_sha256"] in record["sources"]
    assert "patch_error" not in record["git"]
    assert record["executions"] == [] and record["published_from"] == "script"
    assert record["argv"] == ["train.py", "--epochs", "3"]
    assert record["workload_file"] == "train.py" and record["kernel"]["cwd"] == ""
    normalize_record(record)
    # And applying the patch to a checkout of the commit gives the files the script ran with
    checkout = apply_to_a_checkout(repo, record, tmp_path / "checkout")
    assert (checkout / "train.py").read_text() == (repo / "train.py").read_text()
    assert (checkout / "weights.bin").read_bytes() == weights


def test_an_untracked_script_is_part_of_the_patch(repo, tmp_path):
    # Given a script that was never committed, in a tree otherwise clean
    (repo / "sweep.py").write_text(TRAIN.format(lr=0.5))

    # When it publishes a run
    record = run_script(repo, "sweep.py")

    # Then the patch adds it, so a checkout of the commit can run it
    assert record["git"]["dirty"] is False
    checkout = apply_to_a_checkout(repo, record, tmp_path / "checkout")
    assert (checkout / "sweep.py").read_text() == TRAIN.format(lr=0.5)
    normalize_record(record)


def test_a_clean_tree_records_no_patch(repo):
    # Given a committed script, unchanged; When it publishes
    record = run_script(repo, "train.py")
    # Then the commit is recorded and no patch, with no error
    assert record["git"]["dirty"] is False and record["git"]["patch_sha256"] is None
    assert "patch_error" not in record["git"] and record["sources"] == {}


def test_a_patch_over_5_mib_is_not_kept_and_says_why(repo):
    # Given uncommitted changes of 6 MiB of text
    (repo / "big.txt").write_text("")
    git(repo, "add", "big.txt")
    git(repo, "commit", "-q", "-m", "big")
    (repo / "big.txt").write_text("line of text\n" * (6 * 2**20 // 13))

    # When the script publishes
    record = run_script(repo, "train.py")

    # Then no patch is kept, one sentence says why, and the run is still published
    assert record["git"]["dirty"] is True and record["git"]["patch_sha256"] is None
    assert "5 MiB" in record["git"]["patch_error"]
    assert record["sources"] == {}
    normalize_record(record)


def test_a_repository_without_a_commit_says_why_there_is_no_patch(tmp_path):
    # Given a script in a repository that has no commit yet
    repo = tmp_path / "fresh"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "train.py").write_text(TRAIN.format(lr=0.1))
    # When it publishes
    record = run_script(repo, "train.py")
    # Then there is no commit and no patch, and one sentence says why
    assert record["git"]["commit"] is None and record["git"]["patch_sha256"] is None
    assert record["git"]["patch_error"] == (
        "The git repository has no commit yet, so no patch was made.")  # fmt: skip
    normalize_record(record)


def test_a_process_that_is_neither_a_kernel_nor_a_script_run_records_no_patch(repo):
    # Given a dirty tree and a program that never selected script mode
    (repo / "plain.py").write_text("import dotscience as ds\nds.publish()\n")
    (repo / "train.py").write_text(TRAIN.format(lr=0.3))
    # When it publishes
    record = run_script(repo, "plain.py")
    # Then it says nothing about where it was published from, and keeps no patch
    assert record["published_from"] is None and record["executions"] == []
    assert record["git"]["dirty"] is True and record["git"]["patch_sha256"] is None
    assert record["sources"] == {}
    normalize_record(record)


def test_a_replay_records_the_run_it_reproduces(repo):
    # Given the environment variable a reproduction sets; When a script publishes
    original = str(uuid.uuid4())
    record = run_script(repo, "train.py", DOTSCIENCE_REPRODUCES=original)
    garbage = run_script(repo, "train.py", DOTSCIENCE_REPRODUCES="../../etc/passwd")
    # Then the run names the original; a value that is not a run id is ignored
    assert record["reproduces"] == original
    assert garbage["reproduces"] is None
    assert normalize_record(record)["reproduces"] == original


def test_a_long_session_keeps_every_execution_and_each_source_once(tmp_path):
    # Given IPython running 2,000 cells after import dotscience (a long session)
    script = tmp_path / "many.py"
    script.write_text(
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "sh = InteractiveShell.instance()\n"
        "sh.run_cell('import dotscience as ds', store_history=True)\n"
        "for i in range(2000):\n"
        "    sh.run_cell(f'v = {i % 10}', store_history=True)\n"
        "sh.run_cell('ds.publish()', store_history=True)\n"
    )
    proc = subprocess.run([PYTHON, str(script)], cwd=tmp_path, env=child_env(tmp_path),
                          capture_output=True, text=True, timeout=DEADLINE)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    # Then every one is in the record, and the ten distinct sources are kept once each
    record = only_record(tmp_path)
    assert len(record["executions"]) == 2002
    assert len(record["sources"]) == 12
    assert [e["execution_count"] for e in record["executions"]] == list(range(1, 2003))


def test_a_session_over_the_record_limits_keeps_its_newest_executions(tmp_path):
    # Given a session whose sources are over the record's limit (lowered to 64 KiB here;
    # the store refuses a record over the real one, so the whole run would be lost)
    script = tmp_path / "big.py"
    script.write_text(
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "sh = InteractiveShell.instance()\n"
        "sh.run_cell('import dotscience as ds', store_history=True)\n"
        "import dotscience.executions as ex\n"
        "ex.MAX_SOURCE_BYTES = 64 * 1024\n"
        "for i in range(40):\n"
        "    sh.run_cell(f'v = {i}  # ' + 'x' * 4000, store_history=True)\n"
        "sh.run_cell('ds.start()', store_history=True)\n"
        "sh.run_cell('ds.publish()', store_history=True)\n"
    )
    proc = subprocess.run([PYTHON, str(script)], cwd=tmp_path, env=child_env(tmp_path),
                          capture_output=True, text=True, timeout=DEADLINE)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    # When the run is published
    record = only_record(tmp_path)
    executions = record["executions"]
    # Then the record carries the newest executions that fit, ending with the publishing cell
    total = sum(len(t.encode()) for t in record["sources"].values())
    assert total <= 64 * 1024
    assert ran(record)[-1][2] == "ds.publish()"
    # And their seq keeps its number, so the gap says how many were left out
    assert executions[0]["seq"] > 0
    assert [e["seq"] for e in executions] == list(range(executions[0]["seq"], 43))
    # And the store accepts it
    normalize_record(record)
