"""What a cluster profile submits: the SLURM jobs of a configuration, from a dry run.

:func:`cluster_plan` runs ``snakemake --dry-run`` with a profile (default ``profiles/slurm``) and
records every unit the scheduler hands to an executor: a job of a local rule (run where
snakemake runs), a job submitted on its own, or a group job (``groups`` / ``group-components``
of the profile), with the resources SLURM is asked for. A dry run does not say which jobs are
local, and its group jobs are laid out as if they ran locally, so the dry run is run inside a
small driver that patches Snakemake's dry-run executor to write down, per unit, the rule, the
group, the jobs and the resources of a *submitted* group (Snakemake's own
``GroupResources.basic_layered``, as the SLURM executor computes them).

:func:`submission_table` turns the plan into the table of ``profiles/README.md``: per submitted
rule or group, the number of submissions, the estimated minutes of each (the jobs' times from
:func:`relusv_workflow.benchmarks.estimate_jobs`, summed over a group's jobs, as a 2-core node
runs them one after another) and the resources. Regenerate it with

    .venv/bin/python -m relusv_workflow.cluster              # the paper config, Markdown

(``--configfile config/demo.yaml`` for the demo). ``tests/test_cluster_submissions.py`` checks
the demo's number of submissions and that the README's table is the one this prints.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from relusv_workflow.benchmarks import (
    RULE_JOBS,
    UnmeasuredRulesWarning,
    estimate_jobs,
    job_key,
    label_wildcards,
)

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "profiles" / "slurm"
PROBE = ROOT / "benchmarks" / "results" / "workflow_probe_jobs.csv"

#: The bounds parts run two optimisations per rank since the tight bounds method; the probe
#: (benchmarks/results/workflow_probe_jobs.csv) timed them before, at about half the time.
SLOWER_SINCE_THE_PROBE = {"relu_singular_value_bounds_part": 2.0}

# Runs inside `python -c`: snakemake's command line, with the dry-run executor recording every
# unit it is given (one JSON line each) into the file named by RELUSV_PLAN.
_DRIVER = r"""
import json, os, sys
from snakemake.executors import dryrun
from snakemake.resources import GroupResources

OUT = open(os.environ["RELUSV_PLAN"], "w")

def _job(job):
    resources = job.resources
    return {"rule": job.rule.name, "wildcards": dict(job.wildcards_dict),
            "threads": job.threads, "mem_mb": resources.get("mem_mb"),
            "runtime": resources.get("runtime")}

def _run_job(self, job, _original=dryrun.Executor.run_job):
    workflow = self.workflow
    if job.is_group():
        layered = GroupResources.basic_layered(
            toposorted_jobs=job.toposorted, constraints=job.global_resources, run_local=False,
            additive_resources=["runtime"], sortby=["runtime"])
        record = {"kind": "group",
                  "group": workflow.parent_groupids.get(job.groupid, job.groupid),
                  "groupid": job.groupid, "jobs": [_job(j) for j in job.jobs],
                  "threads": layered.get("_cores"), "mem_mb": layered.get("mem_mb"),
                  "runtime": layered.get("runtime")}
    else:
        rule = job.rule
        local = rule.norun or (rule.group is None and rule.name in workflow._localrules)
        record = {"kind": "local" if local else "job", "group": None, "groupid": None,
                  "jobs": [_job(job)], **{k: v for k, v in _job(job).items()
                                          if k in ("threads", "mem_mb", "runtime")}}
    OUT.write(json.dumps(record) + "\n")
    OUT.flush()
    return _original(self, job)

dryrun.Executor.run_job = _run_job
from snakemake.cli import main
sys.argv = ["snakemake", *sys.argv[1:]]
main()
"""


def cluster_plan(configfiles: Sequence[str | Path], profile: str | Path = PROFILE,
                 extra_args: Sequence[str] = (), snakefile: str | Path = ROOT / "Snakefile",
                 directory: str | Path | None = None, targets: Sequence[str] = ("all",)
                 ) -> list[dict]:
    """The units ``snakemake --profile profile --dry-run`` would run, for ``targets``.

    Each unit is a dict: ``kind`` (``"local"``: a local rule's job, ``"job"``: submitted alone,
    ``"group"``: a group job, submitted as one), ``group`` (the group as the profile names it,
    e.g. ``"analysis_{network}_{seed}"``), ``groupid`` (with the wildcards filled in),
    ``jobs`` (``rule``, ``wildcards``, ``threads``, ``mem_mb``, ``runtime`` of each job) and the
    ``threads``, ``mem_mb`` and ``runtime`` (minutes) that SLURM is asked for. ``all`` is left
    out. Without a ``directory`` the dry run starts from nothing (an empty working directory),
    so every job is planned; in ``directory`` it plans what is left to do there.
    """
    with tempfile.TemporaryDirectory(prefix="relusv-plan-") as tmp:
        plan_file = Path(tmp) / "plan.jsonl"
        workdir = Path(tmp) / "work" if directory is None else Path(directory)
        command = [sys.executable, "-c", _DRIVER, *targets, "--snakefile", str(snakefile),
                   "--profile", str(profile), "--directory", str(workdir),
                   "--dry-run", "--quiet", "all",
                   "--configfile", *map(str, configfiles), *extra_args]
        env = {**os.environ, "RELUSV_PLAN": str(plan_file),
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"),
                                                           os.environ.get("PYTHONPATH")]))}
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env,
                                timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"the dry run failed ({result.returncode}):\n"
                               f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        units = ([json.loads(line) for line in plan_file.read_text().splitlines()]
                 if plan_file.exists() else [])  # nothing to do
    return [unit for unit in units if unit["jobs"][0]["rule"] != "all"]


def submissions(plan: Sequence[Mapping]) -> int:
    """How many ``sbatch`` jobs a plan submits (every unit that is not a local job)."""
    return sum(unit["kind"] != "local" for unit in plan)


def local_rules(plan: Sequence[Mapping]) -> list[str]:
    """The rules whose jobs run where snakemake runs, in the workflow's order of rules
    (:data:`~relusv_workflow.benchmarks.RULE_JOBS`)."""
    order = list(RULE_JOBS)
    rules = {unit["jobs"][0]["rule"] for unit in plan if unit["kind"] == "local"}
    return sorted(rules, key=lambda rule: (order.index(rule) if rule in order else len(order),
                                           rule))


def job_seconds(config: Mapping, probe: pd.DataFrame | None = None,
                slower: Mapping[str, float] = SLOWER_SINCE_THE_PROBE) -> dict[tuple, float]:
    """Estimated seconds of every job of ``config`` by :func:`~relusv_workflow.benchmarks.job_key`,
    from the probe's job times (:func:`~relusv_workflow.benchmarks.estimate_jobs`), times the
    factors of ``slower`` for rules that have become slower since the probe was run. Rules the
    probe did not time are missing."""
    probe = pd.read_csv(PROBE) if probe is None else probe
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnmeasuredRulesWarning)  # they are left out, named
        estimate = estimate_jobs(probe, config)
    return {job_key(row.rule, label_wildcards(row.job)): row.seconds * slower.get(row.rule, 1.0)
            for row in estimate.itertuples(index=False)}


def _minutes(values: Sequence[float]) -> str:
    def fmt(minutes: float) -> str:
        return f"{minutes:.1f}" if minutes < 10 else f"{minutes:.0f}"

    low, high = fmt(min(values) / 60), fmt(max(values) / 60)
    return low if low == high else f"{low}-{high}"


def _span(values: Sequence) -> str:
    low, high = min(values), max(values)
    return f"{low}" if low == high else f"{low}-{high}"


def submission_table(plan: Sequence[Mapping], seconds: Mapping[tuple, float]) -> pd.DataFrame:
    """Per submitted rule or group of ``plan``: ``submitted`` (the rule, or the group and its
    rules), ``submissions``, ``jobs`` (per submission), ``minutes`` (estimated per submission:
    the sum of its jobs' ``seconds``, as they run one after another on a 2-core node; a group
    with a job of a rule the probe did not time is marked ``+``) and the resources asked for:
    ``cores``, ``mem_mb``, ``runtime_min``, each as the range over the submissions."""
    rows: dict[str, dict] = {}
    for unit in plan:
        if unit["kind"] == "local":
            continue
        rules = sorted({job["rule"] for job in unit["jobs"]})
        name = (f"group `{unit['group']}`: " + ", ".join(f"`{rule}`" for rule in rules)
                if unit["kind"] == "group" else f"`{rules[0]}`")
        row = rows.setdefault(name, {"submitted": name, "rules": rules, "submissions": 0,
                                     "jobs": [],
                                     "seconds": [], "unmeasured": False, "cores": [],
                                     "mem_mb": [], "runtime_min": []})
        row["submissions"] += 1
        row["jobs"].append(len(unit["jobs"]))
        known = [seconds.get(job_key(job["rule"], job["wildcards"])) for job in unit["jobs"]]
        row["unmeasured"] |= None in known
        row["measured"] = row.get("measured", False) or any(s is not None for s in known)
        row["seconds"].append(sum(s for s in known if s is not None))
        row["cores"].append(unit["threads"])
        row["mem_mb"].append(unit["mem_mb"])
        row["runtime_min"].append(unit["runtime"])
    order = list(RULE_JOBS)
    first = {name: min(order.index(r) if r in order else len(order) for r in row["rules"])
             for name, row in rows.items()}
    table = [{"submitted": row["submitted"], "submissions": row["submissions"],
              "jobs": _span(row["jobs"]),
              "minutes": (_minutes(row["seconds"]) + ("+" if row["unmeasured"] else "")
                          if row["measured"] else "n/a"),
              "cores": _span(row["cores"]), "mem_mb": _span(row["mem_mb"]),
              "runtime_min": _span(row["runtime_min"])}
             for name, row in sorted(rows.items(), key=lambda item: (first[item[0]], item[0]))]
    return pd.DataFrame(table)


def markdown(table: pd.DataFrame, plan: Sequence[Mapping]) -> str:
    """``table`` as the Markdown of profiles/README.md, with the totals and the local rules."""
    header = ("| submitted (rule, or group: its rules) | submissions | jobs each | "
              "est. minutes each | cores | mem_mb | runtime (min) |")
    lines = [header, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in table.itertuples(index=False):
        lines.append(f"| {row.submitted} | {row.submissions} | {row.jobs} | {row.minutes} | "
                     f"{row.cores} | {row.mem_mb} | {row.runtime_min} |")
    local = [unit for unit in plan if unit["kind"] == "local"]
    lines.append(f"| **total** | **{submissions(plan)}** | "
                 f"{sum(len(u['jobs']) for u in plan if u['kind'] != 'local')} | | | | |")
    lines.append("")
    lines.append(f"Local jobs (on the node where snakemake runs): {len(local)}, of the rules "
                 + ", ".join(f"`{rule}`" for rule in local_rules(plan)) + ".")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configfile", default=str(ROOT / "config" / "config.yaml"))
    parser.add_argument("--profile", default=str(PROFILE))
    args = parser.parse_args(argv)
    import yaml
    from snakemake.utils import validate

    config = yaml.safe_load(Path(args.configfile).read_text())
    validate(config, str(ROOT / "workflow" / "schemas" / "config.schema.yaml"))
    plan = cluster_plan([args.configfile], args.profile)
    try:
        seconds = job_seconds(config)
    except ValueError as error:  # e.g. the demo: the probe has no network of its datasets
        print(f"(no time estimates: {error})", file=sys.stderr)
        seconds = {}
    print(markdown(submission_table(plan, seconds), plan))


__all__ = ["SLOWER_SINCE_THE_PROBE", "cluster_plan", "job_seconds", "local_rules", "markdown",
           "submission_table", "submissions"]

if __name__ == "__main__":
    main()
