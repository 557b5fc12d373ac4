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


def subsamples_frame(network, difference=lambda layer, r: float(layer),
                     stderr=lambda layer, r: 0.1, n_subsamples=40, layers=LAYERS):
    """Paired width differences of ``n_subsamples`` point subsamples (WIDTH_SUBSAMPLES) at the
    final checkpoint 10: by default ``layer`` in every subsample, 10 standard errors clear."""
    return pd.DataFrame([
        {"network": network, "layer": layer, "epoch": 10, "subsample": r,
         "difference": difference(layer, r), "stderr": stderr(layer, r), "n_draws": 100,
         "n_points": 20}
        for layer in layers for r in range(n_subsamples)])


def measurable(*networks):
    return {n: {"network": n, "pool": "test", "n_correct_available": 900,
                "n_incorrect_available": 100, "size": 100, "measurable": True, "reason": None}
            for n in networks}


def by_id(claims):
    return {claim["id"]: claim for claim in claims}


def evaluate(random=None, bounds=None, widths=None, subsets=None, differences=None,
             subsamples=None, **kw):
    nets = ("net_a", "net_b")
    random = random_frame() if random is None else random
    bounds = {n: bounds_frame(n) for n in nets} if bounds is None else bounds
    widths = {n: widths_frame(n) for n in nets} if widths is None else widths
    subsets = measurable(*nets) if subsets is None else subsets
    differences = ({n: differences_frame(n) for n in widths} if differences is None
                   else differences)
    subsamples = ({n: seeded_like(subsamples_frame(n), widths[n]) for n in widths}
                  if subsamples is None else subsamples)
    return by_id(C.evaluate_claims(random, bounds, widths, subsets,
                                   width_differences=differences, width_subsamples=subsamples,
                                   **kw))


def seeded_like(frame, other):
    """``frame`` once per seed of ``other`` (with its seed column), or as is without seeds."""
    if "seed" not in other.columns:
        return frame
    return pd.concat([frame.assign(seed=s) for s in pd.unique(other["seed"])],
                     ignore_index=True)


# ---------------------------------------------------------------------------------------------
# all hold
# ---------------------------------------------------------------------------------------------


def test_every_claim_holds_on_data_built_for_it():
    claims = evaluate()
    assert list(claims) == ["C1", "C2", "C3", "C4", "C5"]
    for cid, claim in claims.items():
        assert REQUIRED_KEYS <= set(claim), cid
        assert claim["holds"] is True, (cid, claim["summary"])
        assert claim["criterion"] and len(claim["criterion"]) < len(claim["note"]), cid
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
    assert layer3["subsample_fraction"] == 1.0 and layer3["subsamples"] == 40
    assert layer3["z_independent_draws"] == pytest.approx(6.0 / np.sqrt(0.02))
    assert claims["C1"]["measured"]["judged_on"] == "bound_refined"


# ---------------------------------------------------------------------------------------------
# C1
# ---------------------------------------------------------------------------------------------


def test_c1_a_failed_consistency_check_makes_it_not_measurable():
    """Lemma 5 on the refined bounds is a consistency check of the code (min(found, sigma_k)
    cannot exceed sigma_k): when it fails, C1 is not measurable, not refuted."""
    frame = random_frame()
    frame.loc[4, "bound_refined"] = frame.loc[4, "singular_value"] * (1 + 1e-6)
    claim = evaluate(random=frame)["C1"]
    assert claim["holds"] is None
    assert "consistency check failed" in claim["not_measurable"][0]["reason"]
    assert "FAILED" in claim["summary"] and "consistency check" in claim["note"]
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
    assert loose["holds"] == "not supported" and loose["measured"]["much_lower_holds"] is False
    assert loose["measured"]["mean_ratio"] == pytest.approx(0.94)
    assert loose["measured"]["mean_ratio_sample"] == pytest.approx(0.5)
    assert "sample 0.5 sigma_k" in loose["summary"]
    # the page says what this refutes and what it leaves open
    assert "sample quantities" in loose["measured"]["reading"]
    assert "stays open" in loose["measured"]["reading"]


def test_c1_lemma5_tolerance_is_relative_and_tiny():
    frame = random_frame()
    frame.loc[4, "bound_refined"] = frame.loc[4, "singular_value"] + 1e-12
    assert evaluate(random=frame)["C1"]["holds"] is True


def test_c1_is_not_supported_when_bounds_are_not_much_lower():
    """Never "no": the refined bound is a lower estimate of the approximants' worst error and
    an upper bound on s_k only through its cap, so it cannot show that s_k is not much lower."""
    claim = evaluate(random=random_frame(ratio=lambda k, K: 0.9 + 0.08 * k / (K - 1)))["C1"]
    assert claim["holds"] == "not supported"
    assert "Neither shows what s_k itself is" in claim["criterion"]
    assert claim["measured"]["mean_ratio"] == pytest.approx(0.94)
    assert claim["measured"]["lemma5_holds"] is True
    assert claim["measured"]["much_lower_holds"] is False
    assert claim["measured"]["low_k_holds"] is True


def test_c1_low_k_fails_when_bound_over_sigma_is_constant_in_k():
    # bound = 0.6 sigma at every k: the absolute gap 0.4 sigma_k is larger at low k because
    # sigma_k is, but the relative gain 1 - bound/sigma is the same everywhere
    claim = evaluate(random=random_frame(ratio=lambda k, K: 0.6))["C1"]
    assert claim["holds"] == "not supported"
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
    assert split["measured"]["low_k_gain_fraction"] == 0.5
    assert split["holds"] == "not supported"


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
    def one_layer(layer, r):
        return -1.0 if layer == 2 else float(layer)

    subsamples = {"net_a": subsamples_frame("net_a"),
                  "net_b": subsamples_frame("net_b", one_layer)}
    claim = evaluate(subsamples=subsamples)["C5"]
    assert claim["holds"] is False
    layer2 = claim["measured"]["networks"]["net_b"]["layers"]["2"]
    assert layer2["holds"] is False and layer2["subsample_fraction"] == 0.0
    assert claim["measured"]["fraction_networks"] == 0.5


def test_c5_fails_when_the_difference_depends_on_which_points_were_drawn():
    """All points: a paired difference 20 standard errors clear. But in 3 of 40 point
    subsamples (7.5 %) it is within the draw noise: below the 95 % the criterion asks, so C5
    fails although the old draws-only test passes; 2 of 40 (5 %) still passes."""
    def some_subsamples(failing):
        return lambda layer, r: 0.1 if r < failing else float(layer)

    fails = evaluate(subsamples={n: subsamples_frame(n, some_subsamples(3))
                                 for n in ("net_a", "net_b")})["C5"]
    assert fails["holds"] is False
    layer1 = fails["measured"]["networks"]["net_a"]["layers"]["1"]
    assert layer1["subsample_fraction"] == pytest.approx(37 / 40) and layer1["holds"] is False
    assert layer1["paired_z"] == pytest.approx(20.0)  # all points: far beyond the draw noise
    passes = evaluate(subsamples={n: subsamples_frame(n, some_subsamples(2))
                                  for n in ("net_a", "net_b")})["C5"]
    assert passes["holds"] is True
    assert passes["measured"]["networks"]["net_a"]["layers"]["1"]["subsample_fraction"] == 0.95


def test_c5_asks_each_subsample_for_two_standard_errors_of_its_draws():
    # the same differences in every subsample; only their draws' standard error decides
    def layer1(se):
        return lambda layer, r: se if layer == 1 else 0.1

    within = evaluate(subsamples={n: subsamples_frame(n, stderr=layer1(0.51))
                                  for n in ("net_a", "net_b")})["C5"]
    assert within["holds"] is False
    entry = within["measured"]["networks"]["net_a"]["layers"]["1"]
    assert entry["subsample_fraction"] == 0.0 and entry["holds"] is False
    assert entry["z_independent_draws"] == pytest.approx(2.0 / np.sqrt(0.02))  # reported only
    beyond = evaluate(subsamples={n: subsamples_frame(n, stderr=layer1(0.49))
                                  for n in ("net_a", "net_b")})["C5"]
    assert beyond["holds"] is True
    assert "95 %" in beyond["note"] and "assumes independent draws" in beyond["note"]


def test_c5_reports_the_final_checkpoint_of_all_points_for_reference():
    # within the noise at epochs 0 and 5, clear at the final epoch 10; the verdict is the
    # subsamples', the all-point numbers are reported beside it
    def noisy_early(layer, epoch):
        return 10.0 if epoch < 10 else 0.1

    claim = evaluate(differences={n: differences_frame(n, stderr=noisy_early)
                                  for n in ("net_a", "net_b")})["C5"]
    assert claim["holds"] is True
    layer1 = claim["measured"]["networks"]["net_a"]["layers"]["1"]
    assert layer1["final_epoch"] == 10 and layer1["checkpoint_fraction"] == pytest.approx(1 / 3)
    without = evaluate(differences={})["C5"]
    assert without["holds"] is True
    assert without["measured"]["networks"]["net_a"]["layers"]["1"]["paired_z"] is None


def test_c5_without_subsamples_is_not_measurable():
    claim = evaluate(subsamples={"net_a": subsamples_frame("net_a")})["C5"]
    assert claim["holds"] is True and claim["checked_on"] == ["net_a"]
    assert claim["not_measurable"] == [
        {"network": "net_b", "reason": "no subsampled width differences for this network"}]
    assert evaluate(subsamples={})["C5"]["holds"] is None
    one_draw = evaluate(subsamples={n: subsamples_frame(n, stderr=lambda la, r: np.nan)
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
    with pytest.raises(ValueError, match=r"width_subsamples\['net'\] is missing columns"):
        C.evaluate_claims(None, {}, {}, {}, width_subsamples={
            "net": subsamples_frame("net").drop(columns="subsample")})




# ---------------------------------------------------------------------------------------------
# replicates: the frames carry a seed column of several values
# ---------------------------------------------------------------------------------------------


def falling(layer, subset):
    """Levels decreasing with depth (C2 and C4 fail), correct still above incorrect (C3 holds)."""
    return (4 - layer) * (2.0 if subset == "correct" else 1.0)


def seeded(frames_by_seed):
    """One frame per network holding every seed's rows: ``{seed: {network: frame}}`` -> ``{network:
    frame with a seed column}``; ``seed`` may be a dict network -> seed, for networks with seeds
    of their own."""
    networks = next(iter(frames_by_seed.values()))
    return {n: pd.concat([f[n].assign(seed=s[n] if isinstance(s, tuple) else s)
                          for s, f in frames_by_seed.items()], ignore_index=True)
            for n in networks}


def two_seeds(second_bounds=None, second_widths=None, second_differences=None,
              second_subsamples=None, seeds=(0, 1)):
    nets = ("net_a", "net_b")
    first = {"bounds": {n: bounds_frame(n) for n in nets},
             "widths": {n: widths_frame(n) for n in nets},
             "differences": {n: differences_frame(n) for n in nets},
             "subsamples": {n: subsamples_frame(n) for n in nets}}
    second = {"bounds": second_bounds or first["bounds"],
              "widths": second_widths or first["widths"],
              "differences": second_differences or first["differences"],
              "subsamples": second_subsamples or first["subsamples"]}
    return {key: seeded({seeds[0]: first[key], seeds[1]: second[key]}) for key in first}


def evaluate_frames(frames, **kw):
    return evaluate(bounds=frames["bounds"], widths=frames["widths"],
                    differences=frames["differences"], subsamples=frames["subsamples"], **kw)


def test_a_claim_holding_in_one_replicate_only_is_mixed_with_the_replicates_counted():
    nets = ("net_a", "net_b")
    frames = two_seeds(second_bounds={n: bounds_frame(n, level=falling) for n in nets},
                       second_widths={n: widths_frame(n, level=falling) for n in nets})
    claims = evaluate_frames(frames)
    for cid in ("C2", "C4"):
        assert claims[cid]["holds"] == "mixed", cid
        assert claims[cid]["replicates"] == {"holds": 1, "of": 2, "not_measurable": 0}
        per_run = claims[cid]["measured"]["replicates"]
        assert (per_run["1"]["holds"], per_run["2"]["holds"]) == (True, False)
        assert per_run["2"]["seeds"] == {"net_a": 1, "net_b": 1}
        assert claims[cid]["measured"]["runs"] == 2
        assert "holds in 1 of 2 replicates" in claims[cid]["summary"]
        assert "mixed" in claims[cid]["note"]
    for cid in ("C3", "C5"):
        assert claims[cid]["holds"] is True, cid
        assert claims[cid]["replicates"] == {"holds": 2, "of": 2, "not_measurable": 0}
    assert "replicates" not in claims["C1"]  # C1 is on random layers, not trained networks
    assert "net_a (replicate 2)" in claims["C2"]["checked_on"]


def test_a_claim_holding_in_every_replicate_is_true_and_in_none_false():
    nets = ("net_a", "net_b")
    good = two_seeds()
    assert all(c["holds"] is True for c in evaluate_frames(good).values())
    bad_bounds = {n: bounds_frame(n, level=falling) for n in nets}
    bad = two_seeds(second_bounds=bad_bounds)
    bad["bounds"] = seeded({0: bad_bounds, 1: bad_bounds})
    claims = evaluate_frames(bad)
    assert claims["C2"]["holds"] is False
    assert claims["C2"]["replicates"] == {"holds": 0, "of": 2, "not_measurable": 0}


def test_each_replicate_is_judged_as_a_single_run_on_its_rows():
    nets = ("net_a", "net_b")
    second = {n: subsamples_frame(n, difference=lambda layer, r: 0.15 * layer) for n in nets}
    claims = evaluate_frames(two_seeds(second_subsamples=second))
    alone = evaluate(subsamples=second)["C5"]
    replicate = claims["C5"]["measured"]["replicates"]["2"]
    assert replicate["measured"] == alone["measured"] and replicate["holds"] is alone["holds"]
    assert replicate["summary"] == alone["summary"]
    assert claims["C5"]["holds"] == "mixed"  # layer 1: 0.15 < 2 * 0.1


def test_a_replicate_is_a_run_of_the_experiment_not_a_seed_value():
    """Every network has seeds of its own (net_a 1 and 101, net_b 2 and 102, net_c 3 alone, as
    in the configs): two replicates, run i holding the i-th seed of every network, net_c only
    in the first. The old grouping by seed value made five one-network replicates, and C3 asked
    for a majority within each network instead of over all (network, layer) pairs."""
    def mostly(layer, subset):  # correct > incorrect in layers 1 and 2 of net_c, not in 3
        return swapped_subsets(layer, subset) if layer == 3 else layer * (
            2.0 if subset == "correct" else 1.0)

    def runs(frame_of):
        return {"net_a": pd.concat([frame_of("net_a").assign(seed=s) for s in (1, 101)],
                                   ignore_index=True),
                "net_b": pd.concat([frame_of("net_b").assign(seed=s) for s in (2, 102)],
                                   ignore_index=True),
                "net_c": frame_of("net_c").assign(seed=3)}

    bounds = runs(bounds_frame)
    # net_a, run 2: incorrect above correct in every layer; with net_b's three pairs that is 3
    # of 6 pairs in run 2 (no majority), and 8 of 9 in run 1
    bounds["net_a"] = pd.concat([bounds_frame("net_a").assign(seed=1),
                                 bounds_frame("net_a", swapped_subsets).assign(seed=101)],
                                ignore_index=True)
    bounds["net_c"] = bounds_frame("net_c", mostly).assign(seed=3)
    claims = evaluate(bounds=bounds, widths=runs(widths_frame),
                      differences=runs(differences_frame), subsamples=runs(subsamples_frame),
                      subsets=measurable("net_a", "net_b", "net_c"))
    c3 = claims["C3"]
    assert c3["measured"]["runs"] == 2
    run1, run2 = (c3["measured"]["replicates"][k] for k in ("1", "2"))
    assert run1["seeds"] == {"net_a": 1, "net_b": 2, "net_c": 3}
    assert run2["seeds"] == {"net_a": 101, "net_b": 102}
    assert run1["measured"]["fraction_pairs"] == pytest.approx(8 / 9) and run1["holds"] is True
    assert run2["measured"]["fraction_pairs"] == 0.5 and run2["holds"] is False
    assert c3["holds"] == "mixed" and c3["replicates"] == {"holds": 1, "of": 2,
                                                           "not_measurable": 0}
    for cid in ("C4", "C5"):
        assert claims[cid]["replicates"] == {"holds": 2, "of": 2, "not_measurable": 0}, cid
    # net_c's correct bounds fall at layer 3: C2 fails in run 1 only, where net_c takes part
    assert claims["C2"]["measured"]["replicates"]["1"]["holds"] is False
    assert claims["C2"]["measured"]["replicates"]["2"]["holds"] is True
    # the held-out check: a replicate is judged exactly as a single run of its networks
    alone = evaluate(bounds={"net_a": bounds_frame("net_a", swapped_subsets),
                             "net_b": bounds_frame("net_b")},
                     subsets=measurable("net_a", "net_b"))["C3"]
    assert run2["measured"] == alone["measured"] and run2["holds"] is alone["holds"]


def test_a_replicate_that_is_not_measurable_is_counted_apart():
    nets = ("net_a", "net_b")
    one_draw = {n: subsamples_frame(n, stderr=lambda layer, r: float("nan")) for n in nets}
    c5 = evaluate_frames(two_seeds(second_subsamples=one_draw, seeds=(5, 7)))["C5"]
    assert c5["holds"] is True
    assert c5["replicates"] == {"holds": 1, "of": 1, "not_measurable": 1}
    assert c5["measured"]["replicates"]["2"]["holds"] is None
    assert {(e["network"], e["replicate"], e["seed"]) for e in c5["not_measurable"]} == {
        ("net_a", "2", 7), ("net_b", "2", 7)}
    assert "1 not measurable" in c5["summary"]


def test_one_replicate_gives_todays_verdict_and_numbers():
    today = evaluate()
    one_seed = two_seeds()
    one_seed = {key: {n: df[df["seed"] == 0] for n, df in frames.items()}
                for key, frames in one_seed.items()}
    assert evaluate_frames(one_seed) == today
    # one seed per network, different values: still one replicate, the same verdicts
    own = {key: {n: df.assign(seed=i + 3) for i, (n, df) in enumerate(frames.items())}
           for key, frames in one_seed.items()}
    assert {c: v["holds"] for c, v in evaluate_frames(own).items()} == {
        c: v["holds"] for c, v in today.items()}
    for cid in ("C2", "C3", "C4", "C5"):
        assert today[cid]["replicates"] == {"holds": 1, "of": 1, "not_measurable": 0}
        assert "replicates" not in today[cid]["measured"]
    assert "replicates" not in today["C1"]
    assert today["C3"]["measured"]["fraction_pairs"] == 1.0
    layer3 = today["C5"]["measured"]["networks"]["net_b"]["layers"]["3"]
    assert layer3["width_correct"] == pytest.approx(12.0)
    nothing = evaluate(bounds={}, widths={}, differences={}, subsamples={})
    assert nothing["C2"]["holds"] is None
    assert nothing["C2"]["replicates"] == {"holds": 0, "of": 0, "not_measurable": 0}
    unmeasurable = evaluate(subsamples={"net_a": subsamples_frame(
        "net_a", stderr=lambda layer, r: float("nan"))}, widths={"net_a": widths_frame("net_a")})
    assert unmeasurable["C5"]["holds"] is None
    assert unmeasurable["C5"]["replicates"] == {"holds": 0, "of": 0, "not_measurable": 1}


def test_a_replicate_whose_subsets_are_not_measurable_is_left_out_only_there():
    """Subsets summaries per replicate (a list with seeds, as the workflow passes them): seed 1
    of net_a has too few misclassified points, so C3 leaves out that network in replicate 2."""
    nets = ("net_a", "net_b")
    subsets = {n: [{"seed": 0, "measurable": True},
                   {"seed": 1, "measurable": n != "net_a", "reason": "too few points"}]
               for n in nets}
    c3 = evaluate_frames(two_seeds(), subsets=subsets)["C3"]
    replicates = c3["measured"]["replicates"]
    assert {(e["network"], e["replicate"]) for e in c3["not_measurable"]} == {("net_a", "2")}
    assert replicates["1"]["holds"] is True and replicates["2"]["holds"] is True
    checked = " ".join(c3["checked_on"])
    assert "net_b, layer 1 (replicate 2)" in checked
    assert "net_a, layer 1 (replicate 2)" not in checked
    with pytest.raises(TypeError, match="list of dicts"):
        evaluate(subsets={"net_a": "measurable"})
