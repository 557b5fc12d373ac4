"""Tests of relusv.sphere_bounds: the paper's sample bounds and refined bounds on the sphere."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import relusv.sphere_bounds as sb
from relusv import singular_values
from relusv.singular_values import relu_singular_value_bounds, sample_unit_sphere
from relusv.sphere_bounds import SphereBounds, sphere_bounds

SMALL = dict(steps=30, holdout_points=400, ascent_starts=40, ascent_steps=60, n_threads=1)


def _layer(m, n, seed):
    return np.random.default_rng(seed).standard_normal((m, n)) / np.sqrt(n)


def _errors(W, L, x):
    """||relu(W x) - relu(L x)|| for every row x, computed directly."""
    return np.linalg.norm(np.maximum(x @ W.T, 0.0) - np.maximum(x @ L.T, 0.0), axis=1)


def _plain_ascent(W, L, n_starts, n_steps, step, seed):
    """Independent check: plain projected gradient ascent of ||relu(W x) - relu(L_k x)|| from
    random starts on the sphere, x <- normalise(x + step grad f(x)), for every L_k in the stack
    L (K, m, n) at once; ``step``: (n_starts,) step sizes, one per start. Returns the largest
    error reached per approximant (float32 iterates, the best point of each start evaluated
    again in float64)."""
    with threadpool_limits(limits=1, user_api="blas"):  # small products: BLAS threads only cost
        return _plain_ascent_unpinned(W, L, n_starts, n_steps, step, seed)


def _plain_ascent_unpinned(W, L, n_starts, n_steps, step, seed):
    K, m, n = L.shape
    W32, L32 = W.astype(np.float32), L.astype(np.float32)
    W32_t, L32_t = np.ascontiguousarray(W32.T), np.ascontiguousarray(L32.transpose(0, 2, 1))
    x = sample_unit_sphere(K * n_starts, n, seed=seed).astype(np.float32)
    x = x.reshape(K, n_starts, n)
    step = np.asarray(step, dtype=np.float32)[None, :, None]
    best, best_x = np.full((K, n_starts), -1.0, dtype=np.float32), x.copy()
    for t in range(n_steps + 1):
        z_w = (x.reshape(-1, n) @ W32_t).reshape(K, n_starts, m)
        z_l = np.matmul(x, L32_t)
        r = np.maximum(z_w, 0.0) - np.maximum(z_l, 0.0)
        f2 = np.einsum("ksm,ksm->ks", r, r)
        higher = f2 > best
        best[higher], best_x[higher] = f2[higher], x[higher]
        if t == n_steps:
            break
        grad = ((r * (z_w > 0)).reshape(-1, m) @ W32).reshape(K, n_starts, n)
        grad -= np.matmul(r * (z_l > 0), L32)
        f = np.sqrt(f2)[..., None]
        x = x + step * np.divide(grad, f, out=np.zeros_like(grad), where=f > 0)
        x /= np.linalg.norm(x, axis=2, keepdims=True)
    points = best_x.astype(np.float64)
    points /= np.linalg.norm(points, axis=2, keepdims=True)
    return np.array([_errors(W, L[i], points[i]).max() for i in range(K)])


# --------------------------------------------------------------------------------------------
# The criterion of the ascent (fixed before the results were looked at)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [10, 20])
def test_plain_ascent_from_2000_random_starts_does_not_beat_the_refined_bounds(n):
    """A simple independent ascent (2000 random starts, 500 plain projected-gradient steps, half
    of the starts with a small and half with a large step) on every reported approximant finds
    no error more than 2 % above its refined bound, on a random 10x10 and 20x20 layer with the
    default ascent and the demo's sample (2000 points, 300 Adam steps)."""
    W = _layer(n, n, 300 + n)
    result = sphere_bounds(W, n_points=2000, seed=n, steps=300, n_threads=1)
    L = np.stack([result.approximant(k)[0] for k in result.ranks.tolist()])
    steps = np.repeat([0.1, 0.5], 1000) / result.linear_singular_values[0]
    found = _plain_ascent(W, L, 2000, 500, steps, seed=n)
    assert np.all(found <= 1.02 * result.bounds_refined), found / result.bounds_refined


# --------------------------------------------------------------------------------------------
# What is reported
# --------------------------------------------------------------------------------------------


def test_sample_bounds_are_the_papers_bounds_over_the_sample():
    """bounds_sample is the paper's procedure (relu_singular_value_bounds with method="paper")
    over the n_points sample (first round)."""
    W = _layer(7, 6, 1)
    result = sphere_bounds(W, n_points=300, seed=5, rounds=2, **SMALL)
    rng = np.random.default_rng(5)  # the draws of sphere_bounds, in order: sample, Adam
    X = sample_unit_sphere(300, 6, seed=int(rng.integers(2**31)))
    fit = relu_singular_value_bounds(W, X, steps=SMALL["steps"], seed=int(rng.integers(2**31)),
                                     method="paper")
    np.testing.assert_array_equal(result.bounds_sample, fit.bounds)
    np.testing.assert_array_equal(result.linear_singular_values, fit.linear_singular_values)


@pytest.mark.parametrize(("m", "n", "seed"), [(6, 4, 0), (4, 7, 1), (8, 8, 2), (10, 10, 3)])
def test_refined_bounds_are_capped_monotone_and_attained_by_the_approximant(m, n, seed):
    W = _layer(m, n, seed)
    result = sphere_bounds(W, n_points=300, seed=seed, **SMALL)
    sigma = result.linear_singular_values
    refined = result.bounds_refined
    np.testing.assert_allclose(sigma, np.linalg.svd(W, compute_uv=False), rtol=1e-12)
    assert result.ranks.tolist() == list(range(min(m, n)))
    assert np.all(refined <= sigma) and np.all(refined > 0)
    assert np.all(np.diff(refined) <= 0)
    assert result.round_estimates.shape == (3, min(m, n))
    # Many random points of the sphere never see a larger error than the refined bound.
    probe = sample_unit_sphere(20000, n, seed=seed + 100)
    for i, k in enumerate(result.ranks.tolist()):
        L, c = result.approximant(k)
        assert np.all(c == 0.0) and np.linalg.matrix_rank(L) <= k
        assert result.source_rank[i] <= k
        j = int(np.flatnonzero(result.ranks == result.source_rank[i])[0])
        r = result.source_round[i]
        if r == 0:  # W_j with its certified sigma_j (= sigma_k where a lower rank is chosen)
            assert refined[i] == sigma[i]
            U, s, Vt = np.linalg.svd(W)
            np.testing.assert_allclose(L, (U[:, :j] * s[:j]) @ Vt[:j], atol=1e-14)
        else:  # round r's approximant: its largest error found in its round and the last check
            found = np.fmax(result.round_estimates[r - 1, j], result.check_estimates[j])
            assert refined[i] == found < sigma[i]
        assert _errors(W, L, probe).max() <= refined[i] + 1e-12


def test_the_refined_bound_exceeds_the_sample_bound_in_20_dimensions():
    """Claim C1's measurement (docs/method.md section 2): on a 20x20 layer the sample misses the
    worst directions; the refined bounds are well above the sample's at every rank."""
    result = sphere_bounds(_layer(20, 20, 0), n_points=1000, seed=0, **SMALL)
    assert np.all(result.bounds_refined > 1.2 * result.bounds_sample)


def test_the_ascent_finds_a_known_maximum():
    """One output, relu(w . x): the rank-0 bound is sup relu(w . x) = ||w|| = sigma_0 (at
    x = w / ||w||); 300 points of S^19 come nowhere near that direction."""
    w = np.random.default_rng(0).standard_normal((1, 20))
    result = sphere_bounds(w, n_points=300, seed=0, ranks=[0], **SMALL)
    assert result.bounds_sample[0] < 0.8 * np.linalg.norm(w)
    assert result.round_estimates[:, 0] == pytest.approx(np.linalg.norm(w), rel=1e-9)


def test_rounds_add_the_worst_points_and_the_reported_approximant_comes_from_any_round():
    W = _layer(6, 6, 4)
    result = sphere_bounds(W, n_points=200, seed=1, rounds=4, **SMALL)
    assert result.optimisation_points == 200 + 3 * 6 * sb._ADDED_PER_RANK
    one = sphere_bounds(W, n_points=200, seed=1, rounds=1, **SMALL)
    assert one.optimisation_points == 200 and one.round_estimates.shape == (1, 6)
    np.testing.assert_array_equal(one.bounds_sample, result.bounds_sample)
    np.testing.assert_array_equal(one.round_estimates[0], result.round_estimates[0])
    assert np.all(np.isin(result.source_round, [0, 1, 2, 3, 4]))


def test_rank_deficient_and_zero_layers():
    rng = np.random.default_rng(5)
    W = rng.standard_normal((6, 2)) @ rng.standard_normal((2, 5))  # rank 2
    result = sphere_bounds(W, n_points=200, seed=0, ranks=range(6), **SMALL)
    assert np.all(result.bounds_refined[2:] == 0.0) and np.all(result.bounds_sample[2:] == 0.0)
    assert np.all(result.bounds_refined[:2] > 0.0)
    assert result.source_round[2:].tolist() == [-1] * 4
    probe = sample_unit_sphere(500, 5, seed=1)
    for k in range(2, 6):
        L, _ = result.approximant(k)
        assert np.linalg.matrix_rank(L) <= 2
        assert _errors(W, L, probe).max() <= 1e-12 * result.linear_singular_values[0]
    zero = sphere_bounds(np.zeros((3, 4)), n_points=50, seed=0, **SMALL)
    assert np.all(zero.bounds_refined == 0.0) and np.all(zero.bounds_sample == 0.0)


def test_same_seed_same_numbers_and_threads_do_not_matter():
    W = _layer(7, 5, 6)
    first = sphere_bounds(W, n_points=200, seed=3, **SMALL)
    again = sphere_bounds(W, n_points=200, seed=3, **(SMALL | dict(n_threads=2)))
    other = sphere_bounds(W, n_points=200, seed=4, **SMALL)
    for name in ("bounds_sample", "bounds_refined", "round_estimates", "check_estimates",
                 "source_round", "source_rank"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
    for k in first.ranks.tolist():
        np.testing.assert_array_equal(first.approximant(k)[0], again.approximant(k)[0])
    assert not np.array_equal(first.bounds_refined, other.bounds_refined)


def test_early_stopping_reaches_each_rounds_adam():
    """tolerance and patience reach every round's fit: 0 is the default (bitwise; with tolerance 0
    even a window of one step stops nothing), a loose tolerance with a short window stops the
    ranks early and changes the sample bounds, and the early-stopping default keeps them within
    1 % of the fixed steps."""
    W = _layer(10, 10, 2)
    options = dict(n_points=500, seed=2, rounds=2, **(SMALL | dict(steps=300)))
    fixed = sphere_bounds(W, **options)
    assert inspect.signature(sphere_bounds).parameters["tolerance"].default == 0.0
    assert np.array_equal(fixed.bounds_refined,
                          sphere_bounds(W, tolerance=0.0, patience=1, **options).bounds_refined)
    assert (fixed.tolerance, fixed.patience) == (0.0, singular_values.EARLY_STOPPING_PATIENCE)
    loose = sphere_bounds(W, tolerance=0.5, patience=1, **options)
    assert loose.tolerance == 0.5 and loose.patience == 1
    assert np.all(loose.bounds_sample >= fixed.bounds_sample)
    assert np.any(loose.bounds_sample > fixed.bounds_sample * 1.01)
    default = sphere_bounds(W, tolerance=singular_values.EARLY_STOPPING_TOLERANCE, **options)
    np.testing.assert_allclose(default.bounds_sample, fixed.bounds_sample, rtol=0.01)


def test_result_type_read_only_and_in_one_home():
    # relusv.sphere_bounds builds on relusv.singular_values, which does not re-export it back
    assert not hasattr(singular_values, "sphere_bounds")
    assert not hasattr(singular_values, "SphereBounds")
    result = sphere_bounds(_layer(4, 3, 7), n_points=100, seed=0, ranks=[2, 0], **SMALL)
    assert isinstance(result, SphereBounds)
    assert result.ranks.tolist() == [0, 2] and result.rounds == 3 and result.n_points == 100
    with pytest.raises(ValueError, match="read-only"):
        result.bounds_refined[0] = 0.0
    with pytest.raises(ValueError, match="read-only"):
        result.approximants[0][0, 0] = 1.0
    with pytest.raises(ValueError, match="k must be one of the ranks"):
        result.approximant(1)
    with pytest.raises(AttributeError):
        singular_values.no_such_name  # noqa: B018


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(W=np.ones(3)), "W must be a 2-d"),
        (dict(W=np.array([[1.0, np.nan]])), "W contains"),
        (dict(n_points=0), "n_points"),
        (dict(seed="abc"), "seed"),
        (dict(steps=0), "steps"),
        (dict(learning_rate=0.0), "learning_rate"),
        (dict(holdout_points=0), "holdout_points"),
        (dict(ascent_starts=2.5), "ascent_starts"),
        (dict(ascent_steps=-1), "ascent_steps"),
        (dict(rounds=0), "rounds"),
        (dict(tolerance=1.0), "tolerance"),
        (dict(tolerance=1e-4, patience=0), "patience"),
        (dict(ranks=[3]), "ranks must lie in 0 .. min\\(m, n\\) = 2"),
        (dict(n_threads=0), "n_threads"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(kwargs, match, monkeypatch):
    def no_work(*args, **kwargs):  # validation must happen before any work
        raise AssertionError("work started before the input was validated")

    monkeypatch.setattr(sb, "relu_singular_value_bounds", no_work)
    monkeypatch.setattr(sb, "sample_unit_sphere", no_work)
    arguments = dict(W=np.ones((2, 3)), n_points=10, seed=0) | kwargs
    with pytest.raises(ValueError, match=match):
        sphere_bounds(arguments.pop("W"), **arguments)
