"""What a scikit-learn fit records is the estimator as it was when that fit returned.

The fit keeps a copy of the estimator's state and of the training data; the model file is
pickled from that copy when the run is published (and the training score of a linear model
computed from it). Whatever happens to the estimator in between (a refit, a ``partial_fit``,
a pipeline refitting it as a step, ``set_params``, its arrays changed in place) must not
reach the first fit's record. Each test below fails when the snapshot is taken late.
"""

from __future__ import annotations

import os
import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import dotscience as ds
from dotscience.autolog import autolog
from dotscience.runs import Run

from .conftest import series


def data(seed=0, n=120, width=4):
    rng = np.random.RandomState(seed)
    X = rng.rand(n, width)
    y = (X[:, 0] + 0.2 * rng.rand(n) > 0.6).astype(int)
    return X, y


def model_files(record: dict, root) -> list[bytes]:
    """The bytes of every autologged model file the record lists as an output, in fit order."""
    paths = [o["path"] for o in record["outputs"] if o["path"].endswith("/model.pkl")]
    by_fit = sorted(paths, key=lambda p: int(p.split("/")[-3][len("fit") :]))
    return [(root / p).read_bytes() for p in by_fit]


def test_a_refit_of_the_same_estimator_keeps_the_first_fits_model_and_score(
    session, capture, tmp_path
):
    # Given one estimator fitted, then fitted again on other data in the same run
    X1, y1 = data(1)
    X2, y2 = data(2)
    model = LogisticRegression(C=0.7).fit(X1, y1)
    first_bytes = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    first_score = model.score(X1, y1)
    model.fit(X2, y2)
    second_bytes = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    second_score = model.score(X2, y2)
    assert first_bytes != second_bytes
    # When the run is published
    session.publish()
    record = capture.last
    # Then each fit has its own score and model file, each as that fit left the estimator
    assert series(record, "training_score") == [first_score]
    assert series(record, "fit1.training_score") == [second_score]
    assert model_files(record, tmp_path) == [first_bytes, second_bytes]


def test_a_partial_fit_after_the_fit_does_not_reach_the_fits_record(session, capture, tmp_path):
    # Given a model fitted under autolog (partial_fit itself is not a logged fit)
    X, y = data(3)
    model = SGDClassifier(random_state=0, max_iter=50, tol=None).fit(X, y)
    fitted_bytes = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    fitted_score = model.score(X, y)
    # When it is trained further with partial_fit before the run is published
    X2, y2 = data(4)
    for _ in range(5):
        model.partial_fit(X2, 1 - y2)
    assert pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL) != fitted_bytes
    session.publish()
    record = capture.last
    # Then the run has the model and training score of the fit, not of the partial fits
    assert series(record, "training_score") == [fitted_score]
    assert model_files(record, tmp_path) == [fitted_bytes]


def test_a_pipeline_refitting_the_estimator_as_a_step_keeps_the_first_fits_record(
    session, capture, tmp_path
):
    # Given an estimator fitted on its own, then used as a step of a pipeline that is fitted
    # (the step's own fit is nested, so not logged, and changes the same object)
    X1, y1 = data(5)
    X2, y2 = data(6)
    clf = LogisticRegression(C=2.0).fit(X1, y1)
    first_bytes = pickle.dumps(clf, protocol=pickle.HIGHEST_PROTOCOL)
    first_score = clf.score(X1, y1)
    pipeline = Pipeline([("scale", StandardScaler()), ("clf", clf)]).fit(X2 * 10.0, y2)
    assert pipeline.named_steps["clf"] is clf
    assert pickle.dumps(clf, protocol=pickle.HIGHEST_PROTOCOL) != first_bytes
    # When the run is published
    session.publish()
    record = capture.last
    # Then the first fit's score and model file are those of the estimator fitted alone
    assert series(record, "training_score") == [first_score]
    assert series(record, "fit1.training_score") == [pipeline.score(X2 * 10.0, y2)]
    files = model_files(record, tmp_path)
    assert files[0] == first_bytes
    assert type(pickle.loads(files[1])).__name__ == "Pipeline"  # noqa: S301 - this test's file


def test_set_params_after_the_fit_does_not_reach_the_model_file(session, capture, tmp_path):
    # Given a model fitted under autolog
    X, y = data(7)
    model = LogisticRegression(C=0.25).fit(X, y)
    fitted_bytes = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    # When its parameters are changed before the run is published
    model.set_params(C=9.0, max_iter=7)
    model.classes_ = np.array([7, 8])
    session.publish()
    record = capture.last
    # Then the model file holds the parameters and classes it was fitted with
    [saved] = model_files(record, tmp_path)
    assert saved == fitted_bytes
    loaded = pickle.loads(saved)  # noqa: S301 - the file this test's own fit wrote
    assert loaded.C == 0.25 and loaded.max_iter == 100 and list(loaded.classes_) == [0, 1]


@pytest.mark.parametrize(
    "fit",
    [
        pytest.param(lambda X, y: LogisticRegression().fit(X, y), id="logistic"),
        pytest.param(lambda X, y: LogisticRegression().fit(np.asfortranarray(X), y), id="F"),
        pytest.param(
            lambda X, y: LogisticRegression().fit(X, np.array(["no", "yes"])[y]), id="labels"
        ),
        pytest.param(lambda X, y: LinearRegression().fit(X, X[:, 0] * 2.0 + 1.0), id="ols"),
        pytest.param(
            lambda X, y: LogisticRegression().fit(
                pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])]), y
            ),
            id="frame",
        ),
    ],
)
def test_the_model_file_is_byte_for_byte_the_pickle_of_the_fitted_estimator(
    session, capture, tmp_path, fit
):
    # Given autolog on
    X, y = data(8)
    # When a model is fitted (its pickle taken by the test at once) and then changed in place
    model = fit(X, y)
    expected = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    for value in vars(model).values():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            value[...] = 0.0
    session.publish()
    # Then the model file is exactly the pickle of the estimator when its fit returned
    assert model_files(capture.last, tmp_path) == [expected]


class Scaling(LogisticRegression):
    """A linear classifier whose fit leaves X changed in place (as ``copy_X=False`` fits of
    other linear models do)."""

    def fit(self, X, y, sample_weight=None):
        super().fit(X, y, sample_weight)
        X *= 3.0
        return self


def test_a_fit_that_changes_x_in_place_is_scored_on_x_as_the_fit_left_it(session, capture):
    # Given a linear model whose fit changes its training data in place
    X, y = data(11)
    # When it is fitted under autolog and the run published
    model = Scaling().fit(X, y)
    session.publish()
    # Then the training score is the model's own score on X as the fit left it
    assert model.score(X, y) != model.score(X / 3.0, y)
    assert series(capture.last, "training_score") == [model.score(X, y)]


def test_a_run_read_before_publish_shows_the_training_score(session):
    # Given a model fitted under autolog, with nothing listening
    X, y = data(9)
    model = LogisticRegression().fit(X, y)
    # When the run is read before it is published (its v1 metadata, as ds.debug() prints it)
    summary = session.currentRun.metadata()["summary"]
    # Then the training score is there with its value
    assert summary["training_score"] == str(model.score(X, y))


def test_a_metrics_listener_is_told_the_training_score_at_fit_time(session):
    # Given a listener that wants every metric as it is declared (a live chart)
    seen = []
    session.add_listener(seen.append)
    X, y = data(10)
    # When a model is fitted
    model = LogisticRegression().fit(X, y)
    # Then the listener was told the training score, as a number, before any publish
    told = [e for e in seen if e["event"] == "metric" and e["key"] == "training_score"]
    assert [e["value"] for e in told] == [model.score(X, y)]


def test_a_model_file_that_cannot_be_written_is_written_at_the_next_publish(
    session, capture, tmp_path
):
    # Given a model fitted, and its files' directory blocked by a file of that name
    X, y = data(12)
    model = LogisticRegression().fit(X, y)
    fitted_bytes = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    score = model.score(X, y)
    blocker = tmp_path / ".dotscience" / "autolog"
    blocker.parent.mkdir(exist_ok=True)
    blocker.write_text("in the way")
    # When the run is published
    with pytest.warns(UserWarning, match="could not write a fit's file"):
        session.publish()
    # Then the run still has its training score and data, once each
    assert series(capture.last, "training_score") == [score]
    assert all(i["sha256"] for i in capture.last["inputs"])
    # When the obstacle is gone and the run is published again
    blocker.unlink()
    session.publish()
    # Then the model file is written as the estimator was fitted, the score still there once
    assert model_files(capture.last, tmp_path) == [fitted_bytes]
    assert series(capture.last, "training_score") == [score]


def registry(run) -> tuple:
    """What registering models leaves in a run: outputs, labels, models, the last model."""
    return dict(run.outputs), dict(run.labels), list(run.models), run.getModelDir()


def test_the_fits_model_is_registered_exactly_as_ds_model_registers_it(session, tmp_path):
    # Given a run that already has a model of the same name and another model
    session.start()
    session.model(sklearn, "LogisticRegression", str(tmp_path / "mine" / "model.pkl"))
    session.model(sklearn, "Other", str(tmp_path / "other"))
    X, y = data(13)
    # When a model is fitted under autolog (nothing listening)
    LogisticRegression().fit(X, y)
    run = session.currentRun
    [directory] = [p for p in run.outputs if p.endswith(os.sep + "model")]
    # Then the run's registry is what ds.model() leaves after the same registrations
    twin = Run(str(tmp_path))
    twin.model(sklearn, "LogisticRegression", str(tmp_path / "mine" / "model.pkl"))
    twin.model(sklearn, "Other", str(tmp_path / "other"))
    twin.model(sklearn, "LogisticRegression", directory)
    assert registry(run) == registry(twin)
    assert [m["name"] for m in run.models] == ["Other", "LogisticRegression"]


@pytest.mark.parametrize("form", ["plain", "trailing-slash", "dot-dot", "symlink"])
def test_a_fits_model_is_recorded_as_ds_model_records_it_however_the_root_is_written(
    tmp_path, monkeypatch, form
):
    # Given a session whose workspace root is written in one of several ways
    workspace = tmp_path / "work"
    (workspace / "sub").mkdir(parents=True)
    if form == "symlink":
        (tmp_path / "link").symlink_to(workspace, target_is_directory=True)
    root = {"plain": str(workspace), "trailing-slash": f"{workspace}{os.sep}",
            "dot-dot": str(workspace / "sub" / ".."), "symlink": str(tmp_path / "link")}[form]  # fmt: skip
    monkeypatch.chdir(workspace)
    session = ds.Dotscience(root)
    session.interactive()
    autolog(session=session)
    try:
        # When two models are fitted under autolog into one run (nothing listening)
        session.start()
        X, y = data(14)
        LogisticRegression().fit(X, y)
        LinearRegression().fit(X, X[:, 0])
        run = session.currentRun
    finally:
        autolog(disable=True)
    directories = [p for p in run.outputs if p.endswith(os.sep + "model")]
    # Then the run's registry is what ds.model() leaves for the same directories
    twin = Run(root)
    for directory, name in zip(
        directories, ["LogisticRegression", "LinearRegression"], strict=True
    ):
        twin.model(sklearn, name, directory)
    assert registry(run) == registry(twin)
    assert [m["path"].split("/")[:2] for m in run.models] == [[".dotscience", "autolog"]] * 2
