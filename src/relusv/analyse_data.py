"""The data of ``relusv analyse``: the points analysed, and honest splits for harmonic pruning.

Numpy only (no Keras). :func:`load_data` reads the DATA file (and ``--prune-data``) and checks
every array against the network. :func:`pruning_splits` gives harmonic pruning three disjoint
sets of points, so that no number it reports comes from points it retrained on or decided on:

- **retraining** (``train``): the points the network is retrained on between pruning steps;
- **validation** (``val``): the points every pruning decision and the retraining criterion use;
- **test**: held out; the test accuracy of ``pruning.csv`` and ``summary.md`` is measured there.

Each split comes from arrays of its own when the files hold them (``x_train``/``y_train``,
``x_val``/``y_val``, ``x_test``/``y_test``), else it is carved out of the pool ``x``/``y``
(or ``x_test``/``y_test`` when there is no ``x`` and not both other splits are given) by one
seeded permutation, ``numpy.random.default_rng(split_seed).permutation(N)``: validation first,
then test, then retraining, with shares ``val_fraction``, ``test_fraction`` and the rest,
renormalised over the splits that are carved (a split carved alone takes the whole pool). Every
split needs at least :data:`MIN_SPLIT_POINTS` points. When some split has arrays of its own, test
points that occur (as identical rows) among the retraining or validation points are left out of
the test split.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["MIN_SPLIT_POINTS", "SPLITS", "DataError", "PruningSplits", "load_data",
           "pruning_splits"]

#: The fewest points harmonic pruning accepts in each of its three splits.
MIN_SPLIT_POINTS = 20

#: The splits of harmonic pruning, in the order they are carved from a pool.
SPLITS = ("val", "test", "train")

_WORDS = {"train": "retraining", "val": "validation", "test": "test"}


class DataError(ValueError):
    """A data file that does not fit the network or the options (the message names the fix)."""


def _read(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise DataError(f"{path}: cannot read it as an .npz file: {error}") from error


def _labels(array: np.ndarray, classes: int) -> np.ndarray:
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"expected a non-empty 1-d array of class indices, got shape "
                         f"{array.shape}")
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise ValueError(f"expected integer class indices, got dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.floating) and not (
            np.isfinite(array).all() and (array == np.round(array)).all()):
        raise ValueError("expected integer class indices, got non-integer values")
    low, high = array.min(), array.max()
    if low < 0 or high >= classes:
        raise ValueError(f"y must hold class indices in [0, {classes}), got values in "
                         f"[{low}, {high}]")
    return array.astype(np.int32)


def _features(array: np.ndarray, input_dim: int) -> np.ndarray:
    array = np.asarray(array, dtype=np.float32)
    if array.ndim != 2 or array.shape[1] != input_dim or len(array) == 0:
        raise ValueError(f"expected shape (N, {input_dim}) (the model's input layer takes "
                         f"{input_dim} features), got {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError("expected finite values, got NaN or inf")
    return array


def load_data(path: str | os.PathLike, *, input_dim: int, classes: int, prune: bool = False,
              prune_path: str | os.PathLike | None = None) -> dict[str, np.ndarray]:
    """The arrays the analyses use, checked: float32 inputs, int32 labels.

    Parameters
    ----------
    path : path
        The DATA ``.npz``: ``x`` and ``y``, or ``x_test`` and ``y_test``.
    input_dim, classes : int
        The network's inputs and logits.
    prune : bool
        Also read the splits of harmonic pruning: ``x_train``/``y_train``, ``x_val``/``y_val``
        and ``x_test``/``y_test``, from ``path`` and ``prune_path``.
    prune_path : path or None
        A second ``.npz`` with pruning splits (``--prune-data``); a split may not be in both.

    Returns
    -------
    dict
        ``x``, ``y`` (the pool: the points analysed), ``pool`` (the name of the pool's inputs,
        ``"x"`` or ``"x_test"``, as a 0-d str array), ``source_pool`` (its file) and, with
        ``prune``, every ``x_<split>``/``y_<split>`` found; ``source_<split>`` names the file of
        each.

    Raises
    ------
    DataError
        Naming the file and the array: missing, not ``(N, input_dim)``, non-finite, labels
        outside ``[0, classes)`` or of another length than their inputs, a split in both files.
    """
    path = Path(path)
    arrays = _read(path)
    pool = next((pair for pair in (("x", "y"), ("x_test", "y_test"))
                 if all(k in arrays for k in pair)), None)
    if pool is None:
        raise DataError(f"{path}: expected the arrays 'x' and 'y' (or 'x_test' and 'y_test'), "
                        f"found {sorted(arrays)}")
    wanted = {"x": (path, pool[0]), "y": (path, pool[1])}
    if prune:
        files = [(path, arrays)]
        if prune_path is not None:
            files.append((Path(prune_path), _read(Path(prune_path))))
        for split in ("train", "val", "test"):
            found = [(file, found) for file, found in files if f"x_{split}" in found
                     or f"y_{split}" in found]
            if len(found) > 1:
                raise DataError(f"both {path} and {prune_path} hold the {_WORDS[split]} split "
                                f"'x_{split}'/'y_{split}'; keep it in one of them")
            for file, found_arrays in found:
                for key in (f"x_{split}", f"y_{split}"):
                    if key not in found_arrays:
                        other = key.replace("x_", "y_") if key[0] == "x" else key.replace(
                            "y_", "x_")
                        raise DataError(f"{file}: has {other!r} but no {key!r}")
                    wanted[key] = (file, key)
                arrays.update({k: found_arrays[k] for k in (f"x_{split}", f"y_{split}")})
    out: dict[str, np.ndarray] = {}
    for key, (file, name) in wanted.items():
        source = arrays if file == path else _read(file)
        try:
            out[key] = (_features(source[name], input_dim) if key.startswith("x")
                        else _labels(np.asarray(source[name]), classes))
        except ValueError as error:
            raise DataError(f"{file}: array {name!r}: {error}") from None
    for key in [k for k in out if k.startswith("y")]:
        x_key = "x" + key[1:]
        if len(out[key]) != len(out[x_key]):
            file, x_name = wanted[x_key]
            raise DataError(f"{file}: {x_name!r} has {len(out[x_key])} rows but "
                            f"{wanted[key][1]!r} has {len(out[key])} labels")
    for key, (file, _) in wanted.items():
        if key.startswith("x_"):
            out["source_" + key[2:]] = np.array(str(file))
    out["pool"], out["source_pool"] = np.array(pool[0]), np.array(str(path))
    return out


@dataclass(frozen=True)
class PruningSplits:
    """The three disjoint splits of harmonic pruning, and where each comes from.

    Attributes
    ----------
    arrays : dict
        ``x_train, y_train, x_val, y_val, x_test, y_test`` as
        :func:`relusv.pruning.harmonic_pruning` takes them.
    sources : dict
        Per split (``train``, ``val``, ``test``) a phrase naming its points, e.g.
        ``"'x_val'/'y_val' of data.npz"`` or ``"a seeded split of 'x'/'y' of data.npz"``.
    """

    arrays: dict
    sources: dict

    def size(self, split: str) -> int:
        """The number of points of ``split``."""
        return len(self.arrays[f"y_{split}"])

    def describe(self, split: str) -> str:
        """``"<N> <word> points (<source>)"``, e.g. ``"120 test points (a seeded split ...)"``."""
        return f"{self.size(split)} {_WORDS[split]} points ({self.sources[split]})"


def _rows(x: np.ndarray) -> set[bytes]:
    return {row.tobytes() for row in np.ascontiguousarray(x)}


def _without_shared_test_rows(splits: PruningSplits) -> PruningSplits:
    """``splits`` with the test points that also occur (as identical rows) among the retraining
    or validation points left out of the test split, and their number in its source."""
    seen = _rows(splits.arrays["x_train"]) | _rows(splits.arrays["x_val"])
    x_test = splits.arrays["x_test"]
    keep = np.array([row.tobytes() not in seen for row in np.ascontiguousarray(x_test)],
                    dtype=bool)
    if keep.all():
        return splits
    arrays = {**splits.arrays, "x_test": x_test[keep], "y_test": splits.arrays["y_test"][keep]}
    sources = {**splits.sources, "test": f"{splits.sources['test']}, less {int((~keep).sum())} "
               "points that also occur among the retraining or validation points"}
    return PruningSplits(arrays, sources)


def pruning_splits(data: Mapping[str, np.ndarray], *, val_fraction: float,
                   test_fraction: float, split_seed: int,
                   min_points: int = MIN_SPLIT_POINTS) -> PruningSplits:
    """The retraining, validation and test splits of harmonic pruning (module docstring).

    Parameters
    ----------
    data : mapping
        What :func:`load_data` returned with ``prune=True``.
    val_fraction, test_fraction : float
        Shares of the pool carved out for validation and test (when not given as arrays);
        both in ``(0, 1)`` with a sum below 1.
    split_seed : int
        Seed of the permutation of the pool.
    min_points : int
        The fewest points each split may have.

    Raises
    ------
    DataError
        Too few points in a split, naming every split's size and the options. (Test points
        that also occur among retraining or validation points given as arrays of their own are
        left out of the test split, and the source says how many.)
    """
    for name, value in (("--val-fraction", val_fraction), ("--test-fraction", test_fraction)):
        if not 0 < value < 1:
            raise DataError(f"{name} must be in (0, 1), got {value}")
    if val_fraction + test_fraction >= 1:
        raise DataError(f"--val-fraction {val_fraction} and --test-fraction {test_fraction} "
                        "leave no retraining points; their sum must be below 1")
    given = [split for split in SPLITS if f"x_{split}" in data]
    pool_name = str(data["pool"])
    pool_file = Path(str(data["source_pool"])).name
    if pool_name == "x_test" and "test" in given and not {"train", "val"} <= set(given):
        given.remove("test")  # the pool itself: split it instead of testing on all of it
    pool_label = f"'{pool_name}'/'{pool_name.replace('x', 'y', 1)}'"
    arrays, sources = {}, {}
    for split in given:
        arrays[f"x_{split}"], arrays[f"y_{split}"] = data[f"x_{split}"], data[f"y_{split}"]
        sources[split] = (f"'x_{split}'/'y_{split}' of "
                          f"{Path(str(data['source_' + split])).name}")
    carved = [split for split in SPLITS if split not in given]
    x, y = data["x"], data["y"]
    n = len(y)
    if carved:
        shares = {"val": val_fraction, "test": test_fraction,
                  "train": 1.0 - val_fraction - test_fraction}
        total = sum(shares[s] for s in carved)
        order = np.random.default_rng(split_seed).permutation(n)
        start = 0
        for i, split in enumerate(carved):
            stop = n if i == len(carved) - 1 else start + round(shares[split] / total * n)
            rows = np.sort(order[start:stop])
            arrays[f"x_{split}"], arrays[f"y_{split}"] = x[rows], y[rows]
            sources[split] = (f"a seeded split of {pool_label} of {pool_file}, "
                              f"--split-seed {split_seed}")
            start = stop
    splits = PruningSplits({f"{a}_{s}": arrays[f"{a}_{s}"] for s in ("train", "val", "test")
                            for a in ("x", "y")}, sources)
    if carved != list(SPLITS):  # some split has arrays of its own: make the test held out
        splits = _without_shared_test_rows(splits)
    small = [s for s in ("train", "val", "test") if splits.size(s) < min_points]
    if small:
        sizes = ", ".join(splits.describe(s) for s in ("train", "val", "test"))
        fix = (f"give more than the {n} points of {pool_label}, or change --val-fraction "
               f"({val_fraction}) and --test-fraction ({test_fraction})" if carved else
               "give more points in those arrays")
        raise DataError(f"--prune needs at least {min_points} points in each of its retraining, "
                        f"validation and test splits; got {sizes}: {fix}, or give splits of "
                        "their own (x_train/y_train, x_val/y_val, x_test/y_test; docs/analyse.md)")
    return splits
