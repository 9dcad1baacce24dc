"""Code planted for kernels: the directory put first on every kernel's ``PYTHONPATH`` must be
the server user's own, private one; a planted one (open to others, or a symlink to an
attacker's directory) is refused and never reaches a kernel."""

from __future__ import annotations

import os
import pathlib
import stat
import subprocess
import sys
import time

import pytest

from jupyterlab_dotscience import __version__

from .conftest import http, start_live, token_auth

PAYLOAD = "import pathlib\npathlib.Path({marker!r}).write_text('planted code ran')\n"


def _children(pid: int) -> list[int]:
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def kernel_environment(server) -> dict[str, str]:
    """Start a kernel on ``server`` and return the environment it was started with."""
    status, kernel = http("POST", server.url + "api/kernels", {}, token_auth(server))
    assert status == 201, kernel
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for pid in _children(server.proc.pid):
                try:
                    raw = pathlib.Path(f"/proc/{pid}/environ").read_bytes()
                    cmdline = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes()
                except OSError:
                    continue
                if b"ipykernel" in cmdline:
                    pairs = (item.partition(b"=") for item in raw.split(b"\0") if item)
                    return {k.decode(): v.decode(errors="replace") for k, _, v in pairs}
            time.sleep(0.2)
        raise AssertionError("no kernel process appeared")
    finally:
        http("DELETE", server.url + f"api/kernels/{kernel['id']}", headers=token_auth(server))


def _plant(directory: pathlib.Path, marker: pathlib.Path) -> None:
    """An attacker's ``dotscience`` package that writes ``marker`` when imported."""
    (directory / "dotscience").mkdir(parents=True, exist_ok=True)
    (directory / "dotscience" / "__init__.py").write_text(PAYLOAD.format(marker=str(marker)))


def _import_as_the_kernel_would(env: dict, cwd: pathlib.Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "import dotscience; print(dotscience.__file__)"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    """A private runtime dir and temp dir for the server (so nothing shared is touched)."""
    runtime, tmp, root = tmp_path / "runtime", tmp_path / "tmp", tmp_path / "root"
    for d in (runtime, tmp, root):
        d.mkdir(mode=0o700)
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("TMPDIR", str(tmp))
    return runtime, tmp, root


def _candidates(runtime: pathlib.Path, tmp: pathlib.Path) -> list[pathlib.Path]:
    """Where a kernel-path directory has been looked for: the runtime dir and /tmp."""
    return [
        runtime / f"dotscience-kernel-path-{__version__}",
        tmp / f"dotscience-kernel-path-{os.getuid()}-{__version__}",
    ]


def _assert_refused(server, planted: list[pathlib.Path], marker: pathlib.Path, cwd):
    env = kernel_environment(server)
    entries = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    # Then no planted directory is on the kernel's PYTHONPATH
    for directory in planted:
        assert str(directory) not in entries, entries
        assert not any(e.startswith(str(directory)) for e in entries), entries
    # And importing dotscience as the kernel would never runs the planted code
    imported = _import_as_the_kernel_would(env, cwd)
    assert not marker.exists(), f"planted code ran (imported {imported})"
    assert not any(imported.startswith(str(d)) for d in planted), imported
    # And the server log says why
    log = pathlib.Path(server.log_path).read_text(errors="replace")
    assert "kernel library" in log and "refus" in log, log[-3000:]


def test_a_world_writable_planted_directory_is_refused(dirs, tmp_path):
    # Given another local user created the kernel-path directories first, open to all,
    # with a dotscience package that leaves a marker when imported
    runtime, tmp, root = dirs
    marker = tmp_path / "MARKER"
    planted = _candidates(runtime, tmp)
    for directory in planted:
        directory.mkdir()
        _plant(directory, marker)
        directory.chmod(0o777)
    # When the server starts and starts a kernel
    server = start_live(root)
    try:
        _assert_refused(server, planted, marker, tmp_path)
    finally:
        server.stop()


def test_a_symlinked_planted_directory_is_refused(dirs, tmp_path):
    # Given the kernel-path directories are symlinks to an attacker's private directory
    runtime, tmp, root = dirs
    marker = tmp_path / "MARKER"
    attacker = tmp_path / "attacker"
    attacker.mkdir(mode=0o700)
    _plant(attacker, marker)
    planted = _candidates(runtime, tmp)
    for directory in planted:
        directory.symlink_to(attacker, target_is_directory=True)
    # When the server starts and starts a kernel
    server = start_live(root)
    try:
        _assert_refused(server, [*planted, attacker], marker, tmp_path)
    finally:
        server.stop()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to create another user's directory")
def test_a_directory_owned_by_another_user_is_refused(dirs, tmp_path):
    # Given the kernel-path directories belong to another user (nobody), mode 0700
    runtime, tmp, root = dirs
    marker = tmp_path / "MARKER"
    planted = _candidates(runtime, tmp)
    for directory in planted:
        directory.mkdir(mode=0o700)
        _plant(directory, marker)
        os.chown(directory, 65534, 65534)
    # When the server starts and starts a kernel
    server = start_live(root)
    try:
        _assert_refused(server, planted, marker, tmp_path)
    finally:
        server.stop()


def test_kernels_get_a_private_directory_with_the_real_library(dirs, tmp_path):
    # Given a server with a fresh runtime directory
    runtime, tmp, root = dirs
    server = start_live(root)
    try:
        # When a kernel starts
        env = kernel_environment(server)
    finally:
        server.stop()
    first = pathlib.Path(env["PYTHONPATH"].split(os.pathsep)[0])
    # Then the first PYTHONPATH entry is in Jupyter's runtime dir, ours, mode 0700
    info = first.lstat()
    assert first.parent == runtime and not stat.S_ISLNK(info.st_mode)
    assert info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) == 0o700
    # And importing dotscience from it gives this project's library
    imported = pathlib.Path(_import_as_the_kernel_would(env, tmp_path)).resolve()
    assert imported == pathlib.Path(__file__).resolve().parents[2] / "dotscience/__init__.py"
