"""Server information routes."""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from .. import __version__
from .handler import SCOPE_JUPYTER, DotscienceHandler


class VersionHandler(DotscienceHandler):
    """``GET /dotscience/api/version``: versions of the server extension and kernel library."""

    @tornado.web.authenticated
    @authorized
    def get(self):
        """Response: ``{"version", "kernel_library_version", "store", "max_artifact_bytes",
        "root_dir"}``; ``max_artifact_bytes`` is the largest file ``PUT artifacts/{sha256}``
        stores (clients skip larger ones); ``root_dir`` (the server's workspace path) only for
        the Jupyter user, never for an API key or the kernel token."""
        try:
            from dotscience import __version__ as kernel_version
        except Exception:  # the kernel library is shipped in the same wheel
            kernel_version = None
        info = {
            "version": __version__,
            "kernel_library_version": kernel_version,
            "store": self.ds.store_kind,
            "max_artifact_bytes": self.ds.max_artifact_bytes,
        }
        if self.scope == SCOPE_JUPYTER:
            info["root_dir"] = self.ds.root_dir
        self.write_json(info)


ROUTES = [(r"/dotscience/api/version", VersionHandler)]
