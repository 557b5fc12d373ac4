"""Tests of relusv.data: registry, verified downloads from a real local HTTP server, parsers,
seeded splits and the prepared-file format.

No network mocks: downloads go through keras.utils.get_file to a ThreadingHTTPServer on
127.0.0.1 that serves small files written by the tests in the keras layouts.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import io
import json
import pickle
import re
import socket
import struct
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest

from relusv import data

SKLEARN = ["digits", "breast_cancer", "wine", "iris"]
DOWNLOADED = ["mnist", "fashion_mnist", "cifar10", "boston_housing"]
KERAS_DATASETS = Path(__import__("importlib.util").util.find_spec("keras").origin).parent / (
    "src/datasets"
)


# --------------------------------------------------------------------------------------------
# fixtures: small files in the keras layouts and a real HTTP server


def sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_mnist_npz(path, n_train=30, n_test=12, seed=0) -> Path:
    rng = np.random.default_rng(seed)
    np.savez(
        path,
        x_train=rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        y_train=rng.integers(0, 10, n_train).astype(np.uint8),
        x_test=rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        y_test=rng.integers(0, 10, n_test).astype(np.uint8),
    )
    return Path(path)


def write_boston_npz(path, n=61, seed=0) -> Path:
    rng = np.random.default_rng(seed)
    np.savez(path, x=rng.normal(5.0, 3.0, (n, 13)), y=rng.uniform(5.0, 50.0, n))
    return Path(path)


def idx_gz(array: np.ndarray) -> bytes:
    header = b"\x00\x00\x08" + bytes([array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def write_fashion_dir(directory, n_train=20, n_test=8, seed=0) -> Path:
    rng = np.random.default_rng(seed)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        (directory / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(idx_gz(rng.integers(0, 10, n)))
        images = rng.integers(0, 256, (n, 28, 28))
        (directory / f"{prefix}-images-idx3-ubyte.gz").write_bytes(idx_gz(images))
    return directory


def write_cifar_tar(path, n=3, seed=0) -> tuple[Path, np.ndarray]:
    """A cifar-10-python.tar.gz with n images per batch; returns the first training row."""
    rng = np.random.default_rng(seed)
    first = None
    with tarfile.open(path, "w:gz") as tar:
        for member in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            rows = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
            first = rows[0] if first is None else first
            batch = {
                b"batch_label": member.encode(),
                b"labels": [int(v) for v in rng.integers(0, 10, n)],
                b"data": rows,
            }
            payload = pickle.dumps(batch, protocol=4)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{member}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return Path(path), first


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a directory; /truncated/<f> and /nolength/<f> send half of <f> and hang up."""

    requests: list  # set on a per-server subclass

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.requests.append(self.path)
        for prefix, send_length in (("/truncated/", True), ("/nolength/", False)):
            if self.path.startswith(prefix):
                body = (Path(self.directory) / self.path.removeprefix(prefix)).read_bytes()
                self.send_response(200)
                if send_length:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.close_connection = True
                return
        super().do_GET()


class Server:
    def __init__(self, directory: Path):
        self.dir = directory
        self.requests: list[str] = []
        handler = type("Handler", (_Handler,), {"requests": self.requests})
        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(handler, directory=str(directory))
        )
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{path}"

    def stop(self):
        if self.thread.is_alive():
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join()


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    """A proxy in the environment must not swallow requests to 127.0.0.1."""
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    srv = Server(served)
    yield srv
    srv.stop()


@pytest.fixture
def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


# --------------------------------------------------------------------------------------------
# registry


def test_registry_has_canonical_https_origins_and_sha256():
    assert set(data.DATASETS) == set(SKLEARN + DOWNLOADED)
    for name in DOWNLOADED:
        info = data.DATASETS[name]
        assert info.files, name
        for f in info.files:
            assert re.fullmatch(r"[0-9a-f]{64}", f.sha256), (name, f)
            assert f.origin.startswith("https://"), (name, f)
            assert f.origin.endswith(f.fname) and "/" not in f.fname
    assert len(data.DATASETS["fashion_mnist"].files) == 4
    # the hashes and origins are keras' own (keras gives none for Fashion-MNIST)
    for name, module in (
        ("mnist", "mnist"),
        ("cifar10", "cifar10"),
        ("boston_housing", "boston_housing"),
    ):
        source = (KERAS_DATASETS / f"{module}.py").read_text()
        (f,) = data.DATASETS[name].files
        assert f.sha256 in source, name
        assert f.origin.rsplit("/", 1)[0] in source, name
    fashion_source = (KERAS_DATASETS / "fashion_mnist.py").read_text()
    for f in data.DATASETS["fashion_mnist"].files:
        assert f'"{f.fname}"' in fashion_source and f.origin.rsplit("/", 1)[0] in fashion_source
    for name in SKLEARN:
        assert data.DATASETS[name].files == ()
        assert data.DATASETS[name].sklearn_loader


def test_package_reexports_the_public_names_of_its_modules():
    from relusv.data import download, prepared, raw, registry

    modules = (registry, download, raw, prepared)
    for name in data.__all__:
        assert any(getattr(m, name, None) is getattr(data, name) for m in modules), name


# --------------------------------------------------------------------------------------------
# fetch


def test_fetch_downloads_verifies_and_caches(server, tmp_path):
    sha = sha256(write_mnist_npz(server.dir / "mnist.npz"))
    cache = tmp_path / "raw" / "mnist"
    source = {"url": server.url("mnist.npz"), "sha256": sha}
    (path,) = data.fetch("mnist", cache, source=source)
    assert path == cache / "mnist.npz"
    assert path.read_bytes() == (server.dir / "mnist.npz").read_bytes()
    assert listing(cache) == ["mnist.npz"]
    assert server.requests == ["/mnist.npz"]

    assert data.fetch("mnist", cache, source=source) == [path]
    assert server.requests == ["/mnist.npz"]  # the second fetch never asked the server
    server.stop()
    assert data.fetch("mnist", cache, source=source) == [path]


@pytest.mark.parametrize("override_hash", [True, False])
def test_fetch_wrong_hash_fails_and_leaves_nothing(server, tmp_path, override_hash):
    actual = sha256(write_mnist_npz(server.dir / "mnist.npz"))
    expected = "ab" * 32 if override_hash else data.DATASETS["mnist"].files[0].sha256
    source = {"url": server.url("mnist.npz")}
    if override_hash:
        source["sha256"] = expected  # otherwise the canonical hash applies
    cache = tmp_path / "cache"
    with pytest.raises(data.ChecksumError) as err:
        data.fetch("mnist", cache, source=source)
    message = str(err.value)
    assert expected in message and actual in message and "mnist.npz" in message
    assert (err.value.expected, err.value.actual) == (expected, actual)
    assert listing(cache) == []


def test_fetch_unreachable_origin_says_how_to_prestage(tmp_path, closed_port):
    cache = tmp_path / "raw" / "mnist"
    url = f"http://127.0.0.1:{closed_port}/mnist.npz"
    with pytest.raises(data.DatasetUnavailableError) as err:
        data.fetch("mnist", cache, source={"url": url})
    message = str(err.value)
    assert isinstance(err.value, RuntimeError)
    assert "'mnist'" in message and "refused" in message
    assert "named exactly mnist.npz" in message
    assert f"in the directory {cache.absolute()}" in message
    assert data.DATASETS["mnist"].files[0].origin in message and url in message
    assert "data.sources.mnist.path" in message
    assert err.value.fname == "mnist.npz" and err.value.directory == cache.absolute()
    assert listing(cache) == []


def test_fetch_stalled_server_times_out(tmp_path):
    """A server that accepts but never answers: fail after `timeout`, not hang."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    # if the timeout were ignored, closing the listener later ends the wait with another error
    watchdog = threading.Timer(20.0, listener.close)
    watchdog.start()
    try:
        with pytest.raises(data.DatasetUnavailableError, match=r"did not answer within 0\.3 s"):
            data.fetch(
                "boston_housing",
                tmp_path / "c",
                source={"url": f"http://127.0.0.1:{port}/b.npz"},
                timeout=0.3,
            )
    finally:
        watchdog.cancel()
        listener.close()
    assert listing(tmp_path / "c") == []


def test_fetch_http_404_is_clear_and_leaves_nothing(server, tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(data.DatasetUnavailableError, match="HTTP 404") as err:
        data.fetch("mnist", cache, source={"url": server.url("nowhere/mnist.npz")})
    assert "named exactly mnist.npz" in str(err.value)
    assert listing(cache) == []


def test_fetch_truncated_body_is_clear_and_leaves_nothing(server, tmp_path):
    sha = sha256(write_mnist_npz(server.dir / "mnist.npz"))
    cache = tmp_path / "cache"
    # with a Content-Length the short body is noticed by urllib
    with pytest.raises(data.DatasetUnavailableError, match="truncated"):
        data.fetch("mnist", cache, source={"url": server.url("truncated/mnist.npz"), "sha256": sha})
    assert listing(cache) == []
    # without one only the hash notices
    with pytest.raises(data.ChecksumError, match=sha):
        data.fetch("mnist", cache, source={"url": server.url("nolength/mnist.npz"), "sha256": sha})
    assert listing(cache) == []
    assert server.requests == ["/truncated/mnist.npz", "/nolength/mnist.npz"]


def test_prestaged_file_is_used_without_network(tmp_path, closed_port):
    cache = tmp_path / "raw" / "boston_housing"
    cache.mkdir(parents=True)
    sha = sha256(write_boston_npz(cache / "boston_housing.npz"))
    source = {"url": f"http://127.0.0.1:{closed_port}/boston_housing.npz", "sha256": sha}
    assert data.fetch("boston_housing", cache, source=source) == [cache / "boston_housing.npz"]
    assert listing(cache) == ["boston_housing.npz"]


def test_prestaged_file_with_wrong_hash_is_deleted(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    actual = sha256(write_mnist_npz(cache / "mnist.npz"))
    with pytest.raises(data.ChecksumError) as err:
        data.fetch("mnist", cache)  # canonical hash, no network needed to notice
    assert actual in str(err.value) and data.DATASETS["mnist"].files[0].sha256 in str(err.value)
    assert listing(cache) == []


def test_source_path_copies_a_verified_local_file(tmp_path):
    local = write_boston_npz(tmp_path / "my_copy.npz")
    sha = sha256(local)
    cache = tmp_path / "cache"
    (path,) = data.fetch("boston_housing", cache, source={"path": str(local), "sha256": sha})
    assert path == cache / "boston_housing.npz" and path.read_bytes() == local.read_bytes()
    assert listing(cache) == ["boston_housing.npz"]

    other = tmp_path / "other"
    with pytest.raises(data.ChecksumError) as err:
        data.fetch("boston_housing", other, source={"path": str(local)})  # canonical hash
    assert sha in str(err.value) and str(local) in str(err.value)
    assert local.exists() and listing(other) == []  # the user's file stays, no copy is made

    with pytest.raises(FileNotFoundError, match="data.sources.boston_housing.path"):
        data.fetch("boston_housing", other, source={"path": str(tmp_path / "missing.npz")})


def test_fashion_mnist_from_a_mirror_and_from_a_directory(server, tmp_path):
    write_fashion_dir(server.dir / "fm")
    cache = tmp_path / "raw" / "fashion_mnist"
    paths = data.fetch("fashion_mnist", cache, source={"url": server.url("fm/"), "sha256": None})
    names = [f.fname for f in data.DATASETS["fashion_mnist"].files]
    assert [p.name for p in paths] == names and listing(cache) == sorted(names)
    assert sorted(server.requests) == sorted(f"/fm/{n}" for n in names)
    for p in paths:
        assert p.read_bytes() == (server.dir / "fm" / p.name).read_bytes()

    local = {"path": str(server.dir / "fm"), "sha256": None}
    assert [p.name for p in data.fetch("fashion_mnist", tmp_path / "c2", source=local)] == names
    with pytest.raises(data.ChecksumError, match="train-labels-idx1-ubyte.gz"):
        data.fetch("fashion_mnist", tmp_path / "c3", source={"path": str(server.dir / "fm")})
    assert listing(tmp_path / "c3") == []

    arrays, meta = data.prepare(
        "fashion_mnist", cache, validation_fraction=0.25, test_fraction=0.5, seed=0
    )
    assert arrays["x_train"].shape == (15, 784) and arrays["x_val"].shape == (5, 784)
    assert arrays["x_test"].shape == (8, 784) and meta["test_split"] == "canonical"
    assert meta["raw_files"] == {p.name: sha256(p) for p in paths}


@pytest.mark.parametrize(
    ("source", "match"),
    [
        ("mnist.npz", "must be a mapping"),
        ({"path": "a", "url": "http://x/"}, "exactly one of"),
        ({"sha256": None}, "exactly one of"),
        ({"path": "a", "md5": "x"}, "unknown keys"),
        ({"url": "ftp://host/mnist.npz"}, "http://, https:// or file://"),
        ({"url": "https://host/mnist.npz", "sha256": "abc"}, "64 hex digits"),
    ],
)
def test_fetch_rejects_malformed_sources(tmp_path, source, match):
    with pytest.raises(ValueError, match=match):
        data.fetch("mnist", tmp_path / "c", source=source)
    assert not (tmp_path / "c").exists()


def test_fetch_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match=r"dataset must be one of \[.*'fashion_mnist'.*'iris'"):
        data.fetch("svhn", tmp_path)
    with pytest.raises(ValueError, match="timeout must be a finite number"):
        data.fetch("mnist", tmp_path, timeout=0)
    with pytest.raises(ValueError, match="cache_dir must be a non-empty path"):
        data.fetch("mnist", "")
    with pytest.raises(ValueError, match="base URL ending in '/'"):
        data.fetch("fashion_mnist", tmp_path, source={"url": "https://m/fm.gz"})
    with pytest.raises(ValueError, match="cannot check"):
        data.fetch("fashion_mnist", tmp_path, source={"path": "d", "sha256": "a" * 64})
    with pytest.raises(ValueError, match="ships with scikit-learn"):
        data.fetch("iris", tmp_path, source={"path": "x"})
    assert data.fetch("iris", tmp_path / "none") == [] and not (tmp_path / "none").exists()


# --------------------------------------------------------------------------------------------
# raw parsers and prepare


def test_mnist_prepare_keeps_canonical_test_and_scales(tmp_path):
    raw = write_mnist_npz(tmp_path / "mnist.npz", n_train=30, n_test=12)
    x_train, y_train, x_test, y_test = data.load_raw("mnist", [raw])
    assert x_train.shape == (30, 28, 28) and x_test.shape == (12, 28, 28)
    assert y_train.dtype == np.int64

    arrays, meta = data.prepare(
        "mnist", [raw], validation_fraction=0.2, test_fraction=0.5, seed=3, max_train=10
    )
    assert arrays["x_train"].shape == (10, 784) and arrays["x_val"].shape == (6, 784)
    assert arrays["x_train"].dtype == np.float32
    np.testing.assert_array_equal(arrays["x_test"], x_test.reshape(12, -1) / np.float32(255))
    np.testing.assert_array_equal(arrays["y_test"], y_test)
    train, val, _ = data.split_indices(30, validation_fraction=0.2, test_fraction=None, seed=3)
    np.testing.assert_array_equal(
        arrays["x_train"], x_train[train[:10]].reshape(10, -1) / np.float32(255)
    )
    np.testing.assert_array_equal(arrays["y_val"], y_train[val])
    assert meta["split_sizes"] == {"train": 10, "validation": 6, "test": 12}
    assert meta["test_fraction"] is None and meta["max_train"] == 10


def test_cifar10_is_parsed_channels_last(tmp_path):
    raw, first = write_cifar_tar(tmp_path / "cifar-10-python.tar.gz", n=3)
    x_train, y_train, x_test, y_test = data.load_raw("cifar10", tmp_path)
    assert x_train.shape == (15, 32, 32, 3) and x_test.shape == (3, 32, 32, 3)
    assert y_train.shape == (15,) and y_test.shape == (3,)
    # keras' layout: pixel (0, 0) holds the first entries of the R, G and B planes
    assert list(x_train[0, 0, 0]) == [first[0], first[1024], first[2048]]
    arrays, meta = data.prepare(
        "cifar10", [raw], validation_fraction=0.2, test_fraction=0.5, seed=0
    )
    assert arrays["x_train"].shape == (12, 3072) and meta["input_dim"] == 3072


def test_boston_becomes_balanced_price_above_median(server, tmp_path):
    sha = sha256(write_boston_npz(server.dir / "boston_housing.npz", n=61))
    cache = tmp_path / "raw" / "boston_housing"
    source = {"url": server.url("boston_housing.npz"), "sha256": sha}
    data.fetch("boston_housing", cache, source=source)
    x, prices, x_test, _ = data.load_raw("boston_housing", cache)
    assert x.shape == (61, 13) and x_test.shape == (0, 13) and prices.dtype == np.float64

    arrays, meta = data.prepare(
        "boston_housing", cache, validation_fraction=0.1, test_fraction=0.2, seed=1
    )
    train, val, test = data.split_indices(61, validation_fraction=0.1, test_fraction=0.2, seed=1)
    median = np.median(prices[train])
    assert meta["median_price"] == pytest.approx(median) and meta["n_classes"] == 2
    n_train = len(train)
    assert arrays["y_train"].sum() == n_train // 2  # balanced around the training median
    for split, idx in (("train", train), ("val", val), ("test", test)):
        np.testing.assert_array_equal(arrays[f"y_{split}"], (prices[idx] > median).astype(int))
    np.testing.assert_allclose(arrays["x_train"].mean(axis=0, dtype=np.float64), 0, atol=1e-5)
    np.testing.assert_allclose(arrays["x_train"].std(axis=0, dtype=np.float64), 1, atol=1e-5)
    assert meta["raw_files"] == {"boston_housing.npz": sha}


def test_load_raw_rejects_wrong_layouts(tmp_path):
    boston = write_boston_npz(tmp_path / "b.npz")
    with pytest.raises(ValueError, match=r"b\.npz: missing key\(s\) \['x_train'"):
        data.load_raw("mnist", [boston])
    with pytest.raises(ValueError, match="has 1 raw file"):
        data.load_raw("mnist", [boston, boston])
    bad = tmp_path / "train-labels-idx1-ubyte.gz"
    bad.write_bytes(gzip.compress(b"\x00\x00\x08\x03" + b"\x00" * 20))
    with pytest.raises(ValueError, match="not an IDX file"):
        data.load_raw("fashion_mnist", [bad] * 4)
    with pytest.raises(FileNotFoundError, match="run fetch first"):
        data.load_raw("boston_housing", [tmp_path / "missing.npz"])


@pytest.mark.parametrize("name", SKLEARN)
def test_sklearn_dataset_prepares(name):
    x_all, y_all, x_none, _ = data.load_raw(name)
    assert x_none.shape == (0, x_all.shape[1])
    n, d = x_all.shape
    info = data.DATASETS[name]
    kwargs = {"validation_fraction": 0.1, "test_fraction": 0.2}
    arrays, meta = data.prepare(name, **kwargs, seed=0)

    assert meta["input_dim"] == d == info.input_dim and meta["n_classes"] == info.n_classes
    sizes = [len(arrays[f"y_{s}"]) for s in ("train", "val", "test")]
    assert sum(sizes) == n and min(sizes) > 0
    assert sizes[2] == round(0.2 * n) and sizes[1] == round(0.1 * (n - sizes[2]))
    for split in ("train", "val", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        assert x.dtype == np.float32 and x.shape == (len(y), d)
        assert y.dtype == np.int64 and 0 <= y.min() and y.max() < info.n_classes
    assert set(arrays["y_train"]) == set(range(info.n_classes))

    # the splits are disjoint rows of the raw data, standardised with training statistics
    train, val, test = data.split_indices(n, **kwargs, seed=0)
    assert len(np.unique(np.concatenate([train, val, test]))) == n
    mean, std = x_all[train].mean(axis=0), x_all[train].std(axis=0)
    constant = std == 0
    std[constant] = 1.0
    for split, idx in (("train", train), ("val", val), ("test", test)):
        expected = ((x_all[idx] - mean) / std).astype(np.float32)
        np.testing.assert_allclose(arrays[f"x_{split}"], expected, rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(arrays[f"y_{split}"], y_all[idx])
    np.testing.assert_allclose(arrays["x_train"].mean(axis=0, dtype=np.float64), 0, atol=1e-5)
    np.testing.assert_allclose(
        arrays["x_train"].std(axis=0, dtype=np.float64)[~constant], 1, atol=1e-5
    )
    assert meta["normalisation"]["kind"] == "standardise"

    again, meta_again = data.prepare(name, **kwargs, seed=0)
    other, _ = data.prepare(name, **kwargs, seed=1)
    for key in data.PREPARED_KEYS:
        np.testing.assert_array_equal(again[key], arrays[key])
    assert meta_again == meta
    assert not np.array_equal(other["y_train"], arrays["y_train"]) or not np.array_equal(
        other["x_train"], arrays["x_train"]
    )


def test_split_indices_are_disjoint_and_seeded():
    train, val, test = data.split_indices(100, validation_fraction=0.25, test_fraction=0.2, seed=7)
    assert (len(train), len(val), len(test)) == (60, 20, 20)
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(100))
    same = data.split_indices(100, validation_fraction=0.25, test_fraction=0.2, seed=7)
    other = data.split_indices(100, validation_fraction=0.25, test_fraction=0.2, seed=8)
    assert all(np.array_equal(a, b) for a, b in zip(same, (train, val, test), strict=True))
    assert not np.array_equal(other[0], train)
    _, _, none = data.split_indices(10, validation_fraction=0.5, test_fraction=None, seed=0)
    assert none.size == 0
    with pytest.raises(ValueError, match="too few"):
        data.split_indices(2, validation_fraction=0.5, test_fraction=0.5, seed=0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"validation_fraction": 0.0}, r"validation_fraction must be a finite number in \(0"),
        ({"validation_fraction": 1.0}, r"validation_fraction must be a finite number in \(0"),
        ({"test_fraction": 1.5}, r"test_fraction must be a finite number in \(0\.0, 1\.0\)"),
        ({"test_fraction": -0.1}, r"test_fraction must be a finite number in \(0\.0, 1\.0\)"),
        ({"test_fraction": True}, "test_fraction must be a finite number"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"seed": 1.5}, "seed must be a non-negative integer"),
        ({"max_train": 0}, "max_train must be None or an integer >= 1"),
    ],
)
def test_prepare_validates_arguments(kwargs, match):
    args = {"validation_fraction": 0.1, "test_fraction": 0.2, "seed": 0} | kwargs
    with pytest.raises(ValueError, match=match):
        data.prepare("iris", **args)


def test_prepare_rejects_unknown_dataset_and_missing_raw():
    with pytest.raises(ValueError, match=r"\['boston_housing', 'breast_cancer', 'cifar10'"):
        data.prepare("svhn", validation_fraction=0.1, test_fraction=0.2, seed=0)
    with pytest.raises(ValueError, match="needs its raw files"):
        data.prepare("mnist", validation_fraction=0.1, test_fraction=0.2, seed=0)


# --------------------------------------------------------------------------------------------
# prepared files


@pytest.fixture
def prepared(tmp_path):
    arrays, meta = data.prepare("wine", validation_fraction=0.1, test_fraction=0.2, seed=0)
    path = data.save_prepared(tmp_path / "out" / "wine.npz", arrays, meta)
    return path, arrays, meta


def test_prepared_round_trip_is_atomic(prepared):
    path, arrays, meta = prepared
    assert listing(path.parent) == ["wine.npz"]  # no temporary file left
    loaded, loaded_meta = data.load_prepared(path)
    assert loaded_meta == json.loads(json.dumps(meta))
    assert loaded_meta["raw_files"] == {} and loaded_meta["seed"] == 0
    for key in data.PREPARED_KEYS:
        np.testing.assert_array_equal(loaded[key], arrays[key])
        assert loaded[key].dtype == arrays[key].dtype


def test_load_prepared_checks_the_dataset_it_was_asked_for(prepared):
    path, _, _ = prepared
    assert data.load_prepared(path, dataset="wine")[1]["dataset"] == "wine"
    with pytest.raises(ValueError, match="holds the dataset 'wine', not 'digits'"):
        data.load_prepared(path, dataset="digits")


def test_load_prepared_rejects_a_truncated_file(prepared):
    path, _, _ = prepared
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2])
    with pytest.raises(ValueError, match=rf"{re.escape(str(path))}: not a readable \.npz"):
        data.load_prepared(path)


def test_load_prepared_rejects_a_corrupted_file(prepared):
    path, _, _ = prepared
    content = bytearray(path.read_bytes())
    start = content.index(b"x_train.npy") + 400  # inside the first array's data
    content[start : start + 64] = bytes(64)
    path.write_bytes(bytes(content))
    with pytest.raises(ValueError, match=re.escape(str(path))):
        data.load_prepared(path)


def test_load_prepared_rejects_a_missing_key(prepared, tmp_path):
    path, arrays, meta = prepared
    broken = tmp_path / "broken.npz"
    kept = {k: v for k, v in arrays.items() if k != "y_test"}
    np.savez(broken, **kept, metadata=np.array(json.dumps(meta)))
    with pytest.raises(ValueError, match=r"broken\.npz: missing key\(s\) \['y_test'\]"):
        data.load_prepared(broken)


def test_load_prepared_rejects_inconsistent_shapes(prepared, tmp_path):
    _, arrays, meta = prepared
    broken = tmp_path / "broken.npz"
    bad = dict(arrays, y_val=arrays["y_val"][:-1])
    np.savez(broken, **bad, metadata=np.array(json.dumps(meta)))
    with pytest.raises(ValueError, match=r"broken\.npz: y_val must be an int64 array of shape"):
        data.load_prepared(broken)
    with pytest.raises(ValueError, match="x_test has shape"):
        data.save_prepared(broken, dict(arrays, x_test=arrays["x_test"][:, :3]), meta)
    with pytest.raises(ValueError, match="split_sizes"):
        data.save_prepared(broken, arrays, dict(meta, split_sizes={"train": 1}))


def test_save_prepared_failure_leaves_no_temporary_file(prepared, tmp_path):
    _, arrays, meta = prepared
    target = tmp_path / "taken.npz"
    target.mkdir()  # os.replace onto a directory fails after the data was written
    with pytest.raises(OSError):
        data.save_prepared(target, arrays, meta)
    assert listing(tmp_path) == ["out", "taken.npz"] and listing(target) == []
    with pytest.raises(ValueError, match="not JSON-serialisable"):
        data.save_prepared(tmp_path / "x.npz", arrays, dict(meta, extra=object()))
    assert not (tmp_path / "x.npz").exists()
