"""The cluster profile, profiles/slurm, on a real single-node SLURM (tests/slurm_cluster.py).

One demo network goes through data, training, subsets, bounds and widths with
``--profile profiles/slurm``: every job but the local download must be a SLURM job that SLURM ran
to completion on its node, and the results must equal those of a local ``--cores`` run of the
same targets. A few minutes; the first run on a machine also installs slurm-wlm and munge.

    .venv/bin/pytest -m slurm tests/test_slurm.py

All checks are one test on purpose: the cluster is machine-wide, so two pytest-xdist workers
must never set it up at once (``make test`` distributes by file, ``--dist loadfile``).
"""

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ROOT, run_snakemake
from slurm_cluster import SlurmCluster, slurm_cluster  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

DEMO = ["--configfile", str(ROOT / "config" / "demo.yaml")]
NETWORK, SEED = "digits_32", 1
REPLICATE = f"{NETWORK}/seed{SEED}"
TARGETS = [f"results/bounds/{REPLICATE}.csv", f"results/widths/{REPLICATE}.csv"]
# The jobs that go to SLURM: rule -> the wildcard values of each of its jobs (as the executor
# writes them in the job comment): the bounds go as one job per subset and layer.
SLURM_JOBS = {"prepared_dataset": ["digits"], "trained_network": [f"{NETWORK}_{SEED}"],
              "classified_subsets": [f"{NETWORK}_{SEED}"],
              "relu_singular_value_bounds_part": [f"{NETWORK}_{SEED}_{subset}_{layer}_1"
                                                  for subset in ("correct", "incorrect")
                                                  for layer in (1, 2, 3)],
              "relu_singular_value_bounds": [f"{NETWORK}_{SEED}"],
              "gaussian_mean_widths": [f"{NETWORK}_{SEED}"]}
LOCAL_RULES = ["raw_dataset"]  # localrules: downloads run where snakemake runs
SAME_BYTES = [*TARGETS, f"results/subsets/{REPLICATE}.json"]
# Threads per job as the profile sets them (set-threads), capped by --max-threads below.
PROFILE_THREADS = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())[
    "set-threads"]
SUBMITTED = re.compile(r"Job \d+ has been submitted with SLURM jobid (\d+) \(log: (.+?)\)\.")


def slurm_options(cluster: SlurmCluster) -> list[str]:
    """What the test adds to the users' profile, and why.

    No accounting here, so ``sacct`` knows no jobs: poll with ``squeue``. Poll often, keep the
    SLURM logs of successful jobs as evidence, and cap threads at the node's cores (the profile
    asks for 4 per heavy job, which a 2-core node cannot give).
    """
    return ["--slurm-status-command", "squeue",
            "--slurm-init-seconds-before-status-checks", "2",
            "--seconds-between-status-checks", "2",
            "--slurm-keep-successful-logs",
            "--max-threads", str(min(cluster.cpus, 2))]


def run_both(cluster: SlurmCluster, on_slurm: Path, local: Path) -> str:
    """The targets through SLURM and, alongside, locally; snakemake's output on SLURM."""
    cores = str(min(cluster.cpus, 2))  # the same threads per job as on the node
    # The local run goes alongside: the SLURM run mostly waits between its status checks.
    with ThreadPoolExecutor(1) as pool:
        local_run = pool.submit(run_snakemake, "--cores", cores, *DEMO, "--directory",
                                str(local), *TARGETS)
        result = run_snakemake("--profile", str(ROOT / "profiles" / "slurm"), *DEMO,
                               "--directory", str(on_slurm), *slurm_options(cluster),
                               *TARGETS, timeout=900, check=False)
        local_run.result()
    if result.returncode != 0:
        pytest.fail(f"snakemake on SLURM failed ({result.returncode}):\n"
                    f"{result.stdout[-4000:]}\n{result.stderr[-6000:]}\n{cluster.logs()}")
    return result.stdout + result.stderr


def check_jobs_went_through_slurm(cluster: SlurmCluster, workdir: Path, output: str) -> None:
    submitted = []  # (rule, SLURM job id, log file the executor announced)
    for slurm_id, log in SUBMITTED.findall(output):
        rule = re.search(r"/slurm_logs/rule_(\w+?)/", log).group(1)
        submitted.append((rule, slurm_id, Path(log)))
    rules = sorted(rule for rule, _, _ in submitted)
    assert rules == sorted(r for r, jobs in SLURM_JOBS.items() for _ in jobs), output[-3000:]
    for rule in LOCAL_RULES:
        assert f"localrule {rule}:" in output, output[-3000:]

    comments = set()
    for rule, slurm_id, log in submitted:
        # SLURM knows the job, ran it on its node, in the workflow's directory, to the end
        job = cluster.job(slurm_id)
        assert job.get("JobState") == "COMPLETED", (rule, slurm_id, job)
        assert job["ExitCode"] == "0:0", (rule, job)
        assert job["NodeList"] == cluster.node and job["Partition"] == cluster.partition, job
        assert job["WorkDir"] == str(workdir), job
        comments.add(job["Comment"])
        assert job["JobName"].startswith("relusv_"), job  # the profile's slurm-jobname-prefix
        threads = PROFILE_THREADS.get(rule, 1)
        assert int(job["CPUs/Task"]) == min(threads, cluster.cpus), (rule, job)
        # and wrote the job's output where --output %j.log said, under its job id
        assert log.is_relative_to(workdir / ".snakemake" / "slurm_logs"), log
        assert log.name == f"{slurm_id}.log" and log.is_file(), log
        assert f"Finished jobid: 0 (Rule: {rule})" in log.read_text(), log
    assert comments == {f"rule_{rule}_wildcards_{values}" for rule, jobs in SLURM_JOBS.items()
                        for values in jobs}


def check_results_equal(on_slurm: Path, local: Path) -> None:
    for path in SAME_BYTES:
        assert (on_slurm / path).read_bytes() == (local / path).read_bytes(), path
    training = f"results/training/{REPLICATE}"
    history = [pd.read_csv(d / training / "history.csv").drop(columns="seconds")
               for d in (on_slurm, local)]
    pd.testing.assert_frame_equal(*history, check_exact=True)
    summaries = [json.loads((d / training / "summary.json").read_text()) for d in (on_slurm, local)]
    for summary in summaries:
        summary.pop("seconds")  # wall time
    assert summaries[0] == summaries[1]


def test_slurm_profile_runs_training_bounds_and_widths_as_locally(
        slurm_cluster, tmp_path):  # noqa: F811 (the imported fixture)
    on_slurm, local = tmp_path / "on_slurm", tmp_path / "local"
    output = run_both(slurm_cluster, on_slurm, local)
    check_jobs_went_through_slurm(slurm_cluster, on_slurm, output)
    check_results_equal(on_slurm, local)
