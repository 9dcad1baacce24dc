"""The build bundle is self-contained: its requirements install into a clean virtualenv,
and the model server runs from it there."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import joblib
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from dotscience.environment import packages
from jupyterlab_dotscience.artifacts import ArtifactStore
from jupyterlab_dotscience.models import build
from jupyterlab_dotscience.models.supervisor import start_server, wait_ready

from .conftest import post_json


@pytest.mark.timeout(600)
def test_bundle_installs_into_a_clean_venv_and_serves(tmp_path):
    # Given a scikit-learn model version and the environment captured at publish
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=1000).fit(X, y)
    (tmp_path / "m").mkdir()
    joblib.dump(model, tmp_path / "m" / "model.joblib")
    arts = ArtifactStore(tmp_path / "arts")
    sha = arts.put_file(tmp_path / "m" / "model.joblib")
    # allow_pickle: the server's decision for a model published with the deploy privilege
    version = {"name": "iris", "version": 1, "framework": "sklearn", "path": "m/model.joblib",
               "files": [{"path": "m/model.joblib", "sha256": sha}], "allow_pickle": True}  # fmt: skip
    run = {"environment": {"python": sys.version.split()[0], "packages": packages()}}
    # When the bundle is built
    bundle = build.write_bundle(version, run, arts, tmp_path / "bundle", log=lambda s: None)
    reqs = (tmp_path / "bundle" / "requirements.txt").read_text()
    # Then its requirements are pinned to the publishing environment
    import numpy
    import sklearn

    assert f"scikit-learn=={sklearn.__version__}" in reqs and f"numpy=={numpy.__version__}" in reqs
    assert "FROM python:3." in (tmp_path / "bundle" / "Dockerfile").read_text()
    # When they are installed into a fresh virtualenv (no system site-packages)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_REQUIRE_VIRTUALENV")}
    proc = subprocess.run(
        [py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r",
         str(tmp_path / "bundle" / "requirements.txt")],
        capture_output=True, text=True, env=env, timeout=540,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    # Then the model server runs from the bundle with that interpreter and predicts
    server = start_server(py, bundle["bundle"], tmp_path / "w", "venv-dep")
    try:
        ok, reason, port = wait_ready(server, tmp_path / "w", "127.0.0.1", "venv-dep", 60)
        assert ok, reason
        got = post_json(f"http://127.0.0.1:{port}/v1/models/iris:predict",
                        {"instances": X[::30].tolist()})  # fmt: skip
        assert got["predictions"] == model.predict(X[::30]).tolist()
        # And nothing outside the venv was imported: the server runs without Dotscience
        check = subprocess.run([py, "-c", "import jupyterlab_dotscience"], capture_output=True, cwd=tmp_path,
                               env=env)  # fmt: skip
        assert check.returncode != 0
    finally:
        server.stop()
    assert json.loads((tmp_path / "bundle" / "model.json").read_text())["files"][0]["sha256"] == sha
