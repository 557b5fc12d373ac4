"""Gaussian and spherical mean width of finite sets and of linear operators (paper section IV).

For a set ``K`` in ``R^d`` the Gaussian mean width is

    w(K) = E_g sup over u in K - K of <g, u>,    g ~ N(0, I_d),

and the spherical mean width ``w_s(K)`` is the same expectation with ``g`` uniform on the unit
sphere. For a finite set with points ``x_1 .. x_N`` (the rows of an ``(N, d)`` array) the supremum
is attained at differences of points, so for each draw

    sup over u in K - K of <g, u> = max_i <g, x_i> - min_i <g, x_i>,

and all draws take one matrix product of the draws ``G`` (one draw a row) with the points
(computed in blocks so that memory stays bounded). The paper instead solved two linear programs
over the convex hull per draw; :func:`gaussian_mean_width_lp` keeps that method as a reference and
uses exactly the same draws as :func:`gaussian_mean_width` for the same ``seed``.

All estimators are Monte Carlo means over ``n_draws`` draws and return a :class:`WidthEstimate`
with the standard error of that mean. Widths are in the units of the points' coordinates.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from relusv._validation import as_finite_array, check_positive_int, make_rng

__all__ = [
    "WidthEstimate",
    "gaussian_mean_width",
    "gaussian_mean_width_lp",
    "gaussian_mean_width_per_draw",
    "gaussian_to_spherical_factor",
    "linear_operator_gaussian_mean_width",
    "spherical_mean_width",
]

#: Default bound on the number of float64 entries of one block of inner products (and of one
#: block of draws): 2**21 entries = 16 MiB.
DEFAULT_CHUNK_SIZE = 2**21

# Smallest number of points per block that draw blocking aims for, so that a huge ``n_draws``
# does not degrade the product into matrix-vector products.
_MIN_POINTS_PER_BLOCK = 256

# Below this dimension c_n is the ratio of two gamma functions (finite up to n ~ 340); from it on,
# the asymptotic series of Gamma(x + 1/2) / Gamma(x), whose truncation error is then < 1e-16.
_CN_SERIES_FROM = 200

# Coefficients a_k of Gamma(x + 1/2) / Gamma(x) ~ sqrt(x) * sum_k a_k x^-k (x -> infinity).
_GAMMA_HALF_RATIO_SERIES = (
    1.0,
    -1.0 / 8.0,
    1.0 / 128.0,
    5.0 / 1024.0,
    -21.0 / 32768.0,
    -399.0 / 262144.0,
    869.0 / 4194304.0,
)


@dataclass(frozen=True)
class WidthEstimate:
    """A Monte Carlo estimate of a mean width.

    Attributes
    ----------
    value : float
        Mean over the draws, in the units of the points' coordinates.
    stderr : float
        Standard error of that mean, ``std(draws, ddof=1) / sqrt(n_draws)``; ``nan`` when
        ``n_draws == 1`` (a single draw says nothing about its spread).
    n_draws : int
        Number of random directions drawn.
    """

    value: float
    stderr: float
    n_draws: int

    @classmethod
    def from_draws(cls, values) -> WidthEstimate:
        """Mean and standard error over per-draw values, shape ``(n_draws,)``, ``n_draws >= 1``.

        The estimate every estimator of this module returns; applied to the per-draw differences
        of two widths over the same draws it gives the paired difference and its standard error.
        """
        values = np.asarray(values, dtype=np.float64)
        n_draws = int(values.shape[0])
        stderr = float(np.std(values, ddof=1) / math.sqrt(n_draws)) if n_draws > 1 else math.nan
        return cls(value=float(np.mean(values)), stderr=stderr, n_draws=n_draws)


# --------------------------------------------------------------------------------------------
# Shared private helpers
# --------------------------------------------------------------------------------------------


def _gaussian_draws(
    rng: np.random.Generator, n_draws: int, dim: int, block: int
) -> Iterator[np.ndarray]:
    """Yield the rows of ``G ~ N(0, I_dim)``, shape ``(n_draws, dim)``, in blocks of ``block`` rows.

    Every estimator in this module draws its directions here, so that the same ``seed`` gives the
    same ``G`` in all of them. ``Generator.standard_normal`` fills its output element by element
    from one stream, so the rows do not depend on how they are split into blocks.
    """
    for start in range(0, n_draws, block):
        yield rng.standard_normal((min(block, n_draws - start), dim))


def _as_finite_2d(value, name: str) -> np.ndarray:
    """``as_finite_array(value, name, 2)``, also naming ``name`` when ``value`` is not numeric."""
    try:
        value = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be an array of real numbers: {error}") from error
    return as_finite_array(value, name, 2)


def _block_sizes(n_draws: int, n_points: int, dim: int, chunk_size: int) -> tuple[int, int]:
    """Draws and points per block so that a block of inner products and one of draws each hold at
    most ``chunk_size`` entries (at least one row and one point)."""
    draws = min(n_draws, max(1, chunk_size // min(n_points, _MIN_POINTS_PER_BLOCK)))
    draws = min(draws, max(1, chunk_size // dim))
    points = min(n_points, max(1, chunk_size // draws))
    return draws, points


def _closed_form_per_draw(
    points: np.ndarray, n_draws: int, rng: np.random.Generator, chunk_size: int, *, spherical: bool
) -> np.ndarray:
    """``max_i <g, x_i> - min_i <g, x_i>`` for every draw ``g``; returns shape ``(n_draws,)``.

    Works through the inner products ``<g, x_i>`` in blocks of at most ``chunk_size`` entries,
    keeping a running maximum and minimum per draw.
    """
    n_points, dim = points.shape
    draws_per_block, points_per_block = _block_sizes(n_draws, n_points, dim, chunk_size)
    widths = np.empty(n_draws)
    row = 0
    for g in _gaussian_draws(rng, n_draws, dim, draws_per_block):
        if spherical:
            g /= np.linalg.norm(g, axis=1, keepdims=True)
        # points @ g.T, shape (points, draws), is faster than g @ points.T with OpenBLAS (about
        # 15 % at N = 10^4, d = 784), reductions then run over axis 0.
        if points_per_block >= n_points:
            products = points @ g.T
            upper = products.max(axis=0)
            lower = products.min(axis=0)
        else:
            upper = np.full(g.shape[0], -np.inf)
            lower = np.full(g.shape[0], np.inf)
            for start in range(0, n_points, points_per_block):
                products = points[start : start + points_per_block] @ g.T
                np.maximum(upper, products.max(axis=0), out=upper)
                np.minimum(lower, products.min(axis=0), out=lower)
        widths[row : row + g.shape[0]] = upper - lower
        row += g.shape[0]
    return widths


def _lp_per_draw(points: np.ndarray, n_draws: int, rng: np.random.Generator) -> np.ndarray:
    """The paper's method: two linear programs over the convex hull per draw; shape ``(n_draws,)``.

    For each draw g: maximise and minimise ``<g, points^T lam>`` over ``lam >= 0``,
    ``sum(lam) = 1`` with HiGHS, and return the difference of the two optimal values.
    """
    n_points, dim = points.shape
    equality = np.ones((1, n_points))
    widths = np.empty(n_draws)
    row = 0
    block = max(1, DEFAULT_CHUNK_SIZE // dim)
    for g_block in _gaussian_draws(rng, n_draws, dim, block):
        for g in g_block:
            scores = points @ g  # (N,): <g, x_i>
            optimum = []
            for sign in (-1.0, 1.0):  # -1: maximise, +1: minimise
                result = optimize.linprog(
                    sign * scores, A_eq=equality, b_eq=[1.0], bounds=(0.0, None), method="highs"
                )
                if result.status != 0:
                    raise RuntimeError(f"linprog failed on draw {row}: {result.message}")
                optimum.append(sign * result.fun)
            widths[row] = optimum[0] - optimum[1]
            row += 1
    return widths


def _width_arguments(points, n_draws, seed, chunk_size=DEFAULT_CHUNK_SIZE):
    """``(points, n_draws, chunk_size, rng)`` of a width of a finite set, checked in that order
    (the default ``chunk_size`` for a function without one)."""
    points = _as_finite_2d(points, "points")
    n_draws = check_positive_int(n_draws, "n_draws")
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    return points, n_draws, chunk_size, make_rng(seed)


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def gaussian_mean_width(
    points, n_draws: int = 100, seed=None, *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> WidthEstimate:
    """Gaussian mean width ``w(K)`` of a finite set, by the closed form over ``K - K``.

    For each draw ``g ~ N(0, I_d)`` the width in direction ``g`` is
    ``max_i <g, x_i> - min_i <g, x_i>`` (= sup over u in K - K of <g, u>); the estimate is the
    mean over draws. Equals ``w(conv K)`` (Corollary 11).

    Parameters
    ----------
    points : (N, d) array_like
        The set K, one point a row; finite, ``N >= 1`` and ``d >= 1``.
    n_draws : int, default 100
        Number of Gaussian directions.
    seed : None, int, SeedSequence or Generator
        Passed to ``np.random.default_rng``. The same int seed gives the same draws here, in
        :func:`gaussian_mean_width_lp` and (for ``d = m``) in
        :func:`linear_operator_gaussian_mean_width`. A Generator is consumed, not copied.
    chunk_size : int, keyword-only, default ``DEFAULT_CHUNK_SIZE`` (2**21)
        Most float64 entries held in one block of inner products ``<g, x_i>`` (draws x points)
        and in one block of draws (draws x d); 2**21 entries are 16 MiB. Only memory and speed
        depend on it, not the result (beyond floating-point rounding).

    Returns
    -------
    WidthEstimate
        ``value`` in the units of the points, ``stderr`` of the mean (``nan`` if
        ``n_draws == 1``), ``n_draws``.

    Raises
    ------
    ValueError
        If ``points`` is not a non-empty finite 2-d array, ``n_draws`` or ``chunk_size`` is not a
        positive int, or ``seed`` is not accepted by ``np.random.default_rng``.
    """
    return WidthEstimate.from_draws(
        gaussian_mean_width_per_draw(points, n_draws, seed, chunk_size=chunk_size))


def gaussian_mean_width_per_draw(
    points, n_draws: int = 100, seed=None, *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> np.ndarray:
    """The width of a finite set in each Gaussian direction: the draws that
    :func:`gaussian_mean_width` averages.

    Two sets in the same dimension measured with the same int ``seed`` share their draws, so the
    per-draw difference of their widths is paired: ``WidthEstimate.from_draws(a - b)`` is the
    difference of the two :func:`gaussian_mean_width` values (to rounding) with the standard
    error of the paired difference, which is far smaller than that of independent draws when the
    two widths move together from draw to draw.

    Parameters
    ----------
    points, n_draws, seed, chunk_size
        As in :func:`gaussian_mean_width`: an ``(N, d)`` set, one point a row; the number of
        Gaussian directions; their seed; the block size (memory only).

    Returns
    -------
    (n_draws,) array
        ``max_i <g, x_i> - min_i <g, x_i>`` for each draw ``g``, in the units of the points;
        ``WidthEstimate.from_draws`` of it is ``gaussian_mean_width(points, n_draws, seed)``.

    Raises
    ------
    ValueError
        As :func:`gaussian_mean_width`.
    """
    points, n_draws, chunk_size, rng = _width_arguments(points, n_draws, seed, chunk_size)
    return _closed_form_per_draw(points, n_draws, rng, chunk_size, spherical=False)


def spherical_mean_width(
    points, n_draws: int = 100, seed=None, *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> WidthEstimate:
    """Spherical mean width ``w_s(K)`` of a finite set: :func:`gaussian_mean_width` with each
    direction ``g`` normalised to the unit sphere (``g / ||g||``, uniform on the sphere).

    With the same seed the directions are those of :func:`gaussian_mean_width`, normalised.
    By Lemma 13, ``w(K) = c_d * w_s(K)`` with ``c_d = gaussian_to_spherical_factor(d)``.

    Parameters, returns and errors are those of :func:`gaussian_mean_width` (``n_draws``
    directions, each normalised).
    """
    points, n_draws, chunk_size, rng = _width_arguments(points, n_draws, seed, chunk_size)
    return WidthEstimate.from_draws(
        _closed_form_per_draw(points, n_draws, rng, chunk_size, spherical=True))


def gaussian_mean_width_lp(points, n_draws: int = 100, seed=None) -> WidthEstimate:
    """Gaussian mean width by the paper's method: two linear programs per draw (reference).

    For each draw ``g ~ N(0, I_d)``: maximise and minimise ``<g, points^T lam>`` over the convex
    hull (``lam >= 0``, ``sum(lam) = 1``) with ``scipy.optimize.linprog(method="highs")``. Uses
    exactly the draws of :func:`gaussian_mean_width` for the same seed, and agrees with it to
    floating-point rounding at roughly 1000x the cost; kept for tests and benchmarks.

    Parameters, returns and ``ValueError`` are those of :func:`gaussian_mean_width` (without
    ``chunk_size``; 2 linear programs per draw); ``RuntimeError`` if HiGHS does not report an
    optimal solution.
    """
    points, n_draws, _, rng = _width_arguments(points, n_draws, seed)
    return WidthEstimate.from_draws(_lp_per_draw(points, n_draws, rng))


def gaussian_to_spherical_factor(n: int) -> float:
    """``c_n = E||g|| = sqrt(2) Gamma((n + 1) / 2) / Gamma(n / 2)`` for ``g ~ N(0, I_n)``.

    The factor of Lemma 13, ``w(K) = c_n w_s(K)``. ``c_n`` is close to ``sqrt(n)``:
    ``c_n / sqrt(n) = 1 - 1/(4n) + 1/(32 n^2) + O(n^-3)``.

    Computed to about one ulp for every n: for ``n < 200`` as the ratio of ``scipy.special.gamma``
    values (both finite there); from 200 on by the asymptotic series of
    ``Gamma(x + 1/2) / Gamma(x)`` with seven terms, whose truncation error is below 1e-16. (The
    difference of ``gammaln`` values would lose about ``eps * gammaln(n / 2)`` to cancellation,
    i.e. relative error 1e-7 at ``n = 10^8``.)

    Parameters
    ----------
    n : int
        Dimension, a positive integer.

    Returns
    -------
    float
        ``c_n`` (dimensionless), finite and positive for every positive int ``n``.

    Raises
    ------
    ValueError
        If ``n`` is not a positive int.
    """
    n = check_positive_int(n, "n")
    if n < _CN_SERIES_FROM:
        return float(math.sqrt(2.0) * special.gamma((n + 1) / 2) / special.gamma(n / 2))
    x = n / 2.0
    inverse = 1.0 / x
    total = 0.0
    for coefficient in reversed(_GAMMA_HALF_RATIO_SERIES):  # Horner in 1/x
        total = total * inverse + coefficient
    return float(math.sqrt(n) * total)


def linear_operator_gaussian_mean_width(
    A, n_draws: int = 1000, seed=None, *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> WidthEstimate:
    """Gaussian mean width ``w(A) = w(A(B))`` of a linear operator (Lemma 14).

    ``A`` maps ``x`` in ``R^n`` to ``A x`` in ``R^m``; its image of the unit ball is symmetric,
    so ``w(A) = 2 E||A^T g||`` with ``g ~ N(0, I_m)``, estimated by the mean over draws. Bounds:
    ``2 sqrt(2/pi) sigma_0(A) <= w(A) <= 2 ||A||_F``.

    Parameters
    ----------
    A : (m, n) array_like
        The matrix; finite and non-empty.
    n_draws : int, default 1000
        Number of Gaussian draws ``g`` in ``R^m``.
    seed : None, int, SeedSequence or Generator
        Passed to ``np.random.default_rng``; with the same int seed and ``n_draws`` the draws are
        those that :func:`gaussian_mean_width` uses on points in ``R^m``.
    chunk_size : int, keyword-only, default 2**21
        Most float64 entries in one block of draws (draws x m) and of ``G A`` (draws x n).

    Returns
    -------
    WidthEstimate
        ``value`` in the units of ``A x`` (for ``x`` in the unit ball), ``stderr`` (``nan`` if
        ``n_draws == 1``), ``n_draws``.

    Raises
    ------
    ValueError
        If ``A`` is not a non-empty finite 2-d array, ``n_draws`` or ``chunk_size`` is not a
        positive int, or ``seed`` is not accepted by ``np.random.default_rng``.
    """
    A = _as_finite_2d(A, "A")
    n_draws = check_positive_int(n_draws, "n_draws")
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    rng = make_rng(seed)
    m, n = A.shape
    block = min(n_draws, max(1, chunk_size // max(m, n)))
    values = np.empty(n_draws)
    row = 0
    for g in _gaussian_draws(rng, n_draws, m, block):
        values[row : row + g.shape[0]] = 2.0 * np.linalg.norm(g @ A, axis=1)
        row += g.shape[0]
    return WidthEstimate.from_draws(values)
