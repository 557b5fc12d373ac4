"""Retraining a pruned network: one compiled TensorFlow loop per run, a fresh Adam each time.

Harmonic pruning (:mod:`relusv.pruning.harmonic`) and magnitude pruning
(:mod:`relusv.pruning.baselines`) retrain the same way: the rows of the training set are
:func:`batch_rows` of a key ``(seed, tag, iteration)`` (a different ``_TAG_*`` per use, so that
no two uses share a random stream), the loss is Keras' sparse categorical cross-entropy from
logits, and the optimiser is Adam with Keras' defaults (``beta_1 = 0.9``, ``beta_2 = 0.999``,
``epsilon = 1e-7``), started afresh (zero moments, step counter 1) at every retraining: the
moments of a previous retraining belong to other factors, and a fresh optimiser makes a
retraining a function of the network and the key alone, which resume needs.

Why one compiled loop: building, compiling and tracing a new Keras model of the current ranks
for every retraining cost ~1-1.5 s of a ~2.5 s retraining (``benchmarks/PROFILING.md``, section
10), up to ~60 times a run. Here the parameters are padded once to the largest shapes a run can
have (rank ``min(n_l, m_l)`` per double-layer; the dense kernels of magnitude pruning keep their
shapes), and a 0/1 mask per parameter zeroes the gradients of the pruned entries (rank components
beyond the current rank, pruned weights): their Adam moments stay zero, so does their update, so
they stay exactly zero. The whole loop over a retraining's batches runs inside one
``tf.function`` (:class:`CompiledRetraining`), traced once per instance (one per pruning run).

Precision: the padded products add exact zeros, but TensorFlow may block sums of other lengths
differently, so a retraining agrees with the Keras retraining of the unpadded network
(``train_on_batch`` on a model of the current ranks) to float32 rounding, not bit for bit;
TensorFlow's op determinism is switched on, so it is bit for bit the same on the same machine
and library versions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import numpy as np
import tensorflow as tf

from relusv.pruning.state import PruningState
from relusv.training import enable_determinism

__all__ = [
    "CompiledRetraining",
    "batch_rows",
    "dense_retraining",
    "harmonic_retraining",
    "pad_state",
    "retrain_dense",
    "retrain_state",
    "unpad_state",
]

# Domain tags of the random streams, so that no two uses share a generator.
_TAG_HARMONIC, _TAG_MAGNITUDE_GRADUAL, _TAG_MAGNITUDE_ONE_SHOT = 0, 1, 2

# keras.optimizers.Adam's defaults, as the Keras retraining used them.
_BETA_1, _BETA_2, _EPSILON = 0.9, 0.999, 1e-7


def batch_rows(n: int, batches: int, batch_size: int, key: Sequence[int]) -> np.ndarray:
    """Row indices of ``batches`` mini-batches of ``batch_size`` from ``n`` training rows.

    Consecutive permutations of ``range(n)`` drawn by ``numpy.random.default_rng(key)``, joined
    and cut to ``batches * batch_size`` indices (batch ``i`` is slice ``i``); a function of
    ``key`` only. With ``batch_size > n`` a batch holds repeated rows.
    """
    rng = np.random.default_rng([int(k) for k in key])
    need = batches * batch_size
    perms = [rng.permutation(n) for _ in range(-(-need // n))]
    return np.concatenate(perms)[:need]


# --------------------------------------------------------------------------------------------
# the networks' forward passes, in Keras' order of operations


def _double_forward(params: Sequence[tf.Tensor], x: tf.Tensor) -> tf.Tensor:
    """Logits of a double-layer MLP: ``params = [v_1, u_1, b_1, ..., w_out, b_out]``.

    ``x``: (B, n) -> (B, classes). Hidden layer ``l``: ``relu((h @ v_l) @ u_l + b_l)``, as
    :class:`relusv.layers.DoubleDense`.
    """
    h = x
    for i in range(0, len(params) - 2, 3):
        v, u, b = params[i:i + 3]
        h = tf.nn.relu(tf.matmul(tf.matmul(h, v), u) + b)
    return tf.matmul(h, params[-2]) + params[-1]


def _dense_forward(params: Sequence[tf.Tensor], x: tf.Tensor) -> tf.Tensor:
    """Logits of a dense MLP: ``params = [k_1, b_1, ..., w_out, b_out]``; (B, n) -> (B, classes)."""
    h = x
    for i in range(0, len(params) - 2, 2):
        h = tf.nn.relu(tf.matmul(h, params[i]) + params[i + 1])
    return tf.matmul(h, params[-2]) + params[-1]


# --------------------------------------------------------------------------------------------
# Adam and the compiled loop


def _adam_update(param, grad, m, v, step, learning_rate):
    """One step of ``keras.optimizers.Adam.update_step`` (defaults) on one tensor.

    ``step`` is the 1-based float32 step number. The same operations in the same order as
    Keras, so that on the same shapes the result is Keras' to the last bit where the kernels
    are. Returns ``(param, m, v)`` after the step.
    """
    alpha = learning_rate * tf.sqrt(1 - tf.pow(_BETA_2, step)) / (1 - tf.pow(_BETA_1, step))
    m = m + (grad - m) * (1 - _BETA_1)
    v = v + (tf.square(grad) - v) * (1 - _BETA_2)
    return param - (m * alpha) / (tf.sqrt(v) + _EPSILON), m, v


class CompiledRetraining:
    """A retraining loop over mini-batches, compiled once for fixed parameter shapes.

    Parameters
    ----------
    forward : callable
        ``forward(params, x)``: logits ``(B, classes)`` of the rows ``x: (B, n)``.
    shapes : sequence of tuples
        The shapes of ``params`` (padded to the largest a run can have).
    x : (N, n) float32 array
    y : (N,) int array
        The training split, converted to tensors once.
    learning_rate : float

    Attributes
    ----------
    shapes : list of tuples
    n_train : int
        ``N``, the rows of the training split.
    traces : int
        How often TensorFlow traced the loop (1 after the first :meth:`run`).
    """

    def __init__(self, forward: Callable, shapes: Sequence[tuple[int, ...]], x: np.ndarray,
                 y: np.ndarray, learning_rate: float):
        enable_determinism()
        self._forward = forward
        self._x = tf.convert_to_tensor(np.asarray(x, dtype=np.float32))
        self._y = tf.convert_to_tensor(np.asarray(y, dtype=np.int32))
        self._learning_rate = float(learning_rate)
        self._loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.shapes = [tuple(int(d) for d in s) for s in shapes]
        self.n_train = int(self._x.shape[0])
        self.traces = 0
        specs = [tf.TensorSpec(s, tf.float32) for s in self.shapes]
        # Rows (batches, batch_size) of any size: one trace serves every retraining of a run.
        self._loop = tf.function(self._train, jit_compile=False, input_signature=(
            tf.TensorSpec(self._x.shape, tf.float32), tf.TensorSpec(self._y.shape, tf.int32),
            tf.TensorSpec((None, None), tf.int32), specs, specs))

    def run(self, params: Sequence[np.ndarray], masks: Sequence[np.ndarray],
            rows: np.ndarray) -> list[np.ndarray]:
        """Train ``params`` on the batches ``rows`` with a fresh Adam; returns the new params.

        ``params`` and ``masks``: arrays of :attr:`shapes` (masks 0/1; entries where the mask
        is 0 must be 0 and stay 0); ``rows``: (batches, batch_size) row indices.
        """
        rows = np.asarray(rows, dtype=np.int32)
        if rows.ndim != 2:
            raise ValueError(f"rows must be (batches, batch_size), got shape {rows.shape}")
        if rows.shape[0] == 0:
            return [np.array(p, dtype=np.float32) for p in params]
        out = self._loop(self._x, self._y, tf.convert_to_tensor(rows),
                         [tf.convert_to_tensor(p, tf.float32) for p in params],
                         [tf.convert_to_tensor(m, tf.float32) for m in masks])
        return [t.numpy() for t in out]

    def _train(self, x, y, rows, params, masks):
        """The traced loop: ``rows.shape[0]`` Adam steps on the batches ``x[rows[i]]``."""
        self.traces += 1  # runs at trace time only
        lr = tf.constant(self._learning_rate, tf.float32)
        zeros = [tf.zeros_like(p) for p in params]  # a fresh Adam: zero moments

        def body(i, params, m, v):
            batch = rows[i]
            x_batch, y_batch = tf.gather(x, batch), tf.gather(y, batch)
            with tf.GradientTape() as tape:
                tape.watch(params)
                loss = self._loss(y_batch, self._forward(params, x_batch))
            grads = tape.gradient(loss, params)
            step = tf.cast(i + 1, tf.float32)  # Adam's step counter restarts at 1
            # A masked entry gets gradient 0, so its moments stay 0 and so does its update
            # (0 / (sqrt(0) + epsilon)): a pruned entry that is 0 stays exactly 0.
            new = [_adam_update(p, g * mask, mi, vi, step, lr)
                   for p, g, mask, mi, vi in zip(params, grads, masks, m, v, strict=True)]
            return (i + 1, [n[0] for n in new], [n[1] for n in new], [n[2] for n in new])

        _, params, _, _ = tf.while_loop(lambda i, *_: i < tf.shape(rows)[0], body,
                                        (tf.constant(0), list(params), zeros, list(zeros)))
        return params


# --------------------------------------------------------------------------------------------
# harmonic pruning: double-layers padded to full rank


def _full_ranks(state: PruningState) -> list[int]:
    """``min(n_l, m_l)`` per hidden layer: the largest rank a double-layer can have."""
    ins = (state.input_dim, *state.widths[:-1])
    return [min(n, m) for n, m in zip(ins, state.widths, strict=True)]


def harmonic_retraining(state: PruningState, x: np.ndarray, y: np.ndarray,
                        learning_rate: float) -> CompiledRetraining:
    """The compiled retraining of every network with ``state``'s widths, padded to full rank.

    The padding depends on the widths only, so a retraining's result does not depend on the
    ranks the run started from (a run and its resume pad alike).
    """
    shapes = []
    n = state.input_dim
    for rank, m in zip(_full_ranks(state), state.widths, strict=True):
        shapes += [(n, rank), (rank, m), (m,)]
        n = m
    shapes += [state.w_out.shape, state.b_out.shape]
    return CompiledRetraining(_double_forward, shapes, x, y, learning_rate)


def pad_state(state: PruningState, full_ranks: Sequence[int]) -> tuple[list, list]:
    """A state's arrays padded to ranks ``full_ranks``, with the masks of the padding.

    Returns
    -------
    params : list of float32 arrays
        ``[v_1, u_1, b_1, ..., w_out, b_out]`` (:func:`_double_forward`); ``v_l``: (n_l, R_l)
        and ``u_l``: (R_l, m_l) with ``R_l = full_ranks[l]``, the state's ``r_l`` components
        first and zeros after them.
    masks : list of float32 arrays
        Of the same shapes: 1 on the first ``r_l`` columns of ``v_l`` and rows of ``u_l``, 0 on
        the padding, 1 on the biases and the output layer.
    """
    params, masks = [], []
    for v, u, b, full in zip(state.v, state.u, state.b, full_ranks, strict=True):
        r = v.shape[1]
        v_pad = np.zeros((v.shape[0], full), np.float32)
        u_pad = np.zeros((full, u.shape[1]), np.float32)
        v_pad[:, :r], u_pad[:r] = v, u
        keep = (np.arange(full) < r).astype(np.float32)
        params += [v_pad, u_pad, np.array(b)]
        masks += [np.broadcast_to(keep, v_pad.shape), np.broadcast_to(keep[:, None], u_pad.shape),
                  np.ones_like(b)]
    params += [np.array(state.w_out), np.array(state.b_out)]
    masks += [np.ones_like(state.w_out), np.ones_like(state.b_out)]
    return params, masks


def unpad_state(params: Sequence[np.ndarray], ranks: Sequence[int]) -> PruningState:
    """The :class:`PruningState` in padded ``params`` (:func:`pad_state`'s layout): the first
    ``ranks[l]`` columns of ``v_l`` (n_l, R_l) and rows of ``u_l`` (R_l, m_l)."""
    v = [params[3 * i][:, :r] for i, r in enumerate(ranks)]
    u = [params[3 * i + 1][:r] for i, r in enumerate(ranks)]
    b = [params[3 * i + 2] for i in range(len(ranks))]
    return PruningState(v, u, b, params[-2], params[-1])


def retrain_state(compiled: CompiledRetraining, state: PruningState, *, batches: int,
                  batch_size: int, key: Sequence[int]) -> PruningState:
    """Retrain ``state`` for ``batches`` batches of ``batch_size`` rows of the key ``key``.

    ``compiled`` is :func:`harmonic_retraining` of a state with the same widths (its training
    split has ``compiled.n_train`` rows). Returns the retrained state, of ``state``'s ranks.
    """
    rows = batch_rows(compiled.n_train, batches, batch_size, key).reshape(batches, batch_size)
    params, masks = pad_state(state, _full_ranks(state))
    return unpad_state(compiled.run(params, masks, rows), state.ranks)


def _retrain(state: PruningState, x: np.ndarray, y: np.ndarray, *, batches: int,
             batch_size: int, learning_rate: float, key: Sequence[int]) -> PruningState:
    """One retraining outside a run (it compiles, so it traces): as a run's retraining."""
    return retrain_state(harmonic_retraining(state, x, y, learning_rate), state,
                         batches=batches, batch_size=batch_size, key=key)


# --------------------------------------------------------------------------------------------
# magnitude pruning: dense kernels with fixed masks


def dense_retraining(kernels: Sequence[np.ndarray], biases: Sequence[np.ndarray], x: np.ndarray,
                     y: np.ndarray, learning_rate: float) -> CompiledRetraining:
    """The compiled retraining of dense MLPs with kernels and biases of these shapes."""
    shapes = [s for k, b in zip(kernels, biases, strict=True) for s in (k.shape, b.shape)]
    return CompiledRetraining(_dense_forward, shapes, x, y, learning_rate)


def retrain_dense(compiled: CompiledRetraining, kernels, biases, masks, *, batches: int,
                  batch_size: int, key: Sequence[int]) -> tuple[list, list]:
    """Retrain a dense MLP with fixed masks for ``batches`` batches of the key ``key``.

    Parameters
    ----------
    compiled : CompiledRetraining
        :func:`dense_retraining` of these shapes.
    kernels, biases : lists of (n_l, m_l) and (m_l,) float32 arrays
        Hidden layers, then the output layer; kernels are zero where ``masks`` are False.
    masks : list of (n_l, m_l) bool arrays
        The weights kept; the others get no update, so they stay zero.

    Returns
    -------
    (kernels, biases) : the retrained arrays, of the same shapes.
    """
    rows = batch_rows(compiled.n_train, batches, batch_size, key).reshape(batches, batch_size)
    params = [a for k, b in zip(kernels, biases, strict=True) for a in (k, b)]
    mask_arrays = [a for k, b in zip(masks, biases, strict=True)
                   for a in (k.astype(np.float32), np.ones_like(b, dtype=np.float32))]
    out = compiled.run(params, mask_arrays, rows)
    return out[0::2], out[1::2]
