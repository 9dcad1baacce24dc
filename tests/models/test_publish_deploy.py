"""Publish with deploy from code (scikit-learn, PyTorch, ONNX) to a real server, then predict."""

from __future__ import annotations

import json
import os
import signal
import urllib.error
import urllib.request

import numpy as np
import pytest

from jupyterlab_dotscience.models.supervisor import pid_alive

from .conftest import post_json, run_script, wait_for

SKLEARN = """
    import json, os
    import joblib, sklearn
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    import dotscience as ds

    ds.script()
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=1000).fit(X, y)
    os.makedirs("iris_model", exist_ok=True)
    joblib.dump(model, "iris_model/model.joblib")
    with open("iris_model/classes.json", "w") as f:
        json.dump(["setosa", "versicolor", "virginica"], f)
    ds.model(sklearn, "iris", "iris_model", classes="iris_model/classes.json")
    ds.add_metric("accuracy", model.score(X, y))
    run = ds.publish("iris", deploy=True)
    rows = X[::15].tolist()
    print(json.dumps({"run": run["id"], "deployments": run.get("deployments"), "rows": rows,
                      "expected": model.predict(rows).tolist()}))
"""


def test_sklearn_publish_deploy_predicts_like_the_model(live):
    # Given a script that trains a scikit-learn model and publishes it with deploy=True
    out = run_script(live, SKLEARN)
    # Then the kernel library printed the endpoint, and the deployment is healthy
    [dep] = out["deployments"]
    assert dep["state"] == "running", dep
    assert f"Deployed model iris v{dep['version']} at {dep['url']}" in out["stdout"]
    assert dep["url"].startswith("http://127.0.0.1:")
    # When predictions are POSTed with both protocols
    rows, expected = out["rows"], out["expected"]
    v1 = post_json(dep["url"] + "v1/models/iris:predict", {"instances": rows})
    flat = np.asarray(rows).ravel().tolist()
    v2 = post_json(
        dep["url"] + "v2/models/iris/infer",
        {"inputs": [{"name": "x", "shape": [len(rows), 4], "datatype": "FP64", "data": flat}]},
    )
    # Then both equal the model's own predict, with class names mapped from classes.json
    assert v1["predictions"] == expected
    names = ["setosa", "versicolor", "virginica"]
    assert v1["class_names"] == [names[i] for i in expected]
    outputs = {o["name"]: o for o in v2["outputs"]}
    assert outputs["predict"]["data"] == expected
    assert outputs["class_name"]["data"] == [names[i] for i in expected]
    # And health, metadata and metrics answer
    with urllib.request.urlopen(dep["url"] + "v2/health/ready") as r:
        assert r.status == 200
    meta = json.loads(urllib.request.urlopen(dep["url"] + "v2/models/iris").read())
    assert meta["platform"] == "sklearn" and meta["inputs"][0]["shape"] == [-1, 4]
    metrics = urllib.request.urlopen(dep["url"] + "metrics").read().decode()
    predictions = [line for line in metrics.splitlines()
                   if line.startswith("dotscience_model_predictions_total{")]  # fmt: skip
    assert predictions and all('model="iris"' in line for line in predictions)
    # And the registry lists the version, linked to its run, with its deployment
    _, models = live.request("GET", "dotscience/api/models")
    [iris] = [m for m in models["models"] if m["name"] == "iris"]
    version = iris["versions"][-1]
    assert version["run_id"] == out["run"] and version["framework"] == "sklearn"
    assert version["build"]["state"] == "done"
    assert "no container builder found: the bundle is at" in version["build"]["message"]
    assert [d["id"] for d in version["deployments"]] == [dep["id"]]


def test_alias_can_be_moved(live):
    # Given two published versions of the iris model
    run_script(live, SKLEARN.replace("deploy=True", "build=True"))
    _, model = live.request("GET", "dotscience/api/models/iris")
    latest = model["latest_version"]
    # When production points at the older one, then moves to the newest
    live.request("PUT", "dotscience/api/models/iris/aliases/production", {"version": latest - 1})
    _, moved = live.request("PUT", "dotscience/api/models/iris/aliases/production",
                            {"version": latest})  # fmt: skip
    # Then the registry shows the alias on the newest version
    _, model = live.request("GET", "dotscience/api/models/iris")
    assert moved["version"] == latest and model["aliases"]["production"] == latest
    assert model["versions"][-1]["build"]["state"] == "done"


TORCH = """
    import json, os
    import torch
    import dotscience as ds

    ds.script()
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    X = torch.randn(64, 3)
    y = (X.sum(dim=1) > 0).long()
    for _ in range(20):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(X), y).backward()
        opt.step()
    os.makedirs("torch_model", exist_ok=True)
    torch.jit.save(torch.jit.script(net.eval()), "torch_model/net.pt")
    ds.model(torch, "torchnet", "torch_model/net.pt")
    run = ds.publish("torch", deploy=True)
    rows = X[:5].tolist()
    with torch.no_grad():
        expected = net(torch.tensor(rows)).tolist()
    print(json.dumps({"deployments": run.get("deployments"), "rows": rows, "expected": expected}))
"""


def assert_serves_like_the_model(out: dict, name: str) -> None:
    """The one healthy deployment of a 3-feature, 2-output model answers both protocols with
    the float outputs the script computed itself (``out["expected"]`` for ``out["rows"]``)."""
    [dep] = out["deployments"]
    assert dep["state"] == "running", dep
    rows, expected = out["rows"], out["expected"]
    v1 = post_json(dep["url"] + f"v1/models/{name}:predict", {"instances": rows})
    v2 = post_json(dep["url"] + f"v2/models/{name}/infer", {"inputs": [
        {"name": "x", "shape": [len(rows), 3], "datatype": "FP32", "data": rows}]})  # fmt: skip
    np.testing.assert_allclose(v1["predictions"], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        np.reshape(v2["outputs"][0]["data"], (len(rows), 2)), expected, rtol=1e-5, atol=1e-6
    )


def test_pytorch_publish_deploy(live):
    pytest.importorskip("torch")
    # Given a small PyTorch model published with deploy=True (TorchScript)
    out = run_script(live, TORCH)
    # Then both protocols answer with the model's own output
    assert_serves_like_the_model(out, "torchnet")


TORCH_PICKLE = """
    import json, os
    import torch
    import dotscience as ds

    ds.script()
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    os.makedirs("pickled", exist_ok=True)
    torch.save(net.eval(), "pickled/net.pt")  # a whole pickled module, not TorchScript
    ds.start()
    ds.model(torch, "torch-plain", "pickled/net.pt")
    plain = ds.publish("without the opt-in", deploy=True)
    ds.start()
    ds.model(torch, "torch-trusted", "pickled/net.pt", trusted_pickle=True)
    trusted = ds.publish("with the opt-in", deploy=True)
    rows = torch.randn(5, 3).tolist()
    with torch.no_grad():
        expected = net(torch.tensor(rows)).tolist()
    print(json.dumps({"plain": plain.get("deployments"), "deployments": trusted.get("deployments"),
                      "rows": rows, "expected": expected}))
"""


def test_pytorch_pickle_is_loaded_only_with_the_jupyter_users_opt_in(live):
    pytest.importorskip("torch")
    # Given a whole pickled PyTorch module, published from the Jupyter user's session twice:
    # without the opt-in, then registered with ds.model(..., trusted_pickle=True)
    out = run_script(live, TORCH_PICKLE)
    # Then without the opt-in the model server refused it (weights_only=True), saying how to fix
    [plain] = out["plain"]
    assert plain["state"] == "failed", plain
    assert "weights_only=True" in plain["reason"] and "torch.jit.save" in plain["reason"]
    # And with the opt-in it is served and answers like the model
    assert_serves_like_the_model(out, "torch-trusted")
    _, model = live.request("GET", "dotscience/api/models/torch-trusted")
    assert model["versions"][-1]["allow_pickle"] is True


ONNX = """
    import json, os
    import onnx
    from skl2onnx import to_onnx
    from sklearn.datasets import load_iris
    from sklearn.tree import DecisionTreeClassifier
    import dotscience as ds

    ds.script()
    X, y = load_iris(return_X_y=True)
    X = X.astype("float32")
    clf = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    os.makedirs("onnx_model", exist_ok=True)
    onx = to_onnx(clf, X[:1], options={id(clf): {"zipmap": False}})
    with open("onnx_model/model.onnx", "wb") as f:
        f.write(onx.SerializeToString())
    ds.model(onnx, "iris-onnx", "onnx_model/model.onnx")
    run = ds.publish("onnx", deploy=True)
    rows = X[::10].tolist()
    print(json.dumps({"deployments": run.get("deployments"), "rows": rows,
                      "expected": clf.predict(X[::10]).tolist()}))
"""


def test_onnx_publish_deploy(live):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("skl2onnx")
    # Given an ONNX model (converted from scikit-learn) published with deploy=True
    out = run_script(live, ONNX)
    [dep] = out["deployments"]
    assert dep["state"] == "running", dep
    # When predictions are POSTed
    v1 = post_json(dep["url"] + "v1/models/iris-onnx:predict", {"instances": out["rows"]})
    v2 = post_json(dep["url"] + "v2/models/iris-onnx/infer", {"inputs": [
        {"name": "X", "shape": [len(out["rows"]), 4], "datatype": "FP32",
         "data": out["rows"]}]})  # fmt: skip
    # Then the label output equals scikit-learn's predict
    assert v1["predictions"] == out["expected"]
    labels = {o["name"]: o["data"] for o in v2["outputs"]}["label"]
    assert labels == out["expected"]


BROKEN = """
    import json, os, sklearn
    import dotscience as ds

    ds.script()
    os.makedirs("broken_model", exist_ok=True)
    with open("broken_model/model.joblib", "wb") as f:
        f.write(b"this is not a pickle")
    ds.model(sklearn, "broken", "broken_model")
    run = ds.publish("broken", deploy=True)
    print(json.dumps({"deployments": run.get("deployments")}))
"""


def test_model_that_fails_to_load_gives_failed_deployment(live):
    # Given a model file that cannot be loaded, published with deploy=True
    out = run_script(live, BROKEN)
    # Then the deployment is failed with the reason (no hang), and the kernel said so
    [dep] = out["deployments"]
    assert dep["state"] == "failed"
    assert "could not load" in dep["reason"] and "model.joblib" in dep["reason"]
    assert "Deploying model broken v1 failed" in out["stdout"]
    _, log = live.request("GET", f"dotscience/api/deployments/{dep['id']}/log")
    assert "cannot serve the model" in log["log"]


def _deploy(live, name, version):
    _, dep = live.request("POST", f"dotscience/api/models/{name}/versions/{version}/deploy", {})
    return wait_for(lambda: (lambda d: d if d["state"] in ("running", "failed") else None)(
        live.request("GET", f"dotscience/api/deployments/{dep['id']}")[1]))  # fmt: skip


def _iris_version(live) -> int:
    _, model = live.request("GET", "dotscience/api/models/iris")
    return model["versions"][0]["version"]


def test_hash_mismatch_is_refused(live):
    version = _iris_version(live)
    bundle = os.path.join(str(live.root), ".dotscience", "builds", "iris", str(version), "bundle")
    # Given the built bundle's model file was altered after the build
    _, before = live.request("GET", "dotscience/api/deployments")
    for d in before["deployments"]:
        if d["model"] == "iris" and d["state"] == "running":
            live.request("DELETE", f"dotscience/api/deployments/{d['id']}")
    target = os.path.join(bundle, "files", "iris_model", "model.joblib")
    with open(target, "ab") as f:
        f.write(b"tampered")
    # When it is deployed, the model server refuses to load it
    dep = _deploy(live, "iris", version)
    assert dep["state"] == "failed" and "hash mismatch" in dep["reason"], dep
    # Given the artifact store's copy was altered too, a rebuild is refused
    _, v = live.request("GET", "dotscience/api/models/iris")
    sha = [f for f in v["versions"][0]["files"] if f["path"].endswith(".joblib")][0]["sha256"]
    stored = os.path.join(str(live.root), ".dotscience", "artifacts", "sha256", sha[:2], sha)
    os.chmod(stored, 0o644)
    original = open(stored, "rb").read()
    with open(stored, "ab") as f:
        f.write(b"tampered")
    try:
        live.request("POST", f"dotscience/api/models/iris/versions/{version}/build",
                     {"rebuild": True})  # fmt: skip
        state = wait_for(lambda: (lambda b: b if b["state"] in ("done", "failed") else None)(
            live.request("GET", f"dotscience/api/models/iris/versions/{version}/build")[1]))  # fmt: skip
        assert state["state"] == "failed" and "hash mismatch" in state["message"]
        assert "refusing to build" in state["log"]
    finally:
        with open(stored, "wb") as f:
            f.write(original)
    # And once restored, a rebuild and deploy work again
    live.request("POST", f"dotscience/api/models/iris/versions/{version}/build", {"rebuild": True})
    wait_for(lambda: live.request(
        "GET", f"dotscience/api/models/iris/versions/{version}/build")[1]["state"] == "done")  # fmt: skip
    assert _deploy(live, "iris", version)["state"] == "running"


def test_deployment_survives_server_restart_and_stops(live):
    # Given a running deployment
    version = _iris_version(live)
    dep = _deploy(live, "iris", version)
    assert dep["state"] == "running"
    # When the Jupyter server restarts
    live.stop()
    live.start()
    # Then the deployment is re-adopted: same process, still answering
    again = wait_for(lambda: (lambda d: d if any(
        "re-adopted" in e["message"] for e in d["events"]) else None)(
        live.request("GET", f"dotscience/api/deployments/{dep['id']}")[1]))  # fmt: skip
    assert again["state"] == "running" and again["pid"] == dep["pid"]
    assert post_json(dep["url"] + "v1/models/iris:predict", {"instances": [[5.1, 3.5, 1.4, 0.2]]})
    # When its process dies while the server is down, it is restarted on the next start
    live.stop()
    os.killpg(dep["pid"], signal.SIGKILL)
    wait_for(lambda: not pid_alive(dep["pid"]))
    live.start()
    restarted = wait_for(lambda: (lambda d: d if d["state"] in ("running", "failed") and d[
        "pid"] != dep["pid"] else None)(
        live.request("GET", f"dotscience/api/deployments/{dep['id']}")[1]), timeout=60)  # fmt: skip
    assert restarted["state"] == "running", restarted
    # When it is stopped
    _, stopped = live.request("DELETE", f"dotscience/api/deployments/{dep['id']}")
    # Then its process is gone and it is listed as stopped
    assert stopped["state"] == "stopped"
    wait_for(lambda: not pid_alive(restarted["pid"]), timeout=10)
    with pytest.raises((urllib.error.URLError, OSError)):
        urllib.request.urlopen(restarted["url"] + "v2/health/live", timeout=2)
    _, listed = live.request("GET", "dotscience/api/deployments")
    assert {d["id"]: d["state"] for d in listed["deployments"]}[dep["id"]] == "stopped"


KERAS = """
    import json, os
    import numpy as np
    import tensorflow as tf
    import dotscience as ds

    ds.script()
    tf.keras.utils.set_random_seed(0)
    X = np.random.RandomState(0).rand(64, 3).astype("float32")
    y = (X.sum(axis=1) > 1.5).astype("int64")
    model = tf.keras.Sequential([tf.keras.Input(shape=(3,)),
                                 tf.keras.layers.Dense(8, activation="relu"),
                                 tf.keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(X, y, epochs=3, verbose=0)
    os.makedirs("keras_model", exist_ok=True)
    model.save("keras_model/model.keras")
    ds.model(tf, "keras-net", "keras_model")
    run = ds.publish("keras", deploy=True)
    rows = X[:5].tolist()
    print(json.dumps({"deployments": run.get("deployments"), "rows": rows,
                      "expected": model.predict(np.array(rows), verbose=0).tolist()}))
"""


def test_keras_publish_deploy(live):
    # TensorFlow is not in the test extras (a large download): this runs where it is installed.
    pytest.importorskip("tensorflow")
    # Given a small Keras model saved as .keras and published with deploy=True
    out = run_script(live, KERAS)
    # Then both protocols answer with the model's own predict
    assert_serves_like_the_model(out, "keras-net")
