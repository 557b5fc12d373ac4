"""Figure 4: Gaussian mean width per layer over training, correct vs incorrect, two networks."""

from relusv.plotting import draw_figure, plot_gaussian_mean_width
from relusv.rules import rule_run
from relusv.tidy import read_replicates

with rule_run(snakemake):
    # one frame per network, its replicates' rows side by side (a `seed` column)
    widths = {network: read_replicates(paths) for network, paths in snakemake.input.items()}
    draw_figure(snakemake.params.style, snakemake.output.pdf, snakemake.output.png,
                plot_gaussian_mean_width, widths)
