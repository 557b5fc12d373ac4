"""Benchmark: harmonic pruning of an MNIST-sized double-layer MLP down to zero parameters.

MNIST cannot be downloaded here, so the data are synthetic with MNIST's shape: 60,000 training,
10,000 validation and 10,000 test rows of 784 features in [0, 1], 10 classes. Each class is a
Gaussian cluster in a 32-dimensional latent space (means ``N(0, 0.8^2 I)``, unit noise), mapped to
pixels by ``clip(0.5 + 0.25 z A, 0, 1)`` with a fixed random ``A: (32, 784)``: images that vary in
few directions, which a network of width 100 classifies about as well as MNIST (~98 %). (A random
teacher network's labels were tried first: with 10 classes most points lie near a decision
boundary and 5 epochs reach only ~72 %.) The network is the paper's: three double-layers of width
100 at full rank (100, 100, 100) and a dense output, trained for ``TRAIN_EPOCHS`` epochs of batch
256 with Adam.

Rows of the table:

- decision step alone: :func:`relusv.pruning.pruning_step` on the trained network (the forward
  pass of the validation set, three SVDs and three candidate evaluations), median of repeats;
- decision step inside the run: the run's ``decision_seconds`` (hidden outputs cached), median;
- one retraining: 50 batches of 1024, median: compiled for itself (``retraining._retrain``, as a
  single retraining outside a run), the first of a run (tracing the run's compiled loop) and the
  later ones of a run (the loop reused, as every retraining after a run's first);
- iterations of the whole run with and without retraining: median seconds (``seconds`` column);
- the whole run to ranks (0, 0, 0) with the paper's criteria (50 batches of 1024 when the
  validation accuracy is 0.5 % below the start, every 10th step, or a rank below 10),
  checkpointing to a temporary ``state_dir`` after every iteration.

Run ``python benchmarks/bench_pruning.py [max_iterations|all] [records.csv]``; prints a Markdown
table and returns the rows (and writes the run's records as CSV if a path is given). With
``max_iterations`` the run stops early and the whole-run time is not extrapolated (the table says
how many iterations ran).
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from relusv import pruning  # noqa: E402
from relusv.models import as_features, build_mlp  # noqa: E402
from relusv.pruning import retraining  # noqa: E402
from relusv.training import train_mlp  # noqa: E402

N_TRAIN, N_VAL, N_TEST, DIM, CLASSES = 60_000, 10_000, 10_000, 784, 10
WIDTHS = (100, 100, 100)
TRAIN_EPOCHS = 3
REPEATS = 5
SEED = 0


def synthetic_mnist(seed: int = SEED) -> dict[str, np.ndarray]:
    """MNIST-shaped data: 10 Gaussian clusters in a 32-d latent space mapped to 784 pixels."""
    rng = np.random.default_rng(seed)
    n = N_TRAIN + N_VAL + N_TEST
    basis = rng.standard_normal((32, DIM)) / np.sqrt(32)
    means = rng.standard_normal((CLASSES, 32)) * 0.8
    y = rng.integers(0, CLASSES, n)
    z = means[y] + rng.standard_normal((n, 32))
    x = np.clip(0.5 + 0.25 * (z @ basis), 0, 1).astype(np.float32)
    cut = (N_TRAIN, N_TRAIN + N_VAL)
    return {"x_train": x[:cut[0]], "y_train": y[:cut[0]], "x_val": x[cut[0]:cut[1]],
            "y_val": y[cut[0]:cut[1]], "x_test": x[cut[1]:], "y_test": y[cut[1]:]}


def _median_time(function, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main(max_iterations: int | None = None, records_csv: str | None = None) -> list[dict]:
    data = synthetic_mnist()
    model = build_mlp(DIM, WIDTHS, CLASSES, ranks=WIDTHS, seed=SEED)
    start = time.perf_counter()
    train_mlp(model, data["x_train"], data["y_train"], epochs=TRAIN_EPOCHS, batch_size=256,
              seed=SEED)
    train_seconds = time.perf_counter() - start
    state0 = pruning.state_from_model(model)

    decision = _median_time(lambda: pruning.pruning_step(state0, data["x_val"], data["y_val"]),
                            REPEATS)
    x_train = as_features(data["x_train"])
    y_train = data["y_train"].astype(np.int32)
    retrain = _median_time(lambda: retraining._retrain(
        state0, x_train, y_train, batches=50, batch_size=1024, learning_rate=1e-3,
        key=(SEED, 99, 0)), 3)
    # As inside a run: the compiled loop built and traced once (the first call), then reused.
    compiled = retraining.harmonic_retraining(state0, x_train, y_train, 1e-3)
    retrain_traced = _median_time(lambda: retraining.retrain_state(
        compiled, state0, batches=50, batch_size=1024, key=(SEED, 99, 0)), 1)
    retrain_reused = _median_time(lambda: retraining.retrain_state(
        compiled, state0, batches=50, batch_size=1024, key=(SEED, 99, 0)), 3)

    with tempfile.TemporaryDirectory() as state_dir:
        start = time.perf_counter()
        records = pruning.harmonic_pruning(state0, data, state_dir=state_dir, seed=SEED,
                                           max_iterations=max_iterations)
        run_seconds = time.perf_counter() - start
    if records_csv:
        pruning.pruning_frame(records).to_csv(records_csv, index=False)
    steps = records[1:]
    with_retraining = [r["seconds"] for r in steps if r["retrained"]]
    without = [r["seconds"] for r in steps if not r["retrained"]]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    below_half = next((r["iteration"] for r in steps if r["test_accuracy"] < 0.5), None)
    first, last = records[0], records[-1]

    def med(values):
        return statistics.median(values) if values else float("nan")

    rows = [
        {"what": f"training before pruning ({TRAIN_EPOCHS} epochs)", "seconds": train_seconds,
         "count": TRAIN_EPOCHS},
        {"what": "decision step alone (pruning_step)", "seconds": decision, "count": REPEATS},
        {"what": "decision step inside the run (median)",
         "seconds": med([r["decision_seconds"] for r in steps]), "count": len(steps)},
        {"what": "one retraining, 50 batches of 1024 (compiled for it)", "seconds": retrain,
         "count": 3},
        {"what": "one retraining: the run's first (traces the loop)", "seconds": retrain_traced,
         "count": 1},
        {"what": "one retraining: the run's later ones (loop reused)", "seconds": retrain_reused,
         "count": 3},
        {"what": "iteration without retraining (median)", "seconds": med(without),
         "count": len(without)},
        {"what": "iteration with retraining (median)", "seconds": med(with_retraining),
         "count": len(with_retraining)},
        {"what": f"whole run, iterations 1..{last['iteration']}, ranks {tuple(last['ranks'])}",
         "seconds": run_seconds, "count": len(steps)},
    ]
    print(f"synthetic MNIST-shaped data, widths {WIDTHS}; test accuracy "
          f"{first['test_accuracy']:.4f} before pruning, {last['test_accuracy']:.4f} at the end; "
          "first below 50 %: "
          f"iteration {below_half}; peak RSS {peak_mb:.0f} MB; {os.cpu_count()} CPUs\n")
    print("| what | seconds | count |")
    print("| --- | ---: | ---: |")
    for row in rows:
        print(f"| {row['what']} | {row['seconds']:.3f} | {row['count']} |")
    return rows


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] != "all" else None,
         sys.argv[2] if len(sys.argv) > 2 else None)
