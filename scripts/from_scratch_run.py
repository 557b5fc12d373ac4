"""Claim C8: one architecture trained from scratch under one seed, its test accuracy."""

from relusv.data import load_prepared
from relusv.files import write_csv
from relusv.from_scratch import from_scratch_run
from relusv.rules import rule_run

with rule_run(snakemake) as log:
    params = snakemake.params
    data, metadata = load_prepared(snakemake.input.data)
    run = from_scratch_run(
        data, params.architecture, params.seed, epochs=params.max_epochs,
        batch_size=params.batch_size, patience=params.patience,
        learning_rate=params.learning_rate, init=f"{params.init_target}_p_product", p=params.p,
        classes=metadata["n_classes"])
    run.insert(0, "network", snakemake.wildcards.pruned)
    write_csv(snakemake.output.run, run)
