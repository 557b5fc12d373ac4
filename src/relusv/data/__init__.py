"""Datasets: a registry, verified downloads, raw parsers and seeded, normalised splits.

Three steps, each a plain function so that a workflow rule can call exactly one of them:

1. :func:`fetch` puts a dataset's raw files into a cache directory (``resources/raw/<name>/``),
   downloading them with ``keras.utils.get_file`` from the canonical origin (or from a mirror,
   or copying a local file, as the config key ``data.sources.<name>`` says) and checking every
   file against its sha256. Files already in the cache directory (e.g. copied there by hand on an
   offline cluster) are checked and used without any network access.
2. :func:`load_raw` parses the raw files into numpy arrays in the layout of ``keras.datasets``.
3. :func:`prepare` flattens, normalises and splits them; :func:`save_prepared` writes the result
   as one ``.npz`` and :func:`load_prepared` reads and checks it.

Modules, one job each (everything public is re-exported here, so ``from relusv.data import
load_prepared, PREPARED_KEYS`` is the way to import it):

- :mod:`relusv.data.registry`: :data:`DATASETS` (what each dataset is, its raw files, origins
  and sha256 hashes), :class:`DatasetInfo`, :class:`RemoteFile`, :func:`dataset_info`;
- :mod:`relusv.data.download`: :func:`fetch`, :func:`sha256_file`,
  :class:`DatasetUnavailableError` and :class:`ChecksumError`;
- :mod:`relusv.data.raw`: :func:`load_raw` and the parsers of the raw formats;
- :mod:`relusv.data.prepared`: :func:`split_indices`, :func:`prepare`, :func:`save_prepared`,
  :func:`load_prepared` and :data:`PREPARED_KEYS` (with the design choices of the splits and
  the normalisation).
"""

from relusv.data.download import ChecksumError, DatasetUnavailableError, fetch, sha256_file
from relusv.data.prepared import (
    PREPARED_KEYS,
    load_prepared,
    prepare,
    save_prepared,
    split_indices,
)
from relusv.data.raw import load_raw
from relusv.data.registry import (
    DATASETS,
    SOURCES_CONFIG_KEY,
    DatasetInfo,
    RemoteFile,
    dataset_info,
)

__all__ = [
    "DATASETS",
    "PREPARED_KEYS",
    "SOURCES_CONFIG_KEY",
    "ChecksumError",
    "DatasetInfo",
    "DatasetUnavailableError",
    "RemoteFile",
    "dataset_info",
    "fetch",
    "load_prepared",
    "load_raw",
    "prepare",
    "save_prepared",
    "sha256_file",
    "split_indices",
]
