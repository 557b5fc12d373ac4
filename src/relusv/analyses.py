"""The analyses as tidy DataFrames: bounds per layer/subset, widths per checkpoint, random layers.

The paper's analyses of a network (the ReLU singular value bounds of every hidden layer over the
correct and incorrect subsets, Figure 3; the Gaussian mean widths of its outputs at every
checkpoint, Figure 4) and of random layers on the unit sphere (Figure 2). Each returns a tidy
:class:`pandas.DataFrame` (one row per observation, the columns of its :mod:`relusv.tidy` table:
``BOUNDS``, ``WIDTHS``, ``RANDOM_LAYERS``) that the figure and claims code reads. They take
weights and inputs, not files, so that they can be called on any network a researcher has at
hand; the workflow's rule scripts call them. The bounds split into jobs per (subset, layer) or
rank part, which :func:`gather_network_bounds` joins into exactly the frame of one call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from relusv._validation import check_positive_int
from relusv.singular_values import (
    CHOOSE_START_AT,
    EARLY_STOPPING_PATIENCE,
    EARLY_STOPPING_TOLERANCE,
    ERROR_POWER,
    TIGHT_STEPS,
    check_early_stopping,
    relu_singular_value_bounds,
    running_minimum_source,
)
from relusv.sphere_bounds import sphere_bounds
from relusv.tidy import BOUNDS, RANDOM_LAYERS, SUBSETS, WIDTH_DIFFERENCES, WIDTHS
from relusv.widths import WidthEstimate, gaussian_mean_width_per_draw

log = logging.getLogger(__name__)


def layer_inputs(weights: Sequence[tuple[np.ndarray, np.ndarray]],
                 x: np.ndarray) -> list[np.ndarray]:
    """The inputs that reach each layer: ``x`` for the first, the previous ReLU output after.

    Parameters
    ----------
    weights : list of (W, b)
        Hidden layers as outputs x inputs, ``W`` of shape ``(m, n)``.
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
                   method: str = "tight",
                   tolerance: float = EARLY_STOPPING_TOLERANCE,
                   patience: int | None = EARLY_STOPPING_PATIENCE,
                   tight_steps: int = TIGHT_STEPS,
                   error_power: float = ERROR_POWER,
                   choose_start_at: int = CHOOSE_START_AT,
                   row_space: bool = True,
                   paper_reference: bool = False,
                   layers: Sequence[int] | None = None,
                   rank_part: tuple[int, int] | None = None,
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
    steps, learning_rate, approximant_bias, method, tolerance, patience, tight_steps,
    error_power, choose_start_at, row_space, paper_reference
        Passed to :func:`relusv.singular_values.relu_singular_value_bounds`, like
        ``n_threads`` (its worker threads, by default one per core; the bounds do not depend
        on it). ``method="tight"`` (exact rank 0, exact zeros, the best of two starts on an
        objective aimed at the max-error; with ``paper_reference`` the paper's procedure beside
        it, which fills the ``paper_bound`` column) or ``"paper"`` (the paper's procedure).
        ``steps`` is the cap of Adam steps per rank, ``tolerance`` and ``patience`` stop a rank
        early (by default :data:`relusv.singular_values.EARLY_STOPPING_TOLERANCE` and
        ``EARLY_STOPPING_PATIENCE``; ``tolerance=0``: every rank takes ``steps`` steps).
        The optimisation starts without noise, so the bounds are a deterministic function of
        the weights and inputs: there is no seed.
    layers : sequence of int or None
        The hidden layers to compute, numbered from 1 like the ``layer`` column; None: all.
        A layer's rows do not depend on which other layers or subsets are computed in the same
        call, so the frames of calls on single (subset, layer) pairs, put together by
        :func:`gather_network_bounds`, are exactly the frame of one call on all of them.
    rank_part : (i, n) or None
        Only the ranks ``k`` with ``k % n == i`` of each layer (``0 <= i < n``): part ``i`` of
        ``n`` interleaved parts, which cost about the same. A rank's bound does not depend on the
        other ranks computed with it, but ``bound`` is a running minimum over ranks, here over
        the part's ranks only: :func:`gather_network_bounds` takes it over all parts again, which
        gives exactly the unsplit frame. None: all ranks.

    Returns
    -------
    DataFrame with the columns of :data:`relusv.tidy.BOUNDS`, one row per (subset, layer, k),
    in that order (subsets in the order of ``inputs_by_subset``); no rows when every subset is
    empty.

    Raises
    ------
    ValueError
        Before any work, if ``layers`` names no layer, a layer twice or one outside
        ``1 .. len(weights)``, ``rank_part`` is not a pair ``0 <= i < n``, or ``tolerance`` or
        ``patience`` is out of range.
    """
    selected = _check_layers(layers, len(weights))
    part, n_parts = _check_rank_part(rank_part)
    tolerance, patience = check_early_stopping(tolerance, patience)
    frames = []
    for subset, x in inputs_by_subset.items():
        if len(x) == 0:
            log.warning("%s: no %s points, no bounds for that subset", network, subset)
            continue
        inputs = layer_inputs(weights[: max(selected)], x)
        for layer in selected:
            W, b = weights[layer - 1]
            ranks = list(range(part, min(W.shape), n_parts))
            if not ranks:
                continue
            log.info("%s: bounds of layer %d (%dx%d) over %d %s points, %d ranks", network,
                     layer, *W.shape, len(x), subset, len(ranks))
            start = time.perf_counter()
            result = relu_singular_value_bounds(
                W, inputs[layer - 1], b, ranks=ranks, method=method, steps=steps,
                learning_rate=learning_rate, tolerance=tolerance, patience=patience,
                tight_steps=tight_steps, error_power=error_power,
                choose_start_at=choose_start_at, row_space=row_space,
                paper_reference=paper_reference,
                approximant_bias=approximant_bias, n_threads=n_threads)
            taken = result.steps_taken[result.steps_taken > 0]
            log.info("%s: layer %d, %s: %d ranks in %.1f s, %.0f Adam steps per rank optimised "
                     "on average (cap %d)", network, layer, subset, len(result.ranks),
                     time.perf_counter() - start, taken.mean() if taken.size else 0.0, steps)
            frames.append(pd.DataFrame({
                "network": network, "layer": layer, "subset": subset, "k": result.ranks,
                "bound": result.bounds, "singular_value": result.linear_singular_values,
                "n_points": len(x), "lower_bound": result.lower_bounds,
                "start": result.bound_starts, "method": method,
                "paper_bound": result.paper_bounds}))
    if not frames:
        return BOUNDS.empty()
    return pd.concat(frames, ignore_index=True)[list(BOUNDS.columns)]


def gather_network_bounds(parts: Iterable) -> pd.DataFrame:
    """The parts of a split :func:`network_bounds` as the frame of the unsplit call.

    Parameters
    ----------
    parts : iterable of DataFrame or CSV path
        Frames of :func:`network_bounds` on some of one network's (subset, layer) pairs, in any
        order, or CSV files of them (``write_csv`` writes the shortest repr of each float and
        pandas 3 parses it back exactly, so the bounds come back bit for bit; tested); parts
        without rows are skipped.

    Returns
    -------
    DataFrame with the columns of :data:`relusv.tidy.BOUNDS`: the rows ordered by subset (in
    the order of :data:`relusv.tidy.SUBSETS`), layer and ``k``, which is the order of one call
    of :func:`network_bounds` on all pairs with ``inputs_by_subset`` in that order; ``bound``
    is the running minimum over ``k`` of the parts' bounds (which changes nothing for parts of
    whole layers, and joins the parts of a ``rank_part`` split).

    Raises
    ------
    ValueError
        If no part has rows, the parts hold several networks, a (subset, layer, k) row is in
        more than one part, or a (subset, layer) misses ranks (its ``k`` are not 0, 1, ...).
    """
    frames = []
    for index, part in enumerate(parts):
        frame = part if isinstance(part, pd.DataFrame) else pd.read_csv(part)
        BOUNDS.check(frame, f"parts[{index}]")
        if len(frame):
            frames.append(frame)
    if not frames:
        raise ValueError("gather_network_bounds needs at least one part with rows")
    frame = pd.concat(frames, ignore_index=True)
    networks = frame["network"].unique()
    if len(networks) != 1:
        raise ValueError(f"the parts hold several networks {sorted(networks)}; gather the parts "
                         "of one network at a time")
    key = ["subset", "layer", "k"]
    repeated = frame.duplicated(key)
    if repeated.any():
        first = frame.loc[repeated, key].iloc[0].tolist()
        raise ValueError(f"(subset, layer, k) = {tuple(first)} is in more than one part: give "
                         "each (subset, layer) part once")
    subset_order = frame["subset"].map({name: i for i, name in enumerate(SUBSETS)})
    order = np.lexsort((frame["k"], frame["layer"], subset_order))
    frame = frame.iloc[order].reset_index(drop=True)[list(BOUNDS.columns)]
    groups = frame.groupby(["subset", "layer"], sort=False)
    gaps = groups["k"].transform(lambda k: np.any(k.to_numpy() != np.arange(len(k))))
    if gaps.any():
        subset, layer = frame.loc[gaps, ["subset", "layer"]].iloc[0]
        raise ValueError(f"the parts of layer {layer}, {subset} subset, miss ranks (their k are "
                         f"not 0, 1, 2, ...): a rank_part is missing")
    # the minimum over lower ranks of part-wise running minima is the layer's running minimum;
    # each row's start (and lower bound) stays that of its own rank, the start follows the
    # approximant that attains the minimum
    source = groups["bound"].transform(lambda bound: bound.index[running_minimum_source(bound)])
    frame["bound"] = frame["bound"].to_numpy()[source.to_numpy()]
    if "start" in frame:
        frame["start"] = frame["start"].to_numpy()[source.to_numpy()]
    if "paper_bound" in frame:
        frame["paper_bound"] = groups["paper_bound"].cummin(skipna=False)
    return frame


def _check_rank_part(rank_part) -> tuple[int, int]:
    """``(i, n)`` of ``rank_part``, ``(0, 1)`` (all ranks) for None."""
    if rank_part is None:
        return 0, 1
    try:
        part, n_parts = rank_part
    except (TypeError, ValueError):
        part = n_parts = None
    if (isinstance(part, bool) or isinstance(n_parts, bool)
            or not isinstance(part, int | np.integer) or not isinstance(n_parts, int | np.integer)
            or not 0 <= part < n_parts):
        raise ValueError(f"rank_part must be None or a pair (i, n) of ints with 0 <= i < n "
                         f"(part i of n interleaved parts), got {rank_part!r}")
    return int(part), int(n_parts)


def _check_layers(layers, n_layers: int) -> list[int]:
    """The hidden layers to compute, increasing: ``1 .. n_layers`` for None."""
    if layers is None:
        return list(range(1, n_layers + 1))
    if isinstance(layers, str) or not isinstance(layers, Sequence):
        raise ValueError(f"layers must be None or a sequence of layer numbers, got {layers!r}")
    checked = [check_positive_int(layer, "layers[...]") for layer in layers]
    if not checked or len(set(checked)) != len(checked) or max(checked) > n_layers:
        raise ValueError(f"layers must be distinct layer numbers in 1 .. {n_layers} (the "
                         f"network's hidden layers, numbered like the 'layer' column), got "
                         f"{list(layers)!r}")
    return sorted(checked)


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
                        seed: int, tolerance: float = EARLY_STOPPING_TOLERANCE,
                        patience: int | None = EARLY_STOPPING_PATIENCE,
                        n_threads: int | None = None) -> pd.DataFrame:
    """Unbiased ReLU singular value bounds of random layers over the unit sphere (Figure 2).

    Each layer ``W`` has i.i.d. ``N(0, 1/n)`` entries. Two bounds per rank ``k``, both from
    :func:`relusv.sphere_bounds.sphere_bounds`:

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
        Passed to :func:`relusv.sphere_bounds.sphere_bounds`.
    tolerance, patience
        Early stopping of its Adam optimisations, passed on too (by default
        :data:`relusv.singular_values.EARLY_STOPPING_TOLERANCE` and ``EARLY_STOPPING_PATIENCE``;
        ``tolerance=0``: every rank takes ``steps`` steps).
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
                                   tolerance=tolerance, patience=patience,
                                   holdout_points=holdout_points, ascent_starts=ascent_starts,
                                   ascent_steps=ascent_steps, rounds=rounds, n_threads=n_threads)
            frames.append(pd.DataFrame({
                "shape": f"{m}x{n}", "m": m, "n": n, "layer": layer, "k": result.ranks,
                "singular_value": result.linear_singular_values,
                "bound_sample": result.bounds_sample, "bound_refined": result.bounds_refined}))
    return pd.concat(frames, ignore_index=True)[list(RANDOM_LAYERS.columns)]


