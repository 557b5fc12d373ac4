"""Time and memory of the workflow's jobs, per job and rule, and estimates for configs not run.

Snakemake's ``benchmark:`` files are summarised per job and per rule, and the work of a
configuration that was not run is estimated from a probe.

Every rule of the workflow writes a benchmark file (a tab-separated table with one row per
repetition: wall seconds ``s``, peak resident memory ``max_rss`` in MiB, ``cpu_time`` in seconds
and more). :func:`planned_jobs` lists the jobs that ``snakemake`` (the target ``all``) runs for a
configuration, :func:`job_table` reads their benchmark files, and :func:`rule_table` sums them
per rule.

:func:`estimate_jobs` predicts the jobs of a target configuration (the full paper) from the jobs
measured on a *probe*: the same configuration restricted to one network per dataset. A job of a
network that was not run is predicted from the probe's job of the same rule on the network of
the same dataset, scaled by the ratio of the job's work (:func:`job_work`: epochs times
parameters for training, the batched Adam's products for the bounds, ...). The model is linear in
that work, with a floor at the probe's cheapest job of the rule (process start and imports);
every other job is taken as measured. The estimate names the probe job and the factor it used,
so it can be checked against a real run.
"""

from __future__ import annotations

import csv
import math
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

#: Which jobs each benchmarked rule has, by the configured names it runs over: ``"datasets"``,
#: ``"networks"``, ``"appendix_networks"``, ``"pruned"`` (the networks to prune), ``"once"`` (one
#: job) or ``"once_if_pruned"`` (one job when any network is pruned).
RULE_JOBS = {
    "raw_dataset": "datasets",
    "prepared_dataset": "datasets",
    "trained_network": "trained_networks",
    "pretrained_network": "pretrained_networks",
    "classified_subsets": "networks",
    "relu_singular_value_bounds": "networks",
    "gaussian_mean_widths": "networks",
    "random_layer_bounds": "once",
    "fig1_relu_layer": "once",
    "fig2_random_layers": "once",
    "fig3_relu_singular_values": "once",
    "fig4_gaussian_mean_width": "once",
    "appendix_figure": "appendix_networks",
    "training_tables": "once",
    "parameter_table": "once",
    "claims": "once",
    "double_layer_network": "pruned",
    "harmonic_pruning": "pruned",
    "pruning_baselines": "pruned",
    "from_scratch_comparison": "pruned",
    "fig5_harmonic_pruning": "once_if_pruned",
    "pruning_baselines_figure": "once_if_pruned",
    "from_scratch_table": "once_if_pruned",
}

#: The wildcard each kind of job set fills.
_WILDCARD = {"datasets": "dataset", "networks": "network", "trained_networks": "network",
             "pretrained_networks": "network", "appendix_networks": "network", "pruned": "pruned"}

#: Columns of :func:`job_table` and :func:`estimate_jobs`, and of :func:`rule_table`.
JOB_COLUMNS = ["rule", "job", "seconds", "cpu_seconds", "max_rss_mib", "mean_load"]
RULE_COLUMNS = ["rule", "jobs", "total_seconds", "median_seconds", "max_seconds",
                "peak_rss_mib", "share_percent"]


def _datasets(config: Mapping) -> list[str]:
    networks = [*config["networks"].values(), *config.get("pruning", {}).get("networks",
                                                                             {}).values()]
    return sorted({net["dataset"] for net in networks})


def _names(config: Mapping, job_set: str) -> list[str]:
    pruned = list(config.get("pruning", {}).get("networks", {}))
    networks = sorted(config["networks"])
    return {
        "datasets": _datasets(config),
        "networks": networks,
        "trained_networks": [n for n in networks if "pretrained" not in config["networks"][n]],
        "pretrained_networks": [n for n in networks if "pretrained" in config["networks"][n]],
        "appendix_networks": [n for n in networks if n not in config["figure_networks"]],
        "pruned": pruned,
        "once": [None],
        "once_if_pruned": [None] if pruned else [],
    }[job_set]


def planned_jobs(config: Mapping, rules: Sequence[str] | None = None) -> list[dict]:
    """The jobs of every benchmarked rule that the target ``all`` runs for ``config``.

    Parameters
    ----------
    config : mapping
        A validated workflow configuration.
    rules : sequence of str, optional
        The names of the workflow's rules that have a ``benchmark:``; a name missing from
        :data:`RULE_JOBS` raises, so a new rule cannot silently drop out of the summary.

    Returns
    -------
    list of dict
        ``{"rule": name, "wildcards": {wildcard: value}}`` in rule order, ``wildcards`` empty
        for a rule that runs once.
    """
    unknown = sorted(set(rules or ()) - set(RULE_JOBS))
    if unknown:
        raise ValueError(
            f"rules {unknown} have a benchmark: but no entry in relusv.workflow_benchmarks."
            "RULE_JOBS; add one that says which configured names they run over")
    jobs = []
    for rule in (RULE_JOBS if rules is None else [r for r in RULE_JOBS if r in rules]):
        job_set = RULE_JOBS[rule]
        for name in _names(config, job_set):
            wildcards = {} if name is None else {_WILDCARD[job_set]: name}
            jobs.append({"rule": rule, "wildcards": wildcards})
    return jobs


def job_label(wildcards: Mapping[str, str]) -> str:
    """``"network=mnist_100"`` for a job's wildcards, ``"-"`` for a rule that runs once."""
    return ",".join(f"{key}={value}" for key, value in wildcards.items()) or "-"


def read_benchmark(path: str | Path) -> dict[str, float]:
    """One Snakemake benchmark file, as the medians over its repetitions.

    Returns
    -------
    dict with ``seconds`` (wall), ``cpu_seconds``, ``max_rss_mib`` (peak resident memory) and
    ``mean_load`` (mean CPU load in percent of one core). Each is the median over the
    repetitions that measured it, NaN where none did: Snakemake samples memory and CPU about
    once a second, so a job shorter than that may have no sample ("NA") or one taken as the
    process exited (0 MiB resident, read as NaN).

    Raises
    ------
    ValueError
        If the file has no data row or lacks one of the columns ``s``, ``max_rss``,
        ``cpu_time``, ``mean_load``.
    """
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    needed = {"s": "seconds", "cpu_time": "cpu_seconds", "max_rss": "max_rss_mib",
              "mean_load": "mean_load"}
    if not rows or not set(needed) <= set(rows[0]):
        raise ValueError(
            f"{path}: not a Snakemake benchmark file (need a header with "
            f"{sorted(needed)} and one row per run); delete it and rerun its rule")

    def number(text: str) -> float:
        # Snakemake writes "NA" where psutil could not measure (e.g. a job shorter than its
        # sampling interval).
        try:
            return float(text)
        except ValueError:
            return math.nan

    def measured(column: str) -> float:
        values = [number(row[column]) for row in rows]
        if column == "max_rss":
            # A process sampled while it exits reads as 0 MiB resident: that is no
            # measurement, since a running process always holds memory.
            values = [math.nan if value <= 0 else value for value in values]
        values = [value for value in values if not math.isnan(value)]
        return statistics.median(values) if values else math.nan

    return {name: measured(column) for column, name in needed.items()}


def job_table(benchmarks: Mapping[str | Path, Mapping]) -> pd.DataFrame:
    """Read each job's benchmark file.

    Parameters
    ----------
    benchmarks : mapping
        Benchmark file -> ``{"rule": name, "wildcards": {...}}`` (a :func:`planned_jobs` entry).

    Returns
    -------
    DataFrame with columns :data:`JOB_COLUMNS`, one row per job, in the mapping's order.
    """
    rows = [{"rule": job["rule"], "job": job_label(job["wildcards"]), **read_benchmark(path)}
            for path, job in benchmarks.items()]
    return pd.DataFrame(rows, columns=JOB_COLUMNS)


def rule_table(jobs: pd.DataFrame) -> pd.DataFrame:
    """Per rule: number of jobs, total, median and largest wall seconds, largest peak memory
    (MiB) and the rule's share of all jobs' wall seconds (percent), most expensive rule first,
    and a last row ``all jobs`` with the sums (peak memory: the largest of any job).
    """
    if jobs.empty:
        raise ValueError("no jobs to summarise")
    grouped = jobs.groupby("rule", sort=False)
    table = pd.DataFrame({
        "jobs": grouped.size(),
        "total_seconds": grouped["seconds"].sum(),
        "median_seconds": grouped["seconds"].median(),
        "max_seconds": grouped["seconds"].max(),
        "peak_rss_mib": grouped["max_rss_mib"].max(),
    })
    total = table["total_seconds"].sum()
    table["share_percent"] = 100.0 * table["total_seconds"] / total
    table = table.sort_values("total_seconds", ascending=False, kind="stable").reset_index()
    overall = {"rule": "all jobs", "jobs": int(table["jobs"].sum()), "total_seconds": total,
               "median_seconds": jobs["seconds"].median(), "max_seconds": jobs["seconds"].max(),
               "peak_rss_mib": jobs["max_rss_mib"].max(), "share_percent": 100.0}
    return pd.concat([table, pd.DataFrame([overall])], ignore_index=True)[RULE_COLUMNS]


def _hidden_layers(input_dim: int, widths: Sequence[int]) -> list[tuple[int, int]]:
    """``(m, n)`` of every hidden layer."""
    sizes = [input_dim, *widths]
    return list(zip(sizes[1:], sizes[:-1], strict=True))


def job_work(rule: str, network: Mapping, config: Mapping) -> float:
    """The work of a network job of ``rule`` on ``network`` in arbitrary units, for comparing two
    networks of the same dataset (so dataset sizes cancel).

    - ``trained_network``: epochs times parameters (one forward and backward pass per sample);
    - ``classified_subsets``: parameters (one forward pass over the pool);
    - ``relu_singular_value_bounds``: per hidden layer ``(n' + m) r^2`` with ``n' = min(n, N)``,
      ``r = min(m, n')`` and ``N`` the subset size (``subsets.max_size``): one Adam step of
      rank ``k`` costs ``N k (n' + m)``, summed over ``k <= r``;
    - ``gaussian_mean_widths``: checkpoints (epochs) times (parameters plus ``n_draws`` times
      the summed widths): forward passes and the widths' products at every checkpoint;
    """
    from relusv.data import dataset_info
    from relusv.parameter_counts import dense_mlp_parameter_count

    if "pretrained" in network:
        raise ValueError(f"a pretrained network ({network['pretrained']}) has no widths and "
                         "epochs in the config to scale its work by: put it in the probe")
    info = dataset_info(network["dataset"])
    widths = network["widths"]
    parameters = dense_mlp_parameter_count(info.input_dim, widths, info.n_classes)
    if rule == "trained_network":
        return float(network["epochs"] * parameters)
    if rule == "classified_subsets":
        return float(parameters)
    if rule == "relu_singular_value_bounds":
        n_points = config["subsets"]["max_size"]
        return float(sum((min(n, n_points) + m) * min(m, n, n_points) ** 2
                         for m, n in _hidden_layers(info.input_dim, widths)))
    if rule == "gaussian_mean_widths":
        return float(network["epochs"] * (parameters + config["widths"]["n_draws"] * sum(widths)))
    raise ValueError(f"rule {rule!r} has no work model; it must run once per network")


#: Network rules whose work does not depend on the network (plotting a fixed set of curves).
_SAME_WORK_FOR_EVERY_NETWORK = {"appendix_figure"}


def _typical_job(probe: pd.DataFrame, rule: str, label: str) -> dict:
    """A job of ``rule`` estimated as the probe's median job of that rule."""
    jobs = probe[probe["rule"] == rule]
    if jobs.empty:
        raise ValueError(f"the probe has no job of rule {rule}; run it in the probe")
    return {"rule": rule, "job": label, "seconds": jobs["seconds"].median(),
            "max_rss_mib": jobs["max_rss_mib"].median(),
            "from_job": f"{rule} (median of {len(jobs)})", "scale": 1.0}


def estimate_jobs(probe: pd.DataFrame, target_config: Mapping) -> pd.DataFrame:
    """Predict every job of ``target_config`` from the jobs measured on a probe.

    Parameters
    ----------
    probe : DataFrame
        :func:`job_table` of a run of ``target_config`` restricted to (at least) one network per
        dataset, with the same settings otherwise.
    target_config : mapping
        The configuration to estimate.

    A job the probe ran is taken as measured. A network job it did not run is the probe's job of
    the same rule on the network of the same dataset, times the ratio of :func:`job_work`,
    floored at the probe's cheapest job of the rule; an appendix figure is the probe's median
    appendix figure. Peak memory is the probe job's.

    Returns
    -------
    DataFrame with columns ``rule``, ``job``, ``seconds``, ``max_rss_mib``, ``from_job`` (the
    probe job it is based on) and ``scale`` (the work ratio applied, 1 for measured jobs).

    Raises
    ------
    ValueError
        If a job of the target cannot be matched: its rule is missing from the probe, or no
        probe network has its dataset.
    """
    measured = {(row.rule, row.job): row for row in probe.itertuples(index=False)}
    networks = target_config["networks"]
    probe_networks = {}
    for row in probe.itertuples(index=False):
        if row.rule == "trained_network":
            name = row.job.removeprefix("network=")
            if name not in networks:
                raise ValueError(f"probe network {name!r} is not in the target configuration")
            probe_networks.setdefault(networks[name]["dataset"], name)
    floors = probe.groupby("rule")["seconds"].min().to_dict()
    rows = []
    for job in planned_jobs(target_config):
        rule, label = job["rule"], job_label(job["wildcards"])
        if (rule, label) in measured:
            source, scale = measured[(rule, label)], 1.0
        else:
            name = job["wildcards"].get("network")
            if name is None:
                raise ValueError(f"the probe has no job {rule} {label}; run it in the probe")
            if rule in _SAME_WORK_FOR_EVERY_NETWORK:
                rows.append(_typical_job(probe, rule, label))
                continue
            dataset = networks[name]["dataset"]
            if dataset not in probe_networks:
                raise ValueError(f"no probe network on dataset {dataset!r} (needed for {name}); "
                                 "add one network per dataset to the probe")
            base = probe_networks[dataset]
            if (rule, f"network={base}") not in measured:
                raise ValueError(f"the probe has no job {rule} network={base}")
            source = measured[(rule, f"network={base}")]
            scale = (job_work(rule, networks[name], target_config)
                     / job_work(rule, networks[base], target_config))
        seconds = max(source.seconds * scale, floors.get(rule, 0.0))
        rows.append({"rule": rule, "job": label, "seconds": seconds,
                     "max_rss_mib": source.max_rss_mib,
                     "from_job": f"{source.rule} {source.job}", "scale": scale})
    return pd.DataFrame(rows)


def probe_config(config: Mapping) -> dict:
    """``config`` restricted to one network per dataset: the figure networks first, then the
    first other network (by name) of each dataset not yet covered. Networks to prune are kept.
    """
    networks = config["networks"]
    chosen = {}
    for name in [*config["figure_networks"], *sorted(networks)]:
        chosen.setdefault(networks[name]["dataset"], name)
    kept = set(chosen.values())
    probe = {**config, "networks": {n: v for n, v in networks.items() if n in kept}}
    probe["figure_networks"] = [n for n in config["figure_networks"] if n in kept]
    return probe


def wall_seconds_lower_bound(jobs: pd.DataFrame, cores: int) -> float:
    """A lower bound on the wall seconds of running ``jobs`` on ``cores`` cores: the larger of
    the summed CPU-bound work spread over the cores and the longest single job."""
    if cores < 1:
        raise ValueError(f"cores must be at least 1, got {cores}")
    return max(jobs["seconds"].sum() / cores, jobs["seconds"].max())


__all__ = [
    "JOB_COLUMNS",
    "RULE_COLUMNS",
    "RULE_JOBS",
    "wall_seconds_lower_bound",
    "estimate_jobs",
    "job_label",
    "job_table",
    "job_work",
    "planned_jobs",
    "probe_config",
    "read_benchmark",
    "rule_table",
]
