"""scikit-learn autologging with the real library: parameters, scores, model, data, runs."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import dotscience as ds
from dotscience.autolog import autolog, datasets

from .conftest import inputs, params, series


def data(seed=0, n=60):
    rng = np.random.RandomState(seed)
    X = rng.rand(n, 3)
    return X, (X[:, 0] + 0.1 * rng.rand(n) > 0.5).astype(int)


def test_a_pipeline_fit_records_nested_params_score_model_and_data(session, capture, tmp_path):
    # Given autolog on and no run started
    X, y = data()
    model = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(C=0.5))])
    # When a pipeline is fitted and the run published
    model.fit(X, y)
    session.publish()
    record = capture.last
    p = params(record)
    # Then the nested parameters are recorded typed, steps by class name, once (no inner fit
    # of a step logged apart)
    assert p["estimator_class"] == "Pipeline"
    assert p["clf__C"] == 0.5 and p["scale__with_mean"] is True
    assert p["steps"] == "scale=StandardScaler, clf=LogisticRegression"
    assert not any(k.startswith("fit1.") for k in p)
    # And the training score equals the model's own score
    assert series(record, "training_score") == [pytest.approx(model.score(X, y))]
    # And X and y are inputs by content fingerprint
    assert inputs(record)["memory:X"] == datasets.fingerprint(X).sha256
    assert inputs(record)["memory:y"] == datasets.fingerprint(y).sha256
    # And the fitted model is registered, its file an output that loads to the same model
    [m] = record["models"]
    assert m["name"] == "Pipeline" and m["framework"] == "sklearn"
    [f] = m["files"]
    import joblib

    loaded = joblib.load(tmp_path / f["path"])
    assert (loaded.predict(X) == model.predict(X)).all()


def test_a_search_records_best_params_and_cv_score(session, capture):
    # Given autolog on
    X, y = data(1)
    search = GridSearchCV(LogisticRegression(), {"C": [0.01, 10.0]}, cv=3)
    # When a grid search is fitted
    search.fit(X, y)
    session.publish()
    record = capture.last
    # Then the best parameters and the cross-validated score are recorded
    assert params(record)["best_C"] == search.best_params_["C"]
    assert series(record, "best_cv_score") == [pytest.approx(search.best_score_)]
    # And the candidates' own fits (6 + refit) did not log into the run
    assert params(record)["estimator_class"] == "GridSearchCV"
    assert params(record)["estimator"] == "LogisticRegression"
    assert not any(k.startswith("fit1.") for k in record["parameters"])


def test_repeated_fits_in_one_run_are_kept_apart(session, capture):
    # Given one run
    session.start("two fits")
    X, y = data()
    # When two models are fitted in it
    LogisticRegression(C=1.0).fit(X, y)
    LogisticRegression(C=2.0).fit(X[:30], y[:30])
    session.publish()
    record = capture.last
    # Then the second fit's values carry the fit index and the first are not overwritten
    p = params(record)
    assert p["C"] == 1.0 and p["fit1.C"] == 2.0
    assert inputs(record)["memory:X"] != inputs(record)["memory:fit1.X"]
    assert record["description"] == "two fits"
    assert [m["name"] for m in record["models"]] == ["LogisticRegression"]  # same name: last


def test_a_fit_with_no_run_starts_one_and_the_next_fit_after_publish_another(session, capture):
    # Given no run
    X, y = data()
    assert session.currentRun is None
    # When a model is fitted, the run published, and another model fitted and published
    LogisticRegression(C=3.0).fit(X, y)
    first = session.publish()
    LogisticRegression(C=4.0).fit(X, y)
    second = session.publish()
    # Then each publish is its own run with its own fit, neither prefixed
    assert first["id"] != second["id"]
    assert params(capture.records[0])["C"] == 3.0
    assert params(capture.records[1])["C"] == 4.0
    assert "fit1.C" not in capture.records[1]["parameters"]


def test_two_runs_on_the_same_data_share_its_fingerprint(session, capture):
    # Given the same data built twice (different objects, equal content) and other data
    X1, y1 = data(5)
    X2, y2 = data(5)
    X3, y3 = data(6)
    # When three runs are trained
    for X, y in ((X1, y1), (X2, y2), (X3, y3)):
        session.start()
        LogisticRegression().fit(X, y)
        session.publish()
    a, b, c = (inputs(r)["memory:X"] for r in capture.records)
    # Then the equal data has one fingerprint and the other data another
    assert a == b != c


def test_a_frame_read_unchanged_from_a_declared_input_is_linked_to_the_file(session, capture,
                                                                            tmp_path):  # fmt: skip
    # Given a CSV file declared as an input and read with pandas
    X, y = data(2)
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(label=y)
    frame.to_csv(tmp_path / "train.csv", index=False)
    session.start()
    df = pd.read_csv(session.input("train.csv"))
    features = df[["a", "b", "c"]]
    # When the whole frame is fitted (unchanged), then a derived frame in a second fit
    LogisticRegression().fit(df, df["label"])
    LogisticRegression().fit(features, df["label"])
    session.publish()
    record = capture.last
    found = inputs(record)
    # Then the unchanged frame is recorded with the file's own hash (the same lineage node)
    assert found["memory:X"] == found["train.csv"]
    # And the derived frame only by its own fingerprint
    assert found["memory:fit1.X"] == datasets.fingerprint(features).sha256 != found["train.csv"]


def test_a_frame_changed_after_reading_is_not_linked(session, capture, tmp_path):
    # Given a declared CSV read into a frame that is then changed in place
    pd.DataFrame({"a": [0.1, 0.9, 0.2, 0.8], "label": [0, 1, 0, 1]}).to_csv(
        tmp_path / "t.csv", index=False)  # fmt: skip
    session.start()
    df = pd.read_csv(session.input("t.csv"))
    df.loc[0, "a"] = 0.5
    # When it is fitted
    LogisticRegression().fit(df[["a"]].join(df["label"]), df["label"])
    session.publish()
    # Then it is not recorded as the file's content
    found = inputs(capture.last)
    assert found["memory:X"] != found["t.csv"]


def test_disable_stops_recording_and_restores_fit(session, capture):
    # Given autolog on, then off
    autolog(disable=True)
    X, y = data()
    # When a model is fitted and a run published
    session.start()
    LogisticRegression().fit(X, y)
    session.add_parameter("manual", 1)
    session.publish()
    # Then only what was declared by hand is there
    assert params(capture.last) == {"manual": 1}
    assert capture.last["models"] == [] and capture.last["inputs"] == []
    assert not hasattr(LogisticRegression.fit, "__dotscience_wrapped__")


def test_a_framework_switch_turns_only_that_framework_off(session, capture):
    # Given autolog with scikit-learn switched off
    autolog(session=session, sklearn=False)
    X, y = data()
    # When a model is fitted
    session.start()
    LogisticRegression().fit(X, y)
    session.add_parameter("manual", 1)
    session.publish()
    # Then nothing was autologged
    assert params(capture.last) == {"manual": 1}


class Broken(LogisticRegression):
    """An estimator whose score raises."""

    def score(self, X, y, sample_weight=None):
        raise RuntimeError("no score today")


def test_a_failing_score_is_one_warning_and_the_fit_result_is_unchanged(session, capture):
    # Given an estimator whose score raises
    X, y = data()
    # When it is fitted under autolog
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fitted = Broken().fit(X, y)
    session.publish()
    # Then the fit returned the estimator, the parameters are there, and one warning says why
    assert isinstance(fitted, Broken) and hasattr(fitted, "coef_")
    assert params(capture.last)["estimator_class"] == "Broken"
    assert "training_score" not in capture.last["metrics"]
    texts = [str(w.message) for w in caught if "dotscience autolog" in str(w.message)]
    assert len(texts) == 1 and "no score today" in texts[0]


def test_a_fit_that_raises_still_raises(session):
    # Given autolog on
    # When a fit fails in scikit-learn's own validation
    # Then the user's error is the one raised
    with pytest.raises(ValueError, match="at least 2 classes|one class"):
        LogisticRegression().fit(np.zeros((4, 2)), np.zeros(4))


def test_bad_switches_are_a_type_error():
    # Given/When autolog is given a non-bool switch
    # Then it says which one
    with pytest.raises(TypeError, match="sklearn must be True or False"):
        autolog(sklearn="yes")


def test_ds_autolog_is_callable_and_importing_dotscience_imports_no_framework():
    # Given a fresh interpreter
    code = ("import sys, dotscience as ds; ds.autolog(); "
            "print(sorted(m for m in ('sklearn', 'numpy', 'pandas', 'xgboost', 'lightgbm', "
            "'lightning', 'keras', 'torch', 'psutil') if m in sys.modules))")  # fmt: skip
    # When dotscience is imported and autolog switched on
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    # Then no framework was imported by it
    assert json.loads(out.replace("'", '"')) == []


def test_a_framework_imported_after_autolog_is_patched(tmp_path):
    # Given autolog switched on before scikit-learn is imported
    code = f"""
import dotscience as ds
s = ds.Dotscience({str(tmp_path)!r}, delivery=None)
ds.autolog(session=s)
import numpy as np
from sklearn.tree import DecisionTreeClassifier
DecisionTreeClassifier(max_depth=2).fit(np.eye(4), [0, 1, 0, 1])
print(s.currentRun.parameters["max_depth"], s.currentRun.parameters["estimator_class"])
"""
    # When a model is fitted
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=tmp_path).stdout  # fmt: skip
    # Then it was recorded
    assert out.split() == ["2", "DecisionTreeClassifier"]


def test_an_unsupported_version_warns_once_and_fits(tmp_path):
    # Given a scikit-learn that claims an unsupported version
    code = f"""
import warnings
warnings.simplefilter("always")
import sklearn
sklearn.__version__ = "0.20.0"
import sklearn.base
import dotscience as ds
s = ds.Dotscience({str(tmp_path)!r})
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    ds.autolog(session=s)
    ds.autolog(session=s)
    from sklearn.linear_model import LinearRegression
    LinearRegression().fit([[0], [1]], [0, 1])
print([str(w.message) for w in caught])
print(s.currentRun)
"""
    # When autolog is switched on (twice) and a model fitted
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=tmp_path).stdout.splitlines()  # fmt: skip
    # Then one warning names the supported range, and the fit ran unrecorded
    messages = eval(out[0])  # noqa: S307 - our own subprocess's list of str
    assert len(messages) == 1
    assert "scikit-learn" in messages[0] or "sklearn 0.20.0" in messages[0]
    assert ">=1.2,<2" in messages[0]
    assert out[1] == "None"


def test_module_level_autolog_records_into_the_default_session(tmp_path, monkeypatch):
    # Given the module's own session
    monkeypatch.setenv("DOTSCIENCE_PROJECT_DOT_ROOT", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    s = ds._reset_session()
    try:
        ds.autolog()
        X, y = data()
        # When a model is fitted
        LogisticRegression(C=7.0).fit(X, y)
        # Then the default run has its parameters
        assert s.currentRun.parameters["C"] == 7.0
    finally:
        ds.autolog(disable=True)
        ds._reset_session()


def test_a_regressor_training_score_is_its_own_r2(session, capture):
    # Given a regressor on noisy data
    from sklearn.linear_model import Ridge

    rng = np.random.RandomState(3)
    X = rng.rand(50, 2)
    y = X @ [1.5, -2.0] + 0.3 * rng.rand(50)
    # When fitted under autolog
    model = Ridge(alpha=0.5).fit(X, y)
    session.publish()
    # Then the training score is the model's own R²
    assert series(capture.last, "training_score") == [pytest.approx(model.score(X, y))]


def test_the_readme_autologging_example_runs_as_written(tmp_path):
    # Given the README's Autologging example saved as a script
    import pathlib
    import re

    readme = (pathlib.Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme[readme.index("## Autologging") :]
    block = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    (tmp_path / "train.py").write_text(block)
    # When it runs with no server around
    env = {"PATH": "/usr/bin:/bin", "DOTSCIENCE_PROJECT_DOT_ROOT": str(tmp_path)}
    proc = subprocess.run([sys.executable, "train.py"], cwd=tmp_path, env=env,
                          capture_output=True, text=True)  # fmt: skip
    # Then the published run holds the fit's parameters and score, and the model
    assert proc.returncode == 0, proc.stderr
    [spooled] = (tmp_path / ".dotscience" / "spool").glob("*.json")
    record = json.loads(spooled.read_text())
    assert record["parameters"]["C"]["value"] == 0.75
    assert record["metrics"]["training_score"][0]["value"] > 0.9
    assert record["models"][0]["name"] == "LogisticRegression"
    assert record["description"] == "autologged"


def test_an_independent_session_autologs_into_itself(tmp_path, capture):
    # Given an independent session with autolog on through its method
    d = ds.Dotscience(str(tmp_path), delivery=capture)
    d.interactive()
    d.autolog(log_models=False)
    try:
        X, y = data()
        # When a model is fitted and the session publishes
        LogisticRegression(C=9.0).fit(X, y)
        d.publish()
    finally:
        d.autolog(disable=True)
    # Then its run has the fit, without a model file
    assert params(capture.last)["C"] == 9.0 and capture.last["models"] == []
    assert ds._default_session().currentRun is None
