"""Harmonic pruning of a trained double-layer MLP until no parameters are left (Figure 5)."""

import shutil

import keras

from relusv.data import load_prepared
from relusv.files import write_csv
from relusv.pruning import harmonic_pruning, pruning_frame
from relusv.rules import rule_run
from relusv.tidy import with_seed

with rule_run(snakemake) as log:
    params = snakemake.params
    data, _ = load_prepared(snakemake.input.data)
    records = harmonic_pruning(
        keras.models.load_model(snakemake.input.model, compile=False), data,
        retrain_batches=params.retrain_batches, retrain_batch_size=params.retrain_batch_size,
        accuracy_drop=params.accuracy_drop, retrain_every=params.retrain_every,
        rank_threshold=params.rank_threshold, max_iterations=params.max_iterations,
        learning_rate=params.learning_rate, state_dir=params.state_dir, seed=params.seed,
        on_record=lambda record, state: log.info("iteration %d: ranks %s, test accuracy %.4f",
                                                 record["iteration"], record["ranks"],
                                                 record["test_accuracy"]))
    frame = pruning_frame(records)
    frame.insert(0, "network", snakemake.wildcards.pruned)
    write_csv(snakemake.output.pruning, with_seed(frame, snakemake.wildcards.seed))
    shutil.rmtree(params.state_dir)  # the finished CSV holds everything the state did
