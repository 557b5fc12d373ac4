# Claims: the paper's checkable claims C1-C8, measured on this run, each marked as holding, not
# holding, or not measurable in this config.


rule claims:
    input:
        random_layers=rules.random_layer_bounds.output.bounds,
        bounds=expand("results/bounds/{network}.csv", network=NETWORKS),
        widths=expand("results/widths/{network}.csv", network=NETWORKS),
        width_differences=expand("results/widths/{network}_paired.csv", network=NETWORKS),
        subsets=expand("results/subsets/{network}.json", network=NETWORKS),
        pruning=expand("results/pruning/{pruned}/harmonic_pruning.csv", pruned=PRUNED_NETWORKS),
        from_scratch=expand("results/pruning/{pruned}/from_scratch_summary.csv",
                            pruned=PRUNED_NETWORKS),
        pruned_summaries=expand("results/pruning/{pruned}/summary.json", pruned=PRUNED_NETWORKS),
    output:
        json="results/claims.json",
        markdown=report("figures/claims.md", caption="../report/claims.rst", category="Claims"),
    params:
        networks=NETWORKS,
        pruned_networks=PRUNED_NETWORKS,
    log:
        "logs/claims/claims.log",
    benchmark:
        "results/benchmarks/claims/claims.tsv"
    conda:
        "../../environment.yml"
    threads: LIGHT_THREADS
    resources:
        **LIGHT_RESOURCES,
    script:
        "../../scripts/claims.py"
