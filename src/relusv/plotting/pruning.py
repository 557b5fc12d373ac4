"""Figure 5 and the pruning baselines: ranks and accuracy over harmonic pruning (section V).

Figure 5 (:func:`plot_harmonic_pruning`) draws ranks on the left axis and test accuracy on a
right twin axis, as the paper does; :func:`plot_pruning_baselines` compares harmonic pruning with
magnitude pruning and one-shot truncated SVD at equal parameter counts. Frames are checked
against :data:`relusv.tidy.PRUNING` and :data:`relusv.tidy.BASELINES`.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from relusv._validation import check_fraction
from relusv.plotting.style import (
    MIN_FONT_SIZE,
    PANEL_WIDTH,
    ensure_style,
    figure_legend,
    fit_titles,
    integer_ticks,
    layer_colors,
    log_ticks,
    no_data,
    palette_colors,
    panel_label,
)
from relusv.tidy import (
    BASELINES,
    PRUNING,
    last_iteration_before_drop,
    rank_columns,
    replicate_seeds,
)

__all__ = [
    "ACCURACY_COLOR",
    "ACCURACY_THRESHOLD",
    "METHOD_LABELS",
    "plot_harmonic_pruning",
    "plot_pruning_baselines",
]

#: Accuracy below which Figure 5 marks the network as failed for good (the paper's 50 %).
ACCURACY_THRESHOLD = 0.5
#: Colour of the test accuracy curve in Figure 5 (layers keep the layer palette).
ACCURACY_COLOR = "black"
#: Methods of the baselines figure, in drawing and legend order, with their names for people.
METHOD_LABELS = {
    "harmonic": "harmonic pruning",
    "magnitude": "magnitude pruning",
    "one_shot_svd": "one-shot truncated SVD",
}


def _method_styles() -> dict[str, dict]:
    # Not layer colours: these lines are methods. Black for the paper's method; the palette's
    # red and purple (indices 3, 4) for the baselines, clear of the first three layer colours.
    palette = palette_colors(5)
    return {
        "harmonic": {"color": "black", "linestyle": "-", "marker": None},
        "magnitude": {"color": palette[3], "linestyle": "--", "marker": "o"},
        "one_shot_svd": {"color": palette[4], "linestyle": ":", "marker": "s"},
    }


#: Line width of each replicate's test accuracy in Figure 5 when a network has several seeds.
REPLICATE_LINEWIDTH = 0.6


def _accuracy_curve(df: pd.DataFrame):
    """(iterations, test accuracies) of a pruning table, sorted by iteration, missing dropped."""
    data = df.assign(iteration=pd.to_numeric(df["iteration"], errors="coerce"))
    data = data.dropna(subset=["iteration"]).sort_values("iteration", kind="stable")
    return (data["iteration"].to_numpy(dtype=float),
            pd.to_numeric(data["test_accuracy"], errors="coerce").to_numpy(dtype=float))


def _draw_harmonic(ax, df: pd.DataFrame, ranks: list[str], colors: dict, threshold: float,
                   accuracy_linewidth: float = 1.0, accuracy_gid: str = "test_accuracy"):
    """Ranks per layer on ``ax``, test accuracy on a right twin; returns (twin, marked N or None).

    N and the ranks there come from :func:`relusv.tidy.last_iteration_before_drop`: the last
    iteration before test accuracy drops below ``threshold`` for good. The accuracy line has
    width ``accuracy_linewidth`` and gid ``accuracy_gid``.
    """
    twin = ax.twinx()
    twin.spines["right"].set_visible(True)
    twin.grid(False)
    twin.set_ylim(0.0, 1.02)
    twin.set_ylabel("test accuracy", color=ACCURACY_COLOR)
    ax.set_xlabel("pruning iteration")
    ax.set_ylabel("rank")
    integer_ticks(ax, "x")
    integer_ticks(ax, "y")
    data = df.copy()
    data["iteration"] = pd.to_numeric(data["iteration"], errors="coerce")
    data = data.dropna(subset=["iteration"]).sort_values("iteration", kind="stable")
    if data.empty:
        no_data(ax)
        return twin, None
    x = data["iteration"].to_numpy(dtype=float)
    for column in ranks:
        layer = int(column.split("_")[1])
        ax.plot(x, pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float),
                color=colors[layer], linestyle="-", label=f"rank, layer {layer}",
                gid=f"rank/layer{layer}")
    ax.set_ylim(bottom=0)
    accuracy = pd.to_numeric(data["test_accuracy"], errors="coerce").to_numpy(dtype=float)
    twin.axhline(threshold, color="0.6", linestyle=(0, (1, 2)), linewidth=0.7,
                 gid="threshold")
    twin.plot(x, accuracy, color=ACCURACY_COLOR, linestyle="-", linewidth=accuracy_linewidth,
              label="test accuracy", gid=accuracy_gid)
    before = last_iteration_before_drop(df, threshold)
    if before is None:
        return twin, None
    last, last_ranks = before
    pos = int(np.flatnonzero(x == last)[0])
    ax.axvline(last, color="0.35", linestyle="--", linewidth=0.8, gid="permanent_drop")
    twin.plot([last], [accuracy[pos]], marker="v", markersize=5, color=ACCURACY_COLOR,
              linestyle="none", gid="permanent_drop_marker")
    rank_text = ", ".join(str(r) for r in last_ranks)
    twin.annotate(f"below {threshold:.0%} after iteration {last}\n"
                  f"ranks before the drop ({rank_text})",
                  xy=(last, threshold), xytext=(-4, 6), textcoords="offset points",
                  ha="right", va="bottom", fontsize=MIN_FONT_SIZE, color="0.2",
                  gid="permanent_drop_label",
                  zorder=1.5,  # under the accuracy curve (lines are at 2)
                  annotation_clip=False,
                  bbox={"boxstyle": "round,pad=0.2", "facecolor": "white",
                        "edgecolor": "none", "alpha": 0.85})
    return twin, last


def plot_harmonic_pruning(pruning_by_network: Mapping[str, pd.DataFrame],
                          threshold: float = ACCURACY_THRESHOLD):
    """Figure 5: ranks of the hidden layers and test accuracy over harmonic pruning iterations.

    One panel per network, in the order of the dict (the paper: (a) CIFAR-10, (b) MNIST). Left
    axis: the rank of each hidden layer against the pruning iteration (0 = the trained network),
    one solid line per layer in the layer colours of the other figures. Right axis (a twin, not a
    panel): test accuracy as a fraction, black, with the ``threshold`` as a dotted grey line. A
    dashed vertical line and a triangle mark the paper's convention: accuracy "drops permanently
    below ``threshold`` after iteration N; before that drop the ranks were (r1, r2, r3)", with N
    and the ranks from :func:`relusv.tidy.last_iteration_before_drop` (the numbers claim C6
    reports); no mark if accuracy never drops for good or is below ``threshold`` from the start.

    A table whose ``seed`` column holds several values (replicates: the network pruned under
    several seeds) gets one thin black test accuracy line per replicate (gid
    ``test_accuracy/seed<s>``), while the ranks, the mark and its label are those of the first
    replicate (the smallest seed), which the panel title names. No ``seed`` column, or one seed:
    as above.

    Parameters
    ----------
    pruning_by_network : dict of network name -> DataFrame
        Harmonic pruning tables (:func:`relusv.pruning.pruning_frame`): ``iteration``,
        ``rank_1 ... rank_L``, ``test_accuracy``, optionally ``seed`` (other columns are
        ignored).
    threshold : float
        Accuracy in (0, 1) whose permanent crossing is marked.

    Returns
    -------
    matplotlib.figure.Figure with one panel per network (each with a twin accuracy axis).
    """
    frames = PRUNING.check_mapping(pruning_by_network, "pruning_by_network")
    check_fraction(threshold, "threshold")
    rank_cols = {}
    for name, df in frames.items():
        rank_cols[name] = rank_columns(df)
        if not rank_cols[name]:
            raise ValueError(f"pruning_by_network[{name!r}] has no rank_<layer> columns; "
                             f"it has {list(df.columns)}")
    ensure_style()
    names = list(frames)
    n = len(names)
    fig, axes = plt.subplots(
        1, n, figsize=(n * PANEL_WIDTH, PANEL_WIDTH * 0.8), layout="constrained", squeeze=False
    )
    layers = sorted({int(c.split("_")[1]) for cols in rank_cols.values() for c in cols})
    colors = layer_colors(layers)
    any_drop = False
    replicates = []
    for j, name in enumerate(names):
        ax, df = axes[0, j], frames[name]
        seeds = replicate_seeds(df)
        if len(seeds) > 1:
            replicates.append(len(seeds))
            first = df[df["seed"] == seeds[0]]
            twin, drop = _draw_harmonic(ax, first, rank_cols[name], colors, float(threshold),
                                        REPLICATE_LINEWIDTH, f"test_accuracy/seed{seeds[0]}")
            for seed in seeds[1:]:
                x, accuracy = _accuracy_curve(df[df["seed"] == seed])
                twin.plot(x, accuracy, color=ACCURACY_COLOR, linestyle="-",
                          linewidth=REPLICATE_LINEWIDTH, label="test accuracy",
                          gid=f"test_accuracy/seed{seed}")
            title = f"{name} (ranks: seed {seeds[0]})"
        else:
            _, drop = _draw_harmonic(ax, df, rank_cols[name], colors, float(threshold))
            title = name
        any_drop = any_drop or drop is not None
        panel_label(ax, chr(ord("a") + j), title)
    handles = [Line2D([], [], color=colors[layer], linestyle="-", label=f"layer {layer}")
               for layer in layers]
    if replicates:
        seeds = (str(replicates[0]) if min(replicates) == max(replicates)
                 else f"{min(replicates)}-{max(replicates)}")
        handles.append(Line2D([], [], color=ACCURACY_COLOR, linestyle="-",
                              linewidth=REPLICATE_LINEWIDTH,
                              label=f"test accuracy, {seeds} seeds (right)"))
    else:
        handles.append(Line2D([], [], color=ACCURACY_COLOR, linestyle="-", linewidth=1.0,
                              label="test accuracy (right)"))
    if any_drop:
        handles.append(Line2D([], [], color="0.35", linestyle="--", linewidth=0.8, marker="v",
                              markersize=5, markerfacecolor=ACCURACY_COLOR,
                              markeredgecolor=ACCURACY_COLOR,
                              label=f"last iteration before {threshold:.0%} for good"))
    figure_legend(fig, handles, ncol=len(handles) if n >= 2 else 2)
    fit_titles(fig)
    return fig


def plot_pruning_baselines(baselines_by_network: Mapping[str, pd.DataFrame],
                           log_x: bool = True):
    """Test accuracy against parameter count for harmonic pruning and two baselines.

    One panel per network, in the order of the dict. One line per method present, sorted by
    parameter count: harmonic pruning (black, solid; its iterations), global magnitude pruning
    (dashed, circles) and one-shot truncated SVD of every layer (dotted, squares), the latter two
    at harmonic pruning's parameter budgets. The x axis is logarithmic when ``log_x`` and every
    parameter count is positive.

    Parameters
    ----------
    baselines_by_network : dict of network name -> DataFrame
        Columns ``method`` (one of :data:`METHOD_LABELS`), ``parameters``, ``test_accuracy``
        (a fraction); ``network`` and ``val_accuracy`` are ignored.
    log_x : bool

    Returns
    -------
    matplotlib.figure.Figure with one panel per network.
    """
    frames = BASELINES.check_mapping(baselines_by_network, "baselines_by_network")
    for name, df in frames.items():
        unknown = sorted(set(df["method"].astype(str)) - set(METHOD_LABELS))
        if unknown:
            raise ValueError(f"baselines_by_network[{name!r}] has unknown method(s) {unknown}; "
                             f"expected {list(METHOD_LABELS)}")
    ensure_style()
    styles = _method_styles()
    names = list(frames)
    n = len(names)
    fig, axes = plt.subplots(
        1, n, figsize=(n * PANEL_WIDTH, PANEL_WIDTH * 0.8), layout="constrained", squeeze=False
    )
    drawn: list[str] = []
    for j, name in enumerate(names):
        ax, df = axes[0, j], frames[name].reset_index(drop=True)
        panel_label(ax, chr(ord("a") + j), name)
        ax.set_xlabel("parameters")
        ax.set_ylabel("test accuracy")
        ax.set_ylim(0.0, 1.02)
        parameters = pd.to_numeric(df["parameters"], errors="coerce")
        if df.empty or parameters.isna().all():
            no_data(ax)
            continue
        for method in METHOD_LABELS:
            mask = ((df["method"].astype(str) == method) & parameters.notna()).to_numpy()
            if not mask.any():
                continue
            x = parameters.to_numpy(dtype=float)[mask]
            y = pd.to_numeric(df["test_accuracy"], errors="coerce").to_numpy(dtype=float)[mask]
            order = np.argsort(x, kind="stable")
            style = styles[method]
            ax.plot(x[order], y[order], color=style["color"], linestyle=style["linestyle"],
                    marker=style["marker"], markersize=3,
                    linewidth=1.1 if method == "harmonic" else 1.0,
                    label=METHOD_LABELS[method], gid=f"method/{method}")
            if method not in drawn:
                drawn.append(method)
        if log_x and (parameters.dropna() > 0).all():
            log_ticks(ax, parameters.dropna(), "x")
    handles = [Line2D([], [], color=styles[m]["color"], linestyle=styles[m]["linestyle"],
                      marker=styles[m]["marker"], markersize=3, label=METHOD_LABELS[m])
               for m in METHOD_LABELS if m in drawn]
    figure_legend(fig, handles)
    fit_titles(fig)
    return fig
