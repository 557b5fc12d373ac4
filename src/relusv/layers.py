"""Double-layers and double-p-product initialisation (paper section V).

A double-layer is ``x -> relu(U V x + b)`` with ``V: (r, n)`` and ``U: (m, r)`` in the paper's
orientation, so that its weight matrix ``W = U V`` has rank at most ``r`` and it has
``r (n + m) + m`` parameters. Keras works with row vectors, ``x @ kernel`` with a kernel of shape
``(inputs, outputs)``; :class:`DoubleDense` therefore stores the factors transposed:

- ``layer.v``: shape ``(n, r)`` (the paper's ``V`` transposed),
- ``layer.u``: shape ``(r, m)`` (the paper's ``U`` transposed),
- ``layer.kernel = v @ u``: shape ``(n, m)``, the paper's ``W`` transposed,

and computes ``activation(x @ v @ u + b)``.

Double-p-product initialisation (Definition 15): every entry of ``U`` and ``V`` is a product of
``p`` i.i.d. standard normal samples, scaled so that ``Var((U V)_ij)`` equals the Glorot target
``2 / (n + m)`` (or He, ``2 / n``), with ``n`` and ``m`` the fan-in and fan-out of the whole
double-layer. A product of ``p`` i.i.d. ``N(0, 1)`` has mean 0 and variance 1, and
``(U V)_ij = sum_k U_ik V_kj`` is a sum of ``r`` uncorrelated terms, so
``Var((U V)_ij) = r s_U^2 s_V^2``; both factors are scaled by ``s = (target / r) ** (1 / 4)``.
A dense layer uses the scheme with one factor, scaled by ``sqrt(target)``.

:func:`hidden_layers` finds an MLP's hidden ``Dense``/``DoubleDense`` layers and
:func:`layer_arrays` reads one layer's arrays: the one home of both for :mod:`relusv.models`
(Keras models) and :mod:`relusv.weights` (their ``.npz`` files), which build on this module.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from relusv._validation import (
    as_finite_array,
    check_choice,
    check_nonnegative_int,
    check_positive_int,
)

__all__ = [
    "DoubleDense",
    "DoublePProduct",
    "TARGETS",
    "double_dense_factors",
    "double_p_product_factors",
    "hidden_layers",
    "layer_arrays",
    "p_product_matrix",
    "target_variance",
]

#: Names of the variance targets of double-p-product initialisation.
TARGETS = ("glorot", "he")


def _check_seed(seed) -> int | None:
    if seed is None:
        return None
    return check_nonnegative_int(seed, "seed")


def target_variance(n: int, m: int, target: str = "glorot") -> float:
    """Variance that double-p-product initialisation gives the entries of a layer's matrix.

    Parameters
    ----------
    n, m : int
        Fan-in (inputs) and fan-out (outputs) of the layer.
    target : {"glorot", "he"}
        ``"glorot"``: ``2 / (n + m)``; ``"he"``: ``2 / n``.
    """
    n = check_positive_int(n, "n")
    m = check_positive_int(m, "m")
    check_choice(target, "target", TARGETS)
    return 2.0 / (n + m) if target == "glorot" else 2.0 / n


def p_product_matrix(shape: tuple[int, ...], p: int, rng: np.random.Generator) -> np.ndarray:
    """An array of the given shape whose entries are products of ``p`` i.i.d. ``N(0, 1)``.

    Every entry has mean 0 and variance 1. Returns a float64 array.
    """
    p = check_positive_int(p, "p")
    out = rng.standard_normal(shape)
    for _ in range(p - 1):
        out *= rng.standard_normal(shape)
    return out


def _rng(seed: int | None) -> np.random.Generator:
    if seed is None:
        # Follow the global numpy state, which keras.utils.set_random_seed sets.
        seed = int(np.random.randint(0, 2**31 - 1))  # noqa: NPY002 (global state on purpose)
    return np.random.default_rng(seed)


def double_p_product_factors(
    n: int,
    units: int,
    rank: int,
    p: int = 1,
    target: str = "glorot",
    seed: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Double-p-product initial factors of a double-layer (Definition 15).

    Parameters
    ----------
    n : int
        Inputs of the double-layer (its fan-in).
    units : int
        Outputs of the double-layer (its fan-out ``m``).
    rank : int
        Inner dimension ``r >= 0``.
    p : int
        Number of standard normal factors in every entry.
    target : {"glorot", "he"}
        Variance of the entries of the product: ``2 / (n + m)`` or ``2 / n``.
    seed : int or None
        Seed of the numpy generator; ``None`` draws one from numpy's global state.

    Returns
    -------
    (v, u) : ((n, rank) array, (rank, units) array), float64
        Keras layout, ``kernel = v @ u`` with ``Var(kernel_ij) = target``.
    """
    n = check_positive_int(n, "n")
    units = check_positive_int(units, "units")
    rank = check_nonnegative_int(rank, "rank")
    p = check_positive_int(p, "p")
    variance = target_variance(n, units, target)
    rng = _rng(_check_seed(seed))
    if rank == 0:
        return np.zeros((n, 0)), np.zeros((0, units))
    scale = (variance / rank) ** 0.25
    v = p_product_matrix((n, rank), p, rng) * scale
    u = p_product_matrix((rank, units), p, rng) * scale
    return v, u


@keras.saving.register_keras_serializable(package="relusv")
class DoublePProduct(keras.initializers.Initializer):
    """Double-p-product initialisation (Definition 15) as a Keras initializer.

    As a dense ``kernel_initializer`` (shape ``(n, m)``) every entry is a product of ``p``
    i.i.d. standard normals times ``sqrt(target)``, so ``Var = target`` (``2 / (n + m)`` or
    ``2 / n``). :class:`DoubleDense` calls :meth:`factors` instead, which scales both factors so
    that their product has that variance.

    Parameters
    ----------
    p : int
        Number of standard normal factors in every entry (``p = 1``: Gaussian).
    target : {"glorot", "he"}
    seed : int or None
        Seeded instances return the same values on every call with the same shape.
    """

    def __init__(self, p: int = 1, target: str = "glorot", seed: int | None = None):
        self.p = check_positive_int(p, "p")
        self.target = check_choice(target, "target", TARGETS)
        self.seed = _check_seed(seed)

    def __call__(self, shape, dtype=None):
        shape = tuple(int(s) for s in shape)
        if len(shape) != 2:
            raise ValueError(f"DoublePProduct needs a 2-d (fan_in, fan_out) shape, got {shape}")
        n, m = shape
        if n == 0 or m == 0:
            return ops.zeros(shape, dtype=dtype)
        scale = target_variance(n, m, self.target) ** 0.5
        values = p_product_matrix(shape, self.p, _rng(self.seed)) * scale
        return ops.convert_to_tensor(values, dtype=dtype or keras.config.floatx())

    def factors(self, n: int, units: int, rank: int) -> tuple[np.ndarray, np.ndarray]:
        """Factors ``(v, u)``, shapes ``(n, rank)`` and ``(rank, units)``.

        See :func:`double_p_product_factors`.
        """
        return double_p_product_factors(n, units, rank, self.p, self.target, self.seed)

    def get_config(self) -> dict:
        return {"p": self.p, "target": self.target, "seed": self.seed}


def double_dense_factors(kernel, rank: int) -> tuple[np.ndarray, np.ndarray]:
    """Factors of the best rank-``rank`` approximation of a Keras kernel (truncated SVD).

    As outputs x inputs, ``W = kernel.T = U_s Sigma V_s^T``; the double-layer keeps the first ``r``
    columns of ``U_s Sigma`` as its ``U`` and the first ``r`` rows of ``V_s^T`` as its ``V``
    (docs/method.md section 5, step 3). In Keras layout the factors are the transposes of those.

    Parameters
    ----------
    kernel : (n, m) array
        Keras kernel (inputs, outputs), i.e. ``W.T``.
    rank : int
        ``0 <= rank <= min(n, m)``.

    Returns
    -------
    (v, u) : ((n, rank) array, (rank, m) array), float64
        ``v`` = first ``rank`` right singular vectors of ``W`` (orthonormal columns),
        ``u`` = ``(U_s Sigma)[:, :rank].T``; ``v @ u`` is the rank-``rank`` truncated SVD of
        ``kernel``.
    """
    kernel = as_finite_array(kernel, "kernel", 2)
    rank = check_nonnegative_int(rank, "rank")
    n, m = kernel.shape
    if rank > min(n, m):
        raise ValueError(
            f"rank must be at most min(n, m) = {min(n, m)} for a kernel of shape "
            f"{kernel.shape}, got {rank}"
        )
    # kernel = A diag(s) B^T  <=>  W = kernel^T = B diag(s) A^T: U_s = B, V_s = A.
    a, s, bt = np.linalg.svd(kernel, full_matrices=False)
    v = a[:, :rank].copy()
    u = s[:rank, None] * bt[:rank, :]
    return v, u


@keras.saving.register_keras_serializable(package="relusv")
class DoubleDense(keras.layers.Layer):
    """Double-layer ``activation(x @ v @ u + b)`` with ``v: (n, rank)``, ``u: (rank, units)``.

    Its kernel ``v @ u`` (Keras layout ``(n, units)``, the transpose of the paper's ``W = U V``)
    has rank at most ``rank``; the layer has ``rank * (n + units) + units`` parameters (without
    the ``units`` with ``use_bias=False``). ``rank = 0`` is allowed: the layer then outputs
    ``activation(b)`` for every input.

    Parameters
    ----------
    units : int
        Output dimension ``m``.
    rank : int
        Inner dimension ``r``, ``0 <= r <= min(n, units)`` (checked when the layer is built).
    activation : str or callable
        Default ``"relu"``.
    use_bias : bool
    kernel_initializer : DoublePProduct, str or keras initializer
        A :class:`DoublePProduct` initialises both factors jointly so that ``Var(v @ u)`` is
        its target (default: ``DoublePProduct(p=1, target="glorot")``). Any other Keras
        initializer is applied to each factor separately, with the factor's own shape.
    bias_initializer : str or keras initializer
        Default ``"zeros"`` (Definition 15: b = 0).
    """

    def __init__(
        self,
        units: int,
        rank: int,
        activation="relu",
        use_bias: bool = True,
        kernel_initializer=None,
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_positive_int(units, "units")
        self._rank = check_nonnegative_int(rank, "rank")
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        if kernel_initializer is None:
            kernel_initializer = DoublePProduct()
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.input_spec = keras.layers.InputSpec(min_ndim=2)

    @property
    def rank(self) -> int:
        """The inner dimension ``r`` (an upper bound on the rank of the kernel)."""
        return self._rank

    def build(self, input_shape):
        n = input_shape[-1]
        if n is None:
            raise ValueError("DoubleDense needs a known last input dimension")
        n = int(n)
        if self._rank > min(n, self.units):
            raise ValueError(
                f"rank must be at most min(inputs, units) = {min(n, self.units)} "
                f"(inputs {n}, units {self.units}), got {self._rank}"
            )
        # Empty factors (rank 0) take no part in call, so they get no gradient: not trainable.
        self.v = self.add_weight(name="v", shape=(n, self._rank), initializer="zeros",
                                 trainable=self._rank > 0)
        self.u = self.add_weight(name="u", shape=(self._rank, self.units), initializer="zeros",
                                 trainable=self._rank > 0)
        if self._rank > 0:
            if isinstance(self.kernel_initializer, DoublePProduct):
                v0, u0 = self.kernel_initializer.factors(n, self.units, self._rank)
                self.v.assign(ops.convert_to_tensor(v0, dtype=self.v.dtype))
                self.u.assign(ops.convert_to_tensor(u0, dtype=self.u.dtype))
            else:
                self.v.assign(self.kernel_initializer((n, self._rank), dtype=self.v.dtype))
                self.u.assign(self.kernel_initializer((self._rank, self.units), dtype=self.u.dtype))
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.units,), initializer=self.bias_initializer
            )
        else:
            self.bias = None
        self.input_spec = keras.layers.InputSpec(min_ndim=2, axes={-1: n})

    @property
    def kernel(self):
        """The product ``v @ u``, shape ``(n, units)`` (a backend tensor)."""
        if self._rank == 0:
            return ops.zeros((self.v.shape[0], self.units), dtype=self.v.dtype)
        return ops.matmul(self.v, self.u)

    def call(self, inputs):
        if self._rank == 0:
            # The product with empty factors is a zero (..., units) tensor; built without a
            # matmul, because TensorFlow's oneDNN kernels abort the process on an inner dimension
            # of 0 (seen with 12 units and batches of 128, not with 3 units).
            z = ops.zeros_like(inputs[..., :1]) * ops.zeros((self.units,), dtype=inputs.dtype)
        else:
            z = ops.matmul(ops.matmul(inputs, self.v), self.u)
        if self.bias is not None:
            z = z + self.bias
        return self.activation(z) if self.activation is not None else z

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def set_factors(self, v, u, bias=None) -> None:
        """Assign the factors (Keras layout ``(n, rank)``, ``(rank, units)``) and the bias."""
        if not self.built:
            raise ValueError("build the layer before setting its factors")
        v = np.asarray(v, dtype=np.float64)
        u = np.asarray(u, dtype=np.float64)
        if v.shape != tuple(self.v.shape) or u.shape != tuple(self.u.shape):
            raise ValueError(
                f"factors must have shapes {tuple(self.v.shape)} and {tuple(self.u.shape)}, "
                f"got {v.shape} and {u.shape}"
            )
        if v.size:
            v = as_finite_array(v, "v", 2)
            u = as_finite_array(u, "u", 2)
        self.v.assign(ops.convert_to_tensor(v, dtype=self.v.dtype))
        self.u.assign(ops.convert_to_tensor(u, dtype=self.u.dtype))
        if bias is not None:
            if self.bias is None:
                raise ValueError("this layer has no bias (use_bias=False)")
            bias = as_finite_array(bias, "bias", 1)
            if bias.shape != (self.units,):
                raise ValueError(f"bias must have shape ({self.units},), got {bias.shape}")
            self.bias.assign(ops.convert_to_tensor(bias, dtype=self.bias.dtype))

    @classmethod
    def from_kernel(
        cls, kernel, bias, rank: int, *, activation="relu", name: str | None = None, **kwargs
    ) -> DoubleDense:
        """A built double-layer holding the rank-``rank`` truncated SVD of a Keras kernel.

        Parameters
        ----------
        kernel : (n, m) array
            Keras kernel (``W.T``).
        bias : (m,) array or None
            ``None``: a layer without bias.
        rank : int
            ``0 <= rank <= min(n, m)``.
        """
        kernel = as_finite_array(kernel, "kernel", 2)
        v, u = double_dense_factors(kernel, rank)
        n, m = kernel.shape
        layer = cls(m, rank, activation=activation, use_bias=bias is not None, name=name, **kwargs)
        layer.build((None, n))
        layer.set_factors(v, u, bias)
        return layer

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "rank": self._rank,
                "activation": keras.activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            }
        )
        return config

def hidden_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """The hidden layers of an MLP in order: every ``Dense``/``DoubleDense`` except ``logits``."""
    layers = [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.Dense | DoubleDense) and layer.name != "logits"
    ]
    if not layers:
        raise ValueError(f"model {model.name!r} has no Dense or DoubleDense hidden layers")
    return layers


def layer_arrays(layer: keras.layers.Layer):
    """A ``Dense`` or :class:`DoubleDense` layer's arrays in numpy, Keras layout, its own dtype.

    Returns
    -------
    kernel : (n, m) array, or the pair ``(v, u)`` of a double-layer's factors
    bias : (m,) array, or None for a layer without bias
    """
    if isinstance(layer, DoubleDense):
        kernel = (ops.convert_to_numpy(layer.v), ops.convert_to_numpy(layer.u))
    else:
        kernel = ops.convert_to_numpy(layer.kernel)
    return kernel, (ops.convert_to_numpy(layer.bias) if layer.use_bias else None)
