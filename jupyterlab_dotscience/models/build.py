"""Build bundles: model files (verified), the model server, pinned requirements, Dockerfile.

Plain Python: nothing here loads a model; files are copied and hashed only.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import re
import shutil
import subprocess

from ..artifacts import ArtifactHashMismatch, safe_join

SERVER_SOURCE = pathlib.Path(__file__).resolve().parent / "server"
#: Fixed modification time of every bundle file (1980-01-01), so bundles are byte-identical.
EPOCH = 315532800

#: pip distributions the model server needs per framework (numpy always).
FRAMEWORK_PACKAGES = {
    "sklearn": ["scikit-learn", "scipy", "joblib", "threadpoolctl"],
    "torch": ["torch"],
    "onnx": ["onnxruntime"],
    "tensorflow": ["tensorflow"],
}
SUPPORTED = tuple(sorted(FRAMEWORK_PACKAGES))
#: pip distributions of the model server itself (HTTP, metrics), pinned to the versions here.
SERVER_PACKAGES = ("tornado", "prometheus-client")


class BuildError(Exception):
    """The bundle cannot be built; the message says why."""


def slug(name: str) -> str:
    """A file-system and image-name safe form of a model name (unique per name).

    Parameters
    ----------
    name : str
        The model name (from a run record: any text).

    Returns
    -------
    str
        At most 60 characters of ``[a-z0-9._-]``; a name that had to change gets 8 hex digits of
        its SHA-1 appended, so two names never share a slug.
    """
    clean = re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-._")[:60] or "model"
    if clean != name:
        clean += "-" + hashlib.sha1(name.encode()).hexdigest()[:8]
    return clean


def _norm(dist: str) -> str:
    return re.sub(r"[-_.]+", "-", dist).lower()


def pinned(name, version) -> tuple[str | None, str]:
    """``(line, "")`` for a safe ``name==version`` requirement, else ``(None, reason)``.

    ``name`` and ``version`` come from a run record (the environment captured at publish), so
    both are hostile: the line must parse as exactly one PEP 508 requirement naming ``name``
    with a ``==`` pin and nothing else (no newline, no pip option such as ``--index-url`` or
    ``-e``, no URL or ``@ file:`` direct reference, no environment marker or extras).

    Parameters
    ----------
    name, version
        The package and its version as the record lists them (any JSON value).

    Returns
    -------
    (str or None, str)
        The requirement line and ``""``, or None and one sentence saying why it was refused.
    """
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.specifiers import SpecifierSet

    if not isinstance(name, str) or not isinstance(version, str):
        return None, "the name and version must be strings"
    line = f"{name}=={version}"
    if any(c in line for c in "\r\n\\#;@") or line != line.strip() or " " in line:
        return None, f"{_quote(line)} is not a plain name==version pin"
    try:
        req = Requirement(line)
    except InvalidRequirement as e:
        return None, f"{_quote(line)} is not a valid requirement ({str(e).splitlines()[0]})"
    if req.url or req.marker or req.extras or _norm(req.name) != _norm(name):
        return None, f"{_quote(line)} is not a plain name==version pin"
    if req.specifier != SpecifierSet(f"=={version}") or len(req.specifier) != 1:
        return None, f"{_quote(line)} is not a plain name==version pin"
    return str(req), ""


def _quote(text: str, limit: int = 80) -> str:
    shown = text if len(text) <= limit else text[:limit] + "…"
    return json.dumps(shown)


def requirements(framework: str, packages: dict | None, log=None) -> str:
    """Pinned requirements from the environment captured at publish.

    A version that is not a valid PEP 508 pin (see :func:`pinned`) is left out, unpinned,
    and ``log`` (when given) is told which and why.

    Parameters
    ----------
    framework : str
        One of :data:`SUPPORTED`; decides which packages the model server needs.
    packages : dict or None
        ``{name: version}`` from the run's environment.
    log : callable, optional
        Told one line per package left unpinned.

    Returns
    -------
    str
        The text of ``requirements.txt``.

    Raises
    ------
    BuildError
        For a framework that is not supported.
    """
    if framework not in FRAMEWORK_PACKAGES:
        raise BuildError(f"unsupported framework {framework!r}; supported: {', '.join(SUPPORTED)}")
    found = {}
    if isinstance(packages, dict):
        found = {_norm(k): (k, v) for k, v in packages.items() if isinstance(k, str)}
    wanted = ["numpy", *FRAMEWORK_PACKAGES[framework]]
    if framework == "tensorflow" and "tensorflow-cpu" in found and "tensorflow" not in found:
        wanted[wanted.index("tensorflow")] = "tensorflow-cpu"
    lines = [
        "# Pinned from the environment captured when the run was published.",
    ]
    for dist in wanted:
        line, reason = None, ""
        if _norm(dist) in found:
            name, version = found[_norm(dist)]
            line, reason = pinned(name, version)
            if line is None and log is not None:
                log(f"left out {dist}'s pin from the run's environment: {reason}")
        if line is not None:
            lines.append(line)
        elif reason:
            lines.append(f"{dist}  # the run's version was not a valid pin: unpinned")
        else:
            lines.append(f"{dist}  # not in the run's environment: unpinned")
    lines.extend(_server_requirement(dist) for dist in SERVER_PACKAGES)
    return "\n".join(lines) + "\n"


def _server_requirement(dist: str) -> str:
    """The model server's own dependency, pinned to the version installed here."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{dist}=={version(dist)}  # the model server's own"
    except PackageNotFoundError:
        return f"{dist}  # the model server's own: unpinned"


def dockerfile(python: str | None) -> str:
    """A Dockerfile serving the bundle on port 8080 as an unprivileged user.

    Parameters
    ----------
    python : str or None
        The Python version the run used (``3.11.7``); its minor version picks the base image
        (default 3.11).

    Returns
    -------
    str
        The Dockerfile's text.
    """
    m = re.match(r"(\d+)\.(\d+)", python or "")
    tag = f"{m.group(1)}.{m.group(2)}" if m else "3.11"
    return (
        f"FROM python:{tag}-slim\n"
        "WORKDIR /srv\n"
        "COPY requirements.txt .\n"
        "RUN pip install --no-cache-dir -r requirements.txt\n"
        "COPY model.json .\n"
        "COPY files/ files/\n"
        "COPY model_server/ model_server/\n"
        "ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1\n"
        "USER 65534\n"
        "EXPOSE 8080\n"
        'CMD ["python", "-m", "model_server", "--bundle", "/srv", "--host", "0.0.0.0", '
        '"--port", "8080"]\n'
    )


def manifest_for(version: dict) -> dict:
    """What the model server needs to know, taken from the registry.

    ``allow_pickle`` is true only when the server decided that this version's files may be
    unpickled (see ``ModelService.allow_pickle``); a record cannot set it.

    Parameters
    ----------
    version : dict
        The registry's model version, with the server's ``allow_pickle`` decision.

    Returns
    -------
    dict
        The content of the bundle's ``model.json``.
    """
    return {
        "allow_pickle": version.get("allow_pickle") is True,
        "name": version["name"],
        "version": version["version"],
        "run_id": version.get("run_id"),
        "framework": version.get("framework"),
        "framework_version": version.get("framework_version"),
        "path": version.get("path"),
        "classes": version.get("classes"),
        "files": [
            {"path": f["path"], "sha256": f["sha256"], "size": f.get("size")}
            for f in sorted(version.get("files") or [], key=lambda f: f["path"])
        ],
    }


def _copy_verified(src, dest: pathlib.Path, sha256: str) -> None:
    digest = hashlib.sha256()
    tmp = dest.with_name(dest.name + ".part")
    with open(src, "rb") as fin, open(tmp, "wb") as fout:
        while chunk := fin.read(1024 * 1024):
            digest.update(chunk)
            fout.write(chunk)
    if digest.hexdigest() != sha256:
        tmp.unlink()
        raise BuildError(
            f"hash mismatch: the stored copy of {dest.name} has sha256 {digest.hexdigest()}, "
            f"the registry says {sha256}; refusing to build"
        )
    os.replace(tmp, dest)


def tree_digest(root: pathlib.Path) -> str:
    """sha256 over every file's relative path and content: equal bundles, equal digests.

    Parameters
    ----------
    root : pathlib.Path
        The bundle directory.

    Returns
    -------
    str
        64 hex digits.
    """
    outer = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        h = hashlib.sha256(path.read_bytes()).hexdigest()
        outer.update(f"{rel}\0{h}\n".encode())
    return outer.hexdigest()


def write_bundle(version: dict, run: dict | None, artifacts, dest, log=print) -> dict:
    """Write the bundle for one model version into ``dest`` (replaced if it exists).

    Parameters
    ----------
    version : dict
        The registry's model version (with ``allow_pickle``).
    run : dict or None
        Its stored run (for the environment's package versions), if known.
    artifacts : BaseArtifactStore
        Where the model files are copied from (through a local copy), each verified
        against its hash.
    dest : str or pathlib.Path
        The bundle directory to write.
    log : callable
        Told one line per step.

    Returns
    -------
    dict
        ``{"bundle": path, "digest": sha256, "files": n}``.

    Raises
    ------
    BuildError
        Unsupported framework, no files, or a file missing from the artifact store.
    """
    manifest = manifest_for(version)
    if manifest["framework"] not in FRAMEWORK_PACKAGES:
        raise BuildError(
            f"unsupported framework {manifest['framework']!r}; supported: {', '.join(SUPPORTED)}"
        )
    if not manifest["files"]:
        raise BuildError("the model version lists no files (was the model file missing?)")
    dest = pathlib.Path(dest)
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "files").mkdir(parents=True)
    for f in manifest["files"]:
        if not f.get("sha256"):
            raise BuildError(f"{f['path']}: no hash in the registry (missing when published)")
        target = safe_join(tmp / "files", f["path"])
        target.parent.mkdir(parents=True, exist_ok=True)
        try:  # a verified local copy (from S3: fetched into this server's cache)
            src = artifacts.local_path(f["sha256"])
        except FileNotFoundError:
            raise BuildError(
                f"{f['path']} is not in the artifact store (it was not captured at publish: "
                "changed, outside the workspace or too large)"
            ) from None
        except ArtifactHashMismatch as e:  # changed or damaged in the artifact store
            raise BuildError(f"hash mismatch in {f['path']}: {e}; refusing to build") from None
        except (ValueError, OSError) as e:  # bad hash, store unavailable
            raise BuildError(f"{f['path']}: {e}") from None
        _copy_verified(src, target, f["sha256"])
        log(f"copied {f['path']} ({f.get('size') or 0:,} bytes, sha256 {f['sha256'][:12]}… ok)")
    env = (run or {}).get("environment") or {}
    (tmp / "model.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    reqs = requirements(manifest["framework"], env.get("packages"), log)
    (tmp / "requirements.txt").write_text(reqs)
    log("requirements.txt:\n  " + "\n  ".join(reqs.strip().splitlines()[1:]))
    (tmp / "Dockerfile").write_text(dockerfile(env.get("python")))
    (tmp / ".dockerignore").write_text("**/__pycache__\n")
    server = tmp / "model_server"
    server.mkdir()
    for src in sorted(SERVER_SOURCE.glob("*.py")):
        shutil.copyfile(src, server / src.name)
    for path in [tmp, *tmp.rglob("*")]:
        os.utime(path, (EPOCH, EPOCH), follow_symlinks=False)
    digest = tree_digest(tmp)
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)
    log(f"bundle written: {dest} (digest {digest[:16]}…)")
    return {"bundle": str(dest), "digest": digest, "files": len(manifest["files"])}


def container_builder(prefer: str = "") -> tuple[str, list[str]] | None:
    """``(name, argv prefix)`` of a usable image builder, or None.

    docker counts only with a reachable daemon; podman and buildah need none.

    Parameters
    ----------
    prefer : str
        Only try this builder (``docker``, ``podman`` or ``buildah``); empty: the first usable.

    Returns
    -------
    (str, list of str) or None
        The builder's name and the command that builds an image (tag and directory follow).
    """
    order = [prefer] if prefer else ["docker", "podman", "buildah"]
    for name in order:
        exe = shutil.which(name)
        if not exe:
            continue
        if name == "docker":
            try:
                ok = subprocess.run([exe, "info"], capture_output=True, timeout=10).returncode == 0
            except (OSError, subprocess.TimeoutExpired):
                ok = False
            if not ok:
                continue
            return name, [exe, "build", "-t"]
        if name == "podman":
            return name, [exe, "build", "-t"]
        if name == "buildah":
            return name, [exe, "bud", "-t"]
    return None


def build_image(bundle, tag: str, builder: tuple[str, list[str]], log=print) -> None:
    """Build the image, streaming the builder's output to ``log``.

    Parameters
    ----------
    bundle : str or pathlib.Path
        The bundle directory (with its Dockerfile).
    tag : str
        The image tag.
    builder : (str, list of str)
        What :func:`container_builder` found.
    log : callable
        Told each line of the builder's output.

    Raises
    ------
    BuildError
        When the builder exits with an error.
    """
    argv = [*builder[1], tag, str(bundle)]
    log("$ " + " ".join(argv))
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        log(line.rstrip("\n"))
    if proc.wait() != 0:
        raise BuildError(f"{builder[0]} build failed with exit code {proc.returncode}")
