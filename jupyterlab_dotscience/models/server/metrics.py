"""Prometheus metrics of one model server, rendered by ``prometheus_client``.

Every server has its own :class:`~prometheus_client.CollectorRegistry` (never the process-wide
default one), so nothing else in the process can add to or read from the page. The metric
names are the ones the Models section charts (``src/models/metrics.ts``).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.exposition import generate_latest

#: Latency buckets in seconds.
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

#: The content type of the metrics page (text exposition format 0.0.4).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# The ``*_created`` timestamps double the page and nothing charts them.
disable_created_metrics()


class Metrics:
    """Requests, errors, latency histogram, rows, batches and predictions per class.

    Parameters
    ----------
    model : str
        The model's name (a label on every series).
    version : str
        The model version (a label on every series).
    """

    def __init__(self, model: str, version: str):
        self.registry = CollectorRegistry(auto_describe=True)
        base = ("model", "version")
        self._base = (str(model), str(version))
        self._requests = Counter(
            "dotscience_model_requests", "Requests answered, by endpoint and status.",
            (*base, "endpoint", "code"), registry=self.registry,
        )  # fmt: skip
        self._errors = Counter(
            "dotscience_model_errors", "Requests answered with a 4xx or 5xx status.",
            (*base, "endpoint", "code"), registry=self.registry,
        )  # fmt: skip
        self._latency = Histogram(
            "dotscience_model_request_duration_seconds", "Time to answer a request.",
            base, buckets=BUCKETS, registry=self.registry,
        ).labels(*self._base)  # fmt: skip
        self._rows = Counter(
            "dotscience_model_rows", "Rows (instances) predicted.", base, registry=self.registry
        ).labels(*self._base)
        self._batches = Counter(
            "dotscience_model_batches", "Calls into the model (requests are batched).", base,
            registry=self.registry,
        ).labels(*self._base)  # fmt: skip
        self._predictions = Counter(
            "dotscience_model_predictions", "Predictions per class.", (*base, "class"),
            registry=self.registry,
        )  # fmt: skip
        # label children are looked up once per (endpoint, code) / class, not per request
        self._children: dict = {}

    def _child(self, family, *labels):
        key = (id(family), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = family.labels(*self._base, *labels)
        return child

    def observe(self, endpoint: str, code: int, seconds: float) -> None:
        """Count one answered request (an error when ``code`` >= 400) and its latency.

        Parameters
        ----------
        endpoint : str
            The route's name (``v2_infer``, ``v1_predict`` or ``other``).
        code : int
            The HTTP status answered.
        seconds : float
            The time from the request's head to the answer.
        """
        labels = (endpoint, str(code))
        self._child(self._requests, *labels).inc()
        if code >= 400:
            self._child(self._errors, *labels).inc()
        self._latency.observe(seconds)

    def predicted(self, rows: int, class_names=None) -> None:
        """Count ``rows`` predicted rows and one prediction per class name given.

        Parameters
        ----------
        rows : int
            Rows predicted.
        class_names : list of str, optional
            The predicted class of each row.
        """
        self._rows.inc(rows)
        if class_names:
            counts: dict[str, int] = {}
            for name in class_names:
                counts[name] = counts.get(name, 0) + 1
            for name, n in counts.items():
                self._child(self._predictions, str(name)).inc(n)

    def batch(self) -> None:
        """Count one call into the model."""
        self._batches.inc()

    def render(self) -> str:
        """The metrics page (Prometheus text exposition format)."""
        return generate_latest(self.registry).decode("utf-8")
