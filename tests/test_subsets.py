"""Correct and incorrect subsets: equal sizes, seeded, and honest about too few mistakes."""

import logging

import numpy as np
import pytest

from relusv.subsets import pool_arrays, select_subsets


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
