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
import threading

#: Seconds allowed for the ``git`` call before the git state is reported as unknown.
GIT_TIMEOUT = 2.0
#: A git patch larger than this (bytes) is not kept with a script run.
MAX_PATCH_BYTES = 5 * 2**20
#: Seconds allowed for each ``git`` call making a script run's patch.
GIT_DIFF_TIMEOUT = 20.0


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


def _run_capped(args: list[str], cwd: str, cap: int) -> tuple[bytes | None, int | None]:
    """Run ``git *args`` in ``cwd``: at most ``cap`` + 1 bytes of its output (it is stopped
    then) and its exit status; ``(None, None)`` when git cannot run or takes longer than
    :data:`GIT_DIFF_TIMEOUT`."""
    try:
        proc = subprocess.Popen(
            ["git", *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C", "GIT_PAGER": "cat"},
        )
    except OSError:
        return None, None
    timed_out = threading.Event()

    def stop():
        timed_out.set()
        proc.kill()

    timer = threading.Timer(GIT_DIFF_TIMEOUT, stop)
    timer.start()
    try:
        data = proc.stdout.read(cap + 1)
        if len(data) > cap:
            proc.kill()
        proc.stdout.close()
        code = proc.wait()
    finally:
        timer.cancel()
    if timed_out.is_set():
        return None, None
    return data, code


def git_patch(root: str, workload_file: str | None = None) -> tuple[str | None, str | None]:
    """The uncommitted changes of the git repository holding ``root``, as a patch.

    ``git diff HEAD --binary`` (tracked files, paths from the repository's top), plus the
    workload file as a new file when it is not tracked, so ``git apply`` in a checkout of
    HEAD gives the tree the script ran in. At most :data:`MAX_PATCH_BYTES` are kept.

    Parameters
    ----------
    root : str
        A directory in the repository (the workspace root).
    workload_file : str, optional
        Absolute path of the script that ran.

    Returns
    -------
    (str or None, str or None)
        The patch text (None when the tree is clean or the patch is not kept) and, when it
        is not kept, one sentence saying why.
    """
    top_data, code = _run_capped(["rev-parse", "--show-toplevel"], root, 65536)
    if not top_data or code != 0:
        return None, "The git repository's top directory could not be read."
    top = top_data.decode("utf-8", "surrogateescape").strip()
    data, code = _run_capped(["diff", "HEAD", "--binary", "--no-color", "--no-ext-diff"], top,
                             MAX_PATCH_BYTES)  # fmt: skip
    too_large = (f"The uncommitted changes make a patch over {MAX_PATCH_BYTES // 2**20} MiB, "
                 "more than a run keeps.")  # fmt: skip
    if data is None:
        return None, f"`git diff HEAD` did not finish within {GIT_DIFF_TIMEOUT:g} seconds."
    if len(data) > MAX_PATCH_BYTES:
        return None, too_large
    if code != 0:
        return None, "`git diff HEAD` failed (the repository may have no commit yet)."
    parts = [data]
    if workload_file:
        rel = os.path.relpath(os.path.abspath(workload_file), top)
        listed, code = _run_capped(["ls-files", "--", rel], top, 65536)
        if not rel.startswith("..") and code == 0 and not listed.strip() and \
                os.path.isfile(os.path.join(top, rel)):  # fmt: skip
            extra, code = _run_capped(["diff", "--no-index", "--binary", "--no-color", "--",
                                       os.devnull, rel], top, MAX_PATCH_BYTES)  # fmt: skip
            if extra is None or code not in (0, 1):
                return None, f"The untracked workload file {rel} could not be added to the patch."
            parts.append(extra)
    patch = b"".join(parts)
    if len(patch) > MAX_PATCH_BYTES:
        return None, too_large
    if not patch:
        return None, None
    try:
        text = patch.decode("utf-8")
    except UnicodeDecodeError:
        return None, "The uncommitted changes are not UTF-8 text, so no patch was kept."
    if "\x00" in text:
        return None, "The uncommitted changes contain a NUL character, so no patch was kept."
    return text, None
