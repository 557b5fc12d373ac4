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
from dataclasses import dataclass

import keras
import numpy as np

from relusv._validation import as_finite_array, check_choice, check_positive_int
from relusv.inference_layers import (
    IDENTITY_AT_INFERENCE,
    batch_norm_affine,
    compose,
    fold_after,
    fold_before,
    is_identity_at_inference,
)
from relusv.layers import (
    DoubleDense,
    DoublePProduct,
    double_dense_factors,
    hidden_layers,
    layer_arrays,
)
from relusv.parameter_counts import check_widths
from relusv.weights import spec_orientation

__all__ = [
    "ANALYSABLE_LAYERS",
    "INITS",
    "AffineLayer",
    "AnalysableStructure",
    "analysable_structure",
    "as_features",
    "build_mlp",
    "canonical_mlp",
    "check_analysable",
    "hidden_activations",
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
    return [spec_orientation(*layer_arrays(layer)) for layer in hidden_layers(model)]


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


#: Layers an analysable model may hold besides its Dense / DoubleDense layers: activations, the
#: layers that are the identity at inference and BatchNormalization (folded).
ANALYSABLE_LAYERS = ("InputLayer", "Dense", "DoubleDense", "Activation(relu|linear|softmax)",
                     "ReLU", "Softmax", *IDENTITY_AT_INFERENCE,
                     "BatchNormalization (next to a Dense layer)")


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


@dataclass
class AffineLayer:
    """One Dense or DoubleDense layer of a user's MLP as the analyses see it.

    Attributes
    ----------
    layer : keras.layers.Layer
        The user's layer.
    kernel : (n, m) float array, or a pair ``(v, u)`` for a DoubleDense
        Keras layout, with any BatchNormalization next to it folded in.
    bias : (m,) float array
        Zeros for a layer without bias.
    activations : list of str
        The layer's own activation and those of the activation layers after it.
    """

    layer: object
    kernel: object
    bias: np.ndarray
    activations: list


@dataclass(frozen=True)
class AnalysableStructure:
    """A user's MLP, checked: what :func:`analysable_structure` returns.

    Attributes
    ----------
    hidden : list of AffineLayer
        The hidden ReLU layers in order.
    output : AffineLayer
        The Dense output layer.
    output_activation : {"linear", "softmax"}
    identity : tuple of (str, str)
        ``(name, class)`` of every layer left out as the identity at inference.
    folded : tuple of (str, str, str)
        ``(batch norm name, dense layer name, "after" or "before")``: each BatchNormalization
        folded into the outputs (it followed the layer) or the inputs (it preceded it) of a
        Dense layer.
    """

    hidden: list
    output: AffineLayer
    output_activation: str
    identity: tuple = ()
    folded: tuple = ()


def _affine_layer(layer) -> AffineLayer:
    if isinstance(layer, DoubleDense):
        kernel = (keras.ops.convert_to_numpy(layer.v), keras.ops.convert_to_numpy(layer.u))
    else:
        kernel = keras.ops.convert_to_numpy(layer.kernel)
    return AffineLayer(layer, kernel, _bias(layer, int(layer.units)), [_activation_name(layer)])


def analysable_structure(model) -> AnalysableStructure:
    """Check that the analyses apply to a user's Keras MLP; its layers with BatchNorm folded.

    The output layer is found structurally (the last ``Dense``), not by name; a hidden layer's
    activation is its own composed with the activation layers after it, and must be ReLU.
    Layers that are the identity at inference are left out, and every ``BatchNormalization``
    is folded exactly into the Dense layer next to it (:mod:`relusv.inference_layers`): into
    the layer before it when only linear activations lie in between, else into the next one
    (then no activation may lie in between).

    Raises
    ------
    ValueError
        Naming the offending layer and what is expected.
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}")
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(f"model {model.name!r} must have one input and one output, got "
                         f"{len(model.inputs)} and {len(model.outputs)}")
    affine: list[AffineLayer] = []
    identity, folded = [], []
    pending, pending_names = None, []  # batch norms waiting for the next Dense layer's inputs
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if is_identity_at_inference(layer):
            identity.append((layer.name, type(layer).__name__))
        elif isinstance(layer, keras.layers.Dense | DoubleDense):
            current = _affine_layer(layer)
            if pending is not None:
                current.kernel, current.bias = fold_before(current.kernel, current.bias,
                                                           pending)
                folded += [(name, layer.name, "before") for name in pending_names]
                pending, pending_names = None, []
            affine.append(current)
        elif isinstance(layer, keras.layers.BatchNormalization):
            bn = batch_norm_affine(layer)
            if affine and pending is None and all(n == "linear" for n in affine[-1].activations):
                last = affine[-1]
                last.kernel, last.bias = fold_after(last.kernel, last.bias, bn)
                folded.append((layer.name, last.layer.name, "after"))
            else:
                pending = bn if pending is None else compose(pending, bn)
                pending_names.append(layer.name)
        elif isinstance(layer, keras.layers.Activation | keras.layers.ReLU | keras.layers.Softmax):
            if not affine:
                raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}) comes before "
                                 "the first Dense layer; expected the inputs to go straight "
                                 "into a Dense or DoubleDense layer")
            if pending is not None and _activation_name(layer) != "linear":
                raise ValueError(
                    f"BatchNormalization {pending_names} is followed by the activation layer "
                    f"{layer.name!r}: it lies between two non-linearities and cannot be folded "
                    "into a Dense layer; expected BatchNormalization right before or after a "
                    "Dense layer")
            affine[-1].activations.append(_activation_name(layer))
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
    if pending is not None:
        raise ValueError(f"BatchNormalization {pending_names} comes after the output layer's "
                         f"activation(s) {affine[-1].activations}; expected it right before or "
                         "after a Dense layer")
    for i, current in enumerate(affine[:-1]):
        names = current.activations
        effective = [n for n in names if n != "linear"]
        if not effective or any(n != "relu" for n in effective):
            raise ValueError(
                f"hidden layer {i + 1} ({current.layer.name!r}) is followed by the "
                f"activation(s) {names} before the next Dense layer "
                f"{affine[i + 1].layer.name!r}; expected ReLU")
    output = [n for n in affine[-1].activations if n != "linear"]
    if output not in ([], ["softmax"]):
        raise ValueError(f"output layer {affine[-1].layer.name!r} has the activation(s) "
                         f"{affine[-1].activations}; expected linear or softmax")
    if not isinstance(affine[-1].layer, keras.layers.Dense):
        raise ValueError(f"output layer {affine[-1].layer.name!r} is a "
                         f"{type(affine[-1].layer).__name__}; expected a Dense layer")
    return AnalysableStructure(affine[:-1], affine[-1], "softmax" if output else "linear",
                               tuple(identity), tuple(folded))


def _bias(layer, width: int) -> np.ndarray:
    if layer.use_bias:
        return keras.ops.convert_to_numpy(layer.bias)
    return np.zeros(width, dtype=np.float32)


def canonical_mlp(model, name: str | None = None) -> keras.Model:
    """A user's MLP as a :func:`build_mlp` model holding the same weights (checked first).

    ``model`` (Sequential or functional) holds ``Dense`` (or
    :class:`~relusv.layers.DoubleDense`) hidden layers whose activation is ReLU (their own, or
    an ``Activation("relu")`` / ``ReLU()`` layer after a linear one), then a ``Dense`` output,
    linear or softmax (its own activation or a ``Softmax`` layer); besides those only layers
    that are the identity at inference (``Dropout`` ...: left out) and ``BatchNormalization``
    next to a Dense layer (folded into it), as :func:`analysable_structure` describes. The copy
    has hidden layers ``hidden_1 ...`` (``Dense``, or ``DoubleDense`` for every hidden layer when
    any is one, dense layers then factored at full rank by
    :func:`~relusv.layers.double_dense_factors`) and a linear output ``logits``: the user's
    logits, so its argmax is the user's prediction, softmax or not. Weights are copied exactly
    (float32) where no BatchNormalization is folded in; a layer without bias gets a zero bias.

    Raises
    ------
    ValueError
        Naming the layer and what is expected, for any other model.
    """
    structure = analysable_structure(model)
    hidden, output = structure.hidden, structure.output
    input_dim = int(model.inputs[0].shape[1])
    widths = [int(a.layer.units) for a in hidden]
    double = any(isinstance(a.kernel, tuple) for a in hidden)
    ranks = None
    if double:
        ranks = [a.kernel[0].shape[1] if isinstance(a.kernel, tuple) else min(n, m)
                 for a, n, m in zip(hidden, (input_dim, *widths[:-1]), widths, strict=True)]
    copy = build_mlp(input_dim, widths, int(output.layer.units), ranks=ranks,
                     name=name or model.name)
    for source, target in zip(hidden, hidden_layers(copy), strict=True):
        if isinstance(source.kernel, tuple):
            target.set_factors(*source.kernel, source.bias)
        elif double:
            target.set_factors(*double_dense_factors(source.kernel, min(source.kernel.shape)),
                               source.bias)
        else:
            target.set_weights([source.kernel, source.bias])
    copy.get_layer("logits").set_weights([output.kernel, output.bias])
    return copy


def check_analysable(model) -> list[tuple[np.ndarray, np.ndarray]]:
    """Check that the analyses apply to ``model``; return its hidden ``(W, b)`` as outputs x inputs.

    ``model``: as :func:`canonical_mlp` describes (Dropout and the like left out, BatchNorm
    folded) (its output layer found structurally, whatever
    its name). Returns :func:`layer_weights` of the hidden layers: ``W`` of shape ``(m, n)``,
    float64.

    Raises
    ------
    ValueError
        Naming the offending layer and what is expected (a convolution or any other layer than
        those of :data:`ANALYSABLE_LAYERS`; a hidden activation other than ReLU; an output that
        is neither linear nor softmax).
    """
    return layer_weights(canonical_mlp(model))
