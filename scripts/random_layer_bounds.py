"""Figure 2's data: unbiased ReLU singular value bounds of random layers on the sphere."""

from relusv.analyses import random_layer_bounds
from relusv.files import write_csv
from relusv.rules import rule_run

with rule_run(snakemake) as log:
    params = snakemake.params
    frame = random_layer_bounds(params.shapes, layers_per_shape=params.layers_per_shape,
                                n_points=params.n_points, steps=params.steps,
                                learning_rate=params.learning_rate,
                                tolerance=params.tolerance, patience=params.patience,
                                holdout_points=params.holdout_points,
                                ascent_starts=params.ascent_starts,
                                ascent_steps=params.ascent_steps, rounds=params.rounds,
                                seed=params.seed, n_threads=snakemake.threads)
    write_csv(snakemake.output.bounds, frame)
