"""Correct and incorrect subsets: equal sizes, seeded, and honest about too few mistakes."""

import logging

import numpy as np
import pytest

from relusv.data import prepare, save_prepared
from relusv.subsets import pool_arrays, select_subsets, split_for_network
from relusv.weights import LayerWeights, predict_classes_from_weights


def labels(n_correct, n_incorrect, seed=0):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 3, n_correct + n_incorrect)
    y_pred = y_true.copy()
    wrong = rng.choice(len(y_true), n_incorrect, replace=False)
    y_pred[wrong] = (y_true[wrong] + 1) % 3
    return y_true, y_pred


def test_equal_sizes_drawn_from_the_right_classes():
    y_true, y_pred = labels(500, 40)
    subsets = select_subsets(y_true, y_pred, max_size=1000, min_size=10, seed=0)
    assert subsets.measurable and subsets.size == 40
    assert len(subsets.correct) == len(subsets.incorrect) == 40
    assert np.all(y_true[subsets.correct] == y_pred[subsets.correct])
    assert np.all(y_true[subsets.incorrect] != y_pred[subsets.incorrect])
    assert (subsets.n_correct_available, subsets.n_incorrect_available) == (500, 40)


def test_size_is_capped_by_max_size_and_the_draw_is_seeded():
    y_true, y_pred = labels(500, 300)
    a = select_subsets(y_true, y_pred, max_size=100, min_size=10, seed=1)
    b = select_subsets(y_true, y_pred, max_size=100, min_size=10, seed=1)
    c = select_subsets(y_true, y_pred, max_size=100, min_size=10, seed=2)
    assert a.size == 100
    np.testing.assert_array_equal(a.correct, b.correct)
    assert not np.array_equal(a.correct, c.correct)


def test_too_few_mistakes_is_not_measurable_and_warns(caplog):
    y_true, y_pred = labels(500, 3)
    with caplog.at_level(logging.WARNING):
        subsets = select_subsets(y_true, y_pred, max_size=100, min_size=10, seed=0)
    assert not subsets.measurable
    assert "min_size" in subsets.reason and "3 misclassified" in subsets.reason
    assert len(subsets.incorrect) == 0 and len(subsets.correct) == 100
    assert subsets.summary()["size"] == 0
    assert "not measurable" in caplog.text


def test_bad_arguments():
    with pytest.raises(ValueError, match="y_true and y_pred"):
        select_subsets([0, 1], [0], max_size=1, min_size=1)
    with pytest.raises(ValueError, match="max_size"):
        select_subsets([0, 1], [0, 1], max_size=0, min_size=1)
    with pytest.raises(ValueError, match="pool"):
        pool_arrays({}, "holdout")


def test_pool_all_concatenates_the_splits():
    prepared = {f"{kind}_{split}": np.full((2, 1) if kind == "x" else 2, i)
                for i, split in enumerate(["train", "val", "test"]) for kind in ("x", "y")}
    x, y = pool_arrays(prepared, "all")
    np.testing.assert_array_equal(y, [0, 0, 1, 1, 2, 2])
    x, y = pool_arrays(prepared, "validation")
    np.testing.assert_array_equal(y, [1, 1])


def test_split_for_network_gives_the_saved_subsets_or_the_pool_reclassified(tmp_path):
    """What the widths rules take: the classified subsets whatever the network
    (``split_at: final``), or the pool drawn again as each network classifies it."""
    arrays, meta = prepare("wine", validation_fraction=0.2, test_fraction=0.3, seed=0)
    data = save_prepared(tmp_path / "wine.npz", arrays, meta)
    subsets = tmp_path / "subsets.npz"
    np.savez(subsets, x_correct=arrays["x_test"][:3], x_incorrect=arrays["x_test"][3:6])
    def network(seed):
        rng = np.random.default_rng(seed)
        return [LayerWeights("hidden_1", "relu", np.zeros(8, "float32"),
                             rng.standard_normal((13, 8)).astype("float32")),
                LayerWeights("logits", "linear", np.zeros(3, "float32"),
                             rng.standard_normal((8, 3)).astype("float32"))]

    final = split_for_network(subsets, data)
    for seed in (1, 2):
        np.testing.assert_array_equal(final(network(seed))["correct"], arrays["x_test"][:3])
        np.testing.assert_array_equal(final(network(seed))["incorrect"], arrays["x_test"][3:6])
    reselect = {"pool": "test", "max_size": 10, "min_size": 2, "seed": 4}
    each = split_for_network(subsets, data, reselect)
    x, y = pool_arrays(arrays, "test")
    for seed in (1, 2):
        chosen = select_subsets(y, predict_classes_from_weights(network(seed), x), max_size=10,
                                min_size=2, seed=4)
        split = each(network(seed))
        np.testing.assert_array_equal(split["correct"], x[chosen.correct])
        np.testing.assert_array_equal(split["incorrect"], x[chosen.incorrect])
