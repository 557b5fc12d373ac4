"""Claim C8 (relusv.from_scratch): small architectures trained from scratch over seeds."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from relusv.from_scratch import (
    RUN_COLUMNS,
    architecture_at,
    from_scratch_comparison,
    from_scratch_run,
    summarise_from_scratch,
)
from relusv.paper import SECTION_VC_ARCHITECTURES, architecture_name
from relusv.parameter_counts import dense_mlp_parameter_count, double_mlp_parameter_count
from relusv.tidy import FROM_SCRATCH_RUNS, FROM_SCRATCH_SUMMARY

pytest_plugins = ("pruning_fixtures",)  # data

ARCHS = [{"name": "dense", "widths": (8, 6), "ranks": None},
         {"name": "double", "widths": (16, 16), "ranks": (4, 3)}]
# the workflow's initialisation (the pruned network's "<target>_p_product")
OPTIONS = dict(epochs=2, batch_size=128, patience=1, learning_rate=1e-3,
               init="glorot_p_product", p=1)


@pytest.fixture(scope="module")
def comparison(data):
    return from_scratch_comparison(data, architectures=ARCHS, seeds=(0, 1), **OPTIONS)


def test_from_scratch_comparison(comparison):
    runs, summary = comparison
    assert len(runs) == 4 and summary["architecture"].tolist() == ["dense", "double"]
    # the workflow inserts network first: then the columns are the tidy tables'
    assert ["network", *runs.columns] == list(FROM_SCRATCH_RUNS.columns)
    assert tuple(runs.columns) == RUN_COLUMNS
    assert ["network", *summary.columns] == list(FROM_SCRATCH_SUMMARY.columns)
    assert summary["parameters"].tolist() == [dense_mlp_parameter_count(64, (8, 6), 10),
                                              double_mlp_parameter_count(64, (16, 16), (4, 3),
                                                                         10)]
    assert (summary["runs"] == 2).all()
    dense = runs[runs["architecture"] == "dense"]["test_accuracy"]
    assert summary["test_accuracy_mean"].iloc[0] == pytest.approx(dense.mean())
    assert summary["test_accuracy_std"].iloc[0] == pytest.approx(dense.std(ddof=1))
    assert runs["seed"].tolist() == [0, 1, 0, 1] and (runs["test_accuracy"] > 0.1).all()


_FRESH_RUN = textwrap.dedent("""
    import sys
    import numpy as np
    import pandas as pd
    from relusv.from_scratch import from_scratch_runs
    with np.load(sys.argv[1]) as f:
        data = {k: f[k] for k in f.files}
    rows = from_scratch_runs(data, {"name": "double", "widths": (16, 16), "ranks": (4, 3)},
                             [0, 1], epochs=2, batch_size=128, patience=1, learning_rate=1e-3,
                             init="glorot_p_product", p=1)
    rows.to_pickle(sys.argv[2])
""")


def test_a_job_in_a_fresh_process_gives_the_rows_of_the_loop(comparison, data, tmp_path):
    # The workflow runs each architecture's seeds in their own process: nothing the loop's
    # earlier runs left in the process (Keras' global seed, op determinism, layer names, traced
    # functions) may change them.
    np.savez(tmp_path / "data.npz", **data)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, "-c", _FRESH_RUN, str(tmp_path / "data.npz"),
                           str(tmp_path / "row.pkl")], capture_output=True, text=True,
                          timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    fresh = pd.read_pickle(tmp_path / "row.pkl")
    in_loop = comparison[0].iloc[[2, 3]].reset_index(drop=True)  # the loop's last architecture
    pd.testing.assert_frame_equal(fresh.drop(columns="seconds"),
                                  in_loop.drop(columns="seconds"), check_exact=True)


def test_gathered_runs_give_the_summary_of_the_loop(comparison, tmp_path):
    runs, summary = comparison
    # as the gather job sees them: one CSV per run, read back and concatenated in order
    paths = []
    for i in range(len(runs)):
        paths.append(tmp_path / f"run{i}.csv")
        runs.iloc[[i]].assign(network="net").to_csv(paths[-1], index=False)
    gathered = pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)
    pd.testing.assert_frame_equal(gathered.drop(columns="network")[list(RUN_COLUMNS)], runs,
                                  check_exact=True, check_dtype=False)
    pd.testing.assert_frame_equal(summarise_from_scratch(gathered), summary, check_exact=True,
                                  check_dtype=False)
    one = summarise_from_scratch(runs.iloc[[0]])
    assert one["runs"].tolist() == [1] and np.isnan(one["test_accuracy_std"].iloc[0])


def test_the_gather_job_does_not_load_tensorflow():
    code = ("import sys, relusv.from_scratch; "
            "sys.exit(sorted({'keras', 'tensorflow'} & set(sys.modules)) or None)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_summarise_rejects_bad_runs(comparison):
    runs = comparison[0]
    with pytest.raises(ValueError, match="more than once"):
        summarise_from_scratch(pd.concat([runs, runs.iloc[[2]]]))
    with pytest.raises(ValueError, match="test_accuracy"):
        summarise_from_scratch(runs.drop(columns="test_accuracy"))
    with pytest.raises(ValueError, match="non-empty"):
        summarise_from_scratch(runs.iloc[:0])


def test_architecture_at():
    configured = [{"widths": [20, 9, 7], "ranks": None},
                  {"widths": [100, 100, 100], "ranks": [18, 8, 6]}]
    arch = architecture_at(configured, 1, input_dim=784)
    assert arch == {"name": architecture_name((100, 100, 100), (18, 8, 6)),
                    "widths": (100, 100, 100), "ranks": (18, 8, 6)}
    with pytest.raises(ValueError, match=r"index 2 is out of range.*indices 0 to 1"):
        architecture_at(configured, 2)
    with pytest.raises(ValueError, match="architecture index"):
        architecture_at(configured, -1)
    with pytest.raises(ValueError, match="above"):
        architecture_at(configured, 0, input_dim=10)  # the other architecture's rank 18 > 10


def test_default_architectures_are_those_of_section_vc():
    default = from_scratch_comparison.__kwdefaults__["architectures"]
    assert default is SECTION_VC_ARCHITECTURES
    assert [a["name"] for a in default] == ["dense (100, 100, 100)",
                                            "double (100, 100, 100) ranks (18, 8, 6)",
                                            "dense (20, 9, 7)"]


def test_bad_arguments_raise(data):
    with pytest.raises(ValueError, match="above"):
        from_scratch_comparison(data, architectures=[{"widths": (8,), "ranks": (9,)}])
    with pytest.raises(ValueError, match="seeds"):
        from_scratch_comparison(data, seeds=())
    with pytest.raises(ValueError, match="distinct"):
        from_scratch_comparison(data, seeds=(0, 0))
    with pytest.raises(ValueError, match="lacks"):
        from_scratch_comparison({k: v for k, v in data.items() if k != "y_val"})
    with pytest.raises(ValueError, match="learning_rate"):
        from_scratch_comparison(data, learning_rate=-1.0)
    with pytest.raises(ValueError, match="above"):
        from_scratch_run(data, {"widths": (8,), "ranks": (9,)}, 0, **OPTIONS)
    with pytest.raises(ValueError, match="seed"):
        from_scratch_run(data, ARCHS[0], -1, **OPTIONS)
    with pytest.raises(ValueError, match="patience"):
        from_scratch_run(data, ARCHS[0], 0, **{**OPTIONS, "patience": 0})


def test_seed_groups_cut_the_seeds_into_jobs_and_appending_keeps_the_full_groups():
    from relusv.from_scratch import group_seeds, seed_groups

    assert seed_groups([0, 1, 2, 3, 4], 3) == ["0-1-2", "3-4"]
    assert seed_groups([0, 1], 3) == ["0-1"]
    assert seed_groups([7, 2, 9], 1) == ["7", "2", "9"]
    assert seed_groups([0, 1, 2, 3, 4, 5], 3)[0] == seed_groups([0, 1, 2, 3, 4], 3)[0]
    assert [seed for name in seed_groups(range(7), 3) for seed in group_seeds(name)] == list(
        range(7))
    with pytest.raises(ValueError, match="seeds_per_job"):
        seed_groups([0, 1], 0)
