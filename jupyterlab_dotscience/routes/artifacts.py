"""Artifacts (content-addressed downloads), legacy v1 import, projects."""

from __future__ import annotations

import mimetypes
import re

import tornado.web
from jupyter_server.auth.decorator import authorized

from .. import service
from ..artifacts import UnsafePathError
from .base import DotscienceHandler

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class ArtifactHandler(DotscienceHandler):
    """``/dotscience/api/artifacts/{sha256}``: download stored file content by hash."""

    @tornado.web.authenticated
    @authorized
    async def get(self, sha256):
        """Query: ``name`` (file name for the download). Response: the bytes."""
        store = self.ds.artifacts
        if not store.has(sha256):
            raise tornado.web.HTTPError(404, f"No stored artifact has the hash {sha256}.")
        name = _SAFE_NAME.sub("_", self.get_query_argument("name", sha256))[:200] or sha256
        ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        self.set_header("Content-Type", ctype)
        self.set_header("Content-Disposition", f'attachment; filename="{name}"')
        self.set_header("Content-Length", str(store.size(sha256)))
        with store.open(sha256) as f:
            while chunk := f.read(1 << 20):
                self.write(chunk)
                await self.flush()
        self.finish()


class ImportHandler(DotscienceHandler):
    """``/dotscience/api/import``: import legacy v1 blocks (dotscience 0.8.7 output)."""

    @tornado.web.authenticated
    @authorized
    async def post(self):
        """Body: ``{"path": "<workspace-relative notebook or log>"}`` or ``{"text": "..."}``.
        Runs found are stored marked ``imported``; importing twice stores them once.
        Response: ``{"found": n, "imported": n_new, "runs": [ids]}``."""
        body = self.json_body()
        if not isinstance(body, dict) or ("path" in body) == ("text" in body):
            raise tornado.web.HTTPError(400, 'The body must be {"path": ...} or {"text": ...}.')
        if "path" in body:
            if not isinstance(body["path"], str) or not body["path"]:
                raise tornado.web.HTTPError(400, "path must be a non-empty string")
            try:
                src = service.workspace_file(self.ds.root_dir, body["path"])
            except (UnsafePathError, ValueError) as e:
                raise tornado.web.HTTPError(400, f"path {body['path']!r}: {e}") from None
            if not src.is_file():
                raise tornado.web.HTTPError(404, f"There is no file {body['path']!r}.")
            try:
                text = await self.ds.call(src.read_text, encoding="utf-8", errors="replace")
            except OSError as e:
                raise tornado.web.HTTPError(400, f"Cannot read {body['path']!r}: {e}") from None
            source = body["path"]
        else:
            if not isinstance(body["text"], str):
                raise tornado.web.HTTPError(400, "text must be a string")
            text, source = body["text"], None
        result = await self.ds.call(
            service.import_v1_text, self.ds.store, text, self.username, source
        )
        self.write_json(result)


class ProjectsHandler(DotscienceHandler):
    """``/dotscience/api/projects``."""

    @tornado.web.authenticated
    @authorized
    async def get(self):
        """Response: ``{"projects": [{"name", "runs", ...}]}``."""
        self.write_json({"projects": await self.ds.call(self.ds.store.list_projects)})


ROUTES = [
    (r"/dotscience/api/artifacts/(?P<sha256>[0-9a-f]{64})", ArtifactHandler),
    (r"/dotscience/api/import", ImportHandler),
    (r"/dotscience/api/projects", ProjectsHandler),
]
