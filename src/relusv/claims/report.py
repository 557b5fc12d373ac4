"""The claims report: claim dicts merged, and written as ``claims.json`` and a Markdown page.

A claim dict has the keys ``id``, ``statement`` (the paper's claim), ``where`` (figure),
``measured`` (the numbers behind the verdict), ``holds`` (``True``, ``False``, ``"mixed"`` when
it holds in some replicates but not all, or ``None`` when nothing could be measured),
``checked_on`` (what was checked) and ``note`` (the exact criterion); those of
:mod:`relusv.claims.spectral` and :mod:`relusv.claims.pruning` also have ``not_measurable`` and
``summary`` (one line for the table), and C2-C6 ``replicates`` (``{"holds": k, "of": n,
"not_measurable": m}``, :mod:`relusv.claims.replicates`), which the page renders as "k of n
seeds" once there is more than one replicate. Only ``id`` and ``holds`` are required here; any
claim dict of that shape can be merged and written.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from relusv.claims._common import MIXED, _num
from relusv.files import write_text

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
    holds = claim.get("holds")
    if isinstance(holds, np.bool_):
        holds = bool(holds)
    if not (holds in (True, False, None) or holds == MIXED):
        raise ValueError(f"claim {claim['id']}: 'holds' must be true, false, {MIXED!r} or null, "
                         f"got {holds!r}")
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


def _holds_text(claim: Mapping) -> str:
    """``yes``, ``**no**``, ``mixed`` or ``not measurable``; with several replicates followed by
    ``(k of n seeds)`` and the number not measurable."""
    holds = claim.get("holds")
    text = MIXED if holds == MIXED else {True: "yes", False: "**no**",
                                         None: "not measurable"}[holds]
    counts = claim.get("replicates")
    if isinstance(counts, Mapping) and counts.get("of", 0) + counts.get("not_measurable", 0) > 1:
        missing = (f", {counts['not_measurable']} not measurable"
                   if counts.get("not_measurable") else "")
        text += f" ({counts.get('holds', 0)} of {counts.get('of', 0)} seeds{missing})"
    return text


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
            f"| {_cell(_measured_line(claim))} | {_holds_text(claim)} |"
        )
    for claim in claims:
        lines += ["", f"## {claim['id']}: {claim.get('statement', '')}", ""]
        if claim.get("where"):
            lines.append(f"- where: {claim['where']}")
        lines.append(f"- holds: {_holds_text(claim)}")
        checked = claim.get("checked_on") or []
        lines.append(f"- checked on: {'; '.join(map(str, checked)) if checked else 'nothing'}")
        for entry in claim.get("not_measurable") or []:
            if isinstance(entry, Mapping):
                seed = f" (seed {entry['seed']})" if entry.get("seed") is not None else ""
                lines.append(f"- not measurable: {entry.get('network')}{seed}: "
                             f"{entry.get('reason')}")
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
