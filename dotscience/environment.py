"""Environment capture at publish: interpreter, packages, platform, host, git state.

The parts that cannot change within a process are computed once and cached; git state is
read per publish with one short ``git status`` call.
"""

from __future__ import annotations

import functools
import os
import platform
import socket
import subprocess
import sys

#: Seconds allowed for the ``git`` call before the git state is reported as unknown.
GIT_TIMEOUT = 2.0


@functools.lru_cache(maxsize=1)
def packages() -> dict[str, str]:
    """Installed distributions and versions (importlib.metadata), cached per process."""
    from importlib import metadata

    found = {}
    for dist in metadata.distributions():
        try:
            name = dist.metadata["Name"]
        except Exception:
            continue
        if name and name not in found:
            found[name] = dist.version
    return dict(sorted(found.items(), key=lambda kv: kv[0].lower()))


@functools.lru_cache(maxsize=1)
def _static() -> dict:
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "hostname": socket.gethostname(),
        "executable": sys.executable,
    }


def git_state(root: str) -> dict | None:
    """``{"commit", "dirty", "branch"}`` of the git repository holding ``root``, else None.

    None when ``root`` is not in a repository, git is not installed or it is too slow.
    """
    try:
        proc = subprocess.run(
            ["git", "status", "--porcelain=v2", "--branch", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    commit = branch = None
    dirty = False
    for line in proc.stdout.splitlines():
        if line.startswith("# branch.oid "):
            oid = line[len("# branch.oid ") :].strip()
            commit = None if oid == "(initial)" else oid
        elif line.startswith("# branch.head "):
            head = line[len("# branch.head ") :].strip()
            branch = None if head == "(detached)" else head
        elif line and not line.startswith("#"):
            dirty = True
    return {"commit": commit, "dirty": dirty, "branch": branch}


def capture(root: str) -> dict:
    """The ``environment`` object of a run record."""
    env = dict(_static())
    env["packages"] = dict(packages())
    env["git"] = git_state(root)
    return env
