"""Claim C8: the from-scratch runs of one pruned network's dataset gathered and summarised."""

import pandas as pd

from relusv.files import write_csv
from relusv.from_scratch import summarise_from_scratch
from relusv.rules import rule_run
from relusv.tidy import FROM_SCRATCH_RUNS, FROM_SCRATCH_SUMMARY

with rule_run(snakemake):
    runs = pd.concat([pd.read_csv(path) for path in snakemake.input.runs], ignore_index=True)
    summary = summarise_from_scratch(runs.drop(columns="network"))
    summary.insert(0, "network", snakemake.wildcards.pruned)
    write_csv(snakemake.output.runs, runs[list(FROM_SCRATCH_RUNS.columns)])
    write_csv(snakemake.output.summary, summary[list(FROM_SCRATCH_SUMMARY.columns)])
