"""Benchmark: closed-form Gaussian mean width against the paper's linear programs.

For each point set (N points in R^d, standard normal coordinates) and 100 Gaussian draws:

- closed-form seconds: :func:`relusv.widths.gaussian_mean_width`, median over repeats;
- LP seconds: :func:`relusv.widths.gaussian_mean_width_lp` (two HiGHS linear programs per draw),
  median over ``LP_REPEATS`` runs; for N = 10000 only ``LP_DRAWS_LARGE`` draws are timed and the
  time is scaled to 100 draws (the table says how many draws were timed);
- LP / closed: ratio of the two times for 100 draws;
- max |diff|: the largest difference between the per-draw widths of the two methods on the same
  draws (the draws the LP was timed on);
- GFLOP/s of the closed form (``2 * n_draws * N * d`` flops over its whole time, validation and
  drawing included) against numpy's matmul rate on the same product shape.

Run ``python benchmarks/bench_widths.py``; prints a Markdown table and returns the rows.
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np

from relusv import widths

N_DRAWS = 100
SIZES = (100, 1000, 10000)
DIMS = (100, 784)
LP_DRAWS_LARGE = 20  # draws timed for the LP at N = 10000
REPEATS = 7
LP_REPEATS = 3
MIN_REPEAT_SECONDS = 0.05
SEED = 0


def _median_seconds(function, repeats: int = REPEATS) -> float:
    """Median over ``repeats`` of the time per call, each repeat looping for at least
    ``MIN_REPEAT_SECONDS`` so that sub-millisecond calls are timed reliably."""
    start = time.perf_counter()
    function()  # warm-up, also sizes the loop
    once = time.perf_counter() - start
    loops = max(1, int(MIN_REPEAT_SECONDS / max(once, 1e-9)))
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(loops):
            function()
        samples.append((time.perf_counter() - start) / loops)
    return statistics.median(samples)


def _row(n_points: int, dim: int) -> dict:
    points = np.random.default_rng(n_points * 1000 + dim).standard_normal((n_points, dim))
    closed_seconds = _median_seconds(lambda: widths.gaussian_mean_width(points, N_DRAWS, SEED))

    lp_draws = N_DRAWS if n_points < 10000 else LP_DRAWS_LARGE
    lp_samples = []
    for _ in range(LP_REPEATS):
        start = time.perf_counter()
        widths.gaussian_mean_width_lp(points, lp_draws, SEED)
        lp_samples.append(time.perf_counter() - start)
    lp_seconds = statistics.median(lp_samples) * N_DRAWS / lp_draws

    closed_per_draw = widths._closed_form_per_draw(
        points, lp_draws, np.random.default_rng(SEED), widths.DEFAULT_CHUNK_SIZE, spherical=False
    )
    lp_per_draw = widths._lp_per_draw(points, lp_draws, np.random.default_rng(SEED))
    max_difference = float(np.max(np.abs(closed_per_draw - lp_per_draw)))

    draws = np.random.default_rng(SEED).standard_normal((N_DRAWS, dim))
    matmul_seconds = _median_seconds(lambda: points @ draws.T)
    flops = 2.0 * N_DRAWS * n_points * dim
    return {
        "N": n_points,
        "d": dim,
        "n_draws": N_DRAWS,
        "closed_s": closed_seconds,
        "lp_s": lp_seconds,
        "lp_draws_timed": lp_draws,
        "ratio_lp_closed": lp_seconds / closed_seconds,
        "max_abs_diff": max_difference,
        "closed_gflops": flops / closed_seconds / 1e9,
        "matmul_gflops": flops / matmul_seconds / 1e9,
    }


def _markdown(rows: list[dict]) -> str:
    header = (
        "| N | d | closed form (s) | LP (s, per 100 draws) | LP draws timed | LP / closed "
        "| max abs diff | closed GFLOP/s | matmul GFLOP/s |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    lines = [header]
    for row in rows:
        timed = str(row["lp_draws_timed"])
        if row["lp_draws_timed"] != row["n_draws"]:
            timed += " (scaled x{:g})".format(row["n_draws"] / row["lp_draws_timed"])
        lines.append(
            f"| {row['N']} | {row['d']} | {row['closed_s']:.3g} | {row['lp_s']:.3g} | {timed} "
            f"| {row['ratio_lp_closed']:.0f} | {row['max_abs_diff']:.1e} "
            f"| {row['closed_gflops']:.1f} | {row['matmul_gflops']:.1f} |"
        )
    return "\n".join(lines)


def main() -> list[dict]:
    """Time both methods on every (N, d), print a Markdown table and return its rows."""
    rows = [_row(n_points, dim) for n_points in SIZES for dim in DIMS]
    print(
        f"Gaussian mean width, {N_DRAWS} draws, float64; numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}; "
        f"closed form: median of {REPEATS} repeats; LP: median of {LP_REPEATS} runs "
        "(scipy.optimize.linprog, HiGHS)\n"
    )
    print(_markdown(rows))
    return rows


if __name__ == "__main__":
    main()
