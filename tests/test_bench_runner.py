"""benchmarks/run_all.py: one saved section per benchmark, assembled into RESULTS.md.

The benchmarks themselves are timed by ``make bench``, not here; this checks the runner with a
tiny benchmark module written by the test.
"""

import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import run_all  # noqa: E402


@pytest.fixture
def bench_dir(tmp_path, monkeypatch):
    """A benchmarks folder with two benchmarks, ``tiny`` and ``other``, and a profiling note."""
    for name, value in (("tiny", 1.5), ("other", 2.5)):
        (tmp_path / f"bench_{name}.py").write_text(
            "def main():\n"
            f"    print('| what | s |\\n|---|---:|\\n| {name} | {value} |')\n"
            f"    return [{{'what': '{name}', 's': {value}}}]\n")
    (tmp_path / "PROFILING.md").write_text("## Profiles and fixes\n\nhand-written\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(run_all, "HERE", tmp_path)
    monkeypatch.setattr(run_all, "SECTIONS", tmp_path / "results")
    monkeypatch.setattr(run_all, "ORDER", ("tiny", "other"))
    return tmp_path


def test_each_benchmark_is_saved_and_results_keep_the_others(bench_dir, capsys):
    run_all.main([])
    results = (bench_dir / "RESULTS.md").read_text()
    assert results.startswith("# Benchmark results\n")
    assert "cores" in results and "numpy" in results  # machine and package versions
    # the profiling note, then the sections in ORDER, each stamped with its run
    assert results.index("hand-written") < results.index("| tiny | 1.5 |") < results.index(
        "| other | 2.5 |")
    assert results.count("*Run ") == 2 and "load average" in results
    assert "| tiny | 1.5 |" in capsys.readouterr().out  # also printed while it runs

    # rerunning one benchmark replaces its section and keeps the other's last run
    (bench_dir / "bench_tiny.py").write_text(
        "def main():\n    print('| what | s |\\n|---|---:|\\n| tiny | 9.5 |')\n    return []\n")
    sys.modules.pop("bench_tiny", None)
    run_all.main(["tiny"])
    results = (bench_dir / "RESULTS.md").read_text()
    assert "| tiny | 9.5 |" in results and "| tiny | 1.5 |" not in results
    assert "| other | 2.5 |" in results


def test_unknown_or_unordered_benchmarks_are_refused(bench_dir):
    with pytest.raises(SystemExit, match=r"unknown benchmark\(s\) \['nope'\]"):
        run_all.main(["nope"])
    (bench_dir / "bench_new.py").write_text("def main():\n    return []\n")
    with pytest.raises(SystemExit, match=r"benchmarks \['new'\] are not in run_all.ORDER"):
        run_all.main([])
    assert not (bench_dir / "RESULTS.md").exists()


def test_every_benchmark_of_the_repository_is_in_the_order():
    benchmarks = {path.stem.removeprefix("bench_")
                  for path in (ROOT / "benchmarks").glob("bench_*.py")}
    assert benchmarks == set(run_all.ORDER)
