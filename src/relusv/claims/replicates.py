"""Replicates: claims C2-C6 judged per run of the experiment, counted, and their table.

The workflow may train every network under several seeds; each replicate's tidy frames then
carry an integer ``seed`` column (:func:`relusv.tidy.replicate_seeds`). A *replicate* is one run
of the whole experiment: replicate ``i`` holds the ``i``-th seed of every network (in the order
its frames list them, which is the config's order in the workflow), so replicate 1 of the paper
config is ``mnist_100`` seed 1, ``cifar10_100`` seed 2, ``fashion_mnist_100`` seed 3, ... A
network with fewer seeds takes part in fewer replicates (``mnist_20`` with its one seed only in
replicate 1), and a frame without a ``seed`` column belongs to every replicate.

:func:`per_replicate` judges each replicate with the claim's own criterion, exactly as a single
run is judged (a strict majority of all (network, layer) pairs of the replicate for C3, every
network of the replicate for C2, C4, C5, ...). The claim's *scope* (which networks it is about:
C6 the MNIST networks whenever the run has any) is fixed by the caller on the whole run and is
the same in every replicate; a replicate without a network in scope is not measurable.

Counting. With ``k`` the replicates in which the claim holds, ``n`` those in which it could be
measured and ``m`` those in which it could not, the claim's ``replicates`` field is ``{"holds":
k, "of": n, "not_measurable": m}``, the same for one replicate as for many. Its ``holds`` is
True iff ``k == n > 0``; when ``k == 0 < n``, :data:`~relusv.claims._common.NOT_SUPPORTED` if
every measured replicate is, else False; :data:`~relusv.claims._common.MIXED` (``"mixed"``)
when ``0 < k < n``; None when ``n == 0``. Each replicate's verdict, summary, seeds and numbers
are under ``measured["replicates"]["<i>"]`` (``i`` from 1). With one replicate (no ``seed``
column, or one seed per network) the claim is the one of a single run, unchanged, plus
``replicates``: ``{"holds": 1 or 0, "of": 1, "not_measurable": 0}``, or ``{"holds": 0, "of": 0,
"not_measurable": 1}`` when not measurable (``0`` replicates without any data).

:func:`replicates_table` lays out the numbers each replicate's verdict rests on, one row per
(claim, replicate, network, quantity, layer, subset), in the columns of
:data:`relusv.tidy.REPLICATES`, each row with the outcome of its own test where the criterion
tests that row alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import pandas as pd

from relusv import tidy
from relusv.claims._common import MIXED, NOT_SUPPORTED, _claim

__all__ = ["REPLICATED_CLAIMS", "per_replicate", "replicate_runs", "replicates_table"]

#: The claims judged per replicate: those measured on trained networks (C1 is on random layers,
#: C7 is arithmetic, C8 already pools its architectures over seeds).
REPLICATED_CLAIMS = ("C2", "C3", "C4", "C5", "C6")

_PER_REPLICATE_NOTE = (
    " Replicates: replicate i is run i of the experiment, the i-th seed of every network; each is "
    "judged with this criterion on its own rows, the networks in scope the same in every "
    "replicate. The claim holds iff it holds in every measurable replicate, does not iff it holds "
    "in none, and is 'mixed' otherwise; replicates not measurable are counted apart."
)


def _seed_value(seed):
    """A seed as a table and JSON value: a Python int where it is integral (CSV reads ``3.0``)."""
    try:
        as_float = float(seed)
    except (TypeError, ValueError):
        return seed
    return int(as_float) if as_float.is_integer() else as_float


def _seeds_in_order(df: pd.DataFrame) -> list:
    """The distinct seeds of ``df`` in the order of their first row; [] without a seed column."""
    if "seed" not in df.columns:
        return []
    return [_seed_value(s) for s in pd.unique(df["seed"].dropna())]


def replicate_runs(*frames: Mapping[str, pd.DataFrame]) -> list[dict]:
    """The replicates (runs of the experiment) of a claim's tables: the seed of each network in
    each run.

    Parameters
    ----------
    *frames : dict of network -> DataFrame
        The claim's tables; a network's seeds are those of its ``seed`` columns, in the order of
        their first row (the first table first).

    Returns
    -------
    list of dict network -> seed
        Entry ``i`` holds the ``i``-th seed of every network that has one; as many entries as
        the most seeds of any network; ``[]`` when no table has a seed column. Networks without
        seeds are in no entry: they belong to every replicate.
    """
    seeds: dict[str, list] = {}
    for mapping in frames:
        for network, df in mapping.items():
            known = seeds.setdefault(network, [])
            known.extend(s for s in _seeds_in_order(df) if s not in known)
    runs = max((len(s) for s in seeds.values()), default=0)
    return [{network: s[i] for network, s in seeds.items() if i < len(s)} for i in range(runs)]


def _split(mapping: Mapping[str, pd.DataFrame], run: Mapping) -> dict[str, pd.DataFrame]:
    """The frames of one replicate: each network's rows of its seed in that run; a frame without
    seeds is shared by every replicate, a network without a seed in the run is left out."""
    out = {}
    for network, df in mapping.items():
        if "seed" not in df.columns or not _seeds_in_order(df):
            out[network] = df
        elif network in run:
            out[network] = df[df["seed"].map(_seed_value) == run[network]]
    return out


def _count(verdicts: Iterable) -> dict:
    verdicts = list(verdicts)
    measured = [v for v in verdicts if v is not None]
    return {"holds": sum(v is True for v in measured), "of": len(measured),
            "not_measurable": len(verdicts) - len(measured)}


def _overall(verdicts: Iterable):
    """The verdict over replicates (module docstring) of the replicates' verdicts."""
    measured = [v for v in verdicts if v is not None]
    if not measured:
        return None
    hits = sum(v is True for v in measured)
    if hits == len(measured):
        return True
    if hits:
        return MIXED
    return NOT_SUPPORTED if all(v == NOT_SUPPORTED for v in measured) else False


def run_label(key: str, seeds: Mapping) -> str:
    """How text names a replicate: ``replicate 2 (mnist_100 seed 101, cifar10_100 seed 102)``."""
    listed = ", ".join(f"{network} seed {seed}" for network, seed in seeds.items())
    return f"replicate {key}" + (f" ({listed})" if listed else "")


def per_replicate(judge: Callable[..., dict], *frames: Mapping[str, pd.DataFrame]) -> dict:
    """The claim dict of ``judge(*frames)``, judged per replicate (run) and counted.

    Parameters
    ----------
    judge : callable
        Returns the claim dict of one replicate from mappings network -> DataFrame (one per
        table the claim reads, in the order of ``frames``); the networks it judges (its scope)
        must not depend on which networks a replicate holds, only on the whole run's.
    *frames : dict of network -> DataFrame
        The claim's tables; their ``seed`` columns, if any, define the replicates
        (:func:`replicate_runs`).

    Returns
    -------
    dict
        With one replicate, ``judge(*frames)`` plus its ``replicates`` count; with several, a
        claim dict whose ``holds`` is as the module docstring says and whose
        ``measured["replicates"]["<i>"]`` holds replicate ``i``'s ``holds``, ``summary``,
        ``seeds`` (network -> seed) and ``measured``.
    """
    runs = replicate_runs(*frames)
    if len(runs) <= 1:
        claim = judge(*frames)
        has_data = any(len(mapping) for mapping in frames)
        claim["replicates"] = _count([claim["holds"]] if has_data else [])
        return claim
    claims = {str(i): judge(*(_split(mapping, run) for mapping in frames))
              for i, run in enumerate(runs, start=1)}
    verdicts = [c["holds"] for c in claims.values()]
    counts = _count(verdicts)
    first = next(iter(claims.values()))
    checked_on = [f"{item} (replicate {key})" for key, c in claims.items()
                  for item in c["checked_on"]]
    not_measurable = []
    for (key, c), run in zip(claims.items(), runs, strict=True):
        for entry in c["not_measurable"]:
            entry = dict(entry) if isinstance(entry, Mapping) else {"network": None,
                                                                     "reason": str(entry)}
            not_measurable.append({**entry, "replicate": key,
                                   "seed": run.get(entry.get("network"))})
    measured = {
        "runs": len(runs),
        "replicates": {key: {"holds": c["holds"], "summary": c["summary"], "seeds": dict(run),
                             "measured": c["measured"]}
                       for (key, c), run in zip(claims.items(), runs, strict=True)},
    }
    missing = f", {counts['not_measurable']} not measurable" if counts["not_measurable"] else ""
    summary = f"holds in {counts['holds']} of {counts['of']} replicates{missing}"
    claim = _claim(first["id"], measured, _overall(verdicts), checked_on,
                   first["note"] + _PER_REPLICATE_NOTE, not_measurable, summary,
                   first.get("criterion", ""))
    claim["replicates"] = counts
    return claim


def replicates_of(claim: Mapping):
    """``(key, seeds, holds, summary, measured)`` per replicate of a claim dict, in run order;
    one entry with key None and seeds ``{}`` for a claim judged on a single run."""
    measured = claim.get("measured") or {}
    replicates = measured.get("replicates") if isinstance(measured, Mapping) else None
    if isinstance(replicates, Mapping) and "runs" in measured:
        for key in sorted(replicates, key=int):  # JSON sorts the keys as strings
            entry = replicates[key] or {}
            yield (key, entry.get("seeds") or {}, entry.get("holds"), entry.get("summary"),
                   entry.get("measured") or {})
    else:
        yield None, {}, claim.get("holds"), claim.get("summary"), measured


# --------------------------------------------------------------------------------------------
# the table of the numbers behind each replicate's verdict
# --------------------------------------------------------------------------------------------


def _rows_c2_c4(measured: Mapping, name: str, quantity: str):
    # a level is tested only together with the other layers' (strictly increasing): no row outcome
    for network, entry in (measured.get("networks") or {}).items():
        for subset, levels in (entry.get("subsets") or {}).items():
            for layer, value in (levels.get(name) or {}).items():
                yield network, quantity, int(layer), subset, value, None


def _rows_c3(measured: Mapping):
    for network, entry in (measured.get("networks") or {}).items():
        for layer, values in (entry.get("layers") or {}).items():
            yield (network, "largest_bound_correct_minus_incorrect", int(layer), None,
                   values.get("difference"), values.get("correct_greater"))


def _rows_c5(measured: Mapping):
    for network, entry in (measured.get("networks") or {}).items():
        for layer, values in (entry.get("layers") or {}).items():
            yield (network, "fraction_of_subsamples_beyond_noise", int(layer), None,
                   values.get("subsample_fraction"), values.get("holds"))


def _rows_c6(measured: Mapping):
    for network, entry in (measured.get("networks") or {}).items():
        if entry.get("judged"):
            yield (network, "drop_after_iteration", None, None, entry.get("drop_after_iteration"),
                   entry.get("holds"))


_ROWS = {
    "C2": lambda m: _rows_c2_c4(m, "mean_bound", "bound_level"),
    "C3": _rows_c3,
    "C4": lambda m: _rows_c2_c4(m, "width", "final_width"),
    "C5": _rows_c5,
    "C6": _rows_c6,
}


def replicates_table(claims: Iterable[Mapping]) -> pd.DataFrame:
    """The numbers each replicate's verdict rests on, per claim C2-C6, replicate and network.

    Parameters
    ----------
    claims : list of dict
        Claim dicts (:func:`relusv.claims.evaluate_claims`,
        :func:`relusv.claims.evaluate_pruning_claims`, or :func:`relusv.claims.read_claims`);
        other claims than C2-C6 are skipped.

    Returns
    -------
    DataFrame in the columns of :data:`relusv.tidy.REPLICATES`, one row per (claim, replicate,
    network, quantity, layer, subset): C2 the level (mean bound over the common k) and C4 the
    width at the final checkpoint per subset and layer; C3 the largest bound over correct minus
    that over incorrect data per layer; C5 the fraction of point subsamples whose paired width
    difference exceeds its draw noise per layer; C6, per judged network, the iteration after
    which test accuracy drops for good (NaN: it never does). ``replicate`` and ``seed`` are NA
    for a claim judged on a single run. ``row_holds`` is the outcome of the row's own test: C3
    correct > incorrect in that layer, C5 that layer holds, C6 that network holds; NA for C2 and
    C4, whose levels are tested only together (strictly increasing with depth).
    """
    rows = []
    for claim in claims:
        rows_of = _ROWS.get(claim.get("id"))
        if rows_of is None:
            continue
        for key, seeds, _holds, _summary, measured in replicates_of(claim):
            for network, quantity, layer, subset, value, row_holds in rows_of(measured):
                seed = seeds.get(network)
                rows.append({"claim": claim["id"], "replicate": None if key is None else int(key),
                             "network": network, "seed": None if seed is None else int(seed),
                             "quantity": quantity, "layer": layer, "subset": subset,
                             "value": float("nan") if value is None else float(value),
                             "row_holds": row_holds})
    if not rows:
        return tidy.REPLICATES.empty()
    df = pd.DataFrame(rows, columns=list(tidy.REPLICATES.columns))
    for column in ("replicate", "seed", "layer"):
        df[column] = df[column].astype("Int64")
    df["row_holds"] = df["row_holds"].astype("boolean")
    return df
