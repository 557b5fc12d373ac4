"""The pruned network as numpy arrays (relusv.pruning.state): round trips and the forward pass."""

import numpy as np
import pytest
from pruning_fixtures import WIDTHS

from relusv.data import PREPARED_KEYS
from relusv.models import build_mlp
from relusv.pruning import (
    PruningState,
    load_state,
    model_from_state,
    save_state,
    state_accuracy,
    state_classes,
    state_from_model,
    state_logits,
)
from relusv.training import check_prepared_data

pytest_plugins = ("pruning_fixtures",)  # data, trained, no_retraining_run


def test_numpy_forward_pass_agrees_with_keras(trained, data, no_retraining_run):
    model, state0 = trained
    _, states = no_retraining_run
    x = np.concatenate([data["x_val"], data["x_test"]])
    keras_logits = model.predict(x, verbose=0)
    np.testing.assert_allclose(state_logits(state0, x), keras_logits, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(state_classes(state0, x), keras_logits.argmax(1))
    # pruned states, one with a layer of rank 0, rebuilt as Keras models of DoubleDense layers
    with_zero = next(s for s in states if 0 in s.ranks and any(s.ranks))
    for state in (states[10], with_zero):
        rebuilt = model_from_state(state)
        assert rebuilt.count_params() == state.parameters
        np.testing.assert_array_equal(state_classes(state, x),
                                      rebuilt.predict(x, verbose=0).argmax(1))
    acc = state_accuracy(state0, data["x_test"], data["y_test"])
    assert acc == np.mean(keras_logits[len(data["x_val"]):].argmax(1) == data["y_test"])
    assert acc > 0.7  # the network learned something, so the pruning curves mean something


def test_state_round_trips_through_keras_and_npz(trained, tmp_path):
    _, state0 = trained
    assert state_from_model(model_from_state(state0)).equals(state0)
    save_state(tmp_path / "s.npz", state0)
    loaded = load_state(tmp_path / "s.npz")
    assert loaded.equals(state0) and loaded.ranks == WIDTHS and loaded.v[0].dtype == np.float32
    other = state0.replace_layer(1, state0.v[1][:, :3], state0.u[1][:3])
    assert not other.equals(state0) and other.ranks == (16, 3, 16)


def test_dense_hidden_layers_become_full_rank_double_layers(data):
    model = build_mlp(64, (12, 8), 10, seed=3)
    state = state_from_model(model)
    assert state.ranks == (12, 8)
    np.testing.assert_array_equal(state_classes(state, data["x_test"]),
                                  model.predict(data["x_test"], verbose=0).argmax(1))


def test_bad_states_raise():
    with pytest.raises(ValueError, match="rank of hidden layer 2"):  # rank above the width
        PruningState([np.zeros((4, 3)), np.zeros((5, 6)), np.zeros((5, 2))],
                     [np.zeros((3, 5)), np.zeros((6, 5)), np.zeros((2, 2))],
                     [np.zeros(5), np.zeros(5), np.zeros(2)], np.zeros((2, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="columns"):
        PruningState([np.zeros((4, 3))], [np.zeros((2, 5))], [np.zeros(5)], np.zeros((5, 3)),
                     np.zeros(3))


def test_check_prepared_data(data):
    checked = check_prepared_data(data, 64, 10)
    assert sorted(checked) == sorted(PREPARED_KEYS)
    assert checked["x_val"].dtype == np.float32 and checked["y_val"].dtype == np.int32
    with pytest.raises(ValueError, match=r"lacks \['y_train'\]"):
        check_prepared_data({k: v for k, v in data.items() if k != "y_train"}, 64, 10)
    with pytest.raises(ValueError, match="mapping"):
        check_prepared_data([data["x_train"]], 64, 10)
    with pytest.raises(ValueError, match="same length"):
        check_prepared_data({**data, "y_test": data["y_test"][:-1]}, 64, 10)
