"""PyTorch Lightning autologging: ``Trainer.fit``.

Recorded: the module's hyperparameters (``save_hyperparameters()``) and the trainer's
``max_epochs``/``max_steps``/``accumulate_grad_batches``/``gradient_clip_val``; the optimizer
class and learning rate; everything ``self.log`` sends to loggers, as series with Lightning's
step (``<name>_step`` per step, ``<name>_epoch`` per epoch, as Lightning names them); the
best checkpoint of the ``ModelCheckpoint`` callback as a registered PyTorch model (with
``best_model_score``); a ``TensorDataset`` given as training data by content.

It listens through a logger of its own added to the trainer for the fit (named so that the
checkpoint directory stays where it would be with no logger, ``<default_root_dir>/checkpoints``).
"""

from __future__ import annotations

import functools
import sys

from . import enabled, fit_scope, nested, state

TRAINER_ARGUMENTS = ("max_epochs", "max_steps", "accumulate_grad_batches", "gradient_clip_val")


def _logger_class(base):
    class DotscienceLogger(base):
        """Forwards ``log_metrics``/``log_hyperparams`` to the fit being recorded."""

        def __init__(self, fit):
            super().__init__()
            self._fit = fit

        @property
        def name(self):
            return ""

        @property
        def version(self):
            return ""

        @property
        def save_dir(self):
            return None

        @property
        def log_dir(self):
            return None

        def log_metrics(self, metrics, step=None):
            for key, value in metrics.items():
                if key == "epoch":
                    continue
                if hasattr(value, "item"):
                    value = value.item()
                self._fit.safe(self._fit.metric, key, value, step)

        def log_hyperparams(self, params, *args, **kwargs):
            pass  # recorded from the module's hparams before the fit

    return DotscienceLogger


def _hyperparameters(fit, trainer, model) -> None:
    values = {}
    hparams = getattr(model, "hparams", None)
    if hparams:
        values.update(dict(hparams))
    for name in TRAINER_ARGUMENTS:
        value = getattr(trainer, name, None)
        if name == "gradient_clip_val" and value is None:
            continue
        values[name] = value
    fit.parameters(values)


def _dataset(fit, loaders) -> None:
    loader = loaders[0] if isinstance(loaders, list | tuple) and loaders else loaders
    dataset = getattr(loader, "dataset", None)
    tensors = getattr(dataset, "tensors", None)
    if isinstance(tensors, tuple):
        for i, tensor in enumerate(tensors):
            fit.dataset("train" if i == 0 else f"train.{i}", tensor)


def _after(fit, trainer, model) -> None:
    optimizers = getattr(trainer, "optimizers", None) or []
    if optimizers:
        optimizer = optimizers[0]
        values = {"optimizer": type(optimizer).__name__}
        groups = getattr(optimizer, "param_groups", None) or []
        if groups and "lr" in groups[0]:
            values["learning_rate"] = groups[0]["lr"]
        fit.parameters(values)
    callback = getattr(trainer, "checkpoint_callback", None)
    path = getattr(callback, "best_model_path", None)
    if path and state.log_models:
        import os

        import torch

        if os.path.isfile(path):
            score = getattr(callback, "best_model_score", None)
            if score is not None:
                fit.metric("best_model_score", score.item() if hasattr(score, "item") else score)
            fit.model(torch, type(model).__name__, path)


def _patch_trainer(trainer_class, logger_base, undo: list) -> None:
    original = trainer_class.__dict__["fit"]
    logger_class = _logger_class(logger_base)

    @functools.wraps(original)
    def fit_(self, model, *args, **kwargs):
        if not enabled("lightning") or nested():
            return original(self, model, *args, **kwargs)
        with fit_scope("lightning") as fit:
            if fit is None:
                return original(self, model, *args, **kwargs)
            fit.safe(_hyperparameters, fit, self, model)
            loaders = args[0] if args else kwargs.get("train_dataloaders")
            fit.safe(_dataset, fit, loaders)
            loggers = list(self.loggers)
            self.loggers = loggers + [logger_class(fit)]
            try:
                result = original(self, model, *args, **kwargs)
            finally:
                self.loggers = loggers
            fit.safe(_after, fit, self, model)
        return result

    fit_.__dotscience_wrapped__ = original
    trainer_class.fit = fit_
    undo.append(functools.partial(setattr, trainer_class, "fit", original))


def patch(module) -> list:
    """Wrap ``Trainer.fit`` of ``lightning.pytorch`` and/or ``pytorch_lightning``."""
    undo: list = []
    for name in ("lightning.pytorch", "pytorch_lightning"):
        package = sys.modules.get(name)
        if package is None:
            continue
        trainer_class = package.Trainer
        if getattr(trainer_class.__dict__.get("fit"), "__dotscience_wrapped__", None):
            continue
        _patch_trainer(trainer_class, package.loggers.Logger, undo)
    return undo
