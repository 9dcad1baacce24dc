"""XGBoost and LightGBM autologging with the real libraries: params, per-round series,
best iteration, feature importance file, data by content.

The frameworks come from module fixtures: every pytest-xdist worker collects every test module,
and only the worker running these tests needs to spend the seconds their imports take.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from dotscience.autolog import datasets

from .conftest import inputs, params, series, steps

ROUNDS = 5


@pytest.fixture(scope="module")
def xgb():
    import xgboost

    return xgboost


@pytest.fixture(scope="module")
def lgb():
    import lightgbm

    return lightgbm


def data(seed=0, n=80):
    rng = np.random.RandomState(seed)
    X = rng.rand(n, 4)
    return X, (X[:, 0] + X[:, 1] > 1.0).astype(int)


def importance_file(record, tmp_path) -> dict:
    [entry] = [o for o in record["outputs"] if o["path"].endswith("feature_importance.json")]
    return json.loads((tmp_path / entry["path"]).read_text())


def test_xgboost_train_records_params_series_per_round_and_importance(xgb, session, capture,
                                                                       tmp_path):  # fmt: skip
    # Given autolog on and two evaluation sets
    X, y = data()
    dtrain = xgb.DMatrix(X[:60], label=y[:60], feature_names=["a", "b", "c", "d"])
    dvalid = xgb.DMatrix(X[60:], label=y[60:], feature_names=["a", "b", "c", "d"])
    params_given = {"objective": "binary:logistic", "max_depth": 2, "eta": 0.3,
                    "eval_metric": ["logloss", "error"]}  # fmt: skip
    # When a booster is trained for a few rounds
    booster = xgb.train(params_given, dtrain, num_boost_round=ROUNDS,
                        evals=[(dtrain, "train"), (dvalid, "valid")], verbose_eval=False)  # fmt: skip
    session.publish()
    record = capture.last
    # Then the parameters are recorded typed
    p = params(record)
    assert p["max_depth"] == 2 and p["eta"] == 0.3 and p["num_boost_round"] == ROUNDS
    # And every metric of every set is a series with one point per round
    for key in ("train-logloss", "train-error", "valid-logloss", "valid-error"):
        assert steps(record, key) == list(range(ROUNDS)), key
    # And the last value is what the booster itself evaluates
    last = float(booster.eval(dvalid, "valid").split("valid-logloss:")[1].split()[0])
    assert series(record, "valid-logloss")[-1] == pytest.approx(last, abs=1e-5)
    # And feature importance is a file output naming the features
    importance = importance_file(record, tmp_path)
    assert set(importance["gain"]) <= {"a", "b", "c", "d"} and importance["gain"]
    # And the training data is an input by content
    found = inputs(record)
    assert found["memory:train.label"] == datasets.fingerprint(y[:60].astype(np.float32)).sha256
    assert "memory:train" in found and "memory:eval.valid" in found


def test_xgboost_early_stopping_records_best_iteration(xgb, session, capture):
    # Given a validation set on which early stopping can act
    X, y = data(1, 120)
    dtrain, dvalid = xgb.DMatrix(X[:40], label=y[:40]), xgb.DMatrix(X[40:], label=1 - y[40:])
    # When trained with early stopping
    booster = xgb.train({"objective": "binary:logistic", "eta": 1.0}, dtrain,
                        num_boost_round=50, evals=[(dvalid, "v")],
                        early_stopping_rounds=2, verbose_eval=False)  # fmt: skip
    session.publish()
    record = capture.last
    # Then the best iteration is recorded as the booster has it, and the series stopped early
    assert series(record, "best_iteration") == [booster.best_iteration]
    assert len(series(record, "v-logloss")) < 50
    assert params(record)["early_stopping_rounds"] == 2


def test_xgboost_sklearn_wrapper_logs_once_through_train(xgb, session, capture):
    # Given the scikit-learn wrapper of XGBoost
    X, y = data(2)
    model = xgb.XGBClassifier(n_estimators=ROUNDS, max_depth=2)
    # When fitted with an evaluation set
    model.fit(X, y, eval_set=[(X, y)], verbose=False)
    session.publish()
    record = capture.last
    # Then the booster's rounds are series, and nothing was logged twice (no fit1.)
    assert steps(record, "validation_0-logloss") == list(range(ROUNDS))
    assert not any(k.startswith("fit1.") for k in record["parameters"])
    assert params(record)["max_depth"] == 2


def test_lightgbm_train_records_params_series_best_iteration_and_importance(lgb, session, capture,
                                                                            tmp_path):  # fmt: skip
    # Given autolog on
    X, y = data(3)
    train = lgb.Dataset(X[:60], label=y[:60], feature_name=["a", "b", "c", "d"])
    valid = lgb.Dataset(X[60:], label=y[60:], reference=train)
    # When a booster is trained a few rounds, evaluated on training and validation sets
    booster = lgb.train({"objective": "binary", "num_leaves": 4, "verbose": -1,
                         "min_data_in_leaf": 5, "metric": ["binary_logloss", "auc"]},
                        train, num_boost_round=ROUNDS, valid_sets=[train, valid],
                        valid_names=["train", "valid"])  # fmt: skip
    session.publish()
    record = capture.last
    # Then parameters, one point per round for every metric of every set
    assert params(record)["num_leaves"] == 4 and params(record)["num_boost_round"] == ROUNDS
    for key in ("train-binary_logloss", "valid-binary_logloss", "valid-auc"):
        assert steps(record, key) == list(range(ROUNDS)), key
    # And feature importance by feature name, the data by content
    importance = importance_file(record, tmp_path)
    assert set(importance["split"]) == {"a", "b", "c", "d"}
    assert sum(importance["split"].values()) == sum(booster.feature_importance("split"))
    assert inputs(record)["memory:train"] == datasets.fingerprint(X[:60]).sha256
    assert inputs(record)["memory:valid.valid"] == datasets.fingerprint(X[60:]).sha256


def test_lightgbm_early_stopping_and_sklearn_wrapper(lgb, session, capture):
    # Given a classifier wrapper with early stopping on a validation set
    X, y = data(4, 120)
    model = lgb.LGBMClassifier(n_estimators=40, num_leaves=4, verbose=-1, min_child_samples=5)
    # When fitted
    model.fit(X[:40], y[:40], eval_X=(X[40:],), eval_y=(1 - y[40:],),
              callbacks=[lgb.early_stopping(2, verbose=False)])  # fmt: skip
    session.publish()
    record = capture.last
    # Then the best iteration is the model's, recorded once
    assert series(record, "best_iteration") == [model.best_iteration_]
    assert len(series(record, "valid_0-binary_logloss")) < 40
    assert not any(k.startswith("fit1.") for k in record["parameters"])
