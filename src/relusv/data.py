"""Datasets: a registry, verified downloads, raw parsers and seeded, normalised splits.

Three steps, each a plain function so that a workflow rule can call exactly one of them:

1. :func:`fetch` puts a dataset's raw files into a cache directory (``resources/raw/<name>/``),
   downloading them with ``keras.utils.get_file`` from the canonical origin (or from a mirror,
   or copying a local file, as the config key ``data.sources.<name>`` says) and checking every
   file against its sha256. Files already in the cache directory (e.g. copied there by hand on an
   offline cluster) are checked and used without any network access.
2. :func:`load_raw` parses the raw files into numpy arrays in the layout of ``keras.datasets``.
3. :func:`prepare` flattens, normalises and splits them; :func:`save_prepared` writes the result
   as one ``.npz`` and :func:`load_prepared` reads and checks it.

Datasets (:data:`DATASETS`):

========================  ==========  =========  ========  ===================================
name                      input       classes    test set  raw files
========================  ==========  =========  ========  ===================================
``mnist``                 28 x 28     10         canonical ``mnist.npz``
``fashion_mnist``         28 x 28     10         canonical four IDX ``.gz`` files
``cifar10``               32x32x3     10         canonical ``cifar-10-python.tar.gz``
``boston_housing``        13          2          carved    ``boston_housing.npz``
``digits``                64          10         carved    none (ships with scikit-learn)
``breast_cancer``         30          2          carved    none (ships with scikit-learn)
``wine``                  13          3          carved    none (ships with scikit-learn)
``iris``                  4           3          carved    none (ships with scikit-learn)
========================  ==========  =========  ========  ===================================

Origins and sha256 hashes are those of keras' own dataset modules (keras 3.15). Keras gives no
hash for the Fashion-MNIST files; ours are the sha256 sums Zalando publishes for the same four
files (keras' copies have the same names and byte sizes).

Design choices (documented once here):

- Datasets without a canonical test split (Boston housing and the scikit-learn ones) are returned
  by :func:`load_raw` whole, as "train", with an empty test set; :func:`prepare` carves the test
  set (``test_fraction`` of all samples) and then the validation set (``validation_fraction`` of
  what is left) from one seeded permutation. For the others the canonical test set is kept and
  the validation set is ``validation_fraction`` of the canonical training set.
- Boston housing becomes binary: label 1 iff the price is strictly above the median price of the
  training split (the median is recorded in the metadata).
- Images are scaled to [0, 1] by /255 and flattened in keras' channels-last order; tabular inputs
  are standardised with the mean and standard deviation of the training split (a constant feature
  is divided by 1). Inputs are float32 of shape (N, d), labels int64 in 0..C-1.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import json
import math
import os
import pickle
import re
import secrets
import shutil
import socket
import ssl
import struct
import tarfile
import tempfile
import urllib.error
import urllib.parse
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np

from relusv._validation import check_choice, check_nonnegative_int, check_positive_int

__all__ = [
    "DATASETS",
    "PREPARED_KEYS",
    "ChecksumError",
    "DatasetInfo",
    "DatasetUnavailableError",
    "RemoteFile",
    "dataset_info",
    "fetch",
    "load_prepared",
    "load_raw",
    "prepare",
    "save_prepared",
    "sha256_file",
    "split_indices",
]

#: the config key under which a user points a dataset at a local copy or a mirror
SOURCES_CONFIG_KEY = "data.sources"

#: the arrays of a prepared dataset, in this order, besides its ``metadata``
PREPARED_KEYS = ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")

FORMAT_VERSION = 1
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_CIFAR_MEMBERS = tuple(f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6))
_CIFAR_TEST_MEMBER = "cifar-10-batches-py/test_batch"


class DatasetUnavailableError(RuntimeError):
    """A raw file could not be obtained: no network, an HTTP error, or a truncated download.

    The message says what went wrong and how to get going offline: the exact file name to
    pre-stage, the directory to put it in, the canonical URL and the config key that points the
    dataset at a local copy. The same facts are attributes: ``dataset``, ``fname``,
    ``directory``, ``url`` (the one tried), ``canonical_url`` and ``config_key``.
    """

    def __init__(self, message, *, dataset, fname, directory, url, canonical_url, config_key):
        super().__init__(message)
        self.dataset = dataset
        self.fname = fname
        self.directory = directory
        self.url = url
        self.canonical_url = canonical_url
        self.config_key = config_key


class ChecksumError(ValueError):
    """A file's sha256 is not the expected one; the message names the file and both hashes.

    Attributes ``path``, ``expected`` and ``actual``. A bad file in the cache directory has been
    deleted when this is raised; a user's own source file (``data.sources.<name>.path``) is left
    alone and no copy of it is made.
    """

    def __init__(self, message, *, path, expected, actual):
        super().__init__(message)
        self.path = path
        self.expected = expected
        self.actual = actual


@dataclass(frozen=True)
class RemoteFile:
    """One raw file of a downloaded dataset: its cache file name, canonical origin and sha256."""

    fname: str
    origin: str
    sha256: str


@dataclass(frozen=True)
class DatasetInfo:
    """What :func:`fetch`, :func:`load_raw` and :func:`prepare` need to know about a dataset.

    ``kind`` is ``"image"`` (scaled by /255) or ``"tabular"`` (standardised); ``input_shape`` the
    shape of one raw sample; ``files`` the raw files to download (empty for the scikit-learn
    datasets, which name their loader in ``sklearn_loader``); ``has_test_split`` whether the
    dataset comes with a canonical test set.
    """

    name: str
    kind: str
    input_shape: tuple[int, ...]
    n_classes: int
    has_test_split: bool
    files: tuple[RemoteFile, ...] = ()
    sklearn_loader: str | None = None

    @property
    def input_dim(self) -> int:
        """Length d of a flattened sample."""
        return math.prod(self.input_shape)

    @property
    def config_key(self) -> str:
        """The config key that overrides where this dataset's raw files come from."""
        return f"{SOURCES_CONFIG_KEY}.{self.name}"


def _keras_file(fname: str, sha256: str) -> RemoteFile:
    return RemoteFile(fname, _KERAS_ORIGIN + fname, sha256)


DATASETS: Mapping[str, DatasetInfo] = MappingProxyType(
    {
        "mnist": DatasetInfo(
            "mnist",
            "image",
            (28, 28),
            10,
            True,
            files=(
                _keras_file(
                    "mnist.npz",
                    "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
                ),
            ),
        ),
        # keras.datasets.fashion_mnist downloads these without a hash; the hashes are Zalando's.
        "fashion_mnist": DatasetInfo(
            "fashion_mnist",
            "image",
            (28, 28),
            10,
            True,
            files=(
                _keras_file(
                    "train-labels-idx1-ubyte.gz",
                    "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                ),
                _keras_file(
                    "train-images-idx3-ubyte.gz",
                    "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                ),
                _keras_file(
                    "t10k-labels-idx1-ubyte.gz",
                    "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
                ),
                _keras_file(
                    "t10k-images-idx3-ubyte.gz",
                    "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                ),
            ),
        ),
        "cifar10": DatasetInfo(
            "cifar10",
            "image",
            (32, 32, 3),
            10,
            True,
            files=(
                RemoteFile(
                    "cifar-10-python.tar.gz",
                    "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                    "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
                ),
            ),
        ),
        "boston_housing": DatasetInfo(
            "boston_housing",
            "tabular",
            (13,),
            2,
            False,
            files=(
                _keras_file(
                    "boston_housing.npz",
                    "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5",
                ),
            ),
        ),
        "digits": DatasetInfo("digits", "tabular", (64,), 10, False, sklearn_loader="load_digits"),
        "breast_cancer": DatasetInfo(
            "breast_cancer", "tabular", (30,), 2, False, sklearn_loader="load_breast_cancer"
        ),
        "wine": DatasetInfo("wine", "tabular", (13,), 3, False, sklearn_loader="load_wine"),
        "iris": DatasetInfo("iris", "tabular", (4,), 3, False, sklearn_loader="load_iris"),
    }
)


def dataset_info(name: str) -> DatasetInfo:
    """Return the registry entry of ``name``; ``ValueError`` listing the known names otherwise."""
    check_choice(name, "dataset", DATASETS)
    return DATASETS[name]


# --------------------------------------------------------------------------------------------
# argument checks


def _check_fraction(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a number strictly between 0 and 1, got {value!r}")
    if not 0.0 < float(value) < 1.0:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value!r}")
    return float(value)


def _check_timeout(value) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.integer | np.floating)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"timeout must be a positive number of seconds, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class _Planned:
    """Where one raw file comes from: a URL or a local path, and the sha256 it must have."""

    file: RemoteFile
    url: str | None
    local: Path | None
    sha256: str | None


def _plan(info: DatasetInfo, source) -> list[_Planned]:
    """Check ``source`` (a ``data.sources.<name>`` entry) and say where each file comes from."""
    if source is None:
        return [_Planned(f, f.origin, None, f.sha256) for f in info.files]
    key = info.config_key
    if not isinstance(source, Mapping):
        raise ValueError(
            f"{key} must be a mapping with 'path' or 'url' (and optionally 'sha256'), "
            f"got {source!r}"
        )
    unknown = sorted(set(source) - {"path", "url", "sha256"})
    if unknown:
        raise ValueError(f"{key} has unknown keys {unknown}; allowed: ['path', 'sha256', 'url']")
    if ("path" in source) == ("url" in source):
        raise ValueError(f"{key} must have exactly one of 'path' and 'url', got {dict(source)!r}")
    if not info.files:
        raise ValueError(
            f"{info.name} ships with scikit-learn and downloads nothing; remove {key} "
            "from the config"
        )
    multi = len(info.files) > 1
    sha = source.get("sha256")
    if sha is not None:
        if not isinstance(sha, str) or not _SHA256.match(sha.lower()):
            raise ValueError(f"{key}.sha256 must be 64 hex digits or null, got {sha!r}")
        if multi:
            raise ValueError(
                f"{info.name} has {len(info.files)} files, which one {key}.sha256 cannot check: "
                "leave it out to check each file against its canonical hash, or set it to null"
            )
        sha = sha.lower()

    def expected(f: RemoteFile) -> str | None:
        return f.sha256 if "sha256" not in source else sha

    if "path" in source:
        raw = source["path"]
        if not isinstance(raw, str | os.PathLike) or not str(raw):
            raise ValueError(f"{key}.path must be a non-empty path, got {raw!r}")
        base = Path(raw).expanduser()
        plans = []
        for f in info.files:
            local = base / f.fname if (multi or base.is_dir()) else base
            plans.append(_Planned(f, None, local, expected(f)))
        return plans

    url = source["url"]
    scheme = urllib.parse.urlsplit(url).scheme if isinstance(url, str) else ""
    if scheme not in {"http", "https", "file"}:
        raise ValueError(f"{key}.url must be an http://, https:// or file:// URL, got {url!r}")
    if multi and not url.endswith("/"):
        raise ValueError(
            f"{key}.url must be a base URL ending in '/' to which the file names of "
            f"{info.name} ({', '.join(f.fname for f in info.files)}) are appended, got {url!r}"
        )
    return [
        _Planned(f, url + f.fname if url.endswith("/") else url, None, expected(f))
        for f in info.files
    ]


# --------------------------------------------------------------------------------------------
# fetch


def fetch(name: str, cache_dir, *, source=None, timeout: float = 10.0) -> list[Path]:
    """Ensure the raw files of dataset ``name`` are in ``cache_dir`` and return their paths.

    Parameters
    ----------
    name : one of :data:`DATASETS`
    cache_dir : path of the directory that holds this dataset's raw files (created if missing),
        e.g. ``resources/raw/mnist``. Files keep their canonical names (:attr:`RemoteFile.fname`).
    source : the config entry ``data.sources.<name>``, or None for the canonical origin:

        - ``{"path": "/data/mnist.npz"}``: copy a local file (a file in the keras layout, or a
          directory holding the files under their canonical names, required for the four files of
          ``fashion_mnist``) into ``cache_dir``;
        - ``{"url": "https://mirror/mnist.npz"}``: download from a mirror; a URL ending in ``/``
          is a base to which the canonical file names are appended (required for
          ``fashion_mnist``).

        ``"sha256"``: left out, each file is checked against its canonical hash; a 64-hex string
        (single-file datasets only), against that; ``None``, not checked at all.
    timeout : seconds any single network operation (connect, each read) may block.

    Returns
    -------
    list of Path, one per raw file in registry order (empty for the scikit-learn datasets).

    A file already in ``cache_dir`` (cached, or pre-staged by hand) is checked against the hash and
    used without touching the network. Downloads and copies go to a temporary name in
    ``cache_dir`` and are moved into place (``os.replace``) only once verified; on any failure,
    including Ctrl-C, neither a partial nor a bad file remains.

    Raises
    ------
    ValueError
        Unknown name, malformed ``source`` or ``timeout``.
    DatasetUnavailableError
        The network or server failed (unreachable, refused, DNS, timeout, HTTP error, truncated
        body); the message names the file to pre-stage, the directory, the canonical URL and the
        config key.
    ChecksumError
        A file has the wrong sha256; the message names it, the expected and the actual hash.
    FileNotFoundError
        ``source["path"]`` does not exist.
    """
    info = dataset_info(name)
    plans = _plan(info, source)
    timeout = _check_timeout(timeout)
    if not isinstance(cache_dir, str | os.PathLike) or not str(cache_dir):
        raise ValueError(f"cache_dir must be a non-empty path, got {cache_dir!r}")
    if not info.files:
        return []
    directory = Path(cache_dir).expanduser().absolute()
    directory.mkdir(parents=True, exist_ok=True)
    if not os.access(directory, os.W_OK):
        raise PermissionError(f"cache directory {directory} is not writable")
    paths = []
    for plan in plans:
        target = directory / plan.file.fname
        if target.exists() or target.is_symlink():
            _check_cached(target, plan.sha256)
        elif plan.local is not None:
            _copy_verified(info, plan, target)
        else:
            _download_verified(info, plan, target, timeout)
        paths.append(target)
    return paths


def sha256_file(path, chunk_size: int = 1 << 20) -> str:
    """Return the hex sha256 of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _mismatch(path: Path, expected: str, actual: str, what_happened: str) -> ChecksumError:
    return ChecksumError(
        f"sha256 mismatch for {path}: expected {expected}, actual {actual}. {what_happened}",
        path=path,
        expected=expected,
        actual=actual,
    )


def _check_cached(target: Path, expected: str | None) -> None:
    """Verify a file already in the cache directory; delete it if its hash is wrong."""
    if not target.is_file():
        raise ValueError(f"{target} exists but is not a regular file; remove it and fetch again")
    if expected is None:
        return
    actual = sha256_file(target)
    if actual != expected:
        target.unlink()
        raise _mismatch(
            target,
            expected,
            actual,
            "The file (cached or pre-staged) has been deleted; fetch again, or pre-stage a "
            "correct copy.",
        )


def _temp_name(fname: str) -> str:
    return f".{fname}.{secrets.token_hex(6)}.part"


def _copy_verified(info: DatasetInfo, plan: _Planned, target: Path) -> None:
    """Copy ``plan.local`` into ``target`` through a verified temporary copy."""
    local = plan.local
    if not local.is_file():
        hint = " (a directory holding the files by name)" if len(info.files) > 1 else ""
        raise FileNotFoundError(
            f"{info.config_key}.path{hint} should provide {plan.file.fname} for {info.name}, "
            f"but {local} is not a file"
        )
    tmp = target.parent / _temp_name(plan.file.fname)
    try:
        shutil.copyfile(local, tmp)
        actual = sha256_file(tmp)
        if plan.sha256 is not None and actual != plan.sha256:
            raise _mismatch(
                local,
                plan.sha256,
                actual,
                f"No copy was made (the source file is left alone); check {info.config_key}.",
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _default_socket_timeout(seconds: float):
    """Set the process-wide default socket timeout for the duration of the block.

    ``keras.utils.get_file`` calls ``urllib.request.urlretrieve``, which takes no timeout and
    blocks for as long as the OS lets it; the default timeout is the only handle on it.
    """
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


_NETWORK_ERRORS = (
    urllib.error.URLError,
    http.client.HTTPException,
    ConnectionError,
    TimeoutError,
    socket.gaierror,
    ssl.SSLError,
)


def _network_cause(exc: BaseException) -> BaseException | None:
    """The first network error in ``exc``'s chain (keras re-raises them as bare ``Exception``)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, _NETWORK_ERRORS):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def _describe(cause: BaseException, timeout: float) -> str:
    if isinstance(cause, urllib.error.HTTPError):
        return f"the server answered HTTP {cause.code} {cause.reason}"
    if isinstance(cause, urllib.error.ContentTooShortError):
        return f"the download was truncated ({cause.reason})"
    if isinstance(cause, http.client.IncompleteRead):
        return f"the download was truncated ({cause!r})"
    reason = cause.reason if isinstance(cause, urllib.error.URLError) else cause
    if isinstance(reason, socket.gaierror):
        return f"the host name could not be resolved ({reason})"
    if isinstance(reason, TimeoutError):
        return f"the server did not answer within {timeout:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return f"the connection was refused ({reason})"
    return f"the network or server failed ({reason})"


def _unavailable(info: DatasetInfo, plan: _Planned, directory: Path, why: str):
    fname = plan.file.fname
    return DatasetUnavailableError(
        f"could not download {fname} for dataset {info.name!r} from {plan.url}: {why}.\n"
        f"To run offline, get {fname} from the canonical URL {plan.file.origin} "
        f"(sha256 {plan.file.sha256}) and either\n"
        f"  - put it, named exactly {fname}, in the directory {directory}, or\n"
        f"  - set the config key {info.config_key}.path to a local copy "
        f"(or {info.config_key}.url to a mirror).",
        dataset=info.name,
        fname=fname,
        directory=directory,
        url=plan.url,
        canonical_url=plan.file.origin,
        config_key=info.config_key,
    )


def _download_verified(info: DatasetInfo, plan: _Planned, target: Path, timeout: float) -> None:
    """Download ``plan.url`` to ``target`` with ``keras.utils.get_file``, atomically.

    ``get_file`` writes straight to the name it is given, leaves a file with a bad hash in place,
    and falls back silently to ``/tmp/.keras`` when ``cache_dir`` is not writable; so it gets a
    temporary name, an absolute ``cache_subdir`` (which makes it ignore that fallback), and the
    result is verified here before ``os.replace`` puts it in place.
    """
    from keras.utils import get_file  # imported here: keras pulls in TensorFlow

    directory = target.parent
    tmp_name = _temp_name(plan.file.fname)
    tmp = directory / tmp_name
    try:
        try:
            with _default_socket_timeout(timeout):
                got = get_file(
                    fname=tmp_name,
                    origin=plan.url,
                    file_hash=plan.sha256,
                    cache_dir=str(directory),
                    cache_subdir=str(directory),
                )
        except Exception as exc:
            cause = _network_cause(exc)
            if cause is not None:
                raise _unavailable(info, plan, directory, _describe(cause, timeout)) from exc
            if not (isinstance(exc, ValueError) and tmp.is_file() and plan.sha256):
                raise
            # keras' "Incomplete or corrupted file detected": fall through to our own check
        else:
            if Path(got) != tmp:
                raise RuntimeError(f"keras.utils.get_file wrote {got}, expected {tmp}")
        actual = sha256_file(tmp)
        if plan.sha256 is not None and actual != plan.sha256:
            raise _mismatch(
                directory / plan.file.fname,
                plan.sha256,
                actual,
                f"Downloaded from {plan.url}; the download has been deleted.",
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------
# raw parsers


def _resolve_raw(info: DatasetInfo, paths) -> list[Path]:
    """``paths``: a directory holding the raw files by name, or one path per raw file."""
    if not info.files:
        if paths is None or isinstance(paths, str | os.PathLike):
            return []
        if isinstance(paths, Sequence) and len(paths) == 0:
            return []
        raise ValueError(
            f"{info.name} ships with scikit-learn and takes no raw files, got {paths!r}"
        )
    if paths is None:
        raise ValueError(
            f"{info.name} needs its raw files: pass the directory fetch() filled, or the list "
            "of paths it returned"
        )
    if isinstance(paths, str | os.PathLike):
        directory = Path(paths)
        if not directory.is_dir():
            raise ValueError(f"raw directory {directory} of {info.name} is not a directory")
        return [directory / f.fname for f in info.files]
    if not isinstance(paths, Sequence) or len(paths) != len(info.files):
        raise ValueError(
            f"{info.name} has {len(info.files)} raw file(s) "
            f"({', '.join(f.fname for f in info.files)}); got {paths!r}"
        )
    return [Path(p) for p in paths]


def _read_npz(path: Path, keys: Sequence[str]) -> dict[str, np.ndarray]:
    """Read ``keys`` from an npz without pickles; ``ValueError`` naming the file otherwise."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as npz:
            if not isinstance(npz, np.lib.npyio.NpzFile):
                raise ValueError("it holds a single array, not an .npz archive")
            found = list(npz.files)
            arrays = {k: npz[k] for k in keys if k in found}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
        raise ValueError(
            f"{path}: not a readable .npz file (truncated or corrupted?): {exc}"
        ) from exc
    missing = [k for k in keys if k not in found]
    if missing:
        raise ValueError(
            f"{path}: missing key(s) {missing}; expected keys {list(keys)}, found {found}"
        )
    return arrays


def _check_raw_pair(path, x, y, info: DatasetInfo, what: str, labels: bool = True):
    if x.ndim < 2 or tuple(x.shape[1:]) != info.input_shape:
        raise ValueError(
            f"{path}: {what} inputs must have shape (N, {', '.join(map(str, info.input_shape))})"
            f" for {info.name}, got {x.shape}"
        )
    y = np.asarray(y).reshape(-1) if np.ndim(y) == 2 and np.shape(y)[1] == 1 else np.asarray(y)
    if y.shape != (len(x),):
        raise ValueError(f"{path}: {what} targets must have shape ({len(x)},), got {y.shape}")
    if not labels:
        if not np.issubdtype(y.dtype, np.number) or not np.all(np.isfinite(y)):
            raise ValueError(f"{path}: {what} targets must be finite numbers")
        return y.astype(np.float64)
    if not np.issubdtype(y.dtype, np.integer) or (
        len(y) and (y.min() < 0 or y.max() >= info.n_classes)
    ):
        raise ValueError(
            f"{path}: {what} labels must be integers in 0..{info.n_classes - 1}, "
            f"got dtype {y.dtype}" + (f", range {y.min()}..{y.max()}" if len(y) else "")
        )
    return y.astype(np.int64)


def _read_idx_gz(path: Path, ndim: int) -> np.ndarray:
    """Parse a gzipped IDX file of unsigned bytes (the MNIST / Fashion-MNIST format)."""
    try:
        with gzip.open(path, "rb") as fh:
            data = fh.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: not a readable gzip file: {exc}") from exc
    if len(data) < 4 + 4 * ndim or data[:3] != b"\x00\x00\x08" or data[3] != ndim:
        raise ValueError(
            f"{path}: not an IDX file of {ndim}-d unsigned bytes (magic {data[:4].hex()})"
        )
    dims = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    body = data[4 + 4 * ndim :]
    if len(body) != math.prod(dims):
        raise ValueError(
            f"{path}: IDX header says {dims} = {math.prod(dims)} bytes, got {len(body)}"
        )
    return np.frombuffer(body, dtype=np.uint8).reshape(dims)


def _load_cifar10(path: Path) -> tuple[np.ndarray, ...]:
    """Parse the CIFAR-10 python tarball with keras' own batch parser.

    Each batch is copied to a temporary file for ``keras.src.datasets.cifar.load_batch``, which
    unpickles it with keras' restricted unpickler; images come back channels-last like
    ``keras.datasets.cifar10``.
    """
    from keras.src.datasets.cifar import load_batch

    xs, ys = [], []
    try:
        with tarfile.open(path, "r:gz") as tar, tempfile.TemporaryDirectory() as tmp:
            for member in (*_CIFAR_MEMBERS, _CIFAR_TEST_MEMBER):
                try:
                    fh = tar.extractfile(tar.getmember(member))
                except KeyError as exc:
                    raise ValueError(f"{path}: the archive has no member {member}") from exc
                batch = Path(tmp) / "batch"
                with fh, open(batch, "wb") as out:
                    shutil.copyfileobj(fh, out)
                data, labels = load_batch(str(batch))
                xs.append(np.asarray(data).transpose(0, 2, 3, 1))
                ys.append(np.asarray(labels))
    except (OSError, EOFError, tarfile.TarError, zlib.error, pickle.UnpicklingError) as exc:
        raise ValueError(f"{path}: not a readable CIFAR-10 python tarball: {exc}") from exc
    return np.concatenate(xs[:5]), np.concatenate(ys[:5]), xs[5], ys[5]


def load_raw(name: str, paths=None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Parse a dataset's raw files into ``(x_train, y_train, x_test, y_test)``.

    Parameters
    ----------
    name : one of :data:`DATASETS`
    paths : the directory :func:`fetch` filled, or the list of paths it returned (in registry
        order); ignored (may be None) for the scikit-learn datasets.

    Returns
    -------
    x_train : (N, *input_shape) array, uint8 for images (channels-last), float64 for tabular data
    y_train : (N,) int64 labels in 0..C-1; for ``boston_housing`` float64 prices (k$)
    x_test, y_test : the canonical test set; for datasets without one (Boston housing and the
        scikit-learn ones) empty arrays of shape (0, *input_shape) and (0,), with all samples in
        the "train" arrays (:func:`prepare` carves the test set).
    """
    info = dataset_info(name)
    files = _resolve_raw(info, paths)
    for f in files:
        if not f.is_file():
            raise FileNotFoundError(f"raw file {f} of {info.name} does not exist; run fetch first")
    if info.sklearn_loader is not None:
        import sklearn.datasets

        x, y = getattr(sklearn.datasets, info.sklearn_loader)(return_X_y=True)
        x = np.asarray(x, dtype=np.float64)
        y = _check_raw_pair(info.sklearn_loader, x, y, info, "all")
        return x, y, np.empty((0, *info.input_shape)), np.empty(0, dtype=np.int64)
    if name == "mnist":
        a = _read_npz(files[0], ("x_train", "y_train", "x_test", "y_test"))
        x_train, y_train, x_test, y_test = a["x_train"], a["y_train"], a["x_test"], a["y_test"]
        where = [files[0]] * 2
    elif name == "fashion_mnist":
        y_train, x_train, y_test, x_test = (
            _read_idx_gz(f, ndim) for f, ndim in zip(files, (1, 3, 1, 3), strict=True)
        )
        where = [files[1], files[3]]
    elif name == "cifar10":
        x_train, y_train, x_test, y_test = _load_cifar10(files[0])
        where = [files[0]] * 2
    else:  # boston_housing
        a = _read_npz(files[0], ("x", "y"))
        x_train = np.asarray(a["x"], dtype=np.float64)
        if not np.all(np.isfinite(x_train)):
            raise ValueError(f"{files[0]}: x contains NaN or inf")
        y_train = _check_raw_pair(files[0], x_train, a["y"], info, "all", labels=False)
        return x_train, y_train, np.empty((0, 13)), np.empty(0)
    y_train = _check_raw_pair(where[0], x_train, y_train, info, "training")
    y_test = _check_raw_pair(where[1], x_test, y_test, info, "test")
    return x_train, y_train, x_test, y_test


# --------------------------------------------------------------------------------------------
# splits and preparation


def split_indices(
    n: int, *, validation_fraction: float, test_fraction: float | None, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded disjoint index sets ``(train, val, test)`` covering ``range(n)``.

    One permutation of ``range(n)`` (``numpy.random.default_rng(seed)``): its first
    ``round(test_fraction * n)`` entries (at least 1) are the test set, the next
    ``round(validation_fraction * n_rest)`` (at least 1) the validation set, the rest the
    training set. ``test_fraction=None`` means no test set (the dataset has a canonical one).
    Each index array is in permutation order, i.e. shuffled.
    """
    n = check_positive_int(n, "n")
    validation_fraction = _check_fraction(validation_fraction, "validation_fraction")
    if test_fraction is not None:
        test_fraction = _check_fraction(test_fraction, "test_fraction")
    seed = check_nonnegative_int(seed, "seed")
    n_test = 0 if test_fraction is None else max(1, round(test_fraction * n))
    n_val = max(1, round(validation_fraction * (n - n_test)))
    if n - n_test - n_val < 1:
        raise ValueError(
            f"{n} samples are too few for test_fraction={test_fraction} and "
            f"validation_fraction={validation_fraction}: no training samples would remain"
        )
    perm = np.random.default_rng(seed).permutation(n)
    return perm[n_test + n_val :], perm[n_test : n_test + n_val], perm[:n_test]


def prepare(
    name: str,
    raw=None,
    *,
    validation_fraction: float,
    test_fraction: float,
    seed: int,
    max_train: int | None = None,
) -> tuple[dict[str, np.ndarray], dict]:
    """Flatten, normalise and split a dataset into train / validation / test arrays.

    Parameters
    ----------
    name : one of :data:`DATASETS`
    raw : the raw directory or file list, as for :func:`load_raw` (None for scikit-learn data)
    validation_fraction : in (0, 1), the share of the training set held out for validation
    test_fraction : in (0, 1), the share of all samples held out for testing; used only by
        datasets without a canonical test split (Boston housing, scikit-learn), ignored otherwise
    seed : non-negative integer seeding the splits (and the ``max_train`` subsample)
    max_train : keep at most this many training samples (a seeded random subset), or None

    Returns
    -------
    arrays : dict with ``x_train`` (n_train, d) float32, ``y_train`` (n_train,) int64, and the
        same for ``val`` and ``test``; images scaled to [0, 1], tabular inputs standardised with
        the training split's mean and std; labels in 0..C-1 (Boston: price > training median).
    metadata : JSON-serialisable dict: dataset, n_classes, input_dim, input_shape, raw_files
        ({file name: sha256}), split_sizes, seed, fractions, max_train, normalisation (and for
        Boston label_rule and median_price). ``save_prepared(path, *prepare(...))`` stores both.
    """
    info = dataset_info(name)
    validation_fraction = _check_fraction(validation_fraction, "validation_fraction")
    test_fraction = _check_fraction(test_fraction, "test_fraction")
    seed = check_nonnegative_int(seed, "seed")
    if max_train is not None:
        max_train = check_positive_int(max_train, "max_train")
    files = _resolve_raw(info, raw)

    x_all, y_all, x_test_raw, y_test_raw = load_raw(name, files)
    if info.has_test_split:
        train, val, _ = split_indices(
            len(x_all), validation_fraction=validation_fraction, test_fraction=None, seed=seed
        )
        x_test, y_test = x_test_raw, y_test_raw
    else:
        train, val, test = split_indices(
            len(x_all),
            validation_fraction=validation_fraction,
            test_fraction=test_fraction,
            seed=seed,
        )
        x_test, y_test = x_all[test], y_all[test]
    if max_train is not None:
        train = train[:max_train]
    x_train, y_train, x_val, y_val = x_all[train], y_all[train], x_all[val], y_all[val]

    metadata = {
        "format_version": FORMAT_VERSION,
        "dataset": info.name,
        "n_classes": info.n_classes,
        "input_dim": info.input_dim,
        "input_shape": list(info.input_shape),
        "raw_files": {p.name: sha256_file(p) for p in files},
        "source": (
            _sklearn_source(info)
            if info.sklearn_loader
            else {f.fname: f.origin for f in info.files}
        ),
        "seed": seed,
        "validation_fraction": validation_fraction,
        "test_fraction": None if info.has_test_split else test_fraction,
        "test_split": "canonical" if info.has_test_split else "carved",
        "max_train": max_train,
    }
    if name == "boston_housing":
        median = float(np.median(y_train))
        y_train, y_val, y_test = ((y > median).astype(np.int64) for y in (y_train, y_val, y_test))
        metadata["label_rule"] = "1 if price > median price of the training split else 0"
        metadata["median_price"] = median

    flat = [x.reshape(len(x), -1) for x in (x_train, x_val, x_test)]
    if info.kind == "image":
        flat = [(x.astype(np.float32) / np.float32(255.0)) for x in flat]
        metadata["normalisation"] = {"kind": "scale", "divide_by": 255.0}
    else:
        mean = flat[0].mean(axis=0)
        std = flat[0].std(axis=0)
        std = np.where(std > 0, std, 1.0)
        flat = [((x - mean) / std).astype(np.float32) for x in flat]
        metadata["normalisation"] = {
            "kind": "standardise",
            "mean": mean.tolist(),
            "std": std.tolist(),
        }
    arrays = {
        "x_train": flat[0],
        "y_train": np.asarray(y_train, dtype=np.int64),
        "x_val": flat[1],
        "y_val": np.asarray(y_val, dtype=np.int64),
        "x_test": flat[2],
        "y_test": np.asarray(y_test, dtype=np.int64),
    }
    metadata["split_sizes"] = {
        "train": len(arrays["y_train"]),
        "validation": len(arrays["y_val"]),
        "test": len(arrays["y_test"]),
    }
    return arrays, metadata


def _sklearn_source(info: DatasetInfo) -> str:
    import sklearn

    return f"sklearn.datasets.{info.sklearn_loader} (scikit-learn {sklearn.__version__})"


# --------------------------------------------------------------------------------------------
# prepared files

_REQUIRED_METADATA = ("dataset", "n_classes", "input_dim", "split_sizes", "seed")


def _check_prepared(arrays, metadata, where: str) -> None:
    """Raise ``ValueError`` mentioning ``where`` unless arrays and metadata are consistent."""
    expected = (
        f"expected keys {list(PREPARED_KEYS)} with x_* float32 of shape (N, d) and y_* int64 "
        "of shape (N,)"
    )
    missing = [k for k in PREPARED_KEYS if k not in arrays]
    if missing:
        raise ValueError(f"{where}: missing key(s) {missing}; {expected}")
    if not isinstance(metadata, Mapping):
        raise ValueError(f"{where}: metadata must be a mapping, got {type(metadata).__name__}")
    absent = [k for k in _REQUIRED_METADATA if k not in metadata]
    if absent:
        raise ValueError(f"{where}: metadata lacks {absent}; it needs {list(_REQUIRED_METADATA)}")
    d = metadata["input_dim"]
    n_classes = metadata["n_classes"]
    sizes = metadata["split_sizes"]
    names = {"train": "train", "val": "validation", "test": "test"}
    for split, long_name in names.items():
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if not isinstance(x, np.ndarray) or x.dtype != np.float32 or x.ndim != 2:
            raise ValueError(
                f"{where}: x_{split} must be a float32 array of shape (N, {d}), got "
                f"{getattr(x, 'dtype', type(x).__name__)} {getattr(x, 'shape', '')}; {expected}"
            )
        if x.shape[1] != d:
            raise ValueError(
                f"{where}: x_{split} has shape {x.shape}, expected (N, {d}) (metadata input_dim)"
            )
        if not isinstance(y, np.ndarray) or y.dtype != np.int64 or y.shape != (len(x),):
            raise ValueError(
                f"{where}: y_{split} must be an int64 array of shape ({len(x)},) to match "
                f"x_{split} {x.shape}, got {getattr(y, 'dtype', type(y).__name__)} "
                f"{getattr(y, 'shape', '')}"
            )
        if not isinstance(sizes, Mapping) or sizes.get(long_name) != len(x):
            raise ValueError(
                f"{where}: metadata split_sizes[{long_name!r}] is "
                f"{sizes.get(long_name) if isinstance(sizes, Mapping) else sizes!r}, "
                f"but x_{split} has {len(x)} rows"
            )
        if len(y) and (y.min() < 0 or y.max() >= n_classes):
            raise ValueError(
                f"{where}: y_{split} has labels {y.min()}..{y.max()}, outside 0..{n_classes - 1}"
            )
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{where}: x_{split} contains NaN or inf")
    if len(arrays["x_train"]) == 0:
        raise ValueError(f"{where}: the training split is empty")


def save_prepared(path, arrays: Mapping[str, np.ndarray], metadata: Mapping) -> Path:
    """Write a prepared dataset to one ``.npz`` atomically and return its path.

    ``arrays`` are the six arrays of :data:`PREPARED_KEYS` and ``metadata`` a JSON-serialisable
    mapping (as :func:`prepare` returns them; checked for consistency first). The metadata is
    stored as JSON in the key ``metadata``. The file is written under a temporary name in the
    same directory and moved into place with ``os.replace``: a reader sees the old file or the
    complete new one, never a partial one.
    """
    if not isinstance(path, str | os.PathLike) or not str(path):
        raise ValueError(f"path must be a non-empty path, got {path!r}")
    path = Path(path)
    if not isinstance(arrays, Mapping):
        raise ValueError(f"arrays must be a mapping of {list(PREPARED_KEYS)}, got {arrays!r}")
    _check_prepared(arrays, metadata, f"arrays for {path}")
    try:
        text = json.dumps(dict(metadata), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"metadata for {path} is not JSON-serialisable: {exc}") from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        # a file object, not a name: np.savez appends ".npz" to names without it
        with open(tmp, "wb") as fh:
            np.savez(fh, **{k: arrays[k] for k in PREPARED_KEYS}, metadata=np.array(text))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def load_prepared(path) -> tuple[dict[str, np.ndarray], dict]:
    """Read and check a file written by :func:`save_prepared`; return ``(arrays, metadata)``.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        Naming the file: it is truncated or corrupted, a key is missing (the expected keys are
        listed), the metadata is unreadable, or the arrays' shapes, dtypes, label range or sizes
        disagree with each other or with the metadata.
    """
    if not isinstance(path, str | os.PathLike) or not str(path):
        raise ValueError(f"path must be a non-empty path, got {path!r}")
    path = Path(path)
    raw = _read_npz(path, (*PREPARED_KEYS, "metadata"))
    try:
        metadata = json.loads(str(raw.pop("metadata")[()]))
    except (ValueError, TypeError, IndexError) as exc:
        raise ValueError(f"{path}: the metadata entry is not a JSON object: {exc}") from exc
    if not isinstance(metadata, dict):
        raise ValueError(f"{path}: the metadata entry is not a JSON object")
    _check_prepared(raw, metadata, str(path))
    return raw, metadata
