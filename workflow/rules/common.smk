# Config loading and validation, and the look-ups that several stages share.
import os

from snakemake.utils import validate

from relusv.config import (
    bounds_jobs,
    bounds_rank_part,
    check_config,
    network_replicates,
    network_seeds,
    replicate_entry,
    trace_config,
)
from relusv.from_scratch import architecture_at, group_seeds, seed_groups
from relusv.tidy import SUBSETS
from relusv_workflow.benchmarks import planned_jobs


# A configfile given on the command line replaces the full reproduction's config instead of
# being merged into it, so the demo never inherits the paper's networks.
if not workflow.overwrite_configfiles:

    configfile: os.path.join(workflow.basedir, "config", "config.yaml")


# The rules import the workflow's own library from src/, so they run in any environment that
# has the pinned dependencies: the repository's .venv, environment.yml, or --use-conda.
os.environ.update(PYTHONPATH=os.path.join(workflow.basedir, "src"))

validate(config, "../schemas/config.schema.yaml")
check_config(config)
# Only for tests/test_config_keys.py: records which config keys the workflow reads (a no-op
# unless the environment variable RELUSV_CONFIG_TRACE names a file).
config = trace_config(config)

# What the light rules (figures, tables, claims, benchmark summaries) ask for: one core, 1 GB,
# 10 minutes. Defined once so that the cluster profile and a reader see one number.
LIGHT_THREADS = 1
LIGHT_RESOURCES = {"mem_mb": 1000, "runtime": 10}

NETWORKS = sorted(config["networks"])
FIGURE_NETWORKS = list(config["figure_networks"])
APPENDIX_NETWORKS = [name for name in NETWORKS if name not in FIGURE_NETWORKS]
RAW_DIR = config["data"]["raw_dir"]
PRUNED_NETWORKS = list(config["pruning"]["networks"])
DATASETS = sorted(
    {net["dataset"] for net in config["networks"].values()}
    | {net["dataset"] for net in config["pruning"]["networks"].values()}
)


wildcard_constraints:
    seed=r"\d+",
    network="|".join(NETWORKS),
    dataset="|".join(DATASETS),
    pruned="|".join(PRUNED_NETWORKS) or "(?!)",


# Replicates: every network is trained, analysed and pruned once per seed of its config entry
# (`seed: 3` or `seed: [1, 2, 3]`); a replicate's files are under .../{network}/seed{seed}.
NETWORK_REPLICATES = network_replicates(config["networks"], NETWORKS)
PRUNED_REPLICATES = network_replicates(config["pruning"]["networks"])


def network_replicate(wildcards):
    """The config entry of network replicate ``({network}, {seed})``, with its one seed."""
    return replicate_entry(config["networks"], wildcards.network, wildcards.seed, "networks")


def replicate_outputs(pattern, names, networks=None, wildcard="network"):
    """Input function: ``pattern`` formatted for every replicate of ``names``, by name.

    ``networks`` is the config section of the names (default: ``networks``); each name maps to
    the list of its replicates' paths, in the order of its seeds.
    """
    networks = config["networks"] if networks is None else networks
    return {name: [pattern.format(**{wildcard: name}, seed=seed)
                   for seed in network_seeds(networks[name])] for name in names}


def replicates_of(pattern):
    """Input function for a ``{network}`` wildcard: the paths of that network's replicates."""
    return lambda wildcards: replicate_outputs(pattern, [wildcards.network])[wildcards.network]


def pruned_replicate_outputs(pattern):
    """Input function: ``pattern`` formatted for every replicate of every network to prune."""
    return replicate_outputs(pattern, PRUNED_NETWORKS, config["pruning"]["networks"], "pruned")


def all_replicates(pattern):
    """Every network replicate's path of ``pattern`` as one list (network order, then seeds)."""
    return [path for paths in replicate_outputs(pattern, NETWORKS).values() for path in paths]


def all_pruned_replicates(pattern):
    """Every pruned network replicate's path of ``pattern`` as one list."""
    return [path for paths in pruned_replicate_outputs(pattern).values() for path in paths]


def from_scratch_architecture(wildcards):
    """The from-scratch architecture ``{architecture}`` (an index into the config's list)."""
    return architecture_at(config["pruning"]["from_scratch"]["architectures"],
                           int(wildcards.architecture))


# The runs of one from_scratch_seeds job, a row per seed: {seeds} names a group of
# pruning.from_scratch.seeds (relusv.from_scratch.seed_groups).
FROM_SCRATCH_RUNS = "results/pruning/{pruned}/from_scratch/architecture{architecture}_seeds{seeds}.csv"


def from_scratch_runs(wildcards):
    """Every (architecture, seed group) job's runs of the from-scratch comparison of
    ``{pruned}``, in (architecture, seed) order."""
    from_scratch = config["pruning"]["from_scratch"]
    groups = seed_groups(from_scratch["seeds"], from_scratch["seeds_per_job"])
    return [FROM_SCRATCH_RUNS.format(pruned=wildcards.pruned, architecture=index, seeds=group)
            for index in range(len(from_scratch["architectures"])) for group in groups]


def bounds_parts(wildcards):
    """The bounds jobs of replicate ``({network}, {seed})``: per subset, per hidden layer, per
    part of its ranks (relusv.config.bounds_jobs)."""
    entry = config["networks"][wildcards.network]
    return [f"results/bounds/{wildcards.network}/seed{wildcards.seed}/"
            f"{subset}_layer{layer}_part{part}.csv" for subset in SUBSETS
            for layer, part in bounds_jobs(entry, config["bounds"]["ranks_per_job"])]


def bounds_rank_part_of(wildcards):
    """``rank_part`` of bounds job ``({layer}, {part})``: None, or (i, n) interleaved ranks."""
    return bounds_rank_part(config["networks"][wildcards.network], wildcards.layer,
                            wildcards.part, config["bounds"]["ranks_per_job"])


def network_dataset(wildcards):
    """The prepared data set that a network is trained on."""
    return f"results/data/{config['networks'][wildcards.network]['dataset']}.npz"


def pruned_network(wildcards):
    """The config entry of the double-layer network ``{pruned}`` (its ``seed`` as configured)."""
    return config["pruning"]["networks"][wildcards.pruned]


def pruned_replicate(wildcards):
    """The config entry of pruned network replicate ``({pruned}, {seed})``, with its one seed."""
    return replicate_entry(config["pruning"]["networks"], wildcards.pruned, wildcards.seed,
                           "pruning.networks")


def pruned_network_dataset(wildcards):
    """The prepared data set that a double-layer network is trained and pruned on."""
    return f"results/data/{config['pruning']['networks'][wildcards.pruned]['dataset']}.npz"


def benchmarked_jobs():
    """Benchmark file -> job, for every job of the target `all`."""
    benchmarked = [rule.name for rule in workflow.rules
                   if rule.benchmark and rule.name != "workflow_benchmarks"]
    return {
        getattr(rules, job["rule"]).benchmark.format(**job["wildcards"]): job
        for job in planned_jobs(config, benchmarked)
    }


# Networks given as a trained model (`pretrained:`) instead of trained here: the rule
# pretrained_network produces their results/training/{network}/ files, trained_network the others'.
PRETRAINED_NETWORKS = [name for name in NETWORKS if config["networks"][name].get("pretrained")]
TRAINED_NETWORKS = [name for name in NETWORKS if name not in PRETRAINED_NETWORKS]


def network_choice(names):
    """A wildcard constraint matching exactly ``names`` (none: a pattern that never matches)."""
    return "|".join(names) or "(?!)"
