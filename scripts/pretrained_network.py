"""A user's trained MLP (config ``networks.<name>.pretrained``) in place of training: checked,
copied as a build_mlp model with its checkpoints (or its final weights as epoch 0) and a summary;
its weights also as .npz (weights.npz, checkpoints/epoch_NNN.npz), as trained_network writes."""

import csv
import shutil
from pathlib import Path

import keras

from relusv.data import load_prepared
from relusv.files import atomic_path, write_json
from relusv.layers import hidden_layers
from relusv.models import canonical_mlp
from relusv.rules import rule_run
from relusv.training import checkpoint_files, checkpoint_path, load_checkpoint, split_accuracies
from relusv.weights import checkpoint_weights_path, network_weights, save_network_weights

with rule_run(snakemake) as log:
    dataset, output = snakemake.params.dataset, snakemake.output
    network = snakemake.wildcards.network
    data, metadata = load_prepared(snakemake.input.data, dataset=dataset)
    source = Path(snakemake.input.pretrained)
    model_file = source / "model.keras" if source.is_dir() else source
    user = keras.models.load_model(model_file, compile=False)
    try:
        model = canonical_mlp(user, name=network)
    except ValueError as error:
        raise ValueError(f"networks.{network}.pretrained = {str(source)!r}: {error}") from None
    shape = (int(model.inputs[0].shape[1]), int(model.outputs[0].shape[1]))
    if shape != (metadata["input_dim"], metadata["n_classes"]):
        raise ValueError(
            f"networks.{network}.pretrained = {str(source)!r} takes {shape[0]} features and has "
            f"{shape[1]} outputs; the dataset {dataset!r} has {metadata['input_dim']} "
            f"features and {metadata['n_classes']} classes")
    accuracies = split_accuracies(model, data)
    log.info("%s: pretrained model %s, %s", network, model_file, accuracies)
    checkpoints = Path(output.checkpoints)
    tmp_checkpoints = checkpoints.with_name(checkpoints.name + ".tmp")
    shutil.rmtree(tmp_checkpoints, ignore_errors=True)
    tmp_checkpoints.mkdir(parents=True)
    if source.is_dir():  # the user's checkpoints, each copied as the build_mlp model's weights
        for epoch, path in checkpoint_files(source):
            load_checkpoint(user, path)
            copy = canonical_mlp(user)
            copy.save_weights(checkpoint_path(tmp_checkpoints, epoch))
            save_network_weights(checkpoint_weights_path(tmp_checkpoints, epoch),
                                 network_weights(copy))
        log.info("%s: %d checkpoints", network, epoch + 1)
    else:
        model.save_weights(checkpoint_path(tmp_checkpoints, 0))
        save_network_weights(checkpoint_weights_path(tmp_checkpoints, 0), network_weights(model))
    save_network_weights(output.weights, network_weights(model))
    with atomic_path(output.model) as tmp:
        model.save(tmp)
    with atomic_path(output.history) as tmp, open(tmp, "w", newline="") as handle:
        csv.writer(handle).writerow(["epoch"])  # not trained here: no epochs
    tmp_checkpoints.replace(checkpoints)
    write_json(output.summary, {
        "network": network, "seed": snakemake.params.seed, "dataset": metadata["dataset"],
        "input_dim": metadata["input_dim"],
        "classes": metadata["n_classes"],
        "widths": [int(layer.units) for layer in hidden_layers(model)],
        "parameters": model.count_params(), "optimizer": None, "learning_rate": None,
        "batch_size": None, "epochs": None, "seconds": None, "pretrained": str(source),
        **accuracies})
