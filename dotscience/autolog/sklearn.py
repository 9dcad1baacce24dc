"""scikit-learn autologging: ``fit``/``fit_transform``/``fit_predict`` of every estimator.

Recorded for the outermost fit: ``get_params(deep=True)`` (nested pipeline steps as
``step__param``; an estimator-valued parameter as its class name) and ``estimator_class`` (the
class name); the training score ``training_score`` (``score(X, y)``); for a search
(``GridSearchCV`` and the like) the best parameters as ``best_<param>`` and the
cross-validated score ``best_cv_score``; ``X``/``y`` as inputs by content; and with
``log_models`` the fitted estimator as ``model.pkl`` (a pickle, which ``joblib.load`` reads too) registered under its class name.

Every estimator class gets a wrapper: those existing when patched (walking the subclasses of
``BaseEstimator``) and those defined later (``BaseEstimator.__init_subclass__``). Classes of
XGBoost and LightGBM are left to those integrations when they are on.
"""

from __future__ import annotations

import functools
import os
import pickle
import sys
import weakref

from . import enabled, fit_scope, nested, state

METHODS = ("fit", "fit_transform", "fit_predict")
_DELEGATED = {"xgboost": "xgboost", "lightgbm": "lightgbm"}


class _Delegated:
    depth = 0  # wrappers of XGBoost/LightGBM estimators in progress


_inside_delegated = _Delegated()


def _linear_predict(estimator, X, np):
    """What the linear mixins' own ``predict(X)`` returns, for a finite 2-D float ndarray
    ``X`` (the training data, so its width is the model's), or None for anything else.

    The same operations as ``LinearClassifierMixin.predict`` (``X @ coef_.T + intercept_``,
    then the class by sign or arg-max) and ``LinearModel.predict``, without the input checks
    and array-namespace dispatch, which cost fifty times the product on small data.
    """
    if type(X) is not np.ndarray or X.ndim != 2 or X.dtype.kind != "f":
        return None
    from sklearn.linear_model._base import LinearClassifierMixin, LinearModel

    cls = type(estimator)
    coef = getattr(estimator, "coef_", None)
    intercept = getattr(estimator, "intercept_", None)
    if type(coef) is not np.ndarray or coef.ndim not in (1, 2) or coef.shape[-1] != X.shape[1]:
        return None
    if not isinstance(intercept, np.ndarray | float | int):
        return None
    if (
        cls.predict is LinearClassifierMixin.predict
        and cls.decision_function is LinearClassifierMixin.decision_function
    ):
        classes = getattr(estimator, "classes_", None)
        if type(classes) is not np.ndarray or not np.isfinite(X).all():
            return None
        scores = X @ (coef.T if coef.ndim == 2 else coef) + intercept
        if scores.ndim > 1 and scores.shape[1] == 1:
            scores = scores.reshape(-1)
        if scores.ndim == 1:
            indices = (scores > 0).astype(np.intp)
        else:
            indices = np.argmax(scores, axis=1)
        return classes.take(indices, axis=0)
    if (
        cls.predict is LinearModel.predict
        and cls._decision_function is LinearModel._decision_function
    ):
        if not np.isfinite(X).all():
            return None
        return X @ (coef.T if coef.ndim == 2 else coef) + intercept
    return None


def _score(estimator, X, y):
    """``estimator.score(X, y)``, computed directly for the mixins' own scores on 1-D numeric
    targets (the same number, without the metric's input checks, which cost more than the
    prediction on small data), with a linear model's predictions from its coefficients."""
    np = sys.modules.get("numpy")
    base = sys.modules.get("sklearn.base")
    if np is None or base is None:
        return estimator.score(X, y)
    score = type(estimator).score
    target = np.asarray(y) if type(y).__module__.split(".")[0] == "numpy" else None
    if target is not None and target.ndim == 1 and target.dtype.kind in "biuf":
        if score is base.ClassifierMixin.score and len(target):
            predicted = _linear_predict(estimator, X, np)
            if predicted is None:
                predicted = estimator.predict(X)
            if np.shape(predicted) == target.shape:
                # the mean of the matches, as accuracy_score computes it (an exact count / n)
                return np.count_nonzero(predicted == target) / len(target)
        if score is base.RegressorMixin.score and len(target) > 1:
            predicted = _linear_predict(estimator, X, np)
            if predicted is None:
                predicted = estimator.predict(X)
            residual = float(np.sum((target - predicted) ** 2))
            total = float(np.sum((target - target.mean()) ** 2))
            if total > 0 and np.shape(predicted) == target.shape:
                return 1.0 - residual / total
    return estimator.score(X, y)


def _after_fit(fit, estimator, X, y) -> None:
    if y is not None and hasattr(estimator, "score"):
        score = fit.safe(_score, estimator, X, y)
        if score is not None:
            fit.metric("training_score", score)
    best_params = getattr(estimator, "best_params_", None)
    if isinstance(best_params, dict):
        fit.parameters({f"best_{k}": v for k, v in best_params.items()})
        best_score = getattr(estimator, "best_score_", None)
        if best_score is not None:
            fit.metric("best_cv_score", best_score)
    if state.log_models:
        fit.safe(_save_model, fit, estimator)


def _save_model(fit, estimator) -> None:
    """Pickle the estimator now (as fitted); its file ``model/model.pkl`` is written when the
    run is published, and registered now."""
    data = pickle.dumps(estimator, protocol=pickle.HIGHEST_PROTOCOL)
    directory = os.path.join(fit.directory(create=False), "model")
    fit.write_later(os.path.join(directory, "model.pkl"), data)
    fit.model(sys.modules["sklearn"], type(estimator).__name__, directory)


_param_names: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _get_params(estimator) -> dict:
    """``estimator.get_params(deep=True)``; for ``BaseEstimator``'s own method, the same dict
    with the class's parameter names kept (they come from its ``__init__`` signature, which
    ``get_params`` inspects anew on every call)."""
    cls = type(estimator)
    base = sys.modules["sklearn.base"].BaseEstimator
    names_of = getattr(cls._get_param_names, "__func__", None)
    if cls.get_params is not base.get_params or names_of is not base._get_param_names.__func__:
        return estimator.get_params(deep=True)
    names = _param_names.get(cls)
    if names is None:
        names = _param_names[cls] = tuple(cls._get_param_names())
    out = {}
    for key in names:
        value = getattr(estimator, key)
        if hasattr(value, "get_params") and not isinstance(value, type):
            out.update((key + "__" + k, v) for k, v in value.get_params().items())
        out[key] = value
    return out


def _record_before(fit, estimator, X, y) -> None:
    params = {"estimator_class": type(estimator).__name__}
    params.update(_get_params(estimator))
    fit.parameters(params)
    fit.dataset("X", X)
    fit.dataset("y", y)


def _wrap(original, method: str):
    @functools.wraps(original)
    def logged(self, *args, **kwargs):
        if not enabled("sklearn") or nested() or _inside_delegated.depth:
            return original(self, *args, **kwargs)
        owner = _DELEGATED.get(type(self).__module__.split(".")[0])
        if owner is not None and enabled(owner):
            # XGBoost/LightGBM log their booster; what their wrapper fits on the way (a
            # label encoder) is not a fit of its own
            _inside_delegated.depth += 1
            try:
                return original(self, *args, **kwargs)
            finally:
                _inside_delegated.depth -= 1
        X = args[0] if args else kwargs.get("X")
        y = args[1] if len(args) > 1 else kwargs.get("y")
        with fit_scope("sklearn") as fit:
            if fit is not None:
                fit.safe(_record_before, fit, self, X, y)
            result = original(self, *args, **kwargs)
            if fit is not None:
                fit.safe(_after_fit, fit, self, X, y)
        return result

    logged.__dotscience_wrapped__ = original
    return logged


def _wrap_class(cls, undo: list) -> None:
    for method in METHODS:
        original = cls.__dict__.get(method)
        if original is None or not callable(original):
            continue
        if getattr(original, "__dotscience_wrapped__", None) is not None:
            continue
        setattr(cls, method, _wrap(original, method))
        undo.append(functools.partial(setattr, cls, method, original))


def _subclasses(cls):
    seen, todo = set(), [cls]
    while todo:
        current = todo.pop()
        for sub in current.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return seen


def patch(base_module) -> list:
    """Wrap every estimator class now and every one defined later; returns undo callables."""
    BaseEstimator = base_module.BaseEstimator  # noqa: N806 - the class's name
    undo: list = []
    for cls in _subclasses(BaseEstimator):
        _wrap_class(cls, undo)
    had_own = "__init_subclass__" in BaseEstimator.__dict__
    previous = BaseEstimator.__dict__.get("__init_subclass__")

    def __init_subclass__(cls, **kwargs):  # noqa: N807 - the hook's name
        if had_own:
            previous.__get__(None, cls)(**kwargs)
        else:
            super(BaseEstimator, cls).__init_subclass__(**kwargs)
        if enabled("sklearn"):
            _wrap_class(cls, undo)

    BaseEstimator.__init_subclass__ = classmethod(__init_subclass__)

    def restore_hook():
        if had_own:
            BaseEstimator.__init_subclass__ = previous
        else:
            del BaseEstimator.__init_subclass__

    undo.insert(0, restore_hook)
    return undo


def loaded() -> bool:
    """True when scikit-learn's base module is imported."""
    return "sklearn.base" in sys.modules
