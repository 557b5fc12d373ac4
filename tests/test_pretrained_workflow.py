"""The workflow on a network the user trained (``networks.<name>.pretrained``): the demo config
with one extra pretrained network (a directory of checkpoints and ``model.keras``) through
subsets, bounds, widths and its appendix figure, targets of that network only; a second one
given as a single ``.keras`` file only through the copy rule; and ``relusv analyse`` on the same
network and points gives the workflow's numbers."""

import json

import keras
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, demo_config, run_snakemake, write_override

from relusv import cli
from relusv.data import load_prepared

pytestmark = pytest.mark.slow

DEMO = yaml.safe_load((ROOT / "config" / "demo.yaml").read_text())


def _user_model(x, y, directory):
    """A functional model with its own layer names and a softmax output, checkpointed by hand
    as epoch_000 (initial), epoch_001, epoch_002, then saved as model.keras."""
    keras.utils.set_random_seed(5)
    inputs = keras.Input(shape=(x.shape[1],), name="pixels")
    h = keras.layers.Dense(24, activation="relu", name="encoder")(inputs)
    h = keras.layers.Dense(12, name="bottleneck")(h)
    h = keras.layers.Activation("relu", name="bottleneck_relu")(h)
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax", name="probs")(h))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    directory.mkdir()
    model.save_weights(directory / "epoch_000.weights.h5")
    for epoch in (1, 2):
        model.fit(x, y, epochs=1, batch_size=64, verbose=0)
        model.save_weights(directory / f"epoch_{epoch:03d}.weights.h5")
    model.save(directory / "model.keras")
    return model


def test_pretrained_network_through_the_workflow_and_the_cli(tmp_path):
    work = tmp_path / "work"
    run_snakemake("--cores", "1", *demo_config(), "--directory", str(work),
                  "results/data/digits.npz")
    data, _ = load_prepared(work / "results" / "data" / "digits.npz")
    user = _user_model(data["x_train"], data["y_train"], tmp_path / "user_mlp")
    user.save(tmp_path / "single.keras")
    override = write_override(tmp_path / "pretrained.yaml", {
        "networks": {"user_mlp": {"dataset": "digits", "pretrained": str(tmp_path / "user_mlp")},
                     "user_file": {"dataset": "digits",
                                   "pretrained": str(tmp_path / "single.keras")}}})
    targets = ["results/bounds/user_mlp/seed0.csv", "results/widths/user_mlp/seed0.csv",
               "figures/appendix/user_mlp.pdf", "results/training/user_file/seed0/summary.json"]
    run_snakemake("--cores", "2", *demo_config(override), "--directory", str(work), *targets)
    for target in targets:
        assert (work / target).exists(), target
    training = work / "results" / "training"
    summary = json.loads((training / "user_mlp/seed0/summary.json").read_text())
    assert summary["widths"] == [24, 12] and summary["epochs"] is None
    assert summary["optimizer"] is None and 0 < summary["test_accuracy"] <= 1
    checkpoints = (training / "user_file/seed0/checkpoints").glob("epoch_*.weights.h5")
    assert sorted(p.name for p in checkpoints) == ["epoch_000.weights.h5"]
    assert json.loads((training / "user_file/seed0/summary.json").read_text())["parameters"] == \
        summary["parameters"]
    widths = pd.read_csv(work / "results/widths/user_mlp/seed0.csv")
    assert sorted(widths["epoch"].unique()) == [0, 1, 2]

    # relusv analyse on the same model and the workflow's pool (subsets.pool: all = train, val,
    # test in that order), with the demo's settings: the same subsets, bounds and widths.
    pool = {key: np.concatenate([data[f"{key}_{s}"] for s in ("train", "val", "test")])
            for key in ("x", "y")}
    np.savez(tmp_path / "pool.npz", **pool)
    out = tmp_path / "cli"
    subsets, bounds, n_draws = DEMO["subsets"], DEMO["bounds"], DEMO["widths"]["n_draws"]
    assert cli.main(["analyse", str(tmp_path / "user_mlp" / "model.keras"),
                     str(tmp_path / "pool.npz"), "--out", str(out), "--name", "user_mlp",
                     "--max-size", str(subsets["max_size"]), "--min-size",
                     str(subsets["min_size"]), "--subset-seed", str(subsets["seed"]),
                     "--steps", str(bounds["steps"]), "--tight-steps",
                     str(bounds["tight_steps"]), "--paper-reference", "--n-draws",
                     str(n_draws)]) == 0
    workflow_subsets = np.load(work / "results/subsets/user_mlp/seed0.npz")
    cli_subsets = json.loads((out / "subsets.json").read_text())
    assert cli_subsets["size"] == len(workflow_subsets["incorrect"])
    # the workflow's tables name their replicate (seed 0: a pretrained network has one)
    pd.testing.assert_frame_equal(
        pd.read_csv(out / "bounds.csv"),
        pd.read_csv(work / "results/bounds/user_mlp/seed0.csv").drop(columns="seed"),
        check_exact=True)
    final = widths[widths["epoch"] == 2].drop(columns=["epoch", "seed"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        pd.read_csv(out / "widths.csv").drop(columns="epoch"), final, check_exact=True)
