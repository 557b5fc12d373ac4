"""Claim C8: small dense and low-rank double-layer MLPs trained from scratch, over several seeds.

The paper (section V-C) asks whether the small networks harmonic pruning reaches could have been
trained directly. :func:`from_scratch_comparison` trains the architectures of
:data:`relusv.paper.SECTION_VC_ARCHITECTURES` (or others) from scratch and summarises their test
accuracy per architecture; its two frames have the columns of :data:`relusv.tidy.FROM_SCRATCH_RUNS`
and :data:`relusv.tidy.FROM_SCRATCH_SUMMARY` once the workflow adds ``network``.

The workflow runs one job per architecture instead: :func:`architecture_at` picks the job's
architecture out of the configured list, :func:`from_scratch_runs` trains it with all the
configured seeds at once (stacked into one computation by :mod:`relusv.stacked_training`, which
pays the per-step overhead of these small networks once for all seeds), and a gather job
concatenates the runs in (architecture, seed) order and calls :func:`summarise_from_scratch`.
Each seed's numbers are those of :func:`relusv.training.train_mlp` with that seed, to float32
rounding, whichever seeds train beside it, and a job in a fresh process gives the rows it gives
inside :func:`from_scratch_comparison`'s loop.
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
from relusv.paper import SECTION_VC_ARCHITECTURES
from relusv.tidy import FROM_SCRATCH_RUNS

# relusv.models and relusv.training (Keras, TensorFlow) are imported in the functions that
# train, so that the gather job (architecture_at, summarise_from_scratch) starts in a second.

__all__ = [
    "RUN_COLUMNS",
    "architecture_at",
    "from_scratch_comparison",
    "from_scratch_run",
    "from_scratch_runs",
    "summarise_from_scratch",
]

logger = logging.getLogger(__name__)

#: The columns of one run's rows: :data:`relusv.tidy.FROM_SCRATCH_RUNS` less ``network``, which
#: the workflow inserts.
RUN_COLUMNS = tuple(c for c in FROM_SCRATCH_RUNS.columns if c != "network")


def seed_groups(seeds: Sequence[int], seeds_per_job: int) -> list[str]:
    """The seeds of the from-scratch runs cut into jobs of at most ``seeds_per_job`` seeds, in
    the config's order, each named by its seeds joined with ``-`` (``[0, 1, 2, 3, 4]`` by 3:
    ``["0-1-2", "3-4"]``): the ``{seeds}`` wildcard of the workflow's ``from_scratch_seeds``.
    Appending a seed leaves the names of the full groups before it, so their jobs do not rerun.
    """
    seeds_per_job = check_positive_int(seeds_per_job, "seeds_per_job")
    seeds = [int(seed) for seed in seeds]
    return ["-".join(str(seed) for seed in seeds[first : first + seeds_per_job])
            for first in range(0, len(seeds), seeds_per_job)]


def group_seeds(name: str) -> list[int]:
    """The seeds of a group named by :func:`seed_groups`."""
    return [int(seed) for seed in name.split("-")]


def architecture_at(architectures: Sequence[Mapping], index: int,
                    input_dim: int | None = None) -> dict:
    """The ``index``-th architecture of ``architectures``, checked and named.

    The whole list is checked (:func:`relusv._validation.check_architectures`), so the name is
    the one :func:`from_scratch_comparison` gives it (names must be distinct over the list).

    Parameters
    ----------
    architectures : sequence of mappings
        ``{"name": str (optional), "widths": (w_1, ...), "ranks": None or (r_1, ...)}``.
    index : int
        0-based position in ``architectures``.
    input_dim : int, optional
        Number of input features: with it, ranks are checked against their layers.

    Returns
    -------
    dict with ``name`` (str), ``widths`` (tuple), ``ranks`` (tuple or None).

    Raises
    ------
    ValueError
        A bad list, or an index outside ``[0, len(architectures))``.
    """
    archs = check_architectures(architectures, input_dim)
    index = check_nonnegative_int(index, "architecture index")
    if index >= len(archs):
        raise ValueError(f"architecture index {index} is out of range: the list has "
                         f"{len(archs)} architectures (indices 0 to {len(archs) - 1}); check "
                         "pruning.from_scratch.architectures in the config")
    return archs[index]


def _classes(data: Mapping[str, np.ndarray], classes: int | None) -> int:
    """``classes``, or one more than the largest label of the three splits when None."""
    if classes is None:
        y_all = np.concatenate([np.asarray(data[k]).ravel()
                                for k in ("y_train", "y_val", "y_test")])
        classes = int(y_all.max()) + 1 if y_all.size else 1
    return check_positive_int(classes, "classes")


def _check_options(epochs, batch_size, patience, learning_rate) -> tuple[int, int, int, float]:
    return (check_positive_int(epochs, "epochs"), check_positive_int(batch_size, "batch_size"),
            check_positive_int(patience, "patience"),
            check_positive_real(learning_rate, "learning_rate"))


def _check_seeds(seeds) -> list[int]:
    """``seeds`` as a list of distinct non-negative ints, else ValueError."""
    if isinstance(seeds, str | bytes) or not isinstance(seeds, Sequence | np.ndarray) \
            or len(seeds) == 0:
        raise ValueError(f"seeds must be a non-empty sequence of non-negative integers, got "
                         f"{seeds!r}")
    seeds = [check_nonnegative_int(s, "seeds[...]") for s in seeds]
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if repeated:
        raise ValueError(f"seeds must be distinct, got {repeated} more than once in {seeds}")
    return seeds


def from_scratch_runs(
    data: Mapping[str, np.ndarray],
    architecture: Mapping,
    seeds: Sequence[int],
    *,
    epochs: int,
    batch_size: int,
    patience: int,
    learning_rate: float,
    init: str = "glorot",
    p: int = 1,
    classes: int | None = None,
) -> pd.DataFrame:
    """Train one architecture from scratch with several seeds at once and evaluate each (C8).

    One :func:`relusv.models.build_mlp` network per seed (double layers when ``ranks`` is
    given), trained together by :func:`relusv.stacked_training.train_stacked`: each seed as
    :func:`relusv.training.train_mlp` with that seed trains it (its initial weights, batch
    order and Adam state; early stopping on validation accuracy with ``patience`` epochs, the
    best epoch's weights kept), in one stacked computation that pays the per-step overhead once
    for all seeds. Then each is evaluated on the validation and test splits.

    Parameters
    ----------
    data : mapping with :data:`relusv.data.PREPARED_KEYS`
    architecture : mapping
        ``{"name": str (optional), "widths": (w_1, ...), "ranks": None or (r_1, ...)}``, e.g.
        from :func:`architecture_at`.
    seeds : sequence of int
        Distinct seeds, each of the initial weights and the shuffling of one run.
    epochs, batch_size, patience : int
    learning_rate : float
    init, p
        As in :func:`from_scratch_comparison`.
    classes : int or None
        Number of classes; None: one more than the largest label in the three splits.

    Returns
    -------
    pandas.DataFrame
        One row per seed, in the order of ``seeds``, with the columns :data:`RUN_COLUMNS`
        (``architecture``, ``seed``, ``parameters`` (Keras' count), ``epochs_run``,
        ``best_epoch``, ``val_accuracy``, ``test_accuracy``, ``seconds``: the wall time of the
        stacked training until the seed stopped, shared with the seeds beside it).

    Raises
    ------
    ValueError
        Bad data, architecture, seeds (none, or one twice) or options, before any training.
    """
    from relusv.models import as_features, build_mlp
    from relusv.stacked_training import stacked_accuracies, stacked_layout, train_stacked
    from relusv.training import check_prepared_data, check_prepared_keys

    check_prepared_keys(data)
    input_dim = as_features(data["x_train"], "x_train").shape[1]
    classes = _classes(data, classes)
    (arch,) = check_architectures([architecture], input_dim)
    seeds = _check_seeds(seeds)
    epochs, batch_size, patience, learning_rate = _check_options(epochs, batch_size, patience,
                                                                 learning_rate)
    data = check_prepared_data(data, input_dim, classes)

    models = [build_mlp(input_dim, arch["widths"], classes, ranks=arch["ranks"], init=init, p=p,
                        seed=seed) for seed in seeds]
    runs = train_stacked(models, seeds, data["x_train"], data["y_train"], data["x_val"],
                         data["y_val"], epochs=epochs, batch_size=batch_size, patience=patience,
                         learning_rate=learning_rate)
    # the kept weights of all seeds, stacked again: one pass per split evaluates them all
    kept = [np.stack(arrays) for arrays in zip(*(run.weights for run in runs), strict=True)]
    accuracies = {split: stacked_accuracies(kept, stacked_layout(models[0]), data[f"x_{split}"],
                                            data[f"y_{split}"])
                  for split in ("val", "test")}
    rows = [{
        "architecture": arch["name"],
        "seed": seed,
        "parameters": int(models[0].count_params()),
        "epochs_run": len(run.val_accuracy),
        "best_epoch": run.best_epoch,
        "val_accuracy": float(accuracies["val"][i]),
        "test_accuracy": float(accuracies["test"][i]),
        "seconds": run.seconds,
    } for i, (seed, run) in enumerate(zip(seeds, runs, strict=True))]
    for row in rows:
        logger.info("from scratch %s seed %d: %d epochs, test %.4f", arch["name"], row["seed"],
                    row["epochs_run"], row["test_accuracy"])
    return pd.DataFrame(rows, columns=list(RUN_COLUMNS))


def from_scratch_run(
    data: Mapping[str, np.ndarray],
    architecture: Mapping,
    seed: int,
    **options,
) -> pd.DataFrame:
    """Train one architecture from scratch with one seed and evaluate it: the one-seed case of
    :func:`from_scratch_runs` (the same keyword options), whose one row it returns.

    Raises
    ------
    ValueError
        Bad data, architecture, seed or options, before any training.
    """
    return from_scratch_runs(data, architecture, [check_nonnegative_int(seed, "seed")],
                             **options)


def summarise_from_scratch(runs: pd.DataFrame) -> pd.DataFrame:
    """Test accuracy per architecture over its seeds: the summary frame of claim C8.

    Parameters
    ----------
    runs : pandas.DataFrame
        Rows of :func:`from_scratch_runs`, concatenated in (architecture, seed) order (other
        columns, e.g. ``network``, are ignored).

    Returns
    -------
    pandas.DataFrame
        One row per architecture, in the order of first appearance: ``architecture``,
        ``parameters``, ``runs``, ``test_accuracy_mean``, ``test_accuracy_std`` (sample, ddof 1;
        NaN for one run), ``test_accuracy_min``, ``test_accuracy_max``.

    Raises
    ------
    ValueError
        No rows, a missing column, or an (architecture, seed) pair that appears twice (runs
        gathered twice).
    """
    if not isinstance(runs, pd.DataFrame) or runs.empty:
        raise ValueError("runs must be a non-empty DataFrame of from_scratch_run rows")
    needed = ("architecture", "seed", "parameters", "test_accuracy")
    missing = [c for c in needed if c not in runs.columns]
    if missing:
        raise ValueError(f"runs lacks the columns {missing}; it needs {list(needed)} "
                         "(the rows of from_scratch_run)")
    repeated = runs[runs.duplicated(["architecture", "seed"], keep=False)]
    if not repeated.empty:
        pairs = sorted(set(zip(repeated["architecture"], repeated["seed"], strict=True)))
        raise ValueError(f"runs holds (architecture, seed) pairs more than once: {pairs}; "
                         "gather each run's file once")
    return (
        runs.groupby("architecture", sort=False)
        .agg(parameters=("parameters", "first"), runs=("seed", "size"),
             test_accuracy_mean=("test_accuracy", "mean"),
             test_accuracy_std=("test_accuracy", "std"),
             test_accuracy_min=("test_accuracy", "min"),
             test_accuracy_max=("test_accuracy", "max"))
        .reset_index()
    )


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
    """Train small architectures from scratch over several seeds (claim C8), in one process.

    :func:`from_scratch_runs` for every architecture (all seeds at once), in that order, then
    :func:`summarise_from_scratch`; every argument is checked before the first run.

    Parameters
    ----------
    data : mapping with :data:`relusv.data.PREPARED_KEYS`
    architectures : sequence of mappings
        ``{"name": str, "widths": (w_1, ...), "ranks": None or (r_1, ...)}``; default
        :data:`relusv.paper.SECTION_VC_ARCHITECTURES`.
    seeds : sequence of int
        Distinct seeds of the initial weights and of the shuffling, one run per seed.
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
        ``runs``: one row per architecture and seed, the columns of :func:`from_scratch_runs`.
        ``summary``: per architecture, the columns of :func:`summarise_from_scratch`.
    """
    from relusv.models import as_features
    from relusv.training import check_prepared_data, check_prepared_keys

    check_prepared_keys(data)
    input_dim = as_features(data["x_train"], "x_train").shape[1]
    classes = _classes(data, classes)
    archs = check_architectures(architectures, input_dim)
    seeds = _check_seeds(seeds)
    options = dict(zip(("epochs", "batch_size", "patience", "learning_rate"),
                       _check_options(epochs, batch_size, patience, learning_rate), strict=True))
    data = check_prepared_data(data, input_dim, classes)

    runs = pd.concat([from_scratch_runs(data, arch, seeds, init=init, p=p, classes=classes,
                                        **options)
                      for arch in archs], ignore_index=True)
    return runs, summarise_from_scratch(runs)
