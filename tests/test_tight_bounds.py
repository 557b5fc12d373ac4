"""Tests of method="tight" of relusv.singular_values.relu_singular_value_bounds: exact rank 0,
exact zeros past the rank of the pre-activations, the best of the SVD and the PCA start on the
objective aimed at the max-error, the paper's procedure as a reference, and the columns the
workflow's tables carry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from relusv import _bounds_adam
from relusv.analyses import gather_network_bounds, network_bounds
from relusv.singular_values import relu_singular_value_bounds, running_minimum_source
from relusv.tables import bounds_table
from relusv.tidy import BOUNDS, BOUNDS_PROCEDURES


def _relu(z):
    return np.maximum(z, 0.0)


def _max_error(W, X, b, L, c):
    return np.max(np.linalg.norm(_relu(X @ W.T + b) - _relu(X @ L.T + c), axis=1))


def _layer(m, n, n_points, seed, *, zero_rows=0.0):
    """A layer and points; ``zero_rows``: the fraction of points whose targets are all 0 (a bias
    far below zero for them is impossible, so such points are pushed to a region where every
    pre-activation is negative)."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((m, n)) / np.sqrt(n)
    b = 0.3 * rng.standard_normal(m)
    X = rng.standard_normal((n_points, n))
    if zero_rows:
        dead = rng.random(n_points) < zero_rows
        # x = -t W^+ 1 makes W x = -t (m <= n): every pre-activation negative for large t
        X[dead] = -(5.0 + rng.random((dead.sum(), 1))) * (np.linalg.pinv(W) @ np.ones(m))
    return W, b, X


def _rank0_by_slsqp(targets):
    """min over c of max_i ||t_i - relu(c)||, independently: SLSQP on (c, r^2) with c >= 0
    (relu(c) = c for c >= 0, and every relu(c) is such a c)."""
    targets = np.asarray(targets, dtype=np.float64)
    centre0 = targets.mean(axis=0)
    r0 = np.max(np.sum((targets - centre0) ** 2, axis=1))
    m = targets.shape[1]
    result = minimize(
        lambda z: z[-1], np.append(centre0, r0), method="SLSQP",
        constraints=[{"type": "ineq",
                      "fun": lambda z: z[-1] - np.sum((targets - z[:-1]) ** 2, axis=1)}],
        bounds=[(0, None)] * m + [(0, None)], options={"ftol": 1e-13, "maxiter": 2000})
    assert result.success, result.message
    return float(np.sqrt(result.x[-1]))


# --------------------------------------------------------------------------------------------
# k = 0
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("m", "n", "n_points", "seed", "zero_rows"),
                         [(3, 4, 20, 0, 0.0), (8, 10, 60, 1, 0.0), (12, 15, 80, 2, 0.4),
                          (6, 6, 200, 3, 0.7), (20, 25, 40, 4, 0.5)])
def test_rank_zero_is_the_smallest_enclosing_ball(m, n, n_points, seed, zero_rows):
    W, b, X = _layer(m, n, n_points, seed, zero_rows=zero_rows)
    targets = _relu(X @ W.T + b)
    if zero_rows:
        assert np.sum(np.all(targets == 0, axis=1)) >= 3  # the case it is meant to be
    result = relu_singular_value_bounds(W, X, b, ranks=[0], steps=20)
    expected = _rank0_by_slsqp(targets)
    assert result.starts[0] == "enclosing_ball"
    assert result.bounds[0] == pytest.approx(expected, rel=1e-6)
    lower = result.lower_bounds[0]
    assert lower <= result.bounds[0] and (result.bounds[0] - lower) / result.bounds[0] <= 1e-6
    assert lower <= expected * (1 + 1e-7)  # a certified lower bound on the true value
    L, c = result.approximant(0)
    assert np.all(L == 0) and np.all(c >= 0)
    assert _max_error(W, X, b, L, c) == pytest.approx(result.bounds[0], rel=1e-12)
    # the paper's Adam from c = b is above it: the stuck coordinates of relu(c)
    paper = relu_singular_value_bounds(W, X, b, ranks=[0], steps=20, method="paper")
    assert paper.bounds[0] >= result.bounds[0] * (1 - 1e-9)


def test_rank_zero_closed_forms_without_a_free_bias():
    """Without a free bias the only rank-0 maps are L = 0 with c = b (fixed) or c = 0 (no bias):
    their errors are exact values, with either method, and are their own lower bounds."""
    W, b, X = _layer(7, 9, 50, 5)
    for method in ("tight", "paper"):
        fixed = relu_singular_value_bounds(W, X, b, ranks=[0, 1], approximant_bias="fixed",
                                           method=method, steps=10)
        exact = np.max(np.linalg.norm(_relu(X @ W.T + b) - _relu(b), axis=1))
        assert fixed.bounds[0] == pytest.approx(exact, rel=1e-14)
        unbiased = relu_singular_value_bounds(W, X, ranks=[0, 1], method=method, steps=10)
        exact = np.max(np.linalg.norm(_relu(X @ W.T), axis=1))
        assert unbiased.bounds[0] == pytest.approx(exact, rel=1e-14)
        if method == "tight":
            assert fixed.lower_bounds[0] == fixed.bounds[0]
            assert unbiased.lower_bounds[0] == unbiased.bounds[0]


# --------------------------------------------------------------------------------------------
# zeros past the rank of the data
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("affine_rank", "n_points", "m", "n"), [(5, 40, 30, 50), (3, 12, 20, 30)])
def test_zero_from_the_affine_rank_with_a_free_bias(affine_rank, n_points, m, n):
    """Points on an affine subspace of dimension d: with a free bias every bound from k = d on
    is 0 up to rounding, from an approximant that reproduces the layer on the points."""
    rng = np.random.default_rng(affine_rank)
    W = rng.standard_normal((m, n)) / np.sqrt(n)
    b = 0.3 * rng.standard_normal(m)
    X = rng.standard_normal((n_points, affine_rank)) @ rng.standard_normal((affine_rank, n)) \
        + 2.0 * rng.standard_normal(n)  # an offset: the linear rank is d + 1
    tight = relu_singular_value_bounds(W, X, b, steps=30)
    paper = relu_singular_value_bounds(W, X, b, steps=30, method="paper")
    scale = tight.bounds[0]
    assert tight.exact_rank == affine_rank
    assert np.all(tight.bounds[affine_rank:] <= 1e-12 * scale)
    assert np.all(tight.lower_bounds[affine_rank:] == 0.0)
    assert tight.bounds[affine_rank - 1] > 1e-3 * scale  # not zero before
    assert np.all(paper.bounds[affine_rank:min(m, n)] > 1e-3 * scale)  # the paper's are not
    for k in (affine_rank, min(m, n) - 1):
        L, c = tight.approximant(k)
        assert np.linalg.matrix_rank(L) <= affine_rank
        assert _max_error(W, X, b, L, c) <= 1e-12 * scale


def test_zero_from_the_rank_of_the_points_without_a_free_bias():
    """c = b (fixed) or no bias: L must reproduce W x on the points' linear span, so the zeros
    start at the rank of X, one later than the affine rank of points off the origin."""
    rng = np.random.default_rng(9)
    W = rng.standard_normal((20, 30)) / np.sqrt(30)
    b = 0.3 * rng.standard_normal(20)
    X = rng.standard_normal((25, 4)) @ rng.standard_normal((4, 30)) + rng.standard_normal(30)
    free = relu_singular_value_bounds(W, X, b, steps=20)
    fixed = relu_singular_value_bounds(W, X, b, steps=20, approximant_bias="fixed")
    unbiased = relu_singular_value_bounds(W, X, steps=20)
    assert (free.exact_rank, fixed.exact_rank, unbiased.exact_rank) == (4, 5, 5)
    for result in (fixed, unbiased):
        assert np.all(result.bounds[5:] <= 1e-12 * result.bounds[0])
        assert result.bounds[4] > 1e-3 * result.bounds[0]


@pytest.mark.parametrize("approximant_bias", ["free", "fixed", None])
def test_dead_units_need_no_rank(approximant_bias):
    """Units with w_j x + b_j <= 0 at every point output 0: a zero row of L gives 0 as well
    (with c = b only where b_j <= 0), so the bounds are 0 from the rank of the live units'
    pre-activations on, below the rank of all of them."""
    rng = np.random.default_rng(21)
    m, n, n_points, dead = 12, 16, 60, 5
    W = rng.standard_normal((m, n)) / np.sqrt(n)
    X = rng.standard_normal((n_points, n))
    b = 0.2 * rng.standard_normal(m)
    b[:dead] = -10.0  # dead on these points (|w_j x| < 10 here), with b_j <= 0
    assert np.all(X @ W[:dead].T + b[:dead] <= 0)
    if approximant_bias is None:  # no bias: dead through the weights alone
        W[:dead] = -1e-3
        X = np.abs(X)
        b = None
    result = relu_singular_value_bounds(W, X, b, steps=20, tight_steps=20,
                                        approximant_bias=approximant_bias or "free")
    live = int(np.sum(np.any(X @ W.T + (0.0 if b is None else b) > 0, axis=0)))
    assert live <= m - dead
    assert result.exact_rank == live
    assert np.all(result.bounds[live:] <= 1e-12 * result.bounds[0])
    assert result.bounds[live - 1] > 1e-3 * result.bounds[0]
    L, c = result.approximant(live)
    assert np.linalg.matrix_rank(L, tol=1e-10) <= live
    target = np.maximum(X @ W.T + (0.0 if b is None else b), 0.0)
    assert np.max(np.abs(np.maximum(X @ L.T + (0.0 if c is None else c), 0.0) - target)) < 1e-9


def test_a_dead_unit_with_a_positive_fixed_bias_keeps_its_rank():
    """With c = b, a zero row gives relu(b_j) > 0 for a dead unit with b_j > 0: it is not
    dropped, so the zeros start one rank later than with a free bias."""
    rng = np.random.default_rng(22)
    W = rng.standard_normal((8, 10)) / np.sqrt(10)
    X = rng.standard_normal((40, 10))
    W[0] = 0.0
    W[0, 0] = -100.0
    X[:, 0] = np.abs(X[:, 0]) + 0.1  # unit 0: -100 x_0 + 1 < 0 everywhere, though b_0 = 1 > 0
    b = 0.2 * rng.standard_normal(8)
    b[0] = 1.0
    free = relu_singular_value_bounds(W, X, b, steps=5, tight_steps=5)
    fixed = relu_singular_value_bounds(W, X, b, steps=5, tight_steps=5, approximant_bias="fixed")
    assert free.exact_rank == 7 and fixed.exact_rank == 8


# --------------------------------------------------------------------------------------------
# the best of two starts, never worse than the paper's procedure
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("approximant_bias", ["free", "fixed"])
def test_the_paper_reference_is_the_paper_bit_for_bit_and_never_beaten(approximant_bias):
    W, b, X = _layer(16, 24, 120, 11, zero_rows=0.2)
    options = dict(steps=60, tolerance=1e-3, patience=15, approximant_bias=approximant_bias)
    tight = relu_singular_value_bounds(W, X, b, tight_steps=40, paper_reference=True, **options)
    paper = relu_singular_value_bounds(W, X, b, method="paper", **options)
    assert np.all(tight.bounds <= paper.bounds)
    np.testing.assert_array_equal(tight.paper_bounds, paper.bounds)  # the same computation
    np.testing.assert_array_equal(paper.paper_bounds, paper.bounds)
    assert np.all(tight.bounds <= tight.svd_bounds)
    assert np.mean(tight.bounds[1:] / paper.bounds[1:]) < 0.97  # and it pays somewhere
    assert {"svd", "pca"} <= set(tight.starts.tolist())


def test_without_the_reference_the_paper_bounds_are_unknown_and_the_work_is_smaller():
    W, b, X = _layer(16, 24, 120, 11, zero_rows=0.2)
    options = dict(steps=60, tight_steps=30)
    alone = relu_singular_value_bounds(W, X, b, **options)
    both = relu_singular_value_bounds(W, X, b, paper_reference=True, **options)
    assert np.all(np.isnan(alone.paper_bounds)) and not np.any(np.isnan(both.paper_bounds))
    # the reference adds its run and nothing else: where it does not win, the bounds agree
    assert alone.steps_taken.sum() < both.steps_taken.sum()
    assert np.all(both.raw_bounds <= alone.raw_bounds)
    same = both.starts != "svd"
    np.testing.assert_array_equal(both.raw_bounds[same], alone.raw_bounds[same])
    assert alone.tight_steps == 30 and alone.error_power == 3.0


def test_the_error_power_aims_at_the_max_error():
    """One rank, the same starts and steps: the objective sum e^p with p = 3 ends at a lower
    max-error than the paper's sum of squares (p = 1)."""
    W, b, X = _layer(20, 30, 200, 5)
    options = dict(steps=150, tight_steps=150, ranks=[6])
    squares = relu_singular_value_bounds(W, X, b, error_power=1.0, **options)
    aimed = relu_singular_value_bounds(W, X, b, error_power=3.0, **options)
    assert aimed.raw_bounds[0] < 0.95 * squares.raw_bounds[0]
    with pytest.raises(ValueError, match="error_power"):
        relu_singular_value_bounds(W, X, b, error_power=0.5, **options)


def test_only_the_better_start_goes_on_after_choose_at():
    """Two starts of one rank: once iterate choose_at is evaluated, the one whose best error is
    larger stops there, with the result of a fixed-step run of choose_at steps; its partner runs
    on unchanged. A slice that is its own partner (one start) never stops."""
    rng = np.random.default_rng(3)
    f32 = np.float32
    K, m, R, d, n_points = 2, 6, 3, 5, 40
    A = rng.standard_normal((n_points, d)).astype(f32)
    T_t = np.maximum(rng.standard_normal((m, n_points)), 0.0).astype(f32)
    U = (0.5 * rng.standard_normal((K, m, R))).astype(f32)
    V = (0.5 * rng.standard_normal((K, R, d))).astype(f32)
    V[1] *= 4  # the second start is far off
    bucket = (A, T_t, -T_t, U, V, np.ones_like(U), np.ones_like(V),
              np.full((K, 1, R), 0.02, dtype=f32), np.full((K, 1, 1), 0.02, dtype=f32))

    def run(partner=None, **options):
        return _bounds_adam._optimise_bucket(*bucket, partner, method="factored",
                                                  norm=1 / n_points, power=3.0, **options)

    chosen = run(np.array([1, 0]), steps=60, choose_at=20)
    fixed_60, fixed_20 = run(steps=60), run(steps=20)
    assert fixed_20[4][1] > fixed_20[4][0]  # behind at step 20
    assert chosen[3].tolist() == [60, 20]
    np.testing.assert_array_equal(chosen[0][1], fixed_20[0][1])
    np.testing.assert_array_equal(chosen[0][0], fixed_60[0][0])
    assert chosen[4][0] == fixed_60[4][0] and chosen[4][1] == fixed_20[4][1]
    alone = run(np.array([0, 1]), steps=60, choose_at=20)  # each its own partner
    assert alone[3].tolist() == [60, 60]


def test_the_tight_run_searches_the_row_space_of_W():
    """The approximants of the tight run have their rows in the row space of W (where both
    starts are): an input layer with n >> m is optimised in min(N, rank W) coordinates."""
    W, b, X = _layer(6, 40, 60, 8)
    result = relu_singular_value_bounds(W, X, b, tight_steps=30)
    off_row_space = np.eye(40) - np.linalg.pinv(W) @ W
    for k in range(1, 6):
        L, _ = result.approximant(k)
        assert np.linalg.norm(L @ off_row_space) <= 1e-10 * np.linalg.norm(L)
    # row_space=False searches all of span X: some approximant leaves the row space
    anywhere = relu_singular_value_bounds(W, X, b, tight_steps=30, row_space=False)
    assert max(np.linalg.norm(anywhere.approximant(k)[0] @ off_row_space)
               / np.linalg.norm(anywhere.approximant(k)[0]) for k in range(1, 6)) > 1e-3


def test_choosing_the_start_saves_steps():
    W, b, X = _layer(16, 20, 100, 13)
    both = relu_singular_value_bounds(W, X, b, tight_steps=60, choose_start_at=60)
    chosen = relu_singular_value_bounds(W, X, b, tight_steps=60, choose_start_at=10)
    assert chosen.steps_taken.sum() < 0.75 * both.steps_taken.sum()
    assert chosen.choose_start_at == 10
    for k in (3, 9):
        L, c = chosen.approximant(k)
        assert _max_error(W, X, b, L, c) == pytest.approx(chosen.bounds[k], rel=1e-10)


def test_every_approximant_recomputes_its_bound():
    W, b, X = _layer(12, 10, 90, 12)
    result = relu_singular_value_bounds(W, X, b, steps=40)
    for k in result.ranks.tolist():
        L, c = result.approximant(k)
        assert np.linalg.matrix_rank(L, tol=1e-10) <= k
        assert _max_error(W, X, b, L, c) == pytest.approx(result.bounds[k], rel=1e-10,
                                                         abs=1e-13)
    # bound_starts follow the running minimum, starts are per rank
    source = running_minimum_source(result.raw_bounds)
    np.testing.assert_array_equal(result.bound_starts, result.starts[source])


def test_running_minimum_source():
    assert running_minimum_source([3.0, 4.0, 2.0, 2.0, 5.0, 1.0]).tolist() == [0, 0, 2, 2, 2, 5]


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"method": "exact"}, "method"),
    ({"tight_steps": 0}, "tight_steps"),
    ({"choose_start_at": 0}, "choose_start_at"),
    ({"row_space": 1}, "row_space"),
    ({"error_power": 0.9}, "error_power"),
    ({"paper_reference": "yes"}, "paper_reference"),
])
def test_bad_arguments_are_refused(kwargs, match):
    W, b, X = _layer(4, 4, 10, 0)
    with pytest.raises(ValueError, match=match):
        relu_singular_value_bounds(W, X, b, steps=5, **kwargs)


# --------------------------------------------------------------------------------------------
# the tidy columns: network_bounds, gather_network_bounds, bounds_table
# --------------------------------------------------------------------------------------------


def _network(seed=0):
    rng = np.random.default_rng(seed)
    sizes = [6, 10, 10]
    weights = [(rng.standard_normal((sizes[i + 1], sizes[i])) / np.sqrt(sizes[i]),
                0.1 * rng.standard_normal(sizes[i + 1])) for i in range(2)]
    return weights, rng.standard_normal((40, 6))


def test_network_bounds_columns_and_split_parts_gather_exactly():
    weights, x = _network()
    options = dict(steps=30, learning_rate=0.1, approximant_bias="free", paper_reference=True)
    whole = network_bounds("net", weights, {"correct": x}, **options)
    assert list(whole.columns) == list(BOUNDS.columns)
    assert set(whole["method"]) == {"tight"} and set(whole["start"]) <= {"svd", "pca",
                                                                        "enclosing_ball"}
    assert np.all(whole["bound"] <= whole["paper_bound"])
    first = whole[whole["k"] == 0]
    assert np.all(first["start"] == "enclosing_ball") and first["lower_bound"].notna().all()
    parts = [network_bounds("net", weights, {"correct": x}, rank_part=(i, 3), **options)
             for i in range(3)]
    gathered = gather_network_bounds(parts)
    pd.testing.assert_frame_equal(gathered, whole)
    paper = network_bounds("net", weights, {"correct": x}, method="paper", **options)
    np.testing.assert_array_equal(paper["bound"], whole["paper_bound"])
    assert set(paper["start"]) == {"svd"}


def test_gather_takes_the_start_of_the_rank_that_attains_the_minimum():
    rows = dict(network="n", layer=1, subset="correct", singular_value=1.0, n_points=5,
                lower_bound=np.nan, method="tight")
    part_a = pd.DataFrame([dict(rows, k=0, bound=5.0, start="enclosing_ball", paper_bound=6.0),
                           dict(rows, k=2, bound=4.0, start="svd", paper_bound=4.0)])
    part_b = pd.DataFrame([dict(rows, k=1, bound=3.0, start="pca", paper_bound=5.0),
                           dict(rows, k=3, bound=3.5, start="svd", paper_bound=3.0)])
    gathered = gather_network_bounds([part_b, part_a])
    assert gathered["bound"].tolist() == [5.0, 3.0, 3.0, 3.0]
    assert gathered["start"].tolist() == ["enclosing_ball", "pca", "pca", "pca"]
    assert gathered["paper_bound"].tolist() == [6.0, 5.0, 4.0, 3.0]


def test_bounds_table_compares_both_procedures_over_replicates():
    def rows(seed, bounds, paper):
        return pd.DataFrame(dict(network="net", layer=1, subset="correct", k=range(len(bounds)),
                                 bound=bounds, singular_value=1.0, n_points=10,
                                 lower_bound=np.nan, start="svd", method="tight",
                                 paper_bound=paper, seed=seed))
    frame = pd.concat([rows(1, [4.0, 2.0, 0.0], [5.0, 3.0, 1.0]),
                       rows(2, [2.0, 1.0, 1.0], [3.0, 2.0, 1.0])], ignore_index=True)
    table = bounds_table(frame)
    assert list(table.columns) == list(BOUNDS_PROCEDURES.columns)
    row = table.iloc[0]
    assert row["replicates"] == 2
    assert row["largest_bound"] == 3.0 and row["largest_paper_bound"] == 4.0
    assert row["largest_ratio"] == pytest.approx(0.75)
    assert row["mean_bound"] == pytest.approx((2.0 + 4 / 3) / 2)
    assert row["mean_paper_bound"] == pytest.approx((3.0 + 2.0) / 2)
    assert row["exact_zeros"] == 0.5
    with pytest.raises(ValueError, match="paper_bound"):
        bounds_table(frame.drop(columns="paper_bound"))
    with pytest.raises(ValueError, match="no rows"):
        bounds_table(frame.iloc[:0])


def test_the_claims_say_which_bounds_they_are_judged_on():
    from relusv.claims.spectral import bounds_procedure

    weights, x = _network()
    options = dict(steps=5, learning_rate=0.1, approximant_bias="free", layers=[1])
    tight = network_bounds("a", weights, {"correct": x}, **options)
    paper = network_bounds("b", weights, {"correct": x}, method="paper", **options)
    assert bounds_procedure({"a": tight}).startswith("Judged on the tight bounds")
    assert "was not run" in bounds_procedure({"a": tight})
    referenced = network_bounds("a", weights, {"correct": x}, paper_reference=True, **options)
    assert "are in figures/tables/bounds" in bounds_procedure({"a": referenced})
    assert bounds_procedure({"b": paper}).startswith("Judged on the paper's procedure")
    assert bounds_procedure({"b": paper.drop(columns="method")}).startswith(
        "Judged on the paper's procedure")  # tables from before the tight bounds
    assert "mixed" in bounds_procedure({"a": tight, "b": paper})
