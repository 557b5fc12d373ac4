"""The cluster profile, profiles/slurm, on a real single-node SLURM (tests/slurm_cluster.py).

One demo network goes through data, training, subsets, bounds and widths with
``--profile profiles/slurm``: the training must be a SLURM job and the replicate's subsets,
bounds parts and widths one SLURM group job (the profile's ``groups``), each run by SLURM to
completion on its node; the local rules (download, data preparation, the gather of the bounds)
run where snakemake runs; and the results must equal those of a local ``--cores`` run of the
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
# What goes to SLURM, as the executor names it in the job's log directory and comment: the
# training alone, and the replicate's analysis as one group job (groups of profiles/slurm):
# its subsets, the bounds as one job per subset and layer, and its widths.
GROUP = f"analysis_{NETWORK}_{SEED}"
GROUP_RULES = {"classified_subsets": 1, "gaussian_mean_widths": 1,
               "relu_singular_value_bounds_part": 6}
SUBMITTED_AS = {"rule_trained_network": f"rule_trained_network_wildcards_{NETWORK}_{SEED}",
                f"group_{GROUP}_{'_'.join(sorted(GROUP_RULES))}":
                    f"rule_{GROUP}_{'_'.join(sorted(GROUP_RULES))}"}
# localrules: downloads, the data's preparation and the gather of the bounds parts run where
# snakemake runs (seconds each)
LOCAL_RULES = ["raw_dataset", "prepared_dataset", "relu_singular_value_bounds"]
SAME_BYTES = [*TARGETS, f"results/subsets/{REPLICATE}.json"]
# Threads per job as the profile sets them (set-threads), capped by its cores (a node's) and by
# --max-threads below; a group job asks for the cores of its jobs that run side by side.
PROFILE = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
PROFILE_THREADS, PROFILE_CORES = PROFILE["set-threads"], PROFILE["cores"]
SUBMITTED = re.compile(r"Job \S+ has been submitted with SLURM jobid (\d+) \(log: (.+?)\)\.")


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
    submitted = []  # (rule_<rule> or group_<group>, SLURM job id, log file announced)
    for slurm_id, log in SUBMITTED.findall(output):
        name = re.search(r"/slurm_logs/((?:rule|group)_\w+?)/", log).group(1)
        submitted.append((name, slurm_id, Path(log)))
    assert sorted(name for name, _, _ in submitted) == sorted(SUBMITTED_AS), output[-3000:]
    for rule in LOCAL_RULES:
        assert f"localrule {rule}:" in output, output[-3000:]

    cores = min(PROFILE_CORES, cluster.cpus, 2)  # the test's --max-threads
    comments = set()
    for name, slurm_id, log in submitted:
        # SLURM knows the job, ran it on its node, in the workflow's directory, to the end
        job = cluster.job(slurm_id)
        assert job.get("JobState") == "COMPLETED", (name, slurm_id, job)
        assert job["ExitCode"] == "0:0", (name, job)
        assert job["NodeList"] == cluster.node and job["Partition"] == cluster.partition, job
        assert job["WorkDir"] == str(workdir), job
        comments.add(job["Comment"])
        assert job["JobName"].startswith("relusv_"), job  # the profile's slurm-jobname-prefix
        # and wrote the job's output where --output %j.log said, under its job id
        assert log.is_relative_to(workdir / ".snakemake" / "slurm_logs"), log
        assert log.name == f"{slurm_id}.log" and log.is_file(), log
        # every job says it finished twice: in the snakemake of the SLURM job and in that of
        # its job step (srun)
        finished = re.findall(r"Finished jobid: \d+ \(Rule: (\w+)\)", log.read_text())
        if name.startswith("rule_"):
            rule = name.removeprefix("rule_")
            assert int(job["CPUs/Task"]) == min(PROFILE_THREADS.get(rule, 1), cores), job
            assert finished == [rule, rule], log
        else:  # the group: every job of it ran inside this one SLURM job
            assert int(job["CPUs/Task"]) == cores, job
            assert {rule: finished.count(rule) for rule in set(finished)} == {
                rule: 2 * count for rule, count in GROUP_RULES.items()}, log
    assert comments == set(SUBMITTED_AS.values())


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
