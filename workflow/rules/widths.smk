# Widths: the Gaussian mean width of every hidden layer's outputs over the correct and the
# incorrect points, at every training checkpoint (Figure 4, Appendix A), and the paired
# difference of the two over the same draws (claim C5).


rule gaussian_mean_widths:
    input:
        data=network_dataset,
        checkpoints=rules.trained_network.output.checkpoints,
        subsets=rules.classified_subsets.output.subsets,
    output:
        widths="results/widths/{network}/seed{seed}.csv",
        differences="results/widths/{network}/seed{seed}_paired.csv",
    params:
        n_draws=config["widths"]["n_draws"],
        seed=config["widths"]["seed"],
        # split_at each_checkpoint: the subsets' config, to reclassify the pool at every
        # checkpoint; split_at final: None (the subsets of the final network hold throughout)
        reselect=lambda wildcards: (
            config["subsets"] if config["widths"]["split_at"] == "each_checkpoint" else None),
    log:
        "logs/widths/{network}/seed{seed}.log",
    benchmark:
        "results/benchmarks/widths/{network}/seed{seed}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=60,
    script:
        "../../scripts/gaussian_mean_widths.py"


# Claim C5 over which points were drawn: the paired width difference of R random subsamples of
# the correct and the incorrect points, at the final checkpoint.


rule width_subsamples:
    input:
        data=network_dataset,
        checkpoints=rules.trained_network.output.checkpoints,
        subsets=rules.classified_subsets.output.subsets,
    output:
        subsamples="results/widths/{network}/seed{seed}_subsamples.csv",
    params:
        n_subsamples=config["widths"]["subsamples"],
        fraction=config["widths"]["subsample_fraction"],
        n_draws=config["widths"]["n_draws"],
        seed=config["widths"]["seed"],
        # as in gaussian_mean_widths: the subsets' config when the final checkpoint reclassifies
        # the pool (split_at each_checkpoint), None when the subsets of the final network hold
        reselect=lambda wildcards: (
            config["subsets"] if config["widths"]["split_at"] == "each_checkpoint" else None),
    log:
        "logs/widths/{network}/seed{seed}_subsamples.log",
    benchmark:
        "results/benchmarks/widths/{network}/seed{seed}_subsamples.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=30,
    script:
        "../../scripts/width_subsamples.py"
