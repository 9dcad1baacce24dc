"""Local trials on long-lived runners: one runner per parallel slot runs its trials one after
another, each in a fresh kernel and its own scratch copy; a runner that dies or is killed
fails only its trial and the next trial gets a new runner."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pytest

from jupyterlab_dotscience import headless
from jupyterlab_dotscience.reproduce import runner
from jupyterlab_dotscience.sweeps import trial

from .conftest import Workspace, alive, write_notebook

#: Labels what a trial's kernel saw: its process and its parent (the runner), state a
#: previous trial could have left in the kernel or the scratch copy, and its sweep settings
PROBE = (
    "import builtins, json, os, time, dotscience as ds\n"
    "ds.start()\n"
    "n = ds.parameter('n', 0)\n"
    "ds.label('kernel_pid', str(os.getpid()))\n"
    "ds.label('runner_pid', str(os.getppid()))\n"
    "ds.label('kernel_reused', str(hasattr(builtins, 'probe_ran')))\n"
    "builtins.probe_ran = True\n"
    "ds.label('copy_reused', str(os.path.exists('made-by-a-trial.txt')))\n"
    "open('made-by-a-trial.txt', 'w').write(str(n))\n"
    "ds.label('cwd', os.getcwd())\n"
    "ds.label('env_trial', str(json.loads(os.environ['DOTSCIENCE_SWEEP_TRIAL'])['trial']))\n"
)


def _labels(ws: Workspace, sweep_id: str) -> list[dict]:
    return [r["labels"] for r in ws.runs_of(sweep_id)]


def _three_trials(ws: Workspace, source: str, parallelism: int) -> list[dict]:
    """Sweep a one-cell notebook of ``source`` over n = 0, 1, 2, ``parallelism`` trials at
    a time; its runs' labels, once every trial is done."""
    write_notebook(ws.root / "probe.ipynb", [source])
    spec = {"method": "grid", "parameters": {"n": {"values": [0, 1, 2]}},
            "parallelism": parallelism}  # fmt: skip
    sweep = ws.engine.start("probe.ipynb", spec, "local", owner="alice")
    done = ws.wait(sweep["id"])
    assert [t["state"] for t in done["trials"]] == ["done"] * 3, done["trials"]
    return _labels(ws, sweep["id"])


def test_one_slot_runs_its_trials_in_one_runner_each_in_a_fresh_kernel_and_copy(tmp_path):
    # Given a notebook that labels its run with what its kernel sees
    ws = Workspace(tmp_path / "root")
    try:
        # When a 3-trial sweep runs one trial at a time
        labels = _three_trials(ws, PROBE + "ds.metric('m', n)\nds.publish()", parallelism=1)
        # Then one runner started every trial's kernel (its start and imports paid once)
        assert len({lab["runner_pid"] for lab in labels}) == 1, labels
        # And each trial had a kernel of its own that no other trial's code had run in
        assert len({lab["kernel_pid"] for lab in labels}) == 3
        assert [lab["kernel_reused"] for lab in labels] == ["False"] * 3
        # And a scratch copy of its own, without the files earlier trials made
        assert [lab["copy_reused"] for lab in labels] == ["False"] * 3
        assert len({lab["cwd"] for lab in labels}) == 3
        # And its own sweep settings in its environment
        assert [lab["env_trial"] for lab in labels] == ["0", "1", "2"]
        # And once the sweep is over no kernel of it is left running
        kernels = [int(lab["kernel_pid"]) for lab in labels]
        deadline = time.monotonic() + 60
        while any(alive(pid) for pid in kernels):
            assert time.monotonic() < deadline, "a trial's kernel outlived its sweep"
            time.sleep(0.2)
    finally:
        ws.close()


def test_a_runner_that_dies_fails_only_its_trial(tmp_path):
    # Given a notebook whose second trial kills the runner that started its kernel, and
    # which writes its kernel's process id first
    ws = Workspace(tmp_path / "root")
    pids = tmp_path / "kernels.txt"
    try:
        write_notebook(ws.root / "crash.ipynb", [
            PROBE + f"open({str(pids)!r}, 'a').write(f'{{os.getpid()}}\\n')\n"
            "if n == 1:\n    import signal\n    os.kill(os.getppid(), signal.SIGKILL)\n"
            "    time.sleep(600)\n"
            "ds.metric('m', n)\nds.publish()",
        ])  # fmt: skip
        spec = {"method": "grid", "parameters": {"n": {"values": [0, 1, 2]}},
                "parallelism": 1}  # fmt: skip
        # When the sweep runs one trial at a time
        sweep = ws.engine.start("crash.ipynb", spec, "local", owner="alice")
        done = ws.wait(sweep["id"])
        # Then only that trial failed, saying its execution ended on a signal, and the
        # sweep went on with the next trial
        assert done["state"] == "done"
        assert [t["state"] for t in done["trials"]] == ["done", "failed", "done"], done
        assert "The execution ended with signal 9" in done["trials"][1]["error"]
        # And the next trial ran in a new runner
        first, _, last = _labels(ws, sweep["id"])
        assert first["runner_pid"] != last["runner_pid"]
        # And the orphaned kernel of the failed trial was killed
        crashed = int(pids.read_text().split()[1])
        deadline = time.monotonic() + 60
        while alive(crashed):
            assert time.monotonic() < deadline, "the crashed trial's kernel is still running"
            time.sleep(0.2)
    finally:
        ws.close()


def test_a_trial_over_the_timeout_is_killed_with_its_kernel_and_the_next_one_runs(tmp_path):
    # Given a server whose trials may run 45 seconds, and a notebook whose second trial
    # sleeps for ten minutes after writing its kernel's process id
    ws = Workspace(tmp_path / "root", timeout=45)
    pids = tmp_path / "kernels.txt"
    try:
        write_notebook(ws.root / "slow.ipynb", [
            PROBE + f"open({str(pids)!r}, 'a').write(f'{{os.getpid()}}\\n')\n"
            "time.sleep(600 if n == 1 else 0)\nds.metric('m', n)\nds.publish()",
        ])  # fmt: skip
        spec = {"method": "grid", "parameters": {"n": {"values": [0, 1, 2]}},
                "parallelism": 1}  # fmt: skip
        # When the sweep runs one trial at a time
        sweep = ws.engine.start("slow.ipynb", spec, "local", owner="alice")
        done = ws.wait(sweep["id"])
        # Then the sleeping trial failed on the timeout and the others finished
        assert [t["state"] for t in done["trials"]] == ["done", "failed", "done"], done
        assert "stopped after 45 seconds" in done["trials"][1]["error"]
        # And its kernel was killed, and the next trial ran in a new runner
        sleeping = int(pids.read_text().split()[1])
        deadline = time.monotonic() + 60
        while alive(sleeping):
            assert time.monotonic() < deadline, "the timed-out trial's kernel is still running"
            time.sleep(0.2)
        first, _, last = _labels(ws, sweep["id"])
        assert first["runner_pid"] != last["runner_pid"]
        assert done["trials"][2]["values"] == {"n": 2}
    finally:
        ws.close()


def test_a_runner_that_died_while_idle_is_not_given_the_next_trial(tmp_path):
    # Given a sweep's pool whose only runner ran a trial and then died while idle
    notebook = write_notebook(tmp_path / "nb" / "probe.ipynb",
                              [PROBE + "ds.metric('m', n)\nds.publish()"])  # fmt: skip
    job = {"sweep": "s", "objective": None, "prune": False, "notebook": "probe.ipynb",
           "notebook_json": json.loads(notebook.read_text()), "directory": "",
           "files": trial.pack_directory(notebook.parent, 10**6), "python": sys.executable,
           "kernel_path": None, "timeout": 240, "scratch_parent": str(tmp_path / "scratch"),
           "kernel": "python3", "max_output_bytes": 10**6}  # fmt: skip
    pool = trial.WorkerPool(sys.executable, tmp_path / "runners")
    try:
        first = trial.run_trial(dict(job, trial=0, values={"n": 0}), workers=pool)
        assert first["outcome"]["event"] == "done", first["outcome"]
        runner = int(first["record"]["labels"]["runner_pid"])
        os.kill(runner, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while alive(runner):
            assert time.monotonic() < deadline, "the runner did not die"
            time.sleep(0.1)
        # When the next trial runs
        second = trial.run_trial(dict(job, trial=1, values={"n": 1}), workers=pool)
        # Then it ran to its end on a new runner, with its own values
        assert second["outcome"]["event"] == "done", second["outcome"]
        assert int(second["record"]["labels"]["runner_pid"]) != runner
        assert second["record"]["labels"]["env_trial"] == "1"
    finally:
        pool.close(wait=True)


#: Labels how the trial's kernel is reached (ipykernel's view of its connection)
SOCKETS_PROBE = (
    "import os, dotscience as ds\nfrom ipykernel.connect import get_connection_info\n"
    "ds.start()\nn = ds.parameter('n', 0)\ninfo = get_connection_info(unpack=True)\n"
    "ds.label('transport', info['transport'])\nds.label('ip', info['ip'])\n"
    "ds.label('sockets_env', str('DOTSCIENCE_KERNEL_SOCKETS' in os.environ))\n"
    "ds.metric('m', n)\nds.publish()"
)


def test_trial_kernels_listen_on_private_unix_sockets_not_tcp_ports(tmp_path):
    # Given a notebook that labels its run with how its kernel is reached
    ws = Workspace(tmp_path / "root")
    try:
        # When three trials run, two at a time
        labels = _three_trials(ws, SOCKETS_PROBE, parallelism=2)
        # Then every kernel listened on Unix sockets, not on TCP ports that another process
        # could take between jupyter_client picking them and the kernel binding them
        assert [lab["transport"] for lab in labels] == ["ipc"] * 3, labels
        # each its own, in one directory that only the server's user can open
        assert len({lab["ip"] for lab in labels}) == 3
        directories = {os.path.dirname(lab["ip"]) for lab in labels}
        assert len(directories) == 1, directories
        info = os.stat(directories.pop())
        assert info.st_uid == os.geteuid() and info.st_mode & 0o777 == 0o700
        # And the notebook's code did not see where that directory is set
        assert [lab["sockets_env"] for lab in labels] == ["False"] * 3
        # And once the sweep is over, no kernel's socket or connection file is left there
        directory = os.path.dirname(labels[0]["ip"])
        names = tuple(os.path.basename(lab["ip"]).removesuffix("-ipc") for lab in labels)
        deadline = time.monotonic() + 60
        while left := [name for name in os.listdir(directory) if name.startswith(names)]:
            assert time.monotonic() < deadline, f"left behind: {left}"
            time.sleep(0.2)
    finally:
        ws.close()


def test_a_socket_directory_others_could_open_or_too_deep_for_a_socket_is_not_used(
        tmp_path, monkeypatch):  # fmt: skip
    # Given a runner told to put its kernels' sockets in a directory others may open
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    monkeypatch.setattr(runner, "_SOCKETS", str(shared))
    # Then its kernels use TCP
    assert runner._transport() == {}
    # And once only its user may open the directory, Unix sockets there, each kernel its own
    shared.chmod(0o700)
    one, two = runner._transport(), runner._transport()
    assert one["transport"] == "ipc" and os.path.dirname(one["ip"]) == str(shared)
    assert one["connection_file"].startswith(str(shared) + os.sep) and one["ip"] != two["ip"]
    # But not in a directory whose sockets' paths would be longer than 107 bytes
    deep = tmp_path / ("d" * 100)
    deep.mkdir(mode=0o700)
    monkeypatch.setattr(runner, "_SOCKETS", str(deep))
    assert runner._transport() == {}
    # Nor in a link to a private directory, nor in a relative path
    link = tmp_path / "link"
    link.symlink_to(shared)
    monkeypatch.setattr(runner, "_SOCKETS", str(link))
    assert runner._transport() == {}
    monkeypatch.setattr(runner, "_SOCKETS", "shared")
    assert runner._transport() == {}


def test_a_killed_servers_socket_directory_is_removed_by_the_next_server(tmp_path):
    # Given a temporary directory short enough for sockets, shared with other programs
    base = tempfile.mkdtemp(prefix="dsk", dir="/tmp")
    env = {**os.environ, "TMPDIR": base}
    make = ("import sys, time\nfrom jupyterlab_dotscience import headless\n"
            "print(headless.kernel_sockets(), flush=True)\n"
            "time.sleep(float(sys.argv[1]))\n")  # fmt: skip
    try:
        # And a server that made its kernels' socket directory there, then was killed
        # (SIGKILL: no exit handler runs)
        first = subprocess.Popen([sys.executable, "-c", make, "60"], env=env,
                                 stdout=subprocess.PIPE, text=True)  # fmt: skip
        killed = first.stdout.readline().strip()
        first.kill()
        first.wait(30)
        first.stdout.close()
        assert os.path.isdir(killed) and os.path.basename(killed).startswith(
            f"ds-kernels-{first.pid}-"
        )
        # And what is not a killed server's socket directory: a live process's, an older
        # name without a process id, a file, and a link to another directory
        mine = os.path.join(base, f"ds-kernels-{os.getpid()}-live")
        os.mkdir(mine, 0o700)
        older = os.path.join(base, "ds-kernels-x1y2z3")
        os.mkdir(older, 0o700)
        plain = os.path.join(base, f"ds-kernels-{first.pid}-file")
        open(plain, "w").close()
        victim = tmp_path / "victim"
        victim.mkdir()
        (victim / "keep.txt").write_text("mine")
        link = os.path.join(base, f"ds-kernels-{first.pid}-link")
        os.symlink(victim, link)
        # When the next server makes its own
        second = subprocess.run([sys.executable, "-c", make, "0"], env=env,
                                capture_output=True, text=True, timeout=60)  # fmt: skip
        assert second.returncode == 0, second.stderr
        made = second.stdout.strip()
        # Then the killed server's directory is gone, and the next one's was made (and
        # removed when it exited)
        assert not os.path.exists(killed)
        assert os.path.dirname(made) == base and not os.path.exists(made)
        # And everything else is as it was
        assert os.path.isdir(mine) and os.path.isdir(older) and os.path.isfile(plain)
        assert os.path.islink(link) and (victim / "keep.txt").read_text() == "mine"
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.slow
def test_many_kernels_started_at_once_all_start(tmp_path):
    # make test-long. Given three runners, each starting kernels one after another, so that
    # kernel starts overlap all the time (over TCP, about 1 in 200 such starts died on a
    # port another process took: "Address already in use")
    notebook = write_notebook(tmp_path / "one.ipynb", ["x = 1"])
    env = headless.environment(tmp_path / "scratch")
    workers = [headless.Worker(sys.executable, tmp_path, env, tmp_path / f"runner-{i}.log")
               for i in range(3)]  # fmt: skip
    outcomes: list[dict] = []

    def run(worker: headless.Worker) -> None:
        for _ in range(40):
            handle = headless.Handle()
            outcomes.append(worker.run(handle, {
                "notebook": str(notebook), "cwd": str(tmp_path), "kernel": "python3",
                "env": env, "executed": None, "shutdown": "immediate"}, timeout=120))  # fmt: skip
            worker.finish(handle)

    try:
        # When each runs 40 notebooks
        threads = [threading.Thread(target=run, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for w in workers:
            w.close()
    # Then all 120 kernels started and ran their notebook
    failed = [o for o in outcomes if o.get("event") != "done"]
    assert len(outcomes) == 120 and not failed, failed[:3]
