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

from relusv.singular_values import relu_singular_value_bounds, sphere_bounds
from relusv.tidy import BOUNDS, RANDOM_LAYERS, SUBSETS, WIDTH_DIFFERENCES, WIDTHS
from relusv.widths import WidthEstimate, gaussian_mean_width_per_draw

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
    The widths of :func:`layer_widths_and_differences`, without the paired differences.
    """
    return layer_widths_and_differences(network, epoch, weights, inputs_by_subset,
                                        n_draws=n_draws, seed=seed)[0]


def layer_widths_and_differences(network: str, epoch: int, weights,
                                 inputs_by_subset: Mapping[str, np.ndarray], *, n_draws: int,
                                 seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The widths of :func:`layer_widths`, and per layer the paired difference correct - incorrect.

    Every layer's width over each subset is the mean over the same ``n_draws`` Gaussian draws
    (``seed``; the subsets' outputs of a layer live in the same dimension), so the difference
    per draw ``d(g) = w_correct(g) - w_incorrect(g)`` is paired: its mean is the difference of the
    two widths (to rounding) and its standard error (``std(d, ddof=1) / sqrt(n_draws)``) is that
    of the paired difference, not the ``sqrt(se_c^2 + se_i^2)`` of independent draws.

    Parameters
    ----------
    network : str
        Name written into the ``network`` column.
    epoch : int
        The checkpoint, written into the ``epoch`` column.
    weights : list of (W, b)
        Hidden layers, ``W`` of shape ``(m, n)``.
    inputs_by_subset : mapping of subset name to (N, n_0) array
        Network inputs of each subset; an empty array skips the subset.
    n_draws, seed
        Passed to :func:`relusv.widths.gaussian_mean_width_per_draw`.

    Returns
    -------
    (widths, differences)
        ``widths``: the columns of :data:`relusv.tidy.WIDTHS`, one row per (subset, layer);
        ``differences``: the columns of :data:`relusv.tidy.WIDTH_DIFFERENCES`, one row per layer
        when both subsets have points (no rows otherwise); ``n_points`` is the size of the
        smaller subset (the workflow draws them equally large).
    """
    rows, per_draw, sizes = [], {}, {}
    for subset, x in inputs_by_subset.items():
        if len(x) == 0:
            continue
        outputs = layer_inputs(weights, x)[1:]
        sizes[subset] = len(x)
        for layer, h in enumerate(outputs, start=1):
            draws = gaussian_mean_width_per_draw(h, n_draws=n_draws, seed=seed)
            estimate = WidthEstimate.from_draws(draws)
            rows.append((network, layer, subset, epoch, estimate.value, estimate.stderr, len(x),
                         estimate.n_draws))
            per_draw[subset, layer] = draws
    correct, incorrect = SUBSETS
    differences = []
    if correct in sizes and incorrect in sizes:
        for layer in range(1, len(weights) + 1):
            paired = WidthEstimate.from_draws(per_draw[correct, layer]
                                              - per_draw[incorrect, layer])
            differences.append((network, layer, epoch, paired.value, paired.stderr,
                                paired.n_draws, min(sizes[correct], sizes[incorrect])))
    return (pd.DataFrame(rows, columns=list(WIDTHS.columns)),
            pd.DataFrame(differences, columns=list(WIDTH_DIFFERENCES.columns)))


def widths_over_training(network: str, checkpoints: Iterable[tuple[int, list, Mapping]], *,
                         n_draws: int, seed: int) -> pd.DataFrame:
    """:func:`layer_widths` at every checkpoint (Figure 4).

    Parameters
    ----------
    checkpoints : iterable of (epoch, weights, inputs_by_subset)
        One entry per checkpoint, in order; ``inputs_by_subset`` may change between checkpoints
        (``split_at: each_checkpoint``) or stay fixed (``split_at: final``).
    """
    return widths_and_differences_over_training(network, checkpoints, n_draws=n_draws,
                                                seed=seed)[0]


def widths_and_differences_over_training(
        network: str, checkpoints: Iterable[tuple[int, list, Mapping]], *, n_draws: int,
        seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`layer_widths_and_differences` at every checkpoint (Figure 4, claim C5).

    Parameters
    ----------
    checkpoints : iterable of (epoch, weights, inputs_by_subset)
        As in :func:`widths_over_training`; iterated once.

    Returns
    -------
    (widths, differences)
        :data:`relusv.tidy.WIDTHS` rows (those of :func:`widths_over_training`) and
        :data:`relusv.tidy.WIDTH_DIFFERENCES` rows, one per (layer, checkpoint) with both
        subsets, in checkpoint order.
    """
    frames, differences = [], []
    for epoch, weights, inputs_by_subset in checkpoints:
        log.info("%s: widths at epoch %d", network, epoch)
        widths, paired = layer_widths_and_differences(network, epoch, weights, inputs_by_subset,
                                                      n_draws=n_draws, seed=seed)
        frames.append(widths)
        differences.append(paired)
    differences = [d for d in differences if not d.empty]
    return (pd.concat(frames, ignore_index=True),
            pd.concat(differences, ignore_index=True) if differences
            else WIDTH_DIFFERENCES.empty())


def random_layer_bounds(shapes: Sequence[Sequence[int]], *, layers_per_shape: int,
                        n_points: int, steps: int, learning_rate: float, holdout_points: int,
                        ascent_starts: int, ascent_steps: int, rounds: int,
                        seed: int, n_threads: int | None = None) -> pd.DataFrame:
    """Unbiased ReLU singular value bounds of random layers over the unit sphere (Figure 2).

    Each layer ``W`` has i.i.d. ``N(0, 1/n)`` entries. Two bounds per rank ``k``, both from
    :func:`relusv.singular_values.sphere_bounds`:

    - ``bound_sample``, the paper's: the worst error over ``n_points`` uniform sphere points of
      the approximant fitted to them. In 10-20 dimensions the sample covers the sphere sparsely,
      so this is a sample quantity, not a bound on ``s_k``;
    - ``bound_refined``: ``min(sigma_k, e_k)``, ``e_k`` the worst error of the reported
      approximant found off the sample (fresh held-out points, projected gradient ascent on the
      sphere), after ``rounds`` rounds that add the ascent's worst points to the optimisation set
      and refit. ``sigma_k`` is certified by the SVD truncation (Lemma 5).

    Parameters
    ----------
    shapes : sequence of (m, n)
        Layer shapes (outputs, inputs).
    layers_per_shape : int
        Random layers per shape.
    n_points, steps, learning_rate, holdout_points, ascent_starts, ascent_steps, rounds
        Passed to :func:`relusv.singular_values.sphere_bounds`.
    seed : int
        Draws every layer's weights and the seed of its :func:`sphere_bounds` call, in order.
    n_threads : int or None
        Worker threads of the Adam optimisation (by default one per available core; the bounds
        do not depend on it).

    Returns
    -------
    DataFrame with the columns of :data:`relusv.tidy.RANDOM_LAYERS`, one row per
    (shape, layer, k).
    """
    rng = np.random.default_rng(seed)
    frames = []
    for m, n in shapes:
        for layer in range(layers_per_shape):
            W = rng.standard_normal((m, n)) / np.sqrt(n)
            log.info("random layer %dx%d #%d: %d sphere points, %d rounds", m, n, layer,
                     n_points, rounds)
            result = sphere_bounds(W, n_points=n_points, seed=int(rng.integers(2**31)),
                                   steps=steps, learning_rate=learning_rate,
                                   holdout_points=holdout_points, ascent_starts=ascent_starts,
                                   ascent_steps=ascent_steps, rounds=rounds, n_threads=n_threads)
            frames.append(pd.DataFrame({
                "shape": f"{m}x{n}", "m": m, "n": n, "layer": layer, "k": result.ranks,
                "singular_value": result.linear_singular_values,
                "bound_sample": result.bounds_sample, "bound_refined": result.bounds_refined}))
    return pd.concat(frames, ignore_index=True)[list(RANDOM_LAYERS.columns)]


