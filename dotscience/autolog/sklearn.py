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
import operator
import os
import pickle
import sys
import weakref

from ..values import PLAIN, declared
from . import _fill_sha256s, _write_made, enter_fit, exit_fit, plain
from . import state as _state
from .datasets import LATER_LIMIT as _LATER_LIMIT
from .datasets import _reads

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


def _after_fit(fit, estimator, X, y, info) -> None:
    session, run = fit.session, fit.run
    snapshot = None
    kind = 0
    # work may wait for the publish: no listener wants values as they come (the JupyterLab
    # sidebar shows them live) and the fit records into the current run
    if not session._listeners and session._run is run and fit._pending() is not None:
        kind = info.kind or _kind_of(info, type(estimator))
        if kind & _PICKLED_PLAINLY:
            snapshot = _Snapshot.take(estimator)
    if y is not None and hasattr(estimator, "score"):
        later = (
            snapshot is not None and kind & _SCORED_LINEARLY and _score_later(fit, snapshot, X, y)
        )
        if not later:
            score = fit.safe(_score, estimator, X, y)
            if score is not None:
                fit.metric("training_score", score)
    best_params = getattr(estimator, "best_params_", None)
    if isinstance(best_params, dict):
        fit.parameters({f"best_{k}": v for k, v in best_params.items()})
        best_score = getattr(estimator, "best_score_", None)
        if best_score is not None:
            fit.metric("best_cv_score", best_score)
    if _state.log_models:
        if snapshot is not None:
            fit.safe(_register_later, fit, info.name, snapshot)
        else:
            fit.safe(_save_model, fit, estimator)


def _save_model(fit, estimator) -> None:
    """Register the estimator's model file ``model/model.pkl``, pickled now (as fitted) and
    written when the run is published."""
    path = f"{fit.directory(create=False)}{os.sep}model{os.sep}model.pkl"
    fit.write_later(path, pickle.dumps(estimator, protocol=pickle.HIGHEST_PROTOCOL))
    fit.own_model(sys.modules["sklearn"], type(estimator).__name__, "model")


def _register_later(fit, name: str, snapshot) -> None:
    """Register the model file ``model/model.pkl`` of a fit recording into the current run
    with no listener (see :meth:`Fit.own_model`), pickled from ``snapshot`` and written when
    the run is published."""
    path = f"{fit.directory(create=False)}{os.sep}model{os.sep}model.pkl"
    fit.later(functools.partial(_write_made, fit.framework, path, snapshot.pickle))
    fit.own_model(sys.modules["sklearn"], name, "model")


# -- the estimator as fitted, for later --------------------------------------------------------

#: Values kept by reference in a snapshot (immutable).
_ATOMS = frozenset({type(None), bool, int, float, complex, str, bytes})


class _Snapshot:
    """A fitted estimator's state copied when its fit returns: its arrays copied, every
    other value immutable. :meth:`pickle` gives the bytes ``pickle.dumps`` gave for the
    estimator then, and :meth:`estimator` an object of its class with that state.

    Taken only for classes pickled the default way (``BaseEstimator.__getstate__``, no
    ``__reduce__``, ``__getnewargs__`` or ``copyreg`` entry of their own, found by module
    and name) whose instance holds only numbers, strings, tuples of them and plain
    contiguous arrays of up to :data:`LIMIT` bytes in all (an object array only of
    strings); anything else is pickled at once, as before.
    """

    __slots__ = ("cls", "state", "_estimator")

    #: The most array bytes a snapshot copies.
    LIMIT = 1 << 20

    def __init__(self, cls, state: dict):
        self.cls = cls
        self.state = state
        self._estimator = None

    @classmethod
    def take(cls, estimator):
        """A snapshot of ``estimator`` now (its class pickled plainly: see
        :func:`_pickled_plainly`), or None when it cannot be taken cheaply."""
        state = getattr(estimator, "__dict__", None)
        if type(state) is not dict:
            return None
        try:
            copied = _copy_state(state)
        except Exception:  # a value that cannot be copied: pickle the estimator at once
            return None
        return None if copied is None else cls(type(estimator), copied)

    def estimator(self):
        """An estimator of the snapshot's class holding the snapshot's state."""
        if self._estimator is None:
            clone = object.__new__(self.cls)
            clone.__dict__.update(self.state)
            self._estimator = clone
        return self._estimator

    def pickle(self) -> bytes:
        """What ``pickle.dumps(estimator, protocol=pickle.HIGHEST_PROTOCOL)`` gave then."""
        return pickle.dumps(self.estimator(), protocol=pickle.HIGHEST_PROTOCOL)


_PICKLED_PLAINLY, _SCORED_LINEARLY, _KNOWN = 1, 2, 4


class _ClassInfo:
    """What the fits of one estimator class need to know about it, found once.

    Attributes
    ----------
    name : str
        The class's name (``estimator_class``, the model's name).
    owner : str or None
        The integration that logs the class instead (``"xgboost"``, ``"lightgbm"``).
    names : tuple or None
        Its parameter names when it keeps ``BaseEstimator``'s ``get_params`` (empty: ask
        its own ``get_params``); None until the first fit.
    values : callable or None
        With two names or more, ``operator.attrgetter`` of them (their values as a tuple).
    kind : int
        Flags (pickled plainly, scored from its coefficients); 0 until first wanted.
    """

    __slots__ = ("name", "owner", "names", "values", "kind")

    def __init__(self, cls):
        self.name = cls.__name__
        self.owner = _DELEGATED.get(cls.__module__.split(".")[0])
        self.names = self.values = None
        self.kind = 0


#: Class -> its :class:`_ClassInfo`.
_infos: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _info_of(cls) -> _ClassInfo:
    info = _infos.get(cls)
    if info is None:
        info = _infos[cls] = _ClassInfo(cls)
    return info


def _kind_of(info: _ClassInfo, cls) -> int:
    """Flags of ``cls`` (kept in its ``info``): pickled plainly, scored from its
    coefficients."""
    kind = _KNOWN
    if _pickled_plainly(cls):
        kind |= _PICKLED_PLAINLY
    if _scored_linearly(cls):
        kind |= _SCORED_LINEARLY
    info.kind = kind
    return kind


def _pickled_plainly(cls) -> bool:
    """Whether ``pickle`` reduces instances of ``cls`` to its class (by reference) and
    ``BaseEstimator.__getstate__`` of its ``__dict__``, so a copy of that dict pickles the
    same."""
    import copyreg

    base = sys.modules["sklearn.base"].BaseEstimator
    if (
        cls.__reduce_ex__ is not object.__reduce_ex__
        or cls.__reduce__ is not object.__reduce__
        or cls.__getstate__ is not base.__getstate__
        or cls.__new__ is not object.__new__
        or getattr(cls, "__slots__", None)
        or hasattr(cls, "__getnewargs_ex__")
        or hasattr(cls, "__getnewargs__")
        or cls in copyreg.dispatch_table
    ):
        return False
    found = sys.modules.get(cls.__module__)
    for part in cls.__qualname__.split("."):
        found = getattr(found, part, None)
    return found is cls


def _copy_state(state: dict) -> dict | None:
    """``state`` with each array copied (an array held twice copied once), or None when a
    value is not an immutable number, string or tuple of them, nor a plain contiguous
    array."""
    np = sys.modules.get("numpy")
    if np is None:
        return None
    ndarray = np.ndarray
    copied = state.copy()  # the same keys in the same order; arrays replaced below
    arrays: dict = {}
    total = 0
    for key, value in state.items():
        kind = type(value)
        if kind in _ATOMS:
            continue
        if kind is ndarray:
            copy = arrays.get(id(value))
            if copy is None:
                total += value.nbytes
                if total > _Snapshot.LIMIT:
                    return None
                flags = value.flags
                if flags.c_contiguous:
                    copy = value.copy()
                elif flags.f_contiguous:
                    copy = value.copy("F")
                else:
                    return None
                if copy.dtype.hasobject and not _strings_only(copy):
                    return None
                arrays[id(value)] = copy
            copied[key] = copy
        elif not _immutable(np, value):
            return None
    return copied


def _strings_only(array) -> bool:
    """Whether an array holding objects is a plain object array of strings only (which a
    copy shares, as they cannot change)."""
    return array.dtype.kind == "O" and all(type(v) is str for v in array.flat)


def _immutable(np, value) -> bool:
    kind = type(value)
    if kind is tuple:
        return all(type(v) in _ATOMS or _immutable(np, v) for v in value)
    return isinstance(value, np.generic) and not isinstance(value, np.void)


# -- the training score, for later -------------------------------------------------------------


def _score_later(fit, snapshot, X, y) -> bool:
    """Record the training score of a linear model (see :func:`_scored_linearly`) to be
    computed at publish (the mixins' score of a prediction from the coefficients: plain
    numpy on the snapshot and on copies of ``X`` and ``y`` taken now); False when it must be
    computed now. Called only when the fit's values may wait (see :func:`_after_fit`)."""
    np = sys.modules["numpy"]
    X_copy = _copy_data(np, X, "f", 2)
    if X_copy is None:
        return False
    y_copy = _copy_data(np, y, "biuf", 1)
    if y_copy is None:
        return False
    fit._point_later("training_score", functools.partial(_score_of, snapshot, X_copy, y_copy))
    return True


def _score_of(snapshot, X, y):
    return _score(snapshot.estimator(), X, y)


def _scored_linearly(cls) -> bool:
    """Whether ``cls`` keeps the mixins' ``score`` and the linear models' ``predict``, so
    :func:`_score` takes its prediction from the coefficients (:func:`_linear_predict`)."""
    np = sys.modules.get("numpy")
    linear = sys.modules.get("sklearn.linear_model._base")
    if np is None or linear is None:
        return False
    base = sys.modules["sklearn.base"]
    if cls.score is base.ClassifierMixin.score:
        mixin = linear.LinearClassifierMixin
        return cls.predict is mixin.predict and cls.decision_function is mixin.decision_function
    if cls.score is base.RegressorMixin.score:
        model = linear.LinearModel
        return cls.predict is model.predict and cls._decision_function is model._decision_function
    return False


def _copy_data(np, data, kinds: str, ndim: int):
    """A copy of a small, aligned, contiguous ndarray of one of ``kinds`` with ``ndim``
    dimensions, laid out as it is (the same products, to the last bit), or None."""
    if type(data) is not np.ndarray or data.ndim != ndim or data.dtype.kind not in kinds:
        return None
    flags = data.flags
    if not flags.aligned or data.nbytes > _Snapshot.LIMIT:
        return None
    if flags.c_contiguous:
        return data.copy(order="C")
    if flags.f_contiguous:
        return data.copy(order="F")
    return None


def _get_params(estimator, info: _ClassInfo) -> dict:
    """``estimator.get_params(deep=True)``; for ``BaseEstimator``'s own method, the same dict
    with the class's parameter names kept in ``info`` (they come from its ``__init__``
    signature, which ``get_params`` inspects anew on every call)."""
    names = info.names
    if names is None:
        names = _names_of(type(estimator), info)
    if not names:  # a get_params of its own (or no parameters): ask it
        return estimator.get_params(deep=True)
    out = {}
    for key in names:
        value = getattr(estimator, key)
        if type(value) not in PLAIN and hasattr(value, "get_params"):
            if not isinstance(value, type):
                out.update((key + "__" + k, v) for k, v in value.get_params().items())
        out[key] = value
    return out


def _names_of(cls, info: _ClassInfo) -> tuple:
    """Find the parameter names of ``cls`` for its ``info`` (see :class:`_ClassInfo`)."""
    base = sys.modules["sklearn.base"].BaseEstimator
    names_of = getattr(cls._get_param_names, "__func__", None)
    own = cls.get_params is base.get_params and names_of is base._get_param_names.__func__
    names = tuple(cls._get_param_names()) if own else ()
    info.values = operator.attrgetter(*names) if len(names) > 1 else None
    info.names = names
    return names


def _record_before(fit, estimator, X, y, info: _ClassInfo) -> None:
    """Record the estimator's parameters and its data as the fit begins.

    With no listener, into the current run: the parameters stored as
    :meth:`~dotscience.autolog.Fit.parameters` stores them, and a small numeric array copied
    now and fingerprinted at publish (as :meth:`~dotscience.autolog.Fit.dataset` does, one
    publish action for both); otherwise through those methods.
    """
    session, run = fit.session, fit.run
    if session._listeners or session._run is not run or run._start is None:
        fit.parameters({"estimator_class": info.name, **_get_params(estimator, info)})
        fit.dataset("X", X)
        fit.dataset("y", y)
        return
    stored, prefix = run.parameters, fit.prefix
    if info.names is None:
        _names_of(type(estimator), info)
    values = info.values(estimator) if info.values is not None and not prefix else None
    if values is not None and set(map(type, values)) <= PLAIN:
        # the first fit of a run, every parameter a plain value (no nested estimator): what
        # the loop below stores, in the same order
        stored["estimator_class"] = info.name
        stored.update(zip(info.names, values, strict=True))
    else:
        params = _get_params(estimator, info)
        stored[prefix + "estimator_class"] = info.name
        for key, value in params.items():
            if prefix or type(key) is not str:
                key = prefix + str(key)
            if type(value) not in PLAIN:
                value = plain(value)
                if type(value) not in PLAIN:
                    value = declared(key, value, "parameter")
            stored[key] = value
    if not _state.log_datasets:
        return
    pending = fit._pending()
    copies = []
    for role, data in (("X", X), ("y", y)):
        if data is None:
            continue
        copy = None if pending is None else _data_copy(data)
        if copy is None:
            fit.dataset(role, data)
            continue
        path = f"memory:{prefix}{role}"
        entry = run.inputs[path] = {"path": path, "sha256": None, "size": copy.nbytes,
                                    "outside": False, "missing": False}  # fmt: skip
        copies.append((entry, copy))
    if copies:
        fit.later(functools.partial(_fill_sha256s, run, copies))


def _data_copy(data):
    """A copy of a numeric ndarray of up to ``datasets.LATER_LIMIT`` bytes passed to
    ``fit()``, to fingerprint at publish (see ``datasets.fingerprint_later``), or None."""
    np = sys.modules.get("numpy")
    if np is None or type(data) is not np.ndarray or id(data) in _reads:
        return None
    dtype = data.dtype
    if dtype.kind not in "biufcmM" or dtype.hasobject or data.nbytes > _LATER_LIMIT:
        return None
    return data.copy()  # C order


def _wrap(original, method: str):
    @functools.wraps(original)
    def logged(self, *args, **kwargs):
        state = _state
        if not state.enabled["sklearn"] or state.depth or _inside_delegated.depth:
            return original(self, *args, **kwargs)
        info = _infos.get(type(self)) or _info_of(type(self))
        owner = info.owner
        if owner is not None and state.enabled[owner]:
            # XGBoost/LightGBM log their booster; what their wrapper fits on the way (a
            # label encoder) is not a fit of its own
            _inside_delegated.depth += 1
            try:
                return original(self, *args, **kwargs)
            finally:
                _inside_delegated.depth -= 1
        X = args[0] if args else kwargs.get("X")
        y = args[1] if len(args) > 1 else kwargs.get("y")
        fit = enter_fit("sklearn")  # fit_scope's work, without its object
        try:
            if fit is not None:
                fit.safe(_record_before, fit, self, X, y, info)
            result = original(self, *args, **kwargs)
            if fit is not None:
                fit.safe(_after_fit, fit, self, X, y, info)
        finally:
            exit_fit()
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
        if _state.enabled["sklearn"]:
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
