"""Server information routes."""

from __future__ import annotations

import tornado.web
from jupyter_server.auth.decorator import authorized

from .. import __version__
from .base import DotscienceHandler


class VersionHandler(DotscienceHandler):
    """``GET /dotscience/api/version``: versions of the server extension and kernel library."""

    @tornado.web.authenticated
    @authorized
    def get(self):
        """Response: ``{"version", "kernel_library_version", "store"}``."""
        try:
            from dotscience import __version__ as kernel_version
        except Exception:  # the kernel library is shipped in the same wheel
            kernel_version = None
        self.write_json(
            {
                "version": __version__,
                "kernel_library_version": kernel_version,
                "store": self.ds.store_kind,
                "root_dir": self.ds.root_dir,
            }
        )


ROUTES = [(r"/dotscience/api/version", VersionHandler)]
