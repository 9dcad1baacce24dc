"""The Dotscience model server: one model, Open Inference Protocol v2 and TF-Serving v1.

This package is copied verbatim into every build bundle as ``model_server/`` and runs as its
own process (``python -m model_server --bundle DIR``). It imports nothing from Dotscience:
only the standard library, numpy, tornado (HTTP), prometheus_client (metrics) and the
model's framework, all listed in the bundle's ``requirements.txt``.
"""

__version__ = "1"
