"""Atomic file writes: text, JSON, CSV and npz files that appear whole or not at all.

A workflow rule that is killed half-way must never leave a file under its final name that looks
finished. Every writer here writes to a temporary name in the same directory and renames it
(``os.replace`` is atomic on POSIX).
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np


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
    write_text(path, json.dumps(json_safe(value), indent=2, sort_keys=True) + "\n")



def write_csv(path: str | os.PathLike, frame) -> None:
    """Write a pandas DataFrame as CSV (no index), atomically."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)



def save_npz(path: str | os.PathLike, **arrays) -> None:
    """Save arrays with ``np.savez_compressed``, atomically."""
    with atomic_path(path) as tmp:
        np.savez_compressed(tmp, **arrays)



def json_safe(value):
    """``value`` with numpy scalars and arrays as Python values, paths as str, NaN/inf as None."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        return json_safe(value.tolist())
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value
