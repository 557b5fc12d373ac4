"""Test accuracy of the from-scratch comparison (claim C8), mean and spread over seeds."""

import pandas as pd

from relusv.results import rule_run
from relusv.tables import from_scratch_table, write_table

with rule_run(snakemake):
    summaries = {network: pd.read_csv(path) for network, path in snakemake.input.items()}
    write_table(from_scratch_table(summaries), snakemake.output.table.removesuffix(".csv"))
