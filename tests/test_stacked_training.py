"""Several seeds trained as one stacked computation (relusv.stacked_training, from_scratch_runs)
against separate train_mlp runs of the same seeds."""

import numpy as np
import pandas as pd
import pytest

from relusv import stacked_training
from relusv.from_scratch import RUN_COLUMNS, from_scratch_run, from_scratch_runs
from relusv.models import build_mlp
from relusv.stacked_training import stacked_layout_weights, train_stacked
from relusv.training import as_labels, evaluate_accuracy, train_mlp

pytest_plugins = ("pruning_fixtures",)  # data

# float32 rounding: batched instead of single matrix products, over a few epochs
ATOL = 1e-5
DENSE = {"name": "dense", "widths": (16, 8), "ranks": None}
DOUBLE = {"name": "double", "widths": (16, 12), "ranks": (4, 3)}


def arrays(data):
    return (data["x_train"], as_labels(data["y_train"]), data["x_val"],
            as_labels(data["y_val"]))


def model(arch, seed, init="glorot"):
    return build_mlp(64, arch["widths"], 10, ranks=arch["ranks"], init=init, seed=seed)


def separate(data, arch, seed, init="glorot", initial_seed=None, **options):
    """``(model, TrainingResult)`` of one train_mlp run: the reference of the stacked runs."""
    net = model(arch, seed if initial_seed is None else initial_seed, init)
    result = train_mlp(net, data["x_train"], data["y_train"], data["x_val"], data["y_val"],
                       seed=seed, **options)
    return net, result


def assert_same_weights(expected, got):
    assert len(expected) == len(got)
    for a, b in zip(expected, got, strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(b, a, rtol=0, atol=ATOL)


# the rank-0 second layer cuts the first off the loss: Keras warns that it gets no gradients
@pytest.mark.filterwarnings("ignore:Gradients do not exist")
@pytest.mark.parametrize("arch,init", [(DENSE, "glorot"), (DOUBLE, "glorot_p_product"),
                                       ({"name": "rank 0", "widths": (16, 8),
                                         "ranks": (4, 0)}, "glorot_p_product")])
def test_each_seed_trains_as_its_own_train_mlp_run(data, arch, init):
    seeds = [4, 0, 9]
    runs = train_stacked([model(arch, s, init) for s in seeds], seeds, *arrays(data), epochs=2,
                         batch_size=100, patience=None, learning_rate=1e-3)
    finals = []
    for seed, run in zip(seeds, runs, strict=True):
        net, result = separate(data, arch, seed, init, epochs=2, batch_size=100)
        assert_same_weights(stacked_layout_weights(net), run.weights)
        np.testing.assert_allclose(run.val_accuracy, result.history["val_accuracy"], atol=1e-6)
        assert run.best_epoch is None and not run.stopped_early
        finals.append(run.weights)
    # a shared initialisation or batch order would make two seeds' weights alike
    for i in range(len(seeds)):
        for j in range(i):
            assert max(np.max(np.abs(a - b), initial=0)
                       for a, b in zip(finals[i], finals[j], strict=True)) > 100 * ATOL


def test_each_seed_has_its_own_batch_order(data):
    # The same initial weights under two seeds: they part only by their batch orders, each the
    # one train_mlp gives its seed.
    seeds = [0, 1]
    runs = train_stacked([model(DENSE, 7), model(DENSE, 7)], seeds, *arrays(data), epochs=1,
                         batch_size=100, patience=None, learning_rate=1e-3)
    for seed, run in zip(seeds, runs, strict=True):
        net, _ = separate(data, DENSE, seed, initial_seed=7, epochs=1, batch_size=100)
        assert_same_weights(stacked_layout_weights(net), run.weights)
    assert not np.allclose(runs[0].weights[0], runs[1].weights[0], atol=100 * ATOL)


def test_a_seed_trains_the_same_whatever_trains_beside_it(data):
    options = dict(epochs=3, batch_size=100, patience=None, learning_rate=1e-3)
    alone = train_stacked([model(DOUBLE, 5, "glorot_p_product")], [5], *arrays(data), **options)
    stack = train_stacked([model(DOUBLE, s, "glorot_p_product") for s in (2, 5)], [2, 5],
                          *arrays(data), **options)
    assert_same_weights(alone[0].weights, stack[1].weights)


def test_early_stopping_per_seed_and_the_rows_of_separate_runs(data):
    # Patience 1 stops these seeds after 11, 4 and 13 epochs; each keeps its best epoch's
    # weights and leaves the stack when it stops.
    seeds, options = [3, 0, 1], dict(epochs=60, batch_size=200, learning_rate=1e-3)
    rows = from_scratch_runs(data, DENSE, seeds, patience=1, init="glorot", **options)
    assert tuple(rows.columns) == RUN_COLUMNS and rows["seed"].tolist() == seeds
    for seed, row in zip(seeds, rows.itertuples(), strict=True):
        net, result = separate(data, DENSE, seed, early_stopping=1, **options)
        assert result.stopped_early
        assert (row.epochs_run, row.best_epoch) == (len(result.history), result.best_epoch)
        assert row.parameters == net.count_params()
        for split in ("val", "test"):
            expected = evaluate_accuracy(net, data[f"x_{split}"], data[f"y_{split}"])
            assert getattr(row, f"{split}_accuracy") == pytest.approx(expected, abs=1e-12)
    assert rows["epochs_run"].tolist() == [11, 4, 13]
    # a seed that stopped earlier spent less time in the stack
    assert rows.sort_values("epochs_run")["seconds"].is_monotonic_increasing


def test_from_scratch_run_is_the_one_seed_case(data):
    options = dict(epochs=3, batch_size=128, patience=2, learning_rate=1e-3,
                   init="glorot_p_product", p=1)
    rows = from_scratch_runs(data, DOUBLE, [1, 6], **options)
    one = pd.concat([from_scratch_run(data, DOUBLE, s, **options) for s in (1, 6)],
                    ignore_index=True)
    pd.testing.assert_frame_equal(one.drop(columns="seconds"), rows.drop(columns="seconds"))


def test_bad_seeds_raise_before_training(data, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("trained before checking the seeds")

    monkeypatch.setattr(stacked_training, "train_stacked", no_training)
    options = dict(epochs=2, batch_size=128, patience=1, learning_rate=1e-3)
    with pytest.raises(ValueError, match=r"distinct, got \[1\] more than once"):
        from_scratch_runs(data, DENSE, [1, 2, 1], **options)
    with pytest.raises(ValueError, match="non-empty"):
        from_scratch_runs(data, DENSE, [], **options)
    with pytest.raises(ValueError, match="non-empty"):
        from_scratch_runs(data, DENSE, 3, **options)
    with pytest.raises(ValueError, match="seeds"):
        from_scratch_runs(data, DENSE, [0, -1], **options)


def test_train_stacked_rejects_mismatched_models(data):
    options = dict(epochs=1, batch_size=100, patience=None, learning_rate=1e-3)
    with pytest.raises(ValueError, match="one model per seed"):
        train_stacked([model(DENSE, 0)], [0, 1], *arrays(data), **options)
    with pytest.raises(ValueError, match="architecture of the first"):
        train_stacked([model(DENSE, 0), model(DOUBLE, 1)], [0, 1], *arrays(data), **options)
    with pytest.raises(ValueError, match="architecture of the first"):
        train_stacked([model(DENSE, 0), model({**DENSE, "widths": (16, 9)}, 1)], [0, 1],
                      *arrays(data), **options)
