"""An MLP from any framework as a PyTorch-style state_dict (``.safetensors``, ``.npz``), read with
numpy alone: the layers, their order, the refusals, and the same bounds and widths as the same
network given as a Keras model."""

import keras
import numpy as np
import pandas as pd
import pytest
from safetensors.numpy import save_file

from relusv import cli
from relusv.foreign_weights import layers_from_state_dict, load_state_dict
from relusv.models import check_analysable
from relusv.weights import hidden_layer_weights

RNG = np.random.default_rng(0)


def _state_dict(sizes=(12, 9, 7, 3), names=None, bias=True):
    names = names or [str(2 * i) for i in range(len(sizes) - 1)]
    out = {}
    for name, n, m in zip(names, sizes[:-1], sizes[1:], strict=True):
        out[f"{name}.weight"] = RNG.standard_normal((m, n)).astype(np.float32)
        if bias:
            out[f"{name}.bias"] = RNG.standard_normal(m).astype(np.float32)
    return out


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_a_state_dict_file_gives_the_layers_in_keras_layout(tmp_path, suffix):
    arrays = _state_dict()
    path = tmp_path / f"w{suffix}"
    save_file(arrays, path) if suffix == ".safetensors" else np.savez(path, **arrays)
    layers = load_state_dict(path)
    assert [layer.name for layer in layers] == ["hidden_1", "hidden_2", "logits"]
    assert [layer.activation for layer in layers] == ["relu", "relu", "linear"]
    np.testing.assert_array_equal(layers[0].kernel, arrays["0.weight"].T)
    np.testing.assert_array_equal(layers[2].bias, arrays["4.bias"])
    W, b = hidden_layer_weights(layers)[1]
    np.testing.assert_array_equal(W, arrays["2.weight"].astype(np.float64))


def test_layer_order_is_numeric_not_alphabetical_and_bias_may_be_missing():
    sizes = tuple(range(20, 8, -1))  # 11 layers: fc1 ... fc11; "fc10" < "fc2" alphabetically
    arrays = _state_dict(sizes, names=[f"fc{i}" for i in range(1, 12)], bias=False)
    shuffled = dict(sorted(arrays.items()))
    layers = layers_from_state_dict(shuffled)
    assert [layer.shape for layer in layers] == list(zip(sizes[:-1], sizes[1:], strict=True))
    assert not layers[0].bias.any()


@pytest.mark.parametrize("change, message", [
    (lambda a: a.update({"1.running_mean": np.zeros(9, np.float32)}),
     r"array '1.running_mean' is not a Linear layer's weight or bias"),
    (lambda a: a.update({"9.bias": np.zeros(3, np.float32)}), r"bias '9.bias' has no '9.weight'"),
    (lambda a: a.update({"2.weight": a["2.weight"][:, :5]}),
     r"layer '2' takes 5 inputs but the layer before it, '0', has 9 outputs"),
    (lambda a: a.update({"0.bias": np.zeros(4, np.float32)}),
     r"'0.bias' has shape \(4,\); expected \(9,\)"),
    (lambda a: a.update({"0.weight": a["0.weight"].astype(np.int32)}), r"has dtype int32"),
    (lambda a: [a.pop(k) for k in ("2.weight", "2.bias", "4.weight", "4.bias")],
     r"found 1 Linear layer\(s\)"),
])
def test_refusals_name_the_array_and_the_fix(change, message):
    arrays = _state_dict()
    change(arrays)
    with pytest.raises(ValueError, match=message):
        layers_from_state_dict(arrays, source="w.npz")


def test_unreadable_files_are_refused(tmp_path):
    (tmp_path / "w.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ValueError, match=r"w.safetensors: cannot read it as a .safetensors"):
        load_state_dict(tmp_path / "w.safetensors")
    with pytest.raises(ValueError, match=r"expected a weights file ending in .safetensors"):
        load_state_dict(tmp_path / "w.pt")


def test_the_same_network_as_keras_and_as_weights_gives_the_same_bounds_and_widths(tmp_path):
    keras.utils.set_random_seed(5)
    model = keras.Sequential([keras.Input(shape=(12,)), keras.layers.Dense(10, activation="relu"),
                              keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.save(tmp_path / "net.keras")
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    # np.ascontiguousarray: safetensors writes an array's memory as it lies, and a transpose
    # is a strided view of the kernel
    save_file({f"{2 * i}.{kind}": np.ascontiguousarray(keras.ops.convert_to_numpy(w).T
                                                       if kind == "weight"
                                                       else keras.ops.convert_to_numpy(w))
               for i, layer in enumerate(dense)
               for kind, w in zip(("weight", "bias"), layer.weights, strict=True)},
              tmp_path / "net.safetensors")
    x = RNG.standard_normal((300, 12)).astype(np.float32)
    y = RNG.integers(0, 3, 300)
    np.savez(tmp_path / "data.npz", x=x, y=y)
    for path in ("net.keras", "net.safetensors"):
        assert cli.main(["analyse", str(tmp_path / path), str(tmp_path / "data.npz"), "--out",
                         str(tmp_path / path.replace(".", "_")), "--max-size", "40",
                         "--min-size", "5", "--steps", "20", "--n-draws", "20",
                         "--subsamples", "20"]) == 0
    for table in ("bounds.csv", "widths.csv", "widths_paired.csv", "widths_subsamples.csv",
                  "subsets.json"):
        a = (tmp_path / "net_keras" / table).read_text()
        b = (tmp_path / "net_safetensors" / table).read_text()
        assert a == b, table  # bit for bit: the same float32 weights, the same points
    bounds = pd.read_csv(tmp_path / "net_keras" / "bounds.csv")
    assert len(bounds) > 0 and set(bounds["layer"]) == {1, 2}
    for (w1, _), (w2, _) in zip(check_analysable(model),
                                hidden_layer_weights(load_state_dict(tmp_path /
                                                                     "net.safetensors")),
                                strict=True):
        np.testing.assert_array_equal(w1, w2)
