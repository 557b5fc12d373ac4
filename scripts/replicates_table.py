"""Per claim C2-C6 and replicate (seed), the measured number its verdict rests on."""

from relusv.claims import read_claims, replicates_table
from relusv.rules import rule_run
from relusv.tables import write_table

with rule_run(snakemake):
    write_table(replicates_table(read_claims(snakemake.input.claims)),
                snakemake.output.table.removesuffix(".csv"), html=True)
