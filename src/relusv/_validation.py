"""Input checks shared by the public functions.

Every public function validates its arguments before doing any work, so that a mistake costs
nothing and the message names the argument, what was expected and what was given.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

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


def check_optional_int(value, name: str, minimum: int) -> int | None:
    """Return ``value`` as an int or None, raising ``ValueError`` unless None or an integer
    >= ``minimum``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be None or an integer >= {minimum}, got {value!r}")
    return int(value)


def check_real(value, name: str, *, low: float = -math.inf, high: float = math.inf,
               low_open: bool = False, high_open: bool = False) -> float:
    """Return ``value`` as a float, raising ``ValueError`` unless it is a finite real number in
    the interval from ``low`` to ``high`` (each end closed unless ``*_open``)."""
    ok = not isinstance(value, bool) and isinstance(value, int | float | np.floating | np.integer)
    if ok:
        number = float(value)
        ok = (math.isfinite(number)
              and (number > low if low_open else number >= low)
              and (number < high if high_open else number <= high))
    if not ok:
        interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{name} must be a finite number in {interval}, got {value!r}")
    return number


def check_positive_real(value, name: str) -> float:
    """Return ``value`` as a float, raising ``ValueError`` unless it is finite and > 0."""
    return check_real(value, name, low=0.0, low_open=True)


def check_nonnegative_real(value, name: str) -> float:
    """Return ``value`` as a float, raising ``ValueError`` unless it is finite and >= 0."""
    return check_real(value, name, low=0.0)


def check_fraction(value, name: str) -> float:
    """Return ``value`` as a float, raising ``ValueError`` unless it lies strictly in (0, 1)."""
    return check_real(value, name, low=0.0, high=1.0, low_open=True, high_open=True)


def check_architectures(architectures, input_dim: int | None = None) -> list[dict]:
    """Check MLP specs ``[{widths, ranks, name?}, ...]`` and give each its name.

    Parameters
    ----------
    architectures : non-empty sequence of mappings
        ``widths``: positive ints; ``ranks``: None (dense) or one non-negative int per width;
        ``name``: optional, default :func:`relusv.paper.architecture_name`.
    input_dim : int, optional
        With it, every rank is checked against ``min(inputs, outputs)`` of its layer.

    Returns
    -------
    list of dict with ``name`` (str), ``widths`` (tuple), ``ranks`` (tuple or None).

    Raises
    ------
    ValueError
        Naming the architecture (by index) and what is wrong; also for repeated names.
    """
    from relusv.paper import architecture_name

    if isinstance(architectures, Mapping | str) or not isinstance(architectures, Sequence) \
            or not architectures:
        raise ValueError("architectures must be a non-empty sequence of mappings")
    out = []
    for j, arch in enumerate(architectures):
        if not isinstance(arch, Mapping) or "widths" not in arch:
            raise ValueError(f"architectures[{j}] must be a mapping with 'widths' (and optionally "
                             f"'name', 'ranks'), got {arch!r}")
        widths = tuple(check_positive_int(w, f"architectures[{j}].widths[...]")
                       for w in arch["widths"])
        if not widths:
            raise ValueError(f"architectures[{j}].widths must not be empty")
        ranks = arch.get("ranks")
        if ranks is not None:
            ranks = tuple(check_nonnegative_int(r, f"architectures[{j}].ranks[...]")
                          for r in ranks)
            if len(ranks) != len(widths):
                raise ValueError(f"architectures[{j}] needs one rank per width")
            if input_dim is not None:
                for r, n, m in zip(ranks, (input_dim, *widths[:-1]), widths, strict=True):
                    if r > min(n, m):
                        raise ValueError(f"architectures[{j}]: rank {r} above min({n}, {m})")
        name = str(arch.get("name") or architecture_name(widths, ranks))
        out.append({"name": name, "widths": widths, "ranks": ranks})
    if len({a["name"] for a in out}) != len(out):
        raise ValueError("architecture names must be distinct")
    return out


def check_path(value, name: str) -> Path:
    """Return ``Path(value)``, raising ``ValueError`` unless ``value`` is a non-empty str or
    ``os.PathLike``."""
    if not isinstance(value, str | os.PathLike) or not str(value):
        raise ValueError(f"{name} must be a non-empty path, got {value!r}")
    return Path(value)


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
