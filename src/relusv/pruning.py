"""Harmonic pruning of MLPs of double-layers (paper section V, SPEC section 4) and baselines.

The network being pruned is held as numpy arrays, a :class:`PruningState`: per hidden layer the
double-layer factors ``v: (n_l, r_l)``, ``u: (r_l, m_l)`` and the bias ``b: (m_l,)``, and the
dense output layer ``w_out: (m_L, classes)``, ``b_out: (classes,)``. Everything is in Keras
layout (row vectors): hidden layer ``l`` computes ``relu((h @ v_l) @ u_l + b_l)``, the output
``h @ w_out + b_out`` (logits). The SPEC's ``W_l = U V`` is ``(v_l @ u_l).T``.

One step of harmonic pruning (:func:`pruning_step`, :func:`harmonic_pruning`):

1. For every hidden layer with rank ``r_l > 0`` the validation accuracy of the whole network when
   the smallest non-zero singular value of ``W_l`` is set to zero, computed with a numpy forward
   pass (no Keras model is built for the decision).
2. The layer whose candidate keeps the most validation points correct is chosen. Ties (frequent:
   dropping a small singular value often changes no prediction) go to the layer whose dropped
   singular value is smallest, ``||W_l - W_l'||_op`` (``tie_break="singular_value"``), then to the
   lowest index; ``tie_break="index"`` uses the lowest index alone.
3. The chosen layer is re-factored from the SVD of its float64 product ``v @ u``: with ``k`` its
   number of non-zero singular values, the new rank is ``k - 1``, ``v`` = the first ``k - 1``
   left singular vectors of the kernel and ``u = diag(s) B^T`` truncated, exactly as
   :func:`relusv.layers.double_dense_factors` (the first ``r`` columns of ``U Sigma`` and rows of
   ``V^T`` in the SPEC's orientation). A singular value counts as non-zero when it exceeds
   ``rank_rtol`` (:data:`RANK_RTOL`, ``1e-10``) times the layer's largest one. The product is
   formed in float64 from the float32 factors, so it has rank ``r`` to float64 precision: its
   singular values beyond ``r`` are round-off at ~1e-16 of the largest, never exact zeros, and
   ``1e-10`` separates them from genuine ones. The tolerance must not be set near float32
   precision: a square double-layer (e.g. 100 -> 100 at rank 100) initialised as a product of two
   Gaussian factors is nearly singular, with ``s_min / s_max`` around ``1e-5`` or below (4e-6
   for the (100, 100, 100) network of the benchmark), and training keeps it so; with
   ``rank_rtol = 1e-5`` such a layer lost two ranks in one step. Trained factors are thus of full
   rank ``r``, ``k = r``, and every step lowers one layer's rank by exactly one, as in the paper
   (its Fig. 5 reaches ranks summing to ``300 - 268`` at iteration 268). A layer whose factors
   have really lost rank (``k < r``, e.g. a zero column) drops to ``k - 1`` in one step.
4. The network is retrained (:func:`harmonic_pruning`) for ``retrain_batches`` mini-batches of
   ``retrain_batch_size`` when the validation accuracy after the step is more than
   ``accuracy_drop`` below that of the network before pruning (iteration 0), or the iteration is a
   multiple of ``retrain_every``, or some layer has a rank in ``(0, rank_threshold)``.
   Retraining builds a Keras model of :class:`~relusv.layers.DoubleDense` layers with the current
   ranks (:func:`model_from_state`), so training keeps every rank at most ``r_l``, with a *fresh*
   Adam optimiser (learning rate ``learning_rate``; the moments of the previous retraining belong
   to factors of other shapes, and a fresh optimiser makes an iteration a function of the state
   alone, which resume needs). The batches are drawn from the training set in an order that is a
   function of ``(seed, iteration)`` only; TensorFlow's op determinism is switched on.
5. The run stops when every hidden layer has rank 0 (the paper prunes until no parameters of the
   hidden layers are left), or after iteration ``max_iterations``.

Precision: the forward pass is float32 with the same order of operations as Keras
(``(x @ v) @ u + b``), so its logits agree with the Keras model's to float32 rounding (~1e-6) and
its predicted classes are the same except for points whose two largest logits tie to that
precision; the SVDs are float64. The accuracy of the candidate that is chosen is bit-for-bit the
accuracy of the pruned network (the same float32 operations on the same arrays), and all
accuracies are counts of correct points divided by the split's size.

Checkpoints: with ``state_dir``, :func:`harmonic_pruning` writes ``state_dir/pruning_state.npz``
atomically after every finished iteration (the factors, biases, output layer, iteration, records,
reference accuracy, retraining batches used and a fingerprint of the inputs and options) and resumes
from it when started again. Randomness is a function of ``(seed, iteration)``, so a run killed at
any point ends with the same records as an uninterrupted one (all columns but the timings
:data:`TIMING_COLUMNS`), bit for bit on the same machine and library versions (TensorFlow's CPU
kernels are deterministic with op determinism on). The file is *kept* after success, so that
running again returns the records at once; deleting ``state_dir`` is the caller's job.

Baselines (beyond the paper, for the same parameter budgets): :func:`one_shot_svd_curve`
(truncated SVDs of all layers at once, no retraining), :func:`magnitude_pruning_curve` (global
magnitude pruning of a dense copy with a fixed mask and the same retraining budget) and
:func:`from_scratch_comparison` (small architectures trained from scratch, claim C8).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from relusv._validation import check_choice, check_nonnegative_int, check_positive_int
from relusv.files import atomic_path
from relusv.layers import DoubleDense, double_dense_factors
from relusv.models import as_features, build_mlp, hidden_layers
from relusv.parameter_counts import double_mlp_parameter_count
from relusv.training import as_labels, evaluate_accuracy, train_mlp

__all__ = [
    "C8_ARCHITECTURES",
    "DATA_KEYS",
    "RANK_RTOL",
    "STATE_FILE",
    "TIE_BREAKS",
    "TIMING_COLUMNS",
    "LayerTruncation",
    "PruningState",
    "StepInfo",
    "accuracy",
    "batch_rows",
    "from_scratch_comparison",
    "harmonic_pruning",
    "load_state",
    "magnitude_pruning_curve",
    "model_from_state",
    "one_shot_svd_curve",
    "predict_classes",
    "predict_logits",
    "pruning_frame",
    "pruning_step",
    "retrain_reasons",
    "save_state",
    "state_from_model",
    "truncate_layer",
]

logger = logging.getLogger(__name__)

try:
    from threadpoolctl import ThreadpoolController

    _THREADPOOLS: ThreadpoolController | None = ThreadpoolController()
except ImportError:  # pragma: no cover
    _THREADPOOLS = None

#: Keys a ``data`` mapping must have (as :func:`relusv.data.prepare` returns them).
DATA_KEYS = ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")
#: Name of the checkpoint file in ``state_dir``.
STATE_FILE = "pruning_state.npz"
#: Record columns that differ between an interrupted-and-resumed run and an uninterrupted one.
TIMING_COLUMNS = ("seconds", "decision_seconds")
#: Default relative tolerance for non-zero singular values (see the module docstring).
RANK_RTOL = 1e-10
#: Tie-breaking rules of the decision step.
TIE_BREAKS = ("singular_value", "index")
#: The three architectures of claim C8 (CIFAR-10 from scratch).
C8_ARCHITECTURES = (
    {"name": "dense (20, 9, 7)", "widths": (20, 9, 7), "ranks": None},
    {"name": "double (100, 100, 100) ranks (18, 8, 6)", "widths": (100, 100, 100),
     "ranks": (18, 8, 6)},
    {"name": "dense (100, 100, 100)", "widths": (100, 100, 100), "ranks": None},
)

_FORMAT_VERSION = 1
# Domain tags of the random streams, so that no two uses share a generator.
_TAG_HARMONIC, _TAG_MAGNITUDE_GRADUAL, _TAG_MAGNITUDE_ONE_SHOT = 0, 1, 2


# --------------------------------------------------------------------------------------------
# argument checks


def _check_optional_int(value, name: str, minimum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be None or an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_real(value, name: str, *, low: float, high: float = math.inf,
                low_open: bool = False) -> float:
    ok = not isinstance(value, bool) and isinstance(value, int | float | np.floating | np.integer)
    if ok:
        value = float(value)
        ok = math.isfinite(value) and value <= high and (value > low if low_open else value >= low)
    if not ok:
        bracket = "(" if low_open else "["
        raise ValueError(f"{name} must be a number in {bracket}{low}, {high}], got {value!r}")
    return value


def _check_learning_rate(value) -> float:
    return _check_real(value, "learning_rate", low=0.0, low_open=True)


def _check_rtol(value) -> float:
    return _check_real(value, "rank_rtol", low=0.0, high=1.0, low_open=True)


# --------------------------------------------------------------------------------------------
# the network as numpy arrays


def _frozen(array, name: str, ndim: int) -> np.ndarray:
    out = np.array(array, dtype=np.float32, copy=True)
    if out.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-d array, got shape {out.shape}")
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name} contains NaN or inf entries; all entries must be finite")
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class PruningState:
    """An MLP of double-layers and a dense output layer, as float32 numpy arrays (Keras layout).

    Hidden layer ``l`` (0-based here, ``l + 1`` in records) computes
    ``relu((h @ v[l]) @ u[l] + b[l])``; the logits are ``h @ w_out + b_out``. A layer of rank 0
    has ``v[l]`` of shape ``(n_l, 0)`` and ``u[l]`` of shape ``(0, m_l)`` and outputs
    ``relu(b[l])``. The arrays are copied to float32 and made read-only.

    Parameters
    ----------
    v : sequence of (n_l, r_l) arrays
    u : sequence of (r_l, m_l) arrays
    b : sequence of (m_l,) arrays
    w_out : (m_L, classes) array
    b_out : (classes,) array

    Raises
    ------
    ValueError
        Shapes that do not chain (``n_{l+1} = m_l``), a rank above ``min(n_l, m_l)``, NaN/inf.
    """

    v: tuple
    u: tuple
    b: tuple
    w_out: np.ndarray
    b_out: np.ndarray

    def __post_init__(self):
        for name in ("v", "u", "b"):
            value = getattr(self, name)
            if isinstance(value, np.ndarray) or not isinstance(value, Sequence):
                raise ValueError(f"{name} must be a sequence of arrays, one per hidden layer")
        if not len(self.v) == len(self.u) == len(self.b) >= 1:
            raise ValueError(
                f"v, u and b need one entry per hidden layer (at least one), got "
                f"{len(self.v)}, {len(self.u)} and {len(self.b)}"
            )
        v = tuple(_frozen(a, f"v[{i}]", 2) for i, a in enumerate(self.v))
        u = tuple(_frozen(a, f"u[{i}]", 2) for i, a in enumerate(self.u))
        b = tuple(_frozen(a, f"b[{i}]", 1) for i, a in enumerate(self.b))
        w_out = _frozen(self.w_out, "w_out", 2)
        b_out = _frozen(self.b_out, "b_out", 1)
        n = v[0].shape[0]
        if n < 1:
            raise ValueError("the input dimension (v[0].shape[0]) must be at least 1")
        for i, (vi, ui, bi) in enumerate(zip(v, u, b, strict=True)):
            if vi.shape[0] != n:
                raise ValueError(f"v[{i}] must have {n} rows (the previous width), got {vi.shape}")
            r, m = ui.shape
            if vi.shape[1] != r:
                raise ValueError(
                    f"v[{i}] has {vi.shape[1]} columns but u[{i}] has {r} rows; both are the rank"
                )
            if m < 1 or bi.shape != (m,):
                raise ValueError(f"b[{i}] must have shape ({m},), got {bi.shape}")
            if r > min(n, m):
                raise ValueError(
                    f"rank of hidden layer {i + 1} must be at most min(inputs, width) = "
                    f"{min(n, m)}, got {r}"
                )
            n = m
        if w_out.shape[0] != n or w_out.shape[1] < 1 or b_out.shape != (w_out.shape[1],):
            raise ValueError(
                f"w_out must have shape ({n}, classes) and b_out (classes,), got {w_out.shape} "
                f"and {b_out.shape}"
            )
        for name, value in (("v", v), ("u", u), ("b", b), ("w_out", w_out), ("b_out", b_out)):
            object.__setattr__(self, name, value)

    @property
    def input_dim(self) -> int:
        return int(self.v[0].shape[0])

    @property
    def widths(self) -> tuple[int, ...]:
        return tuple(int(bi.shape[0]) for bi in self.b)

    @property
    def classes(self) -> int:
        return int(self.b_out.shape[0])

    @property
    def ranks(self) -> tuple[int, ...]:
        return tuple(int(ui.shape[0]) for ui in self.u)

    @property
    def parameters(self) -> int:
        """Parameters of the double-layer network (``double_mlp_parameter_count``)."""
        return double_mlp_parameter_count(self.input_dim, self.widths, self.ranks, self.classes)

    def kernel(self, layer: int) -> np.ndarray:
        """``v[layer] @ u[layer]`` multiplied in float64: the ``(n, m)`` Keras kernel."""
        return self.v[layer].astype(np.float64) @ self.u[layer].astype(np.float64)

    def replace_layer(self, layer: int, v, u, b=None) -> PruningState:
        """A copy with hidden layer ``layer`` (0-based) given new factors (and bias)."""
        vs, us, bs = list(self.v), list(self.u), list(self.b)
        vs[layer], us[layer] = v, u
        if b is not None:
            bs[layer] = b
        return PruningState(vs, us, bs, self.w_out, self.b_out)

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays by name: ``v_1, u_1, b_1, ..., w_out, b_out`` (1-based layer numbers)."""
        out = {}
        for i, (vi, ui, bi) in enumerate(zip(self.v, self.u, self.b, strict=True), start=1):
            out[f"v_{i}"], out[f"u_{i}"], out[f"b_{i}"] = vi, ui, bi
        out["w_out"], out["b_out"] = self.w_out, self.b_out
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> PruningState:
        """Inverse of :meth:`arrays`."""
        layers = 0
        while f"v_{layers + 1}" in arrays:
            layers += 1
        try:
            return cls(
                [arrays[f"v_{i}"] for i in range(1, layers + 1)],
                [arrays[f"u_{i}"] for i in range(1, layers + 1)],
                [arrays[f"b_{i}"] for i in range(1, layers + 1)],
                arrays["w_out"],
                arrays["b_out"],
            )
        except KeyError as exc:
            raise ValueError(f"arrays lack {exc.args[0]!r}") from None

    def equals(self, other: PruningState) -> bool:
        """Bit-for-bit equality of all arrays."""
        a, b = self.arrays(), other.arrays()
        return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def save_state(path: str | os.PathLike, state: PruningState) -> None:
    """Write a state to an ``.npz`` file atomically (uncompressed)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **state.arrays())


def load_state(path: str | os.PathLike) -> PruningState:
    """Read a state written by :func:`save_state` (or the arrays of a pruning checkpoint)."""
    with np.load(path, allow_pickle=False) as f:
        return PruningState.from_arrays({k: f[k] for k in f.files if k != "meta"})


def state_from_model(model: keras.Model) -> PruningState:
    """The state of a trained Keras MLP (:func:`relusv.models.build_mlp`).

    Double-layers give their factors as they are. Dense hidden layers are turned into double-layers
    of full rank ``min(n, m)`` by :func:`~relusv.layers.double_dense_factors` (the product equals
    the kernel up to float32 rounding). A layer without bias gets a zero bias.
    """
    layers = hidden_layers(model)
    try:
        out_layer = model.get_layer("logits")
    except ValueError:
        raise ValueError("model has no output layer named 'logits' (use build_mlp)") from None
    vs, us, bs = [], [], []
    for layer in layers:
        if isinstance(layer, DoubleDense):
            v = keras.ops.convert_to_numpy(layer.v)
            u = keras.ops.convert_to_numpy(layer.u)
        else:
            kernel = keras.ops.convert_to_numpy(layer.kernel)
            v, u = double_dense_factors(kernel, min(kernel.shape))
        bias = keras.ops.convert_to_numpy(layer.bias) if layer.use_bias else None
        vs.append(v)
        us.append(u)
        bs.append(np.zeros(u.shape[1]) if bias is None else bias)
    w_out = keras.ops.convert_to_numpy(out_layer.kernel)
    b_out = (keras.ops.convert_to_numpy(out_layer.bias) if out_layer.use_bias
             else np.zeros(w_out.shape[1]))
    return PruningState(vs, us, bs, w_out, b_out)


def model_from_state(state: PruningState, *, seed: int = 0, name: str | None = None) -> keras.Model:
    """A Keras MLP of :class:`~relusv.layers.DoubleDense` layers holding the state's weights.

    Built by :func:`relusv.models.build_mlp` with ``ranks=state.ranks`` (``seed`` only seeds the
    initial weights, which are overwritten), uncompiled.
    """
    if not isinstance(state, PruningState):
        raise ValueError(f"state must be a PruningState, got {type(state).__name__}")
    model = build_mlp(state.input_dim, state.widths, state.classes, ranks=state.ranks, seed=seed,
                      name=name)
    for layer, v, u, b in zip(hidden_layers(model), state.v, state.u, state.b, strict=True):
        layer.set_factors(v, u, b)
    model.get_layer("logits").set_weights([state.w_out, state.b_out])
    return model


# --------------------------------------------------------------------------------------------
# numpy forward pass


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, np.float32(0.0))


def _layer_forward(h: np.ndarray, v: np.ndarray, u: np.ndarray, b: np.ndarray) -> np.ndarray:
    # The order of Keras' DoubleDense.call: (h @ v) @ u + b, all float32.
    return _relu((h @ v) @ u + b)


def _hidden_outputs(state: PruningState, x: np.ndarray) -> list[np.ndarray]:
    """``[x, h_1, ..., h_L]``: the input and every hidden layer's output, float32."""
    outs = [x]
    for v, u, b in zip(state.v, state.u, state.b, strict=True):
        outs.append(_layer_forward(outs[-1], v, u, b))
    return outs


def _logits(state: PruningState, h: np.ndarray) -> np.ndarray:
    return h @ state.w_out + state.b_out


def _check_x(state: PruningState, x, name: str = "x") -> np.ndarray:
    x = as_features(x, name)
    if x.shape[1] != state.input_dim:
        raise ValueError(f"{name} must have {state.input_dim} features per row, got {x.shape}")
    return x


def predict_logits(state: PruningState, x) -> np.ndarray:
    """Logits of the network for the rows of ``x``: ``(N, input_dim)`` -> ``(N, classes)`` float32.

    A float32 numpy forward pass in Keras' order of operations; agrees with
    ``model_from_state(state).predict(x)`` to float32 rounding.
    """
    x = _check_x(state, x)
    return _logits(state, _hidden_outputs(state, x)[-1])


def predict_classes(state: PruningState, x) -> np.ndarray:
    """Predicted classes (argmax of the logits): an int64 ``(N,)`` array."""
    return np.argmax(predict_logits(state, x), axis=1)


def accuracy(state: PruningState, x, y) -> float:
    """Fraction of the rows of ``x`` (``(N, input_dim)``) classified as ``y`` (``(N,)``)."""
    x = _check_x(state, x)
    y = as_labels(y, "y", state.classes)
    if len(y) != len(x):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    return _correct(state, x, y) / len(y)


def _correct(state: PruningState, x: np.ndarray, y: np.ndarray) -> int:
    return int(np.count_nonzero(np.argmax(_logits(state, _hidden_outputs(state, x)[-1]), 1) == y))


# --------------------------------------------------------------------------------------------
# one step


@dataclass(frozen=True)
class LayerTruncation:
    """Hidden layer ``layer`` (0-based) with its smallest non-zero singular value dropped.

    Attributes
    ----------
    layer : int
        0-based index of the hidden layer.
    v, u : (n, rank) and (rank, m) float32 arrays
        The new factors (Keras layout).
    rank : int
        The new rank ``k - 1`` (``k`` = number of non-zero singular values; 0 if ``k = 0``).
    dropped : float
        The singular value set to zero (0.0 if the layer had none above the tolerance).
    singular_values : (k,) float64 array
        The non-zero singular values of the layer before the step, descending.
    """

    layer: int
    v: np.ndarray
    u: np.ndarray
    rank: int
    dropped: float
    singular_values: np.ndarray


def _svd(kernel: np.ndarray):
    """``kernel = a diag(s) bt`` (float64), as :func:`relusv.layers.double_dense_factors`.

    LAPACK runs with one BLAS thread: the matrices are small (``784 x 100`` takes ~5 ms), and
    OpenBLAS' threaded ``gesdd`` took ~1.6 s on the same matrix on a loaded 2-core machine.
    """
    if _THREADPOOLS is None:  # pragma: no cover (threadpoolctl comes with scikit-learn)
        return np.linalg.svd(kernel, full_matrices=False)
    with _THREADPOOLS.limit(limits=1, user_api="blas"):
        return np.linalg.svd(kernel, full_matrices=False)


def _nonzero_count(s: np.ndarray, rank: int, rtol: float) -> int:
    if s.size == 0 or s[0] <= 0:
        return 0
    return min(int(np.count_nonzero(s > rtol * s[0])), rank)


def _factors(a, s, bt, rank: int) -> tuple[np.ndarray, np.ndarray]:
    # double_dense_factors' convention: v = a[:, :r], u = s[:r, None] * bt[:r].
    return a[:, :rank].astype(np.float32), (s[:rank, None] * bt[:rank, :]).astype(np.float32)


def truncate_layer(state: PruningState, layer: int, *,
                   rank_rtol: float = RANK_RTOL) -> LayerTruncation:
    """Drop the smallest non-zero singular value of hidden layer ``layer`` (0-based).

    The SVD is of the float64 product ``v @ u``; singular values above ``rank_rtol`` times the
    largest count as non-zero. The new factors are those of
    ``double_dense_factors(v @ u, k - 1)``, cast to float32.
    """
    if not isinstance(state, PruningState):
        raise ValueError(f"state must be a PruningState, got {type(state).__name__}")
    layer = check_nonnegative_int(layer, "layer")
    if layer >= len(state.v):
        raise ValueError(f"layer must be < {len(state.v)} (0-based), got {layer}")
    rank_rtol = _check_rtol(rank_rtol)
    r = state.ranks[layer]
    if r == 0:
        raise ValueError(f"hidden layer {layer + 1} has rank 0; nothing to drop")
    a, s, bt = _svd(state.kernel(layer))
    k = _nonzero_count(s, r, rank_rtol)
    new_rank = max(k - 1, 0)
    v, u = _factors(a, s, bt, new_rank)
    return LayerTruncation(layer, v, u, new_rank, float(s[k - 1]) if k else 0.0, s[:k].copy())


@dataclass(frozen=True)
class StepInfo:
    """The decision of one pruning step.

    Attributes
    ----------
    layer : int
        The chosen hidden layer, 1-based (as in the records).
    correct : tuple of (int or None)
        Per hidden layer, validation points classified correctly when that layer's smallest
        non-zero singular value is dropped (None for layers of rank 0).
    val_accuracy : float
        Validation accuracy of the pruned network (the chosen candidate's).
    dropped : float
        The singular value set to zero.
    n_val : int
        Size of the validation set.
    """

    layer: int
    correct: tuple
    val_accuracy: float
    dropped: float
    n_val: int

    @property
    def candidate_accuracies(self) -> list[float | None]:
        """Per hidden layer the validation accuracy of its candidate (None for rank 0)."""
        return [None if c is None else c / self.n_val for c in self.correct]


def _decide(state: PruningState, outs: list[np.ndarray], y_val: np.ndarray, rank_rtol: float,
            tie_break: str) -> tuple[LayerTruncation, StepInfo]:
    """Evaluate every candidate from the cached hidden outputs ``outs`` of the validation set."""
    correct: list[int | None] = []
    candidates: list[LayerTruncation | None] = []
    for layer, r in enumerate(state.ranks):
        if r == 0:
            correct.append(None)
            candidates.append(None)
            continue
        cand = truncate_layer(state, layer, rank_rtol=rank_rtol)
        h = _layer_forward(outs[layer], cand.v, cand.u, state.b[layer])
        for j in range(layer + 1, len(state.v)):
            h = _layer_forward(h, state.v[j], state.u[j], state.b[j])
        correct.append(int(np.count_nonzero(np.argmax(_logits(state, h), 1) == y_val)))
        candidates.append(cand)
    live = [i for i, c in enumerate(correct) if c is not None]
    if tie_break == "singular_value":
        best = min(live, key=lambda i: (-correct[i], candidates[i].dropped, i))
    else:
        best = min(live, key=lambda i: (-correct[i], i))
    chosen = candidates[best]
    info = StepInfo(best + 1, tuple(correct), correct[best] / len(y_val), chosen.dropped,
                    len(y_val))
    return chosen, info


def pruning_step(state: PruningState, x_val, y_val, *, rank_rtol: float = RANK_RTOL,
                 tie_break: str = "singular_value") -> tuple[PruningState, StepInfo]:
    """One decision and truncation of harmonic pruning, without retraining.

    Parameters
    ----------
    state : PruningState
        With at least one hidden layer of rank > 0.
    x_val : (N, input_dim) array
    y_val : (N,) int array
        The data the decision is made on (the validation split).
    rank_rtol : float
        Relative tolerance for non-zero singular values (see the module docstring).
    tie_break : {"singular_value", "index"}

    Returns
    -------
    (PruningState, StepInfo)
        The pruned network and the decision.
    """
    if not isinstance(state, PruningState):
        raise ValueError(f"state must be a PruningState, got {type(state).__name__}")
    x_val = _check_x(state, x_val, "x_val")
    y_val = as_labels(y_val, "y_val", state.classes)
    if len(x_val) != len(y_val):
        raise ValueError("x_val and y_val must have the same length")
    rank_rtol = _check_rtol(rank_rtol)
    check_choice(tie_break, "tie_break", TIE_BREAKS)
    if not any(state.ranks):
        raise ValueError("every hidden layer has rank 0; nothing left to prune")
    chosen, info = _decide(state, _hidden_outputs(state, x_val), y_val, rank_rtol, tie_break)
    return state.replace_layer(chosen.layer, chosen.v, chosen.u), info


# --------------------------------------------------------------------------------------------
# retraining


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


def _enable_determinism() -> None:
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def _train_batches(model: keras.Model, x: np.ndarray, y: np.ndarray, rows: np.ndarray,
                   batch_size: int) -> None:
    for start in range(0, len(rows), batch_size):
        idx = rows[start:start + batch_size]
        model.train_on_batch(x[idx], y[idx])


def retrain_reasons(iteration: int, val_accuracy: float, reference: float,
                    ranks: Sequence[int], *, accuracy_drop: float = 0.005,
                    retrain_every: int | None = 10, rank_threshold: int = 10) -> list[str]:
    """Why harmonic pruning retrains after a step (an empty list: it does not).

    Parameters
    ----------
    iteration : int
        The step's iteration (1-based).
    val_accuracy : float
        Validation accuracy after the step, before any retraining.
    reference : float
        Validation accuracy of the network before pruning (iteration 0).
    ranks : sequence of int
        Ranks after the step.
    accuracy_drop, retrain_every, rank_threshold
        As in :func:`harmonic_pruning`.

    Returns
    -------
    list of str
        A sub-list of ``["accuracy_drop", "every", "rank_threshold"]``:
        ``reference - val_accuracy > accuracy_drop``; ``iteration % retrain_every == 0``;
        some rank in ``(0, rank_threshold)``.
    """
    reasons = []
    if reference - val_accuracy > accuracy_drop:
        reasons.append("accuracy_drop")
    if retrain_every is not None and iteration % retrain_every == 0:
        reasons.append("every")
    if any(0 < r < rank_threshold for r in ranks):
        reasons.append("rank_threshold")
    return reasons


def _retrain(state: PruningState, x: np.ndarray, y: np.ndarray, *, batches: int,
             batch_size: int, learning_rate: float, key: Sequence[int]) -> PruningState:
    """Retrain a state with a fresh Adam for ``batches`` batches; returns the new state."""
    _enable_determinism()
    model = model_from_state(state)
    _compile_for_retraining(model, learning_rate)
    _train_batches(model, x, y, batch_rows(len(x), batches, batch_size, key), batch_size)
    return state_from_model(model)


def _compile_for_retraining(model: keras.Model, learning_rate: float) -> None:
    """:func:`relusv.training.compile_mlp` without the accuracy metric, which nothing reads
    during retraining and which makes tracing the train step of every new model slower."""
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=False)


# --------------------------------------------------------------------------------------------
# the pruning run


def _check_data(data, input_dim: int, classes: int) -> dict[str, np.ndarray]:
    if not isinstance(data, Mapping):
        raise ValueError(f"data must be a mapping with keys {DATA_KEYS}, got {type(data).__name__}")
    missing = [k for k in DATA_KEYS if k not in data]
    if missing:
        raise ValueError(f"data lacks {missing}; it needs {DATA_KEYS}")
    out = {}
    for split in ("train", "val", "test"):
        x = as_features(data[f"x_{split}"], f"x_{split}")
        if x.shape[1] != input_dim:
            raise ValueError(f"x_{split} must have {input_dim} features per row, got {x.shape}")
        y = as_labels(data[f"y_{split}"], f"y_{split}", classes)
        if len(y) != len(x):
            raise ValueError(
                f"x_{split} and y_{split} must have the same length, got {len(x)} and {len(y)}")
        out[f"x_{split}"], out[f"y_{split}"] = x, y
    return out


def _fingerprint(options: Mapping, state: PruningState, data: Mapping[str, np.ndarray]) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(json.dumps({"format": _FORMAT_VERSION, **options}, sort_keys=True).encode())
    for group in (state.arrays(), data):
        for name in sorted(group):
            array = np.ascontiguousarray(group[name])
            h.update(f"{name}{array.dtype.str}{array.shape}".encode())
            h.update(memoryview(array).cast("B"))
    return h.hexdigest()


def _write_checkpoint(state_dir: Path, state: PruningState, meta: Mapping) -> None:
    with atomic_path(state_dir / STATE_FILE) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, meta=np.array(json.dumps(meta)), **state.arrays())


def _read_checkpoint(state_dir: Path) -> tuple[PruningState, dict] | None:
    path = state_dir / STATE_FILE
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as f:
        meta = json.loads(str(f["meta"]))
        state = PruningState.from_arrays({k: f[k] for k in f.files if k != "meta"})
    return state, meta


def _record(*, iteration, layer, state, val_correct, n_val, test_correct, n_test, before,
            candidates, dropped, retrained, reasons, batches_total, seconds,
            decision_seconds) -> dict:
    return {
        "iteration": int(iteration),
        "layer": layer,
        "ranks": [int(r) for r in state.ranks],
        "parameters": int(state.parameters),
        "val_accuracy": val_correct / n_val,
        "test_accuracy": test_correct / n_test,
        "val_accuracy_before_retraining": before,
        "candidate_val_accuracies": candidates,
        "dropped_singular_value": dropped,
        "retrained": bool(retrained),
        "retrain_reason": "+".join(reasons),
        "retrain_batches_total": int(batches_total),
        "seconds": float(seconds),
        "decision_seconds": float(decision_seconds),
    }


def harmonic_pruning(
    state0: PruningState | keras.Model,
    data: Mapping[str, np.ndarray],
    *,
    retrain_batches: int = 50,
    retrain_batch_size: int = 1024,
    accuracy_drop: float = 0.005,
    retrain_every: int | None = 10,
    rank_threshold: int = 10,
    max_iterations: int | None = None,
    learning_rate: float = 1e-3,
    rank_rtol: float = RANK_RTOL,
    tie_break: str = "singular_value",
    state_dir: str | os.PathLike | None = None,
    seed: int = 0,
    on_record: Callable[[dict, PruningState], None] | None = None,
) -> list[dict]:
    """Harmonic pruning of a trained double-layer MLP until no hidden-layer parameters are left.

    Parameters
    ----------
    state0 : PruningState or keras.Model
        The trained network (a model goes through :func:`state_from_model`).
    data : mapping
        ``x_train, y_train, x_val, y_val, x_test, y_test`` (:data:`DATA_KEYS`), inputs
        ``(N, input_dim)``, labels ``(N,)`` in ``[0, classes)``. Decisions and the retraining
        criterion use the validation split, retraining the training split; test accuracy is
        reported.
    retrain_batches : int
        Mini-batches per retraining (paper: 50).
    retrain_batch_size : int
        Rows per mini-batch (paper: 1024).
    accuracy_drop : float
        Retrain when the validation accuracy is more than this (absolute, a fraction) below the
        accuracy at iteration 0 (paper: 0.5 %, i.e. 0.005).
    retrain_every : int or None
        Retrain at every iteration that is a multiple of it; None: never for this reason.
    rank_threshold : int
        Retrain while some hidden layer has a rank in ``(0, rank_threshold)``; 0 turns it off.
    max_iterations : int or None
        Stop after this iteration even if ranks are left (counting iterations done before a
        resume; not part of the fingerprint, so a run stopped here can be continued).
    learning_rate : float
        Adam's learning rate; a fresh Adam at every retraining.
    rank_rtol : float
        Singular values above ``rank_rtol`` times a layer's largest count as non-zero.
    tie_break : {"singular_value", "index"}
        Among candidates with equally many correct validation points: the smallest dropped
        singular value (then the lowest layer), or the lowest layer.
    state_dir : path or None
        Checkpoint directory (created): ``STATE_FILE`` is written atomically after every
        iteration and a run resumes from it. It must come from a run with the same inputs and
        options (a fingerprint is checked), else ValueError. Kept after success.
    seed : int
        The batches of the retraining at iteration ``t`` are
        ``batch_rows(N_train, retrain_batches, retrain_batch_size, (seed, 0, t))``.
    on_record : callable or None
        ``on_record(record, state)`` after every new iteration, once its checkpoint is written
        (not for records read from a checkpoint). An exception raised there ends the run; the
        checkpoint of that iteration is kept.

    Returns
    -------
    list of dict
        One record per iteration, iteration 0 being the network before pruning: ``iteration``,
        ``layer`` (1-based, None at 0), ``ranks`` (list), ``parameters``
        (``double_mlp_parameter_count``), ``val_accuracy`` and ``test_accuracy`` (after
        retraining if it retrained), ``val_accuracy_before_retraining``,
        ``candidate_val_accuracies`` (per layer, None for rank 0), ``dropped_singular_value``,
        ``retrained``, ``retrain_reason`` (``"accuracy_drop"``, ``"every"``,
        ``"rank_threshold"`` joined by ``+``), ``retrain_batches_total`` (batches of
        retraining so far), ``seconds`` (wall time of the iteration) and ``decision_seconds``
        (of its decision step). :func:`pruning_frame` turns them into a DataFrame.

    Raises
    ------
    ValueError
        Bad arguments or data, or a ``state_dir`` from another run, before any work.
    """
    if isinstance(state0, keras.Model):
        state0 = state_from_model(state0)
    if not isinstance(state0, PruningState):
        raise ValueError(f"state0 must be a PruningState or a keras.Model, got {type(state0)}")
    retrain_batches = check_positive_int(retrain_batches, "retrain_batches")
    retrain_batch_size = check_positive_int(retrain_batch_size, "retrain_batch_size")
    accuracy_drop = _check_real(accuracy_drop, "accuracy_drop", low=0.0, high=1.0)
    retrain_every = _check_optional_int(retrain_every, "retrain_every", 1)
    rank_threshold = check_nonnegative_int(rank_threshold, "rank_threshold")
    max_iterations = _check_optional_int(max_iterations, "max_iterations", 0)
    learning_rate = _check_learning_rate(learning_rate)
    rank_rtol = _check_rtol(rank_rtol)
    check_choice(tie_break, "tie_break", TIE_BREAKS)
    seed = check_nonnegative_int(seed, "seed")
    if on_record is not None and not callable(on_record):
        raise ValueError("on_record must be None or a callable")
    data = _check_data(data, state0.input_dim, state0.classes)
    x_train, y_train = data["x_train"], data["y_train"]
    x_val, y_val, x_test, y_test = data["x_val"], data["y_val"], data["x_test"], data["y_test"]
    n_val, n_test = len(y_val), len(y_test)

    options = {
        "retrain_batches": retrain_batches, "retrain_batch_size": retrain_batch_size,
        "accuracy_drop": accuracy_drop, "retrain_every": retrain_every,
        "rank_threshold": rank_threshold, "learning_rate": learning_rate,
        "rank_rtol": rank_rtol, "tie_break": tie_break, "seed": seed,
    }
    state_dir = None if state_dir is None else Path(state_dir)
    fingerprint = _fingerprint(options, state0, data) if state_dir is not None else None
    loaded = None if state_dir is None else _read_checkpoint(state_dir)

    if loaded is not None:
        state, meta = loaded
        if meta.get("fingerprint") != fingerprint:
            raise ValueError(
                f"{state_dir / STATE_FILE} holds a pruning run with other inputs or options; "
                "delete it or use another state_dir"
            )
        records = meta["records"]
        ref_correct = int(meta["reference_val_correct"])
        batches_total = int(meta["retrain_batches_total"])
        logger.info("resuming harmonic pruning after iteration %d", records[-1]["iteration"])
    else:
        start = time.perf_counter()
        state = state0
        ref_correct = _correct(state, x_val, y_val)
        batches_total = 0
        records = [_record(
            iteration=0, layer=None, state=state, val_correct=ref_correct, n_val=n_val,
            test_correct=_correct(state, x_test, y_test), n_test=n_test,
            before=ref_correct / n_val, candidates=[None] * len(state.ranks), dropped=None,
            retrained=False, reasons=(), batches_total=0,
            seconds=time.perf_counter() - start, decision_seconds=0.0)]
        if state_dir is not None:
            state_dir.mkdir(parents=True, exist_ok=True)
            _write_checkpoint(state_dir, state, _meta(fingerprint, records, ref_correct, 0))
        if on_record is not None:
            on_record(records[0], state)

    reference = ref_correct / n_val
    outs = _hidden_outputs(state, x_val)
    while any(state.ranks):
        iteration = records[-1]["iteration"] + 1
        if max_iterations is not None and iteration > max_iterations:
            break
        start = time.perf_counter()
        chosen, info = _decide(state, outs, y_val, rank_rtol, tie_break)
        state = state.replace_layer(chosen.layer, chosen.v, chosen.u)
        decision_seconds = time.perf_counter() - start

        reasons = retrain_reasons(iteration, info.val_accuracy, reference, state.ranks,
                                  accuracy_drop=accuracy_drop, retrain_every=retrain_every,
                                  rank_threshold=rank_threshold)
        if reasons:
            state = _retrain(state, x_train, y_train, batches=retrain_batches,
                             batch_size=retrain_batch_size, learning_rate=learning_rate,
                             key=(seed, _TAG_HARMONIC, iteration))
            batches_total += retrain_batches
        outs = _hidden_outputs(state, x_val)
        val_correct = int(np.count_nonzero(np.argmax(_logits(state, outs[-1]), 1) == y_val))
        record = _record(
            iteration=iteration, layer=info.layer, state=state, val_correct=val_correct,
            n_val=n_val, test_correct=_correct(state, x_test, y_test), n_test=n_test,
            before=info.val_accuracy, candidates=info.candidate_accuracies,
            dropped=info.dropped, retrained=bool(reasons), reasons=reasons,
            batches_total=batches_total, seconds=time.perf_counter() - start,
            decision_seconds=decision_seconds)
        records.append(record)
        if state_dir is not None:
            _write_checkpoint(state_dir, state,
                              _meta(fingerprint, records, ref_correct, batches_total))
        logger.info(
            "iteration %d: layer %d, ranks %s, val %.4f, test %.4f%s (%.2f s)", iteration,
            info.layer, record["ranks"], record["val_accuracy"], record["test_accuracy"],
            f", retrained ({record['retrain_reason']})" if reasons else "", record["seconds"])
        if on_record is not None:
            on_record(record, state)
    return records


def _meta(fingerprint, records, ref_correct, batches_total) -> dict:
    return {"format_version": _FORMAT_VERSION, "fingerprint": fingerprint, "records": records,
            "reference_val_correct": int(ref_correct),
            "retrain_batches_total": int(batches_total)}


def pruning_frame(records: Sequence[Mapping]) -> pd.DataFrame:
    """Records of :func:`harmonic_pruning` as a tidy DataFrame, one row per iteration.

    The lists are spread into columns: ``ranks`` -> ``rank_1 ... rank_L``,
    ``candidate_val_accuracies`` -> ``candidate_val_accuracy_1 ...`` (NaN for rank 0). ``layer``
    is a nullable integer (``<NA>`` at iteration 0).
    """
    rows = []
    for record in records:
        row = {k: v for k, v in record.items() if k not in ("ranks", "candidate_val_accuracies")}
        for i, r in enumerate(record["ranks"], start=1):
            row[f"rank_{i}"] = r
        for i, a in enumerate(record.get("candidate_val_accuracies") or [], start=1):
            row[f"candidate_val_accuracy_{i}"] = np.nan if a is None else a
        rows.append(row)
    frame = pd.DataFrame(rows)
    if "layer" in frame:
        frame["layer"] = frame["layer"].astype("Int64")
    for column in ("dropped_singular_value",):
        if column in frame:
            frame[column] = frame[column].astype(float)
    return frame


# --------------------------------------------------------------------------------------------
# baseline: one-shot truncated SVD


def _svds(state: PruningState, rank_rtol: float):
    out = []
    for layer, r in enumerate(state.ranks):
        if r == 0:
            out.append((None, np.zeros(0), None))
            continue
        a, s, bt = _svd(state.kernel(layer))
        out.append((a, s[:_nonzero_count(s, r, rank_rtol)], bt))
    return out


def _energy_ranks(state: PruningState, svals: list[np.ndarray], budget: int) -> tuple[int, ...]:
    """Keep the singular values of largest relative energy ``s_i^2 / sum_j s_j^2`` (per layer)
    across all layers, in that order, while the parameter count stays within ``budget``."""
    ins = (state.input_dim, *state.widths[:-1])
    items = []
    for layer, s in enumerate(svals):
        if s.size:
            energy = s**2 / np.sum(s**2)
            items.extend((-e, layer, i) for i, e in enumerate(energy))
    items.sort()
    ranks = [0] * len(svals)
    left = budget - double_mlp_parameter_count(state.input_dim, state.widths, ranks,
                                               state.classes)
    for _, layer, _ in items:
        cost = ins[layer] + state.widths[layer]
        if cost > left:
            break
        ranks[layer] += 1
        left -= cost
    return tuple(ranks)


def _fraction_ranks(state: PruningState, svals: list[np.ndarray], budget: int) -> tuple[int, ...]:
    """The same fraction ``f`` of every layer's non-zero rank ``k_l`` (``floor(f k_l)``), the
    largest ``f`` in [0, 1] that fits the budget."""
    ks = [s.size for s in svals]
    fractions = sorted({j / k for k in ks if k for j in range(k + 1)} | {0.0})
    best = (0,) * len(ks)
    for f in fractions:
        ranks = tuple(int(math.floor(f * k + 1e-9)) for k in ks)
        count = double_mlp_parameter_count(state.input_dim, state.widths, ranks, state.classes)
        if count > budget:
            break
        best = ranks
    return best


def _check_rank_tuples(state: PruningState, ranks) -> list[tuple[int, ...]]:
    if isinstance(ranks, str | bytes) or not isinstance(ranks, Sequence | np.ndarray):
        raise ValueError("ranks must be a sequence of rank tuples")
    out = []
    for j, triple in enumerate(ranks):
        if isinstance(triple, str | bytes) or not isinstance(triple, Sequence | np.ndarray) \
                or len(triple) != len(state.ranks):
            raise ValueError(f"ranks[{j}] must have one rank per hidden layer "
                             f"({len(state.ranks)}), got {triple!r}")
        triple = tuple(check_nonnegative_int(r, f"ranks[{j}]") for r in triple)
        for layer, (r, have) in enumerate(zip(triple, state.ranks, strict=True)):
            if r > have:
                raise ValueError(
                    f"ranks[{j}] asks rank {r} of hidden layer {layer + 1}, which has rank "
                    f"{have} (at most min(inputs, width)); truncation cannot raise a rank")
        out.append(triple)
    return out


def one_shot_svd_curve(
    state: PruningState,
    data: Mapping[str, np.ndarray],
    *,
    parameter_budgets: Sequence[int] | None = None,
    ranks: Sequence[Sequence[int]] | None = None,
    mapping: str = "energy",
    rank_rtol: float = RANK_RTOL,
) -> pd.DataFrame:
    """Accuracy when every layer's SVD is truncated at once, without retraining.

    Give either ``parameter_budgets`` or ``ranks``.

    Parameters
    ----------
    state : PruningState
        The trained network (iteration 0 of harmonic pruning).
    data : mapping with ``x_val, y_val, x_test, y_test`` (and the rest of :data:`DATA_KEYS`)
    parameter_budgets : sequence of int or None
        Parameter counts (double-layer counts, :func:`double_mlp_parameter_count`); each must be
        at least the count at ranks 0 (biases and output layer).
    ranks : sequence of rank tuples or None
        Explicit ranks, e.g. those harmonic pruning visited; each at most the state's rank.
    mapping : {"energy", "fraction"}
        How a budget becomes ranks. ``"energy"``: singular values are kept in order of their
        relative energy ``s_{l,i}^2 / sum_j s_{l,j}^2`` within their layer, across all layers (a
        singular value of layer ``l`` costs ``n_l + m_l`` parameters), as long as they fit; this
        keeps a prefix of every layer's spectrum. ``"fraction"``: the same fraction of every
        layer's non-zero rank, the largest that fits.
    rank_rtol : float
        Tolerance for non-zero singular values, as in :func:`truncate_layer`.

    Returns
    -------
    pandas.DataFrame
        One row per budget / rank tuple, in the order given: ``budget`` (NaN for explicit
        ranks), ``rank_1 ... rank_L``, ``parameters`` (exact, at most ``budget``),
        ``val_accuracy``, ``test_accuracy``.
    """
    if not isinstance(state, PruningState):
        raise ValueError(f"state must be a PruningState, got {type(state).__name__}")
    if (parameter_budgets is None) == (ranks is None):
        raise ValueError("give exactly one of parameter_budgets and ranks")
    check_choice(mapping, "mapping", ("energy", "fraction"))
    rank_rtol = _check_rtol(rank_rtol)
    data = _check_data(data, state.input_dim, state.classes)
    floor = double_mlp_parameter_count(state.input_dim, state.widths, (0,) * len(state.ranks),
                                       state.classes)
    budgets: list[int | None]
    if parameter_budgets is not None:
        if isinstance(parameter_budgets, str | bytes) or not isinstance(
                parameter_budgets, Sequence | np.ndarray):
            raise ValueError("parameter_budgets must be a sequence of integers")
        budgets = [check_nonnegative_int(p, f"parameter_budgets[{i}]")
                   for i, p in enumerate(parameter_budgets)]
        for i, p in enumerate(budgets):
            if p < floor:
                raise ValueError(
                    f"parameter_budgets[{i}] = {p} is below {floor}, the parameters of the "
                    "network at ranks 0 (biases and output layer)")
        rank_list = None
    else:
        rank_list = _check_rank_tuples(state, ranks)
        budgets = [None] * len(rank_list)

    svds = _svds(state, rank_rtol)
    svals = [s for _, s, _ in svds]
    if rank_list is None:
        choose = _energy_ranks if mapping == "energy" else _fraction_ranks
        rank_list = [choose(state, svals, p) for p in budgets]
    rows = []
    for budget, triple in zip(budgets, rank_list, strict=True):
        vs, us = [], []
        for layer, r in enumerate(triple):
            a, s, bt = svds[layer]
            if r == 0 or a is None:
                n, m = state.v[layer].shape[0], state.u[layer].shape[1]
                vs.append(np.zeros((n, 0), np.float32))
                us.append(np.zeros((0, m), np.float32))
            else:
                # Beyond the non-zero singular values the factors are (numerically) zero.
                s_full = np.zeros(r)
                s_full[:min(r, s.size)] = s[:r]
                v, u = _factors(a, s_full, bt, r)
                vs.append(v)
                us.append(u)
        truncated = PruningState(vs, us, state.b, state.w_out, state.b_out)
        row = {"budget": np.nan if budget is None else budget}
        row.update({f"rank_{i}": r for i, r in enumerate(triple, start=1)})
        row["parameters"] = truncated.parameters
        row["val_accuracy"] = _correct(truncated, data["x_val"], data["y_val"]) / len(
            data["y_val"])
        row["test_accuracy"] = _correct(truncated, data["x_test"], data["y_test"]) / len(
            data["y_test"])
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# baseline: global magnitude pruning of a dense copy


class _FixedMask(keras.constraints.Constraint):
    """Multiplies a kernel by a fixed 0/1 mask; Keras applies it after every optimiser step."""

    def __init__(self, mask: np.ndarray):
        self.mask = keras.ops.convert_to_tensor(mask.astype(np.float32))

    def __call__(self, w):
        return w * keras.ops.cast(self.mask, w.dtype)


def _dense_logits(kernels, biases, x) -> np.ndarray:
    h = x
    for w, b in zip(kernels[:-1], biases[:-1], strict=True):
        h = _relu(h @ w + b)
    return h @ kernels[-1] + biases[-1]


def _dense_correct(kernels, biases, x, y) -> int:
    return int(np.count_nonzero(np.argmax(_dense_logits(kernels, biases, x), 1) == y))


def _global_mask(kernels, prunable, keep: int, previous) -> list[np.ndarray]:
    """Keep the ``keep`` prunable weights of largest magnitude (within ``previous``); ties go to
    the weight that comes first (layer order, then row-major)."""
    scores = []
    for i in prunable:
        s = np.abs(kernels[i]).astype(np.float64).ravel()
        s[~previous[i].ravel()] = -1.0  # already pruned: never kept again
        scores.append(s)
    flat = np.concatenate(scores)
    order = np.argsort(-flat, kind="stable")
    keep_flat = np.zeros(flat.size, bool)
    keep_flat[order[:keep]] = True
    masks = [np.ones_like(k, dtype=bool) for k in kernels]
    start = 0
    for i in prunable:
        size = kernels[i].size
        masks[i] = keep_flat[start:start + size].reshape(kernels[i].shape)
        start += size
    return masks


def _retrain_masked(kernels, biases, masks, widths, x, y, *, batches, batch_size,
                    learning_rate, key):
    _enable_determinism()
    model = build_mlp(x.shape[1], widths, biases[-1].shape[0], seed=0)
    layers = [*hidden_layers(model), model.get_layer("logits")]
    for layer, w, b, mask in zip(layers, kernels, biases, masks, strict=True):
        layer.set_weights([w, b])
        if not mask.all():
            layer.kernel.constraint = _FixedMask(mask)
    _compile_for_retraining(model, learning_rate)
    _train_batches(model, x, y, batch_rows(len(x), batches, batch_size, key), batch_size)
    # Read back as they are (not re-masked), so that the parameter count is honest.
    kernels = [keras.ops.convert_to_numpy(layer.kernel) for layer in layers]
    biases = [keras.ops.convert_to_numpy(layer.bias) for layer in layers]
    return kernels, biases


def magnitude_pruning_curve(
    state: PruningState,
    data: Mapping[str, np.ndarray],
    records: Sequence[Mapping] | pd.DataFrame,
    *,
    n_budgets: int = 20,
    iterations: Sequence[int] | None = None,
    retrain_batch_size: int = 1024,
    learning_rate: float = 1e-3,
    schedule: str = "gradual",
    prune_output: bool = True,
    seed: int = 0,
) -> pd.DataFrame:
    """Global magnitude pruning of a dense copy of the network to harmonic pruning's budgets.

    The dense copy has kernels ``v_l @ u_l`` (float64 product, stored float32), the biases and the
    output layer of ``state``. For each sampled harmonic pruning record (``parameters`` ``P``,
    ``retrain_batches_total`` ``B``) the weights of smallest magnitude over all kernels (the
    output kernel too if ``prune_output``) are set to zero, keeping ``P - (#biases + #unprunable
    weights)`` of them (capped at all of them: a double-layer network can have more parameters
    than the dense one), and the network is retrained with the mask fixed (a Keras kernel
    constraint multiplies by the mask after every Adam step) so that its retraining up to that
    point is ``B`` batches of ``retrain_batch_size``, a fresh Adam each time.

    Parameters
    ----------
    state : PruningState
        The trained network (iteration 0 of harmonic pruning).
    data : mapping with :data:`DATA_KEYS`
    records : list of dict or DataFrame
        Harmonic pruning's records (``iteration``, ``parameters``, ``retrain_batches_total``).
    n_budgets : int
        Records sampled evenly over the run (the first and last included), if ``iterations`` is
        None.
    iterations : sequence of int or None
        The iterations whose budgets to use, instead of ``n_budgets``.
    retrain_batch_size : int
        Should be harmonic pruning's.
    learning_rate : float
    schedule : {"gradual", "one_shot"}
        ``"gradual"``: the budgets in the order of the iterations, each pruning the previous
        budget's retrained network further (masks shrink) and retraining it for the batches
        harmonic pruning spent between the two iterations, so that the cumulative retraining at
        each budget equals harmonic pruning's (cost: harmonic pruning's total retraining).
        ``"one_shot"``: each budget prunes the trained dense copy and retrains ``B`` batches.
    prune_output : bool
        Whether the output kernel takes part in the global ranking (the biases never do).
    seed : int
        Batches of budget ``j`` (at iteration ``t``):
        ``batch_rows(N_train, batches, retrain_batch_size, (seed, 1 or 2, t))``.

    Returns
    -------
    pandas.DataFrame
        One row per budget: ``iteration``, ``target_parameters`` (harmonic pruning's count),
        ``parameters`` (non-zero weights + all biases, counted after retraining),
        ``retrain_batches`` (cumulative), ``val_accuracy``, ``test_accuracy``.
    """
    if not isinstance(state, PruningState):
        raise ValueError(f"state must be a PruningState, got {type(state).__name__}")
    if isinstance(records, pd.DataFrame):
        records = records.to_dict("records")
    if isinstance(records, str | bytes) or not isinstance(records, Sequence) or not records:
        raise ValueError("records must be a non-empty sequence of harmonic pruning records")
    for i, rec in enumerate(records):
        if not isinstance(rec, Mapping) or not {"iteration", "parameters",
                                                "retrain_batches_total"} <= set(rec):
            raise ValueError(f"records[{i}] lacks iteration, parameters or retrain_batches_total")
    by_iteration = {int(rec["iteration"]): rec for rec in records}
    retrain_batch_size = check_positive_int(retrain_batch_size, "retrain_batch_size")
    learning_rate = _check_learning_rate(learning_rate)
    check_choice(schedule, "schedule", ("gradual", "one_shot"))
    seed = check_nonnegative_int(seed, "seed")
    if iterations is None:
        n_budgets = check_positive_int(n_budgets, "n_budgets")
        ordered = sorted(by_iteration)
        picks = np.unique(np.round(np.linspace(0, len(ordered) - 1, n_budgets)).astype(int))
        iterations = [ordered[i] for i in picks]
    else:
        if isinstance(iterations, str | bytes) or not isinstance(iterations, Sequence | np.ndarray):
            raise ValueError("iterations must be a sequence of integers")
        iterations = sorted({check_nonnegative_int(t, "iterations[...]") for t in iterations})
        missing = [t for t in iterations if t not in by_iteration]
        if missing or not iterations:
            raise ValueError(f"iterations {missing} have no record")
    data = _check_data(data, state.input_dim, state.classes)

    kernels0 = [(state.kernel(i)).astype(np.float32) for i in range(len(state.ranks))]
    kernels0.append(np.array(state.w_out))
    biases0 = [np.array(b) for b in (*state.b, state.b_out)]
    prunable = list(range(len(kernels0) if prune_output else len(kernels0) - 1))
    fixed = sum(b.size for b in biases0) + sum(
        k.size for i, k in enumerate(kernels0) if i not in prunable)
    total = sum(kernels0[i].size for i in prunable)

    rows = []
    kernels, biases = kernels0, biases0
    masks = [np.ones_like(k, dtype=bool) for k in kernels0]
    done_batches = 0
    for t in iterations:
        rec = by_iteration[t]
        target, budget_batches = int(rec["parameters"]), int(rec["retrain_batches_total"])
        keep = int(min(max(target - fixed, 0), total))
        if schedule == "one_shot":
            kernels, biases = kernels0, biases0
            masks = [np.ones_like(k, dtype=bool) for k in kernels0]
            batches, key = budget_batches, (seed, _TAG_MAGNITUDE_ONE_SHOT, t)
        else:
            batches, key = budget_batches - done_batches, (seed, _TAG_MAGNITUDE_GRADUAL, t)
            if batches < 0:
                raise ValueError("retrain_batches_total must not decrease over the iterations")
        # Gradual: a mask only shrinks (a larger budget later keeps what is left).
        keep = min(keep, sum(int(masks[i].sum()) for i in prunable))
        masks = _global_mask(kernels, prunable, keep, masks)
        kernels = [k * m for k, m in zip(kernels, masks, strict=True)]
        if batches > 0:
            kernels, biases = _retrain_masked(
                kernels, biases, masks, state.widths, data["x_train"], data["y_train"],
                batches=batches, batch_size=retrain_batch_size, learning_rate=learning_rate,
                key=key)
        done_batches = budget_batches
        rows.append({
            "iteration": t,
            "target_parameters": target,
            "parameters": int(sum(np.count_nonzero(k) for k in kernels)
                              + sum(b.size for b in biases)),
            "retrain_batches": budget_batches,
            "val_accuracy": _dense_correct(kernels, biases, data["x_val"], data["y_val"])
            / len(data["y_val"]),
            "test_accuracy": _dense_correct(kernels, biases, data["x_test"], data["y_test"])
            / len(data["y_test"]),
        })
        logger.info("magnitude pruning at iteration %d: %d parameters, test %.4f", t,
                    rows[-1]["parameters"], rows[-1]["test_accuracy"])
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# baseline: small networks from scratch (claim C8)


def _check_architectures(architectures, input_dim: int) -> list[dict]:
    if isinstance(architectures, Mapping) or not isinstance(architectures, Sequence) \
            or not architectures:
        raise ValueError("architectures must be a non-empty sequence of mappings")
    out = []
    for j, arch in enumerate(architectures):
        if not isinstance(arch, Mapping) or "widths" not in arch:
            raise ValueError(f"architectures[{j}] must be a mapping with 'widths' (and optionally "
                             "'name', 'ranks')")
        widths = tuple(check_positive_int(w, f"architectures[{j}].widths[...]")
                       for w in arch["widths"])
        if not widths:
            raise ValueError(f"architectures[{j}].widths must not be empty")
        ranks = arch.get("ranks")
        if ranks is not None:
            ranks = tuple(check_nonnegative_int(r, f"architectures[{j}].ranks[...]")
                          for r in ranks)
            if len(ranks) != len(widths):
                raise ValueError(f"architectures[{j}] needs one rank per width")
            for r, n, m in zip(ranks, (input_dim, *widths[:-1]), widths, strict=True):
                if r > min(n, m):
                    raise ValueError(f"architectures[{j}]: rank {r} above min({n}, {m})")
        name = str(arch.get("name") or (f"double {widths} ranks {ranks}" if ranks
                                        else f"dense {widths}"))
        out.append({"name": name, "widths": widths, "ranks": ranks})
    if len({a["name"] for a in out}) != len(out):
        raise ValueError("architecture names must be distinct")
    return out


def from_scratch_comparison(
    data: Mapping[str, np.ndarray],
    *,
    architectures: Sequence[Mapping] = C8_ARCHITECTURES,
    seeds: Sequence[int] = (0, 1, 2),
    epochs: int = 100,
    batch_size: int = 1024,
    patience: int = 10,
    learning_rate: float = 1e-3,
    init: str = "glorot",
    classes: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train small architectures from scratch over several seeds (claim C8).

    Each architecture and seed: :func:`relusv.models.build_mlp` (double-layers when ``ranks`` is
    given) trained by :func:`relusv.training.train_mlp` with Adam, at most ``epochs`` epochs and
    early stopping on validation accuracy (``patience`` epochs; the best epoch's weights are
    kept), then evaluated on the test split.

    Parameters
    ----------
    data : mapping with :data:`DATA_KEYS`
    architectures : sequence of mappings
        ``{"name": str, "widths": (w_1, ...), "ranks": None or (r_1, ...)}``; default
        :data:`C8_ARCHITECTURES`.
    seeds : sequence of int
        Seed of the initial weights and of the shuffling, one run per seed.
    epochs, batch_size, patience : int
    learning_rate : float
    init : str
        Passed to ``build_mlp``.
    classes : int or None
        Number of classes; None: one more than the largest label in the three splits.

    Returns
    -------
    (runs, summary) : two DataFrames
        ``runs``: one row per architecture and seed (``architecture``, ``seed``, ``parameters``
        (Keras' count), ``epochs_run``, ``best_epoch``, ``val_accuracy``, ``test_accuracy``,
        ``seconds``). ``summary``: per architecture ``parameters``, ``runs``,
        ``test_accuracy_mean``, ``test_accuracy_std`` (sample, ddof 1; NaN for one run),
        ``test_accuracy_min``, ``test_accuracy_max``.
    """
    if not isinstance(data, Mapping) or any(k not in data for k in DATA_KEYS):
        raise ValueError(f"data must be a mapping with keys {DATA_KEYS}")
    x_train = as_features(data["x_train"], "x_train")
    if classes is None:
        y_all = np.concatenate([np.asarray(data[k]).ravel()
                                for k in ("y_train", "y_val", "y_test")])
        classes = int(y_all.max()) + 1 if y_all.size else 1
    classes = check_positive_int(classes, "classes")
    input_dim = x_train.shape[1]
    archs = _check_architectures(architectures, input_dim)
    if isinstance(seeds, str | bytes) or not isinstance(seeds, Sequence | np.ndarray) \
            or len(seeds) == 0:
        raise ValueError("seeds must be a non-empty sequence of non-negative integers")
    seeds = [check_nonnegative_int(s, "seeds[...]") for s in seeds]
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    patience = check_positive_int(patience, "patience")
    learning_rate = _check_learning_rate(learning_rate)
    data = _check_data(data, input_dim, classes)

    runs = []
    for arch in archs:
        for seed in seeds:
            model = build_mlp(input_dim, arch["widths"], classes, ranks=arch["ranks"], init=init,
                              seed=seed)
            result = train_mlp(model, data["x_train"], data["y_train"], data["x_val"],
                               data["y_val"], epochs=epochs, batch_size=batch_size, seed=seed,
                               early_stopping=patience, learning_rate=learning_rate)
            runs.append({
                "architecture": arch["name"],
                "seed": seed,
                "parameters": int(model.count_params()),
                "epochs_run": len(result.history),
                "best_epoch": result.best_epoch,
                "val_accuracy": evaluate_accuracy(model, data["x_val"], data["y_val"]),
                "test_accuracy": evaluate_accuracy(model, data["x_test"], data["y_test"]),
                "seconds": result.wall_seconds,
            })
            logger.info("from scratch %s seed %d: test %.4f", arch["name"], seed,
                        runs[-1]["test_accuracy"])
    runs = pd.DataFrame(runs)
    summary = (
        runs.groupby("architecture", sort=False)
        .agg(parameters=("parameters", "first"), runs=("seed", "size"),
             test_accuracy_mean=("test_accuracy", "mean"),
             test_accuracy_std=("test_accuracy", "std"),
             test_accuracy_min=("test_accuracy", "min"),
             test_accuracy_max=("test_accuracy", "max"))
        .reset_index()
    )
    return runs, summary
