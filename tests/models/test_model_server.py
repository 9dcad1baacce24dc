"""The model server alone: batching under concurrency, metrics format, errors."""

from __future__ import annotations

import json
import pathlib
import threading

import joblib
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from jupyterlab_dotscience.artifacts import ArtifactStore
from jupyterlab_dotscience.models import build
from jupyterlab_dotscience.models.supervisor import Process, start_server, wait_ready

from .conftest import post_json


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("server")
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=1000).fit(X, y)
    (tmp / "m").mkdir()
    joblib.dump(model, tmp / "m" / "model.joblib")
    (tmp / "m" / "classes.json").write_text(json.dumps({"0": "a", "1": "b", "2": "c"}))
    arts = ArtifactStore(tmp / "arts")
    files = []
    for rel in ("m/model.joblib", "m/classes.json"):
        sha = arts.put_file(tmp / rel)
        files.append({"path": rel, "sha256": sha, "size": (tmp / rel).stat().st_size})
    # allow_pickle: the server's decision for a model published with the deploy privilege
    version = {"name": "iris", "version": 1, "framework": "sklearn", "path": "m",
               "classes": "m/classes.json", "files": files, "allow_pickle": True}  # fmt: skip
    result = build.write_bundle(version, None, arts, tmp / "bundle", log=lambda s: None)
    again = build.write_bundle(version, None, arts, tmp / "bundle2", log=lambda s: None)
    proc = start_server(__import__("sys").executable, result["bundle"], tmp / "w", "dep-1")
    ok, reason, port = wait_ready(proc, tmp / "w", "127.0.0.1", "dep-1", 30)
    assert ok, reason
    yield {"url": f"http://127.0.0.1:{port}/", "model": model, "X": X, "digests":
           (result["digest"], again["digest"]), "bundle": pathlib.Path(result["bundle"])}  # fmt: skip
    proc.stop()


def test_bundle_is_reproducible(served):
    # Given the same model version built twice, the bundles are identical
    a, b = served["digests"]
    assert a == b
    assert {p.name for p in served["bundle"].iterdir()} >= {
        "Dockerfile",
        "requirements.txt",
        "model.json",
        "files",
        "model_server",
    }


def test_concurrent_requests_are_batched_and_answered_correctly(served):
    # Given 40 clients each asking for a different row at the same time
    X, model, url = served["X"], served["model"], served["url"]
    answers: dict[int, list] = {}

    def ask(i):
        answers[i] = post_json(url + "v1/models/iris:predict", {"instances": [X[i].tolist()]})

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(0, 150, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then every client gets its own row's prediction
    for i, a in answers.items():
        assert a["predictions"] == [int(model.predict(X[i : i + 1])[0])]
        assert a["class_names"] == ["abc"[a["predictions"][0]]]


def test_metrics_are_valid_prometheus_text(served):
    parser = pytest.importorskip("prometheus_client.parser")
    post_json(served["url"] + "v1/models/iris:predict", {"instances": [[1, 2, 3, 4]]})
    text = __import__("urllib.request").request.urlopen(served["url"] + "metrics").read().decode()
    families = {f.name: f for f in parser.text_string_to_metric_families(text)}
    assert {"dotscience_model_requests", "dotscience_model_request_duration_seconds",
            "dotscience_model_predictions", "dotscience_model_errors"} <= set(families)  # fmt: skip
    classes = {s.labels["class"] for s in families["dotscience_model_predictions"].samples}
    assert classes <= {"a", "b", "c"} and classes


def test_bad_requests_are_400_not_crashes(served):
    import urllib.error

    url = served["url"]
    for path, body in [("v1/models/iris:predict", {"instances": [[1, 2]]}),
                       ("v1/models/iris:predict", {"nope": 1}),
                       ("v2/models/iris/infer", {"inputs": [{"datatype": "WHAT", "data": [1]}]})]:  # fmt: skip
        with pytest.raises(urllib.error.HTTPError) as e:
            post_json(url + path, body)
        assert e.value.code == 400
        assert "error" in json.loads(e.value.read())
    with pytest.raises(urllib.error.HTTPError) as e:
        post_json(url + "v1/models/other:predict", {"instances": [[1, 2, 3, 4]]})
    assert e.value.code == 404
    # And the server still answers afterwards
    assert post_json(url + "v1/models/iris:predict", {"instances": [[1, 2, 3, 4]]})["predictions"]


def test_unregistered_file_in_model_directory_is_refused(served, tmp_path):
    import shutil

    from jupyterlab_dotscience.models.server.loaders import LoadError, verify

    bundle = tmp_path / "b"
    shutil.copytree(served["bundle"], bundle)
    (bundle / "files" / "m" / "extra.pkl").write_bytes(b"x")
    manifest = json.loads((bundle / "model.json").read_text())
    with pytest.raises(LoadError, match="not in the registry"):
        verify(str(bundle), manifest)
    assert Process  # imported for symmetry with the supervisor API


def test_hostile_bodies_are_400s_and_the_server_keeps_answering(served):
    import urllib.error
    import urllib.request

    url = served["url"]
    # Given bodies a hostile client sends: JSON nested 100,000 deep, a huge integer, a shape
    # that does not fit the data, and bytes that are not JSON
    bodies = [
        ("v1/models/iris:predict", b'{"instances": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        ("v1/models/iris:predict", b'{"instances": [[' + b"9" * 5000 + b', 1, 2, 3]]}'),
        ("v2/models/iris/infer",
         b'{"inputs": [{"name": "x", "datatype": "FP64", "shape": [7, 7], "data": [1]}]}'),
        ("v2/models/iris/infer", b"\xff\xfe not json"),
    ]  # fmt: skip
    for path, body in bodies:
        req = urllib.request.Request(url + path, data=body, method="POST")
        # When each is posted, Then the answer is a 400 with a sentence, not a crash
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=30)
        assert e.value.code == 400, (path, body[:40])
        assert json.loads(e.value.read())["error"]
    # And the server still predicts
    assert post_json(url + "v1/models/iris:predict", {"instances": [[1, 2, 3, 4]]})["predictions"]
