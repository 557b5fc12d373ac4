"""Claims C6-C8: harmonic pruning, double-layer parameter counts and small nets from scratch.

:func:`evaluate_pruning_claims` turns the harmonic pruning tables (Figure 5), the section V-C
parameter arithmetic and the from-scratch summaries (section V-C) into one claim dict
(:func:`relusv.claims._common._claim`) per claim C6-C8, in the format of
:func:`relusv.claims.spectral.evaluate_claims`. The paper's own numbers
(:data:`relusv.paper.PAPER_NUMBERS`) are reported beside the measured ones.

Criteria
--------
C6 (Figure 5, harmonic pruning). Per pruned network, from its pruning table (one row per iteration,
0 = the trained network): the *rank sum* of an iteration is the sum of its hidden layers' ranks,
``R0`` that of the first iteration, and the *permanent drop* the first iteration from which test
accuracy stays below ``threshold`` (0.5) to the end (:func:`relusv.tidy.permanent_drop_iteration`;
None if the last iteration is at or above it). It is reported in the paper's words: "drops
permanently below 50 % after iteration N; before that drop the ranks were (...)", with N the last
iteration at or above ``threshold`` (the one just before the permanent drop; the paper's 268) and
the ranks at N, both from :func:`relusv.tidy.last_iteration_before_drop`, the function Figure 5
marks them with. (i) "nearly constant": the largest drop of test accuracy below the initial one,
over every iteration whose rank sum is at least ``rank_fraction`` (0.15) of ``R0``, is at most
``max_drop`` (0.02, i.e. 2 percentage points); (ii) "until the network nearly vanishes": there is
no permanent drop, or its rank sum is below ``rank_fraction * R0``. A network holds iff (i) and
(ii) hold; the claim holds iff every judged network holds. The 15 % was fixed from the paper's own
numbers before any run: its MNIST network fails at ranks (18, 8, 6) of (100, 100, 100), 10.7 % of
the initial rank sum. A network is not measurable if its initial test accuracy is already below
``threshold``, or if pruning stopped before the rank sum fell below ``rank_fraction * R0`` (the
vanishing end the claim is about was never reached). The claim is about MNIST: only networks
whose dataset (from their training summary) is MNIST are judged when there are any; otherwise
every pruned network is judged and the note says so. Every network's numbers are reported.

C7 (section V-C). Exact arithmetic with :mod:`relusv.parameter_counts`: with input 3072, widths
(100, 100, 100) and 10 classes, the double-layer MLP at ranks (18, 8, 6) has 61,206 parameters and
the dense one 328,510. Needs no data.

C8 (section V-C, CIFAR-10 from scratch). Per network, from its from-scratch summary (one row per
architecture: mean, sample standard deviation and number of runs over seeds): the *double*
architecture is the one whose name starts with ``double`` (the one with fewest parameters if
several), the *small dense* one the architecture whose name starts with ``dense`` with fewest
parameters (either can be named explicitly). With ``se = std / sqrt(runs)``, a network holds iff
``mean_double - mean_dense > sqrt(se_double^2 + se_dense^2)`` (the double-layers beat the small
dense network by more than one standard error of the difference); both need at least two runs.
The claim holds iff every judged network holds. Only CIFAR-10 networks are judged when there are
any; otherwise every network is, and the note says so. The accuracy the trained (then pruned)
double-layer network reached is reported beside the paper's ~52 % but does not enter the verdict.

Scope. C6 is about MNIST and C8 about CIFAR-10: which networks a claim judges is decided on the
whole run (the MNIST networks whenever the run has any), never per replicate, so a replicate
never judges a CIFAR-10 network against the MNIST claim; the fallback to every network is only
for runs without one, such as the demo.

Replicates. Pruning tables whose ``seed`` column holds several seeds are judged per replicate
(run of the experiment: the i-th seed of every pruned network;
:func:`relusv.claims.replicates.per_replicate`) with the criterion and the scope of C6; a
replicate without a pruning table of a network in scope is not measurable. C6 holds iff it
holds in every measurable replicate, ``"mixed"`` if in some, and counts them in
``replicates``. C8 reads summaries already pooled over seeds: one replicate.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from relusv import tidy
from relusv._validation import check_real
from relusv.claims._common import _claim, _num, _pct
from relusv.claims.replicates import per_replicate
from relusv.paper import PAPER_NUMBERS
from relusv.tidy import last_iteration_before_drop, permanent_drop_iteration, rank_columns

__all__ = ["evaluate_pruning_claims"]


def _dataset_key(name) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _dataset_of(summaries: Mapping, network: str):
    summary = summaries.get(network)
    if isinstance(summary, Mapping) and summary.get("dataset") is not None:
        return str(summary["dataset"])
    return None


def _judged(networks, summaries: Mapping, dataset_key: str, dataset_label: str, claim: str):
    """Networks to judge: those on ``dataset_key`` if any, else all; and a sentence saying which."""
    networks = list(networks)
    matching = [n for n in networks
                if _dataset_key(_dataset_of(summaries, n) or "") == dataset_key]
    if matching:
        return matching, dataset_label, (
            f" Judged on the {dataset_label} network(s) only ({', '.join(matching)}); the others "
            "are reported for reference."
        )
    if not networks:
        return [], "nothing", ""
    return networks, "all networks", (
        f" The paper's claim {claim} is about {dataset_label}; no {dataset_label} network is in "
        f"this run, so the criterion is applied to every network ({', '.join(networks)}) and "
        "the verdict says how the claim transfers, not whether the paper's numbers reproduce."
    )


def _verdict(measured_networks: dict, judged) -> tuple[list[str], int, bool | None]:
    """The judged networks that were measured (each network's entry marked ``judged`` or not),
    how many of them hold, and the claim's verdict: every one holds (None: none measured)."""
    checked = [n for n in judged if n in measured_networks]
    for network, entry in measured_networks.items():
        entry["judged"] = network in checked
    hits = sum(measured_networks[n]["holds"] for n in checked)
    return checked, hits, (None if not checked else hits == len(checked))


def _check_summaries(summaries) -> dict[str, Mapping]:
    if summaries is None:
        return {}
    if not isinstance(summaries, Mapping):
        raise TypeError("summaries must be a dict of network name -> training summary dict")
    out = {}
    for name, summary in summaries.items():
        if isinstance(summary, (list, tuple)) and all(isinstance(s, Mapping) for s in summary):
            summary = _pooled_summary(summary)
        if summary is not None and not isinstance(summary, Mapping):
            raise TypeError(f"summaries[{name!r}] must be a dict or a list of dicts (one per "
                            f"replicate), got {type(summary).__name__}")
        out[str(name)] = summary or {}
    return out


def _pooled_summary(replicates) -> dict:
    """One training summary for a network's replicates: the first's fields, the test accuracy
    the mean over replicates, and ``replicates`` their number (C8 reports the trained double
    network's accuracy; C6 only reads the dataset)."""
    if not replicates:
        return {}
    accuracies = pd.to_numeric(pd.Series([r.get("test_accuracy") for r in replicates],
                                         dtype=object), errors="coerce")
    return {**replicates[0], "test_accuracy": _num(accuracies.mean()),
            "replicates": len(replicates)}


def _c6_network(df: pd.DataFrame, threshold: float, rank_fraction: float, max_drop: float):
    """Measured numbers of one network for C6, or ``(None, reason)`` if not measurable."""
    ranks = rank_columns(df)
    if not ranks:
        return None, "the pruning table has no rank_<layer> columns"
    data = df.copy()
    data["iteration"] = pd.to_numeric(data["iteration"], errors="coerce")
    data["test_accuracy"] = pd.to_numeric(data["test_accuracy"], errors="coerce")
    data = data.dropna(subset=["iteration", "test_accuracy", *ranks])
    if data.empty:
        return None, "no pruning iteration with a test accuracy and ranks"
    data = data.sort_values("iteration", kind="stable").reset_index(drop=True)
    iteration = data["iteration"].to_numpy(dtype=int)
    accuracy = data["test_accuracy"].to_numpy(dtype=float)
    rank_values = data[ranks].to_numpy(dtype=int)
    rank_sum = rank_values.sum(axis=1)
    initial_acc, r0 = float(accuracy[0]), int(rank_sum[0])
    base = {
        "initial_iteration": int(iteration[0]),
        "initial_ranks": rank_values[0].tolist(),
        "initial_test_accuracy": _num(initial_acc),
        "final_iteration": int(iteration[-1]),
        "final_ranks": rank_values[-1].tolist(),
        "final_test_accuracy": _num(accuracy[-1]),
        "iterations": int(len(data)),
    }
    if r0 <= 0:
        return None, "the initial rank sum is 0"
    if initial_acc < threshold:
        return None, (f"the initial test accuracy {_pct(initial_acc)} is already below the "
                      f"{_pct(threshold)} threshold")
    fraction = rank_sum / r0
    if fraction[-1] >= rank_fraction:
        return None, (f"pruning stopped at rank sum {int(rank_sum[-1])} ({_pct(fraction[-1])} of "
                      f"the initial {r0}), never below the {_pct(rank_fraction)} the criterion "
                      "needs: the vanishing end of the claim was not reached")
    phase = fraction >= rank_fraction
    drops = initial_acc - accuracy[phase]
    worst = int(np.argmax(drops))
    largest_drop = max(float(drops[worst]), 0.0)
    nearly_constant = largest_drop <= max_drop
    drop_at = permanent_drop_iteration(iteration, accuracy, threshold)
    before = last_iteration_before_drop(df, threshold)  # the numbers Figure 5 marks
    measured = dict(base)
    measured.update({
        "initial_rank_sum": r0,
        "phase_last_iteration": int(iteration[phase][-1]),
        "phase_min_test_accuracy": _num(float(accuracy[phase].min())),
        "largest_drop": _num(largest_drop),
        "largest_drop_iteration": int(iteration[phase][worst]),
        "nearly_constant": bool(nearly_constant),
        "drop_after_iteration": None if before is None else before[0],
        "ranks_before_drop": None if before is None else list(before[1]),
        "parameters_before_drop": None,
        "first_iteration_below_threshold": drop_at,
        "rank_sum_fraction_at_drop": None,
    })
    if before is not None and "parameters" in data.columns:
        at_n = data.loc[data["iteration"] == before[0], "parameters"]
        measured["parameters_before_drop"] = _num(pd.to_numeric(at_n, errors="coerce").iloc[0])
    if drop_at is None:
        late = True
    else:
        pos = int(np.flatnonzero(iteration == drop_at)[0])
        late = bool(fraction[pos] < rank_fraction)
        measured["rank_sum_fraction_at_drop"] = _num(float(fraction[pos]))
    measured["drop_only_when_nearly_vanished"] = late
    measured["holds"] = bool(nearly_constant and late)
    return measured, None


def _claim_c6(frames, summaries, scope, threshold, rank_fraction, max_drop) -> dict:
    """C6 of one replicate (or a single run); ``scope`` is :func:`_judged` of the whole run, so
    that a replicate judges the networks the run as a whole is judged on."""
    note = (
        f"Criterion: per network, with rank sum = sum of the hidden layers' ranks and R0 its "
        f"initial value, (i) 'nearly constant': test accuracy falls at most {100 * max_drop:g} "
        f"percentage points below the initial test accuracy at every iteration whose rank sum "
        f"is >= {rank_fraction:g} R0; (ii) 'until the network nearly vanishes': test accuracy "
        f"never falls below {threshold:g} for good, or the first iteration from which it stays "
        f"below {threshold:g} has rank sum < {rank_fraction:g} R0. A network holds iff (i) and "
        f"(ii) hold; the claim holds iff every judged network holds. The fraction "
        f"{rank_fraction:g} was fixed from the paper's own numbers, (18, 8, 6) of (100, 100, 100) "
        "= 10.7 % of R0, before any run. Not measurable: a network whose initial test accuracy "
        "is below the threshold, or whose pruning stopped before the rank sum fell below the "
        "fraction. The paper's iteration (~268) and ranks (~(18, 8, 6)) depend on its network "
        "and data and are reported beside ours, not tested; ours are reported as the paper "
        "words them: 'drops permanently below the threshold after iteration N; before that drop "
        "the ranks were (...)', N the last iteration at or above the threshold and the ranks at "
        "N (relusv.tidy.last_iteration_before_drop, as Figure 5 marks them)."
    )
    measured_networks, not_measurable = {}, []
    for network, df in frames.items():
        measured, reason = _c6_network(df, threshold, rank_fraction, max_drop)
        if measured is None:
            not_measurable.append({"network": network, "reason": reason})
            continue
        measured["dataset"] = _dataset_of(summaries, network)
        measured_networks[network] = measured
    judged, judged_on, extra = scope
    absent = [n for n in judged if n not in frames]
    if judged and len(absent) == len(judged):
        not_measurable.append({"network": None, "reason": (
            f"no network in scope ({judged_on}: {', '.join(judged)}) has a pruning table in "
            "this replicate")})
    checked, hits, holds = _verdict(measured_networks, judged)
    measured = {
        "networks": measured_networks,
        "judged_on": judged_on,
        "networks_checked": len(checked),
        "threshold": threshold,
        "rank_fraction": rank_fraction,
        "max_drop": max_drop,
        "paper": PAPER_NUMBERS["C6"],
    }
    if checked:
        parts = []
        for n in checked:
            m = measured_networks[n]
            where = (f"never drops permanently below {_pct(threshold)}"
                     if m["drop_after_iteration"] is None
                     else f"drops permanently below {_pct(threshold)} after iteration "
                          f"{m['drop_after_iteration']}; before that drop the ranks were "
                          f"{tuple(m['ranks_before_drop'])}")
            parts.append(f"{n}: {where}; largest drop {100 * m['largest_drop']:.1f} pp")
        paper = PAPER_NUMBERS["C6"]
        summary = (f"{'; '.join(parts)} (paper: after iteration "
                   f"~{paper['drop_after_iteration']}, ranks "
                   f"~{tuple(paper['ranks_before_drop'])}); holds in {hits}/{len(checked)} "
                   "networks")
    else:
        summary = "not measurable" if frames else "no pruning data"
    if not frames:
        extra = " No pruning table was given."
    criterion = (f"Per MNIST network (every network if the run has none): test accuracy within "
                 f"{100 * max_drop:g} points of its start while the rank sum is >= "
                 f"{100 * rank_fraction:g} % of the initial, and no permanent drop below "
                 f"{100 * threshold:g} % before that; holds iff every judged network does.")
    return _claim("C6", measured, holds, checked, note + extra, not_measurable, summary,
                  criterion)


def _claim_c7() -> dict:
    from relusv.parameter_counts import dense_mlp_parameter_count, double_mlp_parameter_count

    paper = PAPER_NUMBERS["C7"]
    double = double_mlp_parameter_count(paper["input_dim"], paper["widths"], paper["ranks"],
                                        paper["classes"])
    dense = dense_mlp_parameter_count(paper["input_dim"], paper["widths"], paper["classes"])
    holds = double == paper["double_parameters"] and dense == paper["dense_parameters"]
    measured = {"double_parameters": int(double), "dense_parameters": int(dense),
                "ratio": _num(dense / double), "paper": paper}
    note = (
        "Criterion: exact arithmetic with relusv.parameter_counts, for input 3072, "
        "widths (100, 100, 100), "
        "10 classes: a double-layer of rank r with n inputs and m outputs has r (n + m) + m "
        "parameters, a dense layer n m + m. Holds iff the counts equal the paper's 61,206 and "
        "328,510. Needs no data."
    )
    summary = (f"double-layers {double:,}, dense {dense:,} parameters "
               f"(paper: 61,206 and 328,510)")
    return _claim("C7", measured, holds,
                  ["arithmetic: 3072-100-100-100-10, ranks (18, 8, 6)"], note, [], summary,
                  "The parameter counts of 3072-100-100-100-10, dense and as double-layers at "
                  "ranks (18, 8, 6), must equal the paper's.")


def _pick_architecture(df: pd.DataFrame, prefix: str, name):
    if name is not None:
        rows = df[df["architecture"].astype(str) == str(name)]
        return (rows.iloc[0] if len(rows) else None), f"no architecture named {name!r}"
    rows = df[df["architecture"].astype(str).str.startswith(prefix)]
    if rows.empty:
        return None, f"no architecture whose name starts with {prefix!r}"
    if "parameters" in rows.columns:
        params = pd.to_numeric(rows["parameters"], errors="coerce")
        if params.notna().any():
            return rows.loc[params.idxmin()], None
    return rows.iloc[0], None


def _arch_stats(row) -> dict:
    runs = pd.to_numeric(row["runs"], errors="coerce")
    runs = int(runs) if pd.notna(runs) else 0
    mean = float(pd.to_numeric(row["test_accuracy_mean"], errors="coerce"))
    std = float(pd.to_numeric(row["test_accuracy_std"], errors="coerce"))
    se = std / math.sqrt(runs) if runs >= 2 and math.isfinite(std + mean) else math.nan
    return {"architecture": str(row["architecture"]),
            "parameters": _num(row["parameters"]) if "parameters" in row.index else None,
            "runs": runs, "test_accuracy_mean": _num(mean), "test_accuracy_std": _num(std),
            "stderr": _num(se)}


def _claim_c8(frames, summaries, dense_name, double_name) -> dict:
    measured_networks, not_measurable = {}, []
    for network, df in frames.items():
        if df.empty:
            not_measurable.append({"network": network, "reason": "empty from-scratch summary"})
            continue
        double_row, why_double = _pick_architecture(df, "double", double_name)
        dense_row, why_dense = _pick_architecture(df, "dense", dense_name)
        architectures = {str(r["architecture"]): _arch_stats(r) for _, r in df.iterrows()}
        trained = _num(pd.to_numeric((summaries.get(network) or {}).get("test_accuracy"),
                                     errors="coerce"))
        entry = {"architectures": architectures, "trained_double_test_accuracy": trained,
                 "dataset": _dataset_of(summaries, network)}
        if double_row is None or dense_row is None:
            not_measurable.append({"network": network, "reason": why_double if double_row is None
                                   else why_dense})
            continue
        double, dense = _arch_stats(double_row), _arch_stats(dense_row)
        if double["stderr"] is None or dense["stderr"] is None:
            not_measurable.append({"network": network, "reason": (
                "fewer than two runs (or no mean or standard deviation) for "
                f"{double['architecture'] if double['stderr'] is None else dense['architecture']}"
            )})
            continue
        difference = double["test_accuracy_mean"] - dense["test_accuracy_mean"]
        se_diff = math.sqrt(double["stderr"] ** 2 + dense["stderr"] ** 2)
        entry.update({
            "double_architecture": double["architecture"],
            "dense_architecture": dense["architecture"],
            "difference": _num(difference),
            "stderr_difference": _num(se_diff),
            "z": _num(difference / se_diff) if se_diff > 0 else None,
            "holds": bool(difference > se_diff),
        })
        measured_networks[network] = entry
    judged, judged_on, extra = _judged(frames, summaries, "cifar10", "CIFAR-10", "C8")
    checked, hits, holds = _verdict(measured_networks, judged)
    measured = {"networks": measured_networks, "judged_on": judged_on,
                "networks_checked": len(checked), "paper": PAPER_NUMBERS["C8"]}
    if checked:
        parts = []
        for n in checked:
            e = measured_networks[n]
            d, s = e["architectures"][e["double_architecture"]], \
                e["architectures"][e["dense_architecture"]]
            parts.append(
                f"{n}: {e['dense_architecture']} {_pct(s['test_accuracy_mean'])} "
                f"± {_pct(s['test_accuracy_std'])}, {e['double_architecture']} "
                f"{_pct(d['test_accuracy_mean'])} ± {_pct(d['test_accuracy_std'])}, trained "
                f"double-layer {_pct(e['trained_double_test_accuracy'])}")
        summary = (f"{'; '.join(parts)} (paper: ~40 %, ~50 %, ~52 %); holds in "
                   f"{hits}/{len(checked)} networks")
    else:
        summary = "not measurable" if frames else "no from-scratch data"
    if not frames:
        extra = " No from-scratch summary was given."
    note = (
        "Criterion: per network, the 'double' architecture (name starting with 'double'; the "
        "one with fewest parameters if several) against the small 'dense' one (name starting "
        "with 'dense' with fewest parameters), each trained from scratch over several seeds: "
        "holds iff mean_double - mean_dense > sqrt(se_double^2 + se_dense^2), se = std / "
        "sqrt(runs) (sample std over seeds), i.e. the double-layers win by more than one "
        "standard error of the difference; both need at least two runs. The claim holds iff "
        "every judged network holds. The accuracy the trained (then pruned) double-layer network "
        "reached is reported beside the paper's ~52 % and does not enter the verdict."
    )
    criterion = ("Per CIFAR-10 network (every network if the run has none): the double-layer "
                 "architecture trained from scratch must beat the small dense one in mean test "
                 "accuracy by more than one standard error of the difference.")
    return _claim("C8", measured, holds, checked, note + extra, not_measurable, summary,
                  criterion)


def evaluate_pruning_claims(
    harmonic: Mapping[str, pd.DataFrame] | None,
    from_scratch: Mapping[str, pd.DataFrame] | None,
    summaries: Mapping[str, Mapping] | None,
    *,
    threshold: float = 0.5,
    rank_fraction: float = 0.15,
    max_drop: float = 0.02,
    dense_architecture: str | None = None,
    double_architecture: str | None = None,
) -> list[dict]:
    """Measure claims C6-C8 of the paper; the criteria are those of this module's docstring.

    Parameters
    ----------
    harmonic : dict of network -> DataFrame, or None
        Harmonic pruning tables (:data:`relusv.tidy.PRUNING`, written by
        :func:`relusv.pruning.pruning_frame`): ``iteration``, ``rank_1 ... rank_L``,
        ``test_accuracy`` (fractions), ``parameters`` and more. None: no pruning tables.
    from_scratch : dict of network -> DataFrame, or None
        From-scratch summaries (:data:`relusv.tidy.FROM_SCRATCH_SUMMARY`): ``architecture,
        parameters, runs, test_accuracy_mean, test_accuracy_std, test_accuracy_min,
        test_accuracy_max`` (``parameters`` optional). None: no summaries.
    summaries : dict of network -> dict or list of dicts, or None
        Training summaries of the double-layer networks that were pruned (``dataset``,
        ``test_accuracy``, ...), one per network or a list of its replicates' (pooled: the
        mean test accuracy); they say which network is on MNIST / CIFAR-10.
    threshold : float
        Accuracy below which C6 counts the network as failed (the paper's 50 %).
    rank_fraction : float
        Fraction of the initial rank sum below which C6 counts the network as nearly vanished.
    max_drop : float
        Largest drop below the initial test accuracy (fraction, 0.02 = 2 points) that C6 still
        calls nearly constant.
    dense_architecture, double_architecture : str or None
        Names of the architectures C8 compares; None: chosen by name prefix (docstring).

    Returns
    -------
    list of three claim dicts, C6 to C8, JSON-serialisable, in the format of
    :func:`relusv.claims.spectral.evaluate_claims`; C6 has a ``replicates`` count and is judged
    per replicate (the i-th seed of every pruned network) when the pruning tables' ``seed``
    columns hold several, on the networks in its scope for the whole run.
    """
    threshold = check_real(threshold, "threshold", low=0.0, high=1.0, low_open=True)
    rank_fraction = check_real(rank_fraction, "rank_fraction", low=0.0, high=1.0, low_open=True)
    max_drop = check_real(max_drop, "max_drop", low=0.0, high=1.0)
    harmonic_frames = tidy.PRUNING.check_mapping({} if harmonic is None else harmonic,
                                                 "harmonic", allow_empty=True)
    scratch_frames = tidy.FROM_SCRATCH_SUMMARY.check_mapping(
        {} if from_scratch is None else from_scratch, "from_scratch", allow_empty=True)
    summaries = _check_summaries(summaries)
    scope = _judged(harmonic_frames, summaries, "mnist", "MNIST", "C6")  # of the whole run
    return [
        per_replicate(lambda frames: _claim_c6(frames, summaries, scope, threshold,
                                               rank_fraction, max_drop), harmonic_frames),
        _claim_c7(),
        _claim_c8(scratch_frames, summaries, dense_architecture, double_architecture),
    ]

