"""Shared fixtures: where the repository is, and how to run its workflow."""

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def run_snakemake(*args: str, cwd: Path = ROOT, check: bool = True,
                  timeout: float = 1200) -> subprocess.CompletedProcess:
    """Run the workflow's Snakefile with ``args``; output is captured as text."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONHASHSEED": "0"}
    result = subprocess.run([*SNAKEMAKE, "--snakefile", str(ROOT / "Snakefile"), *args],
                            cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({result.returncode}):\n"
                             f"{result.stdout[-5000:]}\n{result.stderr[-5000:]}")
    return result


def demo_config(*overrides: Path) -> list[str]:
    """``--configfile`` arguments: the demo config, then YAML files that override some keys.

    (Snakemake's ``--config key=value`` reads nested values as strings, so overrides of nested
    keys go through a YAML file, as a user would write them.)
    """
    return ["--configfile", str(ROOT / "config" / "demo.yaml"), *map(str, overrides)]


def write_override(path: Path, override: dict) -> Path:
    path.write_text(yaml.safe_dump(override))
    return path


def validated_config(name: str) -> dict:
    """``config/<name>`` as the workflow sees it: validated, the schema's defaults filled in."""
    from snakemake.utils import validate

    config = yaml.safe_load((ROOT / "config" / name).read_text())
    validate(config, str(ROOT / "workflow" / "schemas" / "config.schema.yaml"))
    return config
