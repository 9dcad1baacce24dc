"""Server configuration for the integration tests (never use in production: it opens the
server without a token and exposes JupyterLab objects to the page for Galata)."""

import atexit
import contextlib
import os
import pathlib
import shutil
import tempfile

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821

# CI runs as root.
c.ServerApp.allow_root = True  # noqa: F821
c.ServerApp.ip = "127.0.0.1"  # noqa: F821
# The port playwright.config.js expects (DOTSCIENCE_UI_PORT, default 8888).
c.ServerApp.port = int(os.environ.get("DOTSCIENCE_UI_PORT") or 8888)  # noqa: F821

# What Galata made for this server (its workspaces, a root replaced below, the terminals'
# rc file) goes when the server exits (playwright.config.js stops it with SIGTERM).
_made = [c.LabApp.workspaces_dir, c.ServerApp.root_dir]  # noqa: F821
_rcfile = c.ServerApp.terminado_settings["shell_command"][-1]  # noqa: F821

# A fresh workspace per test session, holding the quickstart notebook; removed at exit
# unless DOTSCIENCE_UI_ROOT names one to keep.
if os.environ.get("DOTSCIENCE_UI_ROOT"):
    _root = pathlib.Path(os.environ["DOTSCIENCE_UI_ROOT"])
    _root.mkdir(parents=True, exist_ok=True)
else:
    _root = pathlib.Path(tempfile.mkdtemp(prefix="ds-ui-"))
    _made.append(str(_root))
c.ServerApp.root_dir = str(_root)  # noqa: F821


@atexit.register
def _remove_made():
    for path in _made:
        shutil.rmtree(path, ignore_errors=True)
    with contextlib.suppress(OSError):
        os.remove(_rcfile)
