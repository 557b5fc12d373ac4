"""The demo DAG end to end: every figure, table and claims file, and Snakemake's rerun logic.

One run of the whole demo (minutes) is shared by the tests of this module; they run on one
pytest-xdist worker (``make test`` distributes by file) while other files use the other.
"""

import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import demo_config, run_snakemake, write_override
from PIL import Image

from relusv import tidy
from relusv.claims._common import VERDICT_WORDS

pytestmark = pytest.mark.slow

DEMO = demo_config()
FIGURE_PANELS = {"fig1_relu_layer": 2, "fig2_random_layers": 4,
                 "fig3_relu_singular_values": 4, "fig4_gaussian_mean_width": 2,
                 "appendix/wine_16": 3, "fig5_harmonic_pruning": 1, "pruning_baselines": 1}
#: The demo's replicates: the figure networks and the pruned network under two seeds each.
SEEDS = {"breast_cancer_16": [2, 102], "digits_32": [1, 101], "wine_16": [3]}
PRUNED_SEEDS = {"digits_double": [11, 111]}
NETWORKS = list(SEEDS)
PRUNED = list(PRUNED_SEEDS)
REPLICATES = [(n, s) for n, seeds in SEEDS.items() for s in seeds]
PRUNED_REPLICATES = [(n, s) for n, seeds in PRUNED_SEEDS.items() for s in seeds]


def seeded(columns):
    """A per-replicate table's columns: the tidy table's, with ``seed`` after ``network``."""
    columns = list(columns)
    return [*columns[:1], "seed", *columns[1:]]


CSV_COLUMNS = {
    "results/random_layers/bounds.csv": list(tidy.RANDOM_LAYERS.columns),
    **{f"results/bounds/{n}/seed{s}.csv": seeded(tidy.BOUNDS.columns) for n, s in REPLICATES},
    **{f"results/widths/{n}/seed{s}.csv": seeded(tidy.WIDTHS.columns) for n, s in REPLICATES},
    **{f"results/widths/{n}/seed{s}_paired.csv": seeded(tidy.WIDTH_DIFFERENCES.columns)
       for n, s in REPLICATES},
    **{f"results/widths/{n}/seed{s}_subsamples.csv": seeded(tidy.WIDTH_SUBSAMPLES.columns)
       for n, s in REPLICATES},
    **{f"results/pruning/{n}/seed{s}/harmonic_pruning.csv": "pruning"
       for n, s in PRUNED_REPLICATES},
    **{f"results/pruning/{n}/seed{s}/baselines.csv": seeded(tidy.BASELINES.columns)
       for n, s in PRUNED_REPLICATES},
    "figures/tables/table1.csv": list(tidy.NETWORKS.columns),
    "figures/tables/networks.csv": None,
    "figures/tables/timings.csv": list(tidy.TIMINGS.columns),
    "figures/tables/parameters.csv": None,
    "figures/tables/from_scratch.csv": "from_scratch",
    "figures/tables/replicates.csv": "replicates",
    "figures/tables/bounds.csv": list(tidy.BOUNDS_PROCEDURES.columns),
}


def job_stats(output: str) -> dict[str, int]:
    """The job counts by rule in Snakemake's "Job stats" table of ``output``."""
    counts = {}
    lines = output.splitlines()
    if "Job stats:" in lines:
        for line in lines[lines.index("Job stats:") + 3:]:
            parts = line.split()
            if len(parts) != 2 or not parts[1].isdigit():
                break
            counts[parts[0]] = int(parts[1])
    return counts


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """Run the whole demo DAG once in a fresh directory."""
    workdir = tmp_path_factory.mktemp("demo")
    result = run_snakemake("--cores", "2", *DEMO, "--directory", str(workdir))
    return workdir, result


def dry_run_jobs(workdir, *args, config=DEMO):
    """The job counts a dry run would execute, by rule."""
    result = run_snakemake("-n", "--cores", "2", *config, "--directory", str(workdir), *args)
    return job_stats(result.stdout)


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
    if "/seed" in path:  # a replicate's table names its seed in every row
        seed = int(path.split("/seed")[1].split("/")[0].removesuffix(".csv").split("_")[0])
        assert frame["seed"].eq(seed).all()
    if path == "figures/tables/networks.csv":  # no spread over a single replicate
        single = frame["replicates"] == 1
        spread = [c for c in frame.columns if c.endswith("_std")]
        assert frame.loc[single, spread].isna().all().all()
        frame = frame.loc[~single]
    if columns == "pruning":  # iteration 0 has no chosen layer: NaN there is meaningful
        assert set(tidy.PRUNING.columns) <= set(frame.columns)
        frame = frame[["iteration", "rank_1", "rank_2", "rank_3", "parameters", "val_accuracy",
                       "test_accuracy", "retrained"]]
    elif path.startswith("results/bounds/"):  # the tight bounds (bounds.method's default)
        assert list(frame.columns) == columns
        assert set(frame["method"]) == {"tight"}
        assert (frame["bound"] <= frame["paper_bound"]).all()
        first = frame[frame["k"] == 0]  # k = 0 exact, certified: a lower bound within 1e-9
        assert first["start"].isin(["enclosing_ball", "svd"]).all()  # svd: Adam within 1e-9
        assert (first["bound"] - first["lower_bound"] <= 1e-8 * first["bound"]).all()
        frame = frame.drop(columns="lower_bound")  # known only where a bound is exact
    elif columns == "replicates":  # layer/subset are empty where a quantity has none
        assert list(frame.columns) == list(tidy.REPLICATES.columns)
        frame = frame[["seed"]]
    elif columns == "from_scratch":  # the spread of a single run (the pruned network) is NaN
        assert frame.loc[frame["test_accuracy_std"].isna(), "runs"].eq(1).all()
        frame = frame.drop(columns="test_accuracy_std")
    elif columns is not None:
        assert list(frame.columns) == columns
    numeric = frame.select_dtypes("number")
    assert not numeric.isna().any().any(), f"{path} has NaN"
    assert (workdir / (path + ".provenance.json")).exists()


@pytest.mark.parametrize("figure, bands, lines", [
    ("fig3_relu_singular_values", True, 0), ("fig4_gaussian_mean_width", True, 0),
    ("appendix/wine_16", False, 0), ("fig5_harmonic_pruning", False, 12),
    ("pruning_baselines", True, 0)])
def test_replicates_are_drawn_with_their_band(demo_run, figure, bands, lines):
    """Two replicates: Figures 3 and 4 and the baselines draw the mean with min-max bands;
    Figure 5 every replicate in its own line style (per seed: 3 ranks, the accuracy, the mark's
    line and triangle: 2 x 6 lines); the single-replicate appendix network none (the counts the
    figure rule wrote into the PNG, see relusv.plotting.count_replicate_artists)."""
    workdir, _ = demo_run
    with Image.open(workdir / "figures" / f"{figure}.png") as image:
        assert (int(image.info["Replicate bands"]) > 0) is bands
        assert int(image.info["Replicate lines"]) == lines


def test_tables_in_three_formats(demo_run):
    workdir, _ = demo_run
    for table in ("table1", "networks", "timings", "parameters", "from_scratch", "bounds",
                  "replicates"):
        for ext in ("csv", "md", "tex", "html"):  # the HTML for the report
            assert (workdir / "figures" / "tables" / f"{table}.{ext}").stat().st_size > 0
    tex = (workdir / "figures/tables/table1.tex").read_text()
    assert "\\toprule" in tex and "\\bottomrule" in tex  # booktabs
    header = (workdir / "figures/tables/table1.md").read_text().splitlines()[0]
    assert header.count("|") - 1 <= 10  # Table I for people: at most ten columns
    table1 = pd.read_csv(workdir / "figures/tables/table1.csv")
    assert list(table1["network"]) == ["digits_32", "breast_cancer_16"]
    assert list(table1["replicates"]) == [2, 2]  # mean ± SD over two seeds each
    parameters = pd.read_csv(workdir / "figures/tables/parameters.csv")
    assert sorted(parameters["CIFAR-10"]) == [61206, 61799, 328510]


def test_harmonic_pruning_runs_to_zero_one_rank_at_a_time(demo_run):
    workdir, _ = demo_run
    for network, seed in PRUNED_REPLICATES:
        replicate = workdir / f"results/pruning/{network}/seed{seed}"
        frame = pd.read_csv(replicate / "harmonic_pruning.csv")
        ranks = frame[[c for c in frame.columns if c.startswith("rank_")]].to_numpy()
        assert (ranks[-1] == 0).all()
        assert (ranks[:-1].sum(axis=1) - ranks[1:].sum(axis=1) == 1).all()
        assert not (replicate / "pruning_resume").exists()
    first, second = (pd.read_csv(workdir / f"results/pruning/{n}/seed{s}/harmonic_pruning.csv")
                     for n, s in PRUNED_REPLICATES)
    assert not first["test_accuracy"].equals(second["test_accuracy"])  # two real replicates


def test_claims_report_every_claim(demo_run):
    workdir, _ = demo_run
    claims = json.loads((workdir / "results/claims.json").read_text())
    assert [c["id"] for c in claims] == [f"C{i}" for i in range(1, 9)]
    assert next(c for c in claims if c["id"] == "C7")["holds"] is True  # exact arithmetic
    for claim in claims:
        assert claim["holds"] in VERDICT_WORDS
        assert claim["measured"]
    markdown = (workdir / "figures/claims.md").read_text()
    lines = markdown.splitlines()
    assert lines.index("| claim | paper | ours | verdict | k of n |") < 6
    assert len(lines) < 200 and "```" not in markdown  # a page, not JSON dumps
    for claim in claims:
        assert f"## {claim['id']}: " in markdown


#: The demo's replicates (runs of the experiment): the most seeds of any network.
RUNS = max(len(seeds) for seeds in SEEDS.values())
PRUNED_RUNS = max(len(seeds) for seeds in PRUNED_SEEDS.values())


@pytest.mark.parametrize("claim_id, runs", [
    ("C2", RUNS), ("C3", RUNS), ("C4", RUNS), ("C5", RUNS), ("C6", PRUNED_RUNS)])
def test_claims_count_their_replicates(demo_run, claim_id, runs):
    """C2-C6 are judged per replicate, run i holding the i-th seed of every network:
    ``replicates`` counts every replicate (measurable or not), the verdict is as the counts
    say, the page says k of n, and the replicates table has each network's seed per run."""
    workdir, _ = demo_run
    claims = {c["id"]: c for c in json.loads((workdir / "results/claims.json").read_text())}
    claim = claims[claim_id]
    counts = claim["replicates"]
    assert counts["of"] + counts["not_measurable"] == runs
    per_run = claim["measured"]["replicates"]
    assert sorted(per_run, key=int) == [str(i) for i in range(1, runs + 1)]
    seeds = SEEDS if claim_id != "C6" else PRUNED_SEEDS
    for i, entry in enumerate(per_run[str(k)] for k in range(1, runs + 1)):
        assert entry["seeds"] == {n: s[i] for n, s in seeds.items() if i < len(s)}
    verdicts = [entry["holds"] for entry in per_run.values() if entry["holds"] is not None]
    assert counts["holds"] == sum(v is True for v in verdicts) and counts["of"] == len(verdicts)
    expected = (None if not verdicts else True if all(v is True for v in verdicts) else
                "mixed" if any(v is True for v in verdicts) else False)
    assert claim["holds"] == expected
    markdown = (workdir / "figures/claims.md").read_text()
    assert f"| {counts['holds']} of {counts['of']} |" in markdown
    table = pd.read_csv(workdir / "figures/tables/replicates.csv")
    rows = table[table["claim"] == claim_id]
    assert set(zip(rows["network"], rows["seed"], strict=True)) <= set(
        REPLICATES if claim_id != "C6" else PRUNED_REPLICATES)
    assert set(rows["replicate"]) == set(range(1, runs + 1))


def test_provenance_names_commit_seeds_and_versions(demo_run):
    workdir, _ = demo_run
    record = json.loads((workdir / "results/bounds/digits_32/seed1/correct_layer2_part1.csv"
                         ".provenance.json").read_text())
    assert record["rule"] == "relu_singular_value_bounds_part"
    assert record["params"]["wildcards"] == {"network": "digits_32", "seed": "1",
                                             "subset": "correct", "layer": "2", "part": "1"}
    assert record["params"]["rank_part"] is None  # 32 ranks: one part (bounds.ranks_per_job)
    assert record["params"]["steps"] == 200 and "seed" not in record["params"]  # deterministic
    assert record["packages"]["numpy"] and record["git_commit"]
    gathered = json.loads(
        (workdir / "results/bounds/digits_32/seed1.csv.provenance.json").read_text())
    assert gathered["rule"] == "relu_singular_value_bounds"
    widths = json.loads(
        (workdir / "results/widths/digits_32/seed101.csv.provenance.json").read_text())
    assert widths["params"]["seed"] == 0 and widths["params"]["n_draws"] == 100
    training = json.loads((workdir / "results/training/digits_32/seed101/summary.json"
                           ".provenance.json").read_text())
    assert training["params"]["network"]["seed"] == 101  # the replicate's own seed


def test_checkpoints_cover_every_epoch(demo_run):
    workdir, _ = demo_run
    checkpoints = sorted((workdir / "results/training/digits_32/seed1/checkpoints")
                         .glob("epoch_*.weights.h5"))
    assert [p.name for p in checkpoints] == [f"epoch_{e:03d}.weights.h5" for e in range(13)]
    widths = pd.read_csv(workdir / "results/widths/digits_32/seed1.csv")
    assert sorted(widths["epoch"].unique()) == list(range(13))


def test_second_invocation_has_nothing_to_do(demo_run):
    workdir, _ = demo_run
    result = run_snakemake("-n", "--cores", "2", *DEMO, "--directory", str(workdir))
    assert "Nothing to be done" in result.stdout + result.stderr


def test_workflow_benchmarks_summarise_every_job_of_the_run(demo_run):
    """The target ``workflow_benchmarks`` reruns nothing and reads one benchmark file per job
    that ``all`` ran: its job list and the files on disk agree, rule by rule."""
    workdir, result = demo_run
    assert dry_run_jobs(workdir, "workflow_benchmarks") == {"workflow_benchmarks": 1, "total": 1}
    ran = job_stats(result.stdout + result.stderr)
    assert ran, "the demo run printed no job stats"
    run_snakemake("--cores", "1", *DEMO, "--directory", str(workdir), "workflow_benchmarks")
    summary = workdir / "results/benchmarks/summary"
    jobs = pd.read_csv(summary / "jobs.csv")
    on_disk = [p for p in (workdir / "results/benchmarks").rglob("*.tsv")
               if summary not in p.parents]
    assert len(jobs) == len(on_disk) == ran["total"] - ran["all"]
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
    assert jobs.get("gaussian_mean_widths") == len(REPLICATES)
    assert "trained_network" not in jobs and "relu_singular_value_bounds" not in jobs


def test_single_figure_target_builds_only_what_it_needs(demo_run, tmp_path):
    jobs = dry_run_jobs(tmp_path, "figures/fig4_gaussian_mean_width.pdf")
    assert jobs["trained_network"] == 4  # the two figure networks' two replicates only
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
    compared = ["results/bounds/digits_32/seed101.csv", "results/widths/digits_32/seed101.csv",
                "results/widths/digits_32/seed101_subsamples.csv",
                "results/training/digits_32/seed101/history.csv",
                "results/random_layers/bounds.csv",
                "results/pruning/digits_double/seed111/harmonic_pruning.csv"]
    run_snakemake("--cores", "2", *DEMO, "--directory", str(tmp_path), *compared)
    for path in compared:
        first, second = (pd.read_csv(d / path) for d in (workdir, tmp_path))
        timing = [c for c in first.columns if "seconds" in c]
        pd.testing.assert_frame_equal(first.drop(columns=timing), second.drop(columns=timing),
                                      check_exact=True)
    points = [np.load(d / "results/subsets/digits_32/seed101.npz")["x_correct"]
              for d in (workdir, tmp_path)]
    np.testing.assert_array_equal(*points)


def test_adding_a_seed_computes_only_the_new_replicate(demo_run, tmp_path):
    """A third seed for digits_32: the dry run schedules that replicate's training, subsets,
    bounds and widths and what gathers them (figures, tables, claims), nothing of the others."""
    workdir, _ = demo_run
    override = write_override(tmp_path / "seed.yaml",
                              {"networks": {"digits_32": {"seed": [1, 101, 7]}}})
    result = run_snakemake("-n", "--cores", "2", *demo_config(override), "--directory",
                           str(workdir))
    jobs = job_stats(result.stdout)
    per_replicate = {"trained_network": 1, "classified_subsets": 1, "gaussian_mean_widths": 1,
                     "width_subsamples": 1, "relu_singular_value_bounds": 1,
                     "relu_singular_value_bounds_part": 6}
    assert {rule: jobs.get(rule) for rule in per_replicate} == per_replicate
    assert set(jobs) - set(per_replicate) <= {
        "all", "total", "fig3_relu_singular_values", "fig4_gaussian_mean_width", "claims",
        "training_tables", "replicates_table", "bounds_table"}, jobs
    replicates = set(re.findall(r"network=(\w+), seed=(\d+)", result.stdout))
    assert replicates == {("digits_32", "7")}, replicates
