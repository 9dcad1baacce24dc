"""The sweep spec (W&B's format plus parallelism) and the strategies choosing trial values."""

from __future__ import annotations

import ast
import math

import pytest

from jupyterlab_dotscience.sweeps import spec as S
from jupyterlab_dotscience.sweeps.trial import inject

WANDB = """
program: train.py
method: bayes
metric:
  name: val_loss
  goal: minimize
parameters:
  learning_rate:
    min: 0.0001
    max: 0.1
    distribution: log_uniform_values
  batch_size:
    values: [16, 32, 64]
  epochs:
    value: 5
  dropout:
    min: 0.1
    max: 0.5
run_cap: 12
parallelism: 3
early_terminate:
  type: hyperband
  min_iter: 3
"""


def test_a_wandb_sweep_file_is_read_unchanged():
    # When a sweep configuration written for W&B is read
    spec = S.parse_text(WANDB)
    # Then every part of it is understood (program is accepted and ignored)
    assert spec["method"] == "bayes"
    assert spec["metric"] == {"name": "val_loss", "goal": "minimize"}
    assert spec["parameters"]["learning_rate"]["distribution"] == "log_uniform_values"
    assert spec["parameters"]["batch_size"] == {"distribution": "categorical",
                                                "values": [16, 32, 64]}  # fmt: skip
    assert spec["parameters"]["epochs"] == {"distribution": "constant", "value": 5}
    assert spec["parameters"]["dropout"]["distribution"] == "uniform"
    assert spec["run_cap"] == 12 and spec["parallelism"] == 3
    assert spec["early_terminate"] == {"type": "hyperband", "min_iter": 3}
    # And its YAML form reads back as the same spec
    assert S.parse_text(S.to_yaml(spec)) == spec


def test_a_grid_covers_every_combination_once_and_is_capped():
    spec = S.check({"method": "grid", "parameters": {"a": {"values": [1, 2]},
                    "b": {"values": ["x", "y", "z"]}, "c": {"value": True}}})  # fmt: skip
    strategy = S.Strategy(spec)
    values = []
    while (v := strategy.ask(len(values))) is not None:
        values.append(v)
        strategy.tell(len(values) - 1, 0.0, "done")
    assert spec["run_cap"] == 6 and len(values) == 6
    assert {(v["a"], v["b"]) for v in values} == {(a, b) for a in (1, 2) for b in "xyz"}
    assert all(v["c"] is True for v in values)
    capped = S.check({"method": "grid", "parameters": {"a": {"values": [1, 2, 3]}},
                      "run_cap": 2})  # fmt: skip
    assert capped["run_cap"] == 2


@pytest.mark.parametrize("method", ["random", "bayes"])
def test_seeded_draws_repeat_and_stay_in_their_ranges(method):
    spec = S.check({"method": method, "metric": {"name": "m", "goal": "maximize"}, "seed": 3,
                    "run_cap": 8, "parameters": {
                        "lr": {"min": 1e-4, "max": 1e-1, "distribution": "log_uniform_values"},
                        "n": {"min": 1, "max": 4}, "act": {"values": ["relu", "tanh"]}}})  # fmt: skip

    def draws():
        strategy, out = S.Strategy(spec), []
        for i in range(8):
            v = strategy.ask(i)
            out.append(v)
            strategy.tell(i, -abs(math.log10(v["lr"]) + 2), "done")
        return out

    first, second = draws(), draws()
    assert first == second
    for v in first:
        assert 1e-4 <= v["lr"] <= 1e-1 and v["n"] in (1, 2, 3, 4) and v["act"] in ("relu", "tanh")
    assert len({v["lr"] for v in first}) == 8


def test_the_median_pruner_stops_a_trial_worse_at_the_same_step():
    spec = S.check({"method": "grid", "metric": {"name": "loss", "goal": "minimize"},
                    "parameters": {"x": {"values": [1, 2]}},
                    "early_terminate": {"type": "median", "min_iter": 1}})  # fmt: skip
    strategy = S.Strategy(spec)
    strategy.ask(0)
    assert not any(strategy.report(0, step, 1.0) for step in range(5))
    strategy.tell(0, 1.0, "done")
    strategy.ask(1)
    assert strategy.report(1, 0, 50.0) is False  # within the warm-up steps
    assert strategy.report(1, 1, 50.0) is True


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ("[1, 2]", "must be a mapping"),
        ("method: grid", "needs parameters"),
        ("method: random\nparameters: {x: {min: 0, max: 1}}", "needs run_cap"),
        ("method: bayes\nparameters: {x: {min: 0, max: 1}}\nrun_cap: 3", "needs a metric"),
        ("method: grid\nparameters: {x: {min: 0.0, max: 1.0}}", "a grid needs a list"),
        ("method: grid\nparameters: {x: {values: []}}", "non-empty list"),
        ("method: grid\nparameters: {x: {min: 2, max: 1}}", "less than its max"),
        ("method: grid\nparameters: {x: {values: [1]}}\nparallelism: 0", "parallelism"),
        ("method: grid\nparameters: {x: {values: [1]}}\nparallelism: true", "parallelism"),
        ("method: grid\nparameters: {x: {values: [1]}}\nmax_duration_seconds: -1", "greater than 0"),
        ("method: grid\nparameters: {x: {values: [1], min: 0}}", "values and a range"),
        ("method: grid\nparameters: {x: {values: [1]}}\nsurprise: 1", "unknown key"),
        ("method: random\nparameters: {x: {min: 0, max: .inf}}\nrun_cap: 2", "finite"),
        ("method: random\nparameters: {x: {min: 0, max: 1, distribution: zipf}}\nrun_cap: 2",
         "unknown distribution"),
        ("method: grid\nparameters: {x: {values: [1]}}\nearly_terminate: {type: median}",
         "needs a metric"),
        ("!!python/object/apply:os.system ['true']", "not valid YAML"),
        ("a: &a [*a, *a]\n" * 2, "not valid YAML"),
        ("x" * (S.MAX_SPEC_BYTES + 1), "longer than"),
    ],
)  # fmt: skip
def test_a_bad_spec_is_refused_in_one_sentence(data, words):
    with pytest.raises(S.SpecError) as e:
        S.parse_text(data)
    assert words in str(e.value)


def test_values_are_injected_after_the_parameters_cell_without_touching_the_notebook():
    # Given a notebook whose second cell is its parameters cell
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": "import x", "metadata": {}, "outputs": []},
        {"cell_type": "code", "source": "a = 1", "metadata": {"tags": ["parameters"]},
         "outputs": []},
        {"cell_type": "code", "source": "print(a)", "metadata": {}, "outputs": []}]}  # fmt: skip
    # When a trial's values are injected
    out = inject(nb, {"a": 2, "name": "it's", "flag": None})
    # Then a cell of Python literals follows the parameters cell, and the input is unchanged
    assert [c["source"] for c in out["cells"]][:2] == ["import x", "a = 1"]
    injected = out["cells"][2]
    assert injected["metadata"]["tags"] == ["injected-parameters"]
    tree = ast.parse(injected["source"])
    scope = {a.targets[0].id: ast.literal_eval(a.value) for a in tree.body}
    assert (scope["a"], scope["name"], scope["flag"]) == (2, "it's", None)
    assert len(nb["cells"]) == 3
    # And a notebook without a parameters cell gets the values first
    assert inject({"cells": [nb["cells"][0]]}, {"a": 3})["cells"][0]["source"].endswith("a = 3")
