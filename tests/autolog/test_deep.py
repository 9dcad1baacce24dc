"""PyTorch Lightning and Keras 3 (PyTorch backend) autologging with the real libraries.

Each test imports its framework itself (the module and data are in ``lightning_tiny``): every
pytest-xdist worker collects every test module, and importing Keras, Lightning and PyTorch
takes about 10 s of CPU that only the worker running these tests needs to spend.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from dotscience.autolog import datasets

from .conftest import inputs, params, series, steps

EPOCHS = 3


def test_lightning_fit_records_hparams_logged_series_and_best_checkpoint(session, capture,
                                                                          tmp_path):  # fmt: skip
    import lightning.pytorch as pl
    from torch.utils.data import DataLoader, TensorDataset

    from .lightning_tiny import Tiny, tensors

    # Given a tiny module and loaders of 4 batches, checkpoints chosen by validation loss
    x, y = tensors()
    train = DataLoader(TensorDataset(x, y), batch_size=8)
    valid = DataLoader(TensorDataset(*tensors(1, 16)), batch_size=8)
    checkpoint = pl.callbacks.ModelCheckpoint(monitor="val_loss", mode="min")
    trainer = pl.Trainer(max_epochs=EPOCHS, enable_progress_bar=False, logger=False,
                         log_every_n_steps=1, callbacks=[checkpoint], accelerator="cpu",
                         enable_model_summary=False, default_root_dir=str(tmp_path))  # fmt: skip
    # When it is fitted
    trainer.fit(Tiny(lr=0.05), train, valid)
    session.publish()
    record = capture.last
    # Then the hyperparameters, trainer arguments and optimizer are parameters
    p = params(record)
    assert p["lr"] == 0.05 and p["hidden"] == 3 and p["max_epochs"] == EPOCHS
    assert p["optimizer"] == "SGD" and p["learning_rate"] == 0.05
    # And what self.log recorded: per step (4 batches x 3 epochs), per epoch, validation
    assert steps(record, "train_loss_step") == list(range(4 * EPOCHS))
    assert len(series(record, "train_loss_epoch")) == EPOCHS
    assert len(series(record, "val_loss")) == EPOCHS
    # And the best checkpoint is a registered PyTorch model in the usual place
    [model] = record["models"]
    assert model["framework"] == "torch" and model["name"] == "Tiny"
    assert model["path"] == os.path.relpath(checkpoint.best_model_path, tmp_path)
    assert model["path"].startswith("checkpoints/")
    assert series(record, "best_model_score") == [pytest.approx(checkpoint.best_model_score.item())]
    # And the training tensors are inputs by content
    assert inputs(record)["memory:train"] == datasets.fingerprint(x).sha256
    # And the user's trainer is left with the loggers it had (none)
    assert trainer.loggers == []


def test_keras_fit_records_arguments_and_history_per_epoch(session, capture):
    import keras  # on PyTorch: conftest sets KERAS_BACKEND before anything imports it

    # Given a tiny Keras model on the PyTorch backend
    assert keras.backend.backend() == "torch"
    rng = np.random.RandomState(0)
    x = rng.rand(40, 3).astype("float32")
    y = (x.sum(axis=1) > 1.5).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="binary_crossentropy", metrics=["accuracy"])  # fmt: skip
    # When it is fitted with a validation split
    history = model.fit(x, y, epochs=EPOCHS, batch_size=8, validation_split=0.25, verbose=0)
    session.publish()
    record = capture.last
    # Then the fit arguments and optimizer are parameters
    p = params(record)
    assert p["epochs"] == EPOCHS and p["batch_size"] == 8 and p["validation_split"] == 0.25
    assert p["optimizer"] == "Adam" and p["learning_rate"] == pytest.approx(0.01)
    assert p["loss"] == "binary_crossentropy"
    # And the history is a series per key, one point per epoch, equal to Keras' own history
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert steps(record, key) == list(range(EPOCHS)), key
        assert series(record, key) == pytest.approx(history.history[key]), key
    # And the data by content
    assert inputs(record)["memory:x"] == datasets.fingerprint(x).sha256
