"""Time and memory of the workflow's jobs, per job and rule, and estimates for configs not run.

Snakemake's ``benchmark:`` files are summarised per job and per rule, and the work of a
configuration that was not run is estimated from a probe.

Every rule of the workflow writes a benchmark file (a tab-separated table with one row per
repetition: wall seconds ``s``, peak resident memory ``max_rss`` in MiB, ``cpu_time`` in seconds
and more). :func:`planned_jobs` lists the jobs that ``snakemake`` (the target ``all``) runs for a
configuration, one per replicate (network, seed) where a rule runs per network, :func:`job_table`
reads their benchmark files, and :func:`rule_table` sums them per rule.

:func:`estimate_jobs` predicts the jobs of a target configuration (the full paper) from the jobs
measured on a *probe* (:func:`probe_config`): the same configuration restricted to one network
per dataset and one replicate per network. Another replicate of a probe job (a different
``seed``) is taken as that job. A job of a network that was not run is predicted
from the probe's job of the same rule (and subset and layer) on the network of the same dataset,
scaled by the ratio of the job's work (:func:`job_work`: epochs times parameters for training,
one layer's batched Adam products for a part of the bounds, ...). The model is linear in that
work, with a floor at the probe's cheapest job of the rule (process start and imports). The
estimate names the probe job and the factor it used, so it can be checked against a real run.
How long those jobs take on some cores is :mod:`relusv_workflow.schedule`'s.
"""

from __future__ import annotations

import csv
import math
import statistics
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from relusv.config import bounds_jobs, network_replicates, network_seeds
from relusv.from_scratch import seed_groups
from relusv.tidy import SUBSETS

#: Which jobs each benchmarked rule has, by the configured names it runs over (see
#: :func:`_job_wildcards`): ``"datasets"``; ``"trained_replicates"``,
#: ``"pretrained_replicates"`` and ``"replicates"`` (every (network, seed) of the networks
#: trained here, given as a model, or both); ``"bounds_parts"`` (every replicate's (subset,
#: layer)); ``"appendix_networks"`` (one job per appendix network, over all its replicates);
#: ``"pruned_replicates"`` (every (pruned, seed)); ``"from_scratch_groups"`` (every pruned
#: network's architecture and group of seeds, :func:`relusv.from_scratch.seed_groups`);
#: ``"pruned"`` (the networks to prune); ``"once"`` (one job) or ``"once_if_pruned"`` (one job
#: when any network is pruned).
RULE_JOBS = {
    "raw_dataset": "datasets",
    "prepared_dataset": "datasets",
    "trained_network": "trained_replicates",
    "pretrained_network": "pretrained_replicates",
    "classified_subsets": "replicates",
    "relu_singular_value_bounds_part": "bounds_parts",
    "relu_singular_value_bounds": "replicates",
    "gaussian_mean_widths": "replicates",
    "width_subsamples": "replicates",
    "random_layer_bounds": "once",
    "fig1_relu_layer": "once",
    "fig2_random_layers": "once",
    "fig3_relu_singular_values": "once",
    "fig4_gaussian_mean_width": "once",
    "appendix_figure": "appendix_networks",
    "training_tables": "once",
    "parameter_table": "once",
    "bounds_table": "once",
    "claims": "once",
    "replicates_table": "once",
    "double_layer_network": "pruned_replicates",
    "harmonic_pruning": "pruned_replicates",
    "pruning_baselines": "pruned_replicates",
    "from_scratch_seeds": "from_scratch_groups",
    "from_scratch_comparison": "pruned",
    "fig5_harmonic_pruning": "once_if_pruned",
    "pruning_baselines_figure": "once_if_pruned",
    "from_scratch_table": "once_if_pruned",
}


#: Wildcards that number replicates: jobs that differ only in them do the same work.
_SEED_WILDCARDS = ("seed",)

#: Columns of :func:`job_table` and :func:`estimate_jobs`, and of :func:`rule_table`.
JOB_COLUMNS = ["rule", "job", "seconds", "cpu_seconds", "max_rss_mib", "mean_load"]
RULE_COLUMNS = ["rule", "jobs", "total_seconds", "median_seconds", "max_seconds",
                "peak_rss_mib", "share_percent"]


def _datasets(config: Mapping) -> list[str]:
    networks = [*config["networks"].values(), *config.get("pruning", {}).get("networks",
                                                                             {}).values()]
    return sorted({net["dataset"] for net in networks})


def _replicates(networks: Mapping, names, key: str = "network") -> list[dict[str, str]]:
    return [{key: name, "seed": str(seed)} for name, seed in network_replicates(networks, names)]


def _job_wildcards(config: Mapping, job_set: str) -> list[dict[str, str]]:
    """The wildcards of every job of a kind of :data:`RULE_JOBS`, as Snakemake formats them
    (strings), in the order the workflow lists them."""
    pruning = config.get("pruning", {})
    pruned = pruning.get("networks", {})
    networks = config["networks"]
    names = sorted(networks)
    pretrained = [n for n in names if "pretrained" in networks[n]]
    if job_set == "datasets":
        return [{"dataset": dataset} for dataset in _datasets(config)]
    if job_set in ("replicates", "trained_replicates", "pretrained_replicates"):
        chosen = {"replicates": names, "pretrained_replicates": pretrained,
                  "trained_replicates": [n for n in names if n not in pretrained]}[job_set]
        return _replicates(networks, chosen)
    if job_set == "bounds_parts":
        ranks_per_job = config["bounds"]["ranks_per_job"]
        return [{**replicate, "subset": subset, "layer": layer, "part": part}
                for replicate in _replicates(networks, names)
                for subset in SUBSETS
                for layer, part in bounds_jobs(networks[replicate["network"]], ranks_per_job)]
    if job_set == "appendix_networks":
        return [{"network": n} for n in names if n not in config["figure_networks"]]
    if job_set == "pruned_replicates":
        return _replicates(pruned, list(pruned), key="pruned")
    if job_set == "from_scratch_groups":
        from_scratch = pruning.get("from_scratch", {}) if pruned else {}
        groups = (seed_groups(from_scratch.get("seeds", ()), from_scratch["seeds_per_job"])
                  if pruned else [])
        return [{"pruned": name, "architecture": str(index), "seeds": group}
                for name in pruned
                for index in range(len(from_scratch.get("architectures", ())))
                for group in groups]
    if job_set == "pruned":
        return [{"pruned": name} for name in pruned]
    if job_set == "once":
        return [{}]
    if job_set == "once_if_pruned":
        return [{}] if pruned else []
    raise ValueError(f"unknown kind of job set {job_set!r} in RULE_JOBS")


def planned_jobs(config: Mapping, rules: Sequence[str] | None = None) -> list[dict]:
    """The jobs of every benchmarked rule that the target ``all`` runs for ``config``.

    Parameters
    ----------
    config : mapping
        A validated workflow configuration. A network's ``seed`` (in ``networks`` and
        ``pruning.networks``) is an int or a list of ints, one replicate each.
    rules : sequence of str, optional
        The names of the workflow's rules that have a ``benchmark:``; a name missing from
        :data:`RULE_JOBS` raises, so a new rule cannot silently drop out of the summary.

    Returns
    -------
    list of dict
        ``{"rule": name, "wildcards": {wildcard: value}}`` in rule order, the values strings as
        Snakemake formats them (``{"network": "mnist_100", "seed": "1"}``), ``wildcards``
        empty for a rule that runs once.
    """
    unknown = sorted(set(rules or ()) - set(RULE_JOBS))
    if unknown:
        raise ValueError(
            f"rules {unknown} have a benchmark: but no entry in relusv_workflow.benchmarks."
            "RULE_JOBS; add one that says which configured names they run over")
    return [{"rule": rule, "wildcards": wildcards}
            for rule in (RULE_JOBS if rules is None else [r for r in RULE_JOBS if r in rules])
            for wildcards in _job_wildcards(config, RULE_JOBS[rule])]


def job_label(wildcards: Mapping[str, str]) -> str:
    """``"network=mnist_100,seed=1"`` for a job's wildcards, ``"-"`` for a rule that runs once."""
    return ",".join(f"{key}={value}" for key, value in wildcards.items()) or "-"


def label_wildcards(label: str) -> dict[str, str]:
    """The wildcards of a :func:`job_label` (``"-"``: none)."""
    if label == "-":
        return {}
    pairs = [item.partition("=") for item in label.split(",")]
    if not all(sep for _, sep, _ in pairs):
        raise ValueError(f"{label!r} is not a job label (key=value pairs joined by ',', or '-')")
    return {key: value for key, _, value in pairs}


def job_key(rule: str, wildcards: Mapping[str, str], drop=()) -> tuple:
    """A job's identity: its rule and wildcards (less those named in ``drop``) in any order."""
    return rule, tuple(sorted((k, str(v)) for k, v in wildcards.items() if k not in drop))
def read_benchmark(path: str | Path) -> dict[str, float]:
    """One Snakemake benchmark file, as the medians over its repetitions.

    Returns
    -------
    dict with ``seconds`` (wall), ``cpu_seconds``, ``max_rss_mib`` (peak resident memory) and
    ``mean_load`` (mean CPU load in percent of one core). Each is the median over the
    repetitions that measured it, NaN where none did: Snakemake samples memory and CPU once a
    second for the first 30 s of a job and every 30 s after that, so a job shorter than a
    second may have no sample ("NA") or one taken as the process exited (0 MiB resident, read
    as NaN), and a longer job's ``cpu_seconds`` and ``mean_load`` miss what it did after its
    last sample (up to 30 s of CPU: a 42 s job may show a third of its CPU time). ``seconds``
    is exact.

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


def job_work(rule: str, network: Mapping, config: Mapping, layer: int | str | None = None
             ) -> float:
    """The work of a network job of ``rule`` on ``network`` in arbitrary units, for comparing two
    networks of the same dataset (so dataset sizes cancel).

    - ``trained_network``: epochs times parameters (one forward and backward pass per sample);
    - ``classified_subsets``: parameters (one forward pass over the pool);
    - ``relu_singular_value_bounds_part``: hidden layer ``layer`` (1 is the first) alone,
      ``(n' + m) r^2`` with ``n' = min(n, N)``, ``r = min(m, n')`` and ``N`` the subset size
      (``subsets.max_size``): one Adam step of rank ``k`` costs ``N k (n' + m)``, summed over
      ``k <= r``; with the tight bounds in the row space of ``W`` (``bounds.method: tight``,
      ``row_space: true``) ``n' = min(n, N, m)``;
    - ``gaussian_mean_widths``: checkpoints (epochs) times (parameters plus ``n_draws`` times
      the summed widths): forward passes and the widths' products at every checkpoint;
    - ``width_subsamples``: parameters plus ``subsamples`` times ``n_draws`` times the summed
      widths: one forward pass and the widths' products of every subsample, final checkpoint.
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
    if rule == "relu_singular_value_bounds_part":
        layers = _hidden_layers(info.input_dim, widths)
        if layer is None or not str(layer).isdigit() or not 1 <= int(layer) <= len(layers):
            raise ValueError(f"a bounds part needs its layer, 1 to {len(layers)}; got {layer!r}")
        m, n = layers[int(layer) - 1]
        n_points = config["subsets"]["max_size"]
        # a job is one of the layer's parts of interleaved ranks, which cost about the same
        parts = sum(lay == str(layer) for lay, _ in
                    bounds_jobs(network, config["bounds"]["ranks_per_job"]))
        bounds = config["bounds"]
        coordinates = min(n, n_points)
        if bounds["method"] == "tight" and bounds["row_space"]:
            coordinates = min(coordinates, m)  # the row space of W has rank <= m
        return float((coordinates + m) * min(m, n, n_points) ** 2) / parts
    if rule == "gaussian_mean_widths":
        return float(network["epochs"] * (parameters + config["widths"]["n_draws"] * sum(widths)))
    if rule == "width_subsamples":
        widths_config = config["widths"]
        return float(parameters + widths_config["subsamples"] * widths_config["n_draws"]
                     * sum(widths))
    raise ValueError(f"rule {rule!r} has no work model; it must run once per network")


#: Rules that run per network but whose work does not depend on the network's size: plotting a
#: fixed set of curves, gathering the bounds' parts into one table.
_SAME_WORK_FOR_EVERY_NETWORK = {"appendix_figure", "relu_singular_value_bounds"}


def _typical_job(probe: pd.DataFrame, rule: str, label: str) -> dict:
    """A job of ``rule`` estimated as the probe's median job of that rule."""
    jobs = probe[probe["rule"] == rule]
    if jobs.empty:
        raise ValueError(f"the probe has no job of rule {rule}; run it in the probe")
    return {"rule": rule, "job": label, "seconds": jobs["seconds"].median(),
            "max_rss_mib": jobs["max_rss_mib"].median(),
            "from_job": f"{rule} (median of {len(jobs)})", "scale": 1.0}


class UnmeasuredRulesWarning(UserWarning):
    """Rules of the target that the probe did not time: their jobs are left out of the estimate."""


def unmeasured_rules(probe: pd.DataFrame, target_config: Mapping) -> dict[str, int]:
    """``{rule: number of jobs}`` of the rules that ``target_config`` runs and the probe has no
    job of (a probe of an older version of the workflow, before the rule existed), in rule order.
    """
    timed = set(probe["rule"])
    counts: dict[str, int] = {}
    for job in planned_jobs(target_config):
        if job["rule"] not in timed:
            counts[job["rule"]] = counts.get(job["rule"], 0) + 1
    return counts


def estimate_jobs(probe: pd.DataFrame, target_config: Mapping) -> pd.DataFrame:
    """Predict every job of ``target_config`` from the jobs measured on a probe.

    Parameters
    ----------
    probe : DataFrame
        :func:`job_table` of a run of ``target_config`` restricted to (at least) one network per
        dataset and (at least) one replicate of each, with the same settings otherwise
        (:func:`probe_config`).
    target_config : mapping
        The configuration to estimate.

    A job the probe ran is taken as measured, and so is a job that differs from a probe job only
    in its replicate (``seed``): the probe's first such job. A network job of a
    network the probe did not run is the probe's job of the same rule (and subset and layer) on
    the network of the same dataset, times the ratio of :func:`job_work`, floored at the probe's
    cheapest job of the rule; a job of a rule whose work does not depend on the network (an
    appendix figure, a gather of the bounds' parts) is the probe's median job of the rule. Peak
    memory is the probe job's.

    A rule that the probe did not time at all (:func:`unmeasured_rules`: the probe ran an older
    version of the workflow) is *unmeasured*: its jobs are not guessed from another rule but left
    out of the estimate, with an :class:`UnmeasuredRulesWarning` naming each such rule and its
    number of jobs. The estimate is then short by those jobs' time: a lower estimate until the
    probe is rerun. (Pass the same rules to :func:`relusv_workflow.schedule.graph_seconds` as
    ``unmeasured`` to simulate the schedule without them.)

    Returns
    -------
    DataFrame with columns ``rule``, ``job``, ``seconds``, ``max_rss_mib``, ``from_job`` (the
    probe job it is based on) and ``scale`` (the work ratio applied, 1 for jobs taken as
    measured).

    Raises
    ------
    ValueError
        If a job of a rule the probe timed cannot be matched: no probe network has its dataset,
        or the probe network has no job of its layer.
    """
    unmeasured = unmeasured_rules(probe, target_config)
    if unmeasured:
        warnings.warn(
            "the probe has no job of rules " + ", ".join(
                f"{rule} ({count} job{'s' * (count != 1)})" for rule, count in unmeasured.items())
            + ": they are unmeasured and left out of the estimate (it ran an older version of "
            "the workflow; rerun the probe to include them)", UnmeasuredRulesWarning,
            stacklevel=2)
    exact, replicas = {}, {}
    for row in probe.itertuples(index=False):
        wildcards = label_wildcards(row.job)
        exact[job_key(row.rule, wildcards)] = row
        replicas.setdefault(job_key(row.rule, wildcards, _SEED_WILDCARDS), row)
    networks = target_config["networks"]
    probe_networks = {}
    for row in probe.itertuples(index=False):
        if row.rule == "trained_network":
            name = label_wildcards(row.job)["network"]
            if name not in networks:
                raise ValueError(f"probe network {name!r} is not in the target configuration")
            probe_networks.setdefault(networks[name]["dataset"], name)
    floors = probe.groupby("rule")["seconds"].min().to_dict()
    rows = []
    for job in planned_jobs(target_config):
        rule, wildcards = job["rule"], job["wildcards"]
        if rule in unmeasured:
            continue
        label = job_label(wildcards)
        source = exact.get(job_key(rule, wildcards))
        if source is None:
            source = replicas.get(job_key(rule, wildcards, _SEED_WILDCARDS))
        if source is not None:
            rows.append({"rule": rule, "job": label, "seconds": source.seconds,
                         "max_rss_mib": source.max_rss_mib,
                         "from_job": f"{source.rule} {source.job}", "scale": 1.0})
            continue
        name = wildcards.get("network")
        if name is None:
            raise ValueError(f"the probe has no job {rule} {label} (nor another replicate of "
                             "it); run it in the probe")
        if rule in _SAME_WORK_FOR_EVERY_NETWORK:
            rows.append(_typical_job(probe, rule, label))
            continue
        dataset = networks[name]["dataset"]
        if dataset not in probe_networks:
            raise ValueError(f"no probe network on dataset {dataset!r} (needed for {name}); "
                             "add one network per dataset to the probe")
        base = probe_networks[dataset]
        # a bounds job is scaled from the probe's first part of the same subset and layer
        like = {**wildcards, "network": base, **({"part": "1"} if "part" in wildcards else {})}
        source = replicas.get(job_key(rule, like, _SEED_WILDCARDS))
        if source is None:
            raise ValueError(
                f"the probe has no job {rule} {job_label(like)} to "
                f"scale {label} from; give the probe a network of {dataset} with as many "
                "hidden layers")
        layer = wildcards.get("layer")
        scale = (job_work(rule, networks[name], target_config, layer)
                 / job_work(rule, networks[base], target_config, layer))
        rows.append({"rule": rule, "job": label,
                     "seconds": max(source.seconds * scale, floors[rule]),
                     "max_rss_mib": source.max_rss_mib,
                     "from_job": f"{source.rule} {source.job}", "scale": scale})
    return pd.DataFrame(rows)


def probe_config(config: Mapping) -> dict:
    """``config`` restricted to what sizes every job: one network per dataset (the figure
    networks first, then the first other network, by name, of each dataset not yet covered),
    one replicate of each (its first seed) and of each network to prune. All networks to prune
    and all from-scratch architectures and seeds are kept: a from-scratch job trains all the
    seeds of its architecture at once and runs until the last of them stops early, so a probe
    with fewer seeds would time a different job.
    """
    def first_replicate(entry: Mapping) -> dict:
        return {**entry, "seed": network_seeds(entry)[0]}

    networks = config["networks"]
    chosen = {}
    for name in [*config["figure_networks"], *sorted(networks)]:
        chosen.setdefault(networks[name]["dataset"], name)
    kept = set(chosen.values())
    probe = {**config, "networks": {n: first_replicate(v) for n, v in networks.items()
                                    if n in kept}}
    probe["figure_networks"] = [n for n in config["figure_networks"] if n in kept]
    if "pruning" in config:
        pruning = probe["pruning"] = {**config["pruning"]}
        pruning["networks"] = {n: first_replicate(v)
                               for n, v in pruning.get("networks", {}).items()}
    return probe


__all__ = [
    "JOB_COLUMNS",
    "RULE_COLUMNS",
    "RULE_JOBS",
    "UnmeasuredRulesWarning",
    "estimate_jobs",
    "job_key",
    "job_label",
    "job_table",
    "job_work",
    "label_wildcards",
    "planned_jobs",
    "probe_config",
    "read_benchmark",
    "rule_table",
    "unmeasured_rules",
]
