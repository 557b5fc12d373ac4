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
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

try:  # optional: pins BLAS to one thread per worker (installed with scikit-learn)
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - depends on the environment
    threadpool_limits = None

# Adam's constants (the Keras / TensorFlow defaults); epsilon acts on the gradients of the
# normalised problem (see _compute_bounds_unpinned), which are of order 1 / N or larger.
_BETA1 = 0.9
_BETA2 = 0.999
_EPSILON = 1e-8

# Consecutive bucket sizes grow by at most this factor, so that padding a rank k to its bucket's
# size R wastes at most ~30 % (on average ~13 %) of that rank's work.
_BUCKET_GROWTH = 1.3

# The products with an N x ra operand (the factored method's) reach about this much less
# throughput than the N m da products of the dense method; used only to choose the method.
_SKINNY_COST = 1.15

# At most this many float32 entries in one stack of pre-activations (K, m, N): 2 MiB. Larger
# buckets are split into chunks of fewer ranks (which changes nothing but the memory and the
# speed): chunks whose pre-activations stay in the L2/L3 caches run ~10 % faster than stacks of
# 20 ranks (measured on a 100x100 layer over 1000 points, 2 workers on 2 cores); chunks of one
# rank lose part of that again to the Python overhead per step.
_MAX_STACK_ENTRIES = 2**19


def _numerical_rank(singular_values: np.ndarray, shape: tuple[int, int]) -> int:
    """Rank with numpy's default tolerance ``sigma_max * max(shape) * eps``."""
    if singular_values.size == 0 or singular_values[0] == 0.0:
        return 0
    tolerance = singular_values[0] * max(shape) * np.finfo(np.float64).eps
    return int(np.count_nonzero(singular_values > tolerance))


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


def _step_cost(method: str, ra: int, m: int, da: int, n_points: int) -> float:
    """Estimated cost (flops, weighted) of the matrix products of one Adam step of one rank padded
    to ``ra`` columns of ``U``.

    ``"factored"``: ``Z = U (V A^T)`` and the gradients through ``V A^T`` (products with an
    ``N x ra`` operand); ``"dense"``: ``Z = (U V) A^T`` and ``dLoss/dL = dZ A`` (two products of
    ``N m da`` multiply-adds); ``"mixed"``: the factored forward pass with the dense backward
    pass. The flops of the products with an ``N x ra`` operand count ``_SKINNY_COST`` times, as
    they run that much slower than the others (measured with OpenBLAS, one thread).
    """
    forward_factored = _SKINNY_COST * 2 * n_points * ra * (da + m)
    forward_dense = 2 * n_points * m * da + 2 * m * da * ra
    backward_factored = _SKINNY_COST * 2 * n_points * ra * (2 * m + da)
    backward_dense = 2 * n_points * m * da + 4 * m * da * ra
    if method == "factored":
        return forward_factored + backward_factored
    if method == "mixed":
        return forward_factored + backward_dense
    return forward_dense + backward_dense


_METHODS = ("factored", "mixed", "dense")


def _bucket_plan(max_rank: int, m: int, da: int, n_points: int) -> list[tuple[int, int, str]]:
    """Buckets ``(lo, hi, method)`` covering ranks ``1 .. max_rank``; a bucket pads to ``hi``.

    The plan depends only on the problem's sizes. ``method`` (see :func:`_step_cost`) is the one
    of ``"factored"``, ``"mixed"`` and ``"dense"`` with the smallest estimated cost per Adam
    step at ``hi`` (:func:`_step_cost`; the first of them on a tie).
    """
    plan = []
    lo = 1
    while lo <= max_rank:
        hi = min(max_rank, max(lo, math.floor(lo * _BUCKET_GROWTH)))
        ra = hi + 1  # one more column for the bias (an upper estimate without one)
        costs = [_step_cost(method, ra, m, da, n_points) for method in _METHODS]
        plan.append((lo, hi, _METHODS[costs.index(min(costs))]))
        lo = hi + 1
    return plan


def compute_bounds(
    W: np.ndarray, X: np.ndarray, b: np.ndarray | None, rank_list: list[int], **kwargs
) -> dict:
    """The work of :func:`relusv.singular_values.relu_singular_value_bounds` on validated inputs.

    ``W``: (m, n), ``X``: (N, n), ``b``: (m,) or None, ``rank_list``: sorted distinct ranks;
    keyword arguments ``steps``, ``learning_rate``, ``free_bias``, ``init_noise``, ``rng``,
    ``n_threads`` and ``drop_null_directions``. Returns the fields of
    :class:`relusv.singular_values.ReluSingularValueBounds` as a dict.

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
    steps: int,
    learning_rate: float,
    free_bias: bool,
    init_noise: float,
    rng: np.random.Generator,
    n_threads: int,
    drop_null_directions: bool,
) -> dict:
    """:func:`compute_bounds` with BLAS threading as it is."""
    m, n = W.shape
    n_points = X.shape[0]
    p = min(m, n)
    has_bias = b is not None

    U_w, sigma, Vt_w = np.linalg.svd(W, full_matrices=False)
    rank_w = _numerical_rank(sigma, W.shape)
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
    # L = U V: the SVD start, replaced below by the best Adam iterate where that one is better.
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

    # Principal axes of the data: X = A P^T with P (n, d) orthonormal.
    _, s_x, Vt_x = np.linalg.svd(X, full_matrices=False)
    d = _numerical_rank(s_x, X.shape)
    P = Vt_x[:d].T if drop_null_directions else Vt_x.T
    if not drop_null_directions and P.shape[1] < n:  # N < n: complete the basis
        P = np.linalg.svd(X, full_matrices=True)[2].T
    d_opt = P.shape[1]
    da = d_opt + has_bias

    # Ranks that need Adam: k = 0 only with a free bias, none at or above rank(W) (bound 0),
    # none whose SVD start is already exact.
    to_optimise = [
        k for k in rank_list if k < rank_w and svd_bounds[k] > 0 and (k > 0 or free_bias)
    ]
    raw = dict(svd_bounds)
    best_steps = {k: -1 for k in rank_list}
    if to_optimise and e_ref > 0:  # e_ref = 0: L = 0, c = b is exact and nothing is to be done
        # Adam works on a normalised copy of the problem: inputs divided by s_in (the RMS norm
        # of the points), outputs by s_out = e_0, and U, V, c scaled to match, so float32 sees
        # numbers of order 1 whatever the scale of the layer.
        XP = X @ P
        s_in = math.sqrt(float(np.mean(np.einsum("nd,nd->n", XP, XP)))) or 1.0
        s_out = e_ref
        factor = math.sqrt(s_in / s_out)  # U_int = U * factor, V_int = V * factor
        A = np.ones((n_points, da), dtype=np.float32)
        A[:, :d_opt] = XP / s_in
        T32 = (targets / s_out).astype(np.float32)
        sqrt_sigma = np.sqrt(sigma[:rank_w])
        U_full = U_w[:, :rank_w] * (sqrt_sigma * factor)  # (m, r_w)
        V_full = ((sqrt_sigma * factor)[:, None] * Vt_w[:rank_w]) @ P  # (r_w, d_opt)
        mean_sigma = float(np.mean(sigma[:rank_w]))
        scales = (
            math.sqrt(mean_sigma / m) * factor,
            math.sqrt(mean_sigma / n) * factor,
            math.sqrt(float(np.mean(pre**2))) / s_out if has_bias else 0.0,
        )
        plan = _bucket_plan(rank_w - 1, m, da, n_points)
        if free_bias:
            plan = [(0, 0, "factored"), *plan]
        per_chunk = max(1, _MAX_STACK_ENTRIES // (n_points * m))
        tasks = []  # (ranks, R, method, start), set up in a fixed order (the noise draws)
        for lo, hi, method in plan:
            ks = [k for k in to_optimise if lo <= k <= hi]
            for first in range(0, len(ks), per_chunk):
                chunk = ks[first : first + per_chunk]
                start = _bucket_setup(
                    chunk,
                    hi,
                    U_full,
                    V_full,
                    b / s_out if has_bias else None,
                    free_bias=free_bias,
                    lr_scales=scales,
                    relative_lr=[learning_rate * svd_bounds[k] / e_ref for k in chunk],
                    init_noise=init_noise,
                    rng=rng,
                )
                tasks.append((chunk, hi, method, start))
        norm = 1.0 / n_points
        results = _run_tasks(tasks, A, T32, steps=steps, norm=norm, n_threads=n_threads)
        for (chunk, hi, _, _), (best_U, best_V, best_step) in zip(tasks, results, strict=True):
            for i, k in enumerate(chunk):
                U_k = best_U[i, :, :k].astype(np.float64) / factor  # (m, k)
                V_k = (best_V[i, :k, :d_opt].astype(np.float64) / factor) @ P.T  # (k, n)
                if not has_bias:
                    c = None
                elif free_bias:
                    c = best_U[i, :, hi].astype(np.float64) * s_out
                else:
                    c = b
                value = _max_error(X @ V_k.T, U_k, c, targets)
                if value < raw[k]:
                    raw[k] = value
                    best_steps[k] = int(best_step[i])
                    factors[k] = (U_k, V_k, c)
                else:
                    best_steps[k] = 0

    ranks_arr = np.array(rank_list, dtype=np.int64)
    raw_arr = np.array([raw[k] for k in rank_list], dtype=np.float64)
    raw_arr[ranks_arr >= rank_w] = 0.0
    sigma_padded = np.concatenate([sigma, [0.0]])
    return dict(
        ranks=ranks_arr,
        bounds=np.minimum.accumulate(raw_arr),
        linear_singular_values=sigma_padded[np.minimum(ranks_arr, p)],
        raw_bounds=raw_arr,
        svd_bounds=np.array([svd_bounds[k] for k in rank_list], dtype=np.float64),
        best_steps=np.array([best_steps[k] for k in rank_list], dtype=np.int64),
        steps=steps,
        learning_rate=learning_rate,
        approximant_bias=("free" if free_bias else "fixed") if has_bias else None,
        n_points=n_points,
        data_rank=d,
        factors=tuple(factors[k] for k in rank_list),
    )


def _bucket_setup(
    ranks: list[int],
    R: int,
    U_full: np.ndarray,
    V_full: np.ndarray,
    b: np.ndarray | None,
    *,
    free_bias: bool,
    lr_scales: tuple[float, float, float],
    relative_lr: list[float],
    init_noise: float,
    rng: np.random.Generator,
):
    """Start, masks and step sizes of one bucket of ranks padded to ``R``.

    Returns ``U (K, m, Ra)``, ``V (K, Ra, da)``, their 0/1 masks and their step sizes
    (``(K, 1, Ra)`` and ``(K, 1, 1)``), all float32. With a bias, column ``R`` of ``U`` is ``c``
    and row ``R`` of ``V`` is the unit vector of the constant input coordinate (``A``'s last
    column), so that ``Z = A V^T U^T`` includes ``+ c``; that row is never updated.
    """
    K = len(ranks)
    m = U_full.shape[0]
    d = V_full.shape[1]
    has_bias = b is not None
    Ra, da = R + has_bias, d + has_bias
    scale_u, scale_v, scale_c = lr_scales
    U = np.zeros((K, m, Ra), dtype=np.float32)
    V = np.zeros((K, Ra, da), dtype=np.float32)
    mask_U = np.zeros_like(U)
    mask_V = np.zeros_like(V)
    lr_U = np.zeros((K, 1, Ra), dtype=np.float32)
    lr_V = np.zeros((K, 1, 1), dtype=np.float32)
    for i, k in enumerate(ranks):  # set-up only; the Adam steps have no loop over ranks
        U[i, :, :k] = U_full[:, :k]
        V[i, :k, :d] = V_full[:k]
        mask_U[i, :, :k] = 1.0
        mask_V[i, :k, :d] = 1.0
        lr_U[i, 0, :k] = relative_lr[i] * scale_u
        lr_V[i] = relative_lr[i] * scale_v
        if has_bias:
            U[i, :, R] = b
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


def _task_cost(task, n_points: int, m: int, da: int) -> float:
    """Rough flops per Adam step of one task, to start the most expensive tasks first."""
    ranks, R, method, _ = task
    return len(ranks) * (_step_cost(method, R + 1, m, da, n_points) + 40 * m * n_points)


def _run_tasks(tasks, A, T, *, steps: int, norm: float, n_threads: int) -> list:
    """:func:`_optimise_bucket` on every task, on up to ``n_threads`` threads; results in order.

    Called with BLAS pinned to one thread (when ``threadpoolctl`` is available, see
    :func:`compute_bounds`), so a task's arithmetic, and hence the result, is the same for any
    ``n_threads``; without it the tasks run one after another.
    """
    n_points, da = A.shape
    m = T.shape[1]
    T_t = np.ascontiguousarray(T.T)  # (m, N): the layout of the pre-activations below
    neg_T_t = -T_t

    def run(task):
        return _optimise_bucket(A, T_t, neg_T_t, *task[3], steps=steps, method=task[2], norm=norm)

    if threadpool_limits is None or n_threads == 1 or len(tasks) == 1:
        return [run(task) for task in tasks]
    order = sorted(range(len(tasks)), key=lambda i: -_task_cost(tasks[i], n_points, m, da))
    results = [None] * len(tasks)
    with ThreadPoolExecutor(max_workers=min(n_threads, len(tasks))) as pool:
        futures = {i: pool.submit(run, tasks[i]) for i in order}
        for i, future in futures.items():
            results[i] = future.result()
    return results


def _stacked(K: int, m: int, Ra: int, da: int):
    """A float32 buffer ``(K, m Ra + Ra da)`` holding each slice's ``U`` then ``V``, and its
    views ``U: (K, m, Ra)`` and ``V: (K, Ra, da)``, so that element-wise passes over all
    parameters (Adam) are one call."""
    flat = np.empty((K, m * Ra + Ra * da), dtype=np.float32)
    U = flat[:, : m * Ra].reshape(K, m, Ra)
    V = flat[:, m * Ra :].reshape(K, Ra, da)
    return flat, U, V


def _optimise_bucket(
    A: np.ndarray,
    T_t: np.ndarray,
    neg_T_t: np.ndarray,
    U_start: np.ndarray,
    V_start: np.ndarray,
    mask_U: np.ndarray,
    mask_V: np.ndarray,
    lr_U: np.ndarray,
    lr_V: np.ndarray,
    *,
    steps: int,
    method: str,
    norm: float,
):
    """Adam on a stack of ranks; returns ``(best_U, best_V, best_step)``, the best iterate per
    slice and the step it was reached at.

    ``A``: (N, da) float32 inputs, ``T_t``: (m, N) float32 targets ``relu(W x + b)``, one row per
    output (transposed), and ``neg_T_t = -T_t``; ``U_start``, ``V_start``, masks and step sizes
    from :func:`_bucket_setup`. Iterate ``t = 0 .. steps`` is evaluated before update ``t + 1``;
    the float32 max-error decides which iterate is kept. Gradients are those of
    ``sum_x ||relu(Z) - T||^2 / 2`` times ``norm`` (which only matters against Adam's epsilon).
    Every operation is a stacked matrix product or an element-wise pass over all slices. The
    pre-activations are kept as ``Z^T: (K, m, N)``, so that every product with the ``N``-sized
    operands is a plain (or once-transposed) row-major product: ``Z^T = (U V) A^T`` or
    ``U (V A^T)``, ``dLoss/dL = dZ^T A``.
    """
    K, m, Ra = U_start.shape
    n_points, da = A.shape
    f32 = np.float32
    A_T = A.T
    forward_dense = method == "dense"
    backward_dense = method != "factored"
    Z = np.empty((K, m, n_points), dtype=f32)  # pre-activations, then errors, then dLoss/dZ
    positive = np.empty((K, m, n_points), dtype=bool)
    if forward_dense:
        L = np.empty((K, m, da), dtype=f32)  # U V
    else:
        H = np.empty((K, Ra, n_points), dtype=f32)  # V A^T
    if backward_dense:
        G = np.empty((K, m, da), dtype=f32)  # dLoss/dL
    else:
        dH = np.empty((K, Ra, n_points), dtype=f32)  # dLoss/d(V A^T)
    # U and V, their gradients, gradient scales and step sizes side by side in flat buffers.
    params, U, V = _stacked(K, m, Ra, da)
    U[...], V[...] = U_start, V_start
    grads, grad_U, grad_V = _stacked(K, m, Ra, da)
    grad_scale, scale_U, scale_V = _stacked(K, m, Ra, da)
    np.multiply(mask_U, f32(norm), out=scale_U)
    np.multiply(mask_V, f32(norm), out=scale_V)
    lr, lr_U_full, lr_V_full = _stacked(K, m, Ra, da)
    lr_U_full[...], lr_V_full[...] = lr_U, lr_V
    first, second = np.zeros_like(params), np.zeros_like(params)
    step_size, scratch = np.empty_like(params), np.empty_like(params)
    best_err = np.full(K, np.inf, dtype=f32)
    best = params.copy()
    best_step = np.zeros(K, dtype=np.int64)
    U_T, V_T = U.transpose(0, 2, 1), V.transpose(0, 2, 1)  # views, follow the updates
    for t in range(steps + 1):
        if forward_dense:
            np.matmul(U, V, out=L)
            np.matmul(L, A_T, out=Z)
        else:
            np.matmul(V, A_T, out=H)
            np.matmul(U, H, out=Z)
        np.greater(Z, 0.0, out=positive)
        Z -= T_t
        np.maximum(Z, neg_T_t, out=Z)  # relu(z) - t = max(z - t, -t)
        err = np.einsum("kmn,kmn->kn", Z, Z).max(axis=1)
        improved = err < best_err
        if improved.any():
            best_err[improved] = err[improved]
            if improved.all():
                np.copyto(best, params)
            else:
                best[improved] = params[improved]
            best_step[improved] = t
        if t == steps:
            break
        np.multiply(Z, positive, out=Z)  # dLoss/dZ
        if backward_dense:
            np.matmul(Z, A, out=G)  # (K, m, da)
            np.matmul(G, V_T, out=grad_U)  # (K, m, Ra)
            np.matmul(U_T, G, out=grad_V)  # (K, Ra, da)
        else:
            np.matmul(Z, H.transpose(0, 2, 1), out=grad_U)  # (K, m, Ra)
            np.matmul(U_T, Z, out=dH)  # (K, Ra, N)
            np.matmul(dH, A, out=grad_V)  # (K, Ra, da)
        grads *= grad_scale
        correction = f32(math.sqrt(1.0 - _BETA2 ** (t + 1)) / (1.0 - _BETA1 ** (t + 1)))
        np.multiply(lr, correction, out=step_size)
        _adam_update(params, grads, first, second, step_size, scratch)
    best_U = best[:, : m * Ra].reshape(K, m, Ra)
    best_V = best[:, m * Ra :].reshape(K, Ra, da)
    return best_U, best_V, best_step


def _adam_update(param, grad, first, second, step_size, scratch) -> None:
    """One Adam update in place (float32): ``param -= step_size * m / (sqrt(v) + eps)``."""
    first *= np.float32(_BETA1)
    np.multiply(grad, np.float32(1.0 - _BETA1), out=scratch)
    first += scratch
    second *= np.float32(_BETA2)
    np.multiply(grad, grad, out=scratch)
    scratch *= np.float32(1.0 - _BETA2)
    second += scratch
    np.sqrt(second, out=scratch)
    scratch += np.float32(_EPSILON)
    np.divide(first, scratch, out=scratch)
    scratch *= step_size
    param -= scratch
