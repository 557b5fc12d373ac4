"""Harmonic pruning (paper section V): the step, when to retrain, the whole run.

The network is a :class:`~relusv.pruning.state.PruningState` (numpy arrays in Keras layout:
hidden layer ``l`` computes ``relu((h @ v_l) @ u_l + b_l)``; the paper's ``W_l = U V`` is
``(v_l @ u_l).T``).

One step of harmonic pruning (:func:`pruning_step`, :func:`harmonic_pruning`):

1. For every hidden layer with rank ``r_l > 0`` the validation accuracy of the whole network when
   the smallest non-zero singular value of ``W_l`` is set to zero, computed with a numpy forward
   pass (no Keras model is built for the decision).
2. The layer whose candidate keeps the most validation points correct is chosen. Ties (frequent:
   dropping a small singular value often changes no prediction) go to the layer whose dropped
   singular value is smallest, ``||W_l - W_l'||_op`` (``tie_break="singular_value"``), then to the
   lowest index; ``tie_break="index"`` uses the lowest index alone.
3. The chosen layer is re-factored from the SVD of its float64 product ``v @ u``: with ``k`` its
   number of non-zero singular values, the new rank is ``k - 1``, ``v`` = the first ``k - 1``
   left singular vectors of the kernel and ``u = diag(s) B^T`` truncated, exactly as
   :func:`relusv.layers.double_dense_factors` (the first ``r`` columns of ``U Sigma`` and rows of
   ``V^T`` in the paper's orientation). A singular value counts as non-zero when it exceeds
   ``rank_rtol`` (:data:`~relusv.pruning.state.RANK_RTOL`, ``1e-10``) times the layer's largest
   one. The product is formed in float64 from the float32 factors, so it has rank ``r`` to
   float64 precision: its singular values beyond ``r`` are round-off at ~1e-16 of the largest,
   never exact zeros, and ``1e-10`` separates them from genuine ones. The tolerance must not be
   set near float32 precision: a square double-layer (e.g. 100 -> 100 at rank 100) initialised
   as a product of two Gaussian factors is nearly singular, with ``s_min / s_max`` around
   ``1e-5`` or below (4e-6 for the (100, 100, 100) network of the benchmark), and training keeps
   it so; with ``rank_rtol = 1e-5`` such a layer lost two ranks in one step. Trained factors are
   thus of full rank ``r``, ``k = r``, and every step lowers one layer's rank by exactly one, as
   in the paper (its Fig. 5 reaches ranks summing to ``300 - 268`` at iteration 268). A layer
   whose factors have really lost rank (``k < r``, e.g. a zero column) drops to ``k - 1`` in one
   step.
4. The network is retrained (:func:`harmonic_pruning`) for ``retrain_batches`` mini-batches of
   ``retrain_batch_size`` when the validation accuracy after the step is more than
   ``accuracy_drop`` below that of the network before pruning (iteration 0), or the iteration is a
   multiple of ``retrain_every``, or some layer has a rank in ``(0, rank_threshold)``.
   Retraining trains the factors padded to full rank with the components beyond the current
   rank ``r_l`` masked (they stay exactly zero, so training keeps every rank at most ``r_l``),
   with a *fresh* Adam optimiser (learning rate ``learning_rate``, Keras' defaults otherwise), on
   batches drawn from the training set in an order that is a function of ``(seed, iteration)``
   only, with TensorFlow's op determinism switched on; one compiled loop serves every retraining
   of a run (:mod:`relusv.pruning.retraining`).
5. The run stops when every hidden layer has rank 0 (the paper prunes until no parameters of the
   hidden layers are left), or after iteration ``max_iterations``.

Precision: decisions use the float32 numpy forward pass of :mod:`relusv.pruning.state` and
float64 SVDs. The accuracy of the candidate that is chosen is bit-for-bit the accuracy of the
pruned network (the same float32 operations on the same arrays), and all accuracies are counts of
correct points divided by the split's size.

Checkpoints: with ``state_dir``, :func:`harmonic_pruning` writes ``state_dir/pruning_state.npz``
atomically after every finished iteration (the factors, biases, output layer, iteration, records,
reference accuracy, retraining batches used and a fingerprint of the inputs and options) and resumes
from it when started again. Randomness is a function of ``(seed, iteration)``, so a run killed at
any point ends with the same records as an uninterrupted one (all columns but the timings
:data:`TIMING_COLUMNS`), bit for bit on the same machine and library versions (TensorFlow's CPU
kernels are deterministic with op determinism on). The file is *kept* after success, so that
running again returns the records at once; deleting ``state_dir`` is the caller's job.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from relusv._validation import (
    check_choice,
    check_nonnegative_int,
    check_optional_int,
    check_positive_int,
    check_positive_real,
    check_real,
)
from relusv.files import atomic_path
from relusv.pruning.retraining import _TAG_HARMONIC, harmonic_retraining, retrain_state
from relusv.pruning.state import (
    RANK_RTOL,
    PruningState,
    _check_rank_rtol,
    _check_x,
    _correct,
    _factors,
    _hidden_outputs,
    _layer_forward,
    _logits,
    _nonzero_count,
    _svd,
    state_from_model,
)
from relusv.training import as_labels, check_prepared_data

__all__ = [
    "STATE_FILE",
    "TIE_BREAKS",
    "TIMING_COLUMNS",
    "LayerTruncation",
    "StepInfo",
    "harmonic_pruning",
    "pruning_frame",
    "pruning_step",
    "retrain_reasons",
    "truncate_layer",
]

logger = logging.getLogger(__name__)

#: Name of the checkpoint file in ``state_dir``.
STATE_FILE = "pruning_state.npz"
#: Record columns that differ between an interrupted-and-resumed run and an uninterrupted one.
TIMING_COLUMNS = ("seconds", "decision_seconds")
#: Tie-breaking rules of the decision step.
TIE_BREAKS = ("singular_value", "index")

_FORMAT_VERSION = 1


# --------------------------------------------------------------------------------------------
# one step


@dataclass(frozen=True)
class LayerTruncation:
    """Hidden layer ``layer`` (0-based) with its smallest non-zero singular value dropped.

    Attributes
    ----------
    layer : int
        0-based index of the hidden layer.
    v, u : (n, rank) and (rank, m) float32 arrays
        The new factors (Keras layout).
    rank : int
        The new rank ``k - 1`` (``k`` = number of non-zero singular values; 0 if ``k = 0``).
    dropped : float
        The singular value set to zero (0.0 if the layer had none above the tolerance).
    singular_values : (k,) float64 array
        The non-zero singular values of the layer before the step, descending.
    """

    layer: int
    v: np.ndarray
    u: np.ndarray
    rank: int
    dropped: float
    singular_values: np.ndarray


def truncate_layer(state: PruningState, layer: int, *,
                   rank_rtol: float = RANK_RTOL) -> LayerTruncation:
    """Drop the smallest non-zero singular value of hidden layer ``layer`` (0-based).

    The SVD is of the float64 product ``v @ u``; singular values above ``rank_rtol`` times the
    largest count as non-zero. The new factors are those of
    ``double_dense_factors(v @ u, k - 1)``, cast to float32.
    """
    if not isinstance(state, PruningState):
        raise ValueError(f"state must be a PruningState, got {type(state).__name__}")
    layer = check_nonnegative_int(layer, "layer")
    if layer >= len(state.v):
        raise ValueError(f"layer must be < {len(state.v)} (0-based), got {layer}")
    rank_rtol = _check_rank_rtol(rank_rtol)
    r = state.ranks[layer]
    if r == 0:
        raise ValueError(f"hidden layer {layer + 1} has rank 0; nothing to drop")
    a, s, bt = _svd(state.kernel(layer))
    k = _nonzero_count(s, r, rank_rtol)
    new_rank = max(k - 1, 0)
    v, u = _factors(a, s, bt, new_rank)
    return LayerTruncation(layer, v, u, new_rank, float(s[k - 1]) if k else 0.0, s[:k].copy())


@dataclass(frozen=True)
class StepInfo:
    """The decision of one pruning step.

    Attributes
    ----------
    layer : int
        The chosen hidden layer, 1-based (as in the records).
    correct : tuple of (int or None)
        Per hidden layer, validation points classified correctly when that layer's smallest
        non-zero singular value is dropped (None for layers of rank 0).
    val_accuracy : float
        Validation accuracy of the pruned network (the chosen candidate's).
    dropped : float
        The singular value set to zero.
    n_val : int
        Size of the validation set.
    """

    layer: int
    correct: tuple
    val_accuracy: float
    dropped: float
    n_val: int

    @property
    def candidate_accuracies(self) -> list[float | None]:
        """Per hidden layer the validation accuracy of its candidate (None for rank 0)."""
        return [None if c is None else c / self.n_val for c in self.correct]


def _decide(state: PruningState, outs: list[np.ndarray], y_val: np.ndarray, rank_rtol: float,
            tie_break: str) -> tuple[LayerTruncation, StepInfo]:
    """Evaluate every candidate from the cached hidden outputs ``outs`` of the validation set."""
    correct: list[int | None] = []
    candidates: list[LayerTruncation | None] = []
    for layer, r in enumerate(state.ranks):
        if r == 0:
            correct.append(None)
            candidates.append(None)
            continue
        cand = truncate_layer(state, layer, rank_rtol=rank_rtol)
        h = _layer_forward(outs[layer], cand.v, cand.u, state.b[layer])
        for j in range(layer + 1, len(state.v)):
            h = _layer_forward(h, state.v[j], state.u[j], state.b[j])
        correct.append(int(np.count_nonzero(np.argmax(_logits(state, h), 1) == y_val)))
        candidates.append(cand)
    live = [i for i, c in enumerate(correct) if c is not None]
    if tie_break == "singular_value":
        best = min(live, key=lambda i: (-correct[i], candidates[i].dropped, i))
    else:
        best = min(live, key=lambda i: (-correct[i], i))
    chosen = candidates[best]
    info = StepInfo(best + 1, tuple(correct), correct[best] / len(y_val), chosen.dropped,
                    len(y_val))
    return chosen, info


def pruning_step(state: PruningState, x_val, y_val, *, rank_rtol: float = RANK_RTOL,
                 tie_break: str = "singular_value") -> tuple[PruningState, StepInfo]:
    """One decision and truncation of harmonic pruning, without retraining.

    Parameters
    ----------
    state : PruningState
        With at least one hidden layer of rank > 0.
    x_val : (N, input_dim) array
    y_val : (N,) int array
        The data the decision is made on (the validation split).
    rank_rtol : float
        Relative tolerance for non-zero singular values (see the module docstring).
    tie_break : {"singular_value", "index"}

    Returns
    -------
    (PruningState, StepInfo)
        The pruned network and the decision.
    """
    if not isinstance(state, PruningState):
        raise ValueError(f"state must be a PruningState, got {type(state).__name__}")
    x_val = _check_x(state, x_val, "x_val")
    y_val = as_labels(y_val, "y_val", state.classes)
    if len(x_val) != len(y_val):
        raise ValueError("x_val and y_val must have the same length")
    rank_rtol = _check_rank_rtol(rank_rtol)
    check_choice(tie_break, "tie_break", TIE_BREAKS)
    if not any(state.ranks):
        raise ValueError("every hidden layer has rank 0; nothing left to prune")
    chosen, info = _decide(state, _hidden_outputs(state, x_val), y_val, rank_rtol, tie_break)
    return state.replace_layer(chosen.layer, chosen.v, chosen.u), info


# --------------------------------------------------------------------------------------------
# when to retrain


def retrain_reasons(iteration: int, val_accuracy: float, reference: float,
                    ranks: Sequence[int], *, accuracy_drop: float = 0.005,
                    retrain_every: int | None = 10, rank_threshold: int = 10) -> list[str]:
    """Why harmonic pruning retrains after a step (an empty list: it does not).

    Parameters
    ----------
    iteration : int
        The step's iteration (1-based).
    val_accuracy : float
        Validation accuracy after the step, before any retraining.
    reference : float
        Validation accuracy of the network before pruning (iteration 0).
    ranks : sequence of int
        Ranks after the step.
    accuracy_drop, retrain_every, rank_threshold
        As in :func:`harmonic_pruning`.

    Returns
    -------
    list of str
        A sub-list of ``["accuracy_drop", "every", "rank_threshold"]``:
        ``reference - val_accuracy > accuracy_drop``; ``iteration % retrain_every == 0``;
        some rank in ``(0, rank_threshold)``.
    """
    reasons = []
    if reference - val_accuracy > accuracy_drop:
        reasons.append("accuracy_drop")
    if retrain_every is not None and iteration % retrain_every == 0:
        reasons.append("every")
    if any(0 < r < rank_threshold for r in ranks):
        reasons.append("rank_threshold")
    return reasons


# --------------------------------------------------------------------------------------------
# the pruning run


def _fingerprint(options: Mapping, state: PruningState, data: Mapping[str, np.ndarray]) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(json.dumps({"format": _FORMAT_VERSION, **options}, sort_keys=True).encode())
    for group in (state.arrays(), data):
        for name in sorted(group):
            array = np.ascontiguousarray(group[name])
            h.update(f"{name}{array.dtype.str}{array.shape}".encode())
            h.update(memoryview(array).cast("B"))
    return h.hexdigest()


def _write_checkpoint(state_dir: Path, state: PruningState, meta: Mapping) -> None:
    with atomic_path(state_dir / STATE_FILE) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, meta=np.array(json.dumps(meta)), **state.arrays())


def _read_checkpoint(state_dir: Path) -> tuple[PruningState, dict] | None:
    path = state_dir / STATE_FILE
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as f:
        meta = json.loads(str(f["meta"]))
        state = PruningState.from_arrays({k: f[k] for k in f.files if k != "meta"})
    return state, meta


def _record(*, iteration, layer, state, val_correct, n_val, test_correct, n_test, before,
            candidates, dropped, retrained, reasons, batches_total, seconds,
            decision_seconds) -> dict:
    return {
        "iteration": int(iteration),
        "layer": layer,
        "ranks": [int(r) for r in state.ranks],
        "parameters": int(state.parameters),
        "val_accuracy": val_correct / n_val,
        "test_accuracy": test_correct / n_test,
        "val_accuracy_before_retraining": before,
        "candidate_val_accuracies": candidates,
        "dropped_singular_value": dropped,
        "retrained": bool(retrained),
        "retrain_reason": "+".join(reasons),
        "retrain_batches_total": int(batches_total),
        "seconds": float(seconds),
        "decision_seconds": float(decision_seconds),
    }


def harmonic_pruning(
    state0: PruningState | keras.Model,
    data: Mapping[str, np.ndarray],
    *,
    retrain_batches: int = 50,
    retrain_batch_size: int = 1024,
    accuracy_drop: float = 0.005,
    retrain_every: int | None = 10,
    rank_threshold: int = 10,
    max_iterations: int | None = None,
    learning_rate: float = 1e-3,
    rank_rtol: float = RANK_RTOL,
    tie_break: str = "singular_value",
    state_dir: str | os.PathLike | None = None,
    seed: int = 0,
    on_record: Callable[[dict, PruningState], None] | None = None,
) -> list[dict]:
    """Harmonic pruning of a trained double-layer MLP until no hidden-layer parameters are left.

    Parameters
    ----------
    state0 : PruningState or keras.Model
        The trained network (a model goes through
        :func:`~relusv.pruning.state.state_from_model`).
    data : mapping
        ``x_train, y_train, x_val, y_val, x_test, y_test`` (:data:`relusv.data.PREPARED_KEYS`),
        inputs ``(N, input_dim)``, labels ``(N,)`` in ``[0, classes)``. Decisions and the retraining
        criterion use the validation split, retraining the training split; test accuracy is
        reported.
    retrain_batches : int
        Mini-batches per retraining (paper: 50).
    retrain_batch_size : int
        Rows per mini-batch (paper: 1024).
    accuracy_drop : float
        Retrain when the validation accuracy is more than this (absolute, a fraction) below the
        accuracy at iteration 0 (paper: 0.5 %, i.e. 0.005).
    retrain_every : int or None
        Retrain at every iteration that is a multiple of it; None: never for this reason.
    rank_threshold : int
        Retrain while some hidden layer has a rank in ``(0, rank_threshold)``; 0 turns it off.
    max_iterations : int or None
        Stop after this iteration even if ranks are left (counting iterations done before a
        resume; not part of the fingerprint, so a run stopped here can be continued).
    learning_rate : float
        Adam's learning rate; a fresh Adam at every retraining.
    rank_rtol : float
        Singular values above ``rank_rtol`` times a layer's largest count as non-zero.
    tie_break : {"singular_value", "index"}
        Among candidates with equally many correct validation points: the smallest dropped
        singular value (then the lowest layer), or the lowest layer.
    state_dir : path or None
        Checkpoint directory (created): ``STATE_FILE`` is written atomically after every
        iteration and a run resumes from it. It must come from a run with the same inputs and
        options (a fingerprint is checked), else ValueError. Kept after success.
    seed : int
        The batches of the retraining at iteration ``t`` are
        ``batch_rows(N_train, retrain_batches, retrain_batch_size, (seed, 0, t))``.
    on_record : callable or None
        ``on_record(record, state)`` after every new iteration, once its checkpoint is written
        (not for records read from a checkpoint). An exception raised there ends the run; the
        checkpoint of that iteration is kept.

    Returns
    -------
    list of dict
        One record per iteration, iteration 0 being the network before pruning: ``iteration``,
        ``layer`` (1-based, None at 0), ``ranks`` (list), ``parameters``
        (``double_mlp_parameter_count``), ``val_accuracy`` and ``test_accuracy`` (after
        retraining if it retrained), ``val_accuracy_before_retraining``,
        ``candidate_val_accuracies`` (per layer, None for rank 0), ``dropped_singular_value``,
        ``retrained``, ``retrain_reason`` (``"accuracy_drop"``, ``"every"``,
        ``"rank_threshold"`` joined by ``+``), ``retrain_batches_total`` (batches of
        retraining so far), ``seconds`` (wall time of the iteration) and ``decision_seconds``
        (of its decision step). :func:`pruning_frame` turns them into a DataFrame.

    Raises
    ------
    ValueError
        Bad arguments or data, or a ``state_dir`` from another run, before any work.
    """
    if isinstance(state0, keras.Model):
        state0 = state_from_model(state0)
    if not isinstance(state0, PruningState):
        raise ValueError(f"state0 must be a PruningState or a keras.Model, got {type(state0)}")
    retrain_batches = check_positive_int(retrain_batches, "retrain_batches")
    retrain_batch_size = check_positive_int(retrain_batch_size, "retrain_batch_size")
    accuracy_drop = check_real(accuracy_drop, "accuracy_drop", low=0.0, high=1.0)
    retrain_every = check_optional_int(retrain_every, "retrain_every", 1)
    rank_threshold = check_nonnegative_int(rank_threshold, "rank_threshold")
    max_iterations = check_optional_int(max_iterations, "max_iterations", 0)
    learning_rate = check_positive_real(learning_rate, "learning_rate")
    rank_rtol = _check_rank_rtol(rank_rtol)
    check_choice(tie_break, "tie_break", TIE_BREAKS)
    seed = check_nonnegative_int(seed, "seed")
    if on_record is not None and not callable(on_record):
        raise ValueError("on_record must be None or a callable")
    data = check_prepared_data(data, state0.input_dim, state0.classes)
    x_train, y_train = data["x_train"], data["y_train"]
    x_val, y_val, x_test, y_test = data["x_val"], data["y_val"], data["x_test"], data["y_test"]
    n_val, n_test = len(y_val), len(y_test)

    options = {
        "retrain_batches": retrain_batches, "retrain_batch_size": retrain_batch_size,
        "accuracy_drop": accuracy_drop, "retrain_every": retrain_every,
        "rank_threshold": rank_threshold, "learning_rate": learning_rate,
        "rank_rtol": rank_rtol, "tie_break": tie_break, "seed": seed,
    }
    state_dir = None if state_dir is None else Path(state_dir)
    fingerprint = _fingerprint(options, state0, data) if state_dir is not None else None
    loaded = None if state_dir is None else _read_checkpoint(state_dir)

    if loaded is not None:
        state, meta = loaded
        if meta.get("fingerprint") != fingerprint:
            raise ValueError(
                f"{state_dir / STATE_FILE} holds a pruning run with other inputs or options; "
                "delete it or use another state_dir"
            )
        records = meta["records"]
        ref_correct = int(meta["reference_val_correct"])
        batches_total = int(meta["retrain_batches_total"])
        logger.info("resuming harmonic pruning after iteration %d", records[-1]["iteration"])
    else:
        start = time.perf_counter()
        state = state0
        ref_correct = _correct(state, x_val, y_val)
        batches_total = 0
        records = [_record(
            iteration=0, layer=None, state=state, val_correct=ref_correct, n_val=n_val,
            test_correct=_correct(state, x_test, y_test), n_test=n_test,
            before=ref_correct / n_val, candidates=[None] * len(state.ranks), dropped=None,
            retrained=False, reasons=(), batches_total=0,
            seconds=time.perf_counter() - start, decision_seconds=0.0)]
        if state_dir is not None:
            state_dir.mkdir(parents=True, exist_ok=True)
            _write_checkpoint(state_dir, state, _meta(fingerprint, records, ref_correct, 0))
        if on_record is not None:
            on_record(records[0], state)

    reference = ref_correct / n_val
    outs = _hidden_outputs(state, x_val)
    compiled = None
    while any(state.ranks):
        iteration = records[-1]["iteration"] + 1
        if max_iterations is not None and iteration > max_iterations:
            break
        start = time.perf_counter()
        chosen, info = _decide(state, outs, y_val, rank_rtol, tie_break)
        state = state.replace_layer(chosen.layer, chosen.v, chosen.u)
        decision_seconds = time.perf_counter() - start

        reasons = retrain_reasons(iteration, info.val_accuracy, reference, state.ranks,
                                  accuracy_drop=accuracy_drop, retrain_every=retrain_every,
                                  rank_threshold=rank_threshold)
        if reasons:
            if compiled is None:  # built at the first retraining, traced once for the run
                compiled = harmonic_retraining(state, x_train, y_train, learning_rate)
            state = retrain_state(compiled, state, batches=retrain_batches,
                                  batch_size=retrain_batch_size,
                                  key=(seed, _TAG_HARMONIC, iteration))
            batches_total += retrain_batches
        outs = _hidden_outputs(state, x_val)
        val_correct = int(np.count_nonzero(np.argmax(_logits(state, outs[-1]), 1) == y_val))
        record = _record(
            iteration=iteration, layer=info.layer, state=state, val_correct=val_correct,
            n_val=n_val, test_correct=_correct(state, x_test, y_test), n_test=n_test,
            before=info.val_accuracy, candidates=info.candidate_accuracies,
            dropped=info.dropped, retrained=bool(reasons), reasons=reasons,
            batches_total=batches_total, seconds=time.perf_counter() - start,
            decision_seconds=decision_seconds)
        records.append(record)
        if state_dir is not None:
            _write_checkpoint(state_dir, state,
                              _meta(fingerprint, records, ref_correct, batches_total))
        logger.info(
            "iteration %d: layer %d, ranks %s, val %.4f, test %.4f%s (%.2f s)", iteration,
            info.layer, record["ranks"], record["val_accuracy"], record["test_accuracy"],
            f", retrained ({record['retrain_reason']})" if reasons else "", record["seconds"])
        if on_record is not None:
            on_record(record, state)
    return records


def _meta(fingerprint, records, ref_correct, batches_total) -> dict:
    return {"format_version": _FORMAT_VERSION, "fingerprint": fingerprint, "records": records,
            "reference_val_correct": int(ref_correct),
            "retrain_batches_total": int(batches_total)}


def pruning_frame(records: Sequence[Mapping]) -> pd.DataFrame:
    """Records of :func:`harmonic_pruning` as a tidy DataFrame, one row per iteration.

    The lists are spread into columns: ``ranks`` -> ``rank_1 ... rank_L``,
    ``candidate_val_accuracies`` -> ``candidate_val_accuracy_1 ...`` (NaN for rank 0). ``layer``
    is a nullable integer (``<NA>`` at iteration 0).
    """
    rows = []
    for record in records:
        row = {k: v for k, v in record.items() if k not in ("ranks", "candidate_val_accuracies")}
        for i, r in enumerate(record["ranks"], start=1):
            row[f"rank_{i}"] = r
        for i, a in enumerate(record.get("candidate_val_accuracies") or [], start=1):
            row[f"candidate_val_accuracy_{i}"] = np.nan if a is None else a
        rows.append(row)
    frame = pd.DataFrame(rows)
    if "layer" in frame:
        frame["layer"] = frame["layer"].astype("Int64")
    for column in ("dropped_singular_value",):
        if column in frame:
            frame[column] = frame[column].astype(float)
    return frame
