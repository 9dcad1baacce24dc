"""Content fingerprints of in-memory training data, and where a DataFrame was read from.

A fingerprint is a SHA-256 over what makes two data sets the same: the kind, shape, dtypes
and column names, then the raw bytes of every column buffer (numeric buffers are hashed as
they lie in memory; object columns through pandas' own per-value hash). It is recorded as a
run input ``{"path": "memory:<role>", "sha256": <fingerprint>, "size": <bytes>}``, so two
runs trained on the same data share one file node in the lineage graph and one row in the
compare view, whether or not the data ever touched a file.

A DataFrame returned by ``pandas.read_*`` from a path is remembered (by object identity, for
as long as it lives) with the fingerprint it had when read; when it reaches ``fit()`` with
that fingerprint unchanged and its file is a declared input of the run, the fit's input is
that file's own entry, which links the run to whatever produced the file.

Nothing here imports numpy or pandas: they are reached through the objects given.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import threading
import weakref

__all__ = ["Fingerprint", "fingerprint", "fingerprint_later", "remember_read", "source_file",
           "watch_pandas"]  # fmt: skip

#: A numeric array of up to this many bytes may be copied at fit time and hashed at publish.
LATER_LIMIT = 1 << 20

#: Readers of pandas whose first argument names the file read.
PANDAS_READERS = ("read_csv", "read_table", "read_parquet", "read_json", "read_excel",
                  "read_feather", "read_orc", "read_pickle", "read_fwf", "read_stata",
                  "read_sas", "read_spss", "read_hdf", "read_xml")  # fmt: skip


class Fingerprint:
    """The content fingerprint of one data set: ``sha256`` (hex), ``size`` and a summary.

    Attributes
    ----------
    sha256 : str
        The fingerprint (64 lowercase hex digits).
    size : int
        Bytes of data hashed.
    summary : str
        Kind and shape, e.g. ``"DataFrame 150x4"``.
    """

    __slots__ = ("sha256", "size", "summary")

    def __init__(self, sha256: str, size: int, summary: str):
        self.sha256 = sha256
        self.size = size
        self.summary = summary

    def __repr__(self) -> str:
        return f"<Fingerprint {self.summary} {self.sha256[:12]}>"


def _module_of(obj) -> str:
    return type(obj).__module__.split(".")[0]


def _hash_numpy(digest, array) -> int:
    """Add one numpy array (header and buffer) to ``digest``; returns bytes hashed."""
    np = sys.modules["numpy"]
    digest.update(f"ndarray|{array.dtype.str}|{array.shape}|".encode())
    if array.dtype.kind == "O" or array.dtype.hasobject:
        pandas = sys.modules.get("pandas")
        if pandas is not None:
            hashed = pandas.util.hash_array(array.ravel(order="C"))
            digest.update(memoryview(hashed).cast("B"))
            return hashed.nbytes
        text = "\x1f".join(map(repr, array.ravel(order="C").tolist())).encode()
        digest.update(text)
        return len(text)
    contiguous = np.ascontiguousarray(array)
    digest.update(memoryview(contiguous.reshape(-1).view(np.uint8)))
    return contiguous.nbytes


def _hash_frame(digest, frame) -> int:
    """Add a DataFrame (columns, dtypes, index and every column's values)."""
    size = 0
    columns = [str(c) for c in frame.columns]
    dtypes = [str(t) for t in frame.dtypes]
    digest.update(f"DataFrame|{frame.shape}|{columns!r}|{dtypes!r}|".encode())
    size += _hash_index(digest, frame.index)
    for i in range(frame.shape[1]):
        size += _hash_series_values(digest, frame.iloc[:, i])
    return size


def _hash_index(digest, index) -> int:
    pandas = sys.modules["pandas"]
    if isinstance(index, pandas.RangeIndex):
        digest.update(f"range|{index.start}|{index.stop}|{index.step}|".encode())
        return 0
    return _hash_numpy(digest, index.to_numpy())


def _hash_series_values(digest, series) -> int:
    values = series.to_numpy()
    if values.dtype.kind in "biufcmM":
        return _hash_numpy(digest, values)
    pandas = sys.modules["pandas"]
    hashed = pandas.util.hash_pandas_object(series, index=False).to_numpy()
    digest.update(memoryview(hashed).cast("B"))
    return hashed.nbytes


def fingerprint(data) -> Fingerprint | None:
    """The content fingerprint of ``data``, or None for a kind it does not know.

    Parameters
    ----------
    data : numpy.ndarray, pandas.DataFrame, pandas.Series, scipy.sparse matrix, torch.Tensor,
        or list/tuple of numbers
        The data passed to ``fit()``.

    Returns
    -------
    Fingerprint or None
        None for None, for unknown kinds, and when hashing fails.
    """
    if data is None:
        return None
    try:
        return _fingerprint(data)
    except Exception:
        return None


def _fingerprint(data) -> Fingerprint | None:
    digest = hashlib.sha256()
    top = _module_of(data)
    name = type(data).__name__
    if top == "pandas" and hasattr(data, "columns") and hasattr(data, "iloc"):
        size = _hash_frame(digest, data)
        summary = f"DataFrame {data.shape[0]}x{data.shape[1]}"
    elif top == "pandas" and hasattr(data, "to_numpy") and hasattr(data, "dtype"):
        digest.update(f"Series|{data.name!s}|{data.dtype}|".encode())
        size = _hash_index(digest, data.index) + _hash_series_values(digest, data)
        summary = f"Series {data.shape[0]}"
    elif top == "numpy" and hasattr(data, "dtype") and hasattr(data, "shape"):
        size = _hash_numpy(digest, data)
        summary = f"ndarray {'x'.join(map(str, data.shape))} {data.dtype}"
    elif top == "scipy" and hasattr(data, "tocsr"):
        csr = data.tocsr()
        digest.update(f"csr|{csr.shape}|".encode())
        size = sum(_hash_numpy(digest, a) for a in (csr.data, csr.indices, csr.indptr))
        summary = f"sparse {csr.shape[0]}x{csr.shape[1]}"
    elif top == "torch" and hasattr(data, "detach"):
        array = data.detach().cpu().numpy()
        size = _hash_numpy(digest, array)
        summary = f"Tensor {'x'.join(map(str, array.shape))} {array.dtype}"
    elif isinstance(data, list | tuple) and "numpy" in sys.modules:
        array = sys.modules["numpy"].asarray(data)
        if array.dtype.hasobject:
            return None
        size = _hash_numpy(digest, array)
        summary = f"{name} {'x'.join(map(str, array.shape))}"
    else:
        return None
    return Fingerprint(digest.hexdigest(), size, summary)


def fingerprint_later(data, limit: int = LATER_LIMIT):
    """A copy of a numeric ndarray's content now, to fingerprint later; None for other data.

    Parameters
    ----------
    data : object
        The data passed to ``fit()``.
    limit : int
        The largest array (in bytes) copied; a larger one is None (fingerprint it now).

    Returns
    -------
    tuple of (int, callable) or None
        The bytes that will be hashed, and a function returning the :class:`Fingerprint`
        that :func:`fingerprint` gives for ``data`` as it is now (the array may change
        later: its copy is hashed).
    """
    np = sys.modules.get("numpy")
    if np is None or type(data) is not np.ndarray or id(data) in _reads:
        return None
    dtype = data.dtype
    if dtype.kind not in "biufcmM" or dtype.hasobject or data.nbytes > limit:
        return None
    copy = data.copy()  # C order
    return copy.nbytes, functools.partial(fingerprint, copy)


# -- DataFrames read from files ------------------------------------------------------------

_reads: dict[int, tuple] = {}  # id(frame) -> (weakref, abspath, fingerprint at read)
_reads_lock = threading.Lock()


def _forget(key: int) -> None:
    with _reads_lock:
        _reads.pop(key, None)


def remember_read(frame, path) -> None:
    """Remember that ``frame`` was read from ``path`` (with its content as it is now)."""
    try:
        abspath = os.path.abspath(os.fspath(path))
    except TypeError:
        return
    fp = fingerprint(frame)
    if fp is None:
        return
    key = id(frame)
    try:
        ref = weakref.ref(frame, lambda _r, key=key: _forget(key))
    except TypeError:
        return
    with _reads_lock:
        _reads[key] = (ref, abspath, fp.sha256)


def source_file(data, fp: Fingerprint | None) -> str | None:
    """The absolute path ``data`` was read from when its content is unchanged, else None."""
    if fp is None:
        return None
    with _reads_lock:
        found = _reads.get(id(data))
    if found is None:
        return None
    ref, abspath, sha = found
    if ref() is not data or sha != fp.sha256:
        return None
    return abspath


def watch_pandas(pandas) -> None:
    """Wrap pandas' ``read_*`` functions so the frames they return remember their file."""
    for name in PANDAS_READERS:
        reader = getattr(pandas, name, None)
        if reader is None or getattr(reader, "__dotscience_wrapped__", None) is not None:
            continue
        setattr(pandas, name, _wrap_reader(reader))


def unwatch_pandas(pandas) -> None:
    """Undo :func:`watch_pandas`."""
    for name in PANDAS_READERS:
        reader = getattr(pandas, name, None)
        original = getattr(reader, "__dotscience_wrapped__", None)
        if original is not None:
            setattr(pandas, name, original)


def _wrap_reader(reader):
    import functools

    @functools.wraps(reader)
    def read(*args, **kwargs):
        frame = reader(*args, **kwargs)
        source = (
            args[0]
            if args
            else next(
                (
                    kwargs[k]
                    for k in ("filepath_or_buffer", "path", "path_or_buf", "io")
                    if k in kwargs
                ),
                None,
            )
        )
        if isinstance(source, str | os.PathLike) and hasattr(frame, "columns"):
            try:
                if os.path.isfile(source):
                    remember_read(frame, source)
            except Exception:
                pass  # remembering is a convenience; the read itself succeeded
        return frame

    read.__dotscience_wrapped__ = reader
    return read
