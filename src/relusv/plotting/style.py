"""The one figure style: theme, fonts, layer palette, panel helpers, and saving with panel counts.

Colour = layer (a fixed palette, the same layer gets the same colour in every figure); line
style = subset (:data:`SUBSET_LINESTYLES`); seaborn's ``paper`` context with fonts of at least
:data:`MIN_FONT_SIZE` points at :data:`PANEL_WIDTH` inches per panel column.

Panels. A *panel* is a visible data axes of the figure: colourbars and the twins made by
``twinx``/``twiny`` are not panels, nor are axes hidden with ``set_visible(False)``.
:func:`count_panels` implements this; :func:`save_figure` records the count in the metadata of
both files (PNG text chunk ``Panels``, PDF ``Subject`` and ``Keywords``) so a test can check a
figure's layout from its file alone.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D
from matplotlib.ticker import EngFormatter, LogLocator, MaxNLocator, NullFormatter

from relusv._validation import check_choice, check_positive_int, check_positive_real
from relusv.files import atomic_path
from relusv.tidy import SUBSETS

__all__ = [
    "MIN_FONT_SIZE",
    "PANEL_WIDTH",
    "SUBSET_LINESTYLES",
    "apply_style",
    "count_panels",
    "draw_figure",
    "layer_colors",
    "save_figure",
]

#: Line style of each data subset: correct solid, incorrect dashed (as in the paper).
SUBSET_LINESTYLES = {"correct": "-", "incorrect": "--"}
#: Width of one panel column in inches (a journal column).
PANEL_WIDTH = 3.5
#: Smallest font size (points) any text of a figure gets.
MIN_FONT_SIZE = 7.0

_LAYER_PALETTE = "colorblind"
_CONTEXTS = ("paper", "notebook", "talk", "poster")
_style_applied = False


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
    check_choice(context, "context", _CONTEXTS)
    check_positive_real(font_scale, "font_scale")
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
            "pdf.fonttype": 42,  # TrueType (Type 42) fonts in PDFs, never Type 3
            "ps.fonttype": 42,
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


def ensure_style() -> None:
    """Apply the default style unless :func:`apply_style` has already run."""
    if not _style_applied:
        apply_style()


def layer_colors(layers) -> dict:
    """Map each layer index to its colour: the i-th smallest layer gets the i-th palette colour.

    Layers are mapped by sorted value, so layer 1 has the same colour in every figure as long as
    the figures show the same layers.
    """
    levels = sorted({int(layer) for layer in layers})
    palette = palette_colors(max(len(levels), 1))
    return {layer: palette[i % len(palette)] for i, layer in enumerate(levels)}


def palette_colors(n: int | None = None) -> list:
    """The first ``n`` colours of the layer palette (seaborn's default number if None)."""
    return sns.color_palette(_LAYER_PALETTE, n)


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


def count_replicate_artists(fig) -> tuple[int, int]:
    """``(bands, lines)``: the min-max bands over replicates (gid ``band/...``) and the lines of
    single replicates (gid ``.../seed<s>``) drawn in ``fig``; ``(0, 0)`` for single runs."""
    bands = lines = 0
    for artist in fig.findobj():
        gid = artist.get_gid() or ""
        bands += gid.startswith("band/")
        lines += "/seed" in gid
    return bands, lines


def save_figure(fig, pdf_path, png_path, dpi: int = 200) -> int:
    """Save ``fig`` as PDF and PNG atomically, record its panel count, and close it.

    Each file is written to a temporary name in its target directory and moved into place with
    :func:`os.replace`, so no half-written figure ever sits under the final name. The number of
    panels (:func:`count_panels`) is stored in the PNG text chunk ``Panels`` and in the PDF's
    ``Subject`` (``"relusv figure, panels=N"``) and ``Keywords`` (``"panels=N"``); the numbers
    of replicate bands and lines (:func:`count_replicate_artists`) in the PNG text chunks
    ``Replicate bands`` and ``Replicate lines``, so a test can see them in the file.

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
        bands, lines = count_replicate_artists(fig)
        png_meta = {"Panels": str(panels), "Software": "relusv.plotting (matplotlib)",
                    "Replicate bands": str(bands), "Replicate lines": str(lines)}
        if title:
            pdf_meta["Title"] = png_meta["Title"] = title
        with atomic_path(pdf_path) as tmp_pdf, atomic_path(png_path) as tmp_png:
            fig.savefig(tmp_pdf, format="pdf", metadata=pdf_meta)
            fig.savefig(tmp_png, format="png", dpi=dpi, metadata=png_meta)
        return panels
    finally:
        plt.close(fig)


# --------------------------------------------------------------------------------------------
# panel helpers shared by the figures
# --------------------------------------------------------------------------------------------


def draw_figure(style: Mapping, pdf_path, png_path, plot, *args, **kwargs) -> int:
    """A figure rule's whole job: apply the config's ``plot`` style, draw, save PDF and PNG.

    Parameters
    ----------
    style : mapping
        The config's ``plot`` section: ``context``, ``font_scale`` (:func:`apply_style`) and
        ``dpi`` of the PNG (:func:`save_figure`).
    pdf_path, png_path : path-like
    plot : callable
        One of the ``plot_*`` functions; called as ``plot(*args, **kwargs)`` once the style is
        applied.

    Returns
    -------
    int
        The figure's panel count, as :func:`save_figure` records it.
    """
    apply_style(context=style["context"], font_scale=style["font_scale"])
    return save_figure(plot(*args, **kwargs), pdf_path, png_path, dpi=style["dpi"])


def subsets_in(df: pd.DataFrame) -> list[str]:
    """The subsets present in ``df`` (checked by :meth:`relusv.tidy.TidyTable.check`), in
    :data:`relusv.tidy.SUBSETS` order."""
    present = {str(s) for s in pd.unique(df["subset"])}
    return [s for s in SUBSETS if s in present]


def all_subsets(frames) -> list[str]:
    """The subsets present in any non-empty frame of ``frames``, in drawing order."""
    present: set[str] = set()
    for df in frames:
        if not df.empty:
            present.update(subsets_in(df))
    return [s for s in SUBSETS if s in present]


def all_layers(frames) -> list[int]:
    """The sorted layer indices of every frame of ``frames`` together."""
    layers: set[int] = set()
    for df in frames:
        layers.update(int(v) for v in df["layer"].unique())
    return sorted(layers)


def panel_label(ax, letter: str, title: str) -> None:
    """Title ``ax`` as ``"(letter) title"``, left-aligned as the paper labels its panels."""
    ax.set_title(f"({letter}) {title}", loc="left")


def no_data(ax, message: str = "no data") -> None:
    """Write ``message`` in grey in the middle of an empty panel."""
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", color="0.4")


def legend_handles(colors: dict, subsets) -> list:
    """Legend entries: one solid line per layer in its colour, then one grey line per subset."""
    handles = [
        Line2D([], [], color=color, linestyle="-", label=f"layer {layer}")
        for layer, color in colors.items()
    ]
    handles += [
        Line2D([], [], color="0.2", linestyle=SUBSET_LINESTYLES[s], label=s) for s in subsets
    ]
    return handles


def figure_legend(fig, handles, ncol=None) -> None:
    """One legend for the whole figure, below its panels (none if ``handles`` is empty).

    It takes ``ncol`` columns (all entries in one row if None), fewer if that row would be wider
    than the figure: the legend always fits the canvas, whatever the number of panels. Before
    giving up a column it tries shorter handles and narrower column spacing, so a narrow
    (one-panel) figure keeps a compact legend of few rows.
    """
    if not handles:
        return
    renderer = fig.canvas.get_renderer()
    ncol = min(ncol or len(handles), len(handles))
    while True:
        for handlelength, columnspacing in ((2.4, 1.2), (1.6, 0.7)):
            legend = fig.legend(
                handles=handles,
                loc="outside lower center",
                ncol=ncol,
                handlelength=handlelength,
                columnspacing=columnspacing,
                handletextpad=0.5,
            )
            if ncol == 1 or legend.get_window_extent(renderer).width <= 0.98 * fig.bbox.width:
                return
            legend.remove()
        ncol -= 1


def integer_ticks(ax, which: str = "x") -> None:
    """Integer tick positions only on the ``which`` ("x" or "y") axis of ``ax`` (k, epoch, ...)."""
    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_major_locator(MaxNLocator(nbins="auto", integer=True))


def log_ticks(ax, values, which: str = "x") -> None:
    """Log scale on ``ax``'s ``which`` axis with few readable labels ("200", "5k", "1M").

    Major ticks at 1, 2, 3, 5 times powers of ten over less than a decade of ``values`` (all
    positive), 1, 2, 5 over up to 2.5 decades, powers of ten beyond; no minor labels.
    """
    positive = [float(v) for v in values if float(v) > 0]
    decades = math.log10(max(positive) / min(positive)) if positive else 0.0
    subs = (1.0, 2.0, 3.0, 5.0) if decades < 1.0 else (1.0, 2.0, 5.0) if decades <= 2.5 else (1.0,)
    if which == "x":
        ax.set_xscale("log")
        axis = ax.xaxis
    else:
        ax.set_yscale("log")
        axis = ax.yaxis
    axis.set_major_locator(LogLocator(base=10.0, subs=subs))
    axis.set_major_formatter(EngFormatter(sep=""))
    axis.set_minor_formatter(NullFormatter())


def fit_titles(fig) -> None:
    """Wrap every panel title of ``fig`` that is wider than its panel onto more lines.

    Call it last, once the figure is drawn in full: it lays the figure out once to measure.
    A title is wrapped once it is wider than 93 % of its panel: text extents differ slightly
    with the resolution a figure is saved at, and the margin keeps titles on the canvas at any.
    """
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for title in (ax.title, ax._left_title, ax._right_title):
            text = title.get_text()
            available = 0.93 * ax.bbox.width
            if not text or title.get_window_extent(renderer).width <= available:
                continue
            words = text.split(" ")
            for width in range(len(text) - 1, 0, -1):
                title.set_text("\n".join(textwrap.wrap(" ".join(words), width)))
                if title.get_window_extent(renderer).width <= available:
                    break
