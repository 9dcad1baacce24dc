"""Artifacts (content-addressed downloads), legacy v1 import, projects."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import tempfile

import tornado.web
from jupyter_server.auth.decorator import authorized

from .. import service
from ..artifacts import ArtifactHashMismatch, ArtifactTooLarge, UnsafePathError
from .base import DotscienceHandler

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@tornado.web.stream_request_body
class ArtifactHandler(DotscienceHandler):
    """``/dotscience/api/artifacts/{sha256}``: download (GET) or upload (PUT) by hash."""

    apikey_verbs = frozenset({"get", "put"})
    _upload = None  # (temp file, sha256 hasher) while a PUT body streams in
    _received = 0

    async def prepare(self):
        await super().prepare()
        if self.request.method != "PUT" or self._finished:
            return
        limit = self.ds.max_artifact_bytes
        length = self.request.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise tornado.web.HTTPError(
                413, f"The file is {int(length):,} bytes; the artifact size limit is {limit:,}."
            )
        self.request.connection.set_max_body_size(limit + 1)
        tmp_dir = self.ds.artifacts.root / "tmp"
        await self.ds.call(tmp_dir.mkdir, parents=True, exist_ok=True)
        self._upload = (tempfile.NamedTemporaryFile(dir=tmp_dir, prefix="upload-", delete=False),
                        hashlib.sha256())  # fmt: skip

    def data_received(self, chunk: bytes) -> None:
        self._received += len(chunk)
        if self._upload is not None and self._received <= self.ds.max_artifact_bytes:
            self._upload[0].write(chunk)
            self._upload[1].update(chunk)

    def on_finish(self) -> None:
        if self._upload is not None:
            self._upload[0].close()
            try:
                os.unlink(self._upload[0].name)
            except FileNotFoundError:
                pass

    @tornado.web.authenticated
    @authorized
    async def put(self, sha256):
        """Body: the file's raw bytes, which must hash to ``sha256``. Idempotent: 201 when
        stored now, 200 when already stored. Response: ``{"sha256", "size", "created"}``."""
        tmp, digest = self._upload
        tmp.close()
        limit = self.ds.max_artifact_bytes
        if self._received > limit:
            raise tornado.web.HTTPError(
                413, f"The file is larger than the artifact size limit ({limit:,} bytes)."
            )
        if digest.hexdigest() != sha256:
            raise tornado.web.HTTPError(
                400, f"The uploaded content has sha256 {digest.hexdigest()}, not {sha256}."
            )
        store = self.ds.artifacts
        created = not store.has(sha256)
        if created:
            try:
                await self.ds.call(store.put_file, tmp.name, expected_sha256=sha256)
            except (ArtifactHashMismatch, ArtifactTooLarge) as e:
                raise tornado.web.HTTPError(400, str(e)) from None
        self.write_json(
            {"sha256": sha256, "size": self._received, "created": created},
            status=201 if created else 200,
        )

    @tornado.web.authenticated
    @authorized
    async def get(self, sha256):
        """Query: ``name`` (file name for the download). Response: the bytes."""
        store = self.ds.artifacts
        if not store.has(sha256) or not await self._visible(sha256):
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

    async def _visible(self, sha256: str) -> bool:
        """A project-limited key sees only content that a run of its project used."""
        if not self.project_limit:
            return True
        users = await self.ds.call(self.ds.store.file_users, sha256)
        runs = await self.ds.call(self.ds.store.run_summaries, [u["run_id"] for u in users])
        return any(self.can_see_project(r["project"]) for r in runs)


class ImportHandler(DotscienceHandler):
    """``/dotscience/api/import``: import legacy v1 blocks (dotscience 0.8.7 output)."""

    apikey_verbs = frozenset({"post"})

    @tornado.web.authenticated
    @authorized
    async def post(self):
        """Body: ``{"path": "<workspace-relative notebook or log>"}`` or ``{"text": "..."}``.
        Runs found are stored marked ``imported``; importing twice stores them once.
        Response: ``{"found": n, "imported": n_new, "runs": [ids]}``."""
        body = self.json_body()
        if (self.api_key or {}).get("project"):
            raise tornado.web.HTTPError(
                403, "This API key is limited to one project, so it cannot import runs."
            )
        if self.api_key is not None and isinstance(body, dict) and "path" in body:
            raise tornado.web.HTTPError(
                403, 'An API key may import only a text ({"text": ...}), not a server file.'
            )
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
            if src.stat().st_size > self.ds.max_import_bytes:
                raise tornado.web.HTTPError(
                    413,
                    f"{body['path']!r} is {src.stat().st_size} bytes; the import limit is "
                    f"{self.ds.max_import_bytes} bytes.",
                )
            try:
                text = await self.ds.call(src.read_text, encoding="utf-8", errors="replace")
            except OSError as e:
                raise tornado.web.HTTPError(400, f"Cannot read {body['path']!r}: {e}") from None
            source = body["path"]
        else:
            if not isinstance(body["text"], str):
                raise tornado.web.HTTPError(400, "text must be a string")
            text, source = body["text"], None
            if len(text) > self.ds.max_import_bytes:
                raise tornado.web.HTTPError(
                    413,
                    f"The text is {len(text)} characters; the import limit is "
                    f"{self.ds.max_import_bytes}.",
                )
        try:
            result = await self.ds.call(
                service.import_v1_text, self.ds.store, text, self.username, source
            )
        except (ValueError, TypeError, KeyError, AttributeError) as e:  # a malformed block
            raise tornado.web.HTTPError(
                400, f"A legacy block is not a valid run record: {e}"
            ) from None
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
