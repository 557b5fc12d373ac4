"""relusv_workflow.benchmarks: reading Snakemake benchmark files, summaries and estimates."""

import math
import warnings

import pandas as pd
import pytest
from conftest import ROOT, validated_config

from relusv.config import ALL_LAYERS
from relusv_workflow import benchmarks as wb

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def write_benchmark(path, *rows):
    """A benchmark file with one line per (seconds, max_rss, cpu_time, mean_load)."""
    lines = [f"{s}\t0:00:00\t{rss}\t0\t0\t0\t0\t0\t{load}\t{cpu}\n" for s, rss, cpu, load in rows]
    path.write_text(HEADER + "".join(lines))
    return path


def paper_config():
    """The paper's configuration with known replicates: mnist_100 under seeds 1 and 101,
    cifar10_double under 11, 111 and 211, every other network one seed."""
    config = validated_config("config.yaml")
    for name, entry in config["networks"].items():
        entry["seed"] = [1, 101] if name == "mnist_100" else 7
    for name, entry in config["pruning"]["networks"].items():
        entry["seed"] = [11, 111, 211] if name == "cifar10_double" else 12
    return config


def test_read_benchmark_takes_medians_over_repeats_and_nan_for_na(tmp_path):
    path = write_benchmark(tmp_path / "b.tsv", (1.0, 100, 0.5, 50), (3.0, 300, 1.5, 70),
                           (2.0, "NA", 1.0, 60))
    read = wb.read_benchmark(path)
    assert read["seconds"] == 2.0 and read["cpu_seconds"] == 1.0 and read["mean_load"] == 60
    assert read["max_rss_mib"] == 200
    single = wb.read_benchmark(write_benchmark(tmp_path / "c.tsv", (4.0, "NA", 1.0, 60)))
    assert math.isnan(single["max_rss_mib"])


def test_read_benchmark_reads_zero_resident_memory_as_not_measured(tmp_path):
    """Snakemake's sampler can catch a short job's process as it exits: 0.00 MiB is no peak."""
    exiting = wb.read_benchmark(write_benchmark(tmp_path / "z.tsv", (0.4, 0.0, 0.0, 0)))
    assert exiting["seconds"] == 0.4 and math.isnan(exiting["max_rss_mib"])
    mixed = wb.read_benchmark(write_benchmark(tmp_path / "m.tsv", (0.4, 0.0, 0.0, 0),
                                              (0.5, 150.0, 0.4, 80)))
    assert mixed["max_rss_mib"] == 150.0


@pytest.mark.parametrize("text", ["", HEADER, "a\tb\n1\t2\n"])
def test_read_benchmark_rejects_files_that_are_not_benchmarks(tmp_path, text):
    path = tmp_path / "bad.tsv"
    path.write_text(text)
    with pytest.raises(ValueError, match="bad.tsv: not a Snakemake benchmark file"):
        wb.read_benchmark(path)


def test_job_and_rule_tables(tmp_path):
    files = {
        write_benchmark(tmp_path / "t1.tsv", (10.0, 500, 9.0, 90)):
            {"rule": "trained_network", "wildcards": {"network": "a"}},
        write_benchmark(tmp_path / "t2.tsv", (30.0, 700, 28.0, 95)):
            {"rule": "trained_network", "wildcards": {"network": "b"}},
        write_benchmark(tmp_path / "c.tsv", (20.0, 100, 1.0, 5)):
            {"rule": "claims", "wildcards": {}},
    }
    jobs = wb.job_table(files)
    assert list(jobs.columns) == wb.JOB_COLUMNS
    assert list(jobs["job"]) == ["network=a", "network=b", "-"]
    rules = wb.rule_table(jobs).set_index("rule")
    assert list(rules.index) == ["trained_network", "claims", "all jobs"]
    training = rules.loc["trained_network"]
    assert (training["jobs"], training["total_seconds"], training["median_seconds"],
            training["max_seconds"], training["peak_rss_mib"]) == (2, 40.0, 20.0, 30.0, 700)
    assert training["share_percent"] == pytest.approx(200 / 3)
    assert rules.loc["all jobs", "total_seconds"] == 60.0
    assert rules.loc["all jobs", "peak_rss_mib"] == 700
    with pytest.raises(ValueError, match="no jobs"):
        wb.rule_table(jobs.iloc[:0])


def test_planned_jobs_of_the_paper_config():
    config = paper_config()
    jobs = wb.planned_jobs(config)
    by_rule = pd.Series([job["rule"] for job in jobs]).value_counts()
    replicates = len(config["networks"]) + 1  # mnist_100 twice
    assert by_rule["trained_network"] == by_rule["classified_subsets"] == replicates == 7
    assert by_rule["relu_singular_value_bounds"] == by_rule["gaussian_mean_widths"] == 7
    assert by_rule["width_subsamples"] == 7
    # per subset: 3 layers x ceil(width / 50) rank parts: 100 wide 2 parts (mnist_100 twice,
    # cifar10_100, fashion_mnist_100), 300 wide 6 (cifar10_300), 20 and 32 wide 1
    assert by_rule["relu_singular_value_bounds_part"] == 2 * 3 * (2 * 4 + 6 + 1 + 1) == 96
    assert by_rule["raw_dataset"] == 4  # mnist, fashion_mnist, cifar10, boston_housing
    assert by_rule["appendix_figure"] == 4  # one per appendix network, all its replicates
    assert by_rule["harmonic_pruning"] == by_rule["double_layer_network"] == 3 + 1
    # pruned x architectures, all 5 seeds in one job (seeds_per_job: 5)
    assert by_rule["from_scratch_seeds"] == 2 * 3
    assert by_rule["from_scratch_comparison"] == 2
    assert by_rule["claims"] == by_rule["replicates_table"] == 1
    assert "pretrained_network" not in by_rule
    for job in [
        {"rule": "trained_network", "wildcards": {"network": "mnist_100", "seed": "101"}},
        {"rule": "relu_singular_value_bounds_part",
         "wildcards": {"network": "mnist_100", "seed": "1", "subset": "incorrect", "layer": "3",
                       "part": "2"}},
        {"rule": "relu_singular_value_bounds", "wildcards": {"network": "cifar10_300",
                                                             "seed": "7"}},
        {"rule": "appendix_figure", "wildcards": {"network": "mnist_20"}},
        {"rule": "pruning_baselines", "wildcards": {"pruned": "cifar10_double", "seed": "211"}},
        {"rule": "from_scratch_seeds",
         "wildcards": {"pruned": "mnist_double", "architecture": "2", "seeds": "0-1-2-3-4"}},
        {"rule": "from_scratch_comparison", "wildcards": {"pruned": "mnist_double"}},
    ]:
        assert job in jobs
    assert len(jobs) == len({(job["rule"], wb.job_label(job["wildcards"])) for job in jobs})


def test_planned_jobs_of_a_pretrained_network_have_one_bounds_part_per_subset():
    config = paper_config()
    config["networks"]["mnist_20"] = {"dataset": "mnist", "pretrained": "models/mine.keras",
                                      "seed": 3}
    jobs = wb.planned_jobs(config)
    assert {"rule": "pretrained_network", "wildcards": {"network": "mnist_20", "seed": "3"}} in jobs
    assert {"rule": "trained_network", "wildcards": {"network": "mnist_20", "seed": "3"}} \
        not in jobs
    parts = [job["wildcards"] for job in jobs if job["rule"] == "relu_singular_value_bounds_part"
             and job["wildcards"]["network"] == "mnist_20"]
    assert parts == [{"network": "mnist_20", "seed": "3", "subset": subset, "layer": ALL_LAYERS,
                      "part": "1"}
                     for subset in ("correct", "incorrect")]


def test_planned_jobs_without_pruning_drop_the_pruning_jobs():
    config = paper_config()
    config["pruning"]["networks"] = {}
    rules = {job["rule"] for job in wb.planned_jobs(config)}
    assert not rules & {"harmonic_pruning", "fig5_harmonic_pruning", "from_scratch_seeds",
                        "from_scratch_comparison", "from_scratch_table"}
    assert {"parameter_table", "replicates_table"} <= rules


def test_planned_jobs_refuse_a_rule_without_a_job_model():
    with pytest.raises(ValueError, match=r"\['new_rule'\] have a benchmark: but no entry"):
        wb.planned_jobs(paper_config(), ["trained_network", "new_rule"])


def test_job_labels_round_trip_and_keys_ignore_wildcard_order():
    wildcards = {"network": "mnist_100", "seed": "1", "subset": "correct", "layer": "2"}
    label = wb.job_label(wildcards)
    assert label == "network=mnist_100,seed=1,subset=correct,layer=2"
    assert wb.label_wildcards(label) == wildcards and wb.label_wildcards("-") == {}
    reordered = dict(reversed(wildcards.items()))
    assert wb.job_key("r", reordered) == wb.job_key("r", wildcards)
    assert wb.job_key("r", wildcards, drop=("seed",)) == wb.job_key(
        "r", {**wildcards, "seed": "101"}, drop=("seed",))
    with pytest.raises(ValueError, match="not a job label"):
        wb.label_wildcards("network")


def test_probe_config_keeps_one_network_per_dataset_and_one_replicate_of_each():
    config = paper_config()
    probe = wb.probe_config(config)
    assert sorted(probe["networks"]) == ["boston_housing_32", "cifar10_100",
                                         "fashion_mnist_100", "mnist_100"]
    assert probe["figure_networks"] == ["mnist_100", "cifar10_100"]
    assert probe["networks"]["mnist_100"]["seed"] == 1
    assert {n: e["seed"] for n, e in probe["pruning"]["networks"].items()} == {
        "cifar10_double": 11, "mnist_double": 12}
    # a from-scratch job trains all its seeds at once: the probe times the whole job
    assert probe["pruning"]["from_scratch"]["seeds"] == [0, 1, 2, 3, 4]
    assert probe["pruning"]["from_scratch"]["architectures"] == (
        config["pruning"]["from_scratch"]["architectures"])
    # the input is not modified
    assert len(config["networks"]) == 6 and config["networks"]["mnist_100"]["seed"] == [1, 101]
    assert config["pruning"]["from_scratch"]["seeds"] == [0, 1, 2, 3, 4]
    assert config["pruning"]["networks"]["cifar10_double"]["seed"] == [11, 111, 211]


def test_job_work_of_training_is_epochs_times_parameters_and_of_a_bounds_part_one_layer():
    config = paper_config()
    mnist_100 = config["networks"]["mnist_100"]
    assert wb.job_work("trained_network", mnist_100, config) == 20 * 99_710
    assert wb.job_work("classified_subsets", mnist_100, config) == 99_710
    assert wb.job_work("width_subsamples", mnist_100, config) == 99_710 + 100 * 100 * 300
    # a part: (n' + m) r^2 of its hidden layer, n' = min(n, N, m) with the tight bounds in the
    # row space of W (N = subsets.max_size = 1000), over the layer's ceil(m /
    # bounds.ranks_per_job) parts of interleaved ranks (50: 2 parts of 100)
    part = "relu_singular_value_bounds_part"
    assert wb.job_work(part, mnist_100, config, "1") == (100 + 100) * 100**2 / 2
    assert wb.job_work(part, mnist_100, config, 2) == wb.job_work(part, mnist_100, config, 3) == (
        (100 + 100) * 100**2 / 2)
    cifar10_300 = config["networks"]["cifar10_300"]  # 3072 inputs: n' = m = 300; 6 parts
    assert wb.job_work(part, cifar10_300, config, 1) == (300 + 300) * 300**2 / 6
    # in all of span X (the paper's procedure, or row_space: false): n' = min(n, N)
    paper = {**config, "bounds": {**config["bounds"], "method": "paper"}}
    assert wb.job_work(part, cifar10_300, paper, 1) == (1000 + 300) * 300**2 / 6
    for layer in (None, 0, 4, "all"):
        with pytest.raises(ValueError, match="a bounds part needs its layer, 1 to 3"):
            wb.job_work(part, mnist_100, config, layer)
    with pytest.raises(ValueError, match="no work model"):
        wb.job_work("claims", mnist_100, config)
    with pytest.raises(ValueError, match="put it in the probe"):
        wb.job_work("trained_network", {"dataset": "mnist", "pretrained": "m.keras"}, config)


def fake_probe(config):
    """A job table of the probe config: 10 s per job, 1 s for the appendix figures, and a bounds
    part of layer l l * 100 s."""
    def seconds(job):
        if job["rule"] == "appendix_figure":
            return 1.0
        if job["rule"] == "relu_singular_value_bounds_part":
            return 100.0 * int(job["wildcards"]["layer"])
        return 10.0

    jobs = wb.planned_jobs(wb.probe_config(config))
    return pd.DataFrame([{"rule": job["rule"], "job": wb.job_label(job["wildcards"]),
                          "seconds": seconds(job), "cpu_seconds": 1.0, "max_rss_mib": 100.0,
                          "mean_load": 50.0} for job in jobs])


def test_estimate_scales_networks_of_the_same_dataset_and_copies_the_rest():
    config = paper_config()
    estimate = wb.estimate_jobs(fake_probe(config), config).set_index(["rule", "job"])
    assert len(estimate) == len(wb.planned_jobs(config))
    measured = estimate.loc[("trained_network", "network=cifar10_100,seed=7")]
    assert (measured["seconds"], measured["scale"]) == (10.0, 1.0)
    wide = estimate.loc[("trained_network", "network=cifar10_300,seed=7")]
    ratio = (wb.job_work("trained_network", config["networks"]["cifar10_300"], config)
             / wb.job_work("trained_network", config["networks"]["cifar10_100"], config))
    assert wide["scale"] == pytest.approx(ratio) and ratio > 3
    assert wide["seconds"] == pytest.approx(10.0 * ratio)
    assert wide["from_job"] == "trained_network network=cifar10_100,seed=7"
    # a smaller network is floored at the probe's cheapest job of the rule
    narrow = estimate.loc[("trained_network", "network=mnist_20,seed=7")]
    assert narrow["scale"] < 1 and narrow["seconds"] == 10.0
    assert estimate.loc[("claims", "-"), "seconds"] == 10.0
    # appendix figures of networks the probe plotted in Figures 3 and 4: the probe's median
    appendix = estimate.loc[("appendix_figure", "network=mnist_20")]
    assert (appendix["seconds"], appendix["from_job"]) == (1.0, "appendix_figure (median of 2)")


def test_estimate_copies_a_replicate_from_the_probe_replicate_of_its_network():
    config = paper_config()
    estimate = wb.estimate_jobs(fake_probe(config), config).set_index(["rule", "job"])
    second = estimate.loc[("relu_singular_value_bounds_part",
                           "network=mnist_100,seed=101,subset=correct,layer=2,part=1")]
    assert (second["seconds"], second["scale"]) == (200.0, 1.0)
    assert second["from_job"] == ("relu_singular_value_bounds_part "
                                  "network=mnist_100,seed=1,subset=correct,layer=2,part=1")
    pruned = estimate.loc[("harmonic_pruning", "pruned=cifar10_double,seed=211")]
    assert pruned["from_job"] == "harmonic_pruning pruned=cifar10_double,seed=11"
    run = estimate.loc[("from_scratch_seeds",
                        "pruned=mnist_double,architecture=1,seeds=0-1-2-3-4")]
    assert run["from_job"] == ("from_scratch_seeds "
                               "pruned=mnist_double,architecture=1,seeds=0-1-2-3-4")


def test_estimate_scales_a_bounds_part_by_its_own_layer():
    config = paper_config()
    estimate = wb.estimate_jobs(fake_probe(config), config).set_index(["rule", "job"])
    part = "relu_singular_value_bounds_part"
    wide, base = config["networks"]["cifar10_300"], config["networks"]["cifar10_100"]
    for layer in (1, 2, 3):
        for index in range(1, 7):  # each of the six parts from the probe's first part
            row = estimate.loc[(part, f"network=cifar10_300,seed=7,subset=incorrect,"
                                      f"layer={layer},part={index}")]
            ratio = (wb.job_work(part, wide, config, layer)
                     / wb.job_work(part, base, config, layer))
            assert row["scale"] == pytest.approx(ratio)
            assert row["seconds"] == pytest.approx(100.0 * layer * ratio)
            assert row["from_job"] == (
                f"{part} network=cifar10_100,seed=7,subset=incorrect,layer={layer},part=1")
    # layer 2: (n + m) r^2 = (300 + 300) 300^2 in 6 parts against (100 + 100) 100^2 in 2
    assert estimate.loc[(part, "network=cifar10_300,seed=7,subset=correct,layer=2,part=3"),
                        "scale"] == pytest.approx(600 * 300**2 / 6 / (200 * 100**2 / 2))
    # the gather reads a few tables whatever the network: the probe's median gather
    gather = estimate.loc[("relu_singular_value_bounds", "network=cifar10_300,seed=7")]
    assert gather["from_job"] == "relu_singular_value_bounds (median of 4)"


def test_estimate_needs_a_probe_network_of_every_dataset_and_of_every_depth():
    config = paper_config()
    probe = fake_probe(config)
    with pytest.raises(ValueError, match="no probe network on dataset 'cifar10'"):
        wb.estimate_jobs(probe[~probe["job"].str.contains("cifar10_100")], config)
    config["networks"]["cifar10_300"]["widths"] = [300, 300, 300, 300]
    with pytest.raises(ValueError, match="with as many hidden layers"):
        wb.estimate_jobs(probe, config)


def test_rules_the_probe_did_not_time_are_left_out_with_a_warning():
    """A probe saved before a rule existed (the saved probe has no width_subsamples or
    bounds_table): those rules' jobs are unmeasured, left out and named, the rest as before."""
    config = paper_config()
    probe = fake_probe(config)
    full = wb.estimate_jobs(probe, config)
    old = probe[~probe["rule"].isin(["width_subsamples", "bounds_table"])]
    planned = pd.Series([job["rule"] for job in wb.planned_jobs(config)]).value_counts()
    unmeasured = wb.unmeasured_rules(old, config)
    assert unmeasured == {"width_subsamples": planned["width_subsamples"], "bounds_table": 1}
    assert list(unmeasured) == [r for r in wb.RULE_JOBS if r in unmeasured]  # in rule order
    assert wb.unmeasured_rules(probe, config) == {}
    with pytest.warns(wb.UnmeasuredRulesWarning,
                      match=rf"width_subsamples \({planned['width_subsamples']} jobs\), "
                            r"bounds_table \(1 job\): they are unmeasured and left out"):
        estimate = wb.estimate_jobs(old, config)
    assert not estimate["rule"].isin(["width_subsamples", "bounds_table"]).any()
    kept = full[~full["rule"].isin(["width_subsamples", "bounds_table"])]
    pd.testing.assert_frame_equal(estimate.reset_index(drop=True), kept.reset_index(drop=True))


def test_the_saved_probe_estimates_the_paper_with_its_unmeasured_rules_named():
    """benchmarks/results/workflow_probe_jobs.csv, as `bench_workflow.py --estimate-only` reads
    it, against the full paper config: every rule it timed is estimated, the others named."""
    config = paper_config()
    probe = pd.read_csv(ROOT / "benchmarks/results/workflow_probe_jobs.csv")
    unmeasured = wb.unmeasured_rules(probe, config)
    assert set(unmeasured) <= set(wb.RULE_JOBS) - set(probe["rule"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimate = wb.estimate_jobs(probe, config)
    assert [w.category for w in caught] == ([wb.UnmeasuredRulesWarning] if unmeasured else [])
    planned = [job for job in wb.planned_jobs(config) if job["rule"] not in unmeasured]
    assert len(estimate) == len(planned) and estimate["seconds"].gt(0).all()
