"""Claim C8: small dense, low-rank double-layer and wide dense MLPs trained from scratch."""

from relusv.data import load_prepared
from relusv.files import write_csv
from relusv.from_scratch import from_scratch_comparison
from relusv.rules import rule_run
from relusv.tidy import FROM_SCRATCH_RUNS, FROM_SCRATCH_SUMMARY

with rule_run(snakemake) as log:
    params = snakemake.params
    data, metadata = load_prepared(snakemake.input.data)
    runs, summary = from_scratch_comparison(
        data, architectures=params.architectures, seeds=params.seeds, epochs=params.max_epochs,
        batch_size=params.batch_size, patience=params.patience,
        learning_rate=params.learning_rate, init=f"{params.init_target}_p_product", p=params.p,
        classes=metadata["n_classes"])
    for frame in (runs, summary):
        frame.insert(0, "network", snakemake.wildcards.pruned)
    write_csv(snakemake.output.runs, runs[list(FROM_SCRATCH_RUNS.columns)])
    write_csv(snakemake.output.summary, summary[list(FROM_SCRATCH_SUMMARY.columns)])
