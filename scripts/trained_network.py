"""Train one MLP of the config; resumable from results/training/{network}/resume after a kill.

Beside the Keras files it writes the weights as .npz (weights.npz, checkpoints/epoch_NNN.npz),
which the rules that only read the network load without TensorFlow."""

import os
import shutil
from pathlib import Path

from relusv.data import load_prepared
from relusv.files import atomic_path, write_json
from relusv.models import build_mlp
from relusv.rules import rule_run
from relusv.training import checkpoint_files, load_checkpoint, split_accuracies, train_mlp
from relusv.weights import checkpoint_weights_path, network_weights, save_network_weights

with rule_run(snakemake) as log:
    spec, output = snakemake.params.network, snakemake.output
    work = Path(snakemake.params.resume_dir)  # survives a kill; snakemake never deletes it
    data, metadata = load_prepared(snakemake.input.data, dataset=spec["dataset"])
    model = build_mlp(metadata["input_dim"], spec["widths"], metadata["n_classes"],
                      seed=spec["seed"], name=snakemake.wildcards.network)
    result = train_mlp(model, data["x_train"], data["y_train"], data["x_val"], data["y_val"],
                       epochs=spec["epochs"], batch_size=spec["batch_size"], seed=spec["seed"],
                       learning_rate=spec["learning_rate"], checkpoint_dir=work / "checkpoints",
                       history_csv=work / "history.csv", backup_dir=work / "backup")
    accuracies = split_accuracies(model, data)
    log.info("%s: %s after %.1f s", snakemake.wildcards.network, accuracies, result.seconds)
    # each checkpoint read into a second model: `model` keeps the final weights
    reader = build_mlp(metadata["input_dim"], spec["widths"], metadata["n_classes"])
    for epoch, path in checkpoint_files(work / "checkpoints"):
        save_network_weights(checkpoint_weights_path(work / "checkpoints", epoch),
                             network_weights(load_checkpoint(reader, path)))
    save_network_weights(output.weights, network_weights(model))
    with atomic_path(output.model) as tmp:
        model.save(tmp)
    os.replace(work / "history.csv", output.history)
    os.replace(work / "checkpoints", output.checkpoints)
    write_json(output.summary, {
        "network": snakemake.wildcards.network, "seed": spec["seed"],
        "dataset": metadata["dataset"],
        "input_dim": metadata["input_dim"], "classes": metadata["n_classes"],
        "widths": spec["widths"], "parameters": model.count_params(), "optimizer": "Adam",
        "learning_rate": spec["learning_rate"], "batch_size": spec["batch_size"],
        "epochs": spec["epochs"], "seconds": result.seconds, **accuracies})
    shutil.rmtree(work)
