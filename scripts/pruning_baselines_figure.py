"""Test accuracy against parameter count: harmonic, magnitude and one-shot SVD pruning."""

from relusv.plotting import draw_figure, plot_pruning_baselines
from relusv.rules import rule_run
from relusv.tidy import read_replicates

with rule_run(snakemake):
    # one frame per network, its replicates' rows side by side (a `seed` column)
    baselines = {network: read_replicates(paths) for network, paths in snakemake.input.items()}
    draw_figure(snakemake.params.style, snakemake.output.pdf, snakemake.output.png,
                plot_pruning_baselines, baselines)
