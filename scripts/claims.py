"""The paper's claims C1-C8, measured on this run."""

import json

import pandas as pd

from relusv.claims import evaluate_claims, evaluate_pruning_claims, write_claims
from relusv.rules import rule_run


def by_name(names, paths, read):
    return {name: read(path) for name, path in zip(names, paths, strict=True)}


def read_json(path):
    with open(path) as file:
        return json.load(file)


with rule_run(snakemake) as log:
    inputs, params = snakemake.input, snakemake.params
    claims = evaluate_claims(
        pd.read_csv(inputs.random_layers),
        by_name(params.networks, inputs.bounds, pd.read_csv),
        by_name(params.networks, inputs.widths, pd.read_csv),
        by_name(params.networks, inputs.subsets, read_json),
        width_differences=by_name(params.networks, inputs.width_differences, pd.read_csv))
    claims += evaluate_pruning_claims(
        by_name(params.pruned_networks, inputs.pruning, pd.read_csv),
        by_name(params.pruned_networks, inputs.from_scratch, pd.read_csv),
        by_name(params.pruned_networks, inputs.pruned_summaries, read_json))
    for claim in claims:
        log.info("%s holds: %s", claim["id"], claim["holds"])
    write_claims(claims, snakemake.output.json, snakemake.output.markdown)
