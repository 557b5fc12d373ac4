"""Claims C1-C5: data built so that a claim holds gives True, data built to violate it gives
False, and networks without a correct/incorrect comparison give None with the reason."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relusv import claims as C
from relusv.paper import CLAIMS

LAYERS = (1, 2, 3)
REQUIRED_KEYS = {"id", "statement", "where", "measured", "holds", "checked_on", "note"}


# ---------------------------------------------------------------------------------------------
# builders
# ---------------------------------------------------------------------------------------------


def random_frame(ratio=lambda k, K: 0.5, shapes=((3, 3), (4, 4), (5, 3))):
    """Random-layer table with bound_k = ratio(k, K) * sigma_k, sigma strictly decreasing."""
    rows = []
    for m, n in shapes:
        K = min(m, n)
        for layer in (0, 1):
            sigma = np.linspace(3.0, 0.5, K) * (1 + layer)
            for k in range(K):
                rows.append({"shape": f"{m}x{n}", "m": m, "n": n, "layer": layer, "k": k,
                             "bound": ratio(k, K) * sigma[k], "singular_value": sigma[k]})
    return pd.DataFrame(rows)


def bounds_frame(network, level=lambda layer, subset: layer * (2.0 if subset == "correct" else 1.0),
                 width=5, subsets=("correct", "incorrect"), layers=LAYERS):
    rows = []
    for layer in layers:
        for subset in subsets:
            for k in range(width):
                rows.append({"network": network, "layer": layer, "subset": subset, "k": k,
                             "bound": level(layer, subset) / (k + 1),
                             "singular_value": 3.0 * layer / (k + 1), "n_points": 40})
    return pd.DataFrame(rows)


def widths_frame(network, level=lambda layer, subset: layer * (2.0 if subset == "correct" else 1.0),
                 epochs=(0, 5, 10), subsets=("correct", "incorrect"), layers=LAYERS):
    rows = []
    for layer in layers:
        for subset in subsets:
            for epoch in epochs:
                rows.append({"network": network, "layer": layer, "subset": subset,
                             "epoch": epoch, "width": level(layer, subset) * (1 + epoch / 10),
                             "stderr": 0.1, "n_points": 40, "n_draws": 100})
    return pd.DataFrame(rows)


def measurable(*networks):
    return {n: {"network": n, "pool": "test", "n_correct_available": 900,
                "n_incorrect_available": 100, "size": 100, "measurable": True, "reason": None}
            for n in networks}


def by_id(claims):
    return {claim["id"]: claim for claim in claims}


def evaluate(random=None, bounds=None, widths=None, subsets=None, **kw):
    nets = ("net_a", "net_b")
    random = random_frame() if random is None else random
    bounds = {n: bounds_frame(n) for n in nets} if bounds is None else bounds
    widths = {n: widths_frame(n) for n in nets} if widths is None else widths
    subsets = measurable(*nets) if subsets is None else subsets
    return by_id(C.evaluate_claims(random, bounds, widths, subsets, **kw))


# ---------------------------------------------------------------------------------------------
# all hold
# ---------------------------------------------------------------------------------------------


def test_every_claim_holds_on_data_built_for_it():
    claims = evaluate()
    assert list(claims) == ["C1", "C2", "C3", "C4", "C5"]
    for cid, claim in claims.items():
        assert REQUIRED_KEYS <= set(claim), cid
        assert claim["holds"] is True, (cid, claim["summary"])
        assert claim["checked_on"], cid
        assert claim["statement"] == CLAIMS[cid][0]
        assert "Criterion" in claim["note"]
        assert claim["not_measurable"] == []
    assert claims["C3"]["measured"]["fraction_pairs"] == 1.0
    assert claims["C2"]["measured"]["networks"]["net_a"]["subsets"]["correct"]["increasing"]
    layer3 = claims["C5"]["measured"]["networks"]["net_b"]["layers"]["3"]
    assert layer3["width_correct"] == pytest.approx(12.0)
    assert layer3["width_incorrect"] == pytest.approx(6.0)
    assert layer3["z"] == pytest.approx(6.0 / np.sqrt(0.02))


# ---------------------------------------------------------------------------------------------
# C1
# ---------------------------------------------------------------------------------------------


def test_c1_fails_when_a_bound_exceeds_its_singular_value():
    frame = random_frame()
    frame.loc[4, "bound"] = frame.loc[4, "singular_value"] * (1 + 1e-6)
    claim = evaluate(random=frame)["C1"]
    assert claim["holds"] is False
    assert claim["measured"]["lemma5_violations"] == 1
    assert claim["measured"]["much_lower_holds"] and claim["measured"]["low_k_holds"]


def test_c1_lemma5_tolerance_is_relative_and_tiny():
    frame = random_frame()
    frame.loc[4, "bound"] = frame.loc[4, "singular_value"] + 1e-12
    assert evaluate(random=frame)["C1"]["holds"] is True


def test_c1_fails_when_bounds_are_not_much_lower():
    claim = evaluate(random=random_frame(ratio=lambda k, K: 0.95))["C1"]
    assert claim["holds"] is False
    assert claim["measured"]["mean_ratio"] == pytest.approx(0.95)
    assert claim["measured"]["lemma5_holds"] is True
    assert claim["measured"]["much_lower_holds"] is False


def test_c1_fails_when_the_gap_is_largest_at_high_k():
    # bound close to sigma at low k, far below it at high k: the absolute gap grows with k
    claim = evaluate(random=random_frame(ratio=lambda k, K: 0.98 if k < K / 2 else 0.0))["C1"]
    assert claim["holds"] is False
    assert claim["measured"]["low_k_holds"] is False
    assert claim["measured"]["low_k_gap_fraction"] == 0.0
    assert claim["measured"]["lemma5_holds"] is True


def test_c1_ignores_zero_singular_values_for_the_halves():
    # ranks at or above rank(W) (sigma = bound = 0) must not pad the high half with zero gaps
    frame = random_frame(ratio=lambda k, K: 0.98 if k < K / 2 else 0.0)
    padding = frame.groupby(["shape", "layer"], as_index=False).agg(
        m=("m", "first"), n=("n", "first"), k=("k", "max"))
    rows = []
    for extra in range(1, 6):
        rows.append(padding.assign(k=padding["k"] + extra, bound=0.0, singular_value=0.0))
    claim = evaluate(random=pd.concat([frame, *rows], ignore_index=True))["C1"]
    assert claim["measured"]["low_k_gap_fraction"] == 0.0
    assert claim["measured"]["rows_checked"] == len(frame) + 5 * len(padding)
    assert claim["holds"] is False


def test_c1_is_null_without_random_layers():
    assert evaluate(random=random_frame().iloc[0:0])["C1"]["holds"] is None


# ---------------------------------------------------------------------------------------------
# C2 / C4: growth with depth
# ---------------------------------------------------------------------------------------------


def reversed_depth(layer, subset):
    return (4 - layer) * (2.0 if subset == "correct" else 1.0)


def test_c2_fails_when_layer_order_is_swapped_in_one_network():
    bounds = {"net_a": bounds_frame("net_a"), "net_b": bounds_frame("net_b", reversed_depth)}
    claim = evaluate(bounds=bounds)["C2"]
    assert claim["holds"] is False
    assert claim["measured"]["fraction_networks"] == 0.5
    assert claim["measured"]["networks"]["net_a"]["holds"] is True
    assert claim["measured"]["networks"]["net_b"]["holds"] is False


def test_c2_uses_the_common_k_range():
    # layer 3 has more ranks with tiny bounds; over its own range its mean would fall below
    # layer 2's, over the common range it does not
    frames = [bounds_frame("net", width=5, layers=(1, 2)),
              bounds_frame("net", width=40, layers=(3,))]
    claim = evaluate(bounds={"net": pd.concat(frames)}, subsets=measurable("net"))["C2"]
    correct = claim["measured"]["networks"]["net"]["subsets"]["correct"]
    assert correct["k_common"] == [0, 4]
    assert claim["holds"] is True


def test_c4_fails_when_widths_shrink_with_depth():
    widths = {"net_a": widths_frame("net_a", reversed_depth), "net_b": widths_frame("net_b")}
    claim = evaluate(widths=widths)["C4"]
    assert claim["holds"] is False
    assert claim["measured"]["fraction_networks"] == 0.5


def test_c4_judges_the_final_checkpoint_only():
    frame = widths_frame("net")
    early = frame["epoch"] < 10
    frame.loc[early, "width"] = frame.loc[early, "width"] * (4 - frame.loc[early, "layer"]) ** 3
    claim = evaluate(widths={"net": frame}, subsets=measurable("net"))["C4"]
    assert claim["holds"] is True
    correct = claim["measured"]["networks"]["net"]["subsets"]["correct"]
    assert correct["final_epoch"] == 10
    assert correct["checkpoint_fraction"] == pytest.approx(1 / 3)


# ---------------------------------------------------------------------------------------------
# C3 / C5: correct vs incorrect
# ---------------------------------------------------------------------------------------------


def swapped_subsets(layer, subset):
    return layer * (1.0 if subset == "correct" else 2.0)


def test_c3_fails_when_incorrect_bounds_are_larger():
    bounds = {n: bounds_frame(n, swapped_subsets) for n in ("net_a", "net_b")}
    claim = evaluate(bounds=bounds)["C3"]
    assert claim["holds"] is False
    assert claim["measured"]["fraction_pairs"] == 0.0


def test_c3_holds_on_a_strict_majority_of_pairs():
    def mostly(layer, subset):  # layer 3 goes the other way
        return swapped_subsets(layer, subset) if layer == 3 else layer * (
            2.0 if subset == "correct" else 1.0)

    claim = evaluate(bounds={n: bounds_frame(n, mostly) for n in ("net_a", "net_b")})["C3"]
    assert claim["measured"]["fraction_pairs"] == pytest.approx(2 / 3)
    assert claim["holds"] is True
    half = evaluate(bounds={"net_a": bounds_frame("net_a"),
                            "net_b": bounds_frame("net_b", swapped_subsets)})["C3"]
    assert half["measured"]["fraction_pairs"] == 0.5
    assert half["holds"] is False


def test_c5_fails_when_one_layer_has_wider_incorrect_data():
    def one_layer(layer, subset):
        return swapped_subsets(layer, subset) if layer == 2 else layer * (
            2.0 if subset == "correct" else 1.0)

    widths = {"net_a": widths_frame("net_a"), "net_b": widths_frame("net_b", one_layer)}
    claim = evaluate(widths=widths)["C5"]
    assert claim["holds"] is False
    assert claim["measured"]["networks"]["net_b"]["layers"]["2"]["correct_greater"] is False
    assert claim["measured"]["fraction_networks"] == 0.5
    assert claim["measured"]["fraction_layer_checkpoints"] == pytest.approx(5 / 6)


# ---------------------------------------------------------------------------------------------
# measurability
# ---------------------------------------------------------------------------------------------


def test_not_measurable_network_gives_null_with_reason():
    subsets = {"net": {"network": "net", "measurable": False,
                       "reason": "only 3 misclassified test points"}}
    # the incorrect subset would violate every claim: it must not be looked at
    bounds = {"net": pd.concat([bounds_frame("net", subsets=("correct",)),
                                bounds_frame("net", reversed_depth, subsets=("incorrect",))])}
    widths = {"net": pd.concat([widths_frame("net", subsets=("correct",)),
                                widths_frame("net", lambda la, s: 100.0 / la,
                                             subsets=("incorrect",))])}
    claims = evaluate(bounds=bounds, widths=widths, subsets=subsets)
    for cid in ("C3", "C5"):
        assert claims[cid]["holds"] is None
        assert claims[cid]["checked_on"] == []
        assert claims[cid]["not_measurable"] == [
            {"network": "net", "reason": "only 3 misclassified test points"}
        ]
    for cid in ("C2", "C4"):
        assert claims[cid]["holds"] is True
        assert claims[cid]["measured"]["networks"]["net"]["subsets_checked"] == ["correct"]
        assert "only 3 misclassified" in claims[cid]["not_measurable"][0]["reason"]


def test_missing_incorrect_rows_without_summary_are_not_measurable():
    bounds = {"net": bounds_frame("net", subsets=("correct",))}
    claim = evaluate(bounds=bounds, subsets={})["C3"]
    assert claim["holds"] is None
    assert "no 'incorrect' rows" in claim["not_measurable"][0]["reason"]


def test_only_measurable_networks_decide():
    subsets = measurable("good")
    subsets["bad"] = {"measurable": False, "reason": "too few"}
    bounds = {"good": bounds_frame("good"), "bad": bounds_frame("bad", swapped_subsets)}
    claim = evaluate(bounds=bounds, subsets=subsets)["C3"]
    assert claim["holds"] is True
    assert all(entry.startswith("good") for entry in claim["checked_on"])
    assert [e["network"] for e in claim["not_measurable"]] == ["bad"]


def test_no_inputs_give_null_everywhere_without_crashing():
    claims = by_id(C.evaluate_claims(None, {}, {}, {}))
    assert [c["holds"] for c in claims.values()] == [None] * 5


def test_evaluate_claims_checks_inputs():
    with pytest.raises(ValueError, match="missing columns"):
        C.evaluate_claims(random_frame().drop(columns="bound"), {}, {}, {})
    bad = bounds_frame("net")
    bad.loc[0, "subset"] = "maybe"
    with pytest.raises(ValueError, match="unknown subset"):
        C.evaluate_claims(None, {"net": bad}, {}, {})
    with pytest.raises(ValueError, match="much_lower_ratio"):
        C.evaluate_claims(None, {}, {}, {}, much_lower_ratio=1.5)
    # the columns are those every reader of the workflow's CSVs needs (relusv.tidy)
    with pytest.raises(ValueError, match="missing columns"):
        C.evaluate_claims(None, {"net": bounds_frame("net").drop(columns="singular_value")}, {},
                          {})
    with pytest.raises(ValueError, match="missing columns"):
        C.evaluate_claims(None, {}, {"net": widths_frame("net").drop(columns="stderr")}, {})
    with pytest.raises(ValueError, match="dict of network name"):
        C.evaluate_claims(None, bounds_frame("net"), {}, {})


