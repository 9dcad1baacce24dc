"""System metrics: series sampled into the run, stopped at publish, kept through interrupts."""

from __future__ import annotations

import subprocess
import sys
import time
import types

import pytest

import dotscience as ds
from dotscience import sysmetrics

from .conftest import steps

DEADLINE = 20.0  # generous: the machine is shared
BASIC = ("system/cpu_percent", "system/process_cpu_percent", "system/process_memory_mib",
         "system/memory_used_percent", "system/memory_used_mib")  # fmt: skip


def wait_for(condition, what: str):
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def plain_session(tmp_path, capture):
    s = ds.Dotscience(str(tmp_path), delivery=capture)
    s.interactive()
    yield s
    sysmetrics.system_metrics(disable=True)


def test_samples_become_series_of_the_run_until_publish(plain_session, capture):
    # Given no run, sampling every 0.1 s
    sampler = ds.system_metrics(0.1, session=plain_session)
    run = plain_session.currentRun
    # When a few samples were taken and the run published
    wait_for(lambda: sampler.samples >= 3, "3 samples")
    plain_session.publish()
    wait_for(lambda: not sampler._thread.is_alive(), "the sampler to stop")
    record = capture.last
    # Then every basic series is in the run, numbered from 0, with plausible values
    for key in BASIC:
        assert steps(record, key)[:3] == [0, 1, 2], key
    rss = [p["value"] for p in record["metrics"]["system/process_memory_mib"]]
    assert all(1 < v < 1 << 20 for v in rss)
    percent = [p["value"] for p in record["metrics"]["system/memory_used_percent"]]
    assert all(0 <= v <= 100 for v in percent)
    # And sampling stopped at publish: nothing is appended any more
    count = len(run.metrics["system/cpu_percent"])
    time.sleep(0.3)
    assert len(run.metrics["system/cpu_percent"]) == count
    assert not sampler.running


def test_a_kernel_interrupt_does_not_stop_sampling(tmp_path):
    # Given sampling in a process whose main thread is then interrupted (SIGINT)
    code = f"""
import signal, time
import dotscience as ds
s = ds.Dotscience({str(tmp_path)!r})
sampler = ds.system_metrics(0.1, session=s)
try:
    signal.raise_signal(signal.SIGINT)
    time.sleep(5)
except KeyboardInterrupt:
    pass
before = sampler.samples
deadline = time.monotonic() + 20
while sampler.samples < before + 3 and time.monotonic() < deadline:
    time.sleep(0.02)
print(sampler.samples - before, sampler.running)
"""
    # When the interrupt was handled
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=tmp_path).stdout.split()  # fmt: skip
    # Then samples kept coming
    assert int(out[0]) >= 3 and out[1] == "True"


def test_keep_pauses_at_publish_and_resumes_with_the_next_run(plain_session, capture):
    # Given sampling that is kept across runs
    sampler = ds.system_metrics(0.1, keep=True, session=plain_session)
    wait_for(lambda: sampler.samples >= 2, "2 samples")
    # When the run is published, and a new run started
    plain_session.publish()
    paused_at = sampler.samples
    assert not sampler.running
    plain_session.start("next")
    # Then the new run gets its own series
    wait_for(lambda: len(plain_session.currentRun.metrics.get("system/cpu_percent", [])) >= 2,
             "samples in the next run")  # fmt: skip
    assert sampler.samples > paused_at and sampler.running


def test_gpus_are_sampled_through_nvml(plain_session, monkeypatch, capture):
    # Given an NVML with one GPU at 37% and 2 GiB used
    fake = types.ModuleType("pynvml")
    fake.nvmlInit = lambda: None
    fake.nvmlShutdown = lambda: None
    fake.nvmlDeviceGetCount = lambda: 1
    fake.nvmlDeviceGetHandleByIndex = lambda i: f"gpu{i}"
    fake.nvmlDeviceGetUtilizationRates = lambda h: types.SimpleNamespace(gpu=37, memory=5)
    fake.nvmlDeviceGetMemoryInfo = lambda h: types.SimpleNamespace(used=2 << 30, total=8 << 30)
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    # When sampling starts and the run is published
    ds.system_metrics(5.0, session=plain_session)
    plain_session.publish()
    metrics = capture.last["metrics"]
    # Then the GPU's utilisation and memory are series like the others
    assert [p["value"] for p in metrics["system/gpu0/utilization_percent"]] == [37.0]
    assert [p["value"] for p in metrics["system/gpu0/memory_used_mib"]] == [2048.0]


def test_without_a_gpu_there_are_no_gpu_series(plain_session, monkeypatch, capture):
    # Given an NVML that finds no driver
    fake = types.ModuleType("pynvml")

    def fail():
        raise OSError("NVML Shared Library Not Found")

    fake.nvmlInit = fail
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    # When sampling once and publishing
    ds.system_metrics(5.0, session=plain_session)
    plain_session.publish()
    # Then only the machine's series are there
    assert not any("gpu" in k for k in capture.last["metrics"])
    assert "system/cpu_percent" in capture.last["metrics"]


@pytest.mark.parametrize("interval, error, text", [
    (0, ValueError, "between 0.1 and 3600 seconds"),
    (float("nan"), ValueError, "between 0.1 and 3600 seconds"),
    (1e9, ValueError, "between 0.1 and 3600 seconds"),
    ("1", TypeError, "must be a number of seconds, got str"),
    (True, TypeError, "must be a number of seconds, got bool"),
])  # fmt: skip
def test_a_bad_interval_is_one_sentence_and_starts_nothing(plain_session, interval, error, text):
    # Given/When an interval that is not a usable number of seconds
    with pytest.raises(error, match=text):
        ds.system_metrics(interval, session=plain_session)
    # Then no run was started and no series recorded
    assert plain_session.currentRun is None


def test_without_psutil_one_warning_and_nothing_sampled(tmp_path):
    # Given a process where psutil cannot be imported
    code = f"""
import sys, warnings
sys.modules["psutil"] = None
import dotscience as ds
s = ds.Dotscience({str(tmp_path)!r})
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print(ds.system_metrics(session=s))
print([str(w.message) for w in caught])
"""
    # When system metrics are asked for
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=tmp_path).stdout.splitlines()  # fmt: skip
    # Then nothing runs and one warning says what to install
    assert out[0] == "None"
    assert "pip install psutil" in out[1]
