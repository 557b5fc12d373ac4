"""The claims report: claim dicts merged, and written as ``claims.json`` and a Markdown page.

A claim dict has the keys ``id``, ``statement`` (the paper's claim), ``where`` (figure),
``measured`` (the numbers behind the verdict), ``holds`` (a verdict of
:data:`relusv.claims._common.VERDICT_WORDS`: ``True``, ``False``, ``"mixed"`` when it holds in
some replicates but not all, ``"not supported"``, or ``None`` when nothing could be measured),
``checked_on`` (what was checked) and ``note`` (the exact criterion); those of
:mod:`relusv.claims.spectral` and :mod:`relusv.claims.pruning` also have ``not_measurable``,
``summary`` (one line), ``criterion`` (the criterion in a sentence or two), and C2-C6
``replicates`` (``{"holds": k, "of": n, "not_measurable": m}``, :mod:`relusv.claims.replicates`).
Only ``id`` and ``holds`` are required here; any claim dict of that shape can be merged and
written. The page (:func:`claims_markdown`) is a summary table (claim, the paper's number, ours,
verdict, k of n replicates), then per claim its criterion and its numbers as small tables; the
JSON keeps every number.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from relusv.claims._common import _fmt, _num, _pct, check_verdict, verdict_word
from relusv.claims.replicates import replicates_of
from relusv.files import write_text
from relusv.paper import PAPER_HEADLINES

__all__ = ["claims_markdown", "merge_claims", "read_claims", "write_claims"]


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


#: The counts of a claim's ``replicates`` field.
_REPLICATE_KEYS = ("holds", "of", "not_measurable")


def _check_claim(claim, index: int) -> dict:
    if not isinstance(claim, Mapping):
        raise TypeError(f"claims[{index}] must be a dict, got {type(claim).__name__}")
    if not isinstance(claim.get("id"), str) or not claim["id"]:
        raise ValueError(f"claims[{index}] needs a non-empty string 'id', got {claim.get('id')!r}")
    try:
        holds = check_verdict(claim.get("holds"), f"claim {claim['id']}: 'holds'")
    except ValueError as error:
        raise ValueError(f"{error}; 'holds' must be one of relusv.claims._common.VERDICT_WORDS"
                         ) from None
    replicates = claim.get("replicates")
    if replicates is not None and not (
            isinstance(replicates, Mapping) and set(replicates) == set(_REPLICATE_KEYS)
            and all(isinstance(replicates[k], numbers.Integral)
                    and not isinstance(replicates[k], bool) and replicates[k] >= 0
                    for k in _REPLICATE_KEYS)):
        raise ValueError(f"claim {claim['id']}: 'replicates' must be a dict of the non-negative "
                         f"integers {list(_REPLICATE_KEYS)}, got {replicates!r}")
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


def _counts(claim: Mapping) -> dict:
    """A claim's ``replicates`` count; for a claim judged once without one (C1, C7, C8), the
    count of that single run, by the same rule (:mod:`relusv.claims.replicates`)."""
    counts = claim.get("replicates")
    if isinstance(counts, Mapping):
        return dict(counts)
    holds = claim.get("holds")
    return ({"holds": 0, "of": 0, "not_measurable": 1} if holds is None else
            {"holds": int(holds is True), "of": 1, "not_measurable": 0})


def _k_of_n(claim: Mapping) -> str:
    """``k of n``, with ``, m not measurable`` when there are such replicates."""
    counts = _counts(claim)
    missing = (f", {counts['not_measurable']} not measurable"
               if counts.get("not_measurable") else "")
    return f"{counts.get('holds', 0)} of {counts.get('of', 0)}{missing}"


def _holds_text(claim: Mapping) -> str:
    """The verdict word (:data:`relusv.claims._common.VERDICT_WORDS`), **no** in bold."""
    word = verdict_word(claim.get("holds"))
    return f"**{word}**" if claim.get("holds") is False else word


def _cell(text) -> str:
    return str(text).replace("|", r"\|").replace("\n", " ").strip()


def _table(header: list[str], rows: list[list]) -> list[str]:
    """A Markdown table; cells are formatted with :func:`_fmt` (None as ``n/a``)."""
    out = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for row in rows:
        out.append("| " + " | ".join(_cell(_fmt(v) if not isinstance(v, str) else v)
                                     for v in row) + " |")
    return out


def _runs(claim: Mapping):
    """``(label, seeds, holds, measured)`` per replicate; label "" for a single run."""
    for key, seeds, holds, _summary, measured in replicates_of(claim):
        yield ("" if key is None else key), seeds, holds, measured


def _yes_no(value) -> str:
    return {True: "yes", False: "no"}.get(value, "n/a")


def _layer_keys(entries) -> list[str]:
    layers = sorted({int(k) for entry in entries for k in entry}, key=int)
    return [str(layer) for layer in layers]


def _network_rows(claim: Mapping, cells):
    """Rows ``[replicate, network, seed, *cells(network, entry)]`` over every replicate's
    networks; the first two columns are dropped for a single run."""
    rows, several = [], False
    for label, seeds, _holds, measured in _runs(claim):
        several = several or bool(label)
        for network, entry in (measured.get("networks") or {}).items():
            for extra in cells(network, entry):
                seed = seeds.get(network)
                rows.append([label, network, "" if seed is None else str(seed), *extra])
    if not several:
        rows = [row[1:2] + row[3:] for row in rows]
    return rows, several


def _with_run_columns(several: bool, header: list[str]) -> list[str]:
    return (["replicate", "network", "seed"] if several else ["network"]) + header


# --- the "ours" cell of the summary table and each claim's small tables ---------------------


def _ours_c1(claim):
    m = claim.get("measured") or {}
    if not m:
        return "no data"
    layers = m.get("low_k_gain_layers") or 0
    hits = round((m.get("low_k_gain_fraction") or 0) * layers)
    return (f"worst error found off the sample {_fmt(m.get('mean_ratio'))} sigma_k, on the "
            f"sample {_fmt(m.get('mean_ratio_sample'))} sigma_k (mean); gain larger at low k in "
            f"{hits} of {layers} layers")


def _mean_of(entries, key):
    """The mean of ``entry[key]`` over the entries that have it, None if none has."""
    values = [e[key] for e in entries if e.get(key) is not None]
    return _num(np.mean(values)) if values else None


def _tables_c1(claim):
    layers = (claim.get("measured") or {}).get("layers") or {}
    rows = []
    for shape, by_layer in layers.items():
        entries = list(by_layer.values())
        low = [e.get("low_k_gain_exceeds_high_k") for e in entries]
        rows.append([shape, str(len(entries)), _mean_of(entries, "mean_ratio_sample"),
                     _mean_of(entries, "mean_ratio"),
                     f"{sum(v is True for v in low)} of {sum(v is not None for v in low)}",
                     str(sum(int(e.get("lemma5_violations") or 0) for e in entries))])
    reading = (claim.get("measured") or {}).get("reading")
    return [*_table(["shape", "layers", "sample bound / sigma_k (paper's method)",
                     "worst error found off the sample / sigma_k", "gain larger at low k",
                     "Lemma 5 violations"], rows), *(["", reading] if reading else [])]


def _depth_ours(claim, what):
    hit = total = 0
    for _label, _seeds, _holds, measured in _runs(claim):
        for entry in (measured.get("networks") or {}).values():
            total += 1
            hit += bool(entry.get("holds"))
    return f"{what} increasing with depth in {hit} of {total} networks (over replicates)"


def _tables_depth(claim, key):
    def cells(network, entry):
        for subset, levels in (entry.get("subsets") or {}).items():
            values = levels.get(key) or {}
            yield [subset, *(values.get(str(layer)) for layer in layers),
                   _yes_no(levels.get("increasing"))]
    layers = _layer_keys(levels.get(key) or {} for _l, _s, _h, m in _runs(claim)
                         for e in (m.get("networks") or {}).values()
                         for levels in (e.get("subsets") or {}).values())
    rows, several = _network_rows(claim, cells)
    return _table(_with_run_columns(several, ["subset", *(f"layer {x}" for x in layers),
                                              "increasing"]), rows)


def _ours_c3(claim):
    hit = total = 0
    for _label, _seeds, _holds, measured in _runs(claim):
        for entry in (measured.get("networks") or {}).values():
            for values in (entry.get("layers") or {}).values():
                total += 1
                hit += bool(values.get("correct_greater"))
    return f"correct > incorrect in {hit} of {total} (network, layer) pairs (over replicates)"


def _tables_c3(claim):
    layers = _layer_keys(e.get("layers") or {} for _l, _s, _h, m in _runs(claim)
                         for e in (m.get("networks") or {}).values())

    def cells(network, entry):
        values = entry.get("layers") or {}
        yield [*((values.get(x) or {}).get("difference") for x in layers),
               f"{sum(bool(v.get('correct_greater')) for v in values.values())} of {len(values)}"]
    rows, several = _network_rows(claim, cells)
    return _table(_with_run_columns(several, [*(f"layer {x}: correct - incorrect" for x in layers),
                                              "correct greater"]), rows)


def _ours_c5(claim):
    hit = total = 0
    for _label, _seeds, _holds, measured in _runs(claim):
        for entry in (measured.get("networks") or {}).values():
            for values in (entry.get("layers") or {}).values():
                total += 1
                hit += bool(values.get("holds"))
    return f"{hit} of {total} (network, layer) pairs beyond noise in >= 95 % of subsamples"


def _tables_c5(claim):
    layers = _layer_keys(e.get("layers") or {} for _l, _s, _h, m in _runs(claim)
                         for e in (m.get("networks") or {}).values())

    def cells(network, entry):
        values = entry.get("layers") or {}
        yield [*(f"{_pct((values.get(x) or {}).get('subsample_fraction'))} (z "
                 f"{_fmt((values.get(x) or {}).get('paired_z'))})" for x in layers),
               _yes_no(entry.get("holds"))]
    rows, several = _network_rows(claim, cells)
    return [*_table(_with_run_columns(several, [*(f"layer {x}" for x in layers), "holds"]), rows),
            "", "Per layer: the share of subsamples whose paired difference exceeds the noise "
            "of its draws (z: that of all points, for reference)."]


def _ours_c6(claim):
    parts = []
    for _label, _seeds, _holds, measured in _runs(claim):
        for entry in (measured.get("networks") or {}).values():
            if entry.get("judged"):
                drop = entry.get("drop_after_iteration")
                parts.append("never" if drop is None else
                             f"{drop} at ranks {tuple(entry.get('ranks_before_drop') or ())}")
    return ("below 50 % after iteration " + "; ".join(parts)) if parts else "not measurable"


def _tables_c6(claim):
    def cells(network, entry):
        drop = entry.get("drop_after_iteration")
        yield [entry.get("dataset") or "n/a", _yes_no(entry.get("judged")),
               "never" if drop is None else str(drop),
               str(tuple(entry.get("ranks_before_drop") or ())) if drop is not None else "",
               _fmt(100 * entry["largest_drop"]) if entry.get("largest_drop") is not None
               else "n/a", _yes_no(entry.get("holds"))]
    rows, several = _network_rows(claim, cells)
    return _table(_with_run_columns(several, [
        "dataset", "judged", "below 50 % after iteration", "ranks there",
        "largest drop while large (pp)", "holds"]), rows)


def _ours_c7(claim):
    m = claim.get("measured") or {}
    return f"{m['double_parameters']:,} and {m['dense_parameters']:,} parameters"


def _tables_c7(claim):
    m = claim.get("measured") or {}
    paper = m["paper"]
    return _table(["network", "ours", "paper"], [
        ["double-layers, ranks (18, 8, 6)", f"{m['double_parameters']:,}",
         f"{paper['double_parameters']:,}"],
        ["dense (100, 100, 100)", f"{m['dense_parameters']:,}",
         f"{paper['dense_parameters']:,}"]])


def _ours_c8(claim):
    parts = []
    for network, entry in ((claim.get("measured") or {}).get("networks") or {}).items():
        if entry.get("judged"):
            arch = entry.get("architectures") or {}
            dense = arch.get(entry.get("dense_architecture")) or {}
            double = arch.get(entry.get("double_architecture")) or {}
            parts.append(f"{network}: dense {_pct(dense.get('test_accuracy_mean'))}, "
                         f"double-layers {_pct(double.get('test_accuracy_mean'))}, pruned net "
                         f"{_pct(entry.get('trained_double_test_accuracy'))}")
    return "; ".join(parts) or "not measurable"


def _tables_c8(claim):
    rows = []
    for network, entry in ((claim.get("measured") or {}).get("networks") or {}).items():
        for name, stats in (entry.get("architectures") or {}).items():
            rows.append([network, name, str(stats.get("runs")),
                         f"{_pct(stats.get('test_accuracy_mean'))} ± "
                         f"{_pct(stats.get('test_accuracy_std'))}",
                         _yes_no(entry.get("judged"))])
    return _table(["network", "architecture", "runs", "test accuracy (mean ± SD)", "judged"],
                  rows)


#: Per claim id: the "ours" cell of the summary table, and the claim's small tables.
_RENDER = {
    "C1": (_ours_c1, _tables_c1),
    "C2": (lambda c: _depth_ours(c, "bound levels"), lambda c: _tables_depth(c, "mean_bound")),
    "C3": (_ours_c3, _tables_c3),
    "C4": (lambda c: _depth_ours(c, "final widths"), lambda c: _tables_depth(c, "width")),
    "C5": (_ours_c5, _tables_c5),
    "C6": (_ours_c6, _tables_c6),
    "C7": (_ours_c7, _tables_c7),
    "C8": (_ours_c8, _tables_c8),
}


def _ours(claim: Mapping) -> str:
    render = _RENDER.get(claim.get("id"))
    try:
        return render[0](claim) if render else str(claim.get("summary") or "")
    except (KeyError, TypeError, ValueError, AttributeError):  # a claim dict of another shape
        return str(claim.get("summary") or "")


def _section(claim: Mapping) -> list[str]:
    lines = ["", f"## {claim['id']}: {claim.get('statement', '')}", ""]
    where = f" ({claim['where']})" if claim.get("where") else ""
    criterion = claim.get("criterion") or claim.get("note") or ""
    lines.append(f"**Verdict: {verdict_word(claim.get('holds'))}, {_k_of_n(claim)}**{where}. "
                 f"{criterion}")
    runs = [(label, seeds, holds) for label, seeds, holds, _m in _runs(claim) if label]
    if runs:
        lines += ["", "Replicates: " + "; ".join(
            f"{label} {verdict_word(holds)}" for label, _seeds, holds in runs) + "."]
    render = _RENDER.get(claim.get("id"))
    if render:
        try:
            table = render[1](claim)
        except (KeyError, TypeError, ValueError, AttributeError):
            table = []
        if len(table) > 2:
            lines += ["", *table]
    elif claim.get("summary"):
        lines += ["", str(claim["summary"])]
    missing = claim.get("not_measurable") or []
    if missing:
        lines.append("")
        for entry in missing:
            if isinstance(entry, Mapping):
                where_ = ", ".join(f"{k} {entry[k]}" for k in ("replicate", "seed")
                                   if entry.get(k) is not None)
                who = entry.get("network") or "the claim"
                lines.append(f"- not measurable: {who}{f' ({where_})' if where_ else ''}: "
                             f"{entry.get('reason')}")
            else:
                lines.append(f"- not measurable: {entry}")
    return lines


def claims_markdown(claims: Iterable[Mapping]) -> str:
    """The claims page: a summary table (claim, the paper's number, ours, verdict, k of n), then
    per claim its criterion in a sentence or two and its numbers as small tables, one row per
    network and replicate. The full numbers and criteria stay in ``claims.json``."""
    claims = list(claims)
    lines = [
        "# The paper's claims, measured",
        "",
        "Verdicts: yes, **no**, mixed (holds in some replicates, not all), not supported (the "
        "evidence could have supported the claim and does not, without refuting it), not "
        "measurable. A replicate is one run of the experiment: the i-th seed of every network; "
        "k of n counts the replicates in which the claim holds among those in which it could "
        "be measured. Every criterion in full, and every number, is in `results/claims.json`.",
        "",
        "| claim | paper | ours | verdict | k of n |",
        "| --- | --- | --- | --- | --- |",
    ]
    for claim in claims:
        paper = PAPER_HEADLINES.get(claim["id"], claim.get("statement", ""))
        lines.append(f"| {_cell(claim['id'])} | {_cell(paper)} | {_cell(_ours(claim))} "
                     f"| {_holds_text(claim)} | {_k_of_n(claim)} |")
    for claim in claims:
        lines += _section(claim)
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
