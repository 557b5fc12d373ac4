"""Test accuracy against parameter count: harmonic, magnitude and one-shot SVD pruning."""

import pandas as pd

from relusv.plotting import draw_figure, plot_pruning_baselines
from relusv.rules import rule_run

with rule_run(snakemake):
    baselines = {network: pd.read_csv(path) for network, path in snakemake.input.items()}
    draw_figure(snakemake.params.style, snakemake.output.pdf, snakemake.output.png,
                plot_pruning_baselines, baselines)
