# Training: the MLPs of the config (hidden ReLU layers + linear logits, Glorot init, Adam,
# cross-entropy from logits), with a weights checkpoint at initialisation and after every epoch.
# A killed run resumes from its last finished epoch (keras BackupAndRestore state under
# results/training/{network}/resume/, kept outside the outputs so snakemake never deletes it).


rule trained_network:
    input:
        data=network_dataset,
    output:
        model="results/training/{network}/model.keras",
        history="results/training/{network}/history.csv",
        summary="results/training/{network}/summary.json",
        checkpoints=directory("results/training/{network}/checkpoints"),
    params:
        network=lambda wildcards: config["networks"][wildcards.network],
        resume_dir=lambda wildcards: f"results/training/{wildcards.network}/resume",
    log:
        "logs/training/{network}.log",
    benchmark:
        "results/benchmarks/training/{network}.tsv"
    conda:
        "../../environment.yml"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=240,
    script:
        "../../scripts/trained_network.py"
