"""The paper's tables: Table I, every network's training, parameter counts, from-scratch nets.

Table I (training details of the two figure networks) and the appendix table of every network
are built from the training summaries the workflow writes per network; the tables of section
V-C are the parameter counts of dense and double-layer MLPs (claim C7) and the small networks
trained from scratch (claim C8).

A table is a pandas DataFrame with machine-friendly column names; :func:`write_table` writes it
as CSV (the columns as they are) and as Markdown and LaTeX for people (:func:`people_table`;
underscores in the column names become spaces, numbers are formatted to four significant
digits). Markdown and LaTeX are
written here rather than by pandas (``to_markdown`` needs ``tabulate``, ``to_latex`` needs
``jinja2``; neither is a dependency of the library). Every file is written atomically.

The columns of the tables are :data:`relusv.tidy.NETWORKS` (one row per network over its
replicates: each accuracy as a mean and an SD column), :data:`relusv.tidy.TIMINGS` (the training
seconds, per replicate, which depend on the machine) and :data:`relusv.tidy.FROM_SCRATCH_TABLE`;
the section V-C architectures are :data:`relusv.paper.SECTION_VC_ARCHITECTURES`. The CSV keeps
every number in its own column; the Markdown and LaTeX files (:func:`people_table`) show each
mean ± SD in one column, accuracies in percent, with short headers, and the LaTeX is a booktabs
``tabular``.
"""

from __future__ import annotations

import math
import numbers
import re
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
    TIMINGS,
)

_INT_COLUMNS = ("parameters", "epochs", "batch_size")


def _format_widths(widths) -> str:
    if widths is None:
        return ""
    if isinstance(widths, str):
        return widths
    return "-".join(str(int(w)) for w in widths)


def network_table(summaries: Iterable[Mapping], networks=None) -> pd.DataFrame:
    """One row per network with its training details over its replicates (Table I, appendix).

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
    DataFrame with the columns of :data:`relusv.tidy.NETWORKS`, one row per network: its
    settings from the replicate with the smallest seed (``widths`` as ``"100-100-100"``),
    ``replicates`` the number of summaries, and for the train, validation and test accuracy
    (fractions in [0, 1]) the mean and the sample standard deviation (ddof 1; NaN for one
    replicate) over them as ``<column>_mean`` and ``<column>_std``. Each value appears once;
    :func:`people_table` writes mean ± SD for people, and :func:`timing_table` the seconds.

    Raises
    ------
    ValueError
        If ``summaries`` is empty, a summary has no ``network``, a network has several
        summaries without distinct ``seed`` values, or ``networks`` names one without any.
    """
    summaries = list(summaries)
    if not summaries:
        raise ValueError("summaries must hold at least one training summary")
    rows = []
    for i, summary in enumerate(summaries):
        if not isinstance(summary, Mapping) or "network" not in summary:
            raise ValueError(f"summaries[{i}] must be a dict with a 'network' key, got {summary!r}")
        row = {column: summary.get(column) for column in _SUMMARY_KEYS}
        row["network"] = str(summary["network"])
        row["widths"] = _format_widths(summary.get("widths"))
        row["seed"] = summary.get("seed")
        rows.append(row)
    table = pd.DataFrame(rows, columns=[*_SUMMARY_KEYS, "seed"])
    table["seed"] = pd.to_numeric(table["seed"], errors="coerce")
    for column in _REPLICATE_STATISTICS:
        table[column] = pd.to_numeric(table[column], errors="coerce").astype(float)
    out = []
    for network, group in table.groupby("network", sort=False):
        if len(group) > 1 and (group["seed"].isna().any() or group["seed"].duplicated().any()):
            raise ValueError(f"duplicate network(s) in summaries: [{network!r}] has "
                             f"{len(group)} summaries; replicates need distinct 'seed' values, "
                             f"got {[summaries[i].get('seed') for i in group.index]}")
        group = group.sort_values("seed", kind="stable")
        row = {column: group[column].iloc[0] for column in _SUMMARY_KEYS}
        row["replicates"] = len(group)
        for column in _REPLICATE_STATISTICS:
            values = group[column]
            row[f"{column}_mean"] = values.mean()
            row[f"{column}_std"] = values.std(ddof=1) if len(values) > 1 else float("nan")
        out.append(row)
    table = pd.DataFrame(out, columns=list(NETWORKS.columns))
    if networks is not None:
        networks = [str(n) for n in networks]
        missing = [n for n in networks if n not in set(table["network"])]
        if missing:
            raise ValueError(
                f"networks {missing} have no training summary; have {list(table['network'])}"
            )
        table = table.set_index("network").loc[networks].reset_index()
    for column in (*_INT_COLUMNS, "replicates"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype("Int64")
    for column in ("learning_rate", *_REPLICATE_NUMBERS):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype(float)
    return table[list(NETWORKS.columns)].reset_index(drop=True)


#: The keys of a training summary that :func:`network_table` reads, besides ``seed``.
_SUMMARY_KEYS = ("network", "dataset", "widths", "parameters", "optimizer", "learning_rate",
                 "batch_size", "epochs", "train_accuracy", "val_accuracy", "test_accuracy")
#: The columns of Table I given over replicates as mean and standard deviation.
_REPLICATE_STATISTICS = ("train_accuracy", "val_accuracy", "test_accuracy")
#: Their numbers in :data:`relusv.tidy.NETWORKS`: ``<column>_mean, <column>_std``.
_REPLICATE_NUMBERS = tuple(c for c in NETWORKS.columns if c.endswith(("_mean", "_std")))


def timing_table(summaries: Iterable[Mapping]) -> pd.DataFrame:
    """The wall-clock training time of every network and replicate (:data:`relusv.tidy.TIMINGS`).

    One row per summary, in the order given: ``network, seed`` (empty without one),
    ``epochs, parameters`` and ``seconds``. The times depend on the machine, so they live in
    this table and not in Table I.
    """
    rows = []
    for i, summary in enumerate(summaries):
        if not isinstance(summary, Mapping) or "network" not in summary:
            raise ValueError(f"summaries[{i}] must be a dict with a 'network' key, got {summary!r}")
        rows.append({column: summary.get(column) for column in TIMINGS.columns})
        rows[-1]["network"] = str(summary["network"])
    if not rows:
        raise ValueError("summaries must hold at least one training summary")
    table = pd.DataFrame(rows, columns=list(TIMINGS.columns))
    for column in ("seed", "epochs", "parameters"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype("Int64")
    table["seconds"] = pd.to_numeric(table["seconds"], errors="coerce").astype(float)
    return table


# --------------------------------------------------------------------------------------------
# tables for people: mean ± SD in one column, short headers
# --------------------------------------------------------------------------------------------


def _mean_pm_std(mean, std, scale: float = 1.0, digits: int = 4) -> str:
    """``"mean ± std"`` (``std`` NaN or None: the mean alone), both times ``scale``."""
    if mean is None or pd.isna(mean):
        return ""
    if std is None or pd.isna(std):
        return f"{float(mean) * scale:.{digits}f}"
    return f"{float(mean) * scale:.{digits}f} ± {float(std) * scale:.{digits}f}"


def people_table(df: pd.DataFrame, drop=()) -> pd.DataFrame:
    """``df`` for people: every ``<x>_mean`` / ``<x>_std`` pair as one ``"mean ± SD"`` column.

    An accuracy (a column whose name holds ``accuracy``) is given in percent to one decimal
    and its column named ``"<x> (%)"``; other pairs keep four decimals. Columns named in
    ``drop`` (either the pair's stem ``x`` or a plain column) are left out, and
    ``learning_rate`` joins ``optimizer`` as ``"Adam (0.001)"``. The CSV keeps the numbers; this
    is what the Markdown and LaTeX files of :func:`write_table` show.
    """
    drop = set(drop)
    out = {}
    columns = list(df.columns)
    for column in columns:
        name = str(column)
        if name in drop:
            continue
        if name.endswith("_std") and f"{name[:-4]}_mean" in columns:
            continue
        if name.endswith("_mean") and f"{name[:-5]}_std" in columns:
            stem = name[:-5]
            if stem in drop:
                continue
            percent = "accuracy" in stem
            scale, digits = (100.0, 1) if percent else (1.0, 4)
            label = f"{stem} (%)" if percent else stem
            out[label] = [_mean_pm_std(m, s, scale, digits)
                          for m, s in zip(df[name], df[f"{stem}_std"], strict=True)]
            continue
        if name == "learning_rate" and "optimizer" in columns:
            continue
        if name == "optimizer" and "learning_rate" in columns and "learning_rate" not in drop:
            out[name] = [_with_rate(o, r) for o, r in zip(df["optimizer"], df["learning_rate"],
                                                          strict=True)]
            continue
        if percent_column(name):
            out[f"{name} (%)"] = [_percent(v) for v in df[name]]
            continue
        out[name] = df[name]
    return pd.DataFrame(out, index=df.index)


def percent_column(name: str) -> bool:
    """Whether :func:`people_table` writes column ``name`` in percent (a single accuracy)."""
    return "accuracy" in name and not name.endswith(("_mean", "_std"))


def _percent(value) -> str:
    value = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    return "" if pd.isna(value) else f"{100.0 * float(value):.1f}"


def _with_rate(optimizer, rate) -> str:
    name = "" if optimizer is None or pd.isna(optimizer) else str(optimizer)
    if rate is None or pd.isna(rate):
        return name
    return f"{name} ({format_cell(float(rate))})" if name else format_cell(float(rate))


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


#: Column headers for people where the column name alone reads poorly (short, so that a
#: table fits a page).
HEADERS = {"val_accuracy": "validation accuracy", "seconds": "training seconds",
           "batch_size": "batch", "optimizer": "optimiser", "replicates": "seeds",
           "train_accuracy (%)": "train acc. (%)", "val_accuracy (%)": "val. acc. (%)",
           "test_accuracy (%)": "test acc. (%)", "test_accuracy_min (%)": "min (%)",
           "test_accuracy_max (%)": "max (%)"}


def _header(column) -> str:
    return HEADERS.get(str(column), str(column).replace("_", " "))


_NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?( ± -?\d+(\.\d*)?)?$|^-?inf$")


def _is_numeric(series: pd.Series) -> bool:
    """Numbers, or text cells that all read as a number or ``"mean ± SD"``: right-aligned."""
    if pd.api.types.is_bool_dtype(series):
        return False
    if pd.api.types.is_numeric_dtype(series):
        return True
    cells = [format_cell(v) for v in series]
    cells = [c for c in cells if c]
    return bool(cells) and all(_NUMBER.match(c) for c in cells)


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
    "±": r"$\pm$",
}


def latex_escape(text: str) -> str:
    """Escape the characters LaTeX treats specially in running text."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


def to_latex(df: pd.DataFrame) -> str:
    """A bare booktabs ``tabular`` of ``df`` (for ``\\input``; needs ``\\usepackage{booktabs}``).

    Numeric columns (and ``"mean ± SD"`` text) right-aligned, text left-aligned, no outer
    padding (``@{}``), rules ``\\toprule``, ``\\midrule``, ``\\bottomrule``.
    """
    spec = "".join("r" if _is_numeric(df[c]) else "l" for c in df.columns)
    lines = [
        "% booktabs table: \\usepackage{booktabs} in the preamble",
        f"\\begin{{tabular}}{{@{{}}{spec}@{{}}}}",
        "\\toprule",
        " & ".join(latex_escape(_header(c)) for c in df.columns) + " \\\\",
        "\\midrule",
    ]
    for row in df.itertuples(index=False):
        lines.append(" & ".join(latex_escape(format_cell(v)) for v in row) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}"]
    return "\n".join(lines) + "\n"


def write_table(df: pd.DataFrame, stem, people: pd.DataFrame | None = None,
                html: bool = False) -> dict[str, Path]:
    """Write ``df`` as ``stem.csv``, and the table for people as ``stem.md`` and ``stem.tex``.

    The CSV holds ``df`` as it is (numbers for machines: a mean and its SD in two columns); the
    Markdown and LaTeX files hold ``people`` (default :func:`people_table` of ``df``: each
    mean ± SD in one column, accuracies in percent). Each file is written atomically.

    Parameters
    ----------
    df : DataFrame
    stem : path-like
        Target path without extension, e.g. ``results/tables/table1``.
    people : DataFrame, optional
        The table for people, e.g. ``people_table(df, drop=[...])``.
    html : bool
        Also write the table for people as a page a browser draws, ``stem.html``
        (:func:`markdown_page`; the workflow's HTML report shows it inline).

    Returns
    -------
    dict with keys ``"csv"``, ``"md"``, ``"tex"`` (and ``"html"``) and the paths written.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    stem = Path(stem)
    if not stem.name:
        raise ValueError(f"stem must name a file, got {str(stem)!r}")
    if people is None:
        people = people_table(df)
    extensions = ("csv", "md", "tex", "html") if html else ("csv", "md", "tex")
    paths = {ext: stem.with_name(f"{stem.name}.{ext}") for ext in extensions}
    write_text(paths["csv"], df.to_csv(index=False, lineterminator="\n"))
    markdown = to_markdown(people)
    write_text(paths["md"], markdown)
    write_text(paths["tex"], to_latex(people))
    if html:
        note = (f"\n\nThe numbers, each in its own column: `{paths['csv'].name}`; the same "
                f"table in LaTeX (booktabs): `{paths['tex'].name}`.\n")
        write_text(paths["html"], markdown_page(f"# {stem.name}\n\n{markdown}{note}", stem.name))
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
    (network, architecture) in the order given: the test accuracy's mean, sample standard
    deviation (NaN for one run), min and max over the runs as fractions in [0, 1], each once
    (:func:`write_table` shows the mean ± SD in one column for people).
    """
    FROM_SCRATCH_SUMMARY.check_mapping(summaries, "summaries")
    rows = []
    for network, df in summaries.items():
        for _, record in df.iterrows():
            row = {column: record.get(column) for column in FROM_SCRATCH_TABLE.columns}
            row["network"] = str(network)
            row["architecture"] = str(record["architecture"])
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


# --------------------------------------------------------------------------------------------
# Markdown as a page a browser draws (the claims page of the HTML report)
# --------------------------------------------------------------------------------------------

_PAGE_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 14px;
       line-height: 1.45; max-width: 72em; margin: 1em; padding: 0; color: #222; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 13px; display: block;
        overflow-x: auto; max-width: 100%; }
th, td { border-top: 1px solid #ccc; border-bottom: 1px solid #ccc; padding: 0.25em 0.6em; }
th { background: #f3f3f3; text-align: left; }
td[style*="right"], th[style*="right"] { white-space: nowrap; }
code { background: #f3f3f3; padding: 0 0.2em; border-radius: 3px; }
h1, h2, h3 { line-height: 1.2; }
"""


def markdown_page(markdown: str, title: str) -> str:
    """A standalone HTML page of ``markdown`` (CommonMark with GitHub tables), for a browser.

    Uses ``markdown-it-py``, which ``rich`` (a dependency) brings; raw HTML in the text is
    escaped, not passed through.
    """
    from html import escape

    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(str(markdown))
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{escape(title)}</title>\n<style>{_PAGE_STYLE}</style>\n</head>\n"
            f"<body>\n{body}</body>\n</html>\n")
