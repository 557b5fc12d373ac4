"""Tests of relusv.singular_values: linear singular values and ReLU singular value bounds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relusv import singular_values as sv
from relusv.singular_values import (
    ReluSingularValueBounds,
    linear_singular_values,
    relu_singular_value_bounds,
    sample_unit_sphere,
)

FAST = dict(steps=25)  # few Adam steps: the properties below hold for any number of steps


def _relu(z):
    return np.maximum(z, 0.0)


def _max_error(W, X, b, L, c):
    """max over rows x of ||relu(W x + b) - relu(L x + c)||, computed directly."""
    b = 0.0 if b is None else b
    c = 0.0 if c is None else c
    return np.max(np.linalg.norm(_relu(X @ W.T + b) - _relu(X @ L.T + c), axis=1))


def _layer(m, n, seed, *, bias):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((m, n)) / np.sqrt(n)
    b = 0.3 * rng.standard_normal(m) if bias else None
    return W, b


# --------------------------------------------------------------------------------------------
# linear_singular_values, sample_unit_sphere
# --------------------------------------------------------------------------------------------


def test_linear_singular_values_are_those_of_numpy_in_descending_order():
    W = np.random.default_rng(0).standard_normal((4, 7))
    sigma = linear_singular_values(W)
    assert sigma.shape == (4,)
    assert np.all(np.diff(sigma) <= 0)
    np.testing.assert_allclose(sigma, np.linalg.svd(W, compute_uv=False), rtol=1e-14)
    np.testing.assert_allclose(np.sum(sigma**2), np.sum(W**2), rtol=1e-12)


def test_linear_singular_values_rejects_non_finite():
    with pytest.raises(ValueError, match="W"):
        linear_singular_values([[1.0, np.nan]])


def test_sample_unit_sphere_shape_norms_and_seed():
    points = sample_unit_sphere(500, 7, seed=3)
    assert points.shape == (500, 7)
    np.testing.assert_allclose(np.linalg.norm(points, axis=1), 1.0, rtol=1e-14)
    np.testing.assert_array_equal(points, sample_unit_sphere(500, 7, seed=3))
    assert not np.array_equal(points, sample_unit_sphere(500, 7, seed=4))
    # Uniform on the sphere: mean near 0 (each coordinate has variance 1/7 / 500).
    assert np.all(np.abs(points.mean(axis=0)) < 0.1)


@pytest.mark.parametrize(("n_points", "dim"), [(0, 3), (3, 0), (2.5, 3), (True, 3)])
def test_sample_unit_sphere_rejects_bad_sizes(n_points, dim):
    with pytest.raises(ValueError, match="n_points|dim"):
        sample_unit_sphere(n_points, dim)


# --------------------------------------------------------------------------------------------
# relu_singular_value_bounds: the properties of the bounds
# --------------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    m=st.integers(1, 6),
    n=st.integers(1, 6),
    seed=st.integers(0, 2**16),
    bias=st.sampled_from([None, "free", "fixed"]),
)
def test_lemma5_bounds_never_exceed_linear_singular_values(m, n, seed, bias):
    """Lemma 5 over the unit sphere, m < n, m = n and m > n, with and without bias."""
    W, b = _layer(m, n, seed, bias=bias is not None)
    X = sample_unit_sphere(200, n, seed=seed + 1)
    result = relu_singular_value_bounds(W, X, b, approximant_bias=bias or "free", seed=seed, **FAST)
    sigma = np.linalg.svd(W, compute_uv=False)
    assert result.ranks.tolist() == list(range(min(m, n)))
    np.testing.assert_allclose(result.linear_singular_values, sigma, rtol=1e-12)
    tolerance = 1e-12 * sigma[0]
    assert np.all(result.svd_bounds <= sigma + tolerance)
    assert np.all(result.raw_bounds <= result.svd_bounds)
    assert np.all(result.bounds <= sigma + tolerance)
    assert np.all(result.bounds >= 0)


@settings(max_examples=15, deadline=None)
@given(m=st.integers(2, 7), n=st.integers(2, 7), seed=st.integers(0, 2**16))
def test_bounds_are_non_increasing_and_attained_by_an_approximant(m, n, seed):
    """Over arbitrary data (not the sphere) the bounds still never exceed the SVD start."""
    W, b = _layer(m, n, seed, bias=True)
    X = np.random.default_rng(seed).uniform(-2, 3, size=(60, n))
    result = relu_singular_value_bounds(W, X, b, **FAST)
    assert np.all(np.diff(result.bounds) <= 0)
    assert np.all(result.bounds <= result.raw_bounds)
    assert np.all(result.raw_bounds <= result.svd_bounds)
    # The SVD start's value is the direct computation with L = W_k, c = b.
    U, s, Vt = np.linalg.svd(W, full_matrices=False)
    for k in range(1, min(m, n)):
        W_k = (U[:, :k] * s[:k]) @ Vt[:k]
        direct = _max_error(W, X, b, W_k, b)
        assert result.svd_bounds[k] == pytest.approx(direct, rel=1e-12, abs=1e-12 * s[0])


@pytest.mark.parametrize(
    ("m", "n", "n_points", "bias"),
    [
        (6, 5, 200, None),
        (5, 9, 150, None),
        (12, 12, 300, None),
        (7, 4, 120, "free"),
        (4, 8, 100, "free"),
        (10, 10, 200, "free"),
        (8, 6, 150, "fixed"),
        (3, 9, 80, "fixed"),
    ],
)
def test_every_bound_is_recomputed_from_its_approximant(m, n, n_points, bias):
    """bounds[k] is the max-error over X of approximant(k) = (L, c), L of rank <= k: anyone can
    check a reported bound (to float64 rounding; the bound was evaluated in another order)."""
    W, b = _layer(m, n, m * n, bias=bias is not None)
    if bias is None:
        X = sample_unit_sphere(n_points, n, seed=m + n)
    else:
        X = np.random.default_rng(m + n).uniform(-2, 2, size=(n_points, n))
    result = relu_singular_value_bounds(W, X, b, approximant_bias=bias or "free", steps=60)
    assert np.any(result.best_steps > 0)  # some bounds come from Adam, not the SVD start
    for k, bound in zip(result.ranks.tolist(), result.bounds, strict=True):
        L, c = result.approximant(k)
        assert L.shape == (m, n) and c.shape == (m,)
        assert np.linalg.matrix_rank(L) <= k
        if bias is None:
            assert np.all(c == 0.0)
        elif bias == "fixed":
            np.testing.assert_array_equal(c, b)
        assert _max_error(W, X, b, L, c) == pytest.approx(bound, rel=1e-12, abs=1e-13 * W.max())


def test_approximant_of_a_lower_rank_where_it_is_the_better_one():
    """A running minimum: where a lower rank's approximant gives the smaller bound, it is the
    approximant of the higher rank too (of rank < k)."""
    rng = np.random.default_rng(2)  # a case found by search: rank 2 does worse than rank 1
    W, b, X = rng.standard_normal((3, 3)), 2 * rng.standard_normal(3), rng.standard_normal((5, 3))
    result = relu_singular_value_bounds(W, X, b, steps=1, approximant_bias="fixed",
                                        method="paper")
    assert result.raw_bounds[2] > result.bounds[2] == result.raw_bounds[1]
    L1, c1 = result.approximant(1)
    L2, c2 = result.approximant(2)
    np.testing.assert_array_equal(L2, L1)
    assert np.linalg.matrix_rank(L2) == 1
    assert _max_error(W, X, b, L2, c2) == pytest.approx(result.bounds[2], rel=1e-12)
    with pytest.raises(ValueError, match="k must be one of the ranks"):
        result.approximant(7)
    with pytest.raises(ValueError, match="k must be an int"):
        result.approximant(1.0)


@pytest.mark.parametrize("bias", [None, "fixed"])
def test_rank_zero_is_exact(bias):
    W, b = _layer(5, 4, 1, bias=bias is not None)
    X = sample_unit_sphere(300, 4, seed=2)
    result = relu_singular_value_bounds(W, X, b, approximant_bias=bias or "free", **FAST)
    direct = _max_error(W, X, b, np.zeros_like(W), b)  # L = 0, c = b (or no bias)
    assert result.ranks[0] == 0
    assert result.bounds[0] == pytest.approx(direct, rel=1e-13)
    assert result.best_steps[0] == -1  # nothing to optimise


def test_rank_zero_with_free_bias_is_no_worse_than_c_equal_b():
    W, b = _layer(5, 4, 1, bias=True)
    X = sample_unit_sphere(300, 4, seed=2)
    result = relu_singular_value_bounds(W, X, b, approximant_bias="free", steps=100)
    direct = _max_error(W, X, b, np.zeros_like(W), b)
    assert result.bounds[0] <= direct
    # a free bias can do strictly better than c = b here (b is not optimal for L = 0)
    assert result.bounds[0] < 0.99 * direct


@pytest.mark.parametrize("bias", [None, "free", "fixed"])
def test_bounds_vanish_at_and_above_the_rank(bias):
    rng = np.random.default_rng(5)
    W = rng.standard_normal((6, 2)) @ rng.standard_normal((2, 5))  # rank 2 in a 6x5 matrix
    b = 0.2 * rng.standard_normal(6) if bias else None
    X = sample_unit_sphere(200, 5, seed=6)
    result = relu_singular_value_bounds(
        W, X, b, ranks=range(6), approximant_bias=bias or "free", **FAST
    )
    assert result.ranks.tolist() == [0, 1, 2, 3, 4, 5]
    assert np.all(result.bounds[2:] == 0.0)
    assert np.all(result.bounds[:2] > 0.0)
    assert result.linear_singular_values[5] == 0.0


def test_bounds_are_clearly_below_linear_singular_values_at_low_k():
    """Claim C1 (Fig. 2): random Gaussian 20x20 layer over 2000 points of the sphere.

    Measured with these settings: bounds / sigma_k averaged over k = 1..5 is 0.62 (0.62-0.67
    over five random layers; the SVD start alone gives 0.65-0.69), and Adam lowers the SVD
    start's value by 6 % (3-6 %).
    """
    W = np.random.default_rng(0).standard_normal((20, 20))
    X = sample_unit_sphere(2000, 20, seed=1)
    result = relu_singular_value_bounds(W, X, steps=100, seed=0)
    ratio = result.bounds[1:6] / result.linear_singular_values[1:6]
    assert ratio.mean() < 0.8
    improvement = result.raw_bounds[1:6] / result.svd_bounds[1:6]
    assert improvement.mean() < 0.98  # Adam does improve on the SVD start
    assert np.all(result.best_steps[1:6] > 0)


def test_batched_equals_per_rank():
    """A rank's computation does not depend on which other ranks run with it (bitwise)."""
    rng = np.random.default_rng(7)
    W = rng.standard_normal((10, 12))
    b = 0.2 * rng.standard_normal(10)
    X = rng.standard_normal((150, 12))
    batched = relu_singular_value_bounds(W, X, b, steps=60)
    for k in (0, 1, 3, 7, 9):
        alone = relu_singular_value_bounds(W, X, b, steps=60, ranks=[k])
        assert alone.raw_bounds[0] == batched.raw_bounds[k]
        assert alone.best_steps[0] == batched.best_steps[k]
    some = relu_singular_value_bounds(W, X, b, steps=60, ranks=[9, 3, 3, 5])
    assert some.ranks.tolist() == [3, 5, 9]
    np.testing.assert_array_equal(some.raw_bounds, batched.raw_bounds[[3, 5, 9]])


def test_result_does_not_depend_on_threads():
    W, b = _layer(9, 8, 3, bias=True)
    X = np.random.default_rng(3).standard_normal((100, 8))
    one = relu_singular_value_bounds(W, X, b, steps=40, n_threads=1)
    two = relu_singular_value_bounds(W, X, b, steps=40, n_threads=2)
    np.testing.assert_array_equal(one.raw_bounds, two.raw_bounds)
    np.testing.assert_array_equal(one.best_steps, two.best_steps)


def test_same_seed_gives_identical_results():
    W, b = _layer(7, 6, 4, bias=True)
    X = np.random.default_rng(4).standard_normal((120, 6))
    kwargs = dict(steps=40, init_noise=0.05)
    first = relu_singular_value_bounds(W, X, b, seed=11, **kwargs)
    again = relu_singular_value_bounds(W, X, b, seed=11, **kwargs)
    other = relu_singular_value_bounds(W, X, b, seed=12, **kwargs)
    for name in ("bounds", "raw_bounds", "svd_bounds", "best_steps"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
    assert not np.array_equal(first.raw_bounds, other.raw_bounds)  # the seed is used
    np.testing.assert_array_equal(first.svd_bounds, other.svd_bounds)  # the start is not noisy


def test_row_space_reduction_changes_nothing():
    """Points in a 3-d subspace of R^10: optimising 3 principal-axis coordinates of V instead of
    all 10 gives the same bounds up to float32 rounding (measured: within 3e-7 of the scale)."""
    rng = np.random.default_rng(3)
    basis = np.linalg.qr(rng.standard_normal((10, 3)))[0]
    X = rng.standard_normal((300, 3)) @ basis.T
    W = rng.standard_normal((8, 10))
    b = 0.3 * rng.standard_normal(8)
    reduced = relu_singular_value_bounds(W, X, b, steps=100)
    full = sv._compute_bounds(
        W,
        X,
        b,
        list(range(8)),
        method="tight",
        steps=100,
        learning_rate=reduced.learning_rate,
        tolerance=0.0,
        patience=None,
        tight_steps=100,
        error_power=sv.ERROR_POWER,
        choose_start_at=sv.CHOOSE_START_AT,
        row_space=True,
        paper_reference=True,
        free_bias=True,
        init_noise=0.0,
        rng=np.random.default_rng(0),
        n_threads=1,
        drop_null_directions=False,
    )
    assert reduced.data_rank == 3
    scale = reduced.svd_bounds[0]
    np.testing.assert_allclose(reduced.raw_bounds, full.raw_bounds, rtol=1e-5, atol=1e-5 * scale)
    assert np.any(reduced.raw_bounds < reduced.svd_bounds * 0.99)  # Adam did something


@pytest.mark.parametrize("factor", [8.0, 1e-20, 1e20])
def test_bounds_scale_with_the_layer(factor):
    """relu is positively homogeneous: scaling W and b (or X and b) scales every bound. The
    optimisation works on a normalised copy, so this holds to float64 rounding, far outside
    float32's range too; the exact rank 0 of method="tight" to its certified gap (1e-9)."""
    W, b = _layer(6, 5, 8, bias=True)
    X = np.random.default_rng(8).standard_normal((80, 5))
    for method, rtol in (("paper", 1e-12), ("tight", 1e-9)):
        base = relu_singular_value_bounds(W, X, b, steps=40, method=method)
        scaled = relu_singular_value_bounds(factor * W, X, factor * b, steps=40, method=method)
        np.testing.assert_allclose(scaled.bounds, factor * base.bounds, rtol=rtol)
        inputs = relu_singular_value_bounds(W, 4 * X, 4 * b, steps=40, method=method)
        np.testing.assert_allclose(inputs.bounds, 4 * base.bounds, rtol=rtol)


def test_result_type_and_read_only_arrays():
    W, b = _layer(4, 3, 9, bias=True)
    X = np.random.default_rng(9).standard_normal((30, 3))
    result = relu_singular_value_bounds(W, X, b, ranks=[2, 0, 3], steps=5)
    assert isinstance(result, ReluSingularValueBounds)
    assert result.ranks.dtype == np.int64 and result.ranks.tolist() == [0, 2, 3]
    assert result.bounds.dtype == np.float64
    assert result.steps == 5 and result.n_points == 30 and result.approximant_bias == "free"
    assert relu_singular_value_bounds(W, X, ranks=[1], steps=5).approximant_bias is None
    with pytest.raises(ValueError, match="read-only"):
        result.bounds[0] = 0.0


# --------------------------------------------------------------------------------------------
# relu_singular_value_bounds: bad input
# --------------------------------------------------------------------------------------------

_W = np.ones((3, 4))
_X = np.ones((5, 4))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(X=np.ones((5, 3))), "X must have .* 4 columns"),
        (dict(X=np.ones((0, 4))), "X must not be empty"),
        (dict(X=np.ones(4)), "X must be a 2-d"),
        (dict(X=np.full((5, 4), np.inf)), "X contains"),
        (dict(W=np.array([[1.0, np.nan, 0, 0]] * 3)), "W contains"),
        (dict(b=np.array([0.0, np.nan, 1.0])), "b contains"),
        (dict(b=np.zeros(4)), "b must have length m = W.shape\\[0\\] = 3"),
        (dict(steps=0), "steps"),
        (dict(steps=-3), "steps"),
        (dict(steps=2.5), "steps"),
        (dict(learning_rate=0.0), "learning_rate"),
        (dict(learning_rate=-1e-3), "learning_rate"),
        (dict(learning_rate=float("nan")), "learning_rate"),
        (dict(ranks=[4]), "ranks must lie in 0 .. min\\(m, n\\) = 3"),
        (dict(ranks=[-1]), "ranks"),
        (dict(ranks=[1.0]), "ranks"),
        (dict(ranks=[]), "ranks"),
        (dict(ranks=2), "ranks"),
        (dict(approximant_bias="learned"), "approximant_bias"),
        (dict(init_noise=-0.1), "init_noise"),
        (dict(n_threads=0), "n_threads"),
        (dict(seed="abc"), "seed"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(kwargs, match, monkeypatch):
    def no_work(*args, **kwargs):  # validation must happen before any work
        raise AssertionError("work started before the input was validated")

    monkeypatch.setattr(sv, "_compute_bounds", no_work)
    arguments = dict(W=_W, X=_X, b=None) | kwargs
    W, X, b = arguments.pop("W"), arguments.pop("X"), arguments.pop("b")
    with pytest.raises(ValueError, match=match):
        relu_singular_value_bounds(W, X, b, **arguments)


def test_degenerate_layers():
    """Zero weights, zero data and a single point run and give exact answers."""
    X = sample_unit_sphere(10, 3, seed=0)
    zero = relu_singular_value_bounds(np.zeros((2, 3)), X, np.array([1.0, -1.0]), steps=5)
    assert np.all(zero.bounds == 0.0)  # relu(0 x + b) = relu(b) exactly
    W, b = _layer(3, 3, 0, bias=True)
    at_zero = relu_singular_value_bounds(W, np.zeros((4, 3)), b, approximant_bias="fixed", steps=5)
    assert np.all(at_zero.bounds == 0.0)  # all inputs 0: c = b is exact for every rank
    one = relu_singular_value_bounds(W, X[:1], b, steps=5)
    assert np.all(np.isfinite(one.bounds)) and np.all(one.bounds <= one.svd_bounds)
