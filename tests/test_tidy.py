"""The one definition of each tidy table, the paper's constants and the shared argument checks."""

import math

import numpy as np
import pandas as pd
import pytest

from relusv import tidy
from relusv._validation import (
    check_architectures,
    check_fraction,
    check_nonnegative_real,
    check_optional_int,
    check_positive_real,
    check_real,
)
from relusv.paper import CLAIMS, PAPER_NUMBERS, SECTION_VC_ARCHITECTURES, architecture_name
from relusv.parameter_counts import dense_mlp_parameter_count, double_mlp_parameter_count

TABLES = [tidy.RANDOM_LAYERS, tidy.BOUNDS, tidy.WIDTHS, tidy.WIDTH_DIFFERENCES, tidy.PRUNING,
          tidy.BASELINES, tidy.FROM_SCRATCH_RUNS, tidy.FROM_SCRATCH_SUMMARY, tidy.NETWORKS,
          tidy.FROM_SCRATCH_TABLE]


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_a_frame_with_every_required_column_passes_and_one_without_fails(table):
    full = table.empty()
    assert table.check(full, "df") is full
    for column in table.required:
        with pytest.raises(ValueError, match=f"df is missing columns \\['{column}'\\]"):
            table.check(full.drop(columns=[column]), "df")


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_required_columns_are_produced_columns_without_repeats(table):
    assert set(table.required) <= set(table.columns)
    assert len(set(table.columns)) == len(table.columns)


def test_a_table_whose_readers_need_a_column_it_does_not_write_cannot_be_defined():
    with pytest.raises(ValueError, match=r"required columns \['b'\]"):
        tidy.TidyTable("t", columns=("a",), required=("a", "b"))


def test_check_rejects_what_is_not_a_frame_and_unknown_subsets():
    with pytest.raises(TypeError, match="bounds must be a pandas DataFrame"):
        tidy.BOUNDS.check({"k": [0]}, "bounds")
    frame = pd.DataFrame({c: [0] for c in tidy.BOUNDS.columns}).assign(subset="wrong")
    with pytest.raises(ValueError, match=r"unknown subset\(s\) \['wrong'\]"):
        tidy.BOUNDS.check(frame, "bounds")
    assert tidy.BOUNDS.check(frame.assign(subset="incorrect"), "bounds") is not None


def test_check_mapping_names_the_network_and_refuses_an_empty_dict_unless_allowed():
    with pytest.raises(ValueError, match="non-empty dict"):
        tidy.WIDTHS.check_mapping({}, "widths")
    assert tidy.WIDTHS.check_mapping({}, "widths", allow_empty=True) == {}
    with pytest.raises(ValueError, match=r"widths\['net'\] is missing"):
        tidy.WIDTHS.check_mapping({"net": pd.DataFrame({"layer": [1]})}, "widths")
    checked = tidy.WIDTHS.check_mapping({3: tidy.WIDTHS.empty()}, "widths")
    assert list(checked) == ["3"]


def test_rank_columns_are_in_layer_order_not_string_order():
    frame = pd.DataFrame(columns=["rank_10", "iteration", "rank_2", "rank_1", "ranked"])
    assert tidy.rank_columns(frame) == ["rank_1", "rank_2", "rank_10"]


def test_the_section_vc_architectures_have_the_papers_parameter_counts():
    names = [a["name"] for a in SECTION_VC_ARCHITECTURES]
    assert names == ["dense (100, 100, 100)", "double (100, 100, 100) ranks (18, 8, 6)",
                     "dense (20, 9, 7)"]
    c7 = PAPER_NUMBERS["C7"]
    dense, double, _ = SECTION_VC_ARCHITECTURES
    assert dense_mlp_parameter_count(c7["input_dim"], dense["widths"], c7["classes"]) \
        == c7["dense_parameters"]
    assert double_mlp_parameter_count(c7["input_dim"], double["widths"], double["ranks"],
                                      c7["classes"]) == c7["double_parameters"]
    assert sorted(CLAIMS) == [f"C{i}" for i in range(1, 9)]
    assert architecture_name([4, 3], [1, 2]) == "double (4, 3) ranks (1, 2)"


@pytest.mark.parametrize("check, good, bad", [
    (check_positive_real, [1e-300, 2, np.float32(0.5)], [0, -1.0, math.inf, math.nan, True, "1"]),
    (check_nonnegative_real, [0, 0.0, 3], [-1e-12, math.inf, None]),
    (check_fraction, [0.5, 1e-9], [0, 1, 1.0, -0.1]),
])
def test_real_number_checks_accept_their_interval_and_name_the_argument(check, good, bad):
    for value in good:
        assert check(value, "arg") == float(value)
    for value in bad:
        with pytest.raises(ValueError, match="arg must be a finite number in"):
            check(value, "arg")


def test_check_real_honours_open_and_closed_ends():
    assert check_real(1.0, "x", low=0.0, high=1.0) == 1.0
    with pytest.raises(ValueError, match=r"x must be a finite number in \[0.0, 1.0\)"):
        check_real(1.0, "x", low=0.0, high=1.0, high_open=True)


def test_check_optional_int():
    assert check_optional_int(None, "n", 1) is None
    assert check_optional_int(np.int64(3), "n", 1) == 3
    for bad in (0, 2.0, True):
        with pytest.raises(ValueError, match="n must be None or an integer >= 1"):
            check_optional_int(bad, "n", 1)


def test_check_architectures_names_them_and_refuses_bad_specs():
    checked = check_architectures([{"widths": [5, 4], "ranks": None},
                                   {"widths": [5, 4], "ranks": [2, 2], "name": "mine"}], 10)
    assert checked == [{"name": "dense (5, 4)", "widths": (5, 4), "ranks": None},
                       {"name": "mine", "widths": (5, 4), "ranks": (2, 2)}]
    cases = [
        ([], "non-empty sequence"),
        ({"widths": [1]}, "non-empty sequence"),
        ([{"ranks": None}], r"architectures\[0\] must be a mapping with 'widths'"),
        ([{"widths": []}], "must not be empty"),
        ([{"widths": [3, 0]}], "positive integer"),
        ([{"widths": [3, 2], "ranks": [1]}], "one rank per width"),
        ([{"widths": [3, 2], "ranks": [3, 1]}], r"rank 3 above min\(2, 3\)"),
        ([{"widths": [3]}, {"widths": [3]}], "distinct"),
    ]
    for spec, message in cases:
        with pytest.raises(ValueError, match=message):
            check_architectures(spec, 2)


def test_the_replicates_table_of_the_claims_is_a_tidy_table():
    table = tidy.REPLICATES
    assert set(table.required) <= set(table.columns)
    assert len(set(table.columns)) == len(table.columns)
    assert {"claim", "network", "seed", "quantity", "value"} <= set(table.required)
    with pytest.raises(ValueError, match=r"df is missing columns \['value'\]"):
        table.check(table.empty().drop(columns=["value"]), "df")


def test_replicate_tables_carry_their_seed_and_read_back_as_one_frame(tmp_path):
    frame = pd.DataFrame({"network": ["a", "a"], "layer": [1, 2], "bound": [0.5, 0.25]})
    seeded = tidy.with_seed(frame, "7")
    assert list(seeded.columns) == ["network", "seed", "layer", "bound"]
    assert seeded["seed"].tolist() == [7, 7] and "seed" not in frame.columns
    assert tidy.with_seed(seeded, 8)["seed"].tolist() == [8, 8]  # replaced, not duplicated
    paths = []
    for seed in (7, 8):
        paths.append(tmp_path / f"seed{seed}.csv")
        tidy.with_seed(frame, seed).to_csv(paths[-1], index=False)
    both = tidy.read_replicates(paths)
    assert both["seed"].tolist() == [7, 7, 8, 8] and tidy.replicate_seeds(both) == [7, 8]
    pd.testing.assert_frame_equal(tidy.read_replicates(str(paths[0])), tidy.with_seed(frame, 7))
    with pytest.raises(ValueError, match="at least one"):
        tidy.read_replicates([])
