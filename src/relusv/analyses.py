"""The analyses as tidy DataFrames: bounds per layer/subset, widths per checkpoint, random layers.

The paper's analyses of a network (the ReLU singular value bounds of every hidden layer over the
correct and incorrect subsets, Figure 3; the Gaussian mean widths of its outputs at every
checkpoint, Figure 4) and of random layers on the unit sphere (Figure 2). Each returns a tidy
:class:`pandas.DataFrame` (one row per observation, the columns of its :mod:`relusv.tidy` table:
``BOUNDS``, ``WIDTHS``, ``RANDOM_LAYERS``) that the figure and claims code reads. They take
weights and inputs, not files, so that they can be called on any network a researcher has at
hand; the workflow's rule scripts call them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from relusv.singular_values import relu_singular_value_bounds, sample_unit_sphere
from relusv.tidy import BOUNDS, RANDOM_LAYERS, WIDTHS
from relusv.widths import gaussian_mean_width

log = logging.getLogger(__name__)


def layer_inputs(weights: Sequence[tuple[np.ndarray, np.ndarray]],
                 x: np.ndarray) -> list[np.ndarray]:
    """The inputs that reach each layer: ``x`` for the first, the previous ReLU output after.

    Parameters
    ----------
    weights : list of (W, b)
        Hidden layers in SPEC orientation, ``W`` of shape ``(m, n)``.
    x : (N, n_0) array
        Network inputs.

    Returns
    -------
    list of arrays
        ``len(weights) + 1`` arrays; entry ``l`` (0-based) is the input of layer ``l + 1`` and
        the last entry is the output of the last hidden layer.
    """
    activations = [np.asarray(x, dtype=np.float64)]
    for W, b in weights:
        activations.append(np.maximum(activations[-1] @ W.T + b, 0.0))
    return activations


def network_bounds(network: str, weights, inputs_by_subset: Mapping[str, np.ndarray], *,
                   steps: int, learning_rate: float, approximant_bias: str,
                   n_threads: int | None = None) -> pd.DataFrame:
    """Data-dependent affine ReLU singular value bounds of every hidden layer (Figure 3).

    Parameters
    ----------
    network : str
        Name written into the ``network`` column.
    weights : list of (W, b)
        Hidden layers, ``W`` of shape ``(m, n)`` (outputs x inputs), ``b`` of shape ``(m,)``.
    inputs_by_subset : mapping of subset name to (N, n_0) array
        Network inputs of each subset (``correct``, ``incorrect``); an empty array skips the
        subset.
    steps, learning_rate, approximant_bias, n_threads
        Passed to :func:`relusv.singular_values.relu_singular_value_bounds` (``n_threads``: its
        worker threads, by default one per available core; the bounds do not depend on it).
        The optimisation starts from the truncated SVD without noise, so the bounds are a
        deterministic function of the weights and inputs: there is no seed.

    Returns
    -------
    DataFrame with the columns of :data:`relusv.tidy.BOUNDS`, one row per (layer, subset, k).
    """
    frames = []
    for subset, x in inputs_by_subset.items():
        if len(x) == 0:
            log.warning("%s: no %s points, no bounds for that subset", network, subset)
            continue
        inputs = layer_inputs(weights, x)
        for layer, (W, b) in enumerate(weights, start=1):
            log.info("%s: bounds of layer %d (%dx%d) over %d %s points", network, layer,
                     *W.shape, len(x), subset)
            result = relu_singular_value_bounds(
                W, inputs[layer - 1], b, steps=steps, learning_rate=learning_rate,
                approximant_bias=approximant_bias, n_threads=n_threads)
            frames.append(pd.DataFrame({
                "network": network, "layer": layer, "subset": subset, "k": result.ranks,
                "bound": result.bounds, "singular_value": result.linear_singular_values,
                "n_points": len(x)}))
    return pd.concat(frames, ignore_index=True)[list(BOUNDS.columns)]


def layer_widths(network: str, epoch: int, weights, inputs_by_subset: Mapping[str, np.ndarray],
                 *, n_draws: int, seed: int) -> pd.DataFrame:
    """Gaussian mean width of every hidden layer's outputs over each subset at one checkpoint.

    The same Gaussian draws (``seed``) are used for every layer, subset and checkpoint of a
    layer width, so differences between curves are not Monte Carlo noise of different draws.
    """
    rows = []
    for subset, x in inputs_by_subset.items():
        if len(x) == 0:
            continue
        outputs = layer_inputs(weights, x)[1:]
        for layer, h in enumerate(outputs, start=1):
            estimate = gaussian_mean_width(h, n_draws=n_draws, seed=seed)
            rows.append((network, layer, subset, epoch, estimate.value, estimate.stderr, len(x),
                         estimate.n_draws))
    return pd.DataFrame(rows, columns=list(WIDTHS.columns))


def widths_over_training(network: str, checkpoints: Iterable[tuple[int, list, Mapping]], *,
                         n_draws: int, seed: int) -> pd.DataFrame:
    """:func:`layer_widths` at every checkpoint (Figure 4).

    Parameters
    ----------
    checkpoints : iterable of (epoch, weights, inputs_by_subset)
        One entry per checkpoint, in order; ``inputs_by_subset`` may change between checkpoints
        (``split_at: each_checkpoint``) or stay fixed (``split_at: final``).
    """
    frames = []
    for epoch, weights, inputs_by_subset in checkpoints:
        log.info("%s: widths at epoch %d", network, epoch)
        frames.append(layer_widths(network, epoch, weights, inputs_by_subset,
                                   n_draws=n_draws, seed=seed))
    return pd.concat(frames, ignore_index=True)


def random_layer_bounds(shapes: Sequence[Sequence[int]], *, layers_per_shape: int,
                        n_points: int, steps: int, learning_rate: float,
                        seed: int, n_threads: int | None = None) -> pd.DataFrame:
    """Unbiased ReLU singular value bounds of random layers over the unit sphere (Figure 2).

    Each layer ``W`` has i.i.d. ``N(0, 1/n)`` entries; ``X`` is ``n_points`` uniform samples of the
    unit sphere of ``R^n``, which for the small ``n`` used here sample it densely.
    ``n_threads``: worker threads of :func:`relusv.singular_values.relu_singular_value_bounds`
    (by default one per available core; the bounds do not depend on it).
    """
    rng = np.random.default_rng(seed)
    frames = []
    for m, n in shapes:
        for layer in range(layers_per_shape):
            W = rng.standard_normal((m, n)) / np.sqrt(n)
            X = sample_unit_sphere(n_points, n, seed=int(rng.integers(2**31)))
            log.info("random layer %dx%d #%d over %d sphere points", m, n, layer, n_points)
            result = relu_singular_value_bounds(W, X, steps=steps, learning_rate=learning_rate,
                                                seed=int(rng.integers(2**31)),
                                                n_threads=n_threads)
            frames.append(pd.DataFrame({
                "shape": f"{m}x{n}", "m": m, "n": n, "layer": layer, "k": result.ranks,
                "bound": result.bounds, "singular_value": result.linear_singular_values}))
    return pd.concat(frames, ignore_index=True)[list(RANDOM_LAYERS.columns)]


