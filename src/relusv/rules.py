"""The glue of a rule's script: the job's thread limit, its log, its params, provenance at the end.

Every script in ``scripts/`` runs its body inside :func:`rule_run`. The script reads its params
through a :class:`TrackedParams` view, and a job whose script never read one of the params its
rule passes fails: a config key that reaches a rule but changes nothing is a bug, and the demo
DAG in the test suite runs every rule.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from relusv._validation import check_positive_int
from relusv.files import json_safe
from relusv.provenance import provenance_record, write_provenance


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


class UnreadParamsError(RuntimeError):
    """A rule passed params that its script never read."""


class TrackedParams(Mapping):
    """A rule's params, read as attributes or items, remembering which ones were read.

    A param that is a mapping (a network's spec, the plot style) is tracked key by key: its
    value is a :class:`TrackedParams` too, and :meth:`unread` names its keys as
    ``param.key``. Reading a whole mapping (iterating it, ``dict(...)``, ``**``) reads every
    key; a list is read as one value.

    Parameters
    ----------
    params : mapping of name -> value
        What the rule's ``params:`` gave (Snakemake's ``snakemake.params``).
    """

    def __init__(self, params: Mapping):
        self._values = {
            str(k): TrackedParams(v) if isinstance(v, Mapping) else v for k, v in params.items()
        }
        self._read: set[str] = set()

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError as error:
            raise AttributeError(error.args[0]) from None

    def __getitem__(self, name: str):
        if name not in self._values:
            raise KeyError(f"no param {name!r}; there are {sorted(self._values)}")
        self._read.add(name)
        return self._values[name]

    def __iter__(self):
        self._read.update(self._values)
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def unread(self) -> list[str]:
        """The params (and keys of mapping params, as ``param.key``) not read so far, sorted."""
        missing = []
        for name, value in self._values.items():
            if name not in self._read:
                missing.append(name)
            elif isinstance(value, TrackedParams):
                missing.extend(f"{name}.{key}" for key in value.unread())
        return sorted(missing)


@contextlib.contextmanager
def rule_run(smk) -> Iterator[logging.Logger]:
    """Run the body of a Snakemake script: hold it to the job's ``threads``
    (:func:`limit_threads`), log to the rule's log, check that it read every param, then record
    provenance.

    ``smk`` is the ``snakemake`` object Snakemake injects into a script; inside the block its
    ``params`` is a :class:`TrackedParams` view. The provenance sidecar of each output is
    written only after the body finished, so a missing sidecar marks an output that was not
    produced by a complete run.

    Raises
    ------
    UnreadParamsError
        After the body, if it never read one of the rule's params (the job fails, naming them).
    """
    limit_threads(smk.threads)
    log = log_to_file(smk.log[0])
    params = dict(smk.params.items())
    log.info("rule %s started; params %s", smk.rule, json.dumps(json_safe(params), sort_keys=True))
    tracked = TrackedParams(params)
    # Snakemake's `params` is a read-only property that builds a fresh object on every access,
    # so the script sees the tracked view through a subclass of the injected object's class.
    smk.__class__ = type("TrackedSnakemake", (type(smk),), {"params": property(lambda _: tracked)})
    yield log
    if tracked.unread():
        raise UnreadParamsError(
            f"rule {smk.rule} passes params {tracked.unread()} that its script never read, so "
            "the config keys behind them change nothing: read them in the script or remove them "
            "from the rule's params")
    write_provenance(smk.output, provenance_record(
        rule=smk.rule, params={**params, "wildcards": dict(smk.wildcards.items())},
        inputs=smk.input, source_dir=Path(smk.scriptdir)))
    log.info("rule %s finished", smk.rule)
