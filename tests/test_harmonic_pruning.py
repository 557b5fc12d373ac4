"""Harmonic pruning (relusv.pruning.harmonic; docs/method.md section 5, claims C6, C7): steps,
records, retraining, checkpoints and resume, bad input."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from pruning_fixtures import NO_RETRAINING, RESUME_OPTIONS, WIDTHS, strip_timings

from relusv.layers import double_dense_factors
from relusv.models import build_mlp
from relusv.parameter_counts import dense_mlp_parameter_count, double_mlp_parameter_count
from relusv.pruning import (
    STATE_FILE,
    PruningState,
    batch_rows,
    harmonic_pruning,
    pruning_frame,
    pruning_step,
    retrain_reasons,
    save_state,
    state_accuracy,
    truncate_layer,
)

pytest_plugins = ("pruning_fixtures",)  # data, trained, no_retraining_run, uninterrupted


# --------------------------------------------------------------------------------------------
# one step


def test_truncate_layer_is_double_dense_factors_of_the_product(trained):
    _, state0 = trained
    for layer in range(3):
        cut = truncate_layer(state0, layer)
        kernel = state0.kernel(layer)
        v, u = double_dense_factors(kernel, 15)
        assert cut.rank == 15 and cut.v.shape == (kernel.shape[0], 15) and cut.u.shape == (15, 16)
        np.testing.assert_array_equal(cut.v, v.astype(np.float32))
        np.testing.assert_array_equal(cut.u, u.astype(np.float32))
        s = np.linalg.svd(kernel, compute_uv=False)
        assert cut.dropped == pytest.approx(s[15], rel=1e-12)


def _layer_with_singular_values(s, n=6, m=5, seed=0):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(n, len(s))))
    p, _ = np.linalg.qr(rng.normal(size=(m, len(s))))
    v, u = q, np.asarray(s)[:, None] * p.T
    return PruningState([v], [u], [np.zeros(m)], np.ones((m, 2)), np.zeros(2))


def test_tiny_singular_values_count_but_lost_rank_is_dropped():
    # A singular value 3e-7 of the largest (a nearly singular square product of Gaussian
    # factors has such values) is non-zero: the step drops exactly it.
    state = _layer_with_singular_values([1.0, 0.5, 3e-7])
    cut = truncate_layer(state, 0)
    assert cut.rank == 2 and cut.dropped == pytest.approx(3e-7, rel=1e-3)
    np.testing.assert_allclose(cut.singular_values, [1.0, 0.5, 3e-7], rtol=1e-3)
    # factors that have really lost rank (a zero column): k = 2 non-zero values, new rank 1
    lost = state.replace_layer(0, np.concatenate([state.v[0][:, :2], np.zeros((6, 1))], 1),
                               state.u[0])
    cut = truncate_layer(lost, 0)
    assert cut.rank == 1 and cut.dropped == pytest.approx(0.5, rel=1e-6)
    # a looser tolerance treats the tiny value as zero
    assert truncate_layer(state, 0, rank_rtol=1e-5).rank == 1


def test_pruning_step_matches_the_first_iteration(trained, data, no_retraining_run):
    records, states = no_retraining_run
    new, info = pruning_step(trained[1], data["x_val"], data["y_val"])
    assert new.equals(states[1]) and info.layer == records[1]["layer"]
    assert info.candidate_accuracies == records[1]["candidate_val_accuracies"]


def test_every_step_drops_one_singular_value_of_the_chosen_layer(trained, data,
                                                                 no_retraining_run):
    records, states = no_retraining_run
    assert states[0].equals(trained[1]) and len(states) == len(records) == sum(WIDTHS) + 1
    for t in range(1, len(records)):
        before, after, rec = states[t - 1], states[t], records[t]
        layer = rec["layer"] - 1
        expected = list(before.ranks)
        expected[layer] -= 1
        assert list(after.ranks) == expected == rec["ranks"]
        for other in set(range(3)) - {layer}:  # the other layers are untouched
            assert np.array_equal(after.v[other], before.v[other])
            assert np.array_equal(after.u[other], before.u[other])
        v, u = double_dense_factors(before.kernel(layer), expected[layer])
        np.testing.assert_allclose(after.kernel(layer), v @ u, rtol=0, atol=1e-5)
        # the record's accuracies are those of the pruned network, and the chosen candidate's
        assert rec["val_accuracy"] == state_accuracy(after, data["x_val"], data["y_val"])
        assert rec["test_accuracy"] == state_accuracy(after, data["x_test"], data["y_test"])
        assert rec["val_accuracy"] == rec["candidate_val_accuracies"][layer]
        # the decision: most correct validation points, ties to the smallest singular value
        live = [i for i in range(3) if before.ranks[i] > 0]
        dropped = {i: truncate_layer(before, i).dropped for i in live}
        acc = rec["candidate_val_accuracies"]
        assert layer == min(live, key=lambda i: (-acc[i], dropped[i], i))
        assert rec["dropped_singular_value"] == dropped[layer]
        assert not rec["retrained"] and rec["retrain_batches_total"] == 0
    assert records[-1]["ranks"] == [0, 0, 0]
    assert records[-1]["parameters"] == double_mlp_parameter_count(64, WIDTHS, (0, 0, 0), 10)


def test_tie_break_by_index(trained, data):
    records = harmonic_pruning(trained[1], data, tie_break="index", max_iterations=6,
                               **NO_RETRAINING)
    for rec in records[1:]:
        acc = rec["candidate_val_accuracies"]
        assert rec["layer"] - 1 == min(range(3), key=lambda i: (-acc[i], i))


def test_parameter_counts_equal_keras_count_params(no_retraining_run, uninterrupted):
    seen = {}
    for rec in no_retraining_run[0] + uninterrupted[0]:
        seen[tuple(rec["ranks"])] = rec["parameters"]
    for ranks in list(seen)[::4] + [(0, 0, 0), WIDTHS]:
        model = build_mlp(64, WIDTHS, 10, ranks=ranks)
        assert model.count_params() == seen[ranks] == double_mlp_parameter_count(64, WIDTHS,
                                                                                 ranks, 10)


def test_claim_c7_parameter_counts():
    assert double_mlp_parameter_count(3072, (100, 100, 100), (18, 8, 6), 10) == 61206
    assert dense_mlp_parameter_count(3072, (100, 100, 100), 10) == 328510


# --------------------------------------------------------------------------------------------
# retraining


def test_retrain_reasons():
    ranks = (20, 15, 12)
    assert retrain_reasons(3, 0.90, 0.90, ranks) == []
    assert retrain_reasons(3, 0.894, 0.90, ranks) == ["accuracy_drop"]
    assert retrain_reasons(3, 0.896, 0.90, ranks) == []  # 0.4 % below: within 0.5 %
    assert retrain_reasons(20, 0.90, 0.90, ranks) == ["every"]
    assert retrain_reasons(20, 0.90, 0.90, ranks, retrain_every=None) == []
    assert retrain_reasons(3, 0.90, 0.90, (20, 9, 0)) == ["rank_threshold"]
    assert retrain_reasons(3, 0.90, 0.90, (20, 10, 0)) == []  # rank 0 does not count
    assert retrain_reasons(30, 0.5, 0.9, (1, 0, 0), accuracy_drop=0.1, retrain_every=15,
                           rank_threshold=2) == ["accuracy_drop", "every", "rank_threshold"]


def test_batch_rows_are_a_function_of_the_key():
    a = batch_rows(100, 3, 64, (5, 0, 4))
    assert a.shape == (192,) and np.array_equal(a, batch_rows(100, 3, 64, (5, 0, 4)))
    assert np.array_equal(np.sort(a[:100]), np.arange(100))  # a permutation, then the next
    assert not np.array_equal(a, batch_rows(100, 3, 64, (5, 0, 5)))


def _keras_retrain(state, x, y, *, batches, batch_size, key):
    """The retraining before the compiled loop: a Keras model of the current ranks, a fresh
    Adam, ``train_on_batch`` per batch (the reference the compiled loop is checked against)."""
    import keras

    from relusv.pruning import model_from_state, state_from_model
    from relusv.training import build_training_state, enable_determinism

    enable_determinism()
    model = model_from_state(state)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=False)
    build_training_state(model, x, y)
    rows = batch_rows(len(x), batches, batch_size, key).reshape(batches, batch_size)
    for idx in rows:
        model.train_on_batch(x[idx], y[idx])
    return state_from_model(model)


def _pruned(state, ranks):
    """``state`` with its factors cut to ``ranks`` (the leading components)."""
    for layer, r in enumerate(ranks):
        state = state.replace_layer(layer, state.v[layer][:, :r], state.u[layer][:r])
    return state


@pytest.mark.parametrize("ranks", [WIDTHS, (16, 10, 5)])
def test_compiled_retraining_matches_keras_retraining(trained, data, ranks):
    """Same batches, loss and Adam as a Keras model of the current ranks: equal to float32
    rounding (padding to full rank may change how TensorFlow blocks its sums)."""
    from relusv.pruning import retraining

    state = _pruned(trained[1], ranks)
    x, y = data["x_train"], data["y_train"].astype(np.int32)
    ours = retraining._retrain(state, x, y, batches=4, batch_size=64, learning_rate=1e-3,
                               key=(0, 0, 1))
    theirs = _keras_retrain(state, x, y, batches=4, batch_size=64, key=(0, 0, 1))
    assert ours.ranks == theirs.ranks == ranks
    assert not ours.equals(state)
    for name, a in ours.arrays().items():
        np.testing.assert_allclose(a, theirs.arrays()[name], rtol=0, atol=1e-6, err_msg=name)


def test_masked_rank_components_stay_exactly_zero(trained, data):
    from relusv.pruning import retraining

    state = _pruned(trained[1], (16, 7, 3))
    x, y = data["x_train"], data["y_train"].astype(np.int32)
    compiled = retraining.harmonic_retraining(state, x, y, 1e-3)
    params, masks = retraining.pad_state(state, (16, 16, 16))
    rows = batch_rows(len(x), 5, 64, (0, 0, 2)).reshape(5, 64)
    out = compiled.run(params, masks, rows)
    for layer, r in ((1, 7), (2, 3)):
        v, u = out[3 * layer], out[3 * layer + 1]
        assert not np.array_equal(v[:, :r], params[3 * layer][:, :r])  # the kept ones trained
        assert not np.any(v[:, r:]) and not np.any(u[r:])  # the pruned ones are still zero
    assert retraining.unpad_state(out, (16, 7, 3)).ranks == (16, 7, 3)


def test_a_run_traces_its_retraining_once(trained, data, monkeypatch):
    """Tracing was most of a retraining's time: one compiled loop serves the whole run, for
    every rank and batch count, and a retraining is bit for bit the same when repeated."""
    from relusv.pruning import retraining

    built = []
    original = retraining.harmonic_retraining
    monkeypatch.setattr("relusv.pruning.harmonic.harmonic_retraining",
                        lambda *a: built.append(original(*a)) or built[-1])
    options = {**NO_RETRAINING, "retrain_every": 2, "max_iterations": 6,
               "retrain_batches": 2, "retrain_batch_size": 32}
    states, states_again = [], []
    records = harmonic_pruning(trained[1], data, on_record=lambda r, s: states.append(s),
                               **options)
    assert [r["iteration"] for r in records if r["retrained"]] == [2, 4, 6]
    assert len(built) == 1 and built[0].traces == 1
    again = harmonic_pruning(trained[1], data, on_record=lambda r, s: states_again.append(s),
                             **options)
    assert strip_timings(again) == strip_timings(records)  # deterministic, bit for bit
    assert all(a.equals(b) for a, b in zip(states, states_again, strict=True))


def test_retraining_keeps_ranks_and_changes_weights(uninterrupted):
    records, final = uninterrupted
    assert [r["iteration"] for r in records] == list(range(13))
    assert [r["iteration"] for r in records if r["retrained"]] == [5, 10]
    assert [r["retrain_batches_total"] for r in records] == [0] * 5 + [3] * 5 + [6] * 3
    for rec in records[1:]:
        assert sum(rec["ranks"]) == sum(WIDTHS) - rec["iteration"]
    assert final.ranks == tuple(records[-1]["ranks"])
    changed = [r for r in records if r["retrained"]
               and r["val_accuracy"] != r["val_accuracy_before_retraining"]]
    assert changed  # retraining did something measurable


# --------------------------------------------------------------------------------------------
# checkpoints and resume


class _Interrupt(Exception):
    pass


def test_interrupted_run_resumes_to_the_same_records(trained, data, uninterrupted, tmp_path):
    def stop_at_7(record, state):
        if record["iteration"] == 7:
            raise _Interrupt

    with pytest.raises(_Interrupt):
        harmonic_pruning(trained[1], data, state_dir=tmp_path, on_record=stop_at_7,
                         **RESUME_OPTIONS)
    new, states = [], []
    records = harmonic_pruning(trained[1], data, state_dir=tmp_path,
                               on_record=lambda r, s: (new.append(r), states.append(s)),
                               **RESUME_OPTIONS)
    assert [r["iteration"] for r in new] == list(range(8, 13))
    # bitwise: ranks, layers, accuracies
    assert strip_timings(records) == strip_timings(uninterrupted[0])
    assert states[-1].equals(uninterrupted[1])
    # a finished run returns its records at once, and the state dir is kept
    again = harmonic_pruning(trained[1], data, state_dir=tmp_path,
                             on_record=lambda r, s: pytest.fail("no new iterations"),
                             **RESUME_OPTIONS)
    assert again == records and (tmp_path / STATE_FILE).exists()
    # and it can be continued past max_iterations
    more = harmonic_pruning(trained[1], data, state_dir=tmp_path,
                            **{**RESUME_OPTIONS, "max_iterations": 13})
    assert len(more) == 14 and more[:13] == records


def test_state_dir_of_another_run_is_refused(trained, data, tmp_path):
    harmonic_pruning(trained[1], data, state_dir=tmp_path, max_iterations=1, **NO_RETRAINING)
    with pytest.raises(ValueError, match="other inputs or options"):
        harmonic_pruning(trained[1], data, state_dir=tmp_path, max_iterations=1,
                         **{**NO_RETRAINING, "rank_threshold": 3})


_KILLED_RUN = textwrap.dedent("""
    import json, os, signal, sys
    from relusv import pruning
    from relusv.data import prepare
    from relusv.pruning import retraining

    state0 = pruning.load_state(sys.argv[1])
    data, _ = prepare("digits", None, validation_fraction=0.15, test_fraction=0.25, seed=0)
    calls = []
    run = retraining.CompiledRetraining.run

    def killed_mid_retraining(self, params, masks, rows):
        calls.append(1)
        if len(calls) == 2:  # the retraining of iteration 10: two batches, then SIGKILL
            run(self, params, masks, rows[:2])
            os.kill(os.getpid(), signal.SIGKILL)
        return run(self, params, masks, rows)

    retraining.CompiledRetraining.run = killed_mid_retraining
    pruning.harmonic_pruning(state0, data, state_dir=sys.argv[2], **json.loads(sys.argv[3]))
""")


def test_sigkill_mid_retraining_then_resume(trained, data, uninterrupted, tmp_path):
    save_state(tmp_path / "state0.npz", trained[1])
    script = tmp_path / "killed_run.py"
    script.write_text(_KILLED_RUN)
    state_dir = tmp_path / "state"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, str(script), str(tmp_path / "state0.npz"),
                           str(state_dir), json.dumps(RESUME_OPTIONS)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
    with np.load(state_dir / STATE_FILE) as f:
        assert json.loads(str(f["meta"]))["records"][-1]["iteration"] == 9
    records = harmonic_pruning(trained[1], data, state_dir=state_dir, **RESUME_OPTIONS)
    assert strip_timings(records) == strip_timings(uninterrupted[0])


def test_pruning_frame(no_retraining_run):
    records = no_retraining_run[0]
    frame = pruning_frame(records)
    assert len(frame) == len(records)
    assert {"rank_1", "rank_2", "rank_3", "candidate_val_accuracy_1", "parameters",
            "test_accuracy", "retrained", "seconds"} <= set(frame.columns)
    assert frame["layer"].isna().tolist() == [True] + [False] * (len(records) - 1)
    assert frame["rank_2"].tolist() == [r["ranks"][1] for r in records]


# --------------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize("kwargs", [
    {"retrain_batches": 0}, {"retrain_batch_size": -1}, {"accuracy_drop": -0.01},
    {"accuracy_drop": float("nan")}, {"retrain_every": 0}, {"rank_threshold": -1},
    {"max_iterations": -1}, {"learning_rate": 0.0}, {"rank_rtol": 0.0}, {"tie_break": "random"},
    {"seed": -1}, {"retrain_batches": 2.5},
])
def test_bad_arguments_raise_before_any_work(trained, data, tmp_path, kwargs):
    with pytest.raises(ValueError):
        harmonic_pruning(trained[1], data, state_dir=tmp_path / "s", **kwargs)
    assert not (tmp_path / "s").exists()


def test_bad_data_and_states_raise(trained, data):
    _, state0 = trained
    with pytest.raises(ValueError, match="lacks"):
        harmonic_pruning(state0, {k: v for k, v in data.items() if k != "x_test"})
    with pytest.raises(ValueError, match="features"):
        harmonic_pruning(state0, {**data, "x_val": data["x_val"][:, :10]})
    with pytest.raises(ValueError, match="class indices"):
        harmonic_pruning(state0, {**data, "y_test": data["y_test"] + 10})
    with pytest.raises(ValueError, match="rank 0"):
        truncate_layer(state0.replace_layer(0, state0.v[0][:, :0], state0.u[0][:0]), 0)
    with pytest.raises(ValueError, match="rank_rtol"):
        truncate_layer(state0, 0, rank_rtol=2.0)
    with pytest.raises(ValueError, match="state must be a PruningState"):
        pruning_step(object(), data["x_val"], data["y_val"])
