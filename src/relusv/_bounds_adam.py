"""The Adam loop of :mod:`relusv._bounds_optimiser`: one bucket of ranks, stacked.

:func:`_optimise_bucket` runs Adam on a stack of rank-``k`` approximants ``U V`` (``U: (K, m,
R)``, ``V: (K, R, d)``, padded to the bucket's rank ``R`` with masks), every step a few stacked
matrix products and element-wise passes over all slices, with early stopping, the choice of a
start and the objective's power; how a layer's ranks are cut into buckets and what the results
mean is :mod:`relusv._bounds_optimiser`'s.
"""

from __future__ import annotations

import math

import numpy as np

# Adam's constants (the Keras / TensorFlow defaults); epsilon acts on the gradients of the
# normalised problem (see _compute_bounds_unpinned), which are of order 1 / N or larger.
_BETA1 = 0.9
_BETA2 = 0.999
_EPSILON = 1e-8

def _views(flat: np.ndarray, m: int, Ra: int, da: int):
    """The views ``U: (K, m, Ra)`` and ``V: (K, Ra, da)`` of a flat buffer ``(K, m Ra + Ra da)``
    (every row one slice's ``U`` then ``V``)."""
    K = flat.shape[0]
    return flat[:, : m * Ra].reshape(K, m, Ra), flat[:, m * Ra :].reshape(K, Ra, da)


def _stacked(K: int, m: int, Ra: int, da: int):
    """A float32 buffer ``(K, m Ra + Ra da)`` holding each slice's ``U`` then ``V``, and its
    views ``U: (K, m, Ra)`` and ``V: (K, Ra, da)``, so that element-wise passes over all
    parameters (Adam) are one call."""
    flat = np.empty((K, m * Ra + Ra * da), dtype=np.float32)
    return (flat, *_views(flat, m, Ra, da))


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
    partner: np.ndarray | None = None,
    *,
    steps: int,
    method: str,
    norm: float,
    power: float = 1.0,
    choose_at: int | None = None,
    tolerance: float = 0.0,
    patience: int | None = None,
    trace: list | None = None,
):
    """Adam on a stack of ranks; returns ``(best_U, best_V, best_step, steps_taken, best_err,
    best_loss)``: per slice the best iterate, the step it was reached at, the Adam updates done
    before the slice stopped (``steps`` if it never did), the best float32 max-error (squared)
    and the best loss (the sum of squared errors, float64) over the iterates evaluated.

    ``A``: (N, da) float32 inputs, ``T_t``: (m, N) float32 targets ``relu(W x + b)``, one row per
    output (transposed), and ``neg_T_t = -T_t``; ``U_start``, ``V_start``, masks and step sizes
    from :func:`_bucket_setup`. Iterate ``t = 0 .. steps`` is evaluated before update ``t + 1``;
    the float32 max-error decides which iterate is kept. Gradients are those of
    ``sum_x ||relu(Z) - T||^2 / 2`` (``power = 1``, the paper's objective) or of
    ``sum_x (e_x / e_max)^power * e_max / (2 power)`` with ``e_x = ||relu(Z) - T||^2`` and
    ``e_max`` the iterate's largest ``e_x`` (held constant), which aims at the max-error: the
    gradient of a point is weighted by ``(e_x / e_max)^(power - 1)``; both times ``norm`` (which
    only matters against Adam's epsilon).
    Every operation is a stacked matrix product or an element-wise pass over all slices. The
    pre-activations are kept as ``Z^T: (K, m, N)``, so that every product with the ``N``-sized
    operands is a plain (or once-transposed) row-major product: ``Z^T = (U V) A^T`` or
    ``U (V A^T)``, ``dLoss/dL = dZ^T A``.

    Early stopping (``tolerance > 0`` and ``patience`` set): once iterate ``t >= patience`` is
    evaluated, a slice whose best max-error ``e_t`` and best loss ``l_t`` (sum of squared
    errors, float64 sum; both over iterates ``0 .. t``) satisfy ``e_t >= (1 - tolerance)
    e_(t - patience)`` and ``l_t >= (1 - tolerance) l_(t - patience)`` stops: its result is that
    of ``t`` steps, and after this step's update (which it still takes, harmlessly) its state is
    dropped from the stack. Otherwise the loop is exactly the fixed-step one.

    Choosing a start (``choose_at`` with ``partner``, per slice the index of the other start of
    its rank, or its own): once iterate ``choose_at`` is evaluated, a running slice whose best
    max-error is larger than its partner's (whose best may be frozen, if it stopped first) stops
    like a stalled one; its result is that of ``choose_at`` steps. A slice's result then
    depends on its partner's history, but still not on the other ranks. ``trace``: a list to
    which the best max-errors (squared, float32) of all slices are appended after every iterate
    (benchmarks).
    """
    K, m, Ra = U_start.shape
    n_points, da = A.shape
    f32 = np.float32
    A_T = A.T
    forward_dense = method == "dense"
    backward_dense = method != "factored"
    # Scratch for the whole stack; once slices have stopped, the running ones use its leading
    # slices (contiguous, so every product and pass keeps its layout).
    Z_all = np.empty((K, m, n_points), dtype=f32)  # pre-activations, then errors, then dLoss/dZ
    positive_all = np.empty((K, m, n_points), dtype=bool)
    # U V (dense forward) or V A^T; dLoss/dL (dense backward) or dLoss/d(V A^T)
    forward_all = np.empty((K, m, da) if forward_dense else (K, Ra, n_points), dtype=f32)
    backward_all = np.empty((K, m, da) if backward_dense else (K, Ra, n_points), dtype=f32)
    grads_all = _stacked(K, m, Ra, da)[0]
    step_size_all, scratch_all = np.empty_like(grads_all), np.empty_like(grads_all)

    def scratch_views(count: int):
        grads = grads_all[:count]
        return (Z_all[:count], positive_all[:count], forward_all[:count], backward_all[:count],
                grads, *_views(grads, m, Ra, da), step_size_all[:count], scratch_all[:count])

    # The state of the running slices (compacted when slices stop): U and V, gradient scales,
    # step sizes and Adam's moments, side by side in flat buffers.
    params, U, V = _stacked(K, m, Ra, da)
    U[...], V[...] = U_start, V_start
    grad_scale, scale_U, scale_V = _stacked(K, m, Ra, da)
    np.multiply(mask_U, f32(norm), out=scale_U)
    np.multiply(mask_V, f32(norm), out=scale_V)
    lr, lr_U_full, lr_V_full = _stacked(K, m, Ra, da)
    lr_U_full[...], lr_V_full[...] = lr_U, lr_V
    first, second = np.zeros_like(params), np.zeros_like(params)
    # Per slice of the task, running or not (indexed through ``alive``).
    best_err = np.full(K, np.inf, dtype=f32)
    best = params.copy()
    best_step = np.zeros(K, dtype=np.int64)
    steps_taken = np.full(K, steps, dtype=np.int64)
    best_loss = np.full(K, np.inf)
    stopping = tolerance > 0 and patience is not None
    if stopping:
        # e_t and l_t of the last `patience` iterates, at t % patience
        history_err, history_loss = np.empty((K, patience)), np.empty((K, patience))
    alive = np.arange(K)  # the running slices, in stack order
    Z, positive, F, B, grads, grad_U, grad_V, step_size, scratch = scratch_views(K)
    U_T, V_T = U.transpose(0, 2, 1), V.transpose(0, 2, 1)  # views, follow the updates
    for t in range(steps + 1):
        if forward_dense:
            np.matmul(U, V, out=F)
            np.matmul(F, A_T, out=Z)
        else:
            np.matmul(V, A_T, out=F)
            np.matmul(U, F, out=Z)
        np.greater(Z, 0.0, out=positive)
        Z -= T_t
        np.maximum(Z, neg_T_t, out=Z)  # relu(z) - t = max(z - t, -t)
        squared = np.einsum("kmn,kmn->kn", Z, Z)  # (K, N): squared error per point
        err = squared.max(axis=1)
        if power != 1.0:
            weights = squared / np.maximum(err, f32(np.finfo(f32).tiny))[:, None]
            weights **= f32(power - 1.0)
        improved = err < best_err[alive]
        if improved.any():
            where = alive[improved]
            best_err[where] = err[improved]
            if improved.all() and len(alive) == K:
                np.copyto(best, params)
            else:
                best[where] = params[improved]
            best_step[where] = t
        best_loss[alive] = np.minimum(best_loss[alive], squared.sum(axis=1, dtype=np.float64))
        if trace is not None:
            trace.append(best_err.copy())
        if t == steps:
            break
        stalled = None
        if t == choose_at and partner is not None:
            # the start behind its partner (strictly: a tie keeps both) stops here
            stalled = best_err[alive] > best_err[partner[alive]]
            steps_taken[alive[stalled]] = t
        if stopping:
            current_err, current_loss = best_err[alive].astype(np.float64), best_loss[alive]
            slot = t % patience
            if t >= patience:
                keep_fraction = 1.0 - tolerance
                stalled_now = ((current_err >= history_err[alive, slot] * keep_fraction)
                               & (current_loss >= history_loss[alive, slot] * keep_fraction))
                steps_taken[alive[stalled_now]] = t
                stalled = stalled_now if stalled is None else stalled | stalled_now
            history_err[alive, slot] = current_err
            history_loss[alive, slot] = current_loss
        if stalled is not None and stalled.all():
            break
        np.multiply(Z, positive, out=Z)  # dLoss/dZ
        if power != 1.0:
            Z *= weights[:, None, :]
        if backward_dense:
            np.matmul(Z, A, out=B)  # (K, m, da)
            np.matmul(B, V_T, out=grad_U)  # (K, m, Ra)
            np.matmul(U_T, B, out=grad_V)  # (K, Ra, da)
        else:
            np.matmul(Z, F.transpose(0, 2, 1), out=grad_U)  # (K, m, Ra)
            np.matmul(U_T, Z, out=B)  # (K, Ra, N)
            np.matmul(B, A, out=grad_V)  # (K, Ra, da)
        grads *= grad_scale
        correction = f32(math.sqrt(1.0 - _BETA2 ** (t + 1)) / (1.0 - _BETA1 ** (t + 1)))
        np.multiply(lr, correction, out=step_size)
        _adam_update(params, grads, first, second, step_size, scratch)
        if stalled is not None and stalled.any():
            keep = ~stalled
            alive = alive[keep]
            params, grad_scale, lr, first, second = (
                array[keep] for array in (params, grad_scale, lr, first, second)
            )
            U, V = _views(params, m, Ra, da)
            U_T, V_T = U.transpose(0, 2, 1), V.transpose(0, 2, 1)
            Z, positive, F, B, grads, grad_U, grad_V, step_size, scratch = scratch_views(len(alive))
    best_U, best_V = _views(best, m, Ra, da)
    return best_U, best_V, best_step, steps_taken, best_err, best_loss


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
