"""Figure 5: ranks of the three layers and test accuracy over harmonic pruning iterations."""

import pandas as pd

from relusv.plotting import draw_figure, plot_harmonic_pruning
from relusv.rules import rule_run

with rule_run(snakemake):
    pruning = {network: pd.read_csv(path) for network, path in snakemake.input.items()}
    draw_figure(snakemake.params.style, snakemake.output.pdf, snakemake.output.png,
                plot_harmonic_pruning, pruning)
