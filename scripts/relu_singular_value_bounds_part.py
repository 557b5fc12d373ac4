"""Affine data-dependent ReLU singular value bounds of one hidden layer over one subset (all of
its ranks, or one interleaved part of them).

Reads the network's weights.npz (no TensorFlow)."""

import numpy as np

from relusv.analyses import network_bounds
from relusv.config import ALL_LAYERS
from relusv.files import write_csv
from relusv.rules import rule_run
from relusv.tidy import with_seed
from relusv.weights import hidden_layer_weights, load_network_weights

with rule_run(snakemake) as log:
    params, wildcards = snakemake.params, snakemake.wildcards
    subsets = np.load(snakemake.input.subsets)
    weights = hidden_layer_weights(load_network_weights(snakemake.input.weights))
    frame = network_bounds(
        wildcards.network, weights, {wildcards.subset: subsets[f"x_{wildcards.subset}"]},
        steps=params.steps, learning_rate=params.learning_rate,
        approximant_bias=params.approximant_bias, method=params.method,
        tight_steps=params.tight_steps, error_power=params.error_power,
        choose_start_at=params.choose_start_at, row_space=params.row_space,
        paper_reference=params.paper_reference, tolerance=params.tolerance,
        patience=params.patience, rank_part=params.rank_part, n_threads=snakemake.threads,
        layers=None if wildcards.layer == ALL_LAYERS else [int(wildcards.layer)])
    write_csv(snakemake.output.bounds, with_seed(frame, wildcards.seed))
