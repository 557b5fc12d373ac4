"""Train a double-layer MLP at full rank (double-p-product init, Adam, early stopping)."""

import shutil
from itertools import pairwise
from pathlib import Path

from relusv.data import load_prepared
from relusv.files import atomic_path, write_json
from relusv.models import build_mlp
from relusv.rules import rule_run
from relusv.training import split_accuracies, train_mlp

with rule_run(snakemake) as log:
    spec, output = snakemake.params.network, snakemake.output
    work = Path(snakemake.params.resume_dir)  # survives a kill; snakemake never deletes it
    data, metadata = load_prepared(snakemake.input.data, dataset=spec["dataset"])
    sizes = [metadata["input_dim"], *spec["widths"]]
    full_ranks = [min(n, m) for n, m in pairwise(sizes)]
    model = build_mlp(metadata["input_dim"], spec["widths"], metadata["n_classes"],
                      ranks=full_ranks, init=f"{spec['init_target']}_p_product", p=spec["p"],
                      seed=spec["seed"], name=snakemake.wildcards.pruned)
    result = train_mlp(model, data["x_train"], data["y_train"], data["x_val"], data["y_val"],
                       epochs=spec["max_epochs"], batch_size=spec["batch_size"],
                       seed=spec["seed"], learning_rate=spec["learning_rate"],
                       early_stopping=spec["patience"], checkpoint_dir=work / "checkpoints",
                       history_csv=work / "history.csv", backup_dir=work / "backup")
    accuracies = split_accuracies(model, data)
    log.info("%s: %s, best epoch %s", snakemake.wildcards.pruned, accuracies, result.best_epoch)
    with atomic_path(output.model) as tmp:
        model.save(tmp)
    write_json(output.summary, {
        "network": snakemake.wildcards.pruned, "seed": spec["seed"],
        "dataset": metadata["dataset"],
        "input_dim": metadata["input_dim"], "classes": metadata["n_classes"],
        "widths": spec["widths"], "ranks": full_ranks, "parameters": model.count_params(),
        "epochs_run": len(result.history), "best_epoch": result.best_epoch,
        "seconds": result.seconds, **accuracies})
    shutil.rmtree(work)
