"""Keras 3 autologging: ``Model.fit`` (any backend; tested on PyTorch).

Recorded: the ``fit`` arguments (``epochs``, ``batch_size``, ``validation_split``,
``shuffle``, ``initial_epoch``, ``steps_per_epoch``), the optimizer's class and learning
rate, the loss; the history per epoch (every key of ``logs`` at each epoch end, e.g.
``loss``, ``accuracy``, ``val_loss``) as series with step = epoch; ``x``/``y`` (and
``validation_data``) by content.
"""

from __future__ import annotations

import functools
import inspect

from . import enabled, fit_scope, nested

FIT_ARGUMENTS = ("epochs", "batch_size", "validation_split", "shuffle", "initial_epoch",
                 "steps_per_epoch")  # fmt: skip


def _record_before(fit, model, arguments) -> None:
    values = {name: arguments.get(name, default)
              for name, default in (("epochs", 1), ("batch_size", None),
                                    ("validation_split", 0.0), ("shuffle", True),
                                    ("initial_epoch", 0), ("steps_per_epoch", None))}  # fmt: skip
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        values["optimizer"] = type(optimizer).__name__
        rate = getattr(optimizer, "learning_rate", None)
        if rate is not None:
            try:
                values["learning_rate"] = float(rate.numpy() if hasattr(rate, "numpy") else rate)
            except (TypeError, ValueError):
                values["learning_rate"] = str(rate)
    loss = getattr(model, "loss", None)
    if loss is not None:
        values["loss"] = loss if isinstance(loss, str) else getattr(loss, "name", str(loss))
    fit.parameters(values)
    fit.dataset("x", arguments.get("x"))
    fit.dataset("y", arguments.get("y"))
    validation = arguments.get("validation_data")
    if isinstance(validation, tuple) and validation:
        fit.dataset("validation.x", validation[0])


def _callback_class(keras):
    class DotscienceCallback(keras.callbacks.Callback):
        """Appends each epoch's logs to the run's series (step = epoch)."""

        def __init__(self, fit):
            super().__init__()
            self._fit = fit

        def on_epoch_end(self, epoch, logs=None):
            for key, value in (logs or {}).items():
                self._fit.safe(self._fit.metric, key, float(value), epoch)

    return DotscienceCallback


def patch(keras) -> list:
    """Wrap ``keras.Model.fit``; returns undo callables."""
    model_class = keras.Model
    had_own = "fit" in model_class.__dict__
    original = model_class.fit
    signature = inspect.signature(original)
    callback_class = _callback_class(keras)

    @functools.wraps(original)
    def fit_(self, *args, **kwargs):
        if not enabled("keras") or nested():
            return original(self, *args, **kwargs)
        try:
            bound = signature.bind(self, *args, **kwargs)
        except TypeError:
            return original(self, *args, **kwargs)
        with fit_scope("keras") as fit:
            if fit is None:
                return original(self, *args, **kwargs)
            fit.safe(_record_before, fit, self, dict(bound.arguments))
            callbacks = list(bound.arguments.get("callbacks") or [])
            callbacks.append(callback_class(fit))
            bound.arguments["callbacks"] = callbacks
            return original(*bound.args, **bound.kwargs)

    fit_.__dotscience_wrapped__ = original

    def restore():
        if had_own:
            model_class.fit = original
        else:
            del model_class.fit

    model_class.fit = fit_
    return [restore]
