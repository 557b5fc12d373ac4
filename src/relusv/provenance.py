"""Provenance sidecars: beside every result, what produced it.

``<file>.provenance.json`` records the rule, the config values and seeds it used, its inputs, the
package versions, the machine and the git commit.
"""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

from relusv.files import write_json

PROVENANCE_SUFFIX = ".provenance.json"
_PACKAGES = ("relusv", "numpy", "scipy", "pandas", "matplotlib", "seaborn", "keras",
             "tensorflow", "snakemake", "scikit-learn")


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
