"""One replicate's bounds table: its (subset, layer, rank part) jobs gathered, bitwise the table
of one job computing them all."""

from relusv.analyses import gather_network_bounds
from relusv.files import write_csv
from relusv.rules import rule_run
from relusv.tidy import with_seed

with rule_run(snakemake):
    write_csv(snakemake.output.bounds, with_seed(gather_network_bounds(snakemake.input.parts),
                                                 snakemake.wildcards.seed))
