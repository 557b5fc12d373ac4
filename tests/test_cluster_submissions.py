"""What profiles/slurm submits, from dry runs (no SLURM needed): relusv_workflow.cluster.

The demo must go to a cluster in at most 20 sbatch jobs (it was 85 before the profile grouped
jobs and the workflow declared its seconds-long rules local): a new rule or a changed group
cannot silently add submissions. Partial reruns go as their groups: a finished demo is faked
with empty outputs (``--touch``), then part of it is made to rerun. The table of
profiles/README.md must be the one the helper prints for the paper config, so that it cannot
rot.
"""

import re
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, run_snakemake, validated_config

from relusv_workflow.cluster import (
    cluster_plan,
    job_seconds,
    local_rules,
    markdown,
    submission_table,
    submissions,
)

DEMO = ROOT / "config" / "demo.yaml"
PAPER = ROOT / "config" / "config.yaml"
MAX_DEMO_SUBMISSIONS = 20
# The demo's DAG (without `all`): 85 jobs; 25 of them local, the other 60 in 16 submissions.
DEMO_SUBMISSIONS = 16
# Rules that must never run on the submitting node: hours on the paper config.
HEAVY = {"trained_network", "relu_singular_value_bounds_part", "gaussian_mean_widths",
         "width_subsamples", "double_layer_network", "harmonic_pruning", "pruning_baselines",
         "from_scratch_seeds", "random_layer_bounds", "classified_subsets"}
LOCAL = {"raw_dataset", "prepared_dataset", "relu_singular_value_bounds", "fig1_relu_layer",
         "fig2_random_layers", "fig3_relu_singular_values", "fig4_gaussian_mean_width",
         "appendix_figure", "fig5_harmonic_pruning", "pruning_baselines_figure",
         "training_tables", "parameter_table", "bounds_table", "from_scratch_table", "claims",
         "replicates_table", "from_scratch_comparison"}
TABLE = re.compile(r"<!-- cluster-table:start -->\n(.*?)\n<!-- cluster-table:end -->", re.S)


@pytest.fixture(scope="module")
def demo_plan():
    return cluster_plan([DEMO])


def test_the_demo_goes_to_slurm_in_at_most_20_submissions(demo_plan):
    assert submissions(demo_plan) <= MAX_DEMO_SUBMISSIONS
    assert submissions(demo_plan) == DEMO_SUBMISSIONS, [
        (unit["kind"], unit["groupid"] or unit["jobs"][0]["rule"]) for unit in demo_plan
        if unit["kind"] != "local"]
    assert sum(len(unit["jobs"]) for unit in demo_plan) == 85  # every job planned once
    assert set(local_rules(demo_plan)) == LOCAL


def test_the_demo_groups_a_replicate_s_analysis_and_a_pruned_network_s_chain(demo_plan):
    groups = {unit["groupid"]: unit for unit in demo_plan if unit["kind"] == "group"}
    analysis = groups["analysis_digits_32_1"]
    rules = [job["rule"] for job in analysis["jobs"]]
    # subsets, 2 subsets x 3 layers of bounds, widths and width subsamples in one job
    assert sorted(rules) == sorted(["classified_subsets", "gaussian_mean_widths",
                                    "width_subsamples"] + ["relu_singular_value_bounds_part"] * 6)
    assert sorted(job["rule"] for job in groups["pruning_digits_double_11"]["jobs"]) == [
        "double_layer_network", "harmonic_pruning", "pruning_baselines"]
    # an architecture's from-scratch seeds (the demo's 2, within one group of seeds_per_job) are
    # one job (it trains them all), submitted alone
    scratch = [unit for unit in demo_plan if unit["jobs"][0]["rule"] == "from_scratch_seeds"]
    assert sorted(unit["jobs"][0]["wildcards"]["architecture"] for unit in scratch) == [
        "0", "1", "2"]
    assert all(unit["kind"] == "job" and len(unit["jobs"]) == 1 for unit in scratch)
    for unit in demo_plan:
        rules = {job["rule"] for job in unit["jobs"]}
        assert not (unit["kind"] == "local" and rules & HEAVY), unit


def test_every_submission_fits_a_2_core_node_and_bigger_nodes_take_one_setting(demo_plan):
    submitted = [unit for unit in demo_plan if unit["kind"] != "local"]
    assert max(unit["threads"] for unit in submitted) == 2  # the profile's `cores: 2`
    analysis = next(unit for unit in submitted if unit["groupid"] == "analysis_digits_32_1")
    # the 2-thread jobs run one after another: the memory of one, the runtimes summed
    assert analysis["mem_mb"] == 8000
    assert analysis["runtime"] == sum(job["runtime"] for job in analysis["jobs"])
    big = cluster_plan([DEMO], extra_args=["--cores", "16"])
    assert submissions(big) == DEMO_SUBMISSIONS
    analysis = next(unit for unit in big if unit["groupid"] == "analysis_digits_32_1")
    assert 4 < analysis["threads"] <= 16  # bounds parts side by side, 2 threads each
    assert analysis["runtime"] < sum(job["runtime"] for job in analysis["jobs"])
    training = next(unit for unit in big if unit["jobs"][0]["rule"] == "trained_network")
    assert training["threads"] == 4  # the profile's set-threads, no longer capped at 2


def test_a_failed_group_is_resubmitted_with_twice_the_memory(demo_plan):
    # retries: 1 resubmits a failed group job with attempt 2, which --attempt 2 plans directly
    retry = cluster_plan([DEMO], extra_args=["--attempt", "2"])
    first, second = (next(unit for unit in plan if unit["groupid"] == "analysis_digits_32_1")
                     for plan in (demo_plan, retry))
    assert second["mem_mb"] == 2 * first["mem_mb"] == 16000
    assert second["runtime"] > first["runtime"]


def test_a_local_run_has_no_groups():
    plan = cluster_plan([DEMO], profile=ROOT / "profiles" / "default",
                        extra_args=["--cores", "2"])
    assert {unit["kind"] for unit in plan} <= {"job", "local"}
    assert len(plan) == 85


@pytest.fixture(scope="module")
def finished_demo(tmp_path_factory) -> Path:
    """A working directory where the demo looks finished: every output an empty file (or
    directory), with Snakemake's metadata (``--touch``), so that a dry run has nothing to do."""
    workdir = tmp_path_factory.mktemp("finished_demo")
    summary = run_snakemake("--cores", "1", "--summary", "--configfile", str(DEMO),
                            "--directory", str(workdir)).stdout
    for line in summary.splitlines()[1:]:
        path = workdir / line.split("\t")[0]
        if path.name == "checkpoints":  # trained_network's directory() output
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
    # every job touched (--forceall), so that every output gets its metadata (params, code)
    run_snakemake("--cores", "1", "--touch", "--forceall", "--configfile", str(DEMO),
                  "--directory", str(workdir))
    assert cluster_plan([DEMO], directory=workdir) == []
    return workdir


def test_a_changed_bounds_setting_resubmits_each_replicate_s_bounds_as_one_group(
        finished_demo, tmp_path):
    override = tmp_path / "steps.yaml"
    override.write_text(yaml.safe_dump({"bounds": {"steps": 150}}))
    plan = cluster_plan([DEMO, override], directory=finished_demo)
    submitted = [unit for unit in plan if unit["kind"] != "local"]
    # one group job per replicate, with its 6 bounds parts and nothing else
    assert sorted(unit["groupid"] for unit in submitted) == sorted(
        f"analysis_{name}_{seed}" for name, seed in [("digits_32", 1), ("digits_32", 101),
                                                      ("breast_cancer_16", 2),
                                                      ("breast_cancer_16", 102), ("wine_16", 3)])
    for unit in submitted:
        assert [job["rule"] for job in unit["jobs"]] == ["relu_singular_value_bounds_part"] * 6
    assert {job["rule"] for unit in plan if unit["kind"] == "local" for job in unit["jobs"]} == {
        "relu_singular_value_bounds", "fig3_relu_singular_values", "appendix_figure",
        "bounds_table", "claims", "replicates_table"}


def test_a_group_killed_mid_way_reruns_only_its_unfinished_jobs(finished_demo, tmp_path):
    # as after `scancel` of analysis_digits_32_1 when 4 of its 6 bounds parts had finished
    bounds = finished_demo / "results" / "bounds" / "digits_32"
    unfinished = ["incorrect_layer2_part1.csv", "incorrect_layer3_part1.csv"]
    for name in unfinished:
        (bounds / "seed1" / name).unlink()
    (bounds / "seed1.csv").unlink()
    targets = ["results/bounds/digits_32/seed1.csv"]
    plan = cluster_plan([DEMO], directory=finished_demo, targets=targets)
    submitted = [unit for unit in plan if unit["kind"] != "local"]
    assert len(submitted) == 1 and submitted[0]["groupid"] == "analysis_digits_32_1"
    assert sorted(f"{job['wildcards']['subset']}_layer{job['wildcards']['layer']}_part1.csv"
                  for job in submitted[0]["jobs"]) == unfinished


def test_the_readme_table_is_the_one_the_helper_prints_for_the_paper():
    plan = cluster_plan([PAPER])
    table = markdown(submission_table(plan, job_seconds(validated_config("config.yaml"))), plan)
    readme = (ROOT / "profiles" / "README.md").read_text()
    found = TABLE.search(readme)
    assert found, "profiles/README.md has no <!-- cluster-table:start/end --> block"
    assert found.group(1) == table, (
        "profiles/README.md's table is out of date; regenerate it with "
        "`.venv/bin/python -m relusv_workflow.cluster`")
    assert submissions(plan) < 40
