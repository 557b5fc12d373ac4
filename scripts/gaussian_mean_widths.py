"""Gaussian mean width of every hidden layer's outputs at every checkpoint, correct vs incorrect,
and the paired difference of the two per layer and checkpoint (claim C5)."""

import keras
import numpy as np

from relusv.analyses import widths_and_differences_over_training
from relusv.data import load_prepared
from relusv.files import write_csv
from relusv.models import layer_weights
from relusv.rules import rule_run
from relusv.subsets import pool_arrays, select_subsets
from relusv.training import checkpoint_files, load_checkpoint, predict_classes

with rule_run(snakemake) as log:
    params = snakemake.params
    model = keras.models.load_model(snakemake.input.model, compile=False)
    subsets = np.load(snakemake.input.subsets)
    final_split = {"correct": subsets["x_correct"], "incorrect": subsets["x_incorrect"]}
    reselect = params.reselect  # the subsets' config when split_at is each_checkpoint
    if reselect is not None:  # only then is the pool reclassified at every checkpoint
        x_pool, y_pool = pool_arrays(load_prepared(snakemake.input.data)[0], reselect["pool"])

    def checkpoints():
        for epoch, path in checkpoint_files(snakemake.input.checkpoints):
            load_checkpoint(model, path)
            split = final_split
            if reselect is not None:
                chosen = select_subsets(y_pool, predict_classes(model, x_pool),
                                        max_size=reselect["max_size"],
                                        min_size=reselect["min_size"], seed=reselect["seed"])
                split = {"correct": x_pool[chosen.correct], "incorrect": x_pool[chosen.incorrect]}
            yield epoch, layer_weights(model), split

    frame, differences = widths_and_differences_over_training(
        snakemake.wildcards.network, checkpoints(), n_draws=params.n_draws, seed=params.seed)
    write_csv(snakemake.output.widths, frame)
    write_csv(snakemake.output.differences, differences)
