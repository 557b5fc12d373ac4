"""The HTML report (``snakemake --report``): what the rules register for it, read from the rules.

A browser draws PNG, SVG and HTML inline in Snakemake's report, but shows PDFs blank and offers
CSV and Markdown only as downloads, so every figure is registered as its PNG, and every table and
the claims as an HTML page; the Snakefile names a workflow description page.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULES = [ROOT / "workflow" / "rules" / f"{name}.smk" for name in ("figures", "tables", "claims")]
#: report("path", caption="...", ...): the registered path and its caption.
REPORTED = re.compile(r'report\(\s*"([^"]+)",\s*caption="([^"]+)"', re.S)


def registered() -> list[tuple[Path, str, str]]:
    found = []
    for rules in RULES:
        found += [(rules, path, caption) for path, caption in REPORTED.findall(rules.read_text())]
    return found


def test_the_report_registers_only_what_a_browser_draws():
    entries = registered()
    assert len(entries) >= 14  # 7 figures, 6 tables, the claims and the replicates table
    for rules, path, _ in entries:
        assert path.endswith((".png", ".svg", ".html")), f"{rules.name}: {path}"
    paths = {path for _, path, _ in entries}
    assert "figures/fig3_relu_singular_values.png" in paths
    assert "figures/claims.html" in paths and "figures/tables/table1.html" in paths
    assert "figures/tables/timings.html" in paths


def test_every_caption_exists():
    for rules, _, caption in registered():
        assert (rules.parent / caption).resolve().is_file(), f"{rules.name}: {caption}"


def test_the_snakefile_names_the_workflow_description():
    snakefile = (ROOT / "Snakefile").read_text()
    match = re.search(r'^report:\s*"([^"]+)"', snakefile, re.M)
    assert match and match.group(1) == "workflow/report/workflow.rst"
    text = (ROOT / match.group(1)).read_text()
    assert "How to read it" in text and "snakemake.config" in text
