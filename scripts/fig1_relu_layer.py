"""Figure 1: what relu(W .) does to the unit disk."""

import numpy as np

from relusv.plotting import apply_style, plot_relu_layer, save_figure
from relusv.rules import rule_run

with rule_run(snakemake):
    style = snakemake.params.style
    apply_style(context=style["context"], font_scale=style["font_scale"])
    figure = plot_relu_layer(np.array(snakemake.params.weights),
                             n_points=snakemake.params.n_points)
    save_figure(figure, snakemake.output.pdf, snakemake.output.png, dpi=style["dpi"])
