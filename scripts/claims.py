"""The paper's claims C1-C8, measured on this run, judged per replicate where there are several."""

import json

import pandas as pd

from relusv.claims import evaluate_claims, evaluate_pruning_claims, write_claims
from relusv.files import write_text
from relusv.rules import rule_run
from relusv.tables import markdown_page


def read_json(path):
    with open(path) as file:
        return json.load(file)


def by_network(names, paths, read, combine):
    """Each network's replicates' files (``names[i]`` is the network of ``paths[i]``), read and
    combined into one value per network, in the order of the names."""
    grouped = {}
    for name, path in zip(names, paths, strict=True):
        grouped.setdefault(name, []).append(read(path))
    return {name: combine(values) for name, values in grouped.items()}


def frames(values):
    return pd.concat(values, ignore_index=True)


def summaries(values):
    return values if len(values) > 1 else values[0]


with rule_run(snakemake) as log:
    inputs, params = snakemake.input, snakemake.params
    networks, pruned = params.networks, params.pruned_networks
    claims = evaluate_claims(
        pd.read_csv(inputs.random_layers),
        by_network(networks, inputs.bounds, pd.read_csv, frames),
        by_network(networks, inputs.widths, pd.read_csv, frames),
        by_network(networks, inputs.subsets, read_json, summaries),
        width_differences=by_network(networks, inputs.width_differences, pd.read_csv, frames),
        width_subsamples=by_network(networks, inputs.width_subsamples, pd.read_csv, frames))
    claims += evaluate_pruning_claims(
        by_network(pruned, inputs.pruning, pd.read_csv, frames),
        by_network(params.from_scratch_networks, inputs.from_scratch, pd.read_csv, frames),
        by_network(pruned, inputs.pruned_summaries, read_json, summaries))
    for claim in claims:
        log.info("%s holds: %s", claim["id"], claim["holds"])
    write_claims(claims, snakemake.output.json, snakemake.output.markdown)
    # the same page for the HTML report, which draws HTML but not Markdown
    with open(snakemake.output.markdown, encoding="utf-8") as file:
        write_text(snakemake.output.html, markdown_page(file.read(), "Claims C1-C8"))
