"""Workspace root and path relativisation."""

from __future__ import annotations

import os

#: The current directory when the library was imported (the last fallback for the root).
IMPORT_CWD = os.getcwd()


def workspace_root() -> str:
    """The workspace root: ``DOTSCIENCE_PROJECT_DOT_ROOT``, else the cwd at import."""
    return os.path.abspath(os.environ.get("DOTSCIENCE_PROJECT_DOT_ROOT") or IMPORT_CWD)


def spool_directory(root: str) -> str:
    """``<root>/.dotscience/spool``: where runs wait for a server (``<id>.json``).

    The kernel library writes there (:class:`dotscience.delivery.SpoolDelivery`), ``dotscience
    sync`` sends from there, and the server extension imports from there; a file neither could
    use goes to ``rejected/`` with ``<name>`` + :data:`REJECTED_REASON` beside it.
    """
    return os.path.join(root, ".dotscience", "spool")


#: Suffix of the file beside a rejected spool file saying why it was rejected.
REJECTED_REASON = ".reason"


def check_path(path, argument: str = "path") -> str:
    """Return ``os.fspath(path)`` as str, or raise TypeError naming the argument."""
    if isinstance(path, str):
        return path
    if isinstance(path, os.PathLike):
        p = os.fspath(path)
        if isinstance(p, bytes):
            return os.fsdecode(p)
        return p
    if isinstance(path, bytes):
        return os.fsdecode(path)
    raise TypeError(f"{argument} must be a str or os.PathLike path, got {type(path).__name__}")


def _under(path: str, root: str) -> str | None:
    """Root-relative form of absolute ``path`` if it lies in ``root``, else None."""
    if path == root:
        return "."
    prefix = root if root.endswith(os.sep) else root + os.sep
    if path.startswith(prefix):
        return path[len(prefix) :]
    return None


class Relativiser:
    """Records paths relative to a root, with ``/`` separators, flagging paths outside it.

    A path is outside when it does not lie in the root lexically, or when following its
    symlinks leads out of the root.
    """

    def __init__(self, root: str):
        self.root = os.path.abspath(root)
        self.real_root = os.path.realpath(self.root)

    def name(self, abspath: str) -> tuple[str, bool]:
        """Return ``(recorded_path, lexically_outside)`` for an absolute normalised path."""
        rel = _under(abspath, self.root)
        if rel is None:
            rel = _under(abspath, self.real_root)
        if rel is None:
            return abspath.replace(os.sep, "/"), True
        return rel.replace(os.sep, "/"), False

    def is_outside_real(self, abspath: str) -> bool:
        """True if ``abspath`` resolves (through symlinks) to somewhere outside the root."""
        return _under(os.path.realpath(abspath), self.real_root) is None

    def resolve(self, path) -> tuple[str, str, bool]:
        """Return ``(abspath, recorded_path, outside)`` for a user-given path."""
        abspath = os.path.abspath(path)
        recorded, outside = self.name(abspath)
        if not outside:
            outside = self.is_outside_real(abspath)
        return abspath, recorded, outside
