"""Benchmark: the tight data-dependent bounds against the paper's procedure, on trained networks.

For every hidden layer and subset of the demo's networks (``config/demo.yaml``, every replicate)
and of the paper config's MNIST networks ``mnist_100`` and ``mnist_20`` (first replicate, trained
on the MNIST-shaped stand-in of ``standin_data.py``), :func:`relusv.analyses.network_bounds`
runs once with ``method="paper"`` and once with ``method="tight"``, one thread each, at the
config's settings (steps, learning rate, early stopping). Reported per network and layer (both
subsets): the mean and the largest ratio of the new to the old bound over the ranks whose old
bound is not 0 (the largest is at most 1 by construction: the tight run holds the paper's run),
the largest bound (k = 0) before and after, the ranks that are exact zeros now, which start gave
the bounds, and the seconds of both runs with their ratio.

``--racing`` replays racing of the two starts (``bounds.race_margin``, ``race_after``) exactly
from per-step traces of both starts' best max-errors (a start's trajectory does not depend on the
other's, so stopping one at step t gives its best over steps 0..t): per margin and first step,
the Adam work against the paper's procedure (steps weighted by each bucket's estimated cost per
step) and the ranks whose bound ends more than 0.5 % above the paper's.

The networks are trained by the workflow itself (``snakemake ... results/subsets/...``) in a
working directory, which ``--workdir`` keeps for reruns (a minute or two on 2 cores the first
time). Run ``python benchmarks/bench_bounds_methods.py [--workdir DIR] [--only demo|mnist]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from relusv._bounds_optimiser import compute_bounds
from relusv._bounds_plan import _step_cost
from relusv.analyses import layer_inputs, network_bounds
from relusv.config import network_seeds
from relusv.tables import to_markdown
from relusv.weights import hidden_layer_weights, load_network_weights

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")
#: The paper config's networks measured on stand-in data.
MNIST_NETWORKS = ("mnist_100", "mnist_20")


def _train(workdir: Path, configfile: Path, networks: dict) -> None:
    """Train ``networks`` (name -> seeds) and draw their subsets with the workflow."""
    targets = [f"results/subsets/{name}/seed{seed}.npz"
               for name, seeds in networks.items() for seed in seeds]
    subprocess.run([str(SNAKEMAKE), "--cores", "2", "--quiet", "all", "--configfile",
                    str(configfile), "--directory", str(workdir), *targets],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def demo_networks(workroot: Path) -> tuple[Path, dict, dict]:
    """The demo's networks, trained: (workdir, name -> seeds, the config's bounds settings)."""
    configfile = ROOT / "config/demo.yaml"
    config = yaml.safe_load(configfile.read_text())
    networks = {name: network_seeds(spec) for name, spec in config["networks"].items()}
    _train(workroot / "demo", configfile, networks)
    return workroot / "demo", networks, config.get("bounds", {})


def mnist_networks(workroot: Path) -> tuple[Path, dict, dict]:
    """mnist_100 and mnist_20 of the paper config on the MNIST stand-in, first replicates."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_workflow import first_replicates, paper_config
    from standin_data import write_standins

    config = first_replicates(paper_config(), MNIST_NETWORKS, [])
    config["figure_networks"] = list(MNIST_NETWORKS)
    config["pruning"]["networks"] = {}
    config["data"]["sources"] = write_standins(workroot / "standins", ["mnist"])
    config["data"]["raw_dir"] = str(workroot / "raw")
    configfile = workroot / "mnist.yaml"
    configfile.write_text(yaml.safe_dump(config, sort_keys=False))
    networks = {name: network_seeds(config["networks"][name]) for name in MNIST_NETWORKS}
    _train(workroot / "mnist", configfile, networks)
    return workroot / "mnist", networks, config["bounds"]


def compare(workdir: Path, networks: dict, bounds_config: dict) -> list[dict]:
    """One row per (network, seed, layer): the tight bounds against the paper's."""
    settings = dict(steps=bounds_config.get("steps", 500),
                    learning_rate=bounds_config.get("learning_rate", 0.1),
                    approximant_bias=bounds_config.get("approximant_bias", "free"),
                    tolerance=bounds_config.get("tolerance", 1e-4),
                    patience=bounds_config.get("patience", 75), n_threads=1)
    rows = []
    for name, seeds in networks.items():
        for seed in seeds:
            weights = hidden_layer_weights(load_network_weights(
                workdir / f"results/training/{name}/seed{seed}/weights.npz"))
            subsets = np.load(workdir / f"results/subsets/{name}/seed{seed}.npz")
            inputs = {subset: subsets[f"x_{subset}"] for subset in ("correct", "incorrect")}
            for layer in range(1, len(weights) + 1):
                frames, seconds = {}, {}
                for method in ("paper", "tight"):
                    start = time.perf_counter()
                    frames[method] = network_bounds(name, weights, inputs, method=method,
                                                    layers=[layer], **settings)
                    seconds[method] = time.perf_counter() - start
                old, new = frames["paper"], frames["tight"]
                if not np.array_equal(new["paper_bound"], old["bound"]):
                    raise AssertionError(f"{name} seed {seed} layer {layer}: the tight run's "
                                         "paper_bound is not the paper's procedure")
                nonzero = old["bound"] > 1e-9 * old.groupby("subset")["bound"].transform("max")
                ratio = (new["bound"] / old["bound"])[nonzero]
                largest = lambda f: f[f["k"] == 0].set_index("subset")["bound"]  # noqa: E731
                zeros = new["bound"] <= 1e-9 * new.groupby("subset")["bound"].transform("max")
                rows.append({
                    "network": name, "seed": seed, "layer": layer,
                    "ranks": len(old), "mean_ratio": float(ratio.mean()),
                    "largest_ratio": float(ratio.max()),
                    "largest_bound_old": float(largest(old).max()),
                    "largest_bound_new": float(largest(new).max()),
                    "exact_zeros": int(zeros.sum()),
                    "pca_start": int((new["start"] == "pca").sum()),
                    "seconds_paper": seconds["paper"], "seconds_tight": seconds["tight"],
                    "time_ratio": seconds["tight"] / seconds["paper"],
                })
    return rows


#: Racing rules replayed by ``--racing``: (margin, first step).
RACING_RULES = ((0.1, 50), (0.1, 100), (0.5, 50), (0.5, 100))


def _replay(trace: dict, shape, da: int, n_points: int, margin: float, after: int):
    """Per rank run by both starts, the best max-error (normalised) when racing stops one of
    them; and the Adam work of that race and of the SVD start alone (the paper's procedure)."""
    m = shape[0]
    ends, work, work_paper = {}, 0.0, 0.0
    for task in trace.values():
        best = np.sqrt(np.array(task["best_err"], dtype=np.float64))  # (iterates, slices)
        taken = task["steps_taken"]
        weight = _step_cost(task["method"], task["R"] + 1, m, da, n_points) + 40 * m * n_points
        last = len(best) - 1  # a stopped slice's best stays as it was

        def at(j, t, best=best, last=last):
            return best[min(t, last), j]

        slices = {}
        for j, (k, start) in enumerate(task["slices"]):
            slices.setdefault(k, {})[start] = j
        for k, pair in slices.items():
            svd = pair["svd"]
            work_paper += weight * int(taken[svd])
            if "pca" not in pair:
                work += weight * int(taken[svd])
                continue
            pca = pair["pca"]
            stop = {svd: int(taken[svd]), pca: int(taken[pca])}
            for t in range(after, max(stop.values())):
                behind = [j for j, other in ((svd, pca), (pca, svd))
                          if t < stop[j] and at(j, t) > (1 + margin) * at(other, t)]
                if behind:
                    stop[behind[0]] = t
                    break
            ends[k] = min(at(svd, stop[svd]), at(pca, stop[pca]))
            work += weight * (stop[svd] + stop[pca])
    return ends, work, work_paper


def racing(workdir: Path, networks: dict, bounds_config: dict) -> list[dict]:
    """``--racing``: one row per (network, rule), replayed from the traces of both starts."""
    rows = []
    for name, seeds in networks.items():
        totals = {rule: [0.0, 0.0, 0, 0, 1.0] for rule in RACING_RULES}  # work, paper, worse, n
        for seed in seeds:
            weights = hidden_layer_weights(load_network_weights(
                workdir / f"results/training/{name}/seed{seed}/weights.npz"))
            subsets = np.load(workdir / f"results/subsets/{name}/seed{seed}.npz")
            for subset in ("correct", "incorrect"):
                inputs = layer_inputs(weights, subsets[f"x_{subset}"])
                for layer, (W, b) in enumerate(weights):
                    trace = {}
                    result = compute_bounds(
                        W, inputs[layer], b, list(range(min(W.shape))), method="tight",
                        steps=bounds_config.get("steps", 500),
                        learning_rate=bounds_config.get("learning_rate", 0.1),
                        tolerance=bounds_config.get("tolerance", 1e-4),
                        patience=bounds_config.get("patience", 75), race_margin=0.0,
                        race_after=1, free_bias=True, init_noise=0.0,
                        rng=np.random.default_rng(0), n_threads=1, drop_null_directions=True,
                        trace=trace)
                    scale = result["svd_bounds"][0]  # the normalisation: L = 0, c = b
                    paper = result["paper_bounds"]
                    for rule in RACING_RULES:
                        ends, work, work_paper = _replay(trace, W.shape, result["data_rank"] + 1,
                                                         len(inputs[layer]), *rule)
                        raw = result["raw_bounds"].copy()
                        for i, k in enumerate(result["ranks"]):
                            if int(k) in ends:
                                raw[i] = ends[int(k)] * scale
                        bounds = np.minimum.accumulate(raw)
                        nonzero = paper > 1e-9 * paper[0]
                        ratio = bounds[nonzero] / paper[nonzero]
                        total = totals[rule]
                        total[0] += work
                        total[1] += work_paper
                        total[2] += int(np.sum(ratio > 1.005))
                        total[3] += int(nonzero.sum())
                        total[4] = max(total[4], float(ratio.max()))
        for (margin, after), (work, work_paper, worse, ranks, worst) in totals.items():
            rows.append({"network": name, "margin": margin, "from_step": after,
                         "work_vs_paper": work / work_paper, "ranks_above_paper": worse,
                         "ranks": ranks, "worst_ratio": worst})
    return rows


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep the trained networks here (default: a temporary folder)")
    parser.add_argument("--only", choices=["demo", "mnist"], default=None)
    parser.add_argument("--racing", action="store_true",
                        help="also replay racing of the two starts from per-step traces")
    args = parser.parse_args([] if argv is None else argv)
    with tempfile.TemporaryDirectory() as scratch:
        workroot = args.workdir or Path(scratch)
        workroot.mkdir(parents=True, exist_ok=True)
        rows, race_rows = [], []
        for what, build in (("demo", demo_networks), ("mnist", mnist_networks)):
            if args.only in (None, what):
                networks = build(workroot)
                rows += compare(*networks)
                if args.racing:
                    race_rows += racing(*networks)
    table = pd.DataFrame(rows)
    print("### Tight bounds against the paper's procedure\n")
    print("Per hidden layer, both subsets: the mean and the largest ratio new/old over the "
          "ranks whose old bound is not 0, the largest bound (k = 0) before and after, the "
          "ranks that are exact zeros now, the ranks won by the PCA start, and the seconds of "
          "each method (one thread).\n")
    print(to_markdown(table))
    by_network = table.groupby("network").agg(
        mean_ratio=("mean_ratio", "mean"), largest_ratio=("largest_ratio", "max"),
        seconds_paper=("seconds_paper", "sum"), seconds_tight=("seconds_tight", "sum"))
    by_network["time_ratio"] = by_network["seconds_tight"] / by_network["seconds_paper"]
    print()
    print(to_markdown(by_network.reset_index()))
    print()
    if race_rows:
        print("### Racing the two starts, replayed\n")
        print("Per network (all replicates, layers and subsets): the Adam work of the race "
              "against the paper's procedure, and the ranks whose bound ends more than 0.5 % "
              "above the paper's (never without racing: work 1.9-2x).\n")
        print(to_markdown(pd.DataFrame(race_rows)))
        print()
    return rows + race_rows


if __name__ == "__main__":
    main(sys.argv[1:])
