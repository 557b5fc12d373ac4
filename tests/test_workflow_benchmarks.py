"""relusv.workflow_benchmarks: reading Snakemake benchmark files, summaries and estimates."""

import math

import pandas as pd
import pytest
import yaml
from conftest import ROOT

from relusv import workflow_benchmarks as wb

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def write_benchmark(path, *rows):
    """A benchmark file with one line per (seconds, max_rss, cpu_time, mean_load)."""
    lines = [f"{s}\t0:00:00\t{rss}\t0\t0\t0\t0\t0\t{load}\t{cpu}\n" for s, rss, cpu, load in rows]
    path.write_text(HEADER + "".join(lines))
    return path


def paper_config():
    return yaml.safe_load((ROOT / "config/config.yaml").read_text())


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
    assert by_rule["trained_network"] == len(config["networks"]) == 6
    assert by_rule["raw_dataset"] == 4  # mnist, fashion_mnist, cifar10, boston_housing
    assert by_rule["appendix_figure"] == 4
    assert by_rule["harmonic_pruning"] == 2 and by_rule["claims"] == 1
    assert len(jobs) == 55  # `snakemake -n` plans 56 jobs with `all`
    assert {"rule": "appendix_figure", "wildcards": {"network": "mnist_20"}} in jobs


def test_planned_jobs_without_pruning_drop_the_pruning_jobs():
    config = paper_config()
    config["pruning"]["networks"] = {}
    rules = {job["rule"] for job in wb.planned_jobs(config)}
    assert "harmonic_pruning" not in rules and "fig5_harmonic_pruning" not in rules
    assert "parameter_table" in rules


def test_planned_jobs_refuse_a_rule_without_a_job_model():
    with pytest.raises(ValueError, match=r"\['new_rule'\] have a benchmark: but no entry"):
        wb.planned_jobs(paper_config(), ["trained_network", "new_rule"])


def test_probe_config_keeps_one_network_per_dataset_figure_networks_first():
    config = paper_config()
    probe = wb.probe_config(config)
    assert sorted(probe["networks"]) == ["boston_housing_32", "cifar10_100",
                                         "fashion_mnist_100", "mnist_100"]
    assert probe["figure_networks"] == ["mnist_100", "cifar10_100"]
    assert probe["pruning"] == config["pruning"]
    assert len(config["networks"]) == 6  # the input is not modified


def test_job_work_of_training_is_epochs_times_parameters():
    config = paper_config()
    mnist_100 = config["networks"]["mnist_100"]
    assert wb.job_work("trained_network", mnist_100, config) == 20 * 99_710
    assert wb.job_work("classified_subsets", mnist_100, config) == 99_710
    # bounds: (min(n, N) + m) r^2 per hidden layer, N = subsets.max_size = 1000
    assert wb.job_work("relu_singular_value_bounds", mnist_100, config) == (
        (784 + 100) * 100**2 + 2 * (100 + 100) * 100**2)
    with pytest.raises(ValueError, match="no work model"):
        wb.job_work("claims", mnist_100, config)


def fake_probe(config):
    """A job table of the probe config with 10 s per job and 1 s for the appendix figures."""
    jobs = wb.planned_jobs(wb.probe_config(config))
    return pd.DataFrame([{"rule": job["rule"], "job": wb.job_label(job["wildcards"]),
                          "seconds": 1.0 if job["rule"] == "appendix_figure" else 10.0,
                          "cpu_seconds": 1.0, "max_rss_mib": 100.0, "mean_load": 50.0}
                         for job in jobs])


def test_estimate_scales_networks_of_the_same_dataset_and_copies_the_rest():
    config = paper_config()
    estimate = wb.estimate_jobs(fake_probe(config), config).set_index(["rule", "job"])
    assert len(estimate) == len(wb.planned_jobs(config))
    measured = estimate.loc[("trained_network", "network=cifar10_100")]
    assert (measured["seconds"], measured["scale"]) == (10.0, 1.0)
    wide = estimate.loc[("trained_network", "network=cifar10_300")]
    ratio = (wb.job_work("trained_network", config["networks"]["cifar10_300"], config)
             / wb.job_work("trained_network", config["networks"]["cifar10_100"], config))
    assert wide["scale"] == pytest.approx(ratio) and ratio > 3
    assert wide["seconds"] == pytest.approx(10.0 * ratio)
    assert wide["from_job"] == "trained_network network=cifar10_100"
    # a smaller network is floored at the probe's cheapest job of the rule
    narrow = estimate.loc[("trained_network", "network=mnist_20")]
    assert narrow["scale"] < 1 and narrow["seconds"] == 10.0
    assert estimate.loc[("claims", "-"), "seconds"] == 10.0
    # appendix figures of networks the probe plotted in Figures 3 and 4: the probe's median
    appendix = estimate.loc[("appendix_figure", "network=mnist_20")]
    assert (appendix["seconds"], appendix["from_job"]) == (1.0, "appendix_figure (median of 2)")


def test_estimate_needs_a_probe_network_of_every_dataset():
    config = paper_config()
    probe = fake_probe(config)
    probe = probe[~probe["job"].str.contains("cifar10_100")]
    with pytest.raises(ValueError, match="no probe network on dataset 'cifar10'"):
        wb.estimate_jobs(probe, config)


def test_wall_seconds_lower_bound():
    jobs = pd.DataFrame({"seconds": [10.0, 10.0, 40.0]})
    assert wb.wall_seconds_lower_bound(jobs, 2) == 40.0
    assert wb.wall_seconds_lower_bound(jobs, 1) == 60.0
    with pytest.raises(ValueError, match="cores must be at least 1"):
        wb.wall_seconds_lower_bound(jobs, 0)
