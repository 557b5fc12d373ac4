"""Gaussian mean width of every hidden layer's outputs at every checkpoint, correct vs incorrect,
and the paired difference of the two per layer and checkpoint (claim C5).

Reads the checkpoints' epoch_NNN.npz weights (no TensorFlow); with split_at each_checkpoint a
numpy forward pass reclassifies the pool at every checkpoint."""

import numpy as np

from relusv.analyses import widths_and_differences_over_training
from relusv.data import load_prepared
from relusv.files import write_csv
from relusv.rules import rule_run
from relusv.subsets import pool_arrays, select_subsets
from relusv.tidy import with_seed
from relusv.weights import (
    checkpoint_weights_files,
    hidden_layer_weights,
    load_network_weights,
    predict_classes_from_weights,
)

with rule_run(snakemake) as log:
    params = snakemake.params
    files = checkpoint_weights_files(snakemake.input.checkpoints)  # before any work
    subsets = np.load(snakemake.input.subsets)
    final_split = {"correct": subsets["x_correct"], "incorrect": subsets["x_incorrect"]}
    reselect = params.reselect  # the subsets' config when split_at is each_checkpoint
    if reselect is not None:  # only then is the pool reclassified at every checkpoint
        x_pool, y_pool = pool_arrays(load_prepared(snakemake.input.data)[0], reselect["pool"])

    def checkpoints():
        for epoch, path in files:
            network = load_network_weights(path)
            split = final_split
            if reselect is not None:
                chosen = select_subsets(y_pool, predict_classes_from_weights(network, x_pool),
                                        max_size=reselect["max_size"],
                                        min_size=reselect["min_size"], seed=reselect["seed"])
                split = {"correct": x_pool[chosen.correct], "incorrect": x_pool[chosen.incorrect]}
            yield epoch, hidden_layer_weights(network), split

    frame, differences = widths_and_differences_over_training(
        snakemake.wildcards.network, checkpoints(), n_draws=params.n_draws, seed=params.seed)
    write_csv(snakemake.output.widths, with_seed(frame, snakemake.wildcards.seed))
    write_csv(snakemake.output.differences, with_seed(differences, snakemake.wildcards.seed))
