"""The network being pruned as numpy arrays: its state, files, Keras round trip and forward pass.

A :class:`PruningState` holds per hidden layer the double-layer factors ``v: (n_l, r_l)``,
``u: (r_l, m_l)`` and the bias ``b: (m_l,)``, and the dense output layer ``w_out: (m_L, classes)``,
``b_out: (classes,)``. Everything is in Keras layout (row vectors): hidden layer ``l`` computes
``relu((h @ v_l) @ u_l + b_l)``, the output ``h @ w_out + b_out`` (logits). The paper's
``W_l = U V`` is ``(v_l @ u_l).T``. :func:`state_from_model` and :func:`model_from_state` go to
and from a Keras MLP of :func:`relusv.models.build_mlp`; :func:`save_state` and
:func:`load_state` to and from an ``.npz`` file.

Precision: the forward pass (:func:`state_logits`, :func:`state_classes`,
:func:`state_accuracy`) is float32 with the same order of operations as Keras
(``(x @ v) @ u + b``), so its logits agree with the Keras model's to float32 rounding (~1e-6) and
its predicted classes are the same except for points whose two largest logits tie to that
precision; the SVDs of the layers (of the float64 products ``v @ u``) are float64.
Accuracies are counts of correct points divided by the split's size.

Also here, as every pruning method needs it: the tolerance for non-zero singular values
(:data:`RANK_RTOL`, see :mod:`relusv.pruning.harmonic` for why ``1e-10``). The prepared data a
state is evaluated on is checked by :func:`relusv.training.check_prepared_data`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import keras
import numpy as np

from relusv._validation import check_real
from relusv.files import atomic_path
from relusv.layers import DoubleDense, double_dense_factors, hidden_layers
from relusv.models import as_features, build_mlp
from relusv.parameter_counts import double_mlp_parameter_count
from relusv.training import as_labels

__all__ = [
    "RANK_RTOL",
    "PruningState",
    "load_state",
    "model_from_state",
    "save_state",
    "state_accuracy",
    "state_classes",
    "state_from_model",
    "state_logits",
]

try:
    from threadpoolctl import ThreadpoolController

    _THREADPOOLS: ThreadpoolController | None = ThreadpoolController()
except ImportError:  # pragma: no cover
    _THREADPOOLS = None

#: Default relative tolerance for non-zero singular values (why: :mod:`relusv.pruning.harmonic`).
RANK_RTOL = 1e-10


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


def state_logits(state: PruningState, x) -> np.ndarray:
    """Logits of the network for the rows of ``x``: ``(N, input_dim)`` -> ``(N, classes)`` float32.

    A float32 numpy forward pass in Keras' order of operations; agrees with
    ``model_from_state(state).predict(x)`` to float32 rounding.
    """
    x = _check_x(state, x)
    return _logits(state, _hidden_outputs(state, x)[-1])


def state_classes(state: PruningState, x) -> np.ndarray:
    """Predicted classes (argmax of the logits): an int64 ``(N,)`` array."""
    return np.argmax(state_logits(state, x), axis=1)


def state_accuracy(state: PruningState, x, y) -> float:
    """Fraction of the rows of ``x`` (``(N, input_dim)``) classified as ``y`` (``(N,)``)."""
    x = _check_x(state, x)
    y = as_labels(y, "y", state.classes)
    if len(y) != len(x):
        raise ValueError(f"x and y must have the same length, got {len(x)} and {len(y)}")
    return _correct(state, x, y) / len(y)


def _correct(state: PruningState, x: np.ndarray, y: np.ndarray) -> int:
    return int(np.count_nonzero(np.argmax(_logits(state, _hidden_outputs(state, x)[-1]), 1) == y))


# --------------------------------------------------------------------------------------------
# singular values of a layer


def _check_rank_rtol(value) -> float:
    """``rank_rtol`` as a float in ``(0, 1]``, else ValueError."""
    return check_real(value, "rank_rtol", low=0.0, high=1.0, low_open=True)


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
