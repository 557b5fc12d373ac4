"""Several seeds of one MLP trained as one computation: weights stacked on a leading seed axis.

A training step of the small networks of claim C8 is a few small matrix products with Keras'
per-step and per-epoch work around them (callbacks, the validation pipeline, Python), and five
seeds trained one after another pay that five times. Here every weight of the ``S`` networks is
one tensor of shape ``(S, ...)``, a batch is ``(S, B, d)`` (each seed its own rows) and one
compiled TensorFlow loop runs a whole epoch of all seeds: batched matrix products, one gradient,
Adam on the stacked tensors. What is left grows with ``S``: the matrix products themselves,
mostly the first layer's (``B x d`` by ``d x width`` per seed and step), so ``S`` seeds cost
less than ``S`` separate runs, not as little as one (benchmarks/bench_from_scratch.py). The
seeds do not interact (the loss is the sum of the seeds' own losses, so each weight's gradient
is its own seed's), and every seed gets what :func:`relusv.training.train_mlp` with its seed
gives it:

- its initial weights: those of the Keras model it is given (:func:`relusv.models.build_mlp`
  with its seed);
- its batch order: epoch ``e`` (0-based) is ``numpy.random.default_rng([seed, e]).permutation(N)``
  in consecutive batches of ``batch_size``, the last one shorter;
- its Adam state, with the hyper-parameters of :func:`relusv.training.compile_mlp` (read off a
  compiled Adam, so they cannot drift) and Keras' update, written out the same way;
- its early stopping: validation accuracy after every epoch, stop after ``patience`` epochs
  without a strict improvement, keep the best epoch's weights.

A seed that stops leaves the stack (its rows are dropped from every tensor), so it costs nothing
after its last epoch; the compiled functions take any stack size, so that does not retrace them.
The numbers equal ``train_mlp``'s up to float32 rounding (batched instead of single matrix
products, the whole validation split in one product): tests/test_stacked_training.py.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import keras
import numpy as np

from relusv._validation import check_positive_int
from relusv.layers import DoubleDense, hidden_layers, layer_arrays

__all__ = [
    "StackedRun",
    "stacked_accuracies",
    "stacked_layout",
    "stacked_layout_weights",
    "train_stacked",
]


@dataclass(frozen=True)
class StackedRun:
    """One seed's result of :func:`train_stacked`.

    Attributes
    ----------
    weights : list of numpy arrays
        The kept weights (the best epoch's with early stopping, else the last), in the order
        of :func:`stacked_layout_weights`.
    val_accuracy : list of float
        Validation accuracy after each epoch run (its length is the number of epochs run).
    best_epoch : int or None
        1-based epoch of the best validation accuracy; None without early stopping.
    stopped_early : bool
    seconds : float
        Wall time from the start of the training until this seed left the stack (shared with
        the seeds trained beside it).
    """

    weights: list
    val_accuracy: list
    best_epoch: int | None
    stopped_early: bool
    seconds: float


def _layers(model: keras.Model) -> list[keras.layers.Layer]:
    """The hidden layers, then ``logits``: the layers whose weights are stacked, in order."""
    return [*hidden_layers(model), model.get_layer("logits")]


def stacked_layout(model: keras.Model) -> list[int | None]:
    """Per layer (hidden layers, then ``logits``): the rank of a DoubleDense, None for a Dense."""
    return [layer.rank if isinstance(layer, DoubleDense) else None for layer in _layers(model)]


def stacked_layout_weights(model: keras.Model) -> list[np.ndarray]:
    """A model's weights in the order of the stack: per layer (hidden layers, then ``logits``)
    the Dense kernel, or the DoubleDense factors ``v, u``, then the bias; Keras layout.

    Not ``model.get_weights()``: Keras lists a layer's trainable weights first, so a rank-0
    double layer (non-trainable empty factors) has its bias before its factors there.
    """
    out = []
    for layer in _layers(model):
        kernel, bias = layer_arrays(layer)
        out += [*(kernel if isinstance(kernel, tuple) else (kernel,)), bias]
    return out


def _data_product(x, w):
    """``x @ w`` for a batch ``x`` ``(S, B, d)`` of data rows and first-layer weights ``w``
    ``(S, d, m)``, with the weights' gradient only (the data need none).

    The gradient is formed as ``(dz^T x)^T`` instead of TensorFlow's ``x^T dz``: the same
    products, but oneDNN runs the ``(m, B) x (B, d)`` shape about twice as fast as ``(d, B) x
    (B, m)`` for the narrow first layers of claim C8 (m of 18 and 20; 1.3x at m = 100), and the
    first layer's products are most of a step.
    """
    import tensorflow as tf

    @tf.custom_gradient
    def product(w):
        def gradient(dz):
            return tf.transpose(tf.matmul(dz, x, adjoint_a=True), [0, 2, 1])

        return tf.matmul(x, w), gradient

    return product(w)


def _forward(params, layout: Sequence[int | None], x):
    """Logits of the stacked networks.

    ``params``: per layer its tensors with a leading seed axis ``S`` (Dense: kernel ``(S, n,
    m)``, bias ``(S, m)``; DoubleDense: ``v (S, n, r)``, ``u (S, r, m)``, bias). ``x``: ``(N,
    d)`` rows that every seed sees, or ``(S, N, d)``, each seed its own. Returns ``(S, N,
    classes)``.
    """
    import tensorflow as tf

    def product(h, w):  # (S, N, n) or a shared (N, n), times (S, n, m)
        if h.shape.rank == 2:
            return tf.einsum("nd,sdm->snm", h, w)
        return _data_product(h, w) if h is x else tf.matmul(h, w)

    h, index = x, 0
    for i, rank in enumerate(layout):
        if rank is None:
            z = product(h, params[index])
        elif rank == 0:
            # No matmul over an empty inner dimension (oneDNN aborts on it, see DoubleDense).
            rows = tf.shape(h)[-2]
            z = tf.zeros(tf.stack([tf.shape(params[index + 2])[0], rows, 1]), h.dtype)
        else:
            z = tf.matmul(product(h, params[index]), params[index + 1])
        index += 2 if rank is None else 3
        z = z + params[index - 1][:, None, :]
        h = z if i == len(layout) - 1 else tf.nn.relu(z)
    return h


def stacked_accuracies(params, layout, x: np.ndarray, y: np.ndarray,
                       chunk: int = 8192) -> np.ndarray:
    """Accuracy of each stacked network on the rows ``x`` (``(N, d)``) with labels ``y``.

    ``params``: the networks' weights stacked (each a ``(S, ...)`` array or tensor, in the
    order of :func:`stacked_layout_weights`); ``layout``: :func:`stacked_layout` of one.

    Returns a float64 ``(S,)`` array: the fraction of rows whose argmax logit is the label, the
    number ``relusv.training.evaluate_accuracy`` gives each network. ``chunk`` rows at a time
    bound the memory of the ``(S, chunk, width)`` activations.
    """
    import tensorflow as tf

    correct = 0
    for start in range(0, len(x), chunk):
        logits = _forward(params, layout, tf.constant(x[start:start + chunk]))
        predicted = tf.argmax(logits, axis=-1, output_type=tf.int32).numpy()
        correct = correct + np.sum(predicted == y[None, start:start + chunk], axis=1)
    return correct / len(x)


def _adam_constants() -> dict[str, float]:
    """beta_1, beta_2 and epsilon of the Adam that :func:`relusv.training.compile_mlp` builds."""
    from relusv.training import compile_mlp

    probe = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    adam = compile_mlp(probe).optimizer
    if type(adam) is not keras.optimizers.Adam or adam.amsgrad or adam.weight_decay \
            or adam.clipnorm or adam.clipvalue or adam.global_clipnorm or adam.use_ema:
        raise RuntimeError("compile_mlp no longer builds a plain Adam; update "
                           "relusv.stacked_training to its optimizer")
    return {"beta_1": float(adam.beta_1), "beta_2": float(adam.beta_2),
            "epsilon": float(adam.epsilon)}


def _epoch_function(layout, shapes, x_train: np.ndarray, y_train: np.ndarray, batch_size: int,
                    learning_rate: float, adam: dict[str, float]):
    """A compiled function that runs one epoch of every stacked seed.

    ``epoch(params, m, v, step, order) -> (params, m, v)``: ``params``, ``m``, ``v`` are the
    stacked weights and Adam moments, of the ``shapes`` of one network's weights with a leading
    stack axis; ``order`` ``(S, N)`` int32 holds each seed's row order; ``step`` (int64) counts
    the Adam steps done before. The stack size ``S`` is left open in the signature, so a
    smaller stack after early stopping reuses the trace.
    """
    import tensorflow as tf

    x, y = tf.constant(x_train), tf.constant(y_train)
    n_rows = len(x_train)
    batches = math.ceil(n_rows / batch_size)
    beta_1, beta_2, epsilon = adam["beta_1"], adam["beta_2"], adam["epsilon"]
    params_spec = [tf.TensorSpec((None, *shape), tf.float32) for shape in shapes]

    def step_fn(i, step, params, m, v, order):
        rows = order[:, i * batch_size:tf.minimum((i + 1) * batch_size, n_rows)]
        with tf.GradientTape() as tape:
            tape.watch(params)
            logits = _forward(params, layout, tf.gather(x, rows))
            losses = tf.nn.sparse_softmax_cross_entropy_with_logits(tf.gather(y, rows), logits)
            # the sum over seeds of each seed's batch mean: each seed's gradient is its own
            loss = tf.reduce_sum(tf.reduce_mean(losses, axis=1))
        grads = tape.gradient(loss, params)
        # Keras' Adam.update_step, term by term, so that the rounding is the same
        local_step = tf.cast(step + 1, tf.float32)
        alpha = (learning_rate * tf.sqrt(1 - tf.pow(tf.constant(beta_2), local_step))
                 / (1 - tf.pow(tf.constant(beta_1), local_step)))
        new_p, new_m, new_v = [], [], []
        for p, g, m_i, v_i in zip(params, grads, m, v, strict=True):
            # No gradient: the empty factors of a rank-0 double layer, and the layers before
            # it, which it cuts off from the loss; Keras' Adam leaves them as they are too.
            if g is not None:
                m_i = m_i + (g - m_i) * (1 - beta_1)
                v_i = v_i + (tf.square(g) - v_i) * (1 - beta_2)
                p = p - (m_i * alpha) / (tf.sqrt(v_i) + epsilon)
            new_p.append(p)
            new_m.append(m_i)
            new_v.append(v_i)
        return i + 1, step + 1, new_p, new_m, new_v, order

    @tf.function(input_signature=[params_spec, params_spec, params_spec,
                                  tf.TensorSpec((), tf.int64),
                                  tf.TensorSpec((None, n_rows), tf.int32)])
    def epoch(params, m, v, step, order):
        _, _, params, m, v, _ = tf.while_loop(
            lambda i, *_: i < batches, step_fn,
            (tf.constant(0), step, params, m, v, order))
        return params, m, v

    return epoch


def train_stacked(models: Sequence[keras.Model], seeds: Sequence[int], x_train: np.ndarray,
                  y_train: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, *, epochs: int,
                  batch_size: int, patience: int | None, learning_rate: float
                  ) -> list[StackedRun]:
    """Train ``len(seeds)`` copies of one MLP architecture at once, each as ``train_mlp`` would.

    Parameters
    ----------
    models : sequence of keras.Model
        One :func:`relusv.models.build_mlp` model per seed, all of one architecture; their
        weights are the initial weights (the models themselves are not changed).
    seeds : sequence of int
        The seed of each model's batch order (distinct, checked by the caller).
    x_train : (N, d) float32 array
    y_train : (N,) int32 array
    x_val : (N_val, d) float32 array
    y_val : (N_val,) int32 array
    epochs, batch_size : int
    patience : int or None
        Early stopping on validation accuracy as ``train_mlp(early_stopping=patience)``; None:
        all ``epochs``, the last weights kept.
    learning_rate : float

    Returns
    -------
    list of StackedRun, in the order of ``seeds``.

    Raises
    ------
    ValueError
        Not one model per seed, or models of different architectures. The arrays are taken as
        they are: check them first (:func:`relusv.training.check_prepared_data`), as
        :func:`relusv.from_scratch.from_scratch_runs` does.
    """
    import tensorflow as tf

    from relusv.training import enable_determinism

    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    if patience is not None:
        patience = check_positive_int(patience, "patience")
    if len(models) != len(seeds) or not models:
        raise ValueError(f"give one model per seed, got {len(models)} models for "
                         f"{len(seeds)} seeds")
    layout = stacked_layout(models[0])
    weights = [stacked_layout_weights(model) for model in models]
    shapes = [w.shape for w in weights[0]]
    if any(stacked_layout(model) != layout or [w.shape for w in arrays] != shapes
           for model, arrays in zip(models, weights, strict=True)):
        raise ValueError("the models must all have the architecture of the first")
    enable_determinism()  # as train_mlp: the same numbers from run to run
    params = [tf.constant(np.stack(arrays)) for arrays in zip(*weights, strict=True)]
    m = [tf.zeros_like(p) for p in params]
    v = [tf.zeros_like(p) for p in params]
    epoch_fn = _epoch_function(layout, shapes, x_train, y_train,
                               batch_size, learning_rate, _adam_constants())
    batches = math.ceil(len(x_train) / batch_size)

    active = list(range(len(seeds)))  # positions in `seeds` of the rows of the stack
    history: list[list[float]] = [[] for _ in seeds]
    best = [-math.inf] * len(seeds)
    best_epoch: list[int | None] = [None] * len(seeds)
    kept, wait = list(weights), [0] * len(seeds)
    seconds, stopped = [0.0] * len(seeds), [False] * len(seeds)
    start = time.perf_counter()
    for epoch in range(epochs):
        order = np.stack([np.random.default_rng([seeds[s], epoch]).permutation(len(x_train))
                          for s in active]).astype(np.int32)
        params, m, v = epoch_fn(params, m, v, tf.constant(epoch * batches, tf.int64), order)
        accuracies = stacked_accuracies(params, layout, x_val, y_val)
        leaving = []
        for row, s in enumerate(active):
            history[s].append(float(accuracies[row]))
            if patience is None:
                continue
            if accuracies[row] > best[s]:  # strictly, as _BestValidationAccuracy
                best[s], best_epoch[s], wait[s] = float(accuracies[row]), epoch + 1, 0
                kept[s] = [p[row].numpy() for p in params]
            else:
                wait[s] += 1
            if wait[s] >= patience:
                stopped[s] = True
                leaving.append(row)
        if patience is None and epoch == epochs - 1:
            for row, s in enumerate(active):
                kept[s] = [p[row].numpy() for p in params]
        now = time.perf_counter() - start
        for row in leaving:
            seconds[active[row]] = now
        if leaving:
            # compaction: the stopped seeds' rows leave every tensor
            rows = [row for row in range(len(active)) if row not in leaving]
            active = [active[row] for row in rows]
            if not active:
                break
            params, m, v = ([tf.gather(t, rows) for t in ts] for ts in (params, m, v))
    now = time.perf_counter() - start
    for s in active:
        seconds[s] = now
    return [StackedRun(kept[s], history[s], best_epoch[s], stopped[s], seconds[s])
            for s in range(len(seeds))]
