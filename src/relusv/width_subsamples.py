"""Claim C5 over which points were drawn: paired width differences of random point subsamples.

The paired difference of the Gaussian mean widths over the correct and the incorrect points
(:data:`relusv.tidy.WIDTH_DIFFERENCES`) has a standard error over the Gaussian draws only: it says
how precisely the widths of *these* point sets are known, not whether another draw of points
from the same pool would give the same sign. :func:`subsampled_width_differences` draws ``R``
random subsamples of both subsets (each a ``fraction`` of the smaller subset's points, without
replacement, the two drawn independently) and measures the paired difference of each pair over
its own Gaussian draws. Claim C5 (:mod:`relusv.claims.spectral`) asks that the difference exceed
twice its draw noise in at least 95 % of the subsamples, so that a difference carried by a few
points, or one far below the spread over point draws, fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from relusv._validation import check_positive_int, check_real
from relusv.analyses import layer_inputs
from relusv.tidy import SUBSETS, WIDTH_SUBSAMPLES
from relusv.widths import WidthEstimate, gaussian_mean_width_per_draw

__all__ = ["subsampled_width_differences"]


def subsampled_width_differences(
        network: str, epoch: int, weights: Sequence[tuple[np.ndarray, np.ndarray]],
        inputs_by_subset: Mapping[str, np.ndarray], *, n_subsamples: int, fraction: float,
        n_draws: int, seed: int) -> pd.DataFrame:
    """Per hidden layer and random point subsample, the paired width difference correct -
    incorrect and its standard error over the Gaussian draws.

    Parameters
    ----------
    network : str
        Written into the ``network`` column.
    epoch : int
        The checkpoint the weights are from (the final one), written into ``epoch``.
    weights : list of (W, b)
        Hidden layers as outputs x inputs, ``W`` of shape ``(m, n)``.
    inputs_by_subset : mapping with the keys ``"correct"`` and ``"incorrect"``
        Network inputs of each subset, ``(N, n_0)`` arrays.
    n_subsamples : int
        ``R``, the number of subsample pairs.
    fraction : float in (0, 1]
        Each subsample holds ``round(fraction * N)`` points (at least 2), ``N`` the size of the
        smaller subset, drawn without replacement from each subset independently.
    n_draws : int
        Gaussian draws per subsample, shared by its correct and incorrect points (paired).
    seed : int
        Seeds the subsamples and their draws; subsample ``r`` uses its own child of
        ``numpy.random.SeedSequence(seed)``.

    Returns
    -------
    DataFrame in the columns of :data:`relusv.tidy.WIDTH_SUBSAMPLES`, one row per (layer,
    subsample), subsamples numbered from 0; no rows when a subset has fewer than two points.

    Raises
    ------
    ValueError
        When a subset is missing, or ``n_subsamples``, ``fraction`` or ``n_draws`` is out of
        range.
    """
    n_subsamples = check_positive_int(n_subsamples, "n_subsamples")
    n_draws = check_positive_int(n_draws, "n_draws")
    fraction = check_real(fraction, "fraction", low=0.0, high=1.0, low_open=True)
    missing = [s for s in SUBSETS if s not in inputs_by_subset]
    if missing:
        raise ValueError(f"inputs_by_subset lacks the subsets {missing}: pass both "
                         f"{list(SUBSETS)} (each an (N, n_0) array of network inputs)")
    correct, incorrect = (np.asarray(inputs_by_subset[s], dtype=np.float64) for s in SUBSETS)
    size = min(len(correct), len(incorrect))
    if size < 2:
        return WIDTH_SUBSAMPLES.empty()
    points = max(2, min(size, round(fraction * size)))
    outputs = {s: layer_inputs(weights, x)[1:] for s, x in zip(SUBSETS, (correct, incorrect),
                                                                   strict=True)}
    rows = []
    for r, child in enumerate(np.random.SeedSequence(seed).spawn(n_subsamples)):
        rng = np.random.default_rng(child)
        chosen = {s: rng.choice(len(outputs[s][0]), size=points, replace=False) for s in SUBSETS}
        draw_seed = int(rng.integers(2 ** 31))
        for layer in range(len(weights)):
            per_draw = [gaussian_mean_width_per_draw(outputs[s][layer][chosen[s]], n_draws,
                                                     draw_seed) for s in SUBSETS]
            paired = WidthEstimate.from_draws(per_draw[0] - per_draw[1])
            rows.append((network, layer + 1, epoch, r, paired.value, paired.stderr, n_draws,
                         points))
    return pd.DataFrame(rows, columns=list(WIDTH_SUBSAMPLES.columns))
