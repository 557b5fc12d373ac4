"""Benchmark: seconds per epoch of ``relusv.training.train_mlp``, before and after issue 15.

The question (issue 15, "the full paper in an hour"): how fast do the workflow's small MLPs train
on 2 cores, and what did the changes to ``train_mlp`` gain? They are, after a profile of the
old version: the batches from a ``tf.data`` pipeline over the arrays held as tensors (no Python
per batch); :data:`relusv.training.STEPS_PER_EXECUTION` steps per call of Keras' train
function; the validation split as a ``tf.data`` pipeline too (Keras' own costs ~25 ms of setup
per epoch); the backup's weights a hard link to the epoch's checkpoint instead of a second
``save_weights``; and the optimizer's and metrics' variables created before ``fit``, so that the
train step is traced once instead of twice.

- ``before``: ``train_mlp`` as it was (``_train_before`` here, from the library's callbacks):
  the same seeded per-epoch order through a ``keras.utils.PyDataset``, one step per call,
  validation from the arrays, a second save for the backup;
- ``after``: ``train_mlp`` as it is.

Both train the same network from the same seed with the rule scripts' arguments, with a
checkpoint per epoch, the history CSV and the resume backup written into a temporary directory
(as ``scripts/trained_network.py`` and ``scripts/double_layer_network.py`` do); the column
``same numbers`` says whether the two end with bitwise equal weights and history (loss,
accuracy, validation loss and accuracy of every epoch; they should: the change moves no
number). Configurations, from ``config/demo.yaml`` and ``config/config.yaml``:

- ``demo digits_32``: the demo's network, widths (32, 32, 32) on scikit-learn's digits, its
  epochs (12) and batch (64);
- ``mnist_100``: widths (100, 100, 100), batch 128, on the MNIST stand-in of
  ``benchmarks/standin_data.py`` (60,000 + 10,000 synthetic 28 x 28 images, prepared as the
  workflow prepares MNIST: 54,000 training rows), ``--epochs`` epochs (default 4);
- ``mnist_double``: the double-layer network that harmonic pruning starts from, at full rank,
  its p-product initialisation, batch 1024 and early stopping, on the same data (the claim C8
  networks trained from scratch use the same batch size).

Columns: ``first s`` (the first epoch, which includes tracing Keras' step functions), ``epoch
s`` (the median of the later epochs over all repeats; a later epoch includes its validation,
checkpoint and backup), ``min s`` (the fastest later epoch), ``cpu s`` (median CPU seconds of
the process per later epoch, all threads), ``total s`` (median wall time of ``train_mlp``) and
the speed-up of the median epoch. ``--repeats`` (default 3) runs before and after alternately.
A last table splits one ``after`` run of each configuration into its parts per epoch: the
training steps, the validation, the checkpoint and the backup (``--no-split`` skips it).

Run ``python benchmarks/bench_training.py [--repeats 3] [--epochs 4] [--configs demo mnist_100
mnist_double]``. Prints Markdown tables and returns their rows. Timings on a shared machine are
upper bounds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402

from relusv import training  # noqa: E402
from relusv.data import prepare  # noqa: E402
from relusv.models import build_mlp  # noqa: E402
from relusv.training import compile_mlp, train_mlp  # noqa: E402

HERE = Path(__file__).resolve().parent
CONFIG = HERE.parent / "config"
REPEATS = 3
EPOCHS = 4
CONFIGS = ("demo", "mnist_100", "mnist_double")


class _PyDatasetBatches(keras.utils.PyDataset):
    """The batches of a ``training._EpochShuffledBatches`` as the library fed them before."""

    def __init__(self, batches):
        super().__init__(workers=1, use_multiprocessing=False)
        self.batches = batches

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, index: int):
        return self.batches[index]


def _train_before(model, data: dict, *, epochs: int, batch_size: int, seed: int,
                  learning_rate: float, early_stopping: int | None, work: Path,
                  callbacks=()) -> None:
    """``train_mlp`` as it was before issue 15, with the library's callbacks of today.

    Batches of the same seeded per-epoch order through a ``PyDataset``, one step per call,
    validation from the arrays (Keras' own pipeline), a second ``save_weights`` for the
    backup, and the optimizer's and metrics' variables left to the first trace (which traces
    the train step twice).
    """
    x, y = data["x_train"], training.as_labels(data["y_train"])
    keras.utils.set_random_seed(seed)
    training.enable_determinism()
    compile_mlp(model, learning_rate, steps_per_execution=1)
    batches = training._EpochShuffledBatches(x, y, batch_size, seed)
    recorder = training._EpochRecorder(work / "checkpoints", work / "history.csv", epochs)
    (work / "checkpoints").mkdir(parents=True)
    all_callbacks = [training._EpochSetter(batches), recorder]
    if early_stopping is not None:
        all_callbacks.append(training._BestValidationAccuracy(early_stopping, recorder,
                                                              work / "checkpoints"))
    all_callbacks += [*callbacks, training.AtomicBackupAndRestore(str(work / "backup"))]
    model.fit(_PyDatasetBatches(batches), epochs=epochs,
              validation_data=(data["x_val"], training.as_labels(data["y_val"])),
              validation_batch_size=batch_size, shuffle=False, callbacks=all_callbacks,
              verbose=0)
    if (work / "backup").exists():
        shutil.rmtree(work / "backup")


class _EpochClock(keras.callbacks.Callback):
    """Wall and CPU time at the start of every epoch and at the end of training."""

    def __init__(self):
        super().__init__()
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def _tick(self):
        self.wall.append(time.perf_counter())
        self.cpu.append(time.process_time())

    def on_epoch_begin(self, epoch, logs=None):
        self._tick()

    def on_train_end(self, logs=None):
        self._tick()


def _first_seed(spec: dict) -> int:
    """A network's seed, or the first of its replicates' seeds (``seed`` may be a list)."""
    seed = spec["seed"]
    return int(seed[0] if isinstance(seed, list) else seed)


def _configurations(epochs: int, names) -> dict[str, dict]:
    """Data and training arguments of each configuration, from the configs."""
    demo = yaml.safe_load((CONFIG / "demo.yaml").read_text())
    paper = yaml.safe_load((CONFIG / "config.yaml").read_text())
    out = {}
    if "demo" in names:
        spec, split = demo["networks"]["digits_32"], demo["data"]
        data, meta = prepare("digits", None, validation_fraction=split["validation_fraction"],
                          test_fraction=split["test_fraction"], seed=split["split_seed"])
        out["demo"] = {"label": "demo digits_32", "data": data, "classes": meta["n_classes"],
                       "widths": spec["widths"],
                       "ranks": None, "build": {}, "epochs": spec["epochs"],
                       "batch_size": spec["batch_size"], "seed": _first_seed(spec),
                       "learning_rate": spec.get("learning_rate", 1e-3), "patience": None}
    if {"mnist_100", "mnist_double"} & set(names):
        import standin_data

        split = paper["data"]
        with tempfile.TemporaryDirectory() as tmp:
            standin_data.write_standins(tmp, ["mnist"], 0)
            data, meta = prepare("mnist", Path(tmp) / "mnist",
                              validation_fraction=split["validation_fraction"],
                              test_fraction=split["test_fraction"], seed=split["split_seed"])
    if "mnist_100" in names:
        spec = paper["networks"]["mnist_100"]
        out["mnist_100"] = {"label": "mnist_100 (stand-in)", "data": data,
                            "classes": meta["n_classes"],
                            "widths": spec["widths"], "ranks": None, "build": {},
                            "epochs": epochs, "batch_size": spec["batch_size"],
                            "seed": _first_seed(spec), "learning_rate": spec["learning_rate"],
                            "patience": None}
    if "mnist_double" in names:
        spec = paper["pruning"]["networks"]["mnist_double"]
        sizes = [data["x_train"].shape[1], *spec["widths"]]
        out["mnist_double"] = {
            "label": "mnist_double (stand-in)", "data": data, "classes": meta["n_classes"],
            "widths": spec["widths"],
            "ranks": [min(n, m) for n, m in zip(sizes, sizes[1:], strict=False)],
            "build": {"init": f"{spec['init_target']}_p_product", "p": spec["p"]},
            "epochs": epochs, "batch_size": spec["batch_size"], "seed": _first_seed(spec),
            "learning_rate": spec["learning_rate"], "patience": spec["patience"]}
    return out


def _train(cfg: dict, before: bool, work: Path, callbacks=()) -> dict:
    """One run of ``cfg``, before or after: per-epoch wall and CPU seconds, final weights."""
    data = cfg["data"]
    model = build_mlp(data["x_train"].shape[1], cfg["widths"], cfg["classes"],
                      ranks=cfg["ranks"], seed=cfg["seed"], **cfg["build"])
    clock = _EpochClock()
    options = dict(epochs=cfg["epochs"], batch_size=cfg["batch_size"], seed=cfg["seed"],
                   learning_rate=cfg["learning_rate"], early_stopping=cfg["patience"])
    start = time.perf_counter()
    if before:
        _train_before(model, data, work=work, callbacks=[clock, *callbacks], **options)
    else:
        train_mlp(model, data["x_train"], data["y_train"], data["x_val"], data["y_val"],
                  checkpoint_dir=work / "checkpoints", history_csv=work / "history.csv",
                  backup_dir=work / "backup", callbacks=[clock, *callbacks], **options)
    total = time.perf_counter() - start
    weights = model.get_weights()
    keras.backend.clear_session()
    return {"wall": np.diff(clock.wall), "cpu": np.diff(clock.cpu), "total": total,
            "weights": weights,
            "history": pd.read_csv(work / "history.csv").drop(columns="seconds")}


def _split(cfg: dict, work: Path) -> dict[str, float]:
    """Seconds per later epoch of one ``after`` run, split into its parts."""
    parts = {"validation": 0.0, "checkpoint": 0.0, "backup": 0.0}
    originals = (training._save_weights_atomically, training.AtomicBackupAndRestore._save_model,
                 keras.Model.evaluate)

    def timed(key, function):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                parts[key] += time.perf_counter() - start
        return wrapper

    training._save_weights_atomically = timed("checkpoint", originals[0])
    training.AtomicBackupAndRestore._save_model = timed("backup", originals[1])
    keras.Model.evaluate = timed("validation", originals[2])
    zero = {}

    class AfterFirst(keras.callbacks.Callback):  # parts of the first epoch (tracing) left out
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                zero.update(parts)

    try:
        run = _train(cfg, False, work, callbacks=[AfterFirst()])
    finally:
        (training._save_weights_atomically, training.AtomicBackupAndRestore._save_model,
         keras.Model.evaluate) = originals
    later = len(run["wall"]) - 1
    per_epoch = {k: (parts[k] - zero.get(k, 0.0)) / later for k in parts}
    per_epoch["epoch"] = float(np.sum(run["wall"][1:])) / later
    per_epoch["training steps and the rest"] = per_epoch["epoch"] - sum(
        per_epoch[k] for k in ("validation", "checkpoint", "backup"))
    return per_epoch


def _summary(runs: list[dict]) -> dict[str, float]:
    later = np.concatenate([r["wall"][1:] for r in runs])
    return {"first s": statistics.median(float(r["wall"][0]) for r in runs),
            "epoch s": float(np.median(later)), "min s": float(np.min(later)),
            "cpu s": float(np.median(np.concatenate([r["cpu"][1:] for r in runs]))),
            "total s": statistics.median(r["total"] for r in runs)}


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=REPEATS,
                        help="runs of each version per configuration")
    parser.add_argument("--epochs", type=int, default=EPOCHS,
                        help="epochs of the two MNIST-sized configurations (at least 2)")
    parser.add_argument("--configs", nargs="+", choices=CONFIGS, default=list(CONFIGS))
    parser.add_argument("--no-split", action="store_true", help="skip the split table")
    args = parser.parse_args([] if argv is None else argv)
    if args.repeats < 1 or args.epochs < 2:
        parser.error("--repeats must be at least 1 and --epochs at least 2")

    configurations = _configurations(args.epochs, args.configs)
    rows, splits = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.configs:
            cfg = configurations[name]
            runs: dict[bool, list[dict]] = {True: [], False: []}
            for repeat in range(args.repeats):
                for before in (True, False):
                    work = Path(tmp) / f"{name}_{repeat}_{before}"
                    runs[before].append(_train(cfg, before, work))
            old_run, new_run = runs[True][0], runs[False][0]
            same = old_run["history"].equals(new_run["history"]) and all(
                np.array_equal(a, b)
                for a, b in zip(old_run["weights"], new_run["weights"], strict=True))
            old, new = _summary(runs[True]), _summary(runs[False])
            for version, summary in (("before", old), ("after", new)):
                rows.append({"configuration": cfg["label"], "version": version,
                             "epochs": cfg["epochs"], "batches": -(-len(cfg["data"]["x_train"])
                                                                   // cfg["batch_size"]),
                             **summary, "speed-up": old["epoch s"] / summary["epoch s"],
                             "same numbers": same})
            if not args.no_split:
                splits.append({"configuration": cfg["label"],
                               **_split(cfg, Path(tmp) / f"{name}_split")})

    print(f"Median of {args.repeats} runs per version, before and after alternately; "
          f"load average {os.getloadavg()[0]:.2f} at the end.\n")
    print("| configuration | version | epochs x batches | first s | epoch s | min s | cpu s "
          "| total s | speed-up | same numbers |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['configuration']} | {r['version']} | {r['epochs']} x {r['batches']} "
              f"| {r['first s']:.2f} | {r['epoch s']:.3f} | {r['min s']:.3f} | {r['cpu s']:.3f} "
              f"| {r['total s']:.1f} | {r['speed-up']:.2f}x | {r['same numbers']} |")
    if splits:
        print("\nOne `after` run split, seconds per later epoch:\n")
        keys = ("epoch", "training steps and the rest", "validation", "checkpoint", "backup")
        print("| configuration | " + " | ".join(keys) + " |")
        print("|---|" + "---:|" * len(keys))
        for s in splits:
            print(f"| {s['configuration']} | " + " | ".join(f"{s[k]:.3f}" for k in keys) + " |")
    return rows + splits


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main(sys.argv[1:])
