"""Raw-format parsers: :func:`load_raw` reads the raw files of a dataset into numpy arrays.

The formats are those of the raw files in the registry (:mod:`relusv.data.registry`): keras'
``.npz`` files (MNIST, Boston housing), gzipped IDX files (Fashion-MNIST), the CIFAR-10 python
tarball, and scikit-learn's bundled datasets. Arrays come back in the layout of
``keras.datasets``; every parser checks shapes, dtypes and label ranges and names the file on
failure.
"""

from __future__ import annotations

import gzip
import math
import os
import pickle
import shutil
import struct
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from relusv.data.registry import DatasetInfo, dataset_info

_CIFAR_MEMBERS = tuple(f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6))
_CIFAR_TEST_MEMBER = "cifar-10-batches-py/test_batch"


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
