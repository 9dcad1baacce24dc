"""Verify a bundle's model files against its manifest, then load them with their framework.

Loading a pickle runs whatever code its author put in it, so a pickle is loaded only when the
manifest says ``"allow_pickle": true``. The server that builds the bundle sets it for
scikit-learn models published with the deploy privilege (the Jupyter user, its kernels, or an
API key with the ``deploy`` scope) and for PyTorch models the Jupyter user opted in for
(``ds.model(torch, ..., trusted_pickle=True)``); PyTorch files are otherwise read as
TorchScript or with ``torch.load(weights_only=True)``. TensorFlow models (SavedModel graphs
can read and write files; Keras Lambda layers in ``.h5`` are marshalled code) need the same
``allow_pickle`` as scikit-learn. ONNX files are not pickles.
"""

from __future__ import annotations

import hashlib
import json
import os

#: File name endings tried, in order, when a model path is a directory.
SUFFIXES = {
    "sklearn": (".joblib", ".pkl", ".pickle"),
    "torch": (".pt", ".pth", ".torchscript"),
    "onnx": (".onnx",),
    "tensorflow": (".keras", ".h5"),
}

#: The pip distribution of each framework (what must be installed to load the model).
PACKAGES = {"sklearn": "scikit-learn", "torch": "torch", "onnx": "onnxruntime",
            "tensorflow": "tensorflow"}  # fmt: skip


class LoadError(Exception):
    """The model cannot be served; the message says why in one sentence."""


def _need(module: str, framework: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise LoadError(
            f"cannot load a {framework} model: the package {PACKAGES.get(framework, module)!r} "
            f"is not installed in {os.sys.executable} ({e})"
        ) from None


def sha256_file(path: str) -> str:
    """The SHA-256 of a file's content, read in 1 MiB chunks.

    Parameters
    ----------
    path : str
        The file.

    Returns
    -------
    str
        64 lowercase hex digits.
    """
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def inside(base: str, rel: str) -> str:
    """``base/rel`` refusing anything that leaves ``base``.

    Parameters
    ----------
    base : str
        The directory the path must stay in.
    rel : str
        A relative path with ``/`` separators, from the manifest.

    Returns
    -------
    str
        The real path of the file.

    Raises
    ------
    LoadError
        An absolute path, ``..``, a backslash, or a symbolic link leading out of ``base``.
    """
    if not isinstance(rel, str) or rel.startswith("/") or ".." in rel.split("/") or "\\" in rel:
        raise LoadError(f"unsafe path in the manifest: {rel!r}")
    full = os.path.realpath(os.path.join(base, rel))
    root = os.path.realpath(base)
    if full != root and not full.startswith(root + os.sep):
        raise LoadError(f"path leads outside the bundle: {rel!r}")
    return full


def verify(bundle: str, manifest: dict) -> str:
    """Check every model file against the registry's hash; return the model's full path.

    Refuses a file whose content differs, a missing file, and any file under the model
    directory that the registry does not list (nothing unverified is ever loaded).

    Parameters
    ----------
    bundle : str
        The bundle directory.
    manifest : dict
        Its ``model.json``.

    Returns
    -------
    str
        The path of the model file or directory.

    Raises
    ------
    LoadError
        Saying which file is missing, changed or not listed.
    """
    files_dir = os.path.join(bundle, "files")
    listed = {}
    for f in manifest.get("files") or []:
        path = inside(files_dir, f["path"])
        if not os.path.isfile(path):
            raise LoadError(f"model file {f['path']} is missing from the bundle")
        actual = sha256_file(path)
        if actual != f["sha256"]:
            raise LoadError(
                f"hash mismatch: {f['path']} has sha256 {actual}, the registry says "
                f"{f['sha256']}; refusing to load it"
            )
        listed[path] = f
    model_path = inside(files_dir, manifest["path"])
    if os.path.isdir(model_path):
        for dirpath, _dirs, names in os.walk(model_path):
            for n in names:
                p = os.path.realpath(os.path.join(dirpath, n))
                if p not in listed:
                    rel = os.path.relpath(p, files_dir)
                    raise LoadError(f"{rel} is not in the registry; refusing to load the model")
    elif model_path not in listed:
        raise LoadError(f"model file {manifest['path']} is not in the registry")
    return model_path


def read_classes(bundle: str, manifest: dict) -> list[str] | None:
    """Class names from the classes JSON file: a list, or ``{"0": "name", ...}``.

    Parameters
    ----------
    bundle : str
        The bundle directory.
    manifest : dict
        Its ``model.json`` (``classes``: the file, or None).

    Returns
    -------
    list of str or None
        The names in class-index order; None without a classes file.

    Raises
    ------
    LoadError
        When the file cannot be read or holds something else.
    """
    rel = manifest.get("classes")
    if not rel:
        return None
    path = inside(os.path.join(bundle, "files"), rel)
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise LoadError(f"classes file {rel}: not readable JSON ({e})") from None
    if isinstance(data, dict):
        try:
            items = sorted(((int(k), str(v)) for k, v in data.items()))
        except ValueError:
            raise LoadError(f"classes file {rel}: keys must be class indices") from None
        return [v for _, v in items]
    if isinstance(data, list):
        return [str(v) for v in data]
    raise LoadError(f"classes file {rel}: expected a JSON list or object")


def _pick(model_path: str, framework: str) -> str:
    if not os.path.isdir(model_path):
        return model_path
    names = sorted(
        os.path.relpath(os.path.join(d, n), model_path)
        for d, _s, ns in os.walk(model_path)
        for n in ns
    )
    for suffix in SUFFIXES.get(framework, ()):
        for n in names:
            if n.endswith(suffix):
                return os.path.join(model_path, n)
    raise LoadError(
        f"no {framework} model file ({', '.join(SUFFIXES.get(framework, ()))}) in the model "
        "directory"
    )


class Model:
    """A loaded model: ``predict(batch) -> [(output_name, array), ...]`` (rows first)."""

    framework = "unknown"
    inputs: list[dict] = []
    outputs: list[str] = []

    def predict(self, x):  # pragma: no cover - interface
        """Predict a batch of rows.

        Parameters
        ----------
        x : numpy.ndarray
            Rows first, already converted by :meth:`prepare`.

        Returns
        -------
        list of (str, numpy.ndarray)
            Each output's name and values, rows first.
        """
        raise NotImplementedError

    def prepare(self, x):
        """Convert a request's array to what the model expects (dtype).

        Parameters
        ----------
        x : numpy.ndarray
            The request's rows.

        Returns
        -------
        numpy.ndarray
            ``x``, or a converted copy.
        """
        return x


def _refuse_code(allow_pickle: bool, path: str, what: str) -> None:
    """Raise :class:`LoadError` unless the bundle allows loading files that carry code."""
    if not allow_pickle:
        raise LoadError(
            f"{os.path.basename(path)} is {what}: it is served only from runs published with "
            "the deploy privilege (JupyterLab, its kernels, or an API key with the 'deploy' "
            "scope)"
        )


class SklearnModel(Model):
    framework = "sklearn"

    def __init__(self, path: str, allow_pickle: bool = False):
        _refuse_code(allow_pickle, path, "a pickle, and loading it would run its code")
        _need("sklearn", "sklearn")
        try:
            import joblib

            self.model = joblib.load(path)
        except ImportError:
            import pickle

            with open(path, "rb") as f:
                self.model = pickle.load(f)  # noqa: S301 - verified against the registry
        if not hasattr(self.model, "predict"):
            raise LoadError(f"the object in {os.path.basename(path)} has no predict() method")
        n = getattr(self.model, "n_features_in_", None)
        self.inputs = [{"name": "input-0", "datatype": "FP64", "shape": [-1, n or -1]}]
        self.outputs = ["predict"]

    def predict(self, x):
        """Predict rows ``x`` (see :meth:`Model.predict`)."""
        return [("predict", self.model.predict(x))]


class TorchModel(Model):
    framework = "torch"

    def __init__(self, path: str, allow_pickle: bool = False):
        torch = _need("torch", "torch")
        self.torch = torch
        name = os.path.basename(path)
        try:
            self.model = torch.jit.load(path, map_location="cpu")
        except Exception:
            self.model = self._load_pickle(path, name, allow_pickle)
        if isinstance(self.model, dict):
            raise LoadError(
                "the file holds a state_dict, not a model: save it with torch.jit.save(torch.jit."
                "script(model), path) or torch.save(model, path)"
            )
        self.model.eval()
        self.inputs = [{"name": "input-0", "datatype": "FP32", "shape": [-1, -1]}]
        self.outputs = ["output-0"]

    def _load_pickle(self, path: str, name: str, allow_pickle: bool):
        """``torch.load``: tensors only (``weights_only=True``) unless the model opted in."""
        torch = self.torch
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:
            refused = e
        if not allow_pickle:
            first = str(refused).strip().splitlines()[0] if str(refused).strip() else ""
            raise LoadError(
                f"torch could not load {name} with weights_only=True, the only way this server "
                "loads a PyTorch pickle (it may hold Python objects whose loading runs code): "
                "save the model with torch.jit.save(torch.jit.script(model), path) or export "
                "it to ONNX; only the Jupyter user may opt in with ds.model(torch, name, path, "
                f"trusted_pickle=True) ({type(refused).__name__}: {first[:200]})"
            ) from None
        try:
            return torch.load(path, map_location="cpu", weights_only=False)
        except Exception as e:
            raise LoadError(f"torch could not load {name}: {e}") from None

    def prepare(self, x):
        """Convert a request's array to the dtype this model expects (see :meth:`Model.prepare`)."""
        import numpy as np

        return x if x.dtype == np.float32 else x.astype(np.float32)

    def predict(self, x):
        """Predict rows ``x`` (see :meth:`Model.predict`)."""
        with self.torch.inference_mode():
            out = self.model(self.torch.from_numpy(x))
        if isinstance(out, (tuple, list)):
            return [(f"output-{i}", o.detach().numpy()) for i, o in enumerate(out)]
        return [("output-0", out.detach().numpy())]


_ONNX_TYPES = {"tensor(float)": "float32", "tensor(double)": "float64",
               "tensor(int64)": "int64", "tensor(int32)": "int32"}  # fmt: skip
_ONNX_V2 = {"float32": "FP32", "float64": "FP64", "int64": "INT64", "int32": "INT32"}


class OnnxModel(Model):
    framework = "onnx"

    def __init__(self, path: str, allow_pickle: bool = False):
        ort = _need("onnxruntime", "onnx")
        try:
            self.session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        except Exception as e:
            raise LoadError(f"onnxruntime could not load {os.path.basename(path)}: {e}") from None
        first = self.session.get_inputs()[0]
        self.input_name = first.name
        self.dtype = _ONNX_TYPES.get(first.type, "float32")
        self.inputs = [
            {"name": i.name, "datatype": _ONNX_V2.get(_ONNX_TYPES.get(i.type, ""), "FP32"),
             "shape": [d if isinstance(d, int) else -1 for d in i.shape]}
            for i in self.session.get_inputs()
        ]  # fmt: skip
        self.outputs = [o.name for o in self.session.get_outputs()]

    def prepare(self, x):
        """Convert a request's array to the dtype this model expects (see :meth:`Model.prepare`)."""
        return x if x.dtype == self.dtype else x.astype(self.dtype)

    def predict(self, x):
        """Predict rows ``x`` (see :meth:`Model.predict`)."""
        import numpy as np

        results = self.session.run(None, {self.input_name: x})
        out = []
        for name, value in zip(self.outputs, results, strict=False):
            if isinstance(value, list):  # ZipMap: a list of {label: probability}
                value = np.array([[row[k] for k in sorted(row)] for row in value])
            out.append((name, np.asarray(value)))
        return out


class TensorflowModel(Model):
    framework = "tensorflow"

    def __init__(self, path: str, allow_pickle: bool = False):
        _refuse_code(allow_pickle, path, "a TensorFlow model, which can carry code "
                     "(SavedModel graphs, Lambda layers)")  # fmt: skip
        tf = _need("tensorflow", "tensorflow")
        try:
            self.model = tf.keras.models.load_model(path)
        except Exception as e:
            raise LoadError(f"tf.keras could not load {os.path.basename(path)}: {e}") from None
        self.inputs = [{"name": "input-0", "datatype": "FP32", "shape": [-1, -1]}]
        self.outputs = ["output-0"]

    def prepare(self, x):
        """Convert a request's array to the dtype this model expects (see :meth:`Model.prepare`)."""
        import numpy as np

        return x if x.dtype == np.float32 else x.astype(np.float32)

    def predict(self, x):
        """Predict rows ``x`` (see :meth:`Model.predict`)."""
        import numpy as np

        return [("output-0", np.asarray(self.model(x, training=False)))]


LOADERS = {"sklearn": SklearnModel, "torch": TorchModel, "onnx": OnnxModel,
           "tensorflow": TensorflowModel}  # fmt: skip


def load(bundle: str, manifest: dict) -> Model:
    """Verify, then load the bundle's model with its framework.

    Parameters
    ----------
    bundle : str
        The bundle directory.
    manifest : dict
        Its ``model.json``; ``allow_pickle`` (the Jupyter server's decision) says whether files
        that carry code may be loaded.

    Returns
    -------
    Model
        The loaded model.

    Raises
    ------
    LoadError
        Unsupported framework, missing package, a file that fails verification, or a format
        that may not be loaded.
    """
    framework = manifest.get("framework")
    if framework not in LOADERS:
        raise LoadError(
            f"unsupported framework {framework!r}; supported: {', '.join(sorted(LOADERS))}"
        )
    _need("numpy", framework)
    model_path = verify(bundle, manifest)
    if (
        framework == "tensorflow"
        and os.path.isdir(model_path)
        and not any(n.endswith(SUFFIXES["tensorflow"]) for n in os.listdir(model_path))
    ):
        target = model_path  # a SavedModel directory
    else:
        target = _pick(model_path, framework)
    try:
        return LOADERS[framework](target, allow_pickle=manifest.get("allow_pickle") is True)
    except LoadError:
        raise
    except Exception as e:
        raise LoadError(f"{framework} could not load {os.path.basename(target)}: {e}") from None
