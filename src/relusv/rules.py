"""The glue of a rule's script: the job's thread limit, its log, and provenance when it is done.

Every script in ``scripts/`` runs its body inside :func:`rule_run`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator
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
    log.info("rule %s started; params %s", smk.rule, json.dumps(json_safe(params), sort_keys=True))
    yield log
    write_provenance(smk.output, provenance_record(
        rule=smk.rule, params={**params, "wildcards": dict(smk.wildcards.items())},
        inputs=smk.input, source_dir=Path(smk.scriptdir)))
    log.info("rule %s finished", smk.rule)
