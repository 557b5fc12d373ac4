"""Claim C5 over which points were drawn: per hidden layer and random subsample of the correct and
the incorrect points, the paired width difference at the final checkpoint.

Reads the final checkpoint's weights (no TensorFlow); with split_at each_checkpoint a numpy
forward pass reclassifies the pool there, as the widths rule does."""

from relusv.files import write_csv
from relusv.rules import rule_run
from relusv.subsets import split_for_network
from relusv.tidy import with_seed
from relusv.weights import checkpoint_weights_files, hidden_layer_weights, load_network_weights
from relusv.width_subsamples import subsampled_width_differences

with rule_run(snakemake) as log:
    params = snakemake.params
    epoch, path = checkpoint_weights_files(snakemake.input.checkpoints)[-1]
    network = load_network_weights(path)
    # as in gaussian_mean_widths: params.reselect reclassifies the pool (split_at each_checkpoint)
    split = split_for_network(snakemake.input.subsets, snakemake.input.data,
                              params.reselect)(network)
    log.info("%s: %d subsamples of %d and %d points at epoch %d",
             snakemake.wildcards.network, params.n_subsamples, len(split["correct"]),
             len(split["incorrect"]), epoch)
    frame = subsampled_width_differences(
        snakemake.wildcards.network, epoch, hidden_layer_weights(network), split,
        n_subsamples=params.n_subsamples, fraction=params.fraction, n_draws=params.n_draws,
        seed=params.seed)
    write_csv(snakemake.output.subsamples, with_seed(frame, snakemake.wildcards.seed))
