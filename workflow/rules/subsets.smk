# Subsets: correctly and incorrectly classified points of equal size, drawn from the pool the
# config names (default: the test set), classified by the final trained network.


rule classified_subsets:
    input:
        data=network_dataset,
        model=rules.trained_network.output.model,
    output:
        subsets="results/subsets/{network}.npz",
        summary="results/subsets/{network}.json",
    params:
        pool=config["subsets"]["pool"],
        max_size=config["subsets"]["max_size"],
        min_size=config["subsets"]["min_size"],
        seed=config["subsets"]["seed"],
    log:
        "logs/subsets/{network}.log",
    benchmark:
        "results/benchmarks/subsets/{network}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    script:
        "../../scripts/classified_subsets.py"
