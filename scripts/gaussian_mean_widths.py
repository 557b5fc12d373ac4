"""Gaussian mean width of every hidden layer's outputs at every checkpoint, correct vs incorrect,
and the paired difference of the two per layer and checkpoint (claim C5).

Reads the checkpoints' epoch_NNN.npz weights (no TensorFlow); with split_at each_checkpoint a
numpy forward pass reclassifies the pool at every checkpoint."""

from relusv.analyses import widths_and_differences_over_training
from relusv.files import write_csv
from relusv.rules import rule_run
from relusv.subsets import split_for_network
from relusv.tidy import with_seed
from relusv.weights import checkpoint_weights_files, hidden_layer_weights, load_network_weights

with rule_run(snakemake) as log:
    params = snakemake.params
    files = checkpoint_weights_files(snakemake.input.checkpoints)  # before any work
    # params.reselect: the subsets' config when split_at is each_checkpoint (only then is the
    # pool reclassified at every checkpoint), None when the final network's subsets hold
    split_for = split_for_network(snakemake.input.subsets, snakemake.input.data, params.reselect)

    def checkpoints():
        for epoch, path in files:
            network = load_network_weights(path)
            yield epoch, hidden_layer_weights(network), split_for(network)

    frame, differences = widths_and_differences_over_training(
        snakemake.wildcards.network, checkpoints(), n_draws=params.n_draws, seed=params.seed)
    write_csv(snakemake.output.widths, with_seed(frame, snakemake.wildcards.seed))
    write_csv(snakemake.output.differences, with_seed(differences, snakemake.wildcards.seed))
