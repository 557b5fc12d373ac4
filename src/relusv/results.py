"""Writing result files: atomically, with a provenance sidecar, and with progress in a log.

A workflow rule that is killed half-way must never leave a file under its final name that looks
finished. Every writer here writes to a temporary name in the same directory and renames it
(``os.replace`` is atomic on POSIX), and :func:`write_provenance` records next to each result
what produced it: the config values and seeds used, package versions and the git commit.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from importlib import metadata
from pathlib import Path

import numpy as np

from relusv._validation import check_positive_int

PROVENANCE_SUFFIX = ".provenance.json"
_PACKAGES = ("relusv", "numpy", "scipy", "pandas", "matplotlib", "seaborn", "keras",
             "tensorflow", "snakemake", "scikit-learn")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` only if the block succeeds.

    The temporary name keeps the final suffix, so writers that choose a format by suffix
    (``np.savez``, ``DataFrame.to_csv``, ``savefig``) behave as they would on the final name.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A uuid name rather than mkstemp: the file gets the usual umask permissions, not 0600.
    tmp_path = path.parent / f".{path.stem}.{uuid.uuid4().hex}.tmp{path.suffix}"
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: str | os.PathLike, value) -> None:
    """Write ``value`` as indented JSON with sorted keys, atomically. NaN becomes null."""
    write_text(path, json.dumps(_json_safe(value), indent=2, sort_keys=True) + "\n")


def write_csv(path: str | os.PathLike, frame) -> None:
    """Write a pandas DataFrame as CSV (no index), atomically."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def save_npz(path: str | os.PathLike, **arrays) -> None:
    """Save arrays with ``np.savez_compressed``, atomically."""
    with atomic_path(path) as tmp:
        np.savez_compressed(tmp, **arrays)


def git_commit(directory: str | os.PathLike) -> str:
    """The commit checked out in ``directory``, with ``-dirty`` if tracked files changed.

    Returns ``"unknown"`` outside a git checkout (e.g. an unpacked release), never raises.
    """
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(directory), *args], capture_output=True,
                              text=True, check=True, timeout=10).stdout.strip()
    try:
        commit = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that decide the numbers, and Python's."""
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def provenance_record(*, rule: str, params: Mapping, inputs=(), source_dir=None) -> dict:
    """What produced a result: rule, params (config values, seeds), inputs, versions, commit."""
    return {
        "rule": rule,
        "params": dict(params),
        "inputs": [str(p) for p in inputs],
        "packages": package_versions(),
        "git_commit": git_commit(source_dir or Path(__file__).resolve().parent),
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpu_count": os.cpu_count()},
    }


def write_provenance(outputs, record: Mapping) -> None:
    """Write ``<output>.provenance.json`` beside each output file or directory."""
    for output in outputs:
        output = Path(output)
        write_json(output.parent / (output.name + PROVENANCE_SUFFIX),
                   {**record, "output": str(output)})


def log_to_file(log_path: str | os.PathLike, level: int = logging.INFO) -> logging.Logger:
    """Send logging and stderr (warnings, TensorFlow's messages, tracebacks) to the rule's log."""
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    stream = open(log_path, "a", buffering=1)  # noqa: SIM115 -- lives as long as the process
    sys.stderr.flush()
    os.dup2(stream.fileno(), 2)  # TensorFlow's C++ messages write to file descriptor 2 directly
    sys.stderr = stream
    logging.basicConfig(stream=stream, level=level, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.captureWarnings(True)
    return logging.getLogger("relusv")


def _json_safe(value):
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        return _json_safe(value.tolist())
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def limit_threads(threads: int) -> None:
    """Hold this process to ``threads`` cores: the BLAS of numpy and scipy and, when TensorFlow
    is loaded, its two pools of op threads.

    Snakemake reserves ``threads`` cores for a job, but OpenBLAS and TensorFlow start one thread
    per core of the machine: without this, jobs that run side by side (``--cores N``) would
    together start far more threads than there are cores. Call it before the first TensorFlow op.

    Raises
    ------
    ValueError
        If ``threads`` is not a positive int.
    RuntimeError
        If TensorFlow has already run an op (its thread pools are then fixed).
    """
    import threadpoolctl

    threads = check_positive_int(threads, "threads")
    threadpoolctl.threadpool_limits(threads)
    tensorflow = sys.modules.get("tensorflow")
    if tensorflow is None:
        return
    threading = tensorflow.config.threading
    if (threading.get_intra_op_parallelism_threads() == threads
            and threading.get_inter_op_parallelism_threads() == threads):
        return
    try:
        threading.set_intra_op_parallelism_threads(threads)
        threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError as error:
        raise RuntimeError(
            f"cannot limit TensorFlow to {threads} threads: it has already run an op ({error}); "
            "call limit_threads (or enter rule_run) before using Keras") from error


@contextlib.contextmanager
def rule_run(smk) -> Iterator[logging.Logger]:
    """Run the body of a Snakemake script: hold it to the job's ``threads``
    (:func:`limit_threads`), log to the rule's log, then record provenance.

    ``smk`` is the ``snakemake`` object Snakemake injects into a script. The provenance sidecar
    of each output is written only after the body finished, so a missing sidecar marks an
    output that was not produced by a complete run.
    """
    limit_threads(smk.threads)
    log = log_to_file(smk.log[0])
    params = dict(smk.params.items())
    log.info("rule %s started; params %s", smk.rule, json.dumps(_json_safe(params), sort_keys=True))
    yield log
    write_provenance(smk.output, provenance_record(
        rule=smk.rule, params={**params, "wildcards": dict(smk.wildcards.items())},
        inputs=smk.input, source_dir=Path(smk.scriptdir)))
    log.info("rule %s finished", smk.rule)
