"""The ``relusv`` command: the paper's analyses of a user's MLP on an ``.npz`` of data.

``relusv analyse MODEL DATA --out DIR`` (also ``python -m relusv analyse ...``; the console script
is ``.venv/bin/relusv``) checks the model, the data and the output directory at once, before any
expensive work, then writes into ``DIR`` (:data:`OUTPUT_FILES`):

- ``subsets.json``: the correctly and incorrectly classified points of equal size
  (:func:`relusv.subsets.select_subsets`), and the accuracy on the data;
- ``bounds.csv`` (:data:`relusv.tidy.BOUNDS`) and ``fig3_relu_singular_values.{pdf,png}``: the
  data-dependent ReLU singular value bounds and linear singular values of every hidden layer over
  both subsets (:func:`relusv.analyses.network_bounds`);
- ``widths.csv``, ``widths_paired.csv``, ``widths_subsamples.csv`` and
  ``fig4_gaussian_mean_width.{pdf,png}``: the Gaussian mean widths with standard errors, their
  paired differences, and claim C5 over random point subsamples;
- ``summary.md`` and ``claims.json``: the verdicts of claims C2-C5 for this network, and which
  points every number comes from;
- with ``--prune``: ``pruning.csv`` and ``fig5_harmonic_pruning.{pdf,png}``
  (:func:`relusv.pruning.harmonic_pruning` on the three disjoint splits of
  :func:`relusv.analyse_data.pruning_splits`: the test accuracy is on held-out points);
- ``provenance.json``: the arguments, the outputs, the package versions.

MODEL is a Keras model (``.keras``, ``.h5``: :func:`relusv.models.canonical_mlp`, Dropout and the
like left out, BatchNormalization folded) or a PyTorch-style state_dict of Linear layers
(``.safetensors``, ``.npz``: :mod:`relusv.foreign_weights`; no framework needed). TensorFlow is
imported only for a Keras model or ``--prune`` (which retrains with Keras), with its start-up
messages hidden unless ``--verbose`` (:mod:`relusv.quiet_tensorflow`). Progress goes to stderr
(:mod:`relusv.progress`). ``docs/analyse.md`` is the user's guide.
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: The defaults of the options: those of ``config/config.yaml`` (``subsets``, ``bounds``,
#: ``widths``, ``pruning``), checked against it by tests/test_cli.py; the split fractions are
#: the command's own.
DEFAULTS = {
    "max_size": 1000, "min_size": 10, "subset_seed": 0,
    "steps": 500, "bounds_learning_rate": 0.1, "approximant_bias": "free", "method": "tight",
    "tight_steps": 200, "error_power": 3.0, "choose_start_at": 25, "row_space": True,
    "paper_reference": False,
    "n_draws": 100, "width_seed": 0, "subsamples": 100, "subsample_fraction": 0.5,
    "retrain_batches": 50, "retrain_batch_size": 1024, "accuracy_drop": 0.005,
    "retrain_every": 10, "rank_threshold": 10, "pruning_learning_rate": 0.001,
    "pruning_seed": 0, "val_fraction": 0.2, "test_fraction": 0.2, "split_seed": 0,
}

#: The plot style of the figures: config/config.yaml's ``plot`` section.
PLOT_STYLE = {"context": "paper", "font_scale": 1.0, "dpi": 200}

#: The epoch written into the widths tables: the model as given is the only checkpoint.
EPOCH = 0

#: Every file ``relusv analyse`` may write into ``--out``: what ``--overwrite`` removes.
OUTPUT_FILES = (
    "subsets.json", "bounds.csv", "widths.csv", "widths_paired.csv", "widths_subsamples.csv",
    "fig3_relu_singular_values.pdf", "fig3_relu_singular_values.png",
    "fig4_gaussian_mean_width.pdf", "fig4_gaussian_mean_width.png", "pruning.csv",
    "fig5_harmonic_pruning.pdf", "fig5_harmonic_pruning.png", "claims.json", "summary.md",
    "provenance.json",
)

#: Model file suffixes: Keras models, and state_dict weights (:mod:`relusv.foreign_weights`).
KERAS_SUFFIXES, WEIGHTS_SUFFIXES = (".keras", ".h5"), (".safetensors", ".npz")

def _paragraphs(*paragraphs: str) -> str:
    """Paragraphs filled to 78 columns (the help keeps these line breaks as they are)."""
    return "\n\n".join(textwrap.fill(p, 78) for p in paragraphs)


DESCRIPTION = _paragraphs(
    "The paper's analyses of your own MLP: the ReLU singular value bounds and Gaussian mean "
    "widths of every hidden layer over the points of DATA it classifies correctly and "
    "incorrectly, the verdicts of claims C2-C5, and with --prune harmonic pruning measured on "
    "held-out points.",
    "MODEL is a Keras model (.keras, .h5) of Dense ReLU hidden layers and a linear or softmax "
    "Dense output (Dropout and similar layers are left out, BatchNormalization is folded into "
    "the Dense layer next to it), or the weights of an MLP from any framework as a "
    "PyTorch-style state_dict of Linear layers in .safetensors or .npz ('0.weight' of shape "
    "(out, in), '0.bias', '2.weight', ...). DATA is an .npz with the arrays x and y (or x_test "
    "and y_test).")

PRUNING_HELP = _paragraphs(
    "Pruning retrains on one set of points, decides on a second (validation) and reports test "
    "accuracy on a third, held out: the arrays x_train/y_train, x_val/y_val, x_test/y_test of "
    "DATA or --prune-data where given, else a seeded split of DATA's points.")

EPILOG = """\
example:
  relusv analyse digits_mlp.keras digits_test.npz --out my_analysis --prune

The outputs (bounds.csv, widths.csv, summary.md, figures, ...) and the data
--prune uses are described in docs/analyse.md."""


class UsageError(ValueError):
    """A model, data file or output directory the command cannot use (exit status 2)."""


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the description's line breaks; adds "(default: X)" where a default means something
    and the help does not state it, and "(required)" to required options."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.required and action.option_strings:
            return f"{text} (required)"
        if ("default" not in text and action.option_strings and action.default is not None
                and action.default is not False and action.default != argparse.SUPPRESS):
            text += " (default: %(default)s)"
        return text


def _version() -> str:
    from relusv import __version__

    return f"relusv {__version__}"


def _parser() -> argparse.ArgumentParser:
    # numpy only: the choices are the library's own, so they cannot drift
    from relusv.singular_values import APPROXIMANT_BIASES, METHODS

    d = DEFAULTS
    parser = argparse.ArgumentParser(
        prog="relusv", formatter_class=_HelpFormatter,
        description="Singular values for ReLU layers: the paper's analyses of your own MLP.")
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = commands.add_parser(
        "analyse", help="bounds, widths, claims C2-C5 and harmonic pruning of your MLP",
        formatter_class=_HelpFormatter, description=DESCRIPTION, epilog=EPILOG)
    p.add_argument("--version", action="version", version=_version())
    p.add_argument("model", type=Path, metavar="MODEL",
                   help="the network: a Keras model (.keras, .h5) or a state_dict of Linear "
                        "layers (.safetensors, .npz)")
    p.add_argument("data", type=Path, metavar="DATA",
                   help=".npz with x and y (or x_test and y_test): the points analysed")
    p.add_argument("--out", type=Path, required=True, metavar="DIR",
                   help="output directory; created if missing, and it must be empty unless "
                        "--overwrite is given")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the results of an earlier run in --out: first removes every "
                        "file relusv analyse writes there (a directory holding other files is "
                        "still refused)")
    p.add_argument("--name", metavar="NAME",
                   help="the network's name in the tables and figures (default: MODEL's file "
                        "name without its suffix)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="show TensorFlow's and CUDA's start-up messages, hidden by default")
    g = p.add_argument_group("subsets of correctly and incorrectly classified points "
                             "(config: subsets)")
    g.add_argument("--max-size", type=int, default=d["max_size"], metavar="N",
                   help="most points in each subset")
    g.add_argument("--min-size", type=int, default=d["min_size"], metavar="N",
                   help="fewer misclassified points than this: the correct/incorrect "
                        "comparison is reported as not measurable")
    g.add_argument("--subset-seed", type=int, default=d["subset_seed"], metavar="SEED",
                   help="seed of the draw of the subsets' points")
    g = p.add_argument_group("ReLU singular value bounds (config: bounds)")
    g.add_argument("--method", choices=METHODS, default=d["method"],
                   help="tight: exact where the mathematics allows, elsewhere Adam aimed at the "
                        "max-error; paper: the paper's procedure")
    g.add_argument("--steps", type=int, default=d["steps"], metavar="N",
                   help="most Adam steps per rank of the paper's procedure")
    g.add_argument("--tight-steps", type=int, default=d["tight_steps"], metavar="N",
                   help="tight: most Adam steps per rank")
    g.add_argument("--error-power", type=float, default=d["error_power"], metavar="P",
                   help="tight: Adam minimises the sum of (squared error)^P (1: the paper's)")
    g.add_argument("--choose-start-at", type=int, default=d["choose_start_at"], metavar="N",
                   help="tight: after N steps only the better of the two starts goes on")
    g.add_argument("--row-space", action=argparse.BooleanOptionalAction,
                   default=d["row_space"],
                   help="tight: search approximants in the row space of W (cheaper on input "
                        "layers, a few percent looser there)")
    g.add_argument("--paper-reference", action=argparse.BooleanOptionalAction,
                   default=d["paper_reference"],
                   help="tight: also run the paper's procedure (column paper_bound; no bound "
                        "above it)")
    g.add_argument("--bounds-learning-rate", type=float, default=d["bounds_learning_rate"],
                   metavar="RATE", help="Adam step size, relative to the scale of W")
    g.add_argument("--approximant-bias", choices=APPROXIMANT_BIASES,
                   default=d["approximant_bias"],
                   help="free: the affine approximant's bias is optimised; fixed: it is the "
                        "layer's own bias")
    g = p.add_argument_group("Gaussian mean widths (config: widths)")
    g.add_argument("--n-draws", type=int, default=d["n_draws"], metavar="N",
                   help="Gaussian draws per width")
    g.add_argument("--width-seed", type=int, default=d["width_seed"], metavar="SEED",
                   help="seed of the Gaussian draws")
    g.add_argument("--subsamples", type=int, default=d["subsamples"], metavar="N",
                   help="claim C5: random point subsamples of both subsets (at least 20)")
    g.add_argument("--subsample-fraction", type=float, default=d["subsample_fraction"],
                   metavar="F", help="claim C5: each subsample's share of the smaller subset")
    g = p.add_argument_group("harmonic pruning (config: pruning)", PRUNING_HELP)
    g.add_argument("--prune", action="store_true",
                   help="also run harmonic pruning (pruning.csv, Figure 5); needs TensorFlow")
    g.add_argument("--prune-data", type=Path, metavar="FILE",
                   help=".npz with splits of their own for --prune (x_train/y_train, "
                        "x_val/y_val, x_test/y_test, any of them)")
    g.add_argument("--val-fraction", type=float, default=d["val_fraction"], metavar="F",
                   help="share of DATA's points split off for validation when there is no "
                        "x_val")
    g.add_argument("--test-fraction", type=float, default=d["test_fraction"], metavar="F",
                   help="share of DATA's points held out for testing when there is no x_test")
    g.add_argument("--split-seed", type=int, default=d["split_seed"], metavar="SEED",
                   help="seed of that split")
    g.add_argument("--retrain-batches", type=int, default=d["retrain_batches"], metavar="N",
                   help="mini-batches per retraining")
    g.add_argument("--retrain-batch-size", type=int, default=d["retrain_batch_size"],
                   metavar="N", help="points per retraining mini-batch")
    g.add_argument("--accuracy-drop", type=float, default=d["accuracy_drop"], metavar="F",
                   help="retrain when the validation accuracy falls more than this (a "
                        "fraction) below that before pruning")
    g.add_argument("--retrain-every", type=int, default=d["retrain_every"], metavar="N",
                   help="also retrain every N iterations")
    g.add_argument("--rank-threshold", type=int, default=d["rank_threshold"], metavar="R",
                   help="also retrain while some layer's rank is below R (0: never)")
    g.add_argument("--pruning-learning-rate", type=float, default=d["pruning_learning_rate"],
                   metavar="RATE", help="Adam's learning rate when retraining")
    g.add_argument("--pruning-seed", type=int, default=d["pruning_seed"], metavar="SEED",
                   help="seed of the retraining mini-batches")
    g.add_argument("--max-iterations", type=int, default=None, metavar="N",
                   help="stop pruning after iteration N (default: when no rank is left)")
    return parser


# --------------------------------------------------------------------------------------------
# the checks before any work


def _check_options(args) -> None:
    from relusv._validation import (
        check_nonnegative_int,
        check_optional_int,
        check_positive_int,
        check_positive_real,
        check_real,
    )

    for name in ("max_size", "min_size", "steps", "tight_steps", "choose_start_at", "n_draws",
                 "retrain_batches", "retrain_batch_size", "retrain_every"):
        check_positive_int(getattr(args, name), f"--{name.replace('_', '-')}")
    for name in ("subset_seed", "width_seed", "split_seed", "pruning_seed", "rank_threshold"):
        check_nonnegative_int(getattr(args, name), f"--{name.replace('_', '-')}")
    for name in ("bounds_learning_rate", "pruning_learning_rate"):
        check_positive_real(getattr(args, name), f"--{name.replace('_', '-')}")
    check_optional_int(args.max_iterations, "--max-iterations", 0)
    for name in ("val_fraction", "test_fraction"):
        check_real(getattr(args, name), f"--{name.replace('_', '-')}", low=0.0, high=1.0,
                   low_open=True, high_open=True)
    check_real(args.accuracy_drop, "--accuracy-drop", low=0.0, high=1.0)
    check_real(args.error_power, "--error-power", low=1.0)
    if args.subsamples < 20:
        raise UsageError(f"--subsamples must be at least 20 (95 % of them must be more than all "
                         f"but one), got {args.subsamples}")
    check_real(args.subsample_fraction, "--subsample-fraction", low=0.0, high=1.0,
               low_open=True)
    if args.prune_data is not None and not args.prune:
        raise UsageError("--prune-data is only read by --prune; add --prune or leave it out")
    inputs = [args.model, args.data] + ([args.prune_data] if args.prune_data else [])
    for path in inputs:
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
    if args.model.suffix not in KERAS_SUFFIXES + WEIGHTS_SUFFIXES:
        raise UsageError(f"{args.model}: expected a Keras model ({', '.join(KERAS_SUFFIXES)}) "
                         f"or a state_dict of Linear layers ({', '.join(WEIGHTS_SUFFIXES)}), "
                         f"got the suffix {args.model.suffix or 'none'!r}")


_TEMPORARY = re.compile(r"^\.(?P<stem>[\w.-]+)\.[0-9a-f]{32}\.tmp(?P<suffix>\.\w+)$")


def _ours(path: Path) -> bool:
    """Whether ``path`` is a file this command writes (or a temporary file of one, left by a
    killed run: :func:`relusv.files.atomic_path`)."""
    if not path.is_file() or path.is_symlink():
        return False
    match = _TEMPORARY.match(path.name)
    name = f"{match['stem']}{match['suffix']}" if match else path.name
    return name in OUTPUT_FILES


def check_output_dir(out: Path, overwrite: bool) -> list[Path]:
    """The files an earlier run left in ``out``, which ``--overwrite`` will remove.

    Raises
    ------
    UsageError
        ``out`` is a file; ``out`` is not empty and ``overwrite`` is False; or ``out`` holds
        anything this command does not write (never removed: another directory is safer).
    """
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: is a file; expected a directory")
    if not out.exists():
        return []
    entries = sorted(out.iterdir())
    if entries and not overwrite:
        raise UsageError(f"--out {out}: holds {len(entries)} entries already (e.g. "
                         f"{entries[0].name!r}); an output directory holds one run: give an "
                         "empty or new directory, or --overwrite to replace an earlier run")
    foreign = [entry.name for entry in entries if not _ours(entry)]
    if foreign:
        raise UsageError(f"--out {out}: holds {foreign[:5]}, which relusv analyse does not "
                         "write; --overwrite removes only its own files: give an empty or new "
                         "directory")
    return entries


# --------------------------------------------------------------------------------------------
# the network


@dataclass
class Network:
    """The network analysed, in numpy.

    Attributes
    ----------
    name : str
    layers : list of relusv.weights.LayerWeights
        Hidden ReLU layers and the linear output (logits).
    kind : str
        What MODEL is, for the summary.
    identity : list of (str, str)
        Keras layers left out as the identity at inference, ``(name, class)``.
    folded : list of (str, str, str)
        BatchNormalization layers folded into a Dense layer (``(bn, dense, "after"|"before")``).
    """

    name: str
    layers: list
    kind: str
    identity: list = field(default_factory=list)
    folded: list = field(default_factory=list)

    @property
    def input_dim(self) -> int:
        return int(self.layers[0].shape[0])

    @property
    def classes(self) -> int:
        return int(self.layers[-1].shape[1])

    @property
    def widths(self) -> list[int]:
        return [int(layer.shape[1]) for layer in self.layers[:-1]]


def load_network(path: Path, name: str, *, verbose: bool = False) -> Network:
    """MODEL as a :class:`Network`: a Keras model, a state_dict file or relusv's weights file.

    Raises
    ------
    UsageError
        Naming the file and the layer or array that the analyses do not apply to.
    """
    if path.suffix in WEIGHTS_SUFFIXES:
        from relusv.foreign_weights import layers_from_state_dict, read_arrays
        from relusv.weights import FORMAT, load_network_weights

        try:
            arrays = read_arrays(path)
            if "format" in arrays and str(arrays["format"]) == FORMAT:
                return Network(name, load_network_weights(path),
                               f"relusv network weights ({FORMAT})")
            layers = layers_from_state_dict(arrays, source=str(path))
        except ValueError as error:
            raise UsageError(str(error)) from None
        return Network(name, layers, f"state_dict of {len(layers)} Linear layers "
                                     "(ReLU after each but the last, which gives the logits)")
    from relusv.quiet_tensorflow import import_keras

    keras = import_keras(verbose)
    from relusv.models import analysable_structure, canonical_mlp
    from relusv.weights import network_weights

    try:
        user_model = keras.models.load_model(path, compile=False)
    except Exception as error:  # keras raises many types for a file it cannot read
        raise UsageError(f"{path}: cannot load it as a Keras model: "
                         f"{type(error).__name__}: {error}") from error
    try:
        structure = analysable_structure(user_model)
        layers = network_weights(canonical_mlp(user_model, name=name))
    except ValueError as error:
        raise UsageError(f"{path}: {error}") from None
    return Network(name, layers, f"Keras model ({structure.output_activation} output)",
                   list(structure.identity), list(structure.folded))


def _pruning_state(layers):
    """The :class:`relusv.pruning.PruningState` of the layers (dense hidden layers factored at
    full rank, as :func:`relusv.pruning.state_from_model` does)."""
    from relusv.layers import double_dense_factors
    from relusv.pruning import PruningState

    vs, us, bs = [], [], []
    for layer in layers[:-1]:
        v, u = (layer.factors if layer.factors is not None
                else double_dense_factors(layer.kernel, min(layer.kernel.shape)))
        vs.append(v)
        us.append(u)
        bs.append(layer.bias)
    return PruningState(vs, us, bs, layers[-1].kernel, layers[-1].bias)


def _ranks(layers) -> int:
    return sum(layer.factors[0].shape[1] if layer.factors is not None else min(layer.shape)
               for layer in layers[:-1])


# --------------------------------------------------------------------------------------------
# the command


def analyse(args: argparse.Namespace, progress=None) -> dict[str, Path]:
    """Run ``relusv analyse`` with parsed arguments; returns the files written, by name.

    Every check (options, files, output directory, model, data, pruning splits) comes before
    any expensive work and before ``--overwrite`` removes anything.
    """
    from relusv.analyse_data import load_data, pruning_splits
    from relusv.progress import Progress

    _check_options(args)
    earlier = check_output_dir(args.out, args.overwrite)
    progress = Progress(0) if progress is None else progress
    name = args.name or args.model.stem
    with progress:
        progress.stage("loading %s", args.model)
        network = load_network(args.model, name, verbose=args.verbose)
        try:
            data = load_data(args.data, input_dim=network.input_dim, classes=network.classes,
                             prune=args.prune, prune_path=args.prune_data)
            splits = pruning_splits(
                data, val_fraction=args.val_fraction, test_fraction=args.test_fraction,
                split_seed=args.split_seed) if args.prune else None
        except ValueError as error:
            raise UsageError(str(error)) from None
        if splits is not None and "tensorflow" not in sys.modules:
            from relusv.quiet_tensorflow import import_keras

            progress.stage("loading TensorFlow for the retraining of --prune")
            import_keras(args.verbose)
        for path in earlier:
            path.unlink()
        if earlier:
            progress.note("--overwrite: removed %d files of an earlier run from %s",
                          len(earlier), args.out)
        return _run(args, network, data, splits, progress)


def _run(args, network: Network, data, splits, progress) -> dict[str, Path]:
    import pandas as pd

    from relusv.analyses import gather_network_bounds, layer_widths_and_differences, network_bounds
    from relusv.claims import evaluate_claims
    from relusv.files import write_csv, write_json, write_text
    from relusv.plotting import (
        draw_figure,
        plot_gaussian_mean_width,
        plot_harmonic_pruning,
        plot_relu_singular_values,
    )
    from relusv.provenance import provenance_record
    from relusv.subsets import select_subsets
    from relusv.weights import hidden_layer_weights, predict_classes_from_weights
    from relusv.width_subsamples import subsampled_width_differences

    out, name = args.out, network.name
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    weights = hidden_layer_weights(network.layers)
    x, y = data["x"], data["y"]
    predicted = predict_classes_from_weights(network.layers, x)
    accuracy = float(np.mean(predicted == y))
    subsets = select_subsets(y, predicted, max_size=args.max_size, min_size=args.min_size,
                             seed=args.subset_seed)
    summary = {"network": name, "accuracy": accuracy, "n_points": len(y), **subsets.summary()}
    split = {"correct": x[subsets.correct], "incorrect": x[subsets.incorrect]}
    pairs = [(layer, subset) for layer in range(1, len(weights) + 1)
             for subset in split if len(split[subset])]
    pruning_units = 0
    if splits is not None:
        pruning_units = _ranks(network.layers) + 1
        if args.max_iterations is not None:
            pruning_units = min(pruning_units, args.max_iterations + 1)
    progress.add_total(len(pairs) + 3 + pruning_units)
    progress.stage("accuracy %.4f on the %d points of %s; subsets of %d correct and %d "
                   "incorrect points", accuracy, len(y), args.data.name, len(subsets.correct),
                   len(subsets.incorrect))
    files["subsets"] = out / "subsets.json"
    write_json(files["subsets"], summary)

    bounds_options = dict(
        steps=args.steps, learning_rate=args.bounds_learning_rate,
        approximant_bias=args.approximant_bias, method=args.method, tight_steps=args.tight_steps,
        error_power=args.error_power, choose_start_at=args.choose_start_at,
        row_space=args.row_space, paper_reference=args.paper_reference)
    with progress.capture_logs():
        parts = []
        for layer, subset in pairs:
            progress.status("bounds of layer %d over the %s points", layer, subset)
            parts.append(network_bounds(name, weights, {subset: split[subset]}, layers=[layer],
                                        **bounds_options))
            progress.advance()
        bounds = (gather_network_bounds(parts) if parts
                  else network_bounds(name, weights, split, **bounds_options))
        progress.stage("Gaussian mean widths of %d layers, %d draws", len(weights),
                       args.n_draws)
        widths, differences = layer_widths_and_differences(
            name, EPOCH, weights, split, n_draws=args.n_draws, seed=args.width_seed)
        progress.advance()
        progress.stage("claim C5: widths over %d random subsamples", args.subsamples)
        subsamples = subsampled_width_differences(
            name, EPOCH, weights, split, n_subsamples=args.subsamples,
            fraction=args.subsample_fraction, n_draws=args.n_draws, seed=args.width_seed)
        progress.advance()
        pruning = None
        if splits is not None:
            from relusv.pruning import harmonic_pruning, pruning_frame

            progress.stage("harmonic pruning: retraining on %s, deciding on %s, testing on %s",
                           splits.describe("train"), splits.describe("val"),
                           splits.describe("test"))

            def on_record(record, _state):
                progress.advance()
                progress.status("pruning iteration %d: ranks %s, test accuracy %.4f",
                               record["iteration"], record["ranks"], record["test_accuracy"])

            records = harmonic_pruning(
                _pruning_state(network.layers), splits.arrays,
                retrain_batches=args.retrain_batches,
                retrain_batch_size=args.retrain_batch_size, accuracy_drop=args.accuracy_drop,
                retrain_every=args.retrain_every, rank_threshold=args.rank_threshold,
                max_iterations=args.max_iterations, learning_rate=args.pruning_learning_rate,
                seed=args.pruning_seed, on_record=on_record)
            pruning = pruning_frame(records)
            pruning.insert(0, "network", name)
            progress.finish()

    progress.stage("writing tables and figures")
    files["bounds"], files["widths"] = out / "bounds.csv", out / "widths.csv"
    files["widths_paired"] = out / "widths_paired.csv"
    files["widths_subsamples"] = out / "widths_subsamples.csv"
    write_csv(files["bounds"], bounds)
    write_csv(files["widths"], widths)
    write_csv(files["widths_paired"], differences)
    write_csv(files["widths_subsamples"], subsamples)
    figures = [("fig3_relu_singular_values", plot_relu_singular_values, {name: bounds}),
               ("fig4_gaussian_mean_width", plot_gaussian_mean_width, {name: widths})]
    if pruning is not None:
        files["pruning"] = out / "pruning.csv"
        write_csv(files["pruning"], pruning)
        figures.append(("fig5_harmonic_pruning", plot_harmonic_pruning,
                        {name: pd.read_csv(files["pruning"])}))
    for stem, plot, frames in figures:
        files[stem] = out / f"{stem}.pdf"
        files[f"{stem}_png"] = out / f"{stem}.png"
        draw_figure(PLOT_STYLE, files[stem], files[f"{stem}_png"], plot, frames)

    claims = [claim for claim in evaluate_claims(
        None, {name: bounds}, {name: widths}, {name: subsets.summary()},
        width_differences={name: differences}, width_subsamples={name: subsamples})
        if claim["id"] != "C1"]
    files["claims"], files["summary"] = out / "claims.json", out / "summary.md"
    write_json(files["claims"], claims)
    write_text(files["summary"],
               summary_markdown(network, args, summary, claims, pruning, splits))
    files["provenance"] = out / "provenance.json"
    inputs = [args.model, args.data] + ([args.prune_data] if args.prune_data else [])
    record = provenance_record(rule="relusv analyse", params=_jsonable_args(args), inputs=inputs)
    write_json(files["provenance"], {**record, "outputs": {k: str(v) for k, v in files.items()}})
    progress.advance()
    progress.status("done")
    progress.note("wrote %d files to %s; start with %s", len(files), out, files["summary"])
    return files


def _jsonable_args(args: argparse.Namespace) -> dict:
    return {key: str(value) if isinstance(value, Path) else value
            for key, value in vars(args).items()}


def _names(pairs) -> str:
    return ", ".join(f"'{a}' ({b})" for a, b in pairs)


def summary_markdown(network: Network, args, summary: dict, claims: Sequence[dict], pruning,
                     splits=None) -> str:
    """The Markdown summary: the network, which points every number comes from, the pruning
    results, and claims C2-C5 as the claims report renders them
    (:func:`relusv.claims.claims_markdown`, headings one level down)."""
    from relusv.claims import claims_markdown

    lines = [f"# relusv analyse: {network.name}", "",
             f"- model: `{args.model}`, a {network.kind}: {network.input_dim} inputs, hidden "
             f"widths {network.widths}, {network.classes} classes"]
    if network.identity:
        lines.append(f"- left out as the identity at inference: {_names(network.identity)}")
    if network.folded:
        lines.append("- BatchNormalization folded exactly into the Dense layer next to it: "
                     + ", ".join(f"'{bn}' into the {'outputs' if where == 'after' else 'inputs'}"
                                 f" of '{dense}'" for bn, dense, where in network.folded))
    lines += [
        f"- data: the {summary['n_points']} points of `{args.data}`; the accuracy, the subsets, "
        "the bounds, the widths and claims C2-C5 are all on these points (if the model was "
        "trained on them, the accuracy is a training accuracy)",
        f"- accuracy of the model as given: {summary['accuracy']:.4f}",
        f"- subsets: {summary['size']} correct and {summary['size']} incorrect points "
        f"({summary['n_correct_available']} correct and "
        f"{summary['n_incorrect_available']} incorrect available)"
        + ("" if summary["measurable"] else f"; not measurable: {summary['reason']}")]
    if pruning is not None and splits is not None:
        first, last = pruning.iloc[0], pruning.iloc[-1]
        lines += [
            "", "## Harmonic pruning", "",
            f"- retraining between steps on {splits.describe('train')}",
            f"- every decision on {splits.describe('val')}: the `val_accuracy` columns of "
            "`pruning.csv` are measured on the points pruning chose by, so they are no "
            "estimate of accuracy on new points",
            f"- test accuracy on {splits.describe('test')}, held out: neither retrained on "
            "nor decided on",
            f"- {len(pruning) - 1} iterations, from {int(first['parameters'])} to "
            f"{int(last['parameters'])} parameters; test accuracy {first['test_accuracy']:.4f} "
            f"before pruning, {last['test_accuracy']:.4f} at the end (`pruning.csv`, "
            "`fig5_harmonic_pruning.png`)",
        ]
    report = claims_markdown(claims)
    lines += ["", *("#" + line if line.startswith("#") else line
                    for line in report.splitlines())]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``relusv`` console script; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.verbose:
        from relusv.quiet_tensorflow import quiet_environment

        quiet_environment()  # before anything imports TensorFlow
    try:
        analyse(args)
    except (UsageError, ValueError) as error:
        parser.exit(2, f"relusv {args.command}: error: {error}\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
