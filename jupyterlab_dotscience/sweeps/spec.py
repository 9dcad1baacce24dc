"""The sweep spec: W&B's sweep configuration format plus ``parallelism`` (and a wall-time
budget), parsed and checked; and the strategies that choose each trial's values.

```yaml
method: random            # grid | random | bayes (Optuna's TPE)
metric: {name: accuracy, goal: maximize}
parameters:
  C: {min: 0.01, max: 10.0, distribution: log_uniform_values}
  kernel: {values: [linear, rbf]}
  max_iter: {value: 200}
  depth: {min: 1, max: 8}          # integers: int_uniform
run_cap: 6                # trials (required unless the grid is finite)
parallelism: 2            # trials at a time (bounded by the backend)
max_duration_seconds: 3600  # seconds of wall time (optional)
seed: 0                   # random and bayes draws (optional)
early_terminate: {type: hyperband, min_iter: 3}   # or {type: median}: Optuna's pruners
```

W&B keys that do not apply to a notebook (``program``, ``command``, ``name``,
``description``, ``project``, ``entity``) are accepted and ignored, so an existing W&B file
runs unchanged. Anything else is refused with one sentence (:class:`SpecError`).
"""

from __future__ import annotations

import itertools
import json
import keyword
import math
import random
import threading

import yaml

METHODS = ("grid", "random", "bayes")
GOALS = ("maximize", "minimize")
DISTRIBUTIONS = (
    "constant", "categorical", "int_uniform", "uniform", "q_uniform", "log_uniform",
    "log_uniform_values", "normal", "log_normal",
)  # fmt: skip
IGNORED = ("program", "command", "name", "description", "project", "entity")
#: Most parameters a spec may have, values in a list, and trials
MAX_PARAMETERS = 100
MAX_VALUES = 10_000
MAX_TRIALS = 10_000
MAX_PARALLELISM = 256
#: Longest spec text read (bytes)
MAX_SPEC_BYTES = 256 * 1024
_NAME_MAX = 200


class SpecError(ValueError):
    """The spec is not one this server can run (one sentence)."""


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(f"{where} must be a number.")
    if not math.isfinite(value):
        raise SpecError(f"{where} must be a finite number.")
    return value


def _plain(value, where: str):
    """A JSON scalar (str, int, float, bool, None), finite."""
    if value is None or isinstance(value, (str, bool, int)):
        if isinstance(value, str) and len(value) > 10_000:
            raise SpecError(f"{where} is longer than 10,000 characters.")
        return value
    if isinstance(value, float):
        return _number(value, where)
    raise SpecError(f"{where} must be a string, number, boolean or null.")


def parse_text(text: str) -> dict:
    """Read a spec from YAML or JSON text (YAML's safe loader: no tags, no objects).

    Raises
    ------
    SpecError
        The text is not a mapping in YAML or JSON, or is too long.
    """
    if not isinstance(text, str):
        raise SpecError("The spec must be text (YAML or JSON).")
    if len(text.encode("utf-8", "replace")) > MAX_SPEC_BYTES:
        raise SpecError(f"The spec is longer than {MAX_SPEC_BYTES // 1024} KiB.")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise SpecError(f"The spec is not valid YAML or JSON{where}.") from None
    return check(data)


def _parameter(name: str, p, method: str) -> dict:
    where = f"Parameter {name!r}"
    if not isinstance(p, dict):
        raise SpecError(f"{where} must be a mapping with values, value or min/max.")
    unknown = set(p) - {"values", "value", "min", "max", "distribution", "q", "mu", "sigma",
                        "probabilities"}  # fmt: skip
    if unknown:
        raise SpecError(f"{where} has an unknown key {sorted(unknown)[0]!r}.")
    dist = p.get("distribution")
    if dist is not None and dist not in DISTRIBUTIONS:
        raise SpecError(f"{where} has an unknown distribution {str(dist)[:50]!r}; use one of "
                        f"{', '.join(DISTRIBUTIONS)}.")  # fmt: skip
    if "value" in p:
        if set(p) - {"value", "distribution"} or dist not in (None, "constant"):
            raise SpecError(f"{where} has a value and other keys; give one of them.")
        return {"distribution": "constant", "value": _plain(p["value"], f"{where}'s value")}
    if "values" in p:
        values = p["values"]
        if not isinstance(values, list) or not values:
            raise SpecError(f"{where}'s values must be a non-empty list.")
        if len(values) > MAX_VALUES:
            raise SpecError(f"{where} has more than {MAX_VALUES} values.")
        if dist not in (None, "categorical") or set(p) - {"values", "distribution"}:
            raise SpecError(f"{where} has values and a range; give one of them.")
        out = [_plain(v, f"{where}'s value {i + 1}") for i, v in enumerate(values)]
        if len({json.dumps(v, sort_keys=True) for v in out}) != len(out):
            raise SpecError(f"{where} lists a value twice.")
        return {"distribution": "categorical", "values": out}
    if dist in ("normal", "log_normal"):
        mu = _number(p.get("mu", 0.0), f"{where}'s mu")
        sigma = _number(p.get("sigma", 1.0), f"{where}'s sigma")
        if sigma <= 0:
            raise SpecError(f"{where}'s sigma must be greater than 0.")
        if method != "random":
            raise SpecError(f"{where}: the {dist} distribution needs method random.")
        return {"distribution": dist, "mu": mu, "sigma": sigma}
    if "min" not in p or "max" not in p:
        raise SpecError(f"{where} needs values, value, or both min and max.")
    lo, hi = _number(p["min"], f"{where}'s min"), _number(p["max"], f"{where}'s max")
    if lo >= hi:
        raise SpecError(f"{where}'s min must be less than its max.")
    if dist is None:
        dist = "int_uniform" if isinstance(lo, int) and isinstance(hi, int) else "uniform"
    if dist == "int_uniform" and not (isinstance(lo, int) and isinstance(hi, int)):
        raise SpecError(f"{where}: int_uniform needs whole-number min and max.")
    if dist == "log_uniform_values" and lo <= 0:
        raise SpecError(f"{where}: log_uniform_values needs a min greater than 0.")
    if dist in ("constant", "categorical"):
        raise SpecError(f"{where}: the {dist} distribution needs value or values.")
    out = {"distribution": dist, "min": lo, "max": hi}
    if dist == "q_uniform":
        q = _number(p.get("q", 1.0), f"{where}'s q")
        if q <= 0:
            raise SpecError(f"{where}'s q must be greater than 0.")
        out["q"] = q
    if method == "grid":
        if dist != "int_uniform" or hi - lo >= MAX_VALUES:
            raise SpecError(f"{where}: a grid needs a list of values (or a whole-number range "
                            f"of fewer than {MAX_VALUES} values).")  # fmt: skip
    return out


def check(data) -> dict:
    """Check a spec (a parsed mapping) and return it normalised.

    Returns
    -------
    dict
        ``{"method", "metric": {"name", "goal"} | None, "parameters": {name: {...}},
        "run_cap", "parallelism", "max_duration_seconds", "seed", "early_terminate"}``.

    Raises
    ------
    SpecError
        One sentence saying what is wrong.
    """
    if not isinstance(data, dict):
        raise SpecError("The spec must be a mapping (method, metric, parameters, ...).")
    known = {"method", "metric", "parameters", "run_cap", "parallelism",
             "max_duration_seconds", "seed", "early_terminate", *IGNORED}  # fmt: skip
    unknown = [str(k) for k in data if k not in known]
    if unknown:
        raise SpecError(f"The spec has an unknown key {sorted(unknown)[0][:50]!r}.")
    method = data.get("method")
    if method not in METHODS:
        raise SpecError("The spec's method must be grid, random or bayes.")
    metric = data.get("metric")
    if metric is not None:
        if (
            not isinstance(metric, dict)
            or not isinstance(metric.get("name"), str)
            or not (0 < len(metric["name"]) <= _NAME_MAX)
        ):
            raise SpecError("The spec's metric must be a mapping with a name.")
        goal = metric.get("goal", "minimize")
        if goal not in GOALS:
            raise SpecError("The metric's goal must be maximize or minimize.")
        if set(metric) - {"name", "goal", "target"}:
            raise SpecError("The spec's metric has keys other than name and goal.")
        metric = {"name": metric["name"], "goal": goal}
    elif method == "bayes":
        raise SpecError("A bayes sweep needs a metric to optimise.")
    params = data.get("parameters")
    if not isinstance(params, dict) or not params:
        raise SpecError("The spec needs parameters (a mapping of names to values or ranges).")
    if len(params) > MAX_PARAMETERS:
        raise SpecError(f"The spec has more than {MAX_PARAMETERS} parameters.")
    parameters = {}
    for name, p in params.items():
        if (not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name)
                or len(name) > _NAME_MAX):  # fmt: skip
            raise SpecError(f"Parameter name {str(name)[:50]!r} is not a Python identifier.")
        parameters[name] = _parameter(name, p, method)
    grid_size = None
    if method == "grid":
        grid_size = 1
        for p in parameters.values():
            grid_size *= len(_grid_values(p))
    run_cap = data.get("run_cap")
    if run_cap is None:
        if grid_size is None:
            raise SpecError(f"A {method} sweep needs run_cap (how many trials).")
        run_cap = grid_size
    if isinstance(run_cap, bool) or not isinstance(run_cap, int) or run_cap < 1:
        raise SpecError("run_cap must be a whole number of trials, at least 1.")
    if grid_size is not None:
        run_cap = min(run_cap, grid_size)
    if run_cap > MAX_TRIALS:
        raise SpecError(f"run_cap is larger than {MAX_TRIALS} trials.")
    parallelism = data.get("parallelism", 1)
    if (
        isinstance(parallelism, bool)
        or not isinstance(parallelism, int)
        or not (1 <= parallelism <= MAX_PARALLELISM)
    ):
        raise SpecError(f"parallelism must be a whole number from 1 to {MAX_PARALLELISM}.")
    budget = data.get("max_duration_seconds")
    if budget is not None and _number(budget, "max_duration_seconds") <= 0:
        raise SpecError("max_duration_seconds must be a number of seconds greater than 0.")
    seed = data.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise SpecError("seed must be a whole number, at least 0.")
    early = data.get("early_terminate")
    if early is not None:
        if not isinstance(early, dict) or early.get("type") not in ("hyperband", "median"):
            raise SpecError("early_terminate must be {type: hyperband} or {type: median}.")
        if metric is None:
            raise SpecError("early_terminate needs a metric to compare trials by.")
        min_iter = early.get("min_iter", 1)
        if isinstance(min_iter, bool) or not isinstance(min_iter, int) or min_iter < 0:
            raise SpecError("early_terminate's min_iter must be a whole number.")
        early = {"type": early["type"], "min_iter": min_iter}
    return {"method": method, "metric": metric, "parameters": parameters, "run_cap": run_cap,
            "parallelism": parallelism, "max_duration_seconds": budget, "seed": seed,
            "early_terminate": early}  # fmt: skip


def _grid_values(p: dict) -> list:
    if p["distribution"] == "constant":
        return [p["value"]]
    if p["distribution"] == "categorical":
        return p["values"]
    return list(range(p["min"], p["max"] + 1))


def _draw(rng: random.Random, p: dict):
    d = p["distribution"]
    if d == "constant":
        return p["value"]
    if d == "categorical":
        return rng.choice(p["values"])
    if d == "int_uniform":
        return rng.randint(p["min"], p["max"])
    if d == "uniform":
        return rng.uniform(p["min"], p["max"])
    if d == "q_uniform":
        return round(rng.uniform(p["min"], p["max"]) / p["q"]) * p["q"]
    if d == "log_uniform":  # W&B: min and max are exponents of e
        return math.exp(rng.uniform(p["min"], p["max"]))
    if d == "log_uniform_values":
        return math.exp(rng.uniform(math.log(p["min"]), math.log(p["max"])))
    if d == "normal":
        return rng.gauss(p["mu"], p["sigma"])
    return math.exp(rng.gauss(p["mu"], p["sigma"]))  # log_normal


class Strategy:
    """Chooses each trial's values and judges its objective's points (for pruning).

    ``ask(number)`` gives trial ``number``'s values (None: the search is exhausted);
    ``tell(number, value, state)`` gives its outcome (``value`` None for a failed trial);
    ``report(number, step, value)`` feeds a point of its objective and says whether to stop
    it (Optuna's pruner, when the spec asks for early termination). Thread-safe.

    Parameters
    ----------
    spec : dict
        A checked spec (:func:`check`).
    """

    def __init__(self, spec: dict):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.spec = spec
        self._lock = threading.Lock()
        self._rng = random.Random(spec.get("seed"))
        self._grid = None
        if spec["method"] == "grid":
            names = list(spec["parameters"])
            grids = [_grid_values(spec["parameters"][n]) for n in names]
            self._grid = [dict(zip(names, combo, strict=True))
                          for combo in itertools.product(*grids)]  # fmt: skip
        metric = spec.get("metric") or {}
        direction = metric.get("goal", "minimize")
        early = spec.get("early_terminate")
        if early is None:
            pruner = optuna.pruners.NopPruner()
        elif early["type"] == "hyperband":
            pruner = optuna.pruners.HyperbandPruner(min_resource=max(1, early["min_iter"]))
        else:
            pruner = optuna.pruners.MedianPruner(n_startup_trials=1,
                                                 n_warmup_steps=early["min_iter"])  # fmt: skip
        sampler = (optuna.samplers.TPESampler(seed=spec.get("seed"), n_startup_trials=3)
                   if spec["method"] == "bayes" else optuna.samplers.RandomSampler(
                       seed=spec.get("seed")))  # fmt: skip
        self._study = optuna.create_study(direction=direction, sampler=sampler, pruner=pruner)
        self._trials: dict[int, object] = {}

    def _suggest(self, trial, name: str, p: dict):
        d = p["distribution"]
        if d == "constant":
            return p["value"]
        if d == "categorical":
            index = trial.suggest_categorical(name + "#", list(range(len(p["values"]))))
            return p["values"][index]
        if d == "int_uniform":
            return trial.suggest_int(name, p["min"], p["max"])
        if d == "uniform":
            return trial.suggest_float(name, p["min"], p["max"])
        if d == "q_uniform":
            return trial.suggest_float(name, p["min"], p["max"], step=p["q"])
        if d == "log_uniform_values":
            return trial.suggest_float(name, p["min"], p["max"], log=True)
        return math.exp(trial.suggest_float(name, p["min"], p["max"]))  # log_uniform

    def ask(self, number: int) -> dict | None:
        """The values of trial ``number`` (0-based), or None when the search is exhausted."""
        with self._lock:
            if number >= self.spec["run_cap"]:
                return None
            trial = self._study.ask()
            self._trials[number] = trial
            if self._grid is not None:
                return dict(self._grid[number]) if number < len(self._grid) else None
            if self.spec["method"] == "bayes":
                return {n: self._suggest(trial, n, p) for n, p in self.spec["parameters"].items()}
            return {n: _draw(self._rng, p) for n, p in self.spec["parameters"].items()}

    def skip(self, number: int) -> None:
        """Advance past trial ``number`` without running it (a trial of an earlier server)."""
        self.ask(number)
        self.tell(number, None, "failed")

    def report(self, number: int, step: int, value: float) -> bool:
        """Feed a point of trial ``number``'s objective; True when it should stop."""
        import optuna  # noqa: F401 - imported with the study

        with self._lock:
            trial = self._trials.get(number)
            if trial is None or self.spec.get("early_terminate") is None:
                return False
            trial.report(float(value), int(step))
            return bool(trial.should_prune())

    def tell(self, number: int, value, state: str) -> None:
        """Give the outcome of trial ``number`` (``done``, ``failed``, ``pruned``)."""
        import optuna

        with self._lock:
            trial = self._trials.pop(number, None)
            if trial is None:
                return
            if state == "done" and value is not None and math.isfinite(value):
                self._study.tell(trial, float(value))
            elif state == "pruned":
                self._study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            else:
                self._study.tell(trial, state=optuna.trial.TrialState.FAIL)


def to_yaml(spec: dict) -> str:
    """The spec as W&B-style YAML (what ``GET sweeps/{id}`` shows and the CLI echoes)."""
    out = {"method": spec["method"]}
    if spec.get("metric"):
        out["metric"] = spec["metric"]
    params = {}
    for name, p in spec["parameters"].items():
        d = p["distribution"]
        if d == "constant":
            params[name] = {"value": p["value"]}
        elif d == "categorical":
            params[name] = {"values": p["values"]}
        else:
            params[name] = {k: v for k, v in p.items()}
    out["parameters"] = params
    for key in ("run_cap", "parallelism", "max_duration_seconds", "seed", "early_terminate"):
        if spec.get(key) is not None:
            out[key] = spec[key]
    return yaml.safe_dump(out, sort_keys=False)
