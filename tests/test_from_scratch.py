"""Claim C8 (relusv.from_scratch): small architectures trained from scratch over seeds."""

import pytest

from relusv.from_scratch import from_scratch_comparison
from relusv.paper import SECTION_VC_ARCHITECTURES
from relusv.parameter_counts import dense_mlp_parameter_count, double_mlp_parameter_count
from relusv.tidy import FROM_SCRATCH_RUNS, FROM_SCRATCH_SUMMARY

pytest_plugins = ("pruning_fixtures",)  # data


def test_from_scratch_comparison(data):
    archs = [{"name": "dense", "widths": (8, 6), "ranks": None},
             {"name": "double", "widths": (16, 16), "ranks": (4, 3)}]
    runs, summary = from_scratch_comparison(data, architectures=archs, seeds=(0, 1), epochs=2,
                                            batch_size=128, patience=1)
    assert len(runs) == 4 and summary["architecture"].tolist() == ["dense", "double"]
    # the workflow inserts network first: then the columns are the tidy tables'
    assert ["network", *runs.columns] == list(FROM_SCRATCH_RUNS.columns)
    assert ["network", *summary.columns] == list(FROM_SCRATCH_SUMMARY.columns)
    assert summary["parameters"].tolist() == [dense_mlp_parameter_count(64, (8, 6), 10),
                                              double_mlp_parameter_count(64, (16, 16), (4, 3),
                                                                         10)]
    assert (summary["runs"] == 2).all()
    dense = runs[runs["architecture"] == "dense"]["test_accuracy"]
    assert summary["test_accuracy_mean"].iloc[0] == pytest.approx(dense.mean())
    assert summary["test_accuracy_std"].iloc[0] == pytest.approx(dense.std(ddof=1))
    assert runs["seed"].tolist() == [0, 1, 0, 1] and (runs["test_accuracy"] > 0.1).all()


def test_default_architectures_are_those_of_section_vc():
    default = from_scratch_comparison.__kwdefaults__["architectures"]
    assert default is SECTION_VC_ARCHITECTURES
    assert [a["name"] for a in default] == ["dense (100, 100, 100)",
                                            "double (100, 100, 100) ranks (18, 8, 6)",
                                            "dense (20, 9, 7)"]


def test_bad_arguments_raise(data):
    with pytest.raises(ValueError, match="above"):
        from_scratch_comparison(data, architectures=[{"widths": (8,), "ranks": (9,)}])
    with pytest.raises(ValueError, match="seeds"):
        from_scratch_comparison(data, seeds=())
    with pytest.raises(ValueError, match="lacks"):
        from_scratch_comparison({k: v for k, v in data.items() if k != "y_val"})
    with pytest.raises(ValueError, match="learning_rate"):
        from_scratch_comparison(data, learning_rate=-1.0)
