"""Baselines at harmonic pruning's budgets (relusv.pruning.baselines): one-shot SVD, magnitude."""

import numpy as np
import pytest
from pruning_fixtures import WIDTHS

from relusv.parameter_counts import dense_mlp_parameter_count, double_mlp_parameter_count
from relusv.pruning import magnitude_pruning_curve, one_shot_svd_curve, state_accuracy
from relusv.tidy import BASELINES

pytest_plugins = ("pruning_fixtures",)  # data, trained, no_retraining_run
# What each curve gives the baselines table (the script adds network and method).
CURVE_COLUMNS = set(BASELINES.columns) - {"network", "method"}


def test_one_shot_svd_curve_with_budgets(trained, data):
    _, state0 = trained
    floor = double_mlp_parameter_count(64, WIDTHS, (0, 0, 0), 10)
    budgets = [floor, floor + 500, 1200, 1800, state0.parameters]
    for mapping in ("energy", "fraction"):
        curve = one_shot_svd_curve(state0, data, parameter_budgets=budgets, mapping=mapping)
        assert len(curve) == len(budgets) and curve["budget"].tolist() == budgets
        assert CURVE_COLUMNS <= set(curve.columns)
        assert (curve["parameters"] <= curve["budget"]).all()
        assert curve["parameters"].is_monotonic_increasing
        rank_columns = curve[["rank_1", "rank_2", "rank_3"]].to_numpy().tolist()
        for ranks, count in zip(rank_columns, curve["parameters"], strict=True):
            assert count == double_mlp_parameter_count(64, WIDTHS, ranks, 10)
        assert curve["parameters"].iloc[-1] == state0.parameters
        assert curve["test_accuracy"].iloc[-1] == state_accuracy(state0, data["x_test"],
                                                           data["y_test"])
        assert curve["test_accuracy"].iloc[-1] > curve["test_accuracy"].iloc[0]
        assert curve["parameters"].iloc[0] == floor


def test_one_shot_svd_at_harmonic_ranks_is_harmonic_pruning_without_retraining(
        trained, data, no_retraining_run):
    # Without retraining each step truncates one layer's SVD, so every state of the run is the
    # one-shot truncation of the trained network at its ranks.
    records = no_retraining_run[0][::6]
    curve = one_shot_svd_curve(trained[1], data, ranks=[r["ranks"] for r in records])
    assert curve["parameters"].tolist() == [r["parameters"] for r in records]
    n_test = len(data["y_test"])
    for rec, acc in zip(records, curve["test_accuracy"], strict=True):
        assert abs(rec["test_accuracy"] - acc) <= 2 / n_test  # float32 factors differ slightly


def test_magnitude_pruning_without_retraining_budget(trained, data, no_retraining_run):
    _, state0 = trained
    records = no_retraining_run[0]
    curve = magnitude_pruning_curve(state0, data, records, n_budgets=6)
    dense_total = dense_mlp_parameter_count(64, WIDTHS, 10)
    assert len(curve) == 6 and curve["iteration"].tolist()[0] == 0
    assert CURVE_COLUMNS <= set(curve.columns)
    assert curve["iteration"].tolist()[-1] == records[-1]["iteration"]
    assert (curve["parameters"] == np.minimum(curve["target_parameters"], dense_total)).all()
    assert (curve["retrain_batches"] == 0).all()
    # the dense copy at full budget is the trained network
    assert curve["test_accuracy"].iloc[0] == pytest.approx(
        state_accuracy(state0, data["x_test"], data["y_test"]), abs=1.5 / len(data["y_test"]))
    assert curve["test_accuracy"].iloc[0] > curve["test_accuracy"].iloc[-1]


def test_magnitude_pruning_keeps_its_mask_while_retraining(trained, data, monkeypatch):
    from relusv.pruning import retraining

    built = []
    original = retraining.dense_retraining
    monkeypatch.setattr("relusv.pruning.baselines.dense_retraining",
                        lambda *a: built.append(original(*a)) or built[-1])
    # Budgets below the dense network's 1754 parameters, with retraining in between.
    records = [{"iteration": 0, "parameters": 2522, "retrain_batches_total": 0},
               {"iteration": 5, "parameters": 1200, "retrain_batches_total": 3},
               {"iteration": 9, "parameters": 700, "retrain_batches_total": 6}]
    curve = magnitude_pruning_curve(trained[1], data, records, n_budgets=3,
                                    retrain_batch_size=64, seed=1)
    assert len(built) == 1 and built[0].traces == 1  # two retrainings, one compiled loop
    assert curve["iteration"].tolist() == [0, 5, 9]
    assert curve["retrain_batches"].tolist() == [0, 3, 6]
    # honest counts (non-zero weights + biases) after retraining: pruned weights stayed zero
    assert curve["parameters"].tolist() == [dense_mlp_parameter_count(64, WIDTHS, 10), 1200, 700]
    one_shot = magnitude_pruning_curve(trained[1], data, records, iterations=[9],
                                       retrain_batch_size=64, schedule="one_shot", seed=1)
    assert one_shot["parameters"].tolist() == [700]
    assert one_shot["retrain_batches"].tolist() == [6]


def test_bad_baseline_arguments_raise(trained, data):
    _, state0 = trained
    with pytest.raises(ValueError, match="cannot raise a rank"):
        one_shot_svd_curve(state0, data, ranks=[(17, 16, 16)])
    with pytest.raises(ValueError, match="below"):
        one_shot_svd_curve(state0, data, parameter_budgets=[10])
    with pytest.raises(ValueError, match="exactly one"):
        one_shot_svd_curve(state0, data)
    with pytest.raises(ValueError, match="lacks"):
        one_shot_svd_curve(state0, {k: v for k, v in data.items() if k != "x_train"},
                           parameter_budgets=[state0.parameters])
    with pytest.raises(ValueError):
        magnitude_pruning_curve(state0, data, [{"iteration": 0, "parameters": 5}])
    with pytest.raises(ValueError):
        magnitude_pruning_curve(state0, data, [], n_budgets=3)
    with pytest.raises(ValueError, match="learning_rate"):
        magnitude_pruning_curve(state0, data, [{"iteration": 0, "parameters": 5,
                                                "retrain_batches_total": 0}], learning_rate=0)
