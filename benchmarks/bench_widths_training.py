"""Benchmark: Gaussian mean width of every hidden layer at every checkpoint, against training.

The question (benchmark 3 of the issue): what does the Figure 4 computation, the width of every
hidden layer at every training checkpoint for the correctly and the incorrectly classified points,
cost as a fraction of the training run that wrote those checkpoints? Goal: under ``GOAL_PERCENT``
(5 %).

Setting: the paper config's network (``config/config.yaml``, ``networks.mnist_100``: hidden widths
(100, 100, 100), 20 epochs of batch 128, Adam with learning rate 1e-3, seed 1) on the synthetic
MNIST-shaped data of :func:`bench_pruning.synthetic_mnist` (60,000 / 10,000 / 10,000 rows of 784
features, 10 classes; MNIST cannot be downloaded here). Every step calls the library as the
workflow's rule scripts do:

- training (``scripts/trained_network.py``): :func:`relusv.models.build_mlp` and
  :func:`relusv.training.train_mlp` with the validation set, a checkpoint per epoch (plus the
  initial weights: ``epochs + 1`` checkpoints), the history CSV and the resume backup, into a
  temporary directory. Timed from ``build_mlp`` to the end of ``train_mlp``; the final model is
  then saved to ``model.keras`` (not timed) for the next two steps;
- classified subsets (``scripts/classified_subsets.py``): load ``model.keras`` (without its
  optimizer, ``compile=False``, as the scripts do), predict the test
  pool (:func:`relusv.training.predict_classes`), :func:`relusv.subsets.select_subsets` with the
  config's ``subsets`` keys (``max_size`` 1000), save the subsets' points as ``.npz``;
- widths (``scripts/gaussian_mean_widths.py``): load ``model.keras`` and the ``.npz``, for every
  checkpoint :func:`relusv.training.load_checkpoint` and :func:`relusv.models.layer_weights`,
  all through :func:`relusv.analyses.widths_over_training` with the config's ``widths`` keys
  (``n_draws`` 100, ``split_at: final``), write the CSV.

Each of the two width steps loads the model afresh, as a new rule process would (so Keras traces
``predict`` again every repeat). Columns of the table:

- ``median s``: median wall seconds over the repeats (training: ``--repeats``, default 3; the
  width steps: ``--width-repeats``, default 5, all on the checkpoints of the first training run);
- ``min s`` / ``max s``: the fastest and the slowest sample;
- ``cpu s``: median CPU seconds of the process over all threads (``time.process_time``), less
  sensitive to other processes on the machine than wall time;
- ``calls``: how many times the step ran per pass (``C x L x S``: checkpoints x hidden layers x
  subsets for the width calls);
- ``ms per call``: median seconds / calls;
- ``% of training``: median seconds / median training seconds. The row ``subsets + widths`` is the
  benchmark's answer (its returned row also has ``goal_met``); its range (printed below the
  table) pairs the fastest width pass with the slowest training and vice versa. The training row's
  ``calls`` are its epochs (``ms per call``: per epoch).

The rows after ``subsets + widths`` are one extra pass that splits the cost (the library's
``layer_inputs`` and ``gaussian_mean_width`` are wrapped with timers in
:mod:`relusv.analyses` for that pass only; nothing in ``src/`` changes): loading the model,
predicting and selecting the subsets, loading the checkpoints, extracting the weights, the forward
passes to the hidden activations, the width computation proper, and the rest (npz, DataFrames,
CSV, Python). ``worst case`` repeats the widths step with both subsets at ``max_size`` points
(points of the pool regardless of their class), the size a network with many misclassified points
would get. ``rule process start`` (informational, not in the fraction) is a fresh interpreter
that imports Keras and the library, which each rule's process pays once (Snakemake's ``script:``).

Run ``python benchmarks/bench_widths_training.py [--repeats 3] [--width-repeats 5]
[--epochs E]``; ``--epochs`` shortens the training (default: the config's). Prints a Markdown table
and returns its rows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import yaml  # noqa: E402
from bench_pruning import CLASSES, DIM, synthetic_mnist  # noqa: E402

from relusv import analyses  # noqa: E402
from relusv.analyses import widths_over_training  # noqa: E402
from relusv.files import save_npz, write_csv  # noqa: E402
from relusv.models import build_mlp, layer_weights  # noqa: E402
from relusv.subsets import pool_arrays, select_subsets  # noqa: E402
from relusv.training import (  # noqa: E402
    checkpoint_files,
    evaluate_accuracy,
    load_checkpoint,
    predict_classes,
    train_mlp,
)

CONFIG = Path(__file__).resolve().parent.parent / "config" / "config.yaml"
NETWORK = "mnist_100"
GOAL_PERCENT = 5.0
TRAIN_REPEATS = 3
WIDTH_REPEATS = 5
SUBSETS = ("correct", "incorrect")


def _timed(function: Callable[[], object]) -> tuple[object, float, float]:
    """``function()``, its wall seconds and its CPU seconds (all threads of the process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def _train(data: dict, spec: dict, work: Path, epochs: int) -> keras.Model:
    """The training rule's calls, into ``work`` (checkpoints, history.csv, backup)."""
    model = build_mlp(DIM, spec["widths"], CLASSES, seed=spec["seed"], name=NETWORK)
    train_mlp(model, data["x_train"], data["y_train"], data["x_val"], data["y_val"],
              epochs=epochs, batch_size=spec["batch_size"], seed=spec["seed"],
              learning_rate=spec["learning_rate"], checkpoint_dir=work / "checkpoints",
              history_csv=work / "history.csv", backup_dir=work / "backup")
    return model


def _classified_subsets(data: dict, work: Path, subsets: dict) -> dict:
    """The classified_subsets rule: final model, test pool, equal-size subsets, saved as npz."""
    x, y = pool_arrays(data, subsets["pool"])
    model = keras.models.load_model(str(work / "model.keras"), compile=False)
    chosen = select_subsets(y, predict_classes(model, x), max_size=subsets["max_size"],
                            min_size=subsets["min_size"], seed=subsets["seed"])
    save_npz(work / "subsets.npz", correct=chosen.correct, incorrect=chosen.incorrect,
             x_correct=x[chosen.correct], x_incorrect=x[chosen.incorrect])
    return chosen.summary()


def _widths(data: dict, work: Path, subsets: dict, widths: dict, *,
            npz: str = "subsets.npz", timings: dict | None = None):
    """The gaussian_mean_widths rule; with ``timings``, also the seconds of its parts."""
    timings = {} if timings is None else timings

    def clock(key, function, *args):
        start = time.perf_counter()
        result = function(*args)
        timings[key] = timings.get(key, 0.0) + time.perf_counter() - start
        return result

    model = clock("load_model", lambda path: keras.models.load_model(path, compile=False),
                  str(work / "model.keras"))
    arrays = np.load(work / npz)
    final_split = {"correct": arrays["x_correct"], "incorrect": arrays["x_incorrect"]}
    each_checkpoint = widths["split_at"] == "each_checkpoint"
    if each_checkpoint:
        x_pool, y_pool = pool_arrays(data, subsets["pool"])

    def checkpoints():
        for epoch, path in checkpoint_files(work / "checkpoints"):
            clock("load_checkpoint", load_checkpoint, model, path)
            split = final_split
            if each_checkpoint:
                chosen = select_subsets(y_pool, predict_classes(model, x_pool),
                                        max_size=subsets["max_size"],
                                        min_size=subsets["min_size"], seed=subsets["seed"])
                split = {"correct": x_pool[chosen.correct], "incorrect": x_pool[chosen.incorrect]}
            yield epoch, clock("layer_weights", layer_weights, model), split

    frame = widths_over_training(NETWORK, checkpoints(), n_draws=widths["n_draws"],
                                 seed=widths["seed"])
    write_csv(work / "widths.csv", frame)
    return frame


def _split_pass(data: dict, work: Path, subsets: dict, widths: dict) -> dict:
    """One pass of both width steps with the library's inner calls timed (wall seconds)."""
    timings: dict[str, float] = {}
    counts: dict[str, int] = {}
    originals = analyses.layer_inputs, analyses.gaussian_mean_width

    def wrap(key, function):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                timings[key] = timings.get(key, 0.0) + time.perf_counter() - start
                counts[key] = counts.get(key, 0) + 1
        return timed

    analyses.layer_inputs = wrap("forward", originals[0])
    analyses.gaussian_mean_width = wrap("width", originals[1])
    predict = wrap("predict", predict_classes)
    try:
        start = time.perf_counter()
        x, y = pool_arrays(data, subsets["pool"])
        model = wrap("load_model", keras.models.load_model)(str(work / "model.keras"),
                                                            compile=False)
        chosen = select_subsets(y, predict(model, x), max_size=subsets["max_size"],
                                min_size=subsets["min_size"], seed=subsets["seed"])
        save_npz(work / "subsets_split.npz", correct=chosen.correct, incorrect=chosen.incorrect,
                 x_correct=x[chosen.correct], x_incorrect=x[chosen.incorrect])
        _widths(data, work, subsets, widths, npz="subsets_split.npz", timings=timings)
        timings["total"] = time.perf_counter() - start
    finally:
        analyses.layer_inputs, analyses.gaussian_mean_width = originals
    return {"seconds": timings, "counts": counts}


def _worst_case(data: dict, work: Path, subsets: dict, widths: dict) -> tuple[float, float, int]:
    """The widths step with both subsets at ``max_size`` points of the pool."""
    x, _ = pool_arrays(data, subsets["pool"])
    rng = np.random.default_rng(0)
    size = min(subsets["max_size"], len(x) // 2)
    rows = rng.permutation(len(x))[: 2 * size]
    save_npz(work / "subsets_max.npz", x_correct=x[rows[:size]], x_incorrect=x[rows[size:]])
    _, wall, cpu = _timed(lambda: _widths(data, work, subsets, widths, npz="subsets_max.npz"))
    return wall, cpu, size


def _process_start() -> float:
    """Wall seconds of a fresh interpreter that imports what the width rules import."""
    code = ("import keras, numpy; import relusv.analyses, relusv.models, relusv.rules, "
            "relusv.files, relusv.subsets, relusv.training, relusv.data")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True)
    return time.perf_counter() - start


def _row(what: str, walls: list[float], cpus: list[float], calls: int | str,
         training: float) -> dict:
    median = statistics.median(walls)
    n_calls = calls if isinstance(calls, int) else int(np.prod([int(c) for c in
                                                                 calls.split(" x ")]))
    return {"what": what, "median_s": median, "min_s": min(walls), "max_s": max(walls),
            "cpu_s": statistics.median(cpus) if cpus else float("nan"), "calls": calls,
            "ms_per_call": 1000 * median / n_calls if n_calls else float("nan"),
            "percent_of_training": 100 * median / training, "samples": len(walls)}


def _markdown(rows: list[dict]) -> str:
    def fmt(value, digits=3):
        return "" if value != value else f"{value:.{digits}f}"  # NaN: empty cell

    lines = ["| what | median s | min s | max s | cpu s | calls | ms per call | % of training "
             "| samples |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r['what']} | {fmt(r['median_s'])} | {fmt(r['min_s'])} "
                     f"| {fmt(r['max_s'])} | {fmt(r['cpu_s'])} | {r['calls']} "
                     f"| {fmt(r['ms_per_call'], 2)} | {fmt(r['percent_of_training'], 2)} "
                     f"| {r['samples']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=TRAIN_REPEATS, help="training runs timed")
    parser.add_argument("--width-repeats", type=int, default=WIDTH_REPEATS,
                        help="passes of the two width steps timed")
    parser.add_argument("--epochs", type=int, default=None,
                        help="training epochs (default: the config's)")
    args = parser.parse_args([] if argv is None else argv)

    config = yaml.safe_load(CONFIG.read_text())
    spec, subsets, widths = config["networks"][NETWORK], config["subsets"], config["widths"]
    epochs = spec["epochs"] if args.epochs is None else args.epochs
    data = synthetic_mnist()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "run0"
        train_walls, train_cpus = [], []
        for repeat in range(args.repeats):
            directory = Path(tmp) / f"run{repeat}"
            model, wall, cpu = _timed(lambda d=directory: _train(data, spec, d, epochs))
            train_walls.append(wall)
            train_cpus.append(cpu)
            if repeat == 0:
                model.save(work / "model.keras")
                test_accuracy = evaluate_accuracy(model, data["x_test"], data["y_test"])
            del model
            keras.backend.clear_session()
        training = statistics.median(train_walls)

        subset_walls, subset_cpus, width_walls, width_cpus, total_walls, total_cpus = (
            [], [], [], [], [], [])
        for _ in range(args.width_repeats):
            summary, s_wall, s_cpu = _timed(lambda: _classified_subsets(data, work, subsets))
            frame, w_wall, w_cpu = _timed(lambda: _widths(data, work, subsets, widths))
            subset_walls.append(s_wall)
            subset_cpus.append(s_cpu)
            width_walls.append(w_wall)
            width_cpus.append(w_cpu)
            total_walls.append(s_wall + w_wall)
            total_cpus.append(s_cpu + w_cpu)
        n_checkpoints = frame["epoch"].nunique()
        n_layers = frame["layer"].nunique()
        n_subsets = frame["subset"].nunique()
        calls = f"{n_checkpoints} x {n_layers} x {n_subsets}"
        split = _split_pass(data, work, subsets, widths)
        worst_wall, worst_cpu, worst_size = _worst_case(data, work, subsets, widths)
    start_seconds = _process_start()

    parts, counts = split["seconds"], split["counts"]
    rest = parts["total"] - sum(v for k, v in parts.items() if k != "total")
    rows = [
        _row(f"training ({epochs} epochs, {epochs + 1} checkpoints)", train_walls, train_cpus,
             epochs, training),
        _row("classified subsets (load model, predict test pool, select, npz)", subset_walls,
             subset_cpus, 1, training),
        _row("widths over training (load model, checkpoints, widths, CSV)", width_walls,
             width_cpus, calls, training),
        _row("**subsets + widths**", total_walls, total_cpus, calls, training),
        _row("split: load model.keras (both steps)", [parts["load_model"]], [],
             counts["load_model"], training),
        _row("split: predict_classes on the pool", [parts["predict"]], [], counts["predict"],
             training),
        _row("split: load_checkpoint", [parts["load_checkpoint"]], [], n_checkpoints, training),
        _row("split: layer_weights", [parts["layer_weights"]], [], n_checkpoints, training),
        _row("split: forward passes to hidden activations (layer_inputs)", [parts["forward"]],
             [], counts["forward"], training),
        _row("split: gaussian_mean_width", [parts["width"]], [], counts["width"], training),
        _row("split: rest (select, npz, DataFrames, CSV, Python)", [rest], [], 1, training),
        _row(f"worst case: widths with both subsets at {worst_size} points", [worst_wall],
             [worst_cpu], calls, training),
        _row("rule process start: interpreter + imports (not in the fraction)", [start_seconds],
             [], 1, training),
    ]
    fraction = rows[3]["percent_of_training"]
    low = 100 * min(total_walls) / max(train_walls)
    high = 100 * max(total_walls) / min(train_walls)
    cpu_fraction = 100 * statistics.median(total_cpus) / statistics.median(train_cpus)
    met = fraction < GOAL_PERCENT
    rows[3]["goal_met"] = met
    print(f"network {NETWORK} (hidden widths {tuple(spec['widths'])}, {epochs} epochs of batch "
          f"{spec['batch_size']}, seed {spec['seed']}) on synthetic MNIST-shaped data: test "
          f"accuracy {test_accuracy:.4f}; subsets of the {subsets['pool']} pool: "
          f"{summary['size']} correct and {summary['size']} incorrect points "
          f"({summary['n_incorrect_available']} misclassified available, max_size "
          f"{subsets['max_size']}); {widths['n_draws']} draws, split_at {widths['split_at']}; "
          f"{os.cpu_count()} CPUs\n")
    print(_markdown(rows))
    print(f"\nsubsets + widths = {fraction:.2f} % of training (range {low:.2f}-{high:.2f} %; CPU "
          f"time {cpu_fraction:.2f} %); {calls} = {n_checkpoints * n_layers * n_subsets} width "
          f"calls; goal < {GOAL_PERCENT:g} %: {'met' if met else 'missed'}")
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
