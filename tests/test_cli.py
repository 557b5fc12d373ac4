"""`relusv analyse` on a user's Keras MLP: Sequential and functional models, the refusals (each
before any expensive work, naming the layer or the array), the model check of the library, the
table of a pretrained network's summary; the help and version; one run per output directory and
--overwrite; progress as a bar or as lines; TensorFlow's start-up messages hidden; --prune's
test accuracy on held-out points (random labels stay at chance). The README's and
docs/analyse.md's examples: tests/test_cli_docs.py; weights files: tests/test_foreign_weights.py;
Dropout and BatchNormalization: tests/test_inference_layers.py; the splits:
tests/test_analyse_data.py."""

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
        **{key: config["bounds"][key] for key in ("method", "tight_steps", "error_power",
                                                  "choose_start_at", "row_space",
                                                  "paper_reference")},
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
    assert "| C5 |" in summary and "- 3 iterations, from" in summary
    assert "60 test points (a seeded split of 'x'/'y' of data.npz" in summary
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
    "layer_norm": (lambda: _dense(keras.layers.Dense(8, activation="relu"),
                                  keras.layers.LayerNormalization(name="ln"),
                                  keras.layers.Dense(3)),
                   r"layer 'ln' is a LayerNormalization; expected only .*Dropout"),
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


def test_network_table_copes_with_a_pretrained_summary():
    summary = {"network": "mine", "dataset": "digits", "input_dim": 64, "classes": 10,
               "widths": [32, 16], "parameters": 2778, "optimizer": None, "learning_rate": None,
               "batch_size": None, "epochs": None, "seconds": None, "pretrained": "m.keras",
               "train_accuracy": 0.9, "val_accuracy": 0.8, "test_accuracy": 0.85}
    table = network_table([summary])
    assert table.loc[0, "widths"] == "32-16" and table.loc[0, "parameters"] == 2778
    assert table["epochs"].isna().all() and table["batch_size"].isna().all()
    assert "| mine | digits |" in to_markdown(table)


# --------------------------------------------------------------------------------------------
# the help, the version


def _option_helps(parser):
    analyse = parser._subparsers._group_actions[0].choices["analyse"]
    return analyse, [a for a in analyse._actions if a.option_strings or a.dest in ("model",
                                                                                     "data")]


def test_help_explains_every_option_once_and_marks_the_required():
    parser = cli._parser()
    analyse, actions = _option_helps(parser)
    text = analyse.format_help()
    for action in actions:
        assert action.help and len(action.help) > 10, action.dest  # every option explained
    assert "(default: None)" not in text and "``" not in text and ":func:" not in text
    for block in re.split(r"\n  (?=-)", text):  # one block per option
        assert block.count("default") <= 1, block
    options = text.split("\noptions:", 1)[1]
    out_help = re.search(r"--out DIR\s+(.*?)\n  -", options, flags=re.S).group(1)
    assert "(required)" in out_help and "default" not in out_help
    assert "(default: 500)" in text and "(default: 0.2)" in text  # --steps, --val-fraction
    assert "--overwrite" in text and "--verbose" in text and "--prune-data" in text
    assert max(len(line) for line in text.splitlines()) <= 100


@pytest.mark.parametrize("argv", [["--version"], ["analyse", "--version"]])
def test_version(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"relusv {__import__('relusv').__version__}"


# --------------------------------------------------------------------------------------------
# one run per output directory


def _weights_file(tmp_path, d=12, classes=3):
    """A Keras-free model file: _sequential()'s weights as a state_dict .npz."""
    model = _sequential(d, classes)
    arrays = {}
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    for i, layer in enumerate(dense):
        kernel, bias = (keras.ops.convert_to_numpy(w) for w in layer.weights)
        arrays[f"{2 * i}.weight"], arrays[f"{2 * i}.bias"] = kernel.T, bias
    np.savez(tmp_path / "weights.npz", **arrays)
    return tmp_path / "weights.npz"


def test_output_directory_holds_one_run_and_overwrite_removes_only_its_files(tmp_path, capsys):
    x, y = _data()
    model = _weights_file(tmp_path)
    np.savez(tmp_path / "data.npz", x=x, y=y)
    out = tmp_path / "out"
    base = ["analyse", str(model), str(tmp_path / "data.npz"), "--out", str(out), *FAST]
    prune = ["--prune", "--max-iterations", "1", "--retrain-batches", "1",
             "--retrain-batch-size", "16"]
    assert cli.main([*base, *prune]) == 0
    assert (out / "pruning.csv").exists() and (out / "fig5_harmonic_pruning.png").exists()
    before = sorted(p.name for p in out.iterdir())

    with pytest.raises(SystemExit) as exit_info:  # the same directory again: refused
        cli.main(base)
    assert exit_info.value.code == 2
    assert "an output directory holds one run" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == before

    (out / "notes.txt").write_text("mine")  # a file relusv does not write: never removed
    with pytest.raises(SystemExit):
        cli.main([*base, "--overwrite"])
    assert "['notes.txt'], which relusv analyse does not write" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "mine" and (out / "pruning.csv").exists()
    (out / "notes.txt").unlink()

    (out / ".bounds.0123456789abcdef0123456789abcdef.tmp.csv").write_text("killed run")
    assert cli.main([*base, "--overwrite"]) == 0  # without --prune: no pruning files left
    after = sorted(p.name for p in out.iterdir())
    assert "pruning.csv" not in after and "fig5_harmonic_pruning.png" not in after
    assert set(after) == set(before) - {"pruning.csv", "fig5_harmonic_pruning.pdf",
                                        "fig5_harmonic_pruning.png"}
    assert "removed 16 files of an earlier run" in capsys.readouterr().err
    assert set(cli.OUTPUT_FILES) >= set(before)


def test_a_file_as_out_and_a_missing_model_are_refused(tmp_path, capsys):
    np.savez(tmp_path / "data.npz", x=np.zeros((3, 2)), y=np.zeros(3))
    (tmp_path / "file").write_text("")
    for argv, message in [
        (["analyse", str(tmp_path / "data.npz"), str(tmp_path / "data.npz"), "--out",
          str(tmp_path / "file")], "is a file; expected a directory"),
        (["analyse", str(tmp_path / "none.keras"), str(tmp_path / "data.npz"), "--out",
          str(tmp_path / "o")], "none.keras: no such file"),
        (["analyse", str(tmp_path / "file"), str(tmp_path / "data.npz"), "--out",
          str(tmp_path / "o")], "expected a Keras model (.keras, .h5) or a state_dict"),
    ]:
        with pytest.raises(SystemExit):
            cli.main(argv)
        assert message in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# progress, TensorFlow's messages


def test_progress_is_a_bar_on_a_terminal_and_lines_elsewhere():
    import io

    from relusv.progress import Progress

    stream = io.StringIO()
    with Progress(2, bar=True, stream=stream) as progress:
        progress.stage("first")
        progress.advance()
        progress.status("second")
        progress.advance()
        progress.note("kept")
    text = stream.getvalue()
    assert "━" in text and "2/2" in text and "relusv: kept" in text

    stream = io.StringIO()
    with Progress(2, bar=False, stream=stream) as progress:
        progress.stage("first")
        progress.status("on the bar only")
        progress.advance(2)
        progress.note("kept")
    assert stream.getvalue() == "relusv: first\nrelusv: kept\n"
    assert Progress(1, stream=io.StringIO()).bar is False  # not a terminal: lines


def _run_quietly(tmp_path, *extra, env_extra=None):
    x, y = _data()
    _save(_sequential(), tmp_path / "model.keras")
    np.savez(tmp_path / "data.npz", x=x, y=y)
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run(
        [sys.executable, "-m", "relusv", "analyse", "model.keras", "data.npz", "--out",
         f"out{len(extra)}", *FAST, "--subsamples", "20", *extra],
        cwd=tmp_path, env={**env, **(env_extra or {})}, capture_output=True, text=True,
        timeout=300)


def test_tensorflow_start_up_messages_are_hidden_unless_verbose(tmp_path):
    quiet = _run_quietly(tmp_path)
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    noise = [line for line in quiet.stderr.splitlines() if not line.startswith("relusv: ")]
    assert noise == [], noise
    verbose = _run_quietly(tmp_path, "--verbose")
    assert verbose.returncode == 0, verbose.stderr[-3000:]
    assert re.search(r"absl|I0000|oneDNN|cuda", verbose.stderr), verbose.stderr[-2000:]


def test_tensorflow_is_imported_only_for_a_keras_model(tmp_path):
    x, y = _data()
    np.savez(tmp_path / "data.npz", x=x, y=y)
    _weights_file(tmp_path)
    code = ("import sys; from relusv import cli; "
            f"assert cli.main(['analyse', 'weights.npz', 'data.npz', '--out', 'o', "
            f"*{FAST!r}, '--subsamples', '20']) == 0; "
            "print(sorted(m for m in ('tensorflow', 'keras', 'torch') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "[]"


# --------------------------------------------------------------------------------------------
# --prune reports on held-out points


def test_prune_on_random_labels_reports_chance_test_accuracy(tmp_path):
    """A network that memorises random labels over 10 classes: retraining on the test points
    (the old behaviour) drives "test accuracy" to 1.0 within a few iterations; on held-out
    points it stays near chance (0.1)."""
    rng = np.random.default_rng(0)
    d, classes, n = 20, 10, 600
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(d,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(classes)])
    x = rng.standard_normal((n, d)).astype(np.float32)
    y = rng.integers(0, classes, n)
    out = _analyse(tmp_path, model, x, y, "--prune", "--max-iterations", "4",
                   "--retrain-every", "1", "--retrain-batches", "30", "--retrain-batch-size",
                   "64", "--pruning-learning-rate", "0.01")
    pruning = __import__("pandas").read_csv(out / "pruning.csv")
    assert pruning["retrained"].iloc[1:].all()
    assert (pruning["test_accuracy"] < 0.3).all(), pruning["test_accuracy"].tolist()
    summary = (out / "summary.md").read_text()
    final = float(re.search(r"test accuracy \S+ before pruning, (\S+) at the end",
                            summary).group(1))
    assert final < 0.3
    assert "360 retraining points" in summary and "120 validation points" in summary
    assert "120 test points" in summary and "held out" in summary


def test_prune_refuses_too_few_points_with_the_numbers(tmp_path, capsys, monkeypatch):
    x, y = _data(n=60)
    err = _refusal(tmp_path, capsys, _sequential(), {"x": x, "y": y}, monkeypatch)
    assert ("at least 20 points in each of its retraining, validation and test splits; got 36 "
            "retraining points") in err
    assert "12 validation points" in err and "12 test points" in err
