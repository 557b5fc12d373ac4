"""The ``relusv`` command: the paper's analyses of a user's saved Keras MLP on an ``.npz`` of data.

``relusv analyse MODEL DATA --out DIR`` (also ``python -m relusv analyse ...``) checks the model
and the data at once (:func:`relusv.models.canonical_mlp`, the arrays' names, shapes and labels),
before any expensive work, then writes into ``DIR``:

- ``subsets.json``: the correctly and incorrectly classified points of equal size
  (:func:`relusv.subsets.select_subsets`), and the accuracy on the data;
- ``bounds.csv`` (:data:`relusv.tidy.BOUNDS`) and ``fig3_relu_singular_values.{pdf,png}``: the
  data-dependent ReLU singular value bounds and linear singular values of every hidden layer over
  both subsets (:func:`relusv.analyses.network_bounds`);
- ``widths.csv`` (:data:`relusv.tidy.WIDTHS`, epoch 0: the model as given),
  ``widths_paired.csv`` (:data:`relusv.tidy.WIDTH_DIFFERENCES`),
  ``widths_subsamples.csv`` (:data:`relusv.tidy.WIDTH_SUBSAMPLES`, claim C5 over random point
  subsamples) and ``fig4_gaussian_mean_width.{pdf,png}``: the Gaussian mean widths with
  standard errors;
- ``summary.md`` and ``claims.json``: the verdicts of claims C2-C5 for this network
  (:func:`relusv.claims.evaluate_claims`, the criteria of the claims report);
- with ``--prune``: ``pruning.csv`` and ``fig5_harmonic_pruning.{pdf,png}``
  (:func:`relusv.pruning.harmonic_pruning`);
- ``provenance.json``: the arguments, the outputs, the package versions
  (:func:`relusv.provenance.provenance_record`).

DATA holds ``x`` and ``y``, or ``x_test`` and ``y_test`` (a prepared file of the workflow); the
subsets are drawn from those points, as the workflow draws them from its pool. Harmonic pruning
decides on a validation split: ``x_val``/``y_val`` when present, else ``--val-fraction`` of the
points, drawn with ``--split-seed`` (:func:`pruning_data`); it retrains on ``x_train``/``y_train``
when present, else on the points that are not in the validation split (then its test accuracy is
measured on points it retrains on). Progress goes to stderr as plain lines (tqdm is not a pinned
dependency).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

#: The defaults of the options: those of ``config/config.yaml`` (``subsets``, ``bounds``,
#: ``widths``, ``pruning``), checked against it by tests/test_cli.py.
DEFAULTS = {
    "max_size": 1000, "min_size": 10, "subset_seed": 0,
    "steps": 500, "bounds_learning_rate": 0.1, "approximant_bias": "free",
    "n_draws": 100, "width_seed": 0, "subsamples": 100, "subsample_fraction": 0.5,
    "retrain_batches": 50, "retrain_batch_size": 1024, "accuracy_drop": 0.005,
    "retrain_every": 10, "rank_threshold": 10, "pruning_learning_rate": 0.001,
    "pruning_seed": 0, "val_fraction": 0.2, "split_seed": 0,
}

#: The plot style of the figures: config/config.yaml's ``plot`` section.
PLOT_STYLE = {"context": "paper", "font_scale": 1.0, "dpi": 200}

#: The epoch written into the widths tables: the model as given is the only checkpoint.
EPOCH = 0

log = logging.getLogger("relusv.cli")


class UsageError(ValueError):
    """A model or data file that the analyses do not apply to (exit status 2)."""


def _parser() -> argparse.ArgumentParser:
    d = DEFAULTS
    parser = argparse.ArgumentParser(prog="relusv", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser(
        "analyse", help="bounds, widths and claims C2-C5 of a saved Keras MLP",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="The ReLU singular value bounds and Gaussian mean widths of every hidden "
                    "layer of MODEL over the points of DATA it classifies correctly and "
                    "incorrectly, the verdicts of claims C2-C5, and optionally harmonic pruning.")
    p.add_argument("model", type=Path, help="saved Keras model (.keras): Dense/DoubleDense ReLU "
                   "hidden layers, a linear or softmax Dense output")
    p.add_argument("data", type=Path, help=".npz with x and y (or x_test and y_test); "
                   "x_val/y_val and x_train/y_train are used by --prune when present")
    p.add_argument("--out", type=Path, required=True, help="output directory (created)")
    p.add_argument("--name", help="network name in the tables (default: the model file's stem)")
    g = p.add_argument_group("subsets (config: subsets)")
    g.add_argument("--max-size", type=int, default=d["max_size"], help="largest subset size")
    g.add_argument("--min-size", type=int, default=d["min_size"],
                   help="fewer misclassified points: the comparison is not measurable")
    g.add_argument("--subset-seed", type=int, default=d["subset_seed"], help="seed of the draw")
    g = p.add_argument_group("bounds (config: bounds)")
    g.add_argument("--steps", type=int, default=d["steps"], help="Adam steps per layer")
    g.add_argument("--bounds-learning-rate", type=float, default=d["bounds_learning_rate"],
                   help="Adam step size relative to the scale of W")
    g.add_argument("--approximant-bias", choices=("free", "fixed"),
                   default=d["approximant_bias"])
    g = p.add_argument_group("widths (config: widths)")
    g.add_argument("--n-draws", type=int, default=d["n_draws"], help="Gaussian draws")
    g.add_argument("--width-seed", type=int, default=d["width_seed"], help="seed of the draws")
    g.add_argument("--subsamples", type=int, default=d["subsamples"],
                   help="claim C5: random point subsamples of both subsets (at least 20)")
    g.add_argument("--subsample-fraction", type=float, default=d["subsample_fraction"],
                   help="claim C5: each subsample's share of the smaller subset's points")
    g = p.add_argument_group("harmonic pruning (config: pruning)")
    g.add_argument("--prune", action="store_true", help="also run harmonic pruning (Figure 5)")
    g.add_argument("--val-fraction", type=float, default=d["val_fraction"],
                   help="validation share carved from the data when it has no x_val")
    g.add_argument("--split-seed", type=int, default=d["split_seed"],
                   help="seed of that split")
    g.add_argument("--retrain-batches", type=int, default=d["retrain_batches"])
    g.add_argument("--retrain-batch-size", type=int, default=d["retrain_batch_size"])
    g.add_argument("--accuracy-drop", type=float, default=d["accuracy_drop"])
    g.add_argument("--retrain-every", type=int, default=d["retrain_every"])
    g.add_argument("--rank-threshold", type=int, default=d["rank_threshold"])
    g.add_argument("--pruning-learning-rate", type=float, default=d["pruning_learning_rate"])
    g.add_argument("--pruning-seed", type=int, default=d["pruning_seed"])
    g.add_argument("--max-iterations", type=int, default=None,
                   help="stop pruning after this iteration (default: until no rank is left)")
    return parser


def _progress(message: str, *args) -> None:
    print("relusv: " + (message % args if args else message), file=sys.stderr, flush=True)


class _ProgressHandler(logging.Handler):
    """The library's INFO lines (one per layer and subset) as progress lines on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        _progress(record.getMessage())


def load_data(path: Path, *, input_dim: int, classes: int, prune: bool) -> dict[str, np.ndarray]:
    """The arrays of ``path`` the analyses use, checked: ``x``, ``y`` and, when present, the
    validation and training splits (float32 inputs, int32 labels).

    Raises
    ------
    UsageError
        Naming the array: missing, not ``(N, input_dim)``, non-finite, labels outside
        ``[0, classes)`` or of another length than their inputs.
    """
    from relusv.training import as_labels

    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError) as error:
        raise UsageError(f"{path}: cannot read it as an .npz file: {error}") from error
    pool = next((pair for pair in (("x", "y"), ("x_test", "y_test"))
                 if all(k in arrays for k in pair)), None)
    if pool is None:
        raise UsageError(f"{path}: expected the arrays 'x' and 'y' (or 'x_test' and 'y_test'), "
                         f"found {sorted(arrays)}")
    wanted = {"x": pool[0], "y": pool[1]}
    for split in ("val", "train"):
        if prune and f"x_{split}" in arrays:
            wanted.update({f"x_{split}": f"x_{split}", f"y_{split}": f"y_{split}"})
            if f"y_{split}" not in arrays:
                raise UsageError(f"{path}: has 'x_{split}' but no 'y_{split}'")
    out = {}
    for key, name in wanted.items():
        array = arrays[name]
        try:
            if key.startswith("x"):
                array = np.asarray(array, dtype=np.float32)
                if array.ndim != 2 or array.shape[1] != input_dim or len(array) == 0:
                    raise ValueError(f"expected shape (N, {input_dim}) (the model's input "
                                     f"layer takes {input_dim} features), got {array.shape}")
                if not np.isfinite(array).all():
                    raise ValueError("expected finite values, got NaN or inf")
            else:
                array = as_labels(array, name, classes)
        except ValueError as error:
            raise UsageError(f"{path}: array {name!r}: {error}") from None
        out[key] = array
    for key in [k for k in out if k.startswith("y")]:
        x_key = "x" + key[1:]
        if len(out[key]) != len(out[x_key]):
            raise UsageError(f"{path}: {wanted[x_key]!r} has {len(out[x_key])} rows but "
                             f"{wanted[key]!r} has {len(out[key])} labels")
    return out


def pruning_data(data: dict[str, np.ndarray], *, val_fraction: float,
                 split_seed: int) -> dict[str, np.ndarray]:
    """The six splits :func:`relusv.pruning.harmonic_pruning` needs, from :func:`load_data`'s.

    Validation: ``x_val``/``y_val`` when given; else ``round(val_fraction N)`` (at least 1) of the
    ``N`` data points, drawn by ``numpy.random.default_rng(split_seed).permutation(N)`` (the first
    ones), and the test split is the rest. Training (retraining between steps): ``x_train`` when
    given, else the test split.
    """
    from relusv._validation import check_fraction

    x, y = data["x"], data["y"]
    if "x_val" in data:
        x_val, y_val, x_test, y_test = data["x_val"], data["y_val"], x, y
    else:
        check_fraction(val_fraction, "val_fraction")
        order = np.random.default_rng(split_seed).permutation(len(x))
        n_val = max(1, round(val_fraction * len(x)))
        if n_val >= len(x):
            raise UsageError(f"--val-fraction {val_fraction} leaves no test points of {len(x)}")
        val, test = np.sort(order[:n_val]), np.sort(order[n_val:])
        x_val, y_val, x_test, y_test = x[val], y[val], x[test], y[test]
    x_train, y_train = (data["x_train"], data["y_train"]) if "x_train" in data else (x_test,
                                                                                        y_test)
    return {"x_train": x_train, "y_train": y_train, "x_val": x_val, "y_val": y_val,
            "x_test": x_test, "y_test": y_test}


def _check_options(args) -> None:
    from relusv._validation import (
        check_fraction,
        check_nonnegative_int,
        check_positive_int,
        check_positive_real,
        check_real,
    )

    for name in ("max_size", "min_size", "steps", "n_draws", "retrain_batches",
                 "retrain_batch_size", "retrain_every"):
        check_positive_int(getattr(args, name), f"--{name.replace('_', '-')}")
    for name in ("subset_seed", "width_seed", "split_seed", "pruning_seed", "rank_threshold"):
        check_nonnegative_int(getattr(args, name), f"--{name.replace('_', '-')}")
    for name in ("bounds_learning_rate", "pruning_learning_rate"):
        check_positive_real(getattr(args, name), f"--{name.replace('_', '-')}")
    check_fraction(args.val_fraction, "--val-fraction")
    if args.subsamples < 20:
        raise UsageError(f"--subsamples must be at least 20 (95 % of them must be more than all "
                         f"but one), got {args.subsamples}")
    check_real(args.subsample_fraction, "--subsample-fraction", low=0.0, high=1.0,
               low_open=True)


def analyse(args: argparse.Namespace) -> dict[str, Path]:
    """Run ``relusv analyse`` with parsed arguments; returns the files written, by name."""
    _check_options(args)
    for path in (args.model, args.data):
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
    _progress("loading %s", args.model)
    import keras

    from relusv.models import canonical_mlp, layer_weights

    try:
        user_model = keras.models.load_model(args.model, compile=False)
    except Exception as error:  # keras raises many types for a file it cannot read
        raise UsageError(f"{args.model}: cannot load it as a Keras model: "
                         f"{type(error).__name__}: {error}") from error
    name = args.name or args.model.stem
    try:
        model = canonical_mlp(user_model, name=name)
    except ValueError as error:
        raise UsageError(f"{args.model}: {error}") from None
    input_dim, classes = int(model.inputs[0].shape[1]), int(model.outputs[0].shape[1])
    data = load_data(args.data, input_dim=input_dim, classes=classes, prune=args.prune)
    splits = pruning_data(data, val_fraction=args.val_fraction,
                          split_seed=args.split_seed) if args.prune else None
    return _run(args, name, model, layer_weights(model), data, splits)


def _run(args, name, model, weights, data, splits) -> dict[str, Path]:
    import pandas as pd

    from relusv.analyses import layer_widths_and_differences, network_bounds
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
    from relusv.training import predict_classes
    from relusv.width_subsamples import subsampled_width_differences

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    x, y = data["x"], data["y"]
    predicted = predict_classes(model, x)
    accuracy = float(np.mean(predicted == y))
    subsets = select_subsets(y, predicted, max_size=args.max_size, min_size=args.min_size,
                             seed=args.subset_seed)
    _progress("accuracy %.4f on %d points; subsets of %d correct and %d incorrect points",
              accuracy, len(y), len(subsets.correct), len(subsets.incorrect))
    summary = {"network": name, "accuracy": accuracy, "n_points": len(y), **subsets.summary()}
    files["subsets"] = out / "subsets.json"
    write_json(files["subsets"], summary)
    split = {"correct": x[subsets.correct], "incorrect": x[subsets.incorrect]}

    handler = _ProgressHandler(logging.INFO)
    library_log = logging.getLogger("relusv")
    level = library_log.level
    library_log.addHandler(handler)
    library_log.setLevel(logging.INFO)
    try:
        bounds = network_bounds(name, weights, split, steps=args.steps,
                                learning_rate=args.bounds_learning_rate,
                                approximant_bias=args.approximant_bias)
        _progress("Gaussian mean widths of %d layers, %d draws", len(weights), args.n_draws)
        widths, differences = layer_widths_and_differences(
            name, EPOCH, weights, split, n_draws=args.n_draws, seed=args.width_seed)
        subsamples = subsampled_width_differences(
            name, EPOCH, weights, split, n_subsamples=args.subsamples,
            fraction=args.subsample_fraction, n_draws=args.n_draws, seed=args.width_seed)
        pruning = None
        if splits is not None:
            from relusv.pruning import harmonic_pruning, pruning_frame

            _progress("harmonic pruning (validation %d, retraining %d, test %d points)",
                      len(splits["y_val"]), len(splits["y_train"]), len(splits["y_test"]))
            records = harmonic_pruning(
                model, splits, retrain_batches=args.retrain_batches,
                retrain_batch_size=args.retrain_batch_size, accuracy_drop=args.accuracy_drop,
                retrain_every=args.retrain_every, rank_threshold=args.rank_threshold,
                max_iterations=args.max_iterations, learning_rate=args.pruning_learning_rate,
                seed=args.pruning_seed)  # its INFO lines are the progress, one per iteration
            pruning = pruning_frame(records)
            pruning.insert(0, "network", name)
    finally:
        library_log.removeHandler(handler)
        library_log.setLevel(level)

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
    write_text(files["summary"], summary_markdown(name, args, summary, claims, pruning))
    files["provenance"] = out / "provenance.json"
    record = provenance_record(rule="relusv analyse", params=_jsonable_args(args),
                               inputs=[args.model, args.data])
    write_json(files["provenance"], {**record, "outputs": {k: str(v) for k, v in files.items()}})
    _progress("wrote %d files to %s", len(files), out)
    return files


def _jsonable_args(args: argparse.Namespace) -> dict:
    return {key: str(value) if isinstance(value, Path) else value
            for key, value in vars(args).items()}


def summary_markdown(name: str, args, summary: dict, claims: Sequence[dict], pruning) -> str:
    """The short Markdown summary: the network, its subsets, claims C2-C5 as the claims report
    renders them (:func:`relusv.claims.claims_markdown`, headings one level down)."""
    from relusv.claims import claims_markdown

    lines = [f"# relusv analyse: {name}", "",
             f"- model: `{args.model}`; data: `{args.data}` ({summary['n_points']} points)",
             f"- accuracy: {summary['accuracy']:.4f}",
             f"- subsets: {summary['size']} correct and {summary['size']} incorrect points "
             f"({summary['n_correct_available']} correct and "
             f"{summary['n_incorrect_available']} incorrect available)"
             + ("" if summary["measurable"] else f"; not measurable: {summary['reason']}")]
    if pruning is not None:
        last = pruning.iloc[-1]
        lines.append(f"- harmonic pruning: {len(pruning) - 1} iterations, down to "
                     f"{int(last['parameters'])} parameters at test accuracy "
                     f"{float(last['test_accuracy']):.4f} (pruning.csv)")
    report = claims_markdown(claims)
    lines += ["", *("#" + line if line.startswith("#") else line
                    for line in report.splitlines())]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``relusv`` console script; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        analyse(args)
    except (UsageError, ValueError) as error:
        parser.exit(2, f"relusv {args.command}: error: {error}\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
