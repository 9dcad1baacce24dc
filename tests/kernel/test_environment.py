"""Environment capture at publish."""

from __future__ import annotations

import platform
import shutil
import subprocess

import pytest

import dotscience as ds
from dotscience import environment


def test_environment_has_python_packages_and_host(out):
    # Given a run
    ds.start()
    # When published
    env = ds.publish(stream=out)["environment"]
    # Then interpreter, packages (with versions) and host are recorded
    assert env["python"] == platform.python_version()
    assert env["packages"]["numpy"]
    assert env["hostname"] and env["platform"] and env["executable"]


def test_git_is_null_outside_a_repository(out):
    # Given a workspace that is not a git repository
    ds.start()
    # When published
    # Then git is null
    assert ds.publish(stream=out)["environment"]["git"] is None


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_git_commit_branch_and_dirty_are_recorded(workspace, out):
    # Given a git repository with a commit and then a modified tracked file
    def git(*args):
        subprocess.run(["git", *args], cwd=workspace, check=True, capture_output=True)

    git("init", "-b", "trunk")
    (workspace / "train.py").write_text("print(1)\n")
    git("add", "train.py")
    git("-c", "user.name=t", "-c", "user.email=t@e", "commit", "-m", "c")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=workspace, capture_output=True,
                          text=True).stdout.strip()  # fmt: skip
    ds.start()
    clean = ds.publish(stream=out)["environment"]["git"]
    (workspace / "train.py").write_text("print(2)\n")
    # When published again
    dirty = ds.publish(stream=out)["environment"]["git"]
    # Then commit, branch and dirtiness are right
    assert clean == {"commit": head, "dirty": False, "branch": "trunk"}
    assert dirty["dirty"] is True


def test_missing_git_gives_null(monkeypatch, tmp_path):
    # Given no git on PATH
    monkeypatch.setenv("PATH", str(tmp_path))
    # When git state is read
    # Then it is null, not an error
    assert environment.git_state(str(tmp_path)) is None


def test_notebook_path_comes_from_the_jupyter_session(monkeypatch, out):
    # Given a kernel started for a notebook
    monkeypatch.setenv("JPY_SESSION_NAME", "analysis/x.ipynb")
    ds.start()
    # When published
    # Then the notebook is recorded root-relative
    assert ds.publish(stream=out)["notebook"] == "analysis/x.ipynb"
