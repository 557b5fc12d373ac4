"""Claim C8: one architecture trained from scratch under a group of seeds at once (one stacked
computation), one CSV with a row of its test accuracy per seed."""

from relusv.data import load_prepared
from relusv.files import write_csv
from relusv.from_scratch import from_scratch_runs
from relusv.rules import rule_run

with rule_run(snakemake) as log:
    params = snakemake.params
    data, metadata = load_prepared(snakemake.input.data)
    runs = from_scratch_runs(
        data, params.architecture, params.seeds, epochs=params.max_epochs,
        batch_size=params.batch_size, patience=params.patience,
        learning_rate=params.learning_rate, init=f"{params.init_target}_p_product", p=params.p,
        classes=metadata["n_classes"])
    runs.insert(0, "network", snakemake.wildcards.pruned)
    write_csv(snakemake.output.runs, runs)
