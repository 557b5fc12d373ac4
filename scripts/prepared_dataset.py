"""Normalise a dataset and split it into fixed, seeded train / validation / test sets."""

from pathlib import Path

from relusv.data import prepare, save_prepared
from relusv.rules import rule_run

with rule_run(snakemake) as log:
    params = snakemake.params
    arrays, metadata = prepare(snakemake.wildcards.dataset, Path(snakemake.input.manifest).parent,
                               validation_fraction=params.validation_fraction,
                               test_fraction=params.test_fraction, seed=params.seed)
    log.info("prepared %s: %s", snakemake.wildcards.dataset, metadata["split_sizes"])
    save_prepared(snakemake.output.data, arrays, metadata)
