"""The demo DAG end to end: every figure, table and claims file, and Snakemake's rerun logic.

One run of the whole demo (minutes) is shared by the tests of this module; they run on one
pytest-xdist worker (``make test`` distributes by file) while other files use the other.
"""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import demo_config, run_snakemake, write_override
from PIL import Image

from relusv import tidy

pytestmark = pytest.mark.slow

DEMO = demo_config()
FIGURE_PANELS = {"fig1_relu_layer": 2, "fig2_random_layers": 4,
                 "fig3_relu_singular_values": 4, "fig4_gaussian_mean_width": 2,
                 "appendix/wine_16": 3, "fig5_harmonic_pruning": 2, "pruning_baselines": 2}
NETWORKS = ["breast_cancer_16", "digits_32", "wine_16"]
PRUNED = ["digits_double", "breast_cancer_double"]
CSV_COLUMNS = {
    "results/random_layers/bounds.csv": list(tidy.RANDOM_LAYERS.columns),
    **{f"results/bounds/{n}.csv": list(tidy.BOUNDS.columns) for n in NETWORKS},
    **{f"results/widths/{n}.csv": list(tidy.WIDTHS.columns) for n in NETWORKS},
    **{f"results/widths/{n}_paired.csv": list(tidy.WIDTH_DIFFERENCES.columns) for n in NETWORKS},
    **{f"results/pruning/{n}/harmonic_pruning.csv": "pruning" for n in PRUNED},
    **{f"results/pruning/{n}/baselines.csv": list(tidy.BASELINES.columns) for n in PRUNED},
    "figures/tables/table1.csv": None,
    "figures/tables/networks.csv": None,
    "figures/tables/parameters.csv": None,
    "figures/tables/from_scratch.csv": "from_scratch",
}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """Run the whole demo DAG once in a fresh directory."""
    workdir = tmp_path_factory.mktemp("demo")
    result = run_snakemake("--cores", "2", *DEMO, "--directory", str(workdir))
    return workdir, result


def dry_run_jobs(workdir, *args, config=DEMO):
    """The job counts a dry run would execute, by rule."""
    result = run_snakemake("-n", "--cores", "2", *config, "--directory", str(workdir), *args)
    counts = {}
    lines = result.stdout.splitlines()
    if "Job stats:" in lines:
        for line in lines[lines.index("Job stats:") + 3:]:
            parts = line.split()
            if len(parts) != 2 or not parts[1].isdigit():
                break
            counts[parts[0]] = int(parts[1])
    return counts


@pytest.mark.parametrize("figure, panels", FIGURE_PANELS.items())
def test_every_figure_exists_opens_and_has_its_panels(demo_run, figure, panels):
    workdir, _ = demo_run
    png = workdir / "figures" / f"{figure}.png"
    with Image.open(png) as image:
        image.load()
        assert image.size[0] > 300 and image.size[1] > 200
        assert image.info["Panels"] == str(panels)
    pdf = (workdir / "figures" / f"{figure}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")
    assert b"/Count 1" in pdf  # one page
    assert f"(panels={panels})".encode() in pdf  # the Keywords entry of the document info


@pytest.mark.parametrize("path, columns", CSV_COLUMNS.items())
def test_result_tables_have_their_columns_and_no_nan(demo_run, path, columns):
    workdir, _ = demo_run
    frame = pd.read_csv(workdir / path)
    assert len(frame) > 0
    if columns == "pruning":  # iteration 0 has no chosen layer: NaN there is meaningful
        assert set(tidy.PRUNING.columns) <= set(frame.columns)
        frame = frame[["iteration", "rank_1", "rank_2", "rank_3", "parameters", "val_accuracy",
                       "test_accuracy", "retrained"]]
    elif columns == "from_scratch":  # the spread of a single run (the pruned network) is NaN
        assert frame.loc[frame["test_accuracy_std"].isna(), "runs"].eq(1).all()
        frame = frame.drop(columns="test_accuracy_std")
    elif columns is not None:
        assert list(frame.columns) == columns
    numeric = frame.select_dtypes("number")
    assert not numeric.isna().any().any(), f"{path} has NaN"
    assert (workdir / (path + ".provenance.json")).exists()


def test_tables_in_three_formats(demo_run):
    workdir, _ = demo_run
    for table in ("table1", "networks", "parameters", "from_scratch"):
        for ext in ("csv", "md", "tex"):
            assert (workdir / "figures" / "tables" / f"{table}.{ext}").stat().st_size > 0
    table1 = pd.read_csv(workdir / "figures/tables/table1.csv")
    assert list(table1["network"]) == ["digits_32", "breast_cancer_16"]
    parameters = pd.read_csv(workdir / "figures/tables/parameters.csv")
    assert sorted(parameters["CIFAR-10"]) == [61206, 61799, 328510]


def test_harmonic_pruning_runs_to_zero_one_rank_at_a_time(demo_run):
    workdir, _ = demo_run
    for network in PRUNED:
        frame = pd.read_csv(workdir / f"results/pruning/{network}/harmonic_pruning.csv")
        ranks = frame[[c for c in frame.columns if c.startswith("rank_")]].to_numpy()
        assert (ranks[-1] == 0).all()
        assert (ranks[:-1].sum(axis=1) - ranks[1:].sum(axis=1) == 1).all()
        assert not (workdir / f"results/pruning/{network}/pruning_resume").exists()


def test_claims_report_every_claim(demo_run):
    workdir, _ = demo_run
    claims = json.loads((workdir / "results/claims.json").read_text())
    assert [c["id"] for c in claims] == [f"C{i}" for i in range(1, 9)]
    assert next(c for c in claims if c["id"] == "C7")["holds"] is True  # exact arithmetic
    for claim in claims:
        assert claim["holds"] in (True, False, None)
        assert claim["measured"]
    markdown = (workdir / "figures/claims.md").read_text()
    for claim in claims:
        assert claim["id"] in markdown


def test_provenance_names_commit_seeds_and_versions(demo_run):
    workdir, _ = demo_run
    record = json.loads(
        (workdir / "results/bounds/digits_32.csv.provenance.json").read_text())
    assert record["rule"] == "relu_singular_value_bounds"
    assert record["params"]["steps"] == 200 and "seed" not in record["params"]  # deterministic
    assert record["packages"]["tensorflow"] and record["packages"]["numpy"]
    assert record["git_commit"]
    widths = json.loads((workdir / "results/widths/digits_32.csv.provenance.json").read_text())
    assert widths["params"]["seed"] == 0 and widths["params"]["n_draws"] == 100


def test_checkpoints_cover_every_epoch(demo_run):
    workdir, _ = demo_run
    checkpoints = sorted((workdir / "results/training/digits_32/checkpoints").glob("epoch_*"))
    assert [p.name for p in checkpoints] == [f"epoch_{e:03d}.weights.h5" for e in range(13)]
    widths = pd.read_csv(workdir / "results/widths/digits_32.csv")
    assert sorted(widths["epoch"].unique()) == list(range(13))


def test_second_invocation_has_nothing_to_do(demo_run):
    workdir, _ = demo_run
    result = run_snakemake("-n", "--cores", "2", *DEMO, "--directory", str(workdir))
    assert "Nothing to be done" in result.stdout + result.stderr


def test_workflow_benchmarks_summarise_every_job_of_the_run(demo_run):
    """The target ``workflow_benchmarks`` reruns nothing and reads one benchmark file per job
    that ``all`` ran: its job list and the files on disk agree, rule by rule."""
    workdir, _ = demo_run
    assert dry_run_jobs(workdir, "workflow_benchmarks") == {"workflow_benchmarks": 1, "total": 1}
    run_snakemake("--cores", "1", *DEMO, "--directory", str(workdir), "workflow_benchmarks")
    summary = workdir / "results/benchmarks/summary"
    jobs = pd.read_csv(summary / "jobs.csv")
    on_disk = [p for p in (workdir / "results/benchmarks").rglob("*.tsv")
               if summary not in p.parents]
    assert len(jobs) == len(on_disk) == 38
    assert not jobs.duplicated(["rule", "job"]).any()
    assert (jobs["seconds"] > 0).all()
    # Snakemake samples memory about once a second: only jobs shorter than a few samples may
    # have none (NaN); every longer job has a measured, positive peak.
    unmeasured = jobs["max_rss_mib"].isna()
    assert (jobs.loc[~unmeasured, "max_rss_mib"] > 0).all()
    assert (jobs.loc[unmeasured, "seconds"] < 3).all()
    assert jobs.loc[jobs["rule"] == "trained_network", "max_rss_mib"].notna().all()
    rules = pd.read_csv(summary / "rules.csv")
    assert set(rules["rule"]) == set(jobs["rule"]) | {"all jobs"}
    assert rules.set_index("rule").loc["all jobs", "total_seconds"] == pytest.approx(
        jobs["seconds"].sum())
    assert (summary / "rules.md").read_text().startswith("| rule |")


def test_plot_parameter_change_reruns_only_plotting(demo_run, tmp_path):
    workdir, _ = demo_run
    override = write_override(tmp_path / "plot.yaml", {"plot": {"dpi": 120}})
    jobs = dry_run_jobs(workdir, config=demo_config(override))
    assert jobs, "changing plot.dpi scheduled nothing"
    assert set(jobs) - {"all", "total"} <= {
        "fig1_relu_layer", "fig2_random_layers", "fig3_relu_singular_values",
        "fig4_gaussian_mean_width", "appendix_figure", "fig5_harmonic_pruning",
        "pruning_baselines_figure"}, jobs


def test_forcerun_widths_does_not_retrain(demo_run):
    workdir, _ = demo_run
    jobs = dry_run_jobs(workdir, "--forcerun", "gaussian_mean_widths")
    assert jobs.get("gaussian_mean_widths") == 3
    assert "trained_network" not in jobs and "relu_singular_value_bounds" not in jobs


def test_single_figure_target_builds_only_what_it_needs(demo_run, tmp_path):
    jobs = dry_run_jobs(tmp_path, "figures/fig4_gaussian_mean_width.pdf")
    assert jobs["trained_network"] == 2  # the two figure networks only
    assert "relu_singular_value_bounds" not in jobs and "random_layer_bounds" not in jobs


def test_identical_results_in_a_second_directory(demo_run, tmp_path):
    """Same seeds, same machine: the numbers of a second run are bitwise equal.

    The second run starts from the prepared data (no retraining from a copy) and recomputes
    training, subsets, bounds, widths, random layers, a double-layer network and its harmonic
    pruning. Only wall-time columns (``seconds``) may differ.
    """
    workdir, _ = demo_run
    for path in ("results/data", "resources"):
        shutil.copytree(workdir / path, tmp_path / path)
    compared = ["results/bounds/digits_32.csv", "results/widths/digits_32.csv",
                "results/training/digits_32/history.csv", "results/random_layers/bounds.csv",
                "results/pruning/breast_cancer_double/harmonic_pruning.csv"]
    run_snakemake("--cores", "2", *DEMO, "--directory", str(tmp_path), *compared)
    for path in compared:
        first, second = (pd.read_csv(d / path) for d in (workdir, tmp_path))
        timing = [c for c in first.columns if "seconds" in c]
        pd.testing.assert_frame_equal(first.drop(columns=timing), second.drop(columns=timing),
                                      check_exact=True)
    points = [np.load(d / "results/subsets/digits_32.npz")["x_correct"]
              for d in (workdir, tmp_path)]
    np.testing.assert_array_equal(*points)
