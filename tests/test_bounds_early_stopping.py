"""Tests of early stopping and progress logging in relusv.singular_values' batched optimiser."""

from __future__ import annotations

import logging
from functools import partial

import numpy as np
import pytest

from relusv import _bounds_adam, _bounds_progress
from relusv import singular_values as sv

# Early stopping is pinned and replayed on the paper's procedure (one start per rank); racing of
# the two starts of method="tight" is tested in tests/test_tight_bounds.py.
relu_singular_value_bounds = partial(sv.relu_singular_value_bounds, method="paper")

# Loose settings, so that most ranks of the small layer below stop well before the cap.
EARLY = dict(tolerance=2e-3, patience=15)


def _problem(seed=7, m=12, n=16, n_points=200):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((m, n)) / np.sqrt(n)
    b = 0.2 * rng.standard_normal(m)
    X = np.maximum(rng.standard_normal((n_points, n)), 0.0)
    return W, X, b


def test_without_early_stopping_every_rank_takes_all_steps():
    """tolerance=0 and patience=None are both the fixed-step computation, bit for bit: with
    tolerance 0 even patience 1 stops nothing, and a loose tolerance without patience stops
    nothing either; the same loose tolerance with patience 1 does stop ranks early, so the
    comparisons below can tell the two apart."""
    W, X, b = _problem()
    default = relu_singular_value_bounds(W, X, b, steps=40)
    zero_tolerance = relu_singular_value_bounds(W, X, b, steps=40, tolerance=0.0, patience=1)
    no_patience = relu_singular_value_bounds(W, X, b, steps=40, tolerance=0.5, patience=None)
    stopping = relu_singular_value_bounds(W, X, b, steps=40, tolerance=0.5, patience=1)
    assert default.steps_taken[1:].tolist() == [40] * (len(default.ranks) - 1)
    for result in (zero_tolerance, no_patience):
        assert result.steps_taken[1:].tolist() == [40] * (len(result.ranks) - 1)
        np.testing.assert_array_equal(result.raw_bounds, default.raw_bounds)
        np.testing.assert_array_equal(result.best_steps, default.best_steps)
    assert (stopping.steps_taken[1:] < 40).any()
    assert default.tolerance == 0.0 and no_patience.patience is None


# raw_bounds and best_steps of the problem below, from the optimiser before early stopping
PINNED_RAW_BOUNDS = [2.484068708529395, 1.3992187712996749, 1.0884930226265033,
                     0.5243050541401869, 0.3266198251421585]
PINNED_BEST_STEPS = [17, 9, 16, 5, 15]


def test_fixed_step_values_are_those_before_early_stopping_existed():
    """A regression pin of the fixed-step path, computed with the optimiser before early stopping
    was added (bitwise equal there; compared to 1e-5 here because float32 BLAS kernels round
    differently on other CPUs). An off-by-one in the steps or the kept iterate moves these by
    more than 1e-5."""
    W, X, b = _problem(seed=3, m=6, n=5, n_points=60)
    result = relu_singular_value_bounds(W, X, b, steps=25)
    np.testing.assert_allclose(result.raw_bounds, PINNED_RAW_BOUNDS, rtol=1e-5, atol=1e-12)
    assert result.best_steps.tolist() == PINNED_BEST_STEPS


def test_a_stopped_rank_is_the_fixed_step_run_of_its_steps():
    """Compacting the stack when ranks stop changes no arithmetic: every rank's bound is bit for
    bit that of a fixed-step run, alone, of the steps it took (stopped or not)."""
    W, X, b = _problem(m=20, n=20)
    early = relu_singular_value_bounds(W, X, b, steps=150, **EARLY)
    taken = early.steps_taken
    optimised = taken > 0
    assert np.sum(taken[optimised] < 150) >= optimised.sum() // 2  # most ranks stopped early
    # ranks 4-5 ("factored" products), 6-7 ("mixed"), 11-14 and 15-19 ("dense") share a stack
    # each (a bucket); ranks leaving one at different steps leave the others running on a
    # compacted stack
    for lo, hi in ((4, 5), (6, 7), (11, 14), (15, 19)):
        assert np.ptp(taken[lo : hi + 1]) > 0
    for i, k in enumerate(early.ranks.tolist()):
        if taken[i] == 0:
            continue
        fixed = relu_singular_value_bounds(W, X, b, steps=int(taken[i]), ranks=[k])
        assert fixed.raw_bounds[0] == early.raw_bounds[i], k
        assert fixed.best_steps[0] == early.best_steps[i], k
        np.testing.assert_array_equal(fixed.factors[0][0], early.factors[i][0])


def test_early_stopping_does_not_depend_on_threads_or_other_ranks():
    W, X, b = _problem(seed=5)
    one = relu_singular_value_bounds(W, X, b, steps=120, n_threads=1, **EARLY)
    two = relu_singular_value_bounds(W, X, b, steps=120, n_threads=2, **EARLY)
    some = relu_singular_value_bounds(W, X, b, steps=120, ranks=[9, 2, 5], **EARLY)
    for name in ("raw_bounds", "best_steps", "steps_taken"):
        np.testing.assert_array_equal(getattr(one, name), getattr(two, name))
        np.testing.assert_array_equal(getattr(some, name), getattr(one, name)[[2, 5, 9]])


def _toy_bucket(seed: int, K: int = 4, m: int = 6, R: int = 3, d: int = 5, n_points: int = 40):
    """Inputs of :func:`_bounds_adam._optimise_bucket` for K random slices."""
    rng = np.random.default_rng(seed)
    f32 = np.float32
    A = rng.standard_normal((n_points, d)).astype(f32)
    T_t = np.maximum(rng.standard_normal((m, n_points)), 0.0).astype(f32)
    U = (0.5 * rng.standard_normal((K, m, R))).astype(f32)
    V = (0.5 * rng.standard_normal((K, R, d))).astype(f32)
    lr_U = np.full((K, 1, R), 0.02, dtype=f32)
    lr_V = np.full((K, 1, 1), 0.02, dtype=f32)
    return A, T_t, -T_t, U, V, np.ones_like(U), np.ones_like(V), lr_U, lr_V


@pytest.mark.parametrize("method", ["factored", "mixed", "dense"])
def test_the_stopping_rule(method):
    """A slice stops at the first step t >= patience at which both its best max-error and its
    best loss are at least (1 - tolerance) times their values patience steps before, replayed
    exactly from fixed-step runs of 0 .. steps steps (which the early run follows bit for bit)."""
    steps, tolerance, patience = 80, 1e-2, 10
    bucket = _toy_bucket(seed=2)
    run = partial(_bounds_adam._optimise_bucket, *bucket, method=method, norm=1 / 40)
    early = run(steps=steps, tolerance=tolerance, patience=patience)
    fixed = [run(steps=t) for t in range(steps + 1)]
    best_err = np.array([f[4] for f in fixed], dtype=np.float64)  # (steps + 1, K)
    best_loss = np.array([f[5] for f in fixed])
    keep = 1.0 - tolerance
    stalled = ((best_err[patience:] >= keep * best_err[:-patience])
               & (best_loss[patience:] >= keep * best_loss[:-patience]))  # at t = patience ...
    expected = [patience + int(np.argmax(column)) if column[:-1].any() else steps
                for column in stalled.T]
    assert early[3].tolist() == expected
    assert len(set(expected)) == 4  # slices stop at different steps, one runs to the cap
    for i, t in enumerate(expected):
        np.testing.assert_array_equal(early[0][i], fixed[t][0][i])  # best U
        np.testing.assert_array_equal(early[1][i], fixed[t][1][i])  # best V
        assert early[2][i] == fixed[t][2][i] and early[4][i] == fixed[t][4][i]


def test_early_bounds_stay_certified():
    W, X, b = _problem(seed=4)
    early = relu_singular_value_bounds(W, X, b, steps=100, **EARLY)
    assert np.all(early.bounds <= early.svd_bounds)
    assert np.all(np.diff(early.bounds) <= 0)
    for k in (1, 4, 8):
        L, c = early.approximant(k)
        error = np.max(np.linalg.norm(np.maximum(X @ W.T + b, 0) - np.maximum(X @ L.T + c, 0),
                                      axis=1))
        assert error == pytest.approx(early.bounds[k], rel=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(tolerance=-1e-3), "tolerance"),
        (dict(tolerance=1.0), "tolerance"),
        (dict(tolerance=float("nan")), "tolerance"),
        (dict(tolerance="0.1"), "tolerance"),
        (dict(patience=0), "patience"),
        (dict(patience=2.5), "patience"),
        (dict(patience=True), "patience"),
    ],
)
def test_bad_early_stopping_arguments_raise_before_any_work(kwargs, match, monkeypatch):
    def no_work(*args, **kwargs):
        raise AssertionError("work started before the input was validated")

    monkeypatch.setattr(sv, "_compute_bounds", no_work)
    with pytest.raises(ValueError, match=match):
        relu_singular_value_bounds(np.ones((3, 4)), np.ones((5, 4)), **kwargs)


def test_progress_is_logged(monkeypatch, caplog):
    """Every finished task is reported once the interval has passed (0 here), and the call
    closes with a summary of the steps taken."""
    monkeypatch.setattr(_bounds_progress, "LOG_INTERVAL", 0.0)
    W, X, b = _problem(seed=6, m=20, n=20)
    with caplog.at_level(logging.INFO, logger="relusv._bounds_optimiser"):
        result = relu_singular_value_bounds(W, X, b, steps=60, n_threads=1, **EARLY)
    messages = [r.getMessage() for r in caplog.records if r.name == "relusv._bounds_optimiser"]
    progress = [m for m in messages if "ranks done" in m]
    assert progress and all("20x20 layer over 200 points" in m for m in progress)
    assert all("s left" in m and "best max-error" in m for m in progress)
    taken = result.steps_taken[result.steps_taken > 0]
    assert f"{len(taken)} ranks optimised" in messages[-1]
    assert f"({taken.min()}-{taken.max()}, cap 60)" in messages[-1]
