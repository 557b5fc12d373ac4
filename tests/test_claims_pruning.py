"""Claims C6-C8: harmonic pruning, parameter counts and the from-scratch comparison hold on
data built for them, fail on data built against them, and are None with a reason when nothing
can be judged."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_claims_spectral import REQUIRED_KEYS, by_id

from relusv import claims as C
from relusv.paper import CLAIMS, PAPER_NUMBERS
from relusv.tidy import last_iteration_before_drop, permanent_drop_iteration

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
    assert permanent_drop_iteration([0, 1, 2, 3, 4], [0.9, 0.4, 0.9, 0.3, 0.2]) == 3
    assert permanent_drop_iteration([4, 3, 2, 1, 0], [0.2, 0.3, 0.9, 0.4, 0.9]) == 3
    assert permanent_drop_iteration([0, 1, 2], [0.9, 0.4, 0.5]) is None  # 50 % is not below
    assert permanent_drop_iteration([0, 1], [0.4, 0.3]) == 0
    assert permanent_drop_iteration([], []) is None
    with pytest.raises(ValueError, match="length"):
        permanent_drop_iteration([0, 1], [0.5])


def test_last_iteration_before_drop_is_the_papers_n_and_its_ranks():
    frame = pruning_frame("m")  # 0.95 down to rank sum 3 (iteration 21), 0.1 from then on
    assert last_iteration_before_drop(frame) == (21, (1, 1, 1))
    shuffled = frame.sample(frac=1.0, random_state=0)
    shuffled.loc[shuffled.index[3], "test_accuracy"] = np.nan  # ignored, like the drop's
    assert last_iteration_before_drop(shuffled, 0.5) == (21, (1, 1, 1))
    # a recovery above the threshold moves N to the last iteration at or above it
    recovered = frame.copy()
    recovered.loc[recovered["iteration"] == 23, "test_accuracy"] = 0.5
    assert last_iteration_before_drop(recovered) == (23, tuple(
        int(v) for v in recovered.loc[23, ["rank_1", "rank_2", "rank_3"]]))
    assert last_iteration_before_drop(frame, 0.05) is None  # never below 5 %
    assert last_iteration_before_drop(pruning_frame("m", accuracy=lambda s: 0.3)) is None
    with pytest.raises(ValueError, match="missing columns"):
        last_iteration_before_drop(frame.drop(columns="test_accuracy"))


@pytest.mark.parametrize("drop_rank_sum", [3, 10, 17])
def test_c6_reports_the_n_and_ranks_of_the_tidy_helper(drop_rank_sum):
    # the number Figure 5 marks (relusv.tidy.last_iteration_before_drop) is the claim's number
    frame = pruning_frame("mnist", accuracy=lambda s: 0.95 if s >= drop_rank_sum else 0.2)
    claim = pruning_claims({"mnist": frame},
                           summaries={"mnist": pruned_summary("mnist", "mnist")})["C6"]
    net = claim["measured"]["networks"]["mnist"]
    n, ranks = last_iteration_before_drop(frame, 0.5)
    assert (net["drop_after_iteration"], tuple(net["ranks_before_drop"])) == (n, ranks)
    assert net["first_iteration_below_threshold"] == n + 1
    assert sum(ranks) == drop_rank_sum
    assert f"after iteration {n}; before that drop the ranks were {ranks}" in claim["summary"]


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
        assert claim["statement"] == CLAIMS[cid][0]
        assert "Criterion" in claim["note"]
        assert claim["measured"]["paper"] == PAPER_NUMBERS[cid]
    c6 = claims["C6"]
    assert c6["checked_on"] == ["mnist"] and c6["measured"]["judged_on"] == "MNIST"
    mnist = c6["measured"]["networks"]["mnist"]
    assert mnist["judged"] and not c6["measured"]["networks"]["cifar"]["judged"]
    assert mnist["initial_ranks"] == [10, 8, 6] and mnist["initial_test_accuracy"] == 0.95
    assert mnist["largest_drop"] == 0.0
    # accuracy is 0.95 down to rank sum 3, below 50 % from rank sum 2 on (iteration 22)
    assert mnist["first_iteration_below_threshold"] == 22
    assert mnist["drop_after_iteration"] == 21 and mnist["ranks_before_drop"] == [1, 1, 1]
    assert mnist["parameters_before_drop"] == 500 + 40 * 3
    assert ("mnist: drops permanently below 50.0 % after iteration 21; before that drop the "
            "ranks were (1, 1, 1)") in c6["summary"]
    assert "after iteration ~268, ranks ~(18, 8, 6)" in c6["summary"]
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
    with pytest.raises(ValueError, match="missing columns"):
        C.evaluate_pruning_claims(
            {}, {"n": scratch_frame("n").drop(columns="test_accuracy_min")}, {})
    with pytest.raises(TypeError, match="summaries"):
        C.evaluate_pruning_claims({}, {}, {"n": "mnist"})
    with pytest.raises(ValueError, match="rank_fraction"):
        C.evaluate_pruning_claims({}, {}, {}, rank_fraction=0)



GOOD = pruning_frame("mnist")
EARLY = pruning_frame("mnist", accuracy=lambda s: 0.95 if s >= 10 else 0.1)
STOPPED = pruning_frame("mnist", stop_at=12)
SUMMARIES = {"mnist": pruned_summary("mnist", "mnist"),
             "cifar10": pruned_summary("cifar10", "cifar10")}


def seeded_tables(seeds, tables):
    """One pruning table per network holding each seed's table, in the order given."""
    return pd.concat([t.assign(seed=s) for s, t in zip(seeds, tables, strict=True)],
                     ignore_index=True)


def test_c6_is_judged_per_replicate_and_counted():
    """The MNIST network's seeds (5, 9) differ from the CIFAR-10 network's (6, 10), which fails
    in every replicate: grouping by seed value would make four one-network replicates, and the
    CIFAR-10 ones would be judged against the MNIST claim."""
    failing = seeded_tables((6, 10), (EARLY.assign(network="cifar10"),) * 2)

    def c6(*mnist):
        tables = {"mnist": seeded_tables((5, 9)[:len(mnist)], mnist), "cifar10": failing}
        return pruning_claims(tables, summaries=SUMMARIES)["C6"]

    mixed = c6(GOOD, EARLY)
    assert mixed["holds"] == "mixed"
    assert mixed["replicates"] == {"holds": 1, "of": 2, "not_measurable": 0}
    runs = mixed["measured"]["replicates"]
    assert {k: r["seeds"] for k, r in runs.items()} == {"1": {"mnist": 5, "cifar10": 6},
                                                       "2": {"mnist": 9, "cifar10": 10}}
    drops = {k: r["measured"]["networks"]["mnist"]["drop_after_iteration"]
             for k, r in runs.items()}
    assert drops == {"1": 21, "2": 14}
    assert all(not r["measured"]["networks"]["cifar10"]["judged"] for r in runs.values())
    assert c6(GOOD, GOOD)["holds"] is True
    assert c6(EARLY, EARLY)["holds"] is False
    apart = c6(GOOD, STOPPED)
    assert apart["holds"] is True
    assert apart["replicates"] == {"holds": 1, "of": 1, "not_measurable": 1}
    assert {(e["network"], e["replicate"], e["seed"]) for e in apart["not_measurable"]} == {
        ("mnist", "2", 9)}
    # a replicate without the network in scope (MNIST has one seed, CIFAR-10 two): not
    # measurable there, never judged on the CIFAR-10 network
    lone = c6(GOOD)
    assert lone["holds"] is True
    assert lone["replicates"] == {"holds": 1, "of": 1, "not_measurable": 1}
    assert lone["measured"]["replicates"]["2"]["holds"] is None
    assert "no network in scope (MNIST: mnist)" in lone["not_measurable"][0]["reason"]
    single = pruning_claims({"mnist": GOOD}, summaries=SUMMARIES)["C6"]
    assert single["replicates"] == {"holds": 1, "of": 1, "not_measurable": 0}
    assert single["measured"]["networks"]["mnist"]["drop_after_iteration"] == 21
    assert pruning_claims({"mnist": GOOD.assign(seed=7)}, summaries=SUMMARIES)["C6"] == single
    assert pruning_claims(None, None, None)["C6"]["replicates"] == {
        "holds": 0, "of": 0, "not_measurable": 0}


def test_c6_judges_mnist_in_every_replicate_of_two_datasets_with_seeds_of_their_own():
    """The paper config's case: MNIST holds under seeds 12 and 112, CIFAR-10 fails under 11
    and 111. C6 is about MNIST, so it holds, 2 of 2, as it does on the same tables without
    seeds; grouping by seed value gave 'mixed (2 of 4)'."""
    tables = {"cifar10_double": seeded_tables((11, 111), (EARLY.assign(
                  network="cifar10_double"),) * 2),
              "mnist_double": seeded_tables((12, 112), (GOOD.assign(
                  network="mnist_double"),) * 2)}
    summaries = {"cifar10_double": [pruned_summary("cifar10_double", "cifar10")] * 2,
                 "mnist_double": [pruned_summary("mnist_double", "mnist")] * 2}
    c6 = pruning_claims(tables, summaries=summaries)["C6"]
    assert c6["holds"] is True
    assert c6["replicates"] == {"holds": 2, "of": 2, "not_measurable": 0}
    assert c6["measured"]["replicates"]["2"]["seeds"] == {"cifar10_double": 111,
                                                          "mnist_double": 112}
    without_seeds = pruning_claims({n: t[t["seed"] == t["seed"].iloc[0]].drop(columns="seed")
                                    for n, t in tables.items()}, summaries=summaries)["C6"]
    assert without_seeds["holds"] is True
    assert without_seeds["measured"]["judged_on"] == "MNIST"
    table = C.replicates_table([c6])  # only the judged network's rows
    assert set(table["network"]) == {"mnist_double"} and table["row_holds"].all()
    assert table["seed"].tolist() == [12, 112] and table["replicate"].tolist() == [1, 2]


def test_replicate_summaries_of_a_pruned_network_are_pooled():
    """The workflow passes every replicate's training summary: C8 reports the mean accuracy of
    the trained double network over them, and the dataset still picks the judged network."""
    from relusv.claims.pruning import _check_summaries

    pooled = _check_summaries({"cifar10_double": [
        {"dataset": "cifar10", "seed": 11, "test_accuracy": 0.5},
        {"dataset": "cifar10", "seed": 111, "test_accuracy": 0.6}]})["cifar10_double"]
    assert pooled["dataset"] == "cifar10" and pooled["replicates"] == 2
    assert pooled["test_accuracy"] == pytest.approx(0.55)
    with pytest.raises(TypeError, match="list of dicts"):
        _check_summaries({"cifar10_double": [0.5]})
