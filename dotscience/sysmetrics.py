"""System metrics: CPU, memory, disk and network I/O (psutil) and NVIDIA GPUs (NVML) sampled
into the current run as ordinary metric series.

``ds.system_metrics(interval=1.0)`` takes one sample now (so every series exists before the
background thread starts) and then one every ``interval`` seconds on a daemon thread, until
the run is published (or :meth:`SystemMetrics.stop`). The thread is not the kernel's main
thread, so interrupting a cell (``KeyboardInterrupt``) does not stop it. With
``keep=True`` sampling pauses at publish and resumes when the next run starts.

Series (all under ``system/``): ``cpu_percent`` (the machine), ``process_cpu_percent``,
``process_memory_mib`` (resident), ``memory_used_percent`` and ``memory_used_mib`` (the
machine), ``disk_read_mib``/``disk_write_mib`` and ``network_sent_mib``/
``network_received_mib`` (since sampling began), and per GPU ``gpu<i>/utilization_percent``
and ``gpu<i>/memory_used_mib``.

psutil and nvidia-ml-py are imported when sampling starts, never at ``import dotscience``.
"""

from __future__ import annotations

import math
import threading
import time
import warnings

__all__ = ["MIN_INTERVAL", "SystemMetrics", "system_metrics"]

#: The shortest interval accepted, in seconds.
MIN_INTERVAL = 0.1
#: The longest interval accepted, in seconds.
MAX_INTERVAL = 3600.0
_MIB = 1024.0 * 1024.0

_active: SystemMetrics | None = None
_active_lock = threading.Lock()


class _Gpus:
    """NVML handles of the machine's NVIDIA GPUs (none when NVML is absent or fails)."""

    def __init__(self):
        self.nvml = None
        self.handles: list = []
        try:
            import pynvml

            pynvml.nvmlInit()
            count = pynvml.nvmlDeviceGetCount()
            self.handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
            self.nvml = pynvml
        except Exception:  # no driver, no GPU, no package: no GPU series
            self.handles = []

    def sample(self) -> dict:
        out = {}
        for i, handle in enumerate(self.handles):
            try:
                rates = self.nvml.nvmlDeviceGetUtilizationRates(handle)
                memory = self.nvml.nvmlDeviceGetMemoryInfo(handle)
            except Exception:
                continue
            out[f"system/gpu{i}/utilization_percent"] = float(rates.gpu)
            out[f"system/gpu{i}/memory_used_mib"] = memory.used / _MIB
        return out

    def close(self) -> None:
        if self.nvml is not None:
            try:
                self.nvml.nvmlShutdown()
            except Exception:
                pass
            self.nvml = None


class SystemMetrics:
    """A running sampler (returned by :func:`system_metrics`).

    Attributes
    ----------
    interval : float
        Seconds between samples.
    samples : int
        Samples taken so far.
    cpu_seconds : float
        CPU time the sampling thread has used (its own overhead).
    """

    def __init__(self, session, interval: float, keep: bool):
        import os

        import psutil

        self.session = session
        self.interval = interval
        self.keep = keep
        self.samples = 0
        self.cpu_seconds = 0.0
        self._psutil = psutil
        self._process = psutil.Process(os.getpid())
        self._gpus = _Gpus()
        self._stop = threading.Event()
        self._paused = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._disk0 = self._disk()
        self._net0 = self._net()
        psutil.cpu_percent(None)  # the first call only sets the reference point
        self._process.cpu_percent(None)

    @property
    def running(self) -> bool:
        """True while the sampling thread is alive and not paused."""
        thread = self._thread
        alive = thread is not None and thread.is_alive() and not self._stop.is_set()
        return alive and not self._paused.is_set()

    def _disk(self):
        try:
            return self._psutil.disk_io_counters()
        except Exception:
            return None

    def _net(self):
        try:
            return self._psutil.net_io_counters()
        except Exception:
            return None

    def sample(self) -> dict:
        """One sample: series name -> value."""
        ps = self._psutil
        values = {
            "system/cpu_percent": float(ps.cpu_percent(None)),
            "system/process_cpu_percent": float(self._process.cpu_percent(None)),
            "system/process_memory_mib": self._process.memory_info().rss / _MIB,
        }
        memory = ps.virtual_memory()
        values["system/memory_used_percent"] = float(memory.percent)
        values["system/memory_used_mib"] = (memory.total - memory.available) / _MIB
        disk = self._disk()
        if disk is not None and self._disk0 is not None:
            values["system/disk_read_mib"] = (disk.read_bytes - self._disk0.read_bytes) / _MIB
            values["system/disk_write_mib"] = (disk.write_bytes - self._disk0.write_bytes) / _MIB
        net = self._net()
        if net is not None and self._net0 is not None:
            values["system/network_sent_mib"] = (net.bytes_sent - self._net0.bytes_sent) / _MIB
            values["system/network_received_mib"] = (net.bytes_recv - self._net0.bytes_recv
                                                     ) / _MIB  # fmt: skip
        values.update(self._gpus.sample())
        return values

    def record(self) -> None:
        """Take one sample into the current run."""
        started = time.thread_time()
        values = self.sample()
        for key, value in values.items():
            self.session.add_metric(key, value)
        self.samples += 1
        self.cpu_seconds += time.thread_time() - started

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self._paused.is_set():
                self._wake.wait()
                self._wake.clear()
                continue
            if self._stop.wait(self.interval):
                break
            if self._paused.is_set():
                continue
            try:
                self.record()
            except Exception as exc:  # never let a sample kill the sampler silently
                warnings.warn(f"dotscience: a system metrics sample failed: {exc}", stacklevel=1)

    def _on_event(self, event: dict) -> None:
        kind = event.get("event")
        if kind == "publish":
            if self.keep:
                self._paused.set()
            else:
                self.stop()
        elif kind == "start" and self.keep and self._paused.is_set():
            self._paused.clear()
            self._wake.set()

    def start(self, paused: bool = False) -> None:
        """Take the first sample now and start the sampling thread (``paused``: take none
        until the next run starts)."""
        if paused:
            self._paused.set()
        else:
            self.record()
        self.session.add_listener(self._on_event, metrics=False)
        self._thread = threading.Thread(target=self._loop, name="dotscience-system-metrics",
                                        daemon=True)  # fmt: skip
        self._thread.start()

    def stop(self, wait: bool = False) -> None:
        """Stop sampling (the series recorded so far stay in the run)."""
        global _active
        self._stop.set()
        self._wake.set()
        try:
            self.session.remove_listener(self._on_event)
        except ValueError:
            pass
        with _active_lock:
            if _active is self:
                _active = None
        thread = self._thread
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join(timeout=max(5.0, 2 * self.interval))
        self._gpus.close()


def _check_interval(interval) -> float:
    if isinstance(interval, bool) or not isinstance(interval, int | float):
        raise TypeError(f"system_metrics(): interval must be a number of seconds, got "
                        f"{type(interval).__name__}")  # fmt: skip
    value = float(interval)
    if not math.isfinite(value) or not MIN_INTERVAL <= value <= MAX_INTERVAL:
        raise ValueError(f"system_metrics(): interval must be between {MIN_INTERVAL} and "
                         f"{MAX_INTERVAL:g} seconds, got {interval!r}")  # fmt: skip
    return value


def system_metrics(interval=1.0, *, disable: bool = False, keep: bool = False,
                   start_run: bool = True, session=None) -> SystemMetrics | None:  # fmt: skip
    """Sample CPU, memory, disk and network I/O and GPUs into the run every ``interval`` s.

    Parameters
    ----------
    interval : float
        Seconds between samples (0.1 to 3600).
    disable : bool
        Stop the sampler started earlier (returns None).
    keep : bool
        Pause at publish and resume when the next run starts, instead of stopping.
    start_run : bool
        Start a run when none is active (the default). With False and no active run,
        sampling waits for the next run to start (what the JupyterLab setting does).
    session : dotscience.Dotscience, optional
        The session to record into (default: the module's). A run is started when none is
        active.

    Returns
    -------
    SystemMetrics or None
        The running sampler; None when disabled or when psutil is not installed (with a
        warning saying so).

    Raises
    ------
    TypeError, ValueError
        ``interval`` is not a number of seconds in range.
    """
    global _active
    if not all(isinstance(flag, bool) for flag in (disable, keep, start_run)):
        raise TypeError("system_metrics(): disable, keep and start_run must be True or False")
    with _active_lock:
        previous = _active
    if previous is not None:
        previous.stop()
    if disable:
        return None
    value = _check_interval(interval)
    if session is None:
        import dotscience

        session = dotscience._defaultDS
    try:
        import psutil  # noqa: F401 - only checked here
    except ImportError:
        warnings.warn("dotscience: system metrics need psutil (pip install psutil); nothing is "
                      "sampled", stacklevel=2)  # fmt: skip
        return None
    run = session._run
    idle = run is None or run._start is None
    if idle and start_run:
        session.start()
    sampler = SystemMetrics(session, value, keep or not start_run)
    sampler.start(paused=idle and not start_run)
    with _active_lock:
        _active = sampler
    return sampler
