"""The paper's constants: its claims as stated, the numbers it reports, and the section V-C nets.

One definition of each, without Keras, imported by claims, tables, pruning and the from-scratch
comparison. The statements follow docs/method.md section 8; the numbers are those the paper prints.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["CLAIMS", "PAPER_HEADLINES", "PAPER_NUMBERS", "SECTION_VC_ARCHITECTURES",
           "architecture_name"]

#: The paper's claims as docs/method.md section 8 states them, and where the paper shows them.
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
    "C6": (
        "harmonic pruning on MNIST holds test accuracy nearly constant until the network nearly "
        "vanishes; below 50 % only after iteration ~268, at ranks ~(18, 8, 6)",
        "Fig. 5",
    ),
    "C7": (
        "CIFAR-10, widths (100, 100, 100): double-layers with ranks (18, 8, 6) have 61,206 "
        "parameters, the dense net 328,510",
        "Sec. V-C",
    ),
    "C8": (
        "CIFAR-10 from scratch: dense widths (20, 9, 7) reach ~40 %, double-layers (100, 100, 100) "
        "ranks (18, 8, 6) ~50 %; the double-layer MLP that was pruned reached ~52 %",
        "Sec. V-C",
    ),
}

#: What the paper shows for each claim, in a few words: the "paper" column of the claims page's
#: summary table (its numbers for C6-C8 are those of :data:`PAPER_NUMBERS`).
PAPER_HEADLINES = {
    "C1": "bounds well below sigma_k in Fig. 2, most at low k",
    "C2": "layer 1 < layer 2 < layer 3",
    "C3": "correct > incorrect",
    "C4": "layer 1 < layer 2 < layer 3",
    "C5": "correct > incorrect, every layer",
    "C6": "MNIST: flat, then < 50 % after iteration ~268, ranks ~(18, 8, 6)",
    "C7": "61,206 and 328,510 parameters",
    "C8": "dense ~40 %, double-layers ~50 %, pruned net ~52 %",
}

#: The paper's numbers for C6-C8, reported beside the measured ones.
PAPER_NUMBERS = {
    "C6": {"dataset": "MNIST", "drop_after_iteration": 268,
           "ranks_before_drop": [18, 8, 6], "initial_ranks": [100, 100, 100], "threshold": 0.5},
    "C7": {"input_dim": 3072, "widths": [100, 100, 100], "ranks": [18, 8, 6], "classes": 10,
           "double_parameters": 61206, "dense_parameters": 328510},
    "C8": {"dataset": "CIFAR-10", "dense (20, 9, 7)": 0.40,
           "double (100, 100, 100) ranks (18, 8, 6)": 0.50, "pruned double-layer MLP": 0.52},
}


def architecture_name(widths: Sequence[int], ranks: Sequence[int] | None) -> str:
    """How tables and claims name an MLP: ``"dense (20, 9, 7)"`` or
    ``"double (100, 100, 100) ranks (18, 8, 6)"``."""
    widths = tuple(int(w) for w in widths)
    if ranks is None:
        return f"dense {widths}"
    return f"double {widths} ranks {tuple(int(r) for r in ranks)}"


#: The three MLPs of section V-C (claims C7, C8), in the paper's order: the dense network that
#: was pruned, its double-layer version at the ranks where pruning failed, and a dense network
#: of those widths.
SECTION_VC_ARCHITECTURES = tuple(
    {"name": architecture_name(widths, ranks), "widths": widths, "ranks": ranks}
    for widths, ranks in (((100, 100, 100), None), ((100, 100, 100), (18, 8, 6)),
                          ((20, 9, 7), None))
)
