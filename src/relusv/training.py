"""Training of the MLPs: Adam on cross-entropy from logits, checkpoints, history, resume.

:func:`train_mlp` is deterministic for a fixed seed (seeded shuffling that depends only on the seed
and the epoch, ``keras.utils.set_random_seed``, ``tf.config.experimental.enable_op_determinism``)
and resumable after a kill (``keras.callbacks.BackupAndRestore``): a resumed run ends with the same
weights, checkpoints and history as an uninterrupted one. The batches come from a ``tf.data``
pipeline over a copy of the training arrays as tensors (memory: one more copy of ``x_train``),
:data:`STEPS_PER_EXECUTION` steps per call; the numbers are those of one step per call.

Files it writes:

- ``checkpoint_dir/epoch_000.weights.h5``: the initial weights, written before the first step;
  ``epoch_001.weights.h5`` ... after every epoch. Each is written under a temporary name
  (``tmp_epoch_...``) and renamed, so a file with the final name is always complete. The files
  after epoch 1 also hold the optimizer's state (Keras ``save_weights`` of a compiled model);
  ``model.load_weights`` on an uncompiled model of the same architecture reads the layer weights.
- ``history_csv``: one row per epoch, ``epoch`` (1-based, the number of the checkpoint written
  after it), the Keras logs (``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``) and
  ``seconds`` (wall time of the epoch). Rewritten atomically after every epoch; on resume the rows
  of the epochs that are re-run are replaced, so there is exactly one row per epoch.
- ``backup_dir``: ``BackupAndRestore``'s state, removed after success.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
import re
import shutil
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import pandas as pd

from relusv._validation import check_nonnegative_int, check_positive_int
from relusv.data import PREPARED_KEYS
from relusv.models import _as_inputs, as_features

__all__ = [
    "STEPS_PER_EXECUTION",
    "TrainingResult",
    "as_labels",
    "build_training_state",
    "check_prepared_data",
    "check_prepared_keys",
    "checkpoint_files",
    "checkpoint_path",
    "compile_mlp",
    "enable_determinism",
    "evaluate_accuracy",
    "split_accuracies",
    "load_checkpoint",
    "predict_classes",
    "train_mlp",
]

logger = logging.getLogger(__name__)


#: Training steps per call of Keras' compiled train function (``steps_per_execution``): the
#: steps run in a TensorFlow loop instead of one Python round trip each, which is most of the
#: time of a step of the small MLPs here (benchmarks/bench_training.py). The same numbers as
#: one step per call; callbacks' batch hooks run once per call.
STEPS_PER_EXECUTION = 64


def compile_mlp(model: keras.Model, learning_rate: float = 1e-3,
                steps_per_execution: int = STEPS_PER_EXECUTION) -> keras.Model:
    """Compile with Adam (Keras defaults otherwise), cross-entropy from logits and accuracy.

    ``steps_per_execution``: see :data:`STEPS_PER_EXECUTION`. Returns the model (compiled in
    place).
    """
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, int | float):
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
    if not (math.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
    steps_per_execution = check_positive_int(steps_per_execution, "steps_per_execution")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=float(learning_rate)),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        # Keras' "auto" picks XLA unless TF op determinism is on already, so that the choice
        # would depend on what ran before in the process; train_mlp turns determinism on.
        jit_compile=False,
        steps_per_execution=steps_per_execution,
    )
    return model


def checkpoint_path(checkpoint_dir: str | os.PathLike, epoch: int) -> Path:
    """``checkpoint_dir/epoch_{epoch:03d}.weights.h5`` (epoch 0: the initial weights)."""
    return Path(checkpoint_dir) / f"epoch_{int(epoch):03d}.weights.h5"


class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """``BackupAndRestore`` whose weights and epoch number are replaced together, atomically.

    Keras writes the backup's weights and its epoch number to two files in place, so a kill
    during the write leaves an unreadable file, or weights of one epoch with the number of the
    one before (the resumed run then silently differs). Here each backup is written to a fresh
    ``state-*`` directory and published by atomically repointing the symlink ``current``; a kill
    at any moment leaves the previous complete backup in force.

    With ``checkpoint_dir`` (where ``train_mlp``'s recorder has just written this epoch's
    checkpoint, the same ``save_weights`` of the same state), the backup's weights are a hard
    link to that checkpoint instead of a second save: saving costs Keras ~0.1 s of Python
    per call even for a small network. Checkpoints are replaced by renaming, never rewritten
    in place, so the link keeps the epoch's weights.
    """

    def __init__(self, backup_dir: str, checkpoint_dir: Path | None = None):
        super().__init__(backup_dir, save_freq="epoch", double_checkpoint=False,
                         delete_checkpoint=True)
        self.checkpoint_dir = checkpoint_dir
        self._weights_path = os.path.join(backup_dir, "current", "latest.weights.h5")
        self._training_metadata_path = os.path.join(backup_dir, "current",
                                                    "training_metadata.json")

    def _save_model(self):
        backup = Path(self.backup_dir)
        state = backup / f"state-{uuid.uuid4().hex}"
        state.mkdir(parents=True)
        weights = state / "latest.weights.h5"
        checkpoint = (None if self.checkpoint_dir is None
                      else checkpoint_path(self.checkpoint_dir, self._current_epoch))
        if checkpoint is not None and checkpoint.exists():
            try:
                os.link(checkpoint, weights)
            except OSError:  # no hard links here (another file system, say): a copy
                shutil.copyfile(checkpoint, weights)
        else:
            self.model.save_weights(weights)
        (state / "training_metadata.json").write_text(
            json.dumps({"epoch": self._current_epoch, "batch": self._last_batch_seen}))
        link = backup / f".current-{uuid.uuid4().hex}"
        link.symlink_to(state.name)
        os.replace(link, backup / "current")
        for stale in backup.glob("state-*"):  # earlier backups and any a kill left half-written
            if stale.name != state.name:
                shutil.rmtree(stale, ignore_errors=True)


_CHECKPOINT_NAME = re.compile(r"^epoch_(\d+)\.weights\.h5$")


def checkpoint_files(checkpoint_dir: str | os.PathLike) -> list[tuple[int, Path]]:
    """The ``epoch_NNN.weights.h5`` files of a training run, as (epoch, path), by epoch.

    Raises
    ------
    ValueError
        If the directory holds no checkpoint or the epochs are not 0, 1, ..., E without gaps
        (a truncated or mixed-up run).
    """
    checkpoint_dir = Path(checkpoint_dir)
    found = sorted((int(match.group(1)), path) for path in checkpoint_dir.iterdir()
                   if (match := _CHECKPOINT_NAME.match(path.name)))
    epochs = [epoch for epoch, _ in found]
    if not found or epochs != list(range(len(found))):
        raise ValueError(f"{checkpoint_dir}: expected checkpoints epoch_000.weights.h5, "
                         f"epoch_001.weights.h5, ... without gaps, found epochs {epochs}; "
                         "rerun the training rule (snakemake --forcerun trained_network)")
    return found


def load_checkpoint(model: keras.Model, path: str | os.PathLike) -> keras.Model:
    """Load the weights of ``path`` into ``model``, with an error that names the file.

    Raises
    ------
    ValueError
        If the file is missing, truncated, corrupted or holds weights of other shapes than
        ``model``'s.
    """
    path = Path(path)
    try:
        model.load_weights(path)
    except Exception as error:  # h5py and keras raise many types for a damaged file
        shapes = [tuple(weight.shape) for weight in model.weights]
        raise ValueError(
            f"cannot read checkpoint {path}: {type(error).__name__}: {error}. Expected a complete "
            f"Keras weights file for a model with weight shapes {shapes}; the file is damaged or "
            "from another network: rerun the training rule "
            "(snakemake --forcerun trained_network)") from error
    return model


def as_labels(y, name: str = "y", classes: int | None = None) -> np.ndarray:
    """``y`` as an int32 ``(N,)`` array of class indices in ``[0, classes)``, else ValueError."""
    array = np.asarray(y)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-d array of class indices, got shape {array.shape}"
        )
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise ValueError(f"{name} must hold integer class indices, got dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.floating) and not (
        np.all(np.isfinite(array)) and np.all(array == np.round(array))
    ):
        raise ValueError(f"{name} must hold integer class indices, got non-integer values")
    low, high = array.min(), array.max()
    if low < 0 or (classes is not None and high >= classes):
        bound = f"[0, {classes})" if classes is not None else "[0, inf)"
        raise ValueError(
            f"{name} must hold class indices in {bound}, got values in [{low}, {high}]"
        )
    return array.astype(np.int32)


def _classes(model: keras.Model) -> int | None:
    size = model.outputs[0].shape[-1] if getattr(model, "outputs", None) else None
    return None if size is None else int(size)


def _check_pair(model, x, y, xname: str, yname: str) -> tuple[np.ndarray, np.ndarray]:
    x = _as_inputs(model, x) if getattr(model, "inputs", None) else as_features(x, xname)
    y = as_labels(y, yname, _classes(model))
    if len(x) != len(y):
        raise ValueError(
            f"{xname} and {yname} must have the same length, got {len(x)} and {len(y)}"
        )
    return x, y


def predict_classes(model: keras.Model, x, batch_size: int = 1024) -> np.ndarray:
    """Predicted class (argmax of the logits) of every row of ``x``: an int64 ``(N,)`` array."""
    batch_size = check_positive_int(batch_size, "batch_size")
    x = _as_inputs(model, x)
    logits = model.predict(x, batch_size=batch_size, verbose=0)
    return np.argmax(logits, axis=1)


def split_accuracies(model: keras.Model, data, splits=("train", "val", "test")) -> dict:
    """``{"train_accuracy": ..., "val_accuracy": ..., "test_accuracy": ...}`` on prepared data.

    ``data`` holds ``x_<split>`` and ``y_<split>`` arrays (as :func:`relusv.data.prepare` returns).
    """
    return {f"{split}_accuracy": evaluate_accuracy(model, data[f"x_{split}"], data[f"y_{split}"])
            for split in splits}


def evaluate_accuracy(model: keras.Model, x, y, batch_size: int = 1024) -> float:
    """Fraction of the rows of ``x`` classified as ``y`` (a float in [0, 1])."""
    x, y = _check_pair(model, x, y, "x", "y")
    return float(np.mean(predict_classes(model, x, batch_size) == y))


@dataclass(frozen=True)
class TrainingResult:
    """What :func:`train_mlp` returns.

    Attributes
    ----------
    history : pandas.DataFrame
        One row per epoch (1-based ``epoch``, Keras logs, ``seconds``), including the epochs run
        before a resume when ``history_csv`` was given.
    seconds : float
        Training time summed over all epochs of ``history``.
    wall_seconds : float
        Wall time of this call.
    initial_epoch : int
        Epochs already done when this call started (non-zero after a resume).
    best_epoch : int or None
        With ``early_stopping``: the epoch of the best validation accuracy, whose weights the
        model holds at the end. ``None`` without early stopping.
    stopped_early : bool
    """

    history: pd.DataFrame
    seconds: float
    wall_seconds: float
    initial_epoch: int
    best_epoch: int | None
    stopped_early: bool


class _EpochShuffledBatches:
    """Mini-batches in an order that depends only on ``(seed, epoch)``, so that a resumed run
    sees the same batches as an uninterrupted one. :class:`_EpochSetter` sets the epoch.

    ``batches[i]`` is batch ``i`` of the current epoch; :meth:`dataset` yields the same batches
    as a ``tf.data`` pipeline, which is what :func:`train_mlp` trains on: the arrays are held
    once as tensors and the batches are gathered from them in TensorFlow, so no Python runs per
    batch and Keras can run several steps per call (``steps_per_execution``).
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, seed: int):
        self.x, self.y, self.batch_size, self.seed = x, y, batch_size, seed
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        rng = np.random.default_rng([self.seed, int(epoch)])
        self._order = rng.permutation(len(self.x))

    def __len__(self) -> int:
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index: int):
        rows = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        return self.x[rows], self.y[rows]

    def dataset(self):
        """The batches of the current epoch as a ``tf.data.Dataset`` of ``(x, y)`` pairs.

        Each iterator over it takes the order set last by :meth:`set_epoch` when it starts;
        Keras opens an epoch's iterator after the callbacks' ``on_epoch_begin``. The batch
        dimension is ``None``, so the last, shorter batch does not retrace the train step.
        """
        import tensorflow as tf

        x, y = tf.constant(self.x), tf.constant(self.y)

        def current_batches():
            # The rows batch by batch from Python: 60,000 single rows through tf.data's
            # unbatch/batch cost ~0.5 s an epoch (most of an epoch of a small MLP).
            for index in range(len(self)):
                yield self._order[index * self.batch_size : (index + 1) * self.batch_size]

        rows = tf.data.Dataset.from_generator(
            current_batches, output_signature=tf.TensorSpec((None,), tf.int64))
        return (rows.map(lambda rows: (tf.gather(x, rows), tf.gather(y, rows)))
                .apply(tf.data.experimental.assert_cardinality(len(self)))
                .prefetch(2))


def build_training_state(model: keras.Model, x: np.ndarray, y: np.ndarray) -> None:
    """Create the optimizer's and the compiled metrics' variables now, eagerly on one row.

    ``model``: compiled; ``x``: (N, d) and ``y``: (N,) training arrays (only the first row is
    used). Call it after ``compile`` and before the first training step.

    Keras creates them inside the first trace of the train step otherwise, and TensorFlow then
    traces the step a second time (a ``tf.function`` may create variables in its first trace
    only), which costs about a second per run. The variables start as they would (zeros); the
    metrics touched here are reset, and ``fit`` resets them every epoch anyway.
    """
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    y_pred = model(x[:1], training=False)
    model.compute_loss(x=x[:1], y=y[:1], y_pred=y_pred, training=False)
    model.compute_metrics(x[:1], y[:1], y_pred, sample_weight=None)
    model.reset_metrics()


def _batched_dataset(arrays: tuple[np.ndarray, ...], batch_size: int):
    """``arrays`` as a ``tf.data.Dataset`` of consecutive batches, in order."""
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices(arrays).batch(batch_size).prefetch(2)


class _EpochSetter(keras.callbacks.Callback):
    def __init__(self, dataset: _EpochShuffledBatches):
        super().__init__()
        self.dataset = dataset

    def on_epoch_begin(self, epoch, logs=None):
        self.dataset.set_epoch(epoch)


def _read_history(path: Path | None) -> list[dict]:
    if path is None or not path.exists():
        return []
    with open(path, newline="") as f:
        rows = []
        for row in csv.DictReader(f):
            rows.append({k: (int(v) if k == "epoch" else float(v)) for k, v in row.items()})
    return rows


def _write_history(path: Path, rows: list[dict]) -> None:
    fields: list[str] = []
    for row in rows:
        fields.extend(k for k in row if k not in fields)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


def _save_weights_atomically(model: keras.Model, path: Path) -> None:
    tmp = path.with_name(f"tmp_{path.name}")
    model.save_weights(tmp, overwrite=True)
    os.replace(tmp, path)


class _EpochRecorder(keras.callbacks.Callback):
    """Times epochs, writes the checkpoints and the history CSV, logs progress."""

    def __init__(self, checkpoint_dir: Path | None, history_csv: Path | None, epochs: int):
        super().__init__()
        self.checkpoint_dir = checkpoint_dir
        self.history_csv = history_csv
        self.epochs = epochs
        self.rows = _read_history(history_csv)
        self.initial_epoch: int | None = None
        self._start = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        if self.initial_epoch is None:
            # First epoch of this call: `epoch` epochs are done (by an interrupted run).
            self.initial_epoch = epoch
            self.rows = [row for row in self.rows if row["epoch"] <= epoch]
            if epoch > 0:
                logger.info("resuming after epoch %d of %d", epoch, self.epochs)
            if epoch == 0 and self.checkpoint_dir is not None:
                _save_weights_atomically(self.model, checkpoint_path(self.checkpoint_dir, 0))
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self._start
        number = epoch + 1
        if self.checkpoint_dir is not None:
            _save_weights_atomically(self.model, checkpoint_path(self.checkpoint_dir, number))
        row = {"epoch": number, **{k: float(v) for k, v in (logs or {}).items()}}
        row["seconds"] = seconds
        self.rows = [r for r in self.rows if r["epoch"] < number] + [row]
        if self.history_csv is not None:
            _write_history(self.history_csv, self.rows)
        metrics = ", ".join(f"{k} {v:.4f}" for k, v in row.items() if k not in ("epoch", "seconds"))
        logger.info("epoch %d/%d: %s (%.1f s)", number, self.epochs, metrics, seconds)


class _BestValidationAccuracy(keras.callbacks.Callback):
    """Early stopping on ``val_accuracy`` with ``patience`` epochs; restores the best weights.

    Its state is rebuilt from the recorder's history on resume; the best weights of an epoch run
    before the resume are read from that epoch's checkpoint."""

    def __init__(self, patience: int, recorder: _EpochRecorder, checkpoint_dir: Path | None):
        super().__init__()
        self.patience = patience
        self.recorder = recorder
        self.checkpoint_dir = checkpoint_dir
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.best_weights: list | None = None
        self.wait = 0
        self.stopped_early = False
        self._started = False

    def _update(self, number: int, value: float) -> bool:
        if self.best is None or value > self.best:
            self.best, self.best_epoch, self.wait = value, number, 0
            return True
        self.wait += 1
        return False

    def on_epoch_begin(self, epoch, logs=None):
        if not self._started:
            self._started = True
            for row in self.recorder.rows:  # epochs done before a resume
                self._update(row["epoch"], row["val_accuracy"])

    def on_epoch_end(self, epoch, logs=None):
        if self._update(epoch + 1, float(logs["val_accuracy"])):
            self.best_weights = self.model.get_weights()
        if self.wait >= self.patience:
            self.stopped_early = True
            self.model.stop_training = True
            logger.info(
                "early stop after epoch %d: best val_accuracy %.4f at epoch %d",
                epoch + 1,
                self.best,
                self.best_epoch,
            )

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)
        elif self.best_epoch is not None:
            path = (
                None
                if self.checkpoint_dir is None
                else checkpoint_path(self.checkpoint_dir, self.best_epoch)
            )
            if path is not None and path.exists():
                self.model.load_weights(path)
            else:
                logger.warning(
                    "best epoch %d ran before the resume and has no checkpoint; "
                    "keeping the last weights",
                    self.best_epoch,
                )


def train_mlp(
    model: keras.Model,
    x_train,
    y_train,
    x_val=None,
    y_val=None,
    *,
    epochs: int,
    batch_size: int,
    seed: int,
    checkpoint_dir: str | os.PathLike | None = None,
    history_csv: str | os.PathLike | None = None,
    backup_dir: str | os.PathLike | None = None,
    early_stopping: int | None = None,
    learning_rate: float = 1e-3,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int = 0,
) -> TrainingResult:
    """Train an MLP with Adam on cross-entropy from logits; deterministic and resumable.

    Parameters
    ----------
    model : keras.Model
        E.g. from :func:`relusv.models.build_mlp`. Compiled with :func:`compile_mlp` (with
        ``learning_rate``) unless it is compiled already.
    x_train : (N, d) float array
    y_train : (N,) int array
        Class indices in ``[0, classes)``.
    x_val, y_val : (N_val, d) and (N_val,) arrays, or None
        Validation data, evaluated after every epoch (``val_loss``, ``val_accuracy``).
    epochs : int
        Total number of epochs (also after a resume: the run ends after epoch ``epochs``).
    batch_size : int
    seed : int
        Seeds Keras/TF/numpy/Python (``keras.utils.set_random_seed``) and the shuffling: the
        order of epoch ``e`` is ``numpy.random.default_rng([seed, e]).permutation(N)``.
        Also turns on TF op determinism for the whole process.
    checkpoint_dir : path or None
        Where ``epoch_000.weights.h5`` ... ``epoch_{epochs:03d}.weights.h5`` go (created).
    history_csv : path or None
        History, one row per epoch, rewritten after every epoch.
    backup_dir : path or None
        ``BackupAndRestore`` directory: if it holds the state of an interrupted run, training
        resumes after the last completed epoch. Removed after success.
    early_stopping : int or None
        Patience in epochs on ``val_accuracy`` (needs validation data); the model ends with the
        weights of the best epoch. ``None``: train all ``epochs``.
    learning_rate : float
        Used only when the model is not compiled yet.
    callbacks : sequence of keras callbacks
        Extra callbacks, run after the checkpoint/history callbacks and before the backup;
        they must not change the weights at an epoch's end (the backup reuses the epoch's
        checkpoint file). Their batch hooks run once per ``steps_per_execution`` steps.
    verbose : int
        Passed to ``model.fit``; progress is also logged (logger ``relusv.training``, INFO).

    Returns
    -------
    TrainingResult

    Raises
    ------
    ValueError
        Bad arguments (non-positive epochs or batch size, arrays of the wrong shape, lengths that
        differ, labels outside ``[0, classes)``), before any training.
    """
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    seed = check_nonnegative_int(seed, "seed")
    if early_stopping is not None:
        early_stopping = check_positive_int(early_stopping, "early_stopping")
    if (x_val is None) != (y_val is None):
        raise ValueError("give both x_val and y_val, or neither")
    if early_stopping is not None and x_val is None:
        raise ValueError("early_stopping needs validation data (x_val, y_val)")
    x_train, y_train = _check_pair(model, x_train, y_train, "x_train", "y_train")
    validation = None
    if x_val is not None:
        validation = _check_pair(model, x_val, y_val, "x_val", "y_val")

    keras.utils.set_random_seed(seed)
    enable_determinism()
    if getattr(model, "optimizer", None) is None:
        compile_mlp(model, learning_rate)
    elif model.jit_compile:
        # XLA and op determinism do not go together (Keras drops XLA itself when determinism is
        # on at compile time); rebuild the step functions without it, keeping the optimizer.
        model.jit_compile = False
        model.make_train_function(force=True)
        model.make_test_function(force=True)
    build_training_state(model, x_train, y_train)

    checkpoint_dir = None if checkpoint_dir is None else Path(checkpoint_dir)
    history_csv = None if history_csv is None else Path(history_csv)
    if checkpoint_dir is not None:
        checkpoint_dir.mkdir(parents=True, exist_ok=True)
    if history_csv is not None:
        history_csv.parent.mkdir(parents=True, exist_ok=True)

    dataset = _EpochShuffledBatches(x_train, y_train, batch_size, seed)
    recorder = _EpochRecorder(checkpoint_dir, history_csv, epochs)
    all_callbacks: list[keras.callbacks.Callback] = [_EpochSetter(dataset), recorder]
    stopper = None
    if early_stopping is not None:
        stopper = _BestValidationAccuracy(early_stopping, recorder, checkpoint_dir)
        all_callbacks.append(stopper)
    all_callbacks.extend(callbacks)
    if backup_dir is not None:
        # Last, so that a kill between the checkpoint/history and the backup re-runs the epoch
        # (which rewrites the same files) rather than skipping its checkpoint and row.
        all_callbacks.append(AtomicBackupAndRestore(str(backup_dir), checkpoint_dir))

    if validation is not None:
        # Keras would wrap the arrays in a pipeline that costs ~25 ms of setup per epoch.
        validation = _batched_dataset(validation, batch_size)

    start = time.perf_counter()
    model.fit(
        dataset.dataset(),
        epochs=epochs,
        validation_data=validation,
        shuffle=False,
        callbacks=all_callbacks,
        verbose=verbose,
    )
    wall_seconds = time.perf_counter() - start
    if backup_dir is not None and Path(backup_dir).exists():
        shutil.rmtree(backup_dir)

    history = pd.DataFrame(recorder.rows)
    return TrainingResult(
        history=history,
        seconds=float(history["seconds"].sum()) if len(history) else 0.0,
        wall_seconds=wall_seconds,
        # None: the backup said all epochs were done, so fit ran none.
        initial_epoch=epochs if recorder.initial_epoch is None else recorder.initial_epoch,
        best_epoch=None if stopper is None else stopper.best_epoch,
        stopped_early=False if stopper is None else stopper.stopped_early,
    )


def enable_determinism() -> None:
    """Switch on TensorFlow's op determinism for the whole process (no-op on other backends)."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


# --------------------------------------------------------------------------------------------
# the prepared data a network is trained and evaluated on



def check_prepared_keys(data) -> None:
    """Raise ValueError unless ``data`` is a mapping with the arrays of
    :data:`relusv.data.PREPARED_KEYS` (``x_train, y_train, x_val, y_val, x_test, y_test``)."""
    if not isinstance(data, Mapping):
        raise ValueError(
            f"data must be a mapping with keys {PREPARED_KEYS}, got {type(data).__name__}")
    missing = [k for k in PREPARED_KEYS if k not in data]
    if missing:
        raise ValueError(f"data lacks {missing}; it needs {PREPARED_KEYS}")


def check_prepared_data(data, input_dim: int, classes: int) -> dict[str, np.ndarray]:
    """The six prepared arrays, checked for a network of ``input_dim`` inputs and ``classes``.

    Returns
    -------
    dict
        ``x_<split>``: float32 ``(N, input_dim)``, ``y_<split>``: int32 ``(N,)`` in
        ``[0, classes)``, for the splits train, val and test.

    Raises
    ------
    ValueError
        A missing array, a wrong number of features, labels out of range or splits whose inputs
        and labels differ in length.
    """
    check_prepared_keys(data)
    out = {}
    for split in ("train", "val", "test"):
        x = as_features(data[f"x_{split}"], f"x_{split}")
        if x.shape[1] != input_dim:
            raise ValueError(f"x_{split} must have {input_dim} features per row, got {x.shape}")
        y = as_labels(data[f"y_{split}"], f"y_{split}", classes)
        if len(y) != len(x):
            raise ValueError(
                f"x_{split} and y_{split} must have the same length, got {len(x)} and {len(y)}")
        out[f"x_{split}"], out[f"y_{split}"] = x, y
    return out
