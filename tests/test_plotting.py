"""Figures: panel counts, the correct-solid / incorrect-dashed convention, atomic saving with the
panel count in the files' metadata, and input checks."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from relusv import plotting, tidy

LAYERS = (1, 2, 3)
#: Correct data is drawn at values >= CORRECT_FLOOR, incorrect data below it, so a test can tell
#: from a line's data alone which subset it shows.
CORRECT_FLOOR = 100.0


def bounds_frame(network="net_a", width=6, subsets=("correct", "incorrect")):
    rows = []
    for layer in LAYERS:
        sigma = np.linspace(2.0, 0.5, width) * layer
        for subset in subsets:
            base = CORRECT_FLOOR if subset == "correct" else 0.0
            for k in range(width):
                rows.append(
                    {
                        "network": network,
                        "layer": layer,
                        "subset": subset,
                        "k": k,
                        "bound": base + layer + 1.0 / (k + 1),
                        "singular_value": sigma[k],
                        "n_points": 50,
                    }
                )
    return pd.DataFrame(rows)


def widths_frame(network="net_a", epochs=(0, 1, 2, 3), subsets=("correct", "incorrect")):
    rows = []
    for layer in LAYERS:
        for subset in subsets:
            base = CORRECT_FLOOR if subset == "correct" else 0.0
            for epoch in epochs:
                rows.append(
                    {
                        "network": network,
                        "layer": layer,
                        "subset": subset,
                        "epoch": epoch,
                        "width": base + 10 * layer + epoch,
                        "stderr": 0.5,
                        "n_points": 50,
                        "n_draws": 100,
                    }
                )
    return pd.DataFrame(rows)


def random_frame(shapes=("2x2", "3x3", "4x2"), layers=(0, 1)):
    rng = np.random.default_rng(0)
    rows = []
    for shape in shapes:
        m, n = map(int, shape.split("x"))
        for layer in layers:
            sigma = np.linalg.svd(rng.normal(size=(m, n)), compute_uv=False)
            for k, s in enumerate(sigma):
                row = {"shape": shape, "m": m, "n": n, "layer": layer, "k": k,
                       "singular_value": s, "bound_sample": 0.4 * s, "bound_refined": 0.5 * s}
                rows.append(row)
    return pd.DataFrame(rows)


W = np.array([[1.0, 0.6], [-0.4, 1.0]])


def make_figures():
    return {
        "fig1": (lambda: plotting.plot_relu_layer(W, n_points=120), 2),
        "fig2": (lambda: plotting.plot_random_layers(random_frame()), 3),
        "fig3": (
            lambda: plotting.plot_relu_singular_values(
                {"net_a": bounds_frame("net_a"), "net_b": bounds_frame("net_b", width=4)}
            ),
            4,
        ),
        "fig4": (
            lambda: plotting.plot_gaussian_mean_width(
                {"net_a": widths_frame("net_a"), "net_b": widths_frame("net_b")}
            ),
            2,
        ),
        "appendix": (
            lambda: plotting.plot_appendix("net_c", bounds_frame("net_c"), widths_frame("net_c")),
            3,
        ),
    }


FIGURES = make_figures()


@pytest.fixture(autouse=True)
def _close_all():
    yield
    plt.close("all")


def test_backend_is_agg():
    assert matplotlib.get_backend().lower() == "agg"


def test_package_reexports_every_public_name_and_never_loads_tensorflow():
    from relusv.plotting import pruning, spectral, style

    names = {*pruning.__all__, *spectral.__all__, *style.__all__}
    assert set(plotting.__all__) == names
    assert all(getattr(plotting, name) is getattr(module, name)
               for module in (pruning, spectral, style) for name in module.__all__)
    code = ("import sys, relusv.plotting, relusv.tables; "
            "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


def test_apply_style_keeps_every_font_at_least_7pt():
    plotting.apply_style(font_scale=0.3)
    try:
        for key in ("font.size", "axes.labelsize", "axes.titlesize", "xtick.labelsize",
                    "ytick.labelsize", "legend.fontsize"):
            assert float(matplotlib.rcParams[key]) >= plotting.MIN_FONT_SIZE, key
    finally:
        plotting.apply_style()


def test_apply_style_rejects_bad_arguments():
    with pytest.raises(ValueError, match="context"):
        plotting.apply_style(context="poster-ish")
    with pytest.raises(ValueError, match="font_scale"):
        plotting.apply_style(font_scale=0)


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_each_figure_has_the_expected_panels(name):
    build, expected = FIGURES[name]
    fig = build()
    assert plotting.count_panels(fig) == expected


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_save_figure_writes_pdf_and_png_with_panel_metadata(tmp_path, name):
    build, expected = FIGURES[name]
    fig = build()
    pdf, png = tmp_path / "out" / f"{name}.pdf", tmp_path / "out" / f"{name}.png"
    assert plotting.save_figure(fig, pdf, png, dpi=60) == expected
    assert not plt.fignum_exists(fig.number), "save_figure must close the figure"
    with Image.open(png) as image:
        image.load()
        assert image.format == "PNG"
        assert image.text["Panels"] == str(expected)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    assert re.findall(rb"/Keywords \(panels=(\d+)\)", data) == [str(expected).encode()]
    assert re.search(rb"/Subject \(relusv figure, panels=(\d+)\)", data).group(1) == str(
        expected
    ).encode()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted([pdf.name, png.name])


def test_count_panels_skips_colourbars_twins_and_hidden_axes():
    fig, axes = plt.subplots(1, 3)
    image = axes[0].imshow(np.eye(3))
    fig.colorbar(image, ax=axes[0])
    axes[1].twinx()
    axes[2].set_visible(False)
    assert len(fig.axes) == 5
    assert plotting.count_panels(fig) == 2


def test_save_figure_failure_leaves_no_files_and_keeps_old_ones(tmp_path):
    pdf, png = tmp_path / "f.pdf", tmp_path / "f.png"
    pdf.write_bytes(b"old pdf")
    fig, ax = plt.subplots()
    ax.set_title(r"$\frac{$")  # mathtext cannot parse this: drawing fails
    with pytest.raises(ValueError):
        plotting.save_figure(fig, pdf, png)
    assert pdf.read_bytes() == b"old pdf"
    assert not png.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["f.pdf"]
    assert not plt.fignum_exists(fig.number)


def _subset_lines(ax):
    """(linestyle, is_correct) for every data line drawn on ``ax`` with more than one point."""
    out = []
    for line in ax.get_lines():
        y = np.asarray(line.get_ydata(), dtype=float)
        if y.size > 1:
            out.append((line.get_linestyle(), bool(np.all(y >= CORRECT_FLOOR))))
    return out


def _assert_correct_solid_incorrect_dashed(ax, n_layers):
    lines = _subset_lines(ax)
    assert len(lines) == 2 * n_layers
    for style, is_correct in lines:
        assert style == ("-" if is_correct else "--")
    assert sum(is_correct for _, is_correct in lines) == n_layers


def test_figure3_correct_solid_incorrect_dashed_and_colour_by_layer():
    fig = plotting.plot_relu_singular_values(
        {"net_a": bounds_frame("net_a"), "net_b": bounds_frame("net_b")}
    )
    top = [ax for ax in fig.axes if "ReLU SV bounds" in ax.get_title(loc="left")]
    bottom = [ax for ax in fig.axes if "linear SVs" in ax.get_title(loc="left")]
    assert len(top) == 2 and len(bottom) == 2
    titles = [ax.get_title(loc="left") for ax in fig.axes]
    assert [t[:3] for t in titles] == ["(a)", "(b)", "(c)", "(d)"]
    assert "net_a" in titles[0] and "net_b" in titles[1]
    for ax in top:
        _assert_correct_solid_incorrect_dashed(ax, len(LAYERS))
        colours = {tuple(np.round(matplotlib.colors.to_rgba(line.get_color()), 6))
                   for line in ax.get_lines()}
        assert len(colours) == len(LAYERS)
    for ax in bottom:  # one linear curve per layer, solid
        assert [line.get_linestyle() for line in ax.get_lines()] == ["-"] * len(LAYERS)


def test_figure4_and_appendix_correct_solid_incorrect_dashed():
    fig = plotting.plot_gaussian_mean_width({"net_a": widths_frame(), "net_b": widths_frame()})
    for ax in fig.axes:
        _assert_correct_solid_incorrect_dashed(ax, len(LAYERS))
        assert len(ax.collections) == 2 * len(LAYERS)  # one stderr band per line
    fig = plotting.plot_appendix("net", bounds_frame(), widths_frame())
    linear, relu, gmw = fig.axes
    _assert_correct_solid_incorrect_dashed(relu, len(LAYERS))
    _assert_correct_solid_incorrect_dashed(gmw, len(LAYERS))
    assert len(linear.get_lines()) == len(LAYERS)


def test_only_correct_subset_draws_only_solid_lines():
    fig = plotting.plot_gaussian_mean_width({"net": widths_frame(subsets=("correct",))})
    assert {line.get_linestyle() for line in fig.axes[0].get_lines()} == {"-"}


def test_empty_network_frame_still_gives_its_panels():
    empty = bounds_frame().iloc[0:0]
    fig = plotting.plot_relu_singular_values({"net_a": bounds_frame(), "empty": empty})
    assert plotting.count_panels(fig) == 4
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert texts.count("no data") == 2


def test_figure1_right_panel_is_relu_of_the_left():
    fig = plotting.plot_relu_layer(W, n_points=64)
    ax_in, ax_out = fig.axes
    for source, image in zip(ax_in.collections, ax_out.collections, strict=True):
        points = np.asarray(source.get_offsets())
        mapped = np.asarray(image.get_offsets())
        np.testing.assert_allclose(mapped, np.maximum(points @ W.T, 0.0))
        assert np.all(mapped >= 0)
    mapped = np.asarray(ax_out.collections[1].get_offsets())  # the boundary circle
    on_axis = np.isclose(mapped, 0.0).any(axis=1)
    assert on_axis.sum() > 0 and (~on_axis).sum() > 0  # folding onto the axes, not everything


def test_figure2_first_layer_opaque_others_faint():
    fig = plotting.plot_random_layers(random_frame(shapes=("3x3",), layers=(0, 1, 2)))
    ax = fig.axes[0]
    alphas = sorted((line.get_alpha() or 1.0) for line in ax.get_lines())
    assert alphas.count(1.0) == 2  # sigma and the refined bound of layer 0
    assert len(alphas) == 9  # three curves for each of three layers
    assert "3x3" in ax.get_title(loc="left")


def test_figure2_draws_sigma_the_papers_bound_and_the_refined_bound():
    frame = random_frame(shapes=("3x3",), layers=(0,))
    fig = plotting.plot_random_layers(frame)
    lines = _by_gid(fig.axes[0], "")
    sigma, sample, refined = (lines[f"{g}/3x3/layer0"]
                              for g in ("sigma", "bound_sample", "bound_refined"))
    np.testing.assert_allclose(sigma.get_ydata(), frame["singular_value"])
    np.testing.assert_allclose(sample.get_ydata(), frame["bound_sample"])
    np.testing.assert_allclose(refined.get_ydata(), frame["bound_refined"])
    assert (sigma.get_linestyle(), sample.get_linestyle(), refined.get_linestyle()) == (
        ":", "--", "-")
    assert sample.get_alpha() < 1.0 and refined.get_linewidth() > sample.get_linewidth()
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == [r"$\sigma_k$ (linear)", "paper's bound (worst on the sample)",
                      "refined bound (worst found on the sphere)"]


def test_integer_axes_have_integer_ticks():
    bounds = bounds_frame(width=16)
    fig = plotting.plot_relu_singular_values({"net_a": bounds})
    fig.canvas.draw()
    for ax in fig.axes:
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks


def test_plot_functions_check_their_inputs():
    with pytest.raises(ValueError, match="shape"):
        plotting.plot_relu_layer(np.eye(3))
    with pytest.raises(ValueError, match="NaN"):
        plotting.plot_relu_layer([[np.nan, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="n_points"):
        plotting.plot_relu_layer(W, n_points=0)
    with pytest.raises(ValueError, match="missing columns"):
        plotting.plot_random_layers(random_frame().drop(columns="bound_refined"))
    with pytest.raises(ValueError, match="no rows"):
        plotting.plot_random_layers(random_frame().iloc[0:0])
    with pytest.raises(ValueError, match="non-empty dict"):
        plotting.plot_relu_singular_values({})
    bad = bounds_frame()
    bad.loc[0, "subset"] = "wrong"
    with pytest.raises(ValueError, match="unknown subset"):
        plotting.plot_relu_singular_values({"net": bad})
    with pytest.raises(ValueError, match="missing columns"):
        plotting.plot_appendix("net", bounds_frame(), widths_frame().drop(columns="stderr"))


# ---------------------------------------------------------------------------------------------
# Figure 5 (harmonic pruning) and the pruning baselines
# ---------------------------------------------------------------------------------------------


def pruning_frame(network="net_a", start=(10, 8, 6), fail_below=3, acc=0.95, floor=0.1):
    """A harmonic pruning table with the workflow's columns: one rank dropped per iteration
    (from the layer with the largest rank), test accuracy ``acc`` while the rank sum is at least
    ``fail_below`` and ``floor`` after."""
    ranks = list(start)
    rows = []
    iteration = 0
    while True:
        accuracy = acc if sum(ranks) >= fail_below else floor
        rows.append({
            "network": network, "iteration": iteration,
            "layer": pd.NA if iteration == 0 else 1 + iteration % 3,
            "rank_1": ranks[0], "rank_2": ranks[1], "rank_3": ranks[2],
            "parameters": 1000 + 50 * sum(ranks), "val_accuracy": accuracy,
            "test_accuracy": accuracy, "val_accuracy_before_retraining": accuracy,
            "retrained": iteration % 4 == 0, "retrain_reason": "", "retrain_batches_total": 0,
            "dropped_singular_value": np.nan if iteration == 0 else 0.1,
            "seconds": 0.01, "decision_seconds": 0.005,
            "candidate_val_accuracy_1": accuracy, "candidate_val_accuracy_2": accuracy,
            "candidate_val_accuracy_3": accuracy,
        })
        if sum(ranks) == 0:
            break
        ranks[int(np.argmax(ranks))] -= 1
        iteration += 1
    return pd.DataFrame(rows)


def baselines_frame(network="net_a", methods=("harmonic", "magnitude", "one_shot_svd")):
    harmonic = pruning_frame(network)
    rows = []
    for method in methods:
        source = harmonic if method == "harmonic" else harmonic.iloc[::4]
        scale = {"harmonic": 1.0, "magnitude": 0.8, "one_shot_svd": 0.6}[method]
        rows.append(pd.DataFrame({
            "network": network, "method": method, "parameters": source["parameters"],
            "val_accuracy": source["val_accuracy"] * scale,
            "test_accuracy": source["test_accuracy"] * scale,
        }))
    return pd.concat(rows, ignore_index=True)


FIGURES.update({
    "fig5": (
        lambda: plotting.plot_harmonic_pruning(
            {"net_a": pruning_frame("net_a"), "net_b": pruning_frame("net_b", fail_below=0)}
        ),
        2,
    ),
    "pruning_baselines": (
        lambda: plotting.plot_pruning_baselines(
            {"net_a": baselines_frame("net_a"), "net_b": baselines_frame("net_b"),
             "net_c": baselines_frame("net_c", methods=("harmonic",))}
        ),
        3,
    ),
})


@pytest.mark.parametrize("name", ["fig5", "pruning_baselines"])
def test_pruning_figures_panel_counts_and_metadata(tmp_path, name):
    # FIGURES was extended after the parametrised tests above were collected: run them here
    test_each_figure_has_the_expected_panels(name)
    test_save_figure_writes_pdf_and_png_with_panel_metadata(tmp_path, name)


def _by_gid(ax, prefix):
    return {line.get_gid(): line for line in ax.get_lines()
            if (line.get_gid() or "").startswith(prefix)}


def _twin_of(fig, ax):
    twins = [other for other in fig.axes
             if other is not ax and other in ax._twinned_axes.get_siblings(ax)]
    assert len(twins) == 1
    return twins[0]


def test_figure5_twin_accuracy_axes_exist_but_are_not_panels(tmp_path):
    frames = {"cifar": pruning_frame("cifar"), "mnist": pruning_frame("mnist")}
    fig = plotting.plot_harmonic_pruning(frames)
    assert len(fig.axes) == 4  # two panels, each with its twin
    panels = [ax for ax in fig.axes if ax.get_title(loc="left")]
    assert [ax.get_title(loc="left") for ax in panels] == ["(a) cifar", "(b) mnist"]
    for ax in panels:
        twin = _twin_of(fig, ax)
        assert twin.get_ylabel() == "test accuracy"
        assert twin.get_ylim() == pytest.approx((0.0, 1.02))
    assert plotting.count_panels(fig) == 2
    png = tmp_path / "fig5.png"
    assert plotting.save_figure(fig, tmp_path / "fig5.pdf", png, dpi=50) == 2
    with Image.open(png) as image:
        assert image.text["Panels"] == "2"


def test_figure5_draws_ranks_in_layer_colours_and_accuracy_on_the_twin():
    frame = pruning_frame("net")
    fig = plotting.plot_harmonic_pruning({"net": frame})
    ax = fig.axes[0]
    twin = _twin_of(fig, ax)
    colours = plotting.layer_colors(LAYERS)
    ranks = _by_gid(ax, "rank/")
    assert sorted(ranks) == ["rank/layer1", "rank/layer2", "rank/layer3"]
    for layer in LAYERS:
        line = ranks[f"rank/layer{layer}"]
        np.testing.assert_array_equal(line.get_xdata(), frame["iteration"])
        np.testing.assert_array_equal(line.get_ydata(), frame[f"rank_{layer}"])
        assert matplotlib.colors.to_rgba(line.get_color()) == pytest.approx(
            matplotlib.colors.to_rgba(colours[layer]))
    assert not _by_gid(ax, "test_accuracy")  # accuracy lives on the twin only
    accuracy = _by_gid(twin, "test_accuracy")["test_accuracy"]
    np.testing.assert_allclose(accuracy.get_ydata(), frame["test_accuracy"])
    assert matplotlib.colors.to_rgba(accuracy.get_color()) == matplotlib.colors.to_rgba("black")


def test_figure5_marks_the_last_iteration_before_the_permanent_drop():
    frame = pruning_frame("net", fail_below=3)
    # a dip below 50 % that recovers must not be marked
    frame.loc[5, "test_accuracy"] = 0.3
    expected, ranks = tidy.last_iteration_before_drop(frame, 0.5)
    first_below = int(frame.loc[frame["rank_1"] + frame["rank_2"] + frame["rank_3"] < 3,
                                "iteration"].min())
    assert expected == first_below - 1
    fig = plotting.plot_harmonic_pruning({"net": frame})
    ax = fig.axes[0]
    marks = _by_gid(ax, "permanent_drop")
    assert list(marks) == ["permanent_drop"]
    assert list(marks["permanent_drop"].get_xdata()) == [expected, expected]
    assert not _twin_of(fig, ax).texts  # nothing written over the curves
    notes = [t for t in ax.texts if t.get_gid() == "permanent_drop_label"]
    assert [t.get_text() for t in notes] == [
        f"last iteration before 50% for good:\n"
        f"iteration {expected}, ranks ({', '.join(map(str, ranks))})"]
    fig.canvas.draw()  # the note lies below the axes, under the x label: clear of every curve
    renderer = fig.canvas.get_renderer()
    note = notes[0].get_window_extent(renderer)
    assert note.y1 <= ax.xaxis.label.get_window_extent(renderer).y0 + 1
    assert note.y1 < ax.bbox.y0


def test_figure5_without_a_permanent_drop_has_no_mark():
    frame = pruning_frame("net", fail_below=0)  # accuracy never falls
    fig = plotting.plot_harmonic_pruning({"net": frame})
    assert not _by_gid(fig.axes[0], "permanent_drop")
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["layer 1", "layer 2", "layer 3", "accuracy (right)"]
    notes = [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "permanent_drop_label"]
    assert notes == ["test accuracy never below 50% for good"]


def test_pruning_baselines_one_line_per_method_with_spelled_out_names():
    fig = plotting.plot_pruning_baselines(
        {"net_a": baselines_frame("net_a"), "net_b": baselines_frame("net_b", ("harmonic",))}
    )
    panel_a, panel_b = fig.axes
    assert [panel_a.get_title(loc="left"), panel_b.get_title(loc="left")] == [
        "(a) net_a", "(b) net_b"]
    lines = _by_gid(panel_a, "method/")
    assert sorted(lines) == ["method/harmonic", "method/magnitude", "method/one_shot_svd"]
    for line in lines.values():
        x = np.asarray(line.get_xdata(), dtype=float)
        assert np.all(np.diff(x) >= 0)  # sorted by parameter count
    assert len(lines["method/magnitude"].get_xdata()) == len(pruning_frame().iloc[::4])
    assert list(_by_gid(panel_b, "method/")) == ["method/harmonic"]
    assert panel_a.get_xscale() == "log"
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["harmonic pruning", "magnitude pruning", "one-shot truncated SVD"]
    assert {line.get_linestyle() for line in lines.values()} == {"-", "--", ":"}


def test_pruning_figures_check_their_inputs():
    with pytest.raises(ValueError, match="rank_<layer>"):
        plotting.plot_harmonic_pruning({"net": pruning_frame().drop(columns=["rank_1", "rank_2",
                                                                             "rank_3"])})
    with pytest.raises(ValueError, match="missing columns"):
        plotting.plot_harmonic_pruning({"net": pruning_frame().drop(columns="test_accuracy")})
    with pytest.raises(ValueError, match="non-empty dict"):
        plotting.plot_harmonic_pruning({})
    with pytest.raises(ValueError, match="threshold"):
        plotting.plot_harmonic_pruning({"net": pruning_frame()}, threshold=1.5)
    bad = baselines_frame()
    bad.loc[0, "method"] = "lottery"
    with pytest.raises(ValueError, match="unknown method"):
        plotting.plot_pruning_baselines({"net": bad})
    with pytest.raises(ValueError, match="missing columns"):
        plotting.plot_pruning_baselines({"net": baselines_frame().drop(columns="parameters")})


def test_draw_figure_applies_the_config_style_and_saves_at_its_dpi(tmp_path):
    pdf, png = tmp_path / "f.pdf", tmp_path / "f.png"
    style = {"context": "paper", "font_scale": 1.0, "dpi": 72}
    panels = plotting.draw_figure(style, pdf, png, plotting.plot_relu_layer, np.eye(2),
                                  n_points=50)
    assert panels == 2
    with Image.open(png) as image:
        assert round(image.info["dpi"][0]) == 72
    assert pdf.read_bytes().startswith(b"%PDF")


GALLERY = Path(__file__).resolve().parents[1] / "tools" / "gallery.py"


def test_gallery_writes_thumbnails_at_most_800_px_wide(tmp_path):
    figures = tmp_path / "figures"
    appendix = figures / "appendix"
    appendix.mkdir(parents=True)
    style = {"context": "paper", "font_scale": 1.0, "dpi": 300}  # 7 in x 300 dpi = 2100 px
    plotting.draw_figure(style, figures / "fig1.pdf", figures / "fig1.png",
                         plotting.plot_relu_layer, W, n_points=60)
    Image.new("RGB", (400, 300), "white").save(appendix / "net_c.png")
    out = tmp_path / "gallery"
    subprocess.run([sys.executable, str(GALLERY), "--out", str(out), str(figures),
                    str(appendix)], check=True, capture_output=True)
    with Image.open(out / "fig1.png") as image:
        assert image.width == 800
        with Image.open(figures / "fig1.png") as original:
            assert image.width / image.height == pytest.approx(
                original.width / original.height, rel=0.01)
    with Image.open(out / "appendix_net_c.png") as image:
        assert image.size == (400, 300)  # small ones keep their size
    index = (out / "index.md").read_text()
    assert "![fig1](fig1.png)" in index and "![appendix_net_c](appendix_net_c.png)" in index
    empty = tmp_path / "none"
    empty.mkdir()
    failed = subprocess.run([sys.executable, str(GALLERY), "--out", str(out), str(empty)],
                            capture_output=True, text=True)
    assert failed.returncode != 0 and "make demo" in failed.stderr


# ---------------------------------------------------------------------------------------------
# replicates: a ``seed`` column with several values (each network trained under several seeds)
# ---------------------------------------------------------------------------------------------

SEEDS = (3, 1, 2)  # not sorted: the first replicate is the smallest seed


def replicates(frame_of, column, seeds=SEEDS, **kwargs):
    """One frame of ``frame_of(**kwargs)`` per seed, ``column`` shifted by the seed, stacked."""
    frames = []
    for seed in seeds:
        df = frame_of(**kwargs)
        df[column] = df[column] + 0.25 * seed
        frames.append(df.assign(seed=seed))
    return pd.concat(frames, ignore_index=True)


def _bands(ax, prefix):
    return {c.get_gid(): c for c in ax.collections if (c.get_gid() or "").startswith(prefix)}


def _band_limits(band):
    """(x, lower, upper) of a fill_between band: its polygon's lower and upper edges."""
    vertices = band.get_paths()[0].vertices
    x = np.unique(vertices[:, 0])
    lower = np.array([vertices[vertices[:, 0] == v, 1].min() for v in x])
    upper = np.array([vertices[vertices[:, 0] == v, 1].max() for v in x])
    return x, lower, upper


def _expected(df, x, y, layer, subset=None):
    rows = df[df["layer"] == layer] if subset is None else df[(df["layer"] == layer)
                                                               & (df["subset"] == subset)]
    return rows.groupby(x)[y].agg(["mean", "min", "max"])


def _rgba(figure):
    """The rendered pixels of ``figure``."""
    figure.canvas.draw()
    return np.asarray(figure.canvas.buffer_rgba()).copy()


def test_figure3_replicates_draw_the_mean_with_a_min_max_band_per_layer_and_subset():
    df = replicates(bounds_frame, "bound")
    df["singular_value"] = df["singular_value"] * (1 + df["seed"] / 10)
    fig = plotting.plot_relu_singular_values({"net": df})
    top, bottom = fig.axes
    bands = _bands(top, "band/bound/")
    assert len(bands) == 2 * len(LAYERS)
    assert all(isinstance(b, matplotlib.collections.PolyCollection) for b in bands.values())
    lines = _by_gid(top, "bound/")
    assert len(lines) == 2 * len(LAYERS)
    for layer in LAYERS:
        for subset in tidy.SUBSETS:
            expected = _expected(df, "k", "bound", layer, subset)
            line = lines[f"bound/layer{layer}/{subset}"]
            np.testing.assert_allclose(line.get_xdata(), expected.index)
            np.testing.assert_allclose(line.get_ydata(), expected["mean"])
            assert line.get_linestyle() == plotting.SUBSET_LINESTYLES[subset]
            band = bands[f"band/bound/layer{layer}/{subset}"]
            x, lower, upper = _band_limits(band)
            np.testing.assert_allclose(x, expected.index)
            np.testing.assert_allclose(lower, expected["min"])
            np.testing.assert_allclose(upper, expected["max"])
            assert band.get_facecolor()[0][3] == pytest.approx(0.10)  # light fill, edged
            assert matplotlib.colors.to_rgb(band.get_facecolor()[0]) == pytest.approx(
                matplotlib.colors.to_rgb(line.get_color()))
    _assert_correct_solid_incorrect_dashed(top, len(LAYERS))
    sigma = _by_gid(bottom, "sigma/")
    assert len(_bands(bottom, "band/sigma/")) == len(LAYERS)
    for layer in LAYERS:
        expected = _expected(df.drop_duplicates(["seed", "layer", "k"]), "k", "singular_value",
                             layer)
        np.testing.assert_allclose(sigma[f"sigma/layer{layer}"].get_ydata(), expected["mean"])
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[-1] == f"mean over {len(SEEDS)} seeds, band: min-max"


def test_figure4_and_appendix_replicate_band_is_the_min_max_not_the_stderr():
    df = replicates(widths_frame, "width")
    fig = plotting.plot_gaussian_mean_width({"net": df, "single": widths_frame()})
    replicated, single = fig.axes
    _assert_correct_solid_incorrect_dashed(replicated, len(LAYERS))
    bands = _bands(replicated, "band/width/")
    assert len(bands) == len(replicated.collections) == 2 * len(LAYERS)
    lines = _by_gid(replicated, "width/")
    for layer in LAYERS:
        for subset in tidy.SUBSETS:
            expected = _expected(df, "epoch", "width", layer, subset)
            np.testing.assert_allclose(lines[f"width/layer{layer}/{subset}"].get_ydata(),
                                       expected["mean"])
            _, lower, upper = _band_limits(bands[f"band/width/layer{layer}/{subset}"])
            np.testing.assert_allclose(lower, expected["min"])
            np.testing.assert_allclose(upper, expected["max"])
    assert not _bands(single, "band/")  # the single network keeps its stderr bands
    assert len(single.collections) == 2 * len(LAYERS)
    bounds = replicates(bounds_frame, "bound")
    fig = plotting.plot_appendix("net", bounds, df)
    linear, relu, gmw = fig.axes
    assert len(_bands(linear, "band/sigma/")) == len(LAYERS)
    assert len(_bands(relu, "band/bound/")) == 2 * len(LAYERS)
    assert len(_bands(gmw, "band/width/")) == 2 * len(LAYERS)
    assert "mean over 3 seeds, band: min-max" in [t.get_text()
                                                  for t in fig.legends[0].get_texts()]


def test_one_seed_draws_exactly_what_no_seed_draws():
    plotting.apply_style()
    cases = {
        "fig3": lambda f: plotting.plot_relu_singular_values({"a": f(bounds_frame())}),
        "fig4": lambda f: plotting.plot_gaussian_mean_width({"a": f(widths_frame())}),
        "appendix": lambda f: plotting.plot_appendix("a", f(bounds_frame()), f(widths_frame())),
        "fig5": lambda f: plotting.plot_harmonic_pruning({"a": f(pruning_frame())}),
    }
    for name, make in cases.items():
        plain = _rgba(make(lambda df: df))
        fig = make(lambda df: df.assign(seed=7))
        assert not [t.get_text() for t in fig.legends[0].get_texts() if "seed" in t.get_text()]
        seeded = _rgba(fig)
        assert plain.shape == seeded.shape and np.array_equal(plain, seeded), name
        plt.close("all")


def test_figure5_replicates_draw_every_replicates_ranks_and_accuracy_in_its_line_style():
    frames = [pruning_frame(fail_below=f).assign(seed=s) for s, f in ((3, 8), (1, 3), (2, 5))]
    df = pd.concat(frames, ignore_index=True)
    fig = plotting.plot_harmonic_pruning({"net": df})
    ax = fig.axes[0]
    twin = _twin_of(fig, ax)
    accuracy = _by_gid(twin, "test_accuracy")
    assert sorted(accuracy) == ["test_accuracy/seed1", "test_accuracy/seed2",
                                "test_accuracy/seed3"]
    ranks = _by_gid(ax, "rank/")
    assert len(ranks) == 3 * len(LAYERS)
    styles = {1: "-", 2: "--", 3: ":"}  # replicate i (seeds in increasing order)
    notes = [t.get_text() for t in ax.texts if t.get_gid() == "permanent_drop_label"]
    assert len(notes) == 1 and notes[0].startswith("last iteration before 50% for good:")
    for frame in frames:
        seed = int(frame["seed"].iloc[0])
        line = accuracy[f"test_accuracy/seed{seed}"]
        np.testing.assert_allclose(line.get_ydata(), frame["test_accuracy"])
        assert line.get_linestyle() == styles[seed]
        assert matplotlib.colors.to_rgba(line.get_color()) == matplotlib.colors.to_rgba("black")
        for layer in LAYERS:
            rank = ranks[f"rank/layer{layer}/seed{seed}"]
            np.testing.assert_array_equal(rank.get_ydata(), frame[f"rank_{layer}"])
            assert rank.get_linestyle() == styles[seed]
        expected, seed_ranks = tidy.last_iteration_before_drop(frame, 0.5)
        mark = _by_gid(ax, f"permanent_drop/seed{seed}")[f"permanent_drop/seed{seed}"]
        assert list(mark.get_xdata()) == [expected] * 2
        assert (f"replicate {seed} (seed {seed}): iteration {expected}, "
                f"ranks ({', '.join(map(str, seed_ranks))})") in notes[0]
    assert ax.get_title(loc="left") == "(a) net"
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert {"replicate 1", "replicate 2", "replicate 3", "accuracy (right)"} <= set(labels)


def test_pruning_baselines_replicates_draw_a_mean_and_a_min_max_band_per_method():
    seeds = {1: 0.0, 2: 0.1}
    frames = []
    for seed, shift in seeds.items():
        frame = baselines_frame("net")
        frame["parameters"] = frame["parameters"] + 10 * seed  # each seed its own budgets
        frame["test_accuracy"] = frame["test_accuracy"] - shift
        frames.append(frame.assign(seed=seed))
    df = pd.concat(frames, ignore_index=True)
    fig = plotting.plot_pruning_baselines({"net": df})
    ax = fig.axes[0]
    lines = _by_gid(ax, "method/")
    bands = _bands(ax, "band/method/")
    assert sorted(bands) == sorted(f"band/{gid}" for gid in lines)
    assert sorted(lines) == [f"method/{m}" for m in sorted(plotting.METHOD_LABELS)]
    for method, line in lines.items():
        x = np.asarray(line.get_xdata(), dtype=float)
        y = np.asarray(line.get_ydata(), dtype=float)
        assert np.all(np.diff(x) > 0)  # one point per count, in order: no zig-zag
        # only within the range both seeds cover
        assert x.min() >= max(f.loc[f["method"] == method.split("/")[1], "parameters"].min()
                              for f in frames)
        _, lower, upper = _band_limits(bands[f"band/{method}"])
        assert np.all(upper - lower >= 0.1 - 1e-9)  # the seeds differ by 0.1 at least
        np.testing.assert_allclose(y, (lower + upper) / 2, atol=1e-9)  # two seeds: the middle
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[-1] == "mean over 2 seeds, band: min-max"


def test_saved_figures_record_their_replicate_bands_and_lines(tmp_path):
    """The figure files say how many replicate bands and lines they hold (PNG text chunks), so
    the workflow's test can check a rendered figure; a single run records none."""
    from PIL import Image

    style = {"context": "paper", "font_scale": 1.0, "dpi": 60}
    for frame, bands in ((replicates(bounds_frame, "bound"), 2 * len(LAYERS) + len(LAYERS)),
                         (bounds_frame("net"), 0)):
        png = tmp_path / f"fig_{bands}.png"
        plotting.draw_figure(style, tmp_path / f"fig_{bands}.pdf", png,
                             plotting.plot_relu_singular_values, {"net": frame})
        with Image.open(png) as image:
            assert int(image.info["Replicate bands"]) == bands
            assert int(image.info["Replicate lines"]) == 0
