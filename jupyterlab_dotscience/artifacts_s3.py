"""The artifact store on S3-compatible object storage (AWS S3, MinIO, Ceph), for a team.

Content is kept at ``<prefix>/sha256/ab/<hex>`` in one bucket, configured as MLflow's
artifact root is: ``s3://bucket/prefix`` plus an optional endpoint URL. Credentials come
from boto3's usual chain (environment, shared files, instance or pod role), never from a
request. Every server keeps a local cache of verified copies: what it uploads, and what it
downloads (a download is hashed while it is written and refused, never served, when it does
not match its name). Files of at least ``multipart_threshold`` bytes are uploaded in parts.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import os
import pathlib
import re
import threading
import time
from typing import BinaryIO

from .artifacts import (
    _CHUNK,
    CACHE_MAX_BYTES,
    CAPTURE_MAX_FILE_BYTES,
    CAPTURE_MAX_RUN_BYTES,
    MULTIPART_CHUNKSIZE,
    MULTIPART_THRESHOLD,
    ArtifactHashMismatch,
    ArtifactStore,
    ArtifactStoreUnavailable,
    ArtifactTooLarge,
    BaseArtifactStore,
    check_sha256,
)

#: S3's smallest part of a multipart upload (all but the last)
MIN_PART = 5 * 2**20
#: Hashes known to be in the bucket (content-addressed objects do not change)
_PRESENT = 100_000
# S3 bucket names: 3-63 lowercase letters, digits, dots and hyphens
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")


def parse_s3_root(root: str) -> tuple[str, str]:
    """``(bucket, prefix)`` of an ``s3://bucket[/prefix]`` artifact root (no slashes at the
    ends of the prefix).

    Raises
    ------
    ValueError
        Not an ``s3://`` URL, an invalid bucket name, or a prefix with empty, ``.`` or
        ``..`` segments (one sentence).
    """
    if not isinstance(root, str) or not root.startswith("s3://"):
        raise ValueError(f"artifact root {str(root)[:200]!r}: not an s3:// URL")
    bucket, _, prefix = root[len("s3://") :].partition("/")
    if not _BUCKET.match(bucket):
        raise ValueError(
            f"artifact root {root[:200]!r}: {bucket[:80]!r} is not a valid S3 bucket name "
            "(3-63 lowercase letters, digits, dots and hyphens)"
        )
    prefix = prefix.strip("/")
    if prefix and any(part in ("", ".", "..") for part in prefix.split("/")):
        raise ValueError(
            f"artifact root {root[:200]!r}: the prefix must not have empty, '.' or '..' parts"
        )
    if any(ord(c) < 32 for c in prefix):
        raise ValueError(f"artifact root {root[:200]!r}: the prefix has control characters")
    return bucket, prefix


class S3ArtifactStore(BaseArtifactStore):
    """Files stored once per content hash in S3-compatible object storage.

    Parameters
    ----------
    root : str
        ``s3://bucket[/prefix]``.
    cache_dir : path
        Local directory of verified copies (a content-addressed :class:`ArtifactStore`) and
        of uploads being received.
    endpoint_url : str, optional
        The S3 endpoint (MinIO, Ceph, a test server); None: AWS (or boto3's
        ``AWS_ENDPOINT_URL_S3``). With an endpoint, requests use path-style addressing.
    max_bytes, capture_max_file_bytes, capture_max_run_bytes
        As for :class:`ArtifactStore`.
    cache_max_bytes : int
        Bytes the cache may hold; the least recently used copies are removed beyond it.
    multipart_threshold, multipart_chunksize : int
        Files of at least ``multipart_threshold`` bytes are uploaded in parts of
        ``multipart_chunksize`` bytes (at least 5 MiB).
    damaged_recheck : float
        Seconds an object found damaged counts as not stored (an upload through this server
        replaces it meanwhile); then it is fetched and verified again when asked for.
    client : optional
        A boto3 S3 client to use instead of one made from boto3's usual configuration.

    Raises
    ------
    ValueError
        A bad root or setting (one sentence).
    """

    def __init__(
        self,
        root: str,
        *,
        cache_dir,
        endpoint_url: str | None = None,
        max_bytes: int | None = None,
        capture_max_file_bytes: int = CAPTURE_MAX_FILE_BYTES,
        capture_max_run_bytes: int = CAPTURE_MAX_RUN_BYTES,
        cache_max_bytes: int = CACHE_MAX_BYTES,
        multipart_threshold: int = MULTIPART_THRESHOLD,
        multipart_chunksize: int = MULTIPART_CHUNKSIZE,
        damaged_recheck: float = 60.0,
        client=None,
    ):
        import boto3.s3.transfer
        import botocore.config

        self.bucket, self.prefix = parse_s3_root(root)
        self.location = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        if multipart_chunksize < MIN_PART:
            raise ValueError(
                f"the multipart part size must be at least {MIN_PART:,} bytes (S3's smallest "
                f"part), not {multipart_chunksize:,}"
            )
        if multipart_threshold < 1 or cache_max_bytes < 0:
            raise ValueError("the multipart threshold and cache size must be positive")
        self.endpoint_url = endpoint_url
        self.max_bytes = max_bytes
        self.capture_max_file_bytes = capture_max_file_bytes
        self.capture_max_run_bytes = capture_max_run_bytes
        self.cache_max_bytes = cache_max_bytes
        self._init_known()
        self.cache = ArtifactStore(cache_dir, quarantine=False, durable=False)
        if client is None:
            config = botocore.config.Config(
                connect_timeout=10, read_timeout=60, max_pool_connections=16,
                retries={"max_attempts": 3, "mode": "standard"},
                s3={"addressing_style": "path"} if endpoint_url else None,
            )  # fmt: skip
            client = boto3.session.Session().client(
                "s3", endpoint_url=endpoint_url or None, config=config
            )
        self.client = client
        self.transfer = boto3.s3.transfer.TransferConfig(
            multipart_threshold=multipart_threshold, multipart_chunksize=multipart_chunksize,
            max_concurrency=4,
        )  # fmt: skip
        self._lock = threading.Lock()
        self._present: collections.OrderedDict[str, None] = collections.OrderedDict()
        # found in the bucket not matching their names: when (monotonic); until
        # damaged_recheck seconds later they count as not stored, so an upload replaces them
        self._damaged: dict[str, float] = {}
        self.damaged_recheck = damaged_recheck
        self._lru: collections.OrderedDict[str, int] | None = None  # cached copies: size
        self._cached_bytes = 0

    # -- names and errors --------------------------------------------------------------------

    def key_for(self, sha256: str) -> str:
        """The object key of the content with this hash."""
        sha256 = check_sha256(sha256)
        rel = f"sha256/{sha256[:2]}/{sha256}"
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def _unavailable(self, action: str, error: Exception) -> ArtifactStoreUnavailable:
        import botocore.exceptions

        if isinstance(error, botocore.exceptions.ClientError):
            info = error.response.get("Error", {})
            reason = f"{info.get('Code', '?')} {info.get('Message') or ''}".strip()
        elif isinstance(error, botocore.exceptions.EndpointConnectionError):
            reason = f"cannot connect to {error.kwargs.get('endpoint_url', 'the endpoint')}"
        elif isinstance(error, botocore.exceptions.NoCredentialsError):
            reason = "no credentials were found (boto3's usual chain: environment, files, role)"
        else:
            reason = str(error) or type(error).__name__
            cause = getattr(error, "__cause__", None) or getattr(error, "last_exception", None)
            if cause is not None and isinstance(cause, botocore.exceptions.ClientError):
                return self._unavailable(action, cause)
        return ArtifactStoreUnavailable(
            f"The artifact store {self.location} could not {action}: {reason[:300]}."
        )

    @staticmethod
    def _not_found(error: Exception) -> bool:
        import botocore.exceptions

        if not isinstance(error, botocore.exceptions.ClientError):
            return False
        code = str(error.response.get("Error", {}).get("Code", ""))
        return code in ("404", "NoSuchKey", "NotFound")

    # -- what is stored ----------------------------------------------------------------------

    def has(self, sha256: str) -> bool:
        """Whether the bucket holds this content (not when it was found damaged); asks the
        bucket once per hash found, as content-addressed objects never change.

        Raises
        ------
        ArtifactStoreUnavailable
            The bucket cannot be reached or refused the request.
        """
        import botocore.exceptions

        key = self.key_for(sha256)
        if self._is_damaged(sha256):
            return False
        with self._lock:
            if sha256 in self._present:
                self._present.move_to_end(sha256)
                return True
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
            if self._not_found(e):
                return False
            raise self._unavailable(f"look up {sha256}", e) from None
        self._mark_present(sha256)
        return True

    def _is_damaged(self, sha256: str) -> bool:
        """Whether the object was found damaged less than ``damaged_recheck`` s ago (after
        that it is looked at again: someone may have restored it)."""
        with self._lock:
            since = self._damaged.get(sha256)
            if since is None:
                return False
            if time.monotonic() - since < self.damaged_recheck:
                return True
            del self._damaged[sha256]
            return False

    def _mark_present(self, sha256: str) -> None:
        with self._lock:
            self._damaged.pop(sha256, None)
            self._present[sha256] = None
            self._present.move_to_end(sha256)
            while len(self._present) > _PRESENT:
                self._present.popitem(last=False)

    def size(self, sha256: str) -> int:
        """The object's size (FileNotFoundError when it is not stored)."""
        import botocore.exceptions

        if self.cache.has(sha256):
            with contextlib.suppress(FileNotFoundError):
                return self.cache.size(sha256)
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.key_for(sha256))
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
            if self._not_found(e):
                raise FileNotFoundError(2, f"no stored artifact {sha256}") from None
            raise self._unavailable(f"look up {sha256}", e) from None
        return int(head["ContentLength"])

    # -- reading: through the verified local cache ---------------------------------------

    def open(self, sha256: str) -> BinaryIO:
        """The content for reading, from a local copy verified against its hash (fetched
        from the bucket first when this server has none, or its copy changed).

        Raises
        ------
        FileNotFoundError
            The bucket does not hold it.
        ArtifactHashMismatch
            The object does not hash to ``sha256``: refused, not served.
        ArtifactStoreUnavailable
            The bucket cannot be reached.
        """
        check_sha256(sha256)
        if not self._is_damaged(sha256):
            with contextlib.suppress(FileNotFoundError, ArtifactHashMismatch):
                f = self.cache.open(sha256)  # a copy changed locally is deleted, fetched again
                self._touch(sha256, os.fstat(f.fileno()).st_size)
                return f
        self._fetch(sha256)
        f = self.cache.open(sha256)
        self._touch(sha256, os.fstat(f.fileno()).st_size)
        return f

    def local_path(self, sha256: str) -> pathlib.Path:
        """The path of this server's verified local copy (see :meth:`open`)."""
        with self.open(sha256):
            return self.cache.path_for(sha256)

    def _fetch(self, sha256: str) -> None:
        """Download the object into the cache, hashing it as it is written."""
        import botocore.exceptions

        tmp = self.cache.upload_temp()
        try:
            try:
                obj = self.client.get_object(Bucket=self.bucket, Key=self.key_for(sha256))
                digest, size, limit = hashlib.sha256(), 0, self.max_bytes
                with contextlib.closing(obj["Body"]) as body:
                    while chunk := body.read(_CHUNK):
                        size += len(chunk)
                        if limit is not None and size > limit:
                            break  # larger than anything stored: cannot match
                        digest.update(chunk)
                        tmp.write(chunk)
            except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
                if self._not_found(e):
                    with self._lock:
                        self._present.pop(sha256, None)
                    raise FileNotFoundError(2, f"no stored artifact {sha256}") from None
                raise self._unavailable(f"read {sha256}", e) from None
            if digest.hexdigest() != sha256 or (limit is not None and size > limit):
                with self._lock:
                    self._damaged[sha256] = time.monotonic()
                    self._present.pop(sha256, None)
                raise ArtifactHashMismatch(
                    f"the stored content of {sha256} in {self.location} does not match its "
                    "hash (changed or damaged in the bucket)"
                )
            self.cache.put_upload(tmp, sha256)
        finally:
            self.cache.discard(tmp)
        self._mark_present(sha256)
        self._touch(sha256, size)

    # -- the cache's size -------------------------------------------------------------------

    def _touch(self, sha256: str, size: int) -> None:
        """Count a cached copy as just used, and remove the least recently used copies
        while the cache is over its size (the one just used is kept)."""
        evict = []
        with self._lock:
            if self._lru is None:
                self._lru = self._scan_cache()
                self._cached_bytes = sum(self._lru.values())
            self._cached_bytes += size - self._lru.pop(sha256, 0)
            self._lru[sha256] = size
            while self._cached_bytes > self.cache_max_bytes and len(self._lru) > 1:
                old, old_size = self._lru.popitem(last=False)
                self._cached_bytes -= old_size
                evict.append(old)
        for old in evict:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.cache.path_for(old))

    def _scan_cache(self) -> collections.OrderedDict[str, int]:
        """The copies a previous server process left, oldest first."""
        found = []
        for path in (pathlib.Path(self.cache.root) / "sha256").glob("??/*"):
            with contextlib.suppress(OSError, ValueError):
                info = path.stat()
                found.append((info.st_mtime_ns, check_sha256(path.name), info.st_size))
        return collections.OrderedDict((sha, size) for _, sha, size in sorted(found))

    # -- writing ----------------------------------------------------------------------------

    def _upload(self, path: str, sha256: str) -> None:
        """Upload a verified local file as ``sha256`` (in parts when it is large)."""
        import boto3.exceptions
        import botocore.exceptions

        try:
            self.client.upload_file(
                path, self.bucket, self.key_for(sha256), Config=self.transfer,
                ExtraArgs={"Metadata": {"sha256": sha256}},
            )  # fmt: skip
        except (
            boto3.exceptions.S3UploadFailedError,
            botocore.exceptions.BotoCoreError,
            botocore.exceptions.ClientError,
        ) as e:
            raise self._unavailable(f"store {sha256}", e) from None
        self._mark_present(sha256)

    def upload_temp(self) -> BinaryIO:
        """A temporary file in the local cache for content streaming in."""
        return self.cache.upload_temp()

    def put_upload(self, tmp: BinaryIO, sha256: str) -> bool:
        """Upload a fully written :meth:`upload_temp` file (the caller hashed it) unless the
        bucket holds the content already; the file then becomes this server's cached copy.
        Returns True when it was stored now."""
        check_sha256(sha256)
        try:
            tmp.flush()  # the upload reads it by name; the cache fsyncs and closes it
            created = not self.has(sha256)
            if created:
                self._upload(tmp.name, sha256)
            size = os.path.getsize(tmp.name)
            self.cache.put_upload(tmp, sha256)
            self._touch(sha256, size)
            return created
        finally:
            self.cache.discard(tmp)

    def _put_stream(self, src: BinaryIO, expected: str | None, name: str) -> str:
        """Copy a stream into a local temp file while hashing it, then upload that copy
        (what is uploaded is exactly what was hashed)."""
        tmp = self.cache.upload_temp()
        try:
            digest, size = hashlib.sha256(), 0
            while chunk := src.read(_CHUNK):
                size += len(chunk)
                if self.max_bytes is not None and size > self.max_bytes:
                    raise ArtifactTooLarge(
                        f"{name}: larger than the artifact size limit ({self.max_bytes:,} bytes)"
                    )
                digest.update(chunk)
                tmp.write(chunk)
            sha256 = digest.hexdigest()
            if expected is not None and sha256 != expected:
                raise ArtifactHashMismatch(
                    f"{name}: content has sha256 {sha256}, expected {expected} "
                    "(the file changed since it was hashed)"
                )
            self.put_upload(tmp, sha256)
            return sha256
        finally:
            self.cache.discard(tmp)

    def put_file(self, src_path, expected_sha256: str | None = None) -> str:
        """Copy a file in (once per content) and return its sha256.

        Raises
        ------
        ArtifactTooLarge
            The file is larger than ``max_bytes``.
        ArtifactHashMismatch
            ``expected_sha256`` was given and the content does not match it.
        ArtifactStoreUnavailable
            The bucket cannot be reached or refused the upload.
        """
        if expected_sha256 is not None:
            check_sha256(expected_sha256)
            if self.has(expected_sha256):
                return expected_sha256
        with open(src_path, "rb") as src:
            return self._put_stream(src, expected_sha256, str(src_path))

    def capture_file(self, src_path, expected_sha256: str) -> bool:
        """Capture a workspace file whose content must hash to ``expected_sha256``: opened
        as :meth:`ArtifactStore.capture_file` opens it; content the bucket holds already is
        only verified, new content copied locally while hashed, then uploaded.

        Returns
        -------
        bool
            True when the content was stored now, False when it was stored already.

        Raises
        ------
        NotARegularFile, ArtifactTooLarge, ArtifactHashMismatch, OSError
            As :meth:`ArtifactStore.capture_file`.
        ArtifactStoreUnavailable
            The bucket cannot be reached or refused the upload.
        """
        check_sha256(expected_sha256)
        src, info = self._open_capture_source(src_path)
        with src:
            if self.has(expected_sha256):
                self._verify_known(src, info, expected_sha256)
                return False
            self._put_stream(src, expected_sha256, "file")
            self._remember(info, expected_sha256)
            return True
