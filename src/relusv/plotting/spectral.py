"""Figures 1-4 and Appendix A: ReLU layers, their singular value bounds and Gaussian mean widths.

Figure 1 (:func:`plot_relu_layer`) shows what ReLU does to the unit disk, Figure 2
(:func:`plot_random_layers`) linear singular values against ReLU singular value bounds of random
layers, Figure 3 (:func:`plot_relu_singular_values`) the data-dependent bounds of trained
networks, Figure 4 (:func:`plot_gaussian_mean_width`) the Gaussian mean width of each layer over
training, and :func:`plot_appendix` all three quantities for one network (sections II-IV,
Appendix A). Frames are checked against :mod:`relusv.tidy`.

The curves are drawn group by group with ``Axes.plot`` rather than ``seaborn.lineplot``: the
frames already hold one value per (layer, subset, k) together with a precomputed standard error,
so there is nothing for seaborn to aggregate, and drawing each group explicitly keeps the style
mapping exact (the tests check it line by line).

Replicates. A frame whose ``seed`` column holds more than one value holds one curve per
replicate (the network trained under several seeds): Figures 3, 4 and the appendix then draw,
per (layer, subset), the mean over the replicates as the line and their min-max as a band in
the same colour, and the figure legend says so (the figure is 0.3 in taller to make room for
that entry). A frame with no ``seed`` column, or one seed, is drawn as before.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import NullFormatter

from relusv._validation import as_finite_array, check_positive_int
from relusv.plotting.style import (
    PANEL_WIDTH,
    SUBSET_LINESTYLES,
    all_layers,
    all_subsets,
    ensure_style,
    figure_legend,
    fit_titles,
    integer_ticks,
    layer_colors,
    legend_handles,
    no_data,
    palette_colors,
    panel_label,
    subsets_in,
)
from relusv.tidy import BOUNDS, RANDOM_LAYERS, WIDTHS, replicate_seeds

__all__ = [
    "plot_appendix",
    "plot_gaussian_mean_width",
    "plot_random_layers",
    "plot_relu_layer",
    "plot_relu_singular_values",
]


# --------------------------------------------------------------------------------------------
# curves shared by Figures 3, 4 and the appendix
# --------------------------------------------------------------------------------------------


def _subset_layer_groups(df: pd.DataFrame, by: str):
    """Yield ``(subset, layer, rows sorted by by)``: subsets in drawing order, then layers."""
    for subset in subsets_in(df):
        for layer, group in df[df["subset"] == subset].groupby("layer", sort=True):
            yield subset, int(layer), group.sort_values(by)


def _replicated(df: pd.DataFrame) -> bool:
    """Whether ``df`` holds several replicates: a ``seed`` column with more than one value."""
    return len(replicate_seeds(df)) > 1


def _replicate_handles(frames) -> list:
    """The legend entry of the replicate bands (none if no frame holds several replicates)."""
    counts = sorted({len(replicate_seeds(df)) for df in frames if _replicated(df)})
    if not counts:
        return []
    n = str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}"
    return [Patch(facecolor="0.2", alpha=0.25, linewidth=0,
                  label=f"mean over {n} seeds, band: min-max")]


def _stderr_handles(frames) -> list:
    """The legend entry of the standard-error bands of single-seed widths (none without)."""
    if any(not df.empty and not _replicated(df) for df in frames):
        return [Patch(facecolor="0.2", alpha=0.25, linewidth=0,
                      label="band: \u00b11 standard error over Gaussian draws")]
    return []


#: Extra figure height (inches) for the legend's replicate entry, which may take a row of its own.
_REPLICATE_LEGEND_ROOM = 0.3


def _legend_room(frames) -> float:
    """Inches to add to a figure's height for its band legend entries (0 without one)."""
    return _REPLICATE_LEGEND_ROOM if _replicate_handles(frames) or _stderr_handles(
        [df for df in frames if "epoch" in df.columns]) else 0.0


#: Opacity of every band's fill (min-max over seeds, or +-1 standard error): light enough that
#: the bands of six curves in one panel do not merge into a wash; a thin edge in the curve's
#: colour and line style (opacity :data:`BAND_EDGE_ALPHA`) shows where each band ends.
BAND_ALPHA = 0.10
BAND_EDGE_ALPHA = 0.45


def _band_style(color, linestyle) -> dict:
    """``fill_between`` arguments of a band: a light fill and a thin edge of the curve's style."""
    rgb = matplotlib.colors.to_rgb(color)
    return {"facecolor": (*rgb, BAND_ALPHA), "edgecolor": (*rgb, BAND_EDGE_ALPHA),
            "linewidth": 0.5, "linestyle": linestyle}


def _draw_replicates(ax, df: pd.DataFrame, x: str, y: str, colors: dict, what: str,
                     **line) -> None:
    """Per (subset, layer) the mean over seeds of ``y`` against ``x`` and a min-max band.

    The band is a ``fill_between`` in the layer's colour (alpha 0.2, gid
    ``band/<what>/layer<L>/<subset>``), the line the mean (gid ``<what>/layer<L>/<subset>``),
    solid for correct and dashed for incorrect data; ``line`` passes on to ``Axes.plot``.
    """
    for subset, layer, group in _subset_layer_groups(df, x):
        stats = group.groupby(x, sort=True)[y].agg(["mean", "min", "max"])
        xs = stats.index.to_numpy(dtype=float)
        color = colors[layer]
        ax.fill_between(xs, stats["min"].to_numpy(dtype=float),
                        stats["max"].to_numpy(dtype=float),
                        gid=f"band/{what}/layer{layer}/{subset}",
                        **_band_style(color, SUBSET_LINESTYLES[subset]))
        ax.plot(xs, stats["mean"].to_numpy(dtype=float), color=color,
                linestyle=SUBSET_LINESTYLES[subset], label=f"layer {layer}, {subset}",
                gid=f"{what}/layer{layer}/{subset}", **line)


def _draw_bounds(ax, df: pd.DataFrame, colors: dict) -> None:
    """ReLU SV bound curves of ``df``: colour = layer, line style = subset.

    With several replicates (:func:`relusv.tidy.replicate_seeds`): the mean bound over seeds
    per k, with a min-max band.
    """
    if df.empty:
        no_data(ax)
        return
    if _replicated(df):
        _draw_replicates(ax, df, "k", "bound", colors, "bound")
    else:
        for subset, layer, group in _subset_layer_groups(df, "k"):
            ax.plot(group["k"].to_numpy(), group["bound"].to_numpy(dtype=float),
                    color=colors[layer], linestyle=SUBSET_LINESTYLES[subset],
                    label=f"layer {layer}, {subset}", gid=f"bound/layer{layer}/{subset}")
    _rank_axes(ax, r"bound on $s_k^X$ (symlog)")
    _symlog_bounds(ax, df["bound"])


#: The linear part of Figure 3's symlog axis spans at least this fraction of the largest bound.
BOUND_FLOOR = 1e-3


def _symlog_bounds(ax, values) -> None:
    """A symmetric-log y axis from 0 for bounds that reach exact zeros.

    The bounds span decades (``k = 0`` is far above the tail) and are exactly 0 past the data's
    rank, so a log axis cannot show them. Symlog is logarithmic above ``linthresh`` and linear
    below it, down to 0 at the bottom: ``linthresh`` is the power of ten at or below the smallest
    positive bound, but at least :data:`BOUND_FLOOR` of the largest (values under that sit in
    the linear strip above 0).
    """
    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    top = float(v.max()) if v.size else 0.0
    if top <= 0:
        return
    positive = v[v > 1e-9 * top]
    floor = max(float(positive.min()), BOUND_FLOOR * top)
    linthresh = 10.0 ** np.floor(np.log10(floor))
    ax.set_yscale("symlog", linthresh=linthresh, linscale=0.6)
    ax.set_ylim(0.0, top * 1.4)
    ax.yaxis.set_minor_formatter(NullFormatter())


def _draw_linear(ax, df: pd.DataFrame, colors: dict) -> None:
    """Linear singular value curves sigma_k(W) per layer (one per layer; subsets coincide).

    With several replicates (:func:`relusv.tidy.replicate_seeds`): the mean over seeds per k,
    with a min-max band (gid ``band/sigma/layer<L>``).
    """
    if df.empty:
        no_data(ax)
        return
    if _replicated(df):
        _draw_linear_replicates(ax, df, colors)
    else:
        linear = df.drop_duplicates(subset=["layer", "k"]).sort_values(["layer", "k"])
        for layer, group in linear.groupby("layer", sort=True):
            ax.plot(group["k"].to_numpy(), group["singular_value"].to_numpy(dtype=float),
                    color=colors[int(layer)], linestyle="-", label=f"layer {int(layer)}",
                    gid=f"sigma/layer{int(layer)}")
    _rank_axes(ax, r"$\sigma_k(W)$")


def _rank_axes(ax, ylabel: str) -> None:
    """An axis over the ranks: integer ``k`` on x, ``ylabel`` on y from 0."""
    ax.set_xlabel("index $k$")
    integer_ticks(ax)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)


def _draw_linear_replicates(ax, df: pd.DataFrame, colors: dict) -> None:
    """Mean sigma_k(W) over seeds per layer and k, with a min-max band; solid lines."""
    linear = df.drop_duplicates(subset=["seed", "layer", "k"])
    for layer, group in linear.groupby("layer", sort=True):
        stats = group.groupby("k", sort=True)["singular_value"].agg(["mean", "min", "max"])
        k = stats.index.to_numpy()
        color = colors[int(layer)]
        ax.fill_between(k, stats["min"].to_numpy(dtype=float), stats["max"].to_numpy(dtype=float),
                        gid=f"band/sigma/layer{int(layer)}", **_band_style(color, "-"))
        ax.plot(k, stats["mean"].to_numpy(dtype=float), color=color, linestyle="-",
                label=f"layer {int(layer)}", gid=f"sigma/layer{int(layer)}")


def _few_epochs(frames) -> bool:
    """Whether the widths figures mark every checkpoint: at most 12 epochs in every frame (one
    rule for all panels of a figure, so that each panel has markers or none does)."""
    return all(df.empty or df["epoch"].nunique() <= 12 for df in frames)


def _draw_widths(ax, df: pd.DataFrame, colors: dict, few: bool | None = None) -> None:
    """GMW against epoch with bands: colour = layer, line style = subset.

    One replicate: the width with a band of +-1 standard error of its Gaussian-draw estimate
    (``stderr``). Several replicates (:func:`relusv.tidy.replicate_seeds`): the mean width over
    seeds with the min-max over seeds as the band (``stderr`` is not drawn).
    """
    if df.empty:
        no_data(ax)
        return
    if few is None:
        few = _few_epochs([df])
    if _replicated(df):
        _draw_replicates(ax, df, "epoch", "width", colors, "width",
                         marker="o" if few else None, markersize=2.5)
    else:
        for subset, layer, group in _subset_layer_groups(df, "epoch"):
            x = group["epoch"].to_numpy(dtype=float)
            y = group["width"].to_numpy(dtype=float)
            se = group["stderr"].fillna(0.0).to_numpy(dtype=float)
            color = colors[layer]
            ax.fill_between(x, y - se, y + se, gid=f"stderr/width/layer{layer}/{subset}",
                            **_band_style(color, SUBSET_LINESTYLES[subset]))
            ax.plot(
                x,
                y,
                color=color,
                linestyle=SUBSET_LINESTYLES[subset],
                marker="o" if few else None,
                markersize=2.5,
                label=f"layer {layer}, {subset}",
                gid=f"width/layer{layer}/{subset}",
            )
    ax.set_xlabel("epoch")
    integer_ticks(ax)
    ax.set_ylabel("Gaussian mean width")


# --------------------------------------------------------------------------------------------
# Figure 1
# --------------------------------------------------------------------------------------------


def plot_relu_layer(weights, n_points: int = 2000):
    """Figure 1: the unit disk and its image under ``x -> relu(W x)`` for a 2x2 matrix W.

    Left panel: the unit circle (``n_points`` samples) and a polar grid of interior points,
    coloured by angle, with the two lines ``<w_i, x> = 0`` (rows ``w_i`` of W) that split the disk
    into the four sectors ReLU treats differently. Right panel: the image of the same points,
    drawn in the same colours, over the ellipse ``W S`` (the linear image of the circle, grey
    dotted). The sector where both ``<w_i, x>`` are negative collapses onto the origin and the two
    mixed sectors fold onto the coordinate axes; only one sector keeps its shape.

    Parameters
    ----------
    weights : (2, 2) array
    n_points : int
        Number of samples of the boundary circle; the interior grid has about as many points.

    Returns
    -------
    matplotlib.figure.Figure with 2 panels.
    """
    w = as_finite_array(weights, "weights", 2)
    if w.shape != (2, 2):
        raise ValueError(f"weights must have shape (2, 2), got {w.shape}")
    n_points = check_positive_int(n_points, "n_points")
    ensure_style()

    theta = np.linspace(0.0, 2.0 * np.pi, n_points, endpoint=False)
    circle = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    n_radii = 12
    n_angles = max(8, n_points // n_radii)
    radii = np.linspace(1.0 / n_radii, 1.0, n_radii)
    grid_theta = np.linspace(0.0, 2.0 * np.pi, n_angles, endpoint=False)
    rr, tt = np.meshgrid(radii, grid_theta, indexing="ij")
    grid = np.stack([rr.ravel() * np.cos(tt.ravel()), rr.ravel() * np.sin(tt.ravel())], axis=1)

    cmap = plt.get_cmap("hsv")
    circle_colors = cmap(theta / (2.0 * np.pi))
    grid_colors = cmap(tt.ravel() / (2.0 * np.pi))

    def layer(points):
        return np.maximum(points @ w.T, 0.0)

    fig, (ax_in, ax_out) = plt.subplots(
        1, 2, figsize=(2 * PANEL_WIDTH, PANEL_WIDTH * 0.95), layout="constrained"
    )
    ax_in.scatter(grid[:, 0], grid[:, 1], c=grid_colors, s=1.5, linewidths=0, rasterized=True)
    ax_in.scatter(circle[:, 0], circle[:, 1], c=circle_colors, s=2.5, linewidths=0)
    for i, row in enumerate(w):
        norm = np.linalg.norm(row)
        if norm > 0:
            direction = np.array([-row[1], row[0]]) / norm  # the line <row, x> = 0
            ax_in.plot(
                [-1.15 * direction[0], 1.15 * direction[0]],
                [-1.15 * direction[1], 1.15 * direction[1]],
                color="0.3",
                linestyle=":",
                linewidth=0.9,
                label=r"$\langle w_i, x\rangle = 0$" if i == 0 else None,
            )
    ax_in.set_xlim(-1.2, 1.2)
    ax_in.set_ylim(-1.2, 1.2)
    ax_in.set_aspect("equal")
    ax_in.set_xlabel("$x_1$")
    ax_in.set_ylabel("$x_2$")
    ax_in.legend(loc="lower left", handlelength=1.5)
    panel_label(ax_in, "a", "unit disk $B$")

    ellipse = circle @ w.T
    ax_out.plot(ellipse[:, 0], ellipse[:, 1], color="0.5", linestyle=":", linewidth=0.9,
                label="$W S$ (linear)")
    image_grid, image_circle = layer(grid), layer(circle)
    ax_out.scatter(image_grid[:, 0], image_grid[:, 1], c=grid_colors, s=1.5, linewidths=0,
                   rasterized=True)
    ax_out.scatter(image_circle[:, 0], image_circle[:, 1], c=circle_colors, s=2.5, linewidths=0)
    ax_out.axhline(0.0, color="0.2", linewidth=0.6)
    ax_out.axvline(0.0, color="0.2", linewidth=0.6)
    ax_out.plot([0.0], [0.0], marker="o", markersize=4, color="black", linestyle="none",
                label=r"image of $\{Wx \leq 0\}$")
    extent = 1.1 * max(float(np.abs(ellipse).max()), 1e-12)
    ax_out.set_xlim(-extent, extent)
    ax_out.set_ylim(-extent, extent)
    ax_out.set_aspect("equal")
    ax_out.set_xlabel(r"$\mathrm{relu}(Wx)_1$")
    ax_out.set_ylabel(r"$\mathrm{relu}(Wx)_2$")
    ax_out.legend(loc="lower left", handlelength=1.5)
    panel_label(ax_out, "b", r"image $\mathrm{relu}(W B)$")
    fit_titles(fig)
    return fig


# --------------------------------------------------------------------------------------------
# Figure 2
# --------------------------------------------------------------------------------------------


def plot_random_layers(df: pd.DataFrame, ncols: int = 2):
    """Figure 2: linear singular values vs ReLU singular value bounds of random layers.

    One panel per shape (in the order the shapes first appear in ``df``), three curves each:
    ``sigma_k(W)`` (grey, dotted, open circles, on top so that the bounds show through where
    they reach it), the paper's bound (``bound_sample``: the worst error over the optimisation
    sample; orange, dashed, crosses) and the refined bound (``bound_refined``: the worst error
    found on the sphere, capped by ``sigma_k``; the main curve, solid, small squares). The first
    random layer of each shape (smallest ``layer`` index) is drawn in full; further layers of
    the same shape, if any, are drawn faint behind it in the same styles, to show the spread
    over draws, and the legend says so.

    Parameters
    ----------
    df : DataFrame
        A :data:`relusv.tidy.RANDOM_LAYERS` table: ``shape, layer, k, singular_value,
        bound_sample, bound_refined`` (``m, n`` optional).
    ncols : int
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure with one panel per shape.
    """
    RANDOM_LAYERS.check(df, "df")
    if df.empty:
        raise ValueError("df has no rows: nothing to plot")
    ncols = check_positive_int(ncols, "ncols")
    ensure_style()
    shapes = [str(s) for s in pd.unique(df["shape"])]
    ncols = min(ncols, len(shapes))
    nrows = int(np.ceil(len(shapes) / ncols))
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(ncols * PANEL_WIDTH, nrows * PANEL_WIDTH * 0.72),
        layout="constrained",
        squeeze=False,
    )
    styles = _random_layer_styles()
    faint = False
    for index, ax in enumerate(axes.ravel()):
        if index >= len(shapes):
            ax.set_visible(False)
            continue
        shape = shapes[index]
        sub = df[df["shape"].astype(str) == shape]
        layers = sorted(sub["layer"].unique())
        faint = faint or len(layers) > 1
        for layer in layers[::-1]:  # the first layer last, so on top
            group = sub[sub["layer"] == layer].sort_values("k")
            first = layer == layers[0]
            k = group["k"].to_numpy()
            for column, style in styles.items():
                marker = style["marker"] if first else None
                ax.plot(k, group[column].to_numpy(dtype=float), color=style["color"],
                        linestyle=style["linestyle"], linewidth=style["linewidth"],
                        marker=marker, markersize=style["markersize"],
                        markerfacecolor=style["markerfacecolor"],
                        markeredgewidth=0.9, alpha=style["alpha"] if first else FAINT_ALPHA,
                        zorder=style["zorder"] - (0 if first else 1),
                        gid=f"{style['gid']}/{shape}/layer{int(layer)}")
        integer_ticks(ax)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("index $k$")
        ax.set_ylabel(r"$\sigma_k$ and bounds on $s_k$")
        extra = f", {len(layers)} draws" if len(layers) > 1 else ""
        panel_label(ax, chr(ord("a") + index), f"$W$: {shape}{extra}")
    handles = [
        Line2D([], [], color=style["color"], linestyle=style["linestyle"],
               linewidth=style["linewidth"], marker=style["marker"],
               markersize=style["markersize"], markerfacecolor=style["markerfacecolor"],
               markeredgewidth=0.9, alpha=style["alpha"], label=style["label"])
        for style in styles.values()
    ]
    if faint:
        handles.append(Line2D([], [], color="0.2", linestyle="-", linewidth=1.4,
                              alpha=FAINT_ALPHA + 0.1,
                              label="faint: further random draws of the same shape"))
    figure_legend(fig, handles)
    fit_titles(fig)
    return fig


#: The curves of Figure 2, in legend order.
_RANDOM_LAYER_CURVES = ("singular_value", "bound_sample", "bound_refined")
#: Opacity of the further draws of a shape in Figure 2.
FAINT_ALPHA = 0.18


def _random_layer_styles() -> dict[str, dict]:
    """Style of each curve of Figure 2 by column: sigma grey dotted with open circles on top
    (so the bounds show through where they reach sigma), the paper's bound orange dashed with
    crosses over the refined bound, blue solid with small filled squares (the main curve).
    Where the three coincide (small layers, the bounds at sigma), every marker stays visible."""
    main, second = palette_colors()[0], palette_colors()[1]
    return {
        "singular_value": {"color": "0.3", "linestyle": ":", "linewidth": 1.1, "marker": "o",
                           "markersize": 6, "markerfacecolor": "none", "alpha": 1.0,
                           "zorder": 2.6, "gid": "sigma", "label": r"$\sigma_k$ (linear)"},
        "bound_sample": {"color": second, "linestyle": "--", "linewidth": 1.0, "marker": "x",
                         "markersize": 5, "markerfacecolor": second, "alpha": 0.85,
                         "zorder": 2.4, "gid": "bound_sample",
                         "label": "paper's bound (worst on the sample)"},
        "bound_refined": {"color": main, "linestyle": "-", "linewidth": 1.4, "marker": "s",
                          "markersize": 2.5, "markerfacecolor": main, "alpha": 1.0,
                          "zorder": 2.2, "gid": "bound_refined",
                          "label": "refined bound (worst found on the sphere)"},
    }


# --------------------------------------------------------------------------------------------
# Figure 3
# --------------------------------------------------------------------------------------------


def plot_relu_singular_values(bounds_by_network: Mapping[str, pd.DataFrame]):
    """Figure 3: data-dependent affine ReLU SV bounds and linear SVs of trained networks.

    For N networks (the paper: two) a 2 x N grid: the top row, panels (a, b), shows the bounds on
    ``s_k^X`` per layer against ``k`` over correctly (solid) and incorrectly (dashed) classified
    data; the bottom row, panels (c, d), the linear singular values ``sigma_k(W)`` of each layer.
    Colour = layer throughout. Panel titles carry the letter and the network's name.

    A frame whose ``seed`` column holds several values (replicates: the network trained under
    several seeds) is drawn as the mean over seeds of each curve (bound and ``sigma_k`` per k)
    with a min-max band over seeds in the same colour and line style; the legend then reads
    "mean over n seeds, band: min-max". No ``seed`` column, or one seed: one curve per
    (layer, subset), no band.

    Parameters
    ----------
    bounds_by_network : dict of network name -> bounds DataFrame
        Columns ``network, layer, subset, k, bound, singular_value`` (``seed`` optional).

    Returns
    -------
    matplotlib.figure.Figure with 2 N panels.
    """
    frames = BOUNDS.check_mapping(bounds_by_network, "bounds_by_network")
    ensure_style()
    names = list(frames)
    n = len(names)
    fig, axes = plt.subplots(
        2, n, figsize=(n * PANEL_WIDTH, 2 * PANEL_WIDTH * 0.72 + _legend_room(frames.values())),
        layout="constrained",
        squeeze=False,
    )
    colors = layer_colors(all_layers(frames.values()))
    for j, name in enumerate(names):
        df = frames[name]
        _draw_bounds(axes[0, j], df, colors)
        panel_label(axes[0, j], chr(ord("a") + j), f"{name}: ReLU SV bounds")
        _draw_linear(axes[1, j], df, colors)
        panel_label(axes[1, j], chr(ord("a") + n + j), f"{name}: linear SVs")
    figure_legend(fig, legend_handles(colors, all_subsets(frames.values()))
                  + _replicate_handles(frames.values()))
    fit_titles(fig)
    return fig


# --------------------------------------------------------------------------------------------
# Figure 4
# --------------------------------------------------------------------------------------------


def plot_gaussian_mean_width(widths_by_network: Mapping[str, pd.DataFrame]):
    """Figure 4: Gaussian mean width of each layer's outputs over training, one panel per network.

    Width against epoch (0 = initialisation), colour = layer, correct data solid and incorrect
    dashed, each with a band of +-1 standard error over the Gaussian draws (``stderr``).

    A frame whose ``seed`` column holds several values (replicates) is drawn as the mean width
    over seeds per epoch, and the band is then the min-max over the seeds, not the standard
    error (the legend reads "mean over n seeds, band: min-max"). No ``seed`` column, or one
    seed: as above.

    Parameters
    ----------
    widths_by_network : dict of network name -> widths DataFrame
        Columns ``network, layer, subset, epoch, width, stderr`` (``seed`` optional).

    Returns
    -------
    matplotlib.figure.Figure with one panel per network.
    """
    frames = WIDTHS.check_mapping(widths_by_network, "widths_by_network")
    ensure_style()
    names = list(frames)
    n = len(names)
    fig, axes = plt.subplots(
        1, n, figsize=(n * PANEL_WIDTH, PANEL_WIDTH * 0.75 + _legend_room(frames.values())),
        layout="constrained", squeeze=False
    )
    colors = layer_colors(all_layers(frames.values()))
    few = _few_epochs(frames.values())
    for j, name in enumerate(names):
        _draw_widths(axes[0, j], frames[name], colors, few)
        panel_label(axes[0, j], chr(ord("a") + j), name)
    figure_legend(fig, legend_handles(colors, all_subsets(frames.values()))
                  + _stderr_handles(frames.values()) + _replicate_handles(frames.values()))
    fit_titles(fig)
    return fig


# --------------------------------------------------------------------------------------------
# Appendix A
# --------------------------------------------------------------------------------------------


def plot_appendix(network: str, bounds_df: pd.DataFrame, widths_df: pd.DataFrame):
    """Appendix A figure for one network: three panels, left to right as in the paper.

    (a) linear singular values ``sigma_k(W)`` of each layer, (b) bounds on the data-dependent
    ReLU singular values over correct (solid) and incorrect (dashed) data, (c) Gaussian mean
    width over training, correct solid and incorrect dashed with +-1 standard error bands.

    Either frame may hold replicates (a ``seed`` column with several values): its curves are
    then the means over seeds and every band is the min-max over seeds (the width's standard
    error is not drawn), as in :func:`plot_relu_singular_values` and
    :func:`plot_gaussian_mean_width`.

    Returns
    -------
    matplotlib.figure.Figure with 3 panels.
    """
    BOUNDS.check(bounds_df, "bounds_df")
    WIDTHS.check(widths_df, "widths_df")
    ensure_style()
    fig, axes = plt.subplots(
        1, 3, figsize=(3 * PANEL_WIDTH, PANEL_WIDTH * 0.75 + _legend_room([bounds_df, widths_df])),
        layout="constrained",
    )
    colors = layer_colors(all_layers([bounds_df, widths_df]))
    _draw_linear(axes[0], bounds_df, colors)
    panel_label(axes[0], "a", "linear SVs")
    _draw_bounds(axes[1], bounds_df, colors)
    panel_label(axes[1], "b", "ReLU SV bounds")
    _draw_widths(axes[2], widths_df, colors)
    panel_label(axes[2], "c", "Gaussian mean width")
    figure_legend(fig, legend_handles(colors, all_subsets([bounds_df, widths_df]))
                  + _stderr_handles([widths_df]) + _replicate_handles([bounds_df, widths_df]))
    fig.suptitle(str(network))
    fit_titles(fig)
    return fig

