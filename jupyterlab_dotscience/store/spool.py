"""Import runs that kernels or scripts left in the workspace spool (``<id>.json`` files).

Safe when several servers import the same spool at once: storing is idempotent on the run
id, a file is moved away only after its run is committed, and a file that another importer
moved first is simply skipped. Files whose names start with a dot (the writer's
``.tmp-*.json`` while it writes) are not looked at; a file that cannot be imported, for any
reason, is moved to ``rejected/`` with ``<name>.reason`` beside it, and the scan goes on.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import sqlite3
import traceback
from collections.abc import Callable

from dotscience.paths import REJECTED_REASON

from .interface import Store


def _move(src: pathlib.Path, directory: pathlib.Path) -> bool:
    """Move ``src`` into ``directory``; False when someone else moved it first."""
    directory.mkdir(exist_ok=True)
    try:
        os.replace(src, directory / src.name)
    except FileNotFoundError:
        return False
    return True


def _reject(spool: pathlib.Path, path: pathlib.Path, reason: str) -> None:
    if _move(path, spool / "rejected"):
        with contextlib.suppress(OSError):
            (spool / "rejected" / (path.name + REJECTED_REASON)).write_text(
                f"{path.name}: not imported: {reason}\n"
            )


def _store_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the store cannot be used right now (the file is not at fault):
    then the file stays in the spool for the next scan."""
    if isinstance(exc, sqlite3.OperationalError):
        return True
    if type(exc).__name__ == "OperationalError" and type(exc).__module__.startswith("psycopg"):
        return True
    return type(exc) is RuntimeError and "store is closed" in str(exc)


def _why(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "the JSON nests arrays or objects too deeply to be read"
    if isinstance(exc, ValueError | UnicodeDecodeError):  # JSONDecodeError, RecordError
        return str(exc)
    return f"{type(exc).__name__}: {exc}\n" + "".join(traceback.format_exception(exc))


def import_spool(
    store: Store,
    spool_dir,
    author: str,
    imported: bool = False,
    publish: Callable[[dict], tuple[dict, bool]] | None = None,
) -> int:
    """Store every ``<spool_dir>/*.json`` run record; returns how many runs were new.

    A stored file moves to ``spool/imported/``; a file that is not a valid run record, or
    whose import fails in any other way, moves to ``spool/rejected/`` with
    ``<name>.reason`` beside it saying why, and the scan goes on. Only when the store itself
    is unavailable does the scan stop, leaving the file for the next one.

    Parameters
    ----------
    store
        The store to publish into.
    spool_dir
        The spool directory (``<root>/.dotscience/spool``).
    author
        Recorded as the author of the imported runs.
    imported
        Mark the runs as imported from legacy data (spooled v2 records are not).
    publish
        ``publish(record) -> (run, created)`` storing a run the way a publish does (with
        its outputs captured); by default the record is only stored.
    """
    spool = pathlib.Path(spool_dir)
    if not spool.is_dir():
        return 0
    if publish is None:

        def publish(record):
            return store.put_run(record, author, imported=imported)

    count = 0
    for path in sorted(spool.glob("*.json")):
        if path.name.startswith("."):
            continue  # a writer's temp file (.tmp-*.json): it is renamed when complete
        if path.is_symlink():
            _reject(spool, path, "it is a symbolic link; only regular files are imported")
            continue
        if not path.is_file():
            continue
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            continue  # another importer took it
        try:
            record = json.loads(data)
            _, created = publish(record)
        except Exception as e:  # noqa: BLE001 - any failure sets the file aside
            if _store_unavailable(e):
                raise
            _reject(spool, path, _why(e))
            continue
        _move(path, spool / "imported")
        count += int(created)
    return count
