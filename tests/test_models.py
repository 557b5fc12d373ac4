"""build_mlp, hidden_activations and layer_weights."""

import keras
import numpy as np
import pytest

from relusv.layers import DoubleDense, DoublePProduct, hidden_layers
from relusv.models import build_mlp, hidden_activations, layer_weights
from relusv.parameter_counts import dense_mlp_parameter_count, double_mlp_parameter_count


def _weights_equal(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(np.array_equal(x, y) for x, y in zip(wa, wb, strict=True))


def test_dense_mlp_layers_names_and_output_shape():
    model = build_mlp(8, (6, 5, 4), 3, seed=0, name="net")
    assert model.name == "net"
    names = [layer.name for layer in hidden_layers(model)]
    assert names == ["hidden_1", "hidden_2", "hidden_3"]
    assert all(type(layer) is keras.layers.Dense for layer in hidden_layers(model))
    assert model.get_layer("logits").units == 3
    assert model.get_layer("logits").activation is keras.activations.linear
    x = np.random.default_rng(0).normal(size=(7, 8)).astype("float32")
    assert model.predict(x, verbose=0).shape == (7, 3)


def test_glorot_dense_uses_glorot_uniform():
    model = build_mlp(30, (20,), 4, init="glorot", seed=1)
    kernel = model.get_layer("hidden_1").get_weights()[0]
    limit = np.sqrt(6 / (30 + 20))
    assert np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.9 * limit  # uniform on [-limit, limit], not a normal
    assert not np.any(model.get_layer("hidden_1").get_weights()[1])


def test_ranks_give_double_layers_with_those_ranks():
    model = build_mlp(8, (6, 5, 4), 3, ranks=(2, 0, 4), init="he_p_product", p=2, seed=0)
    layers = hidden_layers(model)
    assert [layer.name for layer in layers] == ["hidden_1", "hidden_2", "hidden_3"]
    assert all(isinstance(layer, DoubleDense) for layer in layers)
    assert [layer.rank for layer in layers] == [2, 0, 4]
    init = layers[0].kernel_initializer
    assert isinstance(init, DoublePProduct) and init.p == 2 and init.target == "he"
    assert type(model.get_layer("logits")) is keras.layers.Dense
    assert isinstance(model.get_layer("logits").kernel_initializer, DoublePProduct)
    x = np.ones((2, 8), dtype="float32")
    assert model.predict(x, verbose=0).shape == (2, 3)


@pytest.mark.parametrize("ranks", [None, (3, 2, 2)])
@pytest.mark.parametrize("init", ["glorot", "glorot_p_product"])
def test_seed_determines_initial_weights(ranks, init):
    a = build_mlp(8, (6, 5, 4), 3, ranks=ranks, init=init, p=2, seed=7)
    b = build_mlp(8, (6, 5, 4), 3, ranks=ranks, init=init, p=2, seed=7)
    c = build_mlp(8, (6, 5, 4), 3, ranks=ranks, init=init, p=2, seed=8)
    assert _weights_equal(a, b)
    assert not _weights_equal(a, c)
    # every layer gets its own seed: no two kernels of equal shape are equal
    first, second = (a.get_layer(f"hidden_{i}").get_weights()[0] for i in (2, 3))
    assert not np.array_equal(first[:4, :4], second[:4, :4])


def test_count_params_matches_claim_c7():
    dense = build_mlp(3072, (100, 100, 100), 10)
    double = build_mlp(3072, (100, 100, 100), 10, ranks=(18, 8, 6))
    assert dense.count_params() == dense_mlp_parameter_count(3072, (100, 100, 100), 10) == 328_510
    assert double.count_params() == 61_206
    assert double.count_params() == double_mlp_parameter_count(
        3072, (100, 100, 100), (18, 8, 6), 10
    )


@pytest.mark.parametrize("ranks", [None, (3, 2)])
def test_layer_weights_are_in_spec_orientation(ranks):
    model = build_mlp(8, (6, 5), 3, ranks=ranks, seed=2)
    rng = np.random.default_rng(3)
    for layer in model.layers[1:]:  # non-zero biases, so that b is checked as well
        layer.set_weights([w + rng.normal(size=w.shape) for w in layer.get_weights()])
    weights = layer_weights(model)
    assert [w.shape for w, _ in weights] == [(6, 8), (5, 6)]
    assert [b.shape for _, b in weights] == [(6,), (5,)]
    x = rng.normal(size=(4, 8)).astype("float32")
    h1, h2 = hidden_activations(model, x, batch_size=3)
    (w1, b1), (w2, b2) = weights
    np.testing.assert_allclose(h1, np.maximum(x @ w1.T + b1, 0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(h2, np.maximum(h1 @ w2.T + b2, 0), rtol=1e-5, atol=1e-5)
    if ranks is not None:
        assert np.linalg.matrix_rank(w1) == 3 and np.linalg.matrix_rank(w2) == 2


def test_hidden_activations_shapes_and_single_hidden_layer():
    x = np.random.default_rng(4).normal(size=(9, 8))
    acts = hidden_activations(build_mlp(8, (6, 5, 4), 3), x)
    assert [a.shape for a in acts] == [(9, 6), (9, 5), (9, 4)]
    assert all(np.all(a >= 0) for a in acts)
    (single,) = hidden_activations(build_mlp(8, (6,), 3), x)
    assert single.shape == (9, 6)
    with pytest.raises(ValueError, match="features"):
        hidden_activations(build_mlp(8, (6,), 3), x[:, :5])


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="ranks"):
        build_mlp(8, (6, 5), 3, ranks=(2,))
    with pytest.raises(ValueError, match=r"ranks\[1\]"):
        build_mlp(8, (6, 5), 3, ranks=(2, 6))
    with pytest.raises(ValueError, match="init"):
        build_mlp(8, (6, 5), 3, init="lecun")
    with pytest.raises(ValueError, match="classes"):
        build_mlp(8, (6, 5), 0)
    with pytest.raises(ValueError, match="seed"):
        build_mlp(8, (6, 5), 3, seed=-1)


def test_hidden_activations_follow_weight_changes():
    model = build_mlp(8, (6, 5), 3, seed=0)
    x = np.random.default_rng(5).normal(size=(4, 8))
    before = hidden_activations(model, x)
    layer = model.get_layer("hidden_2")
    layer.set_weights([w + 1.0 for w in layer.get_weights()])
    after = hidden_activations(model, x)
    np.testing.assert_array_equal(after[0], before[0])
    (w2, b2) = layer_weights(model)[1]
    np.testing.assert_allclose(after[1], np.maximum(after[0] @ w2.T + b2, 0), rtol=1e-5, atol=1e-5)
    assert not np.allclose(after[1], before[1])
