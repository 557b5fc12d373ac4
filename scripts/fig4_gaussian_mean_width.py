"""Figure 4: Gaussian mean width per layer over training, correct vs incorrect, two networks."""

import pandas as pd

from relusv.plotting import draw_figure, plot_gaussian_mean_width
from relusv.rules import rule_run

with rule_run(snakemake):
    widths = {network: pd.read_csv(path) for network, path in snakemake.input.items()}
    draw_figure(snakemake.params.style, snakemake.output.pdf, snakemake.output.png,
                plot_gaussian_mean_width, widths)
