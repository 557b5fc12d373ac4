"""The data-dependent bounds of the configured method beside the paper's procedure, per network,
layer and subset (the largest bound and the mean over k)."""

import pandas as pd

from relusv.rules import rule_run
from relusv.tables import bounds_table, write_table

with rule_run(snakemake):
    bounds = pd.concat([pd.read_csv(path) for path in snakemake.input.bounds], ignore_index=True)
    write_table(bounds_table(bounds), snakemake.output.table.removesuffix(".csv"), html=True)
