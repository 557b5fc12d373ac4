"""relusv.width_subsamples: claim C5's point subsamples, and C5 judged on them end to end, failing
where one draw of points carries the difference and holding where the sets really differ."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relusv import claims as C
from relusv.analyses import layer_widths_and_differences
from relusv.tidy import WIDTH_SUBSAMPLES
from relusv.width_subsamples import subsampled_width_differences

#: One hidden layer that passes nonnegative inputs through unchanged: relu(I x + 0) = x.
IDENTITY = [(np.eye(4), np.zeros(4))]


def _points(n, scale=1.0, seed=0):
    return scale * np.abs(np.random.default_rng(seed).standard_normal((n, 4)))


def _subsamples(correct, incorrect, **kw):
    options = dict(n_subsamples=60, fraction=0.5, n_draws=100, seed=3) | kw
    return subsampled_width_differences("net", 7, IDENTITY,
                                        {"correct": correct, "incorrect": incorrect}, **options)


def _c5(correct, incorrect):
    """C5 of one network from the workflow's own computations of the two tables."""
    split = {"correct": correct, "incorrect": incorrect}
    widths, differences = layer_widths_and_differences("net", 7, IDENTITY, split, n_draws=100,
                                                       seed=3)
    claims = C.evaluate_claims(None, None, {"net": widths}, {"net": {"measurable": True}},
                               width_differences={"net": differences},
                               width_subsamples={"net": _subsamples(correct, incorrect)})
    return claims[4]


def test_one_row_per_layer_and_subsample_reproducibly():
    correct, incorrect = _points(40, 2.0, seed=1), _points(30, seed=2)
    table = _subsamples(correct, incorrect)
    WIDTH_SUBSAMPLES.check(table, "table")
    assert list(table.columns) == list(WIDTH_SUBSAMPLES.columns)
    assert table["subsample"].tolist() == list(range(60))
    assert (table["n_points"] == 15).all() and (table["epoch"] == 7).all()  # half of 30
    pd.testing.assert_frame_equal(table, _subsamples(correct, incorrect))
    assert not table["difference"].equals(_subsamples(correct, incorrect, seed=4)["difference"])
    assert (table["stderr"] > 0).all()
    two_layers = subsampled_width_differences(
        "net", 7, IDENTITY * 2, {"correct": correct, "incorrect": incorrect}, n_subsamples=5,
        fraction=1.0, n_draws=10, seed=0)
    assert two_layers["layer"].tolist() == [1, 2] * 5 and (two_layers["n_points"] == 30).all()


def test_c5_fails_when_a_few_points_carry_the_difference():
    """The same 40 points in both subsets, plus one far point among the correct ones: over all
    points the paired difference is many standard errors clear, but a half subsample holds the
    far point only about half of the time, so C5 fails."""
    base = _points(40, seed=5)
    correct = base.copy()
    correct[0] = 30.0
    claim = _c5(correct, base)
    layer = claim["measured"]["networks"]["net"]["layers"]["1"]
    assert layer["paired_z"] > 10  # the draws-only test of all points passes
    assert 0.2 < layer["subsample_fraction"] < 0.8
    assert claim["holds"] is False


def test_c5_holds_when_the_sets_really_differ():
    claim = _c5(_points(40, 3.0, seed=6), _points(40, seed=7))
    assert claim["measured"]["networks"]["net"]["layers"]["1"]["subsample_fraction"] == 1.0
    assert claim["holds"] is True


def test_refuses_bad_arguments_and_returns_no_rows_for_a_single_point():
    points = _points(10)
    with pytest.raises(ValueError, match=r"lacks the subsets \['incorrect'\]"):
        subsampled_width_differences("net", 0, IDENTITY, {"correct": points}, n_subsamples=2,
                                     fraction=0.5, n_draws=10, seed=0)
    with pytest.raises(ValueError, match="fraction"):
        _subsamples(points, points, fraction=0.0)
    with pytest.raises(ValueError, match="n_subsamples"):
        _subsamples(points, points, n_subsamples=0)
    assert _subsamples(points, points[:1]).empty


def test_the_config_keys_have_their_defaults_and_refuse_too_few_subsamples():
    """widths.subsamples and widths.subsample_fraction (config/README.md): filled in by the
    schema, and a run of fewer than 20 subsamples, where 95 % of them would mean all of them,
    or a share of 0 refused at start-up naming the key."""
    from conftest import ROOT
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    schema = str(ROOT / "workflow" / "schemas" / "config.schema.yaml")
    base = {"networks": {"a": {"dataset": "wine", "widths": [4]},
                         "b": {"dataset": "iris", "widths": [4]}}, "figure_networks": ["a", "b"]}
    config = {**base}
    validate(config, schema)
    assert (config["widths"]["subsamples"], config["widths"]["subsample_fraction"]) == (100, 0.5)
    for key, value in (("subsamples", 19), ("subsample_fraction", 0.0)):
        with pytest.raises(WorkflowError, match=key):
            validate({**base, "widths": {key: value}}, schema)
