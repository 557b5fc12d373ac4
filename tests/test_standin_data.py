"""Synthetic stand-ins of the paper's datasets (benchmarks/standin_data.py).

Every stand-in goes the workflow's way: ``fetch`` with the returned ``data.sources`` entry (which
checks the sha256 we return) into a cache folder, then ``load_raw`` on the paths ``fetch`` gave.

Sizes: MNIST, Fashion-MNIST and Boston housing are checked at their canonical sizes (a few
seconds each). CIFAR-10 at full size takes ~15 s to write and read, so the fast test checks its
format (every tar member and pickle key, uneven batches, keras' own batch parser via
``load_raw``) on a small file, and ``test_cifar10_full_size`` (marked ``slow``) checks the
canonical shapes and class counts at full size. Determinism is checked on small files of all
four datasets, with the clock moved between the two writes so that a timestamp would show.
"""

import hashlib
import pickle
import sys
import tarfile
import time

import numpy as np
import pytest
import yaml
from conftest import ROOT
from snakemake.utils import validate

from relusv.data import ChecksumError, dataset_info, fetch, load_raw, prepare

sys.path.insert(0, str(ROOT / "benchmarks"))
import standin_data as sd  # noqa: E402

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
SMALL = {
    "mnist": (30, 20),
    "fashion_mnist": (30, 20),
    "cifar10": (53, 20),  # five uneven training batches of 11, 11, 11, 10, 10
    "boston_housing": (40, 10),
}


def _via_fetch(tmp_path, name, source):
    paths = fetch(name, tmp_path / "cache" / name, source=source)
    assert [p.name for p in paths] == [f.fname for f in dataset_info(name).files]
    return load_raw(name, paths)


def _check_images(name, arrays, sizes, counts):
    info = dataset_info(name)
    x_train, y_train, x_test, y_test = arrays
    splits = ((x_train, y_train, sizes[0], "train"), (x_test, y_test, sizes[1], "test"))
    for x, y, n, split in splits:
        assert x.shape == (n, *info.input_shape) and x.dtype == np.uint8
        assert y.shape == (n,) and y.dtype == np.int64
        np.testing.assert_array_equal(np.bincount(y, minlength=10), counts[split])
        assert 0 < x.mean() < 255 and x.std() > 10  # neither blank nor constant


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", ["mnist", "fashion_mnist"])
def test_mnist_like_full_size_round_trip(tmp_path, name):
    sources = sd.write_standins(tmp_path / "standins", [name])
    counts = {
        "train": (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
        if name == "mnist"
        else (6000,) * 10,
        "test": (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)
        if name == "mnist"
        else (1000,) * 10,
    }
    arrays = _via_fetch(tmp_path, name, sources[name])
    _check_images(name, arrays, (60_000, 10_000), counts)
    x_train = arrays[0]
    assert not x_train[:, 0, :].any() and not x_train[:, :, -1].any()  # blank borders
    if name == "mnist":
        assert sources[name]["sha256"] == _sha256(tmp_path / "standins" / "mnist" / "mnist.npz")
        with np.load(sources[name]["path"]) as npz:  # keras' own layout, labels uint8
            assert npz.files == ["x_train", "y_train", "x_test", "y_test"]
            assert npz["y_train"].dtype == np.uint8
    else:
        # one sha256 cannot check four files: None, and leaving it out checks the canonical
        # hashes, which a stand-in fails
        assert sources[name] == {"path": str(tmp_path / "standins" / name), "sha256": None}
        with pytest.raises(ChecksumError):
            fetch(name, tmp_path / "other", source={"path": sources[name]["path"]})


def test_boston_housing_full_size_round_trip(tmp_path):
    sources = sd.write_standins(tmp_path, ["boston_housing"])
    x, y, x_test, y_test = _via_fetch(tmp_path, "boston_housing", sources["boston_housing"])
    assert x.shape == (506, 13) and x.dtype == np.float64  # keras splits these 404 / 102
    assert y.shape == (506,) and y.dtype == np.float64
    assert x_test.shape == (0, 13) and y_test.shape == (0,)
    assert 5 <= y.min() and y.max() <= 50 and len(np.unique(y)) > 100
    assert set(np.unique(x[:, 3])) == {0.0, 1.0}  # CHAS
    arrays, meta = prepare(
        "boston_housing", tmp_path / "cache" / "boston_housing", validation_fraction=0.1,
        test_fraction=0.2, seed=0,
    )
    assert sorted(meta["split_sizes"].values()) == [40, 101, 365]
    assert set(np.unique(arrays["y_test"])) == {0, 1}


def _cifar_members(path):
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: (m, tar.extractfile(m).read() if m.isfile() else None) for m in tar}


def test_cifar10_format_round_trip(tmp_path):
    sizes = SMALL["cifar10"]
    sources = sd.write_standins(tmp_path / "standins", ["cifar10"], sizes={"cifar10": sizes})
    path = tmp_path / "standins" / "cifar10" / "cifar-10-python.tar.gz"
    assert sources == {"cifar10": {"path": str(path), "sha256": _sha256(path)}}
    members = _cifar_members(path)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta", "readme.html"]
    assert set(members) == {"cifar-10-batches-py"} | {f"cifar-10-batches-py/{n}" for n in names}
    assert members["cifar-10-batches-py"][0].isdir()
    assert b"SYNTHETIC STAND-IN" in members["cifar-10-batches-py/readme.html"][1]
    meta = pickle.loads(members["cifar-10-batches-py/batches.meta"][1])
    assert meta[b"label_names"][0] == b"airplane" and meta[b"num_vis"] == 3072
    batches = [pickle.loads(members[f"cifar-10-batches-py/{n}"][1]) for n in names[:6]]
    assert [len(b[b"labels"]) for b in batches] == [11, 11, 11, 10, 10, 20]
    for batch in batches:
        assert set(batch) == {b"batch_label", b"labels", b"data", b"filenames"}
        assert b"synthetic stand-in" in batch[b"batch_label"]
        assert batch[b"data"].dtype == np.uint8 and batch[b"data"].shape[1] == 3072
        assert isinstance(batch[b"labels"], list)
        assert len(batch[b"filenames"]) == len(batch[b"labels"]) == len(batch[b"data"])

    arrays = _via_fetch(tmp_path, "cifar10", sources["cifar10"])
    counts = {"train": sd.class_counts("cifar10", "train", 53), "test": (2,) * 10}
    _check_images("cifar10", arrays, sizes, counts)
    # channels-last as keras.datasets.cifar10: pixel (i, j, c) is data[c * 1024 + i * 32 + j]
    first = batches[0][b"data"][0]
    np.testing.assert_array_equal(arrays[0][0], first.reshape(3, 32, 32).transpose(1, 2, 0))


@pytest.mark.slow
def test_cifar10_full_size(tmp_path):
    sources = sd.write_standins(tmp_path / "standins", ["cifar10"])
    arrays = _via_fetch(tmp_path, "cifar10", sources["cifar10"])
    counts = {"train": (5000,) * 10, "test": (1000,) * 10}
    _check_images("cifar10", arrays, (50_000, 10_000), counts)
    batches = _cifar_members(sources["cifar10"]["path"])
    assert all(
        len(pickle.loads(batches[f"cifar-10-batches-py/data_batch_{i}"][1])[b"labels"]) == 10_000
        for i in range(1, 6)
    )


def _hashes(directory):
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    return {str(p.relative_to(directory)): _sha256(p) for p in files}


def test_same_seed_gives_byte_identical_files(tmp_path, monkeypatch):
    first = sd.write_standins(tmp_path / "a", sizes=SMALL)
    real_time = time.time
    # a year later: any zip date, gzip or tar mtime taken from the clock would differ
    monkeypatch.setattr(time, "time", lambda: real_time() + 366 * 86400)
    second = sd.write_standins(tmp_path / "b", sizes=SMALL)
    hashes = _hashes(tmp_path / "a")
    assert len(hashes) == 4 + 1 + 1 + 1 + 1  # fashion's four, the three others, standins.json
    assert hashes == _hashes(tmp_path / "b")
    assert {k: v["sha256"] for k, v in first.items()} == {k: v["sha256"] for k, v in second.items()}
    # each dataset has its own stream: writing one alone gives the same file
    sd.write_standins(tmp_path / "c", ["cifar10"], sizes=SMALL)
    assert _hashes(tmp_path / "c")["cifar10/cifar-10-python.tar.gz"] == first["cifar10"]["sha256"]
    other = sd.write_standins(tmp_path / "d", seed=1, sizes=SMALL)
    assert all(other[k]["sha256"] != first[k]["sha256"] for k in ("mnist", "cifar10"))
    assert _hashes(tmp_path / "d").keys() == hashes.keys()
    assert all(
        _hashes(tmp_path / "d")[k] != hashes[k] for k in hashes if k != "standins.json"
    )


def test_sources_fit_the_config_schema_and_the_cli_prints_them(tmp_path, capsys):
    returned = sd.main([str(tmp_path), "--datasets", "boston_housing", "--seed", "3"])
    out = capsys.readouterr().out
    assert out.startswith("# SYNTHETIC STAND-IN")
    assert yaml.safe_load(out) == {"data": {"sources": returned}}
    assert (tmp_path / "standin_sources.yaml").read_text() == out
    full = sd.write_standins(tmp_path / "small", sizes=SMALL)
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    config["data"]["sources"] = full
    validate(config, str(SCHEMA))  # raises on any key the schema does not accept
    manifest = yaml.safe_load((tmp_path / "small" / "standins.json").read_text())
    assert manifest["notice"] == sd.NOTICE and manifest["seed"] == 0
    fashion = manifest["datasets"]["fashion_mnist"]["files"]
    assert sorted(fashion) == sorted(f.fname for f in dataset_info("fashion_mnist").files)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"datasets": ["mnist", "digits"]}, "datasets must be"),
        ({"datasets": ["mnist", "mnist"]}, "datasets must be"),
        ({"datasets": []}, "datasets must be"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"sizes": {"mnist": (0, 5)}}, "sizes"),
        ({"sizes": {"cifar10": (10,)}}, "sizes"),
        ({"sizes": {"wine": (10, 10)}}, "unknown dataset"),
    ],
)
def test_bad_arguments_are_rejected(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        sd.write_standins(tmp_path, **kwargs)
    assert not any(tmp_path.iterdir())


def test_small_sizes_round_trip_all_formats_but_cifar(tmp_path):
    sources = sd.write_standins(tmp_path / "s", ["mnist", "fashion_mnist"], sizes=SMALL)
    for name in ("mnist", "fashion_mnist"):
        n_train, n_test = SMALL[name]
        counts = {"train": sd.class_counts(name, "train", n_train),
                  "test": sd.class_counts(name, "test", n_test)}
        _check_images(name, _via_fetch(tmp_path, name, sources[name]), SMALL[name], counts)
    assert list(sd.class_counts("mnist", "train", 30)) == [3] * 10
    assert list(sd.class_counts("mnist", "train", 13)) == [2, 2, 2] + [1] * 7


def test_the_pixel_map_is_exact_so_files_do_not_depend_on_blas():
    """``z @ basis`` on fixed-point grids equals integer arithmetic: no BLAS rounding."""
    rng = np.random.default_rng(0)
    model = sd._ImageModel(rng, sd.IMAGE_PARAMETERS["cifar10"], 32, 3)
    y = rng.integers(0, 10, 500)
    z = model.means[y] + 3 * rng.standard_normal((500, sd._LATENT))
    z = np.round(z * sd._LATENT_GRID) / sd._LATENT_GRID
    zi = (z * sd._LATENT_GRID).astype(np.int64)
    bi = (model.basis * sd._BASIS_GRID).astype(np.int64)
    assert np.array_equal(zi / sd._LATENT_GRID, z)
    assert np.array_equal(bi / sd._BASIS_GRID, model.basis)
    np.testing.assert_array_equal(z @ model.basis, (zi @ bi) / (sd._LATENT_GRID * sd._BASIS_GRID))
