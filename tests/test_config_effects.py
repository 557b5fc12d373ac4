"""A pruned network's learning_rate, p and init_target change what they say they change.

They used to reach the double-layer network's training only: harmonic pruning retrained, and
the from-scratch comparison trained, with the library's defaults whatever the config said. Each
key is changed alone, on a small pruning run of the demo's digits network: a dry run must
schedule exactly the rules that read it, and rerunning those rules must change their results.
"""

import pandas as pd
import pytest
from conftest import demo_config, run_snakemake, write_override

pytestmark = pytest.mark.slow

PRUNED = "digits_double"
SMALL = {"pruning": {
    "networks": {PRUNED: {"dataset": "digits", "widths": [12, 12, 12], "max_epochs": 3,
                          "patience": 5, "batch_size": 64, "seed": 11}},
    "max_iterations": 12,  # iteration 10 retrains
    "from_scratch": {"seeds": [0], "max_epochs": 2, "patience": 2},
}}
HARMONIC = f"results/pruning/{PRUNED}/seed11/harmonic_pruning.csv"
FROM_SCRATCH = f"results/pruning/{PRUNED}/from_scratch_runs.csv"
TIMING = ["seconds", "decision_seconds"]
CHANGES = {"learning_rate": 0.01, "p": 2, "init_target": "he"}


def overrides(tmp_path, key=None):
    spec = {**SMALL["pruning"]["networks"][PRUNED]}
    if key is not None:
        spec[key] = CHANGES[key]
    override = {"pruning": {**SMALL["pruning"], "networks": {PRUNED: spec}}}
    return demo_config(write_override(tmp_path / f"override_{key}.yaml", override))


def scheduled(workdir, config) -> set[str]:
    result = run_snakemake("-n", "--cores", "1", *config, "--directory", str(workdir),
                           HARMONIC, FROM_SCRATCH)
    lines = result.stdout.splitlines()
    if "Job stats:" not in lines:
        return set()
    rules = set()
    for line in lines[lines.index("Job stats:") + 3:]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        rules.add(parts[0])
    return rules - {"total"}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("effects")
    config = overrides(workdir)
    run_snakemake("--cores", "2", *config, "--directory", str(workdir), HARMONIC, FROM_SCRATCH)
    return workdir, pd.read_csv(workdir / HARMONIC), pd.read_csv(workdir / FROM_SCRATCH)


@pytest.mark.parametrize("key, rerun", [
    ("learning_rate", ["harmonic_pruning", "from_scratch_seeds"]),
    ("p", ["from_scratch_seeds"]),
    ("init_target", ["from_scratch_seeds"]),
])
def test_a_pruned_network_key_reruns_its_readers_and_changes_their_results(baseline, key,
                                                                          rerun):
    workdir, harmonic, from_scratch = baseline
    changed = overrides(workdir, key)
    # The double-layer network reads the key too, and harmonic pruning runs on its output, so
    # every rule of the two targets but data preparation reruns.
    assert scheduled(workdir, changed) == {"double_layer_network", "harmonic_pruning",
                                           "from_scratch_seeds", "from_scratch_comparison"}
    # Each rule that reads the key, rerun alone on the unchanged inputs, changes its result.
    targets = [HARMONIC] * ("harmonic_pruning" in rerun) + [FROM_SCRATCH]
    run_snakemake("--cores", "2", *changed, "--directory", str(workdir), *targets,
                  "--rerun-triggers", "mtime", "--allowed-rules", *rerun,
                  "from_scratch_comparison", "--forcerun", *rerun)
    if "harmonic_pruning" in rerun:
        after = pd.read_csv(workdir / HARMONIC).drop(columns=TIMING)
        assert not after.equals(harmonic.drop(columns=TIMING)), f"{key} left pruning unchanged"
    after = pd.read_csv(workdir / FROM_SCRATCH)
    assert not after["test_accuracy"].equals(from_scratch["test_accuracy"]) or \
        not after["val_accuracy"].equals(from_scratch["val_accuracy"]), \
        f"{key} left the from-scratch networks unchanged"
