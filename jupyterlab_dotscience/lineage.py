"""Data lineage over the store: which run produced the data another run read.

Runs are linked through file content only: a run that read a file with hash ``h`` is linked
to the most recent earlier run (by start time, else received time) that wrote ``h``. Paths
are kept on the file nodes for display but never link runs by themselves.
"""

from __future__ import annotations

from collections import deque

from .store.interface import Store
from .store.validate import check_sha256, check_uuid

DIRECTIONS = ("both", "up", "down")


def file_node_id(sha256: str | None, run_id: str = "", role: str = "", path: str = "") -> str:
    """``sha256:<hex>``, or for a file without a hash an id private to its run."""
    return f"sha256:{sha256}" if sha256 else f"file:{run_id}:{role}:{path}"


class _Graph:
    def __init__(self, store: Store, max_nodes: int, visible):
        self.store = store
        self.visible = visible
        self.max_nodes = max_nodes
        self.nodes: dict[str, dict] = {}
        self.edges: dict[tuple, dict] = {}
        self.truncated = False
        self._times: dict[str, str] = {}
        self._summaries: dict[str, dict | None] = {}

    def full(self) -> bool:
        if len(self.nodes) >= self.max_nodes:
            self.truncated = True
            return True
        return False

    def add_run(self, run_id: str) -> bool:
        if run_id in self.nodes:
            return True
        if self.full():
            return False
        s = self._summary(run_id)
        if s is None:
            return False
        self.nodes[run_id] = {
            "id": run_id, "kind": "run", "project": s["project"], "author": s["author"],
            "description": s["description"], "notebook": s["notebook"],
            "workload_file": s["workload_file"], "status": s["status"], "start": s["start"],
            "end": s["end"], "received": s["received"],
        }  # fmt: skip
        self._times[run_id] = s["start"] or s["received"]
        return True

    def _summary(self, run_id: str) -> dict | None:
        """The run's summary, or None when there is no such run or it is not visible."""
        if run_id not in self._summaries:
            found = self.store.run_summaries([run_id])
            ok = found and self.visible(found[0]["project"])
            self._summaries[run_id] = found[0] if ok else None
        return self._summaries[run_id]

    def can_see(self, run_id: str) -> bool:
        return self._summary(run_id) is not None

    def time(self, run_id: str) -> str:
        return self._times[run_id]

    def add_file(self, node_id: str, sha256, path, size) -> bool:
        node = self.nodes.get(node_id)
        if node is None:
            if self.full():
                return False
            node = self.nodes[node_id] = {
                "id": node_id, "kind": "file", "sha256": sha256, "path": path,
                "paths": [], "size": size,
            }  # fmt: skip
        if path and path not in node["paths"]:
            node["paths"].append(path)
        return True

    def add_edge(self, src: str, dst: str, kind: str) -> None:
        if src in self.nodes and dst in self.nodes:
            self.edges.setdefault((src, dst, kind), {"from": src, "to": dst, "kind": kind})


def _producer(store: Store, sha256: str, run_id: str, before: str) -> dict | None:
    """The most recent run other than ``run_id`` that wrote ``sha256`` before ``before``."""
    writers = [
        u
        for u in store.file_users(sha256, "output")
        if u["run_id"] != run_id and u["time"] < before
    ]
    return writers[-1] if writers else None  # file_users is ordered by time


def lineage(
    store: Store,
    run_id: str | None = None,
    sha256: str | None = None,
    direction: str = "both",
    depth: int = 5,
    max_nodes: int = 500,
    visible=None,
) -> dict:
    """The lineage graph around a run or a file.

    Parameters
    ----------
    store
        Where runs and their files are recorded.
    run_id, sha256
        The starting point: exactly one of them.
    direction
        ``up`` (where the data came from), ``down`` (what was made from it) or ``both``.
    depth
        How many run-to-run links to follow from the start.
    max_nodes
        Stop growing the graph at this many nodes (``truncated`` is then true).
    visible
        ``visible(project) -> bool``: runs of other projects are left out, and so is
        everything only they link to (their files, the paths they used); a starting run
        that is not visible is reported like an unknown one. None: every run.

    Returns
    -------
    dict
        ``{"root", "nodes": [{"id", "kind": "run"|"file", ...}],
        "edges": [{"from", "to", "kind": "input"|"output"}], "truncated"}``. Input edges go
        from a file to the run that read it, output edges from a run to the file it wrote.

    Raises
    ------
    ValueError
        Bad arguments. KeyError when the starting run does not exist (or is not visible).
    """
    if (run_id is None) == (sha256 is None):
        raise ValueError("lineage: give exactly one of run_id or sha256")
    if direction not in DIRECTIONS:
        raise ValueError(f"direction: expected one of {', '.join(DIRECTIONS)}, got {direction!r}")
    if isinstance(depth, bool) or not isinstance(depth, int) or not 0 <= depth <= 100:
        raise ValueError(f"depth: expected an integer 0..100, got {depth!r}")
    graph = _Graph(store, max_nodes, visible or (lambda project: True))
    up = direction in ("both", "up")
    down = direction in ("both", "down")
    queue: deque[tuple[str, int, bool, bool]] = deque()  # (run id, distance, up, down)

    if run_id is not None:
        run_id = check_uuid(run_id, "run_id")
        if not graph.add_run(run_id):
            raise KeyError(f"no run {run_id!r}")
        root = run_id
        queue.append((run_id, 0, up, down))
    else:
        sha256 = check_sha256(sha256, "sha256", nullable=False)
        root = file_node_id(sha256)
        users = [u for u in store.file_users(sha256) if graph.can_see(u["run_id"])]
        first = users[0] if users else {"path": None, "size": None}
        graph.add_file(root, sha256, first["path"], first["size"])
        for user in users:
            if not depth or (user["role"] == "output" and not up):
                continue
            if user["role"] == "input" and not down:
                continue
            if graph.add_run(user["run_id"]):
                graph.add_file(root, sha256, user["path"], user["size"])
                if user["role"] == "output":
                    graph.add_edge(user["run_id"], root, "output")
                else:
                    graph.add_edge(root, user["run_id"], "input")
                queue.append((user["run_id"], 1, up, down))

    expanded: set[tuple[str, bool, bool]] = set()
    while queue:
        current, dist, go_up, go_down = queue.popleft()
        if (current, go_up, go_down) in expanded:
            continue
        expanded.add((current, go_up, go_down))
        when = graph.time(current)
        for f in store.run_files(current):
            node_id = file_node_id(f["sha256"], current, f["role"], f["path"])
            if not graph.add_file(node_id, f["sha256"], f["path"], f["size"]):
                continue
            if f["role"] == "input":
                graph.add_edge(node_id, current, "input")
            else:
                graph.add_edge(current, node_id, "output")
            if not f["sha256"] or dist >= depth:
                continue
            if f["role"] == "input" and go_up:
                writer = _producer(store, f["sha256"], current, when)
                if writer and graph.add_run(writer["run_id"]):
                    graph.add_file(node_id, f["sha256"], writer["path"], writer["size"])
                    graph.add_edge(writer["run_id"], node_id, "output")
                    queue.append((writer["run_id"], dist + 1, True, False))
            elif f["role"] == "output" and go_down:
                for reader in store.file_users(f["sha256"], "input"):
                    if reader["run_id"] == current or reader["time"] <= when:
                        continue
                    writer = _producer(store, f["sha256"], reader["run_id"], reader["time"])
                    if writer is None or writer["run_id"] != current:
                        continue  # a later run wrote the same content again: theirs
                    if graph.add_run(reader["run_id"]):
                        graph.add_file(node_id, f["sha256"], reader["path"], reader["size"])
                        graph.add_edge(node_id, reader["run_id"], "input")
                        queue.append((reader["run_id"], dist + 1, False, True))
    return {
        "root": root,
        "nodes": list(graph.nodes.values()),
        "edges": list(graph.edges.values()),
        "truncated": graph.truncated,
    }
