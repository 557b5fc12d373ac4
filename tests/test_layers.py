"""DoubleDense, double-p-product initialisation and parameter counts (docs/method.md section 5,
claim C7)."""

import keras
import numpy as np
import pytest

from relusv.layers import (
    DoubleDense,
    DoublePProduct,
    double_dense_factors,
    double_p_product_factors,
    target_variance,
)
from relusv.parameter_counts import dense_mlp_parameter_count, double_mlp_parameter_count


def _model(n, layer):
    inputs = keras.Input((n,))
    return keras.Model(inputs, layer(inputs))


def _randomise(layer, seed):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(size=w.shape) for w in layer.get_weights()])


@pytest.mark.parametrize("rank", [1, 3])
def test_kernel_is_v_times_u_with_rank_at_most_r(rank):
    layer = DoubleDense(7, rank, kernel_initializer=DoublePProduct(seed=1))
    _model(9, layer)
    v, u = (keras.ops.convert_to_numpy(w) for w in (layer.v, layer.u))
    kernel = keras.ops.convert_to_numpy(layer.kernel)
    assert v.shape == (9, rank) and u.shape == (rank, 7) and kernel.shape == (9, 7)
    np.testing.assert_allclose(kernel, v @ u, rtol=1e-6)
    assert np.linalg.matrix_rank(kernel) == rank  # at most r, and generically exactly r
    assert layer.rank == rank


def test_output_is_relu_of_x_v_u_plus_b():
    layer = DoubleDense(5, 2)
    model = _model(4, layer)
    _randomise(layer, 0)
    v, u, b = layer.get_weights()
    x = np.random.default_rng(1).normal(size=(6, 4)).astype("float32")
    np.testing.assert_allclose(
        model.predict(x, verbose=0), np.maximum(x @ v @ u + b, 0), rtol=1e-5, atol=1e-6
    )


def test_save_load_round_trip_gives_identical_outputs(tmp_path):
    layer = DoubleDense(6, 3, name="double", kernel_initializer=DoublePProduct(2, "he", seed=4))
    model = _model(5, layer)
    _randomise(layer, 2)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    x = np.random.default_rng(3).normal(size=(10, 5)).astype("float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    restored = loaded.get_layer("double")
    assert isinstance(restored, DoubleDense) and restored.rank == 3 and restored.units == 6
    assert isinstance(restored.kernel_initializer, DoublePProduct)
    assert restored.kernel_initializer.get_config() == {"p": 2, "target": "he", "seed": 4}


def test_rank_zero_outputs_relu_of_bias_and_round_trips(tmp_path):
    layer = DoubleDense(3, 0, name="empty")
    model = _model(4, layer)
    layer.bias.assign(np.array([-1.0, 0.5, 2.0], dtype="float32"))
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    expected = np.tile([0.0, 0.5, 2.0], (5, 1))
    np.testing.assert_array_equal(model.predict(x, verbose=0), expected)
    assert model.count_params() == 3
    assert keras.ops.convert_to_numpy(layer.kernel).shape == (4, 3)
    assert not np.any(keras.ops.convert_to_numpy(layer.kernel))
    model.save(tmp_path / "rank0.keras")
    loaded = keras.models.load_model(tmp_path / "rank0.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)
    assert loaded.get_layer("empty").rank == 0


@pytest.mark.parametrize(("inputs_dim", "units", "batch"), [(4, 3, 8), (64, 12, 128)])
def test_rank_zero_model_predicts_and_trains(inputs_dim, units, batch):
    """Also at the sizes where a matmul with an inner dimension of 0 made TensorFlow's oneDNN
    abort the process (the demo's harmonic pruning retraining a layer pruned to rank 0)."""
    inputs = keras.Input((inputs_dim,))
    hidden = DoubleDense(units, 0, bias_initializer="ones")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2)(DoubleDense(units, 1)(hidden)))
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(2 * batch, inputs_dim)).astype("float32")
    before = model.predict(x, verbose=0)
    # constant in x, up to float32 rounding (oneDNN may block the batch's rows differently)
    np.testing.assert_allclose(before, np.tile(before[0], (len(x), 1)), rtol=1e-6, atol=1e-7)
    history = model.fit(x, np.ones((2 * batch, 2)), batch_size=batch, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert not np.array_equal(model.predict(x, verbose=0), before)  # the later layers learn


def test_rank_above_min_dimension_is_rejected():
    with pytest.raises(ValueError, match="rank must be at most"):
        _model(3, DoubleDense(5, 4))
    with pytest.raises(ValueError, match="rank"):
        DoubleDense(5, -1)
    with pytest.raises(ValueError, match="units"):
        DoubleDense(0, 1)


def test_from_kernel_is_the_truncated_svd():
    rng = np.random.default_rng(5)
    kernel, bias = rng.normal(size=(8, 6)), rng.normal(size=6)
    layer = DoubleDense.from_kernel(kernel, bias, 2, name="pruned")
    a, s, bt = np.linalg.svd(kernel)
    truncated = (a[:, :2] * s[:2]) @ bt[:2]
    got = keras.ops.convert_to_numpy(layer.kernel)
    np.testing.assert_allclose(got, truncated, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.linalg.svd(got, compute_uv=False)[:2], s[:2], rtol=1e-5)
    v = keras.ops.convert_to_numpy(layer.v)
    np.testing.assert_allclose(v.T @ v, np.eye(2), atol=1e-5)  # V has orthonormal rows
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer.bias), bias, rtol=1e-6)
    x = rng.normal(size=(4, 8)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer(x)),
        np.maximum(x @ truncated + bias, 0),
        rtol=1e-4,
        atol=1e-5,
    )


def test_double_dense_factors_full_rank_and_zero_rank():
    kernel = np.random.default_rng(6).normal(size=(5, 4))
    v, u = double_dense_factors(kernel, 4)
    np.testing.assert_allclose(v @ u, kernel, atol=1e-12)
    v0, u0 = double_dense_factors(kernel, 0)
    assert v0.shape == (5, 0) and u0.shape == (0, 4)
    with pytest.raises(ValueError, match="rank"):
        double_dense_factors(kernel, 5)


@pytest.mark.parametrize("target", ["glorot", "he"])
@pytest.mark.parametrize("p", [1, 2, 3])
def test_double_p_product_variance_of_uv_matches_target(p, target):
    n = m = 400
    rank, seeds = 100, 16
    second_moments = []
    for seed in range(seeds):
        v, u = double_p_product_factors(n, m, rank, p, target, seed=seed)
        assert v.shape == (n, rank) and u.shape == (rank, m)
        second_moments.append(np.mean((v @ u) ** 2))  # entries have mean 0
    expected = 2 / (n + m) if target == "glorot" else 2 / n
    assert np.mean(second_moments) == pytest.approx(expected, rel=0.05)


@pytest.mark.parametrize(("p", "tolerance"), [(1, 0.1), (2, 0.15), (3, 0.3)])
def test_dense_p_product_has_target_variance_and_product_tails(p, tolerance):
    init = DoublePProduct(p=p, target="glorot", seed=11)
    w = keras.ops.convert_to_numpy(init((400, 600)))
    variance = 2 / 1000
    assert np.mean(w**2) == pytest.approx(variance, rel=0.03 * p)
    # A product of p standard normals has E[x^4] = 3^p: the entries really are p-products.
    kurtosis = np.mean(w**4) / variance**2
    assert kurtosis == pytest.approx(3.0**p, rel=tolerance)


def test_p_product_initializer_is_seeded_and_serializable():
    init = DoublePProduct(p=2, target="he", seed=3)
    a = keras.ops.convert_to_numpy(init((20, 10)))
    np.testing.assert_array_equal(a, keras.ops.convert_to_numpy(init((20, 10))))
    other = keras.ops.convert_to_numpy(DoublePProduct(p=2, target="he", seed=4)((20, 10)))
    assert not np.array_equal(a, other)
    clone = keras.initializers.deserialize(keras.initializers.serialize(init))
    assert isinstance(clone, DoublePProduct)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(clone((20, 10))), a)
    v1, u1 = init.factors(20, 10, 4)
    v2, u2 = double_p_product_factors(20, 10, 4, 2, "he", 3)
    np.testing.assert_array_equal(v1, v2)
    np.testing.assert_array_equal(u1, u2)
    with pytest.raises(ValueError, match="target"):
        DoublePProduct(target="lecun")
    with pytest.raises(ValueError, match="p must"):
        DoublePProduct(p=0)


def test_target_variance():
    assert target_variance(300, 100, "glorot") == pytest.approx(2 / 400)
    assert target_variance(300, 100, "he") == pytest.approx(2 / 300)


def test_parameter_counts_of_claim_c7():
    assert dense_mlp_parameter_count(3072, (100, 100, 100), 10) == 328_510
    assert double_mlp_parameter_count(3072, (100, 100, 100), (18, 8, 6), 10) == 61_206


def test_parameter_count_formulas_on_small_cases():
    # 5*4+4 + 4*3+3 + 3*2+2
    assert dense_mlp_parameter_count(5, (4, 3), 2) == 47
    # 2*(5+4)+4 + 0*(4+3)+3 + 3*2+2
    assert double_mlp_parameter_count(5, (4, 3), (2, 0), 2) == 33
    with pytest.raises(ValueError, match="ranks"):
        double_mlp_parameter_count(5, (4, 3), (2,), 2)
    with pytest.raises(ValueError, match="widths"):
        dense_mlp_parameter_count(5, (), 2)
