"""The data-aware start of :mod:`relusv._bounds_optimiser`: the PCA of a layer's pre-activations.

Beside the paper's start (the truncated SVD of ``W``), ``method="tight"`` starts Adam from the
rank-``k`` PCA reconstruction of the pre-activations ``W x + b`` over the data, which is exact
from the rank of those pre-activations on (:class:`DataAwareStart`).
"""

from __future__ import annotations

import numpy as np


def numerical_rank(singular_values: np.ndarray, shape: tuple[int, int]) -> int:
    """Rank with numpy's default tolerance ``sigma_max * max(shape) * eps``."""
    if singular_values.size == 0 or singular_values[0] == 0.0:
        return 0
    tolerance = singular_values[0] * max(shape) * np.finfo(np.float64).eps
    return int(np.count_nonzero(singular_values > tolerance))


class DataAwareStart:
    """The rank-``k`` PCA reconstruction of a layer's pre-activations over ``X``, as nested
    factors: ``L_k = Q[:, :k] V[:k]`` with ``V = Q^T W`` and bias :meth:`bias` ``(k)``.

    ``Q: (m, r)`` holds the left singular vectors of the pre-activations ``W x (+ b)`` over
    ``X`` (centred by their mean with a free bias, uncentred otherwise) with non-zero singular
    values, ``r = rank``: for ``k >= r`` the map reproduces ``relu(W x + b)`` on ``X`` exactly.
    Units that are dead on ``X`` (``w_j x + b_j <= 0`` at every point) need no rank: their
    output is 0 whatever the other units do, and a zero row of ``L`` gives 0 too, as long as
    the approximant's bias of the unit is ``<= 0`` (free bias: ``c_j = b_j + w_j mu``, the mean
    pre-activation, which is ``<= 0``; fixed bias: ``b_j <= 0``; no bias: always). Those units
    are left out of the PCA (zero rows of ``Q``), so ``rank`` is the rank of the live units'
    pre-activations, at most the number of live units.
    """

    def __init__(self, W: np.ndarray, X: np.ndarray, b: np.ndarray | None, free_bias: bool):
        pre = X @ W.T  # (N, m), without the bias: centring removes it anyway
        dead = np.all(pre + (0.0 if b is None else b) <= 0.0, axis=0)
        if b is not None and not free_bias:
            dead &= b <= 0.0  # with c = b, a zero row gives relu(b_j): 0 only if b_j <= 0
        self.dead_units = int(np.count_nonzero(dead))
        self._b = b
        self._shift = None
        if free_bias:
            mean = pre.mean(axis=0)
            pre = pre - mean
            self._shift = mean  # W mu: c_k = b + W mu - Q_k Q_k^T W mu
        live = ~dead
        _, s_pre, Vt_pre = np.linalg.svd(pre[:, live], full_matrices=False)
        self.rank = numerical_rank(s_pre, (pre.shape[0], int(live.sum())))
        self.Q = np.zeros((W.shape[0], self.rank))  # (m, r), zero rows for the dead units
        self.Q[live] = Vt_pre[: self.rank].T
        self.V = self.Q.T @ W  # (r, n)
        self._projected_shift = None if self._shift is None else self.Q.T @ self._shift

    def bias(self, k: int):
        """The bias ``c_k`` of rank ``k`` (``b`` unless the bias is free; None without one)."""
        if self._shift is None:
            return self._b
        k = min(k, self.rank)
        return self._b + self._shift - self.Q[:, :k] @ self._projected_shift[:k]
