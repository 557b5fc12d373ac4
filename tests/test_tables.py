"""Tables: one row per network, the three files written atomically, Markdown and LaTeX that
read back."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from relusv import tables, tidy


def summary(network, **overrides):
    base = {
        "network": network,
        "dataset": "mnist",
        "input_dim": 784,
        "classes": 10,
        "widths": [100, 100, 100],
        "parameters": 99_710,
        "optimizer": "Adam",
        "learning_rate": 0.001,
        "batch_size": 128,
        "epochs": 20,
        "train_accuracy": 0.995,
        "val_accuracy": 0.981,
        "test_accuracy": 0.979,
        "seconds": 812.25,
    }
    base.update(overrides)
    return base


SUMMARIES = [
    summary("mnist_100"),
    summary("cifar_100", dataset="cifar10", widths=[200, 100, 50], parameters=640_000,
            test_accuracy=0.52, seconds=12_345.6),
    summary("boston_16", dataset="boston|median", widths=[16, 16, 16], learning_rate=1e-4),
]


def test_network_table_one_row_per_network_in_order():
    table = tables.network_table(SUMMARIES)
    assert list(table.columns) == list(tidy.NETWORKS.columns)
    assert list(table["network"]) == ["mnist_100", "cifar_100", "boston_16"]
    assert list(table["widths"]) == ["100-100-100", "200-100-50", "16-16-16"]
    assert table.loc[1, "parameters"] == 640_000
    assert table.loc[1, "test_accuracy_mean"] == pytest.approx(0.52)
    assert math.isnan(table.loc[1, "test_accuracy_std"])  # one replicate: no spread
    assert list(table["replicates"]) == [1, 1, 1]
    assert "seconds" not in " ".join(table.columns)  # the times are in timing_table
    assert table.loc[0, "optimizer"] == "Adam"
    assert table.loc[2, "learning_rate"] == pytest.approx(1e-4)


def test_network_table_selects_and_orders_networks():
    table = tables.network_table(SUMMARIES, networks=["cifar_100", "mnist_100"])
    assert list(table["network"]) == ["cifar_100", "mnist_100"]
    assert list(table.index) == [0, 1]


def test_network_table_missing_key_gives_empty_cell():
    partial = {k: v for k, v in summary("x").items() if k != "val_accuracy"}
    table = tables.network_table([partial])
    assert math.isnan(table.loc[0, "val_accuracy_mean"])
    assert tables.to_markdown(tables.people_table(table)).splitlines()[2].count("|  |") == 1


def test_network_table_rejects_bad_input():
    with pytest.raises(ValueError, match="at least one"):
        tables.network_table([])
    with pytest.raises(ValueError, match="network"):
        tables.network_table([{"dataset": "mnist"}])
    with pytest.raises(ValueError, match="duplicate"):
        tables.network_table([summary("a"), summary("a")])
    with pytest.raises(ValueError, match="no training summary"):
        tables.network_table(SUMMARIES, networks=["nope"])


def _markdown_rows(text):
    lines = [line for line in text.splitlines() if line.startswith("|")]
    header, separator, *rows = lines
    assert set(separator.replace("|", "").replace(" ", "")) <= set("-:")
    split = [
        [cell.strip() for cell in line.replace(r"\|", "\0").strip("|").split("|")]
        for line in [header, *rows]
    ]
    return split[0], split[1:]


def test_write_table_writes_three_files_that_read_back(tmp_path):
    table = tables.network_table(SUMMARIES)
    paths = tables.write_table(table, tmp_path / "sub" / "table1")
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == [
        "table1.csv", "table1.md", "table1.tex"
    ]
    assert set(paths) == {"csv", "md", "tex"}

    back = pd.read_csv(paths["csv"])
    assert list(back.columns) == list(table.columns)
    assert len(back) == len(table)
    assert list(back["widths"]) == list(table["widths"])
    assert back["test_accuracy_mean"].tolist() == pytest.approx(
        table["test_accuracy_mean"].tolist())

    header, rows = _markdown_rows(paths["md"].read_text())
    assert len(rows) == len(table)
    assert all(len(row) == len(header) for row in rows)
    assert header == ["network", "dataset", "widths", "parameters", "optimiser", "batch",
                      "epochs", "seeds", "train acc. (%)", "val. acc. (%)", "test acc. (%)"]
    assert rows[2][1] == "boston\0median"  # the pipe in the cell is escaped, not a new column
    assert rows[0][4] == "Adam (0.001)" and rows[1][-1] == "52.0"

    tex = paths["tex"].read_text()
    assert "\\begin{tabular}{@{}lllrlrrrrrr@{}}" in tex and "\\end{tabular}" in tex
    assert [r for r in ("\\toprule", "\\midrule", "\\bottomrule") if r in tex] == [
        "\\toprule", "\\midrule", "\\bottomrule"]  # booktabs
    assert "\\hline" not in tex
    body = [line for line in tex.splitlines() if line.endswith("\\\\")]
    assert len(body) == 1 + len(table)  # header + one line per network
    assert "mnist\\_100" in tex and "mnist_100" not in tex.replace("mnist\\_100", "")


def test_write_table_overwrites_atomically(tmp_path):
    stem = tmp_path / "t"
    tables.write_table(tables.network_table(SUMMARIES), stem)
    tables.write_table(tables.network_table(SUMMARIES[:1]), stem)
    assert len(pd.read_csv(tmp_path / "t.csv")) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.csv", "t.md", "t.tex"]


def test_write_table_checks_its_input(tmp_path):
    with pytest.raises(TypeError):
        tables.write_table([1, 2], tmp_path / "x")


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, ""), (float("nan"), ""), (3, "3"), (0.97912, "0.9791"), (0.001, "0.001"),
     (12345.6, "12346"), (2.0, "2"), ("Adam", "Adam")],
)
def test_format_cell(value, text):
    assert tables.format_cell(value) == text


def test_latex_escape():
    assert tables.latex_escape("a_b & 50% #1 $x$ {y} ~^\\") == (
        r"a\_b \& 50\% \#1 \$x\$ \{y\} \textasciitilde{}\textasciicircum{}\textbackslash{}"
    )


# ---------------------------------------------------------------------------------------------
# section V-C: parameter counts (C7) and the from-scratch comparison (C8)
# ---------------------------------------------------------------------------------------------


def _dense(sizes):
    return sum(n * m + m for n, m in zip(sizes[:-1], sizes[1:], strict=True))


def test_parameter_table_exact_counts_for_cifar10_and_mnist():
    table = tables.parameter_table({"CIFAR-10": 3072, "MNIST": 784})
    assert list(table.columns) == ["architecture", "CIFAR-10", "MNIST"]
    assert list(table["architecture"]) == [
        "dense (100, 100, 100)", "double (100, 100, 100) ranks (18, 8, 6)", "dense (20, 9, 7)"]
    rows = table.set_index("architecture")
    # the paper's numbers (section V-C)
    assert rows.loc["dense (100, 100, 100)", "CIFAR-10"] == 328_510
    assert rows.loc["double (100, 100, 100) ranks (18, 8, 6)", "CIFAR-10"] == 61_206
    # by hand: dense 784-100-100-100-10
    assert rows.loc["dense (100, 100, 100)", "MNIST"] == 78_500 + 10_100 + 10_100 + 1_010 == 99_710
    # double-layers r (n + m) + m, dense output 100 * 10 + 10
    double_mnist = (18 * (784 + 100) + 100) + (8 * 200 + 100) + (6 * 200 + 100) + 1_010
    assert double_mnist == 20_022
    assert rows.loc["double (100, 100, 100) ranks (18, 8, 6)", "MNIST"] == double_mnist
    assert rows.loc["dense (20, 9, 7)", "CIFAR-10"] == _dense((3072, 20, 9, 7, 10)) == 61_799
    assert rows.loc["dense (20, 9, 7)", "MNIST"] == _dense((784, 20, 9, 7, 10)) == 16_039
    assert all(str(table[c].dtype) == "int64" for c in ("CIFAR-10", "MNIST"))


def test_parameter_table_takes_architectures_and_classes():
    archs = [{"widths": (4, 3), "ranks": None}, {"name": "tiny", "widths": (4, 3), "ranks": (1, 1)}]
    table = tables.parameter_table({"iris": 4}, classes=3, architectures=archs)
    assert list(table["architecture"]) == ["dense (4, 3)", "tiny"]
    assert table["iris"].tolist() == [_dense((4, 4, 3, 3)), (1 * 8 + 4) + (1 * 7 + 3) + 3 * 3 + 3]


def test_parameter_table_rejects_bad_input():
    with pytest.raises(ValueError, match="input_dims"):
        tables.parameter_table({})
    with pytest.raises(ValueError, match="widths"):
        tables.parameter_table({"a": 4}, architectures=[{"ranks": None}])
    with pytest.raises(ValueError, match="distinct"):
        tables.parameter_table({"a": 4}, architectures=[{"widths": (2,)}, {"widths": (2,)}])
    with pytest.raises(ValueError):
        tables.parameter_table({"a": 4}, architectures=[{"widths": (2,), "ranks": (1, 1)}])


def scratch_summary(network, rows=(("dense (20, 9, 7)", 61_799, 0.40, 0.010),
                                   ("double (100, 100, 100) ranks (18, 8, 6)", 61_206, 0.50, 0.012),
                                   ("dense (100, 100, 100)", 328_510, 0.53, 0.004))):
    return pd.DataFrame([
        {"network": network, "architecture": arch, "parameters": params, "runs": 5,
         "test_accuracy_mean": mean, "test_accuracy_std": std,
         "test_accuracy_min": mean - 2 * std, "test_accuracy_max": mean + 2 * std}
        for arch, params, mean, std in rows
    ])


def test_from_scratch_table_one_row_per_network_and_architecture(tmp_path):
    one_run = scratch_summary("mnist_double",
                              rows=(("dense (20, 9, 7)", 16_039, 0.9, float("nan")),))
    one_run["runs"] = 1
    table = tables.from_scratch_table({"cifar10_double": scratch_summary("ignored"),
                                       "mnist_double": one_run})
    assert list(table.columns) == list(tidy.FROM_SCRATCH_TABLE.columns)
    assert list(table["network"]) == ["cifar10_double"] * 3 + ["mnist_double"]
    assert table.loc[1, "architecture"] == "double (100, 100, 100) ranks (18, 8, 6)"
    assert table.loc[1, "parameters"] == 61_206 and table.loc[1, "runs"] == 5
    assert table.loc[0, "test_accuracy_mean"] == pytest.approx(0.40)
    assert table.loc[1, "test_accuracy_mean"] == pytest.approx(0.50)
    assert table.loc[1, "test_accuracy_min"] == pytest.approx(0.476)
    assert math.isnan(table.loc[3, "test_accuracy_std"])  # one run: no spread
    paths = tables.write_table(table, tmp_path / "from_scratch")
    back = pd.read_csv(paths["csv"])
    assert len(back) == 4 and back["test_accuracy_std"].isna().sum() == 1
    assert all(pd.api.types.is_numeric_dtype(back[c]) for c in back.columns[2:])
    header, rows = _markdown_rows(paths["md"].read_text())
    assert header == ["network", "architecture", "parameters", "runs", "test acc. (%)",
                      "min (%)", "max (%)"]
    assert rows[0][4] == "40.0 ± 1.0" and rows[3][4] == "90.0"  # one run: the mean alone


def test_from_scratch_table_adds_the_trained_network():
    trained = {"cifar10_double": {"network": "cifar10_double", "dataset": "cifar10",
                                  "widths": [100, 100, 100], "parameters": 636_010,
                                  "test_accuracy": 0.52}}
    table = tables.from_scratch_table({"cifar10_double": scratch_summary("x")}, trained=trained)
    last = table.iloc[-1]
    assert len(table) == 4
    assert last["architecture"] == "double (100, 100, 100) full rank, the network pruned"
    assert last["parameters"] == 636_010 and last["runs"] == 1
    assert last["test_accuracy_mean"] == pytest.approx(0.52)
    assert math.isnan(last["test_accuracy_std"])


def test_from_scratch_table_rejects_bad_input():
    with pytest.raises(ValueError, match="non-empty"):
        tables.from_scratch_table({})
    with pytest.raises(ValueError, match="missing columns"):
        tables.from_scratch_table({"n": scratch_summary("n").drop(columns="runs")})
    with pytest.raises(TypeError, match="DataFrame"):
        tables.from_scratch_table({"n": [1, 2]})


# replicates: one network trained under several seeds, one summary per seed

REPLICATES = [
    summary("mnist_100", seed=2, test_accuracy=0.975, seconds=800.0, epochs=19),
    summary("cifar_100", dataset="cifar10", widths=[200, 100, 50], parameters=640_000,
            test_accuracy=0.52, seconds=12_345.6, seed=0),
    summary("mnist_100", seed=0, test_accuracy=0.979, seconds=812.0),
    summary("mnist_100", seed=1, test_accuracy=0.983, seconds=824.0),
]


def test_network_table_over_replicates_one_row_per_network_with_mean_and_std():
    table = tables.network_table(REPLICATES)
    assert list(table.columns) == list(tidy.NETWORKS_REPLICATES.columns)
    assert list(table["network"]) == ["mnist_100", "cifar_100"]  # order of first summary
    assert list(table["replicates"]) == [3, 1]
    mnist, cifar = table.iloc[0], table.iloc[1]
    assert mnist["epochs"] == 20  # settings of the smallest seed
    assert mnist["test_accuracy_mean"] == pytest.approx(0.979)
    assert mnist["test_accuracy_std"] == pytest.approx(0.004)  # sample std, ddof 1
    assert mnist["train_accuracy_std"] == pytest.approx(0.0)
    assert math.isnan(cifar["test_accuracy_std"])  # one replicate
    people = tables.people_table(table)
    assert people.loc[0, "test_accuracy (%)"] == "97.9 ± 0.4"
    assert people.loc[1, "test_accuracy (%)"] == "52.0"  # one replicate: the mean alone
    selected = tables.network_table(REPLICATES, networks=["cifar_100", "mnist_100"])
    assert list(selected["network"]) == ["cifar_100", "mnist_100"]
    assert list(selected.index) == [0, 1]


def test_network_table_over_replicates_writes_mean_pm_std_and_numbers(tmp_path):
    paths = tables.write_table(tables.network_table(REPLICATES), tmp_path / "table1")
    back = pd.read_csv(paths["csv"])
    assert list(back.columns) == list(tidy.NETWORKS_REPLICATES.columns)
    assert back.loc[0, "test_accuracy_std"] == pytest.approx(0.004)
    assert back.loc[0, "replicates"] == 3
    header, rows = _markdown_rows(paths["md"].read_text())
    assert "seeds" in header and not [h for h in header if "std" in h or "mean" in h]
    assert rows[0][header.index("test acc. (%)")] == "97.9 ± 0.4"
    assert r"97.9 $\pm$ 0.4" in paths["tex"].read_text()


def test_network_table_one_summary_per_network_is_todays_table_even_with_seeds(tmp_path):
    plain = tables.write_table(tables.network_table(SUMMARIES), tmp_path / "plain")
    seeded = [dict(s, seed=i) for i, s in enumerate(SUMMARIES)]
    with_seeds = tables.write_table(tables.network_table(seeded), tmp_path / "seeded")
    for ext in ("csv", "md", "tex"):
        assert plain[ext].read_bytes() == with_seeds[ext].read_bytes()


def test_network_table_replicates_need_distinct_seeds():
    with pytest.raises(ValueError, match="duplicate.*distinct 'seed'"):
        tables.network_table([summary("a", seed=1), summary("a", seed=1)])
    with pytest.raises(ValueError, match="duplicate.*distinct 'seed'"):
        tables.network_table([summary("a", seed=1), summary("a")])
    with pytest.raises(ValueError, match="no training summary"):
        tables.network_table(REPLICATES, networks=["nope"])


def test_from_scratch_table_pools_the_replicates_of_the_trained_network():
    trained = {"cifar10_double": [
        {"network": "cifar10_double", "seed": s, "widths": [100, 100, 100],
         "parameters": 636_010, "test_accuracy": acc} for s, acc in ((11, 0.50), (111, 0.54))]}
    last = tables.from_scratch_table({"cifar10_double": scratch_summary("x")},
                                     trained=trained).iloc[-1]
    assert last["runs"] == 2
    assert last["test_accuracy_mean"] == pytest.approx(0.52)
    assert last["test_accuracy_std"] == pytest.approx(0.04 / math.sqrt(2))
    assert (last["test_accuracy_min"], last["test_accuracy_max"]) == pytest.approx((0.50, 0.54))
    with pytest.raises(TypeError, match="list of dicts"):
        tables.from_scratch_table({"cifar10_double": scratch_summary("x")},
                                  trained={"cifar10_double": [0.5]})


# Table I for people, the timings, the claims page


def test_table1_for_people_has_at_most_ten_columns_each_value_once(tmp_path):
    table = tables.network_table(REPLICATES, networks=["mnist_100", "cifar_100"])
    people = tables.people_table(table, drop=("val_accuracy",))
    assert list(people.columns) == ["network", "dataset", "widths", "parameters", "optimizer",
                                    "batch_size", "epochs", "replicates", "train_accuracy (%)",
                                    "test_accuracy (%)"]
    paths = tables.write_table(table, tmp_path / "table1", people=people)
    tex = paths["tex"].read_text()
    assert "\\begin{tabular}{@{}lllrlrrrrr@{}}" in tex
    assert len(pd.read_csv(paths["csv"]).columns) == len(tidy.NETWORKS.columns)
    header, rows = _markdown_rows(paths["md"].read_text())
    assert len(header) == 10 and rows[0][-1] == "97.9 ± 0.4"


def test_timing_table_one_row_per_replicate():
    table = tables.timing_table(REPLICATES)
    assert list(table.columns) == list(tidy.TIMINGS.columns)
    assert list(table["network"]) == ["mnist_100", "cifar_100", "mnist_100", "mnist_100"]
    assert list(table["seed"]) == [2, 0, 0, 1]
    assert table["seconds"].tolist() == pytest.approx([800.0, 12_345.6, 812.0, 824.0])
    assert table.loc[0, "epochs"] == 19
    plain = tables.timing_table([{"network": "n", "seconds": 1.5}])
    assert pd.isna(plain.loc[0, "seed"])
    with pytest.raises(ValueError, match="at least one"):
        tables.timing_table([])


def test_people_table_leaves_tables_without_pairs_alone():
    bounds = pd.DataFrame({"network": ["a"], "largest_bound": [1.5], "mean_ratio": [0.9]})
    assert tables.people_table(bounds).equals(bounds)


def test_markdown_page_renders_tables_and_escapes_html():
    page = tables.markdown_page("# Claims\n\n| a | b |\n|---|---|\n| 1 | <b>x</b> |\n", "C")
    assert page.startswith("<!DOCTYPE html>") and "<title>C</title>" in page
    assert "<table>" in page and "<td>1</td>" in page
    assert "<b>x</b>" not in page and "&lt;b&gt;" in page


def test_write_table_html_for_the_report(tmp_path):
    table = tables.network_table(REPLICATES)
    paths = tables.write_table(table, tmp_path / "networks", html=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "networks.csv", "networks.html", "networks.md", "networks.tex"]
    page = paths["html"].read_text()
    assert "<table>" in page and "97.9 ± 0.4" in page and "networks.csv" in page
    assert "html" not in tables.write_table(table, tmp_path / "plain")
