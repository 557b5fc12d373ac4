"""Layers that matter only in training: Dropout and the like left out, BatchNormalization folded
exactly into the Dense layer next to it (the folded network's outputs are the Keras model's in
inference mode), and the positions where a BatchNormalization cannot be folded refused."""

import keras
import numpy as np
import pytest

from relusv import cli
from relusv.inference_layers import IDENTITY_AT_INFERENCE, fold_after, fold_before
from relusv.models import analysable_structure, canonical_mlp, check_analysable
from relusv.weights import network_weights, predict_logits_from_weights

D, CLASSES = 10, 4


def _randomise_batch_norms(model, seed=0):
    """Moving statistics, gamma and beta far from their initial 0/1, as after training."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            m = layer.moving_mean.shape[0]
            layer.moving_mean.assign(rng.normal(0, 2, m).astype("float32"))
            layer.moving_variance.assign(rng.uniform(0.2, 5, m).astype("float32"))
            if layer.scale:
                layer.gamma.assign(rng.uniform(0.5, 2, m).astype("float32"))
            if layer.center:
                layer.beta.assign(rng.normal(0, 1, m).astype("float32"))
    return model


def _model(*middle, softmax=False):
    keras.utils.set_random_seed(3)
    return keras.Sequential([keras.Input(shape=(D,)), *middle,
                             L.Dense(CLASSES, activation="softmax" if softmax else None,
                                     name="out")])


L = keras.layers
MODELS = {
    # BatchNormalization after a linear Dense, before its ReLU: folded into its outputs
    "bn_after_dense": lambda: _model(L.Dense(16, name="d1"), L.BatchNormalization(name="bn1"),
                                     L.ReLU(), L.Dense(8, activation="relu", name="d2")),
    # after the ReLU: folded into the next Dense layer's inputs
    "bn_after_relu": lambda: _model(L.Dense(16, activation="relu", name="d1"),
                                    L.BatchNormalization(name="bn1"), L.Dropout(0.3),
                                    L.Dense(8, activation="relu", name="d2")),
    # on the inputs, without scale or center, and two in a row after the last hidden layer
    "bn_everywhere": lambda: _model(L.BatchNormalization(name="bn0", scale=False),
                                    L.Dense(16, activation="relu", name="d1"),
                                    L.BatchNormalization(name="bn1", center=False),
                                    L.BatchNormalization(name="bn2"),
                                    L.GaussianNoise(0.5), softmax=True),
    "output_bn": lambda: keras.Sequential([
        keras.Input(shape=(D,)), L.Dense(16, activation="relu"), L.AlphaDropout(0.1),
        L.Dense(CLASSES, name="out"), L.BatchNormalization(name="bn_out"), L.Softmax()]),
}


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_folded_network_computes_the_keras_models_inference_outputs(kind):
    model = _randomise_batch_norms(MODELS[kind]())
    x = np.random.default_rng(1).normal(0, 2, (200, D)).astype("float32")
    expected = keras.ops.convert_to_numpy(model(x, training=False))
    layers = network_weights(canonical_mlp(model))
    logits = predict_logits_from_weights(layers, x)
    if model.layers[-1].__class__.__name__ == "Softmax" or model.get_layer(
            "out").get_config()["activation"] == "softmax":
        logits = np.exp(logits - logits.max(1, keepdims=True))
        logits /= logits.sum(1, keepdims=True)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(logits, expected, rtol=0, atol=2e-5 * scale)
    assert len(analysable_structure(model).folded) >= 1


def test_summary_names_what_was_left_out_and_folded(tmp_path):
    model = _randomise_batch_norms(MODELS["bn_after_relu"]())
    structure = analysable_structure(model)
    assert structure.folded == (("bn1", "d2", "before"),)
    assert [cls for _, cls in structure.identity] == ["Dropout"]
    model.save(tmp_path / "m.keras")
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x=rng.normal(size=(200, D)).astype("float32"),
             y=rng.integers(0, CLASSES, 200))
    assert cli.main(["analyse", str(tmp_path / "m.keras"), str(tmp_path / "d.npz"), "--out",
                     str(tmp_path / "out"), "--max-size", "30", "--min-size", "5", "--steps",
                     "10", "--n-draws", "10", "--subsamples", "20"]) == 0
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "left out as the identity at inference: 'dropout" in summary
    assert "(Dropout)" in summary
    assert "'bn1' into the inputs of 'd2'" in summary


def test_every_identity_layer_is_left_out():
    for name in IDENTITY_AT_INFERENCE:
        layer_class = getattr(keras.layers, name)
        layer = (layer_class(0.2) if name in ("Dropout", "GaussianNoise", "GaussianDropout",
                                              "AlphaDropout") else layer_class())
        model = _model(L.Dense(8, activation="relu"), layer)
        plain = _model(L.Dense(8, activation="relu"))
        plain.set_weights(model.get_weights())
        for a, b in zip(check_analysable(model), check_analysable(plain), strict=True):
            np.testing.assert_array_equal(a[0], b[0])
        assert analysable_structure(model).identity == ((layer.name, name),)


class _AlwaysOnDropout(keras.layers.Dropout):
    def call(self, inputs, training=None):
        return super().call(inputs, training=True)


@pytest.mark.parametrize("build, message", [
    (lambda: _model(L.Dense(8, activation="relu"), _AlwaysOnDropout(0.5, name="mc")),
     r"layer 'mc' is a _AlwaysOnDropout; expected only"),
    (lambda: _model(L.Dense(8, activation="relu"), L.BatchNormalization(name="bn"),
                    L.ReLU(name="again")),
     r"BatchNormalization \['bn'\] is followed by the activation layer 'again'"),
    (lambda: keras.Sequential([keras.Input(shape=(D,)), L.Dense(8, activation="relu"),
                               L.Dense(CLASSES, activation="softmax"),
                               L.BatchNormalization(name="late")]),
     r"BatchNormalization \['late'\] comes after the output layer's activation"),
])
def test_unfoldable_or_unknown_layers_are_refused(build, message):
    with pytest.raises(ValueError, match=message):
        check_analysable(build())


def test_fold_formulas_on_factors_and_kernels():
    rng = np.random.default_rng(0)
    v, u = rng.normal(size=(5, 3)), rng.normal(size=(3, 4))
    kernel, bias = v @ u, rng.normal(size=4)
    x = rng.normal(size=(7, 5))
    after = (rng.uniform(0.5, 2, 4), rng.normal(size=4))
    before = (rng.uniform(0.5, 2, 5), rng.normal(size=5))
    k2, b2 = fold_after(kernel, bias, after)
    np.testing.assert_allclose(x @ k2 + b2, after[0] * (x @ kernel + bias) + after[1])
    (v2, u2), b3 = fold_after((v, u), bias, after)
    np.testing.assert_allclose(x @ v2 @ u2 + b3, x @ k2 + b2)
    k4, b4 = fold_before(kernel, bias, before)
    np.testing.assert_allclose(x @ k4 + b4, (before[0] * x + before[1]) @ kernel + bias)
    (v5, u5), b5 = fold_before((v, u), bias, before)
    np.testing.assert_allclose(x @ v5 @ u5 + b5, x @ k4 + b4)
