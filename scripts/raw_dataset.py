"""Fetch a dataset's raw files into the cache (sha256-checked), and list them in a manifest."""

from pathlib import Path

from relusv.data import fetch, sha256_file
from relusv.files import write_json
from relusv.rules import rule_run

with rule_run(snakemake) as log:
    manifest = Path(snakemake.output.manifest)
    files = fetch(snakemake.wildcards.dataset, manifest.parent, source=snakemake.params.source)
    write_json(manifest, {"dataset": snakemake.wildcards.dataset,
                          "files": {path.name: sha256_file(path) for path in files}})
