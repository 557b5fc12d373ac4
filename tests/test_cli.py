"""`relusv analyse` on a user's Keras MLP: Sequential and functional models, the refusals (each
before any expensive work, naming the layer or the array), the model check of the library, the
table of a pretrained network's summary, and the README's example run as written."""

import json
import os
import re
import subprocess
import sys

import keras
import numpy as np
import pytest
import yaml
from conftest import ROOT

from relusv import cli
from relusv.models import canonical_mlp, check_analysable, layer_weights
from relusv.tables import network_table, to_markdown
from relusv.tidy import BOUNDS, WIDTH_DIFFERENCES, WIDTH_SUBSAMPLES, WIDTHS
from relusv.training import predict_classes

RNG = np.random.default_rng(0)


def _data(n=300, d=12, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    y = (np.argmax(x[:, :classes], axis=1)).astype(np.int64)
    flip = rng.random(n) < 0.25  # label noise: misclassified points in every subset
    y[flip] = rng.integers(0, classes, flip.sum())
    return x, y


def _sequential(d=12, classes=3):
    keras.utils.set_random_seed(1)
    return keras.Sequential([keras.Input(shape=(d,)), keras.layers.Dense(8, activation="relu"),
                             keras.layers.Dense(6, activation="relu"),
                             keras.layers.Dense(classes, activation="softmax")])


def _functional(d=12, classes=3):
    keras.utils.set_random_seed(2)
    inputs = keras.Input(shape=(d,), name="features")
    h = keras.layers.Dense(8, name="first")(inputs)
    h = keras.layers.Activation("relu", name="first_relu")(h)
    h = keras.layers.Dense(5, use_bias=False, name="second")(h)
    h = keras.layers.ReLU(name="second_relu")(h)
    out = keras.layers.Dense(classes, name="scores")(h)
    return keras.Model(inputs, keras.layers.Softmax(name="probabilities")(out))


def _save(model, path):
    model.save(path)
    return path


FAST = ["--max-size", "40", "--min-size", "5", "--steps", "20", "--n-draws", "20"]


def _analyse(tmp_path, model, x, y, *extra, name="data.npz"):
    model_path = _save(model, tmp_path / "model.keras")
    np.savez(tmp_path / name, x=x, y=y)
    out = tmp_path / "out"
    assert cli.main(["analyse", str(model_path), str(tmp_path / name), "--out", str(out),
                     *FAST, *extra]) == 0
    return out


def test_defaults_are_the_configs():
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    pruning = config["pruning"]
    expected = {
        "max_size": config["subsets"]["max_size"], "min_size": config["subsets"]["min_size"],
        "subset_seed": config["subsets"]["seed"], "steps": config["bounds"]["steps"],
        "bounds_learning_rate": config["bounds"]["learning_rate"],
        "approximant_bias": config["bounds"]["approximant_bias"],
        "n_draws": config["widths"]["n_draws"], "width_seed": config["widths"]["seed"],
        "subsamples": config["widths"]["subsamples"],
        "subsample_fraction": config["widths"]["subsample_fraction"],
        "retrain_batches": pruning["retrain_batches"],
        "retrain_batch_size": pruning["retrain_batch_size"],
        "accuracy_drop": pruning["accuracy_drop"], "retrain_every": pruning["retrain_every"],
        "rank_threshold": pruning["rank_threshold"]}
    assert {k: cli.DEFAULTS[k] for k in expected} == expected
    assert cli.PLOT_STYLE == config["plot"]
    args = cli._parser().parse_args(["analyse", "m.keras", "d.npz", "--out", "o"])
    assert args.max_size == expected["max_size"] and args.steps == expected["steps"]
    assert args.n_draws == expected["n_draws"] and not args.prune


def test_sequential_model_end_to_end(tmp_path, capsys):
    x, y = _data()
    out = _analyse(tmp_path, _sequential(), x, y, "--prune", "--max-iterations", "3",
                   "--retrain-batches", "2", "--retrain-batch-size", "32")
    bounds = BOUNDS.check(__import__("pandas").read_csv(out / "bounds.csv"), "bounds")
    pd = __import__("pandas")
    widths = WIDTHS.check(pd.read_csv(out / "widths.csv"), "widths")
    paired = WIDTH_DIFFERENCES.check(pd.read_csv(out / "widths_paired.csv"), "paired")
    subsamples = WIDTH_SUBSAMPLES.check(pd.read_csv(out / "widths_subsamples.csv"), "subsamples")
    assert len(subsamples) == 2 * cli.DEFAULTS["subsamples"]  # two layers
    assert set(bounds["subset"]) == {"correct", "incorrect"} and set(bounds["layer"]) == {1, 2}
    assert list(widths["epoch"].unique()) == [cli.EPOCH] and len(paired) == 2
    assert np.isfinite(widths["stderr"]).all()
    for stem in ("fig3_relu_singular_values", "fig4_gaussian_mean_width",
                 "fig5_harmonic_pruning"):
        assert (out / f"{stem}.pdf").stat().st_size > 0 and (out / f"{stem}.png").exists()
    pruning = pd.read_csv(out / "pruning.csv")
    assert list(pruning["iteration"]) == [0, 1, 2, 3] and set(pruning["network"]) == {"model"}
    claims = json.loads((out / "claims.json").read_text())
    assert [c["id"] for c in claims] == ["C2", "C3", "C4", "C5"]
    c5 = claims[3]
    assert c5["holds"] is None or c5["measured"]["networks"]["model"]["layers"]["1"][
        "subsamples"] == cli.DEFAULTS["subsamples"]
    summary = (out / "summary.md").read_text()
    assert summary.startswith("# relusv analyse: model") and "## The paper's claims" in summary
    assert "| C5 |" in summary and "harmonic pruning: 3 iterations" in summary
    provenance = json.loads((out / "provenance.json").read_text())
    assert provenance["params"]["steps"] == 20 and provenance["params"]["prune"] is True
    assert "keras" in provenance["packages"] and "bounds" in provenance["outputs"]
    assert "relusv: " in capsys.readouterr().err  # progress lines on stderr


def test_functional_model_weights_and_predictions(tmp_path):
    """Separate Activation/ReLU/Softmax layers, a layer without bias, any names: the copy holds
    the same weights (W = kernel^T) and predicts the same classes; the CLI's bounds are those of
    the library on those weights."""
    model = _functional()
    x, y = _data()
    weights = check_analysable(model)
    kernels = [model.get_layer("first").kernel, model.get_layer("second").kernel]
    for (W, _b), kernel in zip(weights, kernels, strict=True):
        np.testing.assert_array_equal(W, keras.ops.convert_to_numpy(kernel).T)
    np.testing.assert_array_equal(weights[1][1], np.zeros(5))
    copy = canonical_mlp(model)
    assert copy.get_layer("logits") is not None
    np.testing.assert_array_equal(predict_classes(copy, x),
                                  np.argmax(model.predict(x, verbose=0), axis=1))
    out = _analyse(tmp_path, model, x, y, "--name", "mine")
    bounds = __import__("pandas").read_csv(out / "bounds.csv")
    assert set(bounds["network"]) == {"mine"}
    sigma = np.linalg.svd(weights[0][0], compute_uv=False)
    first = bounds[(bounds["layer"] == 1) & (bounds["subset"] == "correct")]
    np.testing.assert_allclose(first["singular_value"], sigma, rtol=1e-12)
    assert len(layer_weights(copy)) == 2


def _conv():
    inputs = keras.Input(shape=(12,))
    h = keras.layers.Reshape((12, 1))(inputs)
    h = keras.layers.Conv1D(4, 3, activation="relu", name="my_conv")(h)
    return keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Flatten()(h)))


def _dense(*layers, d=12):
    return keras.Sequential([keras.Input(shape=(d,)), *layers])


REFUSED_MODELS = {
    "convolution": (_conv, r"layer 'reshape\w*' is a Reshape"),
    "conv_first": (lambda: keras.Sequential([keras.Input(shape=(12, 1)),
                                             keras.layers.Conv1D(4, 3, name="my_conv"),
                                             keras.layers.Flatten(), keras.layers.Dense(3)]),
                   r"layer 'my_conv' is a Conv1D; expected only InputLayer, Dense"),
    "tanh_hidden": (lambda: _dense(keras.layers.Dense(8, activation="tanh", name="h1"),
                                   keras.layers.Dense(3, name="out")),
                    r"hidden layer 1 \('h1'\) is followed by the activation\(s\) \['tanh'\] "
                    r"before the next Dense layer 'out'; expected ReLU"),
    "sigmoid_layer": (lambda: _dense(keras.layers.Dense(8, name="h1"),
                                     keras.layers.Activation("sigmoid", name="act"),
                                     keras.layers.Dense(3, name="out")),
                      r"\['linear', 'sigmoid'\] before the next Dense layer 'out'"),
    "linear_hidden": (lambda: _dense(keras.layers.Dense(8, name="h1"),
                                     keras.layers.Dense(3, name="out")),
                      r"hidden layer 1 \('h1'\).*expected ReLU"),
    "relu_output": (lambda: _dense(keras.layers.Dense(8, activation="relu"),
                                   keras.layers.Dense(3, activation="relu", name="out")),
                    r"output layer 'out' has the activation\(s\) \['relu'\]; expected linear"),
    "dropout": (lambda: _dense(keras.layers.Dense(8, activation="relu"),
                               keras.layers.Dropout(0.5, name="drop"), keras.layers.Dense(3)),
                r"layer 'drop' is a Dropout"),
    "no_hidden": (lambda: _dense(keras.layers.Dense(3)), r"has 1 Dense layer\(s\)"),
    "activation_first": (lambda: _dense(keras.layers.Activation("relu", name="a0"),
                                        keras.layers.Dense(8, activation="relu"),
                                        keras.layers.Dense(3)),
                         r"layer 'a0' \(Activation\) comes before the first Dense layer"),
}


@pytest.mark.parametrize("kind", sorted(REFUSED_MODELS))
def test_refused_models_name_the_layer(kind):
    build, message = REFUSED_MODELS[kind]
    with pytest.raises(ValueError, match=message):
        check_analysable(build())


def _refusal(tmp_path, capsys, model, arrays, monkeypatch):
    model_path = _save(model, tmp_path / "model.keras")
    np.savez(tmp_path / "data.npz", **arrays)
    monkeypatch.setattr(cli, "_run", lambda *a: pytest.fail("expensive work started"))
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["analyse", str(model_path), str(tmp_path / "data.npz"), "--out",
                  str(tmp_path / "out"), "--prune"])
    assert exit_info.value.code == 2 and not (tmp_path / "out").exists()
    return capsys.readouterr().err


def test_cli_refuses_a_convolution_at_once(tmp_path, capsys, monkeypatch):
    model = keras.Sequential([keras.Input(shape=(12, 1)), keras.layers.Conv1D(4, 3, name="cv"),
                              keras.layers.Flatten(), keras.layers.Dense(3)])
    x, y = _data()
    err = _refusal(tmp_path, capsys, model, {"x": x, "y": y}, monkeypatch)
    assert "relusv analyse: error:" in err and "layer 'cv' is a Conv1D" in err


@pytest.mark.parametrize("case, message", [
    ("features", r"array 'x': expected shape \(N, 12\) \(the model's input layer takes 12 "
                 r"features\), got \(300, 7\)"),
    ("labels", r"array 'y': y must hold class indices in \[0, 3\), got values in \[1, 3\]"),
    ("missing", r"expected the arrays 'x' and 'y' \(or 'x_test' and 'y_test'\), found \['x'\]"),
    ("lengths", r"'x' has 300 rows but 'y' has 299 labels"),
    ("val_labels", r"has 'x_val' but no 'y_val'"),
])
def test_cli_refuses_bad_data_at_once(tmp_path, capsys, monkeypatch, case, message):
    x, y = _data()
    arrays = {"features": {"x": x[:, :7], "y": y}, "labels": {"x": x, "y": np.where(y == 0, 3, y)},
              "missing": {"x": x}, "lengths": {"x": x, "y": y[:-1]},
              "val_labels": {"x": x, "y": y, "x_val": x}}[case]
    err = _refusal(tmp_path, capsys, _sequential(), arrays, monkeypatch)
    assert re.search(message, err), err
    assert "data.npz" in err


def test_pruning_data_split_is_seeded_and_documented():
    x, y = _data(n=50)
    a = cli.pruning_data({"x": x, "y": y}, val_fraction=0.2, split_seed=3)
    b = cli.pruning_data({"x": x, "y": y}, val_fraction=0.2, split_seed=3)
    assert len(a["y_val"]) == 10 and len(a["y_test"]) == 40
    np.testing.assert_array_equal(a["x_val"], b["x_val"])
    np.testing.assert_array_equal(a["x_train"], a["x_test"])  # no x_train: retrain on the rest
    given = cli.pruning_data({"x": x, "y": y, "x_val": x[:5], "y_val": y[:5], "x_train": x[:9],
                              "y_train": y[:9]}, val_fraction=0.2, split_seed=3)
    assert len(given["y_val"]) == 5 and len(given["y_train"]) == 9 and len(given["y_test"]) == 50


def test_network_table_copes_with_a_pretrained_summary():
    summary = {"network": "mine", "dataset": "digits", "input_dim": 64, "classes": 10,
               "widths": [32, 16], "parameters": 2778, "optimizer": None, "learning_rate": None,
               "batch_size": None, "epochs": None, "seconds": None, "pretrained": "m.keras",
               "train_accuracy": 0.9, "val_accuracy": 0.8, "test_accuracy": 0.85}
    table = network_table([summary])
    assert table.loc[0, "widths"] == "32-16" and table.loc[0, "parameters"] == 2778
    assert table["epochs"].isna().all() and table["batch_size"].isna().all()
    assert "| mine | digits |" in to_markdown(table)


def _readme_blocks():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Your own network", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(\w+)\n(.*?)```", section, flags=re.S)
    assert [lang for lang, _ in blocks] == ["python", "sh"]
    return dict(blocks)


def test_readme_example_runs_as_written(tmp_path):
    blocks = _readme_blocks()
    env = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}"
                                 f"{os.environ['PATH']}", "TF_CPP_MIN_LOG_LEVEL": "2"}
    (tmp_path / "train.py").write_text(blocks["python"])
    subprocess.run([sys.executable, "train.py"], cwd=tmp_path, env=env, check=True,
                   timeout=300)
    result = subprocess.run(["bash", "-e", "-c", blocks["sh"]], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    out = tmp_path / "my_analysis"
    for name in ("bounds.csv", "widths.csv", "widths_paired.csv", "summary.md", "pruning.csv",
                 "provenance.json", "fig3_relu_singular_values.png"):
        assert (out / name).exists(), name
