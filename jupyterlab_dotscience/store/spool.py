"""Import runs that kernels or scripts left in the workspace spool (``<id>.json`` files).

Safe when several servers import the same spool at once: storing is idempotent on the run
id, a file is moved away only after its run is committed, and a file that another importer
moved first is simply skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import traceback

from .base import Store


def _move(src: pathlib.Path, directory: pathlib.Path) -> bool:
    """Move ``src`` into ``directory``; False when someone else moved it first."""
    directory.mkdir(exist_ok=True)
    try:
        os.replace(src, directory / src.name)
    except FileNotFoundError:
        return False
    return True


def import_spool(store: Store, spool_dir, author: str, imported: bool = False) -> int:
    """Store every ``<spool_dir>/*.json`` run record; returns how many runs were new.

    A stored file moves to ``spool/imported/``; a file that is not a valid run record moves
    to ``spool/rejected/`` with ``<name>.error.txt`` beside it saying why.

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
    """
    spool = pathlib.Path(spool_dir)
    if not spool.is_dir():
        return 0
    count = 0
    for path in sorted(spool.glob("*.json")):
        if not path.is_file():
            continue
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            continue  # another importer took it
        try:
            record = json.loads(data)
            _, created = store.put_run(record, author, imported=imported)
        except (ValueError, UnicodeDecodeError) as e:  # JSONDecodeError is a ValueError
            if _move(path, spool / "rejected"):
                reason = f"{path.name}: not imported: {e}\n"
                if not isinstance(e, ValueError):
                    reason += traceback.format_exc()
                with contextlib.suppress(OSError):
                    (spool / "rejected" / (path.name + ".error.txt")).write_text(reason)
            continue
        _move(path, spool / "imported")
        count += int(created)
    return count
