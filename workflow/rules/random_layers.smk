# Random layers: unbiased ReLU singular value bounds of random low-dimensional layers on the unit
# sphere, against their linear singular values (Figure 2): the paper's bound over the sample and
# the refined bound off it.


rule random_layer_bounds:
    output:
        bounds="results/random_layers/bounds.csv",
    params:
        shapes=config["random_layers"]["shapes"],
        layers_per_shape=config["random_layers"]["layers_per_shape"],
        n_points=config["random_layers"]["n_points"],
        steps=config["random_layers"]["steps"],
        learning_rate=config["random_layers"]["learning_rate"],
        tolerance=config["random_layers"]["tolerance"],
        patience=config["random_layers"]["patience"],
        holdout_points=config["random_layers"]["holdout_points"],
        ascent_starts=config["random_layers"]["ascent_starts"],
        ascent_steps=config["random_layers"]["ascent_steps"],
        rounds=config["random_layers"]["rounds"],
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
