"""Figure 3: affine ReLU singular value bounds per layer, correct vs incorrect, two networks."""

import pandas as pd

from relusv.plotting import apply_style, plot_relu_singular_values, save_figure
from relusv.rules import rule_run

with rule_run(snakemake):
    style = snakemake.params.style
    apply_style(context=style["context"], font_scale=style["font_scale"])
    bounds = {network: pd.read_csv(path) for network, path in snakemake.input.items()}
    figure = plot_relu_singular_values(bounds)
    save_figure(figure, snakemake.output.pdf, snakemake.output.png, dpi=style["dpi"])
