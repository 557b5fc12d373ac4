"""Table I (the figure networks), the table of every network and the training times: CSV,
Markdown and LaTeX."""

import json

from relusv.rules import rule_run
from relusv.tables import network_table, people_table, timing_table, write_table

with rule_run(snakemake):
    summaries = [json.loads(open(path).read()) for path in snakemake.input.summaries]
    table1 = network_table(summaries, networks=snakemake.params.figure_networks)
    # Table I as the paper prints it: no validation accuracy (the CSV keeps it)
    write_table(table1, snakemake.output.table1.removesuffix(".csv"),
                people=people_table(table1, drop=("val_accuracy",)), html=True)
    write_table(network_table(summaries), snakemake.output.networks.removesuffix(".csv"),
                html=True)
    write_table(timing_table(summaries), snakemake.output.timings.removesuffix(".csv"),
                html=True)
