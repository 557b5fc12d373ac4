# Widths: the Gaussian mean width of every hidden layer's outputs over the correct and the
# incorrect points, at every training checkpoint (Figure 4, Appendix A), and the paired
# difference of the two over the same draws (claim C5).


rule gaussian_mean_widths:
    input:
        data=network_dataset,
        model=rules.trained_network.output.model,
        checkpoints=rules.trained_network.output.checkpoints,
        subsets=rules.classified_subsets.output.subsets,
    output:
        widths="results/widths/{network}.csv",
        differences="results/widths/{network}_paired.csv",
    params:
        n_draws=config["widths"]["n_draws"],
        split_at=config["widths"]["split_at"],
        seed=config["widths"]["seed"],
        pool=config["subsets"]["pool"],
        max_size=config["subsets"]["max_size"],
        min_size=config["subsets"]["min_size"],
        subset_seed=config["subsets"]["seed"],
    log:
        "logs/widths/{network}.log",
    benchmark:
        "results/benchmarks/widths/{network}.tsv"
    conda:
        "../../environment.yml"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=60,
    script:
        "../../scripts/gaussian_mean_widths.py"
