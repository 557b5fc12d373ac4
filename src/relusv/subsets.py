"""Correctly and incorrectly classified points of equal size (docs/method.md section 6).

The paper compares a layer's behaviour on points the network classifies correctly with points it
gets wrong, on sets *of the same size* so that widths and bounds are comparable. When a network
makes too few mistakes for a meaningful comparison we say so instead of silently using a smaller
set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from relusv._validation import check_positive_int

log = logging.getLogger(__name__)

POOLS = ("test", "validation", "train", "all")
_POOL_SPLITS = {"test": ("test",), "validation": ("val",), "train": ("train",),
                "all": ("train", "val", "test")}


@dataclass(frozen=True)
class ClassifiedSubsets:
    """Indices into a pool of points, split by whether the network classifies them correctly.

    Attributes
    ----------
    correct, incorrect : (size,) int arrays
        Indices into the pool, sorted; both of length ``size`` when ``measurable``. When not
        measurable, ``incorrect`` is empty and ``correct`` holds up to ``max_size`` points so
        that per-subset quantities can still be shown for the correct points.
    n_correct_available, n_incorrect_available : int
        How many points of the pool fall in each class.
    measurable : bool
        False when fewer than ``min_size`` points were misclassified.
    reason : str or None
        Why the comparison is not measurable.
    """

    correct: np.ndarray
    incorrect: np.ndarray
    n_correct_available: int
    n_incorrect_available: int
    measurable: bool
    reason: str | None

    @property
    def size(self) -> int:
        return len(self.incorrect) if self.measurable else 0

    def summary(self) -> dict:
        return {"n_correct_available": self.n_correct_available,
                "n_incorrect_available": self.n_incorrect_available,
                "size": self.size, "measurable": self.measurable, "reason": self.reason}


def select_subsets(y_true, y_pred, *, max_size: int = 1000, min_size: int = 10,
                   seed: int = 0) -> ClassifiedSubsets:
    """Draw equally sized sets of correctly and incorrectly classified points.

    Parameters
    ----------
    y_true, y_pred : (N,) int arrays
        Labels and the network's predicted classes for the pool.
    max_size : int
        Upper limit on the subset size; the size is ``min(#incorrect, #correct, max_size)``.
    min_size : int
        Fewer misclassified points than this make the comparison not measurable.
    seed : int
        Seed of the draw (without replacement) from each class.
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-d of equal length, got shapes "
                         f"{y_true.shape} and {y_pred.shape}")
    max_size = check_positive_int(max_size, "max_size")
    min_size = check_positive_int(min_size, "min_size")
    rng = np.random.default_rng(seed)
    correct_pool = np.flatnonzero(y_true == y_pred)
    incorrect_pool = np.flatnonzero(y_true != y_pred)
    size = min(len(incorrect_pool), len(correct_pool), max_size)
    measurable = size >= min_size
    reason = None
    if not measurable:
        reason = (f"only {len(incorrect_pool)} misclassified and {len(correct_pool)} correctly "
                  f"classified points in the pool, fewer than subsets.min_size = {min_size}")
        log.warning("correct/incorrect comparison not measurable: %s", reason)
        size = min(len(correct_pool), max_size)

    def draw(pool: np.ndarray, n: int) -> np.ndarray:
        return np.sort(rng.choice(pool, size=n, replace=False)) if n else pool[:0]

    correct = draw(correct_pool, size)
    incorrect = draw(incorrect_pool, size if measurable else 0)
    return ClassifiedSubsets(correct, incorrect, len(correct_pool), len(incorrect_pool),
                             measurable, reason)


def pool_arrays(prepared: dict, pool: str) -> tuple[np.ndarray, np.ndarray]:
    """The inputs and labels of the named pool (``test``, ``validation``, ``train`` or ``all``)."""
    if pool not in _POOL_SPLITS:
        raise ValueError(f"pool must be one of {list(POOLS)}, got {pool!r}")
    splits = _POOL_SPLITS[pool]
    x = np.concatenate([prepared[f"x_{s}"] for s in splits])
    y = np.concatenate([prepared[f"y_{s}"] for s in splits])
    return x, y



def split_for_network(subsets_file, data_file, reselect=None):
    """The correct and incorrect points for a network, as the widths rules take them.

    Parameters
    ----------
    subsets_file : path
        The ``.npz`` the rule ``classified_subsets`` wrote (``x_correct``, ``x_incorrect``).
    data_file : path
        The prepared dataset (read only with ``reselect``).
    reselect : mapping or None
        ``None`` (``widths.split_at: final``): the subsets of ``subsets_file`` for every network.
        Otherwise the subsets' config (``pool``, ``max_size``, ``min_size``, ``seed``): the pool
        classified by the given network and drawn again with :func:`select_subsets`.

    Returns
    -------
    A function of a network's layers (:func:`relusv.weights.load_network_weights`) that gives
    ``{"correct": points, "incorrect": points}``.
    """
    from relusv.data import load_prepared
    from relusv.weights import predict_classes_from_weights

    subsets = np.load(subsets_file)
    final = {"correct": subsets["x_correct"], "incorrect": subsets["x_incorrect"]}
    if reselect is None:
        return lambda network: final
    x_pool, y_pool = pool_arrays(load_prepared(data_file)[0], reselect["pool"])

    def split(network) -> dict[str, np.ndarray]:
        chosen = select_subsets(y_pool, predict_classes_from_weights(network, x_pool),
                                max_size=reselect["max_size"], min_size=reselect["min_size"],
                                seed=reselect["seed"])
        return {"correct": x_pool[chosen.correct], "incorrect": x_pool[chosen.incorrect]}

    return split
