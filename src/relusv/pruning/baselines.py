"""Baselines at harmonic pruning's parameter budgets: one-shot truncated SVD, magnitude pruning.

Beyond the paper, for the same parameter budgets as :func:`relusv.pruning.harmonic_pruning`:
:func:`one_shot_svd_curve` truncates the SVDs of all layers at once, without retraining, and
:func:`magnitude_pruning_curve` prunes a dense copy of the network by global weight magnitude with
a fixed mask and the same retraining budget (:mod:`relusv.pruning.retraining`). Both start from
the trained network as a :class:`~relusv.pruning.state.PruningState`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from relusv._validation import (
    check_choice,
    check_nonnegative_int,
    check_positive_int,
    check_positive_real,
)
from relusv.parameter_counts import double_mlp_parameter_count
from relusv.pruning.retraining import (
    _TAG_MAGNITUDE_GRADUAL,
    _TAG_MAGNITUDE_ONE_SHOT,
    dense_retraining,
    retrain_dense,
)
from relusv.pruning.state import (
    RANK_RTOL,
    PruningState,
    _check_rank_rtol,
    _correct,
    _factors,
    _nonzero_count,
    _relu,
    _svd,
)
from relusv.training import check_prepared_data

__all__ = ["magnitude_pruning_curve", "one_shot_svd_curve"]

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# baseline: one-shot truncated SVD


def _svds(state: PruningState, rank_rtol: float):
    out = []
    for layer, r in enumerate(state.ranks):
        if r == 0:
            out.append((None, np.zeros(0), None))
            continue
        a, s, bt = _svd(state.kernel(layer))
        out.append((a, s[:_nonzero_count(s, r, rank_rtol)], bt))
    return out


def _energy_ranks(state: PruningState, svals: list[np.ndarray], budget: int) -> tuple[int, ...]:
    """Keep the singular values of largest relative energy ``s_i^2 / sum_j s_j^2`` (per layer)
    across all layers, in that order, while the parameter count stays within ``budget``."""
    ins = (state.input_dim, *state.widths[:-1])
    items = []
    for layer, s in enumerate(svals):
        if s.size:
            energy = s**2 / np.sum(s**2)
            items.extend((-e, layer, i) for i, e in enumerate(energy))
    items.sort()
    ranks = [0] * len(svals)
    left = budget - double_mlp_parameter_count(state.input_dim, state.widths, ranks,
                                               state.classes)
    for _, layer, _ in items:
        cost = ins[layer] + state.widths[layer]
        if cost > left:
            break
        ranks[layer] += 1
        left -= cost
    return tuple(ranks)


def _fraction_ranks(state: PruningState, svals: list[np.ndarray], budget: int) -> tuple[int, ...]:
    """The same fraction ``f`` of every layer's non-zero rank ``k_l`` (``floor(f k_l)``), the
    largest ``f`` in [0, 1] that fits the budget."""
    ks = [s.size for s in svals]
    fractions = sorted({j / k for k in ks if k for j in range(k + 1)} | {0.0})
    best = (0,) * len(ks)
    for f in fractions:
        ranks = tuple(int(math.floor(f * k + 1e-9)) for k in ks)
        count = double_mlp_parameter_count(state.input_dim, state.widths, ranks, state.classes)
        if count > budget:
            break
        best = ranks
    return best


def _check_rank_tuples(state: PruningState, ranks) -> list[tuple[int, ...]]:
    if isinstance(ranks, str | bytes) or not isinstance(ranks, Sequence | np.ndarray):
        raise ValueError("ranks must be a sequence of rank tuples")
    out = []
    for j, triple in enumerate(ranks):
        if isinstance(triple, str | bytes) or not isinstance(triple, Sequence | np.ndarray) \
                or len(triple) != len(state.ranks):
            raise ValueError(f"ranks[{j}] must have one rank per hidden layer "
                             f"({len(state.ranks)}), got {triple!r}")
        triple = tuple(check_nonnegative_int(r, f"ranks[{j}]") for r in triple)
        for layer, (r, have) in enumerate(zip(triple, state.ranks, strict=True)):
            if r > have:
                raise ValueError(
                    f"ranks[{j}] asks rank {r} of hidden layer {layer + 1}, which has rank "
                    f"{have} (at most min(inputs, width)); truncation cannot raise a rank")
        out.append(triple)
    return out


def one_shot_svd_curve(
    state: PruningState,
    data: Mapping[str, np.ndarray],
    *,
    parameter_budgets: Sequence[int] | None = None,
    ranks: Sequence[Sequence[int]] | None = None,
    mapping: str = "energy",
    rank_rtol: float = RANK_RTOL,
) -> pd.DataFrame:
    """Accuracy when every layer's SVD is truncated at once, without retraining.

    Give either ``parameter_budgets`` or ``ranks``.

    Parameters
    ----------
    state : PruningState
        The trained network (iteration 0 of harmonic pruning).
    data : mapping
        The arrays of :data:`relusv.data.PREPARED_KEYS`; ``x_val, y_val, x_test, y_test`` are
        used.
    parameter_budgets : sequence of int or None
        Parameter counts (double-layer counts, :func:`double_mlp_parameter_count`); each must be
        at least the count at ranks 0 (biases and output layer).
    ranks : sequence of rank tuples or None
        Explicit ranks, e.g. those harmonic pruning visited; each at most the state's rank.
    mapping : {"energy", "fraction"}
        How a budget becomes ranks. ``"energy"``: singular values are kept in order of their
        relative energy ``s_{l,i}^2 / sum_j s_{l,j}^2`` within their layer, across all layers (a
        singular value of layer ``l`` costs ``n_l + m_l`` parameters), as long as they fit; this
        keeps a prefix of every layer's spectrum. ``"fraction"``: the same fraction of every
        layer's non-zero rank, the largest that fits.
    rank_rtol : float
        Tolerance for non-zero singular values, as in :func:`truncate_layer`.

    Returns
    -------
    pandas.DataFrame
        One row per budget / rank tuple, in the order given: ``budget`` (NaN for explicit
        ranks), ``rank_1 ... rank_L``, ``parameters`` (exact, at most ``budget``),
        ``val_accuracy``, ``test_accuracy``.
    """
    if not isinstance(state, PruningState):
        raise ValueError(f"state must be a PruningState, got {type(state).__name__}")
    if (parameter_budgets is None) == (ranks is None):
        raise ValueError("give exactly one of parameter_budgets and ranks")
    check_choice(mapping, "mapping", ("energy", "fraction"))
    rank_rtol = _check_rank_rtol(rank_rtol)
    data = check_prepared_data(data, state.input_dim, state.classes)
    floor = double_mlp_parameter_count(state.input_dim, state.widths, (0,) * len(state.ranks),
                                       state.classes)
    budgets: list[int | None]
    if parameter_budgets is not None:
        if isinstance(parameter_budgets, str | bytes) or not isinstance(
                parameter_budgets, Sequence | np.ndarray):
            raise ValueError("parameter_budgets must be a sequence of integers")
        budgets = [check_nonnegative_int(p, f"parameter_budgets[{i}]")
                   for i, p in enumerate(parameter_budgets)]
        for i, p in enumerate(budgets):
            if p < floor:
                raise ValueError(
                    f"parameter_budgets[{i}] = {p} is below {floor}, the parameters of the "
                    "network at ranks 0 (biases and output layer)")
        rank_list = None
    else:
        rank_list = _check_rank_tuples(state, ranks)
        budgets = [None] * len(rank_list)

    svds = _svds(state, rank_rtol)
    svals = [s for _, s, _ in svds]
    if rank_list is None:
        choose = _energy_ranks if mapping == "energy" else _fraction_ranks
        rank_list = [choose(state, svals, p) for p in budgets]
    rows = []
    for budget, triple in zip(budgets, rank_list, strict=True):
        vs, us = [], []
        for layer, r in enumerate(triple):
            a, s, bt = svds[layer]
            if r == 0 or a is None:
                n, m = state.v[layer].shape[0], state.u[layer].shape[1]
                vs.append(np.zeros((n, 0), np.float32))
                us.append(np.zeros((0, m), np.float32))
            else:
                # Beyond the non-zero singular values the factors are (numerically) zero.
                s_full = np.zeros(r)
                s_full[:min(r, s.size)] = s[:r]
                v, u = _factors(a, s_full, bt, r)
                vs.append(v)
                us.append(u)
        truncated = PruningState(vs, us, state.b, state.w_out, state.b_out)
        row = {"budget": np.nan if budget is None else budget}
        row.update({f"rank_{i}": r for i, r in enumerate(triple, start=1)})
        row["parameters"] = truncated.parameters
        row["val_accuracy"] = _correct(truncated, data["x_val"], data["y_val"]) / len(
            data["y_val"])
        row["test_accuracy"] = _correct(truncated, data["x_test"], data["y_test"]) / len(
            data["y_test"])
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# baseline: global magnitude pruning of a dense copy


def _dense_logits(kernels, biases, x) -> np.ndarray:
    h = x
    for w, b in zip(kernels[:-1], biases[:-1], strict=True):
        h = _relu(h @ w + b)
    return h @ kernels[-1] + biases[-1]


def _dense_correct(kernels, biases, x, y) -> int:
    return int(np.count_nonzero(np.argmax(_dense_logits(kernels, biases, x), 1) == y))


def _global_mask(kernels, prunable, keep: int, previous) -> list[np.ndarray]:
    """Keep the ``keep`` prunable weights of largest magnitude (within ``previous``); ties go to
    the weight that comes first (layer order, then row-major)."""
    scores = []
    for i in prunable:
        s = np.abs(kernels[i]).astype(np.float64).ravel()
        s[~previous[i].ravel()] = -1.0  # already pruned: never kept again
        scores.append(s)
    flat = np.concatenate(scores)
    order = np.argsort(-flat, kind="stable")
    keep_flat = np.zeros(flat.size, bool)
    keep_flat[order[:keep]] = True
    masks = [np.ones_like(k, dtype=bool) for k in kernels]
    start = 0
    for i in prunable:
        size = kernels[i].size
        masks[i] = keep_flat[start:start + size].reshape(kernels[i].shape)
        start += size
    return masks


def magnitude_pruning_curve(
    state: PruningState,
    data: Mapping[str, np.ndarray],
    records: Sequence[Mapping] | pd.DataFrame,
    *,
    n_budgets: int = 20,
    iterations: Sequence[int] | None = None,
    retrain_batch_size: int = 1024,
    learning_rate: float = 1e-3,
    schedule: str = "gradual",
    prune_output: bool = True,
    seed: int = 0,
) -> pd.DataFrame:
    """Global magnitude pruning of a dense copy of the network to harmonic pruning's budgets.

    The dense copy has kernels ``v_l @ u_l`` (float64 product, stored float32), the biases and the
    output layer of ``state``. For each sampled harmonic pruning record (``parameters`` ``P``,
    ``retrain_batches_total`` ``B``) the weights of smallest magnitude over all kernels (the
    output kernel too if ``prune_output``) are set to zero, keeping ``P - (#biases + #unprunable
    weights)`` of them (capped at all of them: a double-layer network can have more parameters
    than the dense one), and the network is retrained with the mask fixed (pruned weights get no
    gradient, so no Adam update, and stay zero) so that its retraining up to that
    point is ``B`` batches of ``retrain_batch_size``, a fresh Adam each time.

    Parameters
    ----------
    state : PruningState
        The trained network (iteration 0 of harmonic pruning).
    data : mapping with :data:`relusv.data.PREPARED_KEYS`
    records : list of dict or DataFrame
        Harmonic pruning's records (``iteration``, ``parameters``, ``retrain_batches_total``).
    n_budgets : int
        Records sampled evenly over the run (the first and last included), if ``iterations`` is
        None.
    iterations : sequence of int or None
        The iterations whose budgets to use, instead of ``n_budgets``.
    retrain_batch_size : int
        Should be harmonic pruning's.
    learning_rate : float
    schedule : {"gradual", "one_shot"}
        ``"gradual"``: the budgets in the order of the iterations, each pruning the previous
        budget's retrained network further (masks shrink) and retraining it for the batches
        harmonic pruning spent between the two iterations, so that the cumulative retraining at
        each budget equals harmonic pruning's (cost: harmonic pruning's total retraining).
        ``"one_shot"``: each budget prunes the trained dense copy and retrains ``B`` batches.
    prune_output : bool
        Whether the output kernel takes part in the global ranking (the biases never do).
    seed : int
        Batches of budget ``j`` (at iteration ``t``):
        ``batch_rows(N_train, batches, retrain_batch_size, (seed, 1 or 2, t))``.

    Returns
    -------
    pandas.DataFrame
        One row per budget: ``iteration``, ``target_parameters`` (harmonic pruning's count),
        ``parameters`` (non-zero weights + all biases, counted after retraining),
        ``retrain_batches`` (cumulative), ``val_accuracy``, ``test_accuracy``.
    """
    if not isinstance(state, PruningState):
        raise ValueError(f"state must be a PruningState, got {type(state).__name__}")
    if isinstance(records, pd.DataFrame):
        records = records.to_dict("records")
    if isinstance(records, str | bytes) or not isinstance(records, Sequence) or not records:
        raise ValueError("records must be a non-empty sequence of harmonic pruning records")
    for i, rec in enumerate(records):
        if not isinstance(rec, Mapping) or not {"iteration", "parameters",
                                                "retrain_batches_total"} <= set(rec):
            raise ValueError(f"records[{i}] lacks iteration, parameters or retrain_batches_total")
    by_iteration = {int(rec["iteration"]): rec for rec in records}
    retrain_batch_size = check_positive_int(retrain_batch_size, "retrain_batch_size")
    learning_rate = check_positive_real(learning_rate, "learning_rate")
    check_choice(schedule, "schedule", ("gradual", "one_shot"))
    seed = check_nonnegative_int(seed, "seed")
    if iterations is None:
        n_budgets = check_positive_int(n_budgets, "n_budgets")
        ordered = sorted(by_iteration)
        picks = np.unique(np.round(np.linspace(0, len(ordered) - 1, n_budgets)).astype(int))
        iterations = [ordered[i] for i in picks]
    else:
        if isinstance(iterations, str | bytes) or not isinstance(iterations, Sequence | np.ndarray):
            raise ValueError("iterations must be a sequence of integers")
        iterations = sorted({check_nonnegative_int(t, "iterations[...]") for t in iterations})
        missing = [t for t in iterations if t not in by_iteration]
        if missing or not iterations:
            raise ValueError(f"iterations {missing} have no record")
    data = check_prepared_data(data, state.input_dim, state.classes)

    kernels0 = [(state.kernel(i)).astype(np.float32) for i in range(len(state.ranks))]
    kernels0.append(np.array(state.w_out))
    biases0 = [np.array(b) for b in (*state.b, state.b_out)]
    prunable = list(range(len(kernels0) if prune_output else len(kernels0) - 1))
    fixed = sum(b.size for b in biases0) + sum(
        k.size for i, k in enumerate(kernels0) if i not in prunable)
    total = sum(kernels0[i].size for i in prunable)

    rows = []
    kernels, biases = kernels0, biases0
    masks = [np.ones_like(k, dtype=bool) for k in kernels0]
    done_batches = 0
    compiled = None
    for t in iterations:
        rec = by_iteration[t]
        target, budget_batches = int(rec["parameters"]), int(rec["retrain_batches_total"])
        keep = int(min(max(target - fixed, 0), total))
        if schedule == "one_shot":
            kernels, biases = kernels0, biases0
            masks = [np.ones_like(k, dtype=bool) for k in kernels0]
            batches, key = budget_batches, (seed, _TAG_MAGNITUDE_ONE_SHOT, t)
        else:
            batches, key = budget_batches - done_batches, (seed, _TAG_MAGNITUDE_GRADUAL, t)
            if batches < 0:
                raise ValueError("retrain_batches_total must not decrease over the iterations")
        # Gradual: a mask only shrinks (a larger budget later keeps what is left).
        keep = min(keep, sum(int(masks[i].sum()) for i in prunable))
        masks = _global_mask(kernels, prunable, keep, masks)
        kernels = [k * m for k, m in zip(kernels, masks, strict=True)]
        if batches > 0:
            if compiled is None:  # built at the first retraining, traced once for the curve
                compiled = dense_retraining(kernels, biases, data["x_train"], data["y_train"],
                                            learning_rate)
            kernels, biases = retrain_dense(compiled, kernels, biases, masks, batches=batches,
                                            batch_size=retrain_batch_size, key=key)
        done_batches = budget_batches
        rows.append({
            "iteration": t,
            "target_parameters": target,
            "parameters": int(sum(np.count_nonzero(k) for k in kernels)
                              + sum(b.size for b in biases)),
            "retrain_batches": budget_batches,
            "val_accuracy": _dense_correct(kernels, biases, data["x_val"], data["y_val"])
            / len(data["y_val"]),
            "test_accuracy": _dense_correct(kernels, biases, data["x_test"], data["y_test"])
            / len(data["y_test"]),
        })
        logger.info("magnitude pruning at iteration %d: %d parameters, test %.4f", t,
                    rows[-1]["parameters"], rows[-1]["test_accuracy"])
    return pd.DataFrame(rows)
