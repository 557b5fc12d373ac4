"""Keras layers that do nothing or a per-feature affine map at inference, and folding them away.

An MLP trained with Keras often holds layers that matter only while it trains. At inference
(``model(x, training=False)``, ``model.predict``):

- :data:`IDENTITY_AT_INFERENCE` layers return their input unchanged: ``Dropout``,
  ``GaussianNoise``, ``GaussianDropout``, ``AlphaDropout``, ``ActivityRegularization`` (adds a
  loss, passes its input through) and ``Identity``. They are left out of the network analysed.
  A layer counts only if its class is exactly one of these: a subclass may behave otherwise
  (e.g. a dropout that stays on at inference) and is refused.
- ``BatchNormalization`` is the per-feature affine map ``x -> s * x + t`` with
  ``s = gamma / sqrt(moving_variance + epsilon)`` and ``t = beta - moving_mean * s``
  (:func:`batch_norm_affine`). Next to a Dense layer with no non-linearity in between it is
  folded into that layer's weights: into its outputs when it follows the layer
  (:func:`fold_after`), into its inputs when it comes before it (:func:`fold_before`, e.g.
  ``Dense(relu) -> BatchNormalization -> Dense``). Both are exact identities of the maps; the
  folded weights are computed in float64 and stored as float32, so the folded network's outputs
  equal the original's up to float32 rounding.

:func:`relusv.models.analysable_structure` walks a model with these rules.
"""

from __future__ import annotations

import keras
import numpy as np

__all__ = [
    "IDENTITY_AT_INFERENCE",
    "Affine",
    "batch_norm_affine",
    "compose",
    "fold_after",
    "fold_before",
    "is_identity_at_inference",
]

#: Keras layer classes that return their input unchanged at inference.
IDENTITY_AT_INFERENCE = ("Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout",
                         "ActivityRegularization", "Identity")

#: A per-feature affine map ``x -> scale * x + shift`` (float64 ``(m,)`` arrays).
Affine = tuple[np.ndarray, np.ndarray]


def is_identity_at_inference(layer) -> bool:
    """Whether ``layer``'s class is exactly one of :data:`IDENTITY_AT_INFERENCE`."""
    classes = {getattr(keras.layers, name, None) for name in IDENTITY_AT_INFERENCE}
    return type(layer) in classes - {None}


def batch_norm_affine(layer) -> Affine:
    """``(scale, shift)`` of a built ``BatchNormalization`` layer at inference, float64.

    Raises
    ------
    ValueError
        If the layer normalises another axis than the features of flat ``(N, d)`` inputs.
    """
    try:
        shape = tuple(layer.input.shape)
    except (AttributeError, ValueError):  # a layer not called in a model has no input
        shape = ()
    axis = layer.axis[0] if isinstance(layer.axis, list | tuple) else layer.axis
    if len(shape) != 2 or axis not in (-1, 1):
        raise ValueError(f"layer {layer.name!r} (BatchNormalization) normalises axis {axis} of "
                         f"inputs of shape {shape}; expected the feature axis (-1) of flat "
                         "(N, d) inputs")
    mean = np.asarray(keras.ops.convert_to_numpy(layer.moving_mean), dtype=np.float64)
    variance = np.asarray(keras.ops.convert_to_numpy(layer.moving_variance), dtype=np.float64)
    gamma = (np.asarray(keras.ops.convert_to_numpy(layer.gamma), dtype=np.float64)
             if layer.scale else np.ones_like(mean))
    beta = (np.asarray(keras.ops.convert_to_numpy(layer.beta), dtype=np.float64)
            if layer.center else np.zeros_like(mean))
    scale = gamma / np.sqrt(variance + float(layer.epsilon))
    return scale, beta - mean * scale


def compose(first: Affine, second: Affine) -> Affine:
    """The affine map ``second(first(x))``."""
    (s1, t1), (s2, t2) = first, second
    return s2 * s1, s2 * t1 + t2


def _float32(reference: np.ndarray, array: np.ndarray) -> np.ndarray:
    return np.asarray(array, dtype=reference.dtype if reference.dtype == np.float64
                      else np.float32)


def fold_after(kernel, bias: np.ndarray, affine: Affine):
    """The layer ``x -> affine(x @ kernel + bias)`` as one affine layer ``(kernel', bias')``.

    ``kernel`` is an ``(n, m)`` Keras kernel or a double-layer's factors ``(v, u)`` (then
    ``u`` is scaled and ``v`` kept). Arrays come back in the kernel's dtype (float32).
    """
    scale, shift = affine
    bias64 = np.asarray(bias, dtype=np.float64) * scale + shift
    if isinstance(kernel, tuple):
        v, u = kernel
        return (v, _float32(u, np.asarray(u, np.float64) * scale)), _float32(u, bias64)
    return _float32(kernel, np.asarray(kernel, np.float64) * scale), _float32(kernel, bias64)


def fold_before(kernel, bias: np.ndarray, affine: Affine):
    """The layer ``x -> affine(x) @ kernel + bias`` as one affine layer ``(kernel', bias')``.

    ``kernel`` as in :func:`fold_after` (for factors ``(v, u)``, ``v``'s rows are scaled and
    ``u`` kept).
    """
    scale, shift = affine
    if isinstance(kernel, tuple):
        v, u = (np.asarray(f, np.float64) for f in kernel)
        bias64 = np.asarray(bias, np.float64) + (shift @ v) @ u
        return (_float32(kernel[0], v * scale[:, None]), kernel[1]), _float32(kernel[1], bias64)
    k64 = np.asarray(kernel, np.float64)
    bias64 = np.asarray(bias, np.float64) + shift @ k64
    return _float32(kernel, k64 * scale[:, None]), _float32(kernel, bias64)
