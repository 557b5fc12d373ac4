"""relusv_workflow.schedule: the job graph from Snakemake's dry runs, and simulated schedules."""

import json

import pandas as pd
import pytest
from conftest import ROOT, validated_config

from relusv_workflow import benchmarks as wb
from relusv_workflow import schedule as ws

#: Two job blocks of `snakemake --dry-run` (Snakemake 9), as it prints them.
DRY_RUN = """\
Building DAG of jobs...
Job stats:
job                 count
----------------  -------
all                     1
trained_network         1
total                   2


[Tue Dec  1 23:27:04 2026]
rule trained_network:
    input: results/data/digits.npz
    output: results/training/digits_32/seed1/model.keras, results/training/digits_32/seed1/summary
    log: logs/training/digits_32/seed1.log
    jobid: 6
    benchmark: results/benchmarks/training/digits_32/seed1.tsv
    reason: Missing output files: results/training/digits_32/seed1/model.keras
    wildcards: network=digits_32, seed=1
    threads: 2
    resources: tmpdir=/tmp, runtime=240, mem_mb=8000, mem=8 GB, mem_mib=7630
Shell command: None

[Tue Dec  1 23:27:04 2026]
rule all:
    input: figures/fig1_relu_layer.pdf
    jobid: 0
    reason: Input files updated by another job: figures/fig1_relu_layer.pdf
    resources: tmpdir=/tmp
Shell command: None
Job stats:
job                 count
----------------  -------
all                     1
total                   2

Reasons:
    (check individual jobs above for details)
    input files updated by another job:
        all
This was a dry-run (flag -n). The order of jobs does not reflect the order of execution.
"""


def d3dag(nodes, edges):
    """The output of `snakemake --dry-run --d3dag` (Snakemake 9) for ``{jobid: rule}``."""
    graph = {"nodes": [{"id": i, "value": {"jobid": i, "label": rule, "rule": rule}}
                       for i, rule in nodes.items()],
             "edges": [{"u": u, "v": v} for u, v in edges]}
    return "Building DAG of jobs...\n" + json.dumps(graph) + "\n"


def test_parse_dry_run_reads_each_jobs_rule_wildcards_threads_and_benchmark():
    jobs = ws.parse_dry_run(DRY_RUN)
    assert list(jobs.index) == [0, 6]
    assert jobs.loc[6].to_dict() == {"rule": "trained_network", "job": "network=digits_32,seed=1",
                                     "threads": 2,
                                     "benchmark": "results/benchmarks/training/digits_32/seed1.tsv"}
    assert jobs.loc[0].to_dict() == {"rule": "all", "job": "-", "threads": 1, "benchmark": ""}
    with pytest.raises(ValueError, match="no `rule NAME:` job blocks"):
        ws.parse_dry_run("Building DAG of jobs...\nNothing to be done.\n")
    with pytest.raises(ValueError, match="block of rule all has no jobid"):
        ws.parse_dry_run("rule all:\n    input: a\n")


def test_parse_d3dag_reads_nodes_and_edges():
    nodes, edges = ws.parse_d3dag(d3dag({0: "all", 1: "a", 2: "b"}, [(1, 0), (2, 0), (2, 1)]))
    assert nodes == {0: "all", 1: "a", 2: "b"} and edges == [(1, 0), (2, 0), (2, 1)]
    with pytest.raises(ValueError, match="no JSON line"):
        ws.parse_d3dag(DRY_RUN)
    with pytest.raises(ValueError, match=r"keys \['links', 'nodes'\], not nodes and edges"):
        ws.parse_d3dag('{"nodes": [], "links": []}')


def graph(seconds, edges=(), threads=None, rules=None):
    """A JobGraph of jobs 0, 1, ... with the given dependencies, and their seconds."""
    jobs = pd.DataFrame({"rule": rules or [f"r{i}" for i in range(len(seconds))],
                         "job": "-", "threads": threads or [1] * len(seconds),
                         "benchmark": "b.tsv"})
    return ws.JobGraph(jobs=jobs, edges=tuple(edges)), dict(enumerate(seconds))


def test_schedule_of_two_branches_and_a_join():
    g, seconds = graph([10.0, 4.0, 5.0], edges=[(0, 2), (1, 2)])
    one = ws.simulate_schedule(g, seconds, cores=1)
    assert one.makespan == one.lower_bound == 19.0
    two = ws.simulate_schedule(g, seconds, cores=2)
    assert two.makespan == two.lower_bound == two.critical_seconds == 15.0
    assert list(two.critical_path["jobid"]) == [0, 2]
    assert list(two.critical_path["seconds"]) == [10.0, 5.0]
    assert two.jobs.loc[2, "start"] == 10.0 and two.jobs.loc[1, "end"] == 4.0


def test_schedule_gives_each_job_its_threads_capped_at_the_cores():
    g, seconds = graph([10.0, 10.0], threads=[2, 2])
    assert ws.simulate_schedule(g, seconds, cores=2).makespan == 20.0
    assert ws.simulate_schedule(g, seconds, cores=4).makespan == 10.0
    assert ws.simulate_schedule(g, seconds, cores=2, threads={0: 1, 1: 1}).makespan == 10.0
    capped = ws.simulate_schedule(g, seconds, cores=1)
    assert capped.makespan == 20.0 and list(capped.jobs["threads"]) == [1, 1]
    # core-seconds over the cores: 2 jobs x 10 s x 2 threads on 2 cores
    assert ws.simulate_schedule(g, seconds, cores=2).lower_bound == 20.0


def test_longest_path_first_beats_job_order_where_a_long_job_comes_last():
    g, seconds = graph([1.0, 1.0, 10.0])
    assert ws.simulate_schedule(g, seconds, cores=2).makespan == 10.0
    assert ws.simulate_schedule(g, seconds, cores=2, priority="jobid").makespan == 11.0


def test_schedule_refuses_cycles_no_cores_and_unknown_priorities():
    g, seconds = graph([1.0, 1.0], edges=[(0, 1), (1, 0)])
    with pytest.raises(ValueError, match="cycle"):
        ws.simulate_schedule(g, seconds, cores=1)
    g, seconds = graph([1.0])
    with pytest.raises(ValueError, match="cores must be at least 1"):
        ws.simulate_schedule(g, seconds, cores=0)
    with pytest.raises(ValueError, match="priority must be"):
        ws.simulate_schedule(g, seconds, cores=1, priority="fifo")


def test_graph_seconds_match_jobs_by_rule_and_wildcards_in_any_order():
    jobs = pd.DataFrame({"rule": ["all", "t", "t"], "job": ["-", "network=a,seed=1",
                                                            "network=a,seed=2"],
                         "threads": 1, "benchmark": ["", "x.tsv", "y.tsv"]})
    g = ws.JobGraph(jobs=jobs, edges=((1, 0), (2, 0)))
    table = pd.DataFrame({"rule": ["t", "t"], "job": ["seed=2,network=a", "network=a,seed=1"],
                          "seconds": [3.0, 2.0]})
    assert ws.graph_seconds(g, table).to_dict() == {0: 0.0, 1: 2.0, 2: 3.0}
    with pytest.raises(ValueError, match=r"1 jobs of the plan have no row \(first: "
                                         r"\['t network=a,seed=2'\]\), 0 rows"):
        ws.graph_seconds(g, table.iloc[1:])
    extra = pd.concat([table, pd.DataFrame({"rule": ["u"], "job": ["-"], "seconds": [1.0]})])
    with pytest.raises(ValueError, match=r"1 rows are not in the plan \(first: \['u -'\]\)"):
        ws.graph_seconds(g, extra)
    # the jobs of a rule the probe did not time: left out on purpose, 0 s like `all`
    assert ws.graph_seconds(g, table.iloc[:0], unmeasured={"t"}).to_dict() == {0: 0.0, 1: 0.0,
                                                                                2: 0.0}


@pytest.fixture(scope="module")
def demo_graph():
    """The demo's job graph, planned by two real dry runs (a few seconds)."""
    return ws.workflow_graph(ROOT / "Snakefile", [ROOT / "config/demo.yaml"])


def test_demo_graph_from_snakemakes_dry_runs_is_one_dag_ending_in_its_target(demo_graph):
    jobs, edges = demo_graph.jobs, demo_graph.edges
    assert len(jobs) > 20 and len(edges) >= len(jobs) - 1
    assert {job for edge in edges for job in edge} == set(jobs.index)
    sinks = set(jobs.index) - {before for before, _ in edges}
    assert sinks == {int(jobs.index[jobs["rule"] == "all"][0])}
    assert jobs.loc[list(sinks)[0], "benchmark"] == ""
    assert (jobs["threads"] >= 1).all() and jobs["job"].str.len().gt(0).all()
    # every job but the target writes a benchmark file, under its own wildcards
    benchmarked = jobs[jobs["benchmark"] != ""]
    assert len(benchmarked) == len(jobs) - 1 and benchmarked["benchmark"].is_unique
    assert not jobs.duplicated(["rule", "job"]).any()
    one_second = {job: 1.0 for job in jobs.index}
    schedule = ws.simulate_schedule(demo_graph, one_second, cores=1)
    assert schedule.makespan == len(jobs)
    wide = ws.simulate_schedule(demo_graph, one_second, cores=len(jobs) * 2)
    assert wide.makespan == wide.critical_seconds == len(wide.critical_path)


def test_planned_jobs_are_exactly_the_jobs_snakemake_plans_for_the_demo(demo_graph):
    """planned_jobs (what the target workflow_benchmarks reads) against the real plan."""
    config = validated_config("demo.yaml")
    planned = pd.DataFrame([{"rule": job["rule"], "job": wb.job_label(job["wildcards"]),
                             "seconds": 1.0} for job in wb.planned_jobs(config)])
    seconds = ws.graph_seconds(demo_graph, planned)
    assert seconds.sum() == len(planned)
