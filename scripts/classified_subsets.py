"""Correctly and incorrectly classified points of equal size, by the final trained network."""

import keras

from relusv.data import load_prepared
from relusv.files import save_npz, write_json
from relusv.rules import rule_run
from relusv.subsets import pool_arrays, select_subsets
from relusv.training import predict_classes

with rule_run(snakemake) as log:
    params = snakemake.params
    x, y = pool_arrays(load_prepared(snakemake.input.data)[0], params.pool)
    model = keras.models.load_model(snakemake.input.model, compile=False)
    subsets = select_subsets(y, predict_classes(model, x), max_size=params.max_size,
                             min_size=params.min_size, seed=params.seed)
    log.info("%s", subsets.summary())
    save_npz(snakemake.output.subsets, correct=subsets.correct, incorrect=subsets.incorrect,
             x_correct=x[subsets.correct], x_incorrect=x[subsets.incorrect])
    write_json(snakemake.output.summary,
               {"network": snakemake.wildcards.network, "pool": params.pool, **subsets.summary()})
