"""Tests of relusv.widths: Gaussian and spherical mean width (paper section IV)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from relusv import widths
from relusv.widths import (
    WidthEstimate,
    gaussian_mean_width,
    gaussian_mean_width_lp,
    gaussian_mean_width_per_draw,
    gaussian_to_spherical_factor,
    linear_operator_gaussian_mean_width,
    spherical_mean_width,
)

# Hypothesis point sets: small, moderate magnitudes, no subnormals (scaling must stay exact).
_coordinates = st.floats(-100.0, 100.0, allow_nan=False, allow_subnormal=False)
point_sets = st.tuples(st.integers(1, 12), st.integers(1, 6)).flatmap(
    lambda shape: hnp.arrays(np.float64, shape, elements=_coordinates)
)


def _rel_tol(points: np.ndarray, *extra: float) -> float:
    """Absolute tolerance for float rounding in inner products of draws with these points."""
    scale = 1.0 + float(np.max(np.abs(points))) + sum(abs(e) for e in extra)
    return 1e-10 * scale * math.sqrt(points.shape[1])


# --------------------------------------------------------------------------------------------
# The closed form against the paper's linear programs
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_points", [1, 5, 40])
@pytest.mark.parametrize("dim", [1, 3, 17])
def test_closed_form_equals_lp_per_draw(n_points, dim):
    points = np.random.default_rng(100 * n_points + dim).normal(size=(n_points, dim)) * 3.0
    closed = widths._closed_form_per_draw(
        points, 6, np.random.default_rng(7), widths.DEFAULT_CHUNK_SIZE, spherical=False
    )
    lp = widths._lp_per_draw(points, 6, np.random.default_rng(7))
    np.testing.assert_allclose(closed, lp, rtol=0, atol=1e-8)
    estimate_closed = gaussian_mean_width(points, 6, seed=7)
    estimate_lp = gaussian_mean_width_lp(points, 6, seed=7)
    assert estimate_lp.n_draws == estimate_closed.n_draws == 6
    assert estimate_lp.value == pytest.approx(estimate_closed.value, abs=1e-8)
    assert estimate_lp.stderr == pytest.approx(estimate_closed.stderr, abs=1e-8)


def test_lp_uses_the_same_draws_with_tiny_chunks():
    points = np.random.default_rng(3).uniform(-1, 1, size=(30, 4))
    closed = gaussian_mean_width(points, 9, seed=11, chunk_size=2)
    assert gaussian_mean_width_lp(points, 9, seed=11).value == pytest.approx(closed.value, abs=1e-8)


# --------------------------------------------------------------------------------------------
# Invariances (Corollary 11, translation, scaling)
# --------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(points=point_sets, seed=st.integers(0, 2**32 - 1), data=st.data())
def test_adding_convex_combinations_keeps_width(points, seed, data):
    n_points = points.shape[0]
    n_new = data.draw(st.integers(1, 10))
    weights = np.random.default_rng(seed).dirichlet(np.ones(n_points), size=n_new)
    hull_points = weights @ points
    enlarged = np.vstack([points, hull_points])
    order = np.random.default_rng(seed + 1).permutation(enlarged.shape[0])
    before = gaussian_mean_width(points, 20, seed=seed)
    after = gaussian_mean_width(enlarged[order], 20, seed=seed)
    assert after.value == pytest.approx(before.value, abs=_rel_tol(points))


@settings(max_examples=40, deadline=None)
@given(
    points=point_sets,
    shift=st.floats(-100.0, 100.0, allow_nan=False, allow_subnormal=False),
    seed=st.integers(0, 2**32 - 1),
)
def test_translation_keeps_width(points, shift, seed):
    translation = shift * np.linspace(-1.0, 1.0, points.shape[1])
    before = gaussian_mean_width(points, 20, seed=seed)
    after = gaussian_mean_width(points + translation, 20, seed=seed)
    assert after.value == pytest.approx(before.value, abs=_rel_tol(points, shift))


@settings(max_examples=40, deadline=None)
@given(
    points=point_sets,
    factor=st.floats(1e-3, 1e3, allow_nan=False, allow_subnormal=False),
    seed=st.integers(0, 2**32 - 1),
)
def test_scaling_scales_width(points, factor, seed):
    before = gaussian_mean_width(points, 20, seed=seed)
    after = gaussian_mean_width(points * factor, 20, seed=seed)
    # relative 1e-12, plus rounding of inner products when max and min nearly cancel
    tolerance = factor * _rel_tol(points)
    assert after.value == pytest.approx(factor * before.value, rel=1e-12, abs=tolerance)
    assert after.stderr == pytest.approx(factor * before.stderr, rel=1e-9, abs=tolerance)
    spherical_before = spherical_mean_width(points, 20, seed=seed)
    spherical_after = spherical_mean_width(points * factor, 20, seed=seed)
    assert spherical_after.value == pytest.approx(
        factor * spherical_before.value, rel=1e-12, abs=tolerance
    )


# --------------------------------------------------------------------------------------------
# Known values
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dim", [1, 4, 50])
def test_single_point_has_zero_width(dim):
    point = np.random.default_rng(dim).normal(size=(1, dim))
    for estimate in (
        gaussian_mean_width(point, 10, seed=0),
        spherical_mean_width(point, 10, seed=0),
        gaussian_mean_width_lp(point, 3, seed=0),
    ):
        assert estimate.value == 0.0
        assert estimate.stderr == 0.0


def test_repeated_point_has_zero_width():
    points = np.tile([[1.5, -2.0, 0.25]], (7, 1))
    assert gaussian_mean_width(points, 10, seed=0).value == 0.0


def test_two_points_on_the_line():
    x, y = -1.25, 2.5
    estimate = gaussian_mean_width([[x], [y]], 200_000, seed=5)
    expected = abs(x - y) * math.sqrt(2.0 / math.pi)
    # E|g| = sqrt(2/pi), sd |g| = sqrt(1 - 2/pi) = 0.60: stderr = 3.75 * 0.60 / sqrt(2e5)
    assert estimate.stderr == pytest.approx(abs(x - y) * math.sqrt(1 - 2 / math.pi) / 447.2, 0.02)
    assert abs(estimate.value - expected) < 4.0 * estimate.stderr
    # on the line the sphere is {-1, 1}: the spherical width is exactly |x - y|
    assert spherical_mean_width([[x], [y]], 50, seed=5).value == pytest.approx(abs(x - y), 1e-15)


def test_width_of_cube_vertices_is_l1_norm():
    """For the cube [0, 1]^d the width in direction g is ||g||_1: w = d sqrt(2/pi)."""
    dim = 4
    vertices = np.array(np.meshgrid(*[[0.0, 1.0]] * dim)).reshape(dim, -1).T
    estimate = gaussian_mean_width(vertices, 50_000, seed=9)
    assert abs(estimate.value - dim * math.sqrt(2 / math.pi)) < 4.0 * estimate.stderr


# --------------------------------------------------------------------------------------------
# c_n = E||g|| and Lemma 13
# --------------------------------------------------------------------------------------------


def test_cn_exact_small_values():
    assert gaussian_to_spherical_factor(1) == pytest.approx(math.sqrt(2 / math.pi), rel=1e-15)
    assert gaussian_to_spherical_factor(2) == pytest.approx(math.sqrt(math.pi / 2), rel=1e-15)
    assert gaussian_to_spherical_factor(3) == pytest.approx(2 * math.sqrt(2 / math.pi), rel=1e-15)


@pytest.mark.parametrize("n", [1, 2, 5, 10])
def test_cn_against_monte_carlo(n):
    norms = np.linalg.norm(np.random.default_rng(n).standard_normal((200_000, n)), axis=1)
    stderr = norms.std(ddof=1) / math.sqrt(norms.size)
    assert abs(gaussian_to_spherical_factor(n) - norms.mean()) < 4.0 * stderr


@pytest.mark.parametrize("n", [10**6, 10**8, 10**12])
def test_cn_asymptote(n):
    c_n = gaussian_to_spherical_factor(n)
    assert math.isfinite(c_n)
    ratio = c_n / math.sqrt(n)
    assert ratio < 1.0
    # c_n / sqrt(n) -> 1 with error 1/(4n), which must be resolved even at n = 10^12
    assert (1.0 - ratio) * 4 * n == pytest.approx(1.0, rel=1e-3)
    # c_n / sqrt(n) = 1 - 1/(4n) + 1/(32 n^2) + O(n^-3), to rounding
    assert abs(ratio - (1.0 - 1.0 / (4 * n) + 1.0 / (32 * n**2))) < 4e-16


@settings(max_examples=200, deadline=None)
@given(n=st.one_of(st.integers(1, 400), st.integers(1, 10**15)))
def test_cn_recurrence(n):
    """Gamma(x + 1) = x Gamma(x) gives c_n c_{n+1} = n exactly; checks the ratio to ~1 ulp on
    both sides of the switch from the gamma ratio to the asymptotic series."""
    product = gaussian_to_spherical_factor(n) * gaussian_to_spherical_factor(n + 1)
    assert product == pytest.approx(n, rel=1e-15)


def test_cn_is_increasing_across_the_switch():
    values = [gaussian_to_spherical_factor(n) for n in range(150, 260)]
    assert np.all(np.diff(values) > 0)


def test_lemma_13_gaussian_equals_cn_times_spherical():
    dim = 5
    points = np.random.default_rng(13).normal(size=(30, dim)) * np.arange(1, dim + 1)
    gaussian = gaussian_mean_width(points, 40_000, seed=1)
    spherical = spherical_mean_width(points, 40_000, seed=2)
    c_n = gaussian_to_spherical_factor(dim)
    tolerance = 4.0 * math.hypot(gaussian.stderr, c_n * spherical.stderr)
    assert abs(gaussian.value - c_n * spherical.value) < tolerance


def test_spherical_uses_normalised_gaussian_draws():
    points = np.random.default_rng(4).normal(size=(20, 3))
    draws = np.random.default_rng(8).standard_normal((5, 3))
    draws /= np.linalg.norm(draws, axis=1, keepdims=True)
    products = draws @ points.T
    expected = np.mean(products.max(axis=1) - products.min(axis=1))
    assert spherical_mean_width(points, 5, seed=8).value == pytest.approx(expected, rel=1e-13)


# --------------------------------------------------------------------------------------------
# Lemma 14: linear operators
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(3, 3), (5, 2), (2, 7), (20, 30)])
def test_lemma_14_bounds(shape):
    rng = np.random.default_rng(shape[0] * 31 + shape[1])
    matrix = rng.normal(size=shape) * rng.uniform(0.1, 3.0, size=shape[1])
    estimate = linear_operator_gaussian_mean_width(matrix, 4000, seed=3)
    sigma_0 = np.linalg.norm(matrix, 2)
    slack = 4.0 * estimate.stderr
    assert 2 * math.sqrt(2 / math.pi) * sigma_0 - slack <= estimate.value
    assert estimate.value <= 2 * np.linalg.norm(matrix, "fro") + slack


def test_lemma_14_rank_one_is_the_lower_bound():
    """For A = u v^T, ||A^T g|| = ||v|| |<u, g>|: w(A) = 2 sqrt(2/pi) sigma_0(A) exactly."""
    u, v = np.array([1.0, -2.0, 0.5]), np.array([0.3, 4.0])
    matrix = np.outer(u, v)
    estimate = linear_operator_gaussian_mean_width(matrix, 100_000, seed=4)
    expected = 2 * math.sqrt(2 / math.pi) * np.linalg.norm(u) * np.linalg.norm(v)
    assert abs(estimate.value - expected) < 4.0 * estimate.stderr


def test_lemma_14_orthogonal_columns_is_2_cn():
    """For A with orthonormal rows (m <= n), ||A^T g|| = ||g||: w(A) = 2 c_m."""
    m = 4
    matrix = np.linalg.qr(np.random.default_rng(1).normal(size=(7, m)))[0].T  # (m, 7)
    estimate = linear_operator_gaussian_mean_width(matrix, 50_000, seed=6)
    assert abs(estimate.value - 2 * gaussian_to_spherical_factor(m)) < 4.0 * estimate.stderr


@pytest.mark.parametrize("shape", [(2, 2), (3, 2), (4, 3)])
def test_lemma_14_equals_width_of_image_of_sphere_samples(shape):
    """Per draw, the width of A applied to sphere samples is at most 2 ||A^T g|| and close to it.

    With the same seed both functions use the same draws g in R^m, so this is a deterministic
    comparison. The sample is symmetric (x and -x) like the ball.
    """
    rng = np.random.default_rng(sum(shape))
    matrix = rng.normal(size=shape)
    n = shape[1]
    if n == 2:
        angles = np.linspace(0.0, 2 * np.pi, 4000, endpoint=False)
        sphere = np.column_stack([np.cos(angles), np.sin(angles)])
    else:
        sphere = rng.normal(size=(60_000, n))
        sphere /= np.linalg.norm(sphere, axis=1, keepdims=True)
        sphere = np.vstack([sphere, -sphere])
    image = sphere @ matrix.T  # (N, m)
    operator = linear_operator_gaussian_mean_width(matrix, 200, seed=12)
    sampled = gaussian_mean_width(image, 200, seed=12)
    assert sampled.value <= operator.value * (1 + 1e-12)
    relative_gap = 1e-5 if n == 2 else 2e-2
    assert sampled.value >= operator.value * (1 - relative_gap)


# --------------------------------------------------------------------------------------------
# Seeds, chunks, stderr
# --------------------------------------------------------------------------------------------


def test_same_seed_same_result_and_different_seed_differs():
    points = np.random.default_rng(0).normal(size=(25, 6))
    for function in (gaussian_mean_width, spherical_mean_width):
        assert function(points, 30, seed=42) == function(points, 30, seed=42)
        assert function(points, 30, seed=42) != function(points, 30, seed=43)
    matrix = points[:6]
    assert linear_operator_gaussian_mean_width(
        matrix, 30, seed=1
    ) == linear_operator_gaussian_mean_width(matrix, 30, seed=1)


def test_seed_can_be_a_generator():
    points = np.random.default_rng(0).normal(size=(10, 3))
    from_int = gaussian_mean_width(points, 10, seed=5)
    from_generator = gaussian_mean_width(points, 10, seed=np.random.default_rng(5))
    assert from_generator == from_int


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 64, 257])
def test_chunked_equals_unchunked(chunk_size):
    points = np.random.default_rng(1).normal(size=(300, 5))
    # far points first, in the middle and last, so that every block can hold an extreme point
    points[0] *= 30.0
    points[137] *= 40.0
    points[-1] *= 50.0
    full = gaussian_mean_width(points, 40, seed=2)
    chunked = gaussian_mean_width(points, 40, seed=2, chunk_size=chunk_size)
    assert chunked.n_draws == full.n_draws
    assert chunked.value == pytest.approx(full.value, rel=1e-12)
    assert chunked.stderr == pytest.approx(full.stderr, rel=1e-9)
    spherical_full = spherical_mean_width(points, 40, seed=2)
    spherical_chunked = spherical_mean_width(points, 40, seed=2, chunk_size=chunk_size)
    assert spherical_chunked.value == pytest.approx(spherical_full.value, rel=1e-12)
    matrix = points[:8]
    operator_full = linear_operator_gaussian_mean_width(matrix, 40, seed=2)
    operator_chunked = linear_operator_gaussian_mean_width(
        matrix, 40, seed=2, chunk_size=chunk_size
    )
    assert operator_chunked.value == pytest.approx(operator_full.value, rel=1e-12)


def test_block_sizes_bound_memory():
    for n_draws, n_points, dim, chunk in [(100, 10**6, 784, 2**21), (10**7, 30, 5, 2**21)]:
        draws, points = widths._block_sizes(n_draws, n_points, dim, chunk)
        assert draws * points <= chunk
        assert draws * dim <= chunk
        assert draws >= 1 and points >= 1


def test_large_draw_count_is_chunked_over_draws():
    points = np.random.default_rng(2).normal(size=(3, 2))
    full = gaussian_mean_width(points, 5000, seed=0)
    chunked = gaussian_mean_width(points, 5000, seed=0, chunk_size=600)
    assert chunked.value == pytest.approx(full.value, rel=1e-12)


def test_stderr_matches_per_draw_spread():
    points = np.random.default_rng(5).normal(size=(12, 3))
    per_draw = widths._closed_form_per_draw(
        points, 50, np.random.default_rng(3), widths.DEFAULT_CHUNK_SIZE, spherical=False
    )
    estimate = gaussian_mean_width(points, 50, seed=3)
    assert estimate.value == pytest.approx(per_draw.mean(), rel=1e-14)
    assert estimate.stderr == pytest.approx(per_draw.std(ddof=1) / math.sqrt(50), rel=1e-12)


def test_single_draw_has_nan_stderr():
    points = np.random.default_rng(5).normal(size=(12, 3))
    estimate = gaussian_mean_width(points, 1, seed=3)
    assert estimate.n_draws == 1
    assert estimate.value > 0
    assert math.isnan(estimate.stderr)


def test_width_estimate_is_frozen():
    estimate = WidthEstimate(value=1.0, stderr=0.1, n_draws=3)
    with pytest.raises(AttributeError):
        estimate.value = 2.0  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------

_GOOD_POINTS = np.zeros((3, 2))

_POINT_FUNCTIONS = [gaussian_mean_width, spherical_mean_width, gaussian_mean_width_lp]


@pytest.mark.parametrize("function", _POINT_FUNCTIONS)
@pytest.mark.parametrize(
    ("points", "message"),
    [
        (np.zeros(3), r"points must be a 2-d array"),
        (np.zeros((2, 2, 2)), r"points must be a 2-d array"),
        (5.0, r"points must be a 2-d array"),
        (np.zeros((0, 3)), r"points must not be empty"),
        (np.zeros((3, 0)), r"points must not be empty"),
        ([[0.0, np.nan]], r"points contains 1 NaN or inf"),
        ([[np.inf, 0.0], [1.0, -np.inf]], r"points contains 2 NaN or inf"),
        ([["a", "b"]], r"points must be an array of real numbers"),
        ([[1.0, 2.0], [3.0]], r"points must be an array of real numbers"),
    ],
)
def test_bad_points(function, points, message):
    with pytest.raises(ValueError, match=message):
        function(points, 3, seed=0)


@pytest.mark.parametrize("function", _POINT_FUNCTIONS)
@pytest.mark.parametrize("n_draws", [0, -1, 2.5, True, "3", None, np.float64(3.0)])
def test_bad_n_draws(function, n_draws):
    with pytest.raises(ValueError, match=r"n_draws must be a positive integer"):
        function(_GOOD_POINTS, n_draws, seed=0)


@pytest.mark.parametrize("function", _POINT_FUNCTIONS)
@pytest.mark.parametrize("seed", [-1, "seed", 1.5])
def test_bad_seed(function, seed):
    with pytest.raises(ValueError, match=r"seed must be"):
        function(_GOOD_POINTS, 3, seed=seed)


@pytest.mark.parametrize("function", [gaussian_mean_width, spherical_mean_width])
@pytest.mark.parametrize("chunk_size", [0, -5, 1.0, None])
def test_bad_chunk_size(function, chunk_size):
    with pytest.raises(ValueError, match=r"chunk_size must be a positive integer"):
        function(_GOOD_POINTS, 3, seed=0, chunk_size=chunk_size)


def test_numpy_integer_arguments_are_accepted():
    estimate = gaussian_mean_width(_GOOD_POINTS, np.int64(4), seed=np.int64(1))
    assert estimate.n_draws == 4
    assert isinstance(estimate.n_draws, int)


@pytest.mark.parametrize("n", [0, -3, 2.0, True, "4", None])
def test_bad_cn_dimension(n):
    with pytest.raises(ValueError, match=r"n must be a positive integer"):
        gaussian_to_spherical_factor(n)


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        (np.ones(4), r"A must be a 2-d array"),
        (np.ones((2, 2, 1)), r"A must be a 2-d array"),
        (np.ones((0, 2)), r"A must not be empty"),
        (np.ones((2, 0)), r"A must not be empty"),
        ([[1.0, np.nan]], r"A contains 1 NaN or inf"),
    ],
)
def test_bad_matrix(matrix, message):
    with pytest.raises(ValueError, match=message):
        linear_operator_gaussian_mean_width(matrix, 3, seed=0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_draws": 0}, r"n_draws must be a positive integer"),
        ({"seed": -2}, r"seed must be"),
        ({"chunk_size": 0}, r"chunk_size must be a positive integer"),
    ],
)
def test_bad_operator_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        linear_operator_gaussian_mean_width(np.eye(2), **kwargs)


# --------------------------------------------------------------------------------------------
# Per-draw widths and paired differences (claim C5)
# --------------------------------------------------------------------------------------------


def test_per_draw_widths_are_the_draws_the_estimate_averages():
    points = np.random.default_rng(4).normal(size=(50, 6))
    draws = gaussian_mean_width_per_draw(points, 30, seed=8, chunk_size=7)
    assert draws.shape == (30,)
    # bit for bit: the estimate is this summary of these draws
    assert WidthEstimate.from_draws(draws) == gaussian_mean_width(points, 30, seed=8, chunk_size=7)
    np.testing.assert_array_equal(draws, widths._closed_form_per_draw(
        points, 30, np.random.default_rng(8), 7, spherical=False))
    single = WidthEstimate.from_draws(draws[:1])
    assert single.n_draws == 1 and math.isnan(single.stderr) and single.value == draws[0]
    with pytest.raises(ValueError, match="n_draws"):
        gaussian_mean_width_per_draw(points, 0, seed=8)


def test_paired_difference_over_shared_draws_has_the_smaller_stderr():
    # b is a plus a little noise: the two widths move together from draw to draw, so the paired
    # standard error is far below sqrt(se_a^2 + se_b^2) of independent draws
    rng = np.random.default_rng(5)
    a = rng.normal(size=(80, 10))
    b = a * 0.97 + 0.01 * rng.normal(size=a.shape)
    draws_a = gaussian_mean_width_per_draw(a, 200, seed=3)
    draws_b = gaussian_mean_width_per_draw(b, 200, seed=3)
    paired = WidthEstimate.from_draws(draws_a - draws_b)
    ea, eb = gaussian_mean_width(a, 200, seed=3), gaussian_mean_width(b, 200, seed=3)
    assert paired.value == pytest.approx(ea.value - eb.value, rel=1e-12)
    assert paired.stderr < 0.2 * math.hypot(ea.stderr, eb.stderr)
    assert paired.stderr == pytest.approx(np.std(draws_a - draws_b, ddof=1) / math.sqrt(200))
