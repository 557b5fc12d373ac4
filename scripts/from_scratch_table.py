"""Test accuracy of the from-scratch comparison (claim C8), mean and spread over seeds."""

import json

import pandas as pd

from relusv.rules import rule_run
from relusv.tables import from_scratch_table, write_table

with rule_run(snakemake):
    networks, inputs = snakemake.params.pruned_networks, snakemake.input
    summaries = {name: pd.read_csv(path)
                 for name, path in zip(networks, inputs.summaries, strict=True)}
    trained = {name: [] for name in networks}  # every replicate's training summary
    for path in inputs.trained:
        summary = json.loads(open(path).read())
        trained[summary["network"]].append(summary)
    write_table(from_scratch_table(summaries, trained=trained),
                snakemake.output.table.removesuffix(".csv"), html=True)
