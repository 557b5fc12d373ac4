# Random layers: unbiased ReLU singular value bounds of random low-dimensional layers over dense
# samples of the unit sphere, against their linear singular values (Figure 2).


rule random_layer_bounds:
    output:
        bounds="results/random_layers/bounds.csv",
    params:
        shapes=config["random_layers"]["shapes"],
        layers_per_shape=config["random_layers"]["layers_per_shape"],
        n_points=config["random_layers"]["n_points"],
        steps=config["random_layers"]["steps"],
        learning_rate=config["random_layers"]["learning_rate"],
        seed=config["random_layers"]["seed"],
    log:
        "logs/random_layers/bounds.log",
    benchmark:
        "results/benchmarks/random_layers/bounds.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    script:
        "../../scripts/random_layer_bounds.py"
