"""The data of ``relusv analyse --prune``: three disjoint splits, seeded, from arrays of their own
or carved from DATA; too few points refused with the numbers; test points that occur among the
retraining or validation points left out of the test split."""

import numpy as np
import pytest

from relusv.analyse_data import DataError, load_data, pruning_splits

D, CLASSES = 4, 3


def _xy(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, D)).astype(np.float32), rng.integers(0, CLASSES, n)


def _load(tmp_path, prune_file=None, **arrays):
    np.savez(tmp_path / "data.npz", **arrays)
    return load_data(tmp_path / "data.npz", input_dim=D, classes=CLASSES, prune=True,
                     prune_path=prune_file)


def _rows(x):
    return {row.tobytes() for row in x}


def test_a_seeded_three_way_split_of_x_and_y(tmp_path):
    x, y = _xy(100)
    data = _load(tmp_path, x=x, y=y)
    a = pruning_splits(data, val_fraction=0.2, test_fraction=0.3, split_seed=3)
    b = pruning_splits(data, val_fraction=0.2, test_fraction=0.3, split_seed=3)
    c = pruning_splits(data, val_fraction=0.2, test_fraction=0.3, split_seed=4)
    assert [a.size(s) for s in ("train", "val", "test")] == [50, 20, 30]
    np.testing.assert_array_equal(a.arrays["x_test"], b.arrays["x_test"])
    assert not np.array_equal(a.arrays["x_test"], c.arrays["x_test"])
    parts = [_rows(a.arrays[f"x_{s}"]) for s in ("train", "val", "test")]
    assert sum(map(len, parts)) == 100 and len(set.union(*parts)) == 100  # disjoint, all used
    assert a.describe("test") == ("30 test points (a seeded split of 'x'/'y' of data.npz, "
                                  "--split-seed 3)")


def test_splits_of_their_own_in_data_or_a_second_file(tmp_path):
    x, y = _xy(200)
    data = _load(tmp_path, x=x[:60], y=y[:60], x_val=x[60:90], y_val=y[60:90],
                 x_train=x[90:], y_train=y[90:])
    splits = pruning_splits(data, val_fraction=0.2, test_fraction=0.2, split_seed=0)
    assert [splits.size(s) for s in ("train", "val", "test")] == [110, 30, 60]
    np.testing.assert_array_equal(splits.arrays["x_test"], x[:60])  # the pool, whole
    assert splits.sources["val"] == "'x_val'/'y_val' of data.npz"

    np.savez(tmp_path / "splits.npz", x_train=x[:100], y_train=y[:100], x_test=x[100:140],
             y_test=y[100:140])
    data = _load(tmp_path, tmp_path / "splits.npz",
                 x=x[140:], y=y[140:])
    splits = pruning_splits(data, val_fraction=0.2, test_fraction=0.2, split_seed=0)
    assert [splits.size(s) for s in ("train", "val", "test")] == [100, 60, 40]
    assert splits.sources["test"] == "'x_test'/'y_test' of splits.npz"
    assert "seeded split of 'x'/'y' of data.npz" in splits.sources["val"]


def test_only_x_test_is_split_unless_both_other_splits_are_given(tmp_path):
    x, y = _xy(100)
    data = _load(tmp_path, x_test=x, y_test=y)
    splits = pruning_splits(data, val_fraction=0.25, test_fraction=0.25, split_seed=0)
    assert [splits.size(s) for s in ("train", "val", "test")] == [50, 25, 25]
    assert "seeded split of 'x_test'/'y_test'" in splits.sources["test"]


def test_too_few_points_are_refused_with_the_numbers(tmp_path):
    x, y = _xy(50)
    data = _load(tmp_path, x=x, y=y)
    with pytest.raises(DataError, match=r"at least 20 points in each .* got 30 retraining "
                                        r"points .*, 10 validation points .*, 10 test points.*"
                                        r"more than the 50 points of 'x'/'y'"):
        pruning_splits(data, val_fraction=0.2, test_fraction=0.2, split_seed=0)


def test_test_points_seen_in_retraining_are_left_out_of_the_test_split(tmp_path):
    x, y = _xy(200)
    data = _load(tmp_path, x=x[:100], y=y[:100], x_train=x[80:], y_train=y[80:])
    splits = pruning_splits(data, val_fraction=0.2, test_fraction=0.2, split_seed=0)
    # the pool x[:100] gives validation (half) and test (half); 20 of its rows are retraining rows
    assert splits.size("val") == 50 and 30 <= splits.size("test") < 50
    assert not (_rows(splits.arrays["x_test"]) & _rows(x[80:]))
    assert "less" in splits.sources["test"] and "also occur among" in splits.sources["test"]


def test_a_split_in_both_files_or_half_given_is_refused(tmp_path):
    x, y = _xy(100)
    np.savez(tmp_path / "more.npz", x_val=x[:30], y_val=y[:30])
    with pytest.raises(DataError, match=r"both .*data.npz and .*more.npz hold the validation"):
        _load(tmp_path, tmp_path / "more.npz", x=x, y=y, x_val=x[:20], y_val=y[:20])
    with pytest.raises(DataError, match=r"has 'y_train' but no 'x_train'"):
        _load(tmp_path, x=x, y=y, y_train=y)
    with pytest.raises(DataError, match=r"array 'x_val': expected shape \(N, 4\)"):
        _load(tmp_path, x=x, y=y, x_val=x[:, :2], y_val=y)
    with pytest.raises(DataError, match=r"--val-fraction 0.5 and --test-fraction 0.5 leave no"):
        pruning_splits(_load(tmp_path, x=x, y=y), val_fraction=0.5, test_fraction=0.5,
                       split_seed=0)
