# Bounds: data-dependent affine ReLU singular value bounds and linear singular values of every
# hidden layer, over the correct and over the incorrect points (Figure 3, Appendix A). One job
# per (replicate, subset, layer, part of the layer's ranks: bounds.ranks_per_job), so that a
# large network's bounds spread over cores and cluster nodes; relu_singular_value_bounds gathers
# them into the replicate's table, bitwise the table one job computing everything would write.

# The gather reads and concatenates CSVs (under 2 s on the paper config,
# benchmarks/results/workflow_probe_jobs.csv): on a cluster it runs where snakemake runs
# (profiles/README.md). The parts are grouped per replicate by profiles/slurm instead.
localrules:
    relu_singular_value_bounds,


rule relu_singular_value_bounds_part:
    wildcard_constraints:
        subset="|".join(SUBSETS),
        layer=r"\d+|all",
        part=r"\d+",
    input:
        weights=rules.trained_network.output.weights,
        subsets=rules.classified_subsets.output.subsets,
    output:
        bounds="results/bounds/{network}/seed{seed}/{subset}_layer{layer}_part{part}.csv",
    params:
        steps=config["bounds"]["steps"],
        learning_rate=config["bounds"]["learning_rate"],
        approximant_bias=config["bounds"]["approximant_bias"],
        method=config["bounds"]["method"],
        tight_steps=config["bounds"]["tight_steps"],
        error_power=config["bounds"]["error_power"],
        choose_start_at=config["bounds"]["choose_start_at"],
        row_space=config["bounds"]["row_space"],
        paper_reference=config["bounds"]["paper_reference"],
        tolerance=config["bounds"]["tolerance"],
        patience=config["bounds"]["patience"],
        rank_part=bounds_rank_part_of,
    log:
        "logs/bounds/{network}/seed{seed}/{subset}_layer{layer}_part{part}.log",
    benchmark:
        "results/benchmarks/bounds/{network}/seed{seed}/{subset}_layer{layer}_part{part}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    script:
        "../../scripts/relu_singular_value_bounds_part.py"


rule relu_singular_value_bounds:
    input:
        parts=bounds_parts,
    output:
        bounds="results/bounds/{network}/seed{seed}.csv",
    log:
        "logs/bounds/{network}/seed{seed}.log",
    benchmark:
        "results/benchmarks/bounds/{network}/seed{seed}.tsv"
    conda:
        "../../environment.yml"
    threads: LIGHT_THREADS
    resources:
        **LIGHT_RESOURCES,
    script:
        "../../scripts/relu_singular_value_bounds.py"
