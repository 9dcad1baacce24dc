"""``%ds autolog``, ``%ds system-metrics`` and publishing autologged runs at cell end, in a
real IPython shell."""

from __future__ import annotations

import time

import pytest

import dotscience as ds
from dotscience import sysmetrics

from .conftest import Capture, params

pytest.importorskip("IPython")

FIT = ("from sklearn.linear_model import LogisticRegression\n"
       "LogisticRegression(C={c}).fit([[0.0], [1.0], [0.1], [0.9]], [0, 1, 0, 1])\n")  # fmt: skip


@pytest.fixture
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    sh = InteractiveShell.instance()
    sh.run_line_magic("load_ext", "dotscience")
    return sh


@pytest.fixture
def delivered(tmp_path, monkeypatch, shell):
    """The default session rooted at ``tmp_path``; what it publishes."""
    monkeypatch.chdir(tmp_path)
    capture = Capture()
    session = ds._reset_session(str(tmp_path), capture)
    session.interactive()
    yield capture
    ds.autolog(disable=True)
    sysmetrics.system_metrics(disable=True)
    ds._reset_session()


def run(shell, code: str):
    result = shell.run_cell(code)
    return result


def test_autolog_magic_with_cell_end_publishing(shell, delivered):
    # Given autolog switched on by magic, publishing at the end of each cell
    assert run(shell, "%ds autolog --publish-at-cell-end").success
    # When two cells each fit a model (no ds.start, no ds.publish)
    assert run(shell, FIT.format(c=0.5)).success
    assert run(shell, FIT.format(c=2.0)).success
    # Then each cell's fit was published as its own run
    assert [params(r)["C"] for r in delivered.records] == [0.5, 2.0]
    assert delivered.records[0]["id"] != delivered.records[1]["id"]


def test_without_the_setting_the_autologged_run_waits_for_publish(shell, delivered):
    # Given autolog on without cell-end publishing
    run(shell, "%ds autolog")
    # When a cell fits a model, and a later cell publishes
    run(shell, FIT.format(c=3.0))
    published_before = len(delivered.records)
    run(shell, "%ds publish")
    # Then nothing was published at the end of the first cell, the publish holds the fit
    assert published_before == 0
    assert [params(r)["C"] for r in delivered.records] == [3.0]


def test_a_run_the_user_started_is_not_published_at_cell_end(shell, delivered):
    # Given cell-end publishing on and a run started by hand
    run(shell, "%ds autolog --publish-at-cell-end")
    run(shell, "import dotscience as ds\nds.start('mine')")
    # When a cell fits into it
    run(shell, FIT.format(c=4.0))
    # Then it stays open until the user publishes it
    assert delivered.records == []
    run(shell, "%ds publish")
    assert delivered.records[0]["description"] == "mine"


def test_autolog_magic_names_frameworks_and_turns_off(shell, delivered):
    # Given autolog on for XGBoost only
    run(shell, "%ds autolog xgboost")
    run(shell, "%ds start")
    # When a scikit-learn model is fitted and the run published
    run(shell, FIT.format(c=5.0))
    run(shell, "%ds param manual=1\n%ds publish")
    # Then scikit-learn was not autologged
    assert params(delivered.records[-1]) == {"manual": 1}
    # And `off` switches everything off
    assert run(shell, "%ds autolog off").success
    assert not ds.autolog.enabled("xgboost")


@pytest.mark.parametrize("line, text", [
    ("%ds autolog torchvision", "unknown framework 'torchvision'"),
    ("%ds system-metrics fast", "'fast' is not a number of seconds"),
    ("%ds system-metrics 0", "between 0.1 and 3600 seconds"),
    ("%ds system-metrics 1 2", "takes one interval"),
])  # fmt: skip
def test_bad_magic_arguments_are_a_usage_error(shell, delivered, line, text, capsys):
    # Given/When a magic with a bad argument
    result = run(shell, line)
    # Then it fails with a sentence saying what is wrong, and starts nothing
    assert not result.success
    assert text in str(result.error_in_exec) or text in capsys.readouterr().err
    assert ds._default_session().currentRun is None


def test_system_metrics_magic_samples_into_the_run(shell, delivered):
    # Given sampling switched on by magic with a long interval (one sample now)
    assert run(shell, "%ds system-metrics 60").success
    # When the run is published
    run(shell, "%ds publish")
    # Then its series are there, and sampling stopped
    assert "system/cpu_percent" in delivered.records[-1]["metrics"]
    assert sysmetrics._active is None


def test_settings_autolog_and_publish_at_cell_end(shell, delivered):
    # Given the extension's settings applied in the kernel
    ds.autolog.configure({"autolog": True, "publishAtCellEnd": True})
    # When a cell fits a model
    run(shell, FIT.format(c=6.0))
    # Then its run was published when the cell ended
    assert [params(r)["C"] for r in delivered.records] == [6.0]
    # And switching the setting off switches autolog off
    ds.autolog.configure({"autolog": False})
    assert not ds.autolog.enabled("sklearn")


def test_settings_off_leave_the_users_own_autolog_on(shell, delivered):
    # Given autolog switched on by the user
    ds.autolog()
    # When the settings say off
    ds.autolog.configure({"autolog": False, "publishAtCellEnd": False})
    # Then the user's autolog stays on
    assert ds.autolog.enabled("sklearn")


def test_settings_system_metrics_wait_for_a_run_and_pause_between_runs(shell, delivered):
    # Given system metrics switched on by the settings with no run
    session = ds._default_session()
    ds.autolog.configure({"systemMetrics": True, "systemMetricsInterval": 0.1})
    sampler = sysmetrics._active
    # Then no run was started for them
    assert session.currentRun is None and not sampler.running
    # When a run starts
    run(shell, "%ds start")
    deadline = time.monotonic() + 20
    while len(session.currentRun.metrics.get("system/cpu_percent", [])) < 2:
        assert time.monotonic() < deadline, "no samples in the run"
        time.sleep(0.02)
    # Then it gets samples, and after publishing sampling pauses
    run(shell, "%ds publish")
    assert "system/cpu_percent" in delivered.records[-1]["metrics"]
    assert not sampler.running
    ds.autolog.configure({"systemMetrics": False})
    assert sysmetrics._active is None


@pytest.mark.parametrize("settings, error, text", [
    ({"autolog": "yes"}, TypeError, "autolog must be true or false, got str"),
    ({"systemMetricsInterval": True}, TypeError, "must be a number, got bool"),
    ({"autolg": True}, ValueError, "unknown setting 'autolg'"),
    ({"systemMetrics": True, "systemMetricsInterval": 0}, ValueError, "between 0.1 and 3600"),
    (["autolog"], TypeError, "settings must be an object, got list"),
])  # fmt: skip
def test_bad_settings_are_refused_and_change_nothing(delivered, settings, error, text):
    # Given/When settings that are not what the extension sends
    with pytest.raises(error, match=text):
        ds.autolog.configure(settings)
    # Then nothing was switched on
    assert not ds.autolog.enabled("sklearn") and sysmetrics._active is None
