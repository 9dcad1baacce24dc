"""Server configuration for the integration tests (never use in production: it opens the
server without a token and exposes JupyterLab objects to the page for Galata)."""

import os
import pathlib
import tempfile

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821

# CI runs as root.
c.ServerApp.allow_root = True  # noqa: F821
c.ServerApp.ip = "127.0.0.1"  # noqa: F821
# The port playwright.config.js expects (DOTSCIENCE_UI_PORT, default 8888).
c.ServerApp.port = int(os.environ.get("DOTSCIENCE_UI_PORT") or 8888)  # noqa: F821

# A fresh workspace per test session, holding the quickstart notebook.
_root = pathlib.Path(os.environ.get("DOTSCIENCE_UI_ROOT") or tempfile.mkdtemp(prefix="ds-ui-"))
_root.mkdir(parents=True, exist_ok=True)
c.ServerApp.root_dir = str(_root)  # noqa: F821
