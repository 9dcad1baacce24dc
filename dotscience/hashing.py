"""Content hashes of declared files: directory expansion, a stat cache, a hashing pool.

The stat cache (``<root>/.dotscience/statcache.sqlite``) maps a file's absolute path to the
``(size, mtime_ns, inode)`` it had when hashed, so an unchanged file is never read twice.
It is loaded in bulk once per process and written in one transaction per declaration.
"""

from __future__ import annotations

import hashlib
import os
import threading

from .paths import Relativiser

_CHUNK = 1 << 20
_local = threading.local()
#: Below this many bytes to read, hashing stays on the calling thread.
POOL_MIN_BYTES = 8 << 20


def _hash_file(path: str) -> tuple[str, int]:
    """SHA-256 and byte count of one file (hashlib releases the GIL while hashing)."""
    buf = getattr(_local, "buf", None)
    if buf is None:
        buf = _local.buf = bytearray(_CHUNK)
    view = memoryview(buf)
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb", buffering=0) as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            digest.update(view[:n])
            size += n
    return digest.hexdigest(), size


def _hash_one(path: str):
    try:
        return _hash_file(path)
    except OSError:
        return None, None


def _hash_chunk(paths: list[str]) -> list:
    return [_hash_one(p) for p in paths]


def hash_files(paths: list[str], sizes: list[int]) -> list[tuple[str | None, int | None]]:
    """Hash files, on a thread pool (one worker per core) when there is enough to read.

    Returns ``(sha256, size)`` per path, ``(None, None)`` for a file that cannot be read.
    """
    total = sum(sizes)
    workers = min(os.cpu_count() or 1, 8)
    if workers < 2 or len(paths) < 2 or total < POOL_MIN_BYTES:
        return _hash_chunk(paths)
    # Chunks of roughly equal bytes, several per worker so a slow one does not hold the rest.
    target = max(total // (workers * 16), _CHUNK)
    chunks, current, acc = [], [], 0
    for path, size in zip(paths, sizes, strict=True):
        current.append(path)
        acc += size
        if acc >= target:
            chunks.append(current)
            current, acc = [], 0
    if current:
        chunks.append(current)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dotscience-hash") as pool:
        results = []
        for part in pool.map(_hash_chunk, chunks):
            results.extend(part)
    return results


class StatCache:
    """Hashes keyed by absolute path, valid while ``(size, mtime_ns, inode)`` is unchanged."""

    def __init__(self, db_path: str):
        self.db_path = db_path
        self._rows: dict | None = None
        self._pending: dict = {}
        self._lock = threading.Lock()

    def _connect(self):
        import sqlite3

        os.makedirs(os.path.dirname(self.db_path), exist_ok=True)
        conn = sqlite3.connect(self.db_path, timeout=10)
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS statcache (path TEXT PRIMARY KEY, size INTEGER, "
            "mtime_ns INTEGER, inode INTEGER, sha256 TEXT) WITHOUT ROWID"
        )
        return conn

    def _load(self) -> dict:
        if self._rows is None:
            rows = {}
            try:
                conn = self._connect()
                try:
                    for path, size, mtime, inode, sha in conn.execute(
                        "SELECT path, size, mtime_ns, inode, sha256 FROM statcache"
                    ):
                        rows[path] = (size, mtime, inode, sha)
                finally:
                    conn.close()
            except (_sqlite_error(), OSError):
                pass  # an unreadable cache only costs re-hashing
            self._rows = rows
        return self._rows

    def get(self, path: str, st: os.stat_result) -> str | None:
        """The cached hash of ``path`` if its stat still matches, else None."""
        row = self._load().get(path)
        if row is not None and row[0] == st.st_size and row[1] == st.st_mtime_ns:
            if row[2] == st.st_ino:
                return row[3]
        return None

    def put(self, path: str, st: os.stat_result, sha: str) -> None:
        """Remember a hash (written by the next :meth:`flush`)."""
        row = (st.st_size, st.st_mtime_ns, st.st_ino, sha)
        self._load()[path] = row
        self._pending[path] = row

    def flush(self) -> None:
        """Write pending entries in one transaction."""
        with self._lock:
            if not self._pending:
                return
            pending, self._pending = self._pending, {}
            try:
                conn = self._connect()
                try:
                    with conn:
                        conn.executemany(
                            "INSERT OR REPLACE INTO statcache VALUES (?, ?, ?, ?, ?)",
                            [(p, *row) for p, row in pending.items()],
                        )
                finally:
                    conn.close()
            except (_sqlite_error(), OSError):
                pass


def _sqlite_error():
    import sqlite3

    return sqlite3.Error


def _entry(path, sha, size, outside=False, missing=False) -> dict:
    return {"path": path, "sha256": sha, "size": size, "outside": outside, "missing": missing}


class Hasher:
    """Turns declared paths into file entries (expanded, hashed, cached)."""

    def __init__(self, relativiser: Relativiser, cache: StatCache | None):
        self.rel = relativiser
        self.cache = cache
        #: The workspace's own state directory is never part of a declared directory.
        self.skip = os.path.join(relativiser.root, ".dotscience")

    def describe(self, paths: list[str], hash_files: bool = True) -> list[dict]:
        """File entries for user-given paths (directories expanded recursively).

        Parameters
        ----------
        paths : list of str
            Paths as the user gave them (resolved against the current directory).
        hash_files : bool
            Read and hash the files; without it only the paths (and sizes) are listed,
            ``sha256`` stays None and no file is opened.

        Returns
        -------
        list of dict
            ``{"path", "sha256", "size", "outside", "missing"}`` per file; a path outside the
            workspace (or a symlink leading out of it) is flagged and never read.
        """
        entries: list[dict] = []
        todo: list[tuple[dict, str, os.stat_result]] = []
        for given in paths:
            abspath, recorded, outside = self.rel.resolve(given)
            try:
                st = os.stat(abspath)
            except OSError:
                entries.append(_entry(recorded, None, None, outside, missing=True))
                continue
            if outside:
                size = None if os.path.isdir(abspath) else st.st_size
                entries.append(_entry(recorded, None, size, outside=True))
            elif os.path.isdir(abspath):
                before = len(entries)
                self._walk(abspath, recorded, entries, todo)
                if len(entries) == before:  # an empty directory stays visible
                    entries.append(_entry(recorded, None, None))
            else:
                entry = _entry(recorded, None, st.st_size)
                entries.append(entry)
                todo.append((entry, abspath, st))
        if hash_files:
            self._hash(todo)
        return entries

    def _walk(self, top: str, recorded: str, entries: list, todo: list) -> None:
        prefix = "" if recorded == "." else recorded + "/"
        stack = [(top, prefix)]
        while stack:
            directory, rel_prefix = stack.pop()
            try:
                with os.scandir(directory) as it:
                    items = list(it)
            except OSError:
                continue
            for item in items:
                name = rel_prefix + item.name
                try:
                    if item.is_dir(follow_symlinks=False):
                        if item.path == self.skip:
                            continue
                        stack.append((item.path, name + "/"))
                    elif item.is_symlink():
                        if self.rel.is_outside_real(item.path):
                            entries.append(_entry(name, None, None, outside=True))
                        elif os.path.isfile(item.path):
                            st = os.stat(item.path)
                            entry = _entry(name, None, st.st_size)
                            entries.append(entry)
                            todo.append((entry, item.path, st))
                        else:  # a link to a directory inside the root: not followed
                            entries.append(_entry(name, None, None))
                    elif item.is_file(follow_symlinks=False):
                        st = item.stat(follow_symlinks=False)
                        entry = _entry(name, None, st.st_size)
                        entries.append(entry)
                        todo.append((entry, item.path, st))
                except OSError:
                    entries.append(_entry(name, None, None, missing=True))

    def _hash(self, todo: list) -> None:
        cache = self.cache
        misses = []
        for entry, abspath, st in todo:
            sha = cache.get(abspath, st) if cache is not None else None
            if sha is None:
                misses.append((entry, abspath, st))
            else:
                entry["sha256"] = sha
        if not misses:
            return
        results = hash_files([m[1] for m in misses], [m[2].st_size for m in misses])
        for (entry, abspath, st), (sha, size) in zip(misses, results, strict=True):
            entry["sha256"] = sha
            if sha is None:
                entry["missing"] = not os.path.exists(abspath)
                continue
            entry["size"] = size
            if cache is not None and size == st.st_size:
                cache.put(abspath, st, sha)
        if cache is not None:
            cache.flush()
