"""The ``dotscience`` command line: runs, export, import, sync, API keys, models, login,
reproduce, sweep.

Exit codes: 0 success, 1 error (one sentence on stderr), 2 usage error. Every command
that prints data accepts ``--json``. Connection settings come from the options, else the
environment (``DOTSCIENCE_HOSTNAME``, ``DOTSCIENCE_USERNAME``, ``DOTSCIENCE_APIKEY``,
``JUPYTER_TOKEN``), else ``dotscience login``'s config file, else a local server.

Each sub-command is a ``_cmd_*`` function: it takes the parsed command line and returns the
exit code; a :class:`CliError` or :class:`dotscience.ConnectionError` it raises is printed by
:func:`main` as one sentence (exit code 1).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys

from . import client as _client
from . import remote as _remote

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class CliError(Exception):
    """A failure to report as one sentence (exit code 1)."""


# -- configuration -------------------------------------------------------------------------


def config_path() -> str:
    """``$XDG_CONFIG_HOME/dotscience/config.json`` (default ``~/.config/...``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "dotscience", "config.json")


def load_config() -> dict:
    """The settings ``dotscience login`` saved.

    Returns
    -------
    dict
        ``{"hostname", "username", "apikey"}``; empty when there is no config file.

    Raises
    ------
    CliError
        When the file exists but cannot be read or is not JSON.
    """
    try:
        with open(config_path(), encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise CliError(f"Cannot read {config_path()}: {e}") from None
    return data if isinstance(data, dict) else {}


def save_config(data: dict) -> str:
    """Write the config readable by its owner only (0600, directory 0700).

    Parameters
    ----------
    data : dict
        The settings to keep.

    Returns
    -------
    str
        The config file's path.
    """
    path = config_path()
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def _setting(args, name: str, env: str, config: dict):
    value = getattr(args, name, None)
    if value:
        return value
    return os.environ.get(env) or config.get(name)


def client_for(
    args, need_token: bool = False, purpose: str = "Creating an API key"
) -> _client.Client:
    """A client from the options, environment and config file (in that order).

    An explicit ``--token`` wins over a stored API key; with neither, the Jupyter token of
    ``JUPYTER_TOKEN`` (if any) is used.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    need_token : bool
        The command needs a Jupyter login (creating API keys, reproducing runs).
    purpose : str
        What needs it, for the sentence when no token was given.

    Returns
    -------
    dotscience.client.Client
        The client.

    Raises
    ------
    CliError
        ``need_token`` and no Jupyter token was given.
    """
    config = load_config()
    hostname = (
        getattr(args, "hostname", None)
        or os.environ.get("DOTSCIENCE_HOSTNAME")
        or config.get("hostname")
        or _client.default_hostname()
    )
    token = getattr(args, "token", None) or os.environ.get("JUPYTER_TOKEN")
    if need_token:
        if not token:
            raise CliError(
                f"{purpose} needs a Jupyter login: pass --token or set JUPYTER_TOKEN "
                "(the token in the URL JupyterLab printed when it started)."
            )
        return _client.Client(hostname, token=token, timeout=args.timeout)
    if getattr(args, "token", None):  # an explicit Jupyter token wins over a stored key
        return _client.Client(hostname, token=token, timeout=args.timeout)
    username = _setting(args, "username", "DOTSCIENCE_USERNAME", config)
    apikey = _setting(args, "apikey", "DOTSCIENCE_APIKEY", config)
    if apikey:
        return _client.Client(hostname, username, apikey, timeout=args.timeout)
    return _client.Client(hostname, token=token, timeout=args.timeout)


# -- output --------------------------------------------------------------------------------


def emit_json(data) -> None:
    """Print ``data`` as indented JSON with sorted keys (what ``--json`` prints).

    Parameters
    ----------
    data : object
        Anything JSON can hold (other values are printed as their ``str()``).
    """
    json.dump(data, sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")


def table(headers: list[str], rows: list[list], widths: dict | None = None) -> str:
    """Aligned columns; long cells are cut with ``…`` at ``widths[header]``.

    Parameters
    ----------
    headers : list of str
        The column titles.
    rows : list of list
        The cells (None and ``""`` print as ``-``; newlines as spaces).
    widths : dict, optional
        ``{header: maximum width}``.

    Returns
    -------
    str
        The table, one line per row, without trailing spaces.
    """
    widths = widths or {}
    cells = [[_cell(v, widths.get(h)) for h, v in zip(headers, row, strict=True)] for row in rows]
    size = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(size[i]) for i, h in enumerate(headers)).rstrip()]
    lines += ["  ".join(c.ljust(size[i]) for i, c in enumerate(r)).rstrip() for r in cells]
    return "\n".join(lines)


def _cell(value, width: int | None) -> str:
    text = "-" if value is None or value == "" else str(value).replace("\n", " ")
    if width and len(text) > width:
        text = text[: width - 1] + "…"
    return text


def _short_time(value) -> str | None:
    return value[:19].replace("T", " ") if isinstance(value, str) else value


# -- commands ------------------------------------------------------------------------------


def _cmd_login(args) -> int:
    """``dotscience login``: check the API key against the server and save it."""
    if not args.hostname or not args.username:
        raise CliError("login needs --hostname and --username (and --apikey, or type it).")
    apikey = args.apikey or os.environ.get("DOTSCIENCE_APIKEY")
    if not apikey:
        if not sys.stdin.isatty():
            raise CliError("login needs --apikey (or DOTSCIENCE_APIKEY) when not on a terminal.")
        import getpass

        apikey = getpass.getpass("API key: ").strip()
    client = _client.Client(args.hostname, args.username, apikey, timeout=args.timeout)
    client.check()
    path = save_config({"hostname": client.base, "username": args.username, "apikey": apikey})
    if args.json:
        emit_json({"hostname": client.base, "username": args.username, "config": path})
    else:
        print(f"Logged in to {client.base} as {args.username}; saved to {path}")
    return EXIT_OK


def _run_params(args) -> dict:
    params = {"limit": args.limit, "sort": args.sort}
    for name in ("project", "notebook", "status", "author"):
        if getattr(args, name):
            params[name] = getattr(args, name)
    if args.search:
        params["q"] = args.search
    for name in ("label", "param", "metric"):
        if getattr(args, name):
            params[name] = getattr(args, name)
    return params


def _cmd_runs_list(args) -> int:
    """``dotscience runs list``: one page of runs matching the filters."""
    page = client_for(args).request("GET", "runs", params=_run_params(args))
    if args.json:
        emit_json(page)
        return EXIT_OK
    runs = page.get("runs", [])
    if not runs:
        print("No runs match.")
        return EXIT_OK
    rows = [
        [r["id"], r.get("status"), r.get("project"), r.get("author"),
         r.get("notebook") or r.get("workload_file"), r.get("description"),
         _short_time(r.get("received"))]
        for r in runs
    ]  # fmt: skip
    headers = ["ID", "STATUS", "PROJECT", "AUTHOR", "WORKLOAD", "DESCRIPTION", "RECEIVED"]
    print(table(headers, rows, {"WORKLOAD": 40, "DESCRIPTION": 40, "PROJECT": 20}))
    if page.get("next_cursor"):
        print(f"(more runs: raise --limit, now {args.limit})")
    return EXIT_OK


def _cmd_runs_show(args) -> int:
    """``dotscience runs show ID``: one run's fields, parameters, metrics and files."""
    run = client_for(args).request("GET", f"runs/{args.id}")
    if args.json:
        emit_json(run)
        return EXIT_OK
    git = (run.get("environment") or {}).get("git") or {}
    fields = [
        ("id", run.get("id")), ("status", run.get("status")), ("project", run.get("project")),
        ("author", run.get("author")), ("description", run.get("description")),
        ("mode", run.get("mode")), ("workload", run.get("notebook") or run.get("workload_file")),
        ("argv", " ".join(run.get("argv") or []) or None), ("git commit", git.get("commit")),
        ("start", run.get("start")), ("end", run.get("end")), ("received", run.get("received")),
        ("error", run.get("error")),
    ]  # fmt: skip
    width = max(len(k) for k, _ in fields)
    for key, value in fields:
        print(f"{key.ljust(width)}  {_cell(value, None)}")
    params = run.get("parameters") or {}
    if params:
        print("\nParameters")
        print(table(["NAME", "VALUE"], [[k, v.get("text")] for k, v in sorted(params.items())]))
    metrics = run.get("metrics") or {}
    if metrics:
        print("\nMetrics")
        rows = [[k, s[-1].get("text") if s else None, len(s)] for k, s in sorted(metrics.items())]
        print(table(["NAME", "LAST", "POINTS"], rows))
    files = [("input", f) for f in run.get("inputs") or []]
    files += [("output", f) for f in run.get("outputs") or []]
    if files:
        print("\nFiles")
        rows = [[role, f.get("path"), f.get("size"), f.get("sha256")] for role, f in files]
        print(table(["ROLE", "PATH", "SIZE", "SHA256"], rows))
    return EXIT_OK


def _cmd_export(args) -> int:
    """``dotscience export ID``: a run as PROV-JSON, OpenLineage events or its v1 block."""
    client = client_for(args)
    if args.format == "v1":
        text = client.request(
            "GET", f"runs/{args.id}/export", params={"format": "v1"}, raw=True
        ).decode("utf-8")
        if args.json:
            emit_json({"id": args.id, "format": "v1", "text": text})
        else:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return EXIT_OK
    emit_json(client.request("GET", f"runs/{args.id}/export", params={"format": args.format}))
    return EXIT_OK


def _texts_of(path: str) -> str:
    """The text to search for v1 blocks: a notebook's outputs, or the file itself."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError as e:
        raise CliError(f"Cannot read {path}: {e.strerror or e}.") from None
    from .v1 import searchable_text

    return searchable_text(text, path.endswith(".ipynb"))


def _cmd_import(args) -> int:
    """``dotscience import PATH...``: send the v1 blocks of notebooks or logs to the server
    (``--local``: only list them)."""
    from . import v1 as _v1

    results = []
    client = None if args.local else client_for(args)
    for path in args.paths:
        text = _texts_of(path)
        if client is None:
            blocks = _v1.find_blocks(text)
            results.append({
                "path": path, "found": len(blocks), "imported": 0,
                "runs": [
                    {"id": rid, "description": v1.get("description"),
                     "parameters": len(v1.get("parameters") or {}),
                     "summary": len(v1.get("summary") or {})}
                    for rid, v1 in blocks
                ],
            })  # fmt: skip
            continue
        answer = client.request("POST", "import", {"text": text})
        results.append({"path": path, **answer})
    if args.json:
        emit_json({"files": results})
        return EXIT_OK
    for r in results:
        if client is None:
            print(f"{r['path']}: {r['found']} run(s) found")
            if r["runs"]:
                rows = [[x["id"], x["description"], x["parameters"], x["summary"]]
                        for x in r["runs"]]  # fmt: skip
                print(table(["ID", "DESCRIPTION", "PARAMETERS", "METRICS"], rows,
                            {"DESCRIPTION": 50}))  # fmt: skip
        else:
            print(f"{r['path']}: {r['found']} run(s) found, {r['imported']} new on {client.base}")
    return EXIT_OK


def _cmd_sync(args) -> int:
    """``dotscience sync``: send the spooled runs and pending output uploads.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``--root``: the workspace).

    Returns
    -------
    int
        0, or 1 when the server rejected a run (moved to ``spool/rejected/``).

    Raises
    ------
    dotscience.ConnectionError
        When the server cannot be reached (nothing is lost).
    """
    root = os.path.abspath(
        args.root or os.environ.get("DOTSCIENCE_PROJECT_DOT_ROOT") or os.getcwd()
    )
    client = client_for(args)
    say = (lambda line: print(line, file=sys.stderr)) if args.json else print
    result = _remote.sync(client, root, say=say)
    if args.json:
        emit_json(result)
    elif not (result["sent"] or result["already"] or result["rejected"] or result["uploaded"]):
        print("Nothing to sync.")
    else:
        print(
            f"Sent {len(result['sent'])} run(s) to {client.base}; "
            f"{len(result['already'])} already there; {len(result['rejected'])} rejected; "
            f"{result['uploaded']} output file(s) uploaded."
        )
    return EXIT_ERROR if result["rejected"] else EXIT_OK


def _key_rows(keys: list[dict]) -> list[list]:
    return [
        [k["id"], k.get("name"), k.get("project") or "(any)",
         ", ".join(k.get("scopes") or []) or "-", k.get("username"),
         _short_time(k.get("created")), "revoked" if k.get("revoked") else "active"]
        for k in keys
    ]  # fmt: skip


_KEY_HEADERS = ["ID", "NAME", "PROJECT", "SCOPES", "USER", "CREATED", "STATE"]


def _cmd_keys_create(args) -> int:
    """``dotscience keys create``: create an API key (needs a Jupyter token) and show it once."""
    client = client_for(args, need_token=True)
    body = {"name": args.name, "project": args.project}
    if args.deploy:
        body["scopes"] = ["deploy"]
    key = client.request("POST", "keys", body)
    if args.json:
        emit_json(key)
        return EXIT_OK
    limit = f" limited to project {key['project']}" if key.get("project") else ""
    may = " It may build and deploy models." if "deploy" in (key.get("scopes") or []) else ""
    print(f"Created API key {key['id']} for {key['username']}{limit}.{may}")
    print(f"\n    {key['key']}\n")
    print("Copy it now: it is shown only once. Use it with")
    print(
        f"    dotscience login --hostname {client.base} --username {key['username']} --apikey ..."
    )
    return EXIT_OK


def _cmd_keys_list(args) -> int:
    """``dotscience keys list``: the user's API keys."""
    keys = client_for(args).request("GET", "keys")["keys"]
    if args.json:
        emit_json({"keys": keys})
    elif not keys:
        print("No API keys yet; create one with `dotscience keys create --token ...`.")
    else:
        print(table(_KEY_HEADERS, _key_rows(keys), {"NAME": 30}))
    return EXIT_OK


def _cmd_keys_revoke(args) -> int:
    """``dotscience keys revoke ID``: revoke one of the user's keys."""
    key_id = _client.key_id_of(args.id)
    if key_id is None:
        raise CliError(f"{args.id!r} is not an API key id (12 hex digits) or key.")
    key = client_for(args).request("DELETE", f"keys/{key_id}")
    if args.json:
        emit_json(key)
    else:
        print(f"Revoked API key {key['id']} ({key.get('name') or 'unnamed'}).")
    return EXIT_OK


def _project_path(*parts: str) -> str:
    from urllib.parse import quote

    return "projects/" + "/".join(quote(p, safe="") for p in parts)


def _cmd_projects_list(args) -> int:
    """``dotscience projects list``: the projects you may see, with your role in each."""
    answer = client_for(args).request("GET", "projects")
    projects = answer["projects"]
    if args.json:
        emit_json(answer)
    elif not projects:
        print("No projects yet; publish a run or create one with `dotscience projects create`.")
    else:
        rows = [[p["name"], p.get("role"), p.get("runs"), _short_time(p.get("created"))]
                for p in projects]  # fmt: skip
        print(table(["NAME", "ROLE", "RUNS", "CREATED"], rows, {"NAME": 40}))
    return EXIT_OK


def _cmd_projects_show(args) -> int:
    """``dotscience projects show NAME``: a project's members."""
    project = client_for(args).request("GET", _project_path(args.name))
    if args.json:
        emit_json(project)
        return EXIT_OK
    print(f"Project {project['name']}: {project['runs']} run(s), you are {project.get('role')}.")
    rows = [[m["username"], m["role"], m.get("added_by"), _short_time(m.get("added"))]
            for m in project["members"]]  # fmt: skip
    if rows:
        print(table(["USER", "ROLE", "ADDED BY", "ADDED"], rows))
    return EXIT_OK


def _cmd_projects_create(args) -> int:
    """``dotscience projects create NAME``: a new project with you as its owner."""
    client = client_for(args, need_token=True, purpose="Creating a project")
    project = client.request("POST", "projects", {"name": args.name})
    if args.json:
        emit_json(project)
    else:
        print(f"Created project {project['name']}; you are its owner.")
    return EXIT_OK


def _cmd_projects_add_member(args) -> int:
    """``dotscience projects add-member NAME USER [--owner]``: add or change a member."""
    client = client_for(args, need_token=True, purpose="Changing a project's members")
    role = "owner" if args.owner else "member"
    member = client.request("PUT", _project_path(args.name, "members", args.user), {"role": role})
    if args.json:
        emit_json(member)
    else:
        print(f"{member['username']} is now {member['role']} of project {member['project']}.")
    return EXIT_OK


def _cmd_projects_remove_member(args) -> int:
    """``dotscience projects remove-member NAME USER``: remove a member."""
    client = client_for(args, need_token=True, purpose="Changing a project's members")
    answer = client.request("DELETE", _project_path(args.name, "members", args.user))
    if args.json:
        emit_json(answer)
    else:
        print(f"Removed {answer['username']} from project {answer['project']}.")
    return EXIT_OK


def _models_request(client, method, path, body=None):
    try:
        return client.request(method, path, body)
    except _client.ConnectionError as e:
        if e.status in (404, 405) and path == "models":
            raise CliError(f"The server at {client.base} does not support models yet.") from None
        raise


def _cmd_models_list(args) -> int:
    """``dotscience models list``: the model registry."""
    models = _models_request(client_for(args), "GET", "models")["models"]
    if args.json:
        emit_json({"models": models})
    elif not models:
        print("No models registered yet.")
    else:
        rows = [
            [m["name"], m.get("latest_version"),
             ", ".join(f"{a}=v{v}" for a, v in sorted((m.get("aliases") or {}).items())),
             _short_time(m.get("created"))]
            for m in models
        ]  # fmt: skip
        print(table(["NAME", "LATEST", "ALIASES", "CREATED"], rows))
    return EXIT_OK


def _cmd_deploy(args) -> int:
    """``dotscience deploy MODEL``: deploy a version (default: the latest) of a model."""
    client = client_for(args)
    version = args.version
    if version is None:
        models = _models_request(client, "GET", "models")["models"]
        found = [m for m in models if m["name"] == args.model]
        if not found:
            raise CliError(f"There is no model {args.model!r} on {client.base}.")
        version = found[0]["latest_version"]
    dep = client.request(
        "POST", f"models/{args.model}/versions/{version}/deploy", {"target": args.target}
    )
    if args.json:
        emit_json(dep)
    else:
        state = dep.get("state") or dep.get("status") or "requested"
        print(f"Deploying {args.model} v{version} ({args.target}): {state}; id {dep.get('id')}")
    return EXIT_OK


#: Verdicts ``dotscience reproduce`` exits 0 for
REPRODUCED = ("identical", "within_tolerance")


def _show_number(value):
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, dict) and "$float" in value:
        return value["$float"]
    return value


def _print_reproduction(run_id: str, rep: dict) -> None:
    """The verdict of a finished reproduction and what it found, for people."""
    verdict = rep.get("verdict") or rep.get("state")
    result = rep.get("result") or {}
    replay = f" as run {rep['replay_run_id']}" if rep.get("replay_run_id") else ""
    print(f"Run {run_id} reproduced{replay}: {str(verdict).replace('_', ' ')}.")
    failed = result.get("failed")
    if failed:
        where = f"cell {failed['cell']}" if failed.get("cell") else "the replay"
        count = failed.get("execution_count")
        where += f" (execution [{count}])" if count is not None else ""
        print(f"Failed at {where}: {failed.get('error')}")
    for sentence in result.get("missing") or []:
        print(f"Missing: {sentence}")
    differences = result.get("differences") or []
    if differences:
        rows = [[d.get("kind"), d.get("name"), _show_number(d.get("original")),
                 _show_number(d.get("replay")), _show_number(d.get("relative_difference"))]
                for d in differences]  # fmt: skip
        print()
        print(table(["KIND", "NAME", "ORIGINAL", "REPLAY", "REL. DIFFERENCE"], rows,
                    {"NAME": 40, "ORIGINAL": 30, "REPLAY": 30}))  # fmt: skip
    env = result.get("environment") or {}
    if env.get("python") or env.get("packages"):
        python = env.get("python")
        parts = [f"Python {python[0]} -> {python[1]}"] if python else []
        if env.get("packages"):
            parts.append(f"{len(env['packages'])} package(s) differ")
        print(f"\nEnvironment (does not change the verdict): {'; '.join(parts)}.")
    if result.get("skipped"):
        print(f"{result['skipped']} failed execution(s) of the original were not replayed.")


def _cmd_reproduce(args) -> int:
    """``dotscience reproduce RUN_ID``: re-execute a run from its record on the server, wait,
    print the verdict; exit 0 when identical or within the tolerance, 1 otherwise."""
    import time

    if not (args.tolerance >= 0 and args.tolerance != float("inf")):
        raise CliError("--tolerance must be a finite number >= 0 (e.g. 0.01 for 1%).")
    client = client_for(args, need_token=True, purpose="Reproducing a run")
    body = {"tolerance": args.tolerance, "keep": args.keep, "confirm": args.confirm}
    try:
        rep = client.request("POST", f"runs/{args.id}/reproductions", body)
    except _client.ConnectionError as e:
        if e.status == 409:
            raise CliError(f"{e.detail} Pass --confirm to reproduce it.") from None
        raise
    path = f"runs/{args.id}/reproductions/{rep['id']}"
    shown = None
    try:
        while rep.get("state") not in ("done", "cancelled"):
            progress = (rep.get("state"), rep.get("cell"), rep.get("cells"))
            if progress != shown and not args.json and rep.get("state") == "running":
                print(f"cell {rep.get('cell')} of {rep.get('cells')}", file=sys.stderr)
            shown = progress
            time.sleep(args.interval)
            rep = client.request("GET", path)
    except KeyboardInterrupt:
        with contextlib.suppress(_client.ConnectionError):
            client.request("DELETE", path)
        print(f"dotscience: reproduction {rep['id']} cancelled.", file=sys.stderr)
        return 130
    if args.json:
        emit_json(rep)
    else:
        _print_reproduction(args.id, rep)
    return EXIT_OK if rep.get("verdict") in REPRODUCED else EXIT_ERROR


# -- sweeps (issue 17) ---------------------------------------------------------------------

#: Largest spec file the CLI sends (the server refuses larger ones too)
_MAX_SPEC_BYTES = 256 * 1024


def _sweep_notebook(path: str, root: str | None) -> str:
    """The notebook's path relative to the workspace root: a file that exists here is named
    relative to ``--root`` (default ``DOTSCIENCE_PROJECT_DOT_ROOT``, else the current
    directory); any other path is passed as the server's workspace-relative path."""
    if not path.endswith(".ipynb"):
        raise CliError(f"{path} is not a notebook (.ipynb).")
    if not os.path.isfile(path):
        return path.replace(os.sep, "/")
    base = os.path.realpath(root or os.environ.get("DOTSCIENCE_PROJECT_DOT_ROOT") or ".")
    full = os.path.realpath(path)
    if os.path.commonpath([base, full]) != base:
        raise CliError(f"{path} is not inside the workspace {base}; pass --root.")
    return os.path.relpath(full, base).replace(os.sep, "/")


def _print_sweep(sweep: dict) -> None:
    counts = sweep.get("counts") or {}
    print(f"Sweep {sweep['id']} of {sweep.get('notebook')} ({sweep.get('backend')}): "
          f"{sweep.get('state')}; {counts.get('done', 0)} done, {counts.get('running', 0)} "
          f"running, {counts.get('pruned', 0)} pruned, {counts.get('failed', 0)} failed of "
          f"{(sweep.get('spec') or {}).get('run_cap')} trials.")  # fmt: skip
    if sweep.get("message"):
        print(sweep["message"])
    best = sweep.get("best")
    if best:
        print(f"Best: trial {best['trial']} ({_show_number(best['value'])}), run {best['run_id']}.")
    trials = sweep.get("trials") or []
    if trials:
        names = sorted({k for t in trials for k in (t.get("values") or {})})
        rows = [[("* " if t.get("best") else "") + str(t["number"]), t["state"],
                 *[_show_number((t.get("values") or {}).get(n)) for n in names],
                 _show_number(t.get("objective")), t.get("run_id") or "-",
                 (t.get("error") or "")[:60]] for t in trials]  # fmt: skip
        print()
        print(table(["TRIAL", "STATE", *[n.upper() for n in names], "OBJECTIVE", "RUN", "ERROR"],
                    rows, {"RUN": 36}))  # fmt: skip


def _cmd_sweep(args) -> int:
    """``dotscience sweep NOTEBOOK --spec FILE [--backend local|dask]``: run a parameter
    sweep of a notebook on the server and follow it (Ctrl-C cancels it); ``dotscience sweep
    status ID`` shows one; ``dotscience sweep cancel ID`` stops one. Exit 0 when the sweep
    finished with at least one successful trial (status, cancel: when it exists)."""
    import time

    client = client_for(args, need_token=True, purpose="Sweeping a notebook")
    if args.target in ("status", "cancel") and args.id is not None:
        if args.target == "status":
            sweep = client.request("GET", f"sweeps/{args.id}")
        else:
            sweep = client.request("POST", f"sweeps/{args.id}/cancel")
        emit_json(sweep) if args.json else _print_sweep(sweep)
        return EXIT_OK
    if args.id is not None:
        raise CliError("Give one notebook, or status ID, or cancel ID.")
    if not args.spec:
        raise CliError("--spec FILE is required: the sweep spec (W&B's YAML or JSON format).")
    try:
        if os.path.getsize(args.spec) > _MAX_SPEC_BYTES:
            raise CliError(f"{args.spec} is larger than {_MAX_SPEC_BYTES // 1024} KiB.")
        with open(args.spec, encoding="utf-8") as f:
            spec = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise CliError(f"Cannot read the spec {args.spec}: {getattr(e, 'strerror', e)}.") from None
    body = {"notebook": _sweep_notebook(args.target, args.root), "spec": spec,
            "backend": args.backend}  # fmt: skip
    sweep = client.request("POST", "sweeps", body)
    if args.detach:
        emit_json(sweep) if args.json else print(f"Started sweep {sweep['id']}.")
        return EXIT_OK
    shown = None
    try:
        while sweep.get("state") == "running":
            counts = sweep.get("counts") or {}
            progress = tuple(counts.get(k, 0) for k in ("done", "running", "pruned", "failed"))
            if progress != shown and not args.json:
                print("{} done, {} running, {} pruned, {} failed".format(*progress),
                      file=sys.stderr)  # fmt: skip
            shown = progress
            time.sleep(args.interval)
            sweep = client.request("GET", f"sweeps/{sweep['id']}")
    except KeyboardInterrupt:
        with contextlib.suppress(_client.ConnectionError):
            client.request("POST", f"sweeps/{sweep['id']}/cancel")
        print(f"dotscience: sweep {sweep['id']} cancelled.", file=sys.stderr)
        return 130
    emit_json(sweep) if args.json else _print_sweep(sweep)
    ok = sweep.get("state") == "done" and (sweep.get("counts") or {}).get("done", 0) > 0
    return EXIT_OK if ok else EXIT_ERROR


# -- parser --------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The command line's parser: one sub-command per ``_cmd_*`` function.

    Returns
    -------
    argparse.ArgumentParser
        The parser; each sub-command sets ``func``.
    """
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("connection")
    group.add_argument("--hostname", help="server URL (env DOTSCIENCE_HOSTNAME, login config)")
    group.add_argument("--username", help="API key owner (env DOTSCIENCE_USERNAME)")
    group.add_argument("--apikey", help="API key (env DOTSCIENCE_APIKEY, login config)")
    group.add_argument("--token", help="Jupyter server token (env JUPYTER_TOKEN)")
    group.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
    common.add_argument("--json", action="store_true", help="print JSON instead of a table")

    parser = argparse.ArgumentParser(
        prog="dotscience",
        description="Dotscience from the command line: runs, export, import, sync, API keys, "
        "models.",
        epilog="Exit codes: 0 success, 1 error, 2 usage error.",
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"dotscience {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("login", parents=[common], help="store hostname, username and API key")
    p.set_defaults(func=_cmd_login)

    runs = sub.add_parser("runs", help="list and show runs")
    runs_sub = runs.add_subparsers(dest="runs_command", metavar="ACTION", required=True)
    p = runs_sub.add_parser("list", parents=[common], help="list runs (newest first)")
    p.add_argument("--project")
    p.add_argument("--notebook", help="notebook or script path")
    p.add_argument("--status", choices=["succeeded", "failed"])
    p.add_argument("--author")
    p.add_argument("--search", "-q", help="text search")
    p.add_argument("--label", action="append", metavar="KEY:VALUE")
    p.add_argument("--param", action="append", metavar="KEY<OP>VALUE", help="op: = != < <= > >=")
    p.add_argument("--metric", action="append", metavar="KEY:MIN:MAX")
    p.add_argument("--sort", default="-received", help="e.g. -received, metric:accuracy")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=_cmd_runs_list)
    p = runs_sub.add_parser("show", parents=[common], help="show one run")
    p.add_argument("id")
    p.set_defaults(func=_cmd_runs_show)

    p = sub.add_parser("export", parents=[common], help="export a run (v1, PROV, OpenLineage)")
    p.add_argument("id")
    p.add_argument("--format", choices=["v1", "prov", "openlineage"], default="prov")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("import", parents=[common], help="import v1 blocks from notebooks/logs")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--local", action="store_true", help="only print what was found")
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser("sync", parents=[common], help="send spooled runs and pending outputs")
    p.add_argument("--root", help="workspace root (default: DOTSCIENCE_PROJECT_DOT_ROOT or .)")
    p.set_defaults(func=_cmd_sync)

    keys = sub.add_parser("keys", help="create, list and revoke API keys")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    p = keys_sub.add_parser("create", parents=[common], help="create a key (needs --token)")
    p.add_argument("--name", help="what the key is for")
    p.add_argument("--project", help="limit the key to publishing to this project")
    p.add_argument("--deploy", action="store_true", help="the key may also build and deploy models")
    p.set_defaults(func=_cmd_keys_create)
    p = keys_sub.add_parser("list", parents=[common], help="list your keys")
    p.set_defaults(func=_cmd_keys_list)
    p = keys_sub.add_parser("revoke", parents=[common], help="revoke one of your keys")
    p.add_argument("id", help="key id (12 hex digits) or the key itself")
    p.set_defaults(func=_cmd_keys_revoke)

    projects = sub.add_parser("projects", help="projects and their members (teams)")
    projects_sub = projects.add_subparsers(dest="projects_command", metavar="ACTION", required=True)
    p = projects_sub.add_parser("list", parents=[common], help="the projects you may see")
    p.set_defaults(func=_cmd_projects_list)
    p = projects_sub.add_parser("show", parents=[common], help="a project's members")
    p.add_argument("name")
    p.set_defaults(func=_cmd_projects_show)
    p = projects_sub.add_parser(
        "create", parents=[common], help="create a project you own (needs --token)"
    )
    p.add_argument("name")
    p.set_defaults(func=_cmd_projects_create)
    p = projects_sub.add_parser(
        "add-member", parents=[common], help="add a member, or change their role (owners)"
    )
    p.add_argument("name", help="the project")
    p.add_argument("user", help="the hub user name")
    p.add_argument("--owner", action="store_true", help="make them an owner (default: member)")
    p.set_defaults(func=_cmd_projects_add_member)
    p = projects_sub.add_parser(
        "remove-member", parents=[common], help="remove a member (owners; or yourself)"
    )
    p.add_argument("name", help="the project")
    p.add_argument("user", help="the hub user name")
    p.set_defaults(func=_cmd_projects_remove_member)

    models = sub.add_parser("models", help="the model registry")
    models_sub = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    p = models_sub.add_parser("list", parents=[common], help="list registered models")
    p.set_defaults(func=_cmd_models_list)

    p = sub.add_parser(
        "reproduce",
        parents=[common],
        help="re-execute a run from its record and say whether the result is the same "
        "(needs --token)",
        epilog="Exit codes: 0 identical or within the tolerance, 1 otherwise (differs, failed, "
        "not reproducible, or an error), 2 usage error.",
    )
    p.add_argument("id", metavar="RUN_ID")
    p.add_argument("--tolerance", type=float, default=0.0, metavar="REL",
                   help="largest relative difference of a metric still counted as the same "
                   "(default 0: exact)")  # fmt: skip
    p.add_argument("--keep", action="store_true", help="keep the scratch workspace on the server")
    p.add_argument("--confirm", action="store_true",
                   help="reproduce another user's run (it executes their code)")  # fmt: skip
    p.add_argument("--interval", type=float, default=0.5, help=argparse.SUPPRESS)
    p.set_defaults(func=_cmd_reproduce)

    p = sub.add_parser(
        "sweep",
        parents=[common],
        help="run a notebook over a parameter search on the server (needs --token)",
        usage="dotscience sweep NOTEBOOK --spec FILE [--backend local|dask] [--json]\n"
        "       dotscience sweep status|cancel ID",
        epilog="The spec is W&B's sweep format (method, metric, parameters, run_cap) plus "
        "parallelism. Exit codes: 0 the sweep finished with a successful trial, 1 otherwise, "
        "2 usage error.",
    )
    p.add_argument("target", metavar="NOTEBOOK|status|cancel")
    p.add_argument("id", nargs="?", metavar="ID", help="the sweep (status, cancel)")
    p.add_argument("--spec", metavar="FILE", help="the sweep spec, YAML or JSON")
    p.add_argument("--backend", choices=["local", "dask"], default="local")
    p.add_argument("--root", help="workspace root a local NOTEBOOK is named relative to "
                   "(default: DOTSCIENCE_PROJECT_DOT_ROOT or .)")  # fmt: skip
    p.add_argument("--detach", action="store_true", help="start it and return its id")
    p.add_argument("--interval", type=float, default=1.0, help=argparse.SUPPRESS)
    p.set_defaults(func=_cmd_sweep)

    p = sub.add_parser("deploy", parents=[common], help="deploy a model version")
    p.add_argument("model")
    p.add_argument("--version", type=int, help="default: the latest")
    p.add_argument("--target", choices=["local", "kubernetes"], default="local")
    p.set_defaults(func=_cmd_deploy)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``dotscience`` console script.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 success, 1 error (one sentence on stderr), 2 usage error (from argparse), 130 when
        interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (CliError, _client.ConnectionError) as e:
        print(f"dotscience: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
