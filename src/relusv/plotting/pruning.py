"""Figure 5 and the pruning baselines: ranks and accuracy over harmonic pruning (section V).

Figure 5 (:func:`plot_harmonic_pruning`) draws ranks on the left axis and test accuracy on a
right twin axis, as the paper does; :func:`plot_pruning_baselines` compares harmonic pruning with
magnitude pruning and one-shot truncated SVD at equal parameter counts. Frames are checked
against :data:`relusv.tidy.PRUNING` and :data:`relusv.tidy.BASELINES`.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

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


#: Line style of each replicate (1st, 2nd, ... seed in increasing order) in Figure 5 and the
#: baselines figure: ranks and accuracy of one replicate share it.
REPLICATE_LINESTYLES = ("-", "--", ":", "-.")


def _sorted_by_iteration(df: pd.DataFrame) -> pd.DataFrame:
    data = df.assign(iteration=pd.to_numeric(df["iteration"], errors="coerce"))
    return data.dropna(subset=["iteration"]).sort_values("iteration", kind="stable")


def _draw_harmonic(ax, twin, df: pd.DataFrame, ranks: list[str], colors: dict,
                   threshold: float, linestyle: str = "-", suffix: str = ""):
    """One replicate's ranks per layer on ``ax`` and test accuracy on ``twin``.

    Returns the mark of :func:`relusv.tidy.last_iteration_before_drop` (the last iteration
    before test accuracy drops below ``threshold`` for good, and the ranks there) or None; the
    mark is drawn as a thin vertical line (gid ``permanent_drop<suffix>``) and a triangle on the
    accuracy curve. Every gid ends in ``suffix`` (``""`` or ``"/seed<s>"``).
    """
    data = _sorted_by_iteration(df)
    if data.empty:
        return None
    x = data["iteration"].to_numpy(dtype=float)
    for column in ranks:
        layer = int(column.split("_")[1])
        ax.plot(x, pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float),
                color=colors[layer], linestyle=linestyle, label=f"rank, layer {layer}",
                gid=f"rank/layer{layer}{suffix}")
    accuracy = pd.to_numeric(data["test_accuracy"], errors="coerce").to_numpy(dtype=float)
    twin.plot(x, accuracy, color=ACCURACY_COLOR, linestyle=linestyle, linewidth=1.0,
              label="test accuracy", gid=f"test_accuracy{suffix}")
    before = last_iteration_before_drop(df, threshold)
    if before is None:
        return None
    last, last_ranks = before
    pos = int(np.flatnonzero(x == last)[0])
    ax.axvline(last, color="0.45", linestyle="-", linewidth=0.6, alpha=0.8, zorder=1.5,
               gid=f"permanent_drop{suffix}")
    twin.plot([last], [accuracy[pos]], marker="v", markersize=5, color=ACCURACY_COLOR,
              linestyle="none", gid=f"permanent_drop_marker{suffix}")
    return last, last_ranks


def _drop_text(marks: list, threshold: float) -> str:
    """The note under a Figure 5 panel: per replicate, N and the ranks there (or none)."""
    def one(mark):
        if mark is None:
            return f"never below {threshold:.0%} for good"
        last, ranks = mark
        return f"iteration {last}, ranks ({', '.join(str(r) for r in ranks)})"

    if len(marks) == 1:
        mark = marks[0][1]
        if mark is None:
            return f"test accuracy {one(mark)}"
        return f"last iteration before {threshold:.0%} for good:\n{one(mark)}"
    lines = [f"last iteration before {threshold:.0%} for good:"]
    lines += [f"replicate {i + 1} (seed {seed}): {one(mark)}"
              for i, (seed, mark) in enumerate(marks)]
    return "\n".join(lines)


def plot_harmonic_pruning(pruning_by_network: Mapping[str, pd.DataFrame],
                          threshold: float = ACCURACY_THRESHOLD):
    """Figure 5: ranks of the hidden layers and test accuracy over harmonic pruning iterations.

    One panel per network, in the order of the dict (the paper: (a) CIFAR-10, (b) MNIST). Left
    axis: the rank of each hidden layer against the pruning iteration (0 = the trained network),
    one line per layer in the layer colours of the other figures. Right axis (a twin, not a
    panel): test accuracy as a fraction, black, with the ``threshold`` as a dotted grey line. A
    thin vertical line and a triangle on the accuracy curve mark the paper's convention:
    accuracy "drops permanently below ``threshold`` after iteration N; before that drop the
    ranks were (r1, r2, r3)", with N and the ranks from
    :func:`relusv.tidy.last_iteration_before_drop` (the numbers claim C6 reports); no mark if
    accuracy never drops for good or is below ``threshold`` from the start. N and the ranks are
    written under the panel's x label (gid ``permanent_drop_label``), clear of the curves.

    A table whose ``seed`` column holds several values (replicates: the network pruned under
    several seeds) draws every replicate: ranks and accuracy of the i-th seed (in increasing
    order) share the line style ``REPLICATE_LINESTYLES[i]`` (solid, dashed, dotted), gids end
    in ``/seed<s>``, each replicate gets its own mark, and the note under the panel lists N and
    the ranks per replicate. No ``seed`` column, or one seed: solid lines only.

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
    threshold = float(threshold)
    rank_cols = {}
    for name, df in frames.items():
        rank_cols[name] = rank_columns(df)
        if not rank_cols[name]:
            raise ValueError(f"pruning_by_network[{name!r}] has no rank_<layer> columns; "
                             f"it has {list(df.columns)}")
    ensure_style()
    names = list(frames)
    n = len(names)
    most = max(max(len(replicate_seeds(df)), 1) for df in frames.values())
    height = PANEL_WIDTH * 0.85 + 0.13 * (most + 1) + (0.3 if n == 1 else 0.0)
    fig, axes = plt.subplots(1, n, figsize=(n * PANEL_WIDTH, height), layout="constrained",
                             squeeze=False)
    layers = sorted({int(c.split("_")[1]) for cols in rank_cols.values() for c in cols})
    colors = layer_colors(layers)
    any_drop = False
    for j, name in enumerate(names):
        ax, df = axes[0, j], frames[name]
        twin = ax.twinx()
        twin.spines["right"].set_visible(True)
        twin.grid(False)
        twin.set_ylim(0.0, 1.02)
        twin.set_ylabel("test accuracy", color=ACCURACY_COLOR)
        ax.set_xlabel("pruning iteration")
        ax.set_ylabel("rank")
        integer_ticks(ax, "x")
        integer_ticks(ax, "y")
        panel_label(ax, chr(ord("a") + j), name)
        if _sorted_by_iteration(df).empty:
            no_data(ax)
            continue
        twin.axhline(threshold, color="0.6", linestyle=(0, (1, 2)), linewidth=0.7,
                     gid="threshold")
        seeds = replicate_seeds(df)
        marks = []
        if len(seeds) > 1:
            for i, seed in enumerate(seeds):
                style = REPLICATE_LINESTYLES[i % len(REPLICATE_LINESTYLES)]
                marks.append((seed, _draw_harmonic(ax, twin, df[df["seed"] == seed],
                                                   rank_cols[name], colors, threshold, style,
                                                   f"/seed{seed}")))
        else:
            marks.append((seeds[0] if seeds else None,
                          _draw_harmonic(ax, twin, df, rank_cols[name], colors, threshold)))
        ax.set_ylim(bottom=0)
        any_drop = any_drop or any(mark is not None for _, mark in marks)
        # under the x label, from the panel's left edge: never over a curve
        ax.annotate(_drop_text(marks, threshold), xy=(0.0, 0.0),
                    xycoords=(ax.transAxes, ax.xaxis.label), xytext=(0, -2),
                    textcoords="offset points", ha="left", va="top", fontsize=MIN_FONT_SIZE,
                    color="0.2", gid="permanent_drop_label", annotation_clip=False)
    handles = [Line2D([], [], color=colors[layer], linestyle="-", label=f"layer {layer}")
               for layer in layers]
    handles.append(Line2D([], [], color=ACCURACY_COLOR, linestyle="-", linewidth=1.0,
                          label="accuracy (right)"))
    if most > 1:
        handles += [Line2D([], [], color="0.4",
                           linestyle=REPLICATE_LINESTYLES[i % len(REPLICATE_LINESTYLES)],
                           label=f"replicate {i + 1}") for i in range(most)]
    if any_drop:
        handles.append(Line2D([], [], color="0.45", linestyle="-", linewidth=0.6, marker="v",
                              markersize=5, markerfacecolor=ACCURACY_COLOR,
                              markeredgecolor=ACCURACY_COLOR,
                              label=f"last iteration \u2265 {threshold:.0%}"))
    figure_legend(fig, handles, ncol=len(handles) if n >= 2 else 3)
    fit_titles(fig)
    return fig


def _replicate_band(curves, log_x: bool):
    """Mean and min-max over replicates of accuracy-against-parameters curves.

    Each replicate's curve (``(parameters, accuracy)``, any order) is sorted by parameters and
    interpolated (linearly in log parameters when ``log_x``) at the union of every replicate's
    parameter counts inside the range all replicates cover, so no line jumps between seeds.

    Returns ``(x, mean, min, max)`` (empty arrays when the ranges do not overlap).
    """
    curves = [(np.asarray(x, float), np.asarray(y, float)) for x, y in curves]
    curves = [(x[np.isfinite(x) & np.isfinite(y)], y[np.isfinite(x) & np.isfinite(y)])
              for x, y in curves]
    curves = [c for c in curves if c[0].size]
    if not curves:
        return (np.array([]),) * 4
    lo = max(x.min() for x, _ in curves)
    hi = min(x.max() for x, _ in curves)
    grid = np.unique(np.concatenate([x for x, _ in curves]))
    grid = grid[(grid >= lo) & (grid <= hi)]
    if grid.size == 0:
        return (np.array([]),) * 4
    log = log_x and lo > 0

    def at(x, y):
        order = np.argsort(x, kind="stable")
        xs, ys = x[order], y[order]
        xs, first = np.unique(xs, return_index=True)  # one point per count: the first
        ys = np.array([y_[0] for y_ in np.split(ys, first[1:])]) if xs.size > 1 else ys[:1]
        if log:
            return np.interp(np.log(grid), np.log(xs), ys)
        return np.interp(grid, xs, ys)

    values = np.vstack([at(x, y) for x, y in curves])
    return grid, values.mean(axis=0), values.min(axis=0), values.max(axis=0)


def plot_pruning_baselines(baselines_by_network: Mapping[str, pd.DataFrame],
                           log_x: bool = True):
    """Test accuracy against parameter count for harmonic pruning and two baselines.

    One panel per network, in the order of the dict. One line per method present, sorted by
    parameter count: harmonic pruning (black, solid; its iterations), global magnitude pruning
    (dashed, circles) and one-shot truncated SVD of every layer (dotted, squares), the latter two
    at harmonic pruning's parameter budgets. The x axis is logarithmic when ``log_x`` and every
    parameter count is positive.

    A frame whose ``seed`` column holds several values (replicates) is drawn per method as the
    mean over the seeds with a min-max band (gid ``band/method/<method>``), each seed's curve
    interpolated at the parameter counts of all seeds (:func:`_replicate_band`): the seeds'
    points are never joined into one zig-zag line.

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
    replicated = 0
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
        seeds = replicate_seeds(df)
        accuracy = pd.to_numeric(df["test_accuracy"], errors="coerce").to_numpy(dtype=float)
        for method in METHOD_LABELS:
            mask = ((df["method"].astype(str) == method) & parameters.notna()).to_numpy()
            if not mask.any():
                continue
            style = styles[method]
            line = {"color": style["color"], "linestyle": style["linestyle"],
                    "linewidth": 1.1 if method == "harmonic" else 1.0,
                    "label": METHOD_LABELS[method], "gid": f"method/{method}"}
            if len(seeds) > 1:
                curves = [(parameters.to_numpy(dtype=float)[mask & (df["seed"] == s).to_numpy()],
                           accuracy[mask & (df["seed"] == s).to_numpy()]) for s in seeds]
                x, mean, low, high = _replicate_band(curves, log_x)
                if x.size == 0:
                    continue
                rgb = matplotlib.colors.to_rgb(style["color"])
                ax.fill_between(x, low, high, facecolor=(*rgb, 0.12), edgecolor=(*rgb, 0.45),
                                linewidth=0.5, linestyle=style["linestyle"],
                                gid=f"band/method/{method}")
                ax.plot(x, mean, **line)
                replicated = max(replicated, len(seeds))
            else:
                x = parameters.to_numpy(dtype=float)[mask]
                order = np.argsort(x, kind="stable")
                ax.plot(x[order], accuracy[mask][order], marker=style["marker"], markersize=3,
                        **line)
            if method not in drawn:
                drawn.append(method)
        if log_x and (parameters.dropna() > 0).all():
            log_ticks(ax, parameters.dropna(), "x")
    # markers only where the lines have them: single seeds (a mean over seeds has none)
    handles = [Line2D([], [], color=styles[m]["color"], linestyle=styles[m]["linestyle"],
                      marker=None if replicated else styles[m]["marker"], markersize=3,
                      label=METHOD_LABELS[m])
               for m in METHOD_LABELS if m in drawn]
    if replicated:
        handles.append(Patch(facecolor="0.2", alpha=0.25, linewidth=0,
                             label=f"mean over {replicated} seeds, band: min-max"))
    figure_legend(fig, handles, ncol=2 if n == 1 else None)
    fit_titles(fig)
    return fig
