"""Figure 4: Gaussian mean width per layer over training, correct vs incorrect, two networks."""

import pandas as pd

from relusv.plotting import apply_style, plot_gaussian_mean_width, save_figure
from relusv.rules import rule_run

with rule_run(snakemake):
    style = snakemake.params.style
    apply_style(context=style["context"], font_scale=style["font_scale"])
    widths = {network: pd.read_csv(path) for network, path in snakemake.input.items()}
    figure = plot_gaussian_mean_width(widths)
    save_figure(figure, snakemake.output.pdf, snakemake.output.png, dpi=style["dpi"])
