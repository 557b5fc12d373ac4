"""Tables of the paper: Table I (training details of the two figure networks) and the appendix
table of every network, built from the training summaries the workflow writes per network.

A table is a pandas DataFrame with machine-friendly column names; :func:`write_table` writes it
as CSV (the columns as they are) and as Markdown and LaTeX for people (underscores in the column
names become spaces, numbers are formatted to four significant digits). Markdown and LaTeX are
written here rather than by pandas (``to_markdown`` needs ``tabulate``, ``to_latex`` needs
``jinja2``; neither is a dependency of the library). Every file is written atomically.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from relusv.results import write_text

#: Columns of :func:`network_table`, in order, and the summary key each comes from.
NETWORK_COLUMNS = {
    "network": "network",
    "dataset": "dataset",
    "widths": "widths",
    "parameters": "parameters",
    "epochs": "epochs",
    "batch_size": "batch_size",
    "optimizer": "optimizer",
    "learning_rate": "learning_rate",
    "train_accuracy": "train_accuracy",
    "val_accuracy": "val_accuracy",
    "test_accuracy": "test_accuracy",
    "seconds": "seconds",
}

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
        val_accuracy, test_accuracy, seconds``). A missing key gives an empty cell.
    networks : list of str, optional
        Keep only these networks, in this order (Table I: the two figure networks). Default:
        every summary, in the order given.

    Returns
    -------
    DataFrame with columns :data:`NETWORK_COLUMNS`: ``widths`` as ``"100-100-100"``, accuracies
    as fractions in [0, 1], ``seconds`` the wall-clock training time.
    """
    summaries = list(summaries)
    if not summaries:
        raise ValueError("summaries must hold at least one training summary")
    rows = []
    for i, summary in enumerate(summaries):
        if not isinstance(summary, Mapping) or "network" not in summary:
            raise ValueError(f"summaries[{i}] must be a dict with a 'network' key, got {summary!r}")
        row = {column: summary.get(key) for column, key in NETWORK_COLUMNS.items()}
        row["network"] = str(summary["network"])
        row["widths"] = _format_widths(summary.get("widths"))
        rows.append(row)
    table = pd.DataFrame(rows, columns=list(NETWORK_COLUMNS))
    if table["network"].duplicated().any():
        dup = sorted(table.loc[table["network"].duplicated(), "network"].unique())
        raise ValueError(f"duplicate network(s) in summaries: {dup}")
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
    for column in ("learning_rate", "train_accuracy", "val_accuracy", "test_accuracy", "seconds"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype(float)
    return table.reset_index(drop=True)


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
HEADERS = {"val_accuracy": "validation accuracy", "seconds": "training seconds"}


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
