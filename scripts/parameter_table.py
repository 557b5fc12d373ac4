"""Parameter counts of the dense and double-layer MLPs of section V-C (claim C7)."""

from relusv.rules import rule_run
from relusv.tables import parameter_table, write_table

with rule_run(snakemake):
    write_table(parameter_table(snakemake.params.input_dims),
                snakemake.output.table.removesuffix(".csv"), html=True)
