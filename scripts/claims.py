"""The paper's claims C1-C5, measured on this run."""

import json

import pandas as pd

from relusv.claims import evaluate_claims, write_claims
from relusv.results import rule_run

with rule_run(snakemake) as log:
    inputs, networks = snakemake.input, snakemake.params.networks
    claims = evaluate_claims(
        pd.read_csv(inputs.random_layers),
        {name: pd.read_csv(path) for name, path in zip(networks, inputs.bounds, strict=True)},
        {name: pd.read_csv(path) for name, path in zip(networks, inputs.widths, strict=True)},
        {name: json.loads(open(path).read())
         for name, path in zip(networks, inputs.subsets, strict=True)})
    for claim in claims:
        log.info("%s holds: %s", claim["id"], claim["holds"])
    write_claims(claims, snakemake.output.json, snakemake.output.markdown)
