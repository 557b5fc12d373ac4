"""Figure 3: affine ReLU singular value bounds per layer, correct vs incorrect, two networks."""

import pandas as pd

from relusv.plotting import draw_figure, plot_relu_singular_values
from relusv.rules import rule_run

with rule_run(snakemake):
    bounds = {network: pd.read_csv(path) for network, path in snakemake.input.items()}
    draw_figure(snakemake.params.style, snakemake.output.pdf, snakemake.output.png,
                plot_relu_singular_values, bounds)
