"""An MLP from any framework, read from its weights alone: a PyTorch-style ``state_dict`` file.

No deep-learning framework is needed (and none is imported): the file is ``.safetensors`` (read
with the ``safetensors`` package's numpy API) or ``.npz``, holding the weights of ``Linear``
layers as PyTorch's ``state_dict`` names them:

- ``<prefix>.weight``: ``(out, in)``, and ``<prefix>.bias``: ``(out,)`` (may be missing: a
  layer without bias), one pair per layer;
- the prefixes sort in network order, digit groups compared as numbers: ``0, 2, 4`` as
  ``torch.nn.Sequential`` names its modules (ReLU modules hold no weights), ``fc1, fc2, ...``,
  ``layers.0, layers.1, ...``;
- each layer takes as many inputs as the layer before has outputs.

The file holds no activations, so they are taken as this package's MLPs have them: every layer
but the last is followed by ReLU, the last gives the logits (a softmax after it changes no
prediction). A network with other activations, normalisation layers or skip connections is
another function, and its numbers would be meaningless: fold a BatchNorm into the Linear layer
next to it before saving, or give the Keras model.

:func:`load_state_dict` returns the layers as :class:`relusv.weights.LayerWeights` (float32,
Keras layout ``kernel = weight.T``), the form the analyses and the numpy forward pass
(:func:`relusv.weights.predict_classes_from_weights`) take.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from relusv.weights import LayerWeights, check_network

__all__ = ["SUFFIXES", "layers_from_state_dict", "load_state_dict", "read_arrays"]

#: File suffixes :func:`load_state_dict` reads.
SUFFIXES = (".safetensors", ".npz")

_KEY = re.compile(r"^(?P<prefix>.+)\.(?P<kind>weight|bias)$")
_HINT = ("expected a state_dict of Linear layers: '<i>.weight' of shape (out, in) and "
         "'<i>.bias' of shape (out,), e.g. as torch.nn.Sequential(Linear, ReLU, ..., Linear)"
         ".state_dict() names them (docs/analyse.md)")


def read_arrays(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Every array of a ``.safetensors`` or ``.npz`` file, by name.

    Raises
    ------
    ValueError
        Naming the file: another suffix, or a file that cannot be read as its suffix says.
    """
    path = Path(path)
    if path.suffix not in SUFFIXES:
        raise ValueError(f"{path}: expected a weights file ending in {' or '.join(SUFFIXES)}, "
                         f"got {path.suffix or 'no suffix'!r}")
    try:
        if path.suffix == ".safetensors":
            from safetensors.numpy import load_file

            return dict(load_file(path))
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except (OSError, ValueError, TypeError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path}: cannot read it as a {path.suffix} file: "
                         f"{type(error).__name__}: {error}") from error
    except Exception as error:  # safetensors raises its own SafetensorError for a bad header
        raise ValueError(f"{path}: cannot read it as a .safetensors file: "
                         f"{type(error).__name__}: {error}") from error


def _order(prefix: str) -> tuple:
    """Natural sort key: digit groups as numbers, so ``fc10`` comes after ``fc9``."""
    return tuple((0, int(part)) if part.isdigit() else (1, part)
                 for part in re.split(r"(\d+)", prefix) if part)


def layers_from_state_dict(arrays: Mapping[str, np.ndarray],
                           source: str = "state_dict") -> list[LayerWeights]:
    """The layers of a state_dict of ``Linear`` layers (see the module docstring).

    Parameters
    ----------
    arrays : mapping of str to array
        ``<prefix>.weight`` ``(out, in)`` and optionally ``<prefix>.bias`` ``(out,)``.
    source : str
        Named in the errors (the file).

    Returns
    -------
    list of LayerWeights
        ``hidden_1 ... hidden_L`` (ReLU) and ``logits`` (linear), float32, ``kernel = weight.T``.

    Raises
    ------
    ValueError
        Naming the key and the fix: a key that is not a weight or bias, a bias without weight,
        a weight that is not 2-d, non-float or non-finite values, fewer than two layers, or
        shapes that do not chain.
    """
    weights, biases = {}, {}
    for key, array in arrays.items():
        match = _KEY.match(key)
        if match is None:
            raise ValueError(f"{source}: array {key!r} is not a Linear layer's weight or bias; "
                             f"{_HINT}")
        array = np.asarray(array)
        if not np.issubdtype(array.dtype, np.floating):
            raise ValueError(f"{source}: array {key!r} has dtype {array.dtype}; expected floats "
                             "(float16/32/64; save bfloat16 weights as float32)")
        if not np.isfinite(array).all():
            raise ValueError(f"{source}: array {key!r} holds NaN or inf")
        target = weights if match["kind"] == "weight" else biases
        target[match["prefix"]] = array.astype(np.float32)
    if stray := sorted(set(biases) - set(weights)):
        raise ValueError(f"{source}: bias {stray[0] + '.bias'!r} has no "
                         f"{stray[0] + '.weight'!r}; {_HINT}")
    prefixes = sorted(weights, key=_order)
    if len(prefixes) < 2:
        raise ValueError(f"{source}: found {len(prefixes)} Linear layer(s) {prefixes}; expected "
                         "at least one hidden layer and an output layer")
    layers = []
    for i, prefix in enumerate(prefixes):
        weight = weights[prefix]
        if weight.ndim != 2:
            raise ValueError(f"{source}: {prefix + '.weight'!r} has shape {weight.shape}; "
                             "expected (out, in) of a Linear layer (a 1-d weight is a norm "
                             "layer's: fold it into the Linear layer next to it first)")
        bias = biases.get(prefix, np.zeros(weight.shape[0], dtype=np.float32))
        if bias.shape != (weight.shape[0],):
            raise ValueError(f"{source}: {prefix + '.bias'!r} has shape {bias.shape}; expected "
                             f"({weight.shape[0]},) for the weight of shape {weight.shape}")
        if layers and weight.shape[1] != layers[-1].shape[1]:
            raise ValueError(
                f"{source}: layer {prefix!r} takes {weight.shape[1]} inputs but the layer "
                f"before it, {prefixes[i - 1]!r}, has {layers[-1].shape[1]} outputs; the "
                f"layers must sort in network order (found {prefixes})")
        last = i == len(prefixes) - 1
        layers.append(LayerWeights("logits" if last else f"hidden_{i + 1}",
                                   "linear" if last else "relu", bias,
                                   kernel=np.ascontiguousarray(weight.T)))
    return check_network(layers)


def load_state_dict(path: str | os.PathLike) -> list[LayerWeights]:
    """The layers of a ``.safetensors`` or ``.npz`` state_dict file (see the module docstring).

    Raises
    ------
    ValueError
        Naming the file and the problem.
    """
    return layers_from_state_dict(read_arrays(path), source=str(path))
