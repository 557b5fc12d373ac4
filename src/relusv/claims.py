"""The paper's checkable claims C1-C8 (SPEC section 6), measured on the workflow's tidy tables.

:func:`evaluate_claims` turns the random-layer bounds (Figure 2), the per-network ReLU singular
value bounds (Figure 3, Appendix A) and Gaussian mean widths (Figure 4, Appendix A) into one
verdict per claim C1-C5; :func:`evaluate_pruning_claims` does the same for C6-C8 (section V:
harmonic pruning, double-layer parameter counts, small networks trained from scratch);
:func:`write_claims` writes any list of claim dicts as JSON and as a Markdown page.

A claim dict has the keys ``id``, ``statement`` (the paper's claim), ``where`` (figure),
``measured`` (the numbers behind the verdict, per network and layer), ``holds`` (``True``,
``False``, or ``None`` when nothing could be measured), ``checked_on`` (what was checked),
``note`` (the exact criterion, and anything the reader should know), plus, from this module,
``not_measurable`` (a list of ``{"network", "reason"}``) and ``summary`` (one line for tables).
A claim that does not hold is reported as ``False``; the criteria are fixed here, before any
data are seen, and are not adjusted to the results.

Criteria
--------
Layers are the 1-based hidden-layer indices of the tables; "strictly increasing with depth"
means ``value(layer 1) < value(layer 2) < ...`` over all layers present.

C1 (Figure 2, random layers ``relu(W .)``). For every random layer (shape, layer) with
``K`` non-zero singular values (``sigma_k > 1e-12 sigma_0``; rows with ``sigma_k = 0``, if any,
count for (i) only): (i) Lemma 5: ``bound_k <= sigma_k + rtol * sigma_0`` for every k
(``rtol = 1e-9``); (ii) "much lower": the mean of ``bound_k / sigma_k`` pooled over every layer
and every k with ``sigma_k > 1e-12 sigma_0`` is at most ``much_lower_ratio`` (default 0.75, i.e.
the bounds lie on average at least a quarter below the linear singular values); (iii) "most of all
at low k": the mean absolute gap ``sigma_k - bound_k`` over the low half of the indices
(``k < (K - 1) / 2``) exceeds that over the high half (``k > (K - 1) / 2``; the middle index of
an odd K belongs to neither) in a strict majority of the layers with ``K >= 2``. The gap is
absolute because that is what the paper's figure shows on a linear axis; the mean ratio over each
half is reported beside it. Holds iff (i), (ii) and (iii) all hold.

C2 (Figure 3, Appendix A). Per network and subset, the level of each layer's bound curve is the
mean bound over the indices k that every layer has (the k range common to all layers). Holds for
a (network, subset) if the level is strictly increasing with depth; holds for a network if it
does for every subset checked; the claim holds iff it holds for every network checked. The
fraction of networks and of (network, subset) cases is reported, as are the bounds at k = 0 and
the fraction of common k at which the curves themselves are ordered.

C3 (Figure 3). Per network and layer, the largest bound of the layer (the maximum over k, which
is the bound at k = 0 for a non-increasing curve) over correct data is compared with that over
incorrect data. The paper says "tend to be greater", so the claim holds iff correct > incorrect
in a strict majority of the measurable (network, layer) pairs. Per-network fractions are reported.

C4 (Figure 4, Appendix A). Per network and subset, the Gaussian mean width at the final
checkpoint (largest epoch) is strictly increasing with depth. Holds for a network if it does for
every subset checked; the claim holds iff it holds for every network checked. The fraction of
all checkpoints at which the ordering holds is reported too.

C5 (Figure 4, Appendix A). Per network, at the final checkpoint the width over correct data
exceeds that over incorrect data in every layer. The claim holds iff this is true for every
measurable network. Also reported: per layer the difference and ``z = (w_c - w_i) /
sqrt(se_c^2 + se_i^2)``, and the fraction of (layer, checkpoint) pairs with correct > incorrect.

Measurability. A network whose subsets summary says ``measurable: false`` (too few misclassified
points), or whose table lacks one of the two subsets, is left out of C3 and C5 and listed under
``not_measurable`` with the reason; for C2 and C4 only its correct subset is checked (its
incorrect subset, if present at all, is not comparable). If no network remains, ``holds`` is
``None``.

C6 (Figure 5, harmonic pruning). Per pruned network, from its pruning table (one row per iteration,
0 = the trained network): the *rank sum* of an iteration is the sum of its hidden layers' ranks,
``R0`` that of the first iteration, and the *permanent drop* the first iteration from which test
accuracy stays below ``threshold`` (0.5) to the end (:func:`permanent_drop_iteration`; None if the
last iteration is at or above it); the paper's "after iteration 268" is the iteration just before
it. (i) "nearly constant": the largest drop of test accuracy below the initial one, over every
iteration whose rank sum is at least ``rank_fraction`` (0.15) of ``R0``, is at most ``max_drop``
(0.02, i.e. 2 percentage points); (ii) "until the network nearly vanishes": there is no permanent
drop, or its rank sum is below ``rank_fraction * R0``. A network holds iff (i) and (ii) hold; the
claim holds iff every judged network holds. The 15 % was fixed from the paper's own numbers before
any run: its MNIST network fails at ranks (18, 8, 6) of (100, 100, 100), 10.7 % of the initial rank
sum. A network is not measurable if its initial test accuracy is already below ``threshold``, or if
pruning stopped before the rank sum fell below ``rank_fraction * R0`` (the vanishing end the claim
is about was never reached). The claim is about MNIST: only networks whose dataset (from their
training summary) is MNIST are judged when there are any; otherwise every pruned network is judged
and the note says so. Every network's numbers are reported.

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
"""

from __future__ import annotations

import json
import math
import numbers
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from relusv.files import write_text

#: The paper's claims as SPEC section 6 states them, and where the paper shows them.
CLAIMS = {
    "C1": (
        "ReLU singular value bounds never exceed the linear singular values (Lemma 5), and are "
        "much lower, most of all at low k",
        "Fig. 2",
    ),
    "C2": (
        "ReLU singular value bounds grow with depth: layer 1 < layer 2 < layer 3",
        "Fig. 3, App. A",
    ),
    "C3": (
        "the largest ReLU singular value bounds over correctly classified data exceed those over "
        "incorrectly classified data",
        "Fig. 3",
    ),
    "C4": ("the Gaussian mean width grows with depth", "Fig. 4, App. A"),
    "C5": (
        "the Gaussian mean width of correctly classified data exceeds that of incorrectly "
        "classified data, in every layer",
        "Fig. 4, App. A",
    ),
    "C6": (
        "harmonic pruning on MNIST holds test accuracy nearly constant until the network nearly "
        "vanishes; below 50 % only after iteration ~268, at ranks ~(18, 8, 6)",
        "Fig. 5",
    ),
    "C7": (
        "CIFAR-10, widths (100, 100, 100): double-layers with ranks (18, 8, 6) have 61,206 "
        "parameters, the dense net 328,510",
        "Sec. V-C",
    ),
    "C8": (
        "CIFAR-10 from scratch: dense widths (20, 9, 7) reach ~40 %, double-layers (100, 100, 100) "
        "ranks (18, 8, 6) ~50 %; the double-layer MLP that was pruned reached ~52 %",
        "Sec. V-C",
    ),
}

#: The paper's numbers for C6-C8, reported beside the measured ones.
PAPER_NUMBERS = {
    "C6": {"dataset": "MNIST", "last_iteration_at_or_above_threshold": 268,
           "ranks_there": [18, 8, 6], "initial_ranks": [100, 100, 100], "threshold": 0.5},
    "C7": {"input_dim": 3072, "widths": [100, 100, 100], "ranks": [18, 8, 6], "classes": 10,
           "double_parameters": 61206, "dense_parameters": 328510},
    "C8": {"dataset": "CIFAR-10", "dense (20, 9, 7)": 0.40,
           "double (100, 100, 100) ranks (18, 8, 6)": 0.50, "pruned double-layer MLP": 0.52},
}

SUBSETS = ("correct", "incorrect")
RANDOM_COLUMNS = ("shape", "layer", "k", "bound", "singular_value")
BOUNDS_COLUMNS = ("layer", "subset", "k", "bound")
WIDTHS_COLUMNS = ("layer", "subset", "epoch", "width")


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _num(value):
    """A JSON-safe number: Python int/float, ``None`` for NaN, inf or missing."""
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


def _fraction(hits: int, total: int):
    return None if total == 0 else hits / total


def _fmt(value, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def _check_frame(df, columns, name: str) -> pd.DataFrame:
    if df is None:
        return pd.DataFrame(columns=list(columns))
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{name} is missing columns {missing}; it has {list(df.columns)}")
    if "subset" in columns and not df.empty:
        unknown = sorted(set(df["subset"].astype(str)) - set(SUBSETS))
        if unknown:
            raise ValueError(f"{name} has unknown subset(s) {unknown}; expected {list(SUBSETS)}")
    return df


def _check_frames(frames, columns, name: str) -> dict[str, pd.DataFrame]:
    if frames is None:
        return {}
    if not isinstance(frames, Mapping):
        raise TypeError(f"{name} must be a dict of network name -> DataFrame")
    return {str(k): _check_frame(v, columns, f"{name}[{k!r}]") for k, v in frames.items()}


def _subsets_present(df: pd.DataFrame) -> list[str]:
    present = set(df["subset"].astype(str)) if not df.empty else set()
    return [s for s in SUBSETS if s in present]


def _measurability(network: str, df: pd.DataFrame, subsets: Mapping, table: str):
    """``(measurable, reason)`` for comparing correct with incorrect data of ``network``."""
    summary = subsets.get(network)
    if summary is not None and not bool(summary.get("measurable", True)):
        reason = summary.get("reason") or "the subsets summary marks this network not measurable"
        return False, str(reason)
    present = _subsets_present(df)
    for subset in SUBSETS:
        if subset not in present:
            return False, f"no '{subset}' rows in the {table} table of this network"
    return True, None


def _strictly_increasing(values) -> bool:
    values = list(values)
    return len(values) >= 2 and all(a < b for a, b in zip(values[:-1], values[1:], strict=False))


def _claim(cid: str, measured, holds, checked_on, note, not_measurable, summary) -> dict:
    statement, where = CLAIMS[cid]
    return {
        "id": cid,
        "statement": statement,
        "where": where,
        "measured": measured,
        "holds": None if holds is None else bool(holds),
        "checked_on": list(checked_on),
        "note": note,
        "not_measurable": list(not_measurable),
        "summary": summary,
    }


# --------------------------------------------------------------------------------------------
# C1
# --------------------------------------------------------------------------------------------


def _claim_c1(df: pd.DataFrame, rtol: float, much_lower_ratio: float) -> dict:
    note = (
        f"Criterion: (i) Lemma 5, bound_k <= sigma_k + {rtol:g} sigma_0 for every k of every "
        "random layer; (ii) 'much lower': the mean of bound_k/sigma_k pooled over all layers and "
        f"all k with sigma_k > 1e-12 sigma_0 is <= {much_lower_ratio:g}; (iii) 'most of all at "
        "low k': the mean absolute gap sigma_k - bound_k over the low half of the K indices with "
        "non-zero sigma_k (k < (K-1)/2) exceeds that over the high half (k > (K-1)/2) in a strict "
        "majority of the layers with K >= 2. Holds iff (i), (ii) and (iii) hold. Mean ratios "
        "per half are reported for reference."
    )
    if df.empty:
        return _claim("C1", {}, None, [], note + " No random-layer bounds were given.", [],
                      "no data")
    layers = {}
    checked_on = []
    violations = total_rows = 0
    ratios_all: list[float] = []
    shape_hits = shape_total = 0
    for (shape, layer), group in df.groupby(["shape", "layer"], sort=False):
        group = group.sort_values("k")
        k = group["k"].to_numpy(dtype=int)
        sigma = group["singular_value"].to_numpy(dtype=float)
        bound = group["bound"].to_numpy(dtype=float)
        sigma0 = float(np.max(sigma)) if sigma.size else 0.0
        excess = bound - sigma
        tol = rtol * sigma0
        bad = excess > tol
        violations += int(bad.sum())
        total_rows += int(k.size)
        positive = sigma > 1e-12 * sigma0
        ratio = np.where(positive, bound / np.where(positive, sigma, 1.0), np.nan)
        ratios_all.extend(ratio[positive].tolist())
        # the halves are taken over the indices with a non-zero linear singular value
        big_k = int(positive.sum())
        order = np.cumsum(positive) - 1  # position of k among the non-zero singular values
        mid = (big_k - 1) / 2.0
        low, high = positive & (order < mid), positive & (order > mid)
        gap = sigma - bound
        entry = {
            "K": big_k,
            "lemma5_violations": int(bad.sum()),
            "max_excess_over_sigma": _num(np.max(excess) if excess.size else None),
            "mean_ratio": _num(np.nanmean(ratio) if positive.any() else None),
            "ratio_by_k": [_num(r) for r in ratio],
            "mean_gap_low_k": _num(gap[low].mean() if low.any() else None),
            "mean_gap_high_k": _num(gap[high].mean() if high.any() else None),
            "mean_ratio_low_k": _num(np.nanmean(ratio[low]) if (low & positive).any() else None),
            "mean_ratio_high_k": _num(
                np.nanmean(ratio[high]) if (high & positive).any() else None
            ),
        }
        if low.any() and high.any():
            entry["low_k_gap_exceeds_high_k"] = bool(gap[low].mean() > gap[high].mean())
            shape_total += 1
            shape_hits += int(entry["low_k_gap_exceeds_high_k"])
        else:
            entry["low_k_gap_exceeds_high_k"] = None
        layers.setdefault(str(shape), {})[str(int(layer))] = entry
        checked_on.append(f"shape {shape}, layer {int(layer)}")
    mean_ratio = float(np.mean(ratios_all)) if ratios_all else None
    low_k_fraction = _fraction(shape_hits, shape_total)
    lemma5 = violations == 0
    much_lower = mean_ratio is not None and mean_ratio <= much_lower_ratio
    low_k = low_k_fraction is not None and low_k_fraction > 0.5
    measured = {
        "layers": layers,
        "lemma5_violations": violations,
        "rows_checked": total_rows,
        "lemma5_holds": lemma5,
        "mean_ratio": _num(mean_ratio),
        "much_lower_threshold": much_lower_ratio,
        "much_lower_holds": much_lower,
        "low_k_gap_fraction": _num(low_k_fraction),
        "low_k_gap_layers": shape_total,
        "low_k_holds": low_k,
        "rtol": rtol,
    }
    summary = (
        f"Lemma 5 violations {violations}/{total_rows}; mean bound/sigma {_fmt(mean_ratio)} "
        f"(<= {much_lower_ratio:g}?); low-k gap > high-k gap in {shape_hits}/{shape_total} layers"
    )
    return _claim("C1", measured, lemma5 and much_lower and low_k, checked_on, note, [], summary)


# --------------------------------------------------------------------------------------------
# C2 and C4: growth with depth
# --------------------------------------------------------------------------------------------


def _depth_levels_bounds(df: pd.DataFrame) -> dict:
    """Per-layer level of one subset's bound curves (mean over the common k range)."""
    layers = sorted(int(v) for v in df["layer"].unique())
    k_sets = [set(df.loc[df["layer"] == layer, "k"].astype(int)) for layer in layers]
    common = sorted(set.intersection(*k_sets)) if k_sets else []
    table = df[df["k"].astype(int).isin(common)].pivot_table(
        index="k", columns="layer", values="bound", aggfunc="mean"
    )
    table = table.reindex(columns=layers)
    levels = [float(table[layer].mean()) for layer in layers] if common else []
    at_zero = {
        str(layer): _num(df.loc[(df["layer"] == layer) & (df["k"] == 0), "bound"].mean())
        for layer in layers
    }
    pointwise = (
        float(np.mean(np.all(np.diff(table.to_numpy(), axis=1) > 0, axis=1)))
        if common and len(layers) >= 2
        else None
    )
    return {
        "layers": layers,
        "k_common": [common[0], common[-1]] if common else [],
        "mean_bound": {str(layer): _num(v) for layer, v in zip(layers, levels, strict=True)},
        "bound_at_k0": at_zero,
        "k0_increasing": _strictly_increasing(at_zero.values())
        if None not in at_zero.values()
        else None,
        "pointwise_fraction": _num(pointwise),
        "increasing": _strictly_increasing(levels) if common else False,
    }


def _depth_levels_widths(df: pd.DataFrame) -> dict:
    """Per-layer width of one subset at its final checkpoint, and over all checkpoints."""
    layers = sorted(int(v) for v in df["layer"].unique())
    table = df.pivot_table(index="epoch", columns="layer", values="width", aggfunc="mean")
    table = table.reindex(columns=layers).dropna(how="any")
    if table.empty:
        return {"layers": layers, "final_epoch": None, "width": {}, "increasing": False,
                "checkpoint_fraction": None, "checkpoints": 0}
    final = table.index.max()
    final_row = table.loc[final]
    ordered = np.all(np.diff(table.to_numpy(), axis=1) > 0, axis=1)
    return {
        "layers": layers,
        "final_epoch": _num(final),
        "width": {str(layer): _num(final_row[layer]) for layer in layers},
        "increasing": _strictly_increasing(final_row.to_numpy()),
        "checkpoint_fraction": _num(float(np.mean(ordered)) if len(layers) >= 2 else None),
        "checkpoints": int(len(table)),
    }


def _claim_depth(cid: str, frames, subsets, levels, table: str, note: str) -> dict:
    networks = {}
    not_measurable = []
    checked_on = []
    cases = hits = 0
    net_hits = net_total = 0
    for network, df in frames.items():
        measurable, reason = _measurability(network, df, subsets, table)
        check = _subsets_present(df) if measurable else ["correct"]
        check = [s for s in check if s in _subsets_present(df)]
        if not measurable:
            not_measurable.append(
                {"network": network, "reason": f"{reason}; only the correct subset is checked"}
            )
        per_subset = {}
        for subset in check:
            sub = df[df["subset"].astype(str) == subset]
            if sub["layer"].nunique() < 2:
                continue
            per_subset[subset] = levels(sub)
        if not per_subset:
            not_measurable.append(
                {"network": network, "reason": "fewer than two layers with data in any subset"}
            )
            continue
        ok = all(v["increasing"] for v in per_subset.values())
        cases += len(per_subset)
        hits += sum(bool(v["increasing"]) for v in per_subset.values())
        net_total += 1
        net_hits += int(ok)
        networks[network] = {
            "subsets": per_subset,
            "holds": ok,
            "subsets_checked": list(per_subset),
        }
        checked_on.append(network)
    holds = None if net_total == 0 else net_hits == net_total
    measured = {
        "networks": networks,
        "fraction_networks": _num(_fraction(net_hits, net_total)),
        "fraction_cases": _num(_fraction(hits, cases)),
        "networks_checked": net_total,
        "cases_checked": cases,
    }
    summary = (
        f"increasing with depth in {net_hits}/{net_total} networks "
        f"({hits}/{cases} network-subset cases)"
        if net_total
        else "not measurable"
    )
    return _claim(cid, measured, holds, checked_on, note, not_measurable, summary)


# --------------------------------------------------------------------------------------------
# C3 and C5: correct vs incorrect
# --------------------------------------------------------------------------------------------


def _claim_c3(frames, subsets) -> dict:
    note = (
        "Criterion: per network and layer, the largest bound of the layer (maximum over k; the "
        "bound at k = 0 for a non-increasing curve) over correctly classified data is compared "
        "with that over incorrectly classified data of the same size. The paper says 'tend to "
        "be greater', so the claim holds iff correct > incorrect in a strict majority of the "
        "measurable (network, layer) pairs. Networks without a measurable correct/incorrect "
        "comparison are left out."
    )
    networks, not_measurable, checked_on = {}, [], []
    hits = total = 0
    for network, df in frames.items():
        measurable, reason = _measurability(network, df, subsets, "bounds")
        if not measurable:
            not_measurable.append({"network": network, "reason": reason})
            continue
        largest = df.groupby(["subset", "layer"])["bound"].max()
        layers = sorted(
            set(int(v) for v in df.loc[df["subset"] == "correct", "layer"])
            & set(int(v) for v in df.loc[df["subset"] == "incorrect", "layer"])
        )
        per_layer = {}
        for layer in layers:
            correct = float(largest.loc[("correct", layer)])
            incorrect = float(largest.loc[("incorrect", layer)])
            greater = correct > incorrect
            per_layer[str(layer)] = {
                "largest_bound_correct": _num(correct),
                "largest_bound_incorrect": _num(incorrect),
                "difference": _num(correct - incorrect),
                "ratio": _num(correct / incorrect) if incorrect != 0 else None,
                "correct_greater": greater,
            }
            hits += int(greater)
            total += 1
            checked_on.append(f"{network}, layer {layer}")
        n_hit = sum(v["correct_greater"] for v in per_layer.values())
        networks[network] = {
            "layers": per_layer,
            "fraction": _num(_fraction(n_hit, len(per_layer))),
        }
    fraction = _fraction(hits, total)
    holds = None if total == 0 else fraction > 0.5
    measured = {"networks": networks, "fraction_pairs": _num(fraction), "pairs_checked": total}
    summary = (
        f"correct > incorrect in {hits}/{total} (network, layer) pairs (majority needed)"
        if total
        else "not measurable"
    )
    return _claim("C3", measured, holds, checked_on, note, not_measurable, summary)


def _claim_c5(frames, subsets) -> dict:
    note = (
        "Criterion: per network, at the final checkpoint (largest epoch) the Gaussian mean width "
        "over correctly classified data exceeds that over incorrectly classified data in every "
        "layer (point estimates). The claim holds iff this is true for every measurable network. "
        "Also reported: z = (w_correct - w_incorrect) / sqrt(se_correct^2 + se_incorrect^2) per "
        "layer, and the fraction of (layer, checkpoint) pairs with correct > incorrect."
    )
    networks, not_measurable, checked_on = {}, [], []
    net_hits = net_total = 0
    all_hits = all_pairs = 0
    for network, df in frames.items():
        measurable, reason = _measurability(network, df, subsets, "widths")
        if not measurable:
            not_measurable.append({"network": network, "reason": reason})
            continue
        data = df.copy()
        if "stderr" not in data.columns:
            data["stderr"] = np.nan
        width = data.pivot_table(index=["epoch", "layer"], columns="subset", values="width",
                                 aggfunc="mean").dropna(how="any")
        stderr = data.pivot_table(index=["epoch", "layer"], columns="subset", values="stderr",
                                  aggfunc="mean", dropna=False)
        if width.empty:
            not_measurable.append(
                {"network": network, "reason": "no checkpoint with both subsets for a layer"}
            )
            continue
        greater_all = width["correct"] > width["incorrect"]
        final = width.index.get_level_values("epoch").max()
        final_rows = width.xs(final, level="epoch")
        per_layer = {}
        for layer, row in final_rows.iterrows():
            se_c = se_i = np.nan
            if (final, layer) in stderr.index:
                se_c = stderr.loc[(final, layer)].get("correct", np.nan)
                se_i = stderr.loc[(final, layer)].get("incorrect", np.nan)
            diff = float(row["correct"] - row["incorrect"])
            scale = math.sqrt(float(se_c) ** 2 + float(se_i) ** 2)
            layer_hits = greater_all.xs(layer, level="layer")
            per_layer[str(int(layer))] = {
                "width_correct": _num(row["correct"]),
                "width_incorrect": _num(row["incorrect"]),
                "difference": _num(diff),
                "z": _num(diff / scale) if scale > 0 else None,
                "correct_greater": bool(diff > 0),
                "checkpoint_fraction": _num(float(layer_hits.mean())),
            }
        ok = all(v["correct_greater"] for v in per_layer.values())
        networks[network] = {
            "final_epoch": _num(final),
            "layers": per_layer,
            "holds": ok,
            "checkpoint_fraction": _num(float(greater_all.mean())),
        }
        all_hits += int(greater_all.sum())
        all_pairs += int(greater_all.size)
        net_total += 1
        net_hits += int(ok)
        checked_on.append(network)
    holds = None if net_total == 0 else net_hits == net_total
    measured = {
        "networks": networks,
        "fraction_networks": _num(_fraction(net_hits, net_total)),
        "fraction_layer_checkpoints": _num(_fraction(all_hits, all_pairs)),
        "networks_checked": net_total,
    }
    summary = (
        f"correct > incorrect in every layer at the final checkpoint in {net_hits}/{net_total} "
        f"networks; over all checkpoints in {all_hits}/{all_pairs} (layer, checkpoint) pairs"
        if net_total
        else "not measurable"
    )
    return _claim("C5", measured, holds, checked_on, note, not_measurable, summary)


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------


def evaluate_claims(
    random_layers: pd.DataFrame | None,
    bounds: Mapping[str, pd.DataFrame] | None,
    widths: Mapping[str, pd.DataFrame] | None,
    subsets: Mapping[str, Mapping] | None,
    *,
    lemma5_rtol: float = 1e-9,
    much_lower_ratio: float = 0.75,
) -> list[dict]:
    """Measure claims C1-C5 of the paper; the criteria are those of this module's docstring.

    Parameters
    ----------
    random_layers : DataFrame
        Figure 2's table: ``shape, layer, k, bound, singular_value`` (``m, n`` optional).
    bounds : dict of network -> DataFrame
        Per-network bounds: ``network, layer, subset, k, bound, singular_value, n_points``.
    widths : dict of network -> DataFrame
        Per-network widths: ``network, layer, subset, epoch, width, stderr, n_points, n_draws``.
    subsets : dict of network -> dict
        Subsets summaries (``measurable``, ``reason``, ...). A network without one counts as
        measurable when both subsets are present in its table.
    lemma5_rtol : float
        Tolerance of the Lemma 5 check, relative to the layer's largest singular value.
    much_lower_ratio : float
        Largest pooled mean of ``bound / sigma`` that counts as "much lower" (C1).

    Returns
    -------
    list of five claim dicts, C1 to C5, JSON-serialisable (no NaN: missing numbers are None).
    """
    if not (lemma5_rtol >= 0 and math.isfinite(lemma5_rtol)):
        raise ValueError(f"lemma5_rtol must be a finite number >= 0, got {lemma5_rtol!r}")
    if not (0 < much_lower_ratio <= 1):
        raise ValueError(f"much_lower_ratio must lie in (0, 1], got {much_lower_ratio!r}")
    random_layers = _check_frame(random_layers, RANDOM_COLUMNS, "random_layers")
    bound_frames = _check_frames(bounds, BOUNDS_COLUMNS, "bounds")
    width_frames = _check_frames(widths, WIDTHS_COLUMNS, "widths")
    subsets = {str(k): v for k, v in (subsets or {}).items()}
    for name, summary in subsets.items():
        if not isinstance(summary, Mapping):
            raise TypeError(f"subsets[{name!r}] must be a dict, got {type(summary).__name__}")

    c2_note = (
        "Criterion: per network and subset, the level of a layer's bound curve is its mean bound "
        "over the k range common to all layers; the claim holds for a network if the levels "
        "are strictly increasing with depth (layer 1 < layer 2 < layer 3) for every subset "
        "checked, and overall iff it holds for every network checked. Networks whose "
        "correct/incorrect comparison is not measurable are checked on the correct subset only. "
        "Bounds at k = 0 and the fraction of common k at which the curves are ordered are "
        "reported for reference."
    )
    c4_note = (
        "Criterion: per network and subset, the Gaussian mean width at the final checkpoint "
        "(largest epoch) is strictly increasing with depth (layer 1 < layer 2 < layer 3); the "
        "claim holds for a network if this is true for every subset checked, and overall iff it "
        "holds for every network checked. Networks whose correct/incorrect comparison is not "
        "measurable are checked on the correct subset only. The fraction of checkpoints at which "
        "the ordering holds is reported for reference."
    )
    return [
        _claim_c1(random_layers, lemma5_rtol, much_lower_ratio),
        _claim_depth("C2", bound_frames, subsets, _depth_levels_bounds, "bounds", c2_note),
        _claim_c3(bound_frames, subsets),
        _claim_depth("C4", width_frames, subsets, _depth_levels_widths, "widths", c4_note),
        _claim_c5(width_frames, subsets),
    ]


# --------------------------------------------------------------------------------------------
# C6-C8: double-layers and harmonic pruning (section V)
# --------------------------------------------------------------------------------------------

#: Columns C6 needs in a pruning table (besides ``rank_1 ... rank_L``).
PRUNING_COLUMNS = ("iteration", "test_accuracy")
#: Columns C8 needs in a from-scratch summary table.
FROM_SCRATCH_COLUMNS = ("architecture", "runs", "test_accuracy_mean", "test_accuracy_std")

_RANK_COLUMN = re.compile(r"rank_(\d+)")


def rank_columns(df: pd.DataFrame) -> list[str]:
    """The ``rank_1 ... rank_L`` columns of a pruning table, in layer order."""
    found = [(int(m.group(1)), str(c)) for c in df.columns
             if (m := _RANK_COLUMN.fullmatch(str(c)))]
    return [c for _, c in sorted(found)]


def permanent_drop_iteration(iterations, accuracies, threshold: float = 0.5):
    """The first iteration from which accuracy stays below ``threshold`` to the end, or None.

    Parameters
    ----------
    iterations : (N,) array of iteration numbers (any order; sorted here)
    accuracies : (N,) array of accuracies in [0, 1]; rows with NaN are ignored
    threshold : float

    Returns
    -------
    int or None
        The smallest iteration ``i`` with ``accuracy(j) < threshold`` for every ``j >= i``;
        None if the last iteration is at or above ``threshold`` (or there are no rows).
    """
    it = np.asarray(iterations, dtype=float).ravel()
    acc = np.asarray(accuracies, dtype=float).ravel()
    if it.shape != acc.shape:
        raise ValueError(f"iterations and accuracies differ in length: {it.size} vs {acc.size}")
    keep = np.isfinite(it) & np.isfinite(acc)
    it, acc = it[keep], acc[keep]
    if it.size == 0:
        return None
    order = np.argsort(it, kind="stable")
    it, acc = it[order], acc[order]
    below = acc < threshold
    if not below[-1]:
        return None
    above = np.flatnonzero(~below)
    start = 0 if above.size == 0 else int(above[-1]) + 1
    return int(it[start])


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


def _check_summaries(summaries) -> dict[str, Mapping]:
    if summaries is None:
        return {}
    if not isinstance(summaries, Mapping):
        raise TypeError("summaries must be a dict of network name -> training summary dict")
    out = {}
    for name, summary in summaries.items():
        if summary is not None and not isinstance(summary, Mapping):
            raise TypeError(f"summaries[{name!r}] must be a dict, got {type(summary).__name__}")
        out[str(name)] = summary or {}
    return out


def _pct(value) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


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
    measured = dict(base)
    measured.update({
        "initial_rank_sum": r0,
        "phase_last_iteration": int(iteration[phase][-1]),
        "phase_min_test_accuracy": _num(float(accuracy[phase].min())),
        "largest_drop": _num(largest_drop),
        "largest_drop_iteration": int(iteration[phase][worst]),
        "nearly_constant": bool(nearly_constant),
        "first_iteration_below_threshold": drop_at,
        "last_iteration_at_or_above_threshold": None,
        "ranks_there": None,
        "ranks_at_drop": None,
        "rank_sum_fraction_at_drop": None,
        "parameters_there": None,
    })
    if drop_at is None:
        late = True
    else:
        pos = int(np.flatnonzero(iteration == drop_at)[0])
        late = bool(fraction[pos] < rank_fraction)
        measured["ranks_at_drop"] = rank_values[pos].tolist()
        measured["rank_sum_fraction_at_drop"] = _num(float(fraction[pos]))
        if pos > 0:
            measured["last_iteration_at_or_above_threshold"] = int(iteration[pos - 1])
            measured["ranks_there"] = rank_values[pos - 1].tolist()
            if "parameters" in data.columns:
                measured["parameters_there"] = _num(
                    pd.to_numeric(data["parameters"], errors="coerce").iloc[pos - 1])
    measured["drop_only_when_nearly_vanished"] = late
    measured["holds"] = bool(nearly_constant and late)
    return measured, None


def _claim_c6(frames, summaries, threshold, rank_fraction, max_drop) -> dict:
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
        "and data and are reported beside ours, not tested."
    )
    measured_networks, not_measurable = {}, []
    for network, df in frames.items():
        measured, reason = _c6_network(df, threshold, rank_fraction, max_drop)
        if measured is None:
            not_measurable.append({"network": network, "reason": reason})
            continue
        measured["dataset"] = _dataset_of(summaries, network)
        measured_networks[network] = measured
    judged, judged_on, extra = _judged(frames, summaries, "mnist", "MNIST", "C6")
    checked = [n for n in judged if n in measured_networks]
    for network, measured in measured_networks.items():
        measured["judged"] = network in checked
    hits = sum(measured_networks[n]["holds"] for n in checked)
    holds = None if not checked else hits == len(checked)
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
            where = ("never below 50 %" if m["first_iteration_below_threshold"] is None
                     else f"below {_pct(threshold)} after iteration "
                          f"{m['last_iteration_at_or_above_threshold']} at ranks "
                          f"{tuple(m['ranks_there'] or ())}")
            parts.append(f"{n}: {where}, largest drop {100 * m['largest_drop']:.1f} pp")
        summary = (f"{'; '.join(parts)} (paper: after ~268 at ~(18, 8, 6)); holds in "
                   f"{hits}/{len(checked)} networks")
    else:
        summary = "not measurable" if frames else "no pruning data"
    if not frames:
        extra = " No pruning table was given."
    return _claim("C6", measured, holds, checked, note + extra, not_measurable, summary)


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
                  ["arithmetic: 3072-100-100-100-10, ranks (18, 8, 6)"], note, [], summary)


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
    checked = [n for n in judged if n in measured_networks]
    for network, entry in measured_networks.items():
        entry["judged"] = network in checked
    hits = sum(measured_networks[n]["holds"] for n in checked)
    holds = None if not checked else hits == len(checked)
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
    return _claim("C8", measured, holds, checked, note + extra, not_measurable, summary)


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
    harmonic : dict of network -> DataFrame
        Harmonic pruning tables (:func:`relusv.pruning.pruning_frame`): ``iteration``,
        ``rank_1 ... rank_L``, ``test_accuracy`` (fractions), ``parameters`` and more.
    from_scratch : dict of network -> DataFrame
        From-scratch summaries: ``architecture, parameters, runs, test_accuracy_mean,
        test_accuracy_std, test_accuracy_min, test_accuracy_max``.
    summaries : dict of network -> dict
        Training summaries of the double-layer networks that were pruned (``dataset``,
        ``test_accuracy``, ...); they say which network is on MNIST / CIFAR-10.
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
    :func:`evaluate_claims`.
    """
    for value, name, zero_ok in ((threshold, "threshold", False),
                                 (rank_fraction, "rank_fraction", False),
                                 (max_drop, "max_drop", True)):
        number = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not number or not ((0 <= value if zero_ok else 0 < value) and value <= 1):
            interval = "[0, 1]" if zero_ok else "(0, 1]"
            raise ValueError(f"{name} must be a number in {interval}, got {value!r}")
    harmonic_frames = _check_frames(harmonic, PRUNING_COLUMNS, "harmonic")
    scratch_frames = _check_frames(from_scratch, FROM_SCRATCH_COLUMNS, "from_scratch")
    summaries = _check_summaries(summaries)
    return [
        _claim_c6(harmonic_frames, summaries, float(threshold), float(rank_fraction),
                  float(max_drop)),
        _claim_c7(),
        _claim_c8(scratch_frames, summaries, dense_architecture, double_architecture),
    ]


def _jsonable(value):
    """Recursively convert to JSON types: numpy scalars to Python, NaN/inf to None, keys to str."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | np.ndarray):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, numbers.Number):
        return _num(value)
    if value is pd.NA:
        return None
    return str(value)


def _check_claim(claim, index: int) -> dict:
    if not isinstance(claim, Mapping):
        raise TypeError(f"claims[{index}] must be a dict, got {type(claim).__name__}")
    if not isinstance(claim.get("id"), str) or not claim["id"]:
        raise ValueError(f"claims[{index}] needs a non-empty string 'id', got {claim.get('id')!r}")
    holds = claim.get("holds")
    if isinstance(holds, np.bool_):
        holds = bool(holds)
    if holds not in (True, False, None):
        raise ValueError(f"claim {claim['id']}: 'holds' must be true, false or null, got {holds!r}")
    out = _jsonable(dict(claim))
    out["holds"] = holds
    for key, default in (("statement", ""), ("where", ""), ("measured", {}), ("checked_on", []),
                         ("note", "")):
        out.setdefault(key, default)
    return out


def merge_claims(*lists: Iterable[Mapping]) -> list[dict]:
    """Concatenate claim lists; a later claim with an id already seen replaces the earlier one
    in place, so re-adding C6-C8 never duplicates them."""
    merged: dict[str, dict] = {}
    index = 0
    for claims in lists:
        for claim in claims or []:
            checked = _check_claim(claim, index)
            merged[checked["id"]] = checked
            index += 1
    return list(merged.values())


def _holds_text(holds) -> str:
    return {True: "yes", False: "**no**", None: "not measurable"}[holds]


def _cell(text) -> str:
    return str(text).replace("|", r"\|").replace("\n", " ").strip()


def _measured_line(claim: Mapping) -> str:
    if claim.get("summary"):
        return str(claim["summary"])
    text = json.dumps(claim.get("measured", {}), sort_keys=True, allow_nan=False)
    return text if len(text) <= 160 else text[:157] + "..."


def claims_markdown(claims: Iterable[Mapping]) -> str:
    """The Markdown page of a list of claim dicts: one table row per claim, then the details."""
    claims = list(claims)
    lines = [
        "# The paper's claims, measured",
        "",
        "| id | paper's claim | measured | holds |",
        "| --- | --- | --- | --- |",
    ]
    for claim in claims:
        lines.append(
            f"| {_cell(claim['id'])} | {_cell(claim.get('statement', ''))} "
            f"| {_cell(_measured_line(claim))} | {_holds_text(claim.get('holds'))} |"
        )
    for claim in claims:
        lines += ["", f"## {claim['id']}: {claim.get('statement', '')}", ""]
        if claim.get("where"):
            lines.append(f"- where: {claim['where']}")
        lines.append(f"- holds: {_holds_text(claim.get('holds'))}")
        checked = claim.get("checked_on") or []
        lines.append(f"- checked on: {'; '.join(map(str, checked)) if checked else 'nothing'}")
        for entry in claim.get("not_measurable") or []:
            if isinstance(entry, Mapping):
                lines.append(f"- not measurable: {entry.get('network')}: {entry.get('reason')}")
            else:
                lines.append(f"- not measurable: {entry}")
        if claim.get("note"):
            lines += ["", str(claim["note"])]
        lines += [
            "",
            "```json",
            json.dumps(claim.get("measured", {}), sort_keys=True, indent=2, allow_nan=False),
            "```",
        ]
    return "\n".join(lines) + "\n"


def write_claims(claims, json_path, markdown_path, extra=None) -> list[dict]:
    """Write claim dicts as JSON (a list, sorted keys, no NaN) and as a Markdown page.

    Parameters
    ----------
    claims : list of dict
        Any claim dicts with at least ``id`` and ``holds`` (C1-C5 from :func:`evaluate_claims`,
        or C6-C8 from the pruning rules, or all of them).
    json_path, markdown_path : path-like
        Targets (``results/claims.json``, ``figures/claims.md``), each written atomically.
    extra : list of dict, optional
        Further claims appended after ``claims``; one whose id is already present replaces it.

    Returns
    -------
    The list written.
    """
    merged = merge_claims(claims, extra or [])
    text = json.dumps(merged, sort_keys=True, indent=2, allow_nan=False) + "\n"
    write_text(json_path, text)
    write_text(markdown_path, claims_markdown(merged))
    return merged


def read_claims(json_path) -> list[dict]:
    """Read a claims JSON written by :func:`write_claims`."""
    data = json.loads(Path(json_path).read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{json_path} must hold a JSON list of claims, got {type(data).__name__}")
    return data
