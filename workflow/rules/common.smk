# Config loading and validation, and the look-ups that several stages share.
import os

from snakemake.utils import validate

from relusv.config import check_config, trace_config
from relusv.workflow_benchmarks import planned_jobs


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
    network="|".join(NETWORKS),
    dataset="|".join(DATASETS),
    pruned="|".join(PRUNED_NETWORKS) or "(?!)",


def network_dataset(wildcards):
    """The prepared data set that a network is trained on."""
    return f"results/data/{config['networks'][wildcards.network]['dataset']}.npz"


def pruned_network(wildcards):
    """The config entry of the double-layer network ``{pruned}``."""
    return config["pruning"]["networks"][wildcards.pruned]


def pruned_network_dataset(wildcards):
    """The prepared data set that a double-layer network is trained and pruned on."""
    return f"results/data/{config['pruning']['networks'][wildcards.pruned]['dataset']}.npz"


def pruned_outputs(pattern):
    """Input function: ``pattern`` formatted for every network to prune, by name."""
    return {name: pattern.format(pruned=name) for name in PRUNED_NETWORKS}


def network_outputs(pattern):
    """Input function: ``pattern`` formatted for every configured network, by name."""
    return {name: pattern.format(network=name) for name in NETWORKS}


def figure_network_outputs(pattern):
    return {name: pattern.format(network=name) for name in FIGURE_NETWORKS}


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
