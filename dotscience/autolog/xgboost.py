"""XGBoost autologging: ``xgboost.train`` (which the scikit-learn wrappers call too).

Recorded: the booster parameters and ``num_boost_round`` (and ``early_stopping_rounds``);
every evaluation metric of every evaluation set per boosting round as the series
``<set>-<metric>`` (step = round); ``best_iteration`` (and ``best_score``) with early
stopping; feature importance (gain, weight, cover) as ``feature_importance.json``; the
training data (``train`` and ``train.label``) and each evaluation set by content.
"""

from __future__ import annotations

import json
import sys

from . import wrap_train

#: Modules that hold their own reference to ``train``.
_HOLDERS = ("xgboost", "xgboost.training", "xgboost.sklearn")


def _record_before(fit, bound) -> None:
    params = bound.get("params") or {}
    if isinstance(params, list | tuple):  # a list of (key, value) pairs is allowed
        params = dict(params)
    values = dict(params)
    values["num_boost_round"] = bound.get("num_boost_round", 10)
    if bound.get("early_stopping_rounds") is not None:
        values["early_stopping_rounds"] = bound["early_stopping_rounds"]
    fit.parameters(values)
    dtrain = bound.get("dtrain")
    if dtrain is not None:
        fit.dataset("train", dtrain.get_data())
        fit.dataset("train.label", dtrain.get_label())
    for i, pair in enumerate(bound.get("evals") or ()):
        matrix, name = pair
        if matrix is not dtrain:
            fit.dataset(f"eval.{name or i}", matrix.get_data())


def _record_after(fit, booster) -> None:
    best = booster.attributes().get("best_iteration")
    if best is not None:
        fit.metric("best_iteration", int(best))
        score = booster.attributes().get("best_score")
        if score is not None:
            fit.metric("best_score", float(score))
    importance = {kind: booster.get_score(importance_type=kind)
                  for kind in ("gain", "weight", "cover")}  # fmt: skip
    fit.file("feature_importance.json", json.dumps(importance, indent=1, sort_keys=True))


def _callback_class(xgb):
    class DotscienceCallback(xgb.callback.TrainingCallback):
        """Appends every evaluation result of a round to the run's series."""

        def __init__(self, fit):
            super().__init__()
            self.fit = fit

        def after_iteration(self, model, epoch, evals_log):
            for data, metrics in evals_log.items():
                for name, values in metrics.items():
                    if values:
                        value = values[-1]
                        if isinstance(value, tuple):  # (mean, std) in cv
                            value = value[0]
                        self.fit.metric(f"{data}-{name}", float(value), epoch)
            return False

    return DotscienceCallback


def patch(xgb) -> list:
    """Wrap ``xgboost.train`` where it is referenced; returns undo callables."""
    training = sys.modules.get("xgboost.training") or xgb
    return wrap_train(
        "xgboost", training.train, _HOLDERS, _record_before, _callback_class(xgb),
        _record_after,
    )  # fmt: skip
