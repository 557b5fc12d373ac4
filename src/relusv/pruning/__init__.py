"""Harmonic pruning of MLPs of double-layers (paper section V) and its baselines.

- :mod:`relusv.pruning.state`: the network as numpy arrays (:class:`PruningState`), its files,
  the round trip to and from Keras, the float32 forward pass (:func:`state_logits`,
  :func:`state_classes`, :func:`state_accuracy`) and the check of prepared data.
- :mod:`relusv.pruning.harmonic`: harmonic pruning itself: one step (:func:`truncate_layer`,
  :func:`pruning_step`), when to retrain (:func:`retrain_reasons`), the checkpointed run
  (:func:`harmonic_pruning`) and its records as a table (:func:`pruning_frame`).
- :mod:`relusv.pruning.retraining`: retraining, one compiled TensorFlow loop per run, on
  mini-batches drawn from a key (:func:`batch_rows`), shared by harmonic and magnitude pruning.
- :mod:`relusv.pruning.baselines`: one-shot truncated SVD and global magnitude pruning at
  harmonic pruning's parameter budgets.

The networks trained from scratch for comparison (claim C8) are in :mod:`relusv.from_scratch`.
"""

from relusv.pruning.baselines import magnitude_pruning_curve, one_shot_svd_curve
from relusv.pruning.harmonic import (
    STATE_FILE,
    TIE_BREAKS,
    TIMING_COLUMNS,
    LayerTruncation,
    StepInfo,
    harmonic_pruning,
    pruning_frame,
    pruning_step,
    retrain_reasons,
    truncate_layer,
)
from relusv.pruning.retraining import batch_rows
from relusv.pruning.state import (
    RANK_RTOL,
    PruningState,
    load_state,
    model_from_state,
    save_state,
    state_accuracy,
    state_classes,
    state_from_model,
    state_logits,
)

__all__ = [
    "RANK_RTOL",
    "STATE_FILE",
    "TIE_BREAKS",
    "TIMING_COLUMNS",
    "LayerTruncation",
    "PruningState",
    "StepInfo",
    "batch_rows",
    "harmonic_pruning",
    "load_state",
    "magnitude_pruning_curve",
    "model_from_state",
    "one_shot_svd_curve",
    "pruning_frame",
    "pruning_step",
    "retrain_reasons",
    "save_state",
    "state_accuracy",
    "state_classes",
    "state_from_model",
    "state_logits",
    "truncate_layer",
]
