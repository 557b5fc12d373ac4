"""The config schema and cross-key checks reject bad configs with a message naming the key."""

import copy

import pytest
import yaml
from conftest import ROOT, run_snakemake
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from relusv.config import (
    ConfigError,
    check_config,
    network_replicates,
    network_seeds,
    replicate_entry,
)
from relusv.data import DATASETS

SCHEMA = str(ROOT / "workflow" / "schemas" / "config.schema.yaml")


def load(name):
    return yaml.safe_load((ROOT / "config" / name).read_text())


def validated(config):
    config = copy.deepcopy(config)
    validate(config, SCHEMA)
    check_config(config)
    return config


@pytest.mark.parametrize("name", ["config.yaml", "demo.yaml"])
def test_shipped_configs_are_valid(name):
    validated(load(name))


def test_defaults_are_filled_in():
    config = validated({"networks": {"a": {"dataset": "wine", "widths": [4]},
                                     "b": {"dataset": "iris", "widths": [4]}},
                        "figure_networks": ["a", "b"]})
    assert config["bounds"] == {"steps": 500, "learning_rate": 0.1, "approximant_bias": "free",
                                "method": "tight", "tight_steps": 200, "error_power": 3,
                                "choose_start_at": 25, "row_space": True,
                                "paper_reference": False,
                                "tolerance": 1e-4, "patience": 75, "ranks_per_job": 50}
    assert config["networks"]["a"]["epochs"] == 20
    assert config["widths"]["split_at"] == "final"
    assert config["data"]["sources"] == {}


def test_schema_datasets_are_the_library_registry():
    schema = yaml.safe_load(open(SCHEMA))
    assert sorted(schema["$defs"]["dataset"]["enum"]) == sorted(DATASETS)


def _set(path, value):
    def change(config):
        *parents, last = path
        node = config
        for key in parents:
            node = node.setdefault(key, {})
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value
    return change


_DELETE = object()

# (what is wrong, change to the demo config, text the message must contain)
BAD_CONFIGS = [
    ("unknown top-level key", _set(["epochs"], 3), "epochs"),
    ("unknown network key", _set(["networks", "wine_16", "dropout"], 0.5), "dropout"),
    ("unknown dataset", _set(["networks", "wine_16", "dataset"], "svhn"), "svhn"),
    ("zero width", _set(["networks", "wine_16", "widths"], [16, 0, 16]), "widths"),
    ("negative width", _set(["networks", "wine_16", "widths"], [-4]), "widths"),
    ("width not an integer", _set(["networks", "wine_16", "widths"], [16.5]), "widths"),
    ("empty widths", _set(["networks", "wine_16", "widths"], []), "widths"),
    ("empty network list", _set(["networks"], {}), "networks"),
    ("widths missing", _set(["networks", "wine_16", "widths"], _DELETE), "widths"),
    ("epochs zero", _set(["networks", "wine_16", "epochs"], 0), "epochs"),
    ("batch size a string", _set(["networks", "wine_16", "batch_size"], "64"), "batch_size"),
    ("seed not an integer", _set(["networks", "wine_16", "seed"], 1.5), "seed"),
    ("empty seed list", _set(["networks", "wine_16", "seed"], []), "seed"),
    ("a seed twice", _set(["networks", "wine_16", "seed"], [3, 3]), "seed"),
    ("negative replicate seed", _set(["networks", "wine_16", "seed"], [3, -1]), "seed"),
    ("pruned seed list of strings", _set(["pruning", "networks", "digits_double", "seed"],
                                         ["a"]), "seed"),
    # a pretrained network is one model: several seeds would be one model counted n times
    ("pretrained replicates", _set(["networks", "wine_16"], {
        "dataset": "wine", "pretrained": "model.keras", "seed": [1, 2]}), "networks.wine_16.seed"),
    ("negative learning rate", _set(["networks", "wine_16", "learning_rate"], -0.1),
     "learning_rate"),
    ("subset size 0", _set(["subsets", "max_size"], 0), "max_size"),
    ("unknown pool", _set(["subsets", "pool"], "holdout"), "pool"),
    ("approximant bias", _set(["bounds", "approximant_bias"], "learned"), "approximant_bias"),
    ("bounds steps zero", _set(["bounds", "steps"], 0), "steps"),
    ("unknown bounds method", _set(["bounds", "method"], "exact"), "method"),
    ("tight steps zero", _set(["bounds", "tight_steps"], 0), "tight_steps"),
    ("error power below 1", _set(["bounds", "error_power"], 0.5), "error_power"),
    ("paper reference not a boolean", _set(["bounds", "paper_reference"], "yes"),
     "paper_reference"),
    # the bounds are deterministic: a seed there would change nothing, so it is refused
    ("bounds seed", _set(["bounds", "seed"], 0), "seed"),
    ("n_draws negative", _set(["widths", "n_draws"], -5), "n_draws"),
    ("split_at unknown", _set(["widths", "split_at"], "initial"), "split_at"),
    ("one figure network", _set(["figure_networks"], ["digits_32"]), "figure_networks"),
    ("figure network unknown", _set(["figure_networks"], ["digits_32", "mnist"]),
     "figure_networks"),
    ("random layer shape of three", _set(["random_layers", "shapes"], [[2, 2, 2]]), "shapes"),
    ("random layer dimension 1", _set(["random_layers", "shapes"], [[1, 3]]), "shapes"),
    ("validation fraction 1", _set(["data", "validation_fraction"], 1.0),
     "validation_fraction"),
    ("bad sha256", _set(["data", "sources"], {"wine": {"path": "x", "sha256": "abc"}}), "abc"),
    ("source without path or url", _set(["data", "sources"], {"wine": {"sha256": None}}),
     "wine"),
    ("network name with a dash", _set(["networks", "wine-16"], {"dataset": "wine",
                                                                "widths": [4]}), "wine-16"),
    ("plot dpi too low", _set(["plot", "dpi"], 10), "dpi"),
]


@pytest.mark.parametrize("what, change, expected", BAD_CONFIGS,
                         ids=[case[0] for case in BAD_CONFIGS])
def test_bad_config_is_rejected_naming_the_key(what, change, expected):
    config = load("demo.yaml")
    change(config)
    with pytest.raises((WorkflowError, ConfigError)) as error:
        validated(config)
    message = str(error.value)
    assert expected in message, f"{what}: message does not name {expected!r}: {message}"


def test_bad_config_stops_snakemake_before_any_job(tmp_path):
    config = load("demo.yaml")
    config["networks"]["wine_16"]["widths"] = [16, 0, 16]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    result = run_snakemake("--cores", "1", "--configfile", str(path), "--directory",
                           str(tmp_path), check=False)
    assert result.returncode != 0
    assert "widths" in result.stderr + result.stdout
    assert not (tmp_path / "results").exists(), "a job ran despite the invalid config"


def test_full_paper_dag_builds_without_data(tmp_path):
    result = run_snakemake("-n", "--cores", "1", "--directory", str(tmp_path))
    # three replicates of the two figure networks, one of the four others; bounds per subset
    # and layer; three replicates of each pruned network, the from-scratch runs once
    for rule, count in [("trained_network", 10), ("relu_singular_value_bounds", 10),
                        ("relu_singular_value_bounds_part", 132),
                        ("gaussian_mean_widths", 10), ("raw_dataset", 4),
                        ("appendix_figure", 4), ("claims", 1), ("replicates_table", 1),
                        ("harmonic_pruning", 6), ("from_scratch_seeds", 6),
                        ("from_scratch_comparison", 2)]:
        assert any(line.split() == [rule, str(count)] for line in result.stdout.splitlines()), (
            f"dry run does not schedule {count} {rule} jobs:\n{result.stdout[-3000:]}")


def test_a_seed_list_is_one_replicate_per_seed():
    config = validated(load("demo.yaml"))
    assert network_seeds(config["networks"]["digits_32"]) == [1, 101]
    assert network_seeds(config["networks"]["wine_16"]) == [3]  # one integer: one replicate
    assert network_replicates(config["networks"], ["wine_16", "digits_32"]) == [
        ("wine_16", 3), ("digits_32", 1), ("digits_32", 101)]
    entry = replicate_entry(config["networks"], "digits_32", "101", "networks")
    assert entry["seed"] == 101 and entry["widths"] == [32, 32, 32]
    with pytest.raises(ConfigError, match=r"networks.digits_32: seed 7 is not one of its "
                                          r"replicates \[1, 101\]"):
        replicate_entry(config["networks"], "digits_32", "7", "networks")
