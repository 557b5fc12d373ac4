"""Figure 3: affine ReLU singular value bounds per layer, correct vs incorrect, two networks."""

from relusv.plotting import draw_figure, plot_relu_singular_values
from relusv.rules import rule_run
from relusv.tidy import read_replicates

with rule_run(snakemake):
    # one frame per network, its replicates' rows side by side (a `seed` column)
    bounds = {network: read_replicates(paths) for network, paths in snakemake.input.items()}
    draw_figure(snakemake.params.style, snakemake.output.pdf, snakemake.output.png,
                plot_relu_singular_values, bounds)
