"""Prepared datasets: seeded splits, normalisation, and the checked ``.npz`` they are saved in.

:func:`prepare` flattens, normalises and splits the arrays of :func:`~relusv.data.load_raw`;
:func:`save_prepared` writes the result as one ``.npz`` and :func:`load_prepared` reads and
checks it.

Design choices (documented once here):

- Datasets without a canonical test split (Boston housing and the scikit-learn ones) are returned
  by :func:`~relusv.data.load_raw` whole, as "train", with an empty test set; :func:`prepare`
  carves the test set (``test_fraction`` of all samples) and then the validation set
  (``validation_fraction`` of what is left) from one seeded permutation. For the others the
  canonical test set is kept and the validation set is ``validation_fraction`` of the canonical
  training set.
- Boston housing becomes binary: label 1 iff the price is strictly above the median price of the
  training split (the median is recorded in the metadata).
- Images are scaled to [0, 1] by /255 and flattened in keras' channels-last order; tabular inputs
  are standardised with the mean and standard deviation of the training split (a constant feature
  is divided by 1). Inputs are float32 of shape (N, d), labels int64 in 0..C-1.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from relusv._validation import (
    check_fraction,
    check_nonnegative_int,
    check_optional_int,
    check_path,
    check_positive_int,
)
from relusv.data.download import sha256_file
from relusv.data.raw import _read_npz, _resolve_raw, load_raw
from relusv.data.registry import DatasetInfo, dataset_info
from relusv.files import atomic_path

#: the arrays of a prepared dataset, in this order, besides its ``metadata``
PREPARED_KEYS = ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")

FORMAT_VERSION = 1


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
    validation_fraction = check_fraction(validation_fraction, "validation_fraction")
    if test_fraction is not None:
        test_fraction = check_fraction(test_fraction, "test_fraction")
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
    validation_fraction = check_fraction(validation_fraction, "validation_fraction")
    test_fraction = check_fraction(test_fraction, "test_fraction")
    seed = check_nonnegative_int(seed, "seed")
    max_train = check_optional_int(max_train, "max_train", 1)
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
    path = check_path(path, "path")
    if not isinstance(arrays, Mapping):
        raise ValueError(f"arrays must be a mapping of {list(PREPARED_KEYS)}, got {arrays!r}")
    _check_prepared(arrays, metadata, f"arrays for {path}")
    try:
        text = json.dumps(dict(metadata), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"metadata for {path} is not JSON-serialisable: {exc}") from exc
    # a file object, not a name: np.savez appends ".npz" to names without it
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **{k: arrays[k] for k in PREPARED_KEYS}, metadata=np.array(text))
        fh.flush()
        os.fsync(fh.fileno())
    return path


def load_prepared(path, dataset: str | None = None) -> tuple[dict[str, np.ndarray], dict]:
    """Read and check a file written by :func:`save_prepared`; return ``(arrays, metadata)``.

    Parameters
    ----------
    path : path-like
    dataset : str, optional
        The dataset the file must hold (a network's configured ``dataset``).

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        Naming the file: it is truncated or corrupted, a key is missing (the expected keys are
        listed), the metadata is unreadable, or the arrays' shapes, dtypes, label range or sizes
        disagree with each other or with the metadata; or it holds another dataset than
        ``dataset``.
    """
    path = check_path(path, "path")
    raw = _read_npz(path, (*PREPARED_KEYS, "metadata"))
    try:
        metadata = json.loads(str(raw.pop("metadata")[()]))
    except (ValueError, TypeError, IndexError) as exc:
        raise ValueError(f"{path}: the metadata entry is not a JSON object: {exc}") from exc
    if not isinstance(metadata, dict):
        raise ValueError(f"{path}: the metadata entry is not a JSON object")
    _check_prepared(raw, metadata, str(path))
    if dataset is not None and metadata["dataset"] != dataset:
        raise ValueError(f"{path} holds the dataset {metadata['dataset']!r}, not {dataset!r}: "
                         "prepare that dataset, or give the network the data it was meant for")
    return raw, metadata
