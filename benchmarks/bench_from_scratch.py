"""Benchmark: claim C8's from-scratch runs, the seeds of an architecture one after another in
Keras against all of them in one stacked computation.

The question: the networks of claim C8 are so small that a training step costs its overhead
(Keras, Python, a few tiny matrix products), so the workflow's from-scratch jobs were 16 % of
the full paper's job time and 57 % of its MNIST part. What does training the seeds of one
architecture as one computation (``relusv.stacked_training``, weights stacked on a seed axis,
one compiled loop per epoch) gain over a ``train_mlp`` run per seed?

- ``separate``: the runs as ``relusv.from_scratch.from_scratch_run`` made them before: per
  seed ``build_mlp`` with its seed, ``train_mlp`` (Adam, early stopping on validation
  accuracy, the best epoch's weights kept), then ``evaluate_accuracy`` on the validation and
  test splits, one seed after the other in one process;
- ``stacked``: ``relusv.from_scratch.from_scratch_runs`` with all the seeds.

Data and settings are the workflow's for ``mnist_double`` in ``config/config.yaml``: the MNIST
stand-in of ``benchmarks/standin_data.py`` prepared as the workflow prepares MNIST (54,000
training rows, 784 features), the pruned network's batch size (1024), learning rate and
initialisation (``glorot_p_product``, ``p`` 1), ``pruning.from_scratch``'s three architectures,
seeds, patience and ``max_epochs`` (``--max-epochs`` caps it). The process is held to one
thread (``--threads``), as a workflow job of 1 thread.

Columns: ``wall s`` (all seeds, one after another or stacked; a separate run's own wall time
summed, so its process start is left out as the stacked run's is), ``epochs`` (epochs run,
summed over the seeds: the work of the separate runs; the stacked run's wall time follows its
slowest seed), ``epochs per seed``, the speed-up of the stacked run, the mean test accuracy
over the seeds, ``same epochs`` (every seed ran the same epochs and kept the same best epoch
in both versions) and ``max accuracy gap`` (the largest difference of a seed's validation or
test accuracy between the versions). The stacked code computes what ``train_mlp`` computes to
float32 rounding (tests/test_stacked_training.py), but batched matrix products round
differently, and over tens of epochs of 53 Adam steps such differences grow as any change of
summation order makes them grow (another BLAS, a GPU): a seed may then stop an epoch earlier
or later, and accuracies differ by a few test samples.

Run ``python benchmarks/bench_from_scratch.py [--max-epochs 200] [--threads 1]``. Prints a
Markdown table and returns its rows. Timings on a shared machine are upper bounds.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pandas as pd  # noqa: E402
import yaml  # noqa: E402

from relusv.data import prepare  # noqa: E402
from relusv.from_scratch import RUN_COLUMNS, architecture_at, from_scratch_runs  # noqa: E402
from relusv.rules import limit_threads  # noqa: E402

HERE = Path(__file__).resolve().parent
CONFIG = HERE.parent / "config" / "config.yaml"
PRUNED = "mnist_double"


def _settings(max_epochs: int | None) -> tuple[dict, list[dict], list[int], dict]:
    """The MNIST stand-in, prepared; the architectures, seeds and training options of C8."""
    import standin_data

    paper = yaml.safe_load(CONFIG.read_text())
    split, spec = paper["data"], paper["pruning"]["networks"][PRUNED]
    scratch = paper["pruning"]["from_scratch"]
    with tempfile.TemporaryDirectory() as tmp:
        standin_data.write_standins(tmp, ["mnist"], 0)
        data, _ = prepare("mnist", Path(tmp) / "mnist",
                          validation_fraction=split["validation_fraction"],
                          test_fraction=split["test_fraction"], seed=split["split_seed"])
    archs = [architecture_at(scratch["architectures"], i)
             for i in range(len(scratch["architectures"]))]
    epochs = scratch["max_epochs"] if max_epochs is None else min(max_epochs,
                                                                  scratch["max_epochs"])
    options = dict(epochs=epochs, batch_size=spec["batch_size"], patience=scratch["patience"],
                   learning_rate=spec["learning_rate"],
                   init=f"{spec['init_target']}_p_product", p=spec["p"], classes=10)
    return data, archs, scratch["seeds"], options


def _separate(data: dict, arch: dict, seed: int, options: dict) -> dict:
    """One seed as ``from_scratch_run`` trained it before the stacked code: one Keras run."""
    import keras

    from relusv.models import build_mlp
    from relusv.training import evaluate_accuracy, train_mlp

    model = build_mlp(data["x_train"].shape[1], arch["widths"], options["classes"],
                      ranks=arch["ranks"], init=options["init"], p=options["p"], seed=seed)
    result = train_mlp(model, data["x_train"], data["y_train"], data["x_val"], data["y_val"],
                       epochs=options["epochs"], batch_size=options["batch_size"], seed=seed,
                       early_stopping=options["patience"],
                       learning_rate=options["learning_rate"])
    row = {"architecture": arch["name"], "seed": seed,
           "parameters": int(model.count_params()), "epochs_run": len(result.history),
           "best_epoch": result.best_epoch,
           "val_accuracy": evaluate_accuracy(model, data["x_val"], data["y_val"]),
           "test_accuracy": evaluate_accuracy(model, data["x_test"], data["y_test"]),
           "seconds": result.wall_seconds}
    keras.backend.clear_session()  # as a job of its own: no models of earlier seeds around
    return row


def _agreement(separate: pd.DataFrame, stacked: pd.DataFrame) -> tuple[bool, float]:
    """Whether every seed ran the same epochs and kept the same best epoch in both versions,
    and the largest difference of a seed's validation or test accuracy between them."""
    same = separate[["seed", "epochs_run", "best_epoch"]].equals(
        stacked[["seed", "epochs_run", "best_epoch"]])
    gap = max(float((separate[f"{split}_accuracy"] - stacked[f"{split}_accuracy"]).abs().max())
              for split in ("val", "test"))
    return same, gap


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-epochs", type=int, default=None,
                        help="cap on the epochs (default: the config's max_epochs, 200)")
    parser.add_argument("--threads", type=int, default=1, help="threads of TensorFlow")
    args = parser.parse_args([] if argv is None else argv)
    if args.max_epochs is not None and args.max_epochs < 1:
        parser.error("--max-epochs must be at least 1")
    limit_threads(args.threads)
    data, archs, seeds, options = _settings(args.max_epochs)

    rows = []
    for arch in archs:
        separate = pd.DataFrame([_separate(data, arch, seed, options) for seed in seeds],
                                columns=list(RUN_COLUMNS))
        start = time.perf_counter()
        stacked = from_scratch_runs(data, arch, seeds, **options)
        stacked_wall = time.perf_counter() - start
        same, gap = _agreement(separate, stacked)
        for version, runs, wall in (("separate", separate, separate["seconds"].sum()),
                                    ("stacked", stacked, stacked_wall)):
            rows.append({"architecture": arch["name"], "version": version, "seeds": len(seeds),
                         "wall s": float(wall), "epochs": int(runs["epochs_run"].sum()),
                         "epochs per seed": runs["epochs_run"].tolist(),
                         "test accuracy": float(runs["test_accuracy"].mean()),
                         "same epochs": same, "max accuracy gap": gap})
        rows[-1]["speed-up"] = rows[-2]["wall s"] / rows[-1]["wall s"]
        rows[-2]["speed-up"] = 1.0

    print(f"MNIST stand-in ({len(data['x_train'])} training rows), batch "
          f"{options['batch_size']}, at most {options['epochs']} epochs, patience "
          f"{options['patience']}, seeds {seeds}, {args.threads} thread(s); load average "
          f"{os.getloadavg()[0]:.2f} at the end.\n")
    print("| architecture | version | wall s | epochs | epochs per seed | speed-up "
          "| mean test accuracy | same epochs | max accuracy gap |")
    print("|---|---|---:|---:|---|---:|---:|---|---:|")
    for r in rows:
        print(f"| {r['architecture']} | {r['version']} | {r['wall s']:.1f} | {r['epochs']} "
              f"| {', '.join(map(str, r['epochs per seed']))} | {r['speed-up']:.2f}x "
              f"| {r['test accuracy']:.4f} | {r['same epochs']} "
              f"| {r['max accuracy gap']:.4f} |")
    total = {v: sum(r["wall s"] for r in rows if r["version"] == v)
             for v in ("separate", "stacked")}
    print(f"\nAll three architectures: separate {total['separate']:.0f} s, stacked "
          f"{total['stacked']:.0f} s ({total['separate'] / total['stacked']:.1f}x).")
    return rows


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main(sys.argv[1:])
