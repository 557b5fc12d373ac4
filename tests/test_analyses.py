"""Tests of relusv.analyses: the paper's analyses as tidy DataFrames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relusv.analyses import (
    gather_network_bounds,
    layer_inputs,
    layer_widths,
    layer_widths_and_differences,
    network_bounds,
    random_layer_bounds,
    widths_and_differences_over_training,
    widths_over_training,
)
from relusv.files import write_csv
from relusv.singular_values import (
    EARLY_STOPPING_PATIENCE,
    EARLY_STOPPING_TOLERANCE,
    relu_singular_value_bounds,
)
from relusv.sphere_bounds import sphere_bounds
from relusv.tidy import BOUNDS, RANDOM_LAYERS, WIDTH_DIFFERENCES, WIDTHS
from relusv.widths import WidthEstimate, gaussian_mean_width, gaussian_mean_width_per_draw


def _network(seed=0):
    rng = np.random.default_rng(seed)
    weights = [(rng.standard_normal((6, 4)) / 2, 0.1 * rng.standard_normal(6)),
               (rng.standard_normal((3, 6)) / 2, 0.1 * rng.standard_normal(3))]
    x = rng.standard_normal((40, 4))
    return weights, x


def test_layer_inputs_are_the_relu_activations():
    weights, x = _network()
    inputs = layer_inputs(weights, x)
    assert [a.shape for a in inputs] == [(40, 4), (40, 6), (40, 3)]
    (W1, b1), (W2, b2) = weights
    np.testing.assert_array_equal(inputs[1], np.maximum(x @ W1.T + b1, 0.0))
    np.testing.assert_array_equal(inputs[2], np.maximum(inputs[1] @ W2.T + b2, 0.0))


def test_network_bounds_has_the_bounds_columns_and_skips_empty_subsets():
    weights, x = _network()
    frame = network_bounds("net", weights, {"correct": x[:30], "incorrect": x[:0]}, steps=5,
                           learning_rate=0.1, approximant_bias="free", n_threads=1)
    assert tuple(frame.columns) == BOUNDS.columns
    BOUNDS.check(frame, "frame")
    assert set(frame["subset"]) == {"correct"}
    assert frame.groupby("layer")["k"].apply(list).to_dict() == {1: [0, 1, 2, 3], 2: [0, 1, 2]}
    assert (frame["n_points"] == 30).all()
    # layer 2's rows are the bounds of W2 over layer 1's outputs
    direct = relu_singular_value_bounds(weights[1][0], layer_inputs(weights, x[:30])[1],
                                        weights[1][1], steps=5, learning_rate=0.1,
                                        approximant_bias="free", seed=0, n_threads=1)
    np.testing.assert_array_equal(frame.loc[frame["layer"] == 2, "bound"], direct.bounds)


def _deep_network(seed=1):
    """Three hidden layers of different shapes, two subsets of different sizes."""
    rng = np.random.default_rng(seed)
    shapes = [(7, 5), (6, 7), (4, 6)]
    weights = [(rng.standard_normal(shape) / 2, 0.1 * rng.standard_normal(shape[0]))
               for shape in shapes]
    x = rng.standard_normal((70, 5))
    return weights, {"correct": x[:40], "incorrect": x[40:]}


SPLIT_KWARGS = dict(steps=60, learning_rate=0.1, approximant_bias="free", tolerance=2e-3,
                    patience=10)


def test_split_network_bounds_gather_to_the_unsplit_frame(tmp_path):
    """One call per (subset, layer), on other thread counts and gathered in any order, gives bit
    for bit the frame of one call on everything: a layer's bounds do not depend on the layers
    and subsets computed with it. Also through CSV files (the workflow's split jobs)."""
    weights, subsets = _deep_network()
    whole = network_bounds("net", weights, subsets, n_threads=2, **SPLIT_KWARGS)
    assert whole[["subset", "layer"]].drop_duplicates().values.tolist() == [
        [s, layer] for s in ("correct", "incorrect") for layer in (1, 2, 3)]
    parts = {(subset, layer): network_bounds("net", weights, {subset: x}, layers=[layer],
                                             n_threads=1, **SPLIT_KWARGS)
             for subset, x in subsets.items() for layer in (3, 1, 2)}
    for (subset, layer), part in parts.items():
        assert set(part["subset"]) == {subset} and set(part["layer"]) == {layer}
    shuffled = [parts[key] for key in [("incorrect", 2), ("correct", 3), ("correct", 1),
                                       ("incorrect", 1), ("incorrect", 3), ("correct", 2)]]
    pd.testing.assert_frame_equal(gather_network_bounds(shuffled), whole, check_exact=True)
    paths = []
    for (subset, layer), part in parts.items():
        paths.append(tmp_path / f"{subset}_layer{layer}.csv")
        write_csv(paths[-1], part)
    pd.testing.assert_frame_equal(gather_network_bounds(paths[::-1]), whole, check_exact=True)
    # layers=[1, 3] on both subsets: the rows of those layers, in the unsplit order
    two = network_bounds("net", weights, subsets, layers=[3, 1], **SPLIT_KWARGS)
    pd.testing.assert_frame_equal(two, whole[whole["layer"] != 2].reset_index(drop=True),
                                  check_exact=True)


def test_rank_parts_gather_to_the_unsplit_frame():
    """Interleaved rank parts of every (subset, layer): gathering takes the running minimum over
    all ranks again, which gives the unsplit frame bit for bit; a missing part is an error."""
    weights, subsets = _deep_network(seed=2)
    whole = network_bounds("net", weights, subsets, **SPLIT_KWARGS)
    parts = [network_bounds("net", weights, {subset: x}, layers=[layer], rank_part=(i, 3),
                            **SPLIT_KWARGS)
             for subset, x in subsets.items() for layer in (1, 2, 3) for i in range(3)]
    assert sorted(parts[1]["k"]) == [1, 4]  # layer 1 of rank min(7, 5) = 5: ranks 1 and 4
    pd.testing.assert_frame_equal(gather_network_bounds(parts[::-1]), whole, check_exact=True)
    with pytest.raises(ValueError, match="layer 1, correct subset, miss ranks"):
        gather_network_bounds(parts[1:])


def test_gather_network_bounds_rejects_repeated_parts_and_skips_empty_ones():
    weights, subsets = _deep_network()
    part = network_bounds("net", weights, subsets, layers=[2], steps=3, learning_rate=0.1,
                          approximant_bias="free")
    with pytest.raises(ValueError, match="more than one part"):
        gather_network_bounds([part, part])
    empty = network_bounds("net", weights, {"incorrect": subsets["incorrect"][:0]}, layers=[2],
                           steps=3, learning_rate=0.1, approximant_bias="free")
    assert empty.empty and tuple(empty.columns) == BOUNDS.columns
    pd.testing.assert_frame_equal(gather_network_bounds([empty, part]), part, check_exact=True)
    with pytest.raises(ValueError, match="at least one part"):
        gather_network_bounds([empty])
    with pytest.raises(ValueError, match="several networks"):
        gather_network_bounds([part, part.assign(network="other")])


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(layers=[0]), "layers"),
    (dict(layers=[4]), "layers must be distinct layer numbers in 1 .. 3"),
    (dict(layers=[1, 1]), "layers must be distinct"),
    (dict(layers=[]), "layers"),
    (dict(layers=2), "layers must be None or a sequence"),
    (dict(rank_part=(3, 3)), "rank_part"),
    (dict(rank_part=(0,)), "rank_part"),
    (dict(rank_part=(0.0, 2)), "rank_part"),
    (dict(tolerance=-1.0), "tolerance"),
    (dict(patience=0), "patience"),
])
def test_network_bounds_rejects_bad_selections_before_any_work(kwargs, match, monkeypatch):
    import relusv.analyses as analyses

    def no_work(*args, **kwargs):
        raise AssertionError("work started before the input was validated")

    monkeypatch.setattr(analyses, "relu_singular_value_bounds", no_work)
    weights, subsets = _deep_network()
    with pytest.raises(ValueError, match=match):
        network_bounds("net", weights, subsets, steps=5, learning_rate=0.1,
                       approximant_bias="free", **kwargs)


def test_network_bounds_passes_early_stopping_on(monkeypatch):
    """The defaults are the validated early stopping settings; tolerance=0 runs every rank to the
    cap of steps."""
    import relusv.analyses as analyses

    weights, subsets = _deep_network()
    calls = []
    original = analyses.relu_singular_value_bounds

    def spy(*args, **kwargs):
        result = original(*args, **kwargs)
        calls.append((kwargs["tolerance"], kwargs["patience"], result.steps_taken))
        return result

    monkeypatch.setattr(analyses, "relu_singular_value_bounds", spy)
    for tolerance in ({}, {"tolerance": 0}):
        network_bounds("net", weights, {"correct": subsets["correct"]}, layers=[1], steps=30,
                       tight_steps=30, choose_start_at=30, learning_rate=0.1,
                       approximant_bias="free", **tolerance)
    (tolerance, patience, _), (zero, _, fixed) = calls
    assert (tolerance, patience) == (EARLY_STOPPING_TOLERANCE, EARLY_STOPPING_PATIENCE)
    assert zero == 0 and np.all(fixed <= 2 * 30)  # two starts of 30 steps at most
    assert np.any(fixed == 2 * 30)


def test_widths_over_training_has_the_widths_columns():
    weights, x = _network()
    split = {"correct": x[:20], "incorrect": x[20:]}
    frame = widths_over_training("net", [(1, weights, split), (3, weights, split)],
                                 n_draws=50, seed=0)
    assert tuple(frame.columns) == WIDTHS.columns
    WIDTHS.check(frame, "frame")
    assert len(frame) == 2 * 2 * 2  # epochs x subsets x layers
    pd.testing.assert_frame_equal(frame.iloc[:4],
                                  layer_widths("net", 1, weights, split, n_draws=50, seed=0))
    h = layer_inputs(weights, x[:20])[1]
    assert frame["width"].iloc[0] == gaussian_mean_width(h, n_draws=50, seed=0).value


def test_paired_differences_share_the_draws_of_the_widths():
    weights, x = _network()
    split = {"correct": x[:20], "incorrect": x[20:35]}
    checkpoints = [(1, weights, split), (3, weights, {"correct": x[:20], "incorrect": x[:0]})]
    widths, differences = widths_and_differences_over_training("net", checkpoints, n_draws=50,
                                                               seed=0)
    # the widths are those of widths_over_training, bit for bit
    pd.testing.assert_frame_equal(widths, widths_over_training("net", checkpoints, n_draws=50,
                                                               seed=0))
    assert tuple(differences.columns) == WIDTH_DIFFERENCES.columns
    WIDTH_DIFFERENCES.check(differences, "differences")
    # one row per layer at epoch 1; epoch 3 has no incorrect points, so no paired rows
    assert differences[["layer", "epoch"]].values.tolist() == [[1, 1], [2, 1]]
    assert (differences["n_draws"] == 50).all() and (differences["n_points"] == 15).all()
    for layer in (1, 2):
        draws = [gaussian_mean_width_per_draw(layer_inputs(weights, split[s])[layer], 50, seed=0)
                 for s in ("correct", "incorrect")]
        row = differences[differences["layer"] == layer].iloc[0]
        paired = WidthEstimate.from_draws(draws[0] - draws[1])
        assert (row["difference"], row["stderr"]) == (paired.value, paired.stderr)
        w = widths[(widths["epoch"] == 1) & (widths["layer"] == layer)].set_index("subset")
        assert row["difference"] == pytest.approx(w.loc["correct", "width"]
                                                  - w.loc["incorrect", "width"], rel=1e-12)
    one, paired_one = layer_widths_and_differences("net", 1, weights, split, n_draws=50, seed=0)
    pd.testing.assert_frame_equal(one, widths.iloc[:4])
    pd.testing.assert_frame_equal(paired_one, differences)
    none = widths_and_differences_over_training("net", checkpoints[1:], n_draws=5, seed=0)[1]
    assert none.empty and tuple(none.columns) == WIDTH_DIFFERENCES.columns


def test_random_layer_bounds_has_the_random_layer_columns_and_is_seeded():
    kwargs = dict(layers_per_shape=2, n_points=100, steps=5, learning_rate=0.1,
                  holdout_points=100, ascent_starts=10, ascent_steps=20, rounds=2, n_threads=1)
    frame = random_layer_bounds([(3, 2), (2, 4)], seed=1, **kwargs)
    assert tuple(frame.columns) == RANDOM_LAYERS.columns
    RANDOM_LAYERS.check(frame, "frame")
    assert frame["shape"].unique().tolist() == ["3x2", "2x4"]
    assert len(frame) == 2 * 2 + 2 * 2  # layers x ranks, per shape
    pd.testing.assert_frame_equal(frame, random_layer_bounds([(3, 2), (2, 4)], seed=1, **kwargs))
    other = random_layer_bounds([(3, 2), (2, 4)], seed=2, **kwargs)
    assert not np.array_equal(frame["bound_sample"], other["bound_sample"])
    # the refined bound never exceeds sigma_k (Lemma 5 certifies sigma_k)
    assert (frame["bound_refined"] <= frame["singular_value"]).all()
    # the first layer's rows are sphere_bounds of its weights, with the seed drawn after them
    rng = np.random.default_rng(1)
    W = rng.standard_normal((3, 2)) / np.sqrt(2)
    sphere_kwargs = {key: kwargs[key] for key in kwargs if key != "layers_per_shape"}
    direct = sphere_bounds(W, seed=int(rng.integers(2**31)), **sphere_kwargs)
    first = frame[(frame["shape"] == "3x2") & (frame["layer"] == 0)]
    np.testing.assert_array_equal(first["bound_sample"], direct.bounds_sample)
    np.testing.assert_array_equal(first["bound_refined"], direct.bounds_refined)
    np.testing.assert_array_equal(first["singular_value"], direct.linear_singular_values)
