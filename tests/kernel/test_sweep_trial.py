"""The kernel library in a sweep's trial: ds.parameter gives the trial's values, objective
points go to the sweep, and a pruned trial publishes its run and stops."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

REPO = str(pathlib.Path(__file__).resolve().parents[2])

SCRIPT = """
import json, dotscience as ds
ds.script()
ds.start()
out = {"lr": ds.parameter("lr", 0.5), "layers": ds.parameter("layers", 2),
       "unset": ds.parameter("unset", "kept")}
try:
    for step in range(5):
        ds.metric("loss", 10.0 - step)
        ds.metric("other", step)
except ds.sweep.TrialPruned as e:
    out["pruned"] = str(e)
print(json.dumps(out))
"""


def _run(root: pathlib.Path, trial: dict | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOTSCIENCE_")}
    env.update(PYTHONPATH=REPO, DOTSCIENCE_PROJECT_DOT_ROOT=str(root))
    if trial is not None:
        env["DOTSCIENCE_SWEEP_TRIAL"] = json.dumps(trial)
    done = subprocess.run([sys.executable, "-c", "import dotscience.sweep\n" + SCRIPT],
                          env=env, cwd=root, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _spooled(root: pathlib.Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in (root / ".dotscience" / "spool").glob("*.json")]


def test_outside_a_sweep_parameters_keep_their_defaults(tmp_path):
    out = _run(tmp_path, None)
    assert out == {"lr": 0.5, "layers": 2, "unset": "kept"}


def test_a_trial_gets_its_values_and_reports_only_its_objective(tmp_path):
    # Given a trial setting lr and layers, reporting its objective (loss) to a file
    report = tmp_path / "objective.jsonl"
    trial = {"sweep": "s", "trial": 3, "parameters": {"lr": 0.01, "layers": 4},
             "objective": "loss", "report": str(report)}  # fmt: skip
    # When the script runs in it
    out = _run(tmp_path, trial)
    # Then ds.parameter returned the trial's values (the default where the trial sets none)
    assert out == {"lr": 0.01, "layers": 4, "unset": "kept"}
    # And each point of the objective (not of other metrics) was reported with its step
    points = [json.loads(line) for line in report.read_text().splitlines()]
    assert points == [{"step": s, "value": 10.0 - s} for s in range(5)]


def test_a_pruned_trial_publishes_its_run_marked_pruned_and_stops(tmp_path):
    # Given a trial the sweep has already decided to stop
    report = tmp_path / "objective.jsonl"
    pathlib.Path(str(report) + ".prune").touch()
    trial = {"sweep": "s", "trial": 1, "parameters": {}, "objective": "loss",
             "report": str(report)}  # fmt: skip
    # When the script reports its first point
    out = _run(tmp_path, trial)
    # Then TrialPruned stopped the loop at that point
    assert "stopped this trial at step 0" in out["pruned"]
    # And the run was published first, marked pruned, with the point
    (record,) = _spooled(tmp_path)
    assert record["labels"]["sweep_pruned"] == "true"
    assert [p["value"] for p in record["metrics"]["loss"]] == [10.0]
