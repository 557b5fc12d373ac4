"""Figure 2: singular values against ReLU singular value bounds of random layers."""

import pandas as pd

from relusv.plotting import apply_style, plot_random_layers, save_figure
from relusv.rules import rule_run

with rule_run(snakemake):
    style = snakemake.params.style
    apply_style(context=style["context"], font_scale=style["font_scale"])
    figure = plot_random_layers(pd.read_csv(snakemake.input.bounds))
    save_figure(figure, snakemake.output.pdf, snakemake.output.png, dpi=style["dpi"])
