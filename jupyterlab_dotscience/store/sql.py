"""The SQL implementation of :class:`Store` shared by the SQLite and PostgreSQL backends.

Statements are written with ``?`` placeholders; a backend translates them if it must.
Subclasses provide a transaction context (:meth:`SqlStore._tx`) and a few dialect details.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from itertools import count, repeat

from . import query
from .interface import Store, sweep_counts
from .schema import LATEST, statements
from .validate import (
    RecordError,
    check_cells,
    check_reproduction,
    check_sha256,
    check_uuid,
    check_warnings,
    dump,
    normalize_record,
    now,
    numeric,
)

_RUN_COLUMNS = (
    "id, project, author, mode, workload_file, notebook, description, error, status, "
    "start_time, end_time, exec_start, exec_end, published, received, environment, argv, "
    "kernel_id, build, deploy, imported, kernel, published_from, reproduces, git"
)
_SUMMARY_COLUMNS = (
    "id, project, author, description, status, mode, notebook, workload_file, "
    "start_time, end_time, received, imported, error, warnings, verdict, reproduces"
)
_RETRIES = 8
_log = logging.getLogger(__name__)
#: series longer than this are summarised in memory when first sampled for a chart
_SUMMARISE_FROM = 50_000
#: ``reason`` of a run file whose capture was never recorded (stored before it was tracked)
NOT_RECORDED = "not captured when stored"
_SQL_PARAMS = "INSERT INTO params (run, key, value, text, num) VALUES (?, ?, ?, ?, ?)"
_SQL_LABELS = "INSERT INTO labels (run, key, value) VALUES (?, ?, ?)"
_METRIC_COLUMNS = "run, key, seq, value, text, num, step, time"
_SQL_METRICS = f"INSERT INTO metrics ({_METRIC_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_SQL_METRIC_LAST = (
    "INSERT INTO metric_last (run, key, value, text, num, step, time, count, "
    "min_value, min_num, max_value, max_num) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SQL_METRIC_SUMMARIES = (
    "INSERT INTO metric_summaries (run, key, count, size, blocks) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)
_SQL_FILES = (
    "INSERT INTO files (run, role, path, sha256, size, outside, missing, seq) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_SQL_EXECUTIONS = (
    "INSERT INTO executions (run, seq, cell_id, execution_count, source_sha256, start_time, "
    "end_time, success, error, in_run, origin, session) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SQL_SOURCES = "INSERT INTO sources (sha256, text) VALUES (?, ?) ON CONFLICT DO NOTHING"
#: The columns of a reproduction, in the order of the reproduction object
_REPRODUCTION_FIELDS = (
    "id", "run_id", "state", "cell", "cells", "verdict", "result", "replay_run_id",
    "requested_by", "tolerance", "created", "finished",
)  # fmt: skip
_SQL_CELLS = (
    "INSERT INTO cells (run, seq, cell_id, cell_index, execution_count, "
    "source_sha256, start_time, end_time, success) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _series_facts(rec: dict) -> dict[str, tuple]:
    """What is stored of each metric series beside its points, and the columns of its
    points, worked out before the write transaction (a 1,000,000-point series of numbers
    takes about 0.3 s of Python).

    Returns
    -------
    dict
        ``{key: (numbers, (min_value, min_num, max_value, max_num), summary, columns)}``:
        the number each point sorts by (None for NaN, text, booleans, null), the smallest
        and largest of them with the value logged there (JSON; the earliest point on ties;
        all None when no point is a number), ``(size, packed blocks)`` of a long series'
        block summary (None for a short one), and the ``(value JSON, text, step, time)``
        columns of its points.
    """
    from .. import downsample

    facts = {}
    for key, series in rec["metrics"].items():
        values = [p["value"] for p in series]
        if set(map(type, values)) == {float}:  # finite (others are {"$float": ...})
            nums, dumped, present = values, list(map(repr, values)), values
        else:
            nums, dumped = list(map(numeric, values)), list(map(dump, values))
            present = [n for n in nums if n is not None]
        stats = (None, None, None, None)
        if present:
            low, high = min(present), max(present)
            stats = (dumped[nums.index(low)], low, dumped[nums.index(high)], high)
        summary = None
        if len(nums) > _SUMMARISE_FROM:
            made = downsample.Summary(nums)
            summary = (made.size, made.pack())
        columns = (
            dumped,
            [p["text"] for p in series],
            [p["step"] for p in series],
            [p["time"] for p in series],
        )
        facts[key] = (nums, stats, summary, columns)
    return facts


def _execution_rows(run: int, executions: list[dict]) -> list[tuple]:
    return [
        (run, e["seq"], e["cell_id"], e["execution_count"], e["source_sha256"], e["start"],
         e["end"], None if e["success"] is None else int(e["success"]), e["error"],
         int(e["in_run"]), e["origin"], e["session"])
        for e in executions
    ]  # fmt: skip


def _execution(row, source=None) -> dict:
    seq, cid, count, sha, start, end, ok, error, in_run, origin, session = row[:11]
    return {
        "seq": seq, "cell_id": cid, "execution_count": count, "source_sha256": sha,
        "start": start, "end": end, "success": _bool(ok), "error": error,
        "in_run": bool(in_run), "origin": origin, "session": session, "source": source,
    }  # fmt: skip


_EXECUTION_COLUMNS = (
    "e.seq, e.cell_id, e.execution_count, e.source_sha256, e.start_time, e.end_time, "
    "e.success, e.error, e.in_run, e.origin, e.session"
)


def _cell_rows(run: int, cells: list[dict]) -> list[tuple]:
    return [
        (run, seq, c["cell_id"], c["index"], c["execution_count"], c["source_sha256"],
         c["start"], c["end"], None if c["success"] is None else int(c["success"]))
        for seq, c in enumerate(cells)
    ]  # fmt: skip


def _capture_rows(captures) -> list[tuple]:
    """``(captured, reason, role, path)`` rows of ``{(role, path): (captured, reason)}``."""
    return [
        (int(bool(captured)), reason, role, path)
        for (role, path), (captured, reason) in (captures or {}).items()
    ]


#: What a caller is told when a number does not fit the store's 64-bit integers.
OUT_OF_RANGE = "a number is out of range: integers must be between -2**63 and 2**63-1"


class Tx:
    """A transaction handle: a thin layer over a DB-API cursor.

    A number too large for a SQL integer (SQLite's ``OverflowError``) becomes a
    :class:`RecordError`, so every caller answers it as bad input, whatever the route.
    """

    def __init__(self, cursor, translate):
        self._cur = cursor
        self._sql = translate

    def _execute(self, sql: str, params: Sequence) -> None:
        try:
            self._cur.execute(self._sql(sql), tuple(params))
        except OverflowError:
            raise RecordError(OUT_OF_RANGE) from None

    def q(self, sql: str, params: Sequence = ()) -> list[tuple]:
        self._execute(sql, params)
        return self._cur.fetchall()

    def one(self, sql: str, params: Sequence = ()) -> tuple | None:
        self._execute(sql, params)
        return self._cur.fetchone()

    def x(self, sql: str, params: Sequence = ()) -> int:
        self._execute(sql, params)
        return self._cur.rowcount

    def many(self, sql: str, rows: list[tuple]) -> None:
        if rows:
            try:
                self._cur.executemany(self._sql(sql), rows)
            except OverflowError:
                raise RecordError(OUT_OF_RANGE) from None

    def bulk(self, table: str, columns: str, sql: str, rows: list[tuple]) -> None:
        """Insert many rows into ``table``: ``sql`` (an INSERT of ``columns``) for each row
        here; a backend with a faster bulk path (PostgreSQL's COPY) overrides this."""
        self.many(sql, rows)


def _credential_row(credential: dict) -> tuple:
    """``(scope, key_id, deploy, trusted_pickle)`` of a publishing credential, checked."""
    scope, key_id = credential.get("scope"), credential.get("key_id")
    trusted = credential.get("trusted_pickle") or []
    if scope is not None and not isinstance(scope, str):
        raise ValueError("credential.scope: expected a string")
    if key_id is not None and not isinstance(key_id, str):
        raise ValueError("credential.key_id: expected a string")
    if not isinstance(trusted, list | tuple) or not all(isinstance(n, str) for n in trusted):
        raise ValueError("credential.trusted_pickle: expected a list of model names")
    return scope, key_id, int(bool(credential.get("deploy"))), json.dumps(sorted(set(trusted)))


def _author(author) -> str:
    if not isinstance(author, str) or not author.strip():
        raise ValueError("author: expected a non-empty string")
    return author


def _maybe_uuid(run_id) -> str | None:
    try:
        return check_uuid(run_id)
    except ValueError:
        return None


def _loads(text):
    return None if text is None else json.loads(text)


def _loads_many(texts: list) -> list:
    """JSON texts (None: null) decoded in one call to the parser: a page of runs holds
    thousands of metric values, and decoding each alone costs the page most of its time.
    Texts that do not decode to one value each are decoded one by one (so a bad one raises
    as it would alone)."""
    if not texts:
        return []
    try:
        values = json.loads("[" + ",".join("null" if t is None else t for t in texts) + "]")
    except ValueError:
        values = None
    if not isinstance(values, list) or len(values) != len(texts):
        values = [_loads(t) for t in texts]
    return values


def _bool(value) -> bool | None:
    return None if value is None else bool(value)


def _environment_summary(env) -> dict | None:
    """A run's environment as the compare view shows it: Python, platform, how many
    packages (and one hash of their names and versions), the git commit."""
    if not isinstance(env, dict):
        return None
    packages = env.get("packages") if isinstance(env.get("packages"), dict) else {}
    git = env.get("git") if isinstance(env.get("git"), dict) else {}
    text = json.dumps(packages, sort_keys=True, separators=(",", ":"), default=str)
    return {
        "python": env.get("python") if isinstance(env.get("python"), str) else None,
        "implementation": env.get("implementation")
        if isinstance(env.get("implementation"), str)
        else None,
        "platform": env.get("platform") if isinstance(env.get("platform"), str) else None,
        "packages": len(packages),
        "packages_sha256": hashlib.sha256(text.encode()).hexdigest() if packages else None,
        "git_commit": git.get("commit") if isinstance(git.get("commit"), str) else None,
        "git_dirty": git.get("dirty") if isinstance(git.get("dirty"), bool) else None,
    }


class SqlStore(Store):
    """Everything but connections and transactions."""

    dialect = "sqlite"
    ilike = "LIKE"

    # -- backend hooks ----------------------------------------------------------------------

    @contextlib.contextmanager
    def _tx(self, write: bool = False) -> Iterator[Tx]:
        raise NotImplementedError

    @staticmethod
    def _retryable(exc: BaseException) -> bool:
        """Whether a write transaction that failed with ``exc`` is worth retrying."""
        return False

    def _migrate_lock(self, tx: Tx) -> None:
        """Serialise migrations between processes (the write transaction may be enough)."""

    # -- schema ---------------------------------------------------------------------------

    def _migrate(self) -> None:
        with self._tx(write=True) as tx:
            self._migrate_lock(tx)
            tx.x(
                "CREATE TABLE IF NOT EXISTS schema_version "
                "(version INTEGER PRIMARY KEY, applied TEXT NOT NULL)"
            )
            current = tx.one("SELECT MAX(version) FROM schema_version")[0] or 0
            if current > LATEST:
                raise RuntimeError(
                    f"{self.url}: schema version {current} is newer than this software "
                    f"({LATEST}); upgrade jupyterlab_dotscience"
                )
            for version in range(current + 1, LATEST + 1):
                for statement in statements(version, self.dialect):
                    tx.x(statement)
                tx.x(
                    "INSERT INTO schema_version (version, applied) VALUES (?, ?)", (version, now())
                )

    def schema_version(self) -> int:
        with self._tx() as tx:
            return tx.one("SELECT MAX(version) FROM schema_version")[0] or 0

    def _write(self, fn):
        """Run ``fn(tx)`` in a write transaction, retrying after races and deadlocks."""
        for attempt in range(_RETRIES):
            try:
                with self._tx(write=True) as tx:
                    return fn(tx)
            except Exception as exc:
                if attempt == _RETRIES - 1 or not self._retryable(exc):
                    raise
                time.sleep(0.01 * (attempt + 1))

    # -- runs -----------------------------------------------------------------------------

    def put_run(
        self, record, author, imported=False, publisher=None, credential=None, captures=None,
        warnings=None,
    ):  # fmt: skip
        rec = normalize_record(record)
        author = _author(author)
        received = now()
        if publisher is not None and not isinstance(publisher, str):
            raise ValueError("publisher: expected the credential's project limit or ''")
        row = _credential_row(credential or {})
        warned = None if warnings is None else dump(check_warnings(warnings))
        capture_rows = _capture_rows(captures)

        facts = _series_facts(rec)

        def insert(tx):
            versions = self._insert_run(tx, rec, author, imported, received, facts=facts)
            if versions is None:
                return None
            if publisher is not None:
                tx.x(
                    "INSERT INTO run_publishers "
                    "(run, username, project, scope, key_id, deploy, trusted_pickle) "
                    "VALUES ((SELECT seq FROM runs WHERE id = ?), ?, ?, ?, ?, ?, ?)",
                    (rec["id"], author, publisher, *row),
                )
            if warned is not None:
                tx.x("UPDATE runs SET warnings = ? WHERE id = ?", (warned, rec["id"]))
            if capture_rows:
                self._record_captures(tx, rec["id"], capture_rows)
                if publisher is not None:  # uploaded while its files were being captured
                    tx.x(
                        "UPDATE files SET captured = 1, capture_reason = ? "
                        "WHERE run = (SELECT seq FROM runs WHERE id = ?) "
                        "AND COALESCE(captured, 0) = 0 AND sha256 IN (SELECT sha256 FROM "
                        "artifact_uploads WHERE username = ? AND project = ?)",
                        (f"uploaded by {author}", rec["id"], author, publisher),
                    )
            return versions

        versions = self._write(insert)
        if versions is None:
            return self.get_run(rec["id"]), False
        run = self._as_stored(rec, author, imported, received, versions)
        if warnings is not None:
            run["warnings"] = _loads(warned)
        return run, True

    def put_runs(
        self, records: Iterable[dict], author: str, imported: bool = False
    ) -> list[tuple[str, bool]]:
        recs = [normalize_record(r) for r in records]
        author = _author(author)
        received = now()
        facts = [_series_facts(rec) for rec in recs]

        def insert_all(tx):
            rows: dict = {}
            created = [
                (rec["id"], self._insert_run(tx, rec, author, imported, received, rows, facts=f)
                 is not None)
                for rec, f in zip(recs, facts, strict=True)
            ]  # fmt: skip
            self._flush(tx, rows)
            return created

        return self._write(insert_all)

    def _insert_run(
        self, tx: Tx, rec: dict, author: str, imported: bool, received: str, rows=None,
        facts=None,
    ):  # fmt: skip
        """Insert one normalised record; None when the id exists, else the model versions.

        Child rows go to ``rows`` ({sql: [row, ...]}) when given, for the caller to insert
        in bulk with :meth:`_flush`; else they are inserted before returning. ``facts`` are
        the record's :func:`_series_facts` (worked out here when not given).
        """
        run_id = rec["id"]
        if tx.one("SELECT 1 FROM runs WHERE id = ?", (run_id,)) is not None:
            return None  # published before: store nothing (not even its project)
        tx.x(
            "INSERT INTO projects (name, created) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (rec["project"], received),
        )
        timed = rec["cells"] or [e for e in rec["executions"] if e["in_run"]]
        starts = [c["start"] for c in timed if c["start"]]
        ends = [c["end"] for c in timed if c["end"]]
        inserted = tx.one(
            f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO NOTHING RETURNING seq",
            (
                run_id, rec["project"], author, rec["mode"], rec["workload_file"],
                rec["notebook"], rec["description"], rec["error"],
                "failed" if rec["error"] else "succeeded",
                rec["start"], rec["end"], min(starts, default=None), max(ends, default=None),
                rec["published"], received,
                None if rec["environment"] is None else dump(rec["environment"]),
                dump(rec["argv"]), rec["kernel_id"], int(rec["build"]), int(rec["deploy"]),
                int(imported), None if rec["kernel"] is None else dump(rec["kernel"]),
                rec["published_from"], rec["reproduces"],
                None if rec["git"] is None else dump(rec["git"]),
            ),
        )  # fmt: skip
        if inserted is None:
            return None  # published before (perhaps concurrently): the first one wins
        seq = inserted[0]
        flush = rows is None
        if flush:
            rows = {}
        rows.setdefault(_SQL_PARAMS, []).extend(
            (seq, k, dump(p["value"]), p["text"], numeric(p["value"]))
            for k, p in rec["parameters"].items()
        )
        rows.setdefault(_SQL_LABELS, []).extend((seq, k, v) for k, v in rec["labels"].items())
        points = rows.setdefault(_SQL_METRICS, [])
        last = rows.setdefault(_SQL_METRIC_LAST, [])
        summaries = rows.setdefault(_SQL_METRIC_SUMMARIES, [])
        if facts is None:
            facts = _series_facts(rec)
        for key, series in rec["metrics"].items():
            nums, stats, summary, (dumped, texts, steps, times) = facts[key]
            points.extend(
                zip(repeat(seq), repeat(key), count(), dumped, texts, nums, steps, times)
            )  # one tuple per point, made in C
            if series:
                last.append(
                    (seq, key, dumped[-1], texts[-1], nums[-1],
                     steps[-1], times[-1], len(series), *stats)
                )  # fmt: skip
            if summary is not None:
                summaries.append((seq, key, len(series), *summary))
        rows.setdefault(_SQL_FILES, []).extend(
            (seq, role, f["path"], f["sha256"], f["size"], int(f["outside"]),
             int(f["missing"]), i)
            for role in ("input", "output")
            for i, f in enumerate(rec[role + "s"])
        )  # fmt: skip
        rows.setdefault(_SQL_CELLS, []).extend(_cell_rows(seq, rec["cells"]))
        rows.setdefault(_SQL_EXECUTIONS, []).extend(_execution_rows(seq, rec["executions"]))
        if rec["sources"]:
            rows.setdefault(_SQL_SOURCES, []).extend(self._new_sources(tx, rec["sources"]))
        versions = self._insert_models(tx, run_id, rec["models"], received)
        if flush:
            self._flush(tx, rows)
        return versions

    @staticmethod
    def _new_sources(tx: Tx, sources: dict[str, str]) -> list[tuple]:
        """``(sha256, text)`` rows of the sources not stored yet (each text is kept once)."""
        shas = list(sources)
        stored: set[str] = set()
        for i in range(0, len(shas), 500):
            chunk = shas[i : i + 500]
            marks = ", ".join("?" * len(chunk))
            stored.update(
                r[0] for r in tx.q(f"SELECT sha256 FROM sources WHERE sha256 IN ({marks})", chunk)
            )
        return [(sha, sources[sha]) for sha in shas if sha not in stored]

    @staticmethod
    def _flush(tx: Tx, rows: dict) -> None:
        for sql, batch in rows.items():
            if sql is _SQL_METRICS:  # the long ones: a million rows for a long series
                tx.bulk("metrics", _METRIC_COLUMNS, sql, batch)
            else:
                tx.many(sql, batch)

    def _insert_cells(self, tx: Tx, seq: int, cells: list[dict]) -> None:
        tx.many(_SQL_CELLS, _cell_rows(seq, cells))

    def _insert_models(self, tx: Tx, run_id, models: list[dict], created: str) -> list[int]:
        """Allocate versions (locking model rows in name order: no deadlocks) and insert."""
        counts: dict[str, int] = {}
        for m in models:
            counts[m["name"]] = counts.get(m["name"], 0) + 1
        next_version = {}
        for name in sorted(counts):
            tx.x(
                "INSERT INTO models (name, latest_version, created) VALUES (?, 0, ?) "
                "ON CONFLICT DO NOTHING",
                (name, created),
            )
            latest = tx.one(
                "UPDATE models SET latest_version = latest_version + ? WHERE name = ? "
                "RETURNING latest_version",
                (counts[name], name),
            )[0]
            next_version[name] = latest - counts[name] + 1
        versions = []
        for seq, m in enumerate(models):
            version = next_version[m["name"]]
            next_version[m["name"]] += 1
            versions.append(version)
            tx.x(
                "INSERT INTO model_versions (name, version, run_id, seq, framework, "
                "framework_version, path, classes, files, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (m["name"], version, run_id, seq, m["framework"], m["framework_version"],
                 m["path"], m["classes"], dump(m["files"]), created),
            )  # fmt: skip
        return versions

    @staticmethod
    def _as_stored(rec: dict, author: str, imported: bool, received: str, versions) -> dict:
        run = dict(rec)
        run["executions"] = [dict(e) for e in rec["executions"]]
        run.update(warnings=[], verdict=None)
        run["models"] = [dict(m, version=v) for m, v in zip(rec["models"], versions, strict=True)]
        run.update(
            author=author,
            imported=bool(imported),
            status="failed" if rec["error"] else "succeeded",
            received=received,
        )
        return run

    def get_run(self, run_id: str, executions: bool = True) -> dict | None:
        run_id = _maybe_uuid(run_id)
        if run_id is None:
            return None
        with self._tx() as tx:
            row = tx.one(f"SELECT seq, {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
            if row is None:
                return None
            (seq, _, project, author, mode, workload_file, notebook, description, error, status,
             start, end, _es, _ee, published, received, environment, argv, kernel_id, build,
             deploy, imported, kernel, published_from, reproduces, git) = row  # fmt: skip
            warnings, verdict = tx.one("SELECT warnings, verdict FROM runs WHERE seq = ?", (seq,))
            files = self._files(tx, seq)
            parameters = {
                k: {"value": json.loads(v), "text": t}
                for k, v, t in tx.q(
                    "SELECT key, value, text FROM params WHERE run = ? ORDER BY key", (seq,)
                )
            }
            labels = dict(tx.q("SELECT key, value FROM labels WHERE run = ? ORDER BY key", (seq,)))
            metrics: dict[str, list] = {}
            for k, v, t, step, time in tx.q(
                "SELECT key, value, text, step, time FROM metrics WHERE run = ? ORDER BY key, seq",
                (seq,),
            ):
                metrics.setdefault(k, []).append(
                    {"value": json.loads(v), "text": t, "step": step, "time": time}
                )
            models = [
                {
                    "name": name, "framework": fw, "framework_version": fwv, "path": path,
                    "classes": classes, "files": json.loads(mfiles), "version": version,
                }
                for name, version, fw, fwv, path, classes, mfiles in tx.q(
                    "SELECT name, version, framework, framework_version, path, classes, files "
                    "FROM model_versions WHERE run_id = ? ORDER BY seq",
                    (run_id,),
                )
            ]  # fmt: skip
            cells = self._cells(tx, seq)
            executions, sources = self._executions(tx, seq) if executions else ([], {})
        for e in executions:
            del e["source"]
        strip = ("role",)
        return {
            "schema": "dotscience.run/2",
            "id": run_id,
            "project": project,
            "description": description,
            "error": error,
            "mode": mode,
            "workload_file": workload_file,
            "notebook": notebook,
            "argv": json.loads(argv),
            "start": start,
            "end": end,
            "published": published,
            "inputs": [
                {k: v for k, v in f.items() if k not in strip}
                for f in files
                if f["role"] == "input"
            ],
            "outputs": [
                {k: v for k, v in f.items() if k not in strip}
                for f in files
                if f["role"] == "output"
            ],
            "parameters": parameters,
            "labels": labels,
            "metrics": metrics,
            "models": models,
            "environment": _loads(environment),
            "cells": cells,
            "executions": executions,
            "sources": sources,
            "kernel": _loads(kernel),
            "published_from": published_from,
            "reproduces": reproduces,
            "git": _loads(git),
            "warnings": json.loads(warnings or "[]"),
            "verdict": verdict,
            "kernel_id": kernel_id,
            "build": bool(build),
            "deploy": bool(deploy),
            "author": author,
            "imported": bool(imported),
            "status": status,
            "received": received,
        }

    def _files(self, tx: Tx, seq: int) -> list[dict]:
        return [
            {"role": role, "path": path, "sha256": sha, "size": size,
             "outside": bool(outside), "missing": bool(missing)}
            for role, path, sha, size, outside, missing in tx.q(
                "SELECT role, path, sha256, size, outside, missing FROM files "
                "WHERE run = ? ORDER BY role, seq",
                (seq,),
            )
        ]  # fmt: skip

    def _cells(self, tx: Tx, seq: int) -> list[dict]:
        return [
            {"cell_id": cid, "index": idx, "execution_count": count, "source_sha256": sha,
             "start": start, "end": end, "success": _bool(ok)}
            for cid, idx, count, sha, start, end, ok in tx.q(
                "SELECT cell_id, cell_index, execution_count, source_sha256, start_time, "
                "end_time, success FROM cells WHERE run = ? ORDER BY seq",
                (seq,),
            )
        ]  # fmt: skip

    def _executions(self, tx: Tx, seq: int) -> tuple[list[dict], dict[str, str]]:
        """The executions of a run (each with its ``source``) and ``{sha256: text}``."""
        rows = tx.q(
            f"SELECT {_EXECUTION_COLUMNS}, s.text FROM executions e "
            "LEFT JOIN sources s ON s.sha256 = e.source_sha256 WHERE e.run = ? ORDER BY e.seq",
            (seq,),
        )
        executions = [_execution(r, r[11]) for r in rows]
        sources = {e["source_sha256"]: e["source"] for e in executions if e["source"] is not None}
        git, environment = tx.one("SELECT git, environment FROM runs WHERE seq = ?", (seq,))
        for state in (_loads(git), (_loads(environment) or {}).get("git")):
            sha = state.get("patch_sha256") if isinstance(state, dict) else None
            if isinstance(sha, str) and sha not in sources:
                row = tx.one("SELECT text FROM sources WHERE sha256 = ?", (sha,))
                if row is not None:
                    sources[sha] = row[0]
        return executions, sources

    def run_executions(self, run_id: str) -> list[dict]:
        run_id = _maybe_uuid(run_id)
        if run_id is None:
            return []
        with self._tx() as tx:
            seq = self._seq(tx, run_id)
            return [] if seq is None else self._executions(tx, seq)[0]

    def source(self, sha256: str) -> str | None:
        check_sha256(sha256, "sha256", nullable=False)
        with self._tx() as tx:
            row = tx.one("SELECT text FROM sources WHERE sha256 = ?", (sha256,))
        return None if row is None else row[0]

    def run_head(self, run_id: str) -> dict | None:
        run_id = _maybe_uuid(run_id)
        if run_id is None:
            return None
        with self._tx() as tx:
            row = tx.one(
                "SELECT id, project, author, mode, notebook, workload_file, status, kernel, "
                "published_from, reproduces, git, warnings, verdict, start_time, end_time, "
                "received FROM runs WHERE id = ?",
                (run_id,),
            )
        if row is None:
            return None
        (rid, project, author, mode, notebook, workload_file, status, kernel, published_from,
         reproduces, git, warnings, verdict, start, end, received) = row  # fmt: skip
        return {
            "id": rid, "project": project, "author": author, "mode": mode,
            "notebook": notebook, "workload_file": workload_file, "status": status,
            "kernel": _loads(kernel), "published_from": published_from,
            "reproduces": reproduces, "git": _loads(git),
            "warnings": json.loads(warnings or "[]"), "verdict": verdict,
            "start": start, "end": end, "received": received,
        }  # fmt: skip

    def set_warnings(self, run_id: str, warnings: list[dict]) -> bool:
        warnings = check_warnings(warnings)
        rid = _maybe_uuid(run_id)
        if rid is None:
            return False
        text = dump(warnings)
        return bool(
            self._write(lambda tx: tx.x("UPDATE runs SET warnings = ? WHERE id = ?", (text, rid)))
        )

    # -- reproductions --------------------------------------------------------------------

    @staticmethod
    def _reproduction(row) -> dict:
        rep = dict(zip(_REPRODUCTION_FIELDS, row, strict=True))
        rep["result"] = json.loads(rep["result"] or "{}")
        rep["tolerance"] = float(rep["tolerance"])
        return rep

    def put_reproduction(self, reproduction: dict) -> dict:
        rep = check_reproduction(reproduction, new=True)
        rep.setdefault("created", now())

        def insert(tx):
            rid, _ = self._require_run(tx, rep["run_id"])
            rep["run_id"] = rid
            values = [rep.get(f) for f in _REPRODUCTION_FIELDS]
            values[_REPRODUCTION_FIELDS.index("result")] = dump(rep.get("result") or {})
            tx.x(
                f"INSERT INTO reproductions ({', '.join(_REPRODUCTION_FIELDS)}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                values,
            )
            if rep.get("verdict") is not None:
                tx.x("UPDATE runs SET verdict = ? WHERE id = ?", (rep["verdict"], rid))
            return self._get_reproduction(tx, rep["id"])

        return self._write(insert)

    def update_reproduction(self, reproduction_id: str, **fields) -> dict:
        rid = check_uuid(reproduction_id, "reproduction id")
        changes = check_reproduction(fields, new=False)
        if "result" in changes:
            changes["result"] = dump(changes["result"])

        def update(tx):
            current = self._get_reproduction(tx, rid)
            if current is None:
                raise KeyError(f"no reproduction {reproduction_id!r}")
            if changes:
                sets = ", ".join(f"{k} = ?" for k in changes)
                tx.x(f"UPDATE reproductions SET {sets} WHERE id = ?", (*changes.values(), rid))
            if changes.get("verdict") is not None:
                tx.x(
                    "UPDATE runs SET verdict = ? WHERE id = ?",
                    (changes["verdict"], current["run_id"]),
                )
            return self._get_reproduction(tx, rid)

        return self._write(update)

    def _get_reproduction(self, tx: Tx, reproduction_id: str) -> dict | None:
        row = tx.one(
            f"SELECT {', '.join(_REPRODUCTION_FIELDS)} FROM reproductions WHERE id = ?",
            (reproduction_id,),
        )
        return None if row is None else self._reproduction(row)

    def get_reproduction(self, reproduction_id: str) -> dict | None:
        rid = _maybe_uuid(reproduction_id)
        if rid is None:
            return None
        with self._tx() as tx:
            return self._get_reproduction(tx, rid)

    def list_reproductions(self, run_id: str | None = None, states=None) -> list[dict]:
        sql = f"SELECT {', '.join(_REPRODUCTION_FIELDS)} FROM reproductions"
        where, args = [], []
        if run_id is not None:
            rid = _maybe_uuid(run_id)
            if rid is None:
                return []
            where.append("run_id = ?")
            args.append(rid)
        if states is not None:
            states = list(states)
            if not states:
                return []
            where.append(f"state IN ({', '.join('?' * len(states))})")
            args += states
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._tx() as tx:
            rows = tx.q(sql + " ORDER BY created DESC, id DESC", args)
        return [self._reproduction(r) for r in rows]

    def run_files(self, run_id: str) -> list[dict]:
        run_id = _maybe_uuid(run_id)
        if run_id is None:
            return []
        with self._tx() as tx:
            seq = self._seq(tx, run_id)
            if seq is None:
                return []
            rows = tx.q(
                "SELECT role, path, sha256, size, outside, missing, captured, capture_reason "
                "FROM files WHERE run = ? ORDER BY role, seq",
                (seq,),
            )
        return [
            {"role": role, "path": path, "sha256": sha, "size": size,
             "outside": bool(outside), "missing": bool(missing), "captured": bool(captured),
             "reason": reason if captured is not None else NOT_RECORDED}
            for role, path, sha, size, outside, missing, captured, reason in rows
        ]  # fmt: skip

    # -- artifact capture and uploads -------------------------------------------------------

    def set_captures(self, run_id: str, captures) -> int:
        rid = _maybe_uuid(run_id)
        if rid is None:
            return 0
        rows = _capture_rows(captures)
        return self._write(lambda tx: self._record_captures(tx, rid, rows)) if rows else 0

    @staticmethod
    def _record_captures(tx: Tx, rid: str, rows: list[tuple]) -> int:
        changed = 0
        for captured, reason, role, path in rows:  # never undoes a capture an upload recorded
            changed += tx.x(
                "UPDATE files SET captured = ?, capture_reason = ? "
                "WHERE run = (SELECT seq FROM runs WHERE id = ?) AND role = ? AND path = ? "
                "AND COALESCE(captured, 0) = 0",
                (captured, reason, rid, role, path),
            )
        return changed

    def run_publisher(self, run_id: str) -> dict | None:
        with self._tx() as tx:
            row = tx.one(
                "SELECT p.username, p.project, p.scope, p.key_id, p.deploy, p.trusted_pickle "
                "FROM run_publishers p JOIN runs r ON r.seq = p.run WHERE r.id = ?",
                (str(run_id),),
            )
        if row is None:
            return None
        username, project, scope, key_id, deploy, trusted = row
        return {"username": username, "project": project or None, "scope": scope,
                "key_id": key_id, "deploy": bool(deploy),
                "trusted_pickle": json.loads(trusted or "[]")}  # fmt: skip

    def record_upload(self, sha256: str, username: str, project: str | None, size: int) -> int:
        check_sha256(sha256, "sha256", nullable=False)
        username = _author(username)
        scope = project or ""

        def record(tx):
            tx.x(
                "INSERT INTO artifact_uploads (sha256, username, project, size, uploaded) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (sha256, username, scope, int(size), now()),
            )
            return tx.x(
                "UPDATE files SET captured = 1, capture_reason = ? "
                "WHERE sha256 = ? AND COALESCE(captured, 0) = 0 AND run IN "
                "(SELECT run FROM run_publishers WHERE username = ? AND project = ?)",
                (f"uploaded by {username}", sha256, username, scope),
            )

        return self._write(record)

    def uploaded_by(self, sha256: str, username: str, project: str | None = None) -> bool:
        check_sha256(sha256, "sha256", nullable=False)
        with self._tx() as tx:
            return (
                tx.one(
                    "SELECT 1 FROM artifact_uploads "
                    "WHERE sha256 = ? AND username = ? AND project = ?",
                    (sha256, username, project or ""),
                )
                is not None
            )

    def captured_projects(self, sha256: str) -> list[str]:
        check_sha256(sha256, "sha256", nullable=False)
        with self._tx() as tx:
            rows = tx.q(
                "SELECT DISTINCT r.project FROM files f JOIN runs r ON r.seq = f.run "
                "WHERE f.sha256 = ? AND f.captured = 1 ORDER BY r.project",
                (sha256,),
            )
        return [r[0] for r in rows]

    def upload_usage(self, key_id: str) -> int:
        with self._tx() as tx:
            row = tx.one("SELECT bytes FROM api_key_uploads WHERE key_id = ?", (key_id,))
        return 0 if row is None else int(row[0])

    def charge_upload(self, key_id: str, size: int, quota: int) -> bool:
        if isinstance(size, bool) or not isinstance(size, int):
            raise ValueError(f"size: expected an integer, got {size!r}")

        def charge(tx):
            tx.x(
                "INSERT INTO api_key_uploads (key_id, bytes) VALUES (?, 0) ON CONFLICT DO NOTHING",
                (key_id,),
            )
            return (
                tx.x(
                    "UPDATE api_key_uploads SET bytes = bytes + ? "
                    "WHERE key_id = ? AND bytes + ? <= ?",
                    (size, key_id, size, quota),
                )
                == 1
            )

        return self._write(charge)

    def file_users(self, sha256: str, role: str | None = None) -> list[dict]:
        check_sha256(sha256, "sha256", nullable=False)
        sql = (
            "SELECT r.id, f.role, f.path, f.size, COALESCE(r.start_time, r.received) AS t "
            "FROM files f JOIN runs r ON r.seq = f.run WHERE f.sha256 = ?"
        )
        params: list = [sha256]
        if role is not None:
            if role not in ("input", "output"):
                raise ValueError(f"role: expected 'input' or 'output', got {role!r}")
            sql += " AND f.role = ?"
            params.append(role)
        with self._tx() as tx:
            rows = tx.q(sql + " ORDER BY t, r.id", params)
        return [
            {"run_id": r, "role": ro, "path": p, "size": s, "time": t} for r, ro, p, s, t in rows
        ]

    def metric_series(self, run_id: str, key: str) -> list[dict]:
        run_id = _maybe_uuid(run_id)
        if run_id is None:
            return []
        with self._tx() as tx:
            rows = tx.q(
                "SELECT value, text, step, time FROM metrics "
                "WHERE run = (SELECT seq FROM runs WHERE id = ?) AND key = ? ORDER BY seq",
                (run_id, key),
            )
        return [{"value": json.loads(v), "text": t, "step": s, "time": ti} for v, t, s, ti in rows]

    def metric_sample(self, run_id, key, points, start=None, end=None):
        from .. import downsample  # the chart's picking rule lives with its documentation

        run_id = _maybe_uuid(run_id)
        if run_id is None:
            return {"series": [], "count": 0}
        where = "WHERE run = ? AND key = ?"
        made = None  # a summary made here, of a long series stored without one
        with self._tx() as tx:
            row = tx.one("SELECT seq FROM runs WHERE id = ?", (run_id,))
            if row is None:
                return {"series": [], "count": 0}
            args = (row[0], key)
            steps = None  # numbered steps of the whole series, read only when needed
            if start is None and end is None:
                # a long series is answered from its block summary (stored with the run; a
                # stored series never changes), else one narrow column is read (a point's
                # seq is its position) and a long one summarised and stored for next time
                cache = self.__dict__.setdefault("_metric_summaries", downsample.SummaryCache())
                summary = cache.get(args)
                if summary is None:
                    summary = self._stored_summary(tx, args)
                    if summary is not None:
                        cache.put(args, summary)
                chosen = None if summary is None else summary.pick(points)
                if chosen is None:
                    q = f"SELECT num FROM metrics {where} ORDER BY seq"
                    nums = [r[0] for r in tx.q(q, args)]
                    if len(nums) > _SUMMARISE_FROM:
                        summary = made = downsample.Summary(nums)
                        cache.put(args, summary)
                        chosen = summary.pick(points)
                    if chosen is None:
                        chosen = downsample.pick(nums, points)
                    count = len(nums)
                else:
                    count = summary.n
            elif self._steps_complete(tx, where, args):
                # every step stored: the window is a filter on the steps (a zoom reads only
                # its own points)
                lo = -(2**63) if start is None else start
                hi = 2**63 - 1 if end is None else end
                rows = tx.q(
                    f"SELECT seq, num FROM metrics {where} AND step BETWEEN ? AND ? ORDER BY seq",
                    (*args, lo, hi),
                )
                chosen = [rows[i][0] for i in downsample.pick([r[1] for r in rows], points)]
                count = len(rows)
            else:
                rows = tx.q(f"SELECT step, num FROM metrics {where} ORDER BY seq", args)
                steps = downsample.numbered_steps([r[0] for r in rows])
                inside = downsample.window(steps, start, end)
                nums = [rows[i][1] for i in inside]
                chosen = [inside[i] for i in downsample.pick(nums, points)]
                count = len(inside)
            found: dict[int, tuple] = {}
            for at in range(0, len(chosen), 500):
                part = chosen[at : at + 500]
                marks = ", ".join("?" * len(part))
                for seq, value, text, step, when in tx.q(
                    f"SELECT seq, value, text, step, time FROM metrics {where} "
                    f"AND seq IN ({marks})",
                    (*args, *part),
                ):
                    found[seq] = (value, text, step, when)
            if steps is None and any(found[seq][2] is None for seq in chosen):
                # a series stored without some steps (imported): number them all
                rows = tx.q(f"SELECT step FROM metrics {where} ORDER BY seq", args)
                steps = downsample.numbered_steps([r[0] for r in rows])
        if made is not None:
            self._keep_summary(args, made)
        series = []
        for seq in chosen:
            value, text, step, when = found[seq]
            step = step if steps is None else steps[seq]
            series.append({"value": json.loads(value), "text": text, "step": step, "time": when})
        return {"series": series, "count": count}

    @staticmethod
    def _stored_summary(tx: Tx, args: tuple):
        """The block summary stored for series ``(run row number, key)``, or None."""
        from .. import downsample

        row = tx.one(
            "SELECT count, size, blocks FROM metric_summaries WHERE run = ? AND key = ?", args
        )
        return None if row is None else downsample.Summary.unpack(row[0], row[1], bytes(row[2]))

    def _keep_summary(self, args: tuple, summary) -> None:
        """Store the block summary of a series stored before summaries were kept (its next
        first chart, here or on another server of the store, reads it). A store that cannot
        take the write (read-only, busy) loses nothing: the chart was answered, and the
        summary is made again next time."""
        try:
            self._write(lambda tx: tx.x(
                _SQL_METRIC_SUMMARIES, (*args, summary.n, summary.size, summary.pack())
            ))  # fmt: skip
        except Exception:  # noqa: BLE001 - see the docstring
            _log.warning("could not store the summary of metric %r", args[1], exc_info=True)

    def _steps_complete(self, tx: Tx, where: str, args: tuple) -> bool:
        """Whether every point of a series was stored with its step (known once per series:
        a stored series never changes)."""
        known = self.__dict__.setdefault("_steps_complete_of", {})
        if args not in known:
            if len(known) > 4096:
                known.clear()
            missing = tx.one(f"SELECT 1 FROM metrics {where} AND step IS NULL LIMIT 1", args)
            known[args] = missing is None
        return known[args]

    # -- listing --------------------------------------------------------------------------

    def list_runs(self, sort="-received", limit=50, cursor=None, stats=False, **filters):
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise ValueError(f"limit: expected an integer 1..1000, got {limit!r}")
        spec = query.parse_sort(sort)
        where, args = query.filters(self.ilike, **filters)  # the filters of Store.list_runs
        position = query.decode_cursor(cursor, sort) if cursor else None
        with self._tx() as tx:
            found: list[tuple] = []  # (id, sort value, phase, tie-breaker)
            if position is None or position["p"] == 1:
                sql, sql_args = query.phase_sql(spec, 1, where, args, position, limit + 1)
                found += [(r[0], r[1], 1, r[2]) for r in tx.q(sql, sql_args)]
            if len(found) <= limit:
                after = position if position and position["p"] == 2 else None
                sql, sql_args = query.phase_sql(spec, 2, where, args, after, limit + 1 - len(found))
                found += [(r[0], None, 2, r[2]) for r in tx.q(sql, sql_args)]
            page = found[:limit]
            summaries = self._summaries(tx, [f[0] for f in page], stats=bool(stats))
        next_cursor = None
        if len(found) > limit:
            last = page[-1]
            next_cursor = query.encode_cursor(sort, last[2], last[1], last[3])
        return summaries, next_cursor

    def count_runs(self, **filters) -> int:
        where, args = query.filters(self.ilike, **filters)  # the filters of Store.list_runs
        sql = "SELECT COUNT(*) FROM runs r"
        if where:
            sql += " WHERE " + " AND ".join(c.replace("@run", "r.seq") for c in where)
        with self._tx() as tx:
            return int(tx.one(sql, args)[0])

    def run_ids(self, sort="-received", limit=100_000, **filters) -> list[str]:
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100_000:
            raise ValueError(f"limit: expected an integer 1..100000, got {limit!r}")
        spec = query.parse_sort(sort)
        where, args = query.filters(self.ilike, **filters)
        with self._tx() as tx:
            sql, sql_args = query.phase_sql(spec, 1, where, args, None, limit)
            seqs = [r[0] for r in tx.q(sql, sql_args)]
            if len(seqs) < limit:
                sql, sql_args = query.phase_sql(spec, 2, where, args, None, limit - len(seqs))
                seqs += [r[0] for r in tx.q(sql, sql_args)]
            id_of: dict = {}
            for i in range(0, len(seqs), 1000):  # a bounded number of placeholders per query
                chunk = seqs[i : i + 1000]
                marks = ", ".join("?" * len(chunk))
                id_of.update(tx.q(f"SELECT seq, id FROM runs WHERE seq IN ({marks})", chunk))
        return [id_of[s] for s in seqs if s in id_of]

    def run_summaries(self, run_ids: Sequence[str]) -> list[dict]:
        ids = [i for i in (_maybe_uuid(r) for r in run_ids) if i]
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        with self._tx() as tx:
            seq_of = dict(tx.q(f"SELECT id, seq FROM runs WHERE id IN ({marks})", ids))
            return self._summaries(tx, [seq_of[i] for i in ids if i in seq_of])

    def compare_runs(self, run_ids: Sequence[str], whole: bool = False) -> list[dict]:
        ids = list(dict.fromkeys(i for i in (_maybe_uuid(r) for r in run_ids) if i))
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        with self._tx() as tx:
            seq_of = dict(tx.q(f"SELECT id, seq FROM runs WHERE id IN ({marks})", ids))
            seqs = [seq_of[i] for i in ids if i in seq_of]
            # (their parameters and metrics are read below, with more of each)
            runs = self._summaries(tx, seqs, fields=False)
            if not runs:
                return []
            by_seq = dict(zip(seqs, runs, strict=True))
            smarks = ", ".join("?" * len(seqs))
            for run in runs:
                run.update(inputs=[], environment=None)
                for drop in ("mode", "imported", "error", "warnings", "verdict", "reproduces"):
                    run.pop(drop, None)
            # (each stored value is JSON text: all of a query's values are parsed at once,
            # 100,000 of them for 500 runs of 200 fields)
            rows = tx.q(
                f"SELECT run, key, value, text FROM params WHERE run IN ({smarks}) ORDER BY run, key",
                seqs,
            )
            for (seq, key, _, text), value in zip(
                rows, _loads_many([r[2] for r in rows]), strict=True
            ):
                by_seq[seq]["parameters"][key] = {"value": value, "text": text}
            # the smallest and largest number of each series, stored with its last value
            rows = tx.q(
                f"SELECT run, key, value, text, step, count, min_num, max_num FROM metric_last "
                f"WHERE run IN ({smarks}) ORDER BY run, key",
                seqs,
            )
            for (seq, key, _, text, step, count, lo, hi), value in zip(
                rows, _loads_many([r[2] for r in rows]), strict=True
            ):
                by_seq[seq]["metrics"][key] = {
                    "value": value, "text": text, "step": step, "count": count,
                    "min": lo, "max": hi,
                }  # fmt: skip
            for seq, path, sha, size in tx.q(
                f"SELECT run, path, sha256, size FROM files WHERE run IN ({smarks}) "
                "AND role = 'input' ORDER BY run, seq",
                seqs,
            ):
                by_seq[seq]["inputs"].append({"path": path, "sha256": sha, "size": size})
            if whole:
                for run in runs:
                    run["outputs"] = []
                for seq, path, sha, size in tx.q(
                    f"SELECT run, path, sha256, size FROM files WHERE run IN ({smarks}) "
                    "AND role = 'output' ORDER BY run, seq",
                    seqs,
                ):
                    by_seq[seq]["outputs"].append({"path": path, "sha256": sha, "size": size})
            for seq, environment in tx.q(
                f"SELECT seq, environment FROM runs WHERE seq IN ({smarks})", seqs
            ):
                env = _loads(environment)
                by_seq[seq]["environment"] = env if whole else _environment_summary(env)
        return runs

    def metric_directions(self, keys: Sequence[str] | None = None) -> dict[str, str]:
        with self._tx() as tx:
            if keys is None:
                rows = tx.q("SELECT key, direction FROM metric_directions ORDER BY key")
            else:
                keys = list(dict.fromkeys(keys))
                if not keys:
                    return {}
                marks = ", ".join("?" * len(keys))
                rows = tx.q(
                    f"SELECT key, direction FROM metric_directions WHERE key IN ({marks})", keys
                )
        return dict(rows)

    def set_metric_direction(self, key: str, direction: str | None, username: str) -> bool:
        if not isinstance(key, str) or not key:
            raise ValueError("key: expected a non-empty metric name")
        if direction not in ("higher", "lower", None):
            raise ValueError(f"direction: expected 'higher', 'lower' or null, got {direction!r}")

        def store(tx):
            existed = tx.x("DELETE FROM metric_directions WHERE key = ?", (key,)) > 0
            if direction is not None:
                tx.x(
                    "INSERT INTO metric_directions (key, direction, updated_by, updated) "
                    "VALUES (?, ?, ?, ?)",
                    (key, direction, _author(username), now()),
                )
            return existed

        return self._write(store)

    def _summaries(
        self, tx: Tx, seqs: list[int], stats: bool = False, fields: bool = True
    ) -> list[dict]:
        """Summaries of runs given by row number, in that order; with ``stats``, also the
        smallest and largest value of each metric (``metric_min``, ``metric_max``); without
        ``fields``, no parameters or metrics (empty: the caller reads them its own way).
        Each run's keys come in order (``ORDER BY run, key`` reads the primary key's order;
        by key alone the database sorted every row of the page)."""
        if not seqs:
            return []
        marks = ", ".join("?" * len(seqs))
        by_seq = {}
        for row in tx.q(f"SELECT seq, {_SUMMARY_COLUMNS} FROM runs WHERE seq IN ({marks})", seqs):
            (seq, rid, project, author, description, status, mode, notebook, workload_file, start,
             end, received, imported, error, warnings, verdict, reproduces) = row  # fmt: skip
            by_seq[seq] = {
                "id": rid, "project": project, "author": author, "description": description,
                "status": status, "error": error, "mode": mode, "notebook": notebook,
                "workload_file": workload_file, "start": start, "end": end,
                "received": received, "imported": bool(imported),
                "warnings": sorted({w["kind"] for w in json.loads(warnings or "[]")}),
                "verdict": verdict, "reproduces": reproduces,
                "parameters": {}, "metrics": {}, "labels": {},
            }  # fmt: skip
        if fields:
            for seq, key, text in tx.q(
                f"SELECT run, key, text FROM params WHERE run IN ({marks}) ORDER BY run, key",
                seqs,
            ):
                by_seq[seq]["parameters"][key] = text
        if fields and stats:
            for summary in by_seq.values():
                summary["metric_min"], summary["metric_max"] = {}, {}
            rows = tx.q(
                f"SELECT run, key, value, min_value, max_value FROM metric_last "
                f"WHERE run IN ({marks}) ORDER BY run, key",
                seqs,
            )
            values = iter(_loads_many([text for row in rows for text in row[2:]]))
            for seq, key, *_ in rows:
                summary = by_seq[seq]
                summary["metrics"][key] = next(values)
                summary["metric_min"][key] = next(values)
                summary["metric_max"][key] = next(values)
        elif fields:
            rows = tx.q(
                f"SELECT run, key, value FROM metric_last WHERE run IN ({marks}) ORDER BY run, key",
                seqs,
            )
            for (seq, key, _), value in zip(rows, _loads_many([r[2] for r in rows]), strict=True):
                by_seq[seq]["metrics"][key] = value
        for seq, key, value in tx.q(
            f"SELECT run, key, value FROM labels WHERE run IN ({marks}) ORDER BY run, key", seqs
        ):
            by_seq[seq]["labels"][key] = value
        return [by_seq[s] for s in seqs if s in by_seq]

    # -- cells and notebook snapshots ----------------------------------------------------

    @staticmethod
    def _seq(tx: Tx, run_id: str) -> int | None:
        row = tx.one("SELECT seq FROM runs WHERE id = ?", (run_id,))
        return None if row is None else row[0]

    def _require_run(self, tx: Tx, run_id) -> tuple[str, int]:
        """``(canonical id, row number)`` of a run; KeyError when there is none."""
        canonical = _maybe_uuid(run_id)
        seq = None if canonical is None else self._seq(tx, canonical)
        if seq is None:
            raise KeyError(f"no run {run_id!r}")
        return canonical, seq

    def put_cells(self, run_id: str, cells: list[dict]) -> int:
        cells = check_cells(cells)
        starts = [c["start"] for c in cells if c["start"]]
        ends = [c["end"] for c in cells if c["end"]]

        def replace(tx):
            rid, seq = self._require_run(tx, run_id)
            tx.x("DELETE FROM cells WHERE run = ?", (seq,))
            self._insert_cells(tx, seq, cells)
            tx.x(
                "UPDATE runs SET exec_start = ?, exec_end = ? WHERE id = ?",
                (min(starts, default=None), max(ends, default=None), rid),
            )
            return len(cells)

        return self._write(replace)

    def run_cells(self, run_id: str) -> list[dict]:
        run_id = _maybe_uuid(run_id)
        if run_id is None:
            return []
        with self._tx() as tx:
            seq = self._seq(tx, run_id)
            return [] if seq is None else self._cells(tx, seq)

    def put_notebook_snapshot(self, run_id: str, path: str | None, content) -> dict:
        if isinstance(content, dict):
            fmt, text = "json", json.dumps(content, ensure_ascii=False)
        elif isinstance(content, str):
            fmt, text = "text", content
        else:
            raise RecordError(
                f"notebook snapshot: content: expected a JSON object or text, "
                f"got {type(content).__name__}"
            )
        if path is not None and not isinstance(path, str):
            raise RecordError("notebook snapshot: path: expected a string or null")
        data = text.encode("utf-8")
        snapshot = {
            "path": path,
            "format": fmt,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "created": now(),
        }

        def upsert(tx):
            rid, _ = self._require_run(tx, run_id)
            tx.x("DELETE FROM notebook_snapshots WHERE run_id = ?", (rid,))
            tx.x(
                "INSERT INTO notebook_snapshots (run_id, path, format, content, sha256, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (rid, path, fmt, text, snapshot["sha256"], snapshot["created"]),
            )
            return dict(snapshot, run_id=rid)

        return self._write(upsert)

    def get_notebook_snapshot(self, run_id: str) -> dict | None:
        run_id = _maybe_uuid(run_id)
        if run_id is None:
            return None
        with self._tx() as tx:
            row = tx.one(
                "SELECT path, format, content, sha256, created FROM notebook_snapshots "
                "WHERE run_id = ?",
                (run_id,),
            )
        if row is None:
            return None
        path, fmt, text, sha, created = row
        return {
            "run_id": run_id,
            "path": path,
            "format": fmt,
            "sha256": sha,
            "size": len(text.encode("utf-8")),
            "created": created,
            "content": json.loads(text) if fmt == "json" else text,
        }

    # -- projects and models -------------------------------------------------------------

    def list_projects(self) -> list[dict]:
        with self._tx() as tx:
            rows = tx.q(
                "SELECT p.name, p.created, (SELECT COUNT(*) FROM runs r WHERE r.project = p.name) "
                "FROM projects p ORDER BY p.name"
            )
        return [{"name": n, "created": c, "runs": k} for n, c, k in rows]

    # -- project membership (issue 15: teams) ---------------------------------------------

    _MEMBER_ROLES = ("owner", "member")

    def project_roles(self, username: str) -> dict[str, str]:
        with self._tx() as tx:
            rows = tx.q("SELECT project, role FROM project_members WHERE username = ?", (username,))
        return dict(rows)

    def project_members(self, project: str) -> list[dict] | None:
        with self._tx() as tx:
            if tx.one("SELECT 1 FROM projects WHERE name = ?", (project,)) is None:
                return None
            rows = tx.q(
                "SELECT username, role, added, added_by FROM project_members WHERE project = ? "
                "ORDER BY CASE role WHEN 'owner' THEN 0 ELSE 1 END, username",
                (project,),
            )
        return [dict(zip(("username", "role", "added", "added_by"), r, strict=True)) for r in rows]

    @staticmethod
    def _lock_project(tx: Tx, name: str) -> bool:
        """Take the project's row lock (PostgreSQL; SQLite's write lock is already held)
        so concurrent membership changes of one project run one after the other."""
        return tx.x("UPDATE projects SET created = created WHERE name = ?", (name,)) > 0

    def create_project(self, name: str, owner: str) -> tuple[dict, bool]:
        owner = _author(owner)

        def create(tx):
            created = now()
            if not tx.x(
                "INSERT INTO projects (name, created) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (name, created),
            ):
                row = tx.one("SELECT created FROM projects WHERE name = ?", (name,))
                return {"name": name, "created": row[0]}, False
            tx.x(
                "INSERT INTO project_members (project, username, role, added, added_by) "
                "VALUES (?, ?, 'owner', ?, ?)",
                (name, owner, created, owner),
            )
            return {"name": name, "created": created}, True

        return self._write(create)

    def claim_project(self, name: str, username: str) -> str | None:
        username = _author(username)

        def claim(tx):
            tx.x(
                "INSERT INTO projects (name, created) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (name, now()),
            )
            self._lock_project(tx, name)
            row = tx.one(
                "SELECT role FROM project_members WHERE project = ? AND username = ?",
                (name, username),
            )
            if row is not None:
                return row[0]
            if tx.one("SELECT 1 FROM project_members WHERE project = ?", (name,)) is not None:
                return None
            tx.x(
                "INSERT INTO project_members (project, username, role, added, added_by) "
                "VALUES (?, ?, 'owner', ?, ?)",
                (name, username, now(), username),
            )
            return "owner"

        return self._write(claim)

    def _owners_left(self, tx: Tx, project: str, without: str) -> int:
        return tx.one(
            "SELECT COUNT(*) FROM project_members WHERE project = ? AND role = 'owner' "
            "AND username <> ?",
            (project, without),
        )[0]

    def set_project_member(self, project: str, username: str, role: str, added_by: str) -> dict:
        username, added_by = _author(username), _author(added_by)
        if role not in self._MEMBER_ROLES:
            raise ValueError(f"role: expected owner or member, got {str(role)[:40]!r}")

        def upsert(tx):
            if not self._lock_project(tx, project):
                raise KeyError(f"There is no project {project!r}.")
            if role != "owner" and not self._owners_left(tx, project, username):
                raise ValueError(
                    f"{username} is the last owner of project {project!r}; add another owner first."
                )
            added = now()
            tx.x(
                "INSERT INTO project_members (project, username, role, added, added_by) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (project, username) DO UPDATE SET "
                "role = excluded.role",
                (project, username, role, added, added_by),
            )
            row = tx.one(
                "SELECT added, added_by FROM project_members WHERE project = ? AND username = ?",
                (project, username),
            )
            return {"project": project, "username": username, "role": role,
                    "added": row[0], "added_by": row[1]}  # fmt: skip

        return self._write(upsert)

    def remove_project_member(self, project: str, username: str) -> bool:
        def remove(tx):
            if not self._lock_project(tx, project):
                raise KeyError(f"There is no project {project!r}.")
            row = tx.one(
                "SELECT role FROM project_members WHERE project = ? AND username = ?",
                (project, username),
            )
            if row is None:
                return False
            if row[0] == "owner" and not self._owners_left(tx, project, username):
                raise ValueError(
                    f"{username} is the last owner of project {project!r}; add another owner first."
                )
            tx.x(
                "DELETE FROM project_members WHERE project = ? AND username = ?",
                (project, username),
            )
            return True

        return self._write(remove)

    def register_model_version(
        self,
        name,
        run_id=None,
        framework=None,
        framework_version=None,
        path=None,
        classes=None,
        files=None,
    ) -> dict:
        model = normalize_record(
            {
                "id": "00000000-0000-4000-8000-000000000000",
                "models": [
                    {
                        "name": name,
                        "framework": framework,
                        "framework_version": framework_version,
                        "path": path,
                        "classes": classes,
                        "files": files,
                    }
                ],
            }  # fmt: skip
        )["models"][0]
        created = now()

        def insert(tx):
            rid = None if run_id is None else self._require_run(tx, run_id)[0]
            (version,) = self._insert_models(tx, rid, [model], created)
            return dict(model, version=version, run_id=rid, created=created)

        return self._write(insert)

    def list_models(self) -> list[dict]:
        with self._tx() as tx:
            models = {
                name: {
                    "name": name, "latest_version": latest, "created": created,
                    "aliases": {}, "versions": [],
                }
                for name, latest, created in tx.q(
                    "SELECT name, latest_version, created FROM models ORDER BY name"
                )
            }  # fmt: skip
            for name, alias, version in tx.q(
                "SELECT name, alias, version FROM model_aliases ORDER BY name, alias"
            ):
                models[name]["aliases"][alias] = version
            for row in tx.q(
                "SELECT name, version, run_id, framework, framework_version, path, classes, "
                "files, created FROM model_versions ORDER BY name, version"
            ):
                name, version, rid, fw, fwv, path, classes, files, created = row
                models[name]["versions"].append({
                    "name": name, "version": version, "run_id": rid, "framework": fw,
                    "framework_version": fwv, "path": path, "classes": classes,
                    "files": json.loads(files), "created": created,
                })  # fmt: skip
        return list(models.values())

    def set_alias(self, name: str, alias: str, version: int) -> dict:
        if not isinstance(alias, str) or not alias or len(alias) > 250:
            raise ValueError("alias: expected a non-empty string of at most 250 characters")
        if isinstance(version, bool) or not isinstance(version, int):
            raise ValueError(f"version: expected an integer, got {version!r}")

        def upsert(tx):
            if (
                tx.one(
                    "SELECT 1 FROM model_versions WHERE name = ? AND version = ?", (name, version)
                )
                is None
            ):
                raise KeyError(f"model {name!r} has no version {version}")
            tx.x(
                "INSERT INTO model_aliases (name, alias, version) VALUES (?, ?, ?) "
                "ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version",
                (name, alias, version),
            )
            return {"name": name, "alias": alias, "version": version}

        return self._write(upsert)

    # -- builds and deployments (issue 15) --------------------------------------------------

    def _for_update(self) -> str:
        """Row lock of a read-modify-write (PostgreSQL; SQLite's writes are serialised)."""
        return " FOR UPDATE" if self.dialect == "postgres" else ""

    @staticmethod
    def _build(row) -> dict:
        name, version, state, server, data, updated = row
        return dict(json.loads(data), model=name, version=version, state=state, server=server,
                    updated=updated)  # fmt: skip

    def get_build(self, name: str, version: int) -> dict | None:
        with self._tx() as tx:
            row = tx.one(
                "SELECT name, version, state, server, data, updated FROM model_builds "
                "WHERE name = ? AND version = ?",
                (name, int(version)),
            )
        return None if row is None else self._build(row)

    def list_builds(self) -> list[dict]:
        with self._tx() as tx:
            rows = tx.q(
                "SELECT name, version, state, server, data, updated FROM model_builds "
                "ORDER BY name, version"
            )
        return [self._build(r) for r in rows]

    def put_build(self, name: str, version: int, server: str | None, **changes) -> dict:
        version = int(version)

        def upsert(tx):
            row = tx.one(
                "SELECT name, version, state, server, data, updated FROM model_builds "
                f"WHERE name = ? AND version = ?{self._for_update()}",
                (name, version),
            )
            build = self._build(row) if row else {"model": name, "version": version}
            build.update(changes)
            state = build.get("state") or "queued"
            data = {k: v for k, v in build.items()
                    if k not in ("model", "version", "state", "server", "updated")}  # fmt: skip
            updated = now()
            tx.x(
                "INSERT INTO model_builds (name, version, state, server, data, updated) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name, version) DO UPDATE SET "
                "state = excluded.state, server = excluded.server, data = excluded.data, "
                "updated = excluded.updated",
                (name, version, state, server, dump(data), updated),
            )
            return dict(build, state=state, server=server, updated=updated)

        return self._write(upsert)

    _DEPLOYMENT_COLUMNS = (
        "id", "model", "version", "target", "state", "run_id", "project", "url", "owner",
        "log", "server", "lease_expires", "created", "updated",
    )  # fmt: skip
    #: states of a deployment that is (or is about to be) served
    ACTIVE_DEPLOYMENT = ("building", "starting", "running")
    #: events kept per deployment (the oldest are dropped beyond)
    DEPLOYMENT_EVENTS = 200

    def _deployment(self, row) -> dict:
        n = len(self._DEPLOYMENT_COLUMNS)
        dep = dict(json.loads(row[n]))
        dep.update(zip(self._DEPLOYMENT_COLUMNS, row[:n], strict=True))
        return dep

    def _select_deployments(self) -> str:
        return f"SELECT {', '.join(self._DEPLOYMENT_COLUMNS)}, data FROM deployments"

    def _get_deployment(self, tx: Tx, dep_id: str, lock: bool = False) -> dict | None:
        row = tx.one(
            f"{self._select_deployments()} WHERE id = ?{self._for_update() if lock else ''}",
            (dep_id,),
        )
        return None if row is None else self._deployment(row)

    def _deployment_row(self, dep: dict) -> tuple:
        data = {k: v for k, v in dep.items() if k not in self._DEPLOYMENT_COLUMNS}
        events = data.get("events")
        if isinstance(events, list) and len(events) > self.DEPLOYMENT_EVENTS:
            data["events"] = events[-self.DEPLOYMENT_EVENTS :]
        return (*(dep.get(c) for c in self._DEPLOYMENT_COLUMNS), dump(data))

    def put_deployment(self, deployment: dict) -> tuple[dict, bool]:
        dep = dict(deployment)
        for field in ("id", "model", "version", "target", "state"):
            if dep.get(field) is None:
                raise ValueError(f"deployment: {field} is required")
        dep["version"] = int(dep["version"])
        dep.setdefault("created", now())
        dep.setdefault("updated", dep["created"])
        states = self.ACTIVE_DEPLOYMENT

        def insert(tx):
            if dep["state"] in states:
                row = tx.one(
                    f"{self._select_deployments()} WHERE model = ? AND version = ? AND "
                    f"target = ? AND state IN ({', '.join('?' * len(states))})",
                    (dep["model"], dep["version"], dep["target"], *states),
                )
                if row is not None:
                    return self._deployment(row), False
            if tx.one("SELECT 1 FROM deployments WHERE id = ?", (dep["id"],)) is not None:
                return self._get_deployment(tx, dep["id"]), False
            columns = (*self._DEPLOYMENT_COLUMNS, "data")
            tx.x(
                f"INSERT INTO deployments ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                self._deployment_row(dep),
            )
            return self._get_deployment(tx, dep["id"]), True

        return self._write(insert)

    def get_deployment(self, dep_id: str) -> dict | None:
        with self._tx() as tx:
            return self._get_deployment(tx, dep_id)

    def list_deployments(self, server: str | None = None, states=None) -> list[dict]:
        where, args = [], []
        if server is not None:
            where.append("server = ?")
            args.append(server)
        if states is not None:
            states = list(states)
            if not states:
                return []
            where.append(f"state IN ({', '.join('?' * len(states))})")
            args += states
        sql = self._select_deployments()
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._tx() as tx:
            rows = tx.q(sql + " ORDER BY created DESC, id DESC", args)
        return [self._deployment(r) for r in rows]

    def update_deployment(self, dep_id, state=None, message="", holder=None, **fields):
        def update(tx):
            dep = self._get_deployment(tx, dep_id, lock=True)
            if dep is None:
                raise KeyError(f"There is no deployment {dep_id}.")
            if holder is not None and (
                dep.get("server") != holder or dep["state"] not in self.ACTIVE_DEPLOYMENT
            ):
                return None
            stamp = now()
            dep.update(fields, updated=stamp)
            if state is not None:
                dep["state"] = state
                dep["reason"] = message if state in ("failed", "stopped") else None
            if state is not None or message:
                dep["events"] = [*(dep.get("events") or []),
                                 {"time": stamp, "state": dep["state"], "message": message}]  # fmt: skip
            row = self._deployment_row(dep)
            sets = [c for c in self._DEPLOYMENT_COLUMNS if c != "id"] + ["data"]
            tx.x(
                f"UPDATE deployments SET {', '.join(f'{c} = ?' for c in sets)} WHERE id = ?",
                (*row[1:], dep_id),
            )
            return self._get_deployment(tx, dep_id)

        return self._write(update)

    def take_deployment_lease(self, dep_id, server, expires, now, states=None):
        sql = (
            "UPDATE deployments SET server = ?, lease_expires = ?, updated = ? WHERE id = ? "
            "AND (server IS NULL OR server = ? OR lease_expires IS NULL OR lease_expires < ?)"
        )
        args: list = [server, expires, now, dep_id, server, now]
        if states is not None:
            states = list(states)
            sql += f" AND state IN ({', '.join('?' * len(states))})"
            args += states

        def take(tx):
            if tx.x(sql, args) != 1:
                return None
            return self._get_deployment(tx, dep_id)

        return self._write(take)

    def renew_deployment_leases(self, server: str, expires: str) -> int:
        states = self.ACTIVE_DEPLOYMENT
        return self._write(lambda tx: tx.x(
            "UPDATE deployments SET lease_expires = ? WHERE server = ? AND "
            f"state IN ({', '.join('?' * len(states))})", (expires, server, *states),
        ))  # fmt: skip

    # -- sweeps (issue 17) ------------------------------------------------------------------

    _SWEEP_COLUMNS = ("id", "notebook", "project", "owner", "state", "backend", "server",
                      "created", "updated")  # fmt: skip
    _TRIAL_COLUMNS = ("sweep_id", "number", "state", "run_id", "created", "updated")

    @staticmethod
    def _with_data(columns, row) -> dict:
        n = len(columns)
        item = dict(json.loads(row[n]))
        item.update(zip(columns, row[:n], strict=True))
        return item

    def _get_sweep(self, tx: Tx, sweep_id: str, lock: bool = False) -> dict | None:
        row = tx.one(
            f"SELECT {', '.join(self._SWEEP_COLUMNS)}, data FROM sweeps WHERE id = ?"
            f"{self._for_update() if lock else ''}",
            (sweep_id,),
        )
        return None if row is None else self._with_data(self._SWEEP_COLUMNS, row)

    def put_sweep(self, sweep: dict) -> dict:
        item = dict(sweep)
        item["id"] = check_uuid(item.get("id"), "sweep id")
        for field in ("notebook", "project", "state", "backend"):
            if not isinstance(item.get(field), str):
                raise ValueError(f"sweep: {field} is required")
        item.setdefault("created", now())
        item["updated"] = item["created"]
        data = {k: v for k, v in item.items() if k not in self._SWEEP_COLUMNS}

        def insert(tx):
            if tx.one("SELECT 1 FROM sweeps WHERE id = ?", (item["id"],)) is not None:
                raise ValueError(f"sweep {item['id']} exists already")
            tx.x(
                f"INSERT INTO sweeps ({', '.join(self._SWEEP_COLUMNS)}, data) "
                f"VALUES ({', '.join('?' * (len(self._SWEEP_COLUMNS) + 1))})",
                (*(item.get(c) for c in self._SWEEP_COLUMNS), dump(data)),
            )
            return self._get_sweep(tx, item["id"])

        return self._write(insert)

    def get_sweep(self, sweep_id: str) -> dict | None:
        sid = _maybe_uuid(sweep_id)
        if sid is None:
            return None
        with self._tx() as tx:
            return self._get_sweep(tx, sid)

    def list_sweeps(self, states=None) -> list[dict]:
        sql = f"SELECT {', '.join(self._SWEEP_COLUMNS)}, data FROM sweeps"
        args: list = []
        if states is not None:
            states = list(states)
            if not states:
                return []
            sql += f" WHERE state IN ({', '.join('?' * len(states))})"
            args += states
        with self._tx() as tx:
            rows = tx.q(sql + " ORDER BY created DESC, id DESC", args)
            states_of: dict[str, list] = {}
            if rows:
                for sweep_id, state, n in tx.q(
                    "SELECT sweep_id, state, COUNT(*) FROM sweep_trials GROUP BY sweep_id, state"
                ):
                    states_of.setdefault(str(sweep_id), []).extend(repeat(state, n))
        sweeps = [self._with_data(self._SWEEP_COLUMNS, r) for r in rows]
        for sweep in sweeps:
            sweep["counts"] = sweep_counts(states_of.get(str(sweep["id"]), ()))
        return sweeps

    def update_sweep(self, sweep_id: str, **fields) -> dict:
        sid = _maybe_uuid(sweep_id)

        def update(tx):
            item = None if sid is None else self._get_sweep(tx, sid, lock=True)
            if item is None:
                raise KeyError(f"There is no sweep {sweep_id}.")
            item.update(fields, updated=now())
            data = {k: v for k, v in item.items() if k not in self._SWEEP_COLUMNS}
            sets = [c for c in self._SWEEP_COLUMNS if c not in ("id", "created")]
            tx.x(
                f"UPDATE sweeps SET {', '.join(f'{c} = ?' for c in sets)}, data = ? WHERE id = ?",
                (*(item.get(c) for c in sets), dump(data), sid),
            )
            return self._get_sweep(tx, sid)

        return self._write(update)

    def _get_trial(self, tx: Tx, sweep_id: str, number: int, lock: bool = False):
        row = tx.one(
            f"SELECT {', '.join(self._TRIAL_COLUMNS)}, data FROM sweep_trials "
            f"WHERE sweep_id = ? AND number = ?{self._for_update() if lock else ''}",
            (sweep_id, number),
        )
        return None if row is None else self._with_data(self._TRIAL_COLUMNS, row)

    def put_trial(self, sweep_id: str, trial: dict) -> dict | None:
        sid = check_uuid(sweep_id, "sweep id")
        item = dict(trial, sweep_id=sid)
        item["number"] = int(item["number"])
        item.setdefault("state", "queued")
        item["created"] = item["updated"] = now()
        data = {k: v for k, v in item.items() if k not in self._TRIAL_COLUMNS}

        def insert(tx):
            if self._get_trial(tx, sid, item["number"]) is not None:
                return None
            tx.x(
                f"INSERT INTO sweep_trials ({', '.join(self._TRIAL_COLUMNS)}, data) "
                f"VALUES ({', '.join('?' * (len(self._TRIAL_COLUMNS) + 1))})",
                (*(item.get(c) for c in self._TRIAL_COLUMNS), dump(data)),
            )
            return self._get_trial(tx, sid, item["number"])

        return self._write(insert)

    def update_trial(self, sweep_id: str, number: int, **fields) -> dict:
        sid = _maybe_uuid(sweep_id)

        def update(tx):
            item = None if sid is None else self._get_trial(tx, sid, int(number), lock=True)
            if item is None:
                raise KeyError(f"There is no trial {number} of sweep {sweep_id}.")
            item.update(fields, updated=now())
            data = {k: v for k, v in item.items() if k not in self._TRIAL_COLUMNS}
            tx.x(
                "UPDATE sweep_trials SET state = ?, run_id = ?, updated = ?, data = ? "
                "WHERE sweep_id = ? AND number = ?",
                (item["state"], item.get("run_id"), item["updated"], dump(data), sid,
                 int(number)),
            )  # fmt: skip
            return self._get_trial(tx, sid, int(number))

        return self._write(update)

    def list_trials(self, sweep_id: str) -> list[dict]:
        sid = _maybe_uuid(sweep_id)
        if sid is None:
            return []
        with self._tx() as tx:
            rows = tx.q(
                f"SELECT {', '.join(self._TRIAL_COLUMNS)}, data FROM sweep_trials "
                "WHERE sweep_id = ? ORDER BY number",
                (sid,),
            )
        return [self._with_data(self._TRIAL_COLUMNS, r) for r in rows]

    # -- API keys ---------------------------------------------------------------------------

    _KEY_COLUMNS = "id, username, name, project, created, revoked, scopes, salt, hash"

    @staticmethod
    def _key_row(row, secret: bool = False) -> dict:
        names = ("id", "username", "name", "project", "created", "revoked", "scopes", "salt",
                 "hash")  # fmt: skip
        key = dict(zip(names, row, strict=True))
        key["scopes"] = json.loads(key["scopes"] or "[]")
        if not secret:
            del key["salt"], key["hash"]
        return key

    def put_api_key(self, key: dict) -> dict:
        scopes = key.get("scopes") or []
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise ValueError("scopes: expected a list of scope names")
        row = (key["id"], _author(key["username"]), key.get("name"), key.get("project"),
               dump(sorted(set(scopes))), key["salt"], key["hash"], now())  # fmt: skip
        self._write(lambda tx: tx.x(
            "INSERT INTO api_keys (id, username, name, project, scopes, salt, hash, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row,
        ))  # fmt: skip
        return self.get_api_key(key["id"], secret=False)

    def get_api_key(self, key_id: str, secret: bool = True) -> dict | None:
        with self._tx() as tx:
            row = tx.one(f"SELECT {self._KEY_COLUMNS} FROM api_keys WHERE id = ?", (key_id,))
        return None if row is None else self._key_row(row, secret)

    def list_api_keys(self, username: str) -> list[dict]:
        with self._tx() as tx:
            rows = tx.q(
                f"SELECT {self._KEY_COLUMNS} FROM api_keys WHERE username = ? "
                "ORDER BY created DESC, id",
                (username,),
            )
        return [self._key_row(r) for r in rows]

    def revoke_api_key(self, key_id: str) -> dict | None:
        self._write(lambda tx: tx.x(
            "UPDATE api_keys SET revoked = ? WHERE id = ? AND revoked IS NULL", (now(), key_id)
        ))  # fmt: skip
        return self.get_api_key(key_id, secret=False)
