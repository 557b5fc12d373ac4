"""Claim C1: Figure 2's random layers, their ReLU singular value bounds against ``sigma_k``.

The criterion is stated in :mod:`relusv.claims.spectral`'s docstring with those of C2-C5, which
:func:`relusv.claims.spectral.evaluate_claims` judges together with this one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relusv.claims._common import NOT_SUPPORTED, _claim, _fmt, _fraction, _num

#: C1 (iii): how much larger the mean relative gain at low k must be than at high k; only a guard
#: against rounding (``0.7 * sigma / sigma`` need not be exactly 0.7), not a threshold of the claim.
_GAIN_ROUNDING = 1e-9


def _c1_layer(sigma, bound, rtol: float):
    """Lemma 5 and the ratios ``bound_k / sigma_k`` of one layer, for one kind of bound."""
    sigma0 = float(np.max(sigma)) if sigma.size else 0.0
    excess = bound - sigma
    positive = sigma > 1e-12 * sigma0
    ratio = np.where(positive, bound / np.where(positive, sigma, 1.0), np.nan)
    return {"violations": int((excess > rtol * sigma0).sum()),
            "max_excess": np.max(excess) if excess.size else None,
            "positive": positive, "ratio": ratio}


def _half_means(values, low, high):
    return (_num(values[low].mean() if low.any() else None),
            _num(values[high].mean() if high.any() else None))


def _c1_reading(holds, mean_ratio, mean_ratio_sample) -> str:
    """What C1's verdict refutes and what it leaves open, in words, for the claims page."""
    if holds is None:
        return "The consistency check failed: the table of random-layer bounds is wrong."
    numbers = (f"over the optimisation sample the approximants reach {_fmt(mean_ratio_sample)} "
               f"sigma_k on average, off it their worst error found is {_fmt(mean_ratio)} sigma_k")
    if holds is True:
        return (f"Consistent with the claim: {numbers}. Not a proof: the worst error found is a "
                "lower estimate of the approximants' worst error on the sphere.")
    return (f"What this refutes: Figure 2's gap as a worst-case statement; {numbers}, so the "
            "paper's numbers are sample quantities. What stays open: whether s_k itself is much "
            "lower than sigma_k; no approximant much better than the linear one in the worst case "
            "was found, which does not show that none exists.")


def claim_c1(df: pd.DataFrame, rtol: float, much_lower_ratio: float) -> dict:
    criterion = (
        "Judged on the worst error found off the optimisation sample (held-out points, ascent on "
        f"the sphere), capped by sigma_k: 'yes' iff its mean ratio to sigma_k is <= "
        f"{much_lower_ratio:g} and the relative gain is larger at low k in most layers, else "
        "'not supported'. Neither shows what s_k itself is: the number is a lower estimate of "
        "the found approximants' worst error. Lemma 5 is a consistency check of this code."
    )
    note = (
        "Criterion: (i) a consistency check, not a test of the paper: Lemma 5, bound_k <= sigma_k "
        f"+ {rtol:g} sigma_0 for every k of every random layer. The refined bound is min(worst "
        "error found, sigma_k) and the sample bound starts from the SVD truncation, so (i) can "
        "only fail through a defect of this code; if it fails, C1 is not measurable. (ii) 'much "
        "lower': the mean of bound_k/sigma_k pooled over all layers and all k with sigma_k > "
        f"1e-12 sigma_0 is <= {much_lower_ratio:g}; (iii) 'most of all at low k': the mean "
        "relative gain 1 - bound_k/sigma_k over the low half of the K indices with non-zero "
        "sigma_k (k < (K-1)/2) exceeds that over the high half (k > (K-1)/2) by more than "
        f"{_GAIN_ROUNDING:g} (rounding) in a strict majority of the layers with K >= 2. (ii) and "
        "(iii) are judged on bound_refined, the worst error found off the optimisation sample "
        "(held-out points, gradient ascent on the sphere) of the best approximant found, capped "
        "by sigma_k. That number is a lower estimate of the approximant's worst error on the "
        "sphere, and an upper bound on the ReLU singular value s_k only through the cap. So "
        "'yes' (both hold) says the approximants found beat sigma_k by that much at every point "
        "searched, and 'not supported' (either fails) says they do not: the gap of the paper's "
        "Figure 2, drawn from bound_sample (the worst error over the sample the approximant was "
        "fitted to, reported beside), is then a property of the sample. Neither verdict says "
        "whether s_k itself is much lower than sigma_k: a better approximant than any found may "
        "exist. The gain is relative: the absolute gap sigma_k - bound_k is larger at low k "
        "whenever bound/sigma is constant, because sigma_k is; it is reported per half only."
    )
    if df.empty:
        return _claim("C1", {}, None, [], note + " No random-layer bounds were given.", [],
                      "no data", criterion)
    layers = {}
    checked_on = []
    violations = violations_sample = total_rows = 0
    ratios_all: list[float] = []
    ratios_sample: list[float] = []
    shape_hits = shape_total = 0
    for (shape, layer), group in df.groupby(["shape", "layer"], sort=False):
        group = group.sort_values("k")
        k = group["k"].to_numpy(dtype=int)
        sigma = group["singular_value"].to_numpy(dtype=float)
        refined = _c1_layer(sigma, group["bound_refined"].to_numpy(dtype=float), rtol)
        sample = _c1_layer(sigma, group["bound_sample"].to_numpy(dtype=float), rtol)
        violations += refined["violations"]
        violations_sample += sample["violations"]
        total_rows += int(k.size)
        positive, ratio = refined["positive"], refined["ratio"]
        ratios_all.extend(ratio[positive].tolist())
        ratios_sample.extend(sample["ratio"][positive].tolist())
        # the halves are taken over the indices with a non-zero linear singular value
        big_k = int(positive.sum())
        order = np.cumsum(positive) - 1  # position of k among the non-zero singular values
        mid = (big_k - 1) / 2.0
        low, high = positive & (order < mid), positive & (order > mid)
        gain = 1.0 - ratio
        gain_low, gain_high = _half_means(gain, low, high)
        gap_low, gap_high = _half_means(sigma - group["bound_refined"].to_numpy(dtype=float),
                                        low, high)
        entry = {
            "K": big_k,
            "lemma5_violations": refined["violations"],
            "lemma5_violations_sample": sample["violations"],
            "max_excess_over_sigma": _num(refined["max_excess"]),
            "max_excess_over_sigma_sample": _num(sample["max_excess"]),
            "mean_ratio": _num(np.nanmean(ratio) if positive.any() else None),
            "mean_ratio_sample": _num(np.nanmean(sample["ratio"]) if positive.any() else None),
            "ratio_by_k": [_num(r) for r in ratio],
            "ratio_sample_by_k": [_num(r) for r in sample["ratio"]],
            "mean_gain_low_k": gain_low,
            "mean_gain_high_k": gain_high,
            "mean_gap_low_k": gap_low,
            "mean_gap_high_k": gap_high,
        }
        if low.any() and high.any():
            entry["low_k_gain_exceeds_high_k"] = bool(  # a missing (NaN) bound fails
                None not in (gain_low, gain_high) and gain_low - gain_high > _GAIN_ROUNDING)
            shape_total += 1
            shape_hits += int(entry["low_k_gain_exceeds_high_k"])
        else:
            entry["low_k_gain_exceeds_high_k"] = None
        layers.setdefault(str(shape), {})[str(int(layer))] = entry
        checked_on.append(f"shape {shape}, layer {int(layer)}")
    mean_ratio = float(np.mean(ratios_all)) if ratios_all else None
    mean_ratio_sample = float(np.mean(ratios_sample)) if ratios_sample else None
    low_k_fraction = _fraction(shape_hits, shape_total)
    lemma5 = violations == 0
    much_lower = mean_ratio is not None and mean_ratio <= much_lower_ratio
    low_k = low_k_fraction is not None and low_k_fraction > 0.5
    measured = {
        "judged_on": "bound_refined",
        "layers": layers,
        "lemma5_violations": violations,
        "lemma5_violations_sample": violations_sample,
        "rows_checked": total_rows,
        "lemma5_holds": lemma5,
        "lemma5_holds_sample": violations_sample == 0,
        "mean_ratio": _num(mean_ratio),
        "mean_ratio_sample": _num(mean_ratio_sample),
        "much_lower_threshold": much_lower_ratio,
        "much_lower_holds": much_lower,
        "low_k_gain_fraction": _num(low_k_fraction),
        "low_k_gain_layers": shape_total,
        "low_k_holds": low_k,
        "rtol": rtol,
    }
    if not lemma5:
        holds = None
        not_measurable = [{"network": None, "reason": (
            f"consistency check failed: {violations} refined bounds exceed sigma_k, which "
            "min(found, sigma_k) cannot; the random-layer bounds table is wrong")}]
    else:
        holds = True if much_lower and low_k else NOT_SUPPORTED
        not_measurable = []
    measured["much_lower_and_low_k"] = bool(much_lower and low_k)
    measured["reading"] = _c1_reading(holds, mean_ratio, mean_ratio_sample)
    summary = (
        f"off the sample, the approximants' worst error found is on average "
        f"{_fmt(mean_ratio)} sigma_k (much lower: <= {much_lower_ratio:g}); over the paper's "
        f"optimisation sample {_fmt(mean_ratio_sample)} sigma_k; relative gain larger at low k "
        f"in {shape_hits}/{shape_total} layers; consistency check (Lemma 5) "
        f"{'passed' if lemma5 else 'FAILED'} on {total_rows} rows"
    )
    return _claim("C1", measured, holds, checked_on, note, not_measurable, summary, criterion)
