"""Benchmark: all ranks of a layer's ReLU singular value bounds, batched vs one rank at a time.

Three layers at the default number of Adam steps:

- ``sphere 20x20``: Figure 2's setting, a Gaussian layer without bias over 2000 points of the unit
  sphere (small per-rank work, where batching saves Python overhead);
- ``hidden 100x100``: Glorot-normal ``W``, bias ``N(0, 0.01^2)``, ``X`` = 1000 points
  ``relu(N(0, I))`` (the inputs a hidden layer sees);
- ``input 100x784``: the same for a 784-pixel input layer, ``X`` = 1000 MNIST-like points in
  ``[0, 1]^784``: a 4-pixel border of constant-zero pixels (400 live pixels), each image a
  clipped combination of 30 smooth "strokes" plus noise (about half the live pixels 0).

Early stopping (second table): the same layers with the defaults of
:func:`relusv.analyses.network_bounds` (``EARLY_STOPPING_TOLERANCE`` / ``_PATIENCE`` of
:mod:`relusv.singular_values`, or ``--tolerance`` / ``--patience``) against the fixed-step run
(``tolerance=0``, timed again, alternating with the early runs so that both see the same load):
wall time of each; ``work %``, the early run's Adam work relative to the fixed one's (steps taken
per rank weighted by the optimiser's cost model of that rank's products: what the time ratio is
on an idle machine, whatever the load); the relative deviation of the early ``bounds`` from the
fixed ones (max and mean over ranks; never negative, since a stopped rank's bound is that of a
fixed-step run of fewer steps) and the Adam steps taken per rank.
``--trained NAME ...`` adds the hidden layers of the config's networks (``mnist_100``,
``cifar10_100``, ``cifar10_300``, ...) trained on the synthetic stand-ins of
``benchmarks/standin_data.py`` (``--epochs`` caps the config's epochs; minutes per network),
over their correct and incorrect test subsets as ``config/config.yaml`` draws them; only the
early-stopping table covers them, over ``--sample-ranks`` evenly spaced ranks per layer if given
(each rank's computation does not depend on the others, so a sample's deviations are exact and
its times are those of the sample).

Every timing is the median over ``--repeats`` runs (default 3; ``batched s range``: the fastest and
slowest batched run). Columns: ``batched s`` is one call of :func:`relu_singular_value_bounds` for
all ranks (``batched cpu s``: its CPU time over all threads, a proxy that is less sensitive to
other processes on the machine; wall time on an idle machine is about CPU time / cores);
``per-rank s`` is a Python loop calling it with ``ranks=[k]`` (the same arithmetic: the bounds must
agree bitwise, ``max abs diff``); ``naive s`` is the straightforward per-rank implementation in
float64 numpy (raw coordinates, ``U``/``V`` of exactly rank k, no buckets, threads or float32;
single- threaded BLAS like the library's workers), whose bounds differ because Adam is not
rotation- invariant (it works in raw instead of principal axis coordinates) and by rounding
(``naive / batched bound``: mean and range of the ratio over the timed ranks; above 1 means the
batched bounds are lower, i.e. better). Both loops are timed on evenly spaced ranks and
extrapolated to all ranks (the ``timed ranks`` column); the speed-ups compare against the
extrapolated times.

Run: ``python benchmarks/bench_singular_values.py`` (about 20 minutes on 2 cores; with
``--trained``, minutes more per network).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import statistics
import sys
import time

import numpy as np

from relusv.singular_values import (
    EARLY_STOPPING_PATIENCE,
    EARLY_STOPPING_TOLERANCE,
    relu_singular_value_bounds,
    sample_unit_sphere,
)

N_POINTS = 1000
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sphere_layer(seed: int = 0):
    """Gaussian 20x20 layer without bias, 2000 points of the unit sphere."""
    W = np.random.default_rng(seed).standard_normal((20, 20)) / math.sqrt(20)
    return W, None, sample_unit_sphere(2000, 20, seed=seed + 1)


def hidden_layer(seed: int = 0):
    """Glorot-normal 100x100 layer, small bias, 1000 ReLU-ish inputs."""
    rng = np.random.default_rng(seed)
    m = n = 100
    W = rng.standard_normal((m, n)) * math.sqrt(2.0 / (m + n))
    b = 0.01 * rng.standard_normal(m)
    X = np.maximum(rng.standard_normal((N_POINTS, n)), 0.0)
    return W, b, X


def input_layer(seed: int = 1):
    """Glorot-normal 100x784 layer, small bias, 1000 MNIST-like images in [0, 1]^784."""
    rng = np.random.default_rng(seed)
    m, n, side, border = 100, 784, 28, 4
    W = rng.standard_normal((m, n)) * math.sqrt(2.0 / (m + n))
    b = 0.01 * rng.standard_normal(m)
    inner = side - 2 * border
    yy, xx = np.mgrid[0:inner, 0:inner] / inner
    centres = rng.uniform(0, 1, size=(30, 2))
    strokes = np.exp(
        -((yy[None] - centres[:, :1, None]) ** 2 + (xx[None] - centres[:, 1:, None]) ** 2) / 0.02
    )
    weights = rng.standard_normal((N_POINTS, 30))
    images = weights @ strokes.reshape(30, -1) + 0.05 * rng.standard_normal((N_POINTS, inner**2))
    images = np.clip(images, 0.0, 1.0)
    X = np.zeros((N_POINTS, side, side))
    X[:, border:-border, border:-border] = images.reshape(N_POINTS, inner, inner)
    return W, b, X.reshape(N_POINTS, n)


def naive_bounds(W, X, b, k: int, *, steps: int, learning_rate: float) -> float:
    """One rank the straightforward way: float64 Adam on U (m, k), V (k, n) and c, from the
    truncated SVD, the same objective and relative step sizes; smallest max-error over iterates.
    ``b = None``: no bias, and the approximant has none (``c = 0`` stays).
    """
    m, n = W.shape
    N = X.shape[0]
    free_bias = b is not None
    b = np.zeros(m) if b is None else b
    U_w, s, Vt = np.linalg.svd(W, full_matrices=False)
    pre = X @ W.T + b
    T = np.maximum(pre, 0.0)
    e_0 = np.max(np.linalg.norm(T - np.maximum(b, 0.0), axis=1))
    U = U_w[:, :k] * np.sqrt(s[:k])
    V = np.sqrt(s[:k])[:, None] * Vt[:k]
    c = b.copy()
    r = int(np.count_nonzero(s > s[0] * max(m, n) * np.finfo(float).eps))
    e_k = np.max(np.linalg.norm(np.maximum(X @ V.T @ U.T + c, 0) - T, axis=1))
    rel = learning_rate * e_k / e_0
    lrs = [
        rel * math.sqrt(s[:r].mean() / m),
        rel * math.sqrt(s[:r].mean() / n),
        rel * math.sqrt(np.mean(pre**2)) * free_bias,
    ]
    params = [U, V, c]
    moments = [[np.zeros_like(p), np.zeros_like(p)] for p in params]
    best = math.inf
    for t in range(steps + 1):
        H = X @ V.T
        Z = H @ U.T + c
        D = np.maximum(Z, 0.0) - T
        best = min(best, float(np.sqrt(np.max(np.sum(D * D, axis=1)))))
        if t == steps:
            break
        dZ = D * (Z > 0) / (N * e_0)
        grads = [dZ.T @ H, (dZ @ U).T @ X, dZ.sum(axis=0)]
        scale = math.sqrt(1 - 0.999 ** (t + 1)) / (1 - 0.9 ** (t + 1))
        for p, g, (m1, m2), lr in zip(params, grads, moments, lrs, strict=True):
            m1 *= 0.9
            m1 += 0.1 * g
            m2 *= 0.999
            m2 += 0.001 * g * g
            p -= lr * scale * m1 / (np.sqrt(m2) + 1e-8)
    return best


def _single_threaded_blas():
    """BLAS on one thread for the naive loop, like the library's workers: multi-threaded BLAS on
    these mid-sized products gains little and is erratic when other processes share the cores."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _spaced(n_ranks: int, count: int) -> list[int]:
    return sorted({int(round(x)) for x in np.linspace(0, n_ranks - 1, count)})


def bench_layer(name, W, b, X, *, loop_ranks: int, naive_ranks: int, steps: int | None,
                repeats: int) -> dict:
    """Median over ``repeats`` runs of :func:`_bench_layer_once`'s timings; the bound columns
    are those of the first run (every run computes the same numbers)."""
    runs = [_bench_layer_once(name, W, b, X, loop_ranks=loop_ranks, naive_ranks=naive_ranks,
                              steps=steps) for _ in range(repeats)]
    row = dict(runs[0])
    for key in ("batched s", "batched cpu s", "per-rank s", "naive s"):
        row[key] = statistics.median(run[key] for run in runs)
    row["speed-up"] = row["per-rank s"] / row["batched s"]
    row["speed-up vs naive"] = row["naive s"] / row["batched s"]
    batched = [run["batched s"] for run in runs]
    row["batched s range"] = f"{min(batched):.1f}-{max(batched):.1f}"
    row["runs"] = repeats
    return row


def _bench_layer_once(name, W, b, X, *, loop_ranks: int, naive_ranks: int,
                      steps: int | None) -> dict:
    kwargs = {} if steps is None else {"steps": steps}
    start, cpu_start = time.perf_counter(), time.process_time()
    batched = relu_singular_value_bounds(W, X, b, **kwargs)
    batched_s = time.perf_counter() - start
    batched_cpu_s = time.process_time() - cpu_start
    n_ranks = len(batched.ranks)

    timed = _spaced(n_ranks, loop_ranks)
    start = time.perf_counter()
    alone = [relu_singular_value_bounds(W, X, b, ranks=[k], **kwargs).raw_bounds[0] for k in timed]
    loop_s = (time.perf_counter() - start) * n_ranks / len(timed)
    max_diff = float(np.max(np.abs(np.array(alone) - batched.raw_bounds[timed])))

    naive_timed = _spaced(n_ranks, naive_ranks)
    start = time.perf_counter()
    with _single_threaded_blas():
        naive = [
            naive_bounds(W, X, b, k, steps=batched.steps, learning_rate=batched.learning_rate)
            for k in naive_timed
        ]
    naive_s = (time.perf_counter() - start) * n_ranks / len(naive_timed)
    naive_ratio = np.array(naive) / batched.raw_bounds[naive_timed]
    return {
        "layer": name,
        "N": X.shape[0],
        "rank(X)": batched.data_rank,
        "steps": batched.steps,
        "ranks": n_ranks,
        "batched s": batched_s,
        "batched cpu s": batched_cpu_s,
        "per-rank s": loop_s,
        "speed-up": loop_s / batched_s,
        "max abs diff": max_diff,
        "naive s": naive_s,
        "speed-up vs naive": naive_s / batched_s,
        "naive / batched bound": f"{naive_ratio.mean():.2f} ({naive_ratio.min():.2f}-"
        f"{naive_ratio.max():.2f})",
        "timed ranks": f"{len(timed)} / {len(naive_timed)}",
    }


def bench_early_stopping(name, W, b, X, *, steps: int | None, tolerance: float, patience: int,
                         repeats: int, ranks=None) -> dict:
    """Fixed steps against early stopping on one layer: median wall times over ``repeats``
    runs of each, the deviation of the early bounds and the steps taken (of the first run)."""
    kwargs = {"ranks": ranks} | ({} if steps is None else {"steps": steps})
    fixed_s, early_s = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        fixed = relu_singular_value_bounds(W, X, b, **kwargs)
        fixed_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        early = relu_singular_value_bounds(W, X, b, tolerance=tolerance, patience=patience,
                                           **kwargs)
        early_s.append(time.perf_counter() - start)
    deviation = _relative_deviation(early.bounds, fixed.bounds)
    optimised = fixed.steps_taken > 0
    taken = early.steps_taken[optimised]
    cost = _rank_costs(W.shape, early.data_rank + (b is not None), X.shape[0],
                       early.ranks[optimised])
    return {
        "layer": name,
        "N": X.shape[0],
        "ranks": len(fixed.ranks),
        "fixed s": statistics.median(fixed_s),
        "early s": statistics.median(early_s),
        "speed-up": statistics.median(fixed_s) / statistics.median(early_s),
        "work %": 100 * float(np.sum(cost * taken) / max(np.sum(cost * fixed.steps), 1e-300)),
        "max rel dev %": 100 * float(deviation.max()),
        "mean rel dev %": 100 * float(deviation.mean()),
        "ranks > 1 %": int(np.sum(deviation > 0.01)),
        "mean steps": float(taken.mean()) if taken.size else 0.0,
        "stopped early": f"{int(np.sum(taken < fixed.steps))} / {taken.size}",
        "runs": repeats,
    }


def _rank_costs(shape, da: int, n_points: int, ranks) -> np.ndarray:
    """The optimiser's estimated cost of one Adam step of each rank (its bucket's method and
    size, :func:`relusv._bounds_plan._bucket_plan`)."""
    from relusv._bounds_plan import _bucket_plan, _step_cost

    m, n = shape
    per_rank = {0: _step_cost("factored", 1, m, da, n_points)}
    for lo, hi, method in _bucket_plan(min(m, n) - 1, m, da, n_points):
        per_rank.update(dict.fromkeys(range(lo, hi + 1), _step_cost(method, hi + 1, m, da,
                                                                     n_points)))
    return np.array([per_rank[int(k)] for k in ranks])


def _relative_deviation(early: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """``early / fixed - 1`` per rank, 0 where both are 0 (ranks at or above rank(W))."""
    safe = np.where(fixed > 0, fixed, 1.0)
    return np.where(fixed > 0, early / safe - 1.0, np.where(early > 0, np.inf, 0.0))


def trained_layers(network: str, *, epochs: int | None = None):
    """The hidden layers of ``network`` of ``config/config.yaml``, trained on stand-in data.

    Writes the synthetic stand-in of the network's dataset (``benchmarks/standin_data.py``,
    seed 0, canonical sizes) to a temporary folder, prepares it like the workflow, trains the
    network with the config's settings (at most ``epochs`` epochs) and draws the correct and
    incorrect test subsets with the config's ``subsets`` settings. Yields
    ``(label, W, b, X)`` per (subset, layer), ``X`` the inputs the layer sees.
    """
    import tempfile

    import yaml

    sys.path.insert(0, os.path.join(REPO, "benchmarks"))
    import standin_data

    from relusv.analyses import layer_inputs
    from relusv.config import network_seeds
    from relusv.data import dataset_info, prepare
    from relusv.models import build_mlp, layer_weights
    from relusv.subsets import pool_arrays, select_subsets
    from relusv.training import predict_classes, train_mlp

    with open(os.path.join(REPO, "config", "config.yaml")) as fh:
        config = yaml.safe_load(fh)
    spec, data_cfg, subsets_cfg = config["networks"][network], config["data"], config["subsets"]
    seed = network_seeds(spec)[0]
    with tempfile.TemporaryDirectory() as folder:
        standin_data.write_standins(folder, [spec["dataset"]], 0)
        arrays, _ = prepare(spec["dataset"], os.path.join(folder, spec["dataset"]),
                            validation_fraction=data_cfg["validation_fraction"],
                            test_fraction=data_cfg["test_fraction"], seed=data_cfg["split_seed"])
    model = build_mlp(arrays["x_train"].shape[1], spec["widths"],
                      dataset_info(spec["dataset"]).n_classes, seed=seed)
    n_epochs = spec["epochs"] if epochs is None else min(epochs, spec["epochs"])
    train_mlp(model, arrays["x_train"], arrays["y_train"], epochs=n_epochs,
              batch_size=spec["batch_size"], learning_rate=spec["learning_rate"], seed=seed)
    x, y = pool_arrays(arrays, subsets_cfg["pool"])
    chosen = select_subsets(y, predict_classes(model, x), max_size=subsets_cfg["max_size"],
                            min_size=subsets_cfg["min_size"], seed=subsets_cfg["seed"])
    weights = layer_weights(model)
    for subset, rows in (("correct", chosen.correct), ("incorrect", chosen.incorrect)):
        inputs = layer_inputs(weights, x[rows])
        for layer, (W, b) in enumerate(weights, start=1):
            label = f"{network} ({n_epochs} ep.) layer {layer} {W.shape[0]}x{W.shape[1]} {subset}"
            yield label, W, b, inputs[layer - 1]


def _markdown(rows: list[dict]) -> str:
    def fmt(value):
        if isinstance(value, float):
            return f"{value:.3g}" if abs(value) < 1e-2 or abs(value) >= 1e4 else f"{value:.2f}"
        return str(value)

    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(fmt(row[key]) for key in keys) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=None, help="Adam steps (default: the API's)")
    parser.add_argument("--loop-ranks", type=int, default=20, help="ranks timed one at a time")
    parser.add_argument("--naive-ranks", type=int, default=5, help="ranks timed naively")
    parser.add_argument("--repeats", type=int, default=3, help="runs per layer (median)")
    parser.add_argument("--only", choices=["sphere", "hidden", "input", "none"], default=None,
                        help="one synthetic layer, or none (only --trained)")
    parser.add_argument("--tolerance", type=float, default=EARLY_STOPPING_TOLERANCE)
    parser.add_argument("--patience", type=int, default=EARLY_STOPPING_PATIENCE)
    parser.add_argument("--trained", nargs="*", default=[], metavar="NETWORK",
                        help="networks of config/config.yaml trained on stand-in data")
    parser.add_argument("--epochs", type=int, default=None, help="cap on their epochs")
    parser.add_argument("--sample-ranks", type=int, default=None,
                        help="evenly spaced ranks per trained layer (default: all)")
    parser.add_argument("--early-repeats", type=int, default=None,
                        help="runs per trained layer (default: --repeats)")
    args = parser.parse_args([] if argv is None else argv)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    layers = {
        "sphere 20x20": sphere_layer,
        "hidden 100x100": hidden_layer,
        "input 100x784": input_layer,
    }
    rows, early_rows = [], []
    early = dict(steps=args.steps, tolerance=args.tolerance, patience=args.patience)
    for name, make in layers.items():
        if args.only and not name.startswith(args.only):
            continue
        W, b, X = make()
        rows.append(bench_layer(name, W, b, X, loop_ranks=args.loop_ranks,
                                naive_ranks=args.naive_ranks, steps=args.steps,
                                repeats=args.repeats))
        early_rows.append(bench_early_stopping(name, W, b, X, repeats=args.repeats, **early))
        print(f"done: {name}", flush=True)
    for network in args.trained:
        for name, W, b, X in trained_layers(network, epochs=args.epochs):
            ranks = None
            if args.sample_ranks:
                ranks = _spaced(min(W.shape), args.sample_ranks)
                name += f", {len(ranks)} ranks"
            early_rows.append(bench_early_stopping(
                name, W, b, X, ranks=ranks, repeats=args.early_repeats or args.repeats,
                **early))
            print(f"done: {name}", flush=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    if rows:
        print(f"\nReLU singular value bounds, all ranks, {cores} cores, load average {load:.1f}\n")
        print(_markdown(rows))
    if early_rows:
        print(f"\nEarly stopping (tolerance {args.tolerance:g}, patience {args.patience}) against "
              f"fixed steps, {cores} cores, load average {load:.1f}\n")
        print(_markdown(early_rows))
    return rows + early_rows


if __name__ == "__main__":
    main(sys.argv[1:])
