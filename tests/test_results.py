"""Result files are written atomically and carry their provenance."""

import json
import os

import numpy as np
import pandas as pd
import pytest

from relusv.results import (
    atomic_path,
    git_commit,
    provenance_record,
    save_npz,
    write_csv,
    write_json,
    write_provenance,
)


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
