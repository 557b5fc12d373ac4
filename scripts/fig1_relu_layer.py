"""Figure 1: what relu(W .) does to the unit disk."""

import numpy as np

from relusv.plotting import draw_figure, plot_relu_layer
from relusv.rules import rule_run

with rule_run(snakemake):
    draw_figure(snakemake.params.style, snakemake.output.pdf, snakemake.output.png,
                plot_relu_layer, np.array(snakemake.params.weights),
                n_points=snakemake.params.n_points)
