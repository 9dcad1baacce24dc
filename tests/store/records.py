"""Builders of v2 run records for store tests."""

from __future__ import annotations

import hashlib
import itertools
import uuid

_clock = itertools.count()


def sha(content: str) -> str:
    return hashlib.sha256(content.encode()).hexdigest()


def ts(second: int, micro: int = 0) -> str:
    """A timestamp ``second`` seconds after 2026-11-27T06:00:00Z."""
    minutes, seconds = divmod(second, 60)
    hours, minutes = divmod(minutes, 60)
    return f"2026-11-{27 + hours // 24:02d}T{6 + hours % 24:02d}:{minutes:02d}:{seconds:02d}.{micro:06d}Z"


def typed(value) -> dict:
    return {"value": value, "text": str(value)}


def record(**fields) -> dict:
    """A complete v2 run record; keyword arguments override its fields.

    Shortcuts: ``params={k: v}``, ``metric={k: v}`` (one point), ``reads=[(path, content)]``,
    ``writes=[(path, content)]`` (content is hashed), ``at=<second>`` (start time).
    """
    at = fields.pop("at", None)
    if at is None:
        at = next(_clock)
    params = fields.pop("params", {"alpha": 0.5})
    metric = fields.pop("metric", {"accuracy": 0.9})
    reads = fields.pop("reads", [("data/iris.csv", "iris")])
    writes = fields.pop("writes", [("model.joblib", "model")])
    rec = {
        "schema": "dotscience.run/2",
        "id": str(uuid.uuid4()),
        "project": "default",
        "description": "train a model",
        "error": None,
        "mode": "interactive",
        "workload_file": None,
        "notebook": "analysis/train.ipynb",
        "argv": [],
        "start": ts(at),
        "end": ts(at, 500000),
        "published": ts(at + 1),
        "inputs": [
            {"path": p, "sha256": sha(c), "size": len(c), "outside": False, "missing": False}
            for p, c in reads
        ],
        "outputs": [
            {"path": p, "sha256": sha(c), "size": len(c), "outside": False, "missing": False}
            for p, c in writes
        ],
        "parameters": {k: typed(v) for k, v in params.items()},
        "labels": {"team": "ml"},
        "metrics": {
            k: [{"value": v, "text": str(v), "step": 0, "time": ts(at)}] for k, v in metric.items()
        },
        "models": [],
        "environment": {"python": "3.11.7", "packages": {"numpy": "2.1.0"}, "git": None},
        "cells": [],
        "kernel_id": None,
        "build": False,
        "deploy": False,
    }
    rec.update(fields)
    return rec
