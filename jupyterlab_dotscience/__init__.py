"""Dotscience for JupyterLab: the Jupyter server extension (run store, artifacts, REST API)."""

try:
    from ._version import __version__
except ImportError:  # a raw checkout that was never built
    import json
    import pathlib

    _pkg = pathlib.Path(__file__).resolve().parent.parent / "package.json"
    try:
        __version__ = json.loads(_pkg.read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        __version__ = "0+unknown"


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "jupyterlab-dotscience"}]


def _jupyter_server_extension_points():
    from .app import DotscienceApp

    return [{"module": "jupyterlab_dotscience", "app": DotscienceApp}]
