"""Replicates: claims C2-C6 judged per seed, their verdicts counted over seeds, and their table.

The workflow may train every network under several seeds; each replicate's tidy frames then
carry an integer ``seed`` column (:func:`relusv.tidy.replicate_seeds`). :func:`per_replicate`
splits the frames of one claim into replicates and judges each with the claim's own criterion,
exactly as a single run is judged: a replicate of network ``a`` with seed 3 is network ``a`` on
the rows of seed 3. A frame without a ``seed`` column (or with no seed in it) belongs to every
replicate.

Counting. With ``k`` the replicates in which the claim holds, ``n`` those in which it could be
measured and ``m`` those in which it could not, the claim's ``replicates`` field is ``{"holds":
k, "of": n, "not_measurable": m}``, and its ``holds`` is True iff ``k == n > 0``, False iff ``k
== 0 < n``, :data:`relusv.claims._common.MIXED` (``"mixed"``) otherwise, and None when ``n ==
0``. Each replicate's verdict, summary and numbers are under ``measured["replicates"][seed]``.
With one replicate (no ``seed`` column, or a single seed) the claim is the one of a single run,
unchanged, plus ``replicates``: ``{"holds": 1 or 0, "of": 1, "not_measurable": 0}``, or ``{"holds":
0, "of": 0, "not_measurable": 1}`` when not measurable (``0`` replicates without any data).

:func:`replicates_table` lays out the number each replicate's verdict rests on, one row per
(claim, network, seed, quantity, layer, subset), in the columns of
:data:`relusv.tidy.REPLICATES`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import pandas as pd

from relusv import tidy
from relusv.claims._common import MIXED, _claim
from relusv.tidy import replicate_seeds

__all__ = ["REPLICATED_CLAIMS", "per_replicate", "replicates_table"]

#: The claims judged per replicate: those measured on trained networks (C1 is on random layers,
#: C7 is arithmetic, C8 already pools its architectures over seeds).
REPLICATED_CLAIMS = ("C2", "C3", "C4", "C5", "C6")

_PER_REPLICATE_NOTE = (
    " Replicates: each seed of the networks is judged on its own rows with this criterion; the "
    "claim holds iff it holds in every measurable replicate, does not iff it holds in none, and "
    "is 'mixed' otherwise; replicates not measurable are counted apart."
)


def _seed_key(seed) -> str:
    """A seed as a JSON key: ``3`` (also for ``3.0`` read back from a CSV with missing values)."""
    if isinstance(seed, float) and seed.is_integer():
        seed = int(seed)
    return str(seed)


def _seed_value(seed):
    """A seed as a table value: a Python int where it is integral."""
    try:
        as_float = float(seed)
    except (TypeError, ValueError):
        return seed
    return int(as_float) if as_float.is_integer() else as_float


def _split(frames: Mapping[str, pd.DataFrame], seed) -> dict[str, pd.DataFrame]:
    """The frames of replicate ``seed``: each network's rows of that seed; a frame without
    seeds is shared by every replicate, a network without rows of that seed left out."""
    out = {}
    for network, df in frames.items():
        seeds = replicate_seeds(df)
        if not seeds:
            out[network] = df
        elif seed in seeds:
            out[network] = df[df["seed"] == seed]
    return out


def _count(verdicts: Iterable) -> dict:
    verdicts = list(verdicts)
    measured = [v for v in verdicts if v is not None]
    return {"holds": sum(v is True for v in measured), "of": len(measured),
            "not_measurable": len(verdicts) - len(measured)}


def _overall(counts: Mapping):
    if counts["of"] == 0:
        return None
    if counts["holds"] == counts["of"]:
        return True
    return False if counts["holds"] == 0 else MIXED


def per_replicate(judge: Callable[..., dict], *frames: Mapping[str, pd.DataFrame]) -> dict:
    """The claim dict of ``judge(*frames)``, judged per replicate (seed) and counted.

    Parameters
    ----------
    judge : callable
        Returns the claim dict of one replicate from mappings network -> DataFrame (one per
        table the claim reads, in the order of ``frames``).
    *frames : dict of network -> DataFrame
        The claim's tables; their ``seed`` columns, if any, define the replicates.

    Returns
    -------
    dict
        With one replicate, ``judge(*frames)`` plus its ``replicates`` count; with several, a
        claim dict whose ``holds`` is True, False, ``"mixed"`` or None (module docstring) and
        whose ``measured["replicates"][seed]`` holds each replicate's ``holds``, ``summary``
        and ``measured``.
    """
    seeds = sorted({s for mapping in frames for df in mapping.values()
                    for s in replicate_seeds(df)})
    if len(seeds) <= 1:
        claim = judge(*frames)
        has_data = any(len(mapping) for mapping in frames)
        claim["replicates"] = _count([claim["holds"]] if has_data else [])
        return claim
    claims = {_seed_key(s): judge(*(_split(mapping, s) for mapping in frames)) for s in seeds}
    counts = _count(c["holds"] for c in claims.values())
    first = next(iter(claims.values()))
    checked_on = [f"{item} (seed {key})" for key, c in claims.items() for item in c["checked_on"]]
    not_measurable = [{**entry, "seed": key} if isinstance(entry, Mapping)
                      else {"network": None, "seed": key, "reason": str(entry)}
                      for key, c in claims.items() for entry in c["not_measurable"]]
    measured = {
        "seeds": [_seed_value(s) for s in seeds],
        "replicates": {key: {"holds": c["holds"], "summary": c["summary"],
                             "measured": c["measured"]} for key, c in claims.items()},
    }
    missing = f", {counts['not_measurable']} not measurable" if counts["not_measurable"] else ""
    summary = (f"holds in {counts['holds']} of {counts['of']} seeds{missing}: "
               + "; ".join(f"seed {key}: {c['summary']}" for key, c in claims.items()))
    claim = _claim(first["id"], measured, _overall(counts), checked_on,
                   first["note"] + _PER_REPLICATE_NOTE, not_measurable, summary)
    claim["replicates"] = counts
    return claim


# --------------------------------------------------------------------------------------------
# the table of the numbers behind each replicate's verdict
# --------------------------------------------------------------------------------------------


def _rows_c2_c4(measured: Mapping, name: str, quantity: str):
    for network, entry in (measured.get("networks") or {}).items():
        for subset, levels in (entry.get("subsets") or {}).items():
            for layer, value in (levels.get(name) or {}).items():
                yield network, quantity, int(layer), subset, value


def _rows_c3(measured: Mapping):
    for network, entry in (measured.get("networks") or {}).items():
        for layer, values in (entry.get("layers") or {}).items():
            yield (network, "largest_bound_correct_minus_incorrect", int(layer), None,
                   values.get("difference"))


def _rows_c5(measured: Mapping):
    for network, entry in (measured.get("networks") or {}).items():
        for layer, values in (entry.get("layers") or {}).items():
            yield network, "paired_difference_over_stderr", int(layer), None, values.get("paired_z")


def _rows_c6(measured: Mapping):
    for network, entry in (measured.get("networks") or {}).items():
        yield network, "drop_after_iteration", None, None, entry.get("drop_after_iteration")


_ROWS = {
    "C2": lambda m: _rows_c2_c4(m, "mean_bound", "bound_level"),
    "C3": _rows_c3,
    "C4": lambda m: _rows_c2_c4(m, "width", "final_width"),
    "C5": _rows_c5,
    "C6": _rows_c6,
}


def _replicates_of(claim: Mapping):
    """``(seed, holds, measured)`` per replicate of a claim dict; seed None for a single run."""
    measured = claim.get("measured") or {}
    replicates = measured.get("replicates") if isinstance(measured, Mapping) else None
    if isinstance(replicates, Mapping) and "seeds" in measured:
        for seed in measured["seeds"]:  # in seed order: JSON sorts the keys as strings
            entry = replicates.get(_seed_key(seed)) or {}
            yield seed, entry.get("holds"), entry.get("measured") or {}
    else:
        yield None, claim.get("holds"), measured


def replicates_table(claims: Iterable[Mapping]) -> pd.DataFrame:
    """The number each replicate's verdict rests on, per claim C2-C6, network and seed.

    Parameters
    ----------
    claims : list of dict
        Claim dicts (:func:`relusv.claims.evaluate_claims`,
        :func:`relusv.claims.evaluate_pruning_claims`, or :func:`relusv.claims.read_claims`);
        other claims than C2-C6 are skipped.

    Returns
    -------
    DataFrame in the columns of :data:`relusv.tidy.REPLICATES`, one row per (claim, network,
    seed, quantity, layer, subset): C2 the level (mean bound over the common k) and C4 the width
    at the final checkpoint per subset and layer; C3 the largest bound over correct minus that
    over incorrect data per layer; C5 the paired width difference over its standard error per
    layer at the final checkpoint; C6 the iteration after which test accuracy drops for good
    (NaN: it never does). ``seed`` is NA for a claim judged on a single run; ``replicate_holds``
    is the claim's verdict in that replicate.
    """
    rows = []
    for claim in claims:
        rows_of = _ROWS.get(claim.get("id"))
        if rows_of is None:
            continue
        for seed, holds, measured in _replicates_of(claim):
            for network, quantity, layer, subset, value in rows_of(measured):
                rows.append({"claim": claim["id"], "network": network, "seed": seed,
                             "quantity": quantity, "layer": layer, "subset": subset,
                             "value": float("nan") if value is None else float(value),
                             "replicate_holds": holds})
    if not rows:
        return tidy.REPLICATES.empty()
    df = pd.DataFrame(rows, columns=list(tidy.REPLICATES.columns))
    df["seed"] = df["seed"].astype("Int64") if df["seed"].map(
        lambda s: s is None or isinstance(s, int)).all() else df["seed"]
    df["layer"] = df["layer"].astype("Int64")
    return df
