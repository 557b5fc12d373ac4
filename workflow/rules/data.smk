# Data: fetch each dataset once (checked against its sha256), then prepare it into a normalised
# .npz with fixed, seeded train / validation / test splits.


# Downloads need the internet, which cluster compute nodes often lack: run them where snakemake
# runs. Preparing a dataset takes seconds (paper config: 1-27 s, CIFAR-10 the longest, 1 GB),
# less than a cluster job's queue wait, so it runs there too (profiles/README.md).
localrules:
    raw_dataset,
    prepared_dataset,


rule raw_dataset:
    output:
        manifest=f"{RAW_DIR}/{{dataset}}/manifest.json",
    params:
        source=lambda wildcards: config["data"]["sources"].get(wildcards.dataset),
    log:
        "logs/data/raw_{dataset}.log",
    benchmark:
        "results/benchmarks/data/raw_{dataset}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    script:
        "../../scripts/raw_dataset.py"


rule prepared_dataset:
    input:
        manifest=rules.raw_dataset.output.manifest,
    output:
        data="results/data/{dataset}.npz",
    params:
        validation_fraction=config["data"]["validation_fraction"],
        test_fraction=config["data"]["test_fraction"],
        seed=config["data"]["split_seed"],
    log:
        "logs/data/prepared_{dataset}.log",
    benchmark:
        "results/benchmarks/data/prepared_{dataset}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=30,
    script:
        "../../scripts/prepared_dataset.py"
