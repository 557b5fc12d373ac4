"""What claims C1-C8 share: the claim dict, and how its numbers are stored and printed.

No pandas, no Keras: the claim modules (:mod:`relusv.claims.spectral`,
:mod:`relusv.claims.pruning`) and the report writer (:mod:`relusv.claims.report`) import these
helpers from here and nowhere else.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from relusv.paper import CLAIMS

#: The verdict of a claim judged over several replicates (runs of the experiment) that holds in
#: some of the measurable ones but not in all (:mod:`relusv.claims.replicates`).
MIXED = "mixed"

#: The verdict of a claim whose evidence could have supported it and did not, but cannot refute
#: it either: C1's "much lower" judged on estimates of the approximants' worst error, which bound
#: the ReLU singular values ``s_k`` from neither side (:mod:`relusv.claims.spectral`).
NOT_SUPPORTED = "not supported"

#: Every verdict a claim (or one replicate of it) can have, and how the report writes it: ``True``
#: holds, ``False`` does not hold, :data:`MIXED`, :data:`NOT_SUPPORTED`, ``None`` not measurable.
#: One definition: the claim modules, the replicate counts, the report and the tables use it.
VERDICT_WORDS = {True: "yes", False: "no", MIXED: MIXED, NOT_SUPPORTED: NOT_SUPPORTED,
                 None: "not measurable"}


def check_verdict(holds, what: str):
    """``holds`` as one of the keys of :data:`VERDICT_WORDS` (numpy booleans become Python ones).

    Raises
    ------
    ValueError
        Naming ``what`` and the allowed verdicts, for anything else.
    """
    if isinstance(holds, np.bool_):
        holds = bool(holds)
    if holds is None or holds is True or holds is False or holds in (MIXED, NOT_SUPPORTED):
        return holds
    raise ValueError(f"{what}: a verdict must be true, false, {MIXED!r}, {NOT_SUPPORTED!r} or "
                     f"null (not measurable), got {holds!r}")


def verdict_word(holds) -> str:
    """The word the report writes for a verdict: ``yes``, ``no``, ``mixed``, ``not supported``
    or ``not measurable``."""
    return VERDICT_WORDS[check_verdict(holds, "verdict")]


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
    """``hits / total``, or None when nothing was counted."""
    return None if total == 0 else hits / total


def _fmt(value, digits: int = 3) -> str:
    """A number for a one-line summary: ``digits`` significant digits, ``n/a`` for None."""
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def _pct(value) -> str:
    """A fraction as a percentage with one decimal (``0.523`` -> ``52.3 %``), ``n/a`` for None."""
    return "n/a" if value is None else f"{100 * value:.1f} %"


def _claim(cid: str, measured, holds, checked_on, note, not_measurable, summary,
           criterion: str = "") -> dict:
    """The claim dict of claim ``cid``, with the paper's statement and figure from
    :data:`relusv.paper.CLAIMS`.

    Parameters
    ----------
    cid : str
        ``"C1"`` ... ``"C8"``.
    measured : dict
        The numbers behind the verdict, per network and layer.
    holds : bool, None, :data:`MIXED` or :data:`NOT_SUPPORTED`
        The verdict (:data:`VERDICT_WORDS`); None when nothing could be measured, ``"mixed"``
        when it holds in some replicates but not in all.
    checked_on : iterable of str
        What was checked.
    note : str
        The exact criterion, and anything the reader should know.
    not_measurable : iterable of dict
        ``{"network", "reason"}`` for each network left out.
    summary : str
        One line for tables.
    criterion : str
        The criterion in a sentence or two, for the claims page (``note`` has it in full).

    Returns
    -------
    dict with the keys ``id, statement, where, measured, holds, checked_on, note,
    not_measurable, summary, criterion``.
    """
    statement, where = CLAIMS[cid]
    return {
        "id": cid,
        "statement": statement,
        "where": where,
        "measured": measured,
        "holds": check_verdict(holds, f"claim {cid}"),
        "checked_on": list(checked_on),
        "note": note,
        "not_measurable": list(not_measurable),
        "summary": summary,
        "criterion": criterion,
    }
