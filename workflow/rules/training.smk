# Training: the MLPs of the config (hidden ReLU layers + linear logits, Glorot init, Adam,
# cross-entropy from logits), with a weights checkpoint at initialisation and after every epoch.
# One job per replicate (network, seed). A killed run resumes from its last finished epoch
# (keras BackupAndRestore state under results/training/{network}/seed{seed}/resume/, kept
# outside the outputs so snakemake never deletes it).


rule trained_network:
    wildcard_constraints:
        network=network_choice(TRAINED_NETWORKS),
    input:
        data=network_dataset,
    output:
        model="results/training/{network}/seed{seed}/model.keras",
        weights="results/training/{network}/seed{seed}/weights.npz",
        history="results/training/{network}/seed{seed}/history.csv",
        summary="results/training/{network}/seed{seed}/summary.json",
        checkpoints=directory("results/training/{network}/seed{seed}/checkpoints"),
    params:
        network=network_replicate,
        resume_dir=lambda wildcards: (
            f"results/training/{wildcards.network}/seed{wildcards.seed}/resume"),
    log:
        "logs/training/{network}/seed{seed}.log",
    benchmark:
        "results/benchmarks/training/{network}/seed{seed}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=240,
    script:
        "../../scripts/trained_network.py"


# A network with `pretrained: path` (a .keras file, or a directory with model.keras and
# epoch_NNN.weights.h5 checkpoints) is not trained: its model is checked (Dense/DoubleDense ReLU
# hidden layers, a linear or softmax output, the dataset's input size and classes) and copied as
# a build_mlp model into the files trained_network writes, its checkpoints (or the final weights
# as epoch 0) beside it; its summary has null epochs, batch size and optimiser.


rule pretrained_network:
    wildcard_constraints:
        network=network_choice(PRETRAINED_NETWORKS),
    input:
        data=network_dataset,
        pretrained=lambda wildcards: config["networks"][wildcards.network]["pretrained"],
    output:
        model="results/training/{network}/seed{seed}/model.keras",
        weights="results/training/{network}/seed{seed}/weights.npz",
        history="results/training/{network}/seed{seed}/history.csv",
        summary="results/training/{network}/seed{seed}/summary.json",
        checkpoints=directory("results/training/{network}/seed{seed}/checkpoints"),
    params:
        dataset=lambda wildcards: config["networks"][wildcards.network]["dataset"],
        seed=lambda wildcards: network_replicate(wildcards)["seed"],
    log:
        "logs/training/{network}/seed{seed}.log",
    benchmark:
        "results/benchmarks/training/{network}/seed{seed}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    script:
        "../../scripts/pretrained_network.py"
