"""Fixtures of the pruning tests: the digits data, a trained double-layer MLP and two runs of it.

A pytest plugin of tests/test_pruning_state.py, test_harmonic_pruning.py, test_pruning_baselines.py
and test_from_scratch.py (``pytest_plugins = ("pruning_fixtures",)``); session-scoped, so a
process that runs several of those files trains the network once. The test modules import its
constants before pytest loads it as a plugin, and it asserts nothing, so pytest is told not to
rewrite its asserts: PYTEST_DONT_REWRITE.
"""

import pytest

from relusv.data import prepare
from relusv.models import build_mlp
from relusv.pruning import TIMING_COLUMNS, harmonic_pruning, state_from_model
from relusv.training import train_mlp

WIDTHS = (16, 16, 16)
# Retraining at iterations 5 and 10 only (the first retraining of a run traces its loop, ~1 s).
RESUME_OPTIONS = dict(retrain_batches=3, retrain_batch_size=64, retrain_every=5,
                      rank_threshold=0, accuracy_drop=1.0, max_iterations=12, seed=5)
NO_RETRAINING = dict(retrain_every=None, rank_threshold=0, accuracy_drop=1.0)


def digits() -> dict:
    """The digits dataset, prepared as the pruning tests use it (64 features, 10 classes)."""
    data, _ = prepare("digits", None, validation_fraction=0.15, test_fraction=0.25, seed=0)
    return data


def strip_timings(records):
    """Records without :data:`relusv.pruning.TIMING_COLUMNS`, which differ from run to run."""
    return [{k: v for k, v in r.items() if k not in TIMING_COLUMNS} for r in records]


@pytest.fixture(scope="session")
def data():
    return digits()


@pytest.fixture(scope="session")
def trained(data):
    """``(model, state)``: a double-layer MLP of widths and ranks ``WIDTHS``, 8 epochs."""
    model = build_mlp(64, WIDTHS, 10, ranks=WIDTHS, seed=0)
    train_mlp(model, data["x_train"], data["y_train"], epochs=8, batch_size=32, seed=0)
    return model, state_from_model(model)


@pytest.fixture(scope="session")
def no_retraining_run(trained, data):
    """A run to rank zero without retraining, with the state after every iteration."""
    states = []
    records = harmonic_pruning(trained[1], data, on_record=lambda r, s: states.append(s),
                               **NO_RETRAINING)
    return records, states


@pytest.fixture(scope="session")
def uninterrupted(trained, data, tmp_path_factory):
    """``(records, final state)`` of a run with ``RESUME_OPTIONS`` that nothing interrupted."""
    states = []
    records = harmonic_pruning(trained[1], data, state_dir=tmp_path_factory.mktemp("whole"),
                               on_record=lambda r, s: states.append(s), **RESUME_OPTIONS)
    return records, states[-1]
