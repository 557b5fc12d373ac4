"""Baselines at harmonic pruning's parameter budgets: magnitude pruning and one-shot SVD."""

import keras
import pandas as pd

from relusv.data import load_prepared
from relusv.files import write_csv
from relusv.pruning import magnitude_pruning_curve, one_shot_svd_curve, state_from_model
from relusv.rules import rule_run
from relusv.tidy import BASELINES, with_seed

with rule_run(snakemake) as log:
    params = snakemake.params
    data, _ = load_prepared(snakemake.input.data)
    state = state_from_model(keras.models.load_model(snakemake.input.model, compile=False))
    harmonic = pd.read_csv(snakemake.input.pruning)
    magnitude = magnitude_pruning_curve(state, data, harmonic, n_budgets=params.n_budgets,
                                        retrain_batch_size=params.retrain_batch_size,
                                        learning_rate=params.learning_rate, seed=params.seed)
    one_shot = one_shot_svd_curve(state, data, mapping=params.svd_mapping,
                                  parameter_budgets=sorted(set(magnitude["target_parameters"])))
    frame = pd.concat([harmonic.assign(method="harmonic"), magnitude.assign(method="magnitude"),
                       one_shot.assign(method="one_shot_svd")], ignore_index=True)
    frame["network"] = snakemake.wildcards.pruned
    write_csv(snakemake.output.baselines,
              with_seed(frame[list(BASELINES.columns)], snakemake.wildcards.seed))
