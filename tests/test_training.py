"""train_mlp: checkpoints, history, determinism, resume, early stopping; evaluation helpers."""

import csv

import keras
import numpy as np
import pytest

from relusv.models import build_mlp
from relusv.training import (
    STEPS_PER_EXECUTION,
    _EpochShuffledBatches,
    checkpoint_path,
    compile_mlp,
    evaluate_accuracy,
    predict_classes,
    train_mlp,
)

EPOCHS = 4


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype(int) + (x[:, 2] > 0.5)
    return x[:150], y[:150], x[150:], y[150:]


def _train(data, tmp_path, tag, *, epochs=EPOCHS, seed=3, callbacks=(), backup=None, **kwargs):
    x, y, xv, yv = data
    model = build_mlp(8, (12, 10, 8), 3, seed=1)
    result = train_mlp(
        model,
        x,
        y,
        xv,
        yv,
        epochs=epochs,
        batch_size=32,
        seed=seed,
        checkpoint_dir=tmp_path / tag / "checkpoints",
        history_csv=tmp_path / tag / "history.csv",
        backup_dir=backup if backup is not None else tmp_path / tag / "backup",
        callbacks=callbacks,
        **kwargs,
    )
    return model, result


def _read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _equal(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


@pytest.fixture(scope="module")
def reference(data, tmp_path_factory):
    """An uninterrupted run: (model, result, its directory)."""
    root = tmp_path_factory.mktemp("reference")
    # a stale history of a longer earlier run: a fresh run must not keep its rows
    (root / "run").mkdir()
    stale = "epoch,loss,seconds\n" + "".join(f"{e},9.0,1.0\n" for e in range(1, EPOCHS + 3))
    (root / "run" / "history.csv").write_text(stale)
    model, result = _train(data, root, "run")
    return model, result, root / "run"


def test_checkpoints_history_and_result(reference):
    model, result, run = reference
    names = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert names == [f"epoch_{e:03d}.weights.h5" for e in range(EPOCHS + 1)]
    rows = _read_csv(run / "history.csv")
    assert [int(r["epoch"]) for r in rows] == list(range(1, EPOCHS + 1))
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "seconds"} <= set(rows[0])
    assert all(float(r["loss"]) != 9.0 for r in rows)
    assert list(result.history["epoch"]) == list(range(1, EPOCHS + 1))
    assert result.seconds == pytest.approx(result.history["seconds"].sum())
    assert result.seconds > 0 and result.initial_epoch == 0 and result.best_epoch is None
    assert not (run / "backup").exists()
    # the last checkpoint holds the final weights, the first the initial ones
    final = build_mlp(8, (12, 10, 8), 3, seed=99)
    final.load_weights(checkpoint_path(run / "checkpoints", EPOCHS))
    assert _equal(final.get_weights(), model.get_weights())
    initial = build_mlp(8, (12, 10, 8), 3, seed=99)
    initial.load_weights(checkpoint_path(run / "checkpoints", 0))
    assert _equal(initial.get_weights(), build_mlp(8, (12, 10, 8), 3, seed=1).get_weights())
    assert not _equal(initial.get_weights(), model.get_weights())


def test_same_seed_gives_bitwise_identical_weights(data, tmp_path, reference):
    model, result = _train(data, tmp_path, "again")
    assert _equal(model.get_weights(), reference[0].get_weights())
    np.testing.assert_array_equal(result.history["loss"], reference[1].history["loss"])


def test_batch_order_depends_only_on_seed_and_epoch():
    x = np.arange(20, dtype="float32").reshape(10, 2)
    y = np.arange(10)

    def order(seed, epoch):
        batches = _EpochShuffledBatches(x, y, 4, seed)
        batches.set_epoch(epoch)
        assert len(batches) == 3
        parts = [batches[i] for i in range(len(batches))]
        assert all(np.array_equal(bx[:, 0] / 2, by) for bx, by in parts)  # rows stay paired
        return np.concatenate([by for _, by in parts])

    assert sorted(order(0, 0)) == list(range(10))  # every row once per epoch
    np.testing.assert_array_equal(order(0, 3), order(0, 3))
    assert not np.array_equal(order(0, 3), order(1, 3))
    assert not np.array_equal(order(0, 3), order(0, 4))


def test_the_pipeline_yields_the_batches_of_the_epoch_set_last():
    x = np.arange(22, dtype="float32").reshape(11, 2)
    y = np.arange(11, dtype="int32")
    batches = _EpochShuffledBatches(x, y, 4, 7)
    dataset = batches.dataset()  # built once, as train_mlp builds it
    for epoch in (0, 5, 2):
        batches.set_epoch(epoch)
        got = [(bx.numpy(), by.numpy()) for bx, by in dataset]
        assert len(got) == len(batches) == 3 and len(got[-1][1]) == 3
        for (gx, gy), (ex, ey) in zip(got, (batches[i] for i in range(len(batches))),
                                      strict=True):
            np.testing.assert_array_equal(gx, ex)
            np.testing.assert_array_equal(gy, ey)


def test_training_steps_through_the_seeded_batches_in_order(data, reference):
    # train_mlp (many steps per call, validation, checkpoints, backup) against plain
    # train_on_batch on the batches of each epoch, one step per call: the same weights, bitwise
    assert STEPS_PER_EXECUTION > 1
    x, y, _, _ = data
    model = compile_mlp(build_mlp(8, (12, 10, 8), 3, seed=1), steps_per_execution=1)
    keras.utils.set_random_seed(3)
    batches = _EpochShuffledBatches(x.astype("float32"), y.astype("int32"), 32, 3)
    for epoch in range(EPOCHS):
        batches.set_epoch(epoch)
        for i in range(len(batches)):
            model.train_on_batch(*batches[i])
    assert _equal(model.get_weights(), reference[0].get_weights())


class _Interrupt(keras.callbacks.Callback):
    """Raises at the end of epoch index ``end`` or the beginning of epoch index ``begin``."""

    def __init__(self, end=None, begin=None):
        super().__init__()
        self.end, self.begin = end, begin

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.end:
            raise KeyboardInterrupt("simulated kill after the checkpoint, before the backup")

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.begin:
            raise KeyboardInterrupt("simulated kill after the backup")


@pytest.mark.parametrize("kill", [{"end": 1}, {"begin": 2}], ids=["before-backup", "after-backup"])
def test_resume_after_interruption_matches_uninterrupted_run(
    data, tmp_path, reference, kill, monkeypatch
):
    with pytest.raises(KeyboardInterrupt):
        _train(data, tmp_path, "resumed", callbacks=[_Interrupt(**kill)])
    run = tmp_path / "resumed"
    assert (run / "backup").exists()
    assert len(_read_csv(run / "history.csv")) == 2
    # the backup's weights are its epoch's checkpoint file (a hard link), not a second save
    backed_up = 1 if "end" in kill else 2
    backup = (run / "backup" / "current" / "latest.weights.h5").stat()
    assert backup.st_ino == checkpoint_path(run / "checkpoints", backed_up).stat().st_ino
    # the resumed epochs must draw the batch order of their own epoch number
    orders = []
    set_epoch = _EpochShuffledBatches.set_epoch

    def spy(self, epoch):
        orders.append(epoch)
        set_epoch(self, epoch)

    monkeypatch.setattr(_EpochShuffledBatches, "set_epoch", spy)
    model, result = _train(data, tmp_path, "resumed")
    assert result.initial_epoch == (1 if "end" in kill else 2)
    assert orders[-(EPOCHS - result.initial_epoch) :] == list(range(result.initial_epoch, EPOCHS))
    assert _equal(model.get_weights(), reference[0].get_weights())
    rows = _read_csv(run / "history.csv")
    assert [int(r["epoch"]) for r in rows] == list(range(1, EPOCHS + 1))
    ref_rows = _read_csv(reference[2] / "history.csv")
    assert [r["val_loss"] for r in rows] == [r["val_loss"] for r in ref_rows]
    assert list(result.history["epoch"]) == list(range(1, EPOCHS + 1))
    assert not (run / "backup").exists()
    names = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert names == [f"epoch_{e:03d}.weights.h5" for e in range(EPOCHS + 1)]


def test_resume_without_checkpoints_saves_its_own_backup(data, tmp_path, reference):
    x, y, xv, yv = data

    def run(callbacks=()):
        model = build_mlp(8, (12, 10, 8), 3, seed=1)
        train_mlp(model, x, y, xv, yv, epochs=EPOCHS, batch_size=32, seed=3,
                  backup_dir=tmp_path / "backup", callbacks=callbacks)
        return model

    with pytest.raises(KeyboardInterrupt):
        run([_Interrupt(begin=2)])
    assert (tmp_path / "backup" / "current" / "latest.weights.h5").stat().st_nlink == 1
    assert _equal(run().get_weights(), reference[0].get_weights())


def test_early_stopping_keeps_the_best_weights(data, tmp_path):
    x, y, xv, yv = data
    model = compile_mlp(build_mlp(8, (12, 10, 8), 3, seed=1), learning_rate=1e-6)
    result = train_mlp(
        model,
        x,
        y,
        xv,
        yv,
        epochs=6,
        batch_size=32,
        seed=3,
        checkpoint_dir=tmp_path / "ck",
        early_stopping=1,
    )
    # with so small a step the validation accuracy does not improve after epoch 1
    assert result.stopped_early and result.best_epoch == 1
    assert len(result.history) == 2
    best = build_mlp(8, (12, 10, 8), 3, seed=5)
    best.load_weights(checkpoint_path(tmp_path / "ck", 1))
    last = build_mlp(8, (12, 10, 8), 3, seed=5)
    last.load_weights(checkpoint_path(tmp_path / "ck", 2))
    assert _equal(model.get_weights(), best.get_weights())
    assert not _equal(model.get_weights(), last.get_weights())


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"y": np.zeros(149, dtype=int)}, "same length"),
        ({"y": np.full(150, 3)}, "class indices"),
        ({"x": np.zeros((150, 7))}, "features"),
        ({"yv": None}, "x_val and y_val"),
        ({"early_stopping": 0}, "early_stopping"),
    ],
)
def test_bad_input_raises_before_training(data, tmp_path, change, match):
    x, y, xv, yv = data
    args = {"x": x, "y": y, "xv": xv, "yv": yv, "epochs": 2, "batch_size": 32}
    args.update(change)
    model = build_mlp(8, (12,), 3, seed=1)
    before = model.get_weights()
    with pytest.raises(ValueError, match=match):
        train_mlp(
            model,
            args.pop("x"),
            args.pop("y"),
            args.pop("xv"),
            args.pop("yv"),
            seed=0,
            checkpoint_dir=tmp_path / "ck",
            **args,
        )
    assert not (tmp_path / "ck").exists()
    assert _equal(model.get_weights(), before)


def test_predict_classes_and_accuracy(data, reference):
    model = reference[0]
    _, _, xv, yv = data
    predicted = predict_classes(model, xv)
    logits = model.predict(xv, verbose=0)
    np.testing.assert_array_equal(predicted, np.argmax(logits, axis=1))
    accuracy = evaluate_accuracy(model, xv, yv)
    assert accuracy == pytest.approx(np.mean(predicted == yv))
    assert accuracy == pytest.approx(reference[1].history["val_accuracy"].iloc[-1])
    with pytest.raises(ValueError, match="same length"):
        evaluate_accuracy(model, xv, yv[:-1])
