"""LightGBM autologging: ``lightgbm.train`` (which the scikit-learn wrappers call too).

Recorded: the parameters and ``num_boost_round``; every evaluation metric of every
validation set per boosting round as the series ``<set>-<metric>`` (step = round);
``best_iteration`` when early stopping found one; feature importance (split and gain, by
feature name) as ``feature_importance.json``; the training data (``train``,
``train.label``) and each validation set by content.
"""

from __future__ import annotations

import json
import sys

from . import wrap_train

_HOLDERS = ("lightgbm", "lightgbm.engine", "lightgbm.sklearn")


def _record_before(fit, bound) -> None:
    values = dict(bound.get("params") or {})
    values["num_boost_round"] = bound.get("num_boost_round", 100)
    fit.parameters(values)
    train_set = bound.get("train_set")
    if train_set is not None:
        if not isinstance(train_set.data, str):  # a file name is not in-memory data
            fit.dataset("train", train_set.data)
        fit.dataset("train.label", train_set.label)
    names = list(bound.get("valid_names") or [])
    for i, valid in enumerate(bound.get("valid_sets") or ()):
        if valid is not train_set and not isinstance(valid.data, str):
            fit.dataset(f"valid.{names[i] if i < len(names) else i}", valid.data)


def _record_after(fit, booster) -> None:
    if booster.best_iteration:
        fit.metric("best_iteration", int(booster.best_iteration))
    names = booster.feature_name()
    importance = {
        kind: dict(zip(names, map(float, booster.feature_importance(importance_type=kind)),
                       strict=True))
        for kind in ("split", "gain")
    }  # fmt: skip
    fit.file("feature_importance.json", json.dumps(importance, indent=1, sort_keys=True))


def _callback(fit):
    def record(env):
        for item in env.evaluation_result_list or ():
            data, name, value = item[0], item[1], item[2]
            fit.metric(f"{data}-{name}", float(value), env.iteration - env.begin_iteration)

    record.order = 100  # after LightGBM's own (early stopping is 30)
    return record


def patch(lgb) -> list:
    """Wrap ``lightgbm.train`` where it is referenced; returns undo callables."""
    engine = sys.modules.get("lightgbm.engine") or lgb
    return wrap_train("lightgbm", engine.train, _HOLDERS, _record_before, _callback, _record_after)
