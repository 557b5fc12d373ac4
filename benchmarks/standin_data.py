"""Synthetic stand-ins of the paper's four datasets, in their canonical raw formats (timing probe).

MNIST, Fashion-MNIST, CIFAR-10 and Boston housing cannot be downloaded here. This module writes
files with the *exact* names, layouts, shapes and dtypes of the canonical raw files that
:func:`relusv.data.load_raw` parses, so that the unmodified workflow can run the paper's config
(``config/config.yaml``) on them and measure per-rule time and memory at the paper's real sizes.

.. warning:: **The contents are synthetic.** Every accuracy, bound, width, figure, table and claim
   that the workflow computes on these files is meaningless for the paper; they serve only to time
   the workflow. The files' sha256 sums differ from the canonical ones (so the prepared datasets'
   metadata ``raw_files`` give them away), the CIFAR tarball carries a ``readme.html`` and every
   batch a ``batch_label`` saying "synthetic stand-in", and ``standins.json`` next to the files
   says so too. Run the probe in its own working directory, never in the one holding real results.

Files (``DIR/<dataset>/<canonical name>``, one folder per dataset like ``resources/raw``):

==================  =======================================  ==================================
dataset             file(s)                                  content (as ``load_raw`` returns)
==================  =======================================  ==================================
``mnist``           ``mnist.npz`` (deflated zip, keys          x uint8 (60000, 28, 28) /
                    ``x_train y_train x_test y_test``)         (10000, 28, 28), y uint8 0..9
``fashion_mnist``   ``train-labels-idx1-ubyte.gz``,            the same shapes, in gzipped IDX
                    ``train-images-idx3-ubyte.gz``,            (magic 0x0801 / 0x0803,
                    ``t10k-labels-idx1-ubyte.gz``,             big-endian dimensions)
                    ``t10k-images-idx3-ubyte.gz``
``cifar10``         ``cifar-10-python.tar.gz``: folder         x uint8 (50000, 32, 32, 3) /
                    ``cifar-10-batches-py/`` with              (10000, 32, 32, 3), y 0..9
                    ``data_batch_1..5``, ``test_batch``,
                    ``batches.meta`` (pickled dicts with
                    bytes keys, ``data`` uint8 (10000,
                    3072) channel-major, ``labels`` a
                    list) and ``readme.html``
``boston_housing``  ``boston_housing.npz`` (stored zip,        x float64 (506, 13), y float64
                    keys ``x y``)                              prices in k$ (404 + 102 rows)
==================  =======================================  ==================================

Class counts are the canonical ones: MNIST's own per-digit counts (5923, 6742, 5958, 6131, 5842,
5421, 5918, 6265, 5851, 5949 / 980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009),
Fashion-MNIST 6000 / 1000 per class, CIFAR-10 5000 / 1000 per class (spread unevenly over the five
training batches, as in the real files); shuffled. With ``sizes`` (smaller files for tests) the
counts are as even as the size allows.

Generator (the idea of ``synthetic_mnist`` in ``bench_pruning.py``): each class is a Gaussian
cluster in a 32-dimensional latent space (class means ``N(0, spread^2 I)``, within-class noise
``N(0, I)``), mapped to pixels by ``clip(offset + gain * z A + noise * e, 0, 1)`` with a fixed
random ``A: (32, D)`` of ``N(0, 1/32)`` entries and independent pixel noise ``e ~ N(0, 1)``, then
quantised to uint8 by ``round(255 x)``. The parameters (:data:`IMAGE_PARAMETERS`) were tuned so
that a three-layer MLP of width 100 reaches about the test accuracy such a network reaches on the
real data, hence a realistic number of misclassified test points, which sets the subset sizes
downstream (``subsets.max_size`` caps them at 1000):

- MNIST-like: ``spread`` 0.74, ``gain`` 0.25, ``noise`` 0.05, ``offset`` 0.5 in the central
  disk of radius 9 px, falling linearly to -0.5 at radius 13; pixels beyond are always 0 (blank
  borders, like MNIST's; 244 of the 784 pixels);
- Fashion-MNIST-like: the same with ``spread`` 0.55. Deliberately *not* MNIST's accuracy: a
  width-100 MLP reaches ~88-89 % on the real Fashion-MNIST, so ~1100 misclassified test points
  (subsets capped at 1000) rather than MNIST's ~200;
- CIFAR-like: ``spread`` 0.28 (overlapping clusters), ``gain`` 0.2, ``noise`` 0.1, ``offset``
  0.45 everywhere, pixels drawn in the pickles' channel-major order.

Boston housing: 506 rows of 13 features with roughly the real columns' ranges (CRIM lognormal,
ZN mostly 0, CHAS binary, RAD integer 1..8 or 24, ...) driven by one latent "urban" factor, and a
price ``y`` in k$ linear in LSTAT, RM, CHAS, the factor and noise, clipped to [5, 50] and
rounded to 0.1 (the workflow thresholds it at the training median).

Measured (seed 0, canonical sizes, ``--measure``; splits and scaling of ``relusv.data.prepare``
with the config's ``validation_fraction`` 0.1 / ``test_fraction`` 0.2; "MLP" is the config's
network, widths (100, 100, 100) (Boston (32, 32, 32)), Adam 1e-3, batch 128 (Boston 32), trained
by ``relusv.training.train_mlp`` for the config's epochs; "logistic" is scikit-learn's
LogisticRegression on the first 10,000 training rows)::

    dataset          MLP test  MLP train  misclassified test  logistic  MLP seconds (1 thread)
    mnist            97.6 %    99.1 %     236 / 10000         97.9 %    54  (20 epochs)
    fashion_mnist    88.9 %    91.6 %     1115 / 10000        89.3 %    47  (20 epochs)
    cifar10          50.9 %    57.5 %     4909 / 10000        41.9 %    125 (30 epochs)
    boston_housing   85.1 %    99.7 %     15 / 101            91.1 %    5   (100 epochs)

The MLP's accuracy moves by ~1.5 points per 0.01 of ``spread`` for CIFAR and ~0.1-0.2 for MNIST
(tuning runs on earlier draws: MNIST 0.72 -> 97.5 %, 0.76 -> 98.0 %; CIFAR 0.30 -> 54.4 %,
0.33 -> 59.9 %).
Unlike the real data, the clusters are Gaussian, so the train-test gap is smaller and accuracy
settles within a few epochs: early stopping (pruning, from-scratch runs) may stop sooner than on
the real data.

Files and write times (seed 0, all four in 16 s wall and 0.4 GB peak memory on a 2-core machine
shared with other jobs; the real files' sizes in brackets): ``mnist.npz`` 32.8 MB (11.5 MB: real
MNIST is mostly zeros), 2.5 s; Fashion-MNIST 28.0 + 4.7 MB (26.4 + 4.4 MB), 2.7 s;
``cifar-10-python.tar.gz`` 179.5 MB (170.5 MB), 10.5 s; ``boston_housing.npz`` 57 kB (57 kB).

Determinism: the same ``seed`` (and the same ``sizes``) gives byte-identical files, on the same
numpy (its ``Generator`` streams) and zlib (its deflate output) versions, whatever the number of
BLAS threads (the latent-to-pixel product is exact, see ``_ImageModel``): zip members carry the
date 1980-01-01, gzip headers mtime 0 and a fixed inner name, tar members mtime 0, uid/gid 0 and
no user names, pickles protocol 4 (keras' restricted unpickler refuses both the
``_codecs.encode`` that protocol 2 writes for bytes and the ``numpy._core.numeric._frombuffer``
that protocol 5 writes for arrays). Each dataset draws from its own stream (seed, dataset index),
so writing a subset of the datasets gives the same files.

Usage::

    python benchmarks/standin_data.py DIR [--datasets mnist cifar10 ...] [--seed 0] [--measure]

writes the files (about 15 s for all four), ``DIR/standins.json`` (what was written, sha256 sums,
parameters) and ``DIR/standin_sources.yaml`` (the ``data.sources`` override), and prints that
YAML; ``--measure`` then prints the accuracies above as JSON (about 5 minutes). Then, in a
directory of its own::

    snakemake --snakefile /path/to/repo/Snakefile --cores N \\
        --configfile /path/to/repo/config/config.yaml DIR/standin_sources.yaml

(a second ``--configfile`` is merged over the first; one alone would replace the paper config;
``--configfile`` takes several values, so name targets *before* it). Tried here: the data rules
(``raw_dataset``, ``prepared_dataset``) of all four datasets run unchanged on the stand-ins.

Pitfall of ``relusv.data.fetch`` with ``sha256: null`` (Fashion-MNIST): files already in the
cache folder (``resources/raw/fashion_mnist``) are used unchecked, so stand-ins written with
another seed, or real files, are not replaced; with a sha256 (the other three), a stale cached
copy is deleted and the rule fails once with a ChecksumError, then copies the new file when run
again. A fresh working directory avoids both.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import pickle
import struct
import sys
import tarfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from relusv.files import atomic_path

__all__ = [
    "CANONICAL_SIZES",
    "CONFIG_EPOCHS",
    "DATASETS",
    "IMAGE_PARAMETERS",
    "NOTICE",
    "class_counts",
    "measure_accuracies",
    "sources_yaml",
    "write_standins",
]

DATASETS = ("mnist", "fashion_mnist", "cifar10", "boston_housing")

#: (n_train, n_test) of the canonical files; Boston's file holds both (506 rows, keras splits 404
#: / 102 in ``load_data``, the workflow carves its own test set from all 506)
CANONICAL_SIZES = {
    "mnist": (60_000, 10_000),
    "fashion_mnist": (60_000, 10_000),
    "cifar10": (50_000, 10_000),
    "boston_housing": (404, 102),
}

#: training epochs of the paper config's networks per dataset (what ``--measure`` trains)
CONFIG_EPOCHS = {"mnist": 20, "fashion_mnist": 20, "cifar10": 30, "boston_housing": 100}

NOTICE = (
    "SYNTHETIC STAND-IN written by benchmarks/standin_data.py: a timing probe only. Any accuracy, "
    "bound, width, figure, table or claim computed on it is meaningless for the paper."
)

_MNIST_COUNTS = {
    "train": (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
    "test": (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009),
}
_LATENT = 32
_BLANK = -1e6  # offset of pixels that are always 0 (beyond ImageParameters.border's radius)
_CHUNK = 5_000  # rows generated at a time: bounds memory (CIFAR: ~125 MB of float64 per chunk)
_LATENT_GRID = 2.0**10  # latent points and the pixel map on fixed-point grids (see _ImageModel)
_BASIS_GRID = 2.0**12
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry
_DEFLATE_LEVEL = 1  # zip and gzip: 2x faster than 6 on these noisy pixels, files ~5 % larger
_PICKLE_PROTOCOL = 4
_CIFAR_DIR = "cifar-10-batches-py"
_CIFAR_NAMES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip
_IDX_FILES = (  # registry order of relusv.data: (file name, split, what)
    ("train-labels-idx1-ubyte.gz", "train", "labels"),
    ("train-images-idx3-ubyte.gz", "train", "images"),
    ("t10k-labels-idx1-ubyte.gz", "test", "labels"),
    ("t10k-images-idx3-ubyte.gz", "test", "images"),
)


@dataclass(frozen=True)
class ImageParameters:
    """How class-structured images are drawn (see the module docstring)."""

    spread: float  # standard deviation of the class means in the latent space
    gain: float  # latent -> pixel scale
    noise: float  # standard deviation of the independent pixel noise (pixel units, [0, 1])
    offset: float  # pixel offset (in the central disk when ``border`` is set)
    # (inner radius, outer radius, offset there): the offset falls linearly from ``offset`` at
    # the inner radius to this at the outer one; pixels at the outer radius or beyond are 0
    border: tuple[float, float, float] | None = None


IMAGE_PARAMETERS = {
    "mnist": ImageParameters(spread=0.74, gain=0.25, noise=0.05, offset=0.5, border=(9, 13, -0.5)),
    "fashion_mnist": ImageParameters(
        spread=0.55, gain=0.25, noise=0.05, offset=0.5, border=(9, 13, -0.5)
    ),
    "cifar10": ImageParameters(spread=0.28, gain=0.2, noise=0.1, offset=0.45),
}

_INDEX = {name: i for i, name in enumerate(DATASETS)}


# --------------------------------------------------------------------------------------------
# content


def _rng(seed: int, name: str) -> np.random.Generator:
    """The stream of one dataset: independent of which other datasets are written."""
    return np.random.default_rng([seed, _INDEX[name]])


def class_counts(name: str, split: str, n: int) -> np.ndarray:
    """Samples per class of ``split`` ("train"/"test") when it has ``n`` rows.

    The canonical counts at the canonical size, otherwise as even as possible (the first
    ``n % 10`` classes one more).
    """
    canonical = CANONICAL_SIZES[name][split == "test"]
    if n == canonical and name == "mnist":
        return np.array(_MNIST_COUNTS[split])
    counts = np.full(10, n // 10)
    counts[: n % 10] += 1
    return counts


def _labels(rng: np.random.Generator, name: str, split: str, n: int) -> np.ndarray:
    counts = class_counts(name, split, n)
    return rng.permutation(np.repeat(np.arange(10, dtype=np.uint8), counts))


def _offsets(params: ImageParameters, side: int, channels: int) -> np.ndarray:
    """Per-pixel offset, in the layout the pixels are drawn in (flat, channel-major)."""
    if params.border is None:
        return np.full(side * side * channels, params.offset, dtype=np.float32)
    inner, outer, far = params.border
    c = (side - 1) / 2
    r = np.hypot(*np.meshgrid(np.arange(side) - c, np.arange(side) - c, indexing="ij"))
    t = np.clip((r - inner) / (outer - inner), 0.0, 1.0)
    plane = np.where(r < outer, (1 - t) * params.offset + t * far, _BLANK)
    return np.tile(plane.ravel(), channels).astype(np.float32)


class _ImageModel:
    """Class means, latent-to-pixel map and offsets of one image dataset.

    The latent points and the map are rounded to fixed-point grids (``2^-10`` and ``2^-12``), so
    that every product and every partial sum of ``z @ basis`` is exact in float64: the result
    does not depend on how BLAS orders or splits the sum (threads, CPU kernels), and neither do
    the uint8 pixels rounded from it. (With float32 products, files written with 1 and with 2
    BLAS threads differed.)
    """

    def __init__(self, rng: np.random.Generator, params: ImageParameters, side, channels):
        dim = side * side * channels
        self.params = params
        self.means = rng.standard_normal((10, _LATENT)) * params.spread
        basis = rng.standard_normal((_LATENT, dim)) * (params.gain / np.sqrt(_LATENT))
        self.basis = np.round(basis * _BASIS_GRID) / _BASIS_GRID
        self.offsets = _offsets(params, side, channels)

    def pixels(self, rng: np.random.Generator, labels: np.ndarray) -> Iterator[np.ndarray]:
        """uint8 rows (N, dim) for ``labels``, ``_CHUNK`` rows at a time."""
        for start in range(0, len(labels), _CHUNK):
            y = labels[start : start + _CHUNK]
            z = self.means[y] + rng.standard_normal((len(y), _LATENT), dtype=np.float32)
            z = np.round(z * _LATENT_GRID) / _LATENT_GRID
            x = z @ self.basis  # exact: multiples of 2^-22 far below 2^31 in magnitude
            x += self.offsets
            x += self.params.noise * rng.standard_normal(x.shape, dtype=np.float32)
            np.clip(x, 0.0, 1.0, out=x)
            x *= 255.0
            yield np.rint(x).astype(np.uint8)


def _split_images(model, rng, name, split, n) -> tuple[np.ndarray, np.ndarray]:
    labels = _labels(rng, name, split, n)
    chunks = list(model.pixels(rng, labels))
    x = np.concatenate(chunks) if chunks else np.empty((0, model.basis.shape[1]), np.uint8)
    return x, labels


def _boston(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Boston-like rows: 13 float64 features in the real columns' ranges, price in k$."""
    u = rng.standard_normal(n)  # the latent "urban" factor

    def noisy(scale=1.0):
        return scale * rng.standard_normal(n)

    crim = np.exp(-1.2 + 1.6 * u + noisy(0.9))
    zn = np.where(u + noisy(0.5) < -0.8, np.clip(25 * np.exp(noisy(0.6)), 0, 100), 0.0)
    indus = np.clip(11 + 6 * u + noisy(2.5), 0.46, 27.74)
    chas = (rng.random(n) < 0.07).astype(np.float64)
    nox = np.clip(0.55 + 0.09 * u + noisy(0.05), 0.385, 0.871)
    rm = np.clip(6.28 - 0.25 * u + noisy(0.6), 3.56, 8.78)
    age = np.clip(68 + 20 * u + noisy(15), 2.9, 100)
    dis = np.clip(np.exp(1.2 - 0.45 * u + noisy(0.25)), 1.13, 12.13)
    rad = np.where(u + noisy(0.4) > 0.9, 24.0, rng.integers(1, 9, n).astype(np.float64))
    tax = np.clip(408 + 130 * u + noisy(80), 187, 711)
    ptratio = np.clip(18.5 + 1.2 * u + noisy(1.6), 12.6, 22.0)
    b = np.clip(396.9 - np.abs(noisy(60)) * (1.2 + 0.6 * u), 0.32, 396.9)
    lstat = np.clip(12.6 + 5 * u - 2.5 * (rm - 6.28) + noisy(3.5), 1.73, 37.97)
    x = np.stack([crim, zn, indus, chas, nox, rm, age, dis, rad, tax, ptratio, b, lstat], axis=1)
    price = 34.5 - 0.85 * lstat + 4.5 * (rm - 6.28) - 1.5 * u + 2.5 * chas + noisy(3.0)
    return np.round(x, 5), np.round(np.clip(price, 5.0, 50.0), 1)


# --------------------------------------------------------------------------------------------
# deterministic writers


def _atomic(path: Path, write: Callable[[io.BufferedWriter], None]) -> None:
    """Write ``path`` through a temporary name in its folder (:func:`relusv.files.atomic_path`)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        write(fh)


def _write_npz(path: Path, arrays: Mapping[str, np.ndarray], compress: bool) -> None:
    """An ``.npz`` as ``np.savez[_compressed]`` writes it, but with fixed zip dates."""
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED

    def write(fh):
        with zipfile.ZipFile(fh, "w", compression=method, allowZip64=True) as zf:
            for key, array in arrays.items():
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
                info = zipfile.ZipInfo(f"{key}.npy", date_time=_ZIP_DATE)
                info.external_attr = 0o644 << 16
                zf.writestr(info, buffer.getbuffer(), compress_type=method,
                            compresslevel=_DEFLATE_LEVEL if compress else None)

    _atomic(path, write)


def _gzip_writer(fh, name: str) -> gzip.GzipFile:
    # fixed inner name (the temporary file's would leak in) and mtime 0
    return gzip.GzipFile(
        filename=name, mode="wb", fileobj=fh, compresslevel=_DEFLATE_LEVEL, mtime=0
    )


def _write_idx_gz(path: Path, array: np.ndarray) -> None:
    """A gzipped IDX file of unsigned bytes: magic 0 0 8 ndim, big-endian dims, the bytes."""
    header = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)

    def write(fh):
        with _gzip_writer(fh, path.name) as gz:
            gz.write(header)
            gz.write(np.ascontiguousarray(array, dtype=np.uint8).data)

    _atomic(path, write)


def _tar_info(name: str, size: int = 0, directory: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if directory:
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
    else:
        info.mode = 0o644
        info.size = size
    return info


def _write_tar_gz(path: Path, members: Iterable[tuple[str, bytes]]) -> None:
    """A gzipped tar holding ``members`` (name, bytes) under one folder, like CIFAR's."""

    def write(fh):
        with (
            _gzip_writer(fh, path.name) as gz,
            tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tar,
        ):
            tar.addfile(_tar_info(_CIFAR_DIR, directory=True))
            for name, payload in members:
                tar.addfile(_tar_info(f"{_CIFAR_DIR}/{name}", len(payload)), io.BytesIO(payload))

    _atomic(path, write)


def _cifar_batch(label: str, x: np.ndarray, y: np.ndarray, first: int) -> bytes:
    """One pickled batch: bytes keys (Python 2 strings, read with encoding="bytes")."""
    batch = {
        b"batch_label": label.encode(),
        b"labels": [int(v) for v in y],
        b"data": x,
        b"filenames": [
            f"standin_{_CIFAR_NAMES[v]}_s_{first + i:06d}.png".encode() for i, v in enumerate(y)
        ],
    }
    return pickle.dumps(batch, protocol=_PICKLE_PROTOCOL)


_CIFAR_README = f"""<html><body><p>{NOTICE}</p>
<p>Layout of the CIFAR-10 python version (https://www.cs.toronto.edu/~kriz/cifar.html):
data_batch_1..5 and test_batch are pickled dicts with data (N x 3072 uint8, channel-major)
and labels (N ints in 0..9).</p></body></html>
"""


# --------------------------------------------------------------------------------------------
# the four datasets


def _write_mnist(directory: Path, rng, sizes) -> list[Path]:
    model = _ImageModel(rng, IMAGE_PARAMETERS["mnist"], 28, 1)
    arrays = {}
    for split, n in zip(("train", "test"), sizes, strict=True):
        x, y = _split_images(model, rng, "mnist", split, n)
        arrays[f"x_{split}"] = x.reshape(n, 28, 28)
        arrays[f"y_{split}"] = y
    path = directory / "mnist.npz"
    _write_npz(path, {k: arrays[k] for k in ("x_train", "y_train", "x_test", "y_test")}, True)
    return [path]


def _write_fashion_mnist(directory: Path, rng, sizes) -> list[Path]:
    model = _ImageModel(rng, IMAGE_PARAMETERS["fashion_mnist"], 28, 1)
    data = {}
    for split, n in zip(("train", "test"), sizes, strict=True):
        x, y = _split_images(model, rng, "fashion_mnist", split, n)
        data[split] = {"images": x.reshape(n, 28, 28), "labels": y}
    paths = []
    for fname, split, what in _IDX_FILES:
        _write_idx_gz(directory / fname, data[split][what])
        paths.append(directory / fname)
    return paths


def _write_cifar10(directory: Path, rng, sizes) -> list[Path]:
    model = _ImageModel(rng, IMAGE_PARAMETERS["cifar10"], 32, 3)
    n_train, n_test = sizes
    y_train = _labels(rng, "cifar10", "train", n_train)
    y_test = _labels(rng, "cifar10", "test", n_test)

    def members():
        first = 0
        batches = np.array_split(y_train, 5)
        for i, y in enumerate(batches, start=1):
            x = np.concatenate([*model.pixels(rng, y)] or [np.empty((0, 3072), np.uint8)])
            label = f"training batch {i} of 5 (synthetic stand-in)"
            yield f"data_batch_{i}", _cifar_batch(label, x, y, first)
            first += len(y)
        x = np.concatenate([*model.pixels(rng, y_test)] or [np.empty((0, 3072), np.uint8)])
        yield "test_batch", _cifar_batch("testing batch 1 of 1 (synthetic stand-in)", x, y_test, 0)
        meta = {
            b"num_cases_per_batch": len(batches[0]),
            b"label_names": [v.encode() for v in _CIFAR_NAMES],
            b"num_vis": 3072,
        }
        yield "batches.meta", pickle.dumps(meta, protocol=_PICKLE_PROTOCOL)
        yield "readme.html", _CIFAR_README.encode()

    path = directory / "cifar-10-python.tar.gz"
    _write_tar_gz(path, members())
    return [path]


def _write_boston_housing(directory: Path, rng, sizes) -> list[Path]:
    x, y = _boston(rng, sum(sizes))
    path = directory / "boston_housing.npz"
    _write_npz(path, {"x": x, "y": y}, False)
    return [path]


_WRITERS = {
    "mnist": _write_mnist,
    "fashion_mnist": _write_fashion_mnist,
    "cifar10": _write_cifar10,
    "boston_housing": _write_boston_housing,
}


# --------------------------------------------------------------------------------------------
# API


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_sizes(datasets, sizes) -> dict[str, tuple[int, int]]:
    sizes = dict(sizes or {})
    unknown = sorted(set(sizes) - set(DATASETS))
    if unknown:
        raise ValueError(f"sizes has unknown dataset(s) {unknown}; known: {list(DATASETS)}")
    out = {}
    for name in datasets:
        pair = tuple(sizes.get(name, CANONICAL_SIZES[name]))
        minimum = (2, 0) if name == "boston_housing" else (1, 1)
        if (
            len(pair) != 2
            or not all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in pair)
            or pair[0] < minimum[0]
            or pair[1] < minimum[1]
        ):
            raise ValueError(
                f"sizes[{name!r}] must be (n_train, n_test) integers at least {minimum}, "
                f"got {sizes.get(name)!r}"
            )
        out[name] = (int(pair[0]), int(pair[1]))
    return out


def write_standins(
    directory,
    datasets: Iterable[str] = DATASETS,
    seed: int = 0,
    *,
    sizes: Mapping[str, tuple[int, int]] | None = None,
    report: dict | None = None,
) -> dict:
    """Write synthetic stand-ins of ``datasets`` under ``directory`` and return ``data.sources``.

    Parameters
    ----------
    directory : folder to write into (created); each dataset goes to ``directory/<name>/`` under
        its canonical file name(s), overwriting what is there.
    datasets : names among :data:`DATASETS`, in any order, no repeats.
    seed : non-negative integer; the same seed (and sizes) gives byte-identical files.
    sizes : optional ``{name: (n_train, n_test)}`` to write smaller (or larger) files than the
        canonical :data:`CANONICAL_SIZES`, e.g. for tests; Boston writes ``n_train + n_test``
        rows into its single file.
    report : optional dict, filled with ``{name: {"seconds": ..., "files": {fname: bytes}}}``.

    Returns
    -------
    dict : ``{name: {"path": str, "sha256": str | None}}``, the value for the config key
        ``data.sources`` (as ``workflow/schemas/config.schema.yaml`` wants it): absolute paths;
        for single-file datasets the file and its sha256 (checked by ``relusv.data.fetch``);
        for ``fashion_mnist`` the folder holding its four files and ``sha256: None``, because one
        hash cannot check four files and leaving the key out would check them against the
        canonical hashes, which stand-ins fail (the four sums are in ``standins.json``).

    Also writes ``directory/standins.json``: the notice, seed, sizes, generator parameters and
    every file's size and sha256 (no timestamps, so it is deterministic too).
    """
    if isinstance(datasets, str):
        datasets = (datasets,)
    datasets = tuple(datasets)
    unknown = [name for name in datasets if name not in DATASETS]
    if unknown or not datasets or len(set(datasets)) != len(datasets):
        raise ValueError(
            f"datasets must be distinct names among {list(DATASETS)}, got {list(datasets)!r}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    checked = _check_sizes(datasets, sizes)
    root = Path(directory).expanduser().absolute()
    sources, written = {}, {}
    for name in datasets:
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        paths = _WRITERS[name](folder, _rng(seed, name), checked[name])
        seconds = time.perf_counter() - start
        hashes = {p.name: _sha256(p) for p in paths}
        written[name] = {
            "sizes": list(checked[name]),
            "files": {p.name: {"bytes": p.stat().st_size, "sha256": hashes[p.name]} for p in paths},
        }
        if report is not None:
            report[name] = {
                "seconds": seconds,
                "files": {p.name: p.stat().st_size for p in paths},
            }
        if len(paths) == 1:
            sources[name] = {"path": str(paths[0]), "sha256": hashes[paths[0].name]}
        else:
            sources[name] = {"path": str(folder), "sha256": None}
    manifest = {
        "notice": NOTICE,
        "seed": seed,
        "generator": {
            "latent_dim": _LATENT,
            "images": {k: asdict(v) for k, v in IMAGE_PARAMETERS.items() if k in written},
        },
        "datasets": written,
    }
    (root / "standins.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return sources


def sources_yaml(sources: Mapping, seed: int | None = None) -> str:
    """The ``data.sources`` override as YAML, headed by the notice as a comment."""
    import yaml

    head = "# " + NOTICE + (f" Seed {seed}." if seed is not None else "") + "\n"
    body = yaml.safe_dump({"data": {"sources": {k: dict(v) for k, v in sources.items()}}},
                          sort_keys=False, default_flow_style=False)
    return head + body


def measure_accuracies(
    directory,
    datasets: Iterable[str] = DATASETS,
    *,
    logistic_train: int | None = 10_000,
    mlp_epochs: int | Mapping[str, int] | None = None,
    seed: int = 0,
) -> dict:
    """Test accuracies of stand-ins written under ``directory``, as the workflow prepares them.

    Each dataset goes through ``relusv.data.prepare`` (the workflow's splits and scaling; Boston
    becomes "price above the training median"). ``logistic`` is scikit-learn's
    LogisticRegression (lbfgs, at most 500 iterations) fitted on the first ``logistic_train``
    training rows (None: all); with ``mlp_epochs`` (an int, or per dataset) also ``mlp``: the
    config's MLP (widths 100, 100, 100; Boston 32, 32, 32), Adam 1e-3, batch 128 (Boston 32),
    trained for that many epochs by ``relusv.training.train_mlp``. Costly: minutes on 2 cores.
    """
    from sklearn.linear_model import LogisticRegression

    from relusv.data import dataset_info, prepare

    results = {}
    root = Path(directory).expanduser().absolute()
    for name in datasets:
        arrays, _ = prepare(
            name, root / name, validation_fraction=0.1, test_fraction=0.2, seed=seed
        )
        xtr, ytr = arrays["x_train"], arrays["y_train"]
        xte, yte = arrays["x_test"], arrays["y_test"]
        row = {"n_train": len(ytr), "n_test": len(yte)}
        n = len(ytr) if logistic_train is None else min(logistic_train, len(ytr))
        clf = LogisticRegression(max_iter=500).fit(xtr[:n], ytr[:n])
        row["logistic"] = float(clf.score(xte, yte))
        epochs = mlp_epochs.get(name) if isinstance(mlp_epochs, Mapping) else mlp_epochs
        if epochs:
            from relusv.models import build_mlp
            from relusv.training import evaluate_accuracy, train_mlp

            boston = name == "boston_housing"
            model = build_mlp(xtr.shape[1], (32,) * 3 if boston else (100,) * 3,
                              dataset_info(name).n_classes, seed=seed)
            start = time.perf_counter()
            train_mlp(model, xtr, ytr, epochs=epochs, batch_size=32 if boston else 128,
                      seed=seed)
            row["mlp_epochs"] = epochs
            row["mlp_seconds"] = time.perf_counter() - start
            row["mlp_train"] = float(evaluate_accuracy(model, xtr, ytr))
            row["mlp"] = float(evaluate_accuracy(model, xte, yte))
            row["mlp_misclassified_test"] = round((1 - row["mlp"]) * len(yte))
        results[name] = row
    return results


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(
        description="Write synthetic stand-ins of the paper's datasets (a timing probe only)."
    )
    parser.add_argument("directory", help="folder to write into (one subfolder per dataset)")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--measure",
        action="store_true",
        help="then measure test accuracies (LogisticRegression, and the config's MLP trained "
        "for the config's epochs: several minutes on 2 cores); printed as JSON to stderr",
    )
    args = parser.parse_args(argv)
    report: dict = {}
    sources = write_standins(args.directory, args.datasets, args.seed, report=report)
    text = sources_yaml(sources, args.seed)
    out = Path(args.directory).expanduser().absolute() / "standin_sources.yaml"
    out.write_text(text)
    for name, row in report.items():
        files = ", ".join(f"{f} {b / 1e6:.1f} MB" for f, b in row["files"].items())
        print(f"# {name}: {row['seconds']:.1f} s: {files}", file=sys.stderr)
    print(f"# written to {out}", file=sys.stderr)
    print(text, end="")
    if args.measure:
        accuracies = measure_accuracies(args.directory, args.datasets, mlp_epochs=CONFIG_EPOCHS)
        print(json.dumps(accuracies, indent=1), file=sys.stderr)
    return sources


if __name__ == "__main__":
    main()
