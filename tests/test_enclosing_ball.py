"""Tests of relusv.enclosing_ball: the smallest enclosing ball and its certificate."""

from __future__ import annotations

import itertools
import logging

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.optimize import minimize

from relusv import enclosing_ball as eb
from relusv.enclosing_ball import EnclosingBall, smallest_enclosing_ball


def _relu(z):
    return np.maximum(z, 0.0)


def _relu_targets(n_points, dim, seed, *, zero_rows=0.0):
    """``relu(W x + b)`` for random unit inputs ``x``: about half the coordinates are 0; a
    fraction ``zero_rows`` of the rows is set to 0 (inputs every unit of the layer ignores)."""
    rng = np.random.default_rng(seed)
    n_in = 5
    W = rng.standard_normal((dim, n_in)) / np.sqrt(n_in)
    b = 0.3 * rng.standard_normal(dim)
    X = rng.standard_normal((n_points, n_in))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    T = _relu(X @ W.T + b)
    T[rng.random(n_points) < zero_rows] = 0.0
    return T


def _max_distance(points, centre):
    return float(np.max(np.linalg.norm(np.asarray(points) - centre, axis=1)))


def _diameter(points):
    P = np.asarray(points, dtype=np.float64)
    return float(np.max(np.linalg.norm(P[:, None, :] - P[None, :, :], axis=2)))


def _slsqp_radius(points):
    """Independent reference: SLSQP on the primal, variables ``(c, t = r^2)``, minimise ``t``
    subject to ``t - ||p_i - c||^2 >= 0``. Returns ``max_i ||p_i - c||`` at its ``c`` (a valid
    upper bound on the optimal radius whatever SLSQP's accuracy)."""
    P = np.asarray(points, dtype=np.float64)
    P = P - P.mean(axis=0)  # translation invariant; centred data suits SLSQP's tolerances
    m = P.shape[1]
    z0 = np.append(np.zeros(m), 1.01 * np.max(np.sum(P**2, axis=1)))

    def constraint(z):
        return z[m] - np.sum((P - z[:m]) ** 2, axis=1)

    def constraint_jac(z):
        return np.hstack([2.0 * (P - z[:m]), np.ones((P.shape[0], 1))])

    result = minimize(lambda z: z[m], z0, jac=lambda z: np.eye(m + 1)[m], method="SLSQP",
                      constraints=[{"type": "ineq", "fun": constraint, "jac": constraint_jac}],
                      options={"ftol": 1e-13, "maxiter": 2000})
    assert result.success, result.message
    return _max_distance(P, result.x[:m])


def _check_certificate(ball, points, requested_gap):
    """Every property the result promises, recomputed here."""
    P = np.asarray(points, dtype=np.float64)
    assert isinstance(ball, EnclosingBall)
    assert ball.centre.shape == (P.shape[1],) and ball.weights.shape == (P.shape[0],)
    assert ball.centre.dtype == np.float64 and ball.weights.dtype == np.float64
    assert np.all(ball.weights >= 0.0)
    assert np.sum(ball.weights) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(ball.centre, ball.weights @ P, rtol=1e-12, atol=1e-14)
    assert ball.radius == pytest.approx(_max_distance(P, ball.centre), rel=1e-12, abs=1e-300)
    assert ball.lower_bound <= ball.radius
    assert ball.relative_gap <= requested_gap
    expected_gap = 0.0 if ball.radius == 0 else (ball.radius - ball.lower_bound) / ball.radius
    assert ball.relative_gap == pytest.approx(expected_gap, abs=1e-15)
    # The lower bound is sqrt of the dual objective: the weighted mean squared distance.
    dual = ball.weights @ np.sum((P - ball.centre) ** 2, axis=1)
    assert ball.lower_bound == pytest.approx(np.sqrt(dual), rel=1e-12, abs=1e-300)
    assert not ball.weights.flags.writeable and not ball.centre.flags.writeable


# --------------------------------------------------------------------------------------------
# Against an independent solver
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "n_points", "dim", "seed"),
    [
        ("gauss", 3, 2, 0),
        ("gauss", 40, 3, 1),
        ("gauss", 200, 10, 2),
        ("gauss", 60, 30, 3),
        ("relu", 150, 20, 4),
        ("relu", 200, 30, 5),
        ("relu_zero_rows", 120, 8, 6),
        ("relu_zero_rows", 200, 25, 7),
        ("shifted", 80, 5, 8),
    ],
)
def test_radius_agrees_with_slsqp_and_the_interval_contains_it(kind, n_points, dim, seed):
    if kind == "gauss":
        P = np.random.default_rng(seed).standard_normal((n_points, dim))
    elif kind == "shifted":  # far from the origin: the translation inside must keep accuracy
        P = 1e4 + np.random.default_rng(seed).standard_normal((n_points, dim))
    else:
        P = _relu_targets(n_points, dim, seed, zero_rows=0.4 if kind == "relu_zero_rows" else 0)
    if kind.startswith("relu"):
        assert np.mean(P == 0) > 0.3
        if kind == "relu_zero_rows":
            assert np.sum(np.all(P == 0, axis=1)) > 0.2 * n_points
    ball = smallest_enclosing_ball(P)
    _check_certificate(ball, P, 1e-9)
    reference = _slsqp_radius(P)
    assert ball.radius == pytest.approx(reference, rel=1e-6)
    # Rigorous whatever SLSQP's accuracy: reference >= r* >= lower_bound and
    # radius <= r* / (1 - gap) <= reference / (1 - gap).
    assert ball.lower_bound <= reference * (1 + 1e-13)
    assert ball.radius <= reference / (1 - ball.relative_gap) * (1 + 1e-13)
    # The certified interval is short.
    assert ball.radius - ball.lower_bound <= 1e-9 * ball.radius


# --------------------------------------------------------------------------------------------
# Known answers
# --------------------------------------------------------------------------------------------


def test_two_points_give_half_their_distance_and_the_midpoint():
    p, q = np.array([1.0, -2.0, 0.5]), np.array([4.0, 2.0, 0.5])
    ball = smallest_enclosing_ball([p, q])
    assert ball.radius == pytest.approx(2.5, rel=1e-15)
    np.testing.assert_allclose(ball.centre, (p + q) / 2, rtol=1e-15)
    np.testing.assert_allclose(ball.weights, [0.5, 0.5])
    _check_certificate(ball, [p, q], 1e-9)


def test_equilateral_triangle_is_solved_by_one_exact_frank_wolfe_step():
    # From the midpoint of two vertices the exact line search toward the third gives a = 1/3,
    # i.e. the circumcentre: any other step length leaves a gap after one iteration.
    side = 2.0
    T = np.array([[0.0, 0.0], [side, 0.0], [side / 2, side * np.sqrt(3) / 2]]) + [3.0, -1.0]
    ball = smallest_enclosing_ball(T, max_iterations=1)
    assert ball.iterations == 1
    assert ball.relative_gap <= 1e-14
    assert ball.radius == pytest.approx(side / np.sqrt(3), rel=1e-14)
    np.testing.assert_allclose(ball.centre, T.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(ball.weights, [1 / 3] * 3, rtol=1e-14)


def test_obtuse_triangle_ball_is_set_by_its_longest_side_not_the_circumcircle():
    T = np.array([[0.0, 0.0], [4.0, 0.0], [2.0, 0.5]])
    ball = smallest_enclosing_ball(T)
    assert ball.radius == pytest.approx(2.0, rel=1e-9)
    np.testing.assert_allclose(ball.centre, [2.0, 0.0], atol=1e-4)
    assert ball.weights[2] < 1e-6


@pytest.mark.parametrize("dim", [2, 3, 6])
def test_cube_vertices(dim):
    V = np.array(list(itertools.product((0.0, 1.0), repeat=dim)))
    ball = smallest_enclosing_ball(V)
    assert ball.radius == pytest.approx(np.sqrt(dim) / 2, rel=1e-12)
    np.testing.assert_allclose(ball.centre, 0.5, rtol=1e-12)
    _check_certificate(ball, V, 1e-9)


def test_ball_set_by_two_of_many_points_after_dropping_the_start():
    # The initialisation picks (0.1, 0.99) and (-1, 0) (the farthest point from the first and
    # the farthest from that); the answer is the unit disc set by (-1, 0) and (1, 0), so the
    # iteration must move weight to (1, 0) and drop (0.1, 0.99) with away steps.
    rng = np.random.default_rng(3)
    angle, rad = rng.uniform(0, 2 * np.pi, 200), 0.9 * np.sqrt(rng.uniform(0, 1, 200))
    inner = np.column_stack([rad * np.cos(angle), rad * np.sin(angle)])
    P = np.vstack([[[0.0, -0.5]], inner, [[0.1, 0.99], [-1.0, 0.0], [1.0, 0.0]]])
    ball = smallest_enclosing_ball(P, relative_gap=1e-13)
    assert ball.iterations >= 2
    assert ball.radius == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(ball.centre, [0.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(ball.weights[-2:], [0.5, 0.5], atol=1e-6)
    assert np.sum(ball.weights[:-2]) < 1e-6
    _check_certificate(ball, P, 1e-13)


def test_translation_and_scale_equivariance():
    P = np.random.default_rng(5).standard_normal((50, 4))
    ball = smallest_enclosing_ball(P)
    moved = smallest_enclosing_ball(3.0 * P + [1e3, -7.0, 0.0, 2.0])
    assert moved.radius == pytest.approx(3.0 * ball.radius, rel=1e-8)
    tiny = smallest_enclosing_ball(1e-200 * P)  # squared distances would underflow
    huge = smallest_enclosing_ball(1e200 * P)  # and overflow without the internal scaling
    assert tiny.radius == pytest.approx(1e-200 * ball.radius, rel=1e-8)
    assert huge.radius == pytest.approx(1e200 * ball.radius, rel=1e-8)


# --------------------------------------------------------------------------------------------
# The line searches and the iteration
# --------------------------------------------------------------------------------------------


def _dual(weights, points):
    c = weights @ points
    return weights @ np.sum((points - c) ** 2, axis=1)


def test_line_searches_maximise_the_dual_along_their_directions():
    P = np.random.default_rng(7).standard_normal((6, 3))
    lam = np.array([0.3, 0.0, 0.25, 0.05, 0.4, 0.0])
    c = lam @ P
    d = np.sum((P - c) ** 2, axis=1)
    f0 = _dual(lam, P)
    assert f0 == pytest.approx(lam @ d)
    grid = np.linspace(0.0, 1.0, 20001)
    for j in range(6):  # toward e_j over [0, 1]
        a = eb._toward_step(d[j], f0)
        assert 0.0 <= a <= 1.0
        values = [_dual(lam + s * (np.eye(6)[j] - lam), P) for s in grid]
        assert _dual(lam + a * (np.eye(6)[j] - lam), P) >= max(values) - 1e-12
    for k in np.flatnonzero(lam):  # away from e_k over [0, lam_k / (1 - lam_k)]
        cap = lam[k] / (1 - lam[k])
        a = eb._away_step(d[k], f0, lam[k])
        assert 0.0 <= a <= cap
        values = [_dual(lam + s * (lam - np.eye(6)[k]), P) for s in cap * grid]
        assert _dual(lam + a * (lam - np.eye(6)[k]), P) >= max(values) - 1e-12
    # The farthest point's step is positive unless optimal; d_k = 0 gives the drop step.
    assert eb._toward_step(d.max(), f0) > 0
    assert eb._away_step(0.0, f0, 0.25) == pytest.approx(0.25 / 0.75)
    assert eb._away_step(1.0, 0.5, 1.0) == 0.0


def test_dual_never_decreases_and_the_cap_only_costs_accuracy(caplog):
    P = _relu_targets(300, 40, 9, zero_rows=0.3)
    lower = [smallest_enclosing_ball(P, max_iterations=k).lower_bound for k in range(1, 41)]
    assert np.all(np.diff(lower) >= -1e-13 * lower[-1])
    assert lower[-1] > lower[0]
    with caplog.at_level(logging.WARNING, logger="relusv.enclosing_ball"):
        capped = smallest_enclosing_ball(P, max_iterations=3)
    assert capped.iterations == 3 and capped.relative_gap > 1e-9
    assert "max_iterations=3" in caplog.text
    _check_certificate(capped, P, 1.0)
    full = smallest_enclosing_ball(P)
    assert capped.lower_bound <= full.radius and full.lower_bound <= capped.radius


def test_converges_in_few_iterations_on_random_relu_targets(caplog):
    # Linear convergence with exact line searches: a few hundred steps, not tens of thousands.
    P = _relu_targets(1000, 100, 11, zero_rows=0.2)
    with caplog.at_level(logging.WARNING, logger="relusv.enclosing_ball"):
        ball = smallest_enclosing_ball(P)
    assert caplog.text == ""
    assert ball.iterations < 3000
    _check_certificate(ball, P, 1e-9)


# --------------------------------------------------------------------------------------------
# Nonnegative points, degenerate inputs
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_nonnegative_points_give_a_nonnegative_centre(seed):
    P = _relu_targets(150, 30, 20 + seed, zero_rows=0.3)
    P[:, :5] = 0.0  # coordinates no point uses must stay exactly 0
    ball = smallest_enclosing_ball(P)
    assert np.all(ball.centre >= 0.0)
    assert np.all(ball.centre[:5] == 0.0)
    # So relu(centre) = centre: the radius is the rank-0 free-bias error max ||t_i - relu(c)||.
    assert _max_distance(P, _relu(ball.centre)) == pytest.approx(ball.radius, rel=1e-15)


@pytest.mark.parametrize(
    "points",
    [
        [[2.0, -3.0, 0.5]],
        [[0.1, 0.2]] * 7,
        np.zeros((50, 4)),
        [[0.0]],
    ],
    ids=["one point", "identical points", "all zeros", "one zero in 1-d"],
)
def test_degenerate_inputs_give_radius_zero(points):
    ball = smallest_enclosing_ball(points)
    assert ball.radius == 0.0 and ball.lower_bound == 0.0 and ball.relative_gap == 0.0
    np.testing.assert_array_equal(ball.centre, np.asarray(points)[0])
    assert ball.iterations == 0
    _check_certificate(ball, points, 1e-9)


def test_duplicated_points_and_zero_rows():
    base = np.random.default_rng(13).random((10, 3))
    P = np.vstack([base, base, base[:4], np.zeros((30, 3))])
    ball = smallest_enclosing_ball(P)
    _check_certificate(ball, P, 1e-9)
    assert ball.radius == pytest.approx(
        smallest_enclosing_ball(np.vstack([base, np.zeros((1, 3))])).radius, rel=1e-8)


def test_one_dimensional_points():
    ball = smallest_enclosing_ball([[3.0], [-1.0], [0.0], [2.5]])
    assert ball.radius == pytest.approx(2.0, rel=1e-12)
    np.testing.assert_allclose(ball.centre, [1.0], rtol=1e-12)


# --------------------------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(points=[1.0, 2.0]), "points must be a 2-d array"),
        (dict(points=[[[1.0]]]), "points must be a 2-d array"),
        (dict(points=np.zeros((0, 3))), "points must not be empty"),
        (dict(points=np.zeros((3, 0))), "points must"),
        (dict(points=[[1.0, np.nan]]), "points contains 1 NaN or inf"),
        (dict(points=[[1.0, np.inf], [0.0, 0.0]]), "points contains 1 NaN or inf"),
        (dict(points=[["a", "b"]]), "points must be a 2-d array of finite numbers"),
        (dict(points=[[1.0, 2.0], [3.0]]), "points must be a 2-d array"),
        (dict(points=None), "points must be a 2-d array"),
        (dict(relative_gap=0.0), "relative_gap must be"),
        (dict(relative_gap=1.0), "relative_gap must be"),
        (dict(relative_gap=-1e-3), "relative_gap must be"),
        (dict(relative_gap=np.nan), "relative_gap must be"),
        (dict(relative_gap="1e-9"), "relative_gap must be"),
        (dict(max_iterations=0), "max_iterations must be a positive integer"),
        (dict(max_iterations=2.0), "max_iterations must be a positive integer"),
        (dict(max_iterations=True), "max_iterations must be a positive integer"),
    ],
)
def test_bad_arguments_raise_value_errors_naming_them(kwargs, match):
    arguments = {"points": [[0.0, 1.0], [1.0, 0.0]], **kwargs}
    with pytest.raises(ValueError, match=match):
        smallest_enclosing_ball(arguments.pop("points"), **arguments)


# --------------------------------------------------------------------------------------------
# Property test
# --------------------------------------------------------------------------------------------


_coordinates = st.one_of(
    st.integers(-3, 3).map(float),  # grid points: duplicates, collinear and cocircular sets
    st.floats(-10.0, 10.0, allow_nan=False, allow_infinity=False, allow_subnormal=False),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    points=hnp.arrays(np.float64, st.tuples(st.integers(1, 12), st.integers(1, 4)),
                      elements=_coordinates),
    relative_gap=st.sampled_from([1e-3, 1e-6, 1e-9, 1e-12]),
)
def test_property_radius_is_certified_and_between_half_the_diameter_and_jung(points,
                                                                             relative_gap):
    ball = smallest_enclosing_ball(points, relative_gap=relative_gap)
    _check_certificate(ball, points, relative_gap)
    slack = 1e-12 * max(1.0, float(np.max(np.abs(points))))
    diameter = _diameter(points)
    dim = points.shape[1]
    assert diameter / 2 <= ball.radius * (1 + 1e-12) + slack
    # Jung's theorem: r* <= diameter sqrt(m / (2 (m + 1))), and radius <= r* / (1 - gap).
    jung = diameter * np.sqrt(dim / (2 * (dim + 1)))
    assert ball.radius * (1 - ball.relative_gap) <= jung * (1 + 1e-12) + slack
    # The lower bound is below the max distance from any candidate centre.
    for candidate in (points.mean(axis=0), points[0], np.median(points, axis=0)):
        assert ball.lower_bound <= _max_distance(points, candidate) * (1 + 1e-12) + slack
