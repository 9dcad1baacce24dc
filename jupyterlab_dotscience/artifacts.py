"""Content-addressed artifact stores and safe path joining.

:class:`BaseArtifactStore` is the interface the server uses; :class:`ArtifactStore` keeps
content in a local directory (``<root>/sha256/ab/<hex>``, the default), and
:class:`~jupyterlab_dotscience.artifacts_s3.S3ArtifactStore` in S3-compatible object storage
(AWS S3, MinIO, Ceph) for a team's servers to share. :func:`open_artifact_store` picks one
from the configured artifact root, as MLflow's artifact root does (a directory, or
``s3://bucket/prefix``). Every read is verified against the content's hash: content changed
or damaged in the store is refused (:class:`ArtifactHashMismatch`), never served.

Nothing here trusts a name from a request: every method accepts only 64 lowercase hex
digits as a hash, and :func:`safe_join` only relative paths that stay inside the root.
"""

from __future__ import annotations

import abc
import collections
import contextlib
import errno
import hashlib
import logging
import os
import pathlib
import re
import stat
import tempfile
import threading
import time
import urllib.parse
from typing import BinaryIO

log = logging.getLogger(__name__)

_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_CHUNK = 1024 * 1024
#: ``ioctl(dest, FICLONE, src)``: share the source's blocks copy-on-write (Btrfs, XFS, ...)
FICLONE = 0x40049409
#: Files whose content hash the store remembers by their (device, inode, size, times)
_KNOWN_FILES = 200_000
#: Capture limits by default: per file and per run (inputs)
CAPTURE_MAX_FILE_BYTES = 2**30
CAPTURE_MAX_RUN_BYTES = 10 * 2**30


class NotARegularFile(OSError):
    """A path names a directory, device, FIFO or socket, not a file's content."""


class UnsafePathError(ValueError):
    """A path or artifact name was refused (traversal, absolute path, bad characters)."""


class ArtifactTooLarge(ValueError):
    """A file is larger than the artifact store's ``max_bytes``."""


class ArtifactHashMismatch(ValueError):
    """A file's content does not have the sha256 the caller expected (also: stored content
    changed or damaged in the store, refused when read)."""


class ArtifactStoreUnavailable(OSError):
    """The artifact store cannot be reached or refused the request (object storage down,
    access denied, no such bucket); ``str()`` is one sentence naming the store."""

    def __init__(self, message: str):
        super().__init__(errno.EIO, " ".join(message.split()))

    def __str__(self) -> str:
        return self.strerror


def check_sha256(sha256) -> str:
    """Return ``sha256`` if it is exactly 64 lowercase hex digits, else raise ValueError."""
    if not isinstance(sha256, str) or not _HEX64.match(sha256):
        raise UnsafePathError(f"not a sha256 (64 lowercase hex digits): {str(sha256)[:80]!r}")
    return sha256


def safe_join(root, rel) -> pathlib.Path:
    """``root / rel`` resolved, refusing anything that could leave ``root``.

    Refused: non-strings, NUL, backslashes, absolute paths and drive letters, ``..``
    segments (also percent-encoded, e.g. ``%2e%2e``, decoded repeatedly), and paths whose
    resolved form (following symlinks) is outside the resolved root.

    Raises
    ------
    UnsafePathError
        (a ``ValueError``) saying why the path was refused.
    """
    if not isinstance(rel, str):
        raise UnsafePathError(f"path: expected a string, got {type(rel).__name__}")
    forms = [rel]
    decoded = rel
    for _ in range(5):  # %252e%252e -> %2e%2e -> ..
        once = urllib.parse.unquote(decoded)
        if once == decoded:
            break
        decoded = once
        forms.append(decoded)
    else:
        raise UnsafePathError(f"path: too many levels of percent-encoding: {rel[:80]!r}")
    for form in forms:
        if "\x00" in form:
            raise UnsafePathError("path: contains a NUL character")
        if "\\" in form:
            raise UnsafePathError(f"path: contains a backslash: {rel[:80]!r}")
        if form.startswith("/") or re.match(r"[A-Za-z]:", form):
            raise UnsafePathError(f"path: must be relative to the workspace: {rel[:80]!r}")
        if ".." in form.split("/"):
            raise UnsafePathError(f"path: must not contain '..': {rel[:80]!r}")
    base = os.path.realpath(root)  # as pathlib's resolve(), at a fraction of its cost
    target = os.path.realpath(os.path.join(base, rel))
    if target != base and not target.startswith(base.rstrip("/") + "/"):
        raise UnsafePathError(f"path: leads outside the workspace: {rel[:80]!r}")
    return pathlib.Path(target)


def is_file(path) -> bool:
    """Whether ``path`` is a regular file; False also for a name no file can have (longer
    than the file system allows), where ``Path.is_file`` raises instead."""
    try:
        return pathlib.Path(path).is_file()
    except OSError:
        return False


#: Defaults of the S3 backend (see :class:`~jupyterlab_dotscience.artifacts_s3.S3ArtifactStore`)
MULTIPART_THRESHOLD = 64 * 2**20
MULTIPART_CHUNKSIZE = 16 * 2**20
CACHE_MAX_BYTES = 10 * 2**30


def open_artifact_store(
    root,
    *,
    max_bytes: int | None = None,
    capture_max_file_bytes: int = CAPTURE_MAX_FILE_BYTES,
    capture_max_run_bytes: int = CAPTURE_MAX_RUN_BYTES,
    s3_endpoint_url: str | None = None,
    cache_dir=None,
    cache_max_bytes: int = CACHE_MAX_BYTES,
    multipart_threshold: int = MULTIPART_THRESHOLD,
    multipart_chunksize: int = MULTIPART_CHUNKSIZE,
) -> BaseArtifactStore:
    """The artifact store configured by ``root``, as MLflow's artifact root.

    Parameters
    ----------
    root : str or path
        A directory (the local store), or ``s3://bucket[/prefix]`` (S3-compatible object
        storage; credentials come from boto3's usual chain: environment, shared files,
        instance or pod role; never from a request).
    max_bytes, capture_max_file_bytes, capture_max_run_bytes
        As for :class:`ArtifactStore`.
    s3_endpoint_url : str, optional
        The S3 endpoint (MinIO, Ceph, a test server); None: AWS, or boto3's
        ``AWS_ENDPOINT_URL_S3``.
    cache_dir : path, optional
        S3 only (required there): the local directory of verified copies that builds and
        downloads read, and of uploads being received.
    cache_max_bytes : int
        S3 only: the cache's size; the least recently used copies are removed beyond it.
    multipart_threshold, multipart_chunksize : int
        S3 only: files of at least ``multipart_threshold`` bytes are uploaded in parts of
        ``multipart_chunksize`` bytes (at least 5 MiB, S3's smallest part).

    Returns
    -------
    BaseArtifactStore

    Raises
    ------
    ValueError
        The root is neither a directory nor a valid ``s3://`` URL, or a setting is out of
        range (one sentence).
    """
    limits = {
        "max_bytes": max_bytes,
        "capture_max_file_bytes": capture_max_file_bytes,
        "capture_max_run_bytes": capture_max_run_bytes,
    }
    text = str(root)
    if text.startswith("s3://"):
        if cache_dir is None:
            raise ValueError("an s3:// artifact root needs a local cache directory")
        try:
            from .artifacts_s3 import S3ArtifactStore
        except ImportError as e:
            raise ValueError(
                f"the artifact root {text} needs boto3 ({e}); install it with "
                "pip install 'jupyterlab_dotscience[s3]'"
            ) from None
        return S3ArtifactStore(
            text, cache_dir=cache_dir, endpoint_url=s3_endpoint_url or None,
            cache_max_bytes=cache_max_bytes, multipart_threshold=multipart_threshold,
            multipart_chunksize=multipart_chunksize, **limits,
        )  # fmt: skip
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", text):
        raise ValueError(
            f"artifact root {text[:200]!r}: a directory or s3://bucket/prefix is supported"
        )
    return ArtifactStore(text, **limits)


class BaseArtifactStore(abc.ABC):
    """Files stored once per content hash: the interface of every artifact backend.

    Reads are verified: :meth:`open` and :meth:`local_path` never hand out content that
    does not hash to the name asked for; they raise :class:`ArtifactHashMismatch` instead
    (and :meth:`has` then says False, so the right content can be stored again).

    Attributes
    ----------
    max_bytes : int or None
        Largest file accepted (None: no limit).
    capture_max_file_bytes, capture_max_run_bytes : int
        How much of a run's declared inputs publishing captures.
    location : str
        Where content is kept, for messages (a directory, or ``s3://bucket/prefix``).
    """

    max_bytes: int | None = None
    capture_max_file_bytes: int = CAPTURE_MAX_FILE_BYTES
    capture_max_run_bytes: int = CAPTURE_MAX_RUN_BYTES
    location: str = ""

    def _init_known(self) -> None:
        self._known: collections.OrderedDict[tuple, str] = collections.OrderedDict()
        self._known_lock = threading.Lock()

    @abc.abstractmethod
    def has(self, sha256: str) -> bool:
        """Whether content with this hash is stored (UnsafePathError for a bad name)."""

    @abc.abstractmethod
    def open(self, sha256: str) -> BinaryIO:
        """The content for reading, verified against its hash.

        Raises
        ------
        FileNotFoundError
            It is not stored.
        ArtifactHashMismatch
            The stored content does not hash to ``sha256`` (it is not served).
        """

    @abc.abstractmethod
    def local_path(self, sha256: str) -> pathlib.Path:
        """A local file with the content, verified against its hash (for builds that copy
        files out of the store); raises as :meth:`open`."""

    @abc.abstractmethod
    def size(self, sha256: str) -> int:
        """The stored content's size in bytes (FileNotFoundError when not stored)."""

    @abc.abstractmethod
    def put_file(self, src_path, expected_sha256: str | None = None) -> str:
        """Copy a file in (once per content) and return its sha256 (see
        :meth:`ArtifactStore.put_file`)."""

    def put_bytes(self, data: bytes, expected_sha256: str | None = None) -> str:
        """Like :meth:`put_file` for content in memory."""
        import io

        return self._put_stream(io.BytesIO(data), expected_sha256, "<bytes>")

    @abc.abstractmethod
    def _put_stream(self, src: BinaryIO, expected: str | None, name: str) -> str:
        """Store a stream's content, verified against ``expected`` when given."""

    @abc.abstractmethod
    def capture_file(self, src_path, expected_sha256: str) -> bool:
        """Capture a workspace file whose content must hash to ``expected_sha256`` (see
        :meth:`ArtifactStore.capture_file`); True when stored now."""

    @abc.abstractmethod
    def upload_temp(self) -> BinaryIO:
        """A new temporary file for content streaming in; hand it to :meth:`put_upload` or
        :meth:`discard`."""

    @abc.abstractmethod
    def put_upload(self, tmp: BinaryIO, sha256: str) -> bool:
        """Store a fully written :meth:`upload_temp` file as ``sha256`` (the caller hashed
        it); True when stored now, False when it was stored already. The temp file is gone
        afterwards in any case."""

    @contextlib.contextmanager
    def batch(self):
        """Store the files put meanwhile together (a backend may make them durable at once)."""
        yield

    def which_stored(self, hashes) -> set[str]:
        """The hashes among ``hashes`` whose content is stored. Names that are not hashes
        are left out; when the store cannot be reached, those not yet known are too (and
        a warning is logged)."""
        found = set()
        for sha in hashes:
            try:
                if sha not in found and self.has(sha):
                    found.add(sha)
            except UnsafePathError:
                continue
            except ArtifactStoreUnavailable as e:
                log.warning("Dotscience: %s", e)
                break
        return found

    @staticmethod
    def discard(tmp: BinaryIO) -> None:
        """Close and delete a temporary file from :meth:`upload_temp` (if still there)."""
        with contextlib.suppress(OSError):
            tmp.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp.name)

    # -- what the backends share: hashing, and content already verified -------------------

    @staticmethod
    def _identity(info: os.stat_result) -> tuple:
        # the change time moves on every write (no user can set it): a file with the same
        # identity still has the content hashed before
        return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)

    def _known_sha(self, info: os.stat_result) -> str | None:
        with self._known_lock:
            return self._known.get(self._identity(info))

    def _remember(self, info: os.stat_result, sha256: str) -> None:
        with self._known_lock:
            key = self._identity(info)
            self._known[key] = sha256
            self._known.move_to_end(key)
            while len(self._known) > _KNOWN_FILES:
                self._known.popitem(last=False)

    def _hash_stream(self, src: BinaryIO) -> str:
        digest, size = hashlib.sha256(), 0
        while chunk := src.read(_CHUNK):
            size += len(chunk)
            if self.max_bytes is not None and size > self.max_bytes:
                raise ArtifactTooLarge(
                    f"larger than the artifact size limit ({self.max_bytes:,} bytes)"
                )
            digest.update(chunk)
        return digest.hexdigest()

    def _open_capture_source(self, src_path) -> tuple[BinaryIO, os.stat_result]:
        """A workspace file opened for capture: no final symlink followed, no blocking on a
        FIFO, a regular file within ``max_bytes``."""
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        src = os.fdopen(os.open(src_path, flags), "rb")
        try:
            info = os.fstat(src.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise NotARegularFile(errno.EINVAL, "not a regular file")
            if self.max_bytes is not None and info.st_size > self.max_bytes:
                raise ArtifactTooLarge(
                    f"larger than the artifact size limit ({self.max_bytes:,} bytes)"
                )
        except BaseException:
            src.close()
            raise
        return src, info

    def _verify_known(self, src: BinaryIO, info: os.stat_result, expected: str) -> None:
        """Check that an open file has content ``expected`` (unless this very file was
        verified before and has not changed since)."""
        if self._known_sha(info) != expected:
            sha = self._hash_stream(src)
            if sha != expected:
                raise ArtifactHashMismatch(f"content has sha256 {sha}")
            self._remember(info, sha)

    def matches(self, path, sha256: str) -> bool:
        """Whether the file at ``path`` has content ``sha256`` (read at most ``max_bytes``
        + 1 bytes: a larger file cannot match anything stored).

        Raises
        ------
        OSError
            The file cannot be read.
        """
        check_sha256(sha256)
        digest, size = hashlib.sha256(), 0
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                size += len(chunk)
                if self.max_bytes is not None and size > self.max_bytes:
                    return False
                digest.update(chunk)
        return digest.hexdigest() == sha256


class ArtifactStore(BaseArtifactStore):
    """Files stored once per content hash under ``root`` (a local directory).

    Parameters
    ----------
    root
        Directory holding ``sha256/ab/<hex>`` files (created when needed).
    max_bytes
        Largest file accepted by :meth:`put_file` (None: no limit).
    capture_max_file_bytes, capture_max_run_bytes
        How much of a run's declared inputs publishing captures: the largest file, and all
        of a run's input files together (bytes).
    quarantine
        What becomes of content found damaged when read: True moves it to
        ``<root>/damaged`` (kept for inspection), False deletes it (a cache, which can fetch
        it again).
    durable
        Whether stored files are made durable (fsync) before they count as stored; a cache
        need not be (after a restart every file is verified by hash before it is read).
    """

    def __init__(
        self,
        root,
        max_bytes: int | None = None,
        capture_max_file_bytes: int = CAPTURE_MAX_FILE_BYTES,
        capture_max_run_bytes: int = CAPTURE_MAX_RUN_BYTES,
        quarantine: bool = True,
        durable: bool = True,
    ):
        self.root = pathlib.Path(root)
        self.durable = durable
        self.location = str(self.root)
        self.max_bytes = max_bytes
        self.capture_max_file_bytes = capture_max_file_bytes
        self.capture_max_run_bytes = capture_max_run_bytes
        self.quarantine = quarantine
        self.clone = True  # try copy-on-write clones (switched off by the first refusal)
        self._init_known()
        self._batch = threading.local()  # this thread's batch of files to install (staged)

    # -- batches: many files made durable together ------------------------------------------

    @contextlib.contextmanager
    def batch(self):
        """Store the files put in this thread meanwhile together, at the end of the block.

        Each file is written and verified as usual, then staged; when the block ends they
        are made durable by one filesystem sync, renamed into place, and the renames made
        durable by another, instead of two fsyncs per file (about 6 ms each on ext4). Until
        then :meth:`has` counts staged content as stored (one copy per content). When the
        block raises, nothing staged is installed.
        """
        if getattr(self._batch, "staged", None) is not None:
            yield  # nested: the outer block installs
            return
        self._batch.staged = staged = {}
        try:
            yield
            if staged:
                self._install_staged(staged)
        finally:
            self._batch.staged = None
            for path in staged.values():
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)

    def _durable(self, fd: int) -> None:
        """fsync a file being stored, unless a batch will sync them all at once."""
        if self.durable and getattr(self._batch, "staged", None) is None:
            os.fsync(fd)

    def _install_staged(self, staged: dict[str, str]) -> None:
        _sync_filesystem(self.root, list(staged.values()))
        dirs = set()
        for dest, path in staged.items():
            parent = os.path.dirname(dest)
            if not os.path.isdir(parent):
                os.makedirs(parent, exist_ok=True)
                dirs.add(os.path.dirname(parent))
            os.replace(path, dest)
            self._remember(os.stat(dest), os.path.basename(dest))  # verified when staged
            dirs.add(parent)
        _sync_filesystem(self.root, None, dirs)

    def path_for(self, sha256: str) -> pathlib.Path:
        """Where the artifact with this hash lives (whether or not it exists)."""
        return pathlib.Path(self._path(sha256))

    def _path(self, sha256: str) -> str:
        sha256 = check_sha256(sha256)
        return os.path.join(self.root, "sha256", sha256[:2], sha256)

    def has(self, sha256: str) -> bool:
        path = self._path(sha256)
        if os.path.isfile(path):
            return True
        staged = getattr(self._batch, "staged", None)
        return bool(staged) and path in staged

    def open(self, sha256: str) -> BinaryIO:
        """The artifact's content for reading, verified against its hash (once per file
        version: a file unchanged since it was verified is not hashed again).

        Raises
        ------
        FileNotFoundError
            It is not stored.
        ArtifactHashMismatch
            The stored file does not hash to ``sha256``: it is moved aside (see
            ``quarantine``), not served.
        """
        path = self._path(sha256)
        f = open(path, "rb")  # noqa: SIM115 - returned to the caller
        try:
            info = os.fstat(f.fileno())
            if self._known_sha(info) != sha256:
                digest = hashlib.sha256()
                while chunk := f.read(_CHUNK):
                    digest.update(chunk)
                if digest.hexdigest() != sha256:
                    self._set_aside(path, sha256)
                    raise ArtifactHashMismatch(
                        f"the stored content of {sha256} has sha256 {digest.hexdigest()} "
                        "(changed or damaged in the artifact store)"
                    )
                self._remember(info, sha256)
                f.seek(0)
        except BaseException:
            f.close()
            raise
        return f

    def local_path(self, sha256: str) -> pathlib.Path:
        """The artifact's file in this directory, verified as by :meth:`open`."""
        with self.open(sha256):
            return self.path_for(sha256)

    def _set_aside(self, path: str, sha256: str) -> None:
        """Take damaged content out of the store, so it is not counted as stored."""
        try:
            if self.quarantine:
                damaged = self.root / "damaged"
                damaged.mkdir(parents=True, exist_ok=True)
                os.replace(path, damaged / f"{sha256}.{time.time_ns()}")
            else:
                os.unlink(path)
        except OSError as e:
            log.warning("Dotscience: cannot set aside damaged artifact %s: %s", path, e)
            return
        if self.quarantine:
            log.warning(
                "Dotscience: artifact %s did not match its hash; moved to %s/damaged",
                sha256, self.root,
            )  # fmt: skip

    def size(self, sha256: str) -> int:
        return self.path_for(sha256).stat().st_size

    def put_file(self, src_path, expected_sha256: str | None = None) -> str:
        """Copy a file in (once per content) and return its sha256.

        The hash is computed while copying into a temporary file next to the destination,
        which is then renamed into place atomically; concurrent copies of the same content
        are harmless.

        Raises
        ------
        ArtifactTooLarge
            The file is larger than ``max_bytes``.
        ArtifactHashMismatch
            ``expected_sha256`` was given and the content does not match it.
        """
        if expected_sha256 is not None:
            check_sha256(expected_sha256)
            if self.has(expected_sha256):
                return expected_sha256  # already stored: no need to read the file
        with open(src_path, "rb") as src:
            return self._put_stream(src, expected_sha256, str(src_path))

    # -- capturing workspace files ---------------------------------------------------------

    def capture_file(self, src_path, expected_sha256: str) -> bool:
        """Capture a workspace file whose content must hash to ``expected_sha256``.

        The file is opened without following a final symlink (``src_path`` comes resolved
        from :func:`safe_join`) and without blocking on a FIFO. Content already stored is
        only verified (not when the file is unchanged since it was last verified); new
        content is cloned copy-on-write where the filesystem allows (``FICLONE``), else
        copied, hashed from the copy and renamed into place.

        Returns
        -------
        bool
            True when the content was stored now, False when it was stored already.

        Raises
        ------
        NotARegularFile
            (an ``OSError``) the path is not a regular file.
        ArtifactTooLarge
            The file is larger than ``max_bytes``.
        ArtifactHashMismatch
            The content does not hash to ``expected_sha256``.
        OSError
            The file cannot be read.
        """
        check_sha256(expected_sha256)
        src, info = self._open_capture_source(src_path)
        with src:
            if self.has(expected_sha256):
                self._verify_known(src, info, expected_sha256)
                return False
            sha = self._clone_in(src, expected_sha256)
            self._remember(info, sha)
            return True

    def _clone_in(self, src: BinaryIO, expected: str) -> str:
        """Store an open file's content by cloning it (else copying), verified by hash."""
        if not self.clone:
            return self._put_stream(src, expected, "file")
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=tmp_dir, prefix="clone-")
        adopted = False  # by a batch: it installs the file, or removes it
        try:
            try:
                import fcntl

                fcntl.ioctl(fd, FICLONE, src.fileno())
            except (ImportError, OSError):
                os.close(fd)
                self.clone = False  # this filesystem cannot: copy from now on
                return self._put_stream(src, expected, "file")
            with os.fdopen(fd, "rb") as copy:  # the clone is a snapshot: hash it
                sha = self._hash_stream(copy)
                self._durable(copy.fileno())
            if sha != expected:
                raise ArtifactHashMismatch(f"content has sha256 {sha}, expected {expected}")
            dest = self.path_for(sha)
            if not dest.is_file():
                adopted = self._install(tmp, dest)
            return sha
        finally:
            if not adopted:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)

    def upload_temp(self) -> BinaryIO:
        """A new temporary file (opened for writing) for content streaming in; hand it to
        :meth:`put_upload` or :meth:`discard`."""
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        return tempfile.NamedTemporaryFile(dir=tmp_dir, prefix="upload-", delete=False)

    def put_upload(self, tmp: BinaryIO, sha256: str) -> bool:
        """Move a fully written :meth:`upload_temp` file into place as ``sha256``.

        The caller hashed the content while writing it; the file is made durable (fsync)
        before it is renamed into place, and the directory after. Returns True when it was
        stored now, False when that content was already stored (the file is then deleted).
        """
        dest = self.path_for(sha256)
        adopted = False
        try:
            tmp.flush()
            if self.durable:
                os.fsync(tmp.fileno())
            tmp.close()
            if dest.is_file():
                return False
            adopted = self._install(tmp.name, dest)
            return True
        finally:
            if not adopted:
                self.discard(tmp)

    def _install(self, tmp: str, dest: pathlib.Path) -> bool:
        """Rename a durable temp file to ``dest`` and make the rename durable too.

        In a batch (see :meth:`batch`) the temp file is staged instead: True when the
        batch adopted it (the caller must leave it), False when the caller may remove it.
        """
        staged = getattr(self._batch, "staged", None)
        if staged is not None:
            if str(dest) in staged:  # the same content twice in one batch: keep one
                return False
            os.chmod(tmp, 0o444)
            staged[str(dest)] = tmp
            return True
        created = not dest.parent.is_dir()
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(tmp, 0o444)
        os.replace(tmp, dest)
        self._remember(os.stat(dest), dest.name)  # verified as it was written
        if self.durable:
            _fsync_dir(dest.parent)
            if created:
                _fsync_dir(dest.parent.parent)
        return False

    def _put_stream(self, src: BinaryIO, expected: str | None, name: str) -> str:
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(dir=tmp_dir, prefix="put-")
        adopted = False  # by a batch: it installs the file, or removes it
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := src.read(_CHUNK):
                    size += len(chunk)
                    if self.max_bytes is not None and size > self.max_bytes:
                        raise ArtifactTooLarge(
                            f"{name}: larger than the artifact size limit "
                            f"({self.max_bytes:,} bytes)"
                        )
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                self._durable(out.fileno())
            sha256 = digest.hexdigest()
            if expected is not None and sha256 != expected:
                raise ArtifactHashMismatch(
                    f"{name}: content has sha256 {sha256}, expected {expected} "
                    "(the file changed since it was hashed)"
                )
            dest = self.path_for(sha256)
            if dest.is_file():
                return sha256  # deduplicated
            adopted = self._install(tmp, dest)
            return sha256
        finally:
            if not adopted:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)


def _syncfs():
    """libc's ``syncfs`` (Linux), or None."""
    try:
        import ctypes
        import ctypes.util

        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        return libc.syncfs
    except (OSError, AttributeError):
        return None


_SYNCFS = _syncfs()


def _sync_filesystem(root, files=None, dirs=()) -> None:
    """Make ``files`` and the entries of ``dirs`` durable: one ``syncfs`` of the filesystem
    holding ``root`` where there is one, else an fsync of each."""
    if _SYNCFS is not None:
        fd = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            if _SYNCFS(fd) == 0:
                return
        finally:
            os.close(fd)
    for path in files or ():
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    for path in dirs:
        _fsync_dir(path)


def _fsync_dir(path) -> None:
    """Make a directory's entries (a rename into it) durable."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
