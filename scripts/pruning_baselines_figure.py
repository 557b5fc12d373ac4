"""Test accuracy against parameter count: harmonic, magnitude and one-shot SVD pruning."""

import pandas as pd

from relusv.plotting import apply_style, plot_pruning_baselines, save_figure
from relusv.rules import rule_run

with rule_run(snakemake):
    style = snakemake.params.style
    apply_style(context=style["context"], font_scale=style["font_scale"])
    baselines = {network: pd.read_csv(path) for network, path in snakemake.input.items()}
    figure = plot_pruning_baselines(baselines)
    save_figure(figure, snakemake.output.pdf, snakemake.output.png, dpi=style["dpi"])
