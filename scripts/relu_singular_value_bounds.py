"""Affine data-dependent ReLU singular value bounds of every hidden layer, correct vs incorrect."""

import keras
import numpy as np

from relusv.analyses import network_bounds
from relusv.files import write_csv
from relusv.models import layer_weights
from relusv.rules import rule_run

with rule_run(snakemake) as log:
    params = snakemake.params
    subsets = np.load(snakemake.input.subsets)
    model = keras.models.load_model(snakemake.input.model, compile=False)
    frame = network_bounds(
        snakemake.wildcards.network, layer_weights(model),
        {"correct": subsets["x_correct"], "incorrect": subsets["x_incorrect"]},
        steps=params.steps, learning_rate=params.learning_rate,
        approximant_bias=params.approximant_bias, n_threads=snakemake.threads)
    write_csv(snakemake.output.bounds, frame)
