"""Appendix A: linear SVs, ReLU SV bounds and GMW over training of one further network."""

import pandas as pd

from relusv.plotting import apply_style, plot_appendix, save_figure
from relusv.rules import rule_run

with rule_run(snakemake):
    style = snakemake.params.style
    apply_style(context=style["context"], font_scale=style["font_scale"])
    figure = plot_appendix(snakemake.wildcards.network, pd.read_csv(snakemake.input.bounds),
                           pd.read_csv(snakemake.input.widths))
    save_figure(figure, snakemake.output.pdf, snakemake.output.png, dpi=style["dpi"])
