"""The workflow's tidy tables: every CSV's columns, defined once, and the one check of a frame.

A tidy table has one row per observation. Its producer (a function of :mod:`relusv.analyses`,
:mod:`relusv.pruning` or :mod:`relusv.from_scratch`) writes :attr:`TidyTable.columns` in that
order; its readers (figures, tables, claims) need only :attr:`TidyTable.required`, and check a
frame with :meth:`TidyTable.check` before using it. Tests read both from here, so a column that is
added or renamed changes in one place.

No Keras, no matplotlib: tables, claims and figures import this module without importing
TensorFlow.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "BASELINES",
    "BOUNDS",
    "BOUNDS_PROCEDURES",
    "FROM_SCRATCH_RUNS",
    "FROM_SCRATCH_SUMMARY",
    "PRUNING",
    "RANDOM_LAYERS",
    "SUBSETS",
    "TidyTable",
    "WIDTHS",
    "permanent_drop_iteration",
    "rank_columns",
]

#: The two data subsets of the paper, in drawing and reporting order: correctly and
#: incorrectly classified points.
SUBSETS = ("correct", "incorrect")


@dataclass(frozen=True)
class TidyTable:
    """The columns of one tidy table.

    Attributes
    ----------
    name : str
        What the table holds, for messages.
    columns : tuple of str
        The columns its producer writes, in order.
    required : tuple of str
        The columns every reader needs; a subset of ``columns``.
    """

    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...]

    def __post_init__(self):
        extra = [c for c in self.required if c not in self.columns]
        if extra:
            raise ValueError(f"{self.name}: required columns {extra} are not among its columns")

    def check(self, df, name: str) -> pd.DataFrame:
        """Return ``df`` unchanged once it is a DataFrame with every required column.

        A ``subset`` column may hold only :data:`SUBSETS`.

        Raises
        ------
        TypeError
            If ``df`` is not a DataFrame.
        ValueError
            Naming ``name``, the missing columns and those it has, or the unknown subsets.
        """
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"{name} must be a pandas DataFrame ({self.name}), "
                            f"got {type(df).__name__}")
        missing = [c for c in self.required if c not in df.columns]
        if missing:
            raise ValueError(f"{name} is missing columns {missing} of the {self.name} table; "
                             f"it has {list(df.columns)}")
        if "subset" in self.required and not df.empty:
            unknown = sorted(set(df["subset"].astype(str)) - set(SUBSETS))
            if unknown:
                raise ValueError(f"{name} has unknown subset(s) {unknown}; "
                                 f"expected {list(SUBSETS)}")
        return df

    def check_mapping(self, frames, name: str, *, allow_empty: bool = False
                      ) -> dict[str, pd.DataFrame]:
        """Check a dict of network name -> DataFrame; returns it with ``str`` keys.

        Raises
        ------
        ValueError
            If ``frames`` is not a mapping, or is empty and ``allow_empty`` is false.
        """
        if not isinstance(frames, Mapping) or (not frames and not allow_empty):
            what = "a" if allow_empty else "a non-empty"
            raise ValueError(f"{name} must be {what} dict of network name -> DataFrame "
                             f"({self.name})")
        return {str(k): self.check(v, f"{name}[{k!r}]") for k, v in frames.items()}

    def empty(self) -> pd.DataFrame:
        """A frame with this table's columns and no rows."""
        return pd.DataFrame(columns=list(self.columns))


#: Figure 2: bounds of random layers ``relu(W .)`` on the sphere, one row per (shape, layer, k).
RANDOM_LAYERS = TidyTable(
    "random-layer bounds",
    columns=("shape", "m", "n", "layer", "k", "singular_value", "bound_sample", "bound_refined"),
    required=("shape", "layer", "k", "singular_value", "bound_sample", "bound_refined"),
)

#: Figure 3, Appendix A: data-dependent bounds, one row per (network, layer, subset, k).
#: ``bound`` is the upper bound (non-increasing in k), ``lower_bound`` a certified lower bound
#: on ``s_k^X`` where one is known (NaN elsewhere), ``start`` the start whose approximant gives
#: ``bound`` (``svd``, ``pca`` or ``enclosing_ball``), ``method`` ``tight`` or ``paper``, and
#: ``paper_bound`` the bound of the paper's procedure from the same computation (``bound <=
#: paper_bound``; NaN where it is not known).
BOUNDS = TidyTable(
    "ReLU singular value bounds",
    columns=("network", "layer", "subset", "k", "bound", "singular_value", "n_points",
             "lower_bound", "start", "method", "paper_bound"),
    required=("network", "layer", "subset", "k", "bound", "singular_value"),
)

#: The bounds of both procedures side by side (:func:`relusv.tables.bounds_table`), one row per
#: (network, layer, subset): the largest bound (at k = 0) and the mean over k, of ``bound`` (the
#: configured ``method``) and of ``paper_bound`` (the paper's procedure), each the mean over the
#: network's replicates, and their ratios.
BOUNDS_PROCEDURES = TidyTable(
    "bounds of both procedures",
    columns=("network", "layer", "subset", "method", "replicates", "largest_bound",
             "largest_paper_bound", "largest_ratio", "mean_bound", "mean_paper_bound",
             "mean_ratio", "exact_zeros"),
    required=("network", "layer", "subset", "largest_bound", "largest_paper_bound"),
)

#: Figure 4, Appendix A: Gaussian mean widths, one row per (network, layer, subset, epoch).
WIDTHS = TidyTable(
    "Gaussian mean widths",
    columns=("network", "layer", "subset", "epoch", "width", "stderr", "n_points", "n_draws"),
    required=("network", "layer", "subset", "epoch", "width", "stderr"),
)

#: Figure 5: harmonic pruning, one row per iteration (0 = the trained network). Besides these,
#: ``rank_1 ... rank_L`` and ``candidate_val_accuracy_1 ...`` (see :func:`rank_columns`).
PRUNING = TidyTable(
    "harmonic pruning",
    columns=("iteration", "layer", "parameters", "val_accuracy", "test_accuracy",
             "val_accuracy_before_retraining", "dropped_singular_value", "retrained",
             "retrain_reason", "retrain_batches_total", "seconds", "decision_seconds"),
    required=("iteration", "test_accuracy"),
)

#: The pruning baselines figure: every method's test accuracy at its parameter count.
BASELINES = TidyTable(
    "pruning baselines",
    columns=("network", "method", "parameters", "val_accuracy", "test_accuracy"),
    required=("method", "parameters", "test_accuracy"),
)

#: Claim C8: one row per architecture and seed trained from scratch.
FROM_SCRATCH_RUNS = TidyTable(
    "from-scratch runs",
    columns=("network", "architecture", "seed", "parameters", "epochs_run", "best_epoch",
             "val_accuracy", "test_accuracy", "seconds"),
    required=("architecture", "seed", "test_accuracy"),
)

#: Claim C8: one row per architecture, over its seeds (sample standard deviation, ddof 1).
FROM_SCRATCH_SUMMARY = TidyTable(
    "from-scratch summary",
    columns=("network", "architecture", "parameters", "runs", "test_accuracy_mean",
             "test_accuracy_std", "test_accuracy_min", "test_accuracy_max"),
    required=("architecture", "runs", "test_accuracy_mean", "test_accuracy_std",
              "test_accuracy_min", "test_accuracy_max"),
)

_RANK_COLUMN = re.compile(r"rank_(\d+)")


def rank_columns(df: pd.DataFrame) -> list[str]:
    """The ``rank_1 ... rank_L`` columns of a pruning table, in layer order."""
    found = [(int(m.group(1)), str(c)) for c in df.columns
             if (m := _RANK_COLUMN.fullmatch(str(c)))]
    return [c for _, c in sorted(found)]


def permanent_drop_iteration(iterations, accuracies, threshold: float = 0.5):
    """The first iteration from which accuracy stays below ``threshold`` to the end, or None.

    Parameters
    ----------
    iterations : (N,) array of iteration numbers (any order; sorted here)
    accuracies : (N,) array of accuracies in [0, 1]; rows with NaN are ignored
    threshold : float

    Returns
    -------
    int or None
        The smallest iteration ``i`` with ``accuracy(j) < threshold`` for every ``j >= i``;
        None if the last iteration is at or above ``threshold`` (or there are no rows).
    """
    it = np.asarray(iterations, dtype=float).ravel()
    acc = np.asarray(accuracies, dtype=float).ravel()
    if it.shape != acc.shape:
        raise ValueError(f"iterations and accuracies differ in length: {it.size} vs {acc.size}")
    keep = np.isfinite(it) & np.isfinite(acc)
    it, acc = it[keep], acc[keep]
    if it.size == 0:
        return None
    order = np.argsort(it, kind="stable")
    it, acc = it[order], acc[order]
    below = acc < threshold
    if not below[-1]:
        return None
    above = np.flatnonzero(~below)
    start = 0 if above.size == 0 else int(above[-1]) + 1
    return int(it[start])


# The tables for people that :mod:`relusv.tables` writes (CSV, Markdown, LaTeX).

#: Table I and the appendix table: the training details of one network per row, over its
#: replicates (the seeds it was trained under; one replicate is a network trained once). The
#: settings are those of the replicate with the smallest seed; every accuracy is a fraction in
#: [0, 1] given as its mean and sample standard deviation (ddof 1; NaN for one replicate) over
#: the replicates. The wall-clock training time is in :data:`TIMINGS`, not here.
NETWORKS = TidyTable(
    "network training details",
    columns=("network", "dataset", "widths", "parameters", "optimizer", "learning_rate",
             "batch_size", "epochs", "replicates", "train_accuracy_mean", "train_accuracy_std",
             "val_accuracy_mean", "val_accuracy_std", "test_accuracy_mean", "test_accuracy_std"),
    required=("network", "test_accuracy_mean"),
)

#: Training time: one row per network and replicate (``seed``; empty for a network trained
#: once without one), the wall-clock ``seconds`` training took on the machine that ran it.
TIMINGS = TidyTable(
    "training times",
    columns=("network", "seed", "epochs", "parameters", "seconds"),
    required=("network", "seconds"),
)

#: Claim C8 for people: one row per (network, architecture) trained from scratch, with its test
#: accuracy over the runs as numbers: mean, sample standard deviation (NaN for one run), min
#: and max (the Markdown and LaTeX files show the mean ± SD in one column).
FROM_SCRATCH_TABLE = TidyTable(
    "from-scratch test accuracy",
    columns=("network", "architecture", "parameters", "runs", "test_accuracy_mean",
             "test_accuracy_std", "test_accuracy_min", "test_accuracy_max"),
    required=("network", "architecture", "test_accuracy_mean"),
)

__all__ += ["FROM_SCRATCH_TABLE", "NETWORKS", "TIMINGS"]


# Claim C5 and the paired widths (appended: the paired comparison of correct and incorrect data).

#: Claim C5: per (network, layer, epoch) the paired difference of the Gaussian mean widths over
#: correct and incorrect data. Both widths are means over the same Gaussian draws, so
#: ``difference`` is the mean over draws of ``w_correct(g) - w_incorrect(g)`` and ``stderr`` its
#: standard error over the ``n_draws`` draws (ddof 1); ``n_points`` is the size of each subset
#: (the smaller one if they differ).
WIDTH_DIFFERENCES = TidyTable(
    "paired width differences",
    columns=("network", "layer", "epoch", "difference", "stderr", "n_draws", "n_points"),
    required=("network", "layer", "epoch", "difference", "stderr"),
)

#: Claim C5 over which points were drawn: per (network, layer, subsample) the paired difference of
#: the Gaussian mean widths over a random subsample of the correct and one of the incorrect points
#: at the final checkpoint (``epoch``), each of ``n_points`` points drawn without replacement,
#: and ``stderr`` its standard error over the subsample's own ``n_draws`` Gaussian draws
#: (:func:`relusv.width_subsamples.subsampled_width_differences`).
WIDTH_SUBSAMPLES = TidyTable(
    "subsampled paired width differences",
    columns=("network", "layer", "epoch", "subsample", "difference", "stderr", "n_draws",
             "n_points"),
    required=("network", "layer", "subsample", "difference", "stderr"),
)

__all__ += ["WIDTH_SUBSAMPLES"]


def last_iteration_before_drop(df: pd.DataFrame, threshold: float = 0.5):
    """The paper's "below ``threshold`` after iteration N" of a pruning table, and the ranks at N.

    ``N`` is the last iteration at or above ``threshold``: the one just before
    :func:`permanent_drop_iteration`, from which test accuracy stays below ``threshold`` to the
    end. Figure 5 and claim C6 both report these numbers ("drops permanently below 50 % after
    iteration N; before that drop the ranks were (...)").

    Parameters
    ----------
    df : DataFrame
        A :data:`PRUNING` table: ``iteration``, ``test_accuracy`` (a fraction) and
        ``rank_1 ... rank_L``; rows whose iteration or test accuracy is missing are ignored.
    threshold : float

    Returns
    -------
    (int, tuple of int) or None
        ``(N, ranks at N)``, one rank per hidden layer in layer order; None if test accuracy
        never drops below ``threshold`` for good, or is below it from the first iteration on.
    """
    PRUNING.check(df, "df")
    ranks = rank_columns(df)
    data = df.assign(iteration=pd.to_numeric(df["iteration"], errors="coerce"),
                     test_accuracy=pd.to_numeric(df["test_accuracy"], errors="coerce"))
    data = data[np.isfinite(data["iteration"].to_numpy(dtype=float))
                & np.isfinite(data["test_accuracy"].to_numpy(dtype=float))]
    data = data.sort_values("iteration", kind="stable").reset_index(drop=True)
    drop = permanent_drop_iteration(data["iteration"], data["test_accuracy"], threshold)
    if drop is None:
        return None
    pos = int(np.flatnonzero(data["iteration"].to_numpy(dtype=float) == drop)[0])
    if pos == 0:
        return None
    before = data.iloc[pos - 1]
    return int(before["iteration"]), tuple(int(before[c]) for c in ranks)


__all__ += ["WIDTH_DIFFERENCES", "last_iteration_before_drop"]


# Replicates (appended): every network trained under several seeds.

#: Table I and the appendix table over replicates: since every network's row is over its
#: replicates, the same table as :data:`NETWORKS` (kept as a name for older callers).
NETWORKS_REPLICATES = NETWORKS


def replicate_seeds(df: pd.DataFrame) -> list:
    """The sorted distinct values of ``df``'s ``seed`` column (one per replicate); [] without one.

    A tidy frame of several replicates of one network (the network trained under several seeds)
    carries an integer ``seed`` column; figures draw such a frame as the mean over replicates
    with a min-max band once it holds more than one seed.
    """
    if "seed" not in df.columns:
        return []
    return sorted(pd.unique(df["seed"].dropna()))


def with_seed(df: pd.DataFrame, seed: int) -> pd.DataFrame:
    """``df`` with an integer ``seed`` column (its replicate) right after ``network``.

    Every per-replicate table the workflow writes carries it, so that the tables of several
    replicates concatenate into one frame that :func:`replicate_seeds` splits again.
    """
    out = df.drop(columns="seed", errors="ignore")
    position = out.columns.get_loc("network") + 1 if "network" in out.columns else 0
    out.insert(position, "seed", int(seed))
    return out


def read_replicates(paths) -> pd.DataFrame:
    """The CSV tables of one network's replicates (one path, or a list) as one frame.

    Each table carries its replicate's ``seed`` column (:func:`with_seed`); the rows stay in
    the order of ``paths``, then of each file.
    """
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    if not paths:
        raise ValueError("read_replicates needs at least one table")
    return pd.concat([pd.read_csv(path) for path in paths], ignore_index=True)


__all__ += ["NETWORKS_REPLICATES", "read_replicates", "replicate_seeds", "with_seed"]


# Claims over replicates (appended): the numbers each replicate's verdict rests on.

#: Claims C2-C6 over replicates (:func:`relusv.claims.replicates_table`): one row per (claim,
#: replicate, network, quantity, layer, subset) with a number the replicate's verdict rests on in
#: ``value`` (C2 ``bound_level``, C4 ``final_width`` per subset and layer; C3
#: ``largest_bound_correct_minus_incorrect`` and C5 ``fraction_of_subsamples_beyond_noise`` per
#: layer; C6 ``drop_after_iteration`` per judged network). ``replicate`` is the run of the
#: experiment (1, 2, ...; the i-th seed of every network) and ``seed`` the network's seed in it,
#: both empty where the claim was judged on a single run; ``layer`` and ``subset`` are empty where
#: the quantity has none. ``row_holds`` is the outcome of the row's own test (C3 correct >
#: incorrect in that layer, C5 that layer, C6 that network), empty for C2 and C4, whose levels
#: are tested only together.
REPLICATES = TidyTable(
    "claims over replicates",
    columns=("claim", "replicate", "network", "seed", "quantity", "layer", "subset", "value",
             "row_holds"),
    required=("claim", "replicate", "network", "seed", "quantity", "value"),
)

__all__ += ["REPLICATES"]
