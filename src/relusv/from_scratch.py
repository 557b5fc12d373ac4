"""Claim C8: small dense and low-rank double-layer MLPs trained from scratch, over several seeds.

The paper (section V-C) asks whether the small networks harmonic pruning reaches could have been
trained directly. :func:`from_scratch_comparison` trains the architectures of
:data:`relusv.paper.SECTION_VC_ARCHITECTURES` (or others) from scratch and summarises their test
accuracy per architecture; its two frames have the columns of :data:`relusv.tidy.FROM_SCRATCH_RUNS`
and :data:`relusv.tidy.FROM_SCRATCH_SUMMARY` once the workflow adds ``network``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from relusv._validation import (
    check_architectures,
    check_nonnegative_int,
    check_positive_int,
    check_positive_real,
)
from relusv.models import as_features, build_mlp
from relusv.paper import SECTION_VC_ARCHITECTURES
from relusv.training import check_prepared_data, check_prepared_keys, evaluate_accuracy, train_mlp

__all__ = ["from_scratch_comparison"]

logger = logging.getLogger(__name__)


def from_scratch_comparison(
    data: Mapping[str, np.ndarray],
    *,
    architectures: Sequence[Mapping] = SECTION_VC_ARCHITECTURES,
    seeds: Sequence[int] = (0, 1, 2),
    epochs: int = 100,
    batch_size: int = 1024,
    patience: int = 10,
    learning_rate: float = 1e-3,
    init: str = "glorot",
    p: int = 1,
    classes: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train small architectures from scratch over several seeds (claim C8).

    Each architecture and seed: :func:`relusv.models.build_mlp` (double-layers when ``ranks`` is
    given) trained by :func:`relusv.training.train_mlp` with Adam, at most ``epochs`` epochs and
    early stopping on validation accuracy (``patience`` epochs; the best epoch's weights are
    kept), then evaluated on the test split.

    Parameters
    ----------
    data : mapping with :data:`relusv.data.PREPARED_KEYS`
    architectures : sequence of mappings
        ``{"name": str, "widths": (w_1, ...), "ranks": None or (r_1, ...)}``; default
        :data:`relusv.paper.SECTION_VC_ARCHITECTURES`.
    seeds : sequence of int
        Seed of the initial weights and of the shuffling, one run per seed.
    epochs, batch_size, patience : int
    learning_rate : float
    init : {"glorot", "glorot_p_product", "he_p_product"}
        Initialisation, passed to :func:`relusv.models.build_mlp`; the workflow passes the pruned
        network's (``"<init_target>_p_product"``), so the networks trained from scratch start as
        the double-layer network that was pruned did.
    p : int
        Normal factors per entry of the p-product initialisations (ignored by ``"glorot"``).
    classes : int or None
        Number of classes; None: one more than the largest label in the three splits.

    Returns
    -------
    (runs, summary) : two DataFrames
        ``runs``: one row per architecture and seed (``architecture``, ``seed``, ``parameters``
        (Keras' count), ``epochs_run``, ``best_epoch``, ``val_accuracy``, ``test_accuracy``,
        ``seconds``). ``summary``: per architecture ``parameters``, ``runs``,
        ``test_accuracy_mean``, ``test_accuracy_std`` (sample, ddof 1; NaN for one run),
        ``test_accuracy_min``, ``test_accuracy_max``.
    """
    check_prepared_keys(data)
    x_train = as_features(data["x_train"], "x_train")
    if classes is None:
        y_all = np.concatenate([np.asarray(data[k]).ravel()
                                for k in ("y_train", "y_val", "y_test")])
        classes = int(y_all.max()) + 1 if y_all.size else 1
    classes = check_positive_int(classes, "classes")
    input_dim = x_train.shape[1]
    archs = check_architectures(architectures, input_dim)
    if isinstance(seeds, str | bytes) or not isinstance(seeds, Sequence | np.ndarray) \
            or len(seeds) == 0:
        raise ValueError("seeds must be a non-empty sequence of non-negative integers")
    seeds = [check_nonnegative_int(s, "seeds[...]") for s in seeds]
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    patience = check_positive_int(patience, "patience")
    learning_rate = check_positive_real(learning_rate, "learning_rate")
    data = check_prepared_data(data, input_dim, classes)

    runs = []
    for arch in archs:
        for seed in seeds:
            model = build_mlp(input_dim, arch["widths"], classes, ranks=arch["ranks"], init=init,
                              p=p, seed=seed)
            result = train_mlp(model, data["x_train"], data["y_train"], data["x_val"],
                               data["y_val"], epochs=epochs, batch_size=batch_size, seed=seed,
                               early_stopping=patience, learning_rate=learning_rate)
            runs.append({
                "architecture": arch["name"],
                "seed": seed,
                "parameters": int(model.count_params()),
                "epochs_run": len(result.history),
                "best_epoch": result.best_epoch,
                "val_accuracy": evaluate_accuracy(model, data["x_val"], data["y_val"]),
                "test_accuracy": evaluate_accuracy(model, data["x_test"], data["y_test"]),
                "seconds": result.wall_seconds,
            })
            logger.info("from scratch %s seed %d: test %.4f", arch["name"], seed,
                        runs[-1]["test_accuracy"])
    runs = pd.DataFrame(runs)
    summary = (
        runs.groupby("architecture", sort=False)
        .agg(parameters=("parameters", "first"), runs=("seed", "size"),
             test_accuracy_mean=("test_accuracy", "mean"),
             test_accuracy_std=("test_accuracy", "std"),
             test_accuracy_min=("test_accuracy", "min"),
             test_accuracy_max=("test_accuracy", "max"))
        .reset_index()
    )
    return runs, summary
