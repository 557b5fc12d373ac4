"""Benchmark: the whole workflow, per rule: the demo measured, the full paper estimated.

1. **Demo DAG** (``config/demo.yaml``, offline): ``snakemake --cores 2 workflow_benchmarks`` in a
   fresh directory, ``--demo-repeats`` times. Reported: the wall-clock of each run (Snakemake's
   start to its exit, DAG building included) and their median, and the per-rule table of the
   ``workflow_benchmarks`` target (:func:`relusv.workflow_benchmarks.rule_table`) over each job's
   median across the runs.
2. **Full paper, estimated** (``config/config.yaml``): the paper cannot be downloaded here, so a
   *probe* runs the paper's configuration restricted to one network per dataset
   (:func:`relusv.workflow_benchmarks.probe_config`: mnist_100, cifar10_100, fashion_mnist_100,
   boston_housing_32 and both networks to prune) on synthetic stand-ins of the four datasets with
   their exact shapes (``standin_data.py``; the probe's figures and claims mean nothing, its
   timings are those of the real sizes). :func:`relusv.workflow_benchmarks.estimate_jobs` then
   predicts all 55 jobs of the paper: networks the probe did not run are scaled from the probe
   network of the same dataset by their work ratio. Reported: the probe's wall-clock, its per-rule
   table, the estimated per-rule table and lower bounds on the paper's wall-clock on 2 and on 16
   cores (summed job seconds over the cores, or the longest job).

Run ``python benchmarks/bench_workflow.py [--demo-repeats N] [--skip-paper] [--keep DIR]``; the
probe takes the better part of an hour on 2 cores.
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
from pathlib import Path

import pandas as pd
import yaml

from relusv.tables import to_markdown
from relusv.workflow_benchmarks import (
    estimate_jobs,
    probe_config,
    rule_table,
    wall_seconds_lower_bound,
)

ROOT = Path(__file__).resolve().parents[1]
CORES = 2


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


def demo(workroot: Path, repeats: int) -> list[dict]:
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
    return [{"what": "demo", "wall_seconds": w} for w in walls]


def paper(workroot: Path) -> list[dict]:
    from standin_data import write_standins

    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    probe = copy.deepcopy(probe_config(config))
    workdir = workroot / "paper_probe"
    probe["data"]["sources"] = write_standins(workroot / "standins")
    probe["data"]["raw_dir"] = str(workroot / "raw")
    configfile = workroot / "paper_probe.yaml"
    configfile.write_text(yaml.safe_dump(probe, sort_keys=False))
    wall = run_workflow(workdir, configfile)
    jobs = read_jobs(workdir)
    estimate = estimate_jobs(jobs, config)
    print("### Full paper config, estimated from a probe\n")
    print(f"The probe (networks {', '.join(probe['networks'])}; pruned "
          f"{', '.join(probe['pruning']['networks'])}; stand-in data of the real shapes) ran "
          f"{len(jobs)} jobs in **{_minutes(wall)}** on {CORES} cores; its jobs' seconds sum to "
          f"{jobs['seconds'].sum():.0f} s.\n")
    print("Probe, per rule:\n")
    print(to_markdown(rule_table(jobs)))
    print()
    scaled = estimate[estimate["scale"] != 1.0]
    print(f"Paper config ({len(estimate)} jobs), estimated per rule "
          f"({len(scaled)} jobs scaled from the probe network of their dataset:"
          + "".join(f" {r.job.removeprefix('network=')} {r.rule} x{r.scale:.2f};"
                    for r in scaled.itertuples()) + "):\n")
    print(to_markdown(rule_table(estimate)))
    print()
    total = estimate["seconds"].sum()
    bounds = {cores: wall_seconds_lower_bound(estimate, cores) for cores in (CORES, 16)}
    print(f"Estimated job seconds of the paper: {_minutes(total)}; wall-clock at least "
          + "; ".join(f"{_minutes(s)} on {c} cores" for c, s in bounds.items())
          + f" (the longest job: {estimate['seconds'].max():.0f} s, "
          f"{estimate.loc[estimate['seconds'].idxmax(), 'rule']} "
          f"{estimate.loc[estimate['seconds'].idxmax(), 'job']}).\n")
    return [{"what": "paper probe", "wall_seconds": wall},
            {"what": "paper estimate", "wall_seconds": bounds[CORES]}]


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo-repeats", type=int, default=2, help="demo runs (default 2)")
    parser.add_argument("--skip-paper", action="store_true", help="only the demo")
    parser.add_argument("--keep", type=Path, default=None,
                        help="work in this directory and keep it (default: a temporary one)")
    args = parser.parse_args([] if argv is None else argv)
    if args.demo_repeats < 1:
        parser.error("--demo-repeats must be at least 1")
    with tempfile.TemporaryDirectory(prefix="bench_workflow_") as temporary:
        workroot = args.keep or Path(temporary)
        rows = demo(workroot, args.demo_repeats)
        if not args.skip_paper:
            rows += paper(workroot)
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
