"""Linear singular values and numerical upper bounds on ReLU singular values (sections II, III).

For a layer ``x -> relu(W x + b)`` with ``W`` of shape ``(m, n)`` and a finite set of inputs
``X`` (one point a row), the rank-``k`` (data-dependent, affine) ReLU singular value is

    s_k^X = min over rank(L) <= k, c of max over x in X of ||relu(W x + b) - relu(L x + c)||.

Without a bias (``b = None``) the approximant has none either, and with ``X`` a dense sample of
the unit sphere this is the ReLU singular value ``s_k(relu(W .))`` of section II. Any admissible
``(L, c)`` gives an upper bound; :func:`relu_singular_value_bounds` finds good ones the paper's
way: for each rank ``k`` it minimises ``sum over x of ||relu(W x + b) - relu(U V x + c)||^2``
over ``U: (m, k)``, ``V: (k, n)`` (and ``c``) with Adam, starting from the truncated SVD of
``W``, and reports the smallest max-error over all iterates *including the SVD start*. So
``bounds[k] <= max_x ||relu(W x + b) - relu(W_k x + b)||``, which is at most ``sigma_k(W)`` when
the points lie in the unit ball (Lemma 5), for every ``k`` by construction.

All ranks are optimised in one batched float32 computation whose result is a deterministic
function of the inputs and the seed, the same whichever ranks are requested and on however many
threads; :mod:`relusv._bounds_optimiser` holds it and describes how it is organised. Adam works
there on a normalised copy of the problem with ``V`` in the principal-axis coordinates of the
data, and every reported bound is a float64 evaluation of an actual rank-``k`` approximant.

Adam is not rotation-invariant, so optimising ``V`` in the data's principal-axis coordinates is a
choice (the paper optimised the raw coordinates in TensorFlow). Against a float64 reference in
raw coordinates (``benchmarks/bench_singular_values.py``, 200 steps) it gave 0.3-3 % lower bounds
at every rank tried on a random 100x100 hidden layer, and on an MNIST-like 100x784 input layer
about 4 % higher ones at k <= 10 but up to 2x lower ones at k >= 50.

Units: bounds, singular values and errors are in the units of the layer's outputs (for inputs on
the unit sphere, the operator-norm units of ``W``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from relusv._bounds_optimiser import compute_bounds
from relusv._validation import (
    as_finite_array,
    check_choice,
    check_nonnegative_real,
    check_optional_int,
    check_positive_int,
    check_positive_real,
    check_real,
    make_rng,
)

__all__ = [
    "APPROXIMANT_BIASES",
    "METHODS",
    "CHOOSE_START_AT",
    "ERROR_POWER",
    "TIGHT_STEPS",
    "EARLY_STOPPING_PATIENCE",
    "EARLY_STOPPING_TOLERANCE",
    "ReluSingularValueBounds",
    "linear_singular_values",
    "relu_singular_value_bounds",
    "running_minimum_source",
    "sample_unit_sphere",
]

#: Allowed values of ``method``: ``"tight"`` (exact where the mathematics allows it, the best of
#: the SVD and the data-aware start elsewhere) or ``"paper"`` (the paper's procedure: Adam from
#: the truncated SVD only).
METHODS = ("tight", "paper")

#: The Adam run of ``method="tight"`` (the defaults of :func:`relu_singular_value_bounds`):
#: :data:`TIGHT_STEPS` steps from each of its two starts on the objective
#: ``sum_x e_x^ERROR_POWER`` (``e_x`` a point's squared error), which weights each point's
#: gradient by ``(e_x / max e)^(ERROR_POWER - 1)`` and so aims at the max-error that the bound
#: is, where the paper's sum of squares (power 1) needs its 500 steps and is still far from
#: converged. Chosen on the demo's and the MNIST-shaped networks' hidden layers
#: (benchmarks/PROFILING.md section 13): power 3 at 200 steps from both starts costs about as
#: much as the paper's procedure alone and gives lower bounds than 500 steps of the sum of
#: squares from both starts at most ranks.
TIGHT_STEPS = 200
#: See :data:`TIGHT_STEPS`.
ERROR_POWER = 3.0
#: See :data:`TIGHT_STEPS`: after this many steps only the start with the lower best max-error
#: goes on.
CHOOSE_START_AT = 25

#: Allowed values of ``approximant_bias``: ``"free"`` (the approximant's bias ``c`` starts at
#: ``b`` and is optimised with ``U`` and ``V``) or ``"fixed"`` (``c = b`` throughout).
APPROXIMANT_BIASES = ("free", "fixed")

#: Early stopping for Figure 3 (the defaults of :func:`relusv.analyses.network_bounds`): with
#: 500 steps at learning rate 0.1 it kept every rank's bound within 0.1 % of the fixed-step one
#: on the hidden layers of mnist_100, cifar10_100 and cifar10_300 trained on stand-in data
#: (``benchmarks/PROFILING.md``); patience 40 already let one rank end 21 % higher. It saves
#: ~20 % of the steps on input layers over 226 MNIST-like points and ~5 % or less elsewhere:
#: 500 steps are far from converged. :func:`relu_singular_value_bounds` itself defaults to no
#: early stopping (``tolerance=0``), the computation from before early stopping existed.
EARLY_STOPPING_TOLERANCE = 1e-4
#: See :data:`EARLY_STOPPING_TOLERANCE`: the window, in Adam steps, over which it is measured.
EARLY_STOPPING_PATIENCE = 75


@dataclass(frozen=True, eq=False)
class ReluSingularValueBounds:
    """Numerical upper bounds on the ReLU singular values of one layer, one per rank.

    All arrays have shape ``(K,)`` and are indexed like ``ranks``; they are read-only.

    Attributes
    ----------
    ranks : (K,) int array
        The ranks ``k``, increasing, without repeats.
    bounds : (K,) float64 array
        Upper bounds on ``s_k^X``, in output units: ``raw_bounds`` made non-increasing in ``k``
        (a running minimum over the increasing ranks, since a rank-``k`` approximant is admissible
        for every larger rank). Exactly 0 for ``k >= rank(W)``.
    paper_bounds : (K,) float64 array
        The bounds of the paper's procedure (the SVD start and Adam from it, made non-increasing
        in ``k``): equal to ``bounds`` with ``method="paper"``; with ``method="tight"`` and
        ``paper_reference=True`` the same numbers bit for bit, from a run of the paper's
        procedure in the same computation, and then ``bounds <= paper_bounds``; NaN with
        ``method="tight"`` and no reference run.
    linear_singular_values : (K,) float64 array
        ``sigma_k(W)`` for the same ranks (0 for ``k = min(m, n)``).
    raw_bounds : (K,) float64 array
        For each rank on its own, the smallest float64 max-error over its candidates: the
        starts and the best Adam iterate from each start (and, with ``method="tight"``, the
        smallest enclosing ball at ``k = 0`` with a free bias).
    svd_bounds : (K,) float64 array
        The max-error of the SVD start ``L = W_k`` (truncated SVD) with ``c = b``; for points in
        the unit ball at most ``sigma_k(W)`` (Lemma 5).
    lower_bounds : (K,) float64 array
        A certified lower bound on ``s_k^X`` where one is known, NaN elsewhere: the bound itself
        where it is exact (``k = 0`` without a free bias, ``k >= rank(W)``), 0 where the
        data-aware start is exact (``method="tight"``, ``k >= exact_rank``), and at ``k = 0``
        with a free bias and ``method="tight"`` the dual value of the enclosing ball (its
        relative gap to ``raw_bounds[0]`` is at most ``1e-9`` up to rounding).
    starts : (K,) object array of str
        Which candidate gives ``raw_bounds``: ``"svd"`` (the truncated SVD or Adam from it),
        ``"pca"`` (the data-aware start or Adam from it) or ``"enclosing_ball"`` (exact k = 0).
    best_steps : (K,) int array
        The Adam iteration of the winning start's run whose approximant gives ``raw_bounds``
        (0: the start itself); -1 where no optimisation ran (``k = 0`` without a free bias or
        with ``method="tight"``, ``k >= exact_rank``, zero error).
    steps_taken : (K,) int array
        Adam steps done per rank, summed over its runs (the paper's procedure, the tight run's
        two starts): each run's cap unless it stopped early, 0 where no optimisation ran.
    method : str
        ``"tight"`` or ``"paper"`` (see :func:`relu_singular_value_bounds`).
    steps : int
        The cap on Adam steps per rank of the paper's procedure.
    tight_steps, error_power, choose_start_at, row_space : int, float, int, bool or None
        The cap on Adam steps per start, the objective's power, the step at which the better
        start is chosen and the coordinates of the tight run (None with ``method="paper"``).
    learning_rate : float
        The relative learning rate that was used.
    tolerance : float
        Early stopping's relative tolerance (0: none).
    patience : int or None
        Early stopping's window in steps (None: none).
    approximant_bias : str or None
        ``"free"`` or ``"fixed"``; ``None`` for an unbiased layer (``b = None``).
    n_points : int
        Number of points ``N`` in ``X``.
    data_rank : int
        ``d``, the numerical rank of ``X`` (the number of principal-axis coordinates optimised).
    exact_rank : int
        From this rank on the bounds are exact zeros up to rounding: with ``method="tight"`` the
        rank of the pre-activations over ``X`` (centred with a free bias), at most the affine
        rank of ``X`` (the rank of ``X`` without a free bias) and at most ``rank(W)``; with
        ``method="paper"`` ``rank(W)``.
    factors : tuple of (U, V, c)
        Per rank, the approximant of ``raw_bounds``: ``L = U V`` with ``U: (m, j)``,
        ``V: (j, n)``, ``j <= k`` (float64), and its bias ``c: (m,)`` or None. Use
        :meth:`approximant`, which also picks the rank whose approximant attains ``bounds``.
    """

    ranks: np.ndarray
    bounds: np.ndarray
    paper_bounds: np.ndarray
    linear_singular_values: np.ndarray
    raw_bounds: np.ndarray
    svd_bounds: np.ndarray
    lower_bounds: np.ndarray
    starts: np.ndarray
    best_steps: np.ndarray
    steps_taken: np.ndarray
    method: str
    steps: int
    tight_steps: int | None
    error_power: float | None
    choose_start_at: int | None
    row_space: bool | None
    learning_rate: float
    tolerance: float
    patience: int | None
    approximant_bias: str | None
    n_points: int
    data_rank: int
    exact_rank: int
    factors: tuple = field(default=(), repr=False)

    def __post_init__(self):
        for name in (
            "ranks",
            "bounds",
            "paper_bounds",
            "linear_singular_values",
            "raw_bounds",
            "svd_bounds",
            "lower_bounds",
            "starts",
            "best_steps",
            "steps_taken",
        ):
            getattr(self, name).setflags(write=False)

    @property
    def bound_starts(self) -> np.ndarray:
        """(K,) object array: which start produced ``bounds`` (``starts`` of the rank whose
        approximant attains the running minimum, see :meth:`approximant`)."""
        return self.starts[running_minimum_source(self.raw_bounds)]

    def approximant(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The rank-``k`` approximant ``(L, c)`` whose max-error over ``X`` is ``bounds[k]``.

        ``max over x in X of ||relu(W x + b) - relu(L x + c)||`` (``b = 0`` for an unbiased layer)
        equals ``bounds`` at rank ``k`` up to float64 rounding (the bound was evaluated as
        ``relu((x V^T) U^T + c)`` with the factors of ``L``, in another order of operations).

        Parameters
        ----------
        k : int
            One of ``ranks``.

        Returns
        -------
        L : (m, n) float64 array
            ``U V`` of rank at most ``k``: the approximant of the smallest rank ``j <= k`` whose
            own bound ``raw_bounds[j]`` equals ``bounds[k]`` (the running minimum).
        c : (m,) float64 array
            The approximant's bias: ``b`` for ``approximant_bias="fixed"``, the optimised one for
            ``"free"``, zeros for an unbiased layer.

        Raises
        ------
        ValueError
            If ``k`` is not one of ``ranks`` or the result holds no approximants.
        """
        index = _rank_index(self.ranks, k)
        if len(self.factors) != len(self.ranks):
            raise ValueError("this result holds no approximants (built without factors)")
        source = int(running_minimum_source(self.raw_bounds)[index])
        U, V, c = self.factors[source]
        L = U @ V
        return L, (np.zeros(L.shape[0]) if c is None else np.array(c, dtype=np.float64))


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def linear_singular_values(W) -> np.ndarray:
    """Singular values of a matrix, largest first.

    Parameters
    ----------
    W : (m, n) array_like
        A weight matrix (m outputs, n inputs), finite entries.

    Returns
    -------
    (min(m, n),) float64 array
        ``sigma_0(W) >= sigma_1(W) >= ... >= 0``, in the units of ``W``.
    """
    W = as_finite_array(W, "W", 2)
    return np.linalg.svd(W, compute_uv=False)


def sample_unit_sphere(n_points: int, dim: int, seed=None) -> np.ndarray:
    """Points drawn uniformly from the unit sphere ``S^(dim - 1)`` (normalised Gaussians).

    Parameters
    ----------
    n_points : int
        Number of points ``N >= 1``.
    dim : int
        Dimension ``n >= 1`` of the ambient space.
    seed : None, int, SeedSequence or Generator
        Passed to ``np.random.default_rng``; the same seed gives the same points.

    Returns
    -------
    (n_points, dim) float64 array
        One unit vector a row.
    """
    n_points = check_positive_int(n_points, "n_points")
    dim = check_positive_int(dim, "dim")
    rng = make_rng(seed)
    points = rng.standard_normal((n_points, dim))
    norms = np.linalg.norm(points, axis=1)
    # A zero draw has probability zero; redraw such rows so that every row has norm 1.
    while np.any(norms == 0.0):
        zero = norms == 0.0
        points[zero] = rng.standard_normal((int(zero.sum()), dim))
        norms[zero] = np.linalg.norm(points[zero], axis=1)
    return points / norms[:, None]


def relu_singular_value_bounds(
    W,
    X,
    b=None,
    *,
    ranks: Sequence[int] | None = None,
    method: str = "tight",
    steps: int = 500,
    learning_rate: float = 0.1,
    tolerance: float = 0.0,
    patience: int | None = EARLY_STOPPING_PATIENCE,
    tight_steps: int = TIGHT_STEPS,
    error_power: float = ERROR_POWER,
    choose_start_at: int = CHOOSE_START_AT,
    row_space: bool = True,
    paper_reference: bool = False,
    approximant_bias: str = "free",
    init_noise: float = 0.0,
    seed=None,
    n_threads: int | None = None,
) -> ReluSingularValueBounds:
    """Upper bounds on the (data-dependent, affine) ReLU singular values of ``relu(W x + b)``.

    ``method="paper"``, the paper's procedure: for each rank ``k``, Adam on
    ``sum over x in X of ||relu(W x + b) - relu(U V x + c)||^2``
    over ``U: (m, k)``, ``V: (k, n)`` (and ``c``), from the truncated SVD of ``W``
    (``U = U_k Sigma_k^(1/2)``, ``V = Sigma_k^(1/2) V_k^T``, ``c = b``); the bound is the smallest
    ``max over x in X of ||relu(W x + b) - relu(U V x + c)||`` over all iterates, the SVD start
    included, evaluated in float64.

    ``method="tight"`` (the default) adds what the mathematics gives beyond the paper:

    - ``k = 0`` with a free bias is solved exactly: the best constant approximant is the centre
      of the smallest ball enclosing the targets ``relu(W x + b)`` (a convex problem,
      :func:`relusv.enclosing_ball.smallest_enclosing_ball`), certified by its dual value
      (``lower_bounds[0]``). Without a free bias ``k = 0`` has one admissible map and is exact
      with either method.
    - A second, data-aware start beside the truncated SVD: ``L_k = Q_k Q_k^T W`` with ``Q_k``
      the top-``k`` left singular vectors of the pre-activations ``W x + b`` over ``X`` (centred,
      and ``c_k = b + (W - L_k) mu`` with ``mu`` the mean of ``X``, when the bias is free;
      uncentred and ``c = b`` otherwise): the rank-``k`` PCA reconstruction of the
      pre-activations. It is exact, and the bound 0 up to rounding, from ``k = exact_rank``, the
      rank of those pre-activations (at most the affine rank of ``X`` with a free bias, the rank
      of ``X`` otherwise); Adam from it runs only below that rank.
    - Adam runs from both starts, side by side, on an objective aimed at the max-error:
      ``sum_x e_x^error_power`` with ``e_x`` the squared error of point ``x`` (the paper's sum
      of squares is power 1); after ``choose_start_at`` steps only the start with the lower
      best max-error goes on, up to ``tight_steps`` steps. Each rank reports the smallest
      max-error of all candidates, with the start that produced it (``starts``). With the
      defaults this costs about half the paper's procedure and gives lower bounds than the sum
      of squares from both starts at most ranks, but not at every rank: a bound can end above
      the paper's procedure's (benchmarks/PROFILING.md section 13 measures how often and by how
      much).
    - ``paper_reference=True`` also runs the paper's procedure, unchanged (it also runs at
      ``k = 0`` and from ``exact_rank`` on, where the tight bound needs no Adam): its bounds
      come out of the same computation bit for bit (``paper_bounds``), each rank reports the
      smaller of both, so every bound is at most the paper's, at the cost of both runs.

    Every reported bound is the float64 max-error of an approximant that is returned
    (:meth:`ReluSingularValueBounds.approximant`). All ranks are optimised in one batched
    computation (see :mod:`relusv._bounds_optimiser`); with early stopping a rank leaves it once
    its best error stalls. Calls that run longer than 30 s log their progress (logger
    ``relusv._bounds_optimiser``, INFO).

    Parameters
    ----------
    W : (m, n) array_like
        Weights, m outputs and n inputs.
    X : (N, n) array_like
        The inputs, one point a row, ``N >= 1``. For ``s_k(relu(W .))`` of section II, a dense
        sample of the unit sphere (:func:`sample_unit_sphere`).
    b : (m,) array_like or None
        The layer's bias. ``None``: the unbiased layer ``relu(W x)``, and the approximant has no
        bias either.
    ranks : sequence of int or None
        Ranks ``k`` in ``0 .. min(m, n)``; ``None`` means all of ``0 .. min(m, n) - 1``. They are
        returned sorted, without repeats.
    method : {"tight", "paper"}
        ``"tight"``: exact rank 0, exact zeros past the rank of the pre-activations, the best of
        two starts elsewhere. ``"paper"``: the paper's procedure (SVD start only), bit for bit
        the computation of earlier versions of this function.
    steps : int
        Adam steps per rank of the paper's procedure (>= 1); ``steps + 1`` iterates are
        evaluated. With early stopping, the cap.
    learning_rate : float
        Relative learning rate (> 0). Adam's step for rank ``k`` is
        ``learning_rate * e_k / e_0`` times the scale of each parameter block: the root-mean-square
        entry ``sqrt(mean(sigma) / m)`` of the balanced SVD factor ``U`` for ``U``,
        ``sqrt(mean(sigma) / n)`` for ``V`` (``sigma``: the non-zero singular values of ``W``),
        and the root-mean-square pre-activation ``W x + b`` over ``X`` for ``c``. Here ``e_k`` is
        the max-error of rank ``k``'s SVD start and ``e_0`` that of ``L = 0, c = b``, so ranks
        whose start is already close take proportionally smaller steps. Adam runs on a copy of
        the problem normalised by the scale of the inputs and of ``e_0``, so scaling ``W`` and
        ``b`` (or ``X`` and ``b``) by a positive factor scales the bounds by that factor, up to
        float64 rounding.
    tolerance : float
        Early stopping, in ``[0, 1)``: rank ``k`` stops after step ``t >= patience`` once both its
        best float32 max-error over iterates ``0 .. t`` (the one whose iterate is kept) and its
        best loss (the sum of squared errors Adam minimises) are at least ``(1 - tolerance)``
        times their best over iterates ``0 .. t - patience``; the bound is then exactly that of
        a fixed-step run of ``t`` steps. 0 (the default): every rank takes ``steps`` steps, bit
        for bit the fixed-step computation. :data:`EARLY_STOPPING_TOLERANCE` and
        :data:`EARLY_STOPPING_PATIENCE` keep Figure 3's bounds within 1 % of 500 fixed steps.
    patience : int or None
        Early stopping's window in Adam steps (>= 1); None: no early stopping.
    tight_steps : int
        ``method="tight"`` only: Adam steps per start (>= 1), the cap with early stopping.
    error_power : float
        ``method="tight"`` only, >= 1: the power of the tight run's objective
        ``sum_x e_x^error_power`` (1: the paper's sum of squares).
    choose_start_at : int
        ``method="tight"`` only, >= 1: after this many steps only the start with the lower best
        max-error goes on (ties keep both); ``>= tight_steps``: both take all their steps.
    row_space : bool
        ``method="tight"`` only: Adam searches approximants whose rows of ``L`` lie in the row
        space of ``W`` (where both starts are), in ``min(N, rank W)`` coordinates instead of
        ``min(N, n)``: about 3x cheaper on input layers with ``n >> m``, and there a few percent
        looser (measured in benchmarks/PROFILING.md section 13). False: all of span ``X``.
    paper_reference : bool
        ``method="tight"`` only: also run the paper's procedure (``paper_bounds``; every bound
        at most the paper's).
    approximant_bias : {"free", "fixed"}
        ``"free"``: ``c`` starts at ``b`` and is optimised (also for ``k = 0``); ``"fixed"``:
        ``c = b``. Ignored when ``b`` is None.
    init_noise : float
        Standard deviation, relative to each block's scale, of Gaussian noise added to the start of
        Adam (>= 0). The default 0 starts exactly at the truncated SVD as the paper does. The
        unperturbed SVD start is always evaluated as well.
    seed : None, int, SeedSequence or Generator
        Draws the noise of ``init_noise``; nothing else is random, and the result is a
        deterministic function of the inputs and the seed.
    n_threads : int or None
        Worker threads that optimise buckets of ranks in parallel, each with single-threaded BLAS
        (``None``: the CPUs this process may run on). The result does not depend on it. Without
        ``threadpoolctl`` installed, BLAS threads cannot be pinned and the buckets run one after
        another with BLAS's own threading.

    Returns
    -------
    ReluSingularValueBounds
        ``bounds`` (non-increasing in ``k``, 0 for ``k >= rank(W)``, exact for ``k = 0`` unless
        the bias is free and ``method="paper"``) next to ``linear_singular_values`` for the
        same ranks.

    Raises
    ------
    ValueError
        Before any work, naming the argument, if a shape does not fit, an entry is NaN or inf,
        ``X`` is empty, ``steps``, ``tight_steps``, ``learning_rate``, ``patience`` or
        ``n_threads`` is not positive, ``error_power`` is below 1, ``init_noise`` is negative,
        ``tolerance`` is not in ``[0, 1)``, a rank is out of range, ``method`` or
        ``approximant_bias`` is unknown or ``seed`` is not a valid seed.
    """
    W = as_finite_array(W, "W", 2)
    m, n = W.shape
    X = as_finite_array(X, "X", 2)
    if X.shape[1] != n:
        raise ValueError(
            f"X must have one input a row with n = W.shape[1] = {n} columns, got shape {X.shape}"
        )
    if b is not None:
        b = as_finite_array(b, "b", 1)
        if b.shape[0] != m:
            raise ValueError(f"b must have length m = W.shape[0] = {m}, got length {b.shape[0]}")
    rank_list = _check_ranks(ranks, min(m, n))
    check_choice(method, "method", METHODS)
    tight_steps = check_positive_int(tight_steps, "tight_steps")
    choose_start_at = check_positive_int(choose_start_at, "choose_start_at")
    error_power = check_real(error_power, "error_power", low=1.0)
    for name, value in (("row_space", row_space), ("paper_reference", paper_reference)):
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{name} must be True or False, got {value!r}")
    steps = check_positive_int(steps, "steps")
    learning_rate = check_positive_real(learning_rate, "learning_rate")
    tolerance, patience = check_early_stopping(tolerance, patience)
    check_choice(approximant_bias, "approximant_bias", APPROXIMANT_BIASES)
    init_noise = check_nonnegative_real(init_noise, "init_noise")
    rng = make_rng(seed)
    if n_threads is None:
        n_threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    n_threads = check_positive_int(n_threads, "n_threads")
    return _compute_bounds(
        W,
        X,
        b,
        rank_list,
        method=method,
        steps=steps,
        learning_rate=learning_rate,
        tolerance=tolerance,
        patience=patience,
        tight_steps=tight_steps,
        error_power=error_power,
        choose_start_at=choose_start_at,
        row_space=bool(row_space),
        paper_reference=bool(paper_reference),
        free_bias=b is not None and approximant_bias == "free",
        init_noise=init_noise,
        rng=rng,
        n_threads=n_threads,
        drop_null_directions=True,
    )


def running_minimum_source(values) -> np.ndarray:
    """For each position ``i``, the first position ``j <= i`` where ``values[: i + 1]`` is least.

    Parameters
    ----------
    values : (K,) array_like
        Bounds over increasing ranks.

    Returns
    -------
    (K,) int array
        ``values[result]`` is ``np.minimum.accumulate(values)``: the rank whose approximant
        attains each running minimum (a rank-``j`` approximant is admissible for every ``k >=
        j``).
    """
    values = np.asarray(values)
    source = np.zeros(len(values), dtype=np.int64)
    best = 0
    for i in range(len(values)):
        if values[i] < values[best]:
            best = i
        source[i] = best
    return source


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------


def check_early_stopping(tolerance, patience) -> tuple[float, int | None]:
    """``(tolerance, patience)`` checked: a float in ``[0, 1)`` and None or an int >= 1.

    Raises
    ------
    ValueError
        Naming the argument that is out of range.
    """
    tolerance = check_real(tolerance, "tolerance", low=0.0, high=1.0, high_open=True)
    return tolerance, check_optional_int(patience, "patience", 1)


def _rank_index(ranks: np.ndarray, k) -> int:
    """The position of rank ``k`` in ``ranks``, raising ``ValueError`` if it is not there."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise ValueError(f"k must be an int, got {k!r}")
    where = np.flatnonzero(ranks == k)
    if where.size == 0:
        raise ValueError(f"k must be one of the ranks {ranks.tolist()}, got {int(k)}")
    return int(where[0])


def _check_ranks(ranks, max_rank: int) -> list[int]:
    """Sorted distinct ranks in ``0 .. max_rank``; ``None`` gives ``0 .. max_rank - 1``."""
    if ranks is None:
        return list(range(max_rank))
    if isinstance(ranks, int | np.integer) and not isinstance(ranks, bool):
        raise ValueError(f"ranks must be a sequence of ints (e.g. [{ranks}]), got {ranks!r}")
    try:
        values = list(ranks)
    except TypeError as error:
        raise ValueError(f"ranks must be None or a sequence of ints, got {ranks!r}") from error
    if not values:
        raise ValueError("ranks must not be empty (use None for all ranks)")
    checked = set()
    for k in values:
        if isinstance(k, bool) or not isinstance(k, int | np.integer):
            raise ValueError(f"ranks must contain ints only, got {k!r}")
        if not 0 <= k <= max_rank:
            raise ValueError(f"ranks must lie in 0 .. min(m, n) = {max_rank}, got {int(k)}")
        checked.add(int(k))
    return sorted(checked)


# --------------------------------------------------------------------------------------------
# The computation (in relusv._bounds_optimiser)
# --------------------------------------------------------------------------------------------


def _compute_bounds(
    W: np.ndarray, X: np.ndarray, b: np.ndarray | None, rank_list: list[int], **kwargs
) -> ReluSingularValueBounds:
    """:func:`relusv._bounds_optimiser.compute_bounds` as a :class:`ReluSingularValueBounds`.

    ``drop_null_directions=False`` keeps all ``n`` principal-axis coordinates of ``X`` (the
    reference for the row-space reduction, which must give the same bounds up to rounding).
    """
    return ReluSingularValueBounds(**compute_bounds(W, X, b, rank_list, **kwargs))
