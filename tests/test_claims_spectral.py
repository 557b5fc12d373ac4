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


def rising(k, K):
    """bound/sigma from 0.3 at k = 0 to 0.7 at k = K - 1: the relative gain is largest at low k."""
    return 0.3 + 0.4 * k / max(K - 1, 1)


def random_frame(ratio=rising, sample_ratio=None, shapes=((3, 3), (4, 4), (5, 3))):
    """Figure 2's table (the columns of the refined-bound RANDOM_LAYERS) with bound_refined_k =
    ratio(k, K) * sigma_k and bound_sample_k = sample_ratio(k, K) * sigma_k (default: 0.9 of
    the refined bound), sigma strictly decreasing."""
    sample_ratio = sample_ratio or (lambda k, K: 0.9 * ratio(k, K))
    rows = []
    for m, n in shapes:
        K = min(m, n)
        for layer in (0, 1):
            sigma = np.linspace(3.0, 0.5, K) * (1 + layer)
            for k in range(K):
                rows.append({"shape": f"{m}x{n}", "m": m, "n": n, "layer": layer, "k": k,
                             "singular_value": sigma[k],
                             "bound_sample": sample_ratio(k, K) * sigma[k],
                             "bound_refined": ratio(k, K) * sigma[k]})
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


def differences_frame(network, difference=lambda layer, epoch: layer * (1 + epoch / 10),
                      stderr=lambda layer, epoch: 0.1, epochs=(0, 5, 10), layers=LAYERS):
    """Paired width differences (WIDTH_DIFFERENCES); by default those of :func:`widths_frame`'s
    widths (correct - incorrect), with a paired standard error of 0.1."""
    return pd.DataFrame([
        {"network": network, "layer": layer, "epoch": epoch,
         "difference": difference(layer, epoch), "stderr": stderr(layer, epoch),
         "n_draws": 100, "n_points": 40}
        for layer in layers for epoch in epochs])


def measurable(*networks):
    return {n: {"network": n, "pool": "test", "n_correct_available": 900,
                "n_incorrect_available": 100, "size": 100, "measurable": True, "reason": None}
            for n in networks}


def by_id(claims):
    return {claim["id"]: claim for claim in claims}


def evaluate(random=None, bounds=None, widths=None, subsets=None, differences=None, **kw):
    nets = ("net_a", "net_b")
    random = random_frame() if random is None else random
    bounds = {n: bounds_frame(n) for n in nets} if bounds is None else bounds
    widths = {n: widths_frame(n) for n in nets} if widths is None else widths
    subsets = measurable(*nets) if subsets is None else subsets
    differences = ({n: differences_frame(n) for n in widths} if differences is None
                   else differences)
    return by_id(C.evaluate_claims(random, bounds, widths, subsets,
                                   width_differences=differences, **kw))


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
    assert layer3["paired_difference"] == pytest.approx(6.0)
    assert layer3["paired_z"] == pytest.approx(60.0)
    assert layer3["z_independent_draws"] == pytest.approx(6.0 / np.sqrt(0.02))
    assert claims["C1"]["measured"]["judged_on"] == "bound_refined"


# ---------------------------------------------------------------------------------------------
# C1
# ---------------------------------------------------------------------------------------------


def test_c1_fails_when_a_refined_bound_exceeds_its_singular_value():
    frame = random_frame()
    frame.loc[4, "bound_refined"] = frame.loc[4, "singular_value"] * (1 + 1e-6)
    claim = evaluate(random=frame)["C1"]
    assert claim["holds"] is False
    assert claim["measured"]["lemma5_violations"] == 1
    assert claim["measured"]["lemma5_violations_sample"] == 0
    assert claim["measured"]["much_lower_holds"] and claim["measured"]["low_k_holds"]


def test_c1_reports_but_does_not_judge_the_sample_bound():
    frame = random_frame()
    frame.loc[4, "bound_sample"] = frame.loc[4, "singular_value"] * 1.1
    claim = evaluate(random=frame)["C1"]
    assert claim["holds"] is True
    assert claim["measured"]["lemma5_violations_sample"] == 1
    assert claim["measured"]["lemma5_holds_sample"] is False
    # much lower on the sample bound, not on the refined one: the refined one decides
    loose = evaluate(random=random_frame(ratio=lambda k, K: 0.9 + 0.08 * k / (K - 1),
                                         sample_ratio=rising))["C1"]
    assert loose["holds"] is False and loose["measured"]["much_lower_holds"] is False
    assert loose["measured"]["mean_ratio"] == pytest.approx(0.94)
    assert loose["measured"]["mean_ratio_sample"] == pytest.approx(0.5)
    assert "sample bounds 0.5" in loose["summary"]


def test_c1_lemma5_tolerance_is_relative_and_tiny():
    frame = random_frame()
    frame.loc[4, "bound_refined"] = frame.loc[4, "singular_value"] + 1e-12
    assert evaluate(random=frame)["C1"]["holds"] is True


def test_c1_fails_when_bounds_are_not_much_lower():
    claim = evaluate(random=random_frame(ratio=lambda k, K: 0.9 + 0.08 * k / (K - 1)))["C1"]
    assert claim["holds"] is False
    assert claim["measured"]["mean_ratio"] == pytest.approx(0.94)
    assert claim["measured"]["lemma5_holds"] is True
    assert claim["measured"]["much_lower_holds"] is False
    assert claim["measured"]["low_k_holds"] is True


def test_c1_low_k_fails_when_bound_over_sigma_is_constant_in_k():
    # bound = 0.6 sigma at every k: the absolute gap 0.4 sigma_k is larger at low k because
    # sigma_k is, but the relative gain 1 - bound/sigma is the same everywhere
    claim = evaluate(random=random_frame(ratio=lambda k, K: 0.6))["C1"]
    assert claim["holds"] is False
    assert claim["measured"]["low_k_holds"] is False
    assert claim["measured"]["low_k_gain_fraction"] == 0.0
    assert claim["measured"]["lemma5_holds"] and claim["measured"]["much_lower_holds"]
    for layers in claim["measured"]["layers"].values():
        for entry in layers.values():
            assert entry["mean_gap_low_k"] > entry["mean_gap_high_k"]  # the old criterion passed
            assert entry["mean_gain_low_k"] == pytest.approx(entry["mean_gain_high_k"])
            assert entry["low_k_gain_exceeds_high_k"] is False


def test_c1_low_k_holds_when_the_relative_gain_is_larger_at_low_k_in_most_layers():
    claim = evaluate()["C1"]
    assert claim["holds"] is True and claim["measured"]["low_k_gain_fraction"] == 1.0
    entry = claim["measured"]["layers"]["3x3"]["0"]
    assert entry["mean_gain_low_k"] == pytest.approx(0.7)  # k = 0: 1 - 0.3
    assert entry["mean_gain_high_k"] == pytest.approx(0.3)  # k = 2: 1 - 0.7
    # larger at high k: fails; in exactly half of the layers: no strict majority, fails
    falling = evaluate(random=random_frame(ratio=lambda k, K: 0.7 - 0.4 * k / (K - 1)))["C1"]
    assert falling["measured"]["low_k_holds"] is False
    half = pd.concat([random_frame(shapes=((3, 3),)),
                      random_frame(ratio=lambda k, K: 0.5, shapes=((4, 4),))])
    split = evaluate(random=half)["C1"]
    assert split["measured"]["low_k_gain_fraction"] == 0.5 and split["holds"] is False


def test_c1_ignores_zero_singular_values_for_the_halves():
    # ranks at or above rank(W) (sigma = bound = 0) must neither enter the halves nor shift them
    frame = random_frame()
    padding = frame.groupby(["shape", "layer"], as_index=False).agg(
        m=("m", "first"), n=("n", "first"), k=("k", "max"))
    rows = []
    for extra in range(1, 6):
        rows.append(padding.assign(k=padding["k"] + extra, bound_sample=0.0, bound_refined=0.0,
                                   singular_value=0.0))
    claim = evaluate(random=pd.concat([frame, *rows], ignore_index=True))["C1"]
    assert claim["measured"]["low_k_gain_fraction"] == 1.0
    assert claim["measured"]["rows_checked"] == len(frame) + 5 * len(padding)
    assert claim["measured"]["layers"]["4x4"]["1"]["K"] == 4
    assert claim["holds"] is True


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

    def paired(layer, epoch):
        return (-1.0 if layer == 2 else 1.0) * layer * (1 + epoch / 10)

    widths = {"net_a": widths_frame("net_a"), "net_b": widths_frame("net_b", one_layer)}
    differences = {"net_a": differences_frame("net_a"),
                   "net_b": differences_frame("net_b", paired)}
    claim = evaluate(widths=widths, differences=differences)["C5"]
    assert claim["holds"] is False
    layer2 = claim["measured"]["networks"]["net_b"]["layers"]["2"]
    assert layer2["holds"] is False and layer2["paired_difference"] == pytest.approx(-4.0)
    assert claim["measured"]["fraction_networks"] == 0.5
    assert claim["measured"]["fraction_layer_checkpoints"] == pytest.approx(5 / 6)


def test_c5_is_judged_on_the_paired_difference_at_two_standard_errors():
    # the point estimates differ (by 2.0 in layer 1 at the final checkpoint, an independent-draws
    # z of 14) in both cases; only the paired standard error decides
    def layer1(se):
        return lambda layer, epoch: se if layer == 1 else 0.1

    within = evaluate(differences={n: differences_frame(n, stderr=layer1(1.01))
                                   for n in ("net_a", "net_b")})["C5"]
    assert within["holds"] is False
    entry = within["measured"]["networks"]["net_a"]["layers"]["1"]
    assert entry["difference_of_widths"] == pytest.approx(2.0)
    assert entry["z_independent_draws"] == pytest.approx(2.0 / np.sqrt(0.02))
    assert entry["paired_difference"] == pytest.approx(2.0)
    assert entry["paired_z"] == pytest.approx(2.0 / 1.01) and entry["holds"] is False
    beyond = evaluate(differences={n: differences_frame(n, stderr=layer1(0.99))
                                   for n in ("net_a", "net_b")})["C5"]
    assert beyond["holds"] is True
    assert beyond["measured"]["networks"]["net_a"]["layers"]["1"]["holds"] is True
    assert "2 stderr(d)" in beyond["note"] and "assumes independent draws" in beyond["note"]


def test_c5_judges_the_final_checkpoint_of_the_differences():
    # within the noise at epochs 0 and 5, clear at the final epoch 10
    def noisy_early(layer, epoch):
        return 10.0 if epoch < 10 else 0.1

    claim = evaluate(differences={n: differences_frame(n, stderr=noisy_early)
                                  for n in ("net_a", "net_b")})["C5"]
    assert claim["holds"] is True
    assert claim["measured"]["networks"]["net_a"]["final_epoch"] == 10
    assert claim["measured"]["networks"]["net_a"]["checkpoint_fraction"] == pytest.approx(1 / 3)


def test_c5_without_paired_differences_is_not_measurable():
    claim = evaluate(differences={"net_a": differences_frame("net_a")})["C5"]
    assert claim["holds"] is True and claim["checked_on"] == ["net_a"]
    assert claim["not_measurable"] == [
        {"network": "net_b", "reason": "no paired width differences for this network"}]
    none = evaluate(differences={})["C5"]
    assert none["holds"] is None
    one_draw = evaluate(differences={n: differences_frame(n, stderr=lambda la, e: np.nan)
                                     for n in ("net_a", "net_b")})["C5"]
    assert one_draw["holds"] is None
    assert "fewer than two draws" in one_draw["not_measurable"][0]["reason"]


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
        C.evaluate_claims(random_frame().drop(columns="bound_refined"), {}, {}, {})
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
    with pytest.raises(ValueError, match=r"width_differences\['net'\] is missing columns"):
        C.evaluate_claims(None, {}, {}, {}, width_differences={
            "net": differences_frame("net").drop(columns="stderr")})




# ---------------------------------------------------------------------------------------------
# replicates: the frames carry a seed column of several values
# ---------------------------------------------------------------------------------------------


def falling(layer, subset):
    """Levels decreasing with depth (C2 and C4 fail), correct still above incorrect (C3 holds)."""
    return (4 - layer) * (2.0 if subset == "correct" else 1.0)


def seeded(frames_by_seed):
    """One frame per network holding every seed's rows: ``{seed: {network: frame}}`` -> ``{network:
    frame with a seed column}``."""
    networks = next(iter(frames_by_seed.values()))
    return {n: pd.concat([f[n].assign(seed=s) for s, f in frames_by_seed.items()],
                         ignore_index=True) for n in networks}


def two_seeds(second_bounds=None, second_widths=None, second_differences=None):
    nets = ("net_a", "net_b")
    first = {"bounds": {n: bounds_frame(n) for n in nets},
             "widths": {n: widths_frame(n) for n in nets},
             "differences": {n: differences_frame(n) for n in nets}}
    second = {"bounds": second_bounds or first["bounds"],
              "widths": second_widths or first["widths"],
              "differences": second_differences or first["differences"]}
    return {key: seeded({0: first[key], 1: second[key]}) for key in first}


def test_a_claim_holding_in_one_seed_only_is_mixed_with_the_replicates_counted():
    nets = ("net_a", "net_b")
    frames = two_seeds(second_bounds={n: bounds_frame(n, level=falling) for n in nets},
                       second_widths={n: widths_frame(n, level=falling) for n in nets})
    claims = evaluate(bounds=frames["bounds"], widths=frames["widths"],
                      differences=frames["differences"])
    for cid in ("C2", "C4"):
        assert claims[cid]["holds"] == "mixed", cid
        assert claims[cid]["replicates"] == {"holds": 1, "of": 2, "not_measurable": 0}
        per_seed = claims[cid]["measured"]["replicates"]
        assert (per_seed["0"]["holds"], per_seed["1"]["holds"]) == (True, False)
        assert claims[cid]["measured"]["seeds"] == [0, 1]
        assert "holds in 1 of 2 seeds" in claims[cid]["summary"]
        assert "mixed" in claims[cid]["note"]
    for cid in ("C3", "C5"):
        assert claims[cid]["holds"] is True, cid
        assert claims[cid]["replicates"] == {"holds": 2, "of": 2, "not_measurable": 0}
    assert "replicates" not in claims["C1"]  # C1 is on random layers, not trained networks
    assert "net_a (seed 1)" in claims["C2"]["checked_on"]


def test_a_claim_holding_in_every_seed_is_true_and_in_none_false():
    nets = ("net_a", "net_b")
    good = two_seeds()
    assert all(c["holds"] is True for c in evaluate(bounds=good["bounds"], widths=good["widths"],
                                                     differences=good["differences"]).values())
    bad_bounds = {n: bounds_frame(n, level=falling) for n in nets}
    bad = two_seeds(second_bounds=bad_bounds)
    bad["bounds"] = seeded({0: bad_bounds, 1: bad_bounds})
    claims = evaluate(bounds=bad["bounds"], widths=bad["widths"], differences=bad["differences"])
    assert claims["C2"]["holds"] is False
    assert claims["C2"]["replicates"] == {"holds": 0, "of": 2, "not_measurable": 0}


def test_each_replicate_is_judged_as_a_single_run_on_its_rows():
    nets = ("net_a", "net_b")
    second = {n: differences_frame(n, difference=lambda layer, epoch: 0.15 * layer)
              for n in nets}
    frames = two_seeds(second_differences=second)
    claims = evaluate(bounds=frames["bounds"], widths=frames["widths"],
                      differences=frames["differences"])
    alone = evaluate(differences=second)["C5"]
    replicate = claims["C5"]["measured"]["replicates"]["1"]
    assert replicate["measured"] == alone["measured"] and replicate["holds"] is alone["holds"]
    assert replicate["summary"] == alone["summary"]
    assert claims["C5"]["holds"] == "mixed"  # layer 1: 0.15 < 2 * 0.1


def test_a_replicate_that_is_not_measurable_is_counted_apart():
    nets = ("net_a", "net_b")
    one_draw = {n: differences_frame(n, stderr=lambda layer, epoch: float("nan")) for n in nets}
    frames = two_seeds(second_differences=one_draw)
    c5 = evaluate(bounds=frames["bounds"], widths=frames["widths"],
                  differences=frames["differences"])["C5"]
    assert c5["holds"] is True
    assert c5["replicates"] == {"holds": 1, "of": 1, "not_measurable": 1}
    assert c5["measured"]["replicates"]["1"]["holds"] is None
    assert {(e["network"], e["seed"]) for e in c5["not_measurable"]} == {
        ("net_a", "1"), ("net_b", "1")}
    assert "1 not measurable" in c5["summary"]


def test_one_replicate_gives_todays_verdict_and_numbers():
    today = evaluate()
    one_seed = two_seeds()
    one_seed = {key: {n: df[df["seed"] == 0] for n, df in frames.items()}
                for key, frames in one_seed.items()}
    seeded_once = evaluate(bounds=one_seed["bounds"], widths=one_seed["widths"],
                           differences=one_seed["differences"])
    assert seeded_once == today
    for cid in ("C2", "C3", "C4", "C5"):
        assert today[cid]["replicates"] == {"holds": 1, "of": 1, "not_measurable": 0}
        assert "replicates" not in today[cid]["measured"]
    assert "replicates" not in today["C1"]
    assert today["C3"]["measured"]["fraction_pairs"] == 1.0
    layer3 = today["C5"]["measured"]["networks"]["net_b"]["layers"]["3"]
    assert layer3["width_correct"] == pytest.approx(12.0)
    nothing = evaluate(bounds={}, widths={}, differences={})
    assert nothing["C2"]["holds"] is None
    assert nothing["C2"]["replicates"] == {"holds": 0, "of": 0, "not_measurable": 0}
    unmeasurable = evaluate(differences={"net_a": differences_frame(
        "net_a", stderr=lambda layer, epoch: float("nan"))})["C5"]
    assert unmeasurable["holds"] is None
    assert unmeasurable["replicates"] == {"holds": 0, "of": 0, "not_measurable": 1}


def test_a_replicate_whose_subsets_are_not_measurable_is_left_out_only_there():
    """Subsets summaries per replicate (a list with seeds, as the workflow passes them): seed 1
    of net_a has too few misclassified points, so C3 leaves out that replicate alone."""
    nets = ("net_a", "net_b")
    frames = two_seeds()
    subsets = {n: [{"seed": 0, "measurable": True},
                   {"seed": 1, "measurable": n != "net_a", "reason": "too few points"}]
               for n in nets}
    c3 = evaluate(bounds=frames["bounds"], widths=frames["widths"], subsets=subsets,
                  differences=frames["differences"])["C3"]
    replicates = c3["measured"]["replicates"]
    assert {(e["network"], e["seed"]) for e in c3["not_measurable"]} == {("net_a", "1")}
    assert replicates["0"]["holds"] is True and replicates["1"]["holds"] is True
    checked = " ".join(c3["checked_on"])
    assert "net_b, layer 1 (seed 1)" in checked and "net_a, layer 1 (seed 1)" not in checked
    with pytest.raises(TypeError, match="list of dicts"):
        evaluate(subsets={"net_a": "measurable"})
