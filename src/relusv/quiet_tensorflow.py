"""Import Keras (and TensorFlow) without TensorFlow's and CUDA's start-up messages.

Importing TensorFlow prints, from C++ and before its logging is set up, lines such as
``I0000 ... oneDNN custom operations are on``, ``Could not find cuda drivers`` and, on a machine
without a GPU, ``E0000 ... failed call to cuInit: ... (303)``: harmless, but they read like
failures. ``TF_CPP_MIN_LOG_LEVEL`` hides only those printed after logging starts, so
:func:`import_keras` also sends file descriptor 2 (the process's stderr, where C++ writes) to a
temporary file while TensorFlow starts and initialises its devices, and replays what was caught
if the import fails. Call it before anything else imports TensorFlow; once it is imported, this
changes nothing.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator

__all__ = ["QUIET_ENVIRONMENT", "import_keras", "quiet_environment"]

#: Environment variables that silence TensorFlow's C++ logging (set only where not set already).
QUIET_ENVIRONMENT = {"TF_CPP_MIN_LOG_LEVEL": "3"}


def quiet_environment() -> None:
    """Set :data:`QUIET_ENVIRONMENT` where the user has not set those variables."""
    for key, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(key, value)


@contextlib.contextmanager
def _native_stderr_caught() -> Iterator[None]:
    """Send fd 2 to a temporary file for the block; replay it to stderr if the block fails."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            caught.seek(0)
            sys.stderr.write(caught.read().decode(errors="replace"))
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def import_keras(verbose: bool = False):
    """``keras``, imported with TensorFlow's start-up messages hidden unless ``verbose``.

    The block also creates one tensor, so that TensorFlow looks for GPUs (and says so) while
    its messages are caught.
    """
    if verbose or "tensorflow" in sys.modules:
        import keras

        return keras
    quiet_environment()
    with _native_stderr_caught():
        import keras

        keras.ops.convert_to_numpy(keras.ops.zeros((1,)))
    return keras
