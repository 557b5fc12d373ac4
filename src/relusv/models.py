"""Dense and double-layer MLPs built from a plain spec, and access to their hidden layers.

An MLP here is ``input -> hidden_1 -> ... -> hidden_L -> logits``: hidden ReLU layers (Keras
``Dense`` or :class:`relusv.layers.DoubleDense`) and a linear ``Dense`` output with one logit per
class; the softmax lives in the loss (``SparseCategoricalCrossentropy(from_logits=True)``). A
user's MLP (any layer names, separate ReLU or softmax layers) is checked and copied into that form
by :func:`check_analysable` and :func:`canonical_mlp`.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import keras
import numpy as np

from relusv._validation import as_finite_array, check_choice, check_positive_int
from relusv.layers import DoubleDense, DoublePProduct, double_dense_factors
from relusv.parameter_counts import check_widths
from relusv.weights import spec_orientation

__all__ = [
    "ANALYSABLE_LAYERS",
    "INITS",
    "as_features",
    "build_mlp",
    "canonical_mlp",
    "check_analysable",
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
    """Per hidden layer ``(W, b)`` as outputs x inputs: ``relu(W x + b)`` is the layer's output.

    Returns
    -------
    list of ((m, n) float64 array, (m,) float64 array)
        :func:`relusv.weights.spec_orientation` of each layer: ``W`` = the transpose of the
        Keras kernel (``v @ u`` for a double-layer, multiplied in float64, so its rank is at
        most ``r`` to float64 precision); ``b`` is zeros for a layer without bias.
    """
    out = []
    for layer in hidden_layers(model):
        if isinstance(layer, DoubleDense):
            kernel = (keras.ops.convert_to_numpy(layer.v), keras.ops.convert_to_numpy(layer.u))
        else:
            kernel = keras.ops.convert_to_numpy(layer.kernel)
        bias = keras.ops.convert_to_numpy(layer.bias) if layer.use_bias else None
        out.append(spec_orientation(kernel, bias))
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


# --------------------------------------------------------------------------------------------
# a user's model: checked, and as a build_mlp model


#: Layers an analysable model may hold besides its Dense / DoubleDense layers (activations only).
ANALYSABLE_LAYERS = ("InputLayer", "Dense", "DoubleDense", "Activation(relu|linear|softmax)",
                     "ReLU", "Softmax")


def _activation_name(layer) -> str:
    """The activation a layer applies: ``"relu"``, ``"linear"``, ``"softmax"``, or another name."""
    if isinstance(layer, keras.layers.ReLU):
        config = layer.get_config()
        plain = (config.get("max_value") is None and not config.get("negative_slope")
                 and not config.get("threshold"))
        return "relu" if plain else f"ReLU({config})"
    if isinstance(layer, keras.layers.Softmax):
        return "softmax" if layer.get_config().get("axis", -1) in (-1, 1) else "softmax(axis)"
    activation = getattr(layer, "activation", None)
    name = "linear" if activation is None else keras.activations.serialize(activation)
    return name if isinstance(name, str) else str(name)


def _analysable_layers(model) -> tuple[list, object, str]:
    """``(hidden layers, output layer, output activation)`` of an analysable MLP, else ValueError.

    The output layer is found structurally (the last ``Dense``), not by name; a hidden layer's
    activation is its own composed with the activation layers after it, and must be ReLU.
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}")
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(f"model {model.name!r} must have one input and one output, got "
                         f"{len(model.inputs)} and {len(model.outputs)}")
    affine, activations = [], []  # per Dense: its activation and those applied after it
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.layers.Dense | DoubleDense):
            affine.append(layer)
            activations.append([_activation_name(layer)])
        elif isinstance(layer, keras.layers.Activation | keras.layers.ReLU | keras.layers.Softmax):
            if not affine:
                raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}) comes before "
                                 "the first Dense layer; expected the inputs to go straight "
                                 "into a Dense or DoubleDense layer")
            activations[-1].append(_activation_name(layer))
        else:
            raise ValueError(
                f"layer {layer.name!r} is a {type(layer).__name__}; expected only "
                f"{', '.join(ANALYSABLE_LAYERS)} (an MLP of ReLU layers with a linear or softmax "
                "output)")
    shape = tuple(model.inputs[0].shape)
    if len(shape) != 2 or shape[1] is None:
        raise ValueError(f"model {model.name!r} must take flat (N, d) inputs, got input shape "
                         f"{shape}: flatten the data instead of using a Flatten or Conv layer")
    if len(affine) < 2:
        raise ValueError(f"model {model.name!r} has {len(affine)} Dense layer(s); expected at "
                         "least one hidden ReLU layer and an output layer")
    for i, (layer, names) in enumerate(zip(affine[:-1], activations[:-1], strict=True)):
        effective = [n for n in names if n != "linear"]
        if not effective or any(n != "relu" for n in effective):
            raise ValueError(
                f"hidden layer {i + 1} ({layer.name!r}) is followed by the activation(s) "
                f"{names} before the next Dense layer {affine[i + 1].name!r}; expected ReLU")
    output = [n for n in activations[-1] if n != "linear"]
    if output not in ([], ["softmax"]):
        raise ValueError(f"output layer {affine[-1].name!r} has the activation(s) "
                         f"{activations[-1]}; expected linear or softmax")
    if not isinstance(affine[-1], keras.layers.Dense):
        raise ValueError(f"output layer {affine[-1].name!r} is a {type(affine[-1]).__name__}; "
                         "expected a Dense layer")
    return affine[:-1], affine[-1], "softmax" if output else "linear"


def _bias(layer, width: int) -> np.ndarray:
    if layer.use_bias:
        return keras.ops.convert_to_numpy(layer.bias)
    return np.zeros(width, dtype=np.float32)


def canonical_mlp(model, name: str | None = None) -> keras.Model:
    """A user's MLP as a :func:`build_mlp` model holding the same weights (checked first).

    ``model`` (Sequential or functional) holds ``Dense`` (or
    :class:`~relusv.layers.DoubleDense`) hidden layers whose activation is ReLU (their own, or
    an ``Activation("relu")`` / ``ReLU()`` layer after a linear one), then a ``Dense`` output,
    linear or softmax (its own activation or a ``Softmax`` layer); no other layers. The copy has
    hidden layers ``hidden_1 ...`` (``Dense``, or ``DoubleDense`` for every hidden layer when
    any is one, dense layers then factored at full rank by
    :func:`~relusv.layers.double_dense_factors`) and a linear output ``logits``: the user's
    logits, so its argmax is the user's prediction, softmax or not. Weights are copied exactly
    (float32); a layer without bias gets a zero bias.

    Raises
    ------
    ValueError
        Naming the layer and what is expected, for any other model.
    """
    hidden, output, _ = _analysable_layers(model)
    input_dim = int(model.inputs[0].shape[1])
    widths = [int(layer.units) for layer in hidden]
    double = any(isinstance(layer, DoubleDense) for layer in hidden)
    ranks = None
    if double:
        ranks = [layer.rank if isinstance(layer, DoubleDense) else min(n, m)
                 for layer, n, m in zip(hidden, (input_dim, *widths[:-1]), widths, strict=True)]
    copy = build_mlp(input_dim, widths, int(output.units), ranks=ranks,
                     name=name or model.name)
    for source, target in zip(hidden, hidden_layers(copy), strict=True):
        bias = _bias(source, int(source.units))
        if isinstance(source, DoubleDense):
            target.set_factors(keras.ops.convert_to_numpy(source.v),
                               keras.ops.convert_to_numpy(source.u), bias)
        elif double:
            kernel = keras.ops.convert_to_numpy(source.kernel)
            target.set_factors(*double_dense_factors(kernel, min(kernel.shape)), bias)
        else:
            target.set_weights([keras.ops.convert_to_numpy(source.kernel), bias])
    copy.get_layer("logits").set_weights([keras.ops.convert_to_numpy(output.kernel),
                                          _bias(output, int(output.units))])
    return copy


def check_analysable(model) -> list[tuple[np.ndarray, np.ndarray]]:
    """Check that the analyses apply to ``model``; return its hidden ``(W, b)`` as outputs x inputs.

    ``model``: as :func:`canonical_mlp` describes (its output layer found structurally, whatever
    its name). Returns :func:`layer_weights` of the hidden layers: ``W`` of shape ``(m, n)``,
    float64.

    Raises
    ------
    ValueError
        Naming the offending layer and what is expected (a convolution or any other layer than
        Input / Dense / DoubleDense / ReLU or softmax activations; a hidden activation other than
        ReLU; an output that is neither linear nor softmax).
    """
    return layer_weights(canonical_mlp(model))
