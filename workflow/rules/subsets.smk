# Subsets: correctly and incorrectly classified points of equal size, drawn from the pool the
# config names (default: the test set), classified by the final trained network.


rule classified_subsets:
    input:
        data=network_dataset,
        weights=rules.trained_network.output.weights,
    output:
        subsets="results/subsets/{network}/seed{seed}.npz",
        summary="results/subsets/{network}/seed{seed}.json",
    params:
        pool=config["subsets"]["pool"],
        max_size=config["subsets"]["max_size"],
        min_size=config["subsets"]["min_size"],
        seed=config["subsets"]["seed"],
    log:
        "logs/subsets/{network}/seed{seed}.log",
    benchmark:
        "results/benchmarks/subsets/{network}/seed{seed}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    script:
        "../../scripts/classified_subsets.py"
