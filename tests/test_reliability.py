"""Crashes and damaged files: nothing computed is lost, nothing half-written is taken as finished.

These tests run the real workflow in temporary directories and kill it with SIGKILL, as a
cluster's out-of-memory killer or a pre-empted node would.
"""

import os
import random
import re
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, demo_config, run_snakemake, write_override

from relusv.models import build_mlp
from relusv.training import checkpoint_files, load_checkpoint

pytestmark = pytest.mark.slow

DEMO = demo_config()
TRAINING = "results/training/digits_32/seed1"


def start_snakemake(workdir, *targets):
    """Start the workflow in its own process group, so that a kill reaches its jobs too."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.Popen(
        [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--cores",
         "2", *DEMO, "--directory", str(workdir), *targets],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True)


def kill_when(process, condition, timeout=300):
    """SIGKILL the whole process group as soon as ``condition()`` holds; False if it finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGKILL)
    raise AssertionError("the condition to kill at never held")


def finish(workdir, *targets):
    """What a user does after a crash: unlock the directory and run again."""
    run_snakemake("--unlock", *DEMO, "--directory", str(workdir))
    return run_snakemake("--cores", "2", *DEMO, "--directory", str(workdir), *targets)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted run of training, bounds and widths for one network."""
    workdir = tmp_path_factory.mktemp("reference")
    run_snakemake("--cores", "2", *DEMO, "--directory", str(workdir),
                  "results/bounds/digits_32/seed1.csv", "results/widths/digits_32/seed1.csv")
    return workdir


def assert_same_training(workdir, reference):
    for (epoch, path), (_, expected) in zip(
            checkpoint_files(workdir / TRAINING / "checkpoints"),
            checkpoint_files(reference / TRAINING / "checkpoints"), strict=True):
        model = load_checkpoint(build_mlp(64, [32, 32, 32], 10), path)
        reference_model = load_checkpoint(build_mlp(64, [32, 32, 32], 10), expected)
        for got, want in zip(model.get_weights(), reference_model.get_weights(), strict=True):
            np.testing.assert_array_equal(got, want, err_msg=f"epoch {epoch} differs")
    pd.testing.assert_frame_equal(
        pd.read_csv(workdir / TRAINING / "history.csv").drop(columns="seconds"),
        pd.read_csv(reference / TRAINING / "history.csv").drop(columns="seconds"))


def test_training_killed_at_random_moments_resumes_to_the_same_weights(tmp_path, reference):
    rng = random.Random(20201)
    resume = tmp_path / TRAINING / "resume" / "checkpoints"
    kills = 0
    for _ in range(3):
        wait_for_epoch = rng.randint(1, 10)
        delay = rng.uniform(0, 0.08)
        process = start_snakemake(tmp_path, f"{TRAINING}/summary.json")

        def reached(epoch=wait_for_epoch, delay=delay):
            if not (resume / f"epoch_{epoch:03d}.weights.h5").exists():
                return False
            time.sleep(delay)
            return True

        kills += kill_when(process, reached)
        run_snakemake("--unlock", *DEMO, "--directory", str(tmp_path))
    assert kills >= 1, "training always finished before it could be killed"
    finish(tmp_path, f"{TRAINING}/summary.json")
    assert not (tmp_path / TRAINING / "resume").exists()
    assert_same_training(tmp_path, reference)


def test_a_rule_killed_mid_run_is_recomputed_and_nothing_partial_survives(tmp_path, reference):
    target = "results/bounds/digits_32/seed1/correct_layer3_part1.csv"
    log = tmp_path / "logs/bounds/digits_32/seed1/correct_layer3_part1.log"
    process = start_snakemake(tmp_path, target)
    killed = kill_when(process, lambda: log.exists() and "bounds of layer 3" in log.read_text())
    assert killed
    assert not (tmp_path / target).exists(), "a killed rule left its output under the final name"
    finish(tmp_path, target)
    assert not list((tmp_path / "results" / "bounds").rglob(".*tmp*")), "temporary files remain"
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / target),
                                  pd.read_csv(reference / target), check_exact=True)


def test_pruning_killed_mid_run_resumes_at_its_last_iteration(tmp_path):
    """A killed harmonic_pruning job resumes from its state and ends with the same rows."""
    target = "results/pruning/digits_double/seed11/harmonic_pruning.csv"
    state = tmp_path / "results/pruning/digits_double/seed11/pruning_resume/pruning_state.npz"
    log = tmp_path / "logs/pruning/harmonic_pruning/digits_double/seed11.log"
    process = start_snakemake(tmp_path, target)
    assert kill_when(process, lambda: state.exists() and "iteration 8:" in log.read_text())
    def iterations_logged():
        return len(re.findall(r"iteration \d+: ranks", log.read_text()))

    killed_at = iterations_logged()
    finish(tmp_path, target)
    total = len(pd.read_csv(tmp_path / target))
    assert iterations_logged() < killed_at + total, "the rerun started over from iteration 0"
    reference = tmp_path / "reference"
    run_snakemake("--cores", "2", *DEMO, "--directory", str(reference), target)
    first, second = (pd.read_csv(d / target) for d in (tmp_path, reference))
    timing = [c for c in first.columns if "seconds" in c]
    pd.testing.assert_frame_equal(first.drop(columns=timing), second.drop(columns=timing),
                                  check_exact=True)


def test_damaged_checkpoint_is_named_and_nothing_downstream_runs(tmp_path, reference):
    workdir = tmp_path / "run"
    subprocess.run(["cp", "-a", str(reference), str(workdir)], check=True)
    checkpoint = workdir / TRAINING / "checkpoints" / "epoch_005.npz"  # what the widths read
    checkpoint.write_bytes(checkpoint.read_bytes()[:500])
    result = run_snakemake("--cores", "2", *DEMO, "--directory", str(workdir), "--forcerun",
                           "gaussian_mean_widths", "results/widths/digits_32/seed1.csv",
                           check=False)
    assert result.returncode != 0
    log = (workdir / "logs/widths/digits_32/seed1.log").read_text()
    assert "cannot read network weights" in log and "epoch_005.npz" in log
    assert not (workdir / "results/widths/digits_32/seed1.csv").exists()


def test_truncated_dataset_is_named_and_nothing_downstream_runs(tmp_path):
    run_snakemake("--cores", "1", *DEMO, "--directory", str(tmp_path), "results/data/wine.npz")
    data = tmp_path / "results" / "data" / "wine.npz"
    data.write_bytes(data.read_bytes()[:300])
    result = run_snakemake("--cores", "2", *DEMO, "--directory", str(tmp_path),
                           "results/training/wine_16/seed3/summary.json", check=False)
    assert result.returncode != 0
    log = (tmp_path / "logs/training/wine_16/seed3.log").read_text()
    assert "wine.npz" in log
    assert not (tmp_path / "results/training/wine_16/seed3/model.keras").exists()


def test_too_few_misclassified_points_warns_and_marks_not_measurable(tmp_path):
    override = write_override(tmp_path / "override.yaml", {"subsets": {"min_size": 100000}})
    result = run_snakemake("--cores", "2", *demo_config(override), "--directory", str(tmp_path),
                           "results/bounds/wine_16/seed3.csv")
    assert result.returncode == 0
    summary = pd.read_json(tmp_path / "results/subsets/wine_16/seed3.json", typ="series")
    assert not summary["measurable"] and "min_size" in summary["reason"]
    assert "not measurable" in (tmp_path / "logs/subsets/wine_16/seed3.log").read_text()
    bounds = pd.read_csv(tmp_path / "results/bounds/wine_16/seed3.csv")
    assert set(bounds["subset"]) == {"correct"}


def test_checkpoint_helpers_reject_gaps_and_damage(tmp_path):
    model = build_mlp(4, [3], 2)
    model.save_weights(tmp_path / "epoch_000.weights.h5")
    (tmp_path / "epoch_002.weights.h5").write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match="without gaps"):
        checkpoint_files(tmp_path)
    with pytest.raises(ValueError, match="epoch_002.weights.h5"):
        load_checkpoint(model, tmp_path / "epoch_002.weights.h5")
    other = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="weight shapes"):
        load_checkpoint(other, tmp_path / "epoch_000.weights.h5")
