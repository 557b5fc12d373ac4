"""Figure 5: ranks of the three layers and test accuracy over harmonic pruning iterations."""

import pandas as pd

from relusv.plotting import apply_style, plot_harmonic_pruning, save_figure
from relusv.rules import rule_run

with rule_run(snakemake):
    style = snakemake.params.style
    apply_style(context=style["context"], font_scale=style["font_scale"])
    pruning = {network: pd.read_csv(path) for network, path in snakemake.input.items()}
    figure = plot_harmonic_pruning(pruning)
    save_figure(figure, snakemake.output.pdf, snakemake.output.png, dpi=style["dpi"])
