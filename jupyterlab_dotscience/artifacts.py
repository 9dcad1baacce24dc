"""Content-addressed artifact store (``<root>/sha256/ab/<hex>``) and safe path joining.

Nothing here trusts a name from a request: :meth:`ArtifactStore.path_for` accepts only 64
lowercase hex digits and :func:`safe_join` only relative paths that stay inside the root.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import hashlib
import os
import pathlib
import re
import stat
import tempfile
import threading
import urllib.parse
from typing import BinaryIO

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
    """A file's content does not have the sha256 the caller expected."""


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


class ArtifactStore:
    """Files stored once per content hash under ``root``.

    Parameters
    ----------
    root
        Directory holding ``sha256/ab/<hex>`` files (created when needed).
    max_bytes
        Largest file accepted by :meth:`put_file` (None: no limit).
    capture_max_file_bytes, capture_max_run_bytes
        How much of a run's declared inputs publishing captures: the largest file, and all
        of a run's input files together (bytes).
    """

    def __init__(
        self,
        root,
        max_bytes: int | None = None,
        capture_max_file_bytes: int = CAPTURE_MAX_FILE_BYTES,
        capture_max_run_bytes: int = CAPTURE_MAX_RUN_BYTES,
    ):
        self.root = pathlib.Path(root)
        self.max_bytes = max_bytes
        self.capture_max_file_bytes = capture_max_file_bytes
        self.capture_max_run_bytes = capture_max_run_bytes
        self.clone = True  # try copy-on-write clones (switched off by the first refusal)
        self._known: collections.OrderedDict[tuple, str] = collections.OrderedDict()
        self._known_lock = threading.Lock()
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
        if getattr(self._batch, "staged", None) is None:
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
        """The artifact's content for reading; FileNotFoundError when it is not stored."""
        return open(self.path_for(sha256), "rb")

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

    def put_bytes(self, data: bytes, expected_sha256: str | None = None) -> str:
        """Like :meth:`put_file` for content in memory."""
        import io

        return self._put_stream(io.BytesIO(data), expected_sha256, "<bytes>")

    # -- capturing workspace files ---------------------------------------------------------

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
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(src_path, flags)
        with os.fdopen(fd, "rb") as src:
            info = os.fstat(src.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise NotARegularFile(errno.EINVAL, "not a regular file")
            if self.max_bytes is not None and info.st_size > self.max_bytes:
                raise ArtifactTooLarge(
                    f"larger than the artifact size limit ({self.max_bytes:,} bytes)"
                )
            if self.has(expected_sha256):
                if self._known_sha(info) != expected_sha256:
                    sha = self._hash_stream(src)
                    if sha != expected_sha256:
                        raise ArtifactHashMismatch(f"content has sha256 {sha}")
                    self._remember(info, sha)
                return False
            sha = self._clone_in(src, expected_sha256)
            self._remember(info, sha)
            return True

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

    def upload_temp(self) -> BinaryIO:
        """A new temporary file (opened for writing) for content streaming in; hand it to
        :meth:`put_upload` or :meth:`discard`."""
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        return tempfile.NamedTemporaryFile(dir=tmp_dir, prefix="upload-", delete=False)

    @staticmethod
    def discard(tmp: BinaryIO) -> None:
        """Close and delete a temporary file from :meth:`upload_temp` (if still there)."""
        with contextlib.suppress(OSError):
            tmp.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp.name)

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
