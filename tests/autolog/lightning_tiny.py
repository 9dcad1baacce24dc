"""A tiny PyTorch Lightning module and its data, for the Lightning autolog test (imported by
the test itself, so that only the worker running it imports Lightning and PyTorch)."""

from __future__ import annotations

import lightning.pytorch as pl
import torch


class Tiny(pl.LightningModule):
    """A linear regressor that logs its loss per step and per epoch."""

    def __init__(self, lr: float = 0.05, hidden: int = 3):
        super().__init__()
        self.save_hyperparameters()
        self.layer = torch.nn.Linear(2, 1)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.layer(x), y)
        self.log("train_loss", loss, on_step=True, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self.layer(x), y))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


def tensors(seed=0, n=32):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 2, generator=g)
    return x, x.sum(dim=1, keepdim=True)
