"""Models: registry views, build bundles, local and Kubernetes deployers.

Plain Python (no tornado). The Jupyter server process never loads a model here: bundles are
built by copying and hashing files, and models are deserialised only inside the separate
model server process (``models/server``, copied into each bundle as ``model_server``).
"""

from .build import SUPPORTED, BuildError
from .registry import ModelService

__all__ = ["SUPPORTED", "BuildError", "ModelService"]
