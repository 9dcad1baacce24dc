"""The cheaper path of autologging a scikit-learn fit records what the full one did.

The fit keeps the model's bytes (pickled at fit time) and the files are written when the run
is published; the training score of a linear model is computed without the metric's input
checks. What it costs is measured by ``make bench`` (bench/bench_autolog.py), not here.
"""

from __future__ import annotations

import json
import os
import pickle

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import (
    LinearRegression,
    LogisticRegression,
    Perceptron,
    Ridge,
    RidgeClassifier,
    SGDClassifier,
)
from sklearn.tree import DecisionTreeClassifier

from dotscience.autolog import datasets

from .conftest import inputs, series


def data(seed=0, n=200, classes=2):
    rng = np.random.RandomState(seed)
    X = rng.rand(n, 5)
    y = np.minimum((X[:, 0] * classes).astype(int), classes - 1)
    return X, y


def autolog_files(root) -> list:
    return sorted(p for p in (root / ".dotscience" / "autolog").rglob("*") if p.is_file())


def test_the_model_file_is_written_at_publish_as_the_estimator_was_fitted(
    session, capture, tmp_path
):
    # Given autolog on and a model fitted
    X, y = data()
    model = LogisticRegression().fit(X, y)
    fitted = model.predict_proba(X)
    # When the estimator is changed after the fit, before the run is published
    model.coef_[:] = 0.0
    model.intercept_[:] = 0.0
    # Then the fit itself wrote no file
    assert not (tmp_path / ".dotscience" / "autolog").exists() or autolog_files(tmp_path) == []
    # When the run is published
    session.publish()
    record = capture.last
    # Then the registered model file exists and holds the estimator as it was fitted
    [m] = record["models"]
    [f] = m["files"]
    with open(tmp_path / f["path"], "rb") as fh:
        loaded = pickle.load(fh)  # noqa: S301 - the file this test's own fit wrote
    assert np.array_equal(loaded.predict_proba(X), fitted)
    assert f["size"] == (tmp_path / f["path"]).stat().st_size > 0


def test_two_fits_in_one_run_both_write_their_files_at_publish(session, capture, tmp_path):
    # Given two models fitted into one run
    X, y = data()
    LogisticRegression(C=1.0).fit(X, y)
    LogisticRegression(C=2.0).fit(X, y)
    # When it is published
    session.publish()
    # Then both files are outputs on disk, each loading to its own model
    outputs = [o["path"] for o in capture.last["outputs"] if o["path"].endswith("model.pkl")]
    assert len(outputs) == 2
    cs = sorted(pickle.loads((tmp_path / p).read_bytes()).C for p in outputs)  # noqa: S301
    assert cs == [1.0, 2.0]


def test_a_discarded_run_writes_nothing(session, capture, tmp_path):
    # Given a model fitted into a run
    X, y = data()
    LogisticRegression().fit(X, y)
    # When a new run is started and fitted, and that one published
    session.start()
    DecisionTreeClassifier(max_depth=2).fit(X, y)
    session.publish()
    # Then only the published run's model file was written
    [path] = autolog_files(tmp_path)
    assert type(pickle.loads(path.read_bytes())).__name__ == "DecisionTreeClassifier"  # noqa: S301


@pytest.mark.parametrize(
    ("make", "X_y"),
    [
        (lambda: LogisticRegression(), data()),
        (lambda: LogisticRegression(), data(classes=3)),
        (lambda: SGDClassifier(random_state=0), data(classes=3)),
        (lambda: RidgeClassifier(), data()),
        (lambda: Perceptron(random_state=0), data()),
        (lambda: LogisticRegression(), (data()[0].astype(np.float32), data()[1])),
        (lambda: LogisticRegression(), (np.asfortranarray(data()[0]), data()[1])),
        (lambda: LogisticRegression(), (data()[0], np.array(["no", "yes"])[data()[1]])),
        (lambda: LinearRegression(), (data()[0], data()[0] @ [1.0, 2.0, 0.0, 0.0, -1.0])),
        (lambda: Ridge(), (data()[0], data()[0][:, 1] * 3.0)),
        # copy_X=False: the fit centres X in place; the score is on X as the fit left it
        (lambda: LinearRegression(copy_X=False), (data()[0] + 5.0, data()[0][:, 2] - 1.0)),
        (lambda: Ridge(copy_X=False), (data()[0] + 5.0, data()[0] @ [1.0, 0.0, 2.0, 0.0, 1.0])),
        (lambda: DecisionTreeClassifier(max_depth=2), data(classes=3)),
    ],
)
def test_the_training_score_is_exactly_the_models_own_score(session, capture, make, X_y):
    # Given autolog on
    X, y = X_y
    # When a model is fitted and the run published
    model = make().fit(X, y)
    session.publish()
    # Then the training score is the model's own score, to the last bit
    assert series(capture.last, "training_score") == [model.score(X, y)]


def test_data_changed_after_the_fit_is_recorded_as_it_was_fitted(session, capture):
    # Given autolog on and a model fitted on arrays
    X, y = data()
    fitted_X, fitted_y = datasets.fingerprint(X).sha256, datasets.fingerprint(y).sha256
    LogisticRegression().fit(X, y)
    # When the arrays are changed in place before the run is published
    X[:] = 0.0
    y[:] = 1
    session.publish()
    # Then the inputs are the fingerprints of the data the model was fitted on
    assert inputs(capture.last) == {"memory:X": fitted_X, "memory:y": fitted_y}
    assert {i["path"]: i["size"] for i in capture.last["inputs"]} == {
        "memory:X": X.nbytes,
        "memory:y": y.nbytes,
    }


def test_a_listener_sees_each_input_with_its_fingerprint_at_fit_time(session, capture):
    # Given a listener on the session (as the JupyterLab bridge is)
    seen = []
    session.add_listener(lambda event: seen.append(event), metrics=False)
    X, y = data()
    # When a model is fitted
    LogisticRegression().fit(X, y)
    # Then the listener was told about X and y with their fingerprints, before any publish
    told = {f["path"]: f["sha256"] for e in seen if e["event"] == "input" for f in e["files"]}
    assert told == {
        "memory:X": datasets.fingerprint(X).sha256,
        "memory:y": datasets.fingerprint(y).sha256,
    }
    assert session._run.inputs["memory:X"]["sha256"] == datasets.fingerprint(X).sha256


def model_paths(record) -> list:
    return [o["path"] for o in record["outputs"] if o["path"].endswith("model.pkl")]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_process_fits_into_directories_of_its_own(session, capture, tmp_path):
    # Given autolog on and a model already fitted and published in this process
    X, y = data()
    DummyClassifier(strategy="prior").fit(X, y)
    session.publish()
    read_end, write_end = os.pipe()
    # When the process forks, and the child fits and publishes a model of its own
    pid = os.fork()
    if pid == 0:  # the child: report its model file, never return into pytest
        status = 1
        try:
            os.close(read_end)
            session.start()
            DummyClassifier(strategy="most_frequent").fit(X, y)
            session.publish()
            os.write(write_end, json.dumps(model_paths(capture.last)).encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        child_paths = json.loads(reader.read() or b"null")
    assert os.waitpid(pid, 0)[1] == 0
    # And the parent fits and publishes another
    session.start()
    DummyClassifier(strategy="uniform", random_state=0).fit(X, y)
    session.publish()
    # Then each process wrote its model into a directory of its own: both files are there,
    # each holding its own process's model
    [parent_path] = model_paths(capture.last)
    [child_path] = child_paths
    assert os.path.dirname(parent_path) != os.path.dirname(child_path)
    strategies = {pickle.loads((tmp_path / p).read_bytes()).strategy  # noqa: S301 - own files
                  for p in (parent_path, child_path)}  # fmt: skip
    assert strategies == {"most_frequent", "uniform"}
