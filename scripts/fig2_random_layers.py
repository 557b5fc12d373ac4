"""Figure 2: singular values against ReLU singular value bounds of random layers."""

import pandas as pd

from relusv.plotting import draw_figure, plot_random_layers
from relusv.rules import rule_run

with rule_run(snakemake):
    draw_figure(snakemake.params.style, snakemake.output.pdf, snakemake.output.png,
                plot_random_layers, pd.read_csv(snakemake.input.bounds))
