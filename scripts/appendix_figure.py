"""Appendix A: linear SVs, ReLU SV bounds and GMW over training of one further network."""

import pandas as pd

from relusv.plotting import draw_figure, plot_appendix
from relusv.rules import rule_run

with rule_run(snakemake):
    bounds, widths = pd.read_csv(snakemake.input.bounds), pd.read_csv(snakemake.input.widths)
    draw_figure(snakemake.params.style, snakemake.output.pdf, snakemake.output.png,
                plot_appendix, snakemake.wildcards.network, bounds, widths)
