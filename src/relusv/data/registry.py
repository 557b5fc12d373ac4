"""The dataset registry: each dataset's shape, classes, raw files, origins and sha256 hashes.

========================  ==========  =========  ========  ===================================
name                      input       classes    test set  raw files
========================  ==========  =========  ========  ===================================
``mnist``                 28 x 28     10         canonical ``mnist.npz``
``fashion_mnist``         28 x 28     10         canonical four IDX ``.gz`` files
``cifar10``               32x32x3     10         canonical ``cifar-10-python.tar.gz``
``boston_housing``        13          2          carved    ``boston_housing.npz``
``digits``                64          10         carved    none (ships with scikit-learn)
``breast_cancer``         30          2          carved    none (ships with scikit-learn)
``wine``                  13          3          carved    none (ships with scikit-learn)
``iris``                  4           3          carved    none (ships with scikit-learn)
========================  ==========  =========  ========  ===================================

Origins and sha256 hashes are those of keras' own dataset modules (keras 3.15). Keras gives no
hash for the Fashion-MNIST files; ours are the sha256 sums Zalando publishes for the same four
files (keras' copies have the same names and byte sizes).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from relusv._validation import check_choice

#: the config key under which a user points a dataset at a local copy or a mirror
SOURCES_CONFIG_KEY = "data.sources"

_KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


@dataclass(frozen=True)
class RemoteFile:
    """One raw file of a downloaded dataset: its cache file name, canonical origin and sha256."""

    fname: str
    origin: str
    sha256: str


@dataclass(frozen=True)
class DatasetInfo:
    """What :func:`~relusv.data.fetch`, :func:`~relusv.data.load_raw` and
    :func:`~relusv.data.prepare` need to know about a dataset.

    ``kind`` is ``"image"`` (scaled by /255) or ``"tabular"`` (standardised); ``input_shape`` the
    shape of one raw sample; ``files`` the raw files to download (empty for the scikit-learn
    datasets, which name their loader in ``sklearn_loader``); ``has_test_split`` whether the
    dataset comes with a canonical test set.
    """

    name: str
    kind: str
    input_shape: tuple[int, ...]
    n_classes: int
    has_test_split: bool
    files: tuple[RemoteFile, ...] = ()
    sklearn_loader: str | None = None

    @property
    def input_dim(self) -> int:
        """Length d of a flattened sample."""
        return math.prod(self.input_shape)

    @property
    def config_key(self) -> str:
        """The config key that overrides where this dataset's raw files come from."""
        return f"{SOURCES_CONFIG_KEY}.{self.name}"


def _keras_file(fname: str, sha256: str) -> RemoteFile:
    return RemoteFile(fname, _KERAS_ORIGIN + fname, sha256)


DATASETS: Mapping[str, DatasetInfo] = MappingProxyType(
    {
        # name: DatasetInfo(name, kind, input_shape, n_classes, has_test_split, files=...)
        "mnist": DatasetInfo("mnist", "image", (28, 28), 10, True, files=(
            _keras_file("mnist.npz",
                        "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"),
        )),
        # keras.datasets.fashion_mnist downloads these without a hash; the hashes are Zalando's.
        "fashion_mnist": DatasetInfo("fashion_mnist", "image", (28, 28), 10, True, files=(
            _keras_file("train-labels-idx1-ubyte.gz",
                        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
            _keras_file("train-images-idx3-ubyte.gz",
                        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
            _keras_file("t10k-labels-idx1-ubyte.gz",
                        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
            _keras_file("t10k-images-idx3-ubyte.gz",
                        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
        )),
        "cifar10": DatasetInfo("cifar10", "image", (32, 32, 3), 10, True, files=(
            RemoteFile("cifar-10-python.tar.gz",
                       "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                       "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"),
        )),
        "boston_housing": DatasetInfo("boston_housing", "tabular", (13,), 2, False, files=(
            _keras_file("boston_housing.npz",
                        "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"),
        )),
        "digits": DatasetInfo("digits", "tabular", (64,), 10, False, sklearn_loader="load_digits"),
        "breast_cancer": DatasetInfo(
            "breast_cancer", "tabular", (30,), 2, False, sklearn_loader="load_breast_cancer"
        ),
        "wine": DatasetInfo("wine", "tabular", (13,), 3, False, sklearn_loader="load_wine"),
        "iris": DatasetInfo("iris", "tabular", (4,), 3, False, sklearn_loader="load_iris"),
    }
)


def dataset_info(name: str) -> DatasetInfo:
    """Return the registry entry of ``name``; ``ValueError`` listing the known names otherwise."""
    check_choice(name, "dataset", DATASETS)
    return DATASETS[name]
