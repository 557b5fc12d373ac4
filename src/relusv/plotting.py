"""Figures of the paper, drawn from the workflow's tidy CSVs (sections II-V, Appendix A).

One style for every figure, set in one place (:func:`apply_style`):

- colour = layer (a fixed palette, the same layer gets the same colour in every figure);
- line style = subset: correctly classified data solid, incorrectly classified data dashed, as
  the paper draws them (:data:`SUBSET_LINESTYLES`);
- seaborn's ``paper`` context, fonts of at least 7 pt at the sizes used here (about 3.5 in per
  panel column, so a figure reads at the width of one or two journal columns).

Each ``plot_*`` function takes tidy frames (one row per observation) and returns a matplotlib
:class:`~matplotlib.figure.Figure`; :func:`save_figure` writes it as PDF and PNG. The curves are
drawn group by group with ``Axes.plot`` rather than ``seaborn.lineplot``: the frames already hold
one value per (layer, subset, k) together with a precomputed standard error, so there is nothing
for seaborn to aggregate, and drawing each group explicitly keeps the style mapping exact (the
tests check it line by line).

Figure 5 (:func:`plot_harmonic_pruning`) draws ranks on the left axis and test accuracy on a
right twin axis, as the paper does; :func:`plot_pruning_baselines` compares harmonic pruning with
magnitude pruning and one-shot truncated SVD at equal parameter counts.

Panels. A *panel* is a visible data axes of the figure: colourbars and the twins made by
``twinx``/``twiny`` are not panels, nor are axes hidden with ``set_visible(False)``.
:func:`count_panels` implements this; :func:`save_figure` records the count in the metadata of
both files (PNG text chunk ``Panels``, PDF ``Subject`` and ``Keywords``) so a test can check a
figure's layout from its file alone.

Matplotlib runs on the Agg backend; this module never imports TensorFlow or Keras.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from relusv._validation import as_finite_array, check_positive_int  # noqa: E402
from relusv.files import atomic_path  # noqa: E402
from relusv.tidy import permanent_drop_iteration, rank_columns  # noqa: E402

#: Line style of each data subset: correct solid, incorrect dashed (as in the paper).
SUBSET_LINESTYLES = {"correct": "-", "incorrect": "--"}
#: Order in which subsets are drawn and listed in legends.
SUBSET_ORDER = ("correct", "incorrect")
#: Width of one panel column in inches (a journal column).
PANEL_WIDTH = 3.5
#: Smallest font size (points) any text of a figure gets.
MIN_FONT_SIZE = 7.0

_LAYER_PALETTE = "colorblind"
_style_applied = False

BOUNDS_COLUMNS = ("network", "layer", "subset", "k", "bound", "singular_value")
WIDTHS_COLUMNS = ("network", "layer", "subset", "epoch", "width", "stderr")
RANDOM_COLUMNS = ("shape", "layer", "k", "bound", "singular_value")


# --------------------------------------------------------------------------------------------
# style
# --------------------------------------------------------------------------------------------


def apply_style(context: str = "paper", font_scale: float = 1.0) -> None:
    """Set the seaborn theme, fonts and palette used by every figure of the project.

    Parameters
    ----------
    context : str
        A seaborn plotting context (``"paper"``, ``"notebook"``, ``"talk"``, ``"poster"``).
    font_scale : float
        Multiplier on the context's font sizes; sizes below :data:`MIN_FONT_SIZE` points are
        raised to it, so every label stays readable at column width.
    """
    global _style_applied
    if context not in ("paper", "notebook", "talk", "poster"):
        raise ValueError(
            f"context must be one of paper, notebook, talk, poster, got {context!r}"
        )
    if not np.isfinite(font_scale) or font_scale <= 0:
        raise ValueError(f"font_scale must be a positive number, got {font_scale!r}")
    sns.set_theme(
        context=context,
        style="ticks",
        palette=_LAYER_PALETTE,
        font_scale=font_scale,
        rc={
            "axes.grid": True,
            "grid.linewidth": 0.4,
            "grid.alpha": 0.5,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "lines.linewidth": 1.3,
            "legend.frameon": False,
            "savefig.bbox": "standard",
            "pdf.fonttype": 42,
            "figure.dpi": 100,
        },
    )
    for key in (
        "font.size",
        "axes.labelsize",
        "axes.titlesize",
        "xtick.labelsize",
        "ytick.labelsize",
        "legend.fontsize",
        "legend.title_fontsize",
        "figure.titlesize",
    ):
        value = matplotlib.rcParams[key]
        if isinstance(value, int | float) and value < MIN_FONT_SIZE:
            matplotlib.rcParams[key] = MIN_FONT_SIZE
    _style_applied = True


def _ensure_style() -> None:
    if not _style_applied:
        apply_style()


def layer_colors(layers) -> dict:
    """Map each layer index to its colour: the i-th smallest layer gets the i-th palette colour.

    Layers are mapped by sorted value, so layer 1 has the same colour in every figure as long as
    the figures show the same layers.
    """
    levels = sorted({int(layer) for layer in layers})
    palette = sns.color_palette(_LAYER_PALETTE, max(len(levels), 1))
    return {layer: palette[i % len(palette)] for i, layer in enumerate(levels)}


# --------------------------------------------------------------------------------------------
# saving
# --------------------------------------------------------------------------------------------


def count_panels(fig) -> int:
    """Number of panels of ``fig``: visible axes that are neither colourbars nor twin axes.

    A twin (from ``twinx``/``twiny``) shares its place with an earlier axes and is not counted;
    the first axes of each twinned group is.
    """
    seen: list = []
    count = 0
    for ax in fig.axes:
        if not ax.get_visible() or hasattr(ax, "_colorbar") or ax.get_label() == "<colorbar>":
            continue
        siblings = ax._twinned_axes.get_siblings(ax)
        if any(other is not ax and any(other is s for s in seen) for other in siblings):
            continue
        seen.append(ax)
        count += 1
    return count


def save_figure(fig, pdf_path, png_path, dpi: int = 200) -> int:
    """Save ``fig`` as PDF and PNG atomically, record its panel count, and close it.

    Each file is written to a temporary name in its target directory and moved into place with
    :func:`os.replace`, so no half-written figure ever sits under the final name. The number of
    panels (:func:`count_panels`) is stored in the PNG text chunk ``Panels`` and in the PDF's
    ``Subject`` (``"relusv figure, panels=N"``) and ``Keywords`` (``"panels=N"``).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    pdf_path, png_path : path-like
        Targets; their directories are created if missing.
    dpi : int
        Resolution of the PNG in dots per inch.

    Returns
    -------
    int
        The number of panels recorded.
    """
    dpi = check_positive_int(dpi, "dpi")
    try:
        panels = count_panels(fig)
        title = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
        pdf_meta = {"Subject": f"relusv figure, panels={panels}", "Keywords": f"panels={panels}",
                    "Creator": "relusv.plotting"}
        png_meta = {"Panels": str(panels), "Software": "relusv.plotting (matplotlib)"}
        if title:
            pdf_meta["Title"] = png_meta["Title"] = title
        with atomic_path(pdf_path) as tmp_pdf, atomic_path(png_path) as tmp_png:
            fig.savefig(tmp_pdf, format="pdf", metadata=pdf_meta)
            fig.savefig(tmp_png, format="png", dpi=dpi, metadata=png_meta)
        return panels
    finally:
        plt.close(fig)


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _check_frame(df, columns, name: str) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{name} is missing columns {missing}; it has {list(df.columns)}")
    return df


def _check_mapping(frames, columns, name: str) -> dict[str, pd.DataFrame]:
    if not isinstance(frames, Mapping) or len(frames) == 0:
        raise ValueError(f"{name} must be a non-empty dict of network name -> DataFrame")
    return {str(k): _check_frame(v, columns, f"{name}[{k!r}]") for k, v in frames.items()}


def _subsets_in(df: pd.DataFrame) -> list[str]:
    present = [str(s) for s in pd.unique(df["subset"])]
    unknown = [s for s in present if s not in SUBSET_LINESTYLES]
    if unknown:
        raise ValueError(f"unknown subset(s) {unknown}; expected {list(SUBSET_ORDER)}")
    return [s for s in SUBSET_ORDER if s in present]


def _panel_label(ax, letter: str, title: str) -> None:
    ax.set_title(f"({letter}) {title}", loc="left")


def _no_data(ax, message: str = "no data") -> None:
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", color="0.4")


def _draw_bounds(ax, df: pd.DataFrame, colors: dict) -> None:
    """ReLU SV bound curves of ``df``: colour = layer, line style = subset."""
    if df.empty:
        _no_data(ax)
        return
    for subset in _subsets_in(df):
        for layer, group in df[df["subset"] == subset].groupby("layer", sort=True):
            group = group.sort_values("k")
            ax.plot(
                group["k"].to_numpy(),
                group["bound"].to_numpy(dtype=float),
                color=colors[int(layer)],
                linestyle=SUBSET_LINESTYLES[subset],
                label=f"layer {int(layer)}, {subset}",
                gid=f"bound/layer{int(layer)}/{subset}",
            )
    ax.set_xlabel("index $k$")
    ax.set_ylabel(r"bound on $s_k^X$")
    ax.set_ylim(bottom=0)


def _draw_linear(ax, df: pd.DataFrame, colors: dict) -> None:
    """Linear singular value curves sigma_k(W) per layer (one per layer; subsets coincide)."""
    if df.empty:
        _no_data(ax)
        return
    linear = df.drop_duplicates(subset=["layer", "k"]).sort_values(["layer", "k"])
    for layer, group in linear.groupby("layer", sort=True):
        ax.plot(
            group["k"].to_numpy(),
            group["singular_value"].to_numpy(dtype=float),
            color=colors[int(layer)],
            linestyle="-",
            label=f"layer {int(layer)}",
            gid=f"sigma/layer{int(layer)}",
        )
    ax.set_xlabel("index $k$")
    ax.set_ylabel(r"$\sigma_k(W)$")
    ax.set_ylim(bottom=0)


def _draw_widths(ax, df: pd.DataFrame, colors: dict) -> None:
    """GMW against epoch with +-1 standard error bands: colour = layer, line style = subset."""
    if df.empty:
        _no_data(ax)
        return
    few = df["epoch"].nunique() <= 12
    for subset in _subsets_in(df):
        for layer, group in df[df["subset"] == subset].groupby("layer", sort=True):
            group = group.sort_values("epoch")
            x = group["epoch"].to_numpy(dtype=float)
            y = group["width"].to_numpy(dtype=float)
            se = group["stderr"].fillna(0.0).to_numpy(dtype=float)
            color = colors[int(layer)]
            ax.fill_between(x, y - se, y + se, color=color, alpha=0.2, linewidth=0)
            ax.plot(
                x,
                y,
                color=color,
                linestyle=SUBSET_LINESTYLES[subset],
                marker="o" if few else None,
                markersize=2.5,
                label=f"layer {int(layer)}, {subset}",
                gid=f"width/layer{int(layer)}/{subset}",
            )
    ax.set_xlabel("epoch")
    ax.set_ylabel("Gaussian mean width")


def _legend_handles(colors: dict, subsets) -> list:
    handles = [
        Line2D([], [], color=color, linestyle="-", label=f"layer {layer}")
        for layer, color in colors.items()
    ]
    handles += [
        Line2D([], [], color="0.2", linestyle=SUBSET_LINESTYLES[s], label=s) for s in subsets
    ]
    return handles


def _figure_legend(fig, handles, ncol=None) -> None:
    if not handles:
        return
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncol=ncol or len(handles),
        handlelength=2.4,
        columnspacing=1.2,
    )


def _all_subsets(frames) -> list[str]:
    present: set[str] = set()
    for df in frames:
        if not df.empty:
            present.update(_subsets_in(df))
    return [s for s in SUBSET_ORDER if s in present]


def _all_layers(frames) -> list[int]:
    layers: set[int] = set()
    for df in frames:
        layers.update(int(v) for v in df["layer"].unique())
    return sorted(layers)


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
    _ensure_style()

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
    _panel_label(ax_in, "a", "unit disk $B$")

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
    _panel_label(ax_out, "b", r"image $\mathrm{relu}(W B)$")
    return fig


# --------------------------------------------------------------------------------------------
# Figure 2
# --------------------------------------------------------------------------------------------


def plot_random_layers(df: pd.DataFrame, ncols: int = 2):
    """Figure 2: linear singular values vs ReLU singular value bounds of random layers.

    One panel per shape (in the order the shapes first appear in ``df``). The first random layer
    of each shape (smallest ``layer`` index) is drawn in full with markers: ``sigma_k(W)`` (grey,
    dotted) and the bound on ``s_k(relu(W .))`` (blue, solid). Further layers of the same shape,
    if any, are drawn faint behind it in the same styles, to show the spread over draws.

    Parameters
    ----------
    df : DataFrame with columns ``shape, layer, k, bound, singular_value`` (``m, n`` optional).
    ncols : int
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure with one panel per shape.
    """
    _check_frame(df, RANDOM_COLUMNS, "df")
    if df.empty:
        raise ValueError("df has no rows: nothing to plot")
    ncols = check_positive_int(ncols, "ncols")
    _ensure_style()
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
    sigma_color, bound_color = "0.35", sns.color_palette(_LAYER_PALETTE)[0]
    for index, ax in enumerate(axes.ravel()):
        if index >= len(shapes):
            ax.set_visible(False)
            continue
        shape = shapes[index]
        sub = df[df["shape"].astype(str) == shape]
        layers = sorted(sub["layer"].unique())
        for layer in layers[::-1]:  # the first layer last, so on top
            group = sub[sub["layer"] == layer].sort_values("k")
            first = layer == layers[0]
            alpha = 1.0 if first else 0.18
            marker = "o" if first else None
            k = group["k"].to_numpy()
            ax.plot(k, group["singular_value"].to_numpy(dtype=float), color=sigma_color,
                    linestyle=":", marker=marker, markersize=3, alpha=alpha,
                    gid=f"sigma/{shape}/layer{int(layer)}")
            ax.plot(k, group["bound"].to_numpy(dtype=float), color=bound_color, linestyle="-",
                    marker="s" if first else None, markersize=3, alpha=alpha,
                    gid=f"bound/{shape}/layer{int(layer)}")
        kmax = int(sub["k"].max())
        ax.set_xticks(range(0, kmax + 1, max(1, int(np.ceil((kmax + 1) / 8)))))
        ax.set_ylim(bottom=0)
        ax.set_xlabel("index $k$")
        ax.set_ylabel("value")
        extra = f", {len(layers)} draws" if len(layers) > 1 else ""
        _panel_label(ax, chr(ord("a") + index), f"$W$: {shape}{extra}")
    handles = [
        Line2D([], [], color=sigma_color, linestyle=":", marker="o", markersize=3,
               label=r"linear $\sigma_k(W)$"),
        Line2D([], [], color=bound_color, linestyle="-", marker="s", markersize=3,
               label=r"bound on ReLU $s_k(\mathrm{relu}(W\,\cdot))$"),
    ]
    _figure_legend(fig, handles)
    return fig


# --------------------------------------------------------------------------------------------
# Figure 3
# --------------------------------------------------------------------------------------------


def plot_relu_singular_values(bounds_by_network: Mapping[str, pd.DataFrame]):
    """Figure 3: data-dependent affine ReLU SV bounds and linear SVs of trained networks.

    For N networks (the paper: two) a 2 x N grid: the top row, panels (a, b), shows the bounds on
    ``s_k^X`` per layer against ``k`` over correctly (solid) and incorrectly (dashed) classified
    data; the bottom row, panels (c, d), the linear singular values ``sigma_k(W)`` of each layer.
    Colour = layer throughout. Panel titles carry the letter and the network's name.

    Parameters
    ----------
    bounds_by_network : dict of network name -> bounds DataFrame
        Columns ``network, layer, subset, k, bound, singular_value``.

    Returns
    -------
    matplotlib.figure.Figure with 2 N panels.
    """
    frames = _check_mapping(bounds_by_network, BOUNDS_COLUMNS, "bounds_by_network")
    _ensure_style()
    names = list(frames)
    n = len(names)
    fig, axes = plt.subplots(
        2, n, figsize=(n * PANEL_WIDTH, 2 * PANEL_WIDTH * 0.72), layout="constrained",
        squeeze=False,
    )
    colors = layer_colors(_all_layers(frames.values()))
    for j, name in enumerate(names):
        df = frames[name]
        _draw_bounds(axes[0, j], df, colors)
        _panel_label(axes[0, j], chr(ord("a") + j), f"{name}: ReLU SV bounds")
        _draw_linear(axes[1, j], df, colors)
        _panel_label(axes[1, j], chr(ord("a") + n + j), f"{name}: linear SVs")
    _figure_legend(fig, _legend_handles(colors, _all_subsets(frames.values())))
    return fig


# --------------------------------------------------------------------------------------------
# Figure 4
# --------------------------------------------------------------------------------------------


def plot_gaussian_mean_width(widths_by_network: Mapping[str, pd.DataFrame]):
    """Figure 4: Gaussian mean width of each layer's outputs over training, one panel per network.

    Width against epoch (0 = initialisation), colour = layer, correct data solid and incorrect
    dashed, each with a band of +-1 standard error over the Gaussian draws.

    Parameters
    ----------
    widths_by_network : dict of network name -> widths DataFrame
        Columns ``network, layer, subset, epoch, width, stderr``.

    Returns
    -------
    matplotlib.figure.Figure with one panel per network.
    """
    frames = _check_mapping(widths_by_network, WIDTHS_COLUMNS, "widths_by_network")
    _ensure_style()
    names = list(frames)
    n = len(names)
    fig, axes = plt.subplots(
        1, n, figsize=(n * PANEL_WIDTH, PANEL_WIDTH * 0.75), layout="constrained", squeeze=False
    )
    colors = layer_colors(_all_layers(frames.values()))
    for j, name in enumerate(names):
        _draw_widths(axes[0, j], frames[name], colors)
        _panel_label(axes[0, j], chr(ord("a") + j), name)
    _figure_legend(fig, _legend_handles(colors, _all_subsets(frames.values())))
    return fig


# --------------------------------------------------------------------------------------------
# Appendix A
# --------------------------------------------------------------------------------------------


def plot_appendix(network: str, bounds_df: pd.DataFrame, widths_df: pd.DataFrame):
    """Appendix A figure for one network: three panels, left to right as in the paper.

    (a) linear singular values ``sigma_k(W)`` of each layer, (b) bounds on the data-dependent
    ReLU singular values over correct (solid) and incorrect (dashed) data, (c) Gaussian mean
    width over training, correct solid and incorrect dashed with +-1 standard error bands.

    Returns
    -------
    matplotlib.figure.Figure with 3 panels.
    """
    _check_frame(bounds_df, BOUNDS_COLUMNS, "bounds_df")
    _check_frame(widths_df, WIDTHS_COLUMNS, "widths_df")
    _ensure_style()
    fig, axes = plt.subplots(
        1, 3, figsize=(3 * PANEL_WIDTH, PANEL_WIDTH * 0.75), layout="constrained"
    )
    colors = layer_colors(_all_layers([bounds_df, widths_df]))
    _draw_linear(axes[0], bounds_df, colors)
    _panel_label(axes[0], "a", "linear SVs")
    _draw_bounds(axes[1], bounds_df, colors)
    _panel_label(axes[1], "b", "ReLU SV bounds")
    _draw_widths(axes[2], widths_df, colors)
    _panel_label(axes[2], "c", "Gaussian mean width")
    _figure_legend(fig, _legend_handles(colors, _all_subsets([bounds_df, widths_df])))
    fig.suptitle(str(network))
    return fig


# --------------------------------------------------------------------------------------------
# Figure 5 and the pruning baselines (section V)
# --------------------------------------------------------------------------------------------

#: Columns a harmonic pruning table needs (besides ``rank_1 ... rank_L``).
PRUNING_COLUMNS = ("iteration", "test_accuracy")
#: Columns a baselines table needs.
BASELINE_COLUMNS = ("method", "parameters", "test_accuracy")
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
    palette = sns.color_palette(_LAYER_PALETTE, 5)
    return {
        "harmonic": {"color": "black", "linestyle": "-", "marker": None},
        "magnitude": {"color": palette[3], "linestyle": "--", "marker": "o"},
        "one_shot_svd": {"color": palette[4], "linestyle": ":", "marker": "s"},
    }


def _draw_harmonic(ax, df: pd.DataFrame, ranks: list[str], colors: dict, threshold: float):
    """Ranks per layer on ``ax``, test accuracy on a right twin; returns (twin, drop iteration)."""
    twin = ax.twinx()
    twin.spines["right"].set_visible(True)
    twin.grid(False)
    twin.set_ylim(0.0, 1.02)
    twin.set_ylabel("test accuracy", color=ACCURACY_COLOR)
    ax.set_xlabel("pruning iteration")
    ax.set_ylabel("rank")
    data = df.copy()
    data["iteration"] = pd.to_numeric(data["iteration"], errors="coerce")
    data = data.dropna(subset=["iteration"]).sort_values("iteration", kind="stable")
    if data.empty:
        _no_data(ax)
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
    twin.plot(x, accuracy, color=ACCURACY_COLOR, linestyle="-", linewidth=1.0,
              label="test accuracy", gid="test_accuracy")
    drop = permanent_drop_iteration(x, accuracy, threshold)
    if drop is not None:
        pos = int(np.flatnonzero(x == drop)[0])
        ax.axvline(drop, color="0.35", linestyle="--", linewidth=0.8, gid="permanent_drop")
        twin.plot([drop], [accuracy[pos]], marker="v", markersize=5, color=ACCURACY_COLOR,
                  linestyle="none", gid="permanent_drop_marker")
        rank_text = ", ".join(str(int(data[c].iloc[pos])) for c in ranks)
        twin.annotate(f"iteration {drop}\nranks ({rank_text})", xy=(drop, threshold),
                      xytext=(-4, 6), textcoords="offset points", ha="right", va="bottom",
                      fontsize=MIN_FONT_SIZE, color="0.2", gid="permanent_drop_label",
                      zorder=1.5,  # under the accuracy curve (lines are at 2)
                      bbox={"boxstyle": "round,pad=0.2", "facecolor": "white",
                            "edgecolor": "none", "alpha": 0.85})
    return twin, drop


def plot_harmonic_pruning(pruning_by_network: Mapping[str, pd.DataFrame],
                          threshold: float = ACCURACY_THRESHOLD):
    """Figure 5: ranks of the hidden layers and test accuracy over harmonic pruning iterations.

    One panel per network, in the order of the dict (the paper: (a) CIFAR-10, (b) MNIST). Left
    axis: the rank of each hidden layer against the pruning iteration (0 = the trained network),
    one solid line per layer in the layer colours of the other figures. Right axis (a twin, not a
    panel): test accuracy as a fraction, black, with the ``threshold`` as a dotted grey line. A
    dashed vertical line and a triangle mark the first iteration from which test accuracy stays
    below ``threshold`` to the end (:func:`relusv.tidy.permanent_drop_iteration`, the iteration
    claim C6 reports), annotated with the ranks there; none if accuracy ends above it.

    Parameters
    ----------
    pruning_by_network : dict of network name -> DataFrame
        Harmonic pruning tables (:func:`relusv.pruning.pruning_frame`): ``iteration``,
        ``rank_1 ... rank_L``, ``test_accuracy`` (other columns are ignored).
    threshold : float
        Accuracy in (0, 1) whose permanent crossing is marked.

    Returns
    -------
    matplotlib.figure.Figure with one panel per network (each with a twin accuracy axis).
    """
    frames = _check_mapping(pruning_by_network, PRUNING_COLUMNS, "pruning_by_network")
    if not (isinstance(threshold, int | float) and 0 < threshold < 1):
        raise ValueError(f"threshold must be a number in (0, 1), got {threshold!r}")
    rank_cols = {}
    for name, df in frames.items():
        rank_cols[name] = rank_columns(df)
        if not rank_cols[name]:
            raise ValueError(f"pruning_by_network[{name!r}] has no rank_<layer> columns; "
                             f"it has {list(df.columns)}")
    _ensure_style()
    names = list(frames)
    n = len(names)
    fig, axes = plt.subplots(
        1, n, figsize=(n * PANEL_WIDTH, PANEL_WIDTH * 0.8), layout="constrained", squeeze=False
    )
    layers = sorted({int(c.split("_")[1]) for cols in rank_cols.values() for c in cols})
    colors = layer_colors(layers)
    any_drop = False
    for j, name in enumerate(names):
        ax = axes[0, j]
        _, drop = _draw_harmonic(ax, frames[name], rank_cols[name], colors, float(threshold))
        any_drop = any_drop or drop is not None
        _panel_label(ax, chr(ord("a") + j), name)
    handles = [Line2D([], [], color=colors[layer], linestyle="-", label=f"layer {layer}")
               for layer in layers]
    handles.append(Line2D([], [], color=ACCURACY_COLOR, linestyle="-", linewidth=1.0,
                          label="test accuracy (right)"))
    if any_drop:
        handles.append(Line2D([], [], color="0.35", linestyle="--", linewidth=0.8, marker="v",
                              markersize=5, markerfacecolor=ACCURACY_COLOR,
                              markeredgecolor=ACCURACY_COLOR,
                              label=f"below {threshold:.0%} for good"))
    _figure_legend(fig, handles, ncol=len(handles) if n >= 2 else 2)
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
    frames = _check_mapping(baselines_by_network, BASELINE_COLUMNS, "baselines_by_network")
    for name, df in frames.items():
        unknown = sorted(set(df["method"].astype(str)) - set(METHOD_LABELS))
        if unknown:
            raise ValueError(f"baselines_by_network[{name!r}] has unknown method(s) {unknown}; "
                             f"expected {list(METHOD_LABELS)}")
    _ensure_style()
    styles = _method_styles()
    names = list(frames)
    n = len(names)
    fig, axes = plt.subplots(
        1, n, figsize=(n * PANEL_WIDTH, PANEL_WIDTH * 0.8), layout="constrained", squeeze=False
    )
    drawn: list[str] = []
    for j, name in enumerate(names):
        ax, df = axes[0, j], frames[name].reset_index(drop=True)
        _panel_label(ax, chr(ord("a") + j), name)
        ax.set_xlabel("parameters")
        ax.set_ylabel("test accuracy")
        ax.set_ylim(0.0, 1.02)
        parameters = pd.to_numeric(df["parameters"], errors="coerce")
        if df.empty or parameters.isna().all():
            _no_data(ax)
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
            ax.set_xscale("log")
    handles = [Line2D([], [], color=styles[m]["color"], linestyle=styles[m]["linestyle"],
                      marker=styles[m]["marker"], markersize=3, label=METHOD_LABELS[m])
               for m in METHOD_LABELS if m in drawn]
    _figure_legend(fig, handles)
    return fig
