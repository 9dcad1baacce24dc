"""`make lab` starts JupyterLab with the extension, on the embedded store, with the quickstart."""

import json
import os
import pathlib
import secrets
import shlex
import signal
import subprocess
import time
import urllib.error
import urllib.request

from tests.server.live import free_port

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_make_lab_serves_the_quickstart_with_the_extension(tmp_path):
    # Given the exact command `make lab` runs (set-up already done by make), on a free port
    port, token = free_port(), secrets.token_hex(8)
    dry = subprocess.run(
        ["make", "-s", "-n", "lab", f"PORT={port}"], cwd=ROOT, capture_output=True, text=True
    )
    assert dry.returncode == 0, dry.stderr
    command = dry.stdout.replace("\\\n", " ").strip().splitlines()[-1]
    argv = shlex.split(command) + [f"--IdentityProvider.token={token}"]
    assert any(a.endswith("examples/quickstart.ipynb") for a in argv), argv
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOTSCIENCE_")}
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "runtime")
    # When it runs
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=open(tmp_path / "lab.log", "wb"), start_new_session=True)  # fmt: skip
    try:
        version = None
        for _ in range(120):
            assert proc.poll() is None, (tmp_path / "lab.log").read_text()[-2000:]
            try:
                req = urllib.request.Request(
                    f"http://127.0.0.1:{port}/dotscience/api/version",
                    headers={"Authorization": f"token {token}"},
                )
                version = json.loads(urllib.request.urlopen(req, timeout=2).read())
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        # Then the server extension answers on the embedded store, rooted at examples/
        assert version and version["store"] == "sqlite"
        assert version["root_dir"] == str(ROOT / "examples")
        # And the quickstart notebook is there to open, and the frontend extension is installed
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/contents/quickstart.ipynb?content=0",
            headers={"Authorization": f"token {token}"},
        )
        assert json.loads(urllib.request.urlopen(req).read())["type"] == "notebook"
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}").read()
        assert b"jupyterlab-dotscience" in page
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
