"""The installed parts are seen and enabled by Jupyter."""

import os
import pathlib
import re
import shutil
import subprocess
import sys
import venv

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(*args, env=None, cwd=None, timeout=600) -> str:
    proc = subprocess.run(
        args, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout, check=False
    )
    out = ANSI.sub("", proc.stdout + proc.stderr)
    assert proc.returncode == 0, f"{' '.join(map(str, args))} failed:\n{out[-3000:]}"
    return out


def test_both_parts_enabled_in_the_dev_environment():
    # Given the project set up by make
    # When Jupyter lists its extensions
    lab = run(str(BIN / "jupyter"), "labextension", "list")
    server = run(str(BIN / "jupyter"), "server", "extension", "list")
    # Then the frontend and the server extension are both enabled and OK
    assert re.search(r"jupyterlab-dotscience v[\d.]+\S* enabled\s+OK", lab), lab
    assert re.search(r"jupyterlab_dotscience enabled", server), server
    assert re.search(r"jupyterlab_dotscience [\d.]+\S* OK", server), server


@pytest.mark.slow
# A wheel build (the whole labextension) plus a fresh virtualenv with JupyterLab from PyPI
# take minutes on a loaded 2-core machine: the suite's 300 s limit per test is not for them;
# each step has its own limit below.
@pytest.mark.timeout(2400)
def test_wheel_installs_and_works_without_node(tmp_path):
    # Given a wheel built the standard way from a clean copy of the sources (Node is needed
    # to build it, not to use it; the copy borrows node_modules to save a download)
    src = tmp_path / "src"
    files = run("git", "-C", str(ROOT), "ls-files", "-z").split("\0")
    for rel in filter(None, files):
        if (ROOT / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, src / rel)
    (src / "node_modules").symlink_to(ROOT / "node_modules")
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(src), timeout=900)
    (wheel,) = dist.glob("jupyterlab_dotscience-*.whl")
    # When it is installed into a fresh virtualenv and used with no Node on the PATH
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    vbin = env_dir / "bin"
    run(str(vbin / "python"), "-m", "pip", "install", "-q", str(wheel), "jupyterlab>=4.6,<4.7")
    isolated = {k: v for k, v in os.environ.items() if not k.startswith(("DOTSCIENCE_", "JUPYTER"))}
    isolated["PATH"] = str(vbin)  # no node, no npm
    assert shutil.which("node", path=isolated["PATH"]) is None
    lab = run(str(vbin / "jupyter"), "labextension", "list", env=isolated, cwd=tmp_path)
    server = run(str(vbin / "jupyter"), "server", "extension", "list", env=isolated, cwd=tmp_path)
    code = "import dotscience, jupyterlab_dotscience as j; print(dotscience.__version__, j.__version__)"
    versions = run(str(vbin / "python"), "-c", code, env=isolated, cwd=tmp_path).split()
    # Then both parts are enabled, and all three report the one version of package.json
    assert re.search(r"jupyterlab-dotscience v[\d.]+\S* enabled\s+OK", lab), lab
    assert re.search(r"jupyterlab_dotscience [\d.]+\S* OK", server), server
    import json

    expected = json.loads((ROOT / "package.json").read_text())["version"]
    assert versions == [expected, expected]
