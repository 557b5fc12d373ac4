"""Table I (the figure networks) and the table of every network: CSV, Markdown and LaTeX."""

import json

from relusv.rules import rule_run
from relusv.tables import network_table, write_table

with rule_run(snakemake):
    summaries = [json.loads(open(path).read()) for path in snakemake.input.summaries]
    write_table(network_table(summaries, networks=snakemake.params.figure_networks),
                snakemake.output.table1.removesuffix(".csv"))
    write_table(network_table(summaries), snakemake.output.networks.removesuffix(".csv"))
