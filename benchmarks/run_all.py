"""Run every benchmark and write benchmarks/RESULTS.md (what `make bench` does).

Each ``bench_*.py`` module has a ``main() -> list[dict]`` that prints its own Markdown table and
returns its rows; this runner records the machine, the package versions and every table in one
file. Usage: ``python benchmarks/run_all.py [name ...]`` (names like ``widths``; default: all).
"""

from __future__ import annotations

import contextlib
import datetime
import importlib
import io
import os
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from relusv.results import git_commit, package_versions  # noqa: E402


def cpu_model() -> str:
    """The CPU model from /proc/cpuinfo, or what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(names: list[str]) -> None:
    available = sorted(path.stem.removeprefix("bench_") for path in HERE.glob("bench_*.py"))
    unknown = sorted(set(names) - set(available))
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {unknown}; available: {available}")
    sections = []
    for name in names or available:
        print(f"## {name}", flush=True)
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured):
            importlib.import_module(f"bench_{name}").main()
        print(captured.getvalue(), flush=True)
        sections.append(f"## {name}\n\n{captured.getvalue().strip()}\n")
    header = [
        "# Benchmark results",
        "",
        f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {cpu_model()}, {os.cpu_count()} cores, {platform.platform()}",
        f"- git commit: {git_commit(HERE)}",
        "- packages: " + ", ".join(f"{k} {v}" for k, v in package_versions().items()),
        "",
        "Regenerate with `make bench` (all) or `python benchmarks/run_all.py widths` (one).",
        "",
    ]
    (HERE / "RESULTS.md").write_text("\n".join(header) + "\n".join(sections))
    print(f"wrote {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main(sys.argv[1:])
