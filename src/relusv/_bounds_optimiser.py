"""The batched Adam optimisation behind :func:`relusv.singular_values.relu_singular_value_bounds`.

:func:`compute_bounds` does the work of that function on validated inputs and returns the fields
of a :class:`relusv.singular_values.ReluSingularValueBounds`. How the computation is organised
(none of it changes what is computed, only how fast):

- All ranks are optimised together: ranks are grouped into a few buckets of similar size, and
  each bucket is one stack of parameters ``U: (K, m, R)``, ``V: (K, R, d)`` with a rank mask
  zeroing the columns (rows) ``>= k`` of slice ``k``; every Adam step is a handful of stacked
  matrix products (``np.matmul``) and element-wise passes, with no Python loop over ranks. The
  buckets are a fixed function of the problem's sizes, never of which ranks were requested, so a
  rank's computation is the same whether it runs alone or with all others.
- Low ranks evaluate ``Z = (X V^T) U^T`` (cost ``~ N R (d + m)``), high ranks form ``L = U V``
  first (cost ``~ N d m``), and in between the forward pass can be factored and the backward
  pass dense (``dLoss/dL = dZ^T X`` first); each bucket takes the cheapest estimate.
- Each Adam step is dominated by a few matrix products per rank with the ``N``-sized operands,
  which every rank must do on its own (products of several ranks stacked into one BLAS call
  round differently from the same products done alone, and a rank's result must not depend on
  which ranks run with it); the rest is kept cheap: the pre-activations are stored one output
  a row (``(K, m, N)``, so these products need no transposed copies), a bucket is split into
  chunks of a few ranks whose pre-activations stay in cache (``~2 MiB``), and Adam updates
  ``U`` and ``V`` of all slices in one pass over a flat buffer.
- ``V`` is optimised in the principal-axis coordinates of the data: with ``X = A P^T``, ``P`` the
  right singular vectors of ``X`` for its non-zero singular values (``d = rank(X)`` of them),
  Adam works on ``V' = V P: (k, d)`` and inputs ``A = X P: (N, d)``. The objective sees ``V``
  only through ``X V^T = A V'^T``, and the dropped directions carry no data, so this is the same
  optimisation as in all ``n`` principal-axis coordinates (up to rounding), at cost ``d``
  instead of ``n`` when the data are low-rank (e.g. an input layer over images with constant
  border pixels, or fewer points than inputs).
- Adam runs in float32 on a copy of the problem normalised to numbers of order 1 (inputs divided
  by their RMS norm, outputs by the rank-0 error). For each rank the parameters of the iterate
  with the smallest float32 max-error are kept; at the end that iterate (scaled back) and the
  SVD start are evaluated in float64 on the original ``X`` and the smaller value is reported. A
  reported bound is therefore a float64 evaluation of an actual rank-``k`` approximant, however
  the float32 arithmetic went, and that approximant is returned (its factors ``U``, ``V`` and
  its bias ``c``), so that anyone can recompute the bound.
- Buckets run in parallel on worker threads (``n_threads``), with BLAS pinned to one thread
  through ``threadpoolctl`` when it is installed. Every bucket's arithmetic is then the same for
  any number of threads, and the results are bitwise reproducible.
- Early stopping (``tolerance > 0`` with a ``patience``): a rank stops once both its best
  float32 max-error (the quantity whose best iterate is kept) and its best loss (Adam's
  objective, the sum of squared errors) have improved by at most the relative ``tolerance`` over
  the last ``patience`` steps, and leaves the stack: the state of the ranks still running is
  compacted into fewer slices, so the products shrink with it. The max-error alone is a poor
  signal: it often stays flat for 100-250 steps while one worst point is stuck and then drops by
  10 % to 2.5x, while the loss keeps falling (``benchmarks/PROFILING.md``). Each slice's
  arithmetic is unchanged by the compaction and the decision depends on the slice's own history
  only, so a stopped rank's result is exactly that of a fixed-step run of as many steps, and
  results stay independent of the other ranks and of ``n_threads``. Without early stopping the
  loop is the fixed-step one, step for step.
- The Adam loop of one bucket is :func:`relusv._bounds_adam._optimise_bucket`.
- Progress goes to this module's logger (INFO) at most every
  ``relusv._bounds_progress.LOG_INTERVAL`` seconds while a call runs: ranks done, steps
  taken, best max-errors and an estimate of the time left.
"""

from __future__ import annotations

import logging
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

try:  # optional: pins BLAS to one thread per worker (installed with scikit-learn)
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - depends on the environment
    threadpool_limits = None

from relusv._bounds_adam import _optimise_bucket
from relusv._bounds_plan import _bucket_plan, _task_cost
from relusv._bounds_progress import Progress
from relusv._bounds_starts import DataAwareStart, numerical_rank
from relusv.enclosing_ball import smallest_enclosing_ball

log = logging.getLogger(__name__)

#: The relative duality gap to which the exact rank-0 value (the smallest enclosing ball of the
#: targets) is solved; the certified lower bound is returned beside it.
RANK0_RELATIVE_GAP = 1e-9

# At most this many float32 entries in one stack of pre-activations (K, m, N): 2 MiB. Larger
# buckets are split into chunks of fewer ranks (which changes nothing but the memory and the
# speed): chunks whose pre-activations stay in the L2/L3 caches run ~10 % faster than stacks of
# 20 ranks (measured on a 100x100 layer over 1000 points, 2 workers on 2 cores); chunks of one
# rank lose part of that again to the Python overhead per step.
_MAX_STACK_ENTRIES = 2**19

def _max_error(features: np.ndarray, U: np.ndarray, c, targets: np.ndarray) -> float:
    """``max_i ||relu(U features_i + c) - targets_i||`` in float64.

    ``features``: (N, r) (the points mapped by ``V``), ``U``: (m, r), ``c``: (m,) or None,
    ``targets``: (N, m).
    """
    Z = features @ U.T
    if c is not None:
        Z += c
    np.maximum(Z, 0.0, out=Z)
    Z -= targets
    return math.sqrt(float(np.max(np.einsum("nm,nm->n", Z, Z))))


def compute_bounds(
    W: np.ndarray, X: np.ndarray, b: np.ndarray | None, rank_list: list[int], **kwargs
) -> dict:
    """The work of :func:`relusv.singular_values.relu_singular_value_bounds` on validated inputs.

    ``W``: (m, n), ``X``: (N, n), ``b``: (m,) or None, ``rank_list``: sorted distinct ranks;
    keyword arguments ``method``, ``steps``, ``learning_rate``, ``tolerance``, ``patience``,
    ``tight_steps``, ``error_power``, ``choose_start_at``, ``row_space``, ``paper_reference``,
    ``free_bias``,
    ``init_noise``, ``rng``, ``n_threads``, ``drop_null_directions`` and (for benchmarks)
    ``trace``, a dict that receives, per task, the best max-errors of its slices after every
    iterate. Returns the fields of
    :class:`relusv.singular_values.ReluSingularValueBounds` as a dict. ``tolerance = 0`` or
    ``patience = None``: no early stopping (every rank takes ``steps`` steps).

    ``drop_null_directions=False`` keeps all ``n`` principal-axis coordinates of ``X`` (the
    reference for the row-space reduction, which must give the same bounds up to rounding).

    BLAS runs single-threaded throughout (parallelism comes from the worker threads of
    :func:`_run_tasks`): multi-threaded BLAS on these mid-sized products gains little on an idle
    machine and slows down by factors when the cores are shared with other processes.
    """
    if threadpool_limits is None:
        return _compute_bounds_unpinned(W, X, b, rank_list, **kwargs)
    with threadpool_limits(limits=1, user_api="blas"):
        return _compute_bounds_unpinned(W, X, b, rank_list, **kwargs)


def _compute_bounds_unpinned(
    W: np.ndarray,
    X: np.ndarray,
    b: np.ndarray | None,
    rank_list: list[int],
    *,
    method: str,
    steps: int,
    learning_rate: float,
    tolerance: float,
    patience: int | None,
    tight_steps: int,
    error_power: float,
    choose_start_at: int,
    row_space: bool,
    paper_reference: bool,
    free_bias: bool,
    init_noise: float,
    rng: np.random.Generator,
    n_threads: int,
    drop_null_directions: bool,
    trace: list | None = None,
) -> dict:
    """:func:`compute_bounds` with BLAS threading as it is."""
    m, n = W.shape
    n_points = X.shape[0]
    p = min(m, n)
    has_bias = b is not None
    tight = method == "tight"

    U_w, sigma, Vt_w = np.linalg.svd(W, full_matrices=False)
    rank_w = numerical_rank(sigma, W.shape)
    bias = b if has_bias else None
    pre = X @ W.T
    if has_bias:
        pre += b
    targets = np.maximum(pre, 0.0)  # (N, m)

    # The SVD starts, in float64, and the exact rank-0 value with c = b.
    # For k >= rank(W), L = W (and c = b) is admissible: error 0.
    features = (X @ Vt_w[:rank_w].T) * sigma[:rank_w]  # (N, rank(W)): Sigma_k V_k^T x
    svd_bounds = {}
    # The approximant of each rank's raw bound, as factors (U (m, j), V (j, n), c or None) with
    # L = U V: the SVD start, replaced below by a better start or Adam iterate where there is one.
    # For k >= rank(W) the truncation at rank(W), whose error is 0 up to float64 rounding.
    factors = {}
    for k in rank_list:
        j = min(k, rank_w)
        factors[k] = (U_w[:, :j], sigma[:j, None] * Vt_w[:j], bias)
        if k < rank_w:
            svd_bounds[k] = _max_error(features[:, :k], U_w[:, :k], bias, targets)
        else:
            svd_bounds[k] = 0.0
    e_ref = _max_error(np.zeros((n_points, 0)), np.zeros((m, 0)), bias, targets)
    raw = dict(svd_bounds)
    start_of = {k: "svd" for k in rank_list}
    # Certified lower bounds on s_k^X where one is known (NaN elsewhere): the bound itself where
    # it is exact (k = 0 without a free bias: L = 0 is the only rank-0 map; k >= rank(W)).
    lower = {k: math.nan for k in rank_list}
    for k in rank_list:
        if k >= rank_w or (k == 0 and not free_bias):
            lower[k] = raw[k]

    # The data-aware start (tight only): L_k = Q_k Q_k^T W, c_k = b + (W - L_k) mu, the rank-k
    # PCA reconstruction of the pre-activations; exact from k = rank of the pre-activations.
    data_start = DataAwareStart(W, X, b, free_bias) if tight else None
    exact_rank = data_start.rank if tight else rank_w
    if tight:
        data_features = X @ data_start.V.T  # (N, r): Q^T W x, sliced per rank like the SVD's
        for k in rank_list:
            j = min(k, data_start.rank)
            Q_j = data_start.Q[:, :j]
            c = data_start.bias(j)
            data_bounds_k = _max_error(data_features[:, :j], Q_j, c, targets)
            if k >= data_start.rank:
                lower[k] = 0.0
            if data_bounds_k < raw[k]:
                raw[k], start_of[k] = data_bounds_k, "pca"
                factors[k] = (Q_j, data_start.V[:j], c)
        if free_bias and 0 in raw:
            ball = smallest_enclosing_ball(targets, relative_gap=RANK0_RELATIVE_GAP)
            value = _max_error(np.zeros((n_points, 0)), np.zeros((m, 0)), ball.centre, targets)
            lower[0] = min(ball.lower_bound, value)
            if value < raw[0]:
                raw[0], start_of[0] = value, "enclosing_ball"
                factors[0] = (np.zeros((m, 0)), np.zeros((0, n)), ball.centre)

    # Principal axes of the data: X = A P^T with P (n, d) orthonormal.
    _, s_x, Vt_x = np.linalg.svd(X, full_matrices=False)
    d = numerical_rank(s_x, X.shape)
    P = Vt_x[:d].T if drop_null_directions else Vt_x.T
    if not drop_null_directions and P.shape[1] < n:  # N < n: complete the basis
        P = np.linalg.svd(X, full_matrices=True)[2].T
    # The tight run's coordinates (row_space): the principal axes of the points projected onto
    # the row space of W. Both of its starts have their rows of L there, and the targets depend
    # on x only through that projection, so Adam there searches near the starts at a cost that
    # grows with min(N, rank(W)) instead of min(N, n): input layers with n >> m (a 300 x 3072
    # layer over 1000 points: 300 coordinates instead of 1000) get cheaper, and their bounds a
    # little looser (components of x off the row space can help the fit).
    # With row_space=False the tight run takes the paper run's coordinates (all of span X).
    P_tight = P
    if tight and row_space:
        basis = Vt_w[:rank_w].T  # (n, r_w)
        _, s_w, Vt_xw = np.linalg.svd(X @ basis, full_matrices=False)
        P_tight = basis @ Vt_xw[: numerical_rank(s_w, (n_points, rank_w))].T  # (n, d_w)

    # The runs of Adam, each (slices (k, start), steps, error power, step at which only the
    # better start goes on). The paper's procedure
    # (method="paper", or beside the tight run with paper_reference) runs from the SVD start
    # where the paper runs it: k = 0 only with a free bias, none at or above rank(W) (bound 0),
    # none whose SVD start is already exact; bit for bit the paper's numbers. The tight run
    # starts both the SVD and the data-aware start at 1 <= k < exact_rank (the enclosing ball is
    # optimal at k = 0 and the data-aware start is exact from exact_rank on) where the bound is
    # not already 0, for tight_steps steps on the error_power objective aimed at the max-error;
    # after choose_start_at steps only the start with the lower best max-error goes on.
    runs = []
    if not tight or paper_reference:
        runs.append(("paper", [(k, "svd") for k in rank_list
                               if k < rank_w and svd_bounds[k] > 0 and (k > 0 or free_bias)],
                     steps, 1.0, None))
    if tight:
        tight_ranks = [k for k in rank_list if 0 < k < exact_rank and raw[k] > 0]
        runs.append(("tight", [(k, name) for k in tight_ranks for name in ("svd", "pca")],
                     tight_steps, error_power,
                     choose_start_at if choose_start_at < tight_steps else None))
    runs = [run for run in runs if run[1]]
    # the paper's procedure: the SVD start and Adam from it (unknown without its run)
    paper_raw = dict(svd_bounds) if not tight or paper_reference else None
    best_steps = {k: -1 for k in rank_list}
    steps_taken = {k: 0 for k in rank_list}
    if runs and e_ref > 0:  # e_ref = 0: L = 0, c = b is exact and nothing is to be done
        # Adam works on a normalised copy of the problem: inputs divided by s_in (the RMS norm
        # of the points), outputs by s_out = e_0, and U, V, c scaled to match, so float32 sees
        # numbers of order 1 whatever the scale of the layer.
        XP = X @ P
        s_in = math.sqrt(float(np.mean(np.einsum("nd,nd->n", XP, XP)))) or 1.0
        s_out = e_ref
        factor = math.sqrt(s_in / s_out)  # U_int = U * factor, V_int = V * factor
        T32 = (targets / s_out).astype(np.float32)
        sqrt_sigma = np.sqrt(sigma[:rank_w])
        mean_sigma = float(np.mean(sigma[:rank_w]))
        # Each start as normalised nested factors (U (m, r), V (r, n)) and its bias at rank
        # k; a run takes V to its coordinates. Both take the SVD start's step sizes: scaled by
        # its own, smaller error, the data-aware start took too small steps and lost to the SVD
        # start at more ranks (on the demo networks the mean bound over ranks was 5-15 % higher).
        starts = {"svd": (U_w[:, :rank_w] * (sqrt_sigma * factor),  # (m, r_w)
                          (sqrt_sigma * factor)[:, None] * Vt_w[:rank_w],  # (r_w, n)
                          lambda k: bias)}
        if tight:
            # Q_k (V_k) balanced by the mean singular value of W, like the SVD start's factors
            balance = math.sqrt(mean_sigma) * factor
            starts["pca"] = (data_start.Q * balance, data_start.V / balance * factor**2,
                             data_start.bias)
        scales = (
            math.sqrt(mean_sigma / m) * factor,
            math.sqrt(mean_sigma / n) * factor,
            math.sqrt(float(np.mean(pre**2))) / s_out if has_bias else 0.0,
        )
        for procedure, run_slices, run_steps, power, choose_at in runs:
            P_run = P if procedure == "paper" else P_tight
            d_opt = P_run.shape[1]
            da = d_opt + has_bias
            A = np.ones((n_points, da), dtype=np.float32)
            A[:, :d_opt] = (XP if procedure == "paper" else X @ P_run) / s_in
            V_starts = {name: start[1] @ P_run for name, start in starts.items()}  # (r, d_opt)
            plan = _bucket_plan(rank_w - 1, m, da, n_points)
            if free_bias:
                plan = [(0, 0, "factored"), *plan]
            tasks = _run_plan(plan, run_slices, max(1, _MAX_STACK_ENTRIES // (n_points * m)),
                              lambda slices, hi, V_starts=V_starts, d_opt=d_opt: _bucket_setup(
                    [(k, starts[name][0][:, :k], V_starts[name][:k],
                      None if starts[name][2](k) is None else starts[name][2](k) / s_out)
                     for k, name in slices],
                    hi,
                    d_opt,
                    has_bias=has_bias,
                    free_bias=free_bias,
                    lr_scales=scales,
                    relative_lr=[learning_rate * svd_bounds[k] / e_ref for k, _ in slices],
                    init_noise=init_noise,
                    rng=rng,
                ))
            progress = Progress(tasks, steps=run_steps, n_points=n_points, m=m, da=da,
                                scale=s_out, shape=W.shape)
            results = _run_tasks(tasks, A, T32, steps=run_steps, norm=1.0 / n_points,
                                 power=power, choose_at=choose_at, n_threads=n_threads,
                                 tolerance=tolerance,
                                 patience=patience, progress=progress, trace=trace)
            progress.finish()
            for (slices, hi, _, _), result in zip(tasks, results, strict=True):
                best_U, best_V, best_step, taken = result[:4]
                for i, (k, name) in enumerate(slices):
                    steps_taken[k] += int(taken[i])
                    U_k = best_U[i, :, :k].astype(np.float64) / factor  # (m, k)
                    V_k = (best_V[i, :k, :d_opt].astype(np.float64) / factor) @ P_run.T
                    if not has_bias:
                        c = None
                    elif free_bias:
                        c = best_U[i, :, hi].astype(np.float64) * s_out
                    else:
                        c = b
                    value = _max_error(X @ V_k.T, U_k, c, targets)
                    if procedure == "paper":
                        paper_raw[k] = min(paper_raw[k], value)
                    if value < raw[k]:
                        raw[k], start_of[k] = value, name
                        best_steps[k] = int(best_step[i])
                        factors[k] = (U_k, V_k, c)
                    elif best_steps[k] < 0:
                        best_steps[k] = 0

    ranks_arr = np.array(rank_list, dtype=np.int64)
    raw_arr = np.array([raw[k] for k in rank_list], dtype=np.float64)
    raw_arr[ranks_arr >= rank_w] = 0.0
    if paper_raw is None:
        paper_arr = np.full(len(rank_list), math.nan)
    else:
        paper_arr = np.array([paper_raw[k] for k in rank_list], dtype=np.float64)
        paper_arr[ranks_arr >= rank_w] = 0.0
    sigma_padded = np.concatenate([sigma, [0.0]])
    return dict(
        ranks=ranks_arr,
        bounds=np.minimum.accumulate(raw_arr),
        paper_bounds=np.minimum.accumulate(paper_arr),
        linear_singular_values=sigma_padded[np.minimum(ranks_arr, p)],
        raw_bounds=raw_arr,
        svd_bounds=np.array([svd_bounds[k] for k in rank_list], dtype=np.float64),
        lower_bounds=np.array([lower[k] for k in rank_list], dtype=np.float64),
        starts=np.array([start_of[k] for k in rank_list], dtype=object),
        best_steps=np.array([best_steps[k] for k in rank_list], dtype=np.int64),
        steps_taken=np.array([steps_taken[k] for k in rank_list], dtype=np.int64),
        method=method,
        steps=steps,
        tight_steps=tight_steps if tight else None,
        choose_start_at=choose_start_at if tight else None,
        row_space=row_space if tight else None,
        error_power=error_power if tight else None,
        learning_rate=learning_rate,
        tolerance=tolerance,
        patience=patience,
        approximant_bias=("free" if free_bias else "fixed") if has_bias else None,
        n_points=n_points,
        data_rank=d,
        exact_rank=exact_rank,
        factors=tuple(factors[k] for k in rank_list),
    )


def _bucket_setup(
    slices: list,
    R: int,
    d: int,
    *,
    has_bias: bool,
    free_bias: bool,
    lr_scales: tuple[float, float, float],
    relative_lr: list[float],
    init_noise: float,
    rng: np.random.Generator,
):
    """Start, masks and step sizes of one bucket of slices padded to rank ``R``.

    ``slices``: per slice ``(k, U (m, k), V (k, d), c (m,) or None)``, the normalised start of a
    rank-``k`` approximant. Returns ``U (K, m, Ra)``, ``V (K, Ra, da)``, their 0/1 masks and
    their step sizes (``(K, 1, Ra)`` and ``(K, 1, 1)``), all float32. With a bias, column ``R``
    of ``U`` is ``c`` and row ``R`` of ``V`` is the unit vector of the constant input coordinate
    (``A``'s last column), so that ``Z = A V^T U^T`` includes ``+ c``; that row is never updated.
    """
    K = len(slices)
    m = slices[0][1].shape[0]
    Ra, da = R + has_bias, d + has_bias
    scale_u, scale_v, scale_c = lr_scales
    U = np.zeros((K, m, Ra), dtype=np.float32)
    V = np.zeros((K, Ra, da), dtype=np.float32)
    mask_U = np.zeros_like(U)
    mask_V = np.zeros_like(V)
    lr_U = np.zeros((K, 1, Ra), dtype=np.float32)
    lr_V = np.zeros((K, 1, 1), dtype=np.float32)
    for i, (k, U_start, V_start, c) in enumerate(slices):  # set-up only: no loop in the steps
        U[i, :, :k] = U_start
        V[i, :k, :d] = V_start
        mask_U[i, :, :k] = 1.0
        mask_V[i, :k, :d] = 1.0
        lr_U[i, 0, :k] = relative_lr[i] * scale_u
        lr_V[i] = relative_lr[i] * scale_v
        if has_bias:
            U[i, :, R] = c
            V[i, R, d] = 1.0
            if free_bias:
                mask_U[i, :, R] = 1.0
                lr_U[i, 0, R] = relative_lr[i] * scale_c
    if init_noise > 0:  # noise of each block's scale, on the trainable entries only
        column_scale = np.full(Ra, scale_u, dtype=np.float32)
        if has_bias:
            column_scale[R] = scale_c
        noise_U = rng.standard_normal(U.shape, dtype=np.float32)
        U += mask_U * noise_U * (np.float32(init_noise) * column_scale)
        noise_V = rng.standard_normal(V.shape, dtype=np.float32)
        V += mask_V * noise_V * np.float32(init_noise * scale_v)
    return U, V, mask_U, mask_V, lr_U, lr_V


def _run_plan(plan: list, slices: list, per_chunk: int, setup) -> list:
    """The tasks of one run: its slices ``(k, start)`` grouped by the buckets of ``plan``, at
    most ``per_chunk`` ranks a task (both starts of a rank in the same task); ``setup(slices,
    hi)`` gives a task's start (:func:`_bucket_setup`). Returns ``(slices, hi, method, start)``
    per task."""
    tasks = []
    for lo, hi, bucket_method in plan:
        ks = sorted({k for k, _ in slices if lo <= k <= hi})
        for first in range(0, len(ks), per_chunk):
            chunk = set(ks[first : first + per_chunk])
            task_slices = [(k, name) for k, name in slices if k in chunk]
            tasks.append((task_slices, hi, bucket_method, setup(task_slices, hi)))
    return tasks


def _partners(slices: list) -> np.ndarray:
    """For each slice ``(k, start)``, the index of the other start's slice of the same rank, or
    its own index where the rank has one start (the choice of a start never stops such a
    slice)."""
    first = {}
    partner = np.arange(len(slices))
    for i, (k, _) in enumerate(slices):
        if k in first:
            partner[i], partner[first[k]] = first[k], i
        else:
            first[k] = i
    return partner


def _run_tasks(tasks, A, T, *, steps: int, norm: float, power: float, choose_at: int | None,
               n_threads: int, tolerance: float, patience: int | None, progress: Progress,
               trace: list | None = None) -> list:
    """:func:`_optimise_bucket` on every task, on up to ``n_threads`` threads; results in order.

    Called with BLAS pinned to one thread (when ``threadpoolctl`` is available, see
    :func:`compute_bounds`), so a task's arithmetic, and hence the result, is the same for any
    ``n_threads``; without it the tasks run one after another. Each finished task is reported to
    ``progress``.
    """
    n_points, da = A.shape
    m = T.shape[1]
    T_t = np.ascontiguousarray(T.T)  # (m, N): the layout of the pre-activations below
    neg_T_t = -T_t

    def run(i):
        slices, _, method, start = tasks[i]
        partner = None if choose_at is None else _partners(slices)
        result = _optimise_bucket(A, T_t, neg_T_t, *start, partner, steps=steps, method=method,
                                  norm=norm, power=power, choose_at=choose_at,
                                  tolerance=tolerance, patience=patience,
                                  trace=None if trace is None else _trace_entry(trace, tasks[i], i))
        progress.task_done(i, result[3], result[4])
        if trace is not None:
            trace[i]["steps_taken"] = result[3]
        return result

    if threadpool_limits is None or n_threads == 1 or len(tasks) == 1:
        return [run(i) for i in range(len(tasks))]
    order = sorted(range(len(tasks)), key=lambda i: -_task_cost(tasks[i], n_points, m, da))
    results = [None] * len(tasks)
    with ThreadPoolExecutor(max_workers=min(n_threads, len(tasks))) as pool:
        futures = {i: pool.submit(run, i) for i in order}
        for i, future in futures.items():
            results[i] = future.result()
    return results


def _trace_entry(trace: dict, task, index: int) -> list:
    """A new entry ``trace[index]``: the task's slices ``(k, start)``, padded rank and method,
    and the list that :func:`_optimise_bucket` fills with the best max-errors per iterate."""
    slices, R, method, _ = task
    trace[index] = {"slices": slices, "R": R, "method": method, "best_err": []}
    return trace[index]["best_err"]
