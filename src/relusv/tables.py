"""The paper's tables: Table I, every network's training, parameter counts, from-scratch nets.

Table I (training details of the two figure networks) and the appendix table of every network
are built from the training summaries the workflow writes per network; the tables of section
V-C are the parameter counts of dense and double-layer MLPs (claim C7) and the small networks
trained from scratch (claim C8).

A table is a pandas DataFrame with machine-friendly column names; :func:`write_table` writes it
as CSV (the columns as they are) and as Markdown and LaTeX for people (underscores in the column
names become spaces, numbers are formatted to four significant digits). Markdown and LaTeX are
written here rather than by pandas (``to_markdown`` needs ``tabulate``, ``to_latex`` needs
``jinja2``; neither is a dependency of the library). Every file is written atomically.

The columns of the tables are :data:`relusv.tidy.NETWORKS` (or
:data:`relusv.tidy.NETWORKS_REPLICATES` when networks were trained under several seeds) and
:data:`relusv.tidy.FROM_SCRATCH_TABLE`; the section V-C architectures are
:data:`relusv.paper.SECTION_VC_ARCHITECTURES`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from relusv._validation import check_architectures
from relusv.files import write_text
from relusv.paper import SECTION_VC_ARCHITECTURES
from relusv.tidy import (
    BOUNDS,
    BOUNDS_PROCEDURES,
    FROM_SCRATCH_SUMMARY,
    FROM_SCRATCH_TABLE,
    NETWORKS,
    NETWORKS_REPLICATES,
)

_INT_COLUMNS = ("parameters", "epochs", "batch_size")


def _format_widths(widths) -> str:
    if widths is None:
        return ""
    if isinstance(widths, str):
        return widths
    return "-".join(str(int(w)) for w in widths)


def network_table(summaries: Iterable[Mapping], networks=None) -> pd.DataFrame:
    """One row per network with its training details (Table I, appendix table).

    Parameters
    ----------
    summaries : list of dict
        Training summaries as the workflow writes them (``network, dataset, input_dim, classes,
        widths, parameters, optimizer, learning_rate, batch_size, epochs, train_accuracy,
        val_accuracy, test_accuracy, seconds``, and ``seed`` for replicates). A missing key
        gives an empty cell. A network may have several summaries (replicates: the network
        trained under several seeds), each with a distinct ``seed``.
    networks : list of str, optional
        Keep only these networks, in this order (Table I: the two figure networks). Default:
        every network, in the order its first summary is given.

    Returns
    -------
    DataFrame. If every network has one summary: the columns of :data:`relusv.tidy.NETWORKS`
    (each the summary key of its name): ``widths`` as ``"100-100-100"``, accuracies as fractions
    in [0, 1], ``seconds`` the wall-clock training time. If some network has several: the
    columns of :data:`relusv.tidy.NETWORKS_REPLICATES`, one row per network: its settings from
    the replicate with the smallest seed, ``replicates`` the number of seeds, and for
    ``train_accuracy, val_accuracy, test_accuracy, seconds`` the string ``"mean ± std"`` over
    the replicates (four decimals, as in :func:`from_scratch_table`; the mean alone for one
    replicate) with the numbers in ``<column>_mean`` and ``<column>_std`` (sample standard
    deviation, ddof 1; NaN for one replicate).
    """
    summaries = list(summaries)
    if not summaries:
        raise ValueError("summaries must hold at least one training summary")
    rows = []
    for i, summary in enumerate(summaries):
        if not isinstance(summary, Mapping) or "network" not in summary:
            raise ValueError(f"summaries[{i}] must be a dict with a 'network' key, got {summary!r}")
        row = {column: summary.get(column) for column in NETWORKS.columns}
        row["network"] = str(summary["network"])
        row["widths"] = _format_widths(summary.get("widths"))
        rows.append(row)
    table = pd.DataFrame(rows, columns=list(NETWORKS.columns))
    replicated = bool(table["network"].duplicated().any())
    if replicated:
        table = _over_replicates(summaries, table)
    if networks is not None:
        networks = [str(n) for n in networks]
        missing = [n for n in networks if n not in set(table["network"])]
        if missing:
            raise ValueError(
                f"networks {missing} have no training summary; have {list(table['network'])}"
            )
        table = table.set_index("network").loc[networks].reset_index()
    for column in _INT_COLUMNS:
        table[column] = pd.to_numeric(table[column], errors="coerce").astype("Int64")
    floats = _REPLICATE_NUMBERS if replicated else _REPLICATE_STATISTICS
    for column in ("learning_rate", *floats):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype(float)
    return table.reset_index(drop=True)


#: The columns of Table I given over replicates as mean and standard deviation.
_REPLICATE_STATISTICS = ("train_accuracy", "val_accuracy", "test_accuracy", "seconds")
#: Their numbers in :data:`relusv.tidy.NETWORKS_REPLICATES`: ``<column>_mean, <column>_std``.
_REPLICATE_NUMBERS = tuple(c for c in NETWORKS_REPLICATES.columns if c.endswith(("_mean", "_std")))


def _over_replicates(summaries: list, table: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``table`` (one per summary) as one row per network over its replicates.

    The columns of :data:`relusv.tidy.NETWORKS_REPLICATES`, networks in the order of their first
    summary; the settings are those of the smallest seed.

    Raises
    ------
    ValueError
        If a network has several summaries without distinct ``seed`` values.
    """
    table = table.assign(seed=pd.to_numeric(
        pd.Series([s.get("seed") for s in summaries], dtype=object), errors="coerce"
    ).to_numpy())
    for column in _REPLICATE_STATISTICS:
        table[column] = pd.to_numeric(table[column], errors="coerce").astype(float)
    rows = []
    for network, group in table.groupby("network", sort=False):
        if len(group) > 1 and (group["seed"].isna().any() or group["seed"].duplicated().any()):
            raise ValueError(f"duplicate network(s) in summaries: [{network!r}] has "
                             f"{len(group)} summaries; replicates need distinct 'seed' values, "
                             f"got {[summaries[i].get('seed') for i in group.index]}")
        group = group.sort_values("seed", kind="stable")
        row = {column: group[column].iloc[0] for column in NETWORKS.columns}
        row["replicates"] = len(group)
        for column in _REPLICATE_STATISTICS:
            mean, std = group[column].mean(), group[column].std(ddof=1)
            row[f"{column}_mean"], row[f"{column}_std"] = mean, std
            row[column] = _mean_pm_std(mean, std)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(NETWORKS_REPLICATES.columns))


def format_cell(value) -> str:
    """A table cell for people: integers as is, floats to 4 significant digits, missing as ''."""
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        if math.isnan(value):
            return ""
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        if abs(value) >= 1000:
            return f"{value:.0f}"
        return f"{value:.4g}"
    return str(value)


#: Column headers for people where the column name alone reads poorly.
HEADERS = {"val_accuracy": "validation accuracy", "seconds": "training seconds",
           "val_accuracy_mean": "validation accuracy mean",
           "val_accuracy_std": "validation accuracy std",
           "seconds_mean": "training seconds mean", "seconds_std": "training seconds std"}


def _header(column) -> str:
    return HEADERS.get(str(column), str(column).replace("_", " "))


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def to_markdown(df: pd.DataFrame) -> str:
    """A GitHub pipe table of ``df`` (numeric columns right-aligned), ending in a newline."""
    headers = [_header(c).replace("|", r"\|") for c in df.columns]
    align = ["---:" if _is_numeric(df[c]) else ":---" for c in df.columns]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    for row in df.itertuples(index=False):
        cells = [format_cell(v).replace("|", r"\|").replace("\n", " ") for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_escape(text: str) -> str:
    """Escape the characters LaTeX treats specially in running text."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


def to_latex(df: pd.DataFrame) -> str:
    """A bare ``tabular`` of ``df`` (for ``\\input``) with ``\\hline`` rules; needs no package."""
    spec = "".join("r" if _is_numeric(df[c]) else "l" for c in df.columns)
    lines = [
        f"\\begin{{tabular}}{{{spec}}}",
        "\\hline",
        " & ".join(latex_escape(_header(c)) for c in df.columns) + " \\\\",
        "\\hline",
    ]
    for row in df.itertuples(index=False):
        lines.append(" & ".join(latex_escape(format_cell(v)) for v in row) + " \\\\")
    lines += ["\\hline", "\\end{tabular}"]
    return "\n".join(lines) + "\n"


def write_table(df: pd.DataFrame, stem) -> dict[str, Path]:
    """Write ``df`` as ``stem.csv``, ``stem.md`` and ``stem.tex``, each atomically.

    Parameters
    ----------
    df : DataFrame
    stem : path-like
        Target path without extension, e.g. ``results/tables/table1``.

    Returns
    -------
    dict with keys ``"csv"``, ``"md"``, ``"tex"`` and the paths written.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    stem = Path(stem)
    if not stem.name:
        raise ValueError(f"stem must name a file, got {str(stem)!r}")
    paths = {ext: stem.with_name(f"{stem.name}.{ext}") for ext in ("csv", "md", "tex")}
    write_text(paths["csv"], df.to_csv(index=False, lineterminator="\n"))
    write_text(paths["md"], to_markdown(df))
    write_text(paths["tex"], to_latex(df))
    return paths


# --------------------------------------------------------------------------------------------
# the data-dependent bounds of both procedures (Figure 3, Appendix A)
# --------------------------------------------------------------------------------------------


def bounds_table(bounds: pd.DataFrame) -> pd.DataFrame:
    """The bounds of the configured method beside the paper's procedure, per network and layer.

    Parameters
    ----------
    bounds : DataFrame
        Rows of :data:`relusv.tidy.BOUNDS` (every network's replicates; ``seed`` optional), with
        ``paper_bound`` and ``method``.

    Returns
    -------
    DataFrame with the columns of :data:`relusv.tidy.BOUNDS_PROCEDURES`, one row per (network,
    layer, subset) in the order of first appearance: the largest bound (``k = 0``) and the mean
    over ``k`` of ``bound`` and of ``paper_bound``, each averaged over the replicates, the ratios
    ``bound / paper_bound`` of those, and ``exact_zeros``, the mean number of ranks per
    replicate whose bound is 0 up to rounding (at most 1e-9 of the largest bound).

    Raises
    ------
    ValueError
        If a column is missing or the frame has no rows.
    """
    BOUNDS.check(bounds, "bounds")
    missing = [column for column in ("method", "paper_bound") if column not in bounds]
    if missing:
        raise ValueError(f"bounds is missing columns {missing}: bounds tables written before "
                         "method='tight' existed lack them; recompute the bounds")
    if bounds.empty:
        raise ValueError("bounds has no rows: no network has bounds to tabulate")
    frame = bounds.assign(seed=bounds["seed"] if "seed" in bounds else 0)
    keys = ["network", "layer", "subset"]
    per_replicate = frame.groupby([*keys, "seed"], sort=False).agg(
        method=("method", "first"),
        largest_bound=("bound", "max"), largest_paper_bound=("paper_bound", "max"),
        mean_bound=("bound", "mean"), mean_paper_bound=("paper_bound", "mean"),
        exact_zeros=("bound", lambda b: int(np.sum(b <= 1e-9 * b.max()))),
    ).reset_index()
    table = per_replicate.groupby(keys, sort=False).agg(
        method=("method", "first"), replicates=("seed", "size"),
        largest_bound=("largest_bound", "mean"),
        largest_paper_bound=("largest_paper_bound", "mean"),
        mean_bound=("mean_bound", "mean"), mean_paper_bound=("mean_paper_bound", "mean"),
        exact_zeros=("exact_zeros", "mean"),
    ).reset_index()
    table["largest_ratio"] = table["largest_bound"] / table["largest_paper_bound"]
    table["mean_ratio"] = table["mean_bound"] / table["mean_paper_bound"]
    return table[list(BOUNDS_PROCEDURES.columns)]


# --------------------------------------------------------------------------------------------
# section V-C: parameter counts (claim C7) and networks trained from scratch (claim C8)
# --------------------------------------------------------------------------------------------

#: The float columns of :func:`from_scratch_table`: test accuracy mean, std, min and max.
_FROM_SCRATCH_FLOATS = tuple(c for c in FROM_SCRATCH_TABLE.columns
                             if c.startswith("test_accuracy_"))


def parameter_table(input_dims: Mapping[str, int], classes: int = 10,
                    architectures=SECTION_VC_ARCHITECTURES) -> pd.DataFrame:
    """Parameter counts of dense and double-layer MLPs per dataset (section V-C, claim C7).

    Counts are exact, from :func:`relusv.parameter_counts.dense_mlp_parameter_count` (``ranks``
    None) and :func:`relusv.parameter_counts.double_mlp_parameter_count`: a dense layer with ``n``
    inputs and ``m`` outputs has ``n m + m`` parameters, a double-layer of rank ``r`` has
    ``r (n + m) + m``; the output layer is dense.

    Parameters
    ----------
    input_dims : mapping of dataset name -> input dimension
        E.g. ``{"CIFAR-10": 3072, "MNIST": 784}``; one column per entry, in this order.
    classes : int
        Outputs of the classification layer.
    architectures : sequence of mappings
        ``{"name": str (optional), "widths": (w_1, ...), "ranks": None or (r_1, ...)}``, checked
        by :func:`relusv._validation.check_architectures`; default
        :data:`relusv.paper.SECTION_VC_ARCHITECTURES` (the paper's dense (100, 100, 100), double
        (100, 100, 100) at ranks (18, 8, 6) and dense (20, 9, 7)).

    Returns
    -------
    DataFrame with one row per architecture: ``architecture`` (its name), then one integer column
    per dataset.
    """
    from relusv.parameter_counts import dense_mlp_parameter_count, double_mlp_parameter_count

    if not isinstance(input_dims, Mapping) or not input_dims:
        raise ValueError("input_dims must be a non-empty mapping of dataset name -> input "
                         f"dimension, got {input_dims!r}")
    specs = check_architectures(architectures)
    datasets = [str(d) for d in input_dims]
    if len(set(datasets)) != len(datasets):
        raise ValueError(f"dataset names must be distinct, got {datasets}")
    rows = []
    for spec in specs:
        name, widths, ranks = spec["name"], spec["widths"], spec["ranks"]
        row = {"architecture": name}
        for dataset, dim in input_dims.items():
            if ranks is None:
                row[str(dataset)] = dense_mlp_parameter_count(dim, widths, classes)
            else:
                row[str(dataset)] = double_mlp_parameter_count(dim, widths, ranks, classes)
        rows.append(row)
    table = pd.DataFrame(rows, columns=["architecture", *datasets])
    for dataset in datasets:
        table[dataset] = table[dataset].astype("int64")
    return table


def _mean_pm_std(mean, std) -> str:
    if mean is None or pd.isna(mean):
        return ""
    if std is None or pd.isna(std):
        return f"{float(mean):.4f}"
    return f"{float(mean):.4f} ± {float(std):.4f}"


def _trained_name(summary: Mapping) -> str:
    widths = summary.get("widths")
    if widths is None or isinstance(widths, str):
        return "double-layer network that was pruned"
    return f"double {tuple(int(w) for w in widths)} full rank, the network pruned"


def from_scratch_table(summaries: Mapping[str, pd.DataFrame],
                       trained: Mapping[str, Mapping] | None = None) -> pd.DataFrame:
    """Test accuracy of the architectures trained from scratch, per network (claim C8).

    Parameters
    ----------
    summaries : dict of network name -> DataFrame
        The from-scratch summary of each pruned network (:func:`relusv.pruning.
        from_scratch_comparison`): ``architecture, parameters, runs, test_accuracy_mean,
        test_accuracy_std, test_accuracy_min, test_accuracy_max`` (a ``network`` column, if any,
        is ignored: the dict key names the network).
    trained : dict of network name -> dict or list of dicts, optional
        Training summaries of the double-layer networks that were pruned (``widths``,
        ``parameters``, ``test_accuracy``), one per replicate: each network adds a row after its
        architectures, named ``"double (w_1, ...) full rank, the network pruned"`` with one run
        per replicate (mean ± SD over them), so the table
        shows the paper's third number (~52 % on CIFAR-10) beside the networks trained from
        scratch.

    Returns
    -------
    DataFrame with the columns of :data:`relusv.tidy.FROM_SCRATCH_TABLE`, one row per
    (network, architecture) in the order given: ``test_accuracy`` is ``"mean ± std"`` over the
    runs (the sample standard deviation; the mean alone for one run), the numeric columns are
    fractions in [0, 1].
    """
    FROM_SCRATCH_SUMMARY.check_mapping(summaries, "summaries")
    rows = []
    for network, df in summaries.items():
        for _, record in df.iterrows():
            row = {column: record.get(column) for column in FROM_SCRATCH_TABLE.columns}
            row["network"] = str(network)
            row["architecture"] = str(record["architecture"])
            row["test_accuracy"] = _mean_pm_std(record["test_accuracy_mean"],
                                                record["test_accuracy_std"])
            rows.append(row)
        replicates = (trained or {}).get(network)
        if replicates is not None:
            replicates = [replicates] if isinstance(replicates, Mapping) else list(replicates)
            for summary in replicates:
                if not isinstance(summary, Mapping):
                    raise TypeError(f"trained[{network!r}] must be a dict or a list of dicts, "
                                    f"got {type(summary).__name__}")
            accuracies = pd.to_numeric(pd.Series([s.get("test_accuracy") for s in replicates],
                                                 dtype=object), errors="coerce")
            std = accuracies.std(ddof=1) if len(accuracies) > 1 else float("nan")
            rows.append({
                "network": str(network),
                "architecture": _trained_name(replicates[0]),
                "parameters": replicates[0].get("parameters"),
                "runs": len(replicates),
                "test_accuracy": _mean_pm_std(accuracies.mean(),
                                              std if len(accuracies) > 1 else None),
                "test_accuracy_mean": accuracies.mean(),
                "test_accuracy_std": std,
                "test_accuracy_min": accuracies.min(),
                "test_accuracy_max": accuracies.max(),
            })
    table = pd.DataFrame(rows, columns=list(FROM_SCRATCH_TABLE.columns))
    for column in ("parameters", "runs"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype("Int64")
    for column in _FROM_SCRATCH_FLOATS:
        table[column] = pd.to_numeric(table[column], errors="coerce").astype(float)
    return table.reset_index(drop=True)
