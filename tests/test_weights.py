"""relusv.weights: the .npz weights of a network, read without TensorFlow, give bitwise the
hidden (W, b) of layer_weights and the classes of predict_classes (dense, double-layer and user
models, the demo networks at every checkpoint), hence the same subsets, bounds and widths; the
reader scripts import no TensorFlow, and run end to end give the numbers of the Keras path."""

import ast
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT

from relusv.analyses import network_bounds, widths_and_differences_over_training
from relusv.data import prepare, save_prepared
from relusv.files import write_csv
from relusv.layers import DoubleDense
from relusv.models import build_mlp, check_analysable, layer_weights
from relusv.subsets import pool_arrays, select_subsets
from relusv.tidy import with_seed
from relusv.training import checkpoint_files, load_checkpoint, predict_classes, train_mlp
from relusv.weights import (
    FORMAT,
    LayerWeights,
    check_network,
    checkpoint_weights_files,
    checkpoint_weights_path,
    hidden_layer_weights,
    load_network_weights,
    network_weights,
    predict_classes_from_weights,
    predict_logits_from_weights,
    save_network_weights,
)

DEMO = yaml.safe_load((ROOT / "config" / "demo.yaml").read_text())
# loading a compiled model's checkpoint into an uncompiled one, as the Keras path always did
pytestmark = pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
READERS = ("classified_subsets", "relu_singular_value_bounds_part", "gaussian_mean_widths")


def _perturbed(model, seed=3):
    """``model`` with noise on every weight, so that biases are non-zero and checked too."""
    rng = np.random.default_rng(seed)
    for layer in model.layers[1:]:
        layer.set_weights([w + rng.normal(size=w.shape).astype(w.dtype) * 0.3
                           for w in layer.get_weights()])
    return model


def _assert_bitwise(got, want):
    assert len(got) == len(want)
    for (w, b), (w_ref, b_ref) in zip(got, want, strict=True):
        assert w.dtype == w_ref.dtype == np.float64 and b.dtype == b_ref.dtype == np.float64
        assert w.shape == w_ref.shape and b.shape == b_ref.shape
        assert w.tobytes() == w_ref.tobytes() and b.tobytes() == b_ref.tobytes()


def _round_trip(model, tmp_path):
    path = tmp_path / "weights.npz"
    save_network_weights(path, network_weights(model))
    return load_network_weights(path)


@pytest.mark.parametrize("ranks", [None, (5, 0, 2)], ids=["dense", "double"])
def test_file_gives_bitwise_layer_weights_and_the_model_classes(ranks, tmp_path):
    model = _perturbed(build_mlp(9, (7, 6, 4), 3, ranks=ranks, seed=4))
    layers = _round_trip(model, tmp_path)
    assert [layer.name for layer in layers] == ["hidden_1", "hidden_2", "hidden_3", "logits"]
    assert [layer.activation for layer in layers] == ["relu"] * 3 + ["linear"]
    for layer, keras_layer in zip(layers, model.layers[1:], strict=True):
        if layer.kernel is not None:
            pairs = [(layer.kernel, keras_layer.kernel)]
        else:
            pairs = list(zip(layer.factors, (keras_layer.v, keras_layer.u), strict=True))
        for array, weight in [*pairs, (layer.bias, keras_layer.bias)]:
            weight = keras.ops.convert_to_numpy(weight)
            assert array.dtype == np.float32 and array.shape == weight.shape
            assert array.tobytes() == weight.tobytes()
    _assert_bitwise(hidden_layer_weights(layers), layer_weights(model))
    x = np.random.default_rng(5).normal(size=(500, 9)).astype(np.float32)
    np.testing.assert_array_equal(predict_classes_from_weights(layers, x, batch_size=64),
                                  predict_classes(model, x))
    np.testing.assert_allclose(predict_logits_from_weights(layers, x),
                               model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_a_users_model_through_canonical_mlp_is_check_analysable(tmp_path):
    """Dense layers without bias, a softmax output, layers of the user's names; and a model
    with a double-layer, whose dense layers canonical_mlp factors at full rank."""
    from relusv.models import canonical_mlp

    keras.utils.set_random_seed(7)
    inputs = keras.Input(shape=(6,))
    h = keras.layers.Dense(5, use_bias=False, name="a")(inputs)
    h = keras.layers.ReLU()(h)
    h = DoubleDense(4, 2, name="b")(h)
    user = keras.Model(inputs, keras.layers.Dense(3, activation="softmax", name="out")(h))
    copy = canonical_mlp(_perturbed(user))
    layers = _round_trip(copy, tmp_path)
    assert layers[0].factors is not None and layers[-1].kernel is not None
    _assert_bitwise(hidden_layer_weights(layers), check_analysable(user))
    x = np.random.default_rng(8).normal(size=(300, 6)).astype(np.float32)
    np.testing.assert_array_equal(predict_classes_from_weights(layers, x),
                                  np.argmax(user.predict(x, verbose=0), axis=1))


def test_bad_files_and_networks_are_refused_naming_the_problem(tmp_path):
    model = build_mlp(4, (3,), 2)
    layers = network_weights(model)
    path = tmp_path / "weights.npz"
    save_network_weights(path, layers)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(path.read_bytes()[:200])
    for bad in (truncated, tmp_path / "missing.npz"):
        with pytest.raises(ValueError, match=f"cannot read network weights {bad}"):
            load_network_weights(bad)
    np.savez(tmp_path / "other.npz", format=np.array("something else"))
    with pytest.raises(ValueError, match=FORMAT):
        load_network_weights(tmp_path / "other.npz")
    stored = dict(np.load(path))
    del stored["logits.bias"]
    np.savez(tmp_path / "incomplete.npz", **stored)
    with pytest.raises(ValueError, match="logits.bias"):
        load_network_weights(tmp_path / "incomplete.npz")
    with pytest.raises(ValueError, match=r"\.npz"):
        save_network_weights(tmp_path / "weights.h5", layers)

    hidden, output = layers
    with pytest.raises(ValueError, match="expected relu"):
        check_network([LayerWeights("h", "linear", hidden.bias, hidden.kernel), output])
    with pytest.raises(ValueError, match="expected linear"):
        check_network([hidden, LayerWeights("o", "relu", output.bias, output.kernel)])
    with pytest.raises(ValueError, match="takes 4 inputs but layer .hidden_1. has 3 outputs"):
        check_network([hidden, hidden, output])
    with pytest.raises(ValueError, match="at least two"):
        check_network([hidden])
    with pytest.raises(ValueError, match="bias has shape"):
        LayerWeights("h", "relu", output.bias, hidden.kernel)
    with pytest.raises(ValueError, match="either a kernel"):
        LayerWeights("h", "relu", hidden.bias)
    with pytest.raises(ValueError, match="4 features"):
        predict_classes_from_weights(layers, np.zeros((2, 5)))
    with pytest.raises(ValueError, match="NaN"):
        predict_classes_from_weights(layers, np.full((2, 4), np.nan))


def test_checkpoint_files_need_every_epoch(tmp_path):
    layers = network_weights(build_mlp(4, (3,), 2))
    with pytest.raises(ValueError, match="no such checkpoint directory"):
        checkpoint_weights_files(tmp_path / "checkpoints")
    for epoch in (0, 1, 3):
        save_network_weights(checkpoint_weights_path(tmp_path, epoch), layers)
    (tmp_path / "epoch_002.weights.h5").write_bytes(b"")  # a Keras checkpoint is not one
    with pytest.raises(ValueError, match=r"without gaps, found epochs \[0, 1, 3\]"):
        checkpoint_weights_files(tmp_path)
    save_network_weights(checkpoint_weights_path(tmp_path, 2), layers)
    assert [(e, p.name) for e, p in checkpoint_weights_files(tmp_path)] == [
        (e, f"epoch_{e:03d}.npz") for e in range(4)]


# --------------------------------------------------------------------------------------------
# the demo networks: the Keras path and the .npz path give the same numbers


def _demo_spec(name):
    """The demo config's network ``name``, with its first replicate's seed."""
    spec = dict(DEMO["networks"][name])
    spec["seed"] = spec["seed"][0] if isinstance(spec["seed"], list) else spec["seed"]
    return spec


def _demo_data(dataset):
    split = DEMO["data"]
    return prepare(dataset, None, validation_fraction=split["validation_fraction"],
                   test_fraction=split["test_fraction"], seed=split["split_seed"])


# digits_32 (the largest pool) in the unit tests, the other demo networks with the slow ones
@pytest.fixture(scope="module", params=[
    name if name == "digits_32" else pytest.param(name, marks=pytest.mark.slow)
    for name in sorted(DEMO["networks"])])
def demo_network(request, tmp_path_factory):
    """A demo network trained as its config says, with its .h5 checkpoints and .npz copies."""
    name, spec = request.param, _demo_spec(request.param)
    data, metadata = _demo_data(spec["dataset"])
    model = build_mlp(metadata["input_dim"], spec["widths"], metadata["n_classes"],
                      seed=spec["seed"], name=name)
    checkpoints = tmp_path_factory.mktemp(name)
    train_mlp(model, data["x_train"], data["y_train"], data["x_val"], data["y_val"],
              epochs=spec["epochs"], batch_size=spec["batch_size"], seed=spec["seed"],
              checkpoint_dir=checkpoints)
    reader = build_mlp(metadata["input_dim"], spec["widths"], metadata["n_classes"])
    for epoch, path in checkpoint_files(checkpoints):
        save_network_weights(checkpoint_weights_path(checkpoints, epoch),
                             network_weights(load_checkpoint(reader, path)))
    return name, model, pool_arrays(data, DEMO["subsets"]["pool"]), checkpoints


def _subsets(y, predicted):
    config = DEMO["subsets"]
    return select_subsets(y, predicted, max_size=config["max_size"], min_size=config["min_size"],
                          seed=config["seed"])


def test_demo_network_classes_and_weights_agree_at_every_checkpoint(demo_network):
    name, _, (x, y), checkpoints = demo_network
    reader = keras.models.clone_model(demo_network[1])
    for (epoch, h5), (_, npz) in zip(checkpoint_files(checkpoints),
                                     checkpoint_weights_files(checkpoints), strict=True):
        load_checkpoint(reader, h5)
        layers = load_network_weights(npz)
        _assert_bitwise(hidden_layer_weights(layers), layer_weights(reader))
        np.testing.assert_array_equal(predict_classes_from_weights(layers, x),
                                      predict_classes(reader, x), err_msg=f"{name} {epoch}")


def test_demo_network_subsets_bounds_and_widths_are_bitwise_the_same(demo_network, tmp_path):
    name, model, (x, y), checkpoints = demo_network
    layers = load_network_weights(checkpoint_weights_files(checkpoints)[-1][1])
    keras_subsets = _subsets(y, predict_classes(model, x))
    npz_subsets = _subsets(y, predict_classes_from_weights(layers, x))
    assert keras_subsets.summary() == npz_subsets.summary()
    np.testing.assert_array_equal(npz_subsets.correct, keras_subsets.correct)
    np.testing.assert_array_equal(npz_subsets.incorrect, keras_subsets.incorrect)
    split = {"correct": x[npz_subsets.correct][:40], "incorrect": x[npz_subsets.incorrect][:40]}
    bounds = [network_bounds(name, weights, split, steps=15, learning_rate=0.01,
                             approximant_bias="free", n_threads=1)
              for weights in (layer_weights(model), hidden_layer_weights(layers))]
    pd.testing.assert_frame_equal(*bounds, check_exact=True)

    reader = keras.models.clone_model(model)

    def keras_path():
        for epoch, path in checkpoint_files(checkpoints):
            yield epoch, layer_weights(load_checkpoint(reader, path)), split

    def npz_path():
        for epoch, path in checkpoint_weights_files(checkpoints):
            yield epoch, hidden_layer_weights(load_network_weights(path)), split

    widths = [widths_and_differences_over_training(name, path(), n_draws=20, seed=0)
              for path in (keras_path, npz_path)]
    for got, want in zip(*widths, strict=True):
        pd.testing.assert_frame_equal(got, want, check_exact=True)


# --------------------------------------------------------------------------------------------
# the reader scripts: no TensorFlow, and the numbers of the Keras path


def _imports(script):
    """The modules a script imports (its top-level ``import`` / ``from ... import``)."""
    tree = ast.parse((ROOT / "scripts" / f"{script}.py").read_text())
    modules = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            modules.append(node.module)
    return modules


@pytest.mark.parametrize("script", READERS)
def test_reader_scripts_import_no_tensorflow(script):
    modules = _imports(script)
    assert "relusv.weights" in modules  # the parse found the script's imports
    code = ("import importlib, sys\n"
            f"for name in {modules!r}: importlib.import_module(name)\n"
            "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=ROOT)
    assert result.stdout.strip() == "[]", f"{script} imports {result.stdout.strip()}"


_DRIVER = """
import json, runpy, sys
job = json.loads(sys.argv[1])

class Names(list):
    '''Like snakemake's Namedlist: its values in order, and each by name.'''
    def __init__(self, mapping):
        super().__init__(mapping.values())
        self.__dict__.update(mapping)
        self._mapping = dict(mapping)
    def items(self):
        return self._mapping.items()

class Snakemake:
    pass

smk = Snakemake()
for key in ("input", "output", "params", "wildcards"):
    setattr(smk, key, Names(job[key]))
smk.log, smk.threads, smk.rule = [job["log"]], 1, job["rule"]
smk.scriptdir = job["scriptdir"]
runpy.run_path(job["script"], init_globals={"snakemake": smk}, run_name="__main__")
print(json.dumps(sorted(m for m in ("tensorflow", "keras") if m in sys.modules)))
"""


def _run_script(rule, tmp_path, *, input, output, params, network="net", wildcards=None):
    """Run ``scripts/<rule>.py`` in a fresh Python as Snakemake would; the modules of
    tensorflow/keras it left loaded."""
    job = {"rule": rule, "script": str(ROOT / "scripts" / f"{rule}.py"),
           "scriptdir": str(ROOT / "scripts"), "log": str(tmp_path / "logs" / f"{rule}.log"),
           "input": {k: [str(p) for p in v] if isinstance(v, list) else str(v)
                     for k, v in input.items()},
           "output": {k: str(v) for k, v in output.items()}, "params": params,
           "wildcards": {"network": network, "seed": "1", **(wildcards or {})}}
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONHASHSEED": "0"}
    result = subprocess.run([sys.executable, "-c", _DRIVER, json.dumps(job)], cwd=tmp_path,
                            capture_output=True, text=True, env=env, timeout=600)
    log = (tmp_path / "logs" / f"{rule}.log")
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:],
                                    log.read_text()[-3000:] if log.exists() else "")
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_scripts_write_and_read_the_npz_and_give_the_keras_numbers(tmp_path):
    """trained_network.py writes weights.npz and checkpoints/epoch_NNN.npz; the three readers,
    run on them, import no TensorFlow and write byte for byte the files the Keras path gives."""
    spec = {**_demo_spec("wine_16"), "learning_rate": 1e-3}
    data_file = save_prepared(tmp_path / "data.npz", *_demo_data(spec["dataset"]))
    training = tmp_path / "training"
    trained = {"model": training / "model.keras", "history": training / "history.csv",
               "summary": training / "summary.json", "checkpoints": training / "checkpoints",
               "weights": training / "weights.npz"}
    assert "tensorflow" in _run_script(
        "trained_network", tmp_path, input={"data": data_file}, output=trained,
        params={"network": spec, "resume_dir": str(tmp_path / "resume")})
    assert [p.name for p in sorted(trained["checkpoints"].glob("*.npz"))] == [
        f"epoch_{e:03d}.npz" for e in range(spec["epochs"] + 1)]

    subsets_config = {**DEMO["subsets"], "pool": "all"}
    subsets = {"subsets": tmp_path / "subsets.npz", "summary": tmp_path / "subsets.json"}
    bounds_params = {"steps": 20, "learning_rate": 0.01, "approximant_bias": "free",
                     "method": "tight", "tight_steps": 20, "error_power": 3.0,
                     "choose_start_at": 5, "row_space": True,
                     "paper_reference": True,
                     "tolerance": 1e-4, "patience": 75}
    widths = {"widths": tmp_path / "widths.csv", "differences": tmp_path / "paired.csv"}
    runs = [("classified_subsets", {"data": data_file, "weights": trained["weights"]}, subsets,
             subsets_config),
            ("gaussian_mean_widths", {"data": data_file, "checkpoints": trained["checkpoints"],
                                      "subsets": subsets["subsets"]}, widths,
             {"n_draws": 20, "seed": 0, "reselect": subsets_config})]
    for rule, inputs, outputs, params in runs:
        assert _run_script(rule, tmp_path, input=inputs, output=outputs, params=params) == [], rule
    parts = {subset: tmp_path / f"bounds_{subset}.csv" for subset in ("correct", "incorrect")}
    for subset, part in parts.items():  # one job per subset, every layer and rank
        assert _run_script("relu_singular_value_bounds_part", tmp_path,
                           input={"weights": trained["weights"], "subsets": subsets["subsets"]},
                           output={"bounds": part}, params={**bounds_params, "rank_part": None},
                           wildcards={"subset": subset, "layer": "all", "part": "1"}) == []
    assert _run_script("relu_singular_value_bounds", tmp_path,
                       input={"parts": list(parts.values())},
                       output={"bounds": tmp_path / "bounds.csv"}, params={}) == []

    # the Keras path, as the scripts computed it before they read the .npz files
    model = keras.models.load_model(trained["model"], compile=False)
    data, _ = _demo_data(spec["dataset"])
    x, y = pool_arrays(data, "all")

    def chosen(network):
        return select_subsets(y, predict_classes(network, x), max_size=subsets_config["max_size"],
                              min_size=subsets_config["min_size"], seed=subsets_config["seed"])

    final = chosen(model)
    stored = np.load(subsets["subsets"])
    np.testing.assert_array_equal(stored["correct"], final.correct)
    np.testing.assert_array_equal(stored["incorrect"], final.incorrect)
    split = {"correct": x[final.correct], "incorrect": x[final.incorrect]}
    write_csv(tmp_path / "keras_bounds.csv", with_seed(network_bounds(
        "net", layer_weights(model), split, n_threads=1, **bounds_params), 1))

    def checkpoints():
        for epoch, path in checkpoint_files(trained["checkpoints"]):
            load_checkpoint(model, path)
            again = chosen(model)
            yield epoch, layer_weights(model), {"correct": x[again.correct],
                                                "incorrect": x[again.incorrect]}

    keras_widths, keras_paired = widths_and_differences_over_training(
        "net", checkpoints(), n_draws=20, seed=0)
    write_csv(tmp_path / "keras_widths.csv", with_seed(keras_widths, 1))
    write_csv(tmp_path / "keras_paired.csv", with_seed(keras_paired, 1))
    for mine, keras_file in (("bounds.csv", "keras_bounds.csv"), ("widths.csv", "keras_widths.csv"),
                             ("paired.csv", "keras_paired.csv")):
        assert (tmp_path / mine).read_bytes() == (tmp_path / keras_file).read_bytes(), mine


@pytest.mark.slow
def test_pretrained_network_script_writes_the_npz_of_a_double_layer_users_checkpoints(tmp_path):
    """A user's directory (a double-layer and a dense hidden layer, a softmax output, two
    checkpoints): every epoch_NNN.npz and weights.npz give bitwise the layer_weights of the
    copied Keras checkpoints and model."""
    data, metadata = _demo_data("wine")
    data_file = save_prepared(tmp_path / "data.npz", data, metadata)
    keras.utils.set_random_seed(9)
    inputs = keras.Input(shape=(metadata["input_dim"],))
    h = DoubleDense(10, 3, name="factored")(inputs)
    h = keras.layers.Dense(6, activation="relu", name="wide")(h)
    user = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(h))
    user.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    source = tmp_path / "user"
    source.mkdir()
    for epoch in (0, 1):
        if epoch:
            user.fit(data["x_train"], data["y_train"], epochs=2, verbose=0)
        user.save_weights(source / f"epoch_{epoch:03d}.weights.h5")
    user.save(source / "model.keras")
    training = tmp_path / "training"
    outputs = {"model": training / "model.keras", "history": training / "history.csv",
               "summary": training / "summary.json", "checkpoints": training / "checkpoints",
               "weights": training / "weights.npz"}
    _run_script("pretrained_network", tmp_path, input={"data": data_file, "pretrained": source},
                output=outputs, params={"dataset": "wine", "seed": 0})
    model = keras.models.load_model(outputs["model"], compile=False)
    _assert_bitwise(hidden_layer_weights(load_network_weights(outputs["weights"])),
                    layer_weights(model))
    x = pool_arrays(data, "all")[0]
    for (epoch, h5), (_, npz) in zip(checkpoint_files(outputs["checkpoints"]),
                                     checkpoint_weights_files(outputs["checkpoints"]),
                                     strict=True):
        layers = load_network_weights(npz)
        assert layers[0].factors is not None and layers[1].factors is not None  # all double
        _assert_bitwise(hidden_layer_weights(layers), layer_weights(load_checkpoint(model, h5)))
        np.testing.assert_array_equal(predict_classes_from_weights(layers, x),
                                      predict_classes(model, x), err_msg=f"epoch {epoch}")
