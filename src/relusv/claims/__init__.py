"""The paper's checkable claims C1-C8 (docs/method.md section 8), measured on tidy tables.

- :mod:`relusv.claims.spectral`: C1-C5, the ReLU singular value bounds of random layers and of
  trained networks, and Gaussian mean widths (Figures 2-4, Appendix A):
  :func:`evaluate_claims` (C1, Figure 2's random layers, in :mod:`relusv.claims.random_layers`);
- :mod:`relusv.claims.pruning`: C6-C8, harmonic pruning, double-layer parameter counts and small
  networks trained from scratch (section V): :func:`evaluate_pruning_claims`;
- :mod:`relusv.claims.report`: :func:`merge_claims`, :func:`claims_markdown`,
  :func:`write_claims` (``claims.json`` and a Markdown page) and :func:`read_claims`;
- :mod:`relusv.claims.replicates`: C2-C6 judged per replicate when the networks were trained
  under several seeds, a replicate being one run of the experiment (the i-th seed of every
  network), counted "k of n" in ``replicates``; and :func:`replicates_table`, the numbers behind
  each replicate's verdict, each with the outcome of its own test.

Each claim module's docstring states its criteria, fixed before any data are seen and not
adjusted to the results. Verdicts (:data:`relusv.claims._common.VERDICT_WORDS`): ``True``,
``False`` (does not hold), ``"mixed"`` (over replicates), ``"not supported"`` (C1: the evidence
could have supported the claim and did not, without refuting it), ``None`` (not measurable, with
the reason). The statements and the paper's numbers come from
:mod:`relusv.paper`, the tables' columns from :mod:`relusv.tidy`. No Keras: the claims rule does
not import TensorFlow.
"""

from relusv.claims.pruning import evaluate_pruning_claims
from relusv.claims.replicates import replicates_table
from relusv.claims.report import claims_markdown, merge_claims, read_claims, write_claims
from relusv.claims.spectral import evaluate_claims

__all__ = [
    "claims_markdown",
    "evaluate_claims",
    "evaluate_pruning_claims",
    "merge_claims",
    "read_claims",
    "replicates_table",
    "write_claims",
]
