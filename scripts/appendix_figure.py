"""Appendix A: linear SVs, ReLU SV bounds and GMW over training of one further network."""

from relusv.plotting import draw_figure, plot_appendix
from relusv.rules import rule_run
from relusv.tidy import read_replicates

with rule_run(snakemake):
    # the network's replicates side by side (a `seed` column)
    bounds = read_replicates(snakemake.input.bounds)
    widths = read_replicates(snakemake.input.widths)
    draw_figure(snakemake.params.style, snakemake.output.pdf, snakemake.output.png,
                plot_appendix, snakemake.wildcards.network, bounds, widths)
