# Pruning (section V): double-layer MLPs trained at full rank, harmonic pruning to zero
# parameters (Figure 5), the baselines the paper lacks (magnitude pruning, one-shot truncated
# SVD) and the from-scratch comparison of claim C8.

# The gather of the from-scratch runs takes about 1 s on the paper config
# (benchmarks/results/workflow_probe_jobs.csv): on a cluster it runs where snakemake runs
# (profiles/README.md).
localrules:
    from_scratch_comparison,


rule double_layer_network:
    input:
        data=pruned_network_dataset,
    output:
        model="results/pruning/{pruned}/seed{seed}/model.keras",
        summary="results/pruning/{pruned}/seed{seed}/summary.json",
    params:
        network=pruned_replicate,
        resume_dir=lambda wildcards: (
            f"results/pruning/{wildcards.pruned}/seed{wildcards.seed}/training_resume"),
    log:
        "logs/pruning/double_layer_network/{pruned}/seed{seed}.log",
    benchmark:
        "results/benchmarks/pruning/double_layer_network/{pruned}/seed{seed}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=240,
    script:
        "../../scripts/double_layer_network.py"


rule harmonic_pruning:
    input:
        data=pruned_network_dataset,
        model=rules.double_layer_network.output.model,
    output:
        pruning="results/pruning/{pruned}/seed{seed}/harmonic_pruning.csv",
    params:
        retrain_batches=config["pruning"]["retrain_batches"],
        retrain_batch_size=config["pruning"]["retrain_batch_size"],
        accuracy_drop=config["pruning"]["accuracy_drop"],
        retrain_every=config["pruning"]["retrain_every"],
        rank_threshold=config["pruning"]["rank_threshold"],
        max_iterations=config["pruning"]["max_iterations"],
        learning_rate=lambda wildcards: pruned_network(wildcards)["learning_rate"],
        seed=config["pruning"]["seed"],
        state_dir=lambda wildcards: (
            f"results/pruning/{wildcards.pruned}/seed{wildcards.seed}/pruning_resume"),
    log:
        "logs/pruning/harmonic_pruning/{pruned}/seed{seed}.log",
    benchmark:
        "results/benchmarks/pruning/harmonic_pruning/{pruned}/seed{seed}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=240,
    script:
        "../../scripts/harmonic_pruning.py"


rule pruning_baselines:
    input:
        data=pruned_network_dataset,
        model=rules.double_layer_network.output.model,
        pruning=rules.harmonic_pruning.output.pruning,
    output:
        baselines="results/pruning/{pruned}/seed{seed}/baselines.csv",
    params:
        n_budgets=config["pruning"]["baselines"]["n_budgets"],
        svd_mapping=config["pruning"]["baselines"]["svd_mapping"],
        retrain_batch_size=config["pruning"]["retrain_batch_size"],
        learning_rate=lambda wildcards: pruned_network(wildcards)["learning_rate"],
        seed=config["pruning"]["seed"],
    log:
        "logs/pruning/pruning_baselines/{pruned}/seed{seed}.log",
    benchmark:
        "results/benchmarks/pruning/pruning_baselines/{pruned}/seed{seed}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=240,
    script:
        "../../scripts/pruning_baselines.py"


# Claim C8: each architecture's seeds are trained in jobs of pruning.from_scratch.seeds_per_job
# seeds, each one stacked computation (relusv.stacked_training: the per-step overhead of these
# small networks is paid once; 1.3-2.1x faster than the seeds one after another on the MNIST
# stand-in, benchmarks/bench_from_scratch.py) that writes one CSV with a row per seed;
# from_scratch_comparison gathers them in (architecture, seed) order. The jobs depend on the
# pruned network's config (batch size, learning rate, initialisation), not on its trained
# replicates. Appending a seed reruns only the last group of each architecture.


rule from_scratch_seeds:
    wildcard_constraints:
        architecture=r"\d+",
        seeds=r"\d+(-\d+)*",
    input:
        data=pruned_network_dataset,
    output:
        runs=FROM_SCRATCH_RUNS,
    params:
        architecture=lambda wildcards: from_scratch_architecture(wildcards),
        seeds=lambda wildcards: group_seeds(wildcards.seeds),
        max_epochs=config["pruning"]["from_scratch"]["max_epochs"],
        patience=config["pruning"]["from_scratch"]["patience"],
        # trained as the pruned network was: its batch size, learning rate and initialisation
        batch_size=lambda wildcards: pruned_network(wildcards)["batch_size"],
        learning_rate=lambda wildcards: pruned_network(wildcards)["learning_rate"],
        p=lambda wildcards: pruned_network(wildcards)["p"],
        init_target=lambda wildcards: pruned_network(wildcards)["init_target"],
    log:
        "logs/pruning/from_scratch_seeds/{pruned}/architecture{architecture}_seeds{seeds}.log",
    benchmark:
        "results/benchmarks/pruning/from_scratch_seeds/{pruned}/architecture{architecture}_seeds{seeds}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    script:
        "../../scripts/from_scratch_seeds.py"


rule from_scratch_comparison:
    input:
        runs=from_scratch_runs,
    output:
        runs="results/pruning/{pruned}/from_scratch_runs.csv",
        summary="results/pruning/{pruned}/from_scratch_summary.csv",
    log:
        "logs/pruning/from_scratch_comparison/{pruned}.log",
    benchmark:
        "results/benchmarks/pruning/from_scratch_comparison/{pruned}.tsv"
    conda:
        "../../environment.yml"
    threads: LIGHT_THREADS
    resources:
        **LIGHT_RESOURCES,
    script:
        "../../scripts/from_scratch_comparison.py"
