"""The paper's checkable claims C1-C5 (SPEC section 6), measured on the workflow's tidy tables.

:func:`evaluate_claims` turns the random-layer bounds (Figure 2), the per-network ReLU singular
value bounds (Figure 3, Appendix A) and Gaussian mean widths (Figure 4, Appendix A) into one
verdict per claim; :func:`write_claims` writes any list of claim dicts (these and later ones,
e.g. C6-C8 of the pruning experiments) as JSON and as a Markdown page.

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
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from relusv.results import write_text

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
