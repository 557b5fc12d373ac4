"""Dense and double-layer MLPs built from a plain spec, and access to their hidden layers.

An MLP here is ``input -> hidden_1 -> ... -> hidden_L -> logits``: hidden ReLU layers (Keras
``Dense`` or :class:`relusv.layers.DoubleDense`) and a linear ``Dense`` output with one logit per
class; the softmax lives in the loss (``SparseCategoricalCrossentropy(from_logits=True)``).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import keras
import numpy as np

from relusv._validation import as_finite_array, check_choice, check_positive_int
from relusv.layers import DoubleDense, DoublePProduct
from relusv.parameter_counts import check_widths

__all__ = [
    "INITS",
    "as_features",
    "build_mlp",
    "hidden_activations",
    "hidden_layers",
    "layer_weights",
]

_PROBES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

#: Initialisation schemes of :func:`build_mlp`.
INITS = ("glorot", "glorot_p_product", "he_p_product")


def _layer_seeds(seed: int, count: int) -> list[int]:
    """``count`` independent initializer seeds derived from ``seed``, each in ``[0, 2**31 - 1)``."""
    state = np.random.SeedSequence(seed).generate_state(count, dtype=np.uint64)
    return [int(s % (2**31 - 1)) for s in state]


def _kernel_initializer(init: str, p: int, seed: int):
    """Initializer of one layer: Keras' GlorotUniform or a seeded :class:`DoublePProduct`."""
    if init == "glorot":
        return keras.initializers.GlorotUniform(seed=seed)
    return DoublePProduct(p=p, target=init.removesuffix("_p_product"), seed=seed)


def build_mlp(
    input_dim: int,
    widths: Sequence[int],
    classes: int,
    *,
    ranks: Sequence[int] | None = None,
    init: str = "glorot",
    p: int = 1,
    seed: int = 0,
    name: str | None = None,
) -> keras.Model:
    """A functional Keras MLP: hidden ReLU layers ``hidden_1 ...`` and a linear ``logits`` layer.

    Parameters
    ----------
    input_dim : int
        Features per input (the model takes ``(N, input_dim)`` float arrays).
    widths : sequence of int
        Width of each hidden layer.
    classes : int
        Number of logits.
    ranks : sequence of int or None
        ``None``: dense hidden layers (``keras.layers.Dense``). Otherwise one rank per hidden
        layer: :class:`~relusv.layers.DoubleDense` hidden layers with these ranks
        (``0 <= rank <= min(n_i, m_i)``). The output layer is always dense.
    init : {"glorot", "glorot_p_product", "he_p_product"}
        ``"glorot"``: Keras' ``GlorotUniform`` for every dense kernel (the paper's choice for the
        networks of Fig. 3/4); double-layers, for which no uniform Glorot scheme exists, then get
        ``DoublePProduct(p=1, target="glorot")`` (Gaussian factors with ``Var(UV) = 2/(n+m)``).
        ``"glorot_p_product"`` / ``"he_p_product"``: :class:`~relusv.layers.DoublePProduct`
        with ``p`` for every layer, the output layer included (one factor there). Biases are 0.
    p : int
        Number of normal factors per entry for the p-product schemes (ignored by ``"glorot"``).
    seed : int
        Every layer's initializer gets its own seed derived from this one: the same seed gives
        identical initial weights.
    name : str or None
        Model name.

    Returns
    -------
    keras.Model
        Uncompiled; see :func:`relusv.training.compile_mlp`.
    """
    input_dim = check_positive_int(input_dim, "input_dim")
    widths = check_widths(widths, "widths")
    classes = check_positive_int(classes, "classes")
    check_choice(init, "init", INITS)
    p = check_positive_int(p, "p")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if ranks is not None:
        if isinstance(ranks, str | bytes) or not isinstance(ranks, Sequence | np.ndarray):
            raise ValueError(f"ranks must be None or a sequence of integers, got {ranks!r}")
        if len(ranks) != len(widths):
            raise ValueError(
                f"ranks must have one entry per hidden layer ({len(widths)}), got {len(ranks)}"
            )
        ins = (input_dim, *widths[:-1])
        for i, (r, n, m) in enumerate(zip(ranks, ins, widths, strict=True)):
            is_int = isinstance(r, int | np.integer) and not isinstance(r, bool)
            if not is_int or not 0 <= r <= min(n, m):
                raise ValueError(
                    f"ranks[{i}] must be an integer in [0, min({n}, {m})] = [0, {min(n, m)}], "
                    f"got {r!r}"
                )
        ranks = tuple(int(r) for r in ranks)

    seeds = _layer_seeds(int(seed), len(widths) + 1)
    inputs = keras.Input(shape=(input_dim,), name="inputs")
    h = inputs
    for i, width in enumerate(widths):
        layer_name = f"hidden_{i + 1}"
        if ranks is None:
            layer = keras.layers.Dense(
                width,
                activation="relu",
                kernel_initializer=_kernel_initializer(init, p, seeds[i]),
                bias_initializer="zeros",
                name=layer_name,
            )
        else:
            double_init = "glorot_p_product" if init == "glorot" else init
            layer = DoubleDense(
                width,
                ranks[i],
                activation="relu",
                kernel_initializer=_kernel_initializer(
                    double_init, 1 if init == "glorot" else p, seeds[i]
                ),
                bias_initializer="zeros",
                name=layer_name,
            )
        h = layer(h)
    logits = keras.layers.Dense(
        classes,
        activation=None,
        kernel_initializer=_kernel_initializer(init, p, seeds[-1]),
        bias_initializer="zeros",
        name="logits",
    )(h)
    return keras.Model(inputs, logits, name=name)


def hidden_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """The hidden layers of an MLP in order: every ``Dense``/``DoubleDense`` except ``logits``."""
    layers = [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.Dense | DoubleDense) and layer.name != "logits"
    ]
    if not layers:
        raise ValueError(f"model {model.name!r} has no Dense or DoubleDense hidden layers")
    return layers


def hidden_activations(model: keras.Model, x, batch_size: int = 1024) -> list[np.ndarray]:
    """Outputs of every hidden layer (after its ReLU) for the inputs ``x``, in one forward pass.

    Parameters
    ----------
    model : keras.Model
        A functional MLP such as :func:`build_mlp` returns.
    x : (N, input_dim) array
    batch_size : int

    Returns
    -------
    list of (N, width_l) float32 arrays, one per hidden layer.
    """
    batch_size = check_positive_int(batch_size, "batch_size")
    x = _as_inputs(model, x)
    probe = _PROBES.get(model)
    if probe is None:
        # Built once per model and reused (it shares the model's variables), so that calling this
        # at every checkpoint does not retrace a predict function each time.
        layers = hidden_layers(model)
        probe = keras.Model(model.inputs, [layer.output for layer in layers])
        _PROBES[model] = probe
    outputs = probe.predict(x, batch_size=batch_size, verbose=0)
    if not isinstance(outputs, list | tuple):
        outputs = [outputs]
    return [np.asarray(out) for out in outputs]


def layer_weights(model: keras.Model) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per hidden layer ``(W, b)`` in SPEC orientation: ``relu(W x + b)`` is the layer's output.

    Returns
    -------
    list of ((m, n) float64 array, (m,) float64 array)
        ``W`` = the transpose of the Keras kernel (``v @ u`` for a double-layer, multiplied in
        float64, so its rank is at most ``r`` to float64 precision); ``b`` is zeros for a layer
        without bias.
    """
    out = []
    for layer in hidden_layers(model):
        if isinstance(layer, DoubleDense):
            # The product in float64, so that W has rank <= r up to float64 round-off (a float32
            # product carries ~1e-7 relative noise that numpy's rank tolerance would count).
            v = np.asarray(keras.ops.convert_to_numpy(layer.v), dtype=np.float64)
            u = np.asarray(keras.ops.convert_to_numpy(layer.u), dtype=np.float64)
            kernel = v @ u
        else:
            kernel = np.asarray(keras.ops.convert_to_numpy(layer.kernel), dtype=np.float64)
        if layer.use_bias:
            bias = np.asarray(keras.ops.convert_to_numpy(layer.bias), dtype=np.float64)
        else:
            bias = np.zeros(kernel.shape[1])
        out.append((kernel.T.copy(), bias))
    return out


def as_features(x, name: str = "x") -> np.ndarray:
    """``x`` as a finite float32 ``(N, d)`` array with ``N >= 1`` (no copy when already float32).

    Raises
    ------
    ValueError
        Wrong number of dimensions, empty, or NaN/inf entries.
    """
    array = np.asarray(x, dtype=np.float32)
    if array.ndim != 2 or array.size == 0 or not np.isfinite(array).all():
        as_finite_array(array, name, 2)  # raises with the shared message
        raise ValueError(f"{name} must be a finite 2-d float array")  # pragma: no cover
    return array


def _as_inputs(model: keras.Model, x) -> np.ndarray:
    """``x`` as a float32 ``(N, input_dim)`` array matching the model's input, else ValueError."""
    x = as_features(x, "x")
    expected = model.inputs[0].shape[-1]
    if expected is not None and x.shape[1] != expected:
        raise ValueError(f"x must have {expected} features per row, got shape {x.shape}")
    return x
