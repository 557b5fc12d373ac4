"""Benchmark: the whole workflow, per rule: the demo measured, the full paper estimated.

1. **Demo DAG** (``config/demo.yaml``, offline): ``snakemake --cores 2 workflow_benchmarks`` in a
   fresh directory, ``--demo-repeats`` times. Reported: the wall-clock of each run (Snakemake's
   start to its exit, DAG building included) and their median, the per-rule table of the
   ``workflow_benchmarks`` target (:func:`relusv_workflow.benchmarks.rule_table`) over each job's
   median across the runs, and the makespan that :func:`relusv_workflow.schedule.simulate_schedule`
   gives those jobs on Snakemake's own DAG of the demo (a check of the simulation against the
   measured wall-clock).
2. **Full paper, estimated** (``config/config.yaml``): the paper cannot be downloaded here, so a
   *probe* runs the paper's configuration restricted to one network per dataset and one
   replicate of each (:func:`relusv_workflow.benchmarks.probe_config`: mnist_100, cifar10_100,
   fashion_mnist_100, boston_housing_32 and both networks to prune, each under its first seed,
   and the first from-scratch seed) on synthetic stand-ins of the four datasets with their exact
   shapes (``standin_data.py``; the probe's figures and claims mean nothing, its timings are
   those of the real sizes); its job table is saved as
   ``benchmarks/results/workflow_probe_jobs.csv``.
   :func:`relusv_workflow.benchmarks.estimate_jobs` then predicts every job of the paper: other
   replicates as their probe replicate, networks the probe did not run scaled from the probe
   network of the same dataset by their work ratio. A rule the probe did not time (a probe saved
   before the rule existed, such as ``width_subsamples`` or ``bounds_table`` in an old
   ``workflow_probe_jobs.csv``) is *unmeasured*: its jobs are left out of the estimate and of the
   simulated runs (0 s), and a warning line before the tables names each such rule and its number
   of jobs, so the totals are lower estimates until the probe is rerun. Reported: the probe's
   wall-clock and per-rule
   table, the estimated per-rule table, the total job seconds (as measured on 2 cores), the
   longest job, and on 2, 8 and 16 cores the simulated makespan on Snakemake's DAG of the paper
   (ready jobs started longest remaining chain first, and in Snakemake's job order), a lower bound
   and the critical path (the longest chain of dependent jobs, the same for any number of cores).

Run ``python benchmarks/bench_workflow.py [--demo-repeats N] [--skip-paper] [--keep DIR]
[--threads RULE=N ...]``; the probe takes the better part of an hour on 2 cores.
``--estimate-only JOBS_CSV`` skips the demo and the probe and estimates the paper from a saved
probe job table (``benchmarks/results/workflow_probe_jobs.csv``, or a probe's
``results/benchmarks/summary/jobs.csv``): a few seconds.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd
import yaml

from relusv.config import network_seeds
from relusv.tables import to_markdown
from relusv_workflow.benchmarks import (
    UnmeasuredRulesWarning,
    estimate_jobs,
    probe_config,
    rule_table,
    unmeasured_rules,
)
from relusv_workflow.schedule import (
    JobGraph,
    graph_seconds,
    simulate_schedule,
    workflow_graph,
)

ROOT = Path(__file__).resolve().parents[1]
#: Cores of the runs measured here (the probe's jobs' seconds are on this machine).
CORES = 2
#: Cores of the simulated runs of the paper.
SCHEDULE_CORES = (2, 8, 16)
#: The probe's job table, kept so that the estimate can be redone without the probe.
PROBE_JOBS = ROOT / "benchmarks/results/workflow_probe_jobs.csv"


def paper_config() -> dict:
    """``config/config.yaml`` as the workflow sees it: validated against the schema, its
    defaults filled in (the estimate reads keys the file leaves to the schema, such as
    ``bounds.ranks_per_job``)."""
    from snakemake.utils import validate

    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    validate(config, str(ROOT / "workflow/schemas/config.schema.yaml"))
    return config


def run_workflow(workdir: Path, configfile: Path) -> float:
    """Run the target ``workflow_benchmarks`` (the whole DAG, then its summary) in ``workdir``
    on ``CORES`` cores; returns the wall seconds. The log goes to ``workdir/snakemake.log``."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONHASHSEED": "0"}
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"),
               "--configfile", str(configfile), "--directory", str(workdir),
               "--cores", str(CORES), "workflow_benchmarks"]
    start = time.perf_counter()
    with open(workdir / "snakemake.log", "w") as log:
        result = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        # The work directory may be temporary and vanish with this exit: show the log's end.
        tail = "\n".join((workdir / "snakemake.log").read_text().splitlines()[-40:])
        raise SystemExit(f"snakemake failed ({result.returncode}) in {workdir}; its log ends:\n"
                         f"{tail}")
    return seconds


def read_jobs(workdir: Path) -> pd.DataFrame:
    return pd.read_csv(workdir / "results/benchmarks/summary/jobs.csv")


def median_jobs(runs: list[pd.DataFrame]) -> pd.DataFrame:
    """Each job's median seconds, CPU seconds, peak memory and load over the runs."""
    return pd.concat(runs).groupby(["rule", "job"], sort=False).median().reset_index()


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s ({seconds / 60:.1f} min)"


def with_threads(graph: JobGraph, threads: dict[str, int]) -> JobGraph:
    """``graph`` with the threads of the rules in ``threads`` replaced (a what-if)."""
    unknown = sorted(set(threads) - set(graph.jobs["rule"]))
    if unknown:
        raise SystemExit(f"--threads: no job of rule(s) {unknown} in the DAG")
    jobs = graph.jobs.copy()
    for rule, count in threads.items():
        jobs.loc[jobs["rule"] == rule, "threads"] = count
    return JobGraph(jobs=jobs, edges=graph.edges)


def demo(workroot: Path, repeats: int, threads: dict[str, int]) -> list[dict]:
    walls, runs = [], []
    for i in range(repeats):
        workdir = workroot / f"demo_{i}"
        walls.append(run_workflow(workdir, ROOT / "config/demo.yaml"))
        runs.append(read_jobs(workdir))
        print(f"demo run {i + 1}: {walls[-1]:.1f} s", file=sys.stderr, flush=True)
    jobs = median_jobs(runs)
    wall = statistics.median(walls)
    print(f"### Demo DAG on {CORES} cores\n")
    print(f"Wall-clock of `snakemake --cores {CORES} --configfile config/demo.yaml "
          f"workflow_benchmarks` in a fresh directory: median **{_minutes(wall)}**"
          f" over {repeats} runs ({', '.join(f'{w:.1f}' for w in walls)} s); {len(jobs)} jobs, "
          f"whose seconds sum to {jobs['seconds'].sum():.0f} s (the ratio to the wall-clock is "
          f"the parallelism reached on {CORES} cores: "
          f"{jobs['seconds'].sum() / wall:.2f}).\n")
    print("Per rule (each job's median over the runs):\n")
    print(to_markdown(rule_table(jobs)))
    print()
    demo_schedule(jobs, threads)
    return [{"what": "demo", "wall_seconds": w} for w in walls]


def demo_schedule(jobs: pd.DataFrame, threads: dict[str, int]) -> None:
    """Print the simulated makespan of the demo's measured ``jobs`` on ``CORES`` cores."""
    graph = with_threads(workflow_graph(ROOT / "Snakefile", [ROOT / "config/demo.yaml"]),
                         threads)
    seconds = graph_seconds(graph, jobs)
    best, in_order = (simulate_schedule(graph, seconds, CORES, priority=p)
                      for p in ("longest_path", "jobid"))
    print(f"Simulated on Snakemake's DAG of the demo with these job seconds, {CORES} cores: "
          f"makespan {best.makespan:.0f} s (longest remaining chain first) or "
          f"{in_order.makespan:.0f} s (Snakemake's job order), at least {best.lower_bound:.0f} s; "
          "the measured wall-clock adds Snakemake's DAG building and its pauses between "
          "jobs.\n")


def paper(workroot: Path, threads: dict[str, int]) -> list[dict]:
    from standin_data import write_standins

    config = paper_config()
    probe = copy.deepcopy(probe_config(config))
    workdir = workroot / "paper_probe"
    probe["data"]["sources"] = write_standins(workroot / "standins")
    probe["data"]["raw_dir"] = str(workroot / "raw")
    configfile = workroot / "paper_probe.yaml"
    configfile.write_text(yaml.safe_dump(probe, sort_keys=False))
    wall = run_workflow(workdir, configfile)
    jobs = read_jobs(workdir)
    PROBE_JOBS.parent.mkdir(parents=True, exist_ok=True)
    jobs.to_csv(PROBE_JOBS, index=False)
    print("### Full paper config, estimated from a probe\n")
    print(f"The probe (networks {', '.join(probe['networks'])}; pruned "
          f"{', '.join(probe['pruning']['networks'])}; one replicate of each, the first "
          f"from-scratch seed; stand-in data of the real shapes) ran {len(jobs)} jobs in "
          f"**{_minutes(wall)}** on {CORES} cores; its jobs' seconds sum to "
          f"{jobs['seconds'].sum():.0f} s (job table: "
          f"`{PROBE_JOBS.relative_to(ROOT)}`).\n")
    print("Probe, per rule:\n")
    print(to_markdown(rule_table(jobs)))
    print()
    return [{"what": "paper probe", "wall_seconds": wall},
            *estimate_paper(jobs, threads, workroot)]


#: The MNIST part of the paper config (issue 15's third goal): its MNIST networks, pruned one.
MNIST_PART = {"networks": ["mnist_100", "mnist_20"], "pruned": ["mnist_double"]}


def first_replicates(config: dict, networks=None, pruned=None) -> dict:
    """``config`` with every network (of ``networks``, if given) and every pruned network (of
    ``pruned``) at its first seed only: one replicate each."""
    part = copy.deepcopy(config)
    part["networks"] = {name: {**spec, "seed": network_seeds(spec)[0]}
                        for name, spec in config["networks"].items()
                        if networks is None or name in networks}
    part["pruning"]["networks"] = {name: {**spec, "seed": network_seeds(spec)[0]}
                                   for name, spec in config["pruning"]["networks"].items()
                                   if pruned is None or name in pruned}
    return part


def mnist_part(workroot: Path) -> list[dict]:
    """Run the MNIST part of the paper config (one replicate of mnist_100, mnist_20 and
    mnist_double, every from-scratch run) on MNIST-shaped stand-in data; print its wall-clock
    and per-rule table."""
    from standin_data import write_standins

    config = paper_config()
    part = first_replicates(config, MNIST_PART["networks"], MNIST_PART["pruned"])
    part["figure_networks"] = list(MNIST_PART["networks"])
    part["data"]["sources"] = write_standins(workroot / "standins", ["mnist"])
    part["data"]["raw_dir"] = str(workroot / "raw")
    configfile = workroot / "mnist_part.yaml"
    configfile.write_text(yaml.safe_dump(part, sort_keys=False))
    wall = run_workflow(workroot / "mnist_part", configfile)
    jobs = read_jobs(workroot / "mnist_part")
    print("### The MNIST part of the paper config\n")
    print(f"mnist_100, mnist_20 and mnist_double (one replicate each, every from-scratch run) "
          f"and the jobs without data (Figures 1 and 2, tables, claims) on MNIST-shaped "
          f"stand-in data: {len(jobs)} jobs in **{_minutes(wall)}** on {CORES} cores (goal: "
          f"6 min); their seconds sum to {jobs['seconds'].sum():.0f} s.\n")
    print(to_markdown(rule_table(jobs)))
    print()
    return [{"what": "mnist part", "wall_seconds": wall,
             "job_seconds": float(jobs["seconds"].sum())}]


def estimate_paper(jobs: pd.DataFrame, threads: dict[str, int], workroot: Path) -> list[dict]:
    """The paper's configuration as it is (every replicate), then with one replicate per
    network (issue 15's first goal), estimated from the probe's ``jobs``."""
    config = paper_config()
    rows = estimate(jobs, config, [ROOT / "config/config.yaml"], threads, label="paper")
    print("### Full paper config with one replicate per network, estimated\n")
    print("The same estimate for `config/config.yaml` with every network and pruned network at "
          "its first seed only (the goal of at most 60 min of job time on 2 cores is stated for "
          "this configuration).\n")
    one = first_replicates(config)
    configfile = workroot / "paper_one_replicate.yaml"
    configfile.write_text(yaml.safe_dump(one, sort_keys=False))
    rows += estimate(jobs, one, [configfile], threads, label="paper one replicate",
                     per_rule=False)
    return rows


def estimate(jobs: pd.DataFrame, config: dict, configfiles: list[Path],
             threads: dict[str, int], label: str, per_rule: bool = True) -> list[dict]:
    """Print the jobs of ``config`` (written in ``configfiles``) estimated from the probe's
    ``jobs`` and their simulated runs; ``per_rule``: with the per-rule table."""
    unmeasured = unmeasured_rules(jobs, config)
    if unmeasured:
        print("**Warning: unmeasured rules.** The probe has no job of "
              + ", ".join(f"`{rule}` ({count} job{'s' * (count != 1)})"
                          for rule, count in unmeasured.items())
              + ": those jobs are left out of the estimate and take 0 s in the simulated runs, "
              "so every total below is short by their time; rerun the probe to include them.\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnmeasuredRulesWarning)  # printed just above
        estimated = estimate_jobs(jobs, config)
    scaled = estimated[estimated["scale"] != 1.0]
    copied = estimated[(estimated["scale"] == 1.0)
                       & (estimated["from_job"] != estimated["rule"] + " " + estimated["job"])]
    print(f"Paper config ({len(estimated)} jobs), estimated per rule: {len(copied)} jobs taken "
          f"from a probe job of another replicate or as the rule's median, {len(scaled)} "
          "scaled from the probe network of their dataset by their work ratio (per rule: the "
          "smallest and largest factor:"
          + "".join(f" {rule} x{group.min():.2f}-{group.max():.2f};"
                    for rule, group in scaled.groupby("rule", sort=False)["scale"])
          + "):\n")
    if per_rule:
        print(to_markdown(rule_table(estimated)))
        print()
    longest = estimated.loc[estimated["seconds"].idxmax()]
    graph = with_threads(workflow_graph(ROOT / "Snakefile", configfiles), threads)
    seconds = graph_seconds(graph, estimated, unmeasured=unmeasured)
    print(f"Estimated job seconds of the paper (as measured on {CORES} cores): "
          f"**{_minutes(estimated['seconds'].sum())}**; the longest job: "
          f"{_minutes(longest['seconds'])}, {longest['rule']} {longest['job']}. Simulated on "
          f"Snakemake's DAG of the paper ({len(graph.jobs)} jobs with `all`"
          + (f"; threads changed: {threads}" if threads else "") + "):\n")
    rows, schedules = [], {}
    for cores in SCHEDULE_CORES:
        best, in_order = (simulate_schedule(graph, seconds, cores, priority=p)
                          for p in ("longest_path", "jobid"))
        schedules[cores] = best
        rows.append({"cores": cores, "makespan_s": best.makespan,
                     "makespan_min": best.makespan / 60, "job_order_makespan_s": in_order.makespan,
                     "lower_bound_s": best.lower_bound,
                     "core_use_percent": 100 * (best.jobs["seconds"] * best.jobs["threads"]).sum()
                     / (cores * best.makespan)})
    print(to_markdown(pd.DataFrame(rows)))
    print("\n(makespan: ready jobs started longest remaining chain first; job order: in "
          "Snakemake's job order, as blind to durations as Snakemake; lower bound: the critical "
          "path or the core-seconds over the cores.)\n")
    path = schedules[SCHEDULE_CORES[-1]].critical_path
    print(f"Critical path ({_minutes(path['seconds'].sum())}, {len(path)} jobs; no number of "
          f"cores runs the paper faster), with its jobs' start and end on "
          f"{SCHEDULE_CORES[-1]} cores:\n")
    # "seconds" alone would print as the networks table's "training seconds".
    print(to_markdown(path[["rule", "job", "threads", "seconds", "start", "end"]].rename(
        columns={"seconds": "job_seconds", "start": "start_s", "end": "end_s"})))
    print()
    return [{"what": f"{label} job seconds", "wall_seconds": float(estimated["seconds"].sum())},
            *({"what": f"{label} makespan {row['cores']} cores", "wall_seconds": row["makespan_s"]}
              for row in rows)]


def parse_threads(items: list[str]) -> dict[str, int]:
    threads = {}
    for item in items:
        rule, _, count = item.partition("=")
        if not count.isdigit() or int(count) < 1:
            raise SystemExit(f"--threads {item!r}: give RULE=N with N >= 1")
        threads[rule] = int(count)
    return threads


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo-repeats", type=int, default=2, help="demo runs (default 2)")
    parser.add_argument("--skip-paper", action="store_true", help="only the demo")
    parser.add_argument("--keep", type=Path, default=None,
                        help="work in this directory and keep it (default: a temporary one)")
    parser.add_argument("--estimate-only", type=Path, default=None, metavar="JOBS_CSV",
                        help="only estimate the paper from this probe job table (no runs)")
    parser.add_argument("--mnist-part", action="store_true",
                        help="only the MNIST part of the paper config on stand-in data")
    parser.add_argument("--threads", nargs="*", default=[], metavar="RULE=N",
                        help="simulate with these rules' threads changed (a what-if)")
    args = parser.parse_args([] if argv is None else argv)
    if args.demo_repeats < 1:
        parser.error("--demo-repeats must be at least 1")
    threads = parse_threads(args.threads)
    if args.estimate_only is not None:
        if not args.estimate_only.is_file():
            parser.error(f"--estimate-only: no file {args.estimate_only}")
        jobs = pd.read_csv(args.estimate_only)
        print(f"### Full paper config, estimated from the probe jobs in {args.estimate_only}\n")
        print(f"The probe's {len(jobs)} jobs, whose seconds sum to {jobs['seconds'].sum():.0f} s, "
              "per rule:\n")
        print(to_markdown(rule_table(jobs)))
        print()
        with tempfile.TemporaryDirectory(prefix="bench_workflow_") as temporary:
            return estimate_paper(jobs, threads, Path(temporary))
    with tempfile.TemporaryDirectory(prefix="bench_workflow_") as temporary:
        workroot = args.keep or Path(temporary)
        if args.mnist_part:
            return mnist_part(workroot)
        rows = demo(workroot, args.demo_repeats, threads)
        if not args.skip_paper:
            rows += paper(workroot, threads)
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
