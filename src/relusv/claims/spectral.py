"""Claims C1-C5: the ReLU singular value bounds and Gaussian mean widths (Figures 2-4), measured.

:func:`evaluate_claims` turns the random-layer bounds (Figure 2), the per-network ReLU singular
value bounds (Figure 3, Appendix A) and Gaussian mean widths (Figure 4, Appendix A) into one
claim dict (:func:`relusv.claims._common._claim`) per claim C1-C5. A claim that does not hold is
reported as ``False``; the criteria are fixed here, before any data are seen, and are not
adjusted to the results.

Criteria
--------
Layers are the 1-based hidden-layer indices of the tables; "strictly increasing with depth"
means ``value(layer 1) < value(layer 2) < ...`` over all layers present.

C1 (Figure 2, random layers ``relu(W .)``). Figure 2's table holds three curves per layer: the
linear singular values ``sigma_k``; ``bound_sample``, the paper's bound (the worst error of the
optimised approximant over the optimisation sample of the sphere, which can understate the worst
error on the sphere); and ``bound_refined``, ``min(e_k, sigma_k)`` with ``e_k`` the worst error
found off the sample (held-out points, projected gradient ascent) of the best approximant found.
C1 is judged on ``bound_refined``; the numbers of ``bound_sample`` are reported beside it. For
every random layer (shape, layer) with ``K`` non-zero singular values (``sigma_k > 1e-12
sigma_0``; rows with ``sigma_k = 0``, if any, count for (i) only): (i) a consistency check,
Lemma 5: ``bound_k <= sigma_k + rtol * sigma_0`` for every k (``rtol = 1e-9``; also counted for
``bound_sample``). Both bounds satisfy it by construction (the cap; the SVD start), so it tests
this code, not the paper: if it fails, C1 is not measurable (None), with the reason. (ii) "much
lower": the mean of ``bound_k / sigma_k`` pooled over every layer and every k with ``sigma_k >
1e-12 sigma_0`` is at most ``much_lower_ratio`` (default 0.75, i.e. the bounds lie on average at
least a quarter below the linear singular values); the same mean for ``bound_sample`` is
reported; (iii) "most of all at low k": the mean *relative* gain ``1 - bound_k / sigma_k`` over
the low half of the indices (``k < (K - 1) / 2``) exceeds that over the high half (``k > (K -
1) / 2``; the middle index of an odd K belongs to neither) by more than ``1e-9`` (a guard
against rounding) in a strict majority of the layers with ``K >= 2``. The gain is relative, not
the absolute gap ``sigma_k - bound_k``: with ``bound_k / sigma_k`` constant in k the absolute gap
is still largest at low k, because ``sigma_k`` is, and would pass; it is reported per half for
reference. The verdict is True iff (ii) and (iii) hold, and otherwise
:data:`~relusv.claims._common.NOT_SUPPORTED`, never False: ``e_k`` is a lower estimate of the
found approximant's worst error on the sphere, and ``bound_refined`` an upper bound on the ReLU
singular value ``s_k`` only through the cap at ``sigma_k``. A failure shows that the
approximants found are not much better than ``sigma_k`` in the worst case (the paper's Figure 2
gap is then a sample quantity); it does not show that ``s_k`` is not much lower, and a pass is
consistent with the claim without proving it. ``measured["reading"]`` says this in words.

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

C5 (Figure 4, Appendix A). The widths over correct and incorrect data of a layer are means over
the same Gaussian draws, so they are compared draw by draw, ``d(g) = w_correct(g) -
w_incorrect(g)``. The standard error of ``mean(d)`` over the draws measures the noise of the
draws for *fixed* point sets, not which points happened to be drawn into the subsets, so the
verdict rests on ``R`` random subsamples of both subsets at the final checkpoint (the table
:data:`relusv.tidy.WIDTH_SUBSAMPLES`, :func:`relusv.width_subsamples.subsampled_width_differences`:
each a fixed share of the smaller subset's points, drawn without replacement, with its own
draws): a layer holds iff ``mean(d) > 2 stderr(d)`` in at least 95 % of its subsamples. A
network holds iff every layer holds; the claim holds iff every measurable network holds. A
network without subsamples, or with a subsample whose standard error is undefined (one draw),
is not measurable. Also reported, from all points of the subsets
(:data:`relusv.tidy.WIDTH_DIFFERENCES`, optional): per layer the two widths, their difference,
the paired difference over its standard error at the final checkpoint, the z-score ``(w_c -
w_i) / sqrt(se_c^2 + se_i^2)`` as ``z_independent_draws`` (it assumes independent draws, which
these are not, and plays no part in the verdict), and the fraction of checkpoints whose paired
difference exceeds two standard errors. The 95 % and the two standard errors were fixed before
the criterion met any data.

Measurability. A network whose subsets summary says ``measurable: false`` (too few misclassified
points), or whose bounds or widths table lacks one of the two subsets, is left out of C3 and C5
and listed under ``not_measurable`` with the reason; for C2 and C4 only its correct subset is
checked (its incorrect subset, if present at all, is not comparable). If no network remains,
``holds`` is ``None``.

C4 compares the widths of different layers, which live in different dimensions and so do not
share their draws: it stays on the point estimates.

Replicates. Frames whose ``seed`` columns hold several seeds are judged per replicate, a run of
the experiment (the i-th seed of every network; :func:`relusv.claims.replicates.per_replicate`),
with these criteria (C2-C5): a strict majority of all (network, layer) pairs of the replicate for
C3, every network of the replicate for C2, C4 and C5. A claim holds iff it holds in every
measurable replicate, ``"mixed"`` if in some; each claim dict counts them in ``replicates``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from relusv import tidy
from relusv._validation import check_nonnegative_real, check_real
from relusv.claims._common import _claim, _fraction, _num
from relusv.claims.random_layers import claim_c1
from relusv.claims.replicates import per_replicate
from relusv.tidy import SUBSETS, replicate_seeds

__all__ = ["evaluate_claims"]

#: C5: a layer's paired width difference must exceed this many of its standard errors ...
_PAIRED_STDERRS = 2.0

#: ... in at least this fraction of the random point subsamples (fixed before any run with it).
_SUBSAMPLE_LEVEL = 0.95


# --------------------------------------------------------------------------------------------
# measurability
# --------------------------------------------------------------------------------------------


def _subsets_present(df: pd.DataFrame) -> list[str]:
    present = set(df["subset"].astype(str)) if not df.empty else set()
    return [s for s in SUBSETS if s in present]


def _replicate_summary(summaries, df: pd.DataFrame | None):
    """The subsets summary of the replicate whose rows ``df`` holds.

    ``summaries`` is one summary or a list of them, one per replicate, each with its ``seed``.
    A frame of one seed gets that seed's summary; without a frame (or without one seed in it)
    a list counts as not measurable if any of its summaries is not (the conservative choice).
    """
    if summaries is None or isinstance(summaries, Mapping):
        return summaries
    summaries = list(summaries)
    seeds = replicate_seeds(df) if df is not None else []
    if len(seeds) == 1:
        matching = [s for s in summaries if s.get("seed") == seeds[0]]
        if matching:
            return matching[0]
        return summaries[0] if len(summaries) == 1 else None
    failing = [s for s in summaries if not bool(s.get("measurable", True))]
    return failing[0] if failing else (summaries[0] if summaries else None)


def _measurability(network: str, df: pd.DataFrame | None, subsets: Mapping, table: str):
    """``(measurable, reason)`` for comparing correct with incorrect data of ``network``; with
    ``df`` None only its subsets summary is looked at."""
    summary = _replicate_summary(subsets.get(network), df)
    if summary is not None and not bool(summary.get("measurable", True)):
        reason = summary.get("reason") or "the subsets summary marks this network not measurable"
        return False, str(reason)
    if df is None:
        return True, None
    present = _subsets_present(df)
    for subset in SUBSETS:
        if subset not in present:
            return False, f"no '{subset}' rows in the {table} table of this network"
    return True, None


def _strictly_increasing(values) -> bool:
    values = list(values)
    return len(values) >= 2 and all(a < b for a, b in zip(values[:-1], values[1:], strict=False))



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


def _claim_depth(cid: str, frames, subsets, levels, table: str, note: str,
                 criterion: str) -> dict:
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
    return _claim(cid, measured, holds, checked_on, note, not_measurable, summary, criterion)


# --------------------------------------------------------------------------------------------
# C3 and C5: correct vs incorrect
# --------------------------------------------------------------------------------------------


def bounds_procedure(frames) -> str:
    """The sentence that says which bounds C2 and C3 are judged on, from the tables' ``method``
    column (``tight``, ``paper``; tables without it come from the paper's procedure)."""
    methods, reference = set(), True
    for df in frames.values():
        methods |= set(df["method"].dropna().astype(str)) if "method" in df else {"paper"}
        reference &= "paper_bound" in df and bool(df["paper_bound"].notna().all())
    if methods == {"tight"}:
        paper = ("the paper's procedure's bounds, run beside them, are in figures/tables/bounds.*"
                 if reference else "the paper's procedure was not run beside them "
                 "(bounds.paper_reference: false)")
        return ("Judged on the tight bounds (bounds.method: tight: exact at k = 0 and past the "
                "rank of the data, elsewhere the smaller of Adam from the truncated SVD and from "
                f"the PCA start, on an objective aimed at the max-error); {paper}.")
    if methods == {"paper"}:
        return ("Judged on the paper's procedure (bounds.method: paper: Adam from the truncated "
                "SVD only), whose bounds are larger than the tight ones, most at k = 0.")
    return f"Judged on bounds of mixed procedures {sorted(methods)}: recompute them with one."


def _claim_c3(frames, subsets, procedure: str = "") -> dict:
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
    criterion = ("Per network and layer, the largest bound over correct data against that over "
                 "incorrect data; holds iff correct > incorrect in a strict majority of all "
                 "(network, layer) pairs. " + procedure).strip()
    return _claim("C3", measured, holds, checked_on, note, not_measurable, summary, criterion)


def _point_estimates(widths: pd.DataFrame | None, epoch, layer) -> dict:
    """The two widths of one (checkpoint, layer) from the widths table, for reference."""
    out = {"width_correct": None, "width_incorrect": None, "difference_of_widths": None,
           "z_independent_draws": None}
    if widths is None or widths.empty:
        return out
    rows = widths[(widths["epoch"] == epoch) & (widths["layer"] == layer)]
    by_subset = rows.groupby(rows["subset"].astype(str))[["width", "stderr"]].mean()
    if not set(SUBSETS) <= set(by_subset.index):
        return out
    (w_c, se_c), (w_i, se_i) = (by_subset.loc[s].to_numpy(dtype=float) for s in SUBSETS)
    scale = math.sqrt(se_c ** 2 + se_i ** 2)
    out.update({"width_correct": _num(w_c), "width_incorrect": _num(w_i),
                "difference_of_widths": _num(w_c - w_i),
                "z_independent_draws": _num((w_c - w_i) / scale) if scale > 0 else None})
    return out


def _paired_holds(difference, stderr):
    """``difference > 2 stderr`` elementwise (the C5 criterion of one layer and checkpoint)."""
    return np.asarray(difference, dtype=float) > _PAIRED_STDERRS * np.asarray(stderr, dtype=float)


def _claim_c5(width_frames, difference_frames, subsample_frames, subsets) -> dict:
    note = (
        f"Criterion: R random subsamples of the correct and of the incorrect points (each a "
        f"fixed share of the smaller subset, drawn without replacement) are taken at the final "
        f"checkpoint; for each, the two widths of a layer are means over the same Gaussian "
        f"draws, so the paired difference d(g) = w_correct(g) - w_incorrect(g) is measured with "
        f"its standard error over the draws. A layer holds iff mean(d) > {_PAIRED_STDERRS:g} "
        f"stderr(d) in at least {100 * _SUBSAMPLE_LEVEL:g} % of its subsamples: the difference "
        "must be positive beyond its draw noise whichever points are drawn, not only for the one "
        "draw of points the subsets are. A network holds iff every layer holds; the claim holds "
        "iff every measurable network holds. Reported for reference, from all points of the "
        "subsets: the two widths, the paired difference over its standard error at the final "
        "checkpoint, the z-score (w_correct - w_incorrect) / sqrt(se_correct^2 + "
        "se_incorrect^2) labelled z_independent_draws (it assumes independent draws, which "
        "these are not), and the fraction of checkpoints at which the paired difference exceeds "
        f"{_PAIRED_STDERRS:g} standard errors."
    )
    networks, not_measurable, checked_on = {}, [], []
    net_hits = net_total = 0
    names = list(dict.fromkeys([*width_frames, *difference_frames, *subsample_frames]))
    for network in names:
        widths = width_frames.get(network)
        differences = difference_frames.get(network)
        subsamples = subsample_frames.get(network)
        measurable, reason = _measurability(network, widths, subsets, "widths")
        if measurable and (subsamples is None or subsamples.empty):
            measurable, reason = False, "no subsampled width differences for this network"
        if measurable and not np.isfinite(subsamples["stderr"].to_numpy(dtype=float)).all():
            measurable, reason = False, ("the standard error of a subsample's paired difference "
                                         "is undefined (fewer than two draws)")
        if not measurable:
            not_measurable.append({"network": network, "reason": reason})
            continue
        per_layer = {}
        for layer, rows in subsamples.groupby("layer", sort=True):
            beyond = _paired_holds(rows["difference"], rows["stderr"])
            fraction = float(np.mean(beyond))
            per_layer[str(int(layer))] = {
                "subsamples": int(len(rows)),
                "subsample_points": _num(rows["n_points"].iloc[0]) if "n_points" in rows else None,
                "subsample_fraction": _num(fraction),
                "subsample_median_difference": _num(float(rows["difference"].median())),
                "holds": bool(fraction >= _SUBSAMPLE_LEVEL),
                **_full_set_reference(widths, differences, int(layer)),
            }
        ok = all(v["holds"] for v in per_layer.values())
        networks[network] = {"layers": per_layer, "holds": ok}
        net_total += 1
        net_hits += int(ok)
        checked_on.append(network)
    holds = None if net_total == 0 else net_hits == net_total
    measured = {
        "networks": networks,
        "fraction_networks": _num(_fraction(net_hits, net_total)),
        "networks_checked": net_total,
        "stderrs_required": _PAIRED_STDERRS,
        "subsample_level": _SUBSAMPLE_LEVEL,
    }
    summary = (
        f"paired difference correct - incorrect > {_PAIRED_STDERRS:g} stderr in >= "
        f"{100 * _SUBSAMPLE_LEVEL:g} % of point subsamples, every layer, in {net_hits}/"
        f"{net_total} networks"
        if net_total
        else "not measurable"
    )
    criterion = (f"Per layer, the paired width difference correct - incorrect of R random "
                 f"subsamples of both point sets must exceed {_PAIRED_STDERRS:g} standard errors "
                 f"of its draws in >= {100 * _SUBSAMPLE_LEVEL:g} % of them; holds iff every "
                 "layer of every network does.")
    return _claim("C5", measured, holds, checked_on, note, not_measurable, summary, criterion)


def _full_set_reference(widths, differences, layer: int) -> dict:
    """C5's numbers over all points of the subsets, for reference: the final checkpoint's widths
    and paired z, and the fraction of checkpoints whose paired difference exceeds the noise."""
    out = {"final_epoch": None, "paired_difference": None, "paired_stderr": None,
           "paired_z": None, "checkpoint_fraction": None}
    if differences is None or differences.empty:
        return {**out, **_point_estimates(None, None, layer)}
    rows = differences[differences["layer"] == layer]
    table = rows.groupby("epoch")[["difference", "stderr"]].mean()
    if table.empty:
        return {**out, **_point_estimates(None, None, layer)}
    final = table.index.max()
    diff, se = (float(table.loc[final, c]) for c in ("difference", "stderr"))
    out.update({"final_epoch": _num(final), "paired_difference": _num(diff),
                "paired_stderr": _num(se),
                "paired_z": _num(diff / se) if se > 0 and math.isfinite(se) else None,
                "checkpoint_fraction": _num(float(np.mean(
                    _paired_holds(table["difference"], table["stderr"]))))})
    return {**out, **_point_estimates(widths, final, layer)}


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------


def evaluate_claims(
    random_layers: pd.DataFrame | None,
    bounds: Mapping[str, pd.DataFrame] | None,
    widths: Mapping[str, pd.DataFrame] | None,
    subsets: Mapping[str, Mapping] | None,
    *,
    width_differences: Mapping[str, pd.DataFrame] | None = None,
    width_subsamples: Mapping[str, pd.DataFrame] | None = None,
    lemma5_rtol: float = 1e-9,
    much_lower_ratio: float = 0.75,
) -> list[dict]:
    """Measure claims C1-C5 of the paper; the criteria are those of this module's docstring.

    Parameters
    ----------
    random_layers : DataFrame or None
        Figure 2's table (:data:`relusv.tidy.RANDOM_LAYERS`): ``shape, layer, k,
        singular_value, bound_sample, bound_refined`` (``m, n`` optional); C1 is judged on
        ``bound_refined``. None: no random layers.
    bounds : dict of network -> DataFrame, or None
        Per-network bounds (:data:`relusv.tidy.BOUNDS`): ``network, layer, subset, k, bound,
        singular_value`` (``n_points`` optional).
    widths : dict of network -> DataFrame, or None
        Per-network widths (:data:`relusv.tidy.WIDTHS`): ``network, layer, subset, epoch,
        width, stderr`` (``n_points, n_draws`` optional).
    subsets : dict of network -> dict or list of dicts, or None
        Subsets summaries (``measurable``, ``reason``, ...), one per replicate (a list, each
        with its ``seed``) or one for the network. A network without one counts as measurable
        when both subsets are present in its table.
    width_differences : dict of network -> DataFrame, or None
        Paired width differences (:data:`relusv.tidy.WIDTH_DIFFERENCES`): ``network, layer,
        epoch, difference, stderr`` (``n_draws, n_points`` optional), reported beside C5.
    width_subsamples : dict of network -> DataFrame, or None
        Paired width differences of random point subsamples (:data:`relusv.tidy.WIDTH_SUBSAMPLES`):
        ``network, layer, subsample, difference, stderr`` (``epoch, n_draws, n_points``
        optional), on which C5 is judged. None: no network is measurable for C5.
    lemma5_rtol : float
        Tolerance of the Lemma 5 check, relative to the layer's largest singular value.
    much_lower_ratio : float
        Largest pooled mean of ``bound / sigma`` that counts as "much lower" (C1).

    Returns
    -------
    list of five claim dicts, C1 to C5, JSON-serialisable (no NaN: missing numbers are None);
    C2-C5 have a ``replicates`` count (:mod:`relusv.claims.replicates`), and are judged per
    replicate (the i-th seed of every network) when the frames' ``seed`` columns hold several.
    """
    check_nonnegative_real(lemma5_rtol, "lemma5_rtol")
    check_real(much_lower_ratio, "much_lower_ratio", low=0.0, high=1.0, low_open=True)
    random_layers = (tidy.RANDOM_LAYERS.empty() if random_layers is None
                     else tidy.RANDOM_LAYERS.check(random_layers, "random_layers"))
    bound_frames = tidy.BOUNDS.check_mapping({} if bounds is None else bounds, "bounds",
                                             allow_empty=True)
    width_frames = tidy.WIDTHS.check_mapping({} if widths is None else widths, "widths",
                                             allow_empty=True)
    difference_frames = tidy.WIDTH_DIFFERENCES.check_mapping(
        {} if width_differences is None else width_differences, "width_differences",
        allow_empty=True)
    subsample_frames = tidy.WIDTH_SUBSAMPLES.check_mapping(
        {} if width_subsamples is None else width_subsamples, "width_subsamples",
        allow_empty=True)
    subsets = {str(k): v for k, v in (subsets or {}).items()}
    for name, summary in subsets.items():
        replicates = [summary] if isinstance(summary, Mapping) else summary
        if not isinstance(replicates, (list, tuple)) or not all(
                isinstance(entry, Mapping) for entry in replicates):
            raise TypeError(f"subsets[{name!r}] must be a dict or a list of dicts (one per "
                            f"replicate, each with its 'seed'), got {type(summary).__name__}")

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
    procedure = bounds_procedure(bound_frames)
    c2_criterion = ("Per network and subset, the mean bound of each layer over the common k must "
                    "be strictly increasing with depth; holds iff it is for every network. "
                    + procedure)
    c4_criterion = ("Per network and subset, the Gaussian mean width at the final checkpoint "
                    "must be strictly increasing with depth; holds iff it is for every network.")
    return [
        claim_c1(random_layers, lemma5_rtol, much_lower_ratio),
        per_replicate(lambda frames: _claim_depth("C2", frames, subsets, _depth_levels_bounds,
                                                  "bounds", c2_note, c2_criterion), bound_frames),
        per_replicate(lambda frames: _claim_c3(frames, subsets, procedure), bound_frames),
        per_replicate(lambda frames: _claim_depth("C4", frames, subsets, _depth_levels_widths,
                                                  "widths", c4_note, c4_criterion), width_frames),
        per_replicate(lambda widths, differences, subsamples: _claim_c5(
            widths, differences, subsamples, subsets), width_frames, difference_frames,
            subsample_frames),
    ]

