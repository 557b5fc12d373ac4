"""Retraining a pruned network with Keras: mini-batches drawn from a key, a fresh Adam each time.

Harmonic pruning (:mod:`relusv.pruning.harmonic`) and magnitude pruning
(:mod:`relusv.pruning.baselines`) retrain the same way: the rows of the training set are
:func:`batch_rows` of a key ``(seed, tag, iteration)`` (a different ``_TAG_*`` per use, so that
no two uses share a random stream), the model is compiled with a fresh Adam (the moments of a
previous retraining belong to factors of other shapes, and a fresh optimiser makes a retraining a
function of the network and the key alone, which resume needs), and TensorFlow's op determinism
is switched on, so that a retraining is bit for bit the same on the same machine and library
versions. The optimiser's variables are created before the first step
(:func:`relusv.training.build_training_state`), so the train step of each new model is traced
once, not twice: tracing is most of a retraining's time (``benchmarks/PROFILING.md``).
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from relusv.pruning.state import PruningState, model_from_state, state_from_model
from relusv.training import build_training_state, enable_determinism

__all__ = ["batch_rows"]

# Domain tags of the random streams, so that no two uses share a generator.
_TAG_HARMONIC, _TAG_MAGNITUDE_GRADUAL, _TAG_MAGNITUDE_ONE_SHOT = 0, 1, 2


def batch_rows(n: int, batches: int, batch_size: int, key: Sequence[int]) -> np.ndarray:
    """Row indices of ``batches`` mini-batches of ``batch_size`` from ``n`` training rows.

    Consecutive permutations of ``range(n)`` drawn by ``numpy.random.default_rng(key)``, joined
    and cut to ``batches * batch_size`` indices (batch ``i`` is slice ``i``); a function of
    ``key`` only. With ``batch_size > n`` a batch holds repeated rows.
    """
    rng = np.random.default_rng([int(k) for k in key])
    need = batches * batch_size
    perms = [rng.permutation(n) for _ in range(-(-need // n))]
    return np.concatenate(perms)[:need]


def _train_batches(model: keras.Model, x: np.ndarray, y: np.ndarray, rows: np.ndarray,
                   batch_size: int) -> None:
    for start in range(0, len(rows), batch_size):
        idx = rows[start:start + batch_size]
        model.train_on_batch(x[idx], y[idx])


def _retrain(state: PruningState, x: np.ndarray, y: np.ndarray, *, batches: int,
             batch_size: int, learning_rate: float, key: Sequence[int]) -> PruningState:
    """Retrain a state with a fresh Adam for ``batches`` batches; returns the new state."""
    enable_determinism()
    model = model_from_state(state)
    _compile_for_retraining(model, learning_rate, x, y)
    _train_batches(model, x, y, batch_rows(len(x), batches, batch_size, key), batch_size)
    return state_from_model(model)


def _compile_for_retraining(model: keras.Model, learning_rate: float, x: np.ndarray,
                            y: np.ndarray) -> None:
    """:func:`relusv.training.compile_mlp` without the accuracy metric, which nothing reads
    during retraining and which makes tracing the train step of every new model slower, and
    the optimiser's variables built (:func:`relusv.training.build_training_state` on the
    training arrays ``x`` (N, d), ``y`` (N,))."""
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=False)
    build_training_state(model, x, y)
