"""A trained MLP's weights as a plain ``.npz`` file, and its hidden layers and classes in numpy.

The rules that only read a network (the classified subsets, the bounds, the widths over
training) need no TensorFlow: the training rules write every layer's weights beside
``model.keras`` (:func:`save_network_weights` of :func:`network_weights`), and the readers load
them (:func:`load_network_weights`), take the hidden layers' ``(W, b)``
(:func:`hidden_layer_weights`, bitwise what :func:`relusv.models.layer_weights` gives for the
model) and classify with a numpy forward pass (:func:`predict_classes_from_weights`).

The file (``FORMAT``), for an MLP ``hidden_1 ... hidden_L, logits`` as
:func:`relusv.models.build_mlp` and :func:`relusv.models.canonical_mlp` make it:

- ``format``: the string :data:`FORMAT`;
- ``names``: ``(L + 1,)`` str, the layers in order, the output layer last;
- ``activations``: ``(L + 1,)`` str, ``"relu"`` for every hidden layer, ``"linear"`` for the
  output (the softmax lives in the loss);
- per layer ``<name>.kernel`` ``(n, m)`` for a dense layer, or ``<name>.v`` ``(n, r)`` and
  ``<name>.u`` ``(r, m)`` for a :class:`~relusv.layers.DoubleDense` (its factors, not their
  product, so that the product is taken exactly as ``layer_weights`` takes it), and
  ``<name>.bias`` ``(m,)``: Keras layout (``x @ kernel + bias``), in the dtype the model holds
  (float32), bit for bit.

A training run's checkpoints are ``checkpoints/epoch_NNN.npz`` files of this format, beside the
Keras ``epoch_NNN.weights.h5`` files (:func:`checkpoint_weights_path`,
:func:`checkpoint_weights_files`).
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from relusv._validation import as_finite_array, check_positive_int
from relusv.files import save_npz

__all__ = [
    "FORMAT",
    "LayerWeights",
    "checkpoint_weights_files",
    "checkpoint_weights_path",
    "check_network",
    "hidden_layer_weights",
    "load_network_weights",
    "network_weights",
    "predict_classes_from_weights",
    "predict_logits_from_weights",
    "save_network_weights",
    "spec_orientation",
]

#: Value of the ``format`` entry of a weights file; a reader refuses any other.
FORMAT = "relusv-network-weights-1"

_ACTIVATIONS = ("relu", "linear")
_RERUN = "rerun the training rule (snakemake --forcerun trained_network)"


def spec_orientation(kernel, bias) -> tuple[np.ndarray, np.ndarray]:
    """A hidden layer's ``(W, b)`` as outputs x inputs, float64: ``relu(W x + b)`` is its output.

    Parameters
    ----------
    kernel : (n, m) array, or a pair ``(v, u)`` of ``(n, r)`` and ``(r, m)`` arrays
        Keras layout (``x @ kernel``); a pair is a double-layer's factors, whose product
        ``v @ u`` is taken in float64, so that ``W`` has rank at most ``r`` up to float64
        round-off (a float32 product carries ~1e-7 relative noise that numpy's rank tolerance
        would count).
    bias : (m,) array or None
        None: a layer without bias (``b`` is zeros).

    Returns
    -------
    ((m, n) float64 array, (m,) float64 array)
        ``W``, the transpose of the kernel (a fresh array), and ``b``.
    """
    if isinstance(kernel, tuple):
        v, u = kernel
        kernel = np.asarray(v, dtype=np.float64) @ np.asarray(u, dtype=np.float64)
    else:
        kernel = np.asarray(kernel, dtype=np.float64)
    bias = (np.zeros(kernel.shape[1]) if bias is None
            else np.asarray(bias, dtype=np.float64))
    return kernel.T.copy(), bias


@dataclass(frozen=True, eq=False)
class LayerWeights:
    """One affine layer of an MLP, as the Keras model holds it.

    Attributes
    ----------
    name : str
        The layer's name (``hidden_1`` ... , ``logits``).
    activation : {"relu", "linear"}
    bias : (m,) float array
    kernel : (n, m) float array or None
        A dense layer's Keras kernel (``W.T``); None for a double-layer.
    factors : ((n, r) array, (r, m) array) or None
        A double-layer's ``(v, u)`` (Keras layout, kernel ``v @ u``); None for a dense layer.
    """

    name: str
    activation: str
    bias: np.ndarray
    kernel: np.ndarray | None = None
    factors: tuple[np.ndarray, np.ndarray] | None = None

    def __post_init__(self):
        where = f"layer {self.name!r}"
        if self.activation not in _ACTIVATIONS:
            raise ValueError(f"{where}: activation must be one of {_ACTIVATIONS}, "
                             f"got {self.activation!r}")
        if (self.kernel is None) == (self.factors is None):
            raise ValueError(f"{where}: give either a kernel (dense) or factors (double-layer)")
        arrays = {"bias": self.bias}
        if self.kernel is not None:
            arrays["kernel"] = self.kernel
        else:
            arrays["v"], arrays["u"] = self.factors
        for key, array in arrays.items():
            if not isinstance(array, np.ndarray) or not np.issubdtype(array.dtype, np.floating):
                raise ValueError(f"{where}: {key} must be a float numpy array, got "
                                 f"{getattr(array, 'dtype', type(array).__name__)}")
            if array.ndim != (1 if key == "bias" else 2):
                raise ValueError(f"{where}: {key} has shape {array.shape}; expected "
                                 f"{'(m,)' if key == 'bias' else 'a 2-d array'}")
        if self.factors is not None and self.factors[0].shape[1] != self.factors[1].shape[0]:
            raise ValueError(f"{where}: factors of shapes {self.factors[0].shape} and "
                             f"{self.factors[1].shape} do not multiply")
        if self.bias.shape != (self.shape[1],):
            raise ValueError(f"{where}: bias has shape {self.bias.shape}; expected "
                             f"({self.shape[1]},) for a layer of shape {self.shape}")

    @property
    def shape(self) -> tuple[int, int]:
        """``(n, m)``: inputs and outputs (the Keras kernel's shape)."""
        if self.kernel is not None:
            return tuple(self.kernel.shape)
        return (self.factors[0].shape[0], self.factors[1].shape[1])

    def spec_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """``(W, b)`` as outputs x inputs, float64: :func:`spec_orientation` of the kernel (or
        the factors of a double-layer) and the bias, as :func:`relusv.models.layer_weights`
        takes it for the model, so the two agree bit for bit."""
        return spec_orientation(self.kernel if self.kernel is not None else self.factors,
                                self.bias)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """The layer's output for the rows of ``x`` (``(N, n)``), in ``x``'s dtype.

        The order of the products is Keras': ``(x @ v) @ u + b`` for a double-layer.
        """
        if self.kernel is not None:
            z = x @ self.kernel.astype(x.dtype, copy=False)
        else:
            v, u = (f.astype(x.dtype, copy=False) for f in self.factors)
            z = (x @ v) @ u
        z = z + self.bias.astype(x.dtype, copy=False)
        return np.maximum(z, 0) if self.activation == "relu" else z


def check_network(layers: Sequence[LayerWeights]) -> list[LayerWeights]:
    """``layers`` as a list, checked to be an MLP the analyses apply to, else ValueError.

    At least one hidden layer, every hidden layer ReLU, a linear output layer last, and each
    layer taking as many inputs as the layer before has outputs.
    """
    layers = list(layers)
    if len(layers) < 2 or not all(isinstance(layer, LayerWeights) for layer in layers):
        raise ValueError("a network must be a list of at least two LayerWeights (hidden "
                         f"layers and an output layer), got {len(layers)} entries")
    *hidden, output = layers
    for layer in hidden:
        if layer.activation != "relu":
            raise ValueError(f"hidden layer {layer.name!r} has the activation "
                             f"{layer.activation!r}; expected relu")
    if output.activation != "linear":
        raise ValueError(f"output layer {output.name!r} has the activation "
                         f"{output.activation!r}; expected linear (logits)")
    for before, after in zip(layers, layers[1:], strict=False):
        if after.shape[0] != before.shape[1]:
            raise ValueError(f"layer {after.name!r} takes {after.shape[0]} inputs but layer "
                             f"{before.name!r} has {before.shape[1]} outputs")
    return layers


def hidden_layer_weights(layers: Sequence[LayerWeights]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per hidden layer ``(W, b)`` as outputs x inputs: :func:`relusv.models.layer_weights`.

    Returns
    -------
    list of ((m, n) float64 array, (m,) float64 array)
        One pair per hidden layer (the output layer left out), bitwise equal to
        ``layer_weights(model)`` of the model the weights came from.
    """
    return [layer.spec_weights() for layer in check_network(layers)[:-1]]


def predict_logits_from_weights(layers: Sequence[LayerWeights], x,
                                batch_size: int = 1024) -> np.ndarray:
    """The logits of the rows of ``x``: a numpy forward pass in the weights' dtype.

    Parameters
    ----------
    layers : list of LayerWeights
        A network (:func:`check_network`).
    x : (N, n_0) array
        Finite inputs; cast to the dtype of the first layer's weights (float32).
    batch_size : int
        Rows per forward pass (bounds the memory of the hidden activations).

    Returns
    -------
    (N, classes) array
        Equal to Keras' ``model.predict(x)`` up to float rounding (measured: at most a few
        ``1e-6`` on the demo networks): the products are summed in another order than
        TensorFlow's kernels sum them.
    """
    layers = check_network(layers)
    batch_size = check_positive_int(batch_size, "batch_size")
    dtype = layers[0].bias.dtype
    x = np.asarray(x)
    if x.ndim != 2 or x.size == 0 or not np.isfinite(x).all():
        as_finite_array(x, "x", 2)  # raises with the shared message
    x = x.astype(dtype, copy=False)
    if x.shape[1] != layers[0].shape[0]:
        raise ValueError(f"x must have {layers[0].shape[0]} features per row (the network's "
                         f"inputs), got shape {x.shape}")
    out = []
    for start in range(0, len(x), batch_size):
        h = x[start:start + batch_size]
        for layer in layers:
            h = layer(h)
        out.append(h)
    return np.concatenate(out)


def predict_classes_from_weights(layers: Sequence[LayerWeights], x,
                                 batch_size: int = 1024) -> np.ndarray:
    """Predicted class (argmax of the logits) of every row of ``x``: an int64 ``(N,)`` array.

    The numpy counterpart of :func:`relusv.training.predict_classes`; the classes are the same
    unless a point's two largest logits lie within float rounding (about ``1e-6``) of each other
    (see :func:`predict_logits_from_weights`).
    """
    return np.argmax(predict_logits_from_weights(layers, x, batch_size), axis=1)


# --------------------------------------------------------------------------------------------
# from a Keras model, to and from a file


def network_weights(model) -> list[LayerWeights]:
    """The layers of a :func:`~relusv.models.build_mlp` model (hidden layers, then ``logits``).

    Imports Keras (the model is one); the arrays are the model's own, in its dtype. A user's
    model goes through :func:`relusv.models.canonical_mlp` first.

    Raises
    ------
    ValueError
        If the model has no ``logits`` layer or a hidden layer is not ReLU.
    """
    import keras

    from relusv.layers import hidden_layers, layer_arrays

    names = [layer.name for layer in model.layers]
    if "logits" not in names:
        raise ValueError(f"model {model.name!r} has no 'logits' output layer; expected a "
                         "build_mlp model (pass a user's model through canonical_mlp first)")
    layers = []
    for layer in [*hidden_layers(model), model.get_layer("logits")]:
        activation = keras.activations.serialize(layer.activation)
        activation = "linear" if activation in (None, "linear") else activation
        kernel, bias = layer_arrays(layer)
        kernel, factors = (None, kernel) if isinstance(kernel, tuple) else (kernel, None)
        if bias is None:
            dtype = (kernel if factors is None else factors[0]).dtype
            bias = np.zeros(int(layer.units), dtype=dtype)
        layers.append(LayerWeights(layer.name, str(activation), bias, kernel, factors))
    return check_network(layers)


def save_network_weights(path: str | os.PathLike, layers: Sequence[LayerWeights]) -> None:
    """Write a network's layers to ``path`` (``.npz``, the format of this module), atomically.

    Raises
    ------
    ValueError
        If ``path`` does not end in ``.npz`` (numpy would write another name) or the layers do
        not form an MLP (:func:`check_network`).
    """
    if Path(path).suffix != ".npz":
        raise ValueError(f"path must end in .npz, got {str(path)!r}")
    layers = check_network(layers)
    arrays = {"format": np.array(FORMAT),
              "names": np.array([layer.name for layer in layers]),
              "activations": np.array([layer.activation for layer in layers])}
    for layer in layers:
        if layer.kernel is not None:
            arrays[f"{layer.name}.kernel"] = layer.kernel
        else:
            arrays[f"{layer.name}.v"], arrays[f"{layer.name}.u"] = layer.factors
        arrays[f"{layer.name}.bias"] = layer.bias
    save_npz(path, **arrays)


def load_network_weights(path: str | os.PathLike) -> list[LayerWeights]:
    """The layers :func:`save_network_weights` wrote to ``path``, checked.

    Raises
    ------
    ValueError
        Naming the file, if it is missing, truncated, not a weights file of this format, or
        holds layers that do not form an MLP (:func:`check_network`).
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as stored:
            if "format" not in stored.files or str(stored["format"]) != FORMAT:
                found = str(stored["format"]) if "format" in stored.files else "none"
                raise ValueError(f"not a network weights file (format {found!r}, expected "
                                 f"{FORMAT!r})")
            layers = []
            for name, activation in zip(stored["names"].tolist(),
                                        stored["activations"].tolist(), strict=True):
                kernel = factors = None
                if f"{name}.kernel" in stored.files:
                    kernel = stored[f"{name}.kernel"]
                else:
                    factors = (stored[f"{name}.v"], stored[f"{name}.u"])
                layers.append(LayerWeights(name, activation, stored[f"{name}.bias"], kernel,
                                           factors))
        return check_network(layers)
    except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile) as error:
        raise ValueError(f"cannot read network weights {path}: {type(error).__name__}: "
                         f"{error}. Expected a complete {FORMAT} .npz file as the training "
                         f"rules write it; {_RERUN}") from error


_CHECKPOINT_NAME = re.compile(r"^epoch_(\d+)\.npz$")


def checkpoint_weights_path(checkpoint_dir: str | os.PathLike, epoch: int) -> Path:
    """``checkpoint_dir/epoch_{epoch:03d}.npz`` (epoch 0: the initial weights)."""
    return Path(checkpoint_dir) / f"epoch_{int(epoch):03d}.npz"


def checkpoint_weights_files(checkpoint_dir: str | os.PathLike) -> list[tuple[int, Path]]:
    """The ``epoch_NNN.npz`` files of a training run, as (epoch, path), by epoch.

    Raises
    ------
    ValueError
        If the directory is missing, holds no such file, or the epochs are not 0, 1, ..., E
        without gaps (a truncated or mixed-up run).
    """
    checkpoint_dir = Path(checkpoint_dir)
    if not checkpoint_dir.is_dir():
        raise ValueError(f"{checkpoint_dir}: no such checkpoint directory; {_RERUN}")
    found = sorted((int(match.group(1)), path) for path in checkpoint_dir.iterdir()
                   if (match := _CHECKPOINT_NAME.match(path.name)))
    epochs = [epoch for epoch, _ in found]
    if not found or epochs != list(range(len(found))):
        raise ValueError(f"{checkpoint_dir}: expected weights checkpoints epoch_000.npz, "
                         f"epoch_001.npz, ... without gaps, found epochs {epochs}; {_RERUN}")
    return found
