"""Parameter counts of dense and double-layer MLPs (paper section V-C, claim C7).

Plain arithmetic, without Keras, so that tables, claims and run-time estimates do not pay for
importing TensorFlow. A dense layer with ``n`` inputs and ``m`` outputs has ``n m + m``
parameters, a double-layer of rank ``r`` has ``r (n + m) + m``;
``tests/test_models.py`` checks both against Keras' ``count_params()``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from relusv._validation import check_nonnegative_int, check_positive_int

__all__ = ["check_widths", "dense_mlp_parameter_count", "double_mlp_parameter_count"]


def check_widths(widths, name: str) -> tuple[int, ...]:
    """``widths`` as a tuple of positive ints; ``ValueError`` naming ``name`` otherwise."""
    if (
        isinstance(widths, str | bytes)
        or not isinstance(widths, Sequence | np.ndarray)
        or len(widths) == 0
    ):
        raise ValueError(f"{name} must be a non-empty sequence of integers, got {widths!r}")
    return tuple(check_positive_int(w, f"{name}[{i}]") for i, w in enumerate(widths))


def dense_mlp_parameter_count(input_dim: int, widths: Sequence[int], classes: int) -> int:
    """Parameters of a dense MLP: ``sum_i (n_i m_i + m_i)`` over hidden layers and the output.

    >>> dense_mlp_parameter_count(3072, (100, 100, 100), 10)
    328510
    """
    input_dim = check_positive_int(input_dim, "input_dim")
    widths = check_widths(widths, "widths")
    classes = check_positive_int(classes, "classes")
    sizes = (input_dim, *widths, classes)
    return sum(n * m + m for n, m in zip(sizes[:-1], sizes[1:], strict=True))


def double_mlp_parameter_count(
    input_dim: int, widths: Sequence[int], ranks: Sequence[int], classes: int
) -> int:
    """Parameters of an MLP of double-layers and a dense output layer.

    Double-layer ``i`` (``n_i`` inputs, ``m_i`` outputs, rank ``r_i``) has ``r_i (n_i + m_i) + m_i``
    parameters; the output layer ``n_L classes + classes``.

    >>> double_mlp_parameter_count(3072, (100, 100, 100), (18, 8, 6), 10)
    61206
    """
    input_dim = check_positive_int(input_dim, "input_dim")
    widths = check_widths(widths, "widths")
    classes = check_positive_int(classes, "classes")
    if isinstance(ranks, str | bytes) or not isinstance(ranks, Sequence | np.ndarray):
        raise ValueError(f"ranks must be a sequence of integers, got {ranks!r}")
    ranks = tuple(check_nonnegative_int(r, f"ranks[{i}]") for i, r in enumerate(ranks))
    if len(ranks) != len(widths):
        raise ValueError(
            f"ranks must have one entry per hidden layer ({len(widths)}), got {len(ranks)}"
        )
    ins = (input_dim, *widths[:-1])
    total = sum(r * (n + m) + m for n, m, r in zip(ins, widths, ranks, strict=True))
    return total + widths[-1] * classes + classes
