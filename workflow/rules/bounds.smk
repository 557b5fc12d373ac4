# Bounds: data-dependent affine ReLU singular value bounds and linear singular values of every
# hidden layer, over the correct and over the incorrect points (Figure 3, Appendix A).


rule relu_singular_value_bounds:
    input:
        model=rules.trained_network.output.model,
        subsets=rules.classified_subsets.output.subsets,
    output:
        bounds="results/bounds/{network}.csv",
    params:
        steps=config["bounds"]["steps"],
        learning_rate=config["bounds"]["learning_rate"],
        approximant_bias=config["bounds"]["approximant_bias"],
    log:
        "logs/bounds/{network}.log",
    benchmark:
        "results/benchmarks/bounds/{network}.tsv"
    conda:
        "../../environment.yml"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=120,
    script:
        "../../scripts/relu_singular_value_bounds.py"
