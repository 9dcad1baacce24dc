"""Prometheus metrics in the text exposition format (no client library needed)."""

from __future__ import annotations

import threading

#: Latency buckets in seconds.
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


def _esc(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(pairs: dict) -> str:
    if not pairs:
        return ""
    return "{" + ",".join(f'{k}="{_esc(v)}"' for k, v in pairs.items()) + "}"


class Metrics:
    """Requests, errors, latency histogram, rows and predictions per class of one model."""

    def __init__(self, model: str, version: str):
        self.base = {"model": model, "version": version}
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str], int] = {}
        self.errors: dict[tuple[str, str], int] = {}
        self.buckets = [0] * len(BUCKETS)
        self.latency_sum = 0.0
        self.latency_count = 0
        self.rows = 0
        self.batches = 0
        self.classes: dict[str, int] = {}

    def observe(self, endpoint: str, code: int, seconds: float) -> None:
        """Count one answered request (an error when ``code`` >= 400)."""
        key = (endpoint, str(code))
        with self._lock:
            self.requests[key] = self.requests.get(key, 0) + 1
            if code >= 400:
                self.errors[key] = self.errors.get(key, 0) + 1
            self.latency_sum += seconds
            self.latency_count += 1
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    self.buckets[i] += 1
                    break

    def predicted(self, rows: int, class_names=None) -> None:
        with self._lock:
            self.rows += rows
            for name in class_names or ():
                self.classes[name] = self.classes.get(name, 0) + 1

    def batch(self) -> None:
        with self._lock:
            self.batches += 1

    def render(self) -> str:
        """The metrics page."""
        b = self.base
        out = []
        with self._lock:
            out.append(
                "# HELP dotscience_model_requests_total Requests answered, by endpoint and status."
            )
            out.append("# TYPE dotscience_model_requests_total counter")
            for (endpoint, code), n in sorted(self.requests.items()):
                out.append(
                    f"dotscience_model_requests_total{_labels({**b, 'endpoint': endpoint, 'code': code})} {n}"
                )
            out.append(
                "# HELP dotscience_model_errors_total Requests answered with a 4xx or 5xx status."
            )
            out.append("# TYPE dotscience_model_errors_total counter")
            for (endpoint, code), n in sorted(self.errors.items()):
                out.append(
                    f"dotscience_model_errors_total{_labels({**b, 'endpoint': endpoint, 'code': code})} {n}"
                )
            out.append("# HELP dotscience_model_request_duration_seconds Time to answer a request.")
            out.append("# TYPE dotscience_model_request_duration_seconds histogram")
            cumulative = 0
            for bound, n in zip(BUCKETS, self.buckets, strict=False):
                cumulative += n
                out.append(
                    f"dotscience_model_request_duration_seconds_bucket{_labels({**b, 'le': repr(bound)})} {cumulative}"
                )
            out.append(
                f"dotscience_model_request_duration_seconds_bucket{_labels({**b, 'le': '+Inf'})} {self.latency_count}"
            )
            out.append(
                f"dotscience_model_request_duration_seconds_sum{_labels(b)} {self.latency_sum:.6f}"
            )
            out.append(
                f"dotscience_model_request_duration_seconds_count{_labels(b)} {self.latency_count}"
            )
            out.append("# HELP dotscience_model_rows_total Rows (instances) predicted.")
            out.append("# TYPE dotscience_model_rows_total counter")
            out.append(f"dotscience_model_rows_total{_labels(b)} {self.rows}")
            out.append(
                "# HELP dotscience_model_batches_total Calls into the model (requests are batched)."
            )
            out.append("# TYPE dotscience_model_batches_total counter")
            out.append(f"dotscience_model_batches_total{_labels(b)} {self.batches}")
            if self.classes:
                out.append("# HELP dotscience_model_predictions_total Predictions per class.")
                out.append("# TYPE dotscience_model_predictions_total counter")
                for name, n in sorted(self.classes.items()):
                    out.append(
                        f"dotscience_model_predictions_total{_labels({**b, 'class': name})} {n}"
                    )
        return "\n".join(out) + "\n"
