"""The smallest ball enclosing a finite point set, with a certified bound on its radius.

For points ``p_1, ..., p_N`` in ``R^m`` (one a row of ``P``), the minimum enclosing ball problem
is

    r* = min over c of max over i of ||p_i - c||.

It is the exact rank-0 data-dependent ReLU singular value with a free bias: with targets
``t_i = relu(W x_i + b) >= 0``, ``s_0 = min over c of max_i ||t_i - relu(c)||`` equals the radius
of the smallest ball enclosing the ``t_i``. Indeed ``relu(c)`` ranges over the nonnegative
orthant only, but the optimal centre is a convex combination of the points (below), hence
nonnegative when they are, so ``relu(c) = c`` loses nothing.

Dual. ``r*^2`` is the maximum over the simplex ``{lambda >= 0, sum lambda = 1}`` of

    f(lambda) = sum_i lambda_i ||p_i||^2 - ||sum_i lambda_i p_i||^2
              = sum_i lambda_i ||p_i - c(lambda)||^2,      c(lambda) = P^T lambda,

and the optimal centre is ``c(lambda*)``, a convex combination of the points. For nonnegative
points each coordinate of ``P^T lambda`` is a sum of nonnegative products, so the centre is
nonnegative, in float64 arithmetic too.

Certificate. Every ``lambda`` on the simplex gives ``f(lambda) <= r*^2`` (weak duality: ``f`` is a
``lambda``-average of squared distances from ``c(lambda)``, and ``sum_i lambda_i ||p_i - x||^2``
is smallest at ``x = c(lambda)``, so ``f(lambda) <= max_i ||p_i - x||^2`` for every ``x``). So
``sqrt(f(lambda)) <= r* <= max_i ||p_i - c(lambda)||``: :func:`smallest_enclosing_ball` returns
both ends, each evaluated in float64 from the final weights, and their relative gap.

Algorithm: Frank-Wolfe with away steps on the dual, with exact line searches (Yildirim 2008,
"Two algorithms for the minimum enclosing ball problem", SIAM J. Optim. 19(3)), which converges
linearly. The products ``P c`` are updated incrementally, O(N m) per step at most (O(N) when the
point stepped to was visited before), and recomputed from scratch every few hundred steps.

Units: radii and centres are in the units of the points.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from relusv._validation import as_finite_array, check_fraction, check_positive_int

__all__ = ["EnclosingBall", "smallest_enclosing_ball"]

logger = logging.getLogger(__name__)

#: Steps between recomputations from scratch of the incrementally updated products.
_REFRESH_EVERY = 200
#: Memory (bytes) for cached columns ``Q q_j`` of the Gram matrix of the translated points.
_CACHE_BYTES = 64 * 2**20


@dataclass(frozen=True, eq=False)
class EnclosingBall:
    """The smallest enclosing ball of a point set, to a certified relative gap.

    Attributes
    ----------
    centre : (m,) float64 array
        ``weights @ points``: a convex combination of the points (read-only).
    radius : float
        ``max_i ||points[i] - centre||`` evaluated in float64: the primal value, an upper bound
        on the optimal radius ``r*``, in the units of the points.
    lower_bound : float
        ``sqrt(sum_i weights[i] ||points[i] - centre||^2)``, the square root of the dual
        objective at ``weights``: a lower bound on ``r*`` (up to float64 rounding).
    relative_gap : float
        ``(radius - lower_bound) / radius``, 0 if ``radius == 0``; the relative error of
        ``radius`` as an approximation of ``r*`` is at most this.
    weights : (N,) float64 array
        The dual weights ``lambda >= 0`` with ``sum(lambda) = 1`` (read-only); positive only on
        points at (or, before convergence, near) the sphere.
    iterations : int
        Frank-Wolfe and away steps taken.
    """

    centre: np.ndarray
    radius: float
    lower_bound: float
    relative_gap: float
    weights: np.ndarray
    iterations: int

    def __post_init__(self):
        self.centre.setflags(write=False)
        self.weights.setflags(write=False)


def _toward_step(d_j: float, f0: float) -> float:
    """Exact line search toward vertex ``j``: the ``a`` in [0, 1] maximising
    ``f0 + a (d_j - f0) - a^2 d_j`` (the dual along ``lambda + a (e_j - lambda)``)."""
    if d_j <= 0.0:
        return 0.0
    return min(max((d_j - f0) / (2.0 * d_j), 0.0), 1.0)


def _away_step(d_k: float, f0: float, lambda_k: float) -> float:
    """Exact line search away from support vertex ``k``: the ``a`` in
    [0, lambda_k / (1 - lambda_k)] maximising ``f0 + a (f0 - d_k) - a^2 d_k`` (the dual along
    ``lambda + a (lambda - e_k)``). The cap makes ``lambda_k`` zero (a drop step)."""
    if lambda_k >= 1.0:
        return 0.0
    cap = lambda_k / (1.0 - lambda_k)
    if d_k <= 0.0:
        return cap if f0 > 0.0 else 0.0
    return min(max((f0 - d_k) / (2.0 * d_k), 0.0), cap)


def _gap(primal: float, dual: float) -> float:
    """``(sqrt(primal) - sqrt(dual)) / sqrt(primal)`` for squared radii, 0 if ``primal <= 0``."""
    if primal <= 0.0:
        return 0.0
    radius = math.sqrt(primal)
    return (radius - math.sqrt(max(dual, 0.0))) / radius


def smallest_enclosing_ball(points, *, relative_gap: float = 1e-9,
                            max_iterations: int = 100_000) -> EnclosingBall:
    """Smallest ball enclosing a finite point set, to a certified relative duality gap.

    Parameters
    ----------
    points : (N, m) array_like of finite floats
        One point a row, ``N >= 1``, ``m >= 1``. Repeated points are allowed.
    relative_gap : float in (0, 1), optional
        Stop once ``(radius - lower_bound) / radius`` is at most this (measured on the running
        quantities, then confirmed on ones recomputed from scratch). Gaps below about 1e-15
        are beyond float64 and run to ``max_iterations``.
    max_iterations : int >= 1, optional
        Cap on the number of steps. Reaching it without the gap is not an error: the result is
        returned with its (larger) ``relative_gap`` and a warning is logged.

    Returns
    -------
    EnclosingBall
        ``centre`` (m,), ``radius`` and ``lower_bound`` in the units of the points, their
        ``relative_gap``, the dual ``weights`` (N,) and the number of ``iterations``.

    Raises
    ------
    ValueError
        If ``points`` is not a non-empty 2-d array of finite numbers, ``relative_gap`` is not in
        (0, 1) or ``max_iterations`` is not a positive integer.

    Notes
    -----
    Frank-Wolfe with away steps and exact line searches on the dual (module docstring). The
    points are translated by one of them for the iteration (the problem is translation
    invariant), which keeps the squared distances ``||q_i||^2 - 2 q_i.c + ||c||^2`` free of
    cancellation when the points lie far from the origin, and scaled to unit size, which keeps
    squares of tiny or huge coordinates in range. The reported centre, radius and lower bound
    are computed (scaled likewise) from the original points and the final weights.
    """
    try:
        P = as_finite_array(points, "points", 2)
    except (TypeError, ValueError) as error:
        if str(error).startswith("points"):
            raise
        raise ValueError(f"points must be a 2-d array of finite numbers, got {points!r:.80}"
                         ) from error
    if P.shape[1] == 0:
        raise ValueError(f"points must have at least one coordinate, got shape {P.shape}")
    gap_target = check_fraction(relative_gap, "relative_gap")
    max_iterations = check_positive_int(max_iterations, "max_iterations")
    n_points = P.shape[0]

    # Initialisation (Yildirim): from the first point go to the farthest point alpha, then to
    # the point beta farthest from alpha; weights 1/2 on each. Translate by p_alpha.
    alpha = int(np.argmax(np.einsum("ij,ij->i", P - P[0], P - P[0])))
    Q = P - P[alpha]
    scale = float(np.max(np.abs(Q)))
    if scale > 0.0:  # squared distances of unit order: no underflow or overflow
        Q /= scale
    sq = np.einsum("ij,ij->i", Q, Q)
    beta = int(np.argmax(sq))
    lam = np.zeros(n_points)
    if sq[beta] > 0.0:
        lam[alpha] = lam[beta] = 0.5
    else:  # all points coincide
        lam[alpha] = 1.0

    cache: dict[int, np.ndarray] = {}
    cache_size = max(1, _CACHE_BYTES // (8 * n_points))

    def column(j: int) -> np.ndarray:
        """``Q @ q_j``, cached."""
        col = cache.get(j)
        if col is None:
            if len(cache) >= cache_size:
                cache.clear()
            col = cache[j] = Q @ Q[j]
        return col

    def refresh() -> np.ndarray:
        """``Q @ c`` recomputed from scratch (and the weights renormalised)."""
        np.maximum(lam, 0.0, out=lam)
        np.divide(lam, lam.sum(), out=lam)
        support = np.flatnonzero(lam)
        return Q @ (lam[support] @ Q[support])

    g = refresh()
    iterations = 0
    since_refresh = 0
    fresh = True  # g was just recomputed
    converged = False
    stalled = False
    while True:
        cc = float(lam @ g)  # ||c||^2
        d = sq - 2.0 * g + cc  # squared distances from the centre
        np.maximum(d, 0.0, out=d)
        f0 = float(lam @ d)  # the dual objective
        j = int(np.argmax(d))
        primal = float(d[j])
        if _gap(primal, f0) <= gap_target:
            if fresh:
                converged = True
                break
            g, fresh, since_refresh = refresh(), True, 0
            continue
        if iterations >= max_iterations:
            break
        k = int(np.argmin(np.where(lam > 0.0, d, np.inf)))
        if primal - f0 >= f0 - d[k]:  # Frank-Wolfe step toward p_j
            a = _toward_step(primal, f0)
            if a > 0.0:
                lam *= 1.0 - a
                lam[j] += a
                g *= 1.0 - a
                g += a * column(j)
        else:  # away step from p_k
            lam_k = float(lam[k])
            a = _away_step(float(d[k]), f0, lam_k)
            if a > 0.0:
                cap = lam_k / (1.0 - lam_k)
                lam *= 1.0 + a
                g *= 1.0 + a
                g -= a * column(k)
                if a >= cap:  # drop step
                    lam[k] = 0.0
                else:
                    lam[k] -= a
        if a <= 0.0:  # no progress from the running quantities
            if fresh:
                stalled = True
                break
            g, fresh, since_refresh = refresh(), True, 0
            continue
        iterations += 1
        since_refresh += 1
        fresh = False
        if since_refresh >= _REFRESH_EVERY:
            g, fresh, since_refresh = refresh(), True, 0

    lam[lam < 0.0] = 0.0
    lam /= lam.sum()
    centre = lam @ P
    diff = P - centre
    scale = float(np.max(np.abs(diff)))
    if scale > 0.0:
        diff /= scale
    dist2 = np.einsum("ij,ij->i", diff, diff)
    radius = scale * math.sqrt(float(dist2.max()))
    lower = min(scale * math.sqrt(float(lam @ dist2)), radius)
    gap = (radius - lower) / radius if radius > 0.0 else 0.0
    if not converged:
        reason = ("no step improves the dual in float64" if stalled
                  else f"max_iterations={max_iterations} reached")
        logger.warning("smallest_enclosing_ball: %s with relative gap %.3g > %.3g "
                       "(N=%d, m=%d)", reason, gap, gap_target, n_points, P.shape[1])
    return EnclosingBall(centre=centre, radius=radius, lower_bound=lower, relative_gap=gap,
                         weights=lam, iterations=iterations)
