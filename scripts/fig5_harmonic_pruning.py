"""Figure 5: ranks of the three layers and test accuracy over harmonic pruning iterations."""

from relusv.plotting import draw_figure, plot_harmonic_pruning
from relusv.rules import rule_run
from relusv.tidy import read_replicates

with rule_run(snakemake):
    # one frame per network, its replicates' rows side by side (a `seed` column)
    pruning = {network: read_replicates(paths) for network, paths in snakemake.input.items()}
    draw_figure(snakemake.params.style, snakemake.output.pdf, snakemake.output.png,
                plot_harmonic_pruning, pruning)
