"""The workflow's job graph as Snakemake plans it, and simulated runs of it on some cores.

:func:`workflow_graph` reads the job graph from Snakemake's own dry runs (``--d3dag`` for the
dependencies, the dry run's job listing for each job's wildcards, threads and benchmark file), so
the graph is never a second implementation of the rules. :func:`graph_seconds` puts a job table
on it (measured, :func:`relusv_workflow.benchmarks.job_table`, or estimated,
:func:`relusv_workflow.benchmarks.estimate_jobs`), and :func:`simulate_schedule` runs it
through a list scheduler on ``cores`` cores, as ``snakemake --cores`` starts every job whose
inputs exist and whose threads fit the free cores: the makespan, a lower bound and the critical
path (:func:`critical_path`, the longest chain of dependent jobs).
"""

from __future__ import annotations

import heapq
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from relusv_workflow.benchmarks import job_key, job_label, label_wildcards

#: ``--cores`` of the planning dry runs: Snakemake reports a job's threads capped at the cores,
#: so plan with more cores than any rule asks for; :func:`simulate_schedule` caps them again.
PLANNING_CORES = 1024

_JOB_HEADER = re.compile(r"^(?:local)?(?:rule|checkpoint) (\S+):$")
_JOB_FIELD = re.compile(r"^    (\w+): (.*)$")


@dataclass(frozen=True)
class JobGraph:
    """The jobs that Snakemake plans for a target, and their dependencies.

    Attributes
    ----------
    jobs : DataFrame
        Indexed by Snakemake's ``jobid``; columns ``rule``, ``job`` (:func:`job_label` of its
        wildcards), ``threads`` (as Snakemake would give them) and ``benchmark`` (the job's
        benchmark file, ``""`` for a rule without one, such as ``all``).
    edges : tuple of (int, int)
        ``(dependency, dependent)`` jobids: the dependent job starts after its dependency ends.
    """

    jobs: pd.DataFrame
    edges: tuple[tuple[int, int], ...]


def parse_d3dag(text: str) -> tuple[dict[int, str], list[tuple[int, int]]]:
    """The jobs and dependencies in the output of ``snakemake --dry-run --d3dag``.

    Returns
    -------
    ``({jobid: rule}, [(dependency jobid, dependent jobid), ...])``.

    Raises
    ------
    ValueError
        If ``text`` holds no JSON line with ``nodes`` and ``edges`` (``u`` before ``v``), the
        format Snakemake 8 and 9 print.
    """
    for line in text.splitlines():
        if line.startswith("{"):
            graph = json.loads(line)
            break
    else:
        raise ValueError("no JSON line in the output: not what `snakemake --dry-run --d3dag` "
                         "prints (was --d3dag given?)")
    if not {"nodes", "edges"} <= set(graph):
        raise ValueError(f"the --d3dag JSON has keys {sorted(graph)}, not nodes and edges; this "
                         "parser reads the format of Snakemake 8 and 9")
    nodes = {int(node["id"]): node["value"]["rule"] for node in graph["nodes"]}
    edges = [(int(edge["u"]), int(edge["v"])) for edge in graph["edges"]]
    return nodes, edges


def parse_dry_run(text: str) -> pd.DataFrame:
    """The jobs listed by ``snakemake --dry-run`` (its ``rule NAME:`` blocks).

    Returns
    -------
    DataFrame indexed by ``jobid`` with columns ``rule``, ``job`` (the label of its
    ``wildcards:``), ``threads`` (1 where the block has no ``threads:``) and ``benchmark``
    (``""`` where it has none).

    Raises
    ------
    ValueError
        If a job block has no ``jobid:`` or the text lists no job.
    """
    blocks, current = [], None
    for line in text.splitlines():
        header = _JOB_HEADER.match(line)
        field = _JOB_FIELD.match(line)
        if header:
            current = {"rule": header.group(1)}
            blocks.append(current)
        elif field and current is not None:
            current[field.group(1)] = field.group(2).strip()
        else:
            # A block's fields are its indented lines; anything else ends it.
            current = None
    if not blocks:
        raise ValueError("no `rule NAME:` job blocks in the output: not a `snakemake --dry-run` "
                         "listing (was --quiet given?)")
    rows = []
    for block in blocks:
        if "jobid" not in block:
            raise ValueError(f"the dry run's block of rule {block['rule']} has no jobid")
        wildcards = dict(item.partition("=")[::2] for item in block["wildcards"].split(", ")
                         ) if block.get("wildcards") else {}
        rows.append({"jobid": int(block["jobid"]), "rule": block["rule"],
                     "job": job_label(wildcards), "threads": int(block.get("threads", 1)),
                     "benchmark": block.get("benchmark", "")})
    return pd.DataFrame(rows).set_index("jobid").sort_index()


def _dry_run(command: list[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"`{' '.join(command)}` failed ({result.returncode}):\n"
                           f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def workflow_graph(snakefile: str | Path, configfiles: Sequence[str | Path],
                   target: str = "all") -> JobGraph:
    """The job graph that Snakemake plans for ``target`` from scratch (an empty directory).

    Runs two dry runs (nothing is executed, nothing downloaded): ``--d3dag`` for the
    dependencies and the plain listing for each job's wildcards, threads and benchmark file,
    and checks that both planned the same jobs.

    Parameters
    ----------
    snakefile : path
        The workflow's ``Snakefile``.
    configfiles : sequence of paths
        Given to ``--configfile`` in order (later ones override keys of earlier ones).
    target : str
        The rule or file to plan.

    Raises
    ------
    RuntimeError
        If a dry run fails (its output is in the message).
    ValueError
        If the two dry runs disagree on the jobs.
    """
    with tempfile.TemporaryDirectory(prefix="relusv_dag_") as workdir:
        # The target goes first: --configfile takes every argument up to the next option.
        command = [sys.executable, "-m", "snakemake", target, "--snakefile", str(snakefile),
                   "--directory", workdir, "--dry-run", "--nocolor",
                   "--cores", str(PLANNING_CORES), "--configfile", *map(str, configfiles)]
        nodes, edges = parse_d3dag(_dry_run([*command, "--d3dag"]))
        jobs = parse_dry_run(_dry_run(command))
    if nodes != jobs["rule"].to_dict():
        raise ValueError("the --d3dag and the listing dry runs planned different jobs (their "
                         "jobids or rules differ); is the workflow deterministic?")
    return JobGraph(jobs=jobs, edges=tuple(edges))


def graph_seconds(graph: JobGraph, jobs: pd.DataFrame, unmeasured: Collection[str] = ()
                  ) -> pd.Series:
    """Each job's seconds in ``graph`` from a job table, matched by rule and wildcards.

    Parameters
    ----------
    graph : JobGraph
    jobs : DataFrame
        :func:`job_table` or :func:`estimate_jobs` rows (``rule``, ``job``, ``seconds``).
    unmeasured : collection of str
        Rules whose jobs the table leaves out on purpose
        (:func:`relusv_workflow.benchmarks.unmeasured_rules`): their jobs take 0 seconds, as
        ``all`` does, so the schedule is short by their time.

    Returns
    -------
    Series of seconds indexed by jobid; 0 for a job without a benchmark file (``all``) or of an
    ``unmeasured`` rule.

    Raises
    ------
    ValueError
        If a job with a benchmark file has no row, or a row has no job in the graph: the
        job table was made for another configuration, or :data:`RULE_JOBS` and the workflow
        disagree.
    """
    table = {}
    for row in jobs.itertuples(index=False):
        key = job_key(row.rule, label_wildcards(row.job))
        if key in table:
            raise ValueError(f"the job table has job {row.rule} {row.job} twice")
        table[key] = float(row.seconds)
    seconds, missing = {}, []
    for jobid, node in graph.jobs.iterrows():
        key = job_key(node["rule"], label_wildcards(node["job"]))
        if key in table:
            seconds[jobid] = table.pop(key)
        elif node["benchmark"] and node["rule"] not in unmeasured:
            missing.append(f"{node['rule']} {node['job']}")
        else:
            seconds[jobid] = 0.0
    if missing or table:
        extra = [f"{rule} {job_label(dict(wildcards))}" for rule, wildcards in table]
        raise ValueError(
            f"the job table and Snakemake's plan disagree: {len(missing)} jobs of the plan have "
            f"no row (first: {missing[:3]}), {len(extra)} rows are not in the plan (first: "
            f"{extra[:3]}); compare planned_jobs (RULE_JOBS) with the workflow's rules")
    return pd.Series(seconds, dtype=float).sort_index()


def _topological_order(graph: JobGraph) -> tuple[list[int], dict, dict]:
    """Jobids in an order where every dependency comes first, and each job's dependencies
    and dependents."""
    jobids = list(graph.jobs.index)
    dependencies = {job: [] for job in jobids}
    dependents = {job: [] for job in jobids}
    for before, after in graph.edges:
        dependencies[after].append(before)
        dependents[before].append(after)
    waiting = {job: len(dependencies[job]) for job in jobids}
    order = [job for job in jobids if not waiting[job]]
    for job in order:  # grows while it is walked
        for after in dependents[job]:
            waiting[after] -= 1
            if not waiting[after]:
                order.append(after)
    if len(order) != len(jobids):
        raise ValueError("the job graph has a cycle")
    return order, dependencies, dependents


def critical_path(graph: JobGraph, seconds: Mapping[int, float]) -> tuple[float, list[int]]:
    """The longest chain of dependent jobs: no number of cores runs the graph faster.

    Returns
    -------
    ``(seconds, jobids)``: the chain's summed seconds and its jobs, first to last.
    """
    order, dependencies, _ = _topological_order(graph)
    finish, previous = {}, {}
    for job in order:
        before = max(dependencies[job], key=lambda dep: (finish[dep], -dep), default=None)
        previous[job] = before
        finish[job] = seconds[job] + (finish[before] if before is not None else 0.0)
    last = max(order, key=lambda job: (finish[job], -job))
    path = [last]
    while previous[path[-1]] is not None:
        path.append(previous[path[-1]])
    return finish[last], path[::-1]


@dataclass(frozen=True)
class Schedule:
    """A simulated run of a job graph on some cores.

    Attributes
    ----------
    cores : int
    makespan : float
        Seconds from the first job's start to the last job's end.
    lower_bound : float
        No schedule is shorter: the larger of the critical path and the jobs' core-seconds
        (seconds times threads) over the cores.
    critical_seconds : float
        The critical path's length (:func:`critical_path`).
    critical_path : DataFrame
        Its jobs, first to last: ``jobid``, ``rule``, ``job``, ``threads``, ``seconds``,
        ``start`` and ``end`` (in this schedule).
    jobs : DataFrame
        Every job, indexed by jobid: ``rule``, ``job``, ``threads`` (capped at the cores),
        ``seconds``, ``start``, ``end``.
    """

    cores: int
    makespan: float
    lower_bound: float
    critical_seconds: float
    critical_path: pd.DataFrame
    jobs: pd.DataFrame


def simulate_schedule(graph: JobGraph, seconds: Mapping[int, float], cores: int,
                      threads: Mapping[int, int] | None = None,
                      priority: str = "longest_path") -> Schedule:
    """Run the jobs of ``graph`` on ``cores`` cores, as ``snakemake --cores`` does: whenever a
    job ends, start every job whose dependencies have ended and whose threads fit the free
    cores, in order of ``priority``.

    Parameters
    ----------
    graph : JobGraph
    seconds : mapping
        Jobid -> wall seconds (:func:`graph_seconds`); taken as independent of the load.
    cores : int
        At least 1. A job's threads are capped at it, as Snakemake caps them.
    threads : mapping, optional
        Jobid -> cores the job occupies; default the graph's (the rules' ``threads:``).
    priority : ``"longest_path"`` or ``"jobid"``
        Which ready jobs start first: those heading the longest remaining chain (what a
        scheduler that knew the durations would pick), or Snakemake's job order (a
        duration-blind choice, as Snakemake's own, which does not know them).

    Returns
    -------
    Schedule
    """
    if cores < 1:
        raise ValueError(f"cores must be at least 1, got {cores}")
    if priority not in ("longest_path", "jobid"):
        raise ValueError(f"priority must be 'longest_path' or 'jobid', got {priority!r}")
    order, dependencies, dependents = _topological_order(graph)
    threads = graph.jobs["threads"].to_dict() if threads is None else dict(threads)
    need = {job: min(max(int(threads[job]), 1), cores) for job in order}
    remaining = {}  # seconds from a job's start to the end of its longest chain of dependents
    for job in reversed(order):
        remaining[job] = seconds[job] + max((remaining[d] for d in dependents[job]), default=0.0)
    rank = ((lambda job: (-remaining[job], job)) if priority == "longest_path"
            else (lambda job: job))
    waiting = {job: len(dependencies[job]) for job in order}
    ready = [job for job in order if not waiting[job]]
    running, free, now = [], cores, 0.0
    start, end = {}, {}
    while ready or running:
        blocked = []
        for job in sorted(ready, key=rank):
            if need[job] <= free:
                free -= need[job]
                start[job], end[job] = now, now + seconds[job]
                heapq.heappush(running, (end[job], job))
            else:
                blocked.append(job)
        ready = blocked
        now, job = heapq.heappop(running)
        finished = [job]
        while running and running[0][0] == now:
            finished.append(heapq.heappop(running)[1])
        for job in finished:
            free += need[job]
            for after in dependents[job]:
                waiting[after] -= 1
                if not waiting[after]:
                    ready.append(after)
    table = graph.jobs[["rule", "job"]].copy()
    table["threads"] = pd.Series(need)
    table["seconds"] = pd.Series(dict(seconds), dtype=float)
    table["start"], table["end"] = pd.Series(start), pd.Series(end)
    critical_seconds, path = critical_path(graph, seconds)
    core_seconds = float((table["seconds"] * table["threads"]).sum())
    return Schedule(
        cores=cores, makespan=float(table["end"].max()),
        lower_bound=max(critical_seconds, core_seconds / cores),
        critical_seconds=critical_seconds,
        critical_path=table.loc[path].rename_axis("jobid").reset_index(), jobs=table)


__all__ = [
    "PLANNING_CORES",
    "JobGraph",
    "Schedule",
    "critical_path",
    "graph_seconds",
    "parse_d3dag",
    "parse_dry_run",
    "simulate_schedule",
    "workflow_graph",
]
