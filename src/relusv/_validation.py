"""Input checks shared by the public functions.

Every public function validates its arguments before doing any work, so that a mistake costs
nothing and the message names the argument, what was expected and what was given.
"""

from __future__ import annotations

import numpy as np


def as_finite_array(value, name: str, ndim: int, *, allow_empty: bool = False) -> np.ndarray:
    """Return ``value`` as a float64 array of ``ndim`` dimensions with only finite entries.

    Raises
    ------
    ValueError
        If the array has the wrong number of dimensions, is empty (unless ``allow_empty``), or
        contains NaN or inf.
    """
    array = np.asarray(value, dtype=np.float64)
    if array.ndim != ndim:
        shape = {1: "(n,)", 2: "(rows, columns)"}.get(ndim, f"{ndim} dimensions")
        raise ValueError(
            f"{name} must be a {ndim}-d array of shape {shape}, got shape {array.shape}")
    if not allow_empty and array.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(f"{name} contains {bad} NaN or inf entries; all entries must be finite")
    return array


def check_positive_int(value, name: str) -> int:
    """Return ``value`` as an int, raising ``ValueError`` unless it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_nonnegative_int(value, name: str) -> int:
    """Return ``value`` as an int, raising ``ValueError`` unless it is an integer >= 0."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def check_choice(value, name: str, choices) -> str:
    """Return ``value`` unchanged, raising ``ValueError`` unless it is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")
    return value


def make_rng(seed) -> np.random.Generator:
    """``np.random.default_rng(seed)``, turning a bad seed into a ValueError naming ``seed``."""
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"seed must be None, a non-negative int, a SeedSequence or a Generator, got {seed!r}"
        ) from error
