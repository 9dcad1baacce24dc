"""Artifacts (content-addressed downloads), legacy v1 import, projects."""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import os
import re
import stat

import tornado.web
from jupyter_server.auth.decorator import authorized

from .. import publishing
from ..artifacts import ArtifactHashMismatch, ArtifactStoreUnavailable, UnsafePathError
from .handler import DotscienceHandler

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
log = logging.getLogger(__name__)


def _unavailable(error: ArtifactStoreUnavailable) -> tornado.web.HTTPError:
    """503 for an artifact store that cannot be reached (its location is logged, not said)."""
    log.warning("Dotscience: %s", error)
    return tornado.web.HTTPError(
        503, "The artifact store cannot be reached now; the server log has the details."
    )


@tornado.web.stream_request_body
class ArtifactHandler(DotscienceHandler):
    """``/dotscience/api/artifacts/{sha256}``: download (GET) or upload (PUT) by hash."""

    apikey_verbs = frozenset({"get", "put"})
    _upload = None  # (temp file, sha256 hasher) while a PUT body streams in
    _received = 0
    _gone = False  # the client disconnected before the request finished
    _committing = False  # put() owns the temp file (put_upload deletes it in any case)

    _refusal = None  # the answer to a refused PUT, given after its body

    async def prepare(self):
        size = self._declared_size()
        try:
            await super().prepare()
            if self.request.method == "PUT" and not self._finished:
                await self._may_upload()  # before a byte of the body is stored
        except tornado.web.HTTPError as refusal:  # credentials, XSRF, permission
            most = min(self.ds.max_artifact_bytes, self._server_body_limit())
            if not self._refuse_after_body(refusal, size, most=most):
                raise
            return
        if self.request.method != "PUT" or self._finished:
            return
        limit = self.ds.max_artifact_bytes
        refusal = None
        if size is not None and size > limit:
            refusal = tornado.web.HTTPError(
                413, f"The file is {size:,} bytes; the artifact size limit is {limit:,}."
            )
        sha256 = self.path_kwargs["sha256"]
        if refusal is None and size is not None and self.api_key is not None:
            if not await self._has(sha256):
                used = await self.ds.call(self.ds.store.upload_usage, self.api_key["id"])
                if used + size > self.ds.api_key_upload_quota:
                    refusal = self._over_quota(used, size)
        if refusal is not None:
            if not self._refuse_after_body(refusal, size):
                raise refusal
            return
        self.request.connection.set_max_body_size(limit + 1)
        tmp = await self.ds.call(self.ds.artifacts.upload_temp)
        self._upload = (tmp, hashlib.sha256())
        if self._gone:  # disconnected while the temp file was being made
            self._discard()

    def _declared_size(self) -> int | None:
        length = self.request.headers.get("Content-Length")
        return int(length) if length is not None and length.isdigit() else None

    def _server_body_limit(self) -> int:
        """The largest body Jupyter Server reads on any route (``ServerApp.max_body_size``)."""
        return int(getattr(self.serverapp, "max_body_size", None) or 512 * 1024**2)

    def _refuse_after_body(
        self, refusal: tornado.web.HTTPError, size: int | None, most: int | None = None
    ) -> bool:
        """Keep ``refusal`` to answer once the body is read (into nothing); False when it is
        answered now. A client that sends its body at once would not hear an answer given
        before it: the connection closes under it (a reset). A client that waits to be told
        to continue is answered now and never sends the body; so is a body without a length,
        or one over ``most`` bytes."""
        if self.request.method != "PUT" or size is None or self._client_waits_to_continue():
            return False
        if most is not None and size > most:
            return False
        self._refusal = refusal
        self.request.connection.set_max_body_size(size)
        return True

    def _client_waits_to_continue(self) -> bool:
        """The client sent ``Expect: 100-continue`` straight to this server. A proxy in
        between (JupyterHub's) tells the client to go on itself and sends the body anyway,
        so an answer given before the body would be lost there (the client gets a 503)."""
        headers = self.request.headers
        proxied = any(name in headers for name in ("X-Forwarded-For", "Forwarded", "Via"))
        return headers.get("Expect", "").lower() == "100-continue" and not proxied

    @tornado.web.authenticated
    @authorized
    async def _may_upload(self) -> None:
        """Who may not upload is refused before the body is read (403, as ``put`` would)."""

    async def _has(self, sha256: str) -> bool:
        try:
            return await self.ds.call(self.ds.artifacts.has, sha256)
        except ArtifactStoreUnavailable as e:
            raise _unavailable(e) from None

    def _over_quota(self, used: int, size: int) -> tornado.web.HTTPError:
        return tornado.web.HTTPError(
            413,
            f"This API key has uploaded {used:,} bytes of its "
            f"{self.ds.api_key_upload_quota:,}-byte upload quota; a {size:,}-byte file does "
            "not fit.",
        )

    def data_received(self, chunk: bytes) -> None:
        self._received += len(chunk)
        if self._upload is not None and self._received <= self.ds.max_artifact_bytes:
            self._upload[0].write(chunk)
            self._upload[1].update(chunk)

    def _discard(self) -> None:
        if self._upload is not None:
            self.ds.artifacts.discard(self._upload[0])

    def on_connection_close(self) -> None:
        """An aborted upload leaves no temp file behind."""
        self._gone = True
        if not self._committing:
            self._discard()
        super().on_connection_close()

    def on_finish(self) -> None:
        self._discard()

    def send_error(self, status_code: int = 500, **kwargs) -> None:
        """A refusal kept from ``prepare`` is the answer, also when ``put``'s decorators
        stop the request first (their bare 403 would hide e.g. "this key was revoked")."""
        refusal, self._refusal = self._refusal, None
        if refusal is not None:
            status_code, kwargs["exc_info"] = refusal.status_code, (type(refusal), refusal, None)
        super().send_error(status_code, **kwargs)

    @tornado.web.authenticated
    @authorized
    async def put(self, sha256):
        """Body: the file's raw bytes, which must hash to ``sha256``. Idempotent: 201 when
        stored now, 200 when already stored. Uploading content counts it as captured for
        the uploader's runs (of the key's project) that declared it. New content counts
        against an API key's upload quota (413 when it does not fit).
        Response: ``{"sha256", "size", "created"}``."""
        if self._refusal is not None:  # refused in prepare(), answered after the body
            raise self._refusal
        tmp, digest = self._upload
        self._committing = True
        limit = self.ds.max_artifact_bytes
        if self._received > limit:
            raise tornado.web.HTTPError(
                413, f"The file is larger than the artifact size limit ({limit:,} bytes)."
            )
        if digest.hexdigest() != sha256:
            raise tornado.web.HTTPError(
                400, f"The uploaded content has sha256 {digest.hexdigest()}, not {sha256}."
            )
        store, size = self.ds.artifacts, self._received
        charged = None
        if self.api_key is not None and not await self._has(sha256):
            charged = self.api_key["id"]
            quota = self.ds.api_key_upload_quota
            if not await self.ds.call(self.ds.store.charge_upload, charged, size, quota):
                used = await self.ds.call(self.ds.store.upload_usage, charged)
                raise self._over_quota(used, size)
        try:
            created = await self.ds.call(store.put_upload, tmp, sha256)
        except BaseException as e:
            if charged:
                await self.ds.call(self.ds.store.charge_upload, charged, -size, 0)
            if isinstance(e, ArtifactStoreUnavailable):
                raise _unavailable(e) from None
            raise
        if charged and not created:  # someone stored the same content meanwhile
            await self.ds.call(self.ds.store.charge_upload, charged, -size, 0)
        await self.ds.call(
            self.ds.store.record_upload, sha256, self.username, self.project_limit, size
        )
        self.write_json(
            {"sha256": sha256, "size": size, "created": created},
            status=201 if created else 200,
        )

    @tornado.web.authenticated
    @authorized
    async def get(self, sha256):
        """Query: ``name`` (file name for the download). Response: the bytes."""
        missing = tornado.web.HTTPError(404, f"No stored artifact has the hash {sha256}.")
        if not await self._has(sha256) or not await self._readable(sha256):
            raise missing
        try:  # verified against its hash before a byte is sent (from S3: into the cache)
            f = await self.ds.call(self.ds.artifacts.open, sha256)
        except FileNotFoundError:
            raise missing from None
        except ArtifactHashMismatch as e:
            log.error("Dotscience: artifact %s refused: %s", sha256, e)
            raise tornado.web.HTTPError(
                500,
                f"The stored content of artifact {sha256} does not match its hash (it was "
                "changed or damaged in the artifact store), so it is not served; uploading "
                "the right content again repairs it.",
            ) from None
        except ArtifactStoreUnavailable as e:
            raise _unavailable(e) from None
        name = _SAFE_NAME.sub("_", self.get_query_argument("name", sha256))[:200] or sha256
        ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        self.set_header("Content-Type", ctype)
        self.set_header("Content-Disposition", f'attachment; filename="{name}"')
        self.set_header("Content-Length", str(os.fstat(f.fileno()).st_size))
        with f:
            while chunk := f.read(1 << 20):
                self.write(chunk)
                await self.flush()
        self.finish()

    async def _readable(self, sha256: str) -> bool:
        """The Jupyter user of a single-user server may read any stored content. An API key,
        and on a team server every user, only content captured for a run they can see
        (copied from that run's workspace or uploaded by its user); a key limited to no
        project (a team member) also what they uploaded."""
        if self.api_key is None and not self.team:
            return True
        projects = await self.ds.call(self.ds.store.captured_projects, sha256)
        if any(self.can_see_project(p) for p in projects):
            return True
        if self.project_limit is None:
            return await self.ds.call(self.ds.store.uploaded_by, sha256, self.username)
        return False


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
                src = publishing.workspace_file(self.ds.root_dir, body["path"])
            except (UnsafePathError, ValueError) as e:
                raise tornado.web.HTTPError(400, f"path {body['path']!r}: {e}") from None
            try:
                info = src.stat()
            except OSError:  # none, or a name no file can have (longer than the system allows)
                info = None
            if info is None or not stat.S_ISREG(info.st_mode):
                raise tornado.web.HTTPError(404, f"There is no file {body['path']!r}.")
            if info.st_size > self.ds.max_import_bytes:
                raise tornado.web.HTTPError(
                    413,
                    f"{body['path']!r} is {info.st_size} bytes; the import limit is "
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
                publishing.import_v1_text, self.ds.store, text, self.username, source
            )
        except (ValueError, TypeError, KeyError, AttributeError) as e:  # a malformed block
            raise tornado.web.HTTPError(
                400, f"A legacy block is not a valid run record: {e}"
            ) from None
        self.write_json(result)


ROUTES = [
    (r"/dotscience/api/artifacts/(?P<sha256>[0-9a-f]{64})", ArtifactHandler),
    (r"/dotscience/api/import", ImportHandler),
]
