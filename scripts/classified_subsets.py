"""Correctly and incorrectly classified points of equal size, by the final trained network.

Reads the network's weights.npz (no TensorFlow): a numpy forward pass classifies the pool."""

from relusv.data import load_prepared
from relusv.files import save_npz, write_json
from relusv.rules import rule_run
from relusv.subsets import pool_arrays, select_subsets
from relusv.weights import load_network_weights, predict_classes_from_weights

with rule_run(snakemake) as log:
    params = snakemake.params
    x, y = pool_arrays(load_prepared(snakemake.input.data)[0], params.pool)
    network = load_network_weights(snakemake.input.weights)
    subsets = select_subsets(y, predict_classes_from_weights(network, x),
                             max_size=params.max_size, min_size=params.min_size,
                             seed=params.seed)
    log.info("%s", subsets.summary())
    save_npz(snakemake.output.subsets, correct=subsets.correct, incorrect=subsets.incorrect,
             x_correct=x[subsets.correct], x_incorrect=x[subsets.incorrect])
    write_json(snakemake.output.summary,
               {"network": snakemake.wildcards.network, "seed": int(snakemake.wildcards.seed),
                "pool": params.pool, **subsets.summary()})
