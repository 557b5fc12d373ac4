"""Figure layout: every public ``plot_*`` function, for 1, 2 and 3 networks, fits its canvas.

The figures are found by introspection of :mod:`relusv.plotting`, so a new ``plot_*`` function is
covered without being named here; each is fed synthetic tidy frames built from the
:mod:`relusv.tidy` column definitions, chosen by the function's parameter names (a function
whose parameters this file does not know fails, so it cannot slip through untested). Every
figure is also drawn from frames of 2 and of 3 replicates (a ``seed`` column, the networks
trained under several seeds), as the workflow writes them once each network has several seeds;
the bounds reach exact zeros past the data's rank, as the tight bounds do. After
``fig.canvas.draw()`` three checks run:

- :func:`texts_outside_figure`: a visible text (or legend) whose window extent leaves the figure;
- :func:`overlapping_tick_labels`: two visible tick labels of one axis that overlap;
- :func:`overlapping_texts`: two texts of one axes (titles, axis labels, legend texts,
  annotations) or of the figure itself (suptitle, figure legends) that overlap.

Each check has its own small test on a figure built to fail it. Also here: PDFs embed TrueType
(Type 42) fonts, never Type 3.
"""

from __future__ import annotations

import inspect
import itertools
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

from relusv import plotting, tidy

#: Window extents may touch the edge by this many pixels (antialiasing, rounding).
TOLERANCE = 1.0
NETWORK_COUNTS = (1, 2, 3)
#: Replicates (seeds) per network of the extra layout cases.
REPLICATES = 2
#: The replicate counts every figure is drawn for besides one (the issue asks for 1-3 seeds).
REPLICATE_COUNTS = (2, 3)


# --------------------------------------------------------------------------------------------
# the checks
# --------------------------------------------------------------------------------------------


def _shown(text) -> bool:
    return text.get_visible() and bool(text.get_text().strip())


def _overlap(a, b, tol: float = TOLERANCE) -> bool:
    """Whether two display-space boxes overlap by more than ``tol`` pixels in both directions."""
    return (min(a.x1, b.x1) - max(a.x0, b.x0) > tol) and (min(a.y1, b.y1) - max(a.y0, b.y0) > tol)


def _describe(text) -> str:
    return repr(text.get_text()[:40])


def texts_outside_figure(fig) -> list[str]:
    """Visible texts and legends of ``fig`` whose window extent leaves the figure (after draw).

    The texts are those the figure draws: its own, each visible axes' titles, labels,
    annotations, legend texts, offset texts and the tick labels of ticks in view.
    """
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    problems = []
    artists = list(_figure_texts(fig)) + [lg for lg in fig.legends if lg.get_visible()]
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        artists += _axes_texts(ax)
        for axis in (ax.xaxis, ax.yaxis):
            artists += _drawn_tick_labels(axis)
            if _shown(axis.offsetText):
                artists.append(axis.offsetText)
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            artists.append(legend)
    for artist in artists:
        ext = artist.get_window_extent(renderer)
        if (ext.x0 < box.x0 - TOLERANCE or ext.x1 > box.x1 + TOLERANCE
                or ext.y0 < box.y0 - TOLERANCE or ext.y1 > box.y1 + TOLERANCE):
            name = _describe(artist) if isinstance(artist, Text) else "legend"
            problems.append(f"{name} at x [{ext.x0:.0f}, {ext.x1:.0f}], y [{ext.y0:.0f}, "
                            f"{ext.y1:.0f}] px leaves the figure [0, {box.x1:.0f}] x "
                            f"[0, {box.y1:.0f}]")
    return problems


def _drawn_tick_labels(axis) -> list:
    """Tick labels ``axis`` draws: ticks inside the view interval, labels visible and non-empty."""
    labels = []
    for tick in axis._update_ticks():  # the ticks Axis.draw draws
        for label in (tick.label1, tick.label2):
            if _shown(label):
                labels.append(label)
    return labels


def overlapping_tick_labels(fig) -> list[str]:
    """Pairs of visible tick labels of one axis of ``fig`` that overlap (after draw)."""
    renderer = fig.canvas.get_renderer()
    problems = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for axis_name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            labels = _drawn_tick_labels(axis)
            extents = [lb.get_window_extent(renderer) for lb in labels]
            for (la, ea), (lb, eb) in itertools.combinations(zip(labels, extents, strict=True), 2):
                if _overlap(ea, eb):
                    problems.append(f"{ax.get_title(loc='left') or ax.get_label()!r} "
                                    f"{axis_name} tick labels {_describe(la)} and "
                                    f"{_describe(lb)} overlap")
    return problems


def _axes_texts(ax) -> list:
    texts = [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
    texts += list(ax.texts)
    legend = ax.get_legend()
    if legend is not None and legend.get_visible():
        texts += list(legend.get_texts()) + [legend.get_title()]
    return [t for t in texts if _shown(t)]


def _figure_texts(fig) -> list:
    texts = list(fig.texts)
    for name in ("_suptitle", "_supxlabel", "_supylabel"):
        if getattr(fig, name, None) is not None:
            texts.append(getattr(fig, name))
    for legend in fig.legends:
        if legend.get_visible():
            texts += list(legend.get_texts()) + [legend.get_title()]
    return [t for t in dict.fromkeys(texts) if _shown(t)]  # the suptitle is also in fig.texts


def overlapping_texts(fig) -> list[str]:
    """Pairs of texts of one axes, or of the figure itself, that overlap (after draw)."""
    renderer = fig.canvas.get_renderer()
    problems = []
    groups = [("figure", _figure_texts(fig))]
    groups += [(ax.get_title(loc="left") or ax.get_label() or f"axes {i}", _axes_texts(ax))
               for i, ax in enumerate(fig.axes) if ax.get_visible()]
    for where, texts in groups:
        extents = [t.get_window_extent(renderer) for t in texts]
        for (ta, ea), (tb, eb) in itertools.combinations(zip(texts, extents, strict=True), 2):
            if _overlap(ea, eb):
                problems.append(f"{where!r}: {_describe(ta)} and {_describe(tb)} overlap")
    return problems


def layout_problems(fig) -> list[str]:
    """Every problem the three checks find in ``fig``, after drawing its canvas."""
    fig.canvas.draw()
    return texts_outside_figure(fig) + overlapping_tick_labels(fig) + overlapping_texts(fig)


# --------------------------------------------------------------------------------------------
# the checks fail on figures built to fail them
# --------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _close_all():
    yield
    plt.close("all")


def test_a_clipped_legend_is_outside_the_figure():
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], label="a very long legend entry that cannot fit in two inches")
    ax.legend(loc="center left", bbox_to_anchor=(0.9, 0.5))
    fig.canvas.draw()
    problems = texts_outside_figure(fig)
    assert problems and any("legend" in p or "very long" in p for p in problems)


def test_a_title_above_the_canvas_is_outside_the_figure():
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.set_title("title", y=1.6)
    fig.canvas.draw()
    assert texts_outside_figure(fig)


def test_a_fitting_figure_passes_every_check():
    fig, ax = plt.subplots(figsize=(3, 2), layout="constrained")
    ax.plot([0, 1], label="line")
    ax.set_title("title")
    ax.set_xlabel("x")
    ax.legend()
    assert layout_problems(fig) == []


def test_crowded_tick_labels_overlap():
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.set_xticks(np.arange(20), [f"label {i}" for i in range(20)])
    fig.canvas.draw()
    assert overlapping_tick_labels(fig)


def test_tick_labels_outside_the_view_are_not_checked():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set_xticks([0.0, 0.5, 1.0, 5.0, 5.0001], ["0", "0.5", "1", "x", "y"])
    ax.set_xlim(0, 1)
    fig.canvas.draw()
    assert overlapping_tick_labels(fig) == []


def test_a_title_over_an_annotation_overlaps():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set_title("a title")
    ax.annotate("a note on the title", xy=(0.5, 1.0), xycoords="axes fraction",
                xytext=(0, 8), textcoords="offset points", ha="center")
    fig.canvas.draw()
    assert overlapping_texts(fig)


def test_overlapping_figure_legend_and_suptitle_overlap():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], label="entry")
    fig.legend(loc="upper center")
    fig.suptitle("entry entry entry", y=0.99, va="top")
    fig.canvas.draw()
    assert overlapping_texts(fig)


# --------------------------------------------------------------------------------------------
# synthetic tidy frames from relusv.tidy's column definitions
# --------------------------------------------------------------------------------------------

#: The columns of Figure 2's table the figure draws (tidy.RANDOM_LAYERS's new columns); the
#: builder writes these besides whatever tidy.RANDOM_LAYERS.columns lists.
RANDOM_LAYER_CURVES = ("singular_value", "bound_sample", "bound_refined")
#: Parameter counts spanning a bit more than a decade, as a pruned MLP's do.
PARAMETERS = np.geomspace(150.0, 4.2e3, 12)


def _frame(table, rows: list[dict], extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """Rows as a frame with exactly ``table.columns`` (+ ``extra``), in that order."""
    columns = list(table.columns) + [c for c in extra if c not in table.columns]
    for row in rows:
        missing = [c for c in columns if c not in row]
        assert not missing, f"the {table.name} builder does not fill {missing}"
    df = pd.DataFrame(rows)[columns]
    return table.check(df, table.name)


def random_layers_frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(n)
    rows = []
    shapes = [(10, 10), (20, 12), (8, 16)][:n]
    for m, n_in in shapes:
        for layer in (0, 1):
            sigma = np.linalg.svd(rng.normal(size=(m, n_in)), compute_uv=False)
            for k, s in enumerate(sigma):
                rows.append({"shape": f"{m}x{n_in}", "m": m, "n": n_in, "layer": layer, "k": k,
                             "singular_value": s, "bound": 0.6 * s, "bound_sample": 0.4 * s,
                             "bound_refined": 0.6 * s})
    return _frame(tidy.RANDOM_LAYERS, rows, RANDOM_LAYER_CURVES)


def _seeded(rows: list[dict], seed: int, seeds: int) -> list[dict]:
    """``rows`` of one replicate: with a ``seed`` column when there are several seeds."""
    return [dict(row, seed=seed) for row in rows] if seeds > 1 else rows


def _seed_column(seeds: int) -> tuple[str, ...]:
    return ("seed",) if seeds > 1 else ()


def bounds_frame(network: str, width: int = 15, seeds: int = 1) -> pd.DataFrame:
    rows = []
    for seed in range(seeds):
        scale = 1.0 + 0.1 * seed
        replicate = []
        for layer in (1, 2, 3):
            sigma = np.linspace(3.0, 0.2, width) * layer * scale
            # the tight bounds: a large k = 0 value, a decaying tail, exact zeros past the rank
            bound = np.geomspace(8.0, 0.01, width) * layer * scale
            bound[width - 3:] = 0.0
            for subset in tidy.SUBSETS:
                for k in range(width):
                    replicate.append({"network": network, "layer": layer, "subset": subset,
                                      "k": k,
                                      "bound": bound[k] * (0.5 if subset == "correct" else 0.4),
                                      "singular_value": sigma[k], "n_points": 40,
                                      "lower_bound": np.nan, "start": "pca", "method": "tight",
                                      "paper_bound": sigma[k] * 0.6})
        rows += _seeded(replicate, seed, seeds)
    return _frame(tidy.BOUNDS, rows, _seed_column(seeds))


def widths_frame(network: str, epochs: int = 30, seeds: int = 1) -> pd.DataFrame:
    rows = []
    for seed in range(seeds):
        replicate = []
        for layer in (1, 2, 3):
            for subset in tidy.SUBSETS:
                for epoch in range(epochs):
                    replicate.append({"network": network, "layer": layer, "subset": subset,
                                      "epoch": epoch,
                                      "width": 10.0 * layer + np.sqrt(epoch) + 0.5 * seed,
                                      "stderr": 0.3, "n_points": 40, "n_draws": 50})
        rows += _seeded(replicate, seed, seeds)
    return _frame(tidy.WIDTHS, rows, _seed_column(seeds))


def pruning_frame(index: int, iterations: int = 40, seeds: int = 1) -> pd.DataFrame:
    rows = []
    for seed in range(seeds):
        replicate = []
        ranks = [18 + 2 * index, 9, 7]
        for it in range(iterations):
            if it:
                ranks[it % 3] = max(1, ranks[it % 3] - 1)
            accuracy = 0.9 if it < iterations - 6 - 2 * seed else 0.2
            replicate.append({"iteration": it, "layer": it % 3 + 1, "parameters": 5000 - 80 * it,
                              "val_accuracy": accuracy, "test_accuracy": accuracy,
                              "val_accuracy_before_retraining": accuracy,
                              "dropped_singular_value": 0.1, "retrained": False,
                              "retrain_reason": "", "retrain_batches_total": 0, "seconds": 0.1,
                              "decision_seconds": 0.01, "rank_1": ranks[0], "rank_2": ranks[1],
                              "rank_3": ranks[2]})
        rows += _seeded(replicate, seed, seeds)
    return _frame(tidy.PRUNING, rows, ("rank_1", "rank_2", "rank_3", *_seed_column(seeds)))


def baselines_frame(network: str, seeds: int = 1) -> pd.DataFrame:
    rows = []
    for seed in range(seeds):
        replicate = []
        for method in plotting.METHOD_LABELS:
            # each seed prunes to slightly different parameter counts, as real replicates do
            for p in PARAMETERS * (1.0 + 0.03 * seed):
                acc = float(np.clip(0.3 + 0.15 * np.log10(p) - 0.05 * seed, 0, 1))
                replicate.append({"network": network, "method": method, "parameters": int(p),
                                  "val_accuracy": acc, "test_accuracy": acc})
        rows += _seeded(replicate, seed, seeds)
    return _frame(tidy.BASELINES, rows, _seed_column(seeds))


def _networks(n: int) -> list[str]:
    return ["CIFAR-10 double (100,100,100)", "MNIST double (100,100,100)",
            "MNIST dense (20,9,7)"][:n]


#: Each function's required parameters -> the arguments that feed it for ``n`` networks of
#: ``s`` replicates each (frames without replicates, Figures 1, 2 and the baselines, ignore ``s``).
FEEDERS = {
    ("weights",): lambda n, s: {"weights": np.array([[1.0, 0.6], [-0.4, 1.0]]) * n},
    ("df",): lambda n, s: {"df": random_layers_frame(n)},
    ("bounds_by_network",): lambda n, s: {
        "bounds_by_network": {name: bounds_frame(name, 10 + 5 * i, s)
                              for i, name in enumerate(_networks(n))}},
    ("widths_by_network",): lambda n, s: {
        "widths_by_network": {name: widths_frame(name, seeds=s) for name in _networks(n)}},
    ("pruning_by_network",): lambda n, s: {
        "pruning_by_network": {name: pruning_frame(i, seeds=s)
                               for i, name in enumerate(_networks(n))}},
    ("baselines_by_network",): lambda n, s: {
        "baselines_by_network": {name: baselines_frame(name, s) for name in _networks(n)}},
    ("network", "bounds_df", "widths_df"): lambda n, s: {
        "network": _networks(n)[-1], "bounds_df": bounds_frame("x", 5 + 10 * n, s),
        "widths_df": widths_frame("x", 3 + 20 * (n - 1), s)},
}


def plot_functions() -> list[str]:
    """The public ``plot_*`` functions of :mod:`relusv.plotting`."""
    return sorted(name for name, obj in vars(plotting).items()
                  if name.startswith("plot_") and inspect.isfunction(obj))


def arguments(function, n: int, seeds: int = 1) -> dict:
    """Arguments for ``function`` with ``n`` networks of ``seeds`` replicates each, chosen by its
    required parameter names."""
    required = tuple(p.name for p in inspect.signature(function).parameters.values()
                     if p.default is inspect.Parameter.empty)
    if required not in FEEDERS:
        pytest.fail(f"{function.__name__}{required}: test_figure_layout.FEEDERS does not know "
                    "how to feed these parameters; add a frame builder for them")
    return FEEDERS[required](n, seeds)


def test_every_plot_function_is_found():
    found = plot_functions()
    assert {"plot_random_layers", "plot_harmonic_pruning", "plot_pruning_baselines"} <= set(found)
    assert set(found) == {n for n in plotting.__all__ if n.startswith("plot_")}


def test_an_unknown_plot_function_fails():
    def plot_something(new_frames):
        raise AssertionError("never called")

    with pytest.raises(pytest.fail.Exception, match="does not know how to feed"):
        arguments(plot_something, 1)


@pytest.mark.parametrize("n", NETWORK_COUNTS)
@pytest.mark.parametrize("name", plot_functions())
def test_figure_fits_its_canvas(name, n):
    plotting.apply_style()
    function = getattr(plotting, name)
    fig = function(**arguments(function, n))
    problems = layout_problems(fig)
    assert problems == [], f"{name} with {n} network(s):\n" + "\n".join(problems)


@pytest.mark.parametrize("seeds", REPLICATE_COUNTS)
@pytest.mark.parametrize("n", NETWORK_COUNTS)
@pytest.mark.parametrize("name", plot_functions())
def test_figure_fits_its_canvas_with_replicates(name, n, seeds):
    plotting.apply_style()
    function = getattr(plotting, name)
    fig = function(**arguments(function, n, seeds))
    problems = layout_problems(fig)
    assert problems == [], (f"{name} with {n} network(s) of {seeds} replicates:\n"
                            + "\n".join(problems))


def test_replicate_frames_hold_several_seeds():
    frames = arguments(plotting.plot_appendix, 2, REPLICATES)
    for key in ("bounds_df", "widths_df"):
        assert tidy.replicate_seeds(frames[key]) == list(range(REPLICATES))
    assert "seed" not in arguments(plotting.plot_appendix, 2)["bounds_df"].columns


# --------------------------------------------------------------------------------------------
# fonts
# --------------------------------------------------------------------------------------------


def test_pdf_embeds_truetype_fonts_and_no_type3(tmp_path):
    plotting.apply_style()
    fig = plotting.plot_pruning_baselines(**arguments(plotting.plot_pruning_baselines, 2))
    pdf, png = tmp_path / "f.pdf", tmp_path / "f.png"
    plotting.save_figure(fig, pdf, png, dpi=90)
    data = pdf.read_bytes()
    assert b"/FontFile2" in data or re.search(rb"/Subtype\s*/TrueType", data)
    assert not re.search(rb"/Subtype\s*/Type3", data)
    from PIL import Image

    with Image.open(png) as image:
        assert round(image.info["dpi"][0]) == 90
