"""Result files are written atomically and carry their provenance."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from relusv.files import atomic_path, save_npz, write_csv, write_json
from relusv.provenance import git_commit, provenance_record, write_provenance
from relusv.rules import limit_threads


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_writers_produce_readable_files_with_normal_permissions(tmp_path):
    frame = pd.DataFrame({"k": [0, 1], "bound": [1.0, 0.5]})
    write_csv(tmp_path / "a.csv", frame)
    save_npz(tmp_path / "b.npz", x=np.arange(3))
    write_json(tmp_path / "c.json", {"value": float("nan"), "n": np.int64(3)})
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "a.csv"), frame)
    np.testing.assert_array_equal(np.load(tmp_path / "b.npz")["x"], np.arange(3))
    assert json.loads((tmp_path / "c.json").read_text()) == {"value": None, "n": 3}
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "a.csv").stat().st_mode & 0o777 == 0o666 & ~umask


def test_provenance_sidecar_beside_each_output(tmp_path):
    outputs = [tmp_path / "a.csv", tmp_path / "b.npz"]
    record = provenance_record(rule="r", params={"seed": 3}, inputs=["in.npz"])
    write_provenance(outputs, record)
    sidecar = json.loads((tmp_path / "a.csv.provenance.json").read_text())
    assert sidecar["params"] == {"seed": 3} and sidecar["rule"] == "r"
    assert sidecar["output"] == str(outputs[0])
    assert sidecar["packages"]["numpy"] == np.__version__
    assert (tmp_path / "b.npz.provenance.json").exists()


def test_git_commit_outside_a_checkout_is_unknown(tmp_path):
    assert git_commit(tmp_path) == "unknown"


def _run_python(code: str) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter (thread pools are process-wide), output captured."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=env, timeout=300)


def test_limit_threads_holds_blas_and_tensorflow_to_the_jobs_threads():
    """A script imports Keras at its top, then enters rule_run, which limits the threads."""
    result = _run_python("""
        import keras, tensorflow as tf, threadpoolctl
        from relusv.rules import limit_threads
        limit_threads(1)
        keras.ops.matmul(keras.ops.ones((4, 4)), keras.ops.ones((4, 4)))
        blas = [p["num_threads"] for p in threadpoolctl.threadpool_info()
                if p["user_api"] == "blas"]
        print(tf.config.threading.get_intra_op_parallelism_threads(),
              tf.config.threading.get_inter_op_parallelism_threads(), blas)
        limit_threads(1)  # again, after an op, with nothing to change: allowed
        try:
            limit_threads(2)
        except RuntimeError as error:
            print("refused:", error)
    """)
    assert result.returncode == 0, result.stderr[-3000:]
    first, refused = result.stdout.strip().splitlines()
    intra, inter, blas = first.split(" ", 2)
    assert (intra, inter) == ("1", "1")
    assert set(blas.strip("[]").split(", ")) == {"1"}  # every BLAS numpy and scipy loaded
    assert refused.startswith("refused: cannot limit TensorFlow to 2 threads: it has already run")


def test_limit_threads_without_tensorflow_does_not_load_it():
    result = _run_python("""
        import sys
        from relusv.rules import limit_threads
        limit_threads(1)
        print("tensorflow" in sys.modules)
    """)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("threads", [0, -1, 1.5, "2"])
def test_limit_threads_rejects_what_is_not_a_positive_int(threads):
    with pytest.raises(ValueError, match="threads"):
        limit_threads(threads)
