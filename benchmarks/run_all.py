"""Run benchmarks and write benchmarks/RESULTS.md (what `make bench` does).

Each ``bench_*.py`` module has a ``main() -> list[dict]`` that prints its own Markdown tables and
returns its rows. This runner saves each benchmark's printed section, with the date, git commit,
machine and load average of its run, as ``benchmarks/results/<name>.md``, then writes
``RESULTS.md``: the machine, the package versions, ``PROFILING.md`` (profiles and before/after of
the fixes), and every saved section in order. Rerunning one benchmark therefore keeps the
others' last results.

Usage: ``python benchmarks/run_all.py [name ...]`` (names like ``widths``; default: all).
"""

from __future__ import annotations

import contextlib
import datetime
import importlib
import io
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SECTIONS = HERE / "results"
sys.path.insert(0, str(HERE))

from relusv.files import write_text  # noqa: E402
from relusv.provenance import git_commit, package_versions  # noqa: E402

#: The order of the sections in RESULTS.md (and of a full run).
ORDER = ("widths", "singular_values", "bounds_methods", "widths_training", "training",
         "from_scratch", "pruning", "workflow")


def cpu_model() -> str:
    """The CPU model from /proc/cpuinfo, or what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def run(name: str) -> None:
    """Run ``bench_<name>.main()``, echo its output and save it as a section."""
    print(f"## {name}", flush=True)
    load_before = os.getloadavg()[0]
    # Taken at the start: the code that ran, even if commits follow during a long run.
    started, commit = datetime.datetime.now(datetime.UTC), git_commit(HERE)[:12]
    start = time.perf_counter()
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        importlib.import_module(f"bench_{name}").main()
    minutes = (time.perf_counter() - start) / 60
    print(captured.getvalue(), flush=True)
    stamp = (f"*Run {started:%Y-%m-%d %H:%M} UTC at commit "
             f"{commit} on {cpu_model()} ({os.cpu_count()} cores), "
             f"{minutes:.1f} min; 1-minute load average {load_before:.2f} before the run.*")
    write_text(SECTIONS / f"{name}.md",
               f"## {name}\n\n{stamp}\n\n{captured.getvalue().strip()}\n")


def write_results() -> Path:
    """Assemble RESULTS.md from the machine description and every saved section."""
    header = [
        "# Benchmark results",
        "",
        f"- machine: {cpu_model()}, {os.cpu_count()} cores, {platform.platform()}",
        "- packages: " + ", ".join(f"{k} {v}" for k, v in package_versions().items()),
        "",
        "Regenerate with `make bench` (all, about 2 hours on 2 cores) or "
        "`python benchmarks/run_all.py widths` (one section; the others keep their last run).",
        "Each section says when, at which commit and on which machine it ran (compare timings "
        "only within a section, or across sections of the same machine).",
        "",
    ]
    parts = ["\n".join(header)]
    profiling = HERE / "PROFILING.md"
    if profiling.exists():
        parts.append(profiling.read_text().strip() + "\n")
    parts += [(SECTIONS / f"{name}.md").read_text() for name in ORDER
              if (SECTIONS / f"{name}.md").exists()]
    path = HERE / "RESULTS.md"
    write_text(path, "\n".join(parts))
    return path


def main(names: list[str]) -> None:
    available = sorted(path.stem.removeprefix("bench_") for path in HERE.glob("bench_*.py"))
    unknown = sorted(set(names) - set(available))
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {unknown}; available: {available}")
    missing = sorted(set(available) - set(ORDER))
    if missing:
        raise SystemExit(f"benchmarks {missing} are not in run_all.ORDER; add them")
    for name in names or ORDER:
        run(name)
    print(f"wrote {write_results()}")


if __name__ == "__main__":
    main(sys.argv[1:])
