"""Benchmark: all ranks of a layer's ReLU singular value bounds, batched vs one rank at a time.

Three layers at the default number of Adam steps:

- ``sphere 20x20``: Figure 2's setting, a Gaussian layer without bias over 2000 points of the unit
  sphere (small per-rank work, where batching saves Python overhead);
- ``hidden 100x100``: Glorot-normal ``W``, bias ``N(0, 0.01^2)``, ``X`` = 1000 points
  ``relu(N(0, I))`` (the inputs a hidden layer sees);
- ``input 100x784``: the same for a 784-pixel input layer, ``X`` = 1000 MNIST-like points in
  ``[0, 1]^784``: a 4-pixel border of constant-zero pixels (400 live pixels), each image a
  clipped combination of 30 smooth "strokes" plus noise (about half the live pixels 0).

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

Run: ``python benchmarks/bench_singular_values.py`` (a few minutes on 2 cores).
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

from relusv.singular_values import relu_singular_value_bounds, sample_unit_sphere

N_POINTS = 1000


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
    parser.add_argument("--only", choices=["sphere", "hidden", "input"], default=None)
    args = parser.parse_args([] if argv is None else argv)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    layers = {
        "sphere 20x20": sphere_layer,
        "hidden 100x100": hidden_layer,
        "input 100x784": input_layer,
    }
    rows = []
    for name, make in layers.items():
        if args.only and not name.startswith(args.only):
            continue
        rows.append(
            bench_layer(
                name,
                *make(),
                loop_ranks=args.loop_ranks,
                naive_ranks=args.naive_ranks,
                steps=args.steps,
                repeats=args.repeats,
            )
        )
        print(f"done: {name}", flush=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\nReLU singular value bounds, all ranks, {cores} cores, load average {load:.1f}\n")
    print(_markdown(rows))
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
