"""Checked downloads: :func:`fetch` puts a dataset's raw files in a cache, each verified by sha256.

Files come from the canonical origin with ``keras.utils.get_file``, from a mirror, or from a local
copy, as the config entry ``data.sources.<name>`` says (:func:`fetch`'s ``source``). Files already
in the cache directory (e.g. copied there by hand on an offline cluster) are checked and used
without any network access. A network failure becomes a :class:`DatasetUnavailableError` whose
message says how to get going offline; a wrong hash, a :class:`ChecksumError`.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import re
import shutil
import socket
import ssl
import urllib.error
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from relusv._validation import check_path, check_positive_real
from relusv.data.registry import DatasetInfo, RemoteFile, dataset_info
from relusv.files import atomic_path

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class DatasetUnavailableError(RuntimeError):
    """A raw file could not be obtained: no network, an HTTP error, or a truncated download.

    The message says what went wrong and how to get going offline: the exact file name to
    pre-stage, the directory to put it in, the canonical URL and the config key that points the
    dataset at a local copy. The same facts are attributes: ``dataset``, ``fname``,
    ``directory``, ``url`` (the one tried), ``canonical_url`` and ``config_key``.
    """

    def __init__(self, message, *, dataset, fname, directory, url, canonical_url, config_key):
        super().__init__(message)
        self.dataset = dataset
        self.fname = fname
        self.directory = directory
        self.url = url
        self.canonical_url = canonical_url
        self.config_key = config_key


class ChecksumError(ValueError):
    """A file's sha256 is not the expected one; the message names the file and both hashes.

    Attributes ``path``, ``expected`` and ``actual``. A bad file in the cache directory has been
    deleted when this is raised; a user's own source file (``data.sources.<name>.path``) is left
    alone and no copy of it is made.
    """

    def __init__(self, message, *, path, expected, actual):
        super().__init__(message)
        self.path = path
        self.expected = expected
        self.actual = actual


@dataclass(frozen=True)
class _Planned:
    """Where one raw file comes from: a URL or a local path, and the sha256 it must have."""

    file: RemoteFile
    url: str | None
    local: Path | None
    sha256: str | None


def _plan(info: DatasetInfo, source) -> list[_Planned]:
    """Check ``source`` (a ``data.sources.<name>`` entry) and say where each file comes from."""
    if source is None:
        return [_Planned(f, f.origin, None, f.sha256) for f in info.files]
    key = info.config_key
    if not isinstance(source, Mapping):
        raise ValueError(
            f"{key} must be a mapping with 'path' or 'url' (and optionally 'sha256'), "
            f"got {source!r}"
        )
    unknown = sorted(set(source) - {"path", "url", "sha256"})
    if unknown:
        raise ValueError(f"{key} has unknown keys {unknown}; allowed: ['path', 'sha256', 'url']")
    if ("path" in source) == ("url" in source):
        raise ValueError(f"{key} must have exactly one of 'path' and 'url', got {dict(source)!r}")
    if not info.files:
        raise ValueError(
            f"{info.name} ships with scikit-learn and downloads nothing; remove {key} "
            "from the config"
        )
    multi = len(info.files) > 1
    sha = source.get("sha256")
    if sha is not None:
        if not isinstance(sha, str) or not _SHA256.match(sha.lower()):
            raise ValueError(f"{key}.sha256 must be 64 hex digits or null, got {sha!r}")
        if multi:
            raise ValueError(
                f"{info.name} has {len(info.files)} files, which one {key}.sha256 cannot check: "
                "leave it out to check each file against its canonical hash, or set it to null"
            )
        sha = sha.lower()

    def expected(f: RemoteFile) -> str | None:
        return f.sha256 if "sha256" not in source else sha

    if "path" in source:
        base = check_path(source["path"], f"{key}.path").expanduser()
        plans = []
        for f in info.files:
            local = base / f.fname if (multi or base.is_dir()) else base
            plans.append(_Planned(f, None, local, expected(f)))
        return plans

    url = source["url"]
    scheme = urllib.parse.urlsplit(url).scheme if isinstance(url, str) else ""
    if scheme not in {"http", "https", "file"}:
        raise ValueError(f"{key}.url must be an http://, https:// or file:// URL, got {url!r}")
    if multi and not url.endswith("/"):
        raise ValueError(
            f"{key}.url must be a base URL ending in '/' to which the file names of "
            f"{info.name} ({', '.join(f.fname for f in info.files)}) are appended, got {url!r}"
        )
    return [
        _Planned(f, url + f.fname if url.endswith("/") else url, None, expected(f))
        for f in info.files
    ]


def fetch(name: str, cache_dir, *, source=None, timeout: float = 10.0) -> list[Path]:
    """Ensure the raw files of dataset ``name`` are in ``cache_dir`` and return their paths.

    Parameters
    ----------
    name : one of :data:`DATASETS`
    cache_dir : path of the directory that holds this dataset's raw files (created if missing),
        e.g. ``resources/raw/mnist``. Files keep their canonical names (:attr:`RemoteFile.fname`).
    source : the config entry ``data.sources.<name>``, or None for the canonical origin:

        - ``{"path": "/data/mnist.npz"}``: copy a local file (a file in the keras layout, or a
          directory holding the files under their canonical names, required for the four files of
          ``fashion_mnist``) into ``cache_dir``;
        - ``{"url": "https://mirror/mnist.npz"}``: download from a mirror; a URL ending in ``/``
          is a base to which the canonical file names are appended (required for
          ``fashion_mnist``).

        ``"sha256"``: left out, each file is checked against its canonical hash; a 64-hex string
        (single-file datasets only), against that; ``None``, not checked at all.
    timeout : seconds any single network operation (connect, each read) may block.

    Returns
    -------
    list of Path, one per raw file in registry order (empty for the scikit-learn datasets).

    A file already in ``cache_dir`` (cached, or pre-staged by hand) is checked against the hash and
    used without touching the network. Downloads and copies go to a temporary name in
    ``cache_dir`` and are moved into place (``os.replace``) only once verified; on any failure,
    including Ctrl-C, neither a partial nor a bad file remains.

    Raises
    ------
    ValueError
        Unknown name, malformed ``source`` or ``timeout``.
    DatasetUnavailableError
        The network or server failed (unreachable, refused, DNS, timeout, HTTP error, truncated
        body); the message names the file to pre-stage, the directory, the canonical URL and the
        config key.
    ChecksumError
        A file has the wrong sha256; the message names it, the expected and the actual hash.
    FileNotFoundError
        ``source["path"]`` does not exist.
    """
    info = dataset_info(name)
    plans = _plan(info, source)
    timeout = check_positive_real(timeout, "timeout")
    cache_dir = check_path(cache_dir, "cache_dir")
    if not info.files:
        return []
    directory = cache_dir.expanduser().absolute()
    directory.mkdir(parents=True, exist_ok=True)
    if not os.access(directory, os.W_OK):
        raise PermissionError(f"cache directory {directory} is not writable")
    paths = []
    for plan in plans:
        target = directory / plan.file.fname
        if target.exists() or target.is_symlink():
            _check_cached(target, plan.sha256)
        elif plan.local is not None:
            _copy_verified(info, plan, target)
        else:
            _download_verified(info, plan, target, timeout)
        paths.append(target)
    return paths


def sha256_file(path, chunk_size: int = 1 << 20) -> str:
    """Return the hex sha256 of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _mismatch(path: Path, expected: str, actual: str, what_happened: str) -> ChecksumError:
    return ChecksumError(
        f"sha256 mismatch for {path}: expected {expected}, actual {actual}. {what_happened}",
        path=path,
        expected=expected,
        actual=actual,
    )


def _check_cached(target: Path, expected: str | None) -> None:
    """Verify a file already in the cache directory; delete it if its hash is wrong."""
    if not target.is_file():
        raise ValueError(f"{target} exists but is not a regular file; remove it and fetch again")
    if expected is None:
        return
    actual = sha256_file(target)
    if actual != expected:
        target.unlink()
        raise _mismatch(
            target,
            expected,
            actual,
            "The file (cached or pre-staged) has been deleted; fetch again, or pre-stage a "
            "correct copy.",
        )


def _copy_verified(info: DatasetInfo, plan: _Planned, target: Path) -> None:
    """Copy ``plan.local`` into ``target`` through a verified temporary copy."""
    local = plan.local
    if not local.is_file():
        hint = " (a directory holding the files by name)" if len(info.files) > 1 else ""
        raise FileNotFoundError(
            f"{info.config_key}.path{hint} should provide {plan.file.fname} for {info.name}, "
            f"but {local} is not a file"
        )
    with atomic_path(target) as tmp:
        shutil.copyfile(local, tmp)
        actual = sha256_file(tmp)
        if plan.sha256 is not None and actual != plan.sha256:
            raise _mismatch(
                local,
                plan.sha256,
                actual,
                f"No copy was made (the source file is left alone); check {info.config_key}.",
            )


@contextlib.contextmanager
def _default_socket_timeout(seconds: float):
    """Set the process-wide default socket timeout for the duration of the block.

    ``keras.utils.get_file`` calls ``urllib.request.urlretrieve``, which takes no timeout and
    blocks for as long as the OS lets it; the default timeout is the only handle on it.
    """
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


_NETWORK_ERRORS = (
    urllib.error.URLError,
    http.client.HTTPException,
    ConnectionError,
    TimeoutError,
    socket.gaierror,
    ssl.SSLError,
)


def _network_cause(exc: BaseException) -> BaseException | None:
    """The first network error in ``exc``'s chain (keras re-raises them as bare ``Exception``)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, _NETWORK_ERRORS):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def _describe(cause: BaseException, timeout: float) -> str:
    if isinstance(cause, urllib.error.HTTPError):
        return f"the server answered HTTP {cause.code} {cause.reason}"
    if isinstance(cause, urllib.error.ContentTooShortError):
        return f"the download was truncated ({cause.reason})"
    if isinstance(cause, http.client.IncompleteRead):
        return f"the download was truncated ({cause!r})"
    reason = cause.reason if isinstance(cause, urllib.error.URLError) else cause
    if isinstance(reason, socket.gaierror):
        return f"the host name could not be resolved ({reason})"
    if isinstance(reason, TimeoutError):
        return f"the server did not answer within {timeout:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return f"the connection was refused ({reason})"
    return f"the network or server failed ({reason})"


def _unavailable(info: DatasetInfo, plan: _Planned, directory: Path, why: str):
    fname = plan.file.fname
    return DatasetUnavailableError(
        f"could not download {fname} for dataset {info.name!r} from {plan.url}: {why}.\n"
        f"To run offline, get {fname} from the canonical URL {plan.file.origin} "
        f"(sha256 {plan.file.sha256}) and either\n"
        f"  - put it, named exactly {fname}, in the directory {directory}, or\n"
        f"  - set the config key {info.config_key}.path to a local copy "
        f"(or {info.config_key}.url to a mirror).",
        dataset=info.name,
        fname=fname,
        directory=directory,
        url=plan.url,
        canonical_url=plan.file.origin,
        config_key=info.config_key,
    )


def _download_verified(info: DatasetInfo, plan: _Planned, target: Path, timeout: float) -> None:
    """Download ``plan.url`` to ``target`` with ``keras.utils.get_file``, atomically.

    ``get_file`` writes straight to the name it is given, leaves a file with a bad hash in place,
    and falls back silently to ``/tmp/.keras`` when ``cache_dir`` is not writable; so it gets a
    temporary name (:func:`relusv.files.atomic_path`), an absolute ``cache_subdir`` (which makes
    it ignore that fallback), and the result is verified here before it is moved into place.
    """
    from keras.utils import get_file  # imported here: keras pulls in TensorFlow

    directory = target.parent
    with atomic_path(target) as tmp:
        try:
            with _default_socket_timeout(timeout):
                got = get_file(
                    fname=tmp.name,
                    origin=plan.url,
                    file_hash=plan.sha256,
                    cache_dir=str(directory),
                    cache_subdir=str(directory),
                )
        except Exception as exc:
            cause = _network_cause(exc)
            if cause is not None:
                raise _unavailable(info, plan, directory, _describe(cause, timeout)) from exc
            if not (isinstance(exc, ValueError) and tmp.is_file() and plan.sha256):
                raise
            # keras' "Incomplete or corrupted file detected": fall through to our own check
        else:
            if Path(got) != tmp:
                raise RuntimeError(f"keras.utils.get_file wrote {got}, expected {tmp}")
        actual = sha256_file(tmp)
        if plan.sha256 is not None and actual != plan.sha256:
            raise _mismatch(
                directory / plan.file.fname,
                plan.sha256,
                actual,
                f"Downloaded from {plan.url}; the download has been deleted.",
            )
