# Claims: the paper's checkable claims C1-C8, measured on this run, each marked as holding, not
# holding, or not measurable in this config.

# About 1.5 s each on the paper config (benchmarks/results/workflow_probe_jobs.csv): on a cluster
# they run where snakemake runs instead of waiting in the queue (profiles/README.md).
localrules:
    claims,
    replicates_table,


rule claims:
    input:
        random_layers=rules.random_layer_bounds.output.bounds,
        bounds=all_replicates("results/bounds/{network}/seed{seed}.csv"),
        widths=all_replicates("results/widths/{network}/seed{seed}.csv"),
        width_differences=all_replicates("results/widths/{network}/seed{seed}_paired.csv"),
        width_subsamples=all_replicates("results/widths/{network}/seed{seed}_subsamples.csv"),
        subsets=all_replicates("results/subsets/{network}/seed{seed}.json"),
        pruning=all_pruned_replicates("results/pruning/{pruned}/seed{seed}/harmonic_pruning.csv"),
        from_scratch=expand("results/pruning/{pruned}/from_scratch_summary.csv",
                            pruned=PRUNED_NETWORKS),
        pruned_summaries=all_pruned_replicates("results/pruning/{pruned}/seed{seed}/summary.json"),
    output:
        json="results/claims.json",
        markdown="figures/claims.md",
        html=report("figures/claims.html", caption="../report/claims.rst", category="Claims"),
    params:
        # the network of each replicate's file above, in the same order
        networks=[name for name, seed in NETWORK_REPLICATES],
        pruned_networks=[name for name, seed in PRUNED_REPLICATES],
        from_scratch_networks=PRUNED_NETWORKS,
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


# Replicates: per claim C2-C6, replicate (run of the experiment) and network, the numbers its
# verdict rests on, each with the outcome of its own test where it has one.


rule replicates_table:
    input:
        claims=rules.claims.output.json,
    output:
        table="figures/tables/replicates.csv",
        html=report("figures/tables/replicates.html",
                    caption="../report/replicates_table.rst",
                    category="Claims"),
        other=multiext("figures/tables/replicates", ".md", ".tex"),
    log:
        "logs/claims/replicates_table.log",
    benchmark:
        "results/benchmarks/claims/replicates_table.tsv"
    conda:
        "../../environment.yml"
    threads: LIGHT_THREADS
    resources:
        **LIGHT_RESOURCES,
    script:
        "../../scripts/replicates_table.py"
