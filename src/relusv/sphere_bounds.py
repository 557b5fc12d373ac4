"""ReLU singular value bounds on the unit sphere: the paper's sample bound and a refined one.

For an unbiased layer ``relu(W .)`` the ReLU singular value is a supremum over the whole unit
sphere ``S`` (docs/method.md section 2),

    s_k(relu(W .)) = inf over rank(L) <= k of sup over x in S of ||relu(W x) - relu(L x)||.

The paper (section II-B, Figure 2) fits ``L`` by Adam on ``N`` sphere points and reports the
largest error over the same points: the worst error *on the sample*. In more than a few
dimensions a sample misses most of the worst directions, so that number is optimistic (on random
20x20 layers about 0.6 sigma_k, where the same approximants err by about 0.9 sigma_k elsewhere on
the sphere). :func:`sphere_bounds` reports both:

- ``bounds_sample``: the paper's number, the largest error over the optimisation sample of the
  approximant fitted on it (:func:`relusv.singular_values.relu_singular_value_bounds`);
- ``bounds_refined``: the largest error of the reported approximant found off the sample, on
  fresh held-out samples and by projected gradient ascent on ``S`` (started from the worst
  held-out and sample points and from uniform held-out points), capped by ``sigma_k``. The SVD
  truncation ``W_k`` errs by at most ``sigma_k`` everywhere (Lemma 5), so ``sigma_k`` is a
  certified bound and the cap keeps the result an upper bound whenever it bites. Otherwise the
  refined value is an estimate from below of the approximant's error over ``S`` (ascent finds
  local maxima, not necessarily the global one), far closer to it than the sample's.

The optimisation targets the sphere, not the sample: ``rounds`` rounds, each of which adds the
ascent's worst points to the optimisation set and refits all ranks; per rank the candidate with
the smallest refined value over the rounds (``W_k`` with its exact ``sigma_k`` among them) is
reported, after a last check of its error on fresh points.

Units: bounds and singular values are in the operator-norm units of ``W``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from relusv._bounds_optimiser import threadpool_limits
from relusv._bounds_starts import numerical_rank
from relusv._validation import (
    as_finite_array,
    check_optional_int,
    check_positive_int,
    check_positive_real,
    make_rng,
)
from relusv.singular_values import (
    EARLY_STOPPING_PATIENCE,
    _check_ranks,
    _rank_index,
    check_early_stopping,
    relu_singular_value_bounds,
    sample_unit_sphere,
)

__all__ = ["SphereBounds", "sphere_bounds"]

# The ascent (see _ascent): normalised projected-gradient steps on the sphere, each a turn by an
# angle along the tangent gradient, the angle decaying geometrically from _FIRST_ANGLE to
# _LAST_ANGLE radians over the steps and scaled per start by one of _ANGLE_LEVELS; each start
# keeps the best point it reached. The errors are piecewise smooth with maxima on their kinks,
# where steps that must increase the error stall; decaying steps do not. Of the starts, a
# fraction _RANDOM_FRACTION are uniform (held-out) points and the rest the worst sampled points:
# at the highest ranks of a 20x20 layer the worst points lead into the same few basins and
# miss thin regions of larger error that random starts find.
_FIRST_ANGLE = 0.1
_LAST_ANGLE = 0.001
_ANGLE_LEVELS = (0.3, 1.0, 3.0)
_RANDOM_FRACTION = 0.5

# Each round adds, per rank, this many of the highest end points of its ascent to the
# optimisation set of the next round.
_ADDED_PER_RANK = 10

# Points per block when errors are evaluated over a large set (K ranks x block x m float64
# entries stay below 32 MiB).
_BLOCK_ENTRIES = 2**22


@dataclass(frozen=True, eq=False)
class SphereBounds:
    """Bounds on the ReLU singular values of an unbiased layer over the unit sphere, per rank.

    Arrays of shape ``(K,)`` are indexed like ``ranks``; all arrays are read-only.

    Attributes
    ----------
    ranks : (K,) int array
        The ranks ``k``, increasing, without repeats.
    linear_singular_values : (K,) float64 array
        ``sigma_k(W)`` (0 for ``k = min(m, n)``).
    bounds_sample : (K,) float64 array
        The paper's number: the largest error over the ``n_points`` optimisation points of the
        approximant fitted on them in the first round (non-increasing in ``k``, at most the SVD
        truncation's error over the sample). Not an upper bound on ``s_k``.
    bounds_refined : (K,) float64 array
        ``min(sigma_k, e_k)``, ``e_k`` the largest error of :meth:`approximant` found on fresh
        held-out samples and by projected gradient ascent on the sphere (in its round and in the
        last check), made non-increasing in ``k`` (a rank-``j`` approximant is admissible for
        every ``k >= j``). Exactly 0 for ``k >= rank(W)``.
    round_estimates : (rounds, K) float64 array
        The largest error found of each round's approximant, not capped (``nan`` for
        ``k >= rank(W)``).
    check_estimates : (K,) float64 array
        The last check's largest error of the approximant chosen over the rounds, not capped
        (``nan`` where ``W_k`` was chosen and for ``k >= rank(W)``).
    source_round : (K,) int array
        Where the reported approximant comes from: 0 for the SVD truncation ``W_j`` with its
        certified bound ``sigma_j``, ``r >= 1`` for the approximant fitted in round ``r``; -1 for
        ``k >= rank(W)`` (the truncation at ``rank(W)``, error 0 up to rounding).
    source_rank : (K,) int array
        The rank ``j <= k`` of the reported approximant (``j < k`` where a lower rank's
        approximant has the smaller refined value).
    n_points, holdout_points, ascent_starts, ascent_steps, rounds, steps : int
        The settings used (``steps``: Adam steps per round).
    learning_rate : float
        Adam's relative learning rate.
    tolerance : float
        Early stopping's relative tolerance (0: none).
    patience : int or None
        Early stopping's window in Adam steps.
    optimisation_points : int
        Size of the last round's optimisation set (``n_points`` plus the added ascent points).
    approximants : tuple of (m, n) float64 arrays
        The reported approximant per rank; use :meth:`approximant`.
    """

    ranks: np.ndarray
    linear_singular_values: np.ndarray
    bounds_sample: np.ndarray
    bounds_refined: np.ndarray
    round_estimates: np.ndarray
    check_estimates: np.ndarray
    source_round: np.ndarray
    source_rank: np.ndarray
    n_points: int
    holdout_points: int
    ascent_starts: int
    ascent_steps: int
    rounds: int
    steps: int
    learning_rate: float
    tolerance: float
    patience: int | None
    optimisation_points: int
    approximants: tuple = field(repr=False)

    def __post_init__(self):
        for name in (
            "ranks",
            "linear_singular_values",
            "bounds_sample",
            "bounds_refined",
            "round_estimates",
            "check_estimates",
            "source_round",
            "source_rank",
        ):
            getattr(self, name).setflags(write=False)
        for L in self.approximants:
            L.setflags(write=False)

    def approximant(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The reported rank-``k`` approximant ``(L, c)``, whose refined bound is
        ``bounds_refined`` at rank ``k``.

        Returns
        -------
        L : (m, n) float64 array
            Of rank at most ``k`` (the SVD truncation where the cap ``sigma_k`` bites).
        c : (m,) float64 array
            Zeros: the layer and its approximant have no bias.

        Raises
        ------
        ValueError
            If ``k`` is not one of ``ranks``.
        """
        L = self.approximants[_rank_index(self.ranks, k)]
        return L.copy(), np.zeros(L.shape[0])


def sphere_bounds(
    W,
    *,
    n_points: int,
    seed,
    steps: int = 500,
    learning_rate: float = 0.1,
    tolerance: float = 0.0,
    patience: int | None = EARLY_STOPPING_PATIENCE,
    holdout_points: int = 10000,
    ascent_starts: int = 600,
    ascent_steps: int = 150,
    rounds: int = 3,
    ranks: Sequence[int] | None = None,
    n_threads: int | None = None,
) -> SphereBounds:
    """The paper's sample bounds and refined bounds on ``s_k(relu(W .))`` over the unit sphere.

    Round 1 fits each rank's approximant ``L`` on ``n_points`` uniform sphere points with
    :func:`relusv.singular_values.relu_singular_value_bounds` (Adam from the truncated SVD);
    ``bounds_sample`` is its result. Every round then evaluates its approximants off the
    optimisation set: the errors over ``holdout_points`` fresh sphere points, and projected
    gradient ascent on the sphere (``ascent_steps`` steps) from ``ascent_starts`` points per rank
    (half its worst held-out and optimisation points, half uniform held-out points, see
    :func:`_refine`); its estimate is the largest error found. The next round adds each rank's
    highest ascent end points to the optimisation set and refits all ranks from the truncated
    SVD. Per rank the candidate with the smallest value is
    chosen, each round's approximant with its estimate or ``W_k`` with its exact ``sigma_k``
    (Lemma 5); a chosen approximant is checked once more the same way (fresh held-out points,
    ascent from them and from the worst points of the final optimisation set, which holds every
    round's worst points), its value is the larger of the two estimates, capped by ``sigma_k``
    (where the cap bites, ``W_k`` is reported). Last, a running minimum over the ranks.

    Parameters
    ----------
    W : (m, n) array_like
        Weights of the unbiased layer ``relu(W .)``, finite entries.
    n_points : int
        Sphere points of the first round's optimisation set (the paper's sample), >= 1.
    seed : None, int, SeedSequence or Generator
        Draws the sample and the held-out points; the same seed gives the same numbers.
    steps, learning_rate
        Adam's steps per round and relative learning rate
        (:func:`relusv.singular_values.relu_singular_value_bounds`).
    tolerance, patience
        Early stopping of each round's Adam, as in
        :func:`relusv.singular_values.relu_singular_value_bounds` (``steps`` is then the cap;
        ``tolerance = 0``, the default: every rank takes ``steps`` steps). Measured on Figure 2's
        layers (2x2 ... 20x20, 10,000 points, 1000 steps, 3 rounds; ``benchmarks/PROFILING.md``):
        with ``1e-4`` and 75 the sample bounds are bitwise those of the fixed steps and 14 of 111
        refined bounds move, by at most 0.21 %, at a 3.6x smaller cost.
    holdout_points : int
        Fresh sphere points per round (and for the last check) on which the approximants are
        evaluated, >= 1.
    ascent_starts : int
        Starts of the ascent per rank, >= 1 (at most all held-out and optimisation points): half
        the rank's worst points, half uniform held-out points.
    ascent_steps : int
        Steps of the ascent from each start, >= 1.
    rounds : int
        Optimisation rounds, >= 1 (1: the fit on the sample only, evaluated off it).
    ranks : sequence of int or None
        Ranks in ``0 .. min(m, n)``; ``None``: all of ``0 .. min(m, n) - 1``.
    n_threads : int or None
        Worker threads of the Adam optimisation (the result does not depend on it).

    Returns
    -------
    SphereBounds

    Raises
    ------
    ValueError
        Before any work, naming the argument, if ``W`` is not a finite 2-d array, a count is not
        a positive integer, ``learning_rate`` is not positive, a rank is out of range or
        ``seed`` is not a valid seed.
    """
    W = as_finite_array(W, "W", 2)
    m, n = W.shape
    rank_list = _check_ranks(ranks, min(m, n))
    n_points = check_positive_int(n_points, "n_points")
    steps = check_positive_int(steps, "steps")
    learning_rate = check_positive_real(learning_rate, "learning_rate")
    tolerance, patience = check_early_stopping(tolerance, patience)
    holdout_points = check_positive_int(holdout_points, "holdout_points")
    ascent_starts = check_positive_int(ascent_starts, "ascent_starts")
    ascent_steps = check_positive_int(ascent_steps, "ascent_steps")
    rounds = check_positive_int(rounds, "rounds")
    n_threads = check_optional_int(n_threads, "n_threads", 1)
    rng = make_rng(seed)
    with _one_blas_thread():
        return _sphere_bounds(W, rank_list, n_points=n_points, rng=rng, steps=steps,
                              learning_rate=learning_rate, tolerance=tolerance,
                              patience=patience, holdout_points=holdout_points,
                              ascent_starts=ascent_starts, ascent_steps=ascent_steps,
                              rounds=rounds, n_threads=n_threads)


def _one_blas_thread():
    """BLAS pinned to one thread where ``threadpoolctl`` is installed: the ascent's many small
    products run ~20x slower with OpenBLAS's own threads on a busy machine, and the numbers do
    not depend on the machine's cores."""
    if threadpool_limits is None:  # pragma: no cover - depends on the environment
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _sphere_bounds(W, rank_list, *, n_points, rng, steps, learning_rate, tolerance, patience,
                   holdout_points, ascent_starts, ascent_steps, rounds,
                   n_threads) -> SphereBounds:
    """:func:`sphere_bounds` on validated inputs."""
    m, n = W.shape

    U, sigma, Vt = np.linalg.svd(W, full_matrices=False)
    ranks_arr = np.array(rank_list, dtype=np.int64)
    K = len(rank_list)
    sigma_k = np.concatenate([sigma, [0.0]])[ranks_arr]
    rank_w = numerical_rank(sigma, W.shape)
    active = np.flatnonzero(ranks_arr < rank_w)  # positions with work; the others: bound 0

    def refine(L, X):  # a fresh held-out sample, then the ascent; see _refine
        holdout = sample_unit_sphere(holdout_points, n, seed=int(rng.integers(2**31)))
        if L.shape[0] == 0:
            return np.empty(0), np.empty((0, 0, n))
        return _refine(W, L, np.concatenate([X, holdout]), ascent_starts, ascent_steps)

    def candidate(i: int, round_number: int) -> np.ndarray:
        """Rank position i's L: round_number's approximant, or W_k (for k >= rank(W): the
        truncation at rank(W)) for round_number <= 0."""
        if round_number > 0:
            return candidates[round_number - 1][int(np.searchsorted(active, i))]
        j = min(int(ranks_arr[i]), rank_w)
        return (U[:, :j] * sigma[:j]) @ Vt[:j]

    X = sample_unit_sphere(n_points, n, seed=int(rng.integers(2**31)))
    fits, candidates = [], []
    estimates = np.full((rounds, K), np.nan)
    for round_index in range(rounds):
        fit = relu_singular_value_bounds(
            W, X, ranks=rank_list, method="paper", steps=steps, learning_rate=learning_rate,
            tolerance=tolerance, patience=patience, seed=int(rng.integers(2**31)),
            n_threads=n_threads)
        L = np.array([fit.approximant(int(ranks_arr[i]))[0] for i in active]).reshape(-1, m, n)
        estimates[round_index, active], worst = refine(L, X)
        fits.append(fit)
        candidates.append(L)
        if round_index + 1 < rounds:
            X = np.concatenate([X, worst.reshape(-1, n)])
    optimisation_points = len(X)
    X = np.concatenate([X, worst.reshape(-1, n)])  # the last round's worst points, for the check

    # Per rank the candidate with the smallest value: column 0 W_k with sigma_k, column r the
    # approximant of round r with its estimate.
    values = np.column_stack([sigma_k, estimates.T])[active]
    chosen = np.argmin(values, axis=1) if len(active) else np.empty(0, dtype=np.int64)
    # The last check, from the worst points of all rounds (in X) and fresh ones: the smallest
    # of several estimates is biased low, a fresh estimate of the chosen one is not.
    L = np.array([candidate(i, r) for i, r in zip(active, chosen, strict=True)]).reshape(-1, m, n)
    check, _ = refine(L, X)
    check = np.where(chosen > 0, check, np.nan)
    found = np.fmax(values[np.arange(len(active)), chosen], check)
    check_estimates = np.full(K, np.nan)
    check_estimates[active] = check
    # The cap: where the chosen approximant errs by sigma_k or more, W_k with its sigma_k.
    own_round = np.full(K, -1, dtype=np.int64)
    own_round[active] = np.where(found >= sigma_k[active], 0, chosen)
    own_value = np.zeros(K)
    own_value[active] = np.minimum(found, sigma_k[active])
    # A rank-j approximant is admissible for every k >= j: a running minimum over the ranks.
    refined = np.minimum.accumulate(own_value)
    source = np.array([int(np.flatnonzero(own_value[: i + 1] == refined[i])[0]) for i in range(K)],
                      dtype=np.int64)
    return SphereBounds(
        ranks=ranks_arr,
        linear_singular_values=sigma_k,
        bounds_sample=np.array(fits[0].bounds),
        bounds_refined=refined,
        round_estimates=estimates,
        check_estimates=check_estimates,
        source_round=own_round[source],
        source_rank=ranks_arr[source],
        n_points=n_points,
        holdout_points=holdout_points,
        ascent_starts=ascent_starts,
        ascent_steps=ascent_steps,
        rounds=rounds,
        steps=steps,
        learning_rate=learning_rate,
        tolerance=tolerance,
        patience=patience,
        optimisation_points=optimisation_points,
        approximants=tuple(candidate(int(i), int(own_round[i])) for i in source),
    )


# --------------------------------------------------------------------------------------------
# Errors off the sample: held-out points and projected gradient ascent on the sphere
# --------------------------------------------------------------------------------------------


def _refine(W, L, points, n_starts: int, n_steps: int):
    """Largest error of each approximant found on ``points`` and by ascent on the sphere.

    ``W``: (m, n), ``L``: (K, m, n) approximants, ``points``: (N, n) unit vectors, the
    optimisation points then the held-out ones. The ascent starts, per approximant, from its
    ``n_starts - r`` worst points and from the last ``r = round(_RANDOM_FRACTION * n_starts)``
    points (held-out ones, uniform on the sphere, when there are at least ``r``). Returns
    ``(values (K,), worst (K, q, n))``: per approximant the largest error found (at least the
    largest over ``points``) and its ``q = _ADDED_PER_RANK`` highest ascent end points.
    """
    errors = _errors(W, L, points)  # (K, N)
    K, N = errors.shape
    n_starts = min(n_starts, N)
    n_random = int(round(_RANDOM_FRACTION * n_starts))
    n_worst = n_starts - n_random
    worst_first = np.argpartition(-errors, n_worst - 1, axis=1)[:, :n_worst] if n_worst else (
        np.empty((K, 0), dtype=np.int64))
    uniform = np.broadcast_to(np.arange(N - n_random, N), (K, n_random))
    starts = np.concatenate([worst_first, uniform], axis=1)
    found, ends = _ascent(W, L, points[starts], n_steps)
    values = np.maximum(found.max(axis=1), errors.max(axis=1))
    q = min(_ADDED_PER_RANK, n_starts)
    highest = np.argsort(-found, axis=1, kind="stable")[:, :q]
    return values, np.take_along_axis(ends, highest[:, :, None], axis=1)


def _errors(W, L, points) -> np.ndarray:
    """``||relu(W x) - relu(L_k x)||`` for every approximant and point: ``(K, N)`` float64.

    ``L``: (K, m, n), ``points``: (N, n); evaluated in blocks of points to bound the memory.
    """
    K, m, _ = L.shape
    block = max(1, _BLOCK_ENTRIES // (K * m))
    L_t = np.ascontiguousarray(L.transpose(0, 2, 1))
    out = np.empty((K, points.shape[0]))
    for first in range(0, points.shape[0], block):
        x = points[first : first + block]
        diff = np.maximum(np.matmul(x[None], L_t), 0.0)  # (K, B, m)
        np.subtract(np.maximum(x @ W.T, 0.0), diff, out=diff)
        out[:, first : first + block] = np.sqrt(np.einsum("kbm,kbm->kb", diff, diff))
    return out


def _squared_error_and_gradient(W, L, x):
    """``f(x)^2`` and the gradient of ``f(x)^2 / 2`` for ``f(x) = ||relu(W x) - relu(L_k x)||``.

    ``L``: (K, m, n), ``x``: (K, S, n), one stack of points per approximant; returns (K, S) and
    (K, S, n).
    """
    K, S, n = x.shape
    m = W.shape[0]
    # products with W on the flattened stack: numpy's broadcast (K, S, n) @ (n, m) is far slower
    z_w = (x.reshape(K * S, n) @ W.T).reshape(K, S, m)
    z_l = np.matmul(x, L.transpose(0, 2, 1))  # (K, S, m)
    r = np.maximum(z_w, 0.0) - np.maximum(z_l, 0.0)
    f2 = np.einsum("ksm,ksm->ks", r, r)
    grad = ((r * (z_w > 0)).reshape(K * S, m) @ W).reshape(K, S, n)
    grad -= np.matmul(r * (z_l > 0), L)
    return f2, grad


def _ascent(W, L, x, n_steps: int):
    """Projected gradient ascent of ``f(x) = ||relu(W x) - relu(L_k x)||`` on the unit sphere.

    ``L``: (K, m, n), ``x``: (K, S, n) unit starts per approximant. Step ``t`` turns each point
    by the angle ``level * a_t`` towards its tangent gradient, ``a_t`` decaying geometrically from
    ``_FIRST_ANGLE`` to ``_LAST_ANGLE`` and ``level`` one of ``_ANGLE_LEVELS`` (start ``s``
    takes level ``s mod 3``): the steps depend on neither the scale of ``W`` nor the size of a
    rank's errors. Returns the largest ``f`` each start reached ``(K, S)`` (its start included)
    and where ``(K, S, n)``.
    """
    levels = np.asarray(_ANGLE_LEVELS)[np.arange(x.shape[1]) % len(_ANGLE_LEVELS)]
    best_f2 = np.full(x.shape[:2], -1.0)
    best_x = x.copy()
    for t in range(n_steps + 1):
        f2, grad = _squared_error_and_gradient(W, L, x)
        higher = f2 > best_f2
        np.copyto(best_f2, f2, where=higher)
        np.copyto(best_x, x, where=higher[..., None])
        if t == n_steps:
            break
        decay = (_LAST_ANGLE / _FIRST_ANGLE) ** (t / max(n_steps - 1, 1))
        angle = levels * (_FIRST_ANGLE * decay)
        tangent = grad - np.einsum("ksn,ksn->ks", grad, x)[..., None] * x
        norm = np.sqrt(np.einsum("ksn,ksn->ks", tangent, tangent))[..., None]
        direction = np.divide(tangent, norm, out=np.zeros_like(tangent), where=norm > 0)
        x = np.cos(angle)[None, :, None] * x + np.sin(angle)[None, :, None] * direction
        x /= np.sqrt(np.einsum("ksn,ksn->ks", x, x))[..., None]
    return np.sqrt(best_f2), best_x
