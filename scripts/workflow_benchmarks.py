"""Every job's time and peak memory from its benchmark file, per job and per rule."""

from relusv.files import write_csv
from relusv.rules import rule_run
from relusv.tables import write_table
from relusv_workflow.benchmarks import job_table, rule_table

with rule_run(snakemake):
    jobs = job_table(dict(zip(snakemake.input, snakemake.params.jobs, strict=True)))
    write_csv(snakemake.output.jobs, jobs)
    write_table(rule_table(jobs), snakemake.output.rules.removesuffix(".csv"))
