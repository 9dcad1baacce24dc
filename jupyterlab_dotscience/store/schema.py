"""Versioned schema: an ordered list of migrations shared by both backends.

Each migration is a list of statements. ``{real}``, ``{bigint}``, ``{blob}``,
``{without_rowid}`` (child tables keyed by run: SQLite stores them clustered by that key)
are replaced per dialect;
JSON is kept as text in both backends, timestamps as ISO 8601 UTC text (which sorts).
A migration, once released, is never edited: add a new one at the end.
"""

from __future__ import annotations

MIGRATIONS: list[list[str]] = [
    # 1: the initial schema
    [
        """CREATE TABLE projects (
            name TEXT PRIMARY KEY,
            created TEXT NOT NULL
        )""",
        # runs.seq keys every child table: new rows append to the b-trees (uuids would
        # scatter every insert over the whole index)
        """CREATE TABLE runs (
            seq {serial_pk},
            id TEXT NOT NULL UNIQUE,
            project TEXT NOT NULL REFERENCES projects(name),
            author TEXT NOT NULL,
            mode TEXT,
            workload_file TEXT,
            notebook TEXT,
            description TEXT,
            error TEXT,
            status TEXT NOT NULL,
            start_time TEXT,
            end_time TEXT,
            exec_start TEXT,
            exec_end TEXT,
            published TEXT,
            received TEXT NOT NULL,
            environment TEXT,
            argv TEXT NOT NULL,
            kernel_id TEXT,
            build INTEGER NOT NULL DEFAULT 0,
            deploy INTEGER NOT NULL DEFAULT 0,
            imported INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX runs_received ON runs (received, id)",
        "CREATE INDEX runs_start ON runs (start_time, id)",
        "CREATE INDEX runs_end ON runs (end_time, id)",
        "CREATE INDEX runs_project ON runs (project, received, id)",
        """CREATE TABLE params (
            run {bigint} NOT NULL REFERENCES runs(seq),
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            text TEXT NOT NULL,
            num {real},
            PRIMARY KEY (run, key)
        ){without_rowid}""",
        "CREATE INDEX params_key_num ON params (key, num, run)",
        """CREATE TABLE metrics (
            run {bigint} NOT NULL REFERENCES runs(seq),
            key TEXT NOT NULL,
            seq INTEGER NOT NULL,
            value TEXT NOT NULL,
            text TEXT NOT NULL,
            num {real},
            step {bigint},
            time TEXT,
            PRIMARY KEY (run, key, seq)
        ){without_rowid}""",
        # the last value of each series, for filtering and sorting runs by a metric
        """CREATE TABLE metric_last (
            run {bigint} NOT NULL REFERENCES runs(seq),
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            text TEXT NOT NULL,
            num {real},
            step {bigint},
            time TEXT,
            count INTEGER NOT NULL,
            PRIMARY KEY (run, key)
        ){without_rowid}""",
        "CREATE INDEX metric_last_key_num ON metric_last (key, num, run)",
        """CREATE TABLE labels (
            run {bigint} NOT NULL REFERENCES runs(seq),
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (run, key)
        ){without_rowid}""",
        "CREATE INDEX labels_key_value ON labels (key, value, run)",
        """CREATE TABLE files (
            run {bigint} NOT NULL REFERENCES runs(seq),
            role TEXT NOT NULL CHECK (role IN ('input', 'output')),
            path TEXT NOT NULL,
            sha256 TEXT,
            size {bigint},
            outside INTEGER NOT NULL DEFAULT 0,
            missing INTEGER NOT NULL DEFAULT 0,
            seq INTEGER NOT NULL,
            PRIMARY KEY (run, role, path)
        ){without_rowid}""",
        "CREATE INDEX files_sha256 ON files (sha256, role)",
        """CREATE TABLE cells (
            run {bigint} NOT NULL REFERENCES runs(seq),
            seq INTEGER NOT NULL,
            cell_id TEXT,
            cell_index INTEGER,
            execution_count INTEGER,
            source_sha256 TEXT,
            start_time TEXT,
            end_time TEXT,
            success INTEGER,
            PRIMARY KEY (run, seq)
        ){without_rowid}""",
        """CREATE TABLE notebook_snapshots (
            run_id TEXT PRIMARY KEY REFERENCES runs(id),
            path TEXT,
            format TEXT NOT NULL,
            content TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            created TEXT NOT NULL
        )""",
        """CREATE TABLE models (
            name TEXT PRIMARY KEY,
            latest_version INTEGER NOT NULL,
            created TEXT NOT NULL
        )""",
        """CREATE TABLE model_versions (
            name TEXT NOT NULL REFERENCES models(name),
            version INTEGER NOT NULL,
            run_id TEXT REFERENCES runs(id),
            seq INTEGER NOT NULL DEFAULT 0,
            framework TEXT,
            framework_version TEXT,
            path TEXT,
            classes TEXT,
            files TEXT NOT NULL,
            created TEXT NOT NULL,
            PRIMARY KEY (name, version)
        )""",
        "CREATE INDEX model_versions_run ON model_versions (run_id)",
        """CREATE TABLE model_aliases (
            name TEXT NOT NULL REFERENCES models(name),
            alias TEXT NOT NULL,
            version INTEGER NOT NULL,
            PRIMARY KEY (name, alias)
        )""",
    ],
    # 2: API keys (remote mode): only a salted hash of the secret is kept
    [
        """CREATE TABLE api_keys (
            id TEXT PRIMARY KEY,
            username TEXT NOT NULL,
            name TEXT,
            project TEXT,
            salt TEXT NOT NULL,
            hash TEXT NOT NULL,
            created TEXT NOT NULL,
            revoked TEXT
        )""",
        "CREATE INDEX api_keys_username ON api_keys (username, created)",
    ],
    # 3: how each run file's content got into the artifact store (NULL: not recorded, e.g.
    # runs stored before this migration), who uploaded which content (through a credential
    # limited to which project: '' for none), and the bytes each API key has uploaded
    [
        "ALTER TABLE files ADD COLUMN captured INTEGER",
        "ALTER TABLE files ADD COLUMN capture_reason TEXT",
        """CREATE TABLE artifact_uploads (
            sha256 TEXT NOT NULL,
            username TEXT NOT NULL,
            project TEXT NOT NULL,
            size {bigint} NOT NULL,
            uploaded TEXT NOT NULL,
            PRIMARY KEY (sha256, username, project)
        )""",
        """CREATE TABLE api_key_uploads (
            key_id TEXT PRIMARY KEY,
            bytes {bigint} NOT NULL
        )""",
    ],
    # 4: API key scopes: a JSON list of extra privileges (e.g. ["deploy"]); none by default
    [
        "ALTER TABLE api_keys ADD COLUMN scopes TEXT NOT NULL DEFAULT '[]'",
    ],
    # 5: which kind of credential published a run: its user, and the project the credential
    # was limited to ('' for none). An upload captures a run's file only when it came
    # through the same kind of credential (a key limited to another project, or to none,
    # cannot make content readable through a run it could not have uploaded for)
    [
        """CREATE TABLE run_publishers (
            run {bigint} PRIMARY KEY REFERENCES runs(seq),
            username TEXT NOT NULL,
            project TEXT NOT NULL
        )""",
        "CREATE INDEX run_publishers_credential ON run_publishers (username, project, run)",
    ],
    # 6: the rest of who published a run: the credential's scope (jupyter, publish, apikey)
    # and key id, whether it had the deploy privilege, and which of the run's models its
    # record opted in to full unpickling (a JSON list of names); NULL/0/'[]' for runs stored
    # before, whose models are then never unpickled
    [
        "ALTER TABLE run_publishers ADD COLUMN scope TEXT",
        "ALTER TABLE run_publishers ADD COLUMN key_id TEXT",
        "ALTER TABLE run_publishers ADD COLUMN deploy INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE run_publishers ADD COLUMN trusted_pickle TEXT NOT NULL DEFAULT '[]'",
    ],
    # 7: provenance the kernel owns (issue 12): every execution of the kernel session with
    # its source text, kept once per distinct text (content-addressed); the kernel session,
    # what published the run, the run it reproduces, git state; hidden-state warnings (a JSON
    # list); the latest reproduction verdict (NULL: never reproduced) and the reproductions
    [
        """CREATE TABLE sources (
            sha256 TEXT PRIMARY KEY,
            text TEXT NOT NULL
        )""",
        """CREATE TABLE executions (
            run {bigint} NOT NULL REFERENCES runs(seq),
            seq INTEGER NOT NULL,
            cell_id TEXT,
            execution_count INTEGER,
            source_sha256 TEXT NOT NULL,
            start_time TEXT,
            end_time TEXT,
            success INTEGER,
            error TEXT,
            in_run INTEGER NOT NULL DEFAULT 0,
            origin TEXT NOT NULL DEFAULT 'cell',
            session TEXT,
            PRIMARY KEY (run, seq)
        ){without_rowid}""",
        "ALTER TABLE runs ADD COLUMN kernel TEXT",
        "ALTER TABLE runs ADD COLUMN published_from TEXT",
        "ALTER TABLE runs ADD COLUMN reproduces TEXT",
        "ALTER TABLE runs ADD COLUMN git TEXT",
        "ALTER TABLE runs ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE runs ADD COLUMN verdict TEXT",
        "CREATE INDEX runs_verdict ON runs (verdict, received, id)",
        "CREATE INDEX runs_reproduces ON runs (reproduces)",
        """CREATE TABLE reproductions (
            id TEXT PRIMARY KEY,
            run_id TEXT NOT NULL REFERENCES runs(id),
            state TEXT NOT NULL,
            cell INTEGER NOT NULL DEFAULT 0,
            cells INTEGER NOT NULL DEFAULT 0,
            verdict TEXT,
            result TEXT NOT NULL DEFAULT '{{}}',
            replay_run_id TEXT,
            requested_by TEXT NOT NULL,
            tolerance {real} NOT NULL DEFAULT 0,
            created TEXT NOT NULL,
            finished TEXT
        )""",
        "CREATE INDEX reproductions_run ON reproductions (run_id, created)",
        "CREATE INDEX reproductions_state ON reproductions (state)",
    ],
    # 8: project owners and members (issue 15, teams on JupyterHub): on a team server a
    # project's runs are seen and published by its members, its membership managed by its
    # owners; every author of a project's existing runs becomes one of its owners (but for
    # the project "default", which on a team server is everyone's)
    [
        """CREATE TABLE project_members (
            project TEXT NOT NULL REFERENCES projects(name),
            username TEXT NOT NULL,
            role TEXT NOT NULL,
            added TEXT NOT NULL,
            added_by TEXT,
            PRIMARY KEY (project, username)
        )""",
        "CREATE INDEX project_members_user ON project_members (username, project)",
        """INSERT INTO project_members (project, username, role, added, added_by)
            SELECT project, author, 'owner', MIN(received), NULL FROM runs
            WHERE project <> 'default' GROUP BY project, author""",
    ],
    # 9: builds and deployments in the store (issue 15, everything shared lives in the store):
    # every server sharing a store shows the same builds and deployments. A build's state
    # (the bundle and its log are files of the server that built it, ``server``); a
    # deployment's state, URL, owner, log location, the server that runs it and that
    # server's lease (``lease_expires``, renewed while it runs; taken with a conditional
    # UPDATE), the rest (host, port, pid, events, ...) as JSON in ``data``. At most one
    # deployment of a version and target is active at a time (the partial unique index).
    [
        """CREATE TABLE model_builds (
            name TEXT NOT NULL,
            version INTEGER NOT NULL,
            state TEXT NOT NULL,
            server TEXT,
            data TEXT NOT NULL,
            updated TEXT NOT NULL,
            PRIMARY KEY (name, version)
        )""",
        """CREATE TABLE deployments (
            id TEXT PRIMARY KEY,
            model TEXT NOT NULL,
            version INTEGER NOT NULL,
            target TEXT NOT NULL,
            state TEXT NOT NULL,
            run_id TEXT,
            project TEXT,
            url TEXT,
            owner TEXT,
            log TEXT,
            server TEXT,
            lease_expires TEXT,
            data TEXT NOT NULL,
            created TEXT NOT NULL,
            updated TEXT NOT NULL
        )""",
        "CREATE INDEX deployments_created ON deployments (created, id)",
        "CREATE INDEX deployments_server ON deployments (server, state)",
        """CREATE UNIQUE INDEX deployments_active ON deployments (model, version, target)
            WHERE state IN ('building', 'starting', 'running')""",
    ],
    # 10 (issue 17, sweeps): a sweep (its notebook, project, owner, state, backend, the
    # server running it; spec, best trial and counts as JSON in ``data``) and its trials, one
    # row per trial number (unique: a trial is never started twice), each with its state,
    # the run it published and, as JSON, its parameter values, objective and error.
    [
        """CREATE TABLE sweeps (
            id TEXT PRIMARY KEY,
            notebook TEXT NOT NULL,
            project TEXT NOT NULL,
            owner TEXT,
            state TEXT NOT NULL,
            backend TEXT NOT NULL,
            server TEXT,
            data TEXT NOT NULL,
            created TEXT NOT NULL,
            updated TEXT NOT NULL
        )""",
        "CREATE INDEX sweeps_created ON sweeps (created, id)",
        """CREATE TABLE sweep_trials (
            sweep_id TEXT NOT NULL REFERENCES sweeps(id),
            number INTEGER NOT NULL,
            state TEXT NOT NULL,
            run_id TEXT,
            data TEXT NOT NULL,
            created TEXT NOT NULL,
            updated TEXT NOT NULL,
            PRIMARY KEY (sweep_id, number)
        )""",
    ],
    # 11 (issue 14, compare and diff): whether a higher or a lower value of a metric is
    # better, one row per metric key (the compare view marks the best value by it)
    [
        """CREATE TABLE metric_directions (
            key TEXT PRIMARY KEY,
            direction TEXT NOT NULL CHECK (direction IN ('higher', 'lower')),
            updated_by TEXT NOT NULL,
            updated TEXT NOT NULL
        )""",
    ],
    # 12 (issue 14, Runs table columns "loss (min)", "loss (max)"): the smallest and the
    # largest number of each series beside its last value, as logged (``*_value``, JSON) and
    # as the number it sorts by (``*_num``); NaN, text, booleans and null are left out,
    # infinities count; NULL when no point is a number. Indexed for sorting and filtering
    # like the last value; filled in from the stored points of the runs stored before.
    # And the block summary of each long series (``downsample.Summary`` packed, written
    # when the run is stored, or on the first chart of a series stored before), so the
    # first chart of a 1,000,000-point series reads a few hundred KB, not every point.
    [
        "ALTER TABLE metric_last ADD COLUMN min_value TEXT",
        "ALTER TABLE metric_last ADD COLUMN min_num {real}",
        "ALTER TABLE metric_last ADD COLUMN max_value TEXT",
        "ALTER TABLE metric_last ADD COLUMN max_num {real}",
        """UPDATE metric_last SET
            min_num = (SELECT MIN(m.num) FROM metrics m
                       WHERE m.run = metric_last.run AND m.key = metric_last.key),
            max_num = (SELECT MAX(m.num) FROM metrics m
                       WHERE m.run = metric_last.run AND m.key = metric_last.key)""",
        """UPDATE metric_last SET
            min_value = (SELECT m.value FROM metrics m
                         WHERE m.run = metric_last.run AND m.key = metric_last.key
                         AND m.num = metric_last.min_num ORDER BY m.seq LIMIT 1),
            max_value = (SELECT m.value FROM metrics m
                         WHERE m.run = metric_last.run AND m.key = metric_last.key
                         AND m.num = metric_last.max_num ORDER BY m.seq LIMIT 1)
            WHERE min_num IS NOT NULL""",
        "CREATE INDEX metric_last_key_min ON metric_last (key, min_num, run)",
        "CREATE INDEX metric_last_key_max ON metric_last (key, max_num, run)",
        """CREATE TABLE metric_summaries (
            run {bigint} NOT NULL REFERENCES runs(seq),
            key TEXT NOT NULL,
            count {bigint} NOT NULL,
            size INTEGER NOT NULL,
            blocks {blob} NOT NULL,
            PRIMARY KEY (run, key)
        )""",
    ],
]

DIALECT = {
    "sqlite": {
        "real": "REAL",
        "bigint": "INTEGER",
        "without_rowid": " WITHOUT ROWID",
        "serial_pk": "INTEGER PRIMARY KEY",
        "blob": "BLOB",
    },
    "postgres": {
        "real": "DOUBLE PRECISION",
        "bigint": "BIGINT",
        "without_rowid": "",
        "serial_pk": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        "blob": "BYTEA",
    },
}


def statements(version: int, dialect: str) -> list[str]:
    """The statements of migration ``version`` (1-based) for ``dialect``."""
    return [s.format(**DIALECT[dialect]) for s in MIGRATIONS[version - 1]]


LATEST = len(MIGRATIONS)
