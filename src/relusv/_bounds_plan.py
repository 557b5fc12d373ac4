"""How :mod:`relusv._bounds_optimiser` groups ranks into buckets and picks their products.

The ranks of a layer are optimised in buckets of similar size, each padded to its largest rank;
per bucket the cheapest of three ways to order the matrix products of an Adam step is chosen from
an estimate of its flops. The plan depends only on the problem's sizes, never on which ranks were
requested, so a rank's computation is the same whether it runs alone or with all others.
"""

from __future__ import annotations

import math

# Consecutive bucket sizes grow by at most this factor, so that padding a rank k to its bucket's
# size R wastes at most ~30 % (on average ~13 %) of that rank's work.
_BUCKET_GROWTH = 1.3

# The products with an N x ra operand (the factored method's) reach about this much less
# throughput than the N m da products of the dense method; used only to choose the method.
_SKINNY_COST = 1.15

def _step_cost(method: str, ra: int, m: int, da: int, n_points: int) -> float:
    """Estimated cost (flops, weighted) of the matrix products of one Adam step of one rank padded
    to ``ra`` columns of ``U``.

    ``"factored"``: ``Z = U (V A^T)`` and the gradients through ``V A^T`` (products with an
    ``N x ra`` operand); ``"dense"``: ``Z = (U V) A^T`` and ``dLoss/dL = dZ A`` (two products of
    ``N m da`` multiply-adds); ``"mixed"``: the factored forward pass with the dense backward
    pass. The flops of the products with an ``N x ra`` operand count ``_SKINNY_COST`` times, as
    they run that much slower than the others (measured with OpenBLAS, one thread).
    """
    forward_factored = _SKINNY_COST * 2 * n_points * ra * (da + m)
    forward_dense = 2 * n_points * m * da + 2 * m * da * ra
    backward_factored = _SKINNY_COST * 2 * n_points * ra * (2 * m + da)
    backward_dense = 2 * n_points * m * da + 4 * m * da * ra
    if method == "factored":
        return forward_factored + backward_factored
    if method == "mixed":
        return forward_factored + backward_dense
    return forward_dense + backward_dense


_METHODS = ("factored", "mixed", "dense")


def _bucket_plan(max_rank: int, m: int, da: int, n_points: int) -> list[tuple[int, int, str]]:
    """Buckets ``(lo, hi, method)`` covering ranks ``1 .. max_rank``; a bucket pads to ``hi``.

    The plan depends only on the problem's sizes. ``method`` (see :func:`_step_cost`) is the one
    of ``"factored"``, ``"mixed"`` and ``"dense"`` with the smallest estimated cost per Adam
    step at ``hi`` (:func:`_step_cost`; the first of them on a tie).
    """
    plan = []
    lo = 1
    while lo <= max_rank:
        hi = min(max_rank, max(lo, math.floor(lo * _BUCKET_GROWTH)))
        ra = hi + 1  # one more column for the bias (an upper estimate without one)
        costs = [_step_cost(method, ra, m, da, n_points) for method in _METHODS]
        plan.append((lo, hi, _METHODS[costs.index(min(costs))]))
        lo = hi + 1
    return plan


def _task_cost(task, n_points: int, m: int, da: int) -> float:
    """Rough flops per Adam step of one task, to start the most expensive tasks first."""
    ranks, R, method, _ = task
    return len(ranks) * (_step_cost(method, R + 1, m, da, n_points) + 40 * m * n_points)
