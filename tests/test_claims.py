"""Claims C1-C5: data built so that a claim holds gives True, data built to violate it gives
False, networks without a correct/incorrect comparison give None with the reason, and the JSON
and Markdown outputs round-trip."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from relusv import claims as C

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
        assert claim["statement"] == C.CLAIMS[cid][0]
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


# ---------------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------------


def _no_constants(name):
    raise AssertionError(f"non-standard JSON constant {name}")


def _table_rows(markdown):
    lines = markdown.splitlines()
    start = lines.index("| id | paper's claim | measured | holds |")
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def test_write_claims_round_trips_and_has_one_row_per_claim(tmp_path):
    claims = C.evaluate_claims(random_frame(), {"n": bounds_frame("n")}, {"n": widths_frame("n")},
                               measurable("n"))
    json_path, md_path = tmp_path / "results" / "claims.json", tmp_path / "figures" / "claims.md"
    written = C.write_claims(claims, json_path, md_path)
    text = json_path.read_text()
    loaded = json.loads(text, parse_constant=_no_constants)
    assert loaded == written == json.loads(json.dumps(claims))
    assert text == json.dumps(written, sort_keys=True, indent=2) + "\n"
    assert C.read_claims(json_path) == written
    rows = _table_rows(md_path.read_text())
    assert len(rows) == 5
    assert [row.split("|")[1].strip() for row in rows] == ["C1", "C2", "C3", "C4", "C5"]
    assert all(row.rstrip().endswith("| yes |") for row in rows)
    assert sorted(p.name for p in json_path.parent.iterdir()) == ["claims.json"]


def test_write_claims_accepts_later_claims_and_nan(tmp_path):
    later = [
        {"id": "C6", "statement": "pruning keeps accuracy", "holds": False,
         "measured": {"iteration": np.int64(268), "accuracy": np.float64("nan"),
                      "ranks": (18, 8, 6)}},
        {"id": "C7", "statement": "61,206 parameters", "holds": np.bool_(True), "measured": {}},
    ]
    first = [{"id": "C1", "statement": "old", "holds": None}]
    written = C.write_claims(first, tmp_path / "c.json", tmp_path / "c.md", extra=later)
    data = json.loads((tmp_path / "c.json").read_text(), parse_constant=_no_constants)
    assert [c["id"] for c in data] == ["C1", "C6", "C7"]
    assert data[1]["measured"] == {"accuracy": None, "iteration": 268, "ranks": [18, 8, 6]}
    assert data[2]["holds"] is True
    md = (tmp_path / "c.md").read_text()
    assert len(_table_rows(md)) == 3
    assert "not measurable" in _table_rows(md)[0] and "**no**" in _table_rows(md)[1]
    # re-adding a claim with the same id replaces it instead of duplicating it
    again = C.write_claims(written, tmp_path / "c.json", tmp_path / "c.md",
                           extra=[{"id": "C1", "statement": "new", "holds": True}])
    assert [c["id"] for c in again] == ["C1", "C6", "C7"]
    assert again[0]["statement"] == "new"


def test_write_claims_rejects_malformed_claims(tmp_path):
    with pytest.raises(ValueError, match="holds"):
        C.write_claims([{"id": "C1", "holds": "maybe"}], tmp_path / "a.json", tmp_path / "a.md")
    with pytest.raises(ValueError, match="id"):
        C.write_claims([{"holds": True}], tmp_path / "a.json", tmp_path / "a.md")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# C6-C8: harmonic pruning, parameter counts, from scratch
# ---------------------------------------------------------------------------------------------


def pruning_frame(network, accuracy=lambda rank_sum: 0.95 if rank_sum >= 3 else 0.1,
                  start=(10, 8, 6), stop_at=0):
    """A harmonic pruning table with the workflow's columns: one rank dropped per iteration
    (from the layer of largest rank) down to rank sum ``stop_at``; test accuracy a function of
    the rank sum. Initial rank sum 24: 15 % of it is 3.6."""
    ranks, rows, iteration = list(start), [], 0
    while True:
        acc = accuracy(sum(ranks))
        rows.append({
            "network": network, "iteration": iteration,
            "layer": pd.NA if iteration == 0 else 1, "rank_1": ranks[0], "rank_2": ranks[1],
            "rank_3": ranks[2], "parameters": 500 + 40 * sum(ranks), "val_accuracy": acc,
            "test_accuracy": acc, "val_accuracy_before_retraining": acc,
            "retrained": False, "retrain_reason": "", "retrain_batches_total": 0,
            "dropped_singular_value": np.nan if iteration == 0 else 0.1, "seconds": 0.01,
            "decision_seconds": 0.01, "candidate_val_accuracy_1": acc,
            "candidate_val_accuracy_2": acc, "candidate_val_accuracy_3": acc,
        })
        if sum(ranks) <= stop_at:
            break
        ranks[int(np.argmax(ranks))] -= 1
        iteration += 1
    return pd.DataFrame(rows)


def pruned_summary(network, dataset, test_accuracy=0.52):
    return {"network": network, "dataset": dataset, "input_dim": 3072, "classes": 10,
            "widths": [100, 100, 100], "parameters": 636_010, "test_accuracy": test_accuracy,
            "val_accuracy": 0.5, "train_accuracy": 0.6, "epochs_run": 30, "seconds": 100.0}


def scratch_frame(network, dense=(0.40, 0.010), double=(0.50, 0.012), runs=5):
    rows = [("dense (20, 9, 7)", 61_799, *dense),
            ("double (100, 100, 100) ranks (18, 8, 6)", 61_206, *double),
            ("dense (100, 100, 100)", 328_510, 0.53, 0.004)]
    return pd.DataFrame([
        {"network": network, "architecture": arch, "parameters": params, "runs": runs,
         "test_accuracy_mean": mean, "test_accuracy_std": std,
         "test_accuracy_min": mean - std, "test_accuracy_max": mean + std}
        for arch, params, mean, std in rows
    ])


def pruning_claims(harmonic=None, scratch=None, summaries=None, **kw):
    return by_id(C.evaluate_pruning_claims(harmonic, scratch, summaries, **kw))


def test_permanent_drop_iteration():
    assert C.permanent_drop_iteration([0, 1, 2, 3, 4], [0.9, 0.4, 0.9, 0.3, 0.2]) == 3
    assert C.permanent_drop_iteration([4, 3, 2, 1, 0], [0.2, 0.3, 0.9, 0.4, 0.9]) == 3
    assert C.permanent_drop_iteration([0, 1, 2], [0.9, 0.4, 0.5]) is None  # 50 % is not below
    assert C.permanent_drop_iteration([0, 1], [0.4, 0.3]) == 0
    assert C.permanent_drop_iteration([], []) is None
    with pytest.raises(ValueError, match="length"):
        C.permanent_drop_iteration([0, 1], [0.5])


def test_pruning_claims_hold_on_data_built_for_them():
    claims = pruning_claims(
        {"cifar": pruning_frame("cifar"), "mnist": pruning_frame("mnist")},
        {"cifar": scratch_frame("cifar"), "mnist": scratch_frame("mnist")},
        {"cifar": pruned_summary("cifar", "cifar10"), "mnist": pruned_summary("mnist", "mnist")},
    )
    assert list(claims) == ["C6", "C7", "C8"]
    for cid, claim in claims.items():
        assert REQUIRED_KEYS | {"summary", "not_measurable"} <= set(claim), cid
        assert claim["holds"] is True, (cid, claim["summary"])
        assert claim["statement"] == C.CLAIMS[cid][0]
        assert "Criterion" in claim["note"]
        assert claim["measured"]["paper"] == C.PAPER_NUMBERS[cid]
    c6 = claims["C6"]
    assert c6["checked_on"] == ["mnist"] and c6["measured"]["judged_on"] == "MNIST"
    mnist = c6["measured"]["networks"]["mnist"]
    assert mnist["judged"] and not c6["measured"]["networks"]["cifar"]["judged"]
    assert mnist["initial_ranks"] == [10, 8, 6] and mnist["initial_test_accuracy"] == 0.95
    assert mnist["largest_drop"] == 0.0
    # accuracy is 0.95 down to rank sum 3, below 50 % from rank sum 2 on (iteration 22)
    assert mnist["first_iteration_below_threshold"] == 22
    assert mnist["last_iteration_at_or_above_threshold"] == 21
    assert sum(mnist["ranks_there"]) == 3 and sum(mnist["ranks_at_drop"]) == 2
    assert "after iteration 21" in c6["summary"] and "268" in c6["summary"]
    c7 = claims["C7"]["measured"]
    assert (c7["double_parameters"], c7["dense_parameters"]) == (61_206, 328_510)
    c8 = claims["C8"]
    assert c8["checked_on"] == ["cifar"] and c8["measured"]["judged_on"] == "CIFAR-10"
    cifar = c8["measured"]["networks"]["cifar"]
    assert cifar["double_architecture"] == "double (100, 100, 100) ranks (18, 8, 6)"
    assert cifar["dense_architecture"] == "dense (20, 9, 7)"  # the smaller dense one
    assert cifar["difference"] == pytest.approx(0.10)
    assert cifar["stderr_difference"] == pytest.approx(np.sqrt((0.012**2 + 0.010**2) / 5))
    assert cifar["trained_double_test_accuracy"] == pytest.approx(0.52)
    assert json.loads(json.dumps(list(claims.values()), allow_nan=False))


def test_c6_fails_when_accuracy_drops_while_the_network_is_still_large():
    early = pruning_frame("mnist", accuracy=lambda s: 0.95 if s >= 10 else 0.1)
    claim = pruning_claims({"mnist": early}, summaries={"mnist": pruned_summary("mnist", "mnist")})
    assert claim["C6"]["holds"] is False
    net = claim["C6"]["measured"]["networks"]["mnist"]
    assert net["drop_only_when_nearly_vanished"] is False
    assert net["rank_sum_fraction_at_drop"] == pytest.approx(9 / 24)


def test_c6_fails_when_accuracy_sags_more_than_two_points_before_vanishing():
    def sag(depth):
        return lambda s: 0.1 if s < 3 else (0.95 - depth if 12 <= s <= 14 else 0.95)

    summaries = {"mnist": pruned_summary("mnist", "mnist")}
    failing = pruning_claims({"mnist": pruning_frame("mnist", sag(0.03))}, summaries=summaries)
    net = failing["C6"]["measured"]["networks"]["mnist"]
    assert failing["C6"]["holds"] is False
    assert net["largest_drop"] == pytest.approx(0.03) and net["nearly_constant"] is False
    assert net["drop_only_when_nearly_vanished"] is True
    passing = pruning_claims({"mnist": pruning_frame("mnist", sag(0.015))}, summaries=summaries)
    assert passing["C6"]["holds"] is True


def test_c6_judges_only_mnist_when_present_and_all_networks_otherwise():
    bad = pruning_frame("cifar", accuracy=lambda s: 0.52 if s >= 15 else 0.1)
    good = pruning_frame("mnist")
    summaries = {"cifar": pruned_summary("cifar", "cifar10"),
                 "mnist": pruned_summary("mnist", "mnist")}
    both = pruning_claims({"cifar": bad, "mnist": good}, summaries=summaries)["C6"]
    assert both["holds"] is True and both["checked_on"] == ["mnist"]
    assert both["measured"]["networks"]["cifar"]["holds"] is False  # reported, not judged
    alone = pruning_claims({"cifar": bad}, summaries=summaries)["C6"]
    assert alone["holds"] is False and alone["measured"]["judged_on"] == "all networks"
    assert "about MNIST" in alone["note"]
    # Fashion-MNIST is not MNIST
    fashion = pruning_claims({"f": bad, "mnist": good}, summaries={
        "f": pruned_summary("f", "fashion_mnist"), "mnist": pruned_summary("mnist", "mnist")})
    assert fashion["C6"]["checked_on"] == ["mnist"]


def test_c6_not_measurable_when_pruning_stops_early_or_starts_below_half():
    summaries = {"a": pruned_summary("a", "mnist"), "b": pruned_summary("b", "mnist")}
    stopped = pruning_frame("a", stop_at=12)
    weak = pruning_frame("b", accuracy=lambda s: 0.3)
    claim = pruning_claims({"a": stopped, "b": weak}, summaries=summaries)["C6"]
    assert claim["holds"] is None and claim["checked_on"] == []
    reasons = {e["network"]: e["reason"] for e in claim["not_measurable"]}
    assert "never below the 15.0 %" in reasons["a"]
    assert "already below" in reasons["b"]


def test_c8_fails_when_double_layers_do_not_beat_the_small_dense_net():
    summaries = {"cifar": pruned_summary("cifar", "cifar10")}
    close = scratch_frame("cifar", dense=(0.40, 0.01), double=(0.405, 0.02))
    claim = pruning_claims(scratch={"cifar": close}, summaries=summaries)["C8"]
    assert claim["holds"] is False
    assert claim["measured"]["networks"]["cifar"]["z"] == pytest.approx(0.5)
    reversed_ = scratch_frame("cifar", dense=(0.50, 0.01), double=(0.40, 0.01))
    assert pruning_claims(scratch={"cifar": reversed_}, summaries=summaries)["C8"]["holds"] is False


def test_c8_judges_cifar_when_present_and_needs_two_runs():
    summaries = {"cifar": pruned_summary("cifar", "cifar10"),
                 "digits": pruned_summary("digits", "digits")}
    losing = scratch_frame("digits", dense=(0.9, 0.01), double=(0.5, 0.01))
    claim = pruning_claims(scratch={"cifar": scratch_frame("cifar"), "digits": losing},
                           summaries=summaries)["C8"]
    assert claim["holds"] is True and claim["checked_on"] == ["cifar"]
    alone = pruning_claims(scratch={"digits": losing}, summaries=summaries)["C8"]
    assert alone["holds"] is False and "about CIFAR-10" in alone["note"]
    one_run = scratch_frame("cifar", runs=1)
    one_run["test_accuracy_std"] = np.nan
    single = pruning_claims(scratch={"cifar": one_run}, summaries=summaries)["C8"]
    assert single["holds"] is None
    assert "fewer than two runs" in single["not_measurable"][0]["reason"]
    no_double = scratch_frame("cifar").iloc[[0, 2]]
    missing = pruning_claims(scratch={"cifar": no_double}, summaries=summaries)["C8"]
    assert missing["holds"] is None and "double" in missing["not_measurable"][0]["reason"]


def test_pruning_claims_without_data_are_null_with_a_reason_and_c7_still_holds():
    claims = pruning_claims()
    assert claims["C6"]["holds"] is None and claims["C8"]["holds"] is None
    assert claims["C6"]["summary"] == "no pruning data"
    assert "No pruning table was given" in claims["C6"]["note"]
    assert "No from-scratch summary was given" in claims["C8"]["note"]
    assert claims["C7"]["holds"] is True


def test_evaluate_pruning_claims_checks_inputs():
    with pytest.raises(ValueError, match="missing columns"):
        C.evaluate_pruning_claims({"n": pruning_frame("n").drop(columns="test_accuracy")}, {}, {})
    with pytest.raises(ValueError, match="missing columns"):
        C.evaluate_pruning_claims({}, {"n": scratch_frame("n").drop(columns="runs")}, {})
    with pytest.raises(TypeError, match="summaries"):
        C.evaluate_pruning_claims({}, {}, {"n": "mnist"})
    with pytest.raises(ValueError, match="rank_fraction"):
        C.evaluate_pruning_claims({}, {}, {}, rank_fraction=0)


def test_all_eight_claims_write_together(tmp_path):
    first = C.evaluate_claims(random_frame(), {"n": bounds_frame("n")}, {"n": widths_frame("n")},
                              measurable("n"))
    later = C.evaluate_pruning_claims({"m": pruning_frame("m")}, {"m": scratch_frame("m")},
                                      {"m": pruned_summary("m", "mnist")})
    written = C.write_claims(first + later, tmp_path / "c.json", tmp_path / "c.md")
    data = json.loads((tmp_path / "c.json").read_text(), parse_constant=_no_constants)
    assert [c["id"] for c in data] == [f"C{i}" for i in range(1, 9)] == [c["id"] for c in written]
    rows = _table_rows((tmp_path / "c.md").read_text())
    assert len(rows) == 8 and "61,206" in rows[6]
